"""Text -> feature vectors, shared verbatim by training and numpy inference.

Sparse part: character 1..N-grams and (optionally) jieba word 1..2-grams, TF-IDF weighted with
sublinear tf and L2 normalisation (the same formula as scikit-learn's TfidfVectorizer with
smooth_idf, re-implemented so the runtime needs no scikit-learn). Agent lines also emit every
n-gram again with an ``A|`` prefix: the model can then learn that the agent's 抱歉 is courtesy
while the customer's 抱歉 is rare and means something else, without losing what both share.
Dense part: the lexicon features from :mod:`qa_engine.emotion.lexicon` and a speaker one-hot.
"""

from __future__ import annotations

import math
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

from qa_engine.emotion.lexicon import FEATURE_NAMES, Lexicon, LexiconMatch

# "review" marks training lines from the review corpus: a separate indicator soaks up that
# corpus's class balance (no neutral lines at all) so it does not bias call-centre predictions.
SPEAKERS = ("customer", "agent", "review")
DENSE_NAMES = FEATURE_NAMES + tuple(f"speaker_{s}" for s in SPEAKERS)


def normalise(text: str) -> str:
    # NFKC folds full-width letters/digits/punctuation; engine text is already normalised but
    # review corpora and ad-hoc callers are not.
    return unicodedata.normalize("NFKC", text).lower().strip()


class Featurizer:
    def __init__(self, lexicon: Lexicon, char_max: int = 3, use_words: bool = True) -> None:
        self.lexicon = lexicon
        self.char_max = char_max
        self.use_words = use_words
        self._jieba = None
        if use_words:
            import jieba  # core dependency; imported lazily so char-only models skip its dict load

            jieba.setLogLevel(60)
            self._jieba = jieba

    def config(self) -> dict:
        return {"char_max": self.char_max, "use_words": self.use_words}

    def ngrams(self, text: str, speaker: str) -> list[str]:
        text = normalise(text)
        grams: list[str] = []
        compact = "".join(ch for ch in text if not ch.isspace())
        for n in range(1, self.char_max + 1):
            grams.extend(compact[i : i + n] for i in range(len(compact) - n + 1))
        if self._jieba is not None:
            words = [w for w in self._jieba.lcut(text) if w.strip()]
            grams.extend("w|" + w for w in words)
            grams.extend("w|" + a + "_" + b for a, b in zip(words, words[1:]))
        if speaker == "agent":
            grams.extend(["A|" + g for g in grams])
        return grams

    def dense(self, text: str, speaker: str) -> tuple[np.ndarray, LexiconMatch]:
        match = self.lexicon.match(normalise(text))
        one_hot = np.array([float(speaker == s) for s in SPEAKERS], dtype=np.float32)
        return np.concatenate([match.features, one_hot]), match


class Vocabulary:
    """n-gram -> column, with idf; built at training time, stored as JSON + npz."""

    def __init__(self, terms: Sequence[str], idf: np.ndarray) -> None:
        self.terms = list(terms)
        self.index = {t: i for i, t in enumerate(self.terms)}
        self.idf = np.asarray(idf, dtype=np.float32)

    @classmethod
    def fit(cls, documents: Iterable[list[str]], min_df: int = 2, max_terms: int = 200_000) -> Vocabulary:
        df: Counter[str] = Counter()
        n_docs = 0
        for grams in documents:
            df.update(set(grams))
            n_docs += 1
        kept = [(t, c) for t, c in df.items() if c >= min_df]
        # Most frequent first, ties broken by the term so the vocabulary is reproducible.
        kept.sort(key=lambda tc: (-tc[1], tc[0]))
        kept = kept[:max_terms]
        kept.sort(key=lambda tc: tc[0])
        idf = np.array([math.log((1 + n_docs) / (1 + c)) + 1.0 for _, c in kept], dtype=np.float32)
        return cls([t for t, _ in kept], idf)

    def transform(self, batch: Sequence[list[str]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """CSR arrays (indptr, indices, data) of L2-normalised sublinear TF-IDF rows."""
        indptr = [0]
        indices: list[int] = []
        data: list[float] = []
        for grams in batch:
            counts = Counter(self.index[g] for g in grams if g in self.index)
            cols = sorted(counts)
            vals = np.array([(1.0 + math.log(counts[c])) * self.idf[c] for c in cols], dtype=np.float32)
            norm = float(np.sqrt((vals * vals).sum())) if cols else 0.0
            if norm > 0:
                vals /= norm
            indices.extend(cols)
            data.extend(vals.tolist())
            indptr.append(len(indices))
        return (
            np.asarray(indptr, dtype=np.int64),
            np.asarray(indices, dtype=np.int64),
            np.asarray(data, dtype=np.float32),
        )
