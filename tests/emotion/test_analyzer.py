"""The registered ``emotion`` analyzer with the bundled model, on conversations and on STC-3."""

from __future__ import annotations

import json

import pytest

import qa_engine.emotion.analyzer  # noqa: F401 - registers "emotion"
from qa_engine.analyzers.base import create, registered
from qa_engine.emotion.evaluate import STC3_PATH, spearman, stc3_conversations
from qa_engine.types import Acoustics
from tests.emotion.helpers import conversation, utt


@pytest.fixture(scope="module")
def analyzer():
    return create("emotion")


def test_registered_under_its_name():
    assert "emotion" in registered()


def test_angry_call_that_recovers(analyzer):
    lines = [
        ("agent", "您好，很高兴为您服务，请问有什么可以帮您"),
        ("customer", "你们到底怎么回事，我的退款半个月了还没到，我要投诉！"),
        ("agent", "非常抱歉让您久等了，我马上帮您查一下"),
        ("customer", "每次都说马上，你们就会敷衍"),
        ("agent", "我看到退款已经审核通过了，今天下午就会到账"),
        ("customer", "好的，那我等一下"),
        ("customer", "行，谢谢你了，这次总算有个准信"),
    ]
    conv = conversation([utt(i, s, text=t) for i, (s, t) in enumerate(lines)])
    analyzer.analyze(conv)
    assert all(u.sentiment is not None and u.emotion is not None for u in conv.utterances)
    index = conv.analysis.emotion_index
    assert index.stage in ("agitated", "angry")
    assert index.trend in ("recovered", "improved")
    assert index.end_index > index.start_index
    assert index.peaks and index.peaks[0].utterance in (1, 3)
    assert index.agent_negative is False
    json.dumps(conv.model_dump(mode="json"), ensure_ascii=False)  # serialisable into the result JSON


def test_rude_agent_sets_agent_negative(analyzer):
    conv = conversation([utt(0, "customer", text="这个怎么操作啊"), utt(1, "agent", text="你自己不会看说明书吗，烦不烦")])
    analyzer.analyze(conv)
    assert conv.analysis.emotion_index.agent_negative is True


def test_loudness_jump_raises_intensity(analyzer):
    lines = ["我想查一下订单", "订单号是多少来着", "我看一下", "你们这是什么服务，太过分了"]
    quiet = conversation([utt(i, "customer", text=t) for i, t in enumerate(lines)])
    loud = conversation([utt(i, "customer", text=t) for i, t in enumerate(lines)])
    for i, u in enumerate(loud.utterances):
        u.acoustics = Acoustics(loudness_db=72.0 if i == 3 else 60.0, chars_per_minute=220.0)
    analyzer.analyze_many([quiet, loud])
    assert loud.utterances[3].emotion.intensity > quiet.utterances[3].emotion.intensity
    assert any(c.startswith("acoustic:loud") for c in loud.utterances[3].emotion.cues)


@pytest.mark.skipif(not STC3_PATH.exists(), reason="../shared/datasets/stc3 not present")
def test_index_tracks_stc3_satisfaction_on_a_sample(analyzer):
    conversations, satisfaction = stc3_conversations(STC3_PATH)
    sample, target = conversations[:300], satisfaction[:300]
    analyzer.analyze_many(sample)
    rho = spearman([c.analysis.emotion_index.index for c in sample], target)
    assert rho > 0.45  # full dev set: see models/emotion/MODEL_CARD.md
