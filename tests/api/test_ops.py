"""/healthz, /readyz, /metrics, OpenAPI, and the CLI that bootstraps users and runs migrations."""

from __future__ import annotations

import json
import logging

from click.testing import CliRunner
from fastapi.testclient import TestClient

from api.app import create_app
from api.db import head_revisions
from api.deps import Services
from api.logs import JsonFormatter
from qa_engine.cli import main
from tests.api.conftest import chat, make_settings


def test_health_ready_metrics(env):
    assert env.client.get("/healthz").json() == {"status": "ok", "detail": ""}
    assert env.client.get("/readyz").status_code == 200
    env.client.post("/api/v1/conversations/chat", json=[chat("c1"), chat("c2")], headers=env.headers("qa1"))
    text = env.client.get("/metrics").text
    assert 'qa_jobs{kind="score",status="queued"} 2.0' in text
    env.drain()
    text = env.client.get("/metrics").text
    assert 'qa_jobs{kind="score",status="done"} 2.0' in text
    assert 'qa_jobs{kind="score",status="failed"} 0.0' in text
    assert "qa_job_processing_seconds_bucket" in text and 'qa_http_requests_total{method="POST"' in text


def test_readyz_is_503_until_migrated(db_url, tmp_path):
    settings = make_settings(db_url, tmp_path)
    services = Services.from_settings(settings)
    with TestClient(create_app(settings, services=services, embedded_worker=False)) as client:
        r = client.get("/readyz")
        assert r.status_code == 503 and "code expects" in r.json()["detail"]
        assert all(head in r.json()["detail"] for head in head_revisions())
        assert client.get("/healthz").status_code == 200
    services.engine.dispose()


def test_openapi_documents_every_route(env):
    spec = env.client.get("/openapi.json").json()
    paths = spec["paths"]
    for path in ("/api/v1/conversations/chat", "/api/v1/conversations/call", "/api/v1/conversations",
                 "/api/v1/conversations/{conversation_id}/audio", "/api/v1/auth/token", "/readyz"):
        assert path in paths
    assert "ErrorBody" in spec["components"]["schemas"]
    assert "multipart/form-data" in paths["/api/v1/conversations/call"]["post"]["requestBody"]["content"]


def test_users_cli_bootstraps_admin_who_can_log_in(db_url, tmp_path, monkeypatch):
    settings = make_settings(db_url, tmp_path)
    for key, value in {"QA_DATABASE_URL": db_url, "QA_DATA_DIR": str(settings.data_dir),
                       "QA_JWT_SECRET": settings.jwt_key}.items():
        monkeypatch.setenv(key, value)
    runner = CliRunner()
    r = runner.invoke(main, ["users", "add", "root", "--role", "admin", "--password-stdin"], input="s3cret-pass\n")
    assert r.exit_code == 0, r.output
    r = runner.invoke(main, ["users", "add", "lee", "--role", "team_lead", "--team", "t1", "--team", "t2",
                             "--password-stdin"], input="s3cret-pass\n")
    assert r.exit_code == 0 and "teams t1, t2" in r.output
    r = runner.invoke(main, ["users", "add", "ag", "--role", "agent", "--password-stdin"], input="s3cret-pass\n")
    assert r.exit_code != 0 and "--agent-id" in r.output
    r = runner.invoke(main, ["users", "add", "root", "--role", "admin", "--password-stdin"], input="s3cret-pass\n")
    assert r.exit_code != 0 and "already exists" in r.output
    r = runner.invoke(main, ["users", "add", "x", "--role", "admin", "--password-stdin"], input="short\n")
    assert r.exit_code != 0 and "too short" in r.output
    assert runner.invoke(main, ["users", "teams", "add", "lee", "t3"]).exit_code == 0
    r = runner.invoke(main, ["users", "list"])
    assert "lee\tteam_lead\t-\tt1,t2,t3" in r.output
    key = runner.invoke(main, ["users", "apikey", "create", "lee", "--name", "bi"]).output.strip()
    assert key.startswith("qak_")
    assert f"database at {', '.join(sorted(head_revisions()))}" in runner.invoke(main, ["db", "upgrade"]).output

    services = Services.from_settings(make_settings(db_url, tmp_path))
    with TestClient(create_app(services.settings, services=services, embedded_worker=False)) as client:
        r = client.post("/api/v1/auth/token", data={"username": "root", "password": "s3cret-pass"})
        assert r.status_code == 200
        me = client.get("/api/v1/auth/me", headers={"X-API-Key": key}).json()
        assert me["username"] == "lee" and me["teams"] == ["t1", "t2", "t3"]
    services.engine.dispose()


def test_json_log_lines():
    record = logging.LogRecord("api.http", logging.INFO, __file__, 1, "GET %s %s", ("/x", 200), None)
    record.request_id, record.ms = "abc", 1.5
    line = json.loads(JsonFormatter().format(record))
    assert line["msg"] == "GET /x 200" and line["request_id"] == "abc" and line["level"] == "info"


def test_embedded_worker_scores_without_help(db_url, tmp_path):
    """What `qa-engine serve` does by default: the API process scores in a background thread."""
    import time

    settings = make_settings(db_url, tmp_path, embedded_worker=True, worker_poll_seconds=0.05)
    app = create_app(settings, migrate=True)
    services = app.state.services
    with TestClient(app) as client:
        with services.sessions() as s:
            from api.users import add_user

            add_user(s, "boss", "password-123", "admin")
            s.commit()
        token = client.post("/api/v1/auth/token", data={"username": "boss", "password": "password-123"}).json()
        h = {"Authorization": f"Bearer {token['access_token']}"}
        cid = client.post("/api/v1/conversations/chat", json=chat("c1"), headers=h).json()["conversations"][0]["id"]
        deadline = time.monotonic() + 20
        while client.get(f"/api/v1/conversations/{cid}", headers=h).json()["status"] != "scored":
            assert time.monotonic() < deadline, "embedded worker did not score the upload"
            time.sleep(0.05)
    assert services.worker.stop_event.is_set()  # stopped with the app
    services.engine.dispose()


def test_bad_requests_answer_4xx_in_the_error_shape(env):
    h = env.headers("admin")
    cases = [
        (env.client.get("/api/v1/auth/token", headers=h), 405),
        (env.client.delete("/api/v1/conversations", headers=h), 405),
        (env.client.get("/api/v1/conversations", params={"created_from": "last tuesday"}, headers=h), 422),
        (env.client.get("/api/v1/conversations", params={"channel": "fax"}, headers=h), 422),
        (env.client.get("/api/v1/conversations/" + "x" * 65, headers=h), 422),
        (env.client.post("/api/v1/auth/token", data={"username": "admin"}), 422),
        (env.client.post("/api/v1/auth/api-keys", content=b"{", headers={**h, "Content-Type": "application/json"}),
         422),
    ]
    for response, status in cases:
        assert response.status_code == status, (response.request.url, response.text)
        error = response.json()["error"]
        assert error["code"] and len(error["message"]) > 10, response.text


def test_migrations_downgrade_and_upgrade_cleanly(db_url):
    from alembic import command
    from sqlalchemy import inspect

    from api.db import _alembic_config, current_revisions, make_engine, upgrade_to_head

    engine = make_engine(db_url)
    upgrade_to_head(engine)
    assert "0001_core" in _ancestry() and current_revisions(engine) == head_revisions()
    with engine.begin() as conn:
        command.downgrade(_alembic_config(conn), "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade_to_head(engine)
    assert {"users", "conversations", "jobs", "results", "audit_log"} <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_reads_do_not_wait_for_a_writer(env):
    """GET requests use read sessions: on SQLite they must not queue behind a held write lock."""
    import time

    from sqlalchemy import text

    h = env.headers("admin")
    with env.services.sessions() as writer:  # holds the write lock (BEGIN IMMEDIATE on SQLite)
        writer.execute(text("INSERT INTO teams (id, name, created_at) VALUES ('tx', 'tx', '2026-01-01')"))
        started = time.monotonic()
        r = env.client.get("/api/v1/conversations", headers=h)
        assert r.status_code == 200 and time.monotonic() - started < 5
        writer.rollback()


def _ancestry() -> set[str]:
    """Every revision id in the migration chain (later migrations build on 0001_core)."""
    from alembic.script import ScriptDirectory

    from api.db import _alembic_config

    return {rev.revision for rev in ScriptDirectory.from_config(_alembic_config()).walk_revisions()}


def test_nul_in_the_url_or_a_chat_is_a_clear_422(env):
    h = env.headers("admin")
    response = env.client.get("/api/v1/conversations", params={"team_id": "\x00"}, headers=h)
    assert response.status_code == 422 and "NUL" in response.json()["error"]["message"]
    bad = chat("nul")
    bad["utterances"][0]["text"] = "订单\u0000还没到"
    response = env.client.post("/api/v1/conversations/chat", json=bad, headers=h)
    assert response.status_code == 422 and "NUL" in response.text and "utterances[0].text" in response.text
