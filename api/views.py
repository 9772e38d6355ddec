"""Turning rows into response bodies. Every result/transcript leaving the API passes through
:func:`render_result`, so response-wide transforms (PII masking for principals without the
unmask permission) plug in once, via :data:`RESULT_FILTERS`, and apply to every endpoint."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from api.auth import Principal
from api.models import Conversation, Job, Result
from api.schemas import ConversationSummary, JobOut, ResultOut, ResultSummary

# (result JSON, principal) -> result JSON. Appended to by the privacy module.
RESULT_FILTERS: list[Callable[[dict[str, Any], Principal], dict[str, Any]]] = []
# (metadata dict, principal) -> metadata dict, for conversation metadata shown in responses.
METADATA_FILTERS: list[Callable[[dict[str, Any], Principal], dict[str, Any]]] = []


def result_summary(row: Result) -> ResultSummary:
    return ResultSummary(id=row.id, version=row.version, score=row.score, grade=row.grade, veto=row.veto,
                         passed=row.passed, needs_review=row.needs_review,
                         rule_pack={"id": row.pack_id, "version": row.pack_version, "sha256": row.pack_sha},
                         scorecard={"id": row.scorecard_id, "version": row.scorecard_version,
                                    "sha256": row.scorecard_sha},
                         model_version=row.model_version, engine_version=row.engine_version,
                         created_at=row.created_at)


def render_result(row: Result, principal: Principal) -> ResultOut:
    data = row.result
    for transform in RESULT_FILTERS:
        data = transform(data, principal)
    return ResultOut(**result_summary(row).model_dump(), result=data)


def render_metadata(metadata: dict[str, Any], principal: Principal) -> dict[str, Any]:
    for transform in METADATA_FILTERS:
        metadata = transform(metadata, principal)
    return metadata


def conversation_summary(conv: Conversation, latest: Result | None, principal: Principal) -> ConversationSummary:
    # a customer id or a client's own id is often a phone number: the metadata filters mask it
    ids = render_metadata({"customer_id": conv.customer_id, "external_id": conv.external_id}, principal)
    return ConversationSummary(id=conv.id, external_id=ids["external_id"], channel=conv.channel,
                               agent_id=conv.agent_id, team_id=conv.team_id, customer_id=ids["customer_id"],
                               started_at=conv.started_at, status=conv.status, error=conv.error,
                               has_audio=conv.audio_path is not None, created_at=conv.created_at,
                               latest=result_summary(latest) if latest is not None else None)


def job_out(job: Job) -> JobOut:
    return JobOut(id=job.id, kind=job.kind, status=job.status, attempts=job.attempts, last_error=job.last_error,
                  run_after=job.run_after if job.status == "queued" else None)
