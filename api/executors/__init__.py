"""Executors: who runs the jobs of the job table.

* ``embedded`` (default): ``qa-engine worker`` / the thread in ``qa-engine serve`` poll the job
  table (api.worker). Nothing here is used.
* ``celery``: the job rows stay the source of truth; after a transaction that inserted jobs
  commits, their ids are published to the broker (:mod:`api.executors.publish`), and Celery
  workers (:mod:`api.executors.celery_app`) claim exactly that row with the same lease logic
  and run the same Processor. Lost messages (broker down at enqueue, a worker killed with its
  message unacknowledged) are recovered by the sweeper (:mod:`api.executors.runner`).

Celery is an optional extra (``pip install -e '.[distributed]'``): importing this package does
not import it.
"""

from __future__ import annotations

from typing import Any

# Queue per job kind: speech recognition needs big CPU or GPU machines, the rest small CPUs.
QUEUES = {"transcribe": "transcribe", "score": "analyse", "webhook": "analyse"}
TASK_RUN_JOBS = "qa.run_jobs"
# Job ids per message, per queue: analysis jobs take milliseconds, so one message per job would
# make the broker round trip a large share of the work; a few ids per message amortise it while
# still spreading work over workers. Transcriptions take seconds to minutes: one per message.
CHUNK = {"analyse": 8, "transcribe": 1}
TASK_SWEEP = "qa.sweep"


def queue_for(kind: str) -> str:
    return QUEUES.get(kind, "analyse")


def install(services: Any) -> None:
    """Attach the executor chosen by ``services.settings.executor`` to the service's sessions
    (no-op for the embedded executor)."""
    if services.settings.executor != "celery":
        return
    from api.executors.publish import install_publisher

    install_publisher(services)


def register_batch_executor() -> None:
    """Make ``qa-engine batch --executor celery`` available (called when api.cli is loaded).
    Lazy: nothing of the service or Celery is imported until that executor is used."""
    from importlib.util import find_spec

    if find_spec("celery") is None:  # the distributed extra is not installed
        return
    from qa_engine.batch import EXECUTORS

    def run(path, options):  # noqa: ANN001, ANN202
        from api.executors.backfill import run_celery_backfill

        return run_celery_backfill(path, options)

    EXECUTORS["celery"] = run
