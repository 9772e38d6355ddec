"""The seam to the review workflow (``api/review``, built separately).

The pages talk to the review API from the browser (``static/review.js``): the page's session
cookie is accepted as the bearer token on ``/api/v1`` requests (see :func:`install_bridge`), so
there is one implementation of verdicts, manual items, role swap and appeals, not a second one
in the pages. When the review routes are not mounted, the conversation page shows the machine
result read-only and says so.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth import Principal
from api.web.session import COOKIE

VERDICTS_PATH = "/review/conversations/{conversation_id}/verdicts"  # under /api/v1
# Non-GET API calls from the pages must carry this header: a cross-site form cannot set it, and
# a cross-site fetch with it needs a CORS preflight we never grant (CSRF defence in depth on
# top of the SameSite=Strict cookie).
PAGE_HEADER = "x-qa-page"


def available(app: FastAPI) -> bool:
    """True when ``api.review.register(app)`` ran (it sets ``app.state.review_settings``) and
    its router has the verdicts route the page uses. (FastAPI's ``app.routes`` no longer lists
    included routers' routes, so the review router itself is asked.)"""
    cached = getattr(app.state, "web_review_available", None)
    if cached is None:
        cached = False
        if hasattr(app.state, "review_settings"):
            from api.review import routes_review

            cached = any(getattr(r, "path", None) == VERDICTS_PATH for r in routes_review.router.routes)
        app.state.web_review_available = cached
    return cached


def install_bridge(app: FastAPI) -> None:
    """Let the pages' cookie authenticate ``/api/v1`` calls made by page scripts."""

    @app.middleware("http")
    async def cookie_bearer(request: Request, call_next):  # noqa: ANN001, ANN202
        scope = request.scope
        token = request.cookies.get(COOKIE)
        if (token and scope["path"].startswith("/api/v1/") and "authorization" not in request.headers
                and "x-api-key" not in request.headers
                and (request.method in ("GET", "HEAD") or request.headers.get(PAGE_HEADER) == "1")):
            scope["headers"] = [*scope["headers"], (b"authorization", f"Bearer {token}".encode("latin-1"))]
        return await call_next(request)


def appeals_for(session: Session, principal: Principal, app: FastAPI) -> list[dict[str, Any]]:
    """The agent's own appeals (newest first), read from the review tables when installed."""
    if not available(app):
        return []
    from api.review.appeals import appeal_out
    from api.review.models import Appeal

    rows = session.scalars(select(Appeal).where(Appeal.agent_user_id == principal.user_id)
                           .order_by(Appeal.submitted_at.desc()).limit(200)).all()
    return [appeal_out(a, {principal.user_id: principal.username}) for a in rows]


def review_state(session: Session, conversation_ids: list[str], app: FastAPI) -> dict[str, dict[str, Any]]:
    """conversation id -> {"reviewer", "status", "final_score"} from the review items, if any."""
    if not available(app) or not conversation_ids:
        return {}
    from api.models import User
    from api.review.models import ReviewItem

    rows = session.execute(select(ReviewItem.conversation_id, ReviewItem.status, ReviewItem.final_score,
                                  ReviewItem.done_at, User.username)
                           .outerjoin(User, User.id == ReviewItem.reviewer_id)
                           .where(ReviewItem.conversation_id.in_(conversation_ids))).all()
    return {cid: {"status": status, "final_score": final, "done_at": done, "reviewer": name}
            for cid, status, final, done, name in rows}


def appeal_window_days(app: FastAPI, default: float) -> float:
    settings = getattr(app.state, "review_settings", None)
    return float(getattr(settings, "appeal_window_days", default))


BACKTEST_ROLES = frozenset({"qa", "supervisor", "admin"})  # who sees the backtest form (the API decides)


def precision(session: Session, principal: Principal, app: FastAPI) -> dict[str, dict[str, Any]]:
    """rule id -> review precision row (confirmed / reviewed with a 95 % interval), in scope."""
    if not available(app):
        return {}
    from api.review import stats

    return {row["rule_id"]: row for row in stats.precision(session, principal)}
