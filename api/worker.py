"""Workers: claim -> process -> commit, in a loop. Run as ``qa-engine worker --processes N`` or
as a thread inside ``qa-engine serve`` (``QA_EMBEDDED_WORKER``).

Each process builds one Engine (pack compiled, models loaded once) and one database engine.
While a job runs, a heartbeat thread extends its lease; if the process dies (kill -9, OOM,
power), the lease runs out and another worker claims the job again.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import socket
import threading
import time
import uuid
from contextlib import contextmanager

from api import jobs
from api.deps import Services
from api.jobs import Claimed, PermanentError
from api.metrics import JOB_SECONDS, JOBS_PROCESSED
from api.processing import Processor
from api.settings import Settings

log = logging.getLogger("api.worker")


def make_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Worker:
    def __init__(self, services: Services, processor: Processor | None = None, owner: str | None = None,
                 kinds: tuple[str, ...] | None = None) -> None:
        self.services = services
        self.kinds = kinds  # None: every kind; e.g. ("transcribe",) for dedicated ASR machines
        self.settings = services.settings
        self.processor = processor or Processor(services.settings)
        self.owner = owner or make_owner()
        self.stop_event = threading.Event()

    @contextmanager
    def _heartbeat(self, job: Claimed):
        """Extend the lease every third of its length until the job is finished."""
        done = threading.Event()
        lease = self.settings.worker_lease_seconds

        def beat() -> None:
            while not done.wait(lease / 3):
                try:
                    with self.services.sessions() as session:
                        if not jobs.heartbeat(session, job.id, self.owner, lease):
                            log.warning("lost the lease on job %s; another worker has it", job.id)
                            return
                except Exception:  # noqa: BLE001 - a missed beat is retried; the lease has slack
                    log.exception("heartbeat for job %s failed", job.id)

        thread = threading.Thread(target=beat, name=f"heartbeat-{job.id}", daemon=True)
        thread.start()
        try:
            yield
        finally:
            done.set()
            thread.join(timeout=5)

    def run_one(self) -> bool:
        """Claim and process one job; False if none was runnable."""
        s = self.settings
        with self.services.sessions() as session:
            job = jobs.claim(session, self.owner, s.worker_lease_seconds, kinds=self.kinds,
                             max_attempts=s.max_attempts)
        if job is None:
            return False
        self.process(job)
        return True

    def process(self, job) -> str:  # noqa: ANN001 - a claimed job row (Job or Claimed)
        """Run a claimed job under a heartbeat; record a failure on the job (retry with backoff,
        or failed). Returns done, retry or failed. Shared by the polling worker and Celery."""
        s = self.settings
        started = time.perf_counter()
        outcome = "done"
        with self._heartbeat(job), self.services.sessions() as session:
            try:
                self.processor.handle(session, job, self.owner)
            except Exception as exc:  # noqa: BLE001 - every failure is recorded on the job
                session.rollback()
                permanent = isinstance(exc, PermanentError)
                message = str(exc) if permanent else f"{type(exc).__name__}: {exc}"
                status = jobs.fail_attempt(session, job, self.owner, message, max_attempts=s.max_attempts,
                                           base=s.retry_base_seconds, cap=s.retry_max_seconds,
                                           permanent=permanent)
                outcome = "retry" if status == "queued" else "failed"
                log.warning("job %s (%s, attempt %s) %s: %s", job.id, job.kind, job.attempts, outcome, message)
        elapsed = time.perf_counter() - started
        JOB_SECONDS.labels(job.kind).observe(elapsed)
        JOBS_PROCESSED.labels(job.kind, outcome).inc()
        log.info("job %s %s", job.id, outcome, extra={"job_id": job.id, "kind": job.kind,
                                                      "conversation_id": job.conversation_id,
                                                      "attempt": job.attempts, "seconds": round(elapsed, 4)})
        return outcome

    def drain(self, limit: int = 10_000) -> int:
        """Process runnable jobs until none is left (tests, one-shot batch runs)."""
        n = 0
        while n < limit and self.run_one():
            n += 1
        return n

    def run_forever(self) -> None:
        log.info("worker %s started", self.owner)
        while not self.stop_event.is_set():
            try:
                worked = self.run_one()
            except Exception:  # noqa: BLE001 - e.g. database restarting: wait and try again
                log.exception("worker loop error; retrying")
                worked = False
            if not worked:
                self.stop_event.wait(self.settings.worker_poll_seconds)
        log.info("worker %s stopped", self.owner)

    def stop(self) -> None:
        self.stop_event.set()


def start_thread(services: Services) -> Worker:
    """The embedded worker of `qa-engine serve`: same loop, in a daemon thread."""
    worker = Worker(services)
    threading.Thread(target=worker.run_forever, name="embedded-worker", daemon=True).start()
    return worker


def _process_main(settings: Settings, kinds: tuple[str, ...] | None = None) -> None:
    from api.logs import configure_logging

    configure_logging(settings)
    worker = Worker(Services.from_settings(settings), kinds=kinds)
    if kinds is None or "score" in kinds:
        worker.processor.engine  # noqa: B018 - build the engine (load models) before claiming anything
    signal.signal(signal.SIGTERM, lambda *_: worker.stop())
    signal.signal(signal.SIGINT, lambda *_: worker.stop())
    worker.run_forever()


def run_processes(settings: Settings, processes: int, kinds: tuple[str, ...] | None = None) -> None:
    """Run N worker processes and wait; SIGTERM/SIGINT stop them after their current job."""
    if processes == 1:
        _process_main(settings, kinds)
        return
    ctx = multiprocessing.get_context("spawn")  # fresh interpreters: no forked DB connections
    children = [ctx.Process(target=_process_main, args=(settings, kinds), name=f"qa-worker-{i}")
                for i in range(processes)]
    for child in children:
        child.start()

    def forward(signum, _frame):  # noqa: ANN001
        for child in children:
            if child.is_alive():
                os.kill(child.pid, signal.SIGTERM)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    for child in children:
        child.join()
