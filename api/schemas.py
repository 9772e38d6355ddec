"""Request and response bodies of the HTTP API (they are the OpenAPI schema)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field


def _utc(value: datetime) -> datetime:
    # SQLite hands back naive datetimes; every time stored by the service is UTC, and the schema
    # promises RFC 3339 date-times with an offset
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value


UtcDateTime = Annotated[datetime, AfterValidator(_utc)]


class Token(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="seconds")


class Me(BaseModel):
    user_id: int
    username: str
    role: str
    agent_id: str | None
    teams: list[str]
    can_unmask: bool
    via: str
    scopes: list[str] | None


Role = Literal["agent", "team_lead", "qa", "supervisor", "admin"]
Scope = Literal["conversations:read", "conversations:write", "audio:read"]


class ApiKeyCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    role: Role | None = Field(default=None, description="defaults to your role; never more than it")
    scopes: list[Scope] | None = Field(default=None, description="default: conversations:read and :write")


class ApiKeyCreated(BaseModel):
    key: str = Field(description="shown once; store it now")
    prefix: str
    name: str
    role: str
    scopes: list[str]


class JobOut(BaseModel):
    id: int
    kind: str
    status: str
    attempts: int
    last_error: str | None = None
    run_after: UtcDateTime | None = None


class AcceptedConversation(BaseModel):
    id: str
    external_id: str | None
    channel: str
    status: str


class UploadAccepted(BaseModel):
    upload_id: str
    replayed: bool = Field(description="true when this answers a retry with the same Idempotency-Key")
    conversations: list[AcceptedConversation]


class ResultSummary(BaseModel):
    id: int
    version: int
    score: float
    grade: str
    veto: bool
    passed: bool
    needs_review: bool
    rule_pack: dict[str, str]
    scorecard: dict[str, str]
    model_version: str
    engine_version: str
    created_at: UtcDateTime


class ResultOut(ResultSummary):
    result: dict[str, Any] = Field(description="the engine's ScoreResult (schemas/score-result.v1.json): "
                                               "scorecard, hits with evidence, transcript, emotion timeline")


class ConversationSummary(BaseModel):
    id: str
    external_id: str | None
    channel: str
    agent_id: str | None
    team_id: str | None
    customer_id: str | None
    started_at: UtcDateTime | None
    status: str
    error: str | None
    has_audio: bool
    created_at: UtcDateTime
    latest: ResultSummary | None = None


class ConversationDetail(ConversationSummary):
    metadata: dict[str, Any]
    jobs: list[JobOut]
    result: ResultOut | None = Field(default=None, description="latest result version, if scored")


class ConversationPage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[ConversationSummary]


class ResultList(BaseModel):
    conversation_id: str
    items: list[ResultOut]


class RescoreAccepted(BaseModel):
    conversation_id: str
    job: JobOut


class Health(BaseModel):
    status: str
    detail: str = ""
