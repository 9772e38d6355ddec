"""Login, tokens, API keys, disabled users; audit of logins; the audit log is append-only."""

from __future__ import annotations

from datetime import timedelta

import jwt
import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import DBAPIError

from api.db import utcnow
from api.models import AuditLog, User

TOKEN = "/api/v1/auth/token"


def test_login_issues_a_working_token_and_is_audited(env):
    r = env.client.post(TOKEN, data={"username": "lead1", "password": "password-123"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == env.settings.jwt_ttl_minutes * 60
    me = env.client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json() == {"user_id": me.json()["user_id"], "username": "lead1", "role": "team_lead", "agent_id": None,
                         "teams": ["t1"], "can_unmask": False, "via": "password", "scopes": None}
    for password in ("wrong-password", ""):
        bad = env.client.post(TOKEN, data={"username": "lead1", "password": password})
        assert bad.status_code in (401, 422)
    unknown = env.client.post(TOKEN, data={"username": "nobody", "password": "password-123"})
    assert unknown.status_code == 401 and unknown.json()["error"]["message"] == "incorrect username or password"
    with env.services.sessions() as s:
        actions = [(a.actor, a.action) for a in s.scalars(select(AuditLog).order_by(AuditLog.id))]
    assert ("lead1", "login") in actions and ("lead1", "login_failed") in actions
    assert ("nobody", "login_failed") in actions


@pytest.mark.parametrize("make", ["expired", "wrong_key", "garbage", "no_sub"])
def test_bad_tokens_are_401(env, make):
    now = utcnow()
    claims = {"sub": "1", "exp": now + timedelta(minutes=5)}
    secret = env.settings.jwt_key
    if make == "expired":
        claims["exp"] = now - timedelta(minutes=1)
    elif make == "wrong_key":
        secret = "another-secret-" + "y" * 32
    elif make == "no_sub":
        del claims["sub"]
    token = "not.a.jwt" if make == "garbage" else jwt.encode(claims, secret, algorithm="HS256")
    r = env.client.get("/api/v1/conversations", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401, r.text
    assert r.headers["WWW-Authenticate"] == "Bearer"
    assert ("expired" if make == "expired" else "invalid token") in r.json()["error"]["message"]


def test_disabled_user_and_role_change_apply_immediately(env):
    h = env.headers("lead1")
    assert env.client.get("/api/v1/auth/me", headers=h).json()["role"] == "team_lead"
    with env.services.sessions() as s:
        s.execute(update(User).where(User.username == "lead1").values(role="qa"))
        s.commit()
    assert env.client.get("/api/v1/auth/me", headers=h).json()["role"] == "qa"
    with env.services.sessions() as s:
        s.execute(update(User).where(User.username == "lead1").values(active=False))
        s.commit()
    assert env.client.get("/api/v1/auth/me", headers=h).status_code == 401
    assert env.client.post(TOKEN, data={"username": "lead1", "password": "password-123"}).status_code == 401


def test_api_keys_via_http(env):
    h = env.headers("qa1")
    r = env.client.post("/api/v1/auth/api-keys", json={"name": "crm", "scopes": ["conversations:read"]}, headers=h)
    assert r.status_code == 201, r.text
    key = r.json()["key"]
    assert key.startswith("qak_") and r.json()["role"] == "qa"
    me = env.client.get("/api/v1/auth/me", headers={"X-API-Key": key}).json()
    assert me["via"] == "api_key" and me["scopes"] == ["conversations:read"] and me["teams"] == ["t1"]
    # no escalation: a key never has more rights than its owner, and keys cannot mint keys
    r = env.client.post("/api/v1/auth/api-keys", json={"name": "x", "role": "admin"}, headers=h)
    assert r.status_code == 422 and "more rights" in r.json()["error"]["message"]
    r = env.client.post("/api/v1/auth/api-keys", json={"name": "x"}, headers={"X-API-Key": key})
    assert r.status_code == 403
    r = env.client.post("/api/v1/auth/api-keys", json={"name": "x", "scopes": ["everything"]}, headers=h)
    assert r.status_code == 422
    with env.services.sessions() as s:
        s.execute(text("UPDATE api_keys SET revoked_at = :now"), {"now": utcnow()})
        s.commit()
    assert env.client.get("/api/v1/auth/me", headers={"X-API-Key": key}).status_code == 401


def test_audit_log_rejects_update_and_delete_in_the_database(env):
    env.client.post(TOKEN, data={"username": "admin", "password": "password-123"})
    for statement in ("UPDATE audit_log SET actor = 'someone else'", "DELETE FROM audit_log"):
        with env.services.sessions() as s, pytest.raises(DBAPIError, match="append-only"):
            s.execute(text(statement))
            s.commit()
    with env.services.sessions() as s:
        assert s.scalars(select(AuditLog.actor)).all() == ["admin"]


def test_repeated_failed_logins_lock_the_account_for_a_while(env):
    from api.settings import Settings

    env.services.settings = Settings(**{**env.settings.model_dump(), "login_max_failures": 3})
    for _ in range(3):
        assert env.client.post(TOKEN, data={"username": "qa1", "password": "guess-guess"}).status_code == 401
    r = env.client.post(TOKEN, data={"username": "qa1", "password": "password-123"})  # even the right one
    assert r.status_code == 429 and "too many failed logins" in r.json()["error"]["message"]
    assert int(r.headers["Retry-After"]) == 15 * 60
    # other accounts are unaffected, and a successful login restarts an account's count
    for _ in range(2):
        for _ in range(2):
            assert env.client.post(TOKEN, data={"username": "lead1", "password": "nope-nope"}).status_code == 401
        assert env.client.post(TOKEN, data={"username": "lead1", "password": "password-123"}).status_code == 200
