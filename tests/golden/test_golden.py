"""Golden conversations: hand-written chats and transcribed calls with hand-computed scores.

Each ``datasets/golden/*.json`` holds one conversation and an ``expected`` block worked out by
hand from the scorecard arithmetic (its ``note`` shows the sum). The whole pipeline runs on it:
reader -> timing analyzers -> default rule pack -> default scorecard. Only the timing analyzers
run: the emotion analyzer would overwrite the hand-written ``emotion`` annotations that the two
emotion rules are tested with, so in files without annotations those rules are not applicable.

``test_golden_coverage`` checks that the set as a whole exercises every rule of the default pack
(a hit and a clean pass each) and every scorecard feature; the rule and item lists come from the
pack and scorecard files, so a new rule without a golden case fails it.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from qa_engine.pipeline import DEFAULT_PACK, DEFAULT_SCORECARD, Engine, EngineConfig
from qa_engine.rules.loader import load_pack
from qa_engine.scoring.scorecard import load_scorecard
from qa_engine.types import Conversation, ScoreResult

GOLDEN_DIR = Path(__file__).resolve().parents[2] / "datasets" / "golden"
FILES = sorted(GOLDEN_DIR.glob("*.json"))
ANALYZERS = ("chat_timing", "turn_taking")
EXPECTED_KEYS = {"score", "grade", "veto", "passed", "needs_review", "hits", "not_applicable", "flags",
                 "deductions", "capped", "bonus", "dimensions", "note"}


def _read_with_ingest(path: Path) -> Conversation | None:
    """The project's reader when it is importable; ``None`` means fall back."""
    try:
        from qa_engine.ingest import IngestError, read_path
    except ImportError:
        return None
    items = list(read_path(path))
    errors = [str(i) for i in items if isinstance(i, IngestError)]
    assert not errors, errors
    assert len(items) == 1, f"{path.name}: expected one conversation, got {len(items)}"
    conversation = items[0]
    # the reader merges unknown top-level keys into metadata; the answer key is not input data
    conversation.metadata.pop("expected", None)
    return conversation


def _read_by_hand(data: dict) -> Conversation:
    """Fallback reader: chats with ISO times become seconds from the first message."""
    from datetime import datetime

    from qa_engine.text import normalize_text

    raw = data["utterances"]
    starts = [u.get("start") for u in raw]
    if any(isinstance(s, str) for s in starts):
        base = datetime.fromisoformat(data["started_at"])
        starts = [None if s is None else (datetime.fromisoformat(s) - base).total_seconds() for s in starts]
    utterances = []
    for i, (u, start) in enumerate(zip(raw, starts)):
        end = u.get("end", start if data["channel"] == "chat" else None)
        utterances.append({"index": i, "speaker": u["speaker"], "text": normalize_text(u["text"]),
                           "raw_text": u["text"], "start": start, "end": end,
                           **({"emotion": u["emotion"]} if "emotion" in u else {})})
    fields = {k: data[k] for k in ("id", "channel", "agent_id", "team_id", "customer_id", "started_at", "metadata")}
    return Conversation.model_validate({**fields, "utterances": utterances})


def load(path: Path) -> tuple[Conversation, dict]:
    data = json.loads(path.read_text(encoding="utf-8"))
    expected = data["expected"]
    conversation = _read_with_ingest(path) or _read_by_hand(data)
    return conversation, expected


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(EngineConfig(analyzers=ANALYZERS))


def _hits(result: ScoreResult) -> Counter:
    return Counter((h.rule_id, tuple(h.utterance_indices)) for h in result.hits)


def _expected_hits(expected: dict) -> Counter:
    return Counter((h["rule_id"], tuple(h["utterance_indices"])) for h in expected["hits"])


def test_golden_set_is_there():
    assert len(FILES) >= 22
    ids = [p.stem for p in FILES]
    for path in FILES:
        data = json.loads(path.read_text(encoding="utf-8"))
        assert data["id"] == path.stem, "file name and conversation id must agree"
        assert set(data["expected"]) == EXPECTED_KEYS, path.name
        assert data["expected"]["note"].strip()
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_golden_conversation(path: Path, engine: Engine):
    conversation, expected = load(path)
    result = engine.score(conversation)

    assert _hits(result) == _expected_hits(expected)
    assert result.score == pytest.approx(expected["score"], abs=0.01)
    assert result.grade == expected["grade"]
    assert result.veto is expected["veto"]
    assert result.passed is expected["passed"]
    assert result.needs_review is expected["needs_review"]
    assert sorted(f.code for f in result.flags) == sorted(expected["flags"])
    assert sorted(s.rule_id for s in result.rules if not s.applicable) == sorted(expected["not_applicable"])
    # the waterfall: which items deducted how much, which hit their cap, the bonus, the dimensions
    assert {d.item_id: d.points for d in result.deductions} == pytest.approx(expected["deductions"])
    assert sorted(d.item_id for d in result.deductions if d.capped) == sorted(expected["capped"])
    assert sum(b.points for b in result.bonuses) == pytest.approx(expected["bonus"])
    dims = {d.id: (d.score if d.applicable else None) for d in result.dimensions}
    assert dims == expected["dimensions"]


def _feature_cases() -> dict[str, list[str]]:
    """Which golden files exercise each scorecard feature, derived from the expectations,
    the conversations and the scorecard itself (not from file names)."""
    card = load_scorecard(DEFAULT_SCORECARD).scorecard
    items = {i.item_id: i for d in card.dimensions for i in d.items}
    escalating = [i.item_id for i in items.values() if i.escalation]
    short_na = {i.item_id: i.not_applicable.utterances_below for i in items.values()
                if i.not_applicable and i.not_applicable.utterances_below}
    anchored = {r.id for r in load_pack(DEFAULT_PACK).pack.rules if r.anchor}
    features: dict[str, list[str]] = {}

    def add(name: str, case: str) -> None:
        cases = features.setdefault(name, [])
        if case not in cases:
            cases.append(case)

    for path in FILES:
        data = json.loads(path.read_text(encoding="utf-8"))
        exp, case = data["expected"], path.stem
        hit_counts = Counter(h["rule_id"] for h in exp["hits"])
        if exp["capped"]:
            add("cap", case)
        for item_id in escalating:
            if hit_counts[item_id] >= 2:
                add(f"escalation x{min(hit_counts[item_id], 3)}", case)
        for item_id, below in short_na.items():
            if len(data["utterances"]) < below and hit_counts[item_id] and item_id not in exp["deductions"]:
                add("item N/A: short conversation", case)
        if anchored & set(exp["not_applicable"]):
            add("item N/A: anchor never occurred", case)
        for dim in card.dimensions:
            if sum(exp["deductions"].get(i.item_id, 0) for i in dim.items) > dim.weight:
                add("dimension floor", case)
        if any(v is None for v in exp["dimensions"].values()):
            add("dimension rescaling", case)
        if exp["bonus"]:
            add("bonus", case)
            if exp["score"] < 100:
                add("bonus visible in the score", case)
        if exp["veto"]:
            for h in exp["hits"]:
                if items.get(h["rule_id"]) and items[h["rule_id"]].veto:
                    add(f"veto: {h['rule_id']}", case)
        else:
            add(f"grade: {exp['grade']}", case)
        if exp["passed"] and exp["needs_review"]:
            add("passed but sent to review", case)
        for code in exp["flags"]:
            add(f"flag: {code}", case)
        if data["channel"] == "chat" and "long_silence" in exp["not_applicable"] and exp["dimensions"]["efficiency"] is not None:
            add("chat: call-only items N/A, efficiency still scored", case)
        add(f"channel: {data['channel']}", case)
    return features


def test_golden_coverage():
    pack = load_pack(DEFAULT_PACK).pack
    card = load_scorecard(DEFAULT_SCORECARD).scorecard
    rule_ids = {r.id for r in pack.rules if r.enabled}
    hit_rules: set[str] = set()
    clean_rules: set[str] = set()
    for path in FILES:
        exp = json.loads(path.read_text(encoding="utf-8"))["expected"]
        hits = {h["rule_id"] for h in exp["hits"]}
        hit_rules |= hits
        clean_rules |= rule_ids - hits - set(exp["not_applicable"])
    assert rule_ids - hit_rules == set(), "rules never hit by a golden case"
    assert rule_ids - clean_rules == set(), "rules never checked-and-passed in a golden case"

    features = _feature_cases()
    wanted = ["cap", "escalation x2", "escalation x3", "item N/A: short conversation",
              "item N/A: anchor never occurred", "dimension rescaling", "dimension floor", "bonus", "bonus visible in the score",
              "flag: low_score", "flag: complaint", "flag: veto", "flag: customer_agitated",
              "passed but sent to review", "chat: call-only items N/A, efficiency still scored",
              "channel: chat", "channel: call"]
    wanted += [f"veto: {i.item_id}" for d in card.dimensions for i in d.items if i.veto]
    wanted += [f"grade: {g.name}" for g in card.grades]
    missing = [f for f in wanted if not features.get(f)]
    assert not missing, f"scorecard features without a golden case: {missing}"
