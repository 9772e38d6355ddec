"""Core tables: people and access, conversations, durable jobs, versioned results, audit log.

Other parts of the service add their own tables on ``api.db.Base`` and their own migrations
(down_revision chain after ``0001_core``). Change these tables only through a new migration.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.db import Base, BigId, JSONType, utcnow

ROLES = ("agent", "team_lead", "qa", "supervisor", "admin")
JOB_KINDS = ("score", "transcribe", "analyse", "webhook")
JOB_STATUSES = ("queued", "running", "done", "failed")
# Conversation.status is the user-facing summary of its jobs, kept in step by the worker.
CONVERSATION_STATUSES = ("queued", "processing", "scored", "failed")


def new_uuid() -> str:
    return str(uuid.uuid4())


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Team(Base):
    __tablename__ = "teams"
    # The id is the engine's team id (``Conversation.team_id`` in uploads), e.g. "t1".
    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class User(Base):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint(_in("role", ROLES), name="role"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(20))
    agent_id: Mapped[str | None] = mapped_column(String(100), index=True)  # the engine's agent id
    can_unmask: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    teams: Mapped[list[UserTeam]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    @property
    def team_ids(self) -> frozenset[str]:
        return frozenset(t.team_id for t in self.teams)


class UserTeam(Base):
    """Which teams a user belongs to or covers (a team lead or QA may cover several)."""

    __tablename__ = "user_teams"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    team_id: Mapped[str] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True)


class ApiKey(Base):
    """Machine clients. Only a SHA-256 of the key is stored: keys are 256-bit random, so a fast
    hash is safe (no dictionary to attack) and keeps per-request checks cheap, unlike argon2."""

    __tablename__ = "api_keys"
    __table_args__ = (CheckConstraint(_in("role", ROLES), name="role"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    prefix: Mapped[str] = mapped_column(String(16), unique=True)  # shown in lists and logs
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(20))
    scopes: Mapped[list[str]] = mapped_column(JSONType, default=list)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)
    owner: Mapped[User] = relationship(lazy="joined")


class Upload(Base):
    """One accepted upload request; with an Idempotency-Key, a retry returns the same ids.

    ``idempotency_key`` is stored as "<principal>:<client key>" so two clients can never collide.
    """

    __tablename__ = "uploads"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    idempotency_key: Mapped[str | None] = mapped_column(String(400), unique=True)
    request_sha256: Mapped[str] = mapped_column(String(64))
    conversation_ids: Mapped[list[str]] = mapped_column(JSONType, default=list)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Conversation(Base):
    __tablename__ = "conversations"
    __table_args__ = (
        CheckConstraint(_in("channel", ("chat", "call")), name="channel"),
        CheckConstraint(_in("status", CONVERSATION_STATUSES), name="status"),
        Index("ix_conversations_team_created", "team_id", "created_at"),
        Index("ix_conversations_agent_created", "agent_id", "created_at"),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    external_id: Mapped[str | None] = mapped_column(String(200), index=True)  # the client's id
    channel: Mapped[str] = mapped_column(String(8))
    agent_id: Mapped[str | None] = mapped_column(String(100))
    team_id: Mapped[str | None] = mapped_column(String(100))
    customer_id: Mapped[str | None] = mapped_column(String(100))
    started_at: Mapped[datetime | None] = mapped_column(DateTime)
    # The normalised engine Conversation (JSON) as ingested; for calls, filled by transcription.
    # Storing the parsed form (not the raw bytes) makes a rescore independent of parser changes.
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSONType, default=dict)
    audio_path: Mapped[str | None] = mapped_column(String(1000))  # relative to QA_AUDIO_DIR
    audio_filename: Mapped[str | None] = mapped_column(String(300))
    audio_bytes: Mapped[int | None] = mapped_column(BigId)
    callback_url: Mapped[str | None] = mapped_column(String(2000))
    status: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    error: Mapped[str | None] = mapped_column(Text)
    upload_id: Mapped[str | None] = mapped_column(ForeignKey("uploads.id", ondelete="SET NULL"), index=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class Job(Base):
    """A durable unit of work, committed in the same transaction as what it works on."""

    __tablename__ = "jobs"
    __table_args__ = (
        CheckConstraint(_in("kind", JOB_KINDS), name="kind"),
        CheckConstraint(_in("status", JOB_STATUSES), name="status"),
        Index("ix_jobs_claim", "status", "run_after"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="queued")
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    run_after: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    lease_owner: Mapped[str | None] = mapped_column(String(200))
    lease_until: Mapped[datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class Result(Base):
    """One scoring of one conversation by one rule pack + scorecard + model set.

    The unique key makes scoring idempotent (a redelivered job inserts nothing); a new pack,
    scorecard or model gives a new ``version``, never an overwrite. The scorecard sha is part of
    the key because a changed scorecard changes the score just as a changed pack does.
    """

    __tablename__ = "results"
    __table_args__ = (
        UniqueConstraint("conversation_id", "pack_sha", "scorecard_sha", "model_version", name="uq_results_identity"),
        UniqueConstraint("conversation_id", "version", name="uq_results_version"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    pack_id: Mapped[str] = mapped_column(String(100))
    pack_version: Mapped[str] = mapped_column(String(100))
    pack_sha: Mapped[str] = mapped_column(String(64))
    scorecard_id: Mapped[str] = mapped_column(String(100))
    scorecard_version: Mapped[str] = mapped_column(String(100))
    scorecard_sha: Mapped[str] = mapped_column(String(64))
    model_version: Mapped[str] = mapped_column(String(500))
    engine_version: Mapped[str] = mapped_column(String(50))
    score: Mapped[float] = mapped_column(Float)
    grade: Mapped[str] = mapped_column(String(50))
    veto: Mapped[bool] = mapped_column(Boolean)
    passed: Mapped[bool] = mapped_column(Boolean)
    needs_review: Mapped[bool] = mapped_column(Boolean, index=True)
    result: Mapped[dict[str, Any]] = mapped_column(JSONType)  # ScoreResult JSON (schemas/score-result.v1.json)
    job_id: Mapped[int | None] = mapped_column(BigId)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class AuditLog(Base):
    """Append-only: the code has no update/delete path and the migration adds database
    triggers that reject UPDATE and DELETE (PostgreSQL and SQLite)."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(BigId, index=True)  # no FK: the trail outlives users
    actor: Mapped[str] = mapped_column(String(200))  # username or "apikey:<prefix>"
    action: Mapped[str] = mapped_column(String(50), index=True)  # login|login_failed|replay|export|unmask|score_change|...
    target_type: Mapped[str | None] = mapped_column(String(50))
    target_id: Mapped[str | None] = mapped_column(String(200), index=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    ip: Mapped[str | None] = mapped_column(String(64))
