"""Review queue, sampling, per-conversation review (verdicts, manual items, role swap, completion)."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Depends, Path as PathParam, Query, Request
from fastapi.responses import Response
from sqlalchemy import false, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api import audit
from api.auth import Principal, get_principal
from api.db import naive_utc
from api.deps import get_services, get_session
from api.errors import ApiError, error_responses, not_found
from api.models import Conversation, Result, User
from api.review import service
from api.review.appeals import advance_overdue, appeal_out
from api.review.models import Appeal, ManualItem, ReviewItem, SamplingPlan, TrailEntry, Verdict
from api.review.privacy import mask_json, mask_result_for, mask_str
from api.review.sampling import run_plan
from api.review.schemas import (ManualIn, PlanIn, PlanOut, QueueItem, QueuePage, ReviewDetail, SamplingOut,
                                SamplingRun, VerdictsIn, has_nul, utc)

router = APIRouter(prefix="/review", tags=["review"], dependencies=[Depends(service.key_scope)])
ConversationId = PathParam(description="the conversation id", max_length=64, pattern=r"^[^\x00]+$")
Unmask = Query(False, description="show PII unmasked (needs the unmask permission; audited)")


class QueueFilters:
    def __init__(self, team_id: str | None = Query(None, max_length=100), agent_id: str | None = Query(None, max_length=100),
                 rule_id: str | None = Query(None, max_length=100), flag: str | None = Query(None, max_length=50),
                 score_min: float | None = Query(None, ge=0, le=100), score_max: float | None = Query(None, ge=0, le=100),
                 emotion_stage: Literal["normal", "fluctuating", "agitated", "angry"] | None = None,
                 date_from: datetime | None = Query(None, description="conversation start, ISO date-time"),
                 date_to: datetime | None = Query(None, description="exclusive"),
                 status: Literal["pending", "in_review", "done"] | None = None,
                 source: Literal["flagged", "sampled", "manual"] | None = None,
                 reviewer: str | None = Query(None, max_length=100, description="username (first or second)"),
                 sort: Literal["created_at", "score", "started_at"] = "created_at",
                 order: Literal["asc", "desc"] = "desc") -> None:
        self.__dict__.update(locals())
        del self.__dict__["self"]
        _refuse_nul(self.__dict__)


def _refuse_nul(params: dict) -> None:
    if has_nul(params):
        raise ApiError(422, "invalid_request", "query parameters must not contain NUL (%00) characters")


def queue_query(session: Session, principal: Principal, f: QueueFilters):  # noqa: ANN201
    stmt = principal.scope_conversations(select(ReviewItem, Conversation)
                                         .join(Conversation, Conversation.id == ReviewItem.conversation_id))
    for column, value in ((Conversation.team_id, f.team_id), (Conversation.agent_id, f.agent_id),
                          (ReviewItem.status, f.status), (ReviewItem.source, f.source),
                          (ReviewItem.emotion_stage, f.emotion_stage)):
        if value is not None:
            stmt = stmt.where(column == value)
    if f.rule_id:
        stmt = stmt.where(ReviewItem.rule_ids.contains(f",{f.rule_id},", autoescape=True))
    if f.flag:
        stmt = stmt.where(ReviewItem.flag_codes.contains(f",{f.flag},", autoescape=True))
    if f.score_min is not None:
        stmt = stmt.where(ReviewItem.machine_score >= f.score_min)
    if f.score_max is not None:
        stmt = stmt.where(ReviewItem.machine_score <= f.score_max)
    when = func.coalesce(Conversation.started_at, Conversation.created_at)
    if f.date_from is not None:
        stmt = stmt.where(when >= naive_utc(f.date_from))
    if f.date_to is not None:
        stmt = stmt.where(when < naive_utc(f.date_to))
    if f.reviewer:
        uid = session.scalar(select(User.id).where(User.username == f.reviewer))
        # an unknown name matches nothing (comparing with None would select the unassigned)
        stmt = stmt.where(or_(ReviewItem.reviewer_id == uid, ReviewItem.second_reviewer_id == uid)
                          if uid is not None else false())
    key = {"created_at": ReviewItem.created_at, "score": ReviewItem.machine_score, "started_at": when}[f.sort]
    return stmt.order_by(key.asc() if f.order == "asc" else key.desc(), ReviewItem.id)


def _row(item: ReviewItem, conv: Conversation, names: dict[int, str], principal: Principal) -> QueueItem:
    show_second = principal.role in ("supervisor", "admin") or item.second_reviewer_id == principal.user_id
    return QueueItem(conversation_id=conv.id, external_id=mask_str(conv.external_id), channel=conv.channel,
                     agent_id=conv.agent_id, team_id=conv.team_id, started_at=conv.started_at, status=item.status,
                     source=item.source, plan_id=item.plan_id, period=item.period,
                     reviewer=names.get(item.reviewer_id),
                     second_reviewer=names.get(item.second_reviewer_id) if show_second else None,
                     result_id=item.result_id, machine_score=item.machine_score, veto=item.veto,
                     flags=[c for c in item.flag_codes.split(",") if c], rules=[r for r in item.rule_ids.split(",") if r],
                     emotion_stage=item.emotion_stage, final_score=item.final_score, final_grade=item.final_grade,
                     created_at=item.created_at)


def _sync(request: Request) -> None:
    with get_services(request).sessions() as s:  # its own write transaction, whatever the request's is
        try:
            service.sync_items(s)
            s.commit()
        except IntegrityError:  # a concurrent request queued the same conversation: it is there now
            s.rollback()


@router.get("/queue", response_model=QueuePage, responses=error_responses(401, 403),
            summary="Flagged and sampled conversations to review, in your scope")
def queue(request: Request, f: QueueFilters = Depends(), limit: int = Query(50, ge=1, le=500),
          offset: int = Query(0, ge=0, le=10_000_000), principal: Principal = Depends(get_principal),
          session: Session = Depends(get_session)) -> QueuePage:
    principal.require_role(service.QUEUE_ROLES, "see the review queue")
    _sync(request)
    stmt = queue_query(session, principal, f)
    total = session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = session.execute(stmt.limit(limit).offset(offset)).all()
    names = service.usernames(session, {i.reviewer_id for i, _ in rows} | {i.second_reviewer_id for i, _ in rows})
    return QueuePage(total=total, limit=limit, offset=offset, items=[_row(i, c, names, principal) for i, c in rows])


@router.get("/queue/export", responses={**error_responses(401, 403),
                                        200: {"content": {"text/csv": {}, "application/json": {}}}},
            summary="The filtered queue as CSV or JSON (PII masked); audited")
def export_queue(request: Request, f: QueueFilters = Depends(), format: Literal["csv", "json"] = "csv",  # noqa: A002
                 principal: Principal = Depends(get_principal), session: Session = Depends(get_session)) -> Response:
    principal.require_role(service.QUEUE_ROLES, "export the review queue")
    _sync(request)
    rows = session.execute(queue_query(session, principal, f).limit(50_000)).all()
    names = service.usernames(session, {i.reviewer_id for i, _ in rows} | {i.second_reviewer_id for i, _ in rows})
    items = [_row(i, c, names, principal).model_dump(mode="json") for i, c in rows]
    session.commit()
    audit.record(session, actor=principal.actor, user_id=principal.user_id, action="export",
                 target_type="review_queue", detail={"format": format, "rows": len(items)},
                 ip=request.client.host if request.client else None)
    session.commit()
    if format == "json":
        return Response(json.dumps(items, ensure_ascii=False), media_type="application/json")
    out = io.StringIO()
    columns = list(QueueItem.model_fields)
    writer = csv.DictWriter(out, fieldnames=columns)
    writer.writeheader()
    for row in items:
        writer.writerow({k: ",".join(v) if isinstance(v, list) else v for k, v in row.items()})
    # BOM: Excel opens UTF-8 CSV with Chinese text correctly only with it
    return Response("\ufeff" + out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="review-queue.csv"'})


# ----------------------------------------------------------------------------- sampling


def _plan_out(p: SamplingPlan) -> PlanOut:
    return PlanOut(id=p.id, name=p.name, team_id=p.team_id, percent=p.percent, include_flags=p.include_flags,
                   reviewers=p.reviewers, assignment=p.assignment, shares=p.shares,
                   double_review_percent=p.double_review_percent, active=p.active, created_at=p.created_at)


@router.post("/sampling/plans", status_code=201, response_model=PlanOut, responses=error_responses(401, 403),
             summary="Create a sampling plan (e.g. 5 % per agent per week + all vetoes)")
def create_plan(body: PlanIn, principal: Principal = Depends(get_principal),
                session: Session = Depends(get_session)) -> PlanOut:
    principal.require_role(service.REVIEWER_ROLES, "create sampling plans")
    if body.team_id and not principal.may_write_team(body.team_id):
        raise ApiError(403, "forbidden", f"you do not cover team {body.team_id}")
    plan = SamplingPlan(**body.model_dump(), created_by=principal.user_id)
    session.add(plan)
    session.commit()
    return _plan_out(plan)


@router.get("/sampling/plans", response_model=list[PlanOut], responses=error_responses(401, 403))
def list_plans(principal: Principal = Depends(get_principal), session: Session = Depends(get_session)) -> list[PlanOut]:
    principal.require_role(service.QUEUE_ROLES, "see sampling plans")
    return [_plan_out(p) for p in session.scalars(select(SamplingPlan).order_by(SamplingPlan.id))]


@router.post("/sampling/run", response_model=SamplingOut, responses=error_responses(401, 403, 404),
             summary="Materialise a plan's review items for one ISO week (idempotent, deterministic)")
def run_sampling(request: Request, body: SamplingRun, principal: Principal = Depends(get_principal),
                 session: Session = Depends(get_session)) -> SamplingOut:
    principal.require_role(service.REVIEWER_ROLES, "run sampling plans")
    plan = session.get(SamplingPlan, body.plan_id)
    if plan is None or (plan.team_id and plan.team_id not in principal.team_ids and not principal.is_admin):
        raise not_found("sampling plan", body.plan_id)
    out = run_plan(session, principal, plan, body.week, request.app.state.review_settings.timezone)
    session.commit()
    return SamplingOut(**out)


# ----------------------------------------------------------------------------- one review


def _detail(session: Session, principal: Principal, item: ReviewItem, unmask: bool, request: Request) -> ReviewDetail:
    settings = get_services(request).settings
    result = session.get(Result, item.result_id)
    blind = service.is_blind_reviewer(principal, item)
    kinds = ("blind",) if blind else ("primary",)
    verdicts = {v.hit_id: v for v in session.scalars(select(Verdict).where(
        Verdict.result_id == result.id, Verdict.kind.in_(kinds)))}
    data = mask_result_for(result.result or {}, principal, unmask)
    points = {h: d["points"] for d in data.get("deductions", []) for h in d.get("hit_ids", [])}
    hits = [{"id": h["id"], "rule_id": h["rule_id"], "rule_name": h["rule_name"], "severity": h["severity"],
             "utterance_indices": h["utterance_indices"], "matched_text": h.get("matched_text", ""),
             "explanation": h.get("explanation", ""), "item_points": points.get(h["id"]),
             "verdict": ({"verdict": verdicts[h["id"]].verdict, "comment": mask_str(verdicts[h["id"]].comment),
                          "reviewer": verdicts[h["id"]].reviewer, "at": utc(verdicts[h["id"]].updated_at)}
                         if h["id"] in verdicts else None)} for h in data.get("hits", [])]
    names = service.usernames(session, {item.reviewer_id, item.second_reviewer_id})
    item_out = {"status": item.status, "source": item.source, "plan_id": item.plan_id, "period": item.period,
                "result_id": item.result_id, "result_version": result.version,
                "reviewer": names.get(item.reviewer_id), "done_at": utc(item.done_at)}
    manual, final, appeal, trail = [], None, None, []
    if not blind:
        manual = [{"id": m.id, "dimension": m.dimension, "points": m.points, "reason": mask_str(m.reason),
                   "by": m.created_by_name, "at": utc(m.created_at)} for m in session.scalars(
            select(ManualItem).where(ManualItem.item_id == item.id, ManualItem.result_id == result.id,
                                     ManualItem.active.is_(True)).order_by(ManualItem.id))]
        final = service.final_for(session, item, settings).as_dict()
        row = session.scalar(select(Appeal).where(Appeal.item_id == item.id))
        if row is not None:
            cfg = request.app.state.review_settings
            session.expunge(row)  # show an overdue lead step as moved on, without writing in a GET
            advance_overdue(_NoWrite(), row, cfg)
            appeal = appeal_out(row, service.usernames(session, {row.agent_user_id, row.lead_user_id,
                                                                 row.qa_user_id}))
        trail = [{"at": utc(t.at), "actor": t.actor, "action": t.action, "field": t.field,
                  "old": mask_json(t.old), "new": mask_json(t.new)} for t in session.scalars(
            select(TrailEntry).where(TrailEntry.item_id == item.id).order_by(TrailEntry.id))]
    if unmask:
        session.commit()  # end the reads; the audit write starts its own transaction
        audit.record(session, actor=principal.actor, user_id=principal.user_id, action="unmask",
                     target_type="conversation", target_id=item.conversation_id, detail={"path": request.url.path},
                     ip=request.client.host if request.client else None)
        session.commit()
    return ReviewDetail(conversation_id=item.conversation_id, item=item_out, blind=blind, hits=hits,
                        manual_items=manual, final=final, appeal=appeal, trail=trail, result=data)


class _NoWrite:
    """A stand-in session for display-only state changes (see _detail)."""

    def add(self, _obj) -> None:  # noqa: ANN001
        pass

    def flush(self) -> None:
        pass


@router.get("/conversations/{conversation_id}", response_model=ReviewDetail, responses=error_responses(401, 403, 404),
            summary="The review of one conversation: hits with verdicts, manual items, final score, appeal, trail")
def get_review(request: Request, conversation_id: str = ConversationId, unmask: bool = Unmask,
               principal: Principal = Depends(get_principal), session: Session = Depends(get_session)) -> ReviewDetail:
    _sync(request)  # a flagged conversation has a review item before anyone opened the queue
    item = service.item_for(session, principal, conversation_id, create=False)
    return _detail(session, principal, item, unmask, request)


def _write(request: Request, session: Session, principal: Principal, item: ReviewItem) -> ReviewDetail:
    session.commit()
    return _detail(session, principal, item, False, request)


@router.post("/conversations/{conversation_id}/verdicts", response_model=ReviewDetail,
             responses=error_responses(401, 403, 404, 409),
             summary="Confirm (机检正确) or reject (机检不正确) hits, with comments; recomputes the final score")
def post_verdicts(request: Request, body: VerdictsIn, conversation_id: str = ConversationId,
                  principal: Principal = Depends(get_principal), session: Session = Depends(get_session)) -> ReviewDetail:
    item = service.item_for(session, principal, conversation_id, create=True)
    service.set_verdicts(session, principal, item, [v.model_dump() for v in body.verdicts],
                         get_services(request).settings)
    return _write(request, session, principal, item)


@router.post("/conversations/{conversation_id}/manual-items", status_code=201, response_model=ReviewDetail,
             responses=error_responses(401, 403, 404, 409), summary="Add a manual score item (+/- points, reason)")
def post_manual(request: Request, body: ManualIn, conversation_id: str = ConversationId,
                principal: Principal = Depends(get_principal), session: Session = Depends(get_session)) -> ReviewDetail:
    item = service.item_for(session, principal, conversation_id, create=True)
    service.add_manual(session, principal, item, body.dimension, body.points, body.reason,
                       get_services(request).settings)
    return _write(request, session, principal, item)


@router.delete("/conversations/{conversation_id}/manual-items/{manual_id}", response_model=ReviewDetail,
               responses=error_responses(401, 403, 404, 409), summary="Withdraw a manual score item (kept in the trail)")
def delete_manual(request: Request, manual_id: int = PathParam(ge=1, le=2**62), conversation_id: str = ConversationId,
                  principal: Principal = Depends(get_principal), session: Session = Depends(get_session)) -> ReviewDetail:
    item = service.item_for(session, principal, conversation_id, create=False)
    service.remove_manual(session, principal, item, manual_id, get_services(request).settings)
    return _write(request, session, principal, item)


@router.post("/conversations/{conversation_id}/complete", response_model=ReviewDetail,
             responses=error_responses(401, 403, 404, 409), summary="Finish the review; the final score is fixed")
def post_complete(request: Request, conversation_id: str = ConversationId,
                  principal: Principal = Depends(get_principal), session: Session = Depends(get_session)) -> ReviewDetail:
    item = service.item_for(session, principal, conversation_id, create=True)
    service.complete(session, principal, item, get_services(request).settings)
    return _write(request, session, principal, item)


@router.post("/conversations/{conversation_id}/role-swap", status_code=202, responses=error_responses(401, 403, 404, 409),
             summary="Swap agent and customer (mis-labelled call) and re-score as a new result version")
def post_role_swap(conversation_id: str = ConversationId, principal: Principal = Depends(get_principal),
                   session: Session = Depends(get_session)) -> dict:
    item = service.item_for(session, principal, conversation_id, create=True)
    job = service.role_swap(session, principal, item)
    session.commit()
    return {"conversation_id": item.conversation_id, "job": {"id": job.id, "kind": job.kind, "status": job.status}}
