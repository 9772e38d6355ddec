"""Browser sessions for the pages: the same JWT the API issues, carried in an HttpOnly cookie.

The cookie is ``SameSite=Strict`` and HttpOnly, so page scripts never see the token and other
sites cannot make the browser send it (our POST forms need no separate CSRF token for that
reason). The user row is re-read on every request, exactly as for bearer tokens
(:func:`api.auth._user_from_token`), so a disabled account is locked out of the pages at once.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from api.auth import Principal, _user_from_token, principal_for_user
from api.deps import get_services, get_session
from api.errors import ApiError

COOKIE = "qa_session"


class LoginRequired(Exception):
    """Raised by :func:`page_principal`; the web exception handler redirects to the login page."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


class PageError(Exception):
    """An error shown as an HTML page (404 for out-of-scope conversations, like the API)."""

    def __init__(self, status: int, title: str, message: str) -> None:
        super().__init__(message)
        self.status, self.title, self.message = status, title, message


def page_principal(request: Request, session: Session = Depends(get_session)) -> Principal:
    token = request.cookies.get(COOKIE)
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if not token:
        raise LoginRequired(target)
    try:
        user = _user_from_token(session, token, get_services(request).settings.jwt_key)
    except ApiError:
        raise LoginRequired(target) from None
    session.commit()  # end the read transaction (see api.auth.get_principal)
    principal = principal_for_user(user)
    request.state.actor = principal.actor
    return principal


def login_url(next_url: str) -> str:
    return f"/login?next={quote(next_url, safe='')}"


def safe_next(value: str | None) -> str:
    """Only same-site paths: an open redirect after login would make a phishing link look ours."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value
