"""Publish job ids to the broker after the transaction that created the jobs commits.

Hooked on the service's sessionmaker (SQLAlchemy session events), so every code path that
calls ``api.jobs.enqueue`` (uploads, rescore, transcribe -> score, webhooks) publishes without
being changed. Publishing *after* commit means a worker never receives an id whose row it
cannot see yet; a publish that fails (broker down) is logged and left to the sweeper: the row
is already durable.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from api.executors import CHUNK, TASK_RUN_JOBS, queue_for
from api.models import Job
from api.settings import Settings

log = logging.getLogger("api.executors")
_KEY = "qa_new_jobs"


class Publisher:
    """Sends ``qa.run_job(job_id)`` messages; safe to share between threads."""

    def __init__(self, settings: Settings) -> None:
        from api.executors.config import make_celery

        self.settings = settings
        self.app = make_celery(settings, name="qa-publisher")
        self._lock = threading.Lock()

    def publish(self, jobs: Iterable[tuple[int, str]], countdown: float | None = None) -> int:
        """Publish (job id, kind) pairs, a few ids per message (CHUNK); returns how many ids were
        sent. Raises on broker errors."""
        by_queue: dict[str, list[int]] = {}
        for job_id, kind in jobs:
            by_queue.setdefault(queue_for(kind), []).append(job_id)
        if not by_queue:
            return 0
        sent = 0
        with self._lock, self.app.producer_or_acquire() as producer:
            for queue, ids in by_queue.items():
                size = CHUNK.get(queue, 1)
                for i in range(0, len(ids), size):
                    # retry=False: an API request must not hang on a dead broker; the sweeper
                    # re-publishes whatever did not get through.
                    self.app.send_task(TASK_RUN_JOBS, args=[ids[i:i + size]], queue=queue, producer=producer,
                                       countdown=countdown, retry=False)
                    sent += len(ids[i:i + size])
        return sent

    def publish_quietly(self, jobs: Iterable[tuple[int, str]], countdown: float | None = None) -> int:
        items = list(jobs)
        try:
            return self.publish(items, countdown=countdown)
        except Exception as exc:  # noqa: BLE001 - the rows are committed; the sweeper will send them
            log.warning("could not publish %d job(s) to %s (%s: %s); the sweeper will re-publish them",
                        len(items), self.settings.broker_url, type(exc).__name__, exc)
            return 0

    def queue_length(self, queue: str) -> int:
        """Messages waiting in ``queue`` (not counting those reserved by workers)."""
        # Not passive: on the Redis transport a passive declare fails for a queue no worker has
        # bound yet; declaring is idempotent and answers the message count either way.
        with self.app.connection_for_write() as conn:
            return conn.default_channel.queue_declare(queue=queue, durable=True, auto_delete=False).message_count

    def close(self) -> None:
        self.app.close()


def _collect(session: Session, _flush_context: Any) -> None:
    # after_flush: ``session.new`` still lists what was just inserted, now with primary keys.
    new = [(obj.id, obj.kind) for obj in session.new if isinstance(obj, Job)]
    if new:
        session.info.setdefault(_KEY, []).extend(new)


def _forget(session: Session, *_: Any) -> None:
    session.info.pop(_KEY, None)


def install_publisher(services: Any, publisher: Publisher | None = None) -> Publisher:
    """Publish the jobs inserted through ``services.sessions`` once their transaction commits."""
    existing = getattr(services, "_qa_publisher", None)
    if existing is not None:
        return existing
    publisher = publisher or Publisher(services.settings)
    factory = services.sessions

    def after_commit(session: Session) -> None:
        new = session.info.pop(_KEY, None)
        if new:
            publisher.publish_quietly(new)

    event.listen(factory, "after_flush", _collect)
    event.listen(factory, "after_commit", after_commit)
    event.listen(factory, "after_rollback", _forget)  # rolled back: those rows do not exist
    services._qa_publisher = publisher  # noqa: SLF001 - Services is a plain dataclass; one hook per factory
    return publisher
