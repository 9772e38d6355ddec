"""Request and response bodies of the review API (part of the OpenAPI schema)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field, model_validator


def utc(value: datetime | None) -> datetime | None:
    """The database keeps naive UTC; responses say so (RFC 3339 needs the offset)."""
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


UtcDateTime = Annotated[datetime, AfterValidator(utc)]


def has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(has_nul(v) for v in value)
    return False


class _In(BaseModel):
    """Request bodies: PostgreSQL text cannot hold NUL characters, so they are refused up front
    (422) instead of failing in the database (500)."""

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        if has_nul(data):
            raise ValueError("text must not contain NUL (\\u0000) characters")
        return data


class QueueItem(BaseModel):
    conversation_id: str
    external_id: str | None
    channel: str
    agent_id: str | None
    team_id: str | None
    started_at: UtcDateTime | None
    status: Literal["pending", "in_review", "done"]
    source: str
    plan_id: int | None
    period: str | None
    reviewer: str | None
    second_reviewer: str | None = Field(description="blind second reviewer; shown to QA leads and admins only")
    result_id: int
    machine_score: float
    veto: bool
    flags: list[str]
    rules: list[str]
    emotion_stage: str | None
    final_score: float | None
    final_grade: str | None
    created_at: UtcDateTime


class QueuePage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[QueueItem]


class PlanIn(_In):
    name: str = Field(min_length=1, max_length=200)
    team_id: str | None = Field(default=None, max_length=100)
    percent: float = Field(ge=0, le=100, description="share sampled per agent per ISO week")
    include_flags: list[str] = Field(default=[], max_length=20, description="e.g. veto, complaint: all of them")
    reviewers: list[str] = Field(default=[], max_length=100, description="usernames (qa, supervisor, admin)")
    assignment: Literal["round_robin", "share"] = "round_robin"
    shares: dict[str, float] = Field(default={}, description="username -> weight, for assignment 'share'")
    double_review_percent: float = Field(default=0, ge=0, le=100,
                                         description="share of sampled items that get a blind second review")


class PlanOut(PlanIn):
    id: int
    active: bool
    created_at: UtcDateTime


class SamplingRun(_In):
    plan_id: int
    week: str = Field(pattern=r"^\d{4}-W\d{2}$", description="ISO week, e.g. 2026-W45")


class SamplingOut(BaseModel):
    plan_id: int
    week: str
    candidates: int
    selected: int
    created: int
    already_queued: int
    double_review: int
    assigned: dict[str, int]


class VerdictIn(_In):
    hit_id: str = Field(min_length=1, max_length=200)
    verdict: Literal["confirmed", "rejected"] = Field(description="confirmed 机检正确 / rejected 机检不正确")
    comment: str = Field(default="", max_length=2000)


class VerdictsIn(_In):
    verdicts: list[VerdictIn] = Field(min_length=1, max_length=500)


class ManualIn(_In):
    dimension: str = Field(min_length=1, max_length=100)
    points: float = Field(ge=-100, le=100, description="+ adds, - deducts (final-score points)")
    reason: str = Field(min_length=1, max_length=2000)


class AppealIn(_In):
    reason: str = Field(min_length=1, max_length=4000)


class DecisionIn(_In):
    decision: Literal["approve", "reject", "uphold", "overturn"] = Field(
        description="team lead: approve (forward to QA) / reject; QA: uphold / overturn")
    comment: str = Field(default="", max_length=4000)


class BacktestIn(_In):
    pack_yaml: str = Field(min_length=1, max_length=2_000_000, description="the draft rule pack (YAML)")
    filename: str = Field(default="draft.yaml", pattern=r"^[\w.-]{1,100}\.ya?ml$")
    team_id: str | None = Field(default=None, max_length=100)
    agent_id: str | None = Field(default=None, max_length=100)
    created_from: datetime | None = None
    created_to: datetime | None = None
    limit: int = Field(default=100, ge=1, le=100_000)


class ReviewDetail(BaseModel):
    conversation_id: str
    item: dict[str, Any]
    blind: bool = Field(description="true for the blind second reviewer: first review hidden")
    hits: list[dict[str, Any]]
    manual_items: list[dict[str, Any]]
    final: dict[str, Any] | None
    appeal: dict[str, Any] | None
    trail: list[dict[str, Any]]
    result: dict[str, Any] = Field(description="the reviewed ScoreResult, PII masked unless ?unmask=true")
