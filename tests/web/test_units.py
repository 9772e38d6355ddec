"""Browser-free tests of the page building blocks: hit segments, SVG charts, skill radar
mapping, emotion report data, workbook charts and target formatting."""

from __future__ import annotations

import zipfile
from datetime import datetime, timedelta, timezone

from api.web import transcript
from qa_engine.kpi.charts import weekly_periods
from qa_engine.kpi.period import Period
from qa_engine.kpi.report import EntityKpis, KpiValue
from qa_engine.reports import emotion, svg
from qa_engine.reports.skills import skill_axes


def test_overlapping_hit_spans_split_into_segments():
    segs = transcript._segments("不知道你自己去查", [(0, 3, "a#1", "major"), (2, 8, "b#1", "minor")])
    assert [(s.text, s.hit_ids, s.severity) for s in segs] == [
        ("不知", ["a#1"], "major"), ("道", ["a#1", "b#1"], "major"), ("你自己去查", ["b#1"], "minor")]
    assert "".join(s.text for s in segs) == "不知道你自己去查"


def test_svg_escapes_labels_and_marks_peaks():
    out = svg.line_chart([svg.Point(0, 50, "<b>", False), svg.Point(10, 20, "峰值", True, {"start": 10})])
    assert "<b>" not in out and "&lt;b&gt;" in out
    assert out.count('class="pt peak"') == 1 and 'data-start="10"' in out
    radar = svg.radar([("服务态度", 80.0), ("合规", None), ("效率", 100.0)])
    assert "服务态度" in radar and "N/A" in radar
    fall = svg.waterfall(100, [("使用禁用语", -5.0, {"hits": "x#1"})], 95)
    assert fall.count("<rect") == 3 and 'data-hits="x#1"' in fall


def test_long_curves_are_thinned_but_keep_peaks():
    points = [svg.Point(float(i), 50.0 + (i % 2), "", i == 777) for i in range(1200)]
    thin = transcript._thin(points)
    assert len(thin) <= 241 and any(p.marked and p.x == 777.0 for p in thin)


def _kv(kpi_id: str, value: float | None) -> KpiValue:
    return KpiValue(kpi_id, kpi_id, "score", value, None, None)


def test_skill_axes_mapping():
    entity = EntityKpis("agent", "a1", "t1", "p", "p", 3,
                        {"compliance_score": _kv("compliance_score", 92.0), "emotion_index": _kv("emotion_index", None)},
                        80.0, dimensions={"服务态度": 0.9, "服务规范": 0.75, "服务效率": 1.0})
    assert skill_axes(entity) == [("服务态度", 90.0), ("专业规范", 75.0), ("合规", 92.0), ("情绪处理", None),
                                  ("服务效率", 100.0)]


def _result(cid: str, agent: str, index: float, trend: str, hits: list[dict], texts: list[tuple[str, str]]) -> dict:
    utterances = [{"index": i, "speaker": s, "text": t, "start": float(i),
                   "sentiment": {"label": "negative" if "投诉" in t else "neutral", "probabilities": {}}}
                  for i, (s, t) in enumerate(texts)]
    return {"conversation_id": cid, "agent_id": agent, "team_id": "t1", "started_at": "2026-11-03T10:00:00+08:00",
            "hits": hits, "utterances": utterances,
            "analysis": {"emotion_index": {"index": index, "trend": trend, "stage": "angry" if index < 30 else "normal",
                                           "negative_share": 0.5 if index < 30 else 0.0, "peaks": []}}}


def test_emotion_report_coaching_and_target():
    hit = {"rule_id": "forbidden", "rule_name": "使用禁用语", "mode": "violation", "severity": "major",
           "utterance_indices": [1], "matched_text": "不知道", "explanation": ""}
    results = [
        _result("c1", "a1", 20, "lost", [hit, hit], [("customer", "你好"), ("agent", "不知道"), ("customer", "我要投诉")]),
        _result("c2", "a1", 90, "recovered", [hit], [("customer", "我要投诉"), ("agent", "抱歉"), ("customer", "好的")]),
        _result("c3", "a2", 95, "stable", [], [("customer", "谢谢")]),
    ]
    report = emotion.build(results, scope="班组 t1", now=datetime(2026, 11, 4, tzinfo=timezone.utc))
    assert report.conversations == 3 and report.recovered == 1 and report.lost == 1
    assert report.over_target  # mean negative share 1/6 > 8 %
    a1 = next(a for a in report.agents if a["agent_id"] == "a1")
    assert a1["coaching"][0]["rule_name"] == "使用禁用语" and a1["coaching"][0]["hits"] == 3
    assert a1["coaching"][0]["examples"][0]["text"] == "不知道"  # the quoted utterance (index 1)
    assert report.worst[0]["conversation_id"] == "c1"
    assert [t["direction"] for t in report.worst[0]["turns"]] == ["worsened"]
    assert [c["conversation_id"] for c in report.overdue] == ["c1"]  # angry, 2 h deadline long past


def test_weekly_periods_cover_the_month():
    tz = timezone(timedelta(hours=8))
    month = Period("2026-11", "month", datetime(2026, 11, 1, tzinfo=tz), datetime(2026, 12, 1, tzinfo=tz))
    weeks = weekly_periods(month, [])
    assert weeks[0].label == "2026-W44" and weeks[-1].label == "2026-W49"
    assert weeks[0].start == month.start and weeks[-1].end == month.end


def test_workbook_has_native_charts_and_target_formats(tmp_path):
    from qa_engine.kpi import compute_kpis, load_profile, write_xlsx
    from qa_engine.kpi.cli import DEFAULT_PROFILE
    from qa_engine.types import ScoreResult
    from tests.kpi.synthetic import synthetic_dicts

    config = load_profile(DEFAULT_PROFILE)
    results = [ScoreResult.model_validate(d) for d in synthetic_dicts(300, seed=3, agents=8, teams=2)]
    period = Period("all", "all", None, None)
    report = compute_kpis(results, config, period)
    starts = [r.started_at for r in results if r.started_at]
    weekly = [compute_kpis(results, config, w) for w in weekly_periods(period, starts)]
    assert len(weekly) >= 2
    path = write_xlsx(report, config, tmp_path / "kpi.xlsx", weekly=weekly)
    with zipfile.ZipFile(path) as book:
        charts = sorted(n for n in book.namelist() if n.startswith("xl/charts/chart"))
        assert len(charts) == 3
        xml = book.read(charts[0]).decode("utf-8")
        assert "坐席综合得分" in xml and "c:barChart" in xml
        sheet = book.read("xl/worksheets/sheet1.xml").decode("utf-8")
        assert "colorScale" in sheet and 'type="expression"' in sheet
