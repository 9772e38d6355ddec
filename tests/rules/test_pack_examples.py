"""Every example written inline in the shipped rule pack runs here, one test per rule."""

from __future__ import annotations

import pytest

from qa_engine.pipeline import DEFAULT_PACK
from qa_engine.rules.engine import RuleEngine
from qa_engine.rules.examples import example_conversation
from qa_engine.analyzers.timing import ChatTimingAnalyzer, TurnTakingAnalyzer
from qa_engine.rules.loader import load_pack

PACK = load_pack(DEFAULT_PACK)
ENGINE = RuleEngine(PACK)
REQUIRED_RULES = {
    "opening_greeting", "closing", "polite_words", "further_help", "forbidden_phrases", "abuse_threat",
    "illegal_promise", "identity_verification", "no_soothing", "complaint_tendency", "privacy_leak",
    "off_platform", "chat_first_response", "chat_reply_gap", "long_silence", "overtalk", "speech_rate_fast",
}


def test_default_pack_covers_the_required_rules():
    assert REQUIRED_RULES <= {r.id for r in PACK.pack.rules}


@pytest.mark.parametrize("rule", PACK.pack.rules, ids=lambda r: r.id)
def test_rule_examples(rule):
    assert rule.examples.hit and rule.examples.no_hit, f"{rule.id} needs examples both ways"
    for expected, examples in (("hit", rule.examples.hit), ("no_hit", rule.examples.no_hit)):
        for n, example in enumerate(examples):
            conv = example_conversation(example, rule, f"{rule.id}-{n}")
            ChatTimingAnalyzer().analyze(conv)
            TurnTakingAnalyzer().analyze(conv)
            hits = [h for h in ENGINE.evaluate(conv).hits if h.rule_id == rule.id]
            assert bool(hits) == (expected == "hit"), f"{rule.id} {expected} example {n}: {example}"
            for hit in hits:
                assert hit.explanation and hit.rule_version == rule.version
