"""Run the inline ``examples`` of every rule: each ``hit`` example must make the rule hit, each
``no_hit`` example must not. A rule pack is only as trustworthy as its examples."""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa_engine.analyzers.timing import ChatTimingAnalyzer, TurnTakingAnalyzer
from qa_engine.rules.engine import RuleEngine
from qa_engine.rules.schema import Example, Rule
from qa_engine.text import normalize_text
from qa_engine.types import Channel, Conversation, Utterance

_PREFIX = re.compile(r"^\s*(坐席|客服|客户|用户|系统|agent|customer|system)\s*[:：]\s*", re.IGNORECASE)
_SPEAKERS = {"坐席": "agent", "客服": "agent", "客户": "customer", "用户": "customer", "系统": "system"}


@dataclass
class ExampleFailure:
    rule_id: str
    expected: str  # "hit" | "no_hit"
    example: str
    detail: str

    def __str__(self) -> str:
        return f"rule {self.rule_id}: examples.{self.expected}: {self.example!r} {self.detail}"


def _line(text: str, default_speaker: str) -> dict:
    match = _PREFIX.match(text)
    if not match:
        return {"speaker": default_speaker, "text": text}
    tag = match.group(1)
    return {"speaker": _SPEAKERS.get(tag, tag.lower()), "text": text[match.end():]}


def example_conversation(example: str | list[str] | Example, rule: Rule, name: str) -> Conversation:
    default_speaker = "agent" if rule.speaker == "any" else rule.speaker
    if isinstance(example, Example):
        raw, channel, metadata = example.utterances, example.channel, example.metadata
    else:
        lines = [example] if isinstance(example, str) else example
        raw, channel, metadata = [_line(t, default_speaker) for t in lines], "chat", {}
    utterances = []
    for i, item in enumerate(raw):
        item = dict(item)
        item.setdefault("speaker", default_speaker)
        if "start" in item and "end" not in item:
            item["end"] = item["start"]
        utterances.append(Utterance(index=i, raw_text=item["text"], **{**item, "text": normalize_text(item["text"])}))
    return Conversation(id=name, channel=Channel(channel), metadata=metadata, utterances=utterances)


def _describe(example: str | list[str] | Example) -> str:
    if isinstance(example, Example):
        return " / ".join(str(u.get("text", "")) for u in example.utterances)
    return example if isinstance(example, str) else " / ".join(example)


def run_examples(engine: RuleEngine) -> tuple[int, list[ExampleFailure]]:
    """Returns (examples run, failures)."""
    analyzers = [ChatTimingAnalyzer(), TurnTakingAnalyzer()]
    failures: list[ExampleFailure] = []
    count = 0
    for rule in engine.rules:
        for expected, examples in (("hit", rule.examples.hit), ("no_hit", rule.examples.no_hit)):
            for n, example in enumerate(examples):
                count += 1
                conversation = example_conversation(example, rule, f"{rule.id}:{expected}:{n}")
                for analyzer in analyzers:
                    analyzer.analyze(conversation)
                evaluation = engine.evaluate(conversation)
                hits = [h for h in evaluation.hits if h.rule_id == rule.id]
                status = next(s for s in evaluation.statuses if s.rule_id == rule.id)
                if expected == "hit" and not hits:
                    why = f"(not applicable: {status.reason})" if not status.applicable else "(no hit)"
                    failures.append(ExampleFailure(rule.id, expected, _describe(example), f"should hit but did not {why}"))
                elif expected == "no_hit" and hits:
                    failures.append(ExampleFailure(rule.id, expected, _describe(example),
                                                   f"should not hit but did: {hits[0].explanation}"))
    return count, failures
