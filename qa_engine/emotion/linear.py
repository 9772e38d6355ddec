"""The bundled default backend: TF-IDF n-grams + lexicon features -> linear heads, in numpy.

The artifact is ``models/emotion/``: ``config.json`` (labels, featurizer settings,
training metrics) and ``weights.npz`` (vocabulary, idf, weights; ``allow_pickle=False``). It is
written by :mod:`qa_engine.emotion.train`; inference needs neither scikit-learn nor torch.
"""

from __future__ import annotations

import json
from itertools import chain, repeat
from pathlib import Path

import numpy as np

from qa_engine.emotion.base import COMPATIBLE, EMOTIONS, POLARITIES, Prediction, SentimentModel
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


def polarity_probabilities(subjective_logit: np.ndarray, valence_logit: np.ndarray,
                           emotion_neutral: np.ndarray | None = None, emotion_weight: float = 0.0) -> np.ndarray:
    """(negative, neutral, positive) from the two binary heads; see qa_engine.emotion.train.

    With ``emotion_weight`` w, p(neutral) = (1 - w)(1 - s) + w p_emotion(neutral): the 7-class
    emotion head, trained on call-centre lines only, also votes on *whether* a line carries
    feeling; the direction (positive vs negative) stays with the valence head.
    """
    s = sigmoid(np.asarray(subjective_logit, dtype=np.float64).ravel())
    v = sigmoid(np.asarray(valence_logit, dtype=np.float64).ravel())
    neutral = 1 - s
    if emotion_weight and emotion_neutral is not None:
        neutral = (1 - emotion_weight) * neutral + emotion_weight * np.asarray(emotion_neutral, np.float64).ravel()
    return np.stack([(1 - neutral) * (1 - v), neutral, (1 - neutral) * v], axis=1)


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
        # Artifacts trained before the emotion head voted on neutrality have no such parameter.
        self.neutral_from_emotion = float(self.config.get("params", {}).get("neutral_from_emotion", 0.0))
        self.neutral_column = self.emotion_labels.index("neutral")
        # One dict lookup per n-gram serves both vocabularies: term -> k, then k -> joint column
        # and k -> call column through two arrays (-1 where the term is not in that vocabulary).
        # Agent lines are looked up once: agent_of maps k to the k of its "A|" twin, so the
        # "A|" strings are never built at run time. A plain term whose twin is in a vocabulary
        # but which is not itself (possible where max_terms cuts) still gets a k for that.
        joint, call = self.vocab.index, self.vocab_call.index
        union = joint.keys() | call.keys()
        union |= {t[2:] for t in union if t.startswith("A|")}
        union = sorted(union)
        self.dual = {t: k for k, t in enumerate(union)}
        self.joint_of = np.array([joint.get(t, -1) for t in union], dtype=np.int64)
        self.call_of = np.array([call.get(t, -1) for t in union], dtype=np.int64)
        self.agent_of = np.array([self.dual.get("A|" + t, -1) for t in union], dtype=np.int64)
        featurizer = self.config["featurizer"]
        self.featurizer = Featurizer(Lexicon(), char_max=featurizer["char_max"], use_words=featurizer["use_words"])

    def scores(self, texts: list[str], speakers: list[str]):
        """Polarity probabilities, emotion probabilities, and per text the cue words and degree."""
        grams, dense, cues, degrees = self.featurizer.batch(texts, speakers, agent_prefix=False)
        dense = dense * self.dense_scale
        out = []
        joint, call = self._transform_both(grams, speakers)
        for (indptr, indices, data), vocab, w, b in (
            (call, self.vocab_call, self.w_subjective, self.b_subjective),
            (joint, self.vocab, self.w_valence, self.b_valence),
            (call, self.vocab_call, self.w_emotion, self.b_emotion),
        ):
            logits = dense @ w[len(vocab.terms):] + b + sparse_dot(indptr, indices, data, w, len(texts))
            out.append(logits)
        emotion = softmax(out[2])
        return (polarity_probabilities(out[0], out[1], emotion[:, self.neutral_column], self.neutral_from_emotion),
                emotion, cues, degrees)

    def _transform_both(self, grams: list[list[str]], speakers: list[str]):
        """CSR rows for both vocabularies from n-grams without ``A|`` copies (added here)."""
        counts = [len(g) for g in grams]
        flat = list(chain.from_iterable(grams))
        keys = np.fromiter(map(self.dual.get, flat, repeat(-1)), dtype=np.int64, count=len(flat))
        rows = np.repeat(np.arange(len(grams)), counts)
        agent_rows = np.array([s == "agent" for s in speakers], dtype=bool)
        if agent_rows.any():
            twin_rows = agent_rows[rows] & (keys >= 0)
            twins = self.agent_of[keys[twin_rows]]
            keys = np.concatenate([keys, twins])
            rows = np.concatenate([rows, rows[twin_rows]])
        found = keys >= 0
        # Count each distinct (row, term) once for both vocabularies: sort the packed pairs and
        # cut at the changes (np.unique does the same with more passes). Terms are numbered in
        # sorted order, as are both vocabularies' columns, so (row, k) order is (row, column)
        # order and the CSR rows come out exactly as Vocabulary.weigh would build them.
        width = len(self.agent_of)
        packed = rows[found] * width + keys[found]
        if len(grams) * width < 2**31:
            packed = packed.astype(np.int32)  # sorts twice as fast
        packed.sort()
        if packed.size:
            starts = np.flatnonzero(np.concatenate(([True], packed[1:] != packed[:-1])))
            counts = np.diff(np.append(starts, packed.size))
            packed = packed[starts].astype(np.int64)
        else:
            counts = np.zeros(0, dtype=np.int64)
            packed = packed.astype(np.int64)
        rows, keys = packed // width, packed % width
        csr = []
        for column_of, vocab in ((self.joint_of, self.vocab), (self.call_of, self.vocab_call)):
            cols = column_of[keys]
            keep = cols >= 0
            csr.append(vocab.weigh_counts(rows[keep], cols[keep], counts[keep], len(grams)))
        return csr[0], csr[1]


class LinearSentimentModel(SentimentModel):
    name = "default"

    def __init__(self, model_dir: str | Path | None = None, batch_size: int = 256) -> None:
        self.model_dir = Path(model_dir) if model_dir else DEFAULT_DIR
        self.heads = LinearHeads(self.model_dir)
        self.batch_size = batch_size
        self.version = self.heads.config.get("version", "unknown")

    def probabilities(self, texts: list[str], speakers: list[str]) -> tuple[np.ndarray, np.ndarray, list, list]:
        """(polarity probabilities, emotion probabilities, cue words, degree) for every text."""
        self._check(texts, speakers)
        pol, emo, cues, degrees = [], [], [], []
        for start in range(0, len(texts), self.batch_size):
            p, e, c, d = self.heads.scores(texts[start : start + self.batch_size],
                                           speakers[start : start + self.batch_size])
            pol.append(p)
            emo.append(e)
            cues.extend(c)
            degrees.extend(d)
        if not texts:
            return np.zeros((0, 3)), np.zeros((0, len(self.heads.emotion_labels))), [], []
        return np.concatenate(pol), np.concatenate(emo), cues, degrees

    def predict(self, texts: list[str], speakers: list[str]) -> list[Prediction]:
        """Vectorised over the batch; equal, value for value, to applying :func:`pick_emotion` and
        :func:`intensity_of` row by row (same operations in the same order)."""
        pol, emo, cues, degrees = self.probabilities(texts, speakers)
        n = len(texts)
        if not n:
            return []
        heads = self.heads
        p = pol[:, [heads.polarity_labels.index(k) for k in POLARITIES]]
        e = emo[:, [heads.emotion_labels.index(k) for k in EMOTIONS]]
        if p.shape != (n, len(POLARITIES)) or e.shape != (n, len(EMOTIONS)) or not (
                np.isfinite(p).all() and np.isfinite(e).all()):
            raise ValueError("model produced malformed probabilities")
        polarity = p.argmax(axis=1)  # first maximum in POLARITIES order, as max() picks
        label = np.empty(n, dtype=np.int64)
        share = np.ones(n)
        for k, name in enumerate(POLARITIES):
            rows = np.flatnonzero(polarity == k)
            if not rows.size:
                continue
            allowed = _ALLOWED[name]
            sub = e[np.ix_(rows, allowed)]
            total = sub[:, 0].copy()  # summed left to right, like sum() in pick_emotion
            for j in range(1, len(allowed)):
                total += sub[:, j]
            pick = sub.argmax(axis=1)  # first maximum in COMPATIBLE order
            chosen = sub[np.arange(rows.size), pick]
            ok = total > 0
            label[rows] = np.where(ok, np.asarray(allowed)[pick], _FALLBACK[name])
            share[rows] = np.where(ok, chosen / np.where(ok, total, 1.0), 1.0)
        exclaims = np.array([t.count("!") + t.count("！") for t in texts], dtype=np.int64)
        degree = np.asarray(degrees, dtype=np.float64)
        scale = 1.0 + 0.25 * np.maximum(0.0, degree - 1.0) + 0.1 * np.minimum(exclaims, 3)
        intensity = np.minimum(1.0, share * p[np.arange(n), polarity] * scale)
        intensity[label == _NEUTRAL] = 0.0
        # Python's round() (correctly rounded), not np.round, so values match the per-row code.
        p_rows = p.tolist()
        sentiment_of = [POLARITIES[k] for k in polarity.tolist()]
        emotion_of = [EMOTIONS[k] for k in label.tolist()]
        construct_s, construct_e = Sentiment.model_construct, Emotion.model_construct
        results: list[Prediction] = []
        for i, (row, inten) in enumerate(zip(p_rows, intensity.tolist())):
            sentiment = construct_s(label=sentiment_of[i], probabilities={
                "negative": round(row[0], 4), "neutral": round(row[1], 4), "positive": round(row[2], 4)})
            results.append((sentiment, construct_e(label=emotion_of[i], intensity=round(inten, 4),
                                                   cues=cues[i][:8])))
        return results


_ALLOWED = {polarity: [EMOTIONS.index(e) for e in allowed] for polarity, allowed in COMPATIBLE.items()}
_FALLBACK = {"negative": EMOTIONS.index("disgust"), "neutral": EMOTIONS.index("neutral"),
             "positive": EMOTIONS.index("joy")}
_NEUTRAL = EMOTIONS.index("neutral")
