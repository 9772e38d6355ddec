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
        compact = "".join(text.split())  # drop all whitespace; str.split is C-fast
        for n in range(1, self.char_max + 1):
            grams.extend(compact[i : i + n] for i in range(len(compact) - n + 1))
        if self._jieba is not None:
            # HMM off: the HMM pass for unknown words cost ~10 % of inference time, and unknown
            # words still reach the model through the character n-grams.
            words = [w for w in self._jieba.lcut(text, HMM=False) if w.strip()]
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

    def lookup(self, batch: Sequence[list[str]]) -> tuple[np.ndarray, np.ndarray]:
        """(row, column) of every in-vocabulary n-gram occurrence: one dict lookup per n-gram."""
        get = self.index.get
        rows: list[int] = []
        cols: list[int] = []
        for r, grams in enumerate(batch):
            found = [c for c in map(get, grams) if c is not None]
            cols.extend(found)
            rows.extend([r] * len(found))
        return np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64)

    def transform(self, batch: Sequence[list[str]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """CSR arrays (indptr, indices, data) of L2-normalised sublinear TF-IDF rows.

        Vectorised over the whole batch: counting, tf-idf and row norms are numpy operations,
        which is what makes the bundled model fast on short utterances.
        """
        rows, cols = self.lookup(batch)
        return self.weigh(rows, cols, len(batch))

    def weigh(self, rows: np.ndarray, cols: np.ndarray, n_rows: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """CSR arrays from (row, column) occurrences: counts -> sublinear tf-idf -> L2 rows."""
        width = max(len(self.terms), 1)
        keys, counts = np.unique(rows * width + cols, return_counts=True)  # sorted by row, then column
        rows, cols = keys // width, keys % width
        vals = ((1.0 + np.log(counts)) * self.idf[cols]).astype(np.float32)
        norms = np.sqrt(np.bincount(rows, weights=vals.astype(np.float64) ** 2, minlength=n_rows))
        vals = (vals / np.where(norms > 0, norms, 1.0)[rows]).astype(np.float32)
        indptr = np.zeros(n_rows + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=n_rows), out=indptr[1:])
        return indptr, cols.astype(np.int64), vals
