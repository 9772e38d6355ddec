"""Sampling plans: N % per agent per ISO week + every result with chosen flags, assigned to reviewers.

Determinism: each candidate conversation gets the rank ``sha256("<plan>:<week>:<conversation>")``;
per agent the lowest ``ceil(percent × n)`` ranks are taken. Re-running a plan for the same week
picks the same conversations, and the one-item-per-conversation constraint makes the re-run add
nothing (conversations that arrived since may add their share). Assignment walks the new items in
rank order (plus already queued, still unassigned flagged items), round-robin or by share (smooth weighted round-robin: deterministic and within one
item of the exact shares at every prefix). A double-review sample (``double_review_percent`` of
the sampled items, again by hash) gets a blind second reviewer: the next reviewer in the list.
"""

from __future__ import annotations

import hashlib
import math
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.auth import Principal
from api.errors import ApiError
from api.models import Conversation, Result, User
from api.review.models import ReviewItem, SamplingPlan
from api.review.service import denormalised, flush_or_conflict, latest_results_subquery


def week_bounds(week: str, tz: str = "UTC") -> tuple[datetime, datetime]:
    """'2026-W45' -> [Monday 00:00, next Monday 00:00) in the centre's time zone, as naive UTC
    (how times are stored): a call at 07:00 Monday in Shanghai belongs to that week, not the last."""
    try:
        year, number = week.split("-W")
        monday = date.fromisocalendar(int(year), int(number), 1)
    except ValueError:
        raise ApiError(422, "invalid_input", f"week {week!r} is not an ISO week like 2026-W45") from None
    zone = ZoneInfo(tz)
    start = datetime.combine(monday, datetime.min.time(), tzinfo=zone)
    end = datetime.combine(monday + timedelta(days=7), datetime.min.time(), tzinfo=zone)
    return (start.astimezone(UTC).replace(tzinfo=None), end.astimezone(UTC).replace(tzinfo=None))


def iso_week(moment: datetime) -> str:
    year, number, _ = moment.isocalendar()
    return f"{year}-W{number:02d}"


def _rank(plan_id: int, week: str, conversation_id: str) -> str:
    return hashlib.sha256(f"{plan_id}:{week}:{conversation_id}".encode()).hexdigest()


def _double_review(rank: str, percent: float) -> bool:
    # an independent slice of the same hash, so the double sample is not the lowest ranks only
    return int(rank[32:40], 16) / 0xFFFFFFFF < percent / 100


class _Assigner:
    def __init__(self, plan: SamplingPlan, reviewers: list[User]) -> None:
        self.reviewers = reviewers
        self.weights = [float(plan.shares.get(u.username, 1.0)) if plan.assignment == "share" else 1.0
                        for u in reviewers]
        self.current = [0.0] * len(reviewers)
        self.turn = 0

    def next(self) -> int | None:
        if not self.reviewers:
            return None
        total = sum(self.weights)
        for i, w in enumerate(self.weights):
            self.current[i] += w
        best = max(range(len(self.reviewers)), key=lambda i: (self.current[i], -i))
        self.current[best] -= total
        return best


def run_plan(session: Session, principal: Principal, plan: SamplingPlan, week: str, tz: str = "UTC") -> dict:
    start, end = week_bounds(week, tz)
    reviewers = []
    for name in plan.reviewers:
        user = session.scalar(select(User).where(User.username == name, User.active.is_(True)))
        if user is None or user.role not in ("qa", "supervisor", "admin"):
            raise ApiError(422, "invalid_input", f"reviewer {name!r} of plan {plan.id} is not an active "
                                                 "qa, supervisor or admin user")
        reviewers.append(user)
    latest = latest_results_subquery().subquery()
    when = func.coalesce(Conversation.started_at, Conversation.created_at)
    stmt = (select(Conversation.id, Conversation.agent_id, latest.c.id)
            .join(latest, latest.c.conversation_id == Conversation.id)
            .where(when >= start, when < end))
    if plan.team_id:
        stmt = stmt.where(Conversation.team_id == plan.team_id)
    candidates = session.execute(principal.scope_conversations(stmt)).all()
    existing = {i.conversation_id: i for i in session.scalars(select(ReviewItem).where(
        ReviewItem.conversation_id.in_([c[0] for c in candidates])))} if candidates else {}

    by_agent: dict[str | None, list[tuple[str, str, int]]] = {}
    for conv_id, agent_id, result_id in candidates:
        by_agent.setdefault(agent_id, []).append((_rank(plan.id, week, conv_id), conv_id, result_id))
    chosen: dict[str, tuple[str, int, str]] = {}  # conversation -> (rank, result id, why)
    for rows in by_agent.values():
        rows.sort()
        for rank, conv_id, result_id in rows[:math.ceil(len(rows) * plan.percent / 100)]:
            chosen[conv_id] = (rank, result_id, "sampled")
    if plan.include_flags:
        wanted = set(plan.include_flags)
        for rows in by_agent.values():
            for rank, conv_id, result_id in rows:
                if conv_id not in chosen:
                    flags = {f["code"] for f in (session.get(Result, result_id).result or {}).get("flags", [])}
                    if flags & wanted:
                        chosen[conv_id] = (rank, result_id, "flagged")

    assigner = _Assigner(plan, reviewers)
    created, adopted = [], []
    for conv_id, (rank, result_id, why) in sorted(chosen.items(), key=lambda kv: kv[1][0]):
        item = existing.get(conv_id)
        if item is not None:
            # already queued (flagged): the plan only assigns it if nobody has it yet
            if item.reviewer_id is None and item.status == "pending" and reviewers:
                item.reviewer_id = reviewers[assigner.next()].id
                item.plan_id, item.period = plan.id, week
                adopted.append(item)
            continue
        first = assigner.next()
        item = ReviewItem(conversation_id=conv_id, source="sampled" if why == "sampled" else "flagged",
                          plan_id=plan.id, period=week, **denormalised(session.get(Result, result_id)))
        if first is not None:
            item.reviewer_id = reviewers[first].id
            if len(reviewers) > 1 and why == "sampled" and _double_review(rank, plan.double_review_percent):
                item.second_reviewer_id = reviewers[(first + 1) % len(reviewers)].id
        session.add(item)
        created.append(item)
    flush_or_conflict(session, f"the review queue (sampling plan {plan.id}, {week})")
    return {"plan_id": plan.id, "week": week, "candidates": len(candidates), "selected": len(chosen),
            "created": len(created), "already_queued": len(chosen) - len(created),
            "double_review": sum(1 for i in created if i.second_reviewer_id is not None),
            "assigned": {u.username: sum(1 for i in created + adopted if i.reviewer_id == u.id) for u in reviewers}}
