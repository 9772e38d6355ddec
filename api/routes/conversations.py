"""Reading conversations and results, replaying audio, re-scoring. Every query is scoped by
the caller's Principal; a conversation outside the scope answers 404 exactly like a missing one."""

from __future__ import annotations

import mimetypes
from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Depends, Path as PathParam, Query, Request
from fastapi.responses import FileResponse
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api import audit, jobs
from api.auth import WRITE_ROLES, Principal, get_principal
from api.db import naive_utc
from api.deps import get_services, get_session
from api.errors import ApiError, error_responses, not_found
from api.models import Conversation, Job, Result
from api.schemas import ConversationDetail, ConversationPage, RescoreAccepted, ResultList
from api.views import conversation_summary, job_out, render_metadata, render_result

router = APIRouter(prefix="/conversations", tags=["conversations"])

ConversationId = PathParam(description="the conversation id returned by the upload", max_length=64)


def get_visible(session: Session, principal: Principal, conversation_id: str) -> Conversation:
    """The conversation if it exists *and* the principal may see it; otherwise 404."""
    conv = session.scalar(principal.scope_conversations(select(Conversation).where(Conversation.id == conversation_id)))
    if conv is None:
        raise not_found("conversation", conversation_id)
    return conv


def _latest(session: Session, ids: list[str]) -> dict[str, Result]:
    if not ids:
        return {}
    newest = (select(Result.conversation_id, func.max(Result.version).label("v"))
              .where(Result.conversation_id.in_(ids)).group_by(Result.conversation_id).subquery())
    rows = session.scalars(select(Result).join(newest, (Result.conversation_id == newest.c.conversation_id)
                                               & (Result.version == newest.c.v))).all()
    return {r.conversation_id: r for r in rows}


@router.get("", response_model=ConversationPage, responses=error_responses(401, 403, 422),
            summary="List the conversations you may see, newest first")
def list_conversations(
    principal: Principal = Depends(get_principal), session: Session = Depends(get_session),
    agent_id: str | None = Query(None, max_length=100), team_id: str | None = Query(None, max_length=100),
    channel: Literal["chat", "call"] | None = None,
    status: Literal["queued", "processing", "scored", "failed"] | None = None,
    external_id: str | None = Query(None, max_length=200),
    created_from: datetime | None = Query(None, description="ISO date-time (UTC if no offset)"),
    created_to: datetime | None = Query(None, description="ISO date-time, exclusive"),
    limit: int = Query(50, ge=1, le=500), offset: int = Query(0, ge=0, le=10_000_000),
) -> ConversationPage:
    principal.require_scope("conversations:read")
    stmt = principal.scope_conversations(select(Conversation))
    for column, value in ((Conversation.agent_id, agent_id), (Conversation.team_id, team_id),
                          (Conversation.channel, channel), (Conversation.status, status),
                          (Conversation.external_id, external_id)):
        if value is not None:
            stmt = stmt.where(column == value)
    if created_from is not None:
        stmt = stmt.where(Conversation.created_at >= naive_utc(created_from))
    if created_to is not None:
        stmt = stmt.where(Conversation.created_at < naive_utc(created_to))
    total = session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = session.scalars(stmt.order_by(Conversation.created_at.desc(), Conversation.id)
                           .limit(limit).offset(offset)).all()
    latest = _latest(session, [r.id for r in rows])
    return ConversationPage(total=total, limit=limit, offset=offset,
                            items=[conversation_summary(r, latest.get(r.id), principal) for r in rows])


@router.get("/{conversation_id}", response_model=ConversationDetail, responses=error_responses(401, 403, 404),
            summary="Status, jobs and the latest result of one conversation")
def get_conversation(conversation_id: str = ConversationId, principal: Principal = Depends(get_principal),
                     session: Session = Depends(get_session)) -> ConversationDetail:
    principal.require_scope("conversations:read")
    conv = get_visible(session, principal, conversation_id)
    latest = _latest(session, [conv.id]).get(conv.id)
    job_rows = session.scalars(select(Job).where(Job.conversation_id == conv.id).order_by(Job.id)).all()
    summary = conversation_summary(conv, latest, principal)
    return ConversationDetail(**summary.model_dump(), metadata=render_metadata(conv.metadata_ or {}, principal),
                              jobs=[job_out(j) for j in job_rows],
                              result=render_result(latest, principal) if latest is not None else None)


@router.get("/{conversation_id}/results", response_model=ResultList, responses=error_responses(401, 403, 404),
            summary="Every result version of a conversation, oldest first")
def list_results(conversation_id: str = ConversationId, principal: Principal = Depends(get_principal),
                 session: Session = Depends(get_session)) -> ResultList:
    principal.require_scope("conversations:read")
    conv = get_visible(session, principal, conversation_id)
    rows = session.scalars(select(Result).where(Result.conversation_id == conv.id).order_by(Result.version)).all()
    return ResultList(conversation_id=conv.id, items=[render_result(r, principal) for r in rows])


@router.get("/{conversation_id}/audio", response_class=FileResponse,
            responses={**error_responses(401, 403, 404, 416),
                       200: {"content": {"audio/*": {}}, "description": "the recording"},
                       206: {"content": {"audio/*": {}}, "description": "the requested byte range"}},
            summary="The recording; supports HTTP Range for seeking. Every request is audited")
def get_audio(request: Request, conversation_id: str = ConversationId, principal: Principal = Depends(get_principal),
              session: Session = Depends(get_session)) -> FileResponse:
    if principal.via == "api_key":
        principal.require_scope("audio:read")
    conv = get_visible(session, principal, conversation_id)
    if not conv.audio_path:
        raise ApiError(404, "not_found", f"conversation {conv.id} has no recording (it was uploaded as text)")
    path = get_services(request).settings.audio_path / conv.audio_path
    if not path.is_file():
        raise ApiError(404, "not_found", f"the recording of conversation {conv.id} is missing from storage; "
                                         "ask an admin to check QA_AUDIO_DIR")
    audio_filename = conv.audio_filename
    session.commit()  # reads done; the audit write starts its own transaction (read session)
    audit.record(session, actor=principal.actor, user_id=principal.user_id, action="replay",
                 target_type="conversation", target_id=conv.id,
                 detail={"range": request.headers.get("range")}, ip=request.client.host if request.client else None)
    session.commit()
    media = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return FileResponse(path, media_type=media, filename=audio_filename or path.name,
                        content_disposition_type="inline")


@router.post("/{conversation_id}/rescore", status_code=202, response_model=RescoreAccepted,
             responses=error_responses(401, 403, 404, 409),
             summary="Score again with the active rule pack; adds a result version if the pack or models changed")
def rescore(request: Request, conversation_id: str = ConversationId, principal: Principal = Depends(get_principal),
            session: Session = Depends(get_session)) -> RescoreAccepted:
    principal.require_scope("conversations:write")
    conv = get_visible(session, principal, conversation_id)  # 404 before 403: no existence hints
    principal.require_role(WRITE_ROLES, "re-score conversations")
    if conv.payload is None:
        raise ApiError(409, "conflict", f"conversation {conv.id} has no transcript yet (status {conv.status}); "
                                        "it is scored automatically once transcribed")
    pending = session.scalar(select(Job).where(Job.conversation_id == conv.id, Job.kind == "score",
                                               Job.status.in_(("queued", "running"))))
    if pending is None:  # one pending score job per conversation is enough
        pending = jobs.enqueue(session, conv.id, "score", {"reason": "rescore"})
        audit.record(session, actor=principal.actor, user_id=principal.user_id, action="rescore",
                     target_type="conversation", target_id=conv.id,
                     ip=request.client.host if request.client else None)
        session.commit()
    return RescoreAccepted(conversation_id=conv.id, job=job_out(pending))
