"""Service configuration from the environment (prefix ``QA_``), documented in docs/service.md.

Secrets are never hard-coded: when ``QA_JWT_SECRET`` / ``QA_WEBHOOK_SECRET`` are unset, a random
secret is generated once and persisted (mode 0600) in the data directory, so tokens survive a
restart and every process of one deployment (API, workers) signs with the same key.
"""

from __future__ import annotations

import os
import secrets
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from qa_engine.pipeline import DEFAULT_PACK, DEFAULT_SCORECARD


def _persisted_secret(path: Path) -> str:
    """Read the secret at ``path`` or create it atomically (two processes starting together
    must end up with the same secret: O_EXCL decides the winner, the loser reads it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):  # the winner may not have written yet
            value = path.read_text(encoding="ascii").strip()
            if value:
                return value
            import time

            time.sleep(0.02)
        raise RuntimeError(f"secret file {path} is empty; delete it or set the variable") from None
    value = secrets.token_urlsafe(48)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(value + "\n")
    return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="QA_", extra="ignore")

    data_dir: Path = Path("./var")
    database_url: str | None = Field(default=None, description="SQLAlchemy URL; default SQLite in the data dir")
    audio_dir: Path | None = None
    max_upload_mb: int = Field(default=500, ge=1)
    jwt_secret: SecretStr | None = None
    jwt_ttl_minutes: int = Field(default=480, ge=1)
    login_max_failures: int = Field(default=10, ge=1)
    login_lockout_minutes: int = Field(default=15, ge=1)
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_timeout_seconds: float = 10.0
    embedded_worker: bool = True
    rules: Path = DEFAULT_PACK
    scorecard: Path = DEFAULT_SCORECARD
    analyzers: str | None = Field(default=None, description="comma-separated analyzer names; default: the engine's")
    worker_lease_seconds: float = Field(default=60.0, gt=0)
    worker_poll_seconds: float = Field(default=1.0, gt=0)
    max_attempts: int = Field(default=5, ge=1)
    retry_base_seconds: float = Field(default=2.0, ge=0)
    retry_max_seconds: float = Field(default=600.0, ge=0)
    # Executor (docs/deploy.md): "embedded" = workers poll the job table; "celery" = the API
    # publishes job ids to QA_BROKER_URL and `celery -A api.executors.celery_app worker` runs them.
    executor: Literal["embedded", "celery"] = "embedded"
    broker_url: str = "redis://127.0.0.1:6379/0"
    sweep_seconds: float = Field(default=30.0, gt=0, description="how often Celery workers look for lost jobs")
    requeue_after_seconds: float = Field(default=60.0, ge=0, description="a queued job older than this is re-published")
    log_level: str = "INFO"
    log_json: bool = True

    @cached_property
    def db_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'qa.db').resolve()}"

    @cached_property
    def audio_path(self) -> Path:
        return (self.audio_dir or self.data_dir / "audio").resolve()

    @cached_property
    def jwt_key(self) -> str:
        if self.jwt_secret is not None and self.jwt_secret.get_secret_value():
            return self.jwt_secret.get_secret_value()
        return _persisted_secret(self.data_dir / "jwt_secret")

    @cached_property
    def webhook_key(self) -> str:
        if self.webhook_secret is not None and self.webhook_secret.get_secret_value():
            return self.webhook_secret.get_secret_value()
        return _persisted_secret(self.data_dir / "webhook_secret")

    @property
    def max_upload_bytes(self) -> int:
        return self.max_upload_mb * 1024 * 1024

    @property
    def analyzer_names(self) -> tuple[str, ...] | None:
        if self.analyzers is None:
            return None
        return tuple(a.strip() for a in self.analyzers.split(",") if a.strip())
