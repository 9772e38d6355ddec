"""Durable job queue on the database: enqueue, atomic claim, lease heartbeat, retry, finish.

Guarantees, and how:
* **Never lost**: a job is inserted in the caller's transaction (with its conversation).
* **One worker at a time**: claiming is one atomic statement. PostgreSQL: ``SELECT ... FOR
  UPDATE SKIP LOCKED`` then UPDATE in the same transaction, so workers never block each other.
  SQLite: ``UPDATE ... WHERE id = (SELECT ...) AND <still claimable> RETURNING`` inside
  ``BEGIN IMMEDIATE`` (see api.db), i.e. serialised by SQLite's single write lock.
* **Dead workers**: a claim holds a lease (``lease_until``) that the worker extends while it
  works; a running job whose lease has expired is claimable again. A job that keeps killing its
  worker (poison) is failed once it used ``max_attempts``.
* **Retry**: a failed attempt is re-queued with exponential backoff; after ``max_attempts`` (or
  a :class:`PermanentError`) the job is failed with the reason.
* **Idempotent effects**: handlers must tolerate re-delivery (results insert with
  ON CONFLICT DO NOTHING); finishing a job checks that we still hold its lease.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from api.db import is_postgres, utcnow
from api.models import Conversation, Job


class PermanentError(Exception):
    """Retrying cannot help (e.g. the audio does not decode); fail the job now."""


@dataclass(frozen=True)
class Claimed:
    id: int
    conversation_id: str
    kind: str
    attempts: int
    payload: dict[str, Any]


def enqueue(session: Session, conversation_id: str, kind: str, payload: dict[str, Any] | None = None,
            run_after: datetime | None = None) -> Job:
    job = Job(conversation_id=conversation_id, kind=kind, payload=payload or {}, run_after=run_after or utcnow())
    session.add(job)
    return job


def _claimable(now: datetime):  # noqa: ANN202
    return or_(and_(Job.status == "queued", Job.run_after <= now),
               and_(Job.status == "running", Job.lease_until < now))


def fail_exhausted(session: Session, max_attempts: int) -> int:
    """Fail running jobs whose lease expired after their last allowed attempt (poison jobs)."""
    now = utcnow()
    rows = session.execute(
        update(Job).where(Job.status == "running", Job.lease_until < now, Job.attempts >= max_attempts)
        .values(status="failed", finished_at=now, lease_owner=None, lease_until=None,
                last_error=func.coalesce(Job.last_error, "") + f"[worker lost the job {max_attempts} times "
                           "(crashed or killed while working on it); giving up]")
        .returning(Job.id, Job.conversation_id, Job.kind)
    ).all()
    for _, conversation_id, kind in rows:
        if kind in ("score", "transcribe"):
            _set_conversation(session, conversation_id, "failed", "processing kept crashing the worker")
    return len(rows)


def claim(session: Session, owner: str, lease_seconds: float, kinds: tuple[str, ...] | None = None,
          max_attempts: int | None = None) -> Claimed | None:
    """Claim the oldest runnable job for ``owner`` and commit; None when there is nothing to do."""
    now = utcnow()
    if max_attempts is not None:
        fail_exhausted(session, max_attempts)
    pick = select(Job.id).where(_claimable(now)).order_by(Job.run_after, Job.id).limit(1)
    if kinds:
        pick = pick.where(Job.kind.in_(kinds))
    values = dict(status="running", lease_owner=owner, lease_until=now + timedelta(seconds=lease_seconds),
                  attempts=Job.attempts + 1, started_at=now, updated_at=now)
    if is_postgres(session):
        job_id = session.scalar(pick.with_for_update(skip_locked=True))
        if job_id is None:
            session.commit()
            return None
        stmt = update(Job).where(Job.id == job_id)
    else:
        # Re-check claimability in the UPDATE itself: the statement is atomic under the write lock.
        stmt = update(Job).where(Job.id == pick.scalar_subquery(), _claimable(now))
    row = session.execute(stmt.values(**values).returning(
        Job.id, Job.conversation_id, Job.kind, Job.attempts, Job.payload)).first()
    if row is None:
        session.commit()
        return None
    if row.kind in ("score", "transcribe"):
        _set_conversation(session, row.conversation_id, "processing")
    session.commit()
    return Claimed(id=row.id, conversation_id=row.conversation_id, kind=row.kind, attempts=row.attempts,
                   payload=dict(row.payload or {}))


def heartbeat(session: Session, job_id: int, owner: str, lease_seconds: float) -> bool:
    """Extend our lease; False if the job is no longer ours (lease expired and re-claimed)."""
    result = session.execute(update(Job).where(Job.id == job_id, Job.lease_owner == owner, Job.status == "running")
                             .values(lease_until=utcnow() + timedelta(seconds=lease_seconds)))
    session.commit()
    return result.rowcount == 1


def complete(session: Session, job: Claimed, owner: str) -> bool:
    """Mark done in the caller's transaction (with the job's effects); False if we lost the lease.

    Losing the lease is harmless for correctness (effects are idempotent): the new owner will
    find the result already there and finish the job itself."""
    now = utcnow()
    result = session.execute(update(Job).where(Job.id == job.id, Job.lease_owner == owner, Job.status == "running")
                             .values(status="done", finished_at=now, lease_owner=None, lease_until=None,
                                     last_error=None, updated_at=now))
    return result.rowcount == 1


def backoff_seconds(attempts: int, base: float, cap: float) -> float:
    return min(cap, base * (2 ** max(0, attempts - 1)))


def fail_attempt(session: Session, job: Claimed, owner: str, error: str, *, max_attempts: int,
                 base: float, cap: float, permanent: bool = False) -> str:
    """Record a failed attempt: re-queue with backoff, or fail for good. Returns the new status."""
    now = utcnow()
    final = permanent or job.attempts >= max_attempts
    values: dict[str, Any] = dict(lease_owner=None, lease_until=None, updated_at=now,
                                  last_error=f"attempt {job.attempts}: {error}"[:4000])
    if final:
        values.update(status="failed", finished_at=now)
    else:
        values.update(status="queued", run_after=now + timedelta(seconds=backoff_seconds(job.attempts, base, cap)))
    result = session.execute(update(Job).where(Job.id == job.id, Job.lease_owner == owner, Job.status == "running")
                             .values(**values))
    if result.rowcount == 1 and final and job.kind in ("score", "transcribe"):
        _set_conversation(session, job.conversation_id, "failed", error)
    session.commit()
    return "failed" if final else "queued"


def _set_conversation(session: Session, conversation_id: str, status: str, error: str | None = None) -> None:
    session.execute(update(Conversation).where(Conversation.id == conversation_id)
                    .values(status=status, error=error[:4000] if error else None, updated_at=utcnow()))


def set_conversation_status(session: Session, conversation_id: str, status: str, error: str | None = None) -> None:
    _set_conversation(session, conversation_id, status, error)


def counts(session: Session) -> dict[tuple[str, str], int]:
    """(kind, status) -> number of jobs, for metrics and /readyz."""
    rows = session.execute(select(Job.kind, Job.status, func.count()).group_by(Job.kind, Job.status)).all()
    return {(k, s): n for k, s, n in rows}
