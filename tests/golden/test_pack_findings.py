"""Pack problems found while writing the golden set.

Fixed ones are regression tests here and are also pinned inside golden files (g01 and g03: a
customer's phone number and a waybill number containing 12345 are no complaint cue; g22: a
friendly 小心点 is no threat), each next to a test that the real cue still fires.
"""

from __future__ import annotations

import pytest

from qa_engine.pipeline import Engine, EngineConfig
from qa_engine.text import normalize_text
from qa_engine.types import Conversation, Utterance


def _chat(*lines: tuple[str, str]) -> Conversation:
    utterances = [Utterance(index=i, speaker=s, text=normalize_text(t), raw_text=t) for i, (s, t) in enumerate(lines)]
    return Conversation(id="finding", channel="chat", utterances=utterances)


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(EngineConfig(analyzers=("chat_timing", "turn_taking")))


def _rules_hit(engine: Engine, conversation: Conversation) -> set[str]:
    return {h.rule_id for h in engine.score(conversation).hits}


@pytest.mark.parametrize("text", ["我的手机号是13812345678", "订单号YT7788123456", "尾号3152的那张卡"])
def test_numbers_are_not_complaint_cues(engine, text):
    conversation = _chat(("customer", text), ("agent", "您好，请稍等，我帮您查询。"))
    assert "complaint_tendency" not in _rules_hit(engine, conversation)


@pytest.mark.parametrize("text", ["不给个说法我就打12345", "我要打12315投诉", "我去315曝光你们"])
def test_hotline_numbers_are_still_complaint_cues(engine, text):
    conversation = _chat(("customer", text), ("agent", "您好，请稍等，我帮您查询。"))
    assert "complaint_tendency" in _rules_hit(engine, conversation)


def test_friendly_take_care_is_not_a_threat(engine):
    result = engine.score(_chat(("customer", "快递放驿站了吗？"),
                                ("agent", "您好，已经放到驿站了，下雨路滑，您取件时小心点。")))
    assert not result.veto


def test_threatening_take_care_is_still_a_veto(engine):
    result = engine.score(_chat(("customer", "我要投诉你"), ("agent", "你给我小心点")))
    assert result.veto
