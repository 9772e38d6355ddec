"""Login, the review queue, a conversation, the agent's own page, and audio for the player."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from api import audit
from api.auth import Principal, authenticate, issue_token
from api.deps import get_services, get_session
from api.errors import ApiError
from api.routes import auth as auth_routes
from api.routes.conversations import get_audio
from api.web import review_link, transcript
from api.web.data import (APPEAL_WINDOW_DAYS, SORTS, get_conversation, latest_result, queue_row,
                          unmask_audited_by_filter, viewable, visible_results)
from api.web.render import page
from api.web.session import COOKIE, PageError, page_principal, safe_next

router = APIRouter(include_in_schema=False)
HIT_PAGE = 100


def not_found_page() -> PageError:
    # Same page for "no such id" and "not yours", as the API's 404: no existence hints.
    return PageError(404, "未找到", "该会话不存在，或您无权查看。")


@router.get("/login")
def login_form(request: Request, next: str = "/"):  # noqa: A002
    return page(request, "login.html", {"next": safe_next(next), "error": None, "me": None})


@router.post("/login")
def login(request: Request, username: str = Form(..., max_length=200), password: str = Form(..., max_length=500),
          next: str = Form("/"), session: Session = Depends(get_session)):  # noqa: A002
    settings = get_services(request).settings
    ip = request.client.host if request.client else None
    try:  # the API's lockout applies to the page too: same audit-log counter
        auth_routes._check_lockout(session, username, settings.login_max_failures, settings.login_lockout_minutes)
    except ApiError as exc:
        return page(request, "login.html", {"next": safe_next(next), "error": exc.message, "me": None}, 429)
    user = authenticate(session, username, password)
    if user is None:
        audit.record(session, actor=username[:200], action="login_failed", ip=ip)
        session.commit()
        return page(request, "login.html", {"next": safe_next(next), "error": "用户名或密码错误", "me": None}, 401)
    token, ttl = issue_token(user, settings.jwt_key, settings.jwt_ttl_minutes)
    audit.record(session, actor=user.username, user_id=user.id, action="login", ip=ip, detail={"via": "web"})
    session.commit()
    target = safe_next(next)
    if target == "/":
        target = "/me" if user.role == "agent" else "/queue"
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(COOKIE, token, max_age=ttl, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https", path="/")
    return response


@router.post("/logout")
def logout():
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


@router.get("/")
def home(principal: Principal = Depends(page_principal)):
    return RedirectResponse("/me" if principal.role == "agent" else "/queue", status_code=303)


@router.get("/queue")
def queue(request: Request, principal: Principal = Depends(page_principal), session: Session = Depends(get_session),
          agent: str | None = Query(None, max_length=100), team: str | None = Query(None, max_length=100),
          channel: str | None = Query(None, pattern="^(chat|call)$"), show: str = Query("flagged", pattern="^(flagged|all)$"),
          grade: str | None = Query(None, max_length=50), veto: bool | None = None,
          sort: str = Query("deadline", pattern="^(score|started|emotion|deadline|agent|grade)$"),
          desc: bool = False, limit: int = Query(200, ge=1, le=1000)):
    rows = visible_results(session, principal, agent_id=agent, team_id=team, channel=channel,
                           flagged=show == "flagged", limit=5000)
    now = datetime.now(timezone.utc)
    items = [queue_row(c, r, now) for c, r in rows]
    state = review_link.review_state(session, [i.id for i in items], request.app)
    for item in items:
        review = state.get(item.id)
        if review:
            item.reviewer, item.review_status, item.final_score = (review["reviewer"], review["status"],
                                                                   review["final_score"])
    if grade:
        items = [i for i in items if i.grade == grade]
    if veto is not None:
        items = [i for i in items if i.veto == veto]
    grades = sorted({r.grade for _, r in rows})
    agents = sorted({c.agent_id for c, _ in rows if c.agent_id})
    teams = sorted({c.team_id for c, _ in rows if c.team_id})
    items.sort(key=SORTS[sort], reverse=desc)
    total = len(items)
    params = {"agent": agent, "team": team, "channel": channel, "show": show, "grade": grade,
              "veto": veto, "sort": sort, "desc": desc}
    return page(request, "queue.html", {"me": principal, "items": items[:limit], "total": total, "params": params,
                                        "grades": grades, "agents": agents, "teams": teams,
                                        "review_enabled": review_link.available(request.app)})


@router.get("/conversations/{conversation_id}")
def conversation(request: Request, conversation_id: str, principal: Principal = Depends(page_principal),
                 session: Session = Depends(get_session), unmask: bool = False, all_hits: bool = False):
    conv = get_conversation(session, principal, conversation_id[:64])
    if conv is None:
        raise not_found_page()
    if unmask and not principal.can_unmask:  # as the API answers ?unmask=true: refused, not silently masked
        raise PageError(403, "无权查看原文", "您没有查看未脱敏信息的权限，请去掉 unmask 参数或联系管理员授权。")
    row = latest_result(session, conv.id)
    result = viewable(transcript.page_view(row.result), principal, unmask) if row is not None else None
    ctx = {"me": principal, "conv": conv, "row": row, "result": result, "unmasked": unmask,
           "review_enabled": review_link.available(request.app), "audio_url": f"/conversations/{conv.id}/audio"}
    if result is not None:
        names = {h["rule_id"]: h["rule_name"] for h in result.get("hits") or []}
        hits = transcript.hits(result)
        # A long call can have hundreds of hits; the side list shows the first HIT_PAGE (the
        # transcript still marks every one) so the page stays light: see docs/pages.md.
        ctx.update(lines=transcript.lines(result), hits=hits if all_hits else hits[:HIT_PAGE], hit_total=len(hits),
                   dimensions=[{"id": d["id"], "name": d["name"]} for d in row.result.get("dimensions") or []],
                   waterfall=transcript.waterfall(result, names), curve=transcript.emotion_curve(result),
                   index=(result.get("analysis") or {}).get("emotion_index"))
    session.commit()
    if unmask and result is not None and not unmask_audited_by_filter():  # every unmask is audited
        audit.record(session, actor=principal.actor, user_id=principal.user_id, action="unmask",
                     target_type="conversation", target_id=conv.id, detail={"via": "web"},
                     ip=request.client.host if request.client else None)
        session.commit()
    return page(request, "conversation.html", ctx)


@router.get("/conversations/{conversation_id}/audio")
def audio(request: Request, conversation_id: str, principal: Principal = Depends(page_principal),
          session: Session = Depends(get_session)) -> Response:
    """The API's audio route (Range, audit, scope) for the page's <audio>, authorised by cookie."""
    try:
        return get_audio(request, conversation_id[:64], principal, session)
    except ApiError as exc:
        raise PageError(exc.status, "录音不可用", exc.message) from None


@router.get("/me")
def my_page(request: Request, principal: Principal = Depends(page_principal), session: Session = Depends(get_session)):
    if principal.agent_id is None:
        rows = []
    else:
        rows = visible_results(session, principal, agent_id=principal.agent_id, limit=500)
    now = datetime.now(timezone.utc)
    # Appeals open once a review is done and stay open for the review module's window; without
    # the review workflow the window is counted from scoring, as a plain reminder.
    review = review_link.available(request.app)
    window = review_link.appeal_window_days(request.app, APPEAL_WINDOW_DAYS)
    state = review_link.review_state(session, [c.id for c, _ in rows], request.app)
    cards = []
    for conv, res in rows:
        row = queue_row(conv, res, now)
        item = state.get(conv.id) or {}
        row.review_status, row.final_score = item.get("status"), item.get("final_score")
        opened = item.get("done_at") if review else res.created_at
        deadline = None
        if opened is not None:
            deadline = (opened if opened.tzinfo else opened.replace(tzinfo=timezone.utc)) + timedelta(days=window)
        cards.append({"row": row, "appeal_deadline": deadline, "appeal_open": deadline is not None and deadline > now})
    scores = [c["row"].score for c in cards]
    summary = {"n": len(cards), "mean": sum(scores) / len(scores) if scores else None,
               "passed": sum(1 for _, r in rows if r.passed), "veto": sum(1 for _, r in rows if r.veto)}
    return page(request, "me.html", {"me": principal, "cards": cards, "summary": summary,
                                     "appeals": review_link.appeals_for(session, principal, request.app),
                                     "review_enabled": review, "window": window})
