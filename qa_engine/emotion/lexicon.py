"""Lexicon matching: DUTIR emotion words, HowNet polarity/negation/degree words, call-centre cues.

One Aho-Corasick automaton finds every dictionary word in a text in a single pass. Matches that
sit inside a longer match are dropped (满意 inside 不满意 is not praise). A negation word just
before a polarity or emotion word flips it, and a degree adverb scales it, the way HowNet-based
scorers do. The result is a small dense feature vector plus the cue words shown to users.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import ahocorasick
import numpy as np

MODEL_DIR = Path(__file__).resolve().parents[2] / "models" / "emotion"
NEGATIVE_EMOTIONS = ("anger", "anxiety", "sadness", "disgust")
LEXICON_EMOTIONS = ("anger", "anxiety", "sadness", "disgust", "surprise", "joy")
CUE_GROUPS = ("complaint", "anger", "anxiety", "sadness", "sarcasm", "joy", "courtesy", "inquiry")
# How far back (in characters) a negation or degree word may sit and still modify a word:
# 不太满意, 非常不满意, 没有很开心 all fit in four characters.
SCOPE = 4

FEATURE_NAMES = (
    ("hownet_pos", "hownet_neg", "negated_pos", "negated_neg")
    + tuple(f"dutir_{e}" for e in LEXICON_EMOTIONS)
    + tuple(f"cue_{g}" for g in CUE_GROUPS)
    + ("degree", "negation", "exclaim", "question", "length")
)


@dataclass
class LexiconMatch:
    features: np.ndarray
    cues: list[str] = field(default_factory=list)  # words that drove the features, in order
    degree: float = 1.0  # strongest degree multiplier seen (1.0 = none)
    emotion_scores: dict[str, float] = field(default_factory=dict)


class Lexicon:
    """Matches the committed lexicon.json + cues.json; no pickles at run time."""

    def __init__(self, lexicon_path: Path | None = None, cues_path: Path | None = None) -> None:
        lex = json.loads(Path(lexicon_path or MODEL_DIR / "lexicon.json").read_text(encoding="utf-8"))
        cues = json.loads(Path(cues_path or MODEL_DIR / "cues.json").read_text(encoding="utf-8"))["cues"]
        entries: dict[str, list[tuple[str, str | float]]] = {}

        def add(word: str, kind: str, value: str | float) -> None:
            entries.setdefault(word, []).append((kind, value))

        for label, words in lex["emotion"].items():
            for w in words:
                add(w, "emotion", label)
        for polarity, words in lex["polarity"].items():
            for w in words:
                add(w, "polarity", polarity)
        for w in lex["negation"]:
            add(w, "negation", 1.0)
        for w, weight in lex["degree"].items():
            add(w, "degree", float(weight))
        for group, words in cues.items():
            for w in words:
                add(w.lower(), "cue", group)
        # Each entry is compiled once into what a match of it does, so matching a text is a few
        # list operations per match instead of re-reading (kind, value) pairs and building sets.
        self.automaton = ahocorasick.Automaton()
        for word, kinds in entries.items():
            self.automaton.add_word(word, (len(word), word, _compile(kinds)))
        self.automaton.make_automaton()
        self.size = len(entries)

    def _matches(self, text: str) -> list[tuple[int, int, str, tuple]]:
        found = [(end - length + 1, end + 1, word, plan) for end, (length, word, plan) in self.automaton.iter(text)]
        if len(found) < 2:
            return found
        # Keep only maximal matches: drop any match strictly inside a longer one.
        found.sort(key=lambda m: (m[0], m[0] - m[1]))
        kept: list[tuple[int, int, str, tuple]] = []
        for m in found:
            start, end = m[0], m[1]
            length = end - start
            if any(k[0] <= start and end <= k[1] and (k[1] - k[0]) > length for k in kept[-6:]):
                continue
            kept.append(m)
        return kept

    def match_values(self, text: str) -> tuple[list[float], list[str], float]:
        """Raw (pre-log1p) feature values in FEATURE_NAMES order, cue words, strongest degree.

        ``text`` must already be lower-cased (``features.normalise`` does it).
        """
        values = [0.0] * N_FEATURES
        cues: list[str] = []
        max_degree = 1.0
        matches = self._matches(text)
        if matches:
            negations: list[int] = []  # end offsets of negation words
            degrees: list[tuple[int, float]] = []  # (end offset, multiplier)
            for start, end, word, (role, weight, ops) in matches:
                # 不是 / 没有 are also listed as HowNet negative words; as modifiers they negate.
                if role == NEGATION:
                    negations.append(end)
                    values[I_NEGATION] += 1
                    continue
                if role == DEGREE:
                    degrees.append((end, weight))
                    values[I_DEGREE] += 1
                    continue
                negated = False
                for e in negations:
                    if 0 <= start - e < SCOPE:
                        negated = True
                        break
                scale = 1.0
                if degrees:
                    scale = max([w for e, w in degrees if 0 <= start - e < SCOPE], default=1.0)
                    if scale > max_degree:
                        max_degree = scale
                used = False
                for plain, when_negated in ops:
                    column = when_negated if negated else plain
                    if column >= 0:
                        values[column] += scale
                        used = True
                if used:
                    cues.append(word)
        values[I_EXCLAIM] = text.count("!") + text.count("！")
        values[I_QUESTION] = text.count("?") + text.count("？")
        values[I_LENGTH] = len(text)
        return values, cues, max_degree

    def match(self, text: str) -> LexiconMatch:
        text = text.lower()
        values, cues, max_degree = self.match_values(text)
        # The DUTIR emotion columns are exactly the per-emotion lexicon scores.
        emotion_scores = {}
        for i, e in enumerate(LEXICON_EMOTIONS):
            emotion_scores[e] = values[EMOTION_COLUMNS[i]]
        # log1p keeps counts comparable between a five-character chat line and a long review.
        features = np.log1p(np.array(values, dtype=np.float64)).astype(np.float32)
        return LexiconMatch(features=features, cues=cues, degree=max_degree, emotion_scores=emotion_scores)

    def match_batch(self, texts: list[str]) -> tuple[np.ndarray, list[list[str]], list[float]]:
        """log1p feature matrix (float32), cue words and strongest degree of already-lowered texts."""
        rows, cues, degrees = [], [], []
        match_values = self.match_values
        for text in texts:
            values, c, d = match_values(text.lower())
            rows.append(values)
            cues.append(c)
            degrees.append(d)
        matrix = np.log1p(np.array(rows, dtype=np.float64).reshape(len(texts), N_FEATURES)).astype(np.float32)
        return matrix, cues, degrees


NEGATION, DEGREE, OTHER = 0, 1, 2
N_FEATURES = len(FEATURE_NAMES)
_COLUMN = {name: i for i, name in enumerate(FEATURE_NAMES)}
I_NEGATION, I_DEGREE = _COLUMN["negation"], _COLUMN["degree"]
I_EXCLAIM, I_QUESTION, I_LENGTH = _COLUMN["exclaim"], _COLUMN["question"], _COLUMN["length"]
EMOTION_COLUMNS = [_COLUMN[f"dutir_{e}"] for e in LEXICON_EMOTIONS]


def _compile(kinds: tuple) -> tuple[int, float, tuple[tuple[int, int], ...]]:
    """(role, degree weight, ops): ops are (column if not negated, column if negated), -1 = none."""
    names = {k for k, _ in kinds}
    if "negation" in names:
        return NEGATION, 1.0, ()
    if "degree" in names and not names & {"emotion", "polarity", "cue"}:
        return DEGREE, max(float(v) for k, v in kinds if k == "degree"), ()
    ops = []
    for kind, value in kinds:
        if kind == "polarity":
            positive = value == "positive"
            ops.append((_COLUMN["hownet_pos" if positive else "hownet_neg"],
                        _COLUMN["negated_pos" if positive else "negated_neg"]))
        elif kind == "emotion":
            # A negated emotion word (不开心, 不生气) says little about which emotion is present,
            # so it only feeds the negated polarity features.
            ops.append((_COLUMN[f"dutir_{value}"], -1))
        elif kind == "cue":
            # Cue phrases are call-centre specific and already carry their own context (不满意 is
            # listed whole), so negation does not flip them.
            ops.append((_COLUMN[f"cue_{value}"],) * 2)
    return OTHER, 1.0, tuple(ops)
