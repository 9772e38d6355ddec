"""Accuracy of the audio pipeline against a known timeline (``datasets/calls/*.timeline.json``).

- CER: character edit distance of the whole call, after the same normalisation the pipeline
  applies (Simplified, digits), punctuation and spaces removed.
- Role accuracy: share of recognised characters whose word midpoint falls inside a reference
  utterance of the same speaker (where both speak at once, either speaker counts as right).
- Boundary error: mean |start| difference between each reference utterance and the recognised
  utterance that overlaps it most.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import re

from qa_engine.audio.normalize import normalize_text
from qa_engine.types import Conversation

_STRIP = re.compile(r"[\s\W_]+", re.UNICODE)


def bare(text: str) -> str:
    return _STRIP.sub("", normalize_text(text))


def edit_distance(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def cer(reference: str, hypothesis: str) -> float:
    ref, hyp = bare(reference), bare(hypothesis)
    return edit_distance(ref, hyp) / max(1, len(ref))


@dataclass
class CallScore:
    call_id: str
    ref_chars: int
    errors: int
    role_correct: int
    role_total: int
    boundary_errors: list[float]
    by_speaker: dict[str, tuple[int, int]] | None = None  # speaker -> (errors, reference chars)

    @property
    def cer(self) -> float:
        return self.errors / max(1, self.ref_chars)

    @property
    def role_accuracy(self) -> float:
        return self.role_correct / max(1, self.role_total)


def load_timeline(path: Path) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def score_call(conversation: Conversation, timeline: dict) -> CallScore:
    refs = timeline["utterances"]
    ref_text = "".join(bare(u["text"]) for u in refs)
    hyp_text = "".join(bare(u.text) for u in conversation.utterances if not u.suspect)
    correct = total = 0
    for utt in conversation.utterances:
        for word in utt.words:
            chars = len(bare(word.text))
            if not chars:
                continue
            mid = (word.start + word.end) / 2
            covering = {r["speaker"] for r in refs if r["start"] - 0.2 <= mid <= r["end"] + 0.2}
            if not covering:  # between turns: judge by the nearest reference utterance
                nearest = min(refs, key=lambda r: min(abs(mid - r["start"]), abs(mid - r["end"])))
                covering = {nearest["speaker"]}
            total += chars
            correct += chars if utt.speaker.value in covering else 0
    boundaries = []
    for ref in refs:
        best, best_overlap = None, 0.0
        for utt in conversation.utterances:
            overlap = min(ref["end"], utt.end or 0) - max(ref["start"], utt.start or 0)
            if overlap > best_overlap:
                best, best_overlap = utt, overlap
        if best is not None:
            boundaries.append(abs((best.start or 0.0) - ref["start"]))
    by_speaker = {}
    for speaker in ("agent", "customer"):
        ref_s = "".join(bare(u["text"]) for u in refs if u["speaker"] == speaker)
        hyp_s = "".join(bare(u.text) for u in conversation.utterances
                        if u.speaker.value == speaker and not u.suspect)
        by_speaker[speaker] = (edit_distance(ref_s, hyp_s), len(ref_s))
    return CallScore(timeline["id"], len(ref_text), edit_distance(ref_text, hyp_text),
                     correct, total, boundaries, by_speaker)


def summarise(scores: list[CallScore]) -> dict:
    chars = sum(s.ref_chars for s in scores)
    bounds = [b for s in scores for b in s.boundary_errors]
    return {
        "calls": len(scores),
        "cer": round(sum(s.errors for s in scores) / max(1, chars), 4),
        "role_accuracy": round(sum(s.role_correct for s in scores)
                               / max(1, sum(s.role_total for s in scores)), 4),
        "mean_start_error_s": round(sum(bounds) / max(1, len(bounds)), 3),
        # Per speaker after role assignment: a misattributed turn counts against both.
        **{f"cer_{sp}": round(sum(s.by_speaker[sp][0] for s in scores)
                              / max(1, sum(s.by_speaker[sp][1] for s in scores)), 4)
           for sp in ("agent", "customer") if all(s.by_speaker for s in scores)},
    }
