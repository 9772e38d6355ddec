"""Review workflow tables: sampling plans, review items, verdicts, manual items, appeals, trail.

One review item per conversation (unique): flagged and sampled conversations share it, and a
re-run of a sampling plan can never add a second one. Verdicts and manual items point at the
result version they were made on, so a re-score (e.g. a role swap) leaves the old ones in the
record without applying them to the new version's hits.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, BigId, JSONType, utcnow

ITEM_STATUSES = ("pending", "in_review", "done")
ITEM_SOURCES = ("flagged", "sampled", "manual")
VERDICTS = ("confirmed", "rejected")
VERDICT_KINDS = ("primary", "blind")  # blind: the second reviewer of a double review
APPEAL_STATUSES = ("submitted", "forwarded", "rejected", "upheld", "overturned", "withdrawn")
APPEAL_FINAL = frozenset({"rejected", "upheld", "overturned", "withdrawn"})


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class SamplingPlan(Base):
    __tablename__ = "review_sampling_plans"
    __table_args__ = (CheckConstraint(_in("assignment", ("round_robin", "share")), name="assignment"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    team_id: Mapped[str | None] = mapped_column(String(100))  # None: every team in the runner's scope
    percent: Mapped[float] = mapped_column(Float)  # per agent per ISO week
    include_flags: Mapped[list[str]] = mapped_column(JSONType, default=list)  # e.g. ["veto", "complaint"]
    reviewers: Mapped[list[str]] = mapped_column(JSONType, default=list)  # usernames
    assignment: Mapped[str] = mapped_column(String(20), default="round_robin")
    shares: Mapped[dict[str, float]] = mapped_column(JSONType, default=dict)  # username -> weight
    double_review_percent: Mapped[float] = mapped_column(Float, default=0.0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[int | None] = mapped_column(BigId)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class ReviewItem(Base):
    __tablename__ = "review_items"
    __table_args__ = (
        CheckConstraint(_in("status", ITEM_STATUSES), name="status"),
        CheckConstraint(_in("source", ITEM_SOURCES), name="source"),
        Index("ix_review_items_status_created", "status", "created_at"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), unique=True)
    result_id: Mapped[int] = mapped_column(ForeignKey("results.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(16))
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("review_sampling_plans.id", ondelete="SET NULL"))
    period: Mapped[str | None] = mapped_column(String(10))  # ISO week "2026-W45" of the sampling
    status: Mapped[str] = mapped_column(String(16), default="pending")
    reviewer_id: Mapped[int | None] = mapped_column(BigId, index=True)
    second_reviewer_id: Mapped[int | None] = mapped_column(BigId, index=True)
    # Denormalised from the result so the queue filters in SQL, on both dialects, without JSON ops.
    machine_score: Mapped[float] = mapped_column(Float)
    veto: Mapped[bool] = mapped_column(Boolean, default=False)
    flag_codes: Mapped[str] = mapped_column(String(1000), default=",")  # ",veto,complaint,"
    rule_ids: Mapped[str] = mapped_column(Text, default=",")  # ",closing,forbidden_phrases,"
    emotion_stage: Mapped[str | None] = mapped_column(String(20))
    final_score: Mapped[float | None] = mapped_column(Float)
    final_grade: Mapped[str | None] = mapped_column(String(50))
    final_veto: Mapped[bool | None] = mapped_column(Boolean)
    final_passed: Mapped[bool | None] = mapped_column(Boolean)
    done_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class Verdict(Base):
    """机检正确 (confirmed) / 机检不正确 (rejected) on one hit of one result version."""

    __tablename__ = "review_verdicts"
    __table_args__ = (
        CheckConstraint(_in("verdict", VERDICTS), name="verdict"),
        CheckConstraint(_in("kind", VERDICT_KINDS), name="kind"),
        UniqueConstraint("result_id", "hit_id", "kind", name="uq_review_verdicts_hit"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("review_items.id", ondelete="CASCADE"), index=True)
    result_id: Mapped[int] = mapped_column(ForeignKey("results.id", ondelete="CASCADE"))
    hit_id: Mapped[str] = mapped_column(String(200))
    rule_id: Mapped[str] = mapped_column(String(100), index=True)
    kind: Mapped[str] = mapped_column(String(10), default="primary")
    verdict: Mapped[str] = mapped_column(String(10))
    comment: Mapped[str] = mapped_column(Text, default="")
    reviewer_id: Mapped[int] = mapped_column(BigId, index=True)
    reviewer: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class ManualItem(Base):
    """A reviewer's own score item: +/- points on a dimension, with a reason."""

    __tablename__ = "review_manual_items"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("review_items.id", ondelete="CASCADE"), index=True)
    result_id: Mapped[int] = mapped_column(ForeignKey("results.id", ondelete="CASCADE"))
    dimension: Mapped[str] = mapped_column(String(100))
    points: Mapped[float] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)  # removal keeps the row (trail)
    created_by: Mapped[int] = mapped_column(BigId)
    created_by_name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Appeal(Base):
    __tablename__ = "review_appeals"
    __table_args__ = (CheckConstraint(_in("status", APPEAL_STATUSES), name="status"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    # one appeal per review item: the judgement at its end is final (终审)
    item_id: Mapped[int] = mapped_column(ForeignKey("review_items.id", ondelete="CASCADE"), unique=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="submitted", index=True)
    reason: Mapped[str] = mapped_column(Text)
    agent_user_id: Mapped[int] = mapped_column(BigId)
    score_before: Mapped[float | None] = mapped_column(Float)
    score_after: Mapped[float | None] = mapped_column(Float)
    submitted_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    lead_due_at: Mapped[datetime] = mapped_column(DateTime)
    lead_user_id: Mapped[int | None] = mapped_column(BigId)
    lead_comment: Mapped[str | None] = mapped_column(Text)
    lead_at: Mapped[datetime | None] = mapped_column(DateTime)
    qa_due_at: Mapped[datetime | None] = mapped_column(DateTime)
    qa_user_id: Mapped[int | None] = mapped_column(BigId)
    qa_comment: Mapped[str | None] = mapped_column(Text)
    qa_at: Mapped[datetime | None] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)


class TrailEntry(Base):
    """Who changed what, old -> new. Append-only: database triggers reject UPDATE and DELETE."""

    __tablename__ = "review_trail"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    conversation_id: Mapped[str] = mapped_column(String(36), index=True)  # no FK: outlives the rows
    item_id: Mapped[int | None] = mapped_column(BigId)
    user_id: Mapped[int | None] = mapped_column(BigId)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(50))
    field: Mapped[str | None] = mapped_column(String(200))
    old: Mapped[Any] = mapped_column(JSONType, nullable=True)
    new: Mapped[Any] = mapped_column(JSONType, nullable=True)
