from __future__ import annotations

import json

import pytest

from qa_engine.kpi.compute import compute_kpis

from .conftest import build_result as r
from .conftest import hit, small_config


def nov(day: int, hour: int = 10) -> str:
    return f"2026-11-{day:02d}T{hour:02d}:00:00+08:00"


def test_quality_pass_veto_violations_compliance(config):
    results = [
        r("c1", score=95, compliance=100,
          hits=[hit("r1", n=1), hit("r1", n=2), hit("r2", mode="detect"), hit("r3", mode="required", severity="major")]),
        r("c2", score=80, compliance=90),  # exactly the pass line passes
        r("c3", score=85, veto=True),  # a veto fails whatever the score
        r("c4", score=60),
    ]
    a1 = compute_kpis(results, config, "2026-11").agent("a1")
    assert a1.conversations == 4
    assert a1.value("quality_score") == 80
    assert a1.value("pass_rate") == 0.5
    assert a1.value("veto_count") == 1 and a1.value("veto_rate") == 0.25
    assert a1.value("violations_per_conversation") == 0.75  # detect hits are not violations
    assert a1.value("compliance_score") == 95  # averaged over conversations that have one
    assert a1.kpis["pass_rate"].numerator == 2 and a1.kpis["pass_rate"].denominator == 4


def test_pass_score_comes_from_profile():
    results = [r("c1", score=85), r("c2", score=75)]
    strict = compute_kpis(results, small_config(settings={"pass_score": 90}), "2026-11")
    lenient = compute_kpis(results, small_config(settings={"pass_score": 70}), "2026-11")
    assert strict.overall.value("pass_rate") == 0 and lenient.overall.value("pass_rate") == 1


def test_violations_per_rule_rows(config):
    results = [
        r("c1", hits=[hit("r1", n=1), hit("r1", n=2), hit("r3", mode="required", severity="major")]),
        r("c2", agent="a2", hits=[hit("r1")]),
        r("c3", agent="a2", hits=[hit("r2", mode="detect")]),
    ]
    report = compute_kpis(results, config, "2026-11")
    rows = {(v.level, v.entity_id, v.rule_id): v for v in report.violations}
    overall = rows[("overall", "全部", "r1")]
    assert (overall.hits, overall.conversations, overall.share) == (3, 2, pytest.approx(2 / 3))
    assert rows[("agent", "a1", "r3")].severity == "major"
    assert rows[("agent", "a2", "r1")].share == 0.5
    assert not any(v.rule_id == "r2" for v in report.violations)


def test_aht_asa_with_fallbacks_and_bad_values(config):
    results = [
        r("c1", metadata={"talk_seconds": 300, "hold_seconds": 60, "acw_seconds": 40, "wait_seconds": 10}),
        r("c2", duration=200, metadata={"acw_seconds": 20, "wait_seconds": "20"}),  # duration stands in for talk
        r("c3"),  # no talk time at all: not a handled contact for AHT
        r("c4", duration=999, metadata={"talk_seconds": "100", "hold_seconds": "abc"}),
    ]
    report = compute_kpis(results, config, "2026-11")
    a1 = report.agent("a1")
    assert a1.value("aht") == pytest.approx((400 + 220 + 100) / 3)
    assert a1.kpis["aht"].denominator == 3
    assert a1.value("asa") == 15
    assert any("hold_seconds" in note and "1" in note for note in report.notes)


def test_chat_response_times_only_from_chats(config):
    results = [
        r("c1", channel="chat", timing={"first_response": 20, "average_response": 30}),
        r("c2", channel="chat", timing={"first_response": 40, "average_response": 50}),
        r("c3", channel="chat", timing={"first_response": None}),
        r("c4", channel="call", timing={"first_response": 1000, "average_response": 1000}),
        r("c5", agent="a2", channel="call"),
    ]
    report = compute_kpis(results, config, "2026-11")
    a1 = report.agent("a1")
    assert a1.value("first_response") == 30 and a1.value("average_response") == 40
    assert report.agent("a2").value("first_response") is None  # N/A, not 0


def test_fcr_repeat_in_next_period_counts_and_window_edges(config):
    results = [
        r("u1-nov", customer="u1", at=nov(28)),
        r("u1-dec", customer="u1", agent="a2", at="2026-12-03T09:00:00+08:00"),  # other agent, next month
        r("u2-a", customer="u2", at=nov(10)),
        r("u2-b", customer="u2", at=nov(20)),  # 10 days later: outside the 7-day window
        r("u3", customer="u3", at=nov(5), metadata={"resolved": False}),
        r("anon-yes", customer=None, metadata={"resolved": "是"}),
        r("anon-unknown", customer=None),  # no customer, no flag: cannot be judged
        r("u4-a", customer="u4", at=nov(1)),
        r("u4-b", customer="u4", at=nov(8)),  # exactly 7 days later: inside the window
    ]
    report = compute_kpis(results, config, "2026-11")
    a1 = report.agent("a1")
    fcr = a1.kpis["fcr"]
    assert (fcr.numerator, fcr.denominator) == (4, 7)
    assert a1.value("fcr") == pytest.approx(4 / 7)
    december = compute_kpis(results, config, "2026-12")
    assert december.agent("a2").value("fcr") == 1.0
    # the same data for November alone would have hidden u1's repeat
    only_nov = compute_kpis([x for x in results if x.conversation_id != "u1-dec"], config, "2026-11")
    assert only_nov.agent("a1").kpis["fcr"].numerator == 5


def test_fcr_match_fields_and_window_setting():
    results = [
        r("a", customer="u1", at=nov(1), metadata={"issue": "退款"}),
        r("b", customer="u1", at=nov(3), metadata={"issue": "物流"}),
    ]
    any_issue = compute_kpis(results, small_config(), "2026-11").overall
    same_issue = compute_kpis(results, small_config(settings={"fcr_match_fields": ["issue"]}), "2026-11").overall
    short = compute_kpis(results, small_config(settings={"fcr_window_days": 1}), "2026-11").overall
    assert any_issue.value("fcr") == 0.5
    assert same_issue.value("fcr") == 1.0
    assert short.value("fcr") == 1.0


def test_csat_scale_and_labels(config):
    answers = [5, "4", "满意", "非常满意", "一般", 2, "不满意", "非常不满意", 4.0, "very satisfied",
               "bad", 7, True, None]
    results = [r(f"c{i}", metadata={"csat": a}) for i, a in enumerate(answers)]
    report = compute_kpis(results, config, "2026-11")
    o = report.overall
    assert o.value("csat") == pytest.approx(6 / 10)
    assert o.value("survey_responses") == 10
    assert any("csat" in note and "3" in note for note in report.notes)


def test_complaint_and_escalation_rates(config):
    results = [
        r("c1", flags=["complaint"], metadata={"complaint": True}),  # counted once
        r("c2", metadata={"complaint": "是", "escalated": "yes"}),
        r("c3", metadata={"complaint": False}),
        r("c4", flags=["low_score"]),
    ]
    o = compute_kpis(results, config, "2026-11").overall
    assert o.value("complaint_rate") == 0.5
    assert o.value("escalation_rate") == 0.25


def test_emotion_kpis(config):
    results = [
        r("e1", emotion={"index": 80, "negative_share": 0.1, "trend": "recovered", "start_index": 30}),
        r("e2", emotion={"index": 40, "negative_share": 0.3, "trend": "worsened", "start_index": 50}),
        r("e3", emotion={"index": 60, "negative_share": 0.05, "trend": "improved", "start_index": 20}),
        r("e4"),
    ]
    o = compute_kpis(results, config, "2026-11").overall
    assert o.value("emotion_index") == 60
    assert o.value("negative_share") == pytest.approx(0.15)
    assert o.value("recovery_rate") == 0.5  # e1 recovered, e3 started negative and did not


def test_emotion_absent_is_na_and_drops_out_of_composite():
    config = small_config(profiles={"after_sales": {"kpis": [
        {"id": "quality_score", "weight": 60, "band": {"full_at": 90, "zero_at": 70}},
        {"id": "negative_share", "weight": 40, "band": {"full_at": 0.08, "zero_at": 0.2}},
        {"id": "recovery_rate", "weight": 10, "band": {"full_at": 0.6, "zero_at": 0.3}},
    ]}})
    results = [r("c1", score=85), r("c2", score=75)]
    report = compute_kpis(results, config, "2026-11")
    a1 = report.agent("a1")
    for kpi in ("emotion_index", "negative_share", "recovery_rate"):
        assert a1.kpis[kpi].value is None and a1.kpis[kpi].band_score is None
    assert a1.kpis["negative_share"].weight == 40  # still shown as a scored KPI
    assert a1.composite == pytest.approx(50.0)  # quality 80 -> band 50, alone in the denominator
    assert any("情绪" in note and "N/A" in note for note in report.notes)


def test_composite_weights_band_scores(config):
    # quality 85 -> 75 points; FCR 0.875 (7/8) -> 50 points; equal weights -> 62.5
    results = [r(f"c{i}", score=85, customer=f"u{i}", at=nov(1 + i)) for i in range(8)]
    results[0].metadata["resolved"] = False
    a1 = compute_kpis(results, config, "2026-11").agent("a1")
    assert a1.kpis["quality_score"].band_score == pytest.approx(75)
    assert a1.kpis["fcr"].band_score == pytest.approx(50)
    assert a1.composite == pytest.approx(62.5)


def test_role_from_metadata_mapping_and_unknown(config):
    results = [
        r("c1", agent="s1", channel="chat", metadata={"role": "pre_sales"}, timing={"first_response": 45}),
        r("c2", agent="s2", metadata={"role": "pre_sales"}),
        r("c3", agent="s3", metadata={"role": "vip_desk"}),
    ]
    mapped = small_config(agents={"s2": "after_sales"})
    report = compute_kpis(results, mapped, "2026-11")
    s1, s2, s3 = report.agent("s1"), report.agent("s2"), report.agent("s3")
    assert s1.profile == "pre_sales" and s1.profile_name == "售前"
    assert s1.composite == pytest.approx(50)  # 45 s on a 30..60 linear band
    assert s1.kpis["quality_score"].weight is None  # pre-sales profile does not score it
    assert s2.profile == "after_sales"  # the profile mapping wins over metadata
    assert s3.profile == "after_sales"
    assert any("vip_desk" in note for note in report.notes)


def test_team_and_overall_pool_conversations_and_ranks():
    config = small_config(settings={"min_conversations_for_rank": 2})
    results = [
        r("x1", agent="a1", team="t1", score=90), r("x2", agent="a1", team="t1", score=90),
        r("y1", agent="a2", team="t1", score=80), r("y2", agent="a2", team="t1", score=80),
        r("z1", agent="a3", team="t2", score=90), r("z2", agent="a3", team="t2", score=90),
        r("w1", agent="a4", team="t2", score=100),  # one conversation: below the ranking minimum
        r("n1", agent=None, team="t2", score=70),
    ]
    report = compute_kpis(results, config, "2026-11")
    assert report.team("t1").value("quality_score") == 85
    assert report.team("t2").value("quality_score") == pytest.approx((90 + 90 + 100 + 70) / 4)
    assert report.overall.conversations == 8
    ranks = {a.id: (a.rank, a.team_rank) for a in report.agents}
    assert ranks == {"a1": (1, 1), "a3": (1, 1), "a2": (3, 2), "a4": (None, None)}
    assert [a.id for a in report.agents] == ["a1", "a3", "a2", "a4"]
    assert report.agent("a4").team_id == "t2"
    assert any("无坐席ID" in note for note in report.notes)
    assert report.counts["no_agent_id"] == 1


def test_missing_started_at_and_duplicates(config):
    results = [
        r("c1", score=50), r("c2", at=None), r("c3", at="2026-10-31T23:59:00+08:00"),
        r("c1", score=100),  # rescored: the later result wins
        r("c4", at="2026-11-30T23:30:00"),  # naive: read as Beijing time -> still November
    ]
    report = compute_kpis(results, config, "2026-11")
    assert report.counts == {"loaded": 5, "duplicates": 1, "skipped_no_started_at": 1,
                             "outside_period": 1, "in_period": 2}
    assert report.overall.value("quality_score") == 95
    assert any("started_at" in note for note in report.notes)
    everything = compute_kpis(results, config, None)
    assert everything.overall.conversations == 4  # no period: undated results are included


def test_empty_period_gives_na_not_zero(config):
    report = compute_kpis([r("c1")], config, "2026-10")
    assert report.overall.conversations == 0
    assert report.overall.value("quality_score") is None and report.overall.composite is None
    assert report.agents == []


def test_dimensions_and_alerts_and_json(config):
    results = [
        r("c1", score=75, dimensions=[("服务态度", 30, 30), ("合规", 30, 15)]),
        r("c2", score=75, dimensions=[("服务态度", 30, 15)]),
    ]
    report = compute_kpis(results, config, "2026-11")
    a1 = report.agent("a1")
    assert a1.dimensions == {"合规": 0.5, "服务态度": 0.75}
    assert a1.alerts == ["平均质检分"]  # 75 < alert 80
    assert a1.kpis["quality_score"].alert
    data = json.loads(json.dumps(report.to_dict(), ensure_ascii=False))
    assert data["agents"][0]["kpis"]["quality_score"]["value"] == 75
    assert data["period"]["start"].startswith("2026-11-01T00:00:00+08:00")
