"""The review tests reuse tests/api's fixtures (SQLite and PostgreSQL), with a lighter analyzer
set: reviews work on stored results, so the emotion model adds run time and nothing to test."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.db import upgrade_to_head
from api.deps import Services
from api.worker import Worker
from tests.api.conftest import Env, make_settings

REVIEW_ANALYZERS = "chat_timing,turn_taking"


@pytest.fixture
def env(db_url, tmp_path):
    settings = make_settings(db_url, tmp_path, analyzers=REVIEW_ANALYZERS)
    services = Services.from_settings(settings)
    upgrade_to_head(services.engine)
    app = create_app(settings, services=services, embedded_worker=False)
    with TestClient(app) as client:
        e = Env(client=client, services=services, settings=settings, worker=Worker(services))
        e.add_user("admin", "admin")
        e.add_user("qa1", "qa", teams=["t1"])
        e.add_user("qa2", "qa", teams=["t1"])
        e.add_user("qa3", "qa", teams=["t3"])  # covers another team: sees only what is assigned
        e.add_user("lead1", "team_lead", teams=["t1"])
        e.add_user("lead2", "team_lead", teams=["t2"])
        e.add_user("agent7", "agent", teams=["t1"], agent_id="a7")
        e.add_user("agent9", "agent", teams=["t2"], agent_id="a9")
        e.app = app
        yield e
    services.engine.dispose()
