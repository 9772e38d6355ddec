"""Builders for minimal valid ScoreResults and small KPI profiles used across tests/kpi."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from qa_engine.kpi.profile import KpiConfig, load_profile, parse_profile
from qa_engine.types import (
    Analysis,
    ChatTiming,
    DimensionScore,
    EmotionIndex,
    Flag,
    Hit,
    PackRef,
    ScoreResult,
)

REPO = Path(__file__).resolve().parents[2]
DEFAULT_PROFILE = REPO / "rules" / "kpi" / "default.yaml"
_PACK = PackRef(id="default", version="1", sha256="0" * 64)


def hit(rule_id: str, mode: str = "violation", severity: str = "minor", n: int = 1, name: str | None = None) -> Hit:
    return Hit(id=f"{rule_id}#{n}", rule_id=rule_id, rule_version=1, rule_name=name or f"规则{rule_id}",
               severity=severity, mode=mode, utterance_indices=[0], explanation="test")


def build_result(
    cid: str = "c1",
    *,
    agent: str | None = "a1",
    team: str | None = "t1",
    customer: str | None = None,
    at: str | datetime | None = "2026-11-10T10:00:00+08:00",
    channel: str = "call",
    score: float = 90.0,
    veto: bool = False,
    compliance: float | None = None,
    hits: list[Hit] | None = None,
    flags: list[str] | None = None,
    metadata: dict[str, Any] | None = None,
    duration: float | None = None,
    timing: dict[str, Any] | None = None,
    emotion: dict[str, Any] | None = None,
    dimensions: list[tuple[str, float, float]] | None = None,  # (name, weight, score)
) -> ScoreResult:
    return ScoreResult(
        engine_version="test",
        conversation_id=cid,
        channel=channel,
        agent_id=agent,
        team_id=team,
        customer_id=customer,
        started_at=at,
        duration=duration,
        metadata=metadata or {},
        rule_pack=_PACK,
        scorecard=_PACK,
        score=score,
        veto=veto,
        grade="良好",
        passed=score >= 80 and not veto,
        dimensions=[DimensionScore(id=n, name=n, weight=w, score=s, deducted=w - s) for n, w, s in dimensions or []],
        compliance_score=compliance,
        hits=hits or [],
        deductions=[],
        flags=[Flag(code=c, reason="test") for c in flags or []],
        needs_review=False,
        analysis=Analysis(
            timing=ChatTiming(**timing) if timing is not None else None,
            emotion_index=EmotionIndex(**emotion) if emotion is not None else None,
        ),
        utterances=[],
    )


def small_config(**overrides: Any) -> KpiConfig:
    """One profile scoring quality (linear 70..90) and FCR (linear 0.85..0.90), equal weights."""
    data: dict[str, Any] = {
        "default_profile": "after_sales",
        "settings": {"min_conversations_for_rank": 1},
        "profiles": {
            "after_sales": {"name": "售后", "kpis": [
                {"id": "quality_score", "weight": 50, "band": {"full_at": 90, "zero_at": 70}, "alert": 80},
                {"id": "fcr", "weight": 50, "band": {"full_at": 0.9, "zero_at": 0.85}},
            ]},
            "pre_sales": {"name": "售前", "kpis": [
                {"id": "first_response", "weight": 1, "band": {"full_at": 30, "zero_at": 60}},
            ]},
        },
    }
    for key, value in overrides.items():
        if key == "settings":
            data["settings"].update(value)
        else:
            data[key] = value
    return parse_profile(data, "test.yaml")


@pytest.fixture
def make_result():
    return build_result


@pytest.fixture
def config() -> KpiConfig:
    return small_config()


@pytest.fixture
def default_config() -> KpiConfig:
    return load_profile(DEFAULT_PROFILE)
