"""The review's final score equals what the engine itself scores when the rejected hits are
removed from its rule evaluation — for every subset of hits (up to 64 per conversation) of every
golden conversation. This pins api/review/scoring.py to qa_engine's scorecard math."""

from __future__ import annotations

import itertools
import json
import random
from pathlib import Path

import pytest

from api.review.scoring import compute_final
from qa_engine.ingest import read_path
from qa_engine.pipeline import Engine, EngineConfig
from qa_engine.rules.engine import RuleEvaluation
from qa_engine.scoring.scorer import score

GOLDEN = Path(__file__).resolve().parents[3] / "datasets" / "golden"


@pytest.fixture(scope="module")
def engine():
    return Engine(EngineConfig(analyzers=("chat_timing", "turn_taking")))


def _subsets(ids: list[str], rng: random.Random) -> list[set[str]]:
    everything = [set(c) for n in range(len(ids) + 1) for c in itertools.combinations(ids, n)]
    return everything if len(everything) <= 64 else [set()] + rng.sample(everything, 63)


def test_final_score_matches_the_engine_on_golden_conversations(engine):
    convs = [c for c in read_path(GOLDEN) if not isinstance(c, Exception) and hasattr(c, "utterances")]
    assert len(convs) >= 20
    rng = random.Random(5)
    card = engine.scorecard.scorecard
    checked = vetoes_lifted = 0
    for conv in convs:
        result = json.loads(engine.score(conv).model_dump_json())  # analyzes conv in place
        evaluation = engine.rules.evaluate(conv)
        for rejected in _subsets([h.id for h in evaluation.hits], rng):
            kept = RuleEvaluation(hits=[h for h in evaluation.hits if h.id not in rejected],
                                  statuses=evaluation.statuses)
            expected = score(conv, kept, card)
            final = compute_final(result, card, rejected, [])
            assert (final.score, final.veto, final.grade, final.passed) == \
                (expected.score, expected.veto, expected.grade, expected.passed), (conv.id, sorted(rejected))
            checked += 1
            vetoes_lifted += result["veto"] and not final.veto
    print(f"{checked} subsets of {len(convs)} conversations, {vetoes_lifted} with a veto lifted")
    assert checked > 200 and vetoes_lifted > 0
