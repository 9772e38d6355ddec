"""Review items: materialising the queue, verdicts, manual items, completion, role swap, trail.

Every function takes the caller's Principal and finds conversations only through
``Principal.scope_conversations``; outside the scope is 404, like a missing id.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from fastapi import Depends, Request
from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api import audit, jobs
from api.auth import SCOPE_EXTENSIONS, Principal, get_principal
from api.db import utcnow
from api.errors import ApiError, not_found
from api.models import Conversation, Job, Result, User
from api.review.models import ManualItem, ReviewItem, TrailEntry, Verdict
from api.review.scoring import FinalScore, compute_final
from api.settings import Settings
from qa_engine.scoring.scorecard import Scorecard, load_scorecard

REVIEWER_ROLES = frozenset({"qa", "supervisor", "admin"})
QUEUE_ROLES = frozenset({"qa", "team_lead", "supervisor", "admin"})


def key_scope(request: Request, principal: Principal = Depends(get_principal)) -> None:
    """Router dependency: API keys need conversations:read to read and :write to change (people
    have what their role allows). FastAPI resolves get_principal once per request."""
    principal.require_scope("conversations:read" if request.method in ("GET", "HEAD") else "conversations:write")


def _assigned_scope(principal: Principal, model: type[Conversation]):  # noqa: ANN202
    """QA also sees the conversations assigned to them for review, in any team."""
    if principal.role != "qa":
        return None
    mine = select(ReviewItem.conversation_id).where(or_(ReviewItem.reviewer_id == principal.user_id,
                                                        ReviewItem.second_reviewer_id == principal.user_id))
    return model.id.in_(mine)


def install_scope() -> None:
    if _assigned_scope not in SCOPE_EXTENSIONS:
        SCOPE_EXTENSIONS.append(_assigned_scope)


@functools.lru_cache(maxsize=8)
def _card_at(path: str, mtime: float) -> tuple[Scorecard, str]:
    loaded = load_scorecard(Path(path))
    return loaded.scorecard, loaded.sha256


def card_for(settings: Settings, scorecard_sha: str) -> Scorecard | None:
    """The active scorecard if it produced this result (same sha), else None (see scoring.py)."""
    path = Path(settings.scorecard)
    card, sha = _card_at(str(path), path.stat().st_mtime)
    return card if sha == scorecard_sha else None


# ----------------------------------------------------------------------------- items


def denormalised(row: Result) -> dict[str, Any]:
    data = row.result or {}
    flags = sorted({f["code"] for f in data.get("flags", [])})
    rules = sorted({h["rule_id"] for h in data.get("hits", [])})
    emotion = (data.get("analysis") or {}).get("emotion_index") or {}
    return dict(result_id=row.id, machine_score=row.score, veto=row.veto,
                flag_codes="," + "".join(f"{c}," for c in flags), rule_ids="," + "".join(f"{r}," for r in rules),
                emotion_stage=emotion.get("stage"))


def flush_or_conflict(session: Session, what: str) -> None:
    """Two requests creating the same row at once (PostgreSQL, READ COMMITTED): the unique key
    stops the second; it answers 409 (retry) instead of a 500."""
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise ApiError(409, "conflict", f"{what} was changed by another request at the same time; "
                                        "reload and retry") from None


def latest_results_subquery():  # noqa: ANN201
    newest = (select(Result.conversation_id, func.max(Result.version).label("v"))
              .group_by(Result.conversation_id).subquery())
    return (select(Result).join(newest, and_(Result.conversation_id == newest.c.conversation_id,
                                             Result.version == newest.c.v)))


def latest_result(session: Session, conversation_id: str) -> Result | None:
    return session.scalar(select(Result).where(Result.conversation_id == conversation_id)
                          .order_by(Result.version.desc()).limit(1))


def sync_items(session: Session) -> int:
    """Give every flagged latest result a queue item, and move open items to a newer result
    version (re-score, role swap). Cheap and idempotent; called before the queue is read."""
    latest = latest_results_subquery().subquery()
    missing = session.execute(
        select(latest.c.id, latest.c.conversation_id).where(latest.c.needs_review.is_(True))
        .where(~select(ReviewItem.id).where(ReviewItem.conversation_id == latest.c.conversation_id).exists())
    ).all()
    changed = 0
    for result_id, conversation_id in missing:
        row = session.get(Result, result_id)
        session.add(ReviewItem(conversation_id=conversation_id, source="flagged", **denormalised(row)))
        changed += 1
    stale = session.execute(
        select(ReviewItem, latest.c.id).join(latest, latest.c.conversation_id == ReviewItem.conversation_id)
        .where(ReviewItem.result_id != latest.c.id, ReviewItem.status != "done")
    ).all()
    for item, result_id in stale:
        for key, value in denormalised(session.get(Result, result_id)).items():
            setattr(item, key, value)
        changed += 1
    if changed:
        session.flush()
    return changed


def visible_conversation(session: Session, principal: Principal, conversation_id: str) -> Conversation:
    conv = session.scalar(principal.scope_conversations(select(Conversation).where(Conversation.id == conversation_id)))
    if conv is None:
        raise not_found("conversation", conversation_id)
    return conv


def item_for(session: Session, principal: Principal, conversation_id: str, *, create: bool) -> ReviewItem:
    """The review item of a visible conversation; a reviewer acting on an unqueued conversation
    creates one (source ``manual``)."""
    conv = visible_conversation(session, principal, conversation_id)
    item = session.scalar(select(ReviewItem).where(ReviewItem.conversation_id == conv.id))
    if item is None:
        if not create:
            raise ApiError(404, "not_found", f"conversation {conv.id} has no review yet")
        row = latest_result(session, conv.id)
        if row is None:
            raise ApiError(409, "conflict", f"conversation {conv.id} is not scored yet (status {conv.status}); "
                                            "it can be reviewed once it has a result")
        item = ReviewItem(conversation_id=conv.id, source="manual", **denormalised(row))
        session.add(item)
        flush_or_conflict(session, f"the review of conversation {conv.id}")
    return item


def add_trail(session: Session, principal: Principal, item: ReviewItem, action: str, field: str | None = None,
              old: Any = None, new: Any = None) -> None:
    session.add(TrailEntry(conversation_id=item.conversation_id, item_id=item.id, user_id=principal.user_id,
                           actor=principal.actor, action=action, field=field, old=old, new=new))


def is_blind_reviewer(principal: Principal, item: ReviewItem) -> bool:
    return item.second_reviewer_id == principal.user_id and item.reviewer_id != principal.user_id


def require_editable(session: Session, principal: Principal, item: ReviewItem) -> None:
    """Verdicts change while the review is open, or during an appeal forwarded to QA."""
    principal.require_role(REVIEWER_ROLES, "review conversations")
    if item.status != "done" or is_blind_reviewer(principal, item):
        return
    from api.review.models import Appeal

    appeal = session.scalar(select(Appeal).where(Appeal.item_id == item.id))
    if appeal is None or appeal.status != "forwarded":
        state = "closed by a final judgement (终审)" if appeal is not None else "completed"
        raise ApiError(409, "conflict", f"the review of conversation {item.conversation_id} is {state}; "
                                        "changes are only possible while an appeal is with QA")


def _start(session: Session, principal: Principal, item: ReviewItem) -> None:
    if item.status == "pending":
        add_trail(session, principal, item, "status", "status", "pending", "in_review")
        item.status = "in_review"
    if item.reviewer_id is None and not is_blind_reviewer(principal, item):
        add_trail(session, principal, item, "assign", "reviewer_id", None, principal.user_id)
        item.reviewer_id = principal.user_id


def set_verdicts(session: Session, principal: Principal, item: ReviewItem, verdicts: list[dict[str, str]],
                 settings: Settings) -> None:
    require_editable(session, principal, item)
    result = session.get(Result, item.result_id)
    hits = {h["id"]: h for h in (result.result or {}).get("hits", [])}
    unknown = [v["hit_id"] for v in verdicts if v["hit_id"] not in hits]
    if unknown:
        raise ApiError(422, "invalid_input", f"hit(s) {', '.join(unknown)} are not in result version "
                                             f"{result.version} of conversation {item.conversation_id}",
                       details=[{"hit_id": h} for h in unknown])
    kind = "blind" if is_blind_reviewer(principal, item) else "primary"
    _start(session, principal, item)
    for v in verdicts:
        row = session.scalar(select(Verdict).where(Verdict.result_id == result.id, Verdict.hit_id == v["hit_id"],
                                                   Verdict.kind == kind))
        old = {"verdict": row.verdict, "comment": row.comment, "reviewer": row.reviewer} if row else None
        new = {"verdict": v["verdict"], "comment": v.get("comment", ""), "reviewer": principal.actor}
        if old == new:
            continue
        if row is None:
            row = Verdict(item_id=item.id, result_id=result.id, hit_id=v["hit_id"], kind=kind,
                          rule_id=hits[v["hit_id"]]["rule_id"], verdict=v["verdict"], comment=new["comment"],
                          reviewer_id=principal.user_id, reviewer=principal.actor)
            session.add(row)
        else:
            row.verdict, row.comment = v["verdict"], new["comment"]
            row.reviewer_id, row.reviewer = principal.user_id, principal.actor
        add_trail(session, principal, item, f"verdict_{kind}", f"hits.{v['hit_id']}", old, new)
    flush_or_conflict(session, f"a verdict on conversation {item.conversation_id}")
    recompute(session, principal, item, settings)


def add_manual(session: Session, principal: Principal, item: ReviewItem, dimension: str, points: float,
               reason: str, settings: Settings) -> ManualItem:
    require_editable(session, principal, item)
    if is_blind_reviewer(principal, item):
        raise ApiError(403, "forbidden", "a blind second review records verdicts only, not score items")
    result = session.get(Result, item.result_id)
    dims = {d["id"] for d in (result.result or {}).get("dimensions", [])}
    if dimension not in dims:
        raise ApiError(422, "invalid_input", f"unknown dimension {dimension!r}; this scorecard has "
                                             f"{', '.join(sorted(dims))}")
    _start(session, principal, item)
    row = ManualItem(item_id=item.id, result_id=result.id, dimension=dimension, points=points, reason=reason,
                     created_by=principal.user_id, created_by_name=principal.actor)
    session.add(row)
    session.flush()
    add_trail(session, principal, item, "manual_item_add", f"manual_items.{row.id}", None,
              {"dimension": dimension, "points": points, "reason": reason})
    recompute(session, principal, item, settings)
    return row


def remove_manual(session: Session, principal: Principal, item: ReviewItem, manual_id: int,
                  settings: Settings) -> None:
    require_editable(session, principal, item)
    row = session.get(ManualItem, manual_id)
    if row is None or row.item_id != item.id or not row.active:
        raise not_found("manual item", manual_id)
    row.active = False
    add_trail(session, principal, item, "manual_item_remove", f"manual_items.{row.id}",
              {"dimension": row.dimension, "points": row.points, "reason": row.reason}, None)
    recompute(session, principal, item, settings)


def final_for(session: Session, item: ReviewItem, settings: Settings) -> FinalScore:
    result = session.get(Result, item.result_id)
    rejected = set(session.scalars(select(Verdict.hit_id).where(
        Verdict.result_id == result.id, Verdict.kind == "primary", Verdict.verdict == "rejected")))
    manual = [(m.dimension, m.points) for m in session.scalars(select(ManualItem).where(
        ManualItem.item_id == item.id, ManualItem.result_id == result.id, ManualItem.active.is_(True)))]
    return compute_final(result.result or {}, card_for(settings, result.scorecard_sha), rejected, manual)


def recompute(session: Session, principal: Principal, item: ReviewItem, settings: Settings) -> FinalScore:
    final = final_for(session, item, settings)
    old = {"score": item.final_score, "grade": item.final_grade, "veto": item.final_veto}
    new = {"score": final.score, "grade": final.grade, "veto": final.veto}
    if old != new:
        item.final_score, item.final_grade = final.score, final.grade
        item.final_veto, item.final_passed = final.veto, final.passed
        add_trail(session, principal, item, "final_score", "final", old, new)
        audit.record(session, actor=principal.actor, user_id=principal.user_id, action="score_change",
                     target_type="conversation", target_id=item.conversation_id,
                     detail={"result_id": item.result_id, "old": old, "new": new})
    item.updated_at = utcnow()
    return final


def complete(session: Session, principal: Principal, item: ReviewItem, settings: Settings) -> None:
    principal.require_role(REVIEWER_ROLES, "complete reviews")
    if is_blind_reviewer(principal, item):
        raise ApiError(403, "forbidden", "the blind second reviewer does not complete the review")
    if item.status == "done":
        raise ApiError(409, "conflict", f"the review of conversation {item.conversation_id} is already done")
    _start(session, principal, item)
    recompute(session, principal, item, settings)
    add_trail(session, principal, item, "status", "status", item.status, "done")
    item.status, item.done_at = "done", utcnow()


def role_swap(session: Session, principal: Principal, item: ReviewItem) -> Job:
    """Swap agent and customer in the stored transcript and queue a re-score. The job's variant
    makes it a new result version although pack and models are unchanged (api.processing)."""
    require_editable(session, principal, item)
    if is_blind_reviewer(principal, item):
        raise ApiError(403, "forbidden", "the blind second reviewer cannot swap roles")
    conv = session.get(Conversation, item.conversation_id)
    if conv.payload is None:
        raise ApiError(409, "conflict", f"conversation {conv.id} has no transcript to swap")
    pending = session.scalar(select(Job).where(Job.conversation_id == conv.id, Job.kind == "score",
                                               Job.status.in_(("queued", "running"))))
    if pending is not None:
        raise ApiError(409, "conflict", f"conversation {conv.id} is being scored (job {pending.id}); "
                                        "swap roles once it is done")
    swap = {"agent": "customer", "customer": "agent"}
    payload = dict(conv.payload)
    payload["utterances"] = [{**u, "speaker": swap.get(u.get("speaker"), u.get("speaker"))}
                             for u in payload.get("utterances", [])]
    meta = dict(payload.get("metadata") or {})
    meta["roles_swapped"] = int(meta.get("roles_swapped", 0)) + 1
    payload["metadata"] = meta
    conv.payload = payload
    _start(session, principal, item)
    add_trail(session, principal, item, "role_swap", "speakers", {"roles_swapped": meta["roles_swapped"] - 1},
              {"roles_swapped": meta["roles_swapped"]})
    audit.record(session, actor=principal.actor, user_id=principal.user_id, action="role_swap",
                 target_type="conversation", target_id=conv.id, detail={"roles_swapped": meta["roles_swapped"]})
    return jobs.enqueue(session, conv.id, "score", {"reason": "role_swap",
                                                    "variant": f"roles-swapped-{meta['roles_swapped']}"})


def usernames(session: Session, ids: set[int | None]) -> dict[int, str]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return dict(session.execute(select(User.id, User.username).where(User.id.in_(sorted(ids)))).all())
