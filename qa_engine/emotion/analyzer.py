"""The ``emotion`` analyzer: per-utterance sentiment/emotion, then the conversation's index.

Pipeline order: after ingest (needs utterances) and, for calls, after the acoustic analyzer if
one is configured, so ``Utterance.acoustics`` is there to fuse. The model loads once per
analyzer instance; ``analyze_many`` sends every utterance of every conversation in one batch.
"""

from __future__ import annotations

import statistics
from typing import Any

from qa_engine.analyzers.base import BaseAnalyzer, register
from qa_engine.emotion.base import SentimentModel, load_model
from qa_engine.emotion.index import IndexConfig, compute_index
from qa_engine.types import Conversation, Emotion, Utterance

MIN_UTTERANCES_FOR_BASELINE = 3  # a median of fewer lines says nothing about a speaker's normal voice


def acoustic_boost(value: float | None, baseline: float | None, kind: str) -> float:
    """0..1 arousal boost from a jump over the speaker's own median (docs/emotion.md).

    loudness: +3 dB is normal variation, +12 dB or more is shouting -> 0..1 linearly in between.
    speech rate: +15 % is normal, +65 % or more is rushed -> 0..1 linearly in between.
    """
    if value is None or baseline is None:
        return 0.0
    if kind == "loudness":
        jump = value - baseline
        return min(1.0, max(0.0, (jump - 3.0) / 9.0))
    if baseline <= 0:
        return 0.0
    jump = value / baseline - 1.0
    return min(1.0, max(0.0, (jump - 0.15) / 0.5))


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if len(values) >= MIN_UTTERANCES_FOR_BASELINE else None


def fuse_acoustics(utterances: list[Utterance], loudness_weight: float = 0.6, rate_weight: float = 0.4) -> None:
    """Raise emotion intensity where a speaker gets louder or faster than their own median.

    boost = 0.6·loudness_boost + 0.4·rate_boost; intensity' = I + (1 − I)·0.5·boost, applied to
    non-neutral emotions only: shouting a question is not anger, shouting a complaint is more of it.
    """
    by_speaker: dict[str, list[Utterance]] = {}
    for u in utterances:
        if u.acoustics is not None:
            by_speaker.setdefault(u.speaker.value, []).append(u)
    for group in by_speaker.values():
        loud_base = _median([u.acoustics.loudness_db for u in group if u.acoustics.loudness_db is not None])
        rate_base = _median([u.acoustics.chars_per_minute for u in group if u.acoustics.chars_per_minute is not None])
        if loud_base is None and rate_base is None:
            continue
        for u in group:
            if u.emotion is None or u.emotion.label == "neutral":
                continue
            loud = acoustic_boost(u.acoustics.loudness_db, loud_base, "loudness")
            rate = acoustic_boost(u.acoustics.chars_per_minute, rate_base, "rate")
            boost = loudness_weight * loud + rate_weight * rate
            if boost <= 0:
                continue
            cues = list(u.emotion.cues)
            if loud > 0:
                cues.append(f"acoustic:loud+{u.acoustics.loudness_db - loud_base:.1f}dB")
            if rate > 0:
                cues.append(f"acoustic:fast+{100 * (u.acoustics.chars_per_minute / rate_base - 1):.0f}%")
            intensity = u.emotion.intensity + (1.0 - u.emotion.intensity) * 0.5 * boost
            u.emotion = Emotion(label=u.emotion.label, intensity=round(min(1.0, intensity), 4), cues=cues)


@register("emotion")
class EmotionAnalyzer(BaseAnalyzer):
    name = "emotion"
    requires = ("utterances",)
    assigns = ("sentiment", "emotion", "emotion_index")

    def __init__(self, backend: str = "default", model: SentimentModel | None = None,
                 model_options: dict[str, Any] | None = None, index: dict[str, Any] | None = None,
                 acoustic_fusion: bool = True) -> None:
        # Accept a ready model (tests, a shared instance across workers) or build one from config.
        self.model = model or load_model(backend, **(model_options or {}))
        self.index_config = IndexConfig(**(index or {}))
        self.acoustic_fusion = acoustic_fusion

    def analyze(self, conversation: Conversation) -> None:
        self.analyze_many([conversation])

    def analyze_many(self, conversations: list[Conversation]) -> None:
        utterances = [u for c in conversations for u in c.utterances]
        predictions = self.model.predict([u.text for u in utterances], [u.speaker.value for u in utterances])
        for u, (sentiment, emotion) in zip(utterances, predictions):
            u.sentiment = sentiment
            u.emotion = emotion
        for conversation in conversations:
            if self.acoustic_fusion:
                fuse_acoustics(conversation.utterances)
            conversation.analysis.emotion_index = compute_index(conversation, self.index_config)
