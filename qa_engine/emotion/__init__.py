"""Emotion: per-utterance sentiment/emotion models, the ``emotion`` analyzer, emotion reports.

Importing this package registers the ``emotion`` analyzer (no model is loaded until an
analyzer is created).
"""

from qa_engine.emotion.analyzer import EmotionAnalyzer
from qa_engine.emotion.base import EMOTIONS, POLARITIES, SentimentModel, load_model

__all__ = ["EMOTIONS", "POLARITIES", "EmotionAnalyzer", "SentimentModel", "load_model"]
