"""Evaluate a compiled rule pack on a conversation: hits with evidence, and a status per rule.

How a rule is judged (documented in docs/rules.md):
- ``required``: the conditions are evaluated over the whole scope (or each anchor window) and
  the rule hits when the ``when`` expression is false; the hit carries the searched window.
- ``violation`` / ``detect`` with an utterance operator (keywords, regex, emotion, per-utterance
  speech rate): judged utterance by utterance; each matching utterance is one hit, or, with
  ``min_hits: N``, one hit listing all of them once N utterances match.
- ``violation`` / ``detect`` with only conversation operators (silence, overtalk, timing...):
  one hit per occurrence (each silence gap is its own hit, so repeats can escalate).
A condition whose speaker differs from the rule's looks at that speaker across the conversation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa_engine.rules import operators as ops
from qa_engine.rules.boolexpr import evaluate, parse_expression, positive_names
from qa_engine.rules.keywords import KeywordIndex
from qa_engine.rules.loader import LoadedPack
from qa_engine.rules.schema import UTTERANCE_OPERATORS, Condition, Rule
from qa_engine.text import normalize_text
from qa_engine.types import Conversation, Hit, RuleStatus, Span, Utterance, Window


@dataclass
class RuleEvaluation:
    hits: list[Hit]
    statuses: list[RuleStatus]


@dataclass
class _CompiledRule:
    rule: Rule
    expr: object
    positive: set[str]
    words: dict[str, tuple[frozenset[str], list[str]]]  # condition -> (keywords incl. lexicons, exclusions)
    regexes: dict[str, tuple[re.Pattern, re.Pattern | None]]
    per_utterance: bool


class _NotApplicable(Exception):
    pass


def _is_utterance_level(cond: Condition) -> bool:
    if cond.speech_rate is not None:
        return cond.speech_rate.per == "utterance"
    return cond.operator in UTTERANCE_OPERATORS


class RuleEngine:
    def __init__(self, loaded: LoadedPack) -> None:
        self.loaded = loaded
        self.pack = loaded.pack
        lexicons = {name: list(words) for name, words in self.pack.lexicons.items()}
        phrases: set[str] = set()
        self._rules: list[_CompiledRule] = []
        for rule in self.pack.rules:
            if not rule.enabled:
                continue
            expr = parse_expression(rule.expression, set(rule.conditions))
            words, regexes = {}, {}
            conditions = dict(rule.conditions)
            if rule.anchor and rule.anchor.condition:
                conditions["__anchor__"] = rule.anchor.condition
            for name, cond in conditions.items():
                if cond.keywords:
                    kw = cond.keywords
                    # keywords meet transcripts in one form (half-width, Simplified)
                    raw = kw.words + [w for lex in kw.lexicons for w in lexicons[lex]]
                    words[name] = (frozenset(normalize_text(w) for w in raw),
                                   [normalize_text(w) for w in kw.exclude])
                    phrases.update(words[name][0])
                    phrases.update(words[name][1])
                if cond.regex:
                    flags = re.IGNORECASE if cond.regex.ignore_case else 0
                    exclude = re.compile(cond.regex.exclude, flags) if cond.regex.exclude else None
                    regexes[name] = (re.compile(cond.regex.pattern, flags), exclude)
            positive = positive_names(expr)
            per_utterance = rule.mode != "required" and any(
                _is_utterance_level(rule.conditions[n]) for n in positive)
            self._rules.append(_CompiledRule(rule, expr, positive, words, regexes, per_utterance))
        self._rules = _anchor_order(self._rules)
        self.index = KeywordIndex(phrases, loaded.dictionaries)

    @property
    def rules(self) -> list[Rule]:
        return [c.rule for c in self._rules]

    def evaluate(self, conversation: Conversation) -> RuleEvaluation:
        cache = ops.MatchCache(self.index, conversation)
        hits_by_rule: dict[str, list[Hit]] = {}
        statuses: dict[str, RuleStatus] = {}
        for compiled in self._rules:
            rule = compiled.rule
            try:
                hits = _RuleRun(compiled, conversation, cache, hits_by_rule).run()
            except _NotApplicable as reason:
                hits_by_rule[rule.id] = []
                statuses[rule.id] = RuleStatus(rule_id=rule.id, applicable=False, hits=0, reason=str(reason))
                continue
            hits_by_rule[rule.id] = hits
            statuses[rule.id] = RuleStatus(rule_id=rule.id, applicable=True, hits=len(hits))
        ordered = [c.rule.id for c in self._rules]
        order = {rid: i for i, rid in enumerate(r.id for r in self.pack.rules)}
        ordered.sort(key=order.__getitem__)
        all_hits = [h for rid in ordered for h in hits_by_rule[rid]]
        all_hits.sort(key=lambda h: (h.utterance_indices[0] if h.utterance_indices else -1, order[h.rule_id]))
        return RuleEvaluation(all_hits, [statuses[rid] for rid in ordered])


def _anchor_order(rules: list[_CompiledRule]) -> list[_CompiledRule]:
    """Rules anchored on another rule's hits run after it (the schema rejects unknown ids)."""
    by_id = {c.rule.id: c for c in rules}
    done: dict[str, _CompiledRule] = {}
    visiting: set[str] = set()

    def visit(c: _CompiledRule) -> None:
        if c.rule.id in done:
            return
        if c.rule.id in visiting:
            raise ValueError(f"rule {c.rule.id!r}: anchors form a cycle")
        visiting.add(c.rule.id)
        anchor = c.rule.anchor.rule if c.rule.anchor else None
        if anchor and anchor in by_id:
            visit(by_id[anchor])
        visiting.discard(c.rule.id)
        done[c.rule.id] = c

    for c in rules:
        visit(c)
    return list(done.values())


class _RuleRun:
    """One rule on one conversation."""

    def __init__(self, compiled: _CompiledRule, conversation: Conversation, cache: ops.MatchCache,
                 hits_by_rule: dict[str, list[Hit]]) -> None:
        self.c = compiled
        self.rule = compiled.rule
        self.conv = conversation
        self.cache = cache
        self.hits_by_rule = hits_by_rule
        self._conversation_outcomes: dict[str, ops.Outcome] = {}

    # -- selection ------------------------------------------------------------------------
    def speaker_utterances(self, speaker: str) -> list[Utterance]:
        # suspect spans (likely ASR hallucinations) are never scored as anyone's speech
        return [u for u in self.conv.utterances if not u.suspect and (speaker == "any" or u.speaker.value == speaker)]

    def scope(self) -> list[Utterance]:
        utterances = self.speaker_utterances(self.rule.speaker)
        if not utterances:
            raise _NotApplicable(f"no {self.rule.speaker} utterances")
        s = self.rule.scope
        if s.first:
            return utterances[: s.first]
        if s.last:
            return utterances[-s.last:]
        if s.first_seconds or s.last_seconds:
            if any(u.start is None or u.end is None for u in utterances):
                raise _NotApplicable("scope in seconds needs utterance times")
            if s.first_seconds:
                return [u for u in utterances if u.start < s.first_seconds]
            end = max(u.end for u in self.conv.utterances if u.end is not None)
            return [u for u in utterances if u.end > end - s.last_seconds]
        return utterances

    # -- conditions -----------------------------------------------------------------------
    def condition(self, name: str, cond: Condition, unit: list[Utterance]) -> ops.Outcome:
        if not _is_utterance_level(cond):
            if name not in self._conversation_outcomes:
                self._conversation_outcomes[name] = self._conversation_condition(cond, unit)
            return self._conversation_outcomes[name]
        if cond.speaker and cond.speaker != self.rule.speaker:
            unit = self.speaker_utterances(cond.speaker)
        if cond.keywords:
            return ops.eval_keywords(cond.keywords, self.c.words[name], unit, self.cache)
        if cond.regex:
            return ops.eval_regex(cond.regex, self.c.regexes[name], unit)
        if cond.speech_rate:
            return ops.eval_speech_rate(cond, unit)
        if cond.pii:
            return ops.eval_pii(cond, unit)
        return ops.eval_emotion(cond, unit, self.conv)

    def _conversation_condition(self, cond: Condition, unit: list[Utterance]) -> ops.Outcome:
        if cond.silence:
            return ops.eval_silence(cond, self.conv)
        if cond.overtalk:
            return ops.eval_overtalk(cond, self.conv)
        if cond.timing:
            return ops.eval_timing(cond, self.conv)
        if cond.emotion_index:
            return ops.eval_emotion_index(cond, self.conv)
        if cond.speech_rate:
            return ops.eval_speech_rate(cond, self.speaker_utterances(cond.speaker or self.rule.speaker))
        return ops.eval_metadata(cond.metadata, self.conv)

    def judge(self, unit: list[Utterance]) -> tuple[bool, dict[str, ops.Outcome]]:
        outcomes = {name: self.condition(name, cond, unit) for name, cond in self.rule.conditions.items()}
        missing = [o.missing for o in outcomes.values() if o.missing]
        if missing:
            raise _NotApplicable("needs " + missing[0])
        return evaluate(self.c.expr, {n: o.matched for n, o in outcomes.items()}), outcomes

    def evidence(self, outcomes: dict[str, ops.Outcome]) -> list[ops.Occurrence]:
        return [occ for name in sorted(self.c.positive) for occ in outcomes[name].occurrences]

    # -- the run --------------------------------------------------------------------------
    def run(self) -> list[Hit]:
        rule = self.rule
        if self.conv.channel.value not in rule.channels:
            raise _NotApplicable(f"only for {'/'.join(rule.channels)}")
        scope = self.scope()
        if rule.anchor:
            return self._anchored(scope)
        if rule.mode == "required":
            ok, outcomes = self.judge(scope)
            return [] if ok else [self.hit(1, [], scope, outcomes)]
        if self.c.per_utterance:
            matched = []
            for u in scope:
                ok, outcomes = self.judge([u])
                if ok:
                    matched.append(self.evidence(outcomes))
            if len(matched) < rule.min_hits:
                return []
            if rule.min_hits > 1:
                return [self.hit(1, [o for occs in matched for o in occs], [], {})]
            return [self.hit(i + 1, occs, [], {}) for i, occs in enumerate(matched)]
        ok, outcomes = self.judge(scope)
        if not ok:
            return []
        occurrences = self.evidence(outcomes) or [ops.Occurrence([])]
        return [self.hit(i + 1, [occ], [], {}) for i, occ in enumerate(occurrences)]

    def _anchored(self, scope: list[Utterance]) -> list[Hit]:
        anchor = self.rule.anchor
        if anchor.rule:
            points = sorted({h.utterance_indices[0] for h in self.hits_by_rule.get(anchor.rule, []) if h.utterance_indices})
        else:
            cond = anchor.condition
            pool = self.speaker_utterances(cond.speaker or "any")
            if cond.keywords:
                outcome = ops.eval_keywords(cond.keywords, self.c.words["__anchor__"], pool, self.cache)
            elif cond.regex:
                outcome = ops.eval_regex(cond.regex, self.c.regexes["__anchor__"], pool)
            else:
                outcome = self._conversation_condition(cond, pool)
            points = sorted({occ.utterances[0] for occ in outcome.occurrences if occ.utterances})
        if not points:
            raise _NotApplicable("anchor never occurred")
        hits: list[Hit] = []
        for point in points:
            # the anchor utterance itself belongs to the window: "核实无误，现在为您改绑" verifies
            low = point - anchor.utterances if anchor.window in ("before", "around") else point
            high = point + anchor.utterances if anchor.window in ("after", "around") else point
            window = [u for u in scope if low <= u.index <= high]
            ok, outcomes = self.judge(window)
            anchor_occ = ops.Occurrence([point], [], self.conv.utterances[point].start, self.conv.utterances[point].end)
            if self.rule.mode == "required" and not ok:
                hits.append(self.hit(len(hits) + 1, [anchor_occ], window, outcomes, window_range=(low, high)))
            elif self.rule.mode != "required" and ok:
                hits.append(self.hit(len(hits) + 1, [anchor_occ] + self.evidence(outcomes), [], outcomes))
        return hits

    # -- hit ------------------------------------------------------------------------------
    def hit(self, n: int, occurrences: list[ops.Occurrence], window: list[Utterance],
            outcomes: dict[str, ops.Outcome], window_range: tuple[int, int] | None = None) -> Hit:
        rule, utterances = self.rule, self.conv.utterances
        indices = sorted({i for occ in occurrences for i in occ.utterances})
        spans = [Span(utterance=i, start_char=s, end_char=e, text=utterances[i].text[s:e])
                 for occ in occurrences for i, s, e in occ.spans]
        # an occurrence's own times are exact (a silence is the gap, not the utterances around it)
        times = [t for occ in occurrences for t in (occ.start, occ.end) if t is not None] or \
            [t for i in indices for t in (utterances[i].start, utterances[i].end) if t is not None]
        matched = "、".join(dict.fromkeys(s.text for s in spans)) or "；".join(
            dict.fromkeys(o.detail for o in occurrences if o.detail))
        window_model = None
        if rule.mode == "required":
            window_indices = [u.index for u in window]
            if window_range is not None and not window_indices:
                window_indices = [i for i in range(max(0, window_range[0]), min(len(utterances) - 1, window_range[1]) + 1)]
            wtimes = [t for i in window_indices for t in (utterances[i].start, utterances[i].end) if t is not None]
            window_model = Window(utterance_indices=window_indices, start=min(wtimes) if wtimes else None,
                                  end=max(wtimes) if wtimes else None)
            if not indices:
                times = wtimes
        return Hit(
            id=f"{rule.id}#{n}", rule_id=rule.id, rule_version=rule.version, rule_name=rule.name,
            severity=rule.severity, mode=rule.mode, utterance_indices=indices, spans=spans,
            start=min(times) if times else None, end=max(times) if times else None,
            matched_text=matched, explanation=self.explain(matched, window_model), window=window_model,
        )

    def explain(self, matched: str, window: Window | None) -> str:
        rule = self.rule
        if rule.explanation:
            return rule.explanation.format(matched=matched, rule=rule.name, value=matched)
        if rule.mode == "required":
            where = f"第{window.utterance_indices[0] + 1}–{window.utterance_indices[-1] + 1}句" if window and window.utterance_indices else "检查范围内"
            return f"{rule.name}：{where}未出现要求的内容"
        return f"{rule.name}：{matched}" if matched else rule.name
