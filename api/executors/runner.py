"""What a Celery worker does with a message: claim *that* job row, run it, record the outcome;
and the sweeper that re-publishes jobs whose message was lost.

The claim is the same conditional UPDATE as :func:`api.jobs.claim` (same claimability rule,
same lease, same attempt counting), restricted to one id: a message for a job that is done,
failed, waiting for its retry time, or leased by a live worker is dropped. Redelivery is
therefore harmless, and the database — not the broker — decides who runs a job.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from api import jobs
from api.db import utcnow
from api.executors import queue_for
from api.jobs import Claimed
from api.models import Job
from api.worker import Worker

log = logging.getLogger("api.executors")


def claim_job(session: Session, job_id: int, owner: str, lease_seconds: float,
              max_attempts: int | None = None) -> Claimed | None:
    """Claim job ``job_id`` for ``owner`` if it is claimable now, and commit; None otherwise."""
    now = utcnow()
    if max_attempts is not None:
        jobs.fail_exhausted(session, max_attempts)  # a job that killed its workers too often
    # _claimable is api.jobs' own rule (queued and due, or running with an expired lease). One
    # UPDATE ... WHERE id AND claimable: atomic on PostgreSQL (the row lock re-checks the WHERE)
    # and on SQLite (BEGIN IMMEDIATE holds the write lock).
    row = session.execute(
        update(Job).where(Job.id == job_id, jobs._claimable(now))  # noqa: SLF001 - shared rule, not copied
        .values(status="running", lease_owner=owner, lease_until=now + timedelta(seconds=lease_seconds),
                attempts=Job.attempts + 1, started_at=now, updated_at=now)
        .returning(Job.id, Job.conversation_id, Job.kind, Job.attempts, Job.payload)).first()
    if row is None:
        session.commit()
        return None
    if row.kind in ("score", "transcribe"):
        jobs.set_conversation_status(session, row.conversation_id, "processing")
    session.commit()
    return Claimed(id=row.id, conversation_id=row.conversation_id, kind=row.kind, attempts=row.attempts,
                   payload=dict(row.payload or {}))


class JobRunner(Worker):
    """The embedded worker's processing and heartbeat, driven by messages instead of polling."""

    last_kind = "score"  # kind of the last job claimed (a retry is published to its queue)

    def run_job(self, job_id: int) -> tuple[str, float | None]:
        """Run job ``job_id``; returns (outcome, retry delay): outcome is done, retry, failed,
        or skipped (not claimable: already done, or someone else holds it)."""
        s = self.settings
        with self.services.sessions() as session:
            job = claim_job(session, job_id, self.owner, s.worker_lease_seconds, s.max_attempts)
        if job is None:
            return "skipped", None
        self.last_kind = job.kind
        outcome = self.process(job)
        delay = None
        if outcome == "retry":
            delay = jobs.backoff_seconds(job.attempts, s.retry_base_seconds, s.retry_max_seconds)
        return outcome, delay


class Sweeper:
    """Re-publishes jobs that have no message any more. Runs in every Celery worker's main
    process; a Redis lock (when the broker is Redis) lets one sweep per interval run cluster-wide,
    and a per-job marker keeps two sweeps from publishing the same job twice in a row.

    * running jobs whose lease expired (the worker died and its message is parked in Redis'
      unacked set until the visibility timeout): re-published at once;
    * queued jobs due for more than ``QA_REQUEUE_AFTER_SECONDS`` (published while the broker
      was down, or lost): re-published only when their queue is empty, so a long backlog is
      not duplicated — its messages are still ahead in the queue.
    """

    def __init__(self, services: Any, publisher: Any, limit: int = 1000) -> None:
        self.services = services
        self.settings = services.settings
        self.publisher = publisher
        self.limit = limit
        self._redis = None
        if self.settings.broker_url.startswith(("redis://", "rediss://")):
            import redis

            self._redis = redis.Redis.from_url(self.settings.broker_url, socket_timeout=5, socket_connect_timeout=2)

    def _first(self, key: str, ttl: float) -> bool:
        if self._redis is None:
            return True
        return bool(self._redis.set(key, b"1", nx=True, px=max(1, int(ttl * 1000))))

    def sweep(self, force: bool = False) -> dict[str, int]:
        s = self.settings
        if not force and not self._first("qa:sweeper:lock", s.sweep_seconds * 0.9):
            return {"skipped": 1}
        now = utcnow()
        with self.services.sessions() as session:
            failed = jobs.fail_exhausted(session, s.max_attempts)
            session.commit()
            expired = session.execute(select(Job.id, Job.kind).where(Job.status == "running", Job.lease_until < now)
                                      .order_by(Job.id).limit(self.limit)).all()
            stale = session.execute(select(Job.id, Job.kind).where(
                Job.status == "queued", Job.run_after <= now - timedelta(seconds=s.requeue_after_seconds))
                .order_by(Job.run_after, Job.id).limit(self.limit)).all()
            session.commit()
        empty: dict[str, bool] = {}
        for _, kind in stale:
            queue = queue_for(kind)
            if queue not in empty:
                empty[queue] = self.publisher.queue_length(queue) == 0
        picked = [(i, k) for i, k in expired] + [(i, k) for i, k in stale if empty[queue_for(k)]]
        # The marker lives as long as a job may take to be picked up again before we try anew.
        ttl = max(s.worker_lease_seconds, s.requeue_after_seconds, s.sweep_seconds)
        todo = [(i, k) for i, k in picked if self._first(f"qa:swept:{i}", ttl)]
        sent = self.publisher.publish(todo)
        if sent or failed:
            log.info("sweeper re-published %d job(s) (%d lease expired, %d stale queued), failed %d poison job(s)",
                     sent, len(expired), len(stale), failed)
        return {"republished": sent, "expired": len(expired), "stale": len(stale), "failed": failed}
