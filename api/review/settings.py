"""Review and appeal configuration from the environment (prefix ``QA_REVIEW_``)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ReviewSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="QA_REVIEW_", extra="ignore")

    appeal_window_days: float = Field(default=7, gt=0, description="agent may appeal this long after the review")
    appeal_lead_days: float = Field(default=3, gt=0, description="team lead's time; then it moves on to QA")
    appeal_qa_days: float = Field(default=5, gt=0, description="QA's time for the final judgement (overdue after)")
    timezone: str = Field(default="Asia/Shanghai", description="calendar of sampling weeks and drift weeks")
    backtest_max_conversations: int = Field(default=200, ge=1, description="largest synchronous backtest")
