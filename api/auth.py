"""Who is calling and what they may see.

* People log in with the OAuth2 password flow and get a JWT (HS256, pyjwt); passwords are
  argon2 hashes (pwdlib). Machine clients send ``X-API-Key``.
* Every request resolves to a :class:`Principal`. The user row is re-read on each request, so a
  deactivated user or a changed role/team takes effect at once, not when the token expires.
* Data scoping is one SQL filter (:meth:`Principal.conversation_filter`) used by every query on
  conversations; out-of-scope rows are simply not found (404), never "forbidden" with a hint.
  Other modules may widen a role's scope (e.g. QA sees conversations assigned to them) by
  appending to :data:`SCOPE_EXTENSIONS` instead of editing this file.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import jwt
from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, OAuth2PasswordBearer
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy import ColumnElement, Select, false, or_, select, true
from sqlalchemy.orm import Session

from api.db import utcnow
from api.deps import get_services, get_session
from api.errors import ApiError
from api.models import ROLES, ApiKey, Conversation, User

ALGORITHM = "HS256"
API_KEY_PREFIX = "qak_"
# Scopes an API key may carry; people get everything their role allows.
API_KEY_SCOPES = ("conversations:read", "conversations:write", "audio:read")
WRITE_ROLES = frozenset({"admin", "supervisor", "qa"})  # may upload and rescore
TEAM_ROLES = frozenset({"team_lead", "qa", "supervisor"})  # see the teams they belong to / cover

# OWASP's argon2id baseline (19 MiB, t=2, p=1): ~50 ms here instead of pwdlib's heavier default
# (~0.4 s on 2 cores), which would make the login endpoint an easy CPU-exhaustion target.
# Hashes carry their parameters, so existing hashes keep verifying if this is changed.
password_hash = PasswordHash((Argon2Hasher(time_cost=2, memory_cost=19456, parallelism=1),))
_DUMMY_HASH = password_hash.hash("timing-equaliser")

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)
api_key_scheme = APIKeyHeader(name="X-API-Key", auto_error=False)


@dataclass(frozen=True)
class Principal:
    user_id: int
    username: str
    role: str
    agent_id: str | None = None
    team_ids: frozenset[str] = frozenset()
    can_unmask: bool = False
    via: str = "password"  # password | api_key
    api_key_prefix: str | None = None
    scopes: frozenset[str] | None = None  # None: everything the role allows
    extra: dict = field(default_factory=dict, compare=False)

    @property
    def actor(self) -> str:
        return f"apikey:{self.api_key_prefix}" if self.via == "api_key" else self.username

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def conversation_filter(self, model: type[Conversation] = Conversation) -> ColumnElement[bool]:
        if self.role == "admin":
            return true()
        clauses: list[ColumnElement[bool]] = []
        if self.role == "agent":
            if self.agent_id:
                clauses.append(model.agent_id == self.agent_id)
        elif self.role in TEAM_ROLES and self.team_ids:
            clauses.append(model.team_id.in_(sorted(self.team_ids)))
        for extension in SCOPE_EXTENSIONS:
            clause = extension(self, model)
            if clause is not None:
                clauses.append(clause)
        return or_(*clauses) if clauses else false()

    def scope_conversations(self, stmt: Select) -> Select:
        """Restrict any SELECT that involves ``Conversation`` to what this principal may see."""
        return stmt.where(self.conversation_filter())

    def require_role(self, roles: frozenset[str] | set[str], action: str) -> None:
        if self.role not in roles:
            raise ApiError(403, "forbidden", f"your role '{self.role}' may not {action}; "
                                             f"allowed roles: {', '.join(sorted(roles))}")

    def require_scope(self, scope: str) -> None:
        if self.scopes is not None and scope not in self.scopes:
            raise ApiError(403, "forbidden", f"this API key lacks the scope '{scope}'; "
                                             "create a key with it (`qa-engine users apikey create --scope`)")

    def may_write_team(self, team_id: str | None) -> bool:
        return self.is_admin or (team_id is not None and team_id in self.team_ids)


# (principal, Conversation model) -> extra OR-clause or None. Appended to by other modules.
SCOPE_EXTENSIONS: list[Callable[[Principal, type[Conversation]], ColumnElement[bool] | None]] = []


def principal_for_user(user: User, **overrides) -> Principal:  # noqa: ANN003
    base = dict(user_id=user.id, username=user.username, role=user.role, agent_id=user.agent_id,
                team_ids=user.team_ids, can_unmask=user.can_unmask)
    return Principal(**{**base, **overrides})


# ----------------------------------------------------------------------------- passwords, tokens


def hash_password(password: str) -> str:
    return password_hash.hash(password)


def authenticate(session: Session, username: str, password: str) -> User | None:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        password_hash.verify(password, _DUMMY_HASH)  # same cost either way: no username probing
        return None
    if not password_hash.verify(password, user.password_hash) or not user.active:
        return None
    return user


def issue_token(user: User, secret: str, ttl_minutes: int) -> tuple[str, int]:
    now = utcnow()
    claims = {"sub": str(user.id), "role": user.role, "iat": now, "exp": now + timedelta(minutes=ttl_minutes),
              "jti": secrets.token_hex(8)}
    return jwt.encode(claims, secret, algorithm=ALGORITHM), ttl_minutes * 60


def _unauthorized(message: str) -> ApiError:
    return ApiError(401, "unauthorized", message, headers={"WWW-Authenticate": "Bearer"})


def _user_from_token(session: Session, token: str, secret: str) -> User:
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], options={"require": ["exp", "sub"]})
        user_id = int(claims["sub"])
    except jwt.ExpiredSignatureError:
        raise _unauthorized("token expired; log in again at /api/v1/auth/token") from None
    except (jwt.InvalidTokenError, ValueError):
        raise _unauthorized("invalid token; log in again at /api/v1/auth/token") from None
    user = session.get(User, user_id)
    if user is None or not user.active:
        raise _unauthorized("this account no longer exists or is disabled")
    return user


# ----------------------------------------------------------------------------- API keys


def hash_api_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def create_api_key(session: Session, owner: User, *, name: str, role: str | None = None,
                   scopes: list[str] | None = None) -> tuple[ApiKey, str]:
    """Return the row and the plaintext key (shown once, never stored)."""
    role = role or owner.role
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; use one of {', '.join(ROLES)}")
    if ROLES.index(role) > ROLES.index(owner.role):
        raise ValueError(f"a key cannot have more rights than its owner ({owner.role})")
    scopes = list(scopes or ["conversations:read", "conversations:write"])
    bad = [s for s in scopes if s not in API_KEY_SCOPES]
    if bad:
        raise ValueError(f"unknown scope(s) {bad}; use {', '.join(API_KEY_SCOPES)}")
    secret = secrets.token_urlsafe(32)
    key = f"{API_KEY_PREFIX}{secret}"
    row = ApiKey(prefix=secret[:8], key_hash=hash_api_key(key), name=name, role=role, scopes=scopes,
                 owner_id=owner.id)
    session.add(row)
    session.flush()
    return row, key


def _principal_from_api_key(session: Session, key: str) -> Principal:
    row = session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_api_key(key)))
    now = utcnow()
    if row is None or row.revoked_at is not None or (row.expires_at and row.expires_at <= now):
        raise ApiError(401, "unauthorized", "invalid, revoked or expired API key (X-API-Key)")
    if not row.owner.active:
        raise ApiError(401, "unauthorized", "the owner of this API key is disabled")
    session.commit()  # end the read first: the write below then starts its own transaction
    if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=1):
        row.last_used_at = now  # at most once a minute: not a write on every request
        session.commit()
    return principal_for_user(row.owner, role=row.role, via="api_key", api_key_prefix=row.prefix,
                              scopes=frozenset(row.scopes or ()))


# ----------------------------------------------------------------------------- dependency


def get_principal(request: Request, session: Session = Depends(get_session),
                  token: str | None = Depends(oauth2_scheme),
                  api_key: str | None = Depends(api_key_scheme)) -> Principal:
    if api_key:
        principal = _principal_from_api_key(session, api_key)
    elif token:
        user = _user_from_token(session, token, get_services(request).settings.jwt_key)
        principal = principal_for_user(user)
    else:
        raise _unauthorized("authentication required: send 'Authorization: Bearer <token>' "
                            "(from /api/v1/auth/token) or 'X-API-Key: <key>'")
    # End the read transaction now: on SQLite every transaction holds the write lock (see api.db),
    # and the handler may do its writes in other sessions (threadpool) while this one stays open.
    session.commit()
    request.state.actor = principal.actor
    return principal
