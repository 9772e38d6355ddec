"""What the pages read: the caller's visible conversations with their latest result, masked.

Every query goes through ``Principal.scope_conversations`` (an agent's out-of-scope id is simply
not found) and every result passes :func:`viewable` before it reaches a template: the API's
``RESULT_FILTERS`` first, then PII masking unless the viewer has the unmask permission.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.auth import Principal
from api.models import Conversation, Result
from api.views import RESULT_FILTERS
from qa_engine.privacy.mask import mask_result

SEVERITY_ORDER = {"critical": 0, "major": 1, "minor": 2, "info": 3}
SEVERITY_CN = {"critical": "致命", "major": "严重", "minor": "轻微", "info": "提示"}
STAGE_CN = {"normal": "正常", "fluctuating": "波动", "agitated": "激动", "angry": "愤怒"}
TREND_CN = {"improved": "好转", "worsened": "恶化", "stable": "平稳", "recovered": "挽回", "lost": "流失"}
EMOTION_CASE_HOURS = 2  # major negative emotion handled within 2 hours (domain seeds)
APPEAL_WINDOW_DAYS = 7  # agents may appeal within a window (design: 1-30 days); shown as a deadline


def apply_filters(data: dict[str, Any], principal: Principal) -> dict[str, Any]:
    """The API's response-wide result transforms (e.g. the review module's privacy filter)."""
    for transform in RESULT_FILTERS:
        data = transform(data, principal)
    return data


def viewable(data: dict[str, Any], principal: Principal, unmask: bool = False) -> dict[str, Any]:
    """Masked unless the viewer asked to unmask (``?unmask=1``) *and* may. The review module's
    filter (if installed) does the same and audits the disclosure; masking again here is
    idempotent and keeps the pages safe without it."""
    data = apply_filters(data, principal)
    if unmask_audited_by_filter():
        return data  # that filter masked it already (or unmasked it on a permitted request): no second pass
    return data if (unmask and principal.can_unmask) else mask_result(data)


def unmask_audited_by_filter() -> bool:
    """True when a RESULT_FILTER (api.review.privacy) records unmask disclosures itself."""
    return any(getattr(f, "__module__", "") == "api.review.privacy" for f in RESULT_FILTERS)


def _latest_subquery():
    return (select(Result.conversation_id, func.max(Result.version).label("v"))
            .group_by(Result.conversation_id).subquery())


def visible_results(session: Session, principal: Principal, *, agent_id: str | None = None,
                    team_id: str | None = None, channel: str | None = None, flagged: bool = False,
                    since: datetime | None = None, until: datetime | None = None,
                    limit: int = 2000) -> list[tuple[Conversation, Result]]:
    """Scored conversations the principal may see, each with its newest result version."""
    newest = _latest_subquery()
    stmt = (select(Conversation, Result)
            .join(Result, Result.conversation_id == Conversation.id)
            .join(newest, (newest.c.conversation_id == Result.conversation_id) & (newest.c.v == Result.version)))
    stmt = principal.scope_conversations(stmt)
    for column, value in ((Conversation.agent_id, agent_id), (Conversation.team_id, team_id),
                          (Conversation.channel, channel)):
        if value:
            stmt = stmt.where(column == value)
    if flagged:
        stmt = stmt.where(Result.needs_review.is_(True))
    if since is not None:
        stmt = stmt.where(Conversation.started_at >= since)
    if until is not None:
        stmt = stmt.where(Conversation.started_at < until)
    stmt = stmt.order_by(Conversation.started_at.desc(), Conversation.id).limit(limit)
    return [(c, r) for c, r in session.execute(stmt).all()]


def get_conversation(session: Session, principal: Principal, conversation_id: str) -> Conversation | None:
    return session.scalar(principal.scope_conversations(
        select(Conversation).where(Conversation.id == conversation_id)))


def latest_result(session: Session, conversation_id: str) -> Result | None:
    return session.scalar(select(Result).where(Result.conversation_id == conversation_id)
                          .order_by(Result.version.desc()).limit(1))


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


@dataclass
class QueueRow:
    id: str
    external_id: str | None
    channel: str
    agent_id: str | None
    team_id: str | None
    started_at: datetime | None
    score: float
    grade: str
    veto: bool
    needs_review: bool
    top_hits: list[dict]
    emotion_index: float | None
    emotion_stage: str | None
    reviewer: str | None
    deadline: datetime | None
    overdue: bool
    review_status: str | None = None  # from the review workflow, when installed
    final_score: float | None = None


def top_hits(result: dict[str, Any], n: int = 3) -> list[dict]:
    points: dict[str, float] = {}
    for d in result.get("deductions") or []:
        for hid in d.get("hit_ids") or []:
            points[hid] = points.get(hid, 0.0) + d.get("points", 0.0) / max(1, len(d["hit_ids"]))
    hits = [h for h in result.get("hits") or [] if h.get("mode") != "detect" or h.get("severity") != "info"]
    hits.sort(key=lambda h: (SEVERITY_ORDER.get(h.get("severity"), 9), -points.get(h["id"], 0.0)))
    return [{"rule_name": h.get("rule_name"), "severity": h.get("severity"), "points": points.get(h["id"])}
            for h in hits[:n]]


def queue_row(conv: Conversation, row: Result, now: datetime) -> QueueRow:
    data = row.result  # the row needs no transcript text, so no masking pass here
    index = (data.get("analysis") or {}).get("emotion_index") or {}
    stage = index.get("stage")
    deadline = None
    if stage in ("agitated", "angry"):
        opened = _aware(conv.started_at) or _aware(row.created_at)
        deadline = opened + timedelta(hours=EMOTION_CASE_HOURS) if opened else None
    return QueueRow(id=conv.id, external_id=conv.external_id, channel=conv.channel, agent_id=conv.agent_id,
                    team_id=conv.team_id, started_at=_aware(conv.started_at), score=row.score, grade=row.grade,
                    veto=row.veto, needs_review=row.needs_review, top_hits=top_hits(data),
                    emotion_index=index.get("index"), emotion_stage=stage, reviewer=None, deadline=deadline,
                    overdue=deadline is not None and deadline < now)


SORTS = {
    "score": lambda r: r.score, "started": lambda r: r.started_at or datetime.min.replace(tzinfo=timezone.utc),
    "emotion": lambda r: 101.0 if r.emotion_index is None else r.emotion_index,
    "deadline": lambda r: r.deadline or datetime.max.replace(tzinfo=timezone.utc),
    "agent": lambda r: r.agent_id or "", "grade": lambda r: r.grade,
}
