"""The bundled default backend: TF-IDF n-grams + lexicon features -> linear heads, in numpy.

The artifact is ``models/emotion/``: ``config.json`` (labels, featurizer settings,
training metrics) and ``weights.npz`` (vocabulary, idf, weights; ``allow_pickle=False``). It is
written by :mod:`qa_engine.emotion.train`; inference needs neither scikit-learn nor torch.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from qa_engine.emotion.base import POLARITIES, Prediction, SentimentModel, pick_emotion
from qa_engine.emotion.features import Featurizer, Vocabulary
from qa_engine.emotion.lexicon import MODEL_DIR, Lexicon
from qa_engine.types import Emotion, Sentiment

DEFAULT_DIR = MODEL_DIR  # config.json + weights.npz sit beside lexicon.json and cues.json


def softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))


def polarity_probabilities(subjective_logit: np.ndarray, valence_logit: np.ndarray) -> np.ndarray:
    """(negative, neutral, positive) from the two binary heads; see qa_engine.emotion.train."""
    s = sigmoid(np.asarray(subjective_logit, dtype=np.float64).ravel())
    v = sigmoid(np.asarray(valence_logit, dtype=np.float64).ravel())
    return np.stack([s * (1 - v), 1 - s, s * v], axis=1)


def intensity_of(probability: float, degree: float, exclaims: int) -> float:
    """Emotion strength: model confidence scaled up by degree adverbs and exclamation marks.

    A 2.0 degree word (极其, 太) adds 25 %, each ! adds 10 % (at most three count).
    """
    scale = 1.0 + 0.25 * max(0.0, degree - 1.0) + 0.1 * min(exclaims, 3)
    return float(min(1.0, probability * scale))


def sparse_dot(indptr: np.ndarray, indices: np.ndarray, data: np.ndarray, w: np.ndarray, n_rows: int) -> np.ndarray:
    """CSR matrix (n_rows x vocab) times the vocabulary rows of ``w``, without scipy."""
    row_of = np.repeat(np.arange(n_rows), np.diff(indptr))
    contrib = w[indices] * data[:, None]
    return np.stack([np.bincount(row_of, weights=contrib[:, j], minlength=n_rows) for j in range(w.shape[1])],
                    axis=1)


def _terms(blob: np.ndarray) -> list[str]:
    return bytes(blob).decode("utf-8").split("\n") if blob.size else []


class LinearHeads:
    """Loaded artifact: featurizer + vocabulary + the weights of both heads."""

    def __init__(self, model_dir: Path) -> None:
        self.config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
        with np.load(model_dir / "weights.npz", allow_pickle=False) as data:
            self.vocab = Vocabulary(_terms(data["terms"]), data["idf"])
            # The call-centre heads have their own vocabulary; see train.Features.
            self.vocab_call = Vocabulary(_terms(data["terms_call"]), data["idf_call"])
            self.w_subjective = data["w_subjective"].astype(np.float32)[:, None]
            self.b_subjective = data["b_subjective"].astype(np.float32).reshape(1)
            self.w_valence = data["w_valence"].astype(np.float32)[:, None]
            self.b_valence = data["b_valence"].astype(np.float32).reshape(1)
            self.w_emotion = data["w_emotion"].astype(np.float32)
            self.b_emotion = data["b_emotion"].astype(np.float32)
        self.polarity_labels = list(self.config["polarity_labels"])
        self.emotion_labels = list(self.config["emotion_labels"])
        self.dense_scale = float(self.config["dense_scale"])
        # One dict lookup per n-gram serves both vocabularies: term -> k, then k -> joint column
        # and k -> call column through two arrays (-1 where the term is not in that vocabulary).
        joint, call = self.vocab.index, self.vocab_call.index
        union = sorted(joint.keys() | call.keys())
        self.dual = {t: k for k, t in enumerate(union)}
        self.joint_of = np.array([joint.get(t, -1) for t in union], dtype=np.int64)
        self.call_of = np.array([call.get(t, -1) for t in union], dtype=np.int64)
        featurizer = self.config["featurizer"]
        self.featurizer = Featurizer(Lexicon(), char_max=featurizer["char_max"], use_words=featurizer["use_words"])

    def scores(self, texts: list[str], speakers: list[str]):
        """Polarity probabilities, emotion logits and the lexicon matches (for cues and degree)."""
        grams = [self.featurizer.ngrams(t, s) for t, s in zip(texts, speakers)]
        dense_rows = [self.featurizer.dense(t, s) for t, s in zip(texts, speakers)]
        dense = np.stack([d for d, _ in dense_rows]) * self.dense_scale
        out = []
        joint, call = self._transform_both(grams)
        for (indptr, indices, data), vocab, w, b in (
            (call, self.vocab_call, self.w_subjective, self.b_subjective),
            (joint, self.vocab, self.w_valence, self.b_valence),
            (call, self.vocab_call, self.w_emotion, self.b_emotion),
        ):
            logits = dense @ w[len(vocab.terms):] + b + sparse_dot(indptr, indices, data, w, len(texts))
            out.append(logits)
        return polarity_probabilities(out[0], out[1]), out[2], [m for _, m in dense_rows]


    def _transform_both(self, grams: list[list[str]]):
        get = self.dual.get
        counts: list[int] = []
        keys: list[int] = []
        for row in grams:
            found = [k for k in map(get, row) if k is not None]
            keys.extend(found)
            counts.append(len(found))
        rows_a = np.repeat(np.arange(len(grams)), counts)
        keys_a = np.fromiter(keys, dtype=np.int64, count=len(keys))
        csr = []
        for column_of, vocab in ((self.joint_of, self.vocab), (self.call_of, self.vocab_call)):
            cols = column_of[keys_a]
            keep = cols >= 0
            csr.append(vocab.weigh(rows_a[keep], cols[keep], len(grams)))
        return csr[0], csr[1]


class LinearSentimentModel(SentimentModel):
    name = "default"

    def __init__(self, model_dir: str | Path | None = None, batch_size: int = 256) -> None:
        self.model_dir = Path(model_dir) if model_dir else DEFAULT_DIR
        self.heads = LinearHeads(self.model_dir)
        self.batch_size = batch_size
        self.version = self.heads.config.get("version", "unknown")

    def probabilities(self, texts: list[str], speakers: list[str]) -> tuple[np.ndarray, np.ndarray, list]:
        self._check(texts, speakers)
        pol, emo, matches = [], [], []
        for start in range(0, len(texts), self.batch_size):
            p, e, m = self.heads.scores(texts[start : start + self.batch_size], speakers[start : start + self.batch_size])
            pol.append(p)
            emo.append(softmax(e))
            matches.extend(m)
        if not texts:
            return np.zeros((0, 3)), np.zeros((0, len(self.heads.emotion_labels))), []
        return np.concatenate(pol), np.concatenate(emo), matches

    def predict(self, texts: list[str], speakers: list[str]) -> list[Prediction]:
        pol, emo, matches = self.probabilities(texts, speakers)
        results: list[Prediction] = []
        for text, p_row, e_row, match in zip(texts, pol, emo, matches):
            p = {label: float(p_row[i]) for i, label in enumerate(self.heads.polarity_labels)}
            polarity = max(POLARITIES, key=lambda k: p[k])
            e = {label: float(e_row[i]) for i, label in enumerate(self.heads.emotion_labels)}
            label, share = pick_emotion(polarity, e)
            if label == "neutral":
                intensity = 0.0
            else:
                exclaims = text.count("!") + text.count("！")
                intensity = intensity_of(share * p[polarity], match.degree, exclaims)
            sentiment = Sentiment(label=polarity, probabilities={k: round(p[k], 4) for k in POLARITIES})
            results.append((sentiment, Emotion(label=label, intensity=round(intensity, 4), cues=match.cues[:8])))
        return results
