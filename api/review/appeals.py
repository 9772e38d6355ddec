"""Appeals (申诉): agent -> team lead -> QA -> final judgement (终审, no further appeal).

States::

    submitted --lead approve--> forwarded --qa uphold--> upheld      (final)
        |                           \\--qa overturn--> overturned  (final, score recomputed)
        |--lead reject--> rejected (final)
        \\--agent withdraw--> withdrawn (final)

Deadlines: the agent appeals within ``appeal_window_days`` of the review's completion (409
after). The team lead has ``lead_days``; an appeal the lead leaves past its deadline moves on to
QA by itself (recorded in the trail as actor "system"), so an idle lead cannot bury it. QA has
``qa_days`` from forwarding; an overdue appeal is reported as ``overdue`` but can still be
judged, since only a judgement ends it. Any other transition answers 409 with the state.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth import Principal
from api.db import utcnow
from api.errors import ApiError
from api.review.models import APPEAL_FINAL, Appeal, ReviewItem, TrailEntry
from api.review.privacy import mask_str
from api.review.schemas import utc
from api.review.service import add_trail, flush_or_conflict, recompute
from api.review.settings import ReviewSettings
from api.settings import Settings

LABELS = {"submitted": "待主管审核", "forwarded": "待质检复核", "rejected": "主管驳回", "upheld": "维持原判（终审）",
          "overturned": "改判（终审）", "withdrawn": "已撤回"}


def _conflict(appeal: Appeal, action: str) -> ApiError:
    return ApiError(409, "conflict", f"appeal {appeal.id} is '{appeal.status}' ({LABELS[appeal.status]}); "
                                     f"'{action}' is not possible in that state")


def advance_overdue(session: Session, appeal: Appeal, cfg: ReviewSettings) -> None:
    """Move a submitted appeal past an expired lead deadline on to QA."""
    now = utcnow()
    if appeal.status == "submitted" and now > appeal.lead_due_at:
        appeal.status = "forwarded"
        appeal.lead_comment = "主管未在期限内处理，自动转质检复核"
        appeal.lead_at = appeal.lead_due_at
        appeal.qa_due_at = appeal.lead_due_at + timedelta(days=cfg.appeal_qa_days)
        session.add(TrailEntry(conversation_id=appeal.conversation_id, item_id=appeal.item_id, actor="system",
                               action="appeal", field="appeal.status", old="submitted", new="forwarded"))
        session.flush()


def appeal_out(appeal: Appeal, names: dict[int, str]) -> dict:
    now = utcnow()
    due = {"submitted": appeal.lead_due_at, "forwarded": appeal.qa_due_at}.get(appeal.status)
    return {"id": appeal.id, "conversation_id": appeal.conversation_id, "status": appeal.status,
            "status_label": LABELS[appeal.status], "final": appeal.status in APPEAL_FINAL,
            "reason": mask_str(appeal.reason), "agent": names.get(appeal.agent_user_id),
            "score_before": appeal.score_before, "score_after": appeal.score_after,
            "submitted_at": utc(appeal.submitted_at), "lead_due_at": utc(appeal.lead_due_at), "qa_due_at": utc(appeal.qa_due_at),
            "due_at": utc(due), "overdue": bool(due and now > due),
            "lead": names.get(appeal.lead_user_id), "lead_comment": mask_str(appeal.lead_comment), "lead_at": utc(appeal.lead_at),
            "qa": names.get(appeal.qa_user_id), "qa_comment": mask_str(appeal.qa_comment), "qa_at": utc(appeal.qa_at),
            "closed_at": utc(appeal.closed_at)}


def submit(session: Session, principal: Principal, item: ReviewItem, reason: str, cfg: ReviewSettings) -> Appeal:
    principal.require_role({"agent"}, "appeal a result (only the agent of the conversation may)")
    existing = session.scalar(select(Appeal).where(Appeal.item_id == item.id))
    if existing is not None:
        raise ApiError(409, "conflict", f"conversation {item.conversation_id} already has appeal {existing.id} "
                                        f"({LABELS[existing.status]}); a result can be appealed once")
    if item.status != "done" or item.done_at is None:
        raise ApiError(409, "conflict", f"the review of conversation {item.conversation_id} is not finished "
                                        f"(status {item.status}); appeal once it is done")
    deadline = item.done_at + timedelta(days=cfg.appeal_window_days)
    now = utcnow()
    if now > deadline:
        raise ApiError(409, "conflict", f"the appeal window closed at {deadline.isoformat()}Z "
                                        f"({cfg.appeal_window_days} days after the review)")
    appeal = Appeal(item_id=item.id, conversation_id=item.conversation_id, reason=reason,
                    agent_user_id=principal.user_id, score_before=item.final_score, submitted_at=now,
                    lead_due_at=now + timedelta(days=cfg.appeal_lead_days))
    session.add(appeal)
    flush_or_conflict(session, f"the appeal of conversation {item.conversation_id}")
    add_trail(session, principal, item, "appeal", "appeal.status", None, "submitted")
    return appeal


def lead_decide(session: Session, principal: Principal, item: ReviewItem, appeal: Appeal, approve: bool,
                comment: str, cfg: ReviewSettings) -> None:
    principal.require_role({"team_lead", "supervisor", "admin"}, "decide appeals at the team-lead step")
    advance_overdue(session, appeal, cfg)
    action = "approve" if approve else "reject"
    if appeal.status != "submitted":
        raise _conflict(appeal, action)
    now = utcnow()
    appeal.lead_user_id, appeal.lead_comment, appeal.lead_at = principal.user_id, comment, now
    if approve:
        appeal.status, appeal.qa_due_at = "forwarded", now + timedelta(days=cfg.appeal_qa_days)
    else:
        appeal.status, appeal.closed_at, appeal.score_after = "rejected", now, item.final_score
    add_trail(session, principal, item, "appeal", "appeal.status", "submitted", appeal.status)


def qa_decide(session: Session, principal: Principal, item: ReviewItem, appeal: Appeal, overturn: bool,
              comment: str, cfg: ReviewSettings, settings: Settings) -> None:
    principal.require_role({"qa", "supervisor", "admin"}, "judge appeals")
    advance_overdue(session, appeal, cfg)
    action = "overturn" if overturn else "uphold"
    if appeal.status != "forwarded":
        raise _conflict(appeal, action)
    final = recompute(session, principal, item, settings)  # verdicts QA changed during the appeal
    if overturn and final.score == appeal.score_before:
        raise ApiError(409, "conflict", "overturning needs a changed score: change verdicts or score items "
                                        "first, or uphold the result")
    if not overturn and final.score != appeal.score_before:
        raise ApiError(409, "conflict", f"the score changed during the appeal ({appeal.score_before} -> "
                                        f"{final.score}); overturn, or revert the changes to uphold")
    now = utcnow()
    appeal.qa_user_id, appeal.qa_comment, appeal.qa_at = principal.user_id, comment, now
    appeal.status = "overturned" if overturn else "upheld"
    appeal.closed_at, appeal.score_after = now, final.score
    add_trail(session, principal, item, "appeal", "appeal.status", "forwarded", appeal.status)


def withdraw(session: Session, principal: Principal, item: ReviewItem, appeal: Appeal, cfg: ReviewSettings) -> None:
    if principal.user_id != appeal.agent_user_id:
        raise ApiError(403, "forbidden", "only the agent who appealed may withdraw the appeal")
    advance_overdue(session, appeal, cfg)
    if appeal.status not in ("submitted", "forwarded"):
        raise _conflict(appeal, "withdraw")
    old = appeal.status
    appeal.status, appeal.closed_at, appeal.score_after = "withdrawn", utcnow(), item.final_score
    add_trail(session, principal, item, "appeal", "appeal.status", old, "withdrawn")
