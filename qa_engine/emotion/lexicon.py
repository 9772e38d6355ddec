"""Lexicon matching: DUTIR emotion words, HowNet polarity/negation/degree words, call-centre cues.

One Aho-Corasick automaton finds every dictionary word in a text in a single pass. Matches that
sit inside a longer match are dropped (满意 inside 不满意 is not praise). A negation word just
before a polarity or emotion word flips it, and a degree adverb scales it, the way HowNet-based
scorers do. The result is a small dense feature vector plus the cue words shown to users.
"""

from __future__ import annotations

import json
import math
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
        self.automaton = ahocorasick.Automaton()
        for word, kinds in entries.items():
            self.automaton.add_word(word, (word, tuple(kinds)))
        self.automaton.make_automaton()
        self.size = len(entries)

    def _matches(self, text: str) -> list[tuple[int, int, str, tuple]]:
        found = [
            (end - len(word) + 1, end + 1, word, kinds) for end, (word, kinds) in self.automaton.iter(text)
        ]
        # Keep only maximal matches: drop any match strictly inside a longer one.
        found.sort(key=lambda m: (m[0], -(m[1] - m[0])))
        kept: list[tuple[int, int, str, tuple]] = []
        for m in found:
            if any(k[0] <= m[0] and m[1] <= k[1] and (k[1] - k[0]) > (m[1] - m[0]) for k in kept[-6:]):
                continue
            kept.append(m)
        return kept

    def match(self, text: str) -> LexiconMatch:
        text = text.lower()
        values = dict.fromkeys(FEATURE_NAMES, 0.0)
        emotion_scores = dict.fromkeys(LEXICON_EMOTIONS, 0.0)
        cues: list[str] = []
        negations: list[int] = []  # end offsets of negation words
        degrees: list[tuple[int, float]] = []  # (end offset, multiplier)
        max_degree = 1.0
        for start, end, word, kinds in self._matches(text):
            kind_names = {k for k, _ in kinds}
            # 不是 / 没有 are also listed as HowNet negative words; as modifiers they negate.
            if "negation" in kind_names:
                negations.append(end)
                values["negation"] += 1
                continue
            if "degree" in kind_names and not kind_names & {"emotion", "polarity", "cue"}:
                weight = max(float(v) for k, v in kinds if k == "degree")
                degrees.append((end, weight))
                values["degree"] += 1
                continue
            negated = any(0 <= start - e < SCOPE for e in negations)
            scale = max([w for e, w in degrees if 0 <= start - e < SCOPE], default=1.0)
            max_degree = max(max_degree, scale)
            used = False
            for kind, value in kinds:
                if kind == "polarity":
                    if negated:
                        values["negated_pos" if value == "positive" else "negated_neg"] += scale
                    else:
                        values["hownet_pos" if value == "positive" else "hownet_neg"] += scale
                    used = True
                elif kind == "emotion" and not negated:
                    # A negated emotion word (不开心, 不生气) says little about which emotion is
                    # present, so it only feeds the negated polarity features above.
                    values[f"dutir_{value}"] += scale
                    emotion_scores[value] += scale
                    used = True
                elif kind == "cue":
                    # Cue phrases are call-centre specific and already carry their own context
                    # (不满意 is listed whole), so negation does not flip them.
                    values[f"cue_{value}"] += scale
                    used = True
            if used:
                cues.append(word)
        values["exclaim"] = text.count("!") + text.count("！")
        values["question"] = text.count("?") + text.count("？")
        values["length"] = len(text)
        # log1p keeps counts comparable between a five-character chat line and a long review.
        features = np.array([math.log1p(values[n]) for n in FEATURE_NAMES], dtype=np.float32)
        return LexiconMatch(features=features, cues=cues, degree=max_degree, emotion_scores=emotion_scores)
