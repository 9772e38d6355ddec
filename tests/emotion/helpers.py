"""Builders for hand-labelled conversations (no model involved)."""

from __future__ import annotations

from qa_engine.types import Acoustics, Channel, Conversation, Emotion, Sentiment, Speaker, Utterance

PROBS = {
    "negative": {"negative": 0.9, "neutral": 0.05, "positive": 0.05},
    "neutral": {"negative": 0.05, "neutral": 0.9, "positive": 0.05},
    "positive": {"negative": 0.02, "neutral": 0.08, "positive": 0.9},
}


def utt(index: int, speaker: str, polarity: str | None = None, emotion: str = "neutral", intensity: float = 0.0,
        text: str = "", start: float | None = None, loudness: float | None = None,
        rate: float | None = None) -> Utterance:
    u = Utterance(index=index, speaker=Speaker(speaker), text=text or f"第{index}句", raw_text=text or f"第{index}句",
                  start=start if start is not None else float(index * 5), end=float(index * 5 + 4))
    if polarity:
        u.sentiment = Sentiment(label=polarity, probabilities=PROBS[polarity])
        u.emotion = Emotion(label=emotion, intensity=intensity)
    if loudness is not None or rate is not None:
        u.acoustics = Acoustics(loudness_db=loudness, chars_per_minute=rate)
    return u


def conversation(utterances: list[Utterance], cid: str = "c1") -> Conversation:
    return Conversation(id=cid, channel=Channel.call, utterances=utterances)
