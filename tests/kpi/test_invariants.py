"""Cross-checks on seeded synthetic traffic against naive reference computations."""

from __future__ import annotations

from datetime import timedelta

import pytest

from qa_engine.kpi.compute import compute_kpis
from qa_engine.kpi.period import parse_period
from qa_engine.types import ScoreResult

from .synthetic import synthetic_dicts


@pytest.fixture(scope="module")
def results() -> list[ScoreResult]:
    # few customers so repeats are common and FCR is far from 1
    return [ScoreResult.model_validate(d) for d in synthetic_dicts(3000, agents=30, teams=4, customers=900)]


def test_levels_add_up_and_scores_are_bounded(results, default_config):
    report = compute_kpis(results, default_config, "2026-11")
    assert report.overall.conversations == report.counts["in_period"] > 1000
    assert sum(t.conversations for t in report.teams) == report.overall.conversations
    assert sum(a.conversations for a in report.agents) == report.overall.conversations
    for entity in [report.overall, *report.teams, *report.agents]:
        assert entity.composite is None or 0 <= entity.composite <= 100
        for kv in entity.kpis.values():
            assert kv.band_score is None or 0 <= kv.band_score <= 100
    # three roles by team in the synthetic data -> every profile is used
    assert {a.profile for a in report.agents} == {"after_sales", "pre_sales", "tech_support"}


def test_pooled_values_match_direct_computation(results, default_config):
    period = parse_period("2026-11", default_config.settings.tzinfo)
    inside = [r for r in results if period.contains(r.started_at)]
    report = compute_kpis(results, default_config, period)
    team = report.team("t01")
    mine = [r for r in inside if r.team_id == "t01"]
    assert team.value("quality_score") == pytest.approx(sum(r.score for r in mine) / len(mine))
    passed = sum(1 for r in mine if r.score >= 80 and not r.veto)
    assert team.value("pass_rate") == pytest.approx(passed / len(mine))
    hits = sum(1 for r in mine for h in r.hits if h.mode != "detect")
    assert team.value("violations_per_conversation") == pytest.approx(hits / len(mine))


def test_fcr_matches_quadratic_reference(results, default_config):
    period = parse_period("2026-11", default_config.settings.tzinfo)
    window = timedelta(days=default_config.settings.fcr_window_days)
    agent = "a0007"
    resolved = total = 0
    for r in results:
        if r.agent_id != agent or not period.contains(r.started_at):
            continue
        total += 1
        repeat = any(o.customer_id == r.customer_id and r.started_at < o.started_at <= r.started_at + window
                     for o in results)
        resolved += not repeat and r.metadata.get("resolved") is not False
    fcr = compute_kpis(results, default_config, period).agent(agent).kpis["fcr"]
    assert (fcr.numerator, fcr.denominator) == (resolved, total)
    assert 0.3 < fcr.value < 0.95
