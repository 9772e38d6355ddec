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
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from operator import add as _concat

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


# jieba 0.42's own block and "English" patterns (jieba.re_han_default / jieba.re_eng), so
# segment_words() splits text exactly where jieba.lcut does.
RE_HAN = re.compile("([\u4E00-\u9FD5a-zA-Z0-9+#&\\._%\\-]+)")
ENG_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")


PREFIX = 1.0  # log-probabilities are < 0; this marks a dictionary prefix that is not a word


def log_probabilities(freq: dict, total: float) -> dict[str, float]:
    """jieba's prefix dictionary with each word's ``log(freq) - log(total)`` precomputed."""
    log, logtotal = math.log, math.log(total)
    return {w: log(f) - logtotal if f else PREFIX for w, f in freq.items()}


def segment_block(block: str, logp: dict, unknown: float) -> list[str]:
    """jieba's maximum-probability segmentation (``__cut_DAG_NO_HMM``) of one han/alnum block.

    Same prefix dictionary, same scores, same tie-break (the longer word wins a tie) as
    ``get_DAG`` + ``calc``, but one fused backward pass over flat lists with precomputed
    log-probabilities instead of a DAG dict, a route dict, a generator and a log() per candidate.
    ``unknown`` is ``-log(total)``: a character no dictionary word starts with (frequency 1).
    """
    n = len(block)
    if n == 1:
        return [block]
    get = logp.get
    score = [0.0] * (n + 1)
    nxt = [0] * (n + 1)  # exclusive end of the best word starting at each position
    for start in range(n - 1, -1, -1):
        best = None
        end = start + 1
        lp = get(block[start])
        while lp is not None:  # the dictionary holds every prefix of every word
            if lp != PREFIX:
                s = lp + score[end]
                if best is None or s >= best:
                    best, best_end = s, end
            if end >= n:
                break
            end += 1
            lp = get(block[start:end])
        if best is None:
            best, best_end = unknown + score[start + 1], start + 1
        score[start] = best
        nxt[start] = best_end
    words: list[str] = []
    buf = ""
    x = 0
    while x < n:
        y = nxt[x]
        if y - x == 1 and block[x] in ENG_CHARS:  # runs of single ASCII letters/digits are merged
            buf += block[x]
        else:
            if buf:
                words.append(buf)
                buf = ""
            words.append(block[x:y])
        x = y
    if buf:
        words.append(buf)
    return words


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
            jieba.dt.check_initialized()
        self._logp_key: tuple | None = None
        self._logp: dict[str, float] = {}
        self._unknown = 0.0

    def config(self) -> dict:
        return {"char_max": self.char_max, "use_words": self.use_words}

    def words(self, text: str) -> list[str]:
        """``[w for w in jieba.lcut(text, HMM=False) if w.strip()]`` for normalised ``text``.

        Uses jieba's default dictionary (``jieba.dt``) with log-probabilities precomputed once
        (0.2 s); they are recomputed if that dictionary's size or total frequency changes
        (``jieba.add_word``). Tests check the result equals ``jieba.lcut``.
        """
        dt = self._jieba.dt
        key = (id(dt.FREQ), len(dt.FREQ), dt.total)
        if key != self._logp_key:
            self._logp = log_probabilities(dt.FREQ, dt.total)
            self._unknown = 0.0 - math.log(dt.total)  # log(1) - log(total), as jieba computes it
            self._logp_key = key
        logp, unknown = self._logp, self._unknown
        parts = RE_HAN.split(text)
        words: list[str] = []
        for i, part in enumerate(parts):
            if not part:
                continue
            if i % 2:  # captured han/alnum block
                words.extend(segment_block(part, logp, unknown))
            else:  # anything else: jieba yields it character by character; drop whitespace
                words.extend(c for c in part if not c.isspace())
        return words

    def ngrams(self, text: str, speaker: str) -> list[str]:
        return self._ngrams(normalise(text), speaker)

    def _ngrams(self, text: str, speaker: str, agent_prefix: bool = True) -> list[str]:
        compact = "".join(text.split())  # drop all whitespace; str.split is C-fast
        grams = list(compact)
        # n-grams in the order compact[i:i+n] for i = 0, 1, ...: each (n-1)-gram plus the
        # character after it, concatenated by map() in C rather than sliced in a comprehension.
        previous = grams
        for n in range(2, self.char_max + 1):
            previous = list(map(_concat, previous, compact[n - 1 :]))
            grams.extend(previous)
        if self._jieba is not None:
            # HMM off: the HMM pass for unknown words cost ~10 % of inference time, and unknown
            # words still reach the model through the character n-grams.
            words = self.words(text)
            prefixed = list(map("w|".__add__, words))
            grams.extend(prefixed)
            # "w|" + a + "_" + b for consecutive words a, b
            grams.extend(map("_".join, zip(prefixed, words[1:])))
        if agent_prefix and speaker == "agent":
            grams.extend(["A|" + g for g in grams])
        return grams

    def dense(self, text: str, speaker: str) -> tuple[np.ndarray, LexiconMatch]:
        match = self.lexicon.match(normalise(text))
        one_hot = np.array([float(speaker == s) for s in SPEAKERS], dtype=np.float32)
        return np.concatenate([match.features, one_hot]), match

    def batch(self, texts: Sequence[str], speakers: Sequence[str], agent_prefix: bool = True):
        """n-grams, dense matrix (float32), cue words and degree of a batch; one normalise per text.

        Equal to ``[ngrams(t, s)]`` and ``np.stack([dense(t, s)[0]])`` row by row. With
        ``agent_prefix=False`` agent rows leave out their ``A|`` copies; the caller adds them
        (:class:`qa_engine.emotion.linear.LinearHeads` maps each term to its ``A|`` twin in numpy).
        """
        normalised = [normalise(t) for t in texts]
        ngrams = self._ngrams
        grams = [ngrams(t, s, agent_prefix) for t, s in zip(normalised, speakers)]
        lexical, cues, degrees = self.lexicon.match_batch(normalised)
        one_hot = np.array([[s == k for k in SPEAKERS] for s in speakers], dtype=np.float32)
        dense = np.concatenate([lexical, one_hot.reshape(len(texts), len(SPEAKERS))], axis=1)
        return grams, dense, cues, degrees


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
        return self.weigh_counts(keys // width, keys % width, counts, n_rows)

    def weigh_counts(self, rows: np.ndarray, cols: np.ndarray, counts: np.ndarray,
                     n_rows: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """CSR arrays from distinct (row, column) pairs sorted by row then column, with counts."""
        vals = ((1.0 + np.log(counts)) * self.idf[cols]).astype(np.float32)
        norms = np.sqrt(np.bincount(rows, weights=vals.astype(np.float64) ** 2, minlength=n_rows))
        vals = (vals / np.where(norms > 0, norms, 1.0)[rows]).astype(np.float32)
        indptr = np.zeros(n_rows + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=n_rows), out=indptr[1:])
        return indptr, cols.astype(np.int64), vals
