"""Behaviour of the default pack that the golden set believes is wrong, pinned as strict xfails.

Each case states the correct behaviour. While the pack misbehaves the test xfails; once the pack
is fixed it passes unexpectedly, and ``strict=True`` turns that into a failure so the case is moved
into the golden set (``datasets/golden``) instead of being forgotten.
"""

from __future__ import annotations

import pytest

from qa_engine.pipeline import Engine, EngineConfig
from qa_engine.text import normalize_text
from qa_engine.types import Conversation, Utterance


def _conversation(*lines: tuple[str, str]) -> Conversation:
    utterances = [Utterance(index=i, speaker=s, text=normalize_text(t), raw_text=t) for i, (s, t) in enumerate(lines)]
    return Conversation(id="known", channel="chat", utterances=utterances)


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(EngineConfig(analyzers=("chat_timing", "turn_taking")))


@pytest.mark.xfail(strict=True, reason="complaint lexicon entries 12345/315 match inside phone and order numbers")
@pytest.mark.parametrize("text", ["我的手机号是13812345678", "订单号YT7788123456", "尾号3152的那张卡"])
def test_numbers_are_not_complaint_cues(engine, text):
    result = engine.score(_conversation(("customer", text), ("agent", "您好，请稍等，我帮您查询。")))
    assert "complaint_tendency" not in {h.rule_id for h in result.hits}


@pytest.mark.xfail(strict=True, reason="abuse lexicon entry 小心点 vetoes a friendly reminder")
def test_friendly_take_care_is_not_a_threat(engine):
    result = engine.score(_conversation(("customer", "快递放驿站了吗？"),
                                        ("agent", "您好，已经放到驿站了，下雨路滑，您取件时小心点。")))
    assert not result.veto
