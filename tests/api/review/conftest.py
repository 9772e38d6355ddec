"""The review tests reuse tests/api's fixtures (SQLite and PostgreSQL), with a lighter analyzer
set: reviews work on stored results, so the emotion model adds run time and nothing to test."""

from __future__ import annotations

import pytest

from tests.api.conftest import running_env

REVIEW_ANALYZERS = "chat_timing,turn_taking"

REVIEW_USERS = [("admin", "admin"), ("qa1", "qa", {"teams": ["t1"]}), ("qa2", "qa", {"teams": ["t1"]}),
                ("qa3", "qa", {"teams": ["t3"]}),  # covers another team: sees only what is assigned
                ("lead1", "team_lead", {"teams": ["t1"]}), ("lead2", "team_lead", {"teams": ["t2"]}),
                ("agent7", "agent", {"teams": ["t1"], "agent_id": "a7"}),
                ("agent9", "agent", {"teams": ["t2"], "agent_id": "a9"})]


@pytest.fixture
def env(db_url, tmp_path):
    with running_env(db_url, tmp_path, REVIEW_USERS, analyzers=REVIEW_ANALYZERS) as e:
        yield e
