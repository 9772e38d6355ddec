"""Server-rendered pages for people (Chinese UI): login, review queue, conversation, the agent's
own page, supervisor emotion report (HTML/PDF), KPI dashboard and rules page.

``install(app)`` adds the routes, the vendored static files and the two exception handlers that
turn "log in first" into a redirect and page errors into HTML pages (the API keeps its JSON errors).
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from api.web.session import LoginRequired, PageError, login_url


def install(app: FastAPI) -> None:
    from api.web import pages, reports, review_link
    from api.web.render import HERE, page

    review_link.install_bridge(app)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    app.include_router(pages.router)
    app.include_router(reports.router)

    @app.exception_handler(LoginRequired)
    async def _login(_: Request, exc: LoginRequired):  # noqa: ANN202
        return RedirectResponse(login_url(exc.next_url), status_code=303)

    @app.exception_handler(PageError)
    async def _page_error(request: Request, exc: PageError):  # noqa: ANN202
        return page(request, "error.html", {"me": _viewer(request), "title": exc.title, "message": exc.message,
                                            "status": exc.status}, exc.status)


def _viewer(request: Request):  # noqa: ANN202
    """The logged-in principal for the error page's navigation bar, or None (never raises)."""
    from api.auth import _user_from_token, principal_for_user
    from api.errors import ApiError
    from api.web.session import COOKIE

    token = request.cookies.get(COOKIE)
    if not token:
        return None
    services = request.app.state.services
    with services.read_sessions() as session:
        try:
            return principal_for_user(_user_from_token(session, token, services.settings.jwt_key))
        except ApiError:
            return None
