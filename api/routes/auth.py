"""Login (OAuth2 password flow -> JWT), who am I, API keys for machine clients."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Depends, Request
from fastapi.security import OAuth2PasswordRequestForm
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api import audit
from api.auth import Principal, authenticate, create_api_key, get_principal, issue_token
from api.deps import get_services, get_session
from api.errors import ApiError, error_responses
from api.db import utcnow
from api.models import AuditLog, User
from api.schemas import ApiKeyCreate, ApiKeyCreated, Me, Token

router = APIRouter(prefix="/auth", tags=["auth"])


def _check_lockout(session: Session, username: str, max_failures: int, minutes: int) -> None:
    """Slow down password guessing: after ``max_failures`` failed logins for one username within
    the window, refuse further attempts until the window has passed (counted from the audit log)."""
    since = utcnow() - timedelta(minutes=minutes)
    last_ok = select(func.max(AuditLog.at)).where(AuditLog.actor == username, AuditLog.action == "login")
    failures = session.scalar(select(func.count()).select_from(AuditLog).where(
        AuditLog.actor == username, AuditLog.action == "login_failed", AuditLog.at >= since,
        AuditLog.at > func.coalesce(last_ok.scalar_subquery(), since)))
    session.commit()
    if failures >= max_failures:
        raise ApiError(429, "too_many_requests", f"too many failed logins for this account; try again in "
                                                 f"{minutes} minutes or ask an admin to reset the password",
                       headers={"Retry-After": str(minutes * 60)})


@router.post("/token", response_model=Token, responses=error_responses(401, 429),
             summary="Log in (OAuth2 password flow); returns a bearer JWT")
def login(request: Request, form: OAuth2PasswordRequestForm = Depends(),
          session: Session = Depends(get_session)) -> Token:
    ip = request.client.host if request.client else None
    settings = get_services(request).settings
    _check_lockout(session, form.username[:200], settings.login_max_failures, settings.login_lockout_minutes)
    user = authenticate(session, form.username, form.password)
    if user is None:
        audit.record(session, actor=form.username[:200], action="login_failed", ip=ip)
        session.commit()
        raise ApiError(401, "unauthorized", "incorrect username or password",
                       headers={"WWW-Authenticate": "Bearer"})
    token, ttl = issue_token(user, settings.jwt_key, settings.jwt_ttl_minutes)
    audit.record(session, actor=user.username, user_id=user.id, action="login", ip=ip)
    session.commit()
    return Token(access_token=token, expires_in=ttl)


@router.get("/me", response_model=Me, responses=error_responses(401))
def me(principal: Principal = Depends(get_principal)) -> Me:
    return Me(user_id=principal.user_id, username=principal.username, role=principal.role,
              agent_id=principal.agent_id, teams=sorted(principal.team_ids), can_unmask=principal.can_unmask,
              via=principal.via, scopes=sorted(principal.scopes) if principal.scopes is not None else None)


@router.post("/api-keys", response_model=ApiKeyCreated, status_code=201,
             responses=error_responses(400, 401, 403, 422),
             summary="Create an API key owned by you (the key is shown once)")
def new_api_key(body: ApiKeyCreate, request: Request, principal: Principal = Depends(get_principal),
                session: Session = Depends(get_session)) -> ApiKeyCreated:
    if principal.via != "password":
        raise ApiError(403, "forbidden", "API keys cannot create API keys; log in as a person")
    owner = session.get(User, principal.user_id)
    try:
        row, key = create_api_key(session, owner, name=body.name, role=body.role, scopes=body.scopes)
    except ValueError as exc:
        raise ApiError(422, "invalid_input", str(exc)) from None
    audit.record(session, actor=principal.actor, user_id=principal.user_id, action="api_key_create",
                 target_type="api_key", target_id=row.prefix, detail={"role": row.role, "scopes": row.scopes},
                 ip=request.client.host if request.client else None)
    session.commit()
    return ApiKeyCreated(key=key, prefix=row.prefix, name=row.name, role=row.role, scopes=row.scopes)
