"""The :class:`SentimentModel` interface and the helpers every backend shares.

A backend turns a batch of (text, speaker) pairs into a polarity (:class:`Sentiment`) and an
emotion (:class:`Emotion`). Backends are picked by configuration through :func:`load_model`, so
swapping the bundled linear model for a transformers model is a config change, not a code change.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

from qa_engine.types import Emotion, Sentiment

POLARITIES = ("negative", "neutral", "positive")
EMOTIONS = ("anger", "anxiety", "sadness", "disgust", "surprise", "joy", "neutral")
NEGATIVE_EMOTIONS = frozenset({"anger", "anxiety", "sadness", "disgust"})
# Which emotions can go with which polarity. The polarity head sees far more data (tens of
# thousands of reviews) than the emotion head, so it decides and the emotion is picked among
# the classes consistent with it (no "joy" on a line judged negative).
COMPATIBLE = {
    "negative": ("anger", "anxiety", "sadness", "disgust", "surprise"),
    "neutral": ("neutral", "surprise"),
    "positive": ("joy", "surprise"),
}

Prediction = tuple[Sentiment, Emotion]


class SentimentModel(ABC):
    """Batched per-utterance polarity + emotion."""

    name: str = ""

    @abstractmethod
    def predict(self, texts: list[str], speakers: list[str]) -> list[Prediction]:
        """One (Sentiment, Emotion) per text; ``speakers[i]`` is agent | customer | system."""

    def predict_one(self, text: str, speaker: str = "customer") -> Prediction:
        return self.predict([text], [speaker])[0]

    @staticmethod
    def _check(texts: Sequence[str], speakers: Sequence[str]) -> None:
        if len(texts) != len(speakers):
            raise ValueError(f"{len(texts)} texts but {len(speakers)} speakers")


def pick_emotion(polarity: str, emotion_probs: dict[str, float]) -> tuple[str, float]:
    """Most probable emotion compatible with ``polarity``, with its renormalised probability."""
    allowed = COMPATIBLE[polarity]
    total = sum(emotion_probs.get(e, 0.0) for e in allowed)
    if total <= 0:
        fallback = {"negative": "disgust", "neutral": "neutral", "positive": "joy"}[polarity]
        return fallback, 1.0
    label = max(allowed, key=lambda e: emotion_probs.get(e, 0.0))
    return label, emotion_probs.get(label, 0.0) / total


def load_model(backend: str = "default", **options: Any) -> SentimentModel:
    """Build a backend by name: ``default`` (bundled numpy model) or ``transformers``."""
    if backend in ("default", "linear", "bundled"):
        from qa_engine.emotion.linear import LinearSentimentModel

        return LinearSentimentModel(**options)
    if backend in ("transformers", "hf"):
        from qa_engine.emotion.hf import TransformersSentimentModel

        return TransformersSentimentModel(**options)
    raise ValueError(f"unknown sentiment backend {backend!r}; use 'default' or 'transformers'")
