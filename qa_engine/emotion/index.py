"""Per-conversation emotion index, trend, stage and peaks (pure functions; see docs/emotion.md).

Utterance score (0..100, higher = calmer / more satisfied):
    u = (100·p_pos + 80·p_neu) · (1 − 0.5·p_neg·I)
A neutral customer is a calm customer (80), a pleased one 100, an upset one near 0; the factor
with the emotion intensity I pulls intense negative lines further down.
Index: weighted mean of u over customer utterances, weights rising linearly from 1 (first) to
``end_weight`` (last): how a call ends matters more than how it began.
"""

from __future__ import annotations

from dataclasses import dataclass

from qa_engine.emotion.base import NEGATIVE_EMOTIONS
from qa_engine.types import Conversation, EmotionIndex, EmotionPeak, Speaker, Utterance


@dataclass(frozen=True)
class IndexConfig:
    end_weight: float = 3.0  # weight of the last customer utterance relative to the first
    edge_size: int = 3  # utterances averaged for start_index / end_index (at most a third of them)
    negative_zone: float = 50.0  # start/end below this = customer negative
    calm_zone: float = 70.0  # start/end at or above this = customer calm or positive
    trend_delta: float = 15.0  # |end − start| at least this = improved / worsened
    agitated_intensity: float = 0.5  # negative emotion this strong = agitated
    angry_intensity: float = 0.75  # anger this strong = angry
    angry_repeats: int = 2  # ... or this many anger utterances at agitated strength
    agitated_repeats: int = 3  # this many negative customer utterances = agitated
    peak_min_intensity: float = 0.3
    max_peaks: int = 3
    agent_negative_probability: float = 0.6  # agent line this negative sets agent_negative
    no_customer_index: float = 80.0  # nothing said by the customer: treated as calm/neutral


def utterance_score(u: Utterance) -> float:
    if u.sentiment is None:
        return 80.0
    p = u.sentiment.probabilities
    intensity = u.emotion.intensity if u.emotion is not None else 0.0
    base = 100.0 * p.get("positive", 0.0) + 80.0 * p.get("neutral", 0.0)
    return max(0.0, min(100.0, base * (1.0 - 0.5 * p.get("negative", 0.0) * intensity)))


def _is_negative(u: Utterance) -> bool:
    return u.sentiment is not None and u.sentiment.label == "negative"


def _negative_strength(u: Utterance) -> float:
    """Intensity of a negative emotion on this line (0 when the line is not negative)."""
    if not _is_negative(u) or u.emotion is None:
        return 0.0
    return u.emotion.intensity if u.emotion.label in NEGATIVE_EMOTIONS or u.emotion.label == "surprise" else 0.0


def weighted_index(scores: list[float], end_weight: float) -> float:
    n = len(scores)
    if n == 1:
        return scores[0]
    weights = [1.0 + (end_weight - 1.0) * i / (n - 1) for i in range(n)]
    return sum(w * s for w, s in zip(weights, scores)) / sum(weights)


def trend_of(start: float, end: float, cfg: IndexConfig) -> str:
    if start < cfg.negative_zone and end >= cfg.calm_zone:
        return "recovered"  # the agent turned an upset customer around (情感转化)
    if start >= cfg.calm_zone and end < cfg.negative_zone:
        return "lost"
    if end - start >= cfg.trend_delta:
        return "improved"
    if start - end >= cfg.trend_delta:
        return "worsened"
    return "stable"


def stage_of(customer: list[Utterance], cfg: IndexConfig) -> str:
    strengths = [_negative_strength(u) for u in customer]
    anger = [u.emotion.intensity for u in customer if _is_negative(u) and u.emotion and u.emotion.label == "anger"]
    if any(a >= cfg.angry_intensity for a in anger) or sum(a >= cfg.agitated_intensity for a in anger) >= cfg.angry_repeats:
        return "angry"
    negatives = sum(_is_negative(u) for u in customer)
    if any(s >= cfg.agitated_intensity for s in strengths) or negatives >= cfg.agitated_repeats:
        return "agitated"
    if negatives:
        return "fluctuating"
    return "normal"


def peaks_of(utterances: list[Utterance], cfg: IndexConfig) -> list[EmotionPeak]:
    candidates = [(u, _negative_strength(u)) for u in utterances]
    candidates = [(u, s) for u, s in candidates if s >= cfg.peak_min_intensity]
    # Strongest first; ties go to the earlier utterance so the order is stable.
    candidates.sort(key=lambda us: (-us[1], us[0].index))
    return [
        EmotionPeak(utterance=u.index, start=u.start, text=u.text, label=u.emotion.label, intensity=round(s, 4))
        for u, s in candidates[: cfg.max_peaks]
    ]


def compute_index(conversation: Conversation, cfg: IndexConfig | None = None) -> EmotionIndex:
    cfg = cfg or IndexConfig()
    customer = [u for u in conversation.utterances if u.speaker == Speaker.customer and u.text.strip()]
    agent = [u for u in conversation.utterances if u.speaker == Speaker.agent]
    agent_negative = any(
        _is_negative(u) and u.sentiment.probabilities.get("negative", 0.0) >= cfg.agent_negative_probability
        for u in agent
    )
    if not customer:
        return EmotionIndex(index=cfg.no_customer_index, agent_negative=agent_negative)
    scores = [utterance_score(u) for u in customer]
    edge = max(1, min(cfg.edge_size, len(scores) // 3 or 1))
    start = sum(scores[:edge]) / edge
    end = sum(scores[-edge:]) / edge
    return EmotionIndex(
        index=round(weighted_index(scores, cfg.end_weight), 2),
        start_index=round(start, 2),
        end_index=round(end, 2),
        trend=trend_of(start, end, cfg) if len(scores) > 1 else "stable",
        negative_share=round(sum(_is_negative(u) for u in customer) / len(customer), 4),
        stage=stage_of(customer, cfg),
        peaks=peaks_of(customer, cfg),
        agent_negative=agent_negative,
    )
