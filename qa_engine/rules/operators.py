"""Condition operators: each turns (conversation, utterances in view) into evidence.

Utterance operators (keywords, regex, emotion) look at the utterances they are given.
Conversation operators (silence, overtalk, speech rate, timing, emotion index, metadata) read
what analyzers put on ``Conversation.analysis`` and report occurrences with their times.
An operator whose input no analyzer produced says so (``missing``) instead of guessing, so the
rule is reported as not applicable rather than silently passed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from qa_engine.privacy import detect_pii
from qa_engine.rules.keywords import KeywordIndex, overlaps
from qa_engine.rules.schema import Condition, KeywordsOp, MetadataOp, RegexOp
from qa_engine.types import Conversation, Speaker, Utterance

_STAGES = ["normal", "fluctuating", "agitated", "angry"]
_NOT_SPOKEN = re.compile(r"[\s\W_]+", re.UNICODE)


@dataclass
class Occurrence:
    """One piece of evidence: spans in utterances, and/or a time range."""

    utterances: list[int]
    spans: list[tuple[int, int, int]] = field(default_factory=list)  # (utterance, start, end)
    start: float | None = None
    end: float | None = None
    detail: str = ""


@dataclass
class Outcome:
    matched: bool
    occurrences: list[Occurrence] = field(default_factory=list)
    missing: str | None = None  # the analysis this operator needed was not there


class MatchCache:
    """Per-conversation cache: each utterance is scanned by the automaton once for all rules."""

    def __init__(self, index: KeywordIndex, conversation: Conversation) -> None:
        self.index = index
        self.conversation = conversation
        self._scans: dict[int, dict[str, list[tuple[int, int]]]] = {}
        self._edges: dict[int, set[int]] = {}

    def scan(self, utterance: Utterance) -> dict[str, list[tuple[int, int]]]:
        found = self._scans.get(utterance.index)
        if found is None:
            found = self._scans[utterance.index] = self.index.scan(utterance.text)
        return found

    def edges(self, utterance: Utterance) -> set[int]:
        edges = self._edges.get(utterance.index)
        if edges is None:
            edges = self._edges[utterance.index] = self.index.boundaries(utterance.text)
        return edges


def keyword_spans(op: KeywordsOp, words: frozenset[str], excludes: list[str], utterance: Utterance,
                  cache: MatchCache) -> dict[str, list[tuple[int, int]]]:
    found = cache.scan(utterance)
    if not found:
        return {}
    excluded = [span for phrase in excludes for span in found.get(phrase, ())]
    result: dict[str, list[tuple[int, int]]] = {}
    # walk what the automaton found (a handful), not the word list (maybe thousands)
    for word, spans in found.items():
        if word not in words:
            continue
        if excluded:
            spans = [s for s in spans if not overlaps(s, excluded)]
        if spans and op.match == "word":
            edges = cache.edges(utterance)
            spans = [s for s in spans if s[0] in edges and s[1] in edges]
        if spans:
            result[word] = spans
    return result


def eval_keywords(op: KeywordsOp, words: tuple[frozenset[str], list[str]], utterances: list[Utterance],
                  cache: MatchCache) -> Outcome:
    """``words``: (keywords, exclusion phrases), both already normalised like the text."""
    words, excludes = words
    occurrences: list[Occurrence] = []
    distinct: set[str] = set()
    total = 0
    for utterance in utterances:
        spans = keyword_spans(op, words, excludes, utterance, cache)
        if not spans:
            continue
        distinct.update(spans)
        flat = sorted((utterance.index, s, e) for spans_ in spans.values() for s, e in spans_)
        total += len(flat)
        occurrences.append(Occurrence([utterance.index], flat, utterance.start, utterance.end))
    if op.require == "any":
        matched = bool(distinct)
    elif op.require == "all":
        matched = distinct >= words
    elif op.require == "none":
        matched = not distinct
        occurrences = []  # evidence of "none" is the absence itself
    else:
        matched = (total if op.count == "occurrences" else len(distinct)) >= op.n
    return Outcome(matched, occurrences)


def eval_regex(op: RegexOp, compiled: tuple[re.Pattern, re.Pattern | None], utterances: list[Utterance]) -> Outcome:
    pattern, exclude = compiled
    occurrences = []
    for utterance in utterances:
        spans = [m.span() for m in pattern.finditer(utterance.text) if m.end() > m.start()]
        if spans and exclude is not None:
            excluded = [m.span() for m in exclude.finditer(utterance.text)]
            if op.exclude_scope == "utterance":
                spans = [] if excluded else spans
            else:
                spans = [s for s in spans if not overlaps(s, excluded)]
        if spans:
            occurrences.append(Occurrence([utterance.index], [(utterance.index, s, e) for s, e in spans],
                                          utterance.start, utterance.end))
    return Outcome(bool(occurrences), occurrences)


def eval_pii(cond: Condition, utterances: list[Utterance]) -> Outcome:
    kinds = set(cond.pii.kinds)
    occurrences = []
    for u in utterances:
        spans = [(u.index, p.start, p.end) for p in detect_pii(u.text) if p.kind in kinds]
        if spans:
            occurrences.append(Occurrence([u.index], spans, u.start, u.end))
    return Outcome(bool(occurrences), occurrences)


def eval_emotion(cond: Condition, utterances: list[Utterance], conversation: Conversation) -> Outcome:
    op = cond.emotion
    assert op is not None
    # N/A only when no analyzer annotated the conversation at all; one utterance the model
    # skipped must not switch the rule off for the others
    if all(u.emotion is None and u.sentiment is None for u in conversation.utterances):
        return Outcome(False, missing="emotion (add the 'emotion' analyzer to the pipeline)")
    occurrences = []
    for u in utterances:
        hit = False
        detail = ""
        if op.labels and u.emotion and u.emotion.label in op.labels and u.emotion.intensity >= op.min_intensity:
            hit, detail = True, f"{u.emotion.label} {u.emotion.intensity:.2f}"
        if op.sentiment and u.sentiment and u.sentiment.probabilities.get(op.sentiment, 0.0) >= op.min_probability \
                and u.sentiment.label == op.sentiment:
            hit, detail = True, detail or f"{op.sentiment} {u.sentiment.probabilities[op.sentiment]:.2f}"
        if hit:
            occurrences.append(Occurrence([u.index], [(u.index, 0, len(u.text))], u.start, u.end, detail))
    return Outcome(bool(occurrences), occurrences)


def _speaks(utterance: Utterance, speaker: str) -> bool:
    return speaker == "any" or utterance.speaker.value == speaker


def eval_silence(cond: Condition, conversation: Conversation) -> Outcome:
    op = cond.silence
    turns = conversation.analysis.turns
    if turns is None:
        return Outcome(False, missing="utterance times (silence needs start/end per utterance)")
    utterances = conversation.utterances
    occurrences = []
    for gap in turns.silences:
        if gap.seconds <= op.min_seconds:  # 超过 5 秒: strictly longer, like overtalk
            continue
        before = utterances[gap.before_utterance]
        if not _speaks(before, op.after):
            continue
        # a hold phrase in the agent's last words before the gap excuses it (请稍等, 帮您查询)
        recent_agent = [u for u in utterances[max(0, gap.before_utterance - 1): gap.before_utterance + 1]
                        if u.speaker == Speaker.agent]
        if any(phrase in u.text for u in recent_agent for phrase in op.exempt):
            continue
        occurrences.append(Occurrence([gap.before_utterance, gap.after_utterance], [], gap.start, gap.end,
                                      f"{gap.seconds:.1f}s"))
    return Outcome(bool(occurrences), occurrences)


def eval_overtalk(cond: Condition, conversation: Conversation) -> Outcome:
    op = cond.overtalk
    turns = conversation.analysis.turns
    if turns is None:
        return Outcome(False, missing="utterance times (overtalk needs start/end per utterance)")
    occurrences = [Occurrence([g.before_utterance, g.after_utterance], [], g.start, g.end, f"{g.seconds:.1f}s")
                   for g in turns.overtalks if g.seconds > op.min_seconds]
    return Outcome(len(occurrences) >= op.min_count, occurrences)


def spoken_chars(text: str) -> int:
    return len(_NOT_SPOKEN.sub("", text))


def eval_speech_rate(cond: Condition, utterances: list[Utterance]) -> Outcome:
    op = cond.speech_rate
    if utterances and not any(u.duration for u in utterances):
        return Outcome(False, missing="utterance times (speech rate needs start/end per utterance)")
    timed = [u for u in utterances if u.duration and spoken_chars(u.text) >= op.min_chars]
    if not timed:
        return Outcome(False)
    if op.per == "conversation":
        chars = sum(spoken_chars(u.text) for u in timed)
        seconds = sum(u.duration for u in timed)
        rate = chars / seconds * 60
        if rate > op.above:
            return Outcome(True, [Occurrence([u.index for u in timed], [], timed[0].start, timed[-1].end,
                                             f"{rate:.0f} 字/分")])
        return Outcome(False)
    occurrences = []
    for u in timed:
        rate = spoken_chars(u.text) / u.duration * 60
        if rate > op.above:
            occurrences.append(Occurrence([u.index], [(u.index, 0, len(u.text))], u.start, u.end, f"{rate:.0f} 字/分"))
    return Outcome(bool(occurrences), occurrences)


def eval_timing(cond: Condition, conversation: Conversation) -> Outcome:
    op = cond.timing
    timing = conversation.analysis.timing
    if timing is None:
        return Outcome(False, missing="message times (timing needs timestamps)")
    utterances = conversation.utterances
    if op.metric == "unanswered":
        value, involved = float(len(timing.unanswered_customer)), timing.unanswered_customer
    elif op.metric == "first_response":
        value, involved = timing.first_response, timing.first_response_utterances
    elif op.metric == "max_response_gap":
        value, involved = timing.max_response_gap, timing.max_response_gap_utterances
    else:
        value, involved = timing.average_response, []
    if value is None or value <= op.above:
        return Outcome(False)
    start = utterances[involved[0]].start if involved else None
    end = utterances[involved[-1]].start if involved else None
    return Outcome(True, [Occurrence(list(involved), [], start, end, f"{value:g}")])


def eval_emotion_index(cond: Condition, conversation: Conversation) -> Outcome:
    op = cond.emotion_index
    index = conversation.analysis.emotion_index
    if index is None:
        return Outcome(False, missing="emotion index (add the 'emotion' analyzer to the pipeline)")
    matched = True
    if op.below is not None:
        matched = index.index < op.below
    if op.stage_at_least is not None:
        matched = matched and _STAGES.index(index.stage) >= _STAGES.index(op.stage_at_least)
    peaks = [p.utterance for p in index.peaks]
    return Outcome(matched, [Occurrence(peaks, [], None, None, f"{index.index:.0f} {index.stage}")] if matched else [])


def metadata_value(metadata: dict[str, Any], dotted: str) -> tuple[bool, Any]:
    value: Any = metadata
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            return False, None
        value = value[part]
    return True, value


def eval_metadata(op: MetadataOp, conversation: Conversation) -> Outcome:
    present, value = metadata_value(conversation.metadata, op.field)
    if op.op == "exists":
        matched = present
    elif op.op == "missing":
        matched = not present
    elif not present:
        matched = False
    elif op.op == "truthy":
        matched = bool(value) and str(value).lower() not in ("false", "0", "no", "否")
    elif op.op == "eq":
        matched = value == op.value
    elif op.op == "ne":
        matched = value != op.value
    elif op.op in ("in", "not_in"):
        matched = (value in (op.value or [])) == (op.op == "in")
    else:
        try:
            left, right = float(value), float(op.value)
        except (TypeError, ValueError):
            return Outcome(False)
        matched = {"gt": left > right, "ge": left >= right, "lt": left < right, "le": left <= right}[op.op]
    return Outcome(matched, [Occurrence([], detail=f"{op.field}={value!r}")] if matched and present else [])
