"""The Celery worker side: ``celery -A api.executors.celery_app worker -Q analyse,transcribe``.

Configuration comes from the same ``QA_*`` environment as the API (``QA_DATABASE_URL``,
``QA_BROKER_URL``, ``QA_RULES`` ...). Each worker process builds its Services (database pool)
and its Engine once, in ``worker_process_init``; the main process runs the sweeper (a timer).
Machines that only transcribe: ``-Q transcribe``; analysis machines: ``-Q analyse``.
"""

from __future__ import annotations

import logging
import os
import sys
import threading

from celery import bootsteps, signals
from sqlalchemy.exc import OperationalError

from api.executors import TASK_RUN_JOBS, TASK_SWEEP
from api.executors.config import make_celery
from api.settings import Settings

log = logging.getLogger("api.executors")

settings = Settings()
app = make_celery(settings)

_state: dict = {}
_state_lock = threading.Lock()


def _services():  # noqa: ANN202
    """This process' Services with the publish hook installed (a transcribe job enqueues its
    score job, a score job its webhooks: those are published like the API's)."""
    with _state_lock:
        if "services" not in _state:
            from api.deps import Services
            from api.executors.publish import install_publisher

            services = Services.from_settings(settings)
            _state["publisher"] = install_publisher(services)
            _state["services"] = services
        return _state["services"]


def _runner():  # noqa: ANN202
    with _state_lock:
        runner = _state.get("runner")
    if runner is None:
        from api.executors.runner import JobRunner

        runner = JobRunner(_services())
        with _state_lock:
            _state["runner"] = runner
    return runner


@signals.worker_process_init.connect
def _init_process(**_kwargs) -> None:  # noqa: ANN003
    """One engine per worker process, built before the first message is taken. A fork does not
    inherit database connections (we build them here) nor the parent's half-initialised state."""
    from api.logs import configure_logging

    configure_logging(settings)
    # In a pool process sys.stderr is Celery's LoggingProxy, which feeds the logging system: a
    # root handler writing to it would loop, and Celery drops such records. Write to the real
    # stderr (the worker's log), as the main process does.
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(sys.__stderr__)
    _state.clear()
    runner = _runner()
    queues = os.environ.get("QA_WORKER_QUEUES", "analyse,transcribe")
    if "analyse" in queues:
        runner.processor.engine  # noqa: B018 - compile the pack, load the models now
    if "transcribe" in queues:
        try:  # load the speech model now; per-call options (agent channel) reuse the loaded model
            from qa_engine.audio import AudioOptions
            from qa_engine.audio.transcriber import get_transcriber

            get_transcriber(AudioOptions())
        except ImportError as exc:  # audio extras missing: transcribe jobs fail with that reason
            log.warning("speech model not loaded: %s", exc)


class SweeperStep(bootsteps.StartStopStep):
    """The sweeper, on the worker's own timer in the main process (which otherwise only
    supervises the pool). Not a thread: the main process forks new pool children (after a child
    crashed) and a fork taken while another thread holds a lock (database driver, logging,
    Redis pool) can leave the child deadlocked."""

    requires = {"celery.worker.components:Timer"}

    def __init__(self, parent, **kwargs) -> None:  # noqa: ANN001, ANN003
        super().__init__(parent, **kwargs)
        self.tref = None
        self.sweeper = None

    def start(self, parent) -> None:  # noqa: ANN001
        self.tref = parent.timer.call_repeatedly(settings.sweep_seconds, self.run, priority=10)

    def run(self) -> None:
        try:
            if self.sweeper is None:
                from api.deps import Services
                from api.executors.publish import Publisher
                from api.executors.runner import Sweeper

                self.sweeper = Sweeper(Services.from_settings(settings), Publisher(settings))
            self.sweeper.sweep()
        except Exception:  # noqa: BLE001 - database or broker briefly away: next round
            log.exception("sweep failed; retrying in %ss", settings.sweep_seconds)

    def stop(self, parent) -> None:  # noqa: ANN001
        if self.tref is not None:
            self.tref.cancel()
            self.tref = None


app.steps["worker"].add(SweeperStep)


@app.task(name=TASK_RUN_JOBS, bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None,
          # Database unreachable (restart, failover): retry the message with backoff. Jobs of the
          # message already finished are skipped on the retry (their rows are done).
          autoretry_for=(OperationalError,), retry_backoff=2, retry_backoff_max=60, retry_jitter=True)
def run_jobs(self, job_ids: list[int]) -> dict[str, int]:  # noqa: ANN001
    runner = _runner()
    outcomes: dict[str, int] = {}
    for job_id in job_ids:
        outcome, delay = runner.run_job(int(job_id))
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        if outcome == "retry":
            # The row is queued again with run_after = now + backoff (api.jobs.fail_attempt);
            # a message of its own brings it back then. If this publish fails, the sweeper
            # finds the row once it is overdue.
            _state["publisher"].publish_quietly([(int(job_id), runner.last_kind)], countdown=delay or 0)
    return outcomes


@app.task(name=TASK_SWEEP, acks_late=True)
def sweep(force: bool = True) -> dict:
    """For deployments that prefer celery beat to the sweeper thread."""
    from api.executors.publish import Publisher
    from api.executors.runner import Sweeper

    return Sweeper(_services(), _state.get("publisher") or Publisher(settings)).sweep(force=force)
