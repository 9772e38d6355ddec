"""schemathesis over the whole OpenAPI schema (core + review routes): generated requests, valid
and invalid, as an admin on a database with scored conversations. Checks: no 5xx, and status
codes, content types, headers and bodies as documented.

Runs only when schemathesis is installed (`pip install schemathesis`); the examples per
operation are bounded (QA_SCHEMATHESIS_EXAMPLES, default 12) to keep the suite quick.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings

schemathesis = pytest.importorskip("schemathesis")


from api.worker import Worker  # noqa: E402

from tests.api.conftest import running_env, temporary_database  # noqa: E402
from tests.api.review.conftest import REVIEW_ANALYZERS  # noqa: E402
from tests.api.review.helpers import bad_chat, chat  # noqa: E402

EXAMPLES = int(os.environ.get("QA_SCHEMATHESIS_EXAMPLES", "12"))
# The quality bar: no 5xx, documented status codes, content types, headers and bodies; invalid
# input rejected with 4xx. Not "positive data acceptance": upload bodies are validated by the
# engine's own parser (JSON/JSONL/CSV), which the OpenAPI body schema describes only loosely.
# Findings in routes this module does not own, reported to their owner (docs/review.md); they make
# this test xfail (not pass silently) until fixed, while any other failure fails it.
# (GET /api/v1/conversations had naive date-times: reported, fixed in the core in f52b27e.)
KNOWN: dict[str, str] = {}
CHECKS = [schemathesis.checks.not_a_server_error, schemathesis.checks.status_code_conformance,
          schemathesis.checks.content_type_conformance, schemathesis.checks.response_headers_conformance,
          schemathesis.checks.response_schema_conformance, schemathesis.checks.negative_data_rejection]


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fuzz_db(request, tmp_path_factory):
    """Module-scoped db_url: one database for all operations."""
    with temporary_database(request.param, tmp_path_factory.mktemp("fuzzdb")) as url:
        yield url


@pytest.fixture(scope="module")
def fuzz_env(fuzz_db, tmp_path_factory):
    with running_env(fuzz_db, tmp_path_factory.mktemp("fuzz"), [("admin", "admin")],
                     analyzers=REVIEW_ANALYZERS) as env:
        r = env.client.post("/api/v1/conversations/chat", json=[bad_chat("b1"), chat("c1")],
                            headers=env.headers("admin"))
        assert r.status_code == 202
        Worker(env.services, kinds=("score",)).drain()
        yield env


def test_api_conforms_to_its_schema(fuzz_env):
    # schemathesis' pytest plugin does not load under pytest 9, so operations are driven here
    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzz_env.app)
    headers = fuzz_env.headers("admin")
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None,
                  derandomize=True)
        def run(case):  # noqa: ANN001 - called at once, so the loop variable is bound
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            run()
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # noqa: BLE001 - schemathesis raises a BaseExceptionGroup; collect all
            failures.append(f"{operation.label}: {type(exc).__name__}: {str(exc)[:1500]}")
    assert operations >= 25
    unexpected = [f for f in failures if f.split(":", 1)[0] not in KNOWN]
    assert not unexpected, "\n\n".join(unexpected)
    if failures:
        pytest.xfail("known findings in core routes: " + "; ".join(f"{k}: {KNOWN[k]}" for k in
                                                                   sorted({f.split(":", 1)[0] for f in failures})))
