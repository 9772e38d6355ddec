"""Appeal endpoints; the state machine and deadlines live in api.review.appeals."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Path as PathParam, Query, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth import Principal, get_principal
from api.deps import get_services, get_session
from api.errors import ApiError, error_responses
from api.models import Conversation
from api.review import appeals, service
from api.review.models import APPEAL_STATUSES, Appeal, ReviewItem
from api.review.schemas import AppealIn, DecisionIn

router = APIRouter(prefix="/review", tags=["appeals"], dependencies=[Depends(service.key_scope)])
ConversationId = PathParam(description="the conversation id", max_length=64, pattern=r"^[^\x00]+$")


def _appeal(session: Session, principal: Principal, conversation_id: str) -> tuple[ReviewItem, Appeal]:
    item = service.item_for(session, principal, conversation_id, create=False)
    row = session.scalar(select(Appeal).where(Appeal.item_id == item.id))
    if row is None:
        raise ApiError(404, "not_found", f"conversation {conversation_id} has no appeal")
    return item, row


def _out(session: Session, row: Appeal) -> dict:
    return appeals.appeal_out(row, service.usernames(session, {row.agent_user_id, row.lead_user_id, row.qa_user_id}))


@router.post("/conversations/{conversation_id}/appeal", status_code=201, responses=error_responses(401, 403, 404, 409),
             summary="The agent appeals (申诉) a reviewed result, within the appeal window")
def submit(request: Request, body: AppealIn, conversation_id: str = ConversationId,
           principal: Principal = Depends(get_principal), session: Session = Depends(get_session)) -> dict:
    item = service.item_for(session, principal, conversation_id, create=False)
    row = appeals.submit(session, principal, item, body.reason, request.app.state.review_settings)
    session.commit()
    return _out(session, row)


@router.get("/conversations/{conversation_id}/appeal", responses=error_responses(401, 403, 404))
def get_appeal(request: Request, conversation_id: str = ConversationId, principal: Principal = Depends(get_principal),
               session: Session = Depends(get_session)) -> dict:
    _, row = _appeal(session, principal, conversation_id)
    session.expunge(row)
    appeals.advance_overdue(_Null(), row, request.app.state.review_settings)  # display only
    return _out(session, row)


class _Null:
    def add(self, _obj) -> None:  # noqa: ANN001
        pass

    def flush(self) -> None:
        pass


@router.post("/conversations/{conversation_id}/appeal/decision", responses=error_responses(401, 403, 404, 409),
             summary="Team lead: approve (forward to QA) or reject; QA: uphold or overturn (终审)")
def decide(request: Request, body: DecisionIn, conversation_id: str = ConversationId,
           principal: Principal = Depends(get_principal), session: Session = Depends(get_session)) -> dict:
    item, row = _appeal(session, principal, conversation_id)
    cfg = request.app.state.review_settings
    if body.decision in ("approve", "reject"):
        appeals.lead_decide(session, principal, item, row, body.decision == "approve", body.comment, cfg)
    else:
        appeals.qa_decide(session, principal, item, row, body.decision == "overturn", body.comment, cfg,
                          get_services(request).settings)
    session.commit()
    return _out(session, row)


@router.post("/conversations/{conversation_id}/appeal/withdraw", responses=error_responses(401, 403, 404, 409))
def withdraw(request: Request, conversation_id: str = ConversationId, principal: Principal = Depends(get_principal),
             session: Session = Depends(get_session)) -> dict:
    item, row = _appeal(session, principal, conversation_id)
    appeals.withdraw(session, principal, item, row, request.app.state.review_settings)
    session.commit()
    return _out(session, row)


@router.get("/appeals", responses=error_responses(401, 403), summary="Appeals in your scope, oldest first")
def list_appeals(status: Literal[APPEAL_STATUSES] | None = None,  # type: ignore[valid-type]
                 limit: int = Query(50, ge=1, le=500), offset: int = Query(0, ge=0, le=10_000_000),
                 principal: Principal = Depends(get_principal), session: Session = Depends(get_session)) -> dict:
    stmt = principal.scope_conversations(select(Appeal).join(Conversation, Conversation.id == Appeal.conversation_id))
    if status:
        stmt = stmt.where(Appeal.status == status)
    rows = session.scalars(stmt.order_by(Appeal.submitted_at, Appeal.id).limit(limit).offset(offset)).all()
    return {"items": [_out(session, r) for r in rows], "limit": limit, "offset": offset}
