"""Supervisor report rows and major negative-emotion cases, from result dicts."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from qa_engine.emotion.index import compute_index
from qa_engine.emotion.report import agent_report, open_cases, overdue_cases, period_key, turning_points
from tests.emotion.helpers import conversation, utt

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)


def result(cid: str, agent: str, lines, started_at=T0) -> dict:
    """A ScoreResult-like dict the way the engine writes it (JSON mode)."""
    conv = conversation(lines, cid=cid)
    conv.analysis.emotion_index = compute_index(conv)
    return {
        "conversation_id": cid,
        "agent_id": agent,
        "team_id": "t1",
        "started_at": started_at.isoformat() if started_at else None,
        "utterances": [u.model_dump(mode="json") for u in conv.utterances],
        "analysis": conv.analysis.model_dump(mode="json"),
    }


def recovered_call(cid="rec", agent="a1", started_at=T0):
    return result(cid, agent, [
        utt(0, "customer", "negative", "anger", 0.9, text="我要投诉你们"),
        utt(1, "agent", "neutral", text="非常抱歉给您带来不便"),
        utt(2, "customer", "negative", "anger", 0.6, text="都三天了"),
        utt(3, "agent", "neutral"),
        utt(4, "customer", "neutral", text="那好吧"),
        utt(5, "customer", "positive", "joy", 0.6, text="谢谢你"),
    ], started_at)


def lost_call(cid="lost", agent="a1", started_at=T0):
    return result(cid, agent, [
        utt(0, "customer", "positive", "joy", 0.4, text="你好呀"),
        utt(1, "customer", "neutral"),
        utt(2, "agent", "negative", "disgust", 0.7, text="你听不懂吗"),
        utt(3, "customer", "negative", "anxiety", 0.8, text="那我怎么办"),
        utt(4, "customer", "negative", "anger", 0.5, text="算了"),
    ], started_at)


def calm_call(cid="calm", agent="a2", started_at=T0):
    return result(cid, agent, [utt(0, "customer", "neutral"), utt(1, "customer", "positive", "joy", 0.5)], started_at)


def test_period_keys():
    assert period_key("2026-11-02T09:00:00Z", "day") == "2026-11-02"
    assert period_key("2026-11-02T09:00:00+00:00", "week") == "2026-W45"
    assert period_key(T0, "month") == "2026-11"
    assert period_key(None, "month") == "unknown"
    with pytest.raises(ValueError):
        period_key(T0, "year")


def test_turning_points_link_to_utterances():
    points = turning_points(recovered_call())
    assert [(p["utterance"], p["direction"]) for p in points] == [(4, "recovered")]
    assert points[0]["conversation_id"] == "rec" and points[0]["text"] == "那好吧" and points[0]["start"] == 20.0
    points = turning_points(lost_call())
    assert [(p["utterance"], p["direction"]) for p in points] == [(3, "worsened")]


def test_agent_report_groups_and_ranks():
    results = [recovered_call(), lost_call(), calm_call(),
               calm_call(cid="next-month", agent="a1", started_at=T0 + timedelta(days=40))]
    rows = agent_report(results, period="month", worst_n=1)
    keys = [(r["agent_id"], r["period"]) for r in rows]
    assert keys == [("a1", "2026-11"), ("a1", "2026-12"), ("a2", "2026-11")]
    a1 = rows[0]
    assert a1["conversations"] == 2
    assert [w["conversation_id"] for w in a1["worst"]] == ["lost"]  # lowest index first
    assert a1["worst"][0]["utterance"] == 3  # link goes to the peak
    assert a1["recovered"] == [{"conversation_id": "rec", "utterance": None}]
    assert a1["lost"] == [{"conversation_id": "lost", "utterance": None}]
    assert [(x["conversation_id"], x["utterance"]) for x in a1["agent_negative"]] == [("lost", 2)]
    assert a1["stages"]["angry"] == 1
    assert rows[2]["agent_negative"] == [] and rows[2]["stages"]["normal"] == 1


def test_cases_open_for_agitated_or_angry_with_deadline():
    results = [recovered_call(), lost_call(started_at=T0 + timedelta(minutes=30)), calm_call()]
    cases = open_cases(results)
    assert [c.conversation_id for c in cases] == ["rec", "lost"]  # angry first
    assert cases[0].stage == "angry" and cases[1].stage == "agitated"
    assert cases[0].deadline == T0 + timedelta(hours=2)
    assert cases[0].peak["utterance"] == 0 and cases[0].peak["text"] == "我要投诉你们"
    now = T0 + timedelta(hours=2, minutes=15)
    assert [c.conversation_id for c in overdue_cases(cases, now)] == ["rec"]
    assert overdue_cases(open_cases(results, deadline_hours=3), now) == []
    handled = open_cases(results, handled=["rec"])
    assert overdue_cases(handled, now) == []
    assert cases[0].to_dict()["deadline"] == "2026-11-02T11:00:00+00:00"


def test_case_clock_from_scoring_time():
    scored = T0 + timedelta(days=1)
    no_start = recovered_call(started_at=None)
    assert open_cases([no_start], scored_at=scored)[0].deadline == scored + timedelta(hours=2)
    anchored = open_cases([recovered_call()], scored_at=scored, anchor="scored_at")[0]
    assert anchored.opened_at == scored
    with pytest.raises(ValueError):
        open_cases([], anchor="ended_at")


def test_results_without_emotion_are_ignored():
    bare = {"conversation_id": "x", "agent_id": "a1", "started_at": None, "utterances": [], "analysis": {}}
    assert agent_report([bare]) == [] and open_cases([bare]) == []
