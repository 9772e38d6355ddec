"""Scorecard mechanics, each checked with exact numbers: deduction, escalation, cap, N/A,
dimension rescaling, bonus, veto, grades, pass, compliance score and review flags."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from qa_engine.pipeline import Engine, EngineConfig
from qa_engine.rules.loader import PackErrors
from tests.helpers import conversation

RULES = [
    {"id": "greet", "name": "开场白", "mode": "required", "scope": {"first": 1},
     "conditions": {"k": {"keywords": {"any": ["您好"]}}}},
    {"id": "bad_word", "name": "禁用语", "conditions": {"k": {"keywords": {"any": ["不知道"]}}}},
    {"id": "rude", "name": "辱骂", "severity": "critical", "conditions": {"k": {"keywords": {"any": ["滚"]}}}},
    {"id": "confirm", "name": "复述", "mode": "detect", "conditions": {"k": {"keywords": {"any": ["确认一下"]}}}},
    {"id": "verify", "name": "核身", "mode": "required",
     "anchor": {"condition": {"keywords": {"any": ["为您重置"]}}, "window": "before", "utterances": 4},
     "conditions": {"k": {"keywords": {"any": ["核实"]}}}},
    {"id": "complain", "name": "投诉倾向", "mode": "detect", "speaker": "customer",
     "conditions": {"k": {"keywords": {"any": ["投诉"]}}}},
]

CARD = {
    "scorecard": {"id": "c", "version": "1"},
    "grades": [{"min": 90, "name": "优秀"}, {"min": 80, "name": "良好"}, {"min": 60, "name": "合格"}, {"min": 0, "name": "不合格"}],
    "max_bonus": 5,
    "review": {"score_below": 60, "flag_rules": {"complain": "complaint"}},
    "dimensions": [
        {"id": "norms", "name": "服务规范", "weight": 40, "items": [
            {"rule": "greet", "deduction": 10, "not_applicable": {"utterances_below": 2}},
            {"rule": "confirm", "bonus": 3}]},
        {"id": "attitude", "name": "服务态度", "weight": 30, "items": [
            {"rule": "bad_word", "escalation": [5, 8, 10], "cap": 20},
            {"rule": "rude", "veto": True}]},
        {"id": "compliance", "name": "合规", "weight": 30, "items": [
            {"rule": "verify", "deduction": 30}]},
    ],
}


@pytest.fixture
def engine(tmp_path: Path):
    def build(card: dict = CARD) -> Engine:
        (tmp_path / "p.yaml").write_text(yaml.safe_dump({"pack": {"id": "p", "version": "1"}, "rules": RULES},
                                                        allow_unicode=True), encoding="utf-8")
        (tmp_path / "c.yaml").write_text(yaml.safe_dump(card, allow_unicode=True), encoding="utf-8")
        return Engine(EngineConfig(rules=tmp_path / "p.yaml", scorecard=tmp_path / "c.yaml",
                                   analyzers=("chat_timing",)))
    return build


def test_clean_conversation_scores_100_and_verify_is_na(engine):
    result = engine().score(conversation("坐席：您好", "客户：查话费", "坐席：好的"))
    assert result.score == 100 and result.grade == "优秀" and result.passed and not result.veto
    dims = {d.id: d for d in result.dimensions}
    assert not dims["compliance"].applicable  # no reset happened: the item is N/A
    assert result.compliance_score == 100.0  # greet and bad_word, rude checked and passed (3 of 3)
    assert {s.rule_id: s.applicable for s in result.rules}["verify"] is False


def test_escalation_and_cap_make_a_followable_waterfall(engine):
    conv = conversation("坐席：您好", "坐席：不知道", "坐席：不知道", "坐席：不知道", "坐席：还是不知道")
    result = engine().score(conv)
    (deduction,) = result.deductions
    assert deduction.points == 20 and deduction.capped and deduction.note == "5+8+10+10，封顶 20"
    assert deduction.hit_ids == ["bad_word#1", "bad_word#2", "bad_word#3", "bad_word#4"]
    # applicable weight = 40 + 30 (compliance N/A): (40 + 10) / 70
    assert result.score == pytest.approx(71.43) and result.grade == "合格" and not result.passed
    assert {d.id: d.score for d in result.dimensions}["attitude"] == 10


def test_item_na_condition_and_required_window(engine):
    result = engine().score(conversation("坐席：说"))  # one utterance: greet is N/A
    assert result.score == 100 and not result.deductions
    result = engine().score(conversation("坐席：说", "客户：查话费"))
    assert result.deductions[0].rule_id == "greet" and result.deductions[0].points == 10
    hit = result.hits[0]
    assert hit.window.utterance_indices == [0] and hit.mode == "required"


def test_bonus_is_capped_and_total_never_exceeds_100(engine):
    result = engine().score(conversation("坐席：说", "客户：订单", "坐席：跟您确认一下订单号"))
    assert result.bonuses[0].points == 3
    # 40 - 10 + 30 = 60 of 70 -> 85.71 + 3
    assert result.score == pytest.approx(88.71)
    clean = engine().score(conversation("坐席：您好", "客户：订单", "坐席：跟您确认一下订单号"))
    assert clean.score == 100


def test_veto_fails_whatever_else(engine):
    result = engine().score(conversation("坐席：您好", "客户：嗯", "坐席：滚"))
    assert result.veto and result.score == 0 and result.grade == "不合格" and not result.passed
    assert result.flags[0].code == "veto" and result.flags[0].hit_ids == ["rude#1"]
    assert result.needs_review and result.deductions[0].veto


def test_anchor_required_deduction_and_compliance_share(engine):
    result = engine().score(conversation("坐席：您好", "客户：重置密码", "坐席：好的为您重置"))
    assert [d.rule_id for d in result.deductions] == ["verify"]
    assert result.score == 70 and result.grade == "合格"
    assert result.compliance_score == pytest.approx(75.0)  # greet, bad_word, rude pass; verify fails


def test_flags_low_score_and_complaint(engine):
    conv = conversation("坐席：说", "客户：我要投诉", "坐席：好的为您重置", "坐席：不知道")
    result = engine().score(conv)
    codes = [f.code for f in result.flags]
    assert "complaint" in codes and "low_score" in codes and result.needs_review
    assert result.score == pytest.approx(55.0)  # 100 - 10 - 5 - 30


def test_scorecard_naming_a_missing_rule_is_rejected(engine):
    card = dict(CARD)
    card["dimensions"] = [{"id": "x", "name": "x", "weight": 10, "items": [{"rule": "ghost", "deduction": 1}]}]
    with pytest.raises(PackErrors) as info:
        engine(card)
    assert "c.yaml: rule ghost" in str(info.value) and "'ghost'" in str(info.value)


def test_invalid_scorecard_item(engine):
    card = dict(CARD)
    card["dimensions"] = [{"id": "x", "name": "x", "weight": 10, "items": [{"rule": "greet"}]}]
    with pytest.raises(PackErrors) as info:
        engine(card)
    assert "neither deducts" in str(info.value)
