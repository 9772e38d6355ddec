"""Fixtures for the service tests: every test runs against SQLite and PostgreSQL, each on a
fresh database (SQLite file in tmp_path / PostgreSQL schema dropped afterwards).

PostgreSQL: ``QA_TEST_POSTGRES_URL`` (default postgresql+psycopg://postgres@127.0.0.1:5432/test).
The PG variants are skipped only when that server cannot be reached, and the skip says so.
"""

from __future__ import annotations

import functools
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select, text

from api.app import create_app
from api.auth import hash_password, issue_token
from api.models import User
from api.db import upgrade_to_head
from api.deps import Services
from api.settings import Settings
from api.users import add_user
from api.worker import Worker

PG_URL = os.environ.get("QA_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
# The engine's chat pipeline as shipped (timing + the bundled emotion model), named explicitly so
# a heavier default added later (e.g. a transformers backend) does not slow these tests down.
TEST_ANALYZERS = "chat_timing,turn_taking,emotion"
_pg_state: dict[str, str | None] = {}


def _pg_unreachable() -> str | None:
    if "reason" not in _pg_state:
        try:
            engine = create_engine(PG_URL, connect_args={"connect_timeout": 3})
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            engine.dispose()
            _pg_state["reason"] = None
        except Exception as exc:  # noqa: BLE001
            _pg_state["reason"] = (f"PostgreSQL not reachable at QA_TEST_POSTGRES_URL={PG_URL} "
                                   f"({type(exc).__name__}); PG variant skipped")
    return _pg_state["reason"]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request, tmp_path):
    with temporary_database(request.param, tmp_path) as url:
        yield url


@contextmanager
def temporary_database(kind: str, directory) -> Iterator[str]:
    """A fresh SQLite file, or a fresh PostgreSQL schema dropped afterwards (skips, saying why,
    when the server cannot be reached)."""
    if kind == "sqlite":
        yield f"sqlite:///{directory / 'qa.db'}"
        return
    reason = _pg_unreachable()
    if reason:
        pytest.skip(reason)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{sep}options={quote(f'-csearch_path={schema}')}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def make_settings(db_url: str, tmp_path, **overrides) -> Settings:
    values = dict(database_url=db_url, data_dir=tmp_path / "data", analyzers=TEST_ANALYZERS,
                  jwt_secret="test-secret-" + "x" * 32, webhook_secret="hook-secret", embedded_worker=False,
                  retry_base_seconds=0.0, log_json=False)
    values.update(overrides)
    return Settings(**values)


@functools.cache
def _default_hash() -> str:
    return hash_password("password-123")  # argon2 is slow on purpose: hash once per session


@dataclass
class Env:
    """A running app (TestClient), its services, a worker to drain jobs, and login helpers."""

    client: TestClient
    services: Services
    settings: Settings
    worker: Worker

    def add_user(self, username: str, role: str, teams=(), agent_id=None, password="password-123") -> None:
        hashed = _default_hash() if password == "password-123" else None
        with self.services.sessions() as session:
            add_user(session, username, password, role, teams=teams, agent_id=agent_id, hashed=hashed)
            session.commit()

    def token(self, username: str, password: str = "password-123") -> str:
        r = self.client.post("/api/v1/auth/token", data={"username": username, "password": password})
        assert r.status_code == 200, r.text
        return r.json()["access_token"]

    def headers(self, username: str) -> dict[str, str]:
        """A bearer token issued the way the login endpoint does (login itself: test_auth.py)."""
        with self.services.sessions() as session:
            user = session.scalar(select(User).where(User.username == username))
            token, _ = issue_token(user, self.settings.jwt_key, self.settings.jwt_ttl_minutes)
        return {"Authorization": f"Bearer {token}"}

    def drain(self) -> int:
        """Run every runnable job now, with the current settings (tests may swap them)."""
        self.worker = Worker(self.services)
        return self.worker.drain()


@contextmanager
def running_env(db_url: str, tmp_path, users: list[tuple], **overrides) -> Iterator[Env]:
    """A migrated database, the app on a TestClient and these users: (username, role, kwargs...)."""
    settings = make_settings(db_url, tmp_path, **overrides)
    services = Services.from_settings(settings)
    upgrade_to_head(services.engine)
    app = create_app(settings, services=services, embedded_worker=False)
    try:
        with TestClient(app) as client:
            e = Env(client=client, services=services, settings=settings, worker=Worker(services))
            e.app = app
            for username, role, *options in users:
                e.add_user(username, role, **(options[0] if options else {}))
            yield e
    finally:
        services.engine.dispose()


USERS = [("admin", "admin"), ("qa1", "qa", {"teams": ["t1"]}), ("lead1", "team_lead", {"teams": ["t1"]}),
         ("lead2", "team_lead", {"teams": ["t2"]}), ("sup12", "supervisor", {"teams": ["t1", "t2"]}),
         ("agent7", "agent", {"teams": ["t1"], "agent_id": "a7"}),
         ("agent9", "agent", {"teams": ["t2"], "agent_id": "a9"})]


@pytest.fixture
def env(db_url, tmp_path):
    with running_env(db_url, tmp_path, USERS) as e:
        yield e


def chat(cid: str = "c1", agent: str = "a7", team: str = "t1", **extra) -> dict:
    """A small valid chat in the engine's JSON input format."""
    return {"id": cid, "channel": "chat", "agent_id": agent, "team_id": team, "customer_id": "u1",
            "started_at": "2026-11-02T09:30:00+08:00",
            "utterances": [
                {"speaker": "customer", "text": "你好，我的订单还没到", "start": "2026-11-02T09:30:00+08:00"},
                {"speaker": "agent", "text": "您好，很高兴为您服务，请问订单号是多少？", "start": "2026-11-02T09:30:12+08:00"},
                {"speaker": "customer", "text": "12345", "start": "2026-11-02T09:30:30+08:00"},
                {"speaker": "agent", "text": "已经帮您查询，明天送达。还有其他可以帮您的吗？感谢您的咨询，再见",
                 "start": "2026-11-02T09:30:50+08:00"},
            ], **extra}
