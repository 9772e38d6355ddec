"""Append-only audit trail. Only ``record`` writes; there is deliberately no update or delete."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from api.models import AuditLog


def record(session: Session, *, actor: str, action: str, user_id: int | None = None,
           target_type: str | None = None, target_id: str | None = None,
           detail: dict[str, Any] | None = None, ip: str | None = None) -> AuditLog:
    """Add an entry to the caller's transaction, so it commits (or not) with what it records."""
    entry = AuditLog(actor=actor, action=action, user_id=user_id, target_type=target_type,
                     target_id=target_id, detail=detail or {}, ip=ip)
    session.add(entry)
    return entry
