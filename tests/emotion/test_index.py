"""Emotion index math on hand-labelled utterances: weights, trend, stage, peaks, acoustics."""

from __future__ import annotations

import pytest

from qa_engine.emotion.analyzer import EmotionAnalyzer, acoustic_boost, fuse_acoustics
from qa_engine.emotion.base import SentimentModel
from qa_engine.emotion.index import IndexConfig, compute_index, utterance_score, weighted_index
from qa_engine.types import Emotion, Sentiment
from tests.emotion.helpers import PROBS, conversation, utt


def test_utterance_score_orders_polarities():
    neg = utt(0, "customer", "negative", "anger", 0.9)
    neu = utt(1, "customer", "neutral")
    pos = utt(2, "customer", "positive", "joy", 0.8)
    assert utterance_score(neg) < 10 < utterance_score(neu) < utterance_score(pos)
    assert utterance_score(neu) == pytest.approx(100 * 0.05 + 80 * 0.9)
    calm_neg = utt(3, "customer", "negative", "anger", 0.0)
    assert utterance_score(neg) < utterance_score(calm_neg)  # intensity pulls further down


def test_weighted_index_weighs_the_end_more():
    assert weighted_index([0.0, 100.0], 3.0) == pytest.approx(75.0)
    assert weighted_index([100.0, 0.0], 3.0) == pytest.approx(25.0)
    assert weighted_index([42.0], 3.0) == 42.0


def test_recovered_call():
    c = conversation([
        utt(0, "agent", "neutral"),
        utt(1, "customer", "negative", "anger", 0.8, text="你们到底怎么回事"),
        utt(2, "agent", "neutral"),
        utt(3, "customer", "negative", "anger", 0.6),
        utt(4, "customer", "neutral"),
        utt(5, "customer", "positive", "joy", 0.7),
        utt(6, "customer", "positive", "joy", 0.7),
    ])
    index = compute_index(c)
    assert index.trend == "recovered"
    assert index.start_index < 50 <= 70 <= index.end_index
    assert index.negative_share == pytest.approx(2 / 5)
    assert index.stage == "angry"  # one anger line at 0.8 >= 0.75
    assert [p.utterance for p in index.peaks] == [1, 3]
    assert index.peaks[0].text == "你们到底怎么回事" and index.peaks[0].start == 5.0
    assert index.agent_negative is False


def test_lost_call_and_agent_negative():
    c = conversation([
        utt(0, "customer", "positive", "joy", 0.5),
        utt(1, "customer", "neutral"),
        utt(2, "agent", "negative", "disgust", 0.6, text="你听不懂吗"),
        utt(3, "customer", "negative", "sadness", 0.4),
        utt(4, "customer", "negative", "disgust", 0.45),
    ])
    index = compute_index(c)
    assert index.trend == "lost"
    assert index.agent_negative is True
    assert index.stage == "fluctuating"  # two weak negatives: below agitated thresholds


def test_stages():
    calm = conversation([utt(0, "customer", "neutral"), utt(1, "customer", "positive", "joy", 0.6)])
    assert compute_index(calm).stage == "normal"
    agitated = conversation([utt(0, "customer", "negative", "anxiety", 0.7)])
    assert compute_index(agitated).stage == "agitated"
    repeated = conversation([utt(i, "customer", "negative", "disgust", 0.2) for i in range(3)])
    assert compute_index(repeated).stage == "agitated"  # three negative lines
    two_angry = conversation([utt(i, "customer", "negative", "anger", 0.55) for i in range(2)])
    assert compute_index(two_angry).stage == "angry"
    assert compute_index(two_angry, IndexConfig(angry_repeats=3)).stage == "agitated"


def test_trend_improved_worsened_stable():
    worse = conversation([utt(0, "customer", "positive", "joy", 0.5), utt(1, "customer", "neutral"),
                          utt(2, "customer", "neutral"), utt(3, "customer", "neutral"), utt(4, "customer", "neutral"),
                          utt(5, "customer", "neutral")])
    # start = mean of the first two customer lines (95.9, 77.0), end = 77.0: a 9.5-point drop
    assert compute_index(worse).trend == "stable"
    assert compute_index(worse, IndexConfig(trend_delta=9)).trend == "worsened"
    better = conversation(list(reversed([utt(i, "customer", "neutral") for i in range(4)]))
                          + [utt(4, "customer", "positive", "joy", 0.5), utt(5, "customer", "positive", "joy", 0.5)])
    assert compute_index(better, IndexConfig(trend_delta=9)).trend == "improved"


def test_no_customer_lines():
    index = compute_index(conversation([utt(0, "agent", "neutral")]))
    assert index.index == 80.0 and index.start_index is None and index.peaks == []


def test_acoustic_boost_formula():
    assert acoustic_boost(63.0, 60.0, "loudness") == 0.0
    assert acoustic_boost(67.5, 60.0, "loudness") == pytest.approx(0.5)
    assert acoustic_boost(80.0, 60.0, "loudness") == 1.0
    assert acoustic_boost(240.0, 200.0, "rate") == pytest.approx(0.1)
    assert acoustic_boost(None, 60.0, "loudness") == 0.0


def test_fusion_raises_loud_negative_lines_only():
    lines = [utt(i, "customer", "neutral", loudness=60.0, rate=200.0) for i in range(4)]
    lines.append(utt(4, "customer", "negative", "anger", 0.4, loudness=72.0, rate=330.0))
    lines.append(utt(5, "customer", "neutral", loudness=75.0))
    fuse_acoustics(lines)
    assert lines[4].emotion.intensity == pytest.approx(0.4 + 0.6 * 0.5 * (0.6 * 1.0 + 0.4 * 1.0))
    assert any(c.startswith("acoustic:loud") for c in lines[4].emotion.cues)
    assert lines[5].emotion.intensity == 0.0  # loud but neutral: not turned into anger


class FixedModel(SentimentModel):
    """Labels by a keyword so analyzer wiring can be checked without the trained artifact."""

    def __init__(self):
        self.calls = 0

    def predict(self, texts, speakers):
        self.calls += 1
        out = []
        for text in texts:
            label = "negative" if "投诉" in text else "neutral"
            emo = Emotion(label="anger" if label == "negative" else "neutral", intensity=0.6 if label == "negative" else 0.0)
            out.append((Sentiment(label=label, probabilities=PROBS[label]), emo))
        return out


def test_analyzer_batches_all_conversations_once():
    model = FixedModel()
    analyzer = EmotionAnalyzer(model=model)
    convs = [conversation([utt(0, "customer", text="我要投诉"), utt(1, "agent", text="好的")], cid=f"c{i}")
             for i in range(3)]
    analyzer.analyze_many(convs)
    assert model.calls == 1
    for c in convs:
        assert c.utterances[0].sentiment.label == "negative"
        assert c.analysis.emotion_index.stage == "agitated"
