"""Rule-pack schema: what a YAML rule file may say, validated before anything runs.

A pack is data, not code: a customer's QA team edits YAML, never Python. Every operator is a
small pydantic model; ``Condition`` holds exactly one of them plus an optional speaker override.
Validation errors name the rule id and the field, and the loader adds the file.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from qa_engine.rules.boolexpr import parse_expression

SpeakerName = Literal["agent", "customer", "system", "any"]
# An agent who says one of these before going quiet is looking something up, not ignoring you.
HOLD_PHRASES = ("请稍等", "稍等", "稍后", "帮您查询", "帮您查一下", "正在查询", "请您稍候")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# ----------------------------------------------------------------------------- operators


class KeywordsOp(_Strict):
    """Keyword lists matched in one pass (Aho-Corasick) over the scope's utterances.

    ``require``: any (≥1 word found), all (every word found), none (no word found),
    at_least (``n`` distinct words, or ``n`` occurrences when ``count: occurrences``).
    ``match``: substring (robust to ASR and segmentation errors) or word (the match must start
    and end on jieba token boundaries, so 喂 does not fire inside 喂养).
    ``exclude``: phrases that cancel a match they overlap (不能保证 cancels 保证).
    """

    words: list[str] = []
    lexicons: list[str] = []  # names declared in the pack's ``lexicons``
    require: Literal["any", "all", "none", "at_least"] = "any"
    n: int = Field(default=1, ge=1)
    count: Literal["distinct", "occurrences"] = "distinct"
    match: Literal["substring", "word"] = "substring"
    exclude: list[str] = []

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        # `keywords: {any: [..]}` reads better in YAML than `{words: [..], require: any}`
        if isinstance(data, dict):
            for mode in ("any", "all", "none"):
                if mode in data:
                    data = dict(data)
                    data["words"] = list(data.get("words", [])) + list(data.pop(mode) or [])
                    data["require"] = mode
        return data

    @model_validator(mode="after")
    def _has_words(self) -> KeywordsOp:
        if not self.words and not self.lexicons:
            raise ValueError("keywords needs `words` (or any/all/none) or `lexicons`")
        if any(not w.strip() for w in self.words):
            raise ValueError("keywords contains an empty word")
        return self


class RegexOp(_Strict):
    """A regular expression; ``exclude`` cancels a match it overlaps (or, with
    ``exclude_scope: utterance``, any match in an utterance where it occurs)."""

    pattern: str
    exclude: str | None = None
    exclude_scope: Literal["overlap", "utterance"] = "overlap"
    ignore_case: bool = True

    @field_validator("pattern", "exclude")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"bad regular expression {value!r}: {exc}") from None
        return value


class PiiOp(_Strict):
    """Personal numbers read out in full: phones, resident IDs, bank cards (checksums verified),
    written in digits, Chinese numerals or spoken forms (幺三八…). Masked numbers never match."""

    kinds: list[Literal["phone", "landline", "id_card", "bank_card"]] = ["phone", "id_card", "bank_card"]


class SilenceOp(_Strict):
    """Dead air: a gap between turns longer than ``min_seconds`` (calls).

    ``after``: whose turn precedes the gap (customer → the agent was expected to answer).
    Gaps right after an agent hold phrase (``exempt``) do not count.
    """

    min_seconds: float = Field(gt=0)
    after: SpeakerName = "customer"
    exempt: list[str] = list(HOLD_PHRASES)


class OvertalkOp(_Strict):
    """The agent starts speaking while the customer still speaks, for over ``min_seconds``."""

    min_seconds: float = Field(default=1.0, gt=0)
    min_count: int = Field(default=1, ge=1)


class SpeechRateOp(_Strict):
    """Characters per minute above ``above``, per utterance or averaged over the call."""

    above: float = Field(gt=0)
    per: Literal["utterance", "conversation"] = "utterance"
    min_chars: int = Field(default=8, ge=1)  # short bursts give meaningless rates


class TimingOp(_Strict):
    """Chat response times in seconds; ``unanswered`` counts customer messages left unanswered."""

    metric: Literal["first_response", "average_response", "max_response_gap", "unanswered"]
    above: float = Field(ge=0)


class EmotionOp(_Strict):
    """An utterance whose emotion is one of ``labels`` with intensity ≥ ``min_intensity``,
    or whose sentiment is ``sentiment`` with probability ≥ ``min_probability``."""

    labels: list[str] = []
    min_intensity: float = Field(default=0.5, ge=0, le=1)
    sentiment: Literal["negative", "neutral", "positive"] | None = None
    min_probability: float = Field(default=0.6, ge=0, le=1)

    @model_validator(mode="after")
    def _something(self) -> EmotionOp:
        if not self.labels and self.sentiment is None:
            raise ValueError("emotion needs `labels` or `sentiment`")
        return self


class EmotionIndexOp(_Strict):
    """The conversation's emotion index (0–100) or its stage."""

    below: float | None = Field(default=None, ge=0, le=100)
    stage_at_least: Literal["fluctuating", "agitated", "angry"] | None = None


class MetadataOp(_Strict):
    """A test on ``Conversation.metadata[field]`` (dotted paths reach nested values)."""

    field: str
    op: Literal["eq", "ne", "in", "not_in", "gt", "ge", "lt", "le", "exists", "missing", "truthy"]
    value: Any = None


class Condition(_Strict):
    """Exactly one operator, optionally for another speaker than the rule's."""

    speaker: SpeakerName | None = None
    keywords: KeywordsOp | None = None
    regex: RegexOp | None = None
    pii: PiiOp | None = None
    silence: SilenceOp | None = None
    overtalk: OvertalkOp | None = None
    speech_rate: SpeechRateOp | None = None
    timing: TimingOp | None = None
    emotion: EmotionOp | None = None
    emotion_index: EmotionIndexOp | None = None
    metadata: MetadataOp | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Condition:
        present = [name for name in OPERATOR_NAMES if getattr(self, name) is not None]
        if len(present) != 1:
            raise ValueError(
                f"a condition takes exactly one operator of {', '.join(OPERATOR_NAMES)}; "
                f"got {', '.join(present) or 'none'}"
            )
        return self

    @property
    def operator(self) -> str:
        return next(name for name in OPERATOR_NAMES if getattr(self, name) is not None)


OPERATOR_NAMES = (
    "keywords", "regex", "pii", "silence", "overtalk", "speech_rate",
    "timing", "emotion", "emotion_index", "metadata",
)
# Operators judged on each utterance; the others look at the conversation as a whole.
UTTERANCE_OPERATORS = frozenset({"keywords", "regex", "pii", "emotion"})


# ----------------------------------------------------------------------------- scope, anchor


class Scope(_Strict):
    """Which of the rule speaker's utterances are searched. Counting is over that speaker's
    utterances (坐席前两句 = the agent's first two), seconds are from the conversation start
    (``first_seconds``) or back from its end (``last_seconds``)."""

    first: int | None = Field(default=None, ge=1)
    last: int | None = Field(default=None, ge=1)
    first_seconds: float | None = Field(default=None, gt=0)
    last_seconds: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _one(self) -> Scope:
        set_fields = [k for k, v in self.__dict__.items() if v is not None]
        if len(set_fields) > 1:
            raise ValueError(f"scope takes one of first/last/first_seconds/last_seconds, got {set_fields}")
        return self


class Anchor(_Strict):
    """Search relative to each hit of another rule or of an inline condition.

    ``window``: before / after / around the anchor utterance, ``utterances`` away at most
    (counted over all speakers). A rule whose anchor never occurs is not applicable (N/A).
    """

    rule: str | None = None
    condition: Condition | None = None
    window: Literal["before", "after", "around"] = "before"
    utterances: int = Field(default=5, ge=1)

    @model_validator(mode="after")
    def _one(self) -> Anchor:
        if (self.rule is None) == (self.condition is None):
            raise ValueError("anchor takes exactly one of `rule` or `condition`")
        return self


# ----------------------------------------------------------------------------- examples, rule

ExampleTurn = Annotated[str, Field(min_length=1)]


class Example(_Strict):
    """A tiny conversation: ``坐席：…`` / ``客户：…`` lines, or structured utterances."""

    utterances: list[dict[str, Any]]
    channel: Literal["chat", "call"] = "chat"
    metadata: dict[str, Any] = {}
    note: str = ""


class Examples(_Strict):
    hit: list[ExampleTurn | list[ExampleTurn] | Example] = []
    no_hit: list[ExampleTurn | list[ExampleTurn] | Example] = []


class Rule(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    version: int = Field(default=1, ge=1)
    name: str
    description: str = ""
    rationale: str = ""
    severity: Literal["info", "minor", "major", "critical"] = "minor"
    mode: Literal["violation", "required", "detect"] = "violation"
    speaker: SpeakerName = "agent"
    channels: list[Literal["chat", "call"]] = ["chat", "call"]
    scope: Scope = Scope()
    anchor: Anchor | None = None
    conditions: dict[str, Condition]
    when: str | None = None  # boolean expression over condition names; default: all of them
    min_hits: int = Field(default=1, ge=1)  # violations: fire only when this many utterances match
    explanation: str = ""  # template: {matched}, {rule}, {value}
    examples: Examples = Examples()
    enabled: bool = True

    @field_validator("conditions")
    @classmethod
    def _names(cls, value: dict[str, Condition]) -> dict[str, Condition]:
        if not value:
            raise ValueError("a rule needs at least one condition")
        for name in value:
            if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
                raise ValueError(f"condition name {name!r} must be lower_snake_case")
        return value

    @model_validator(mode="after")
    def _when_names(self) -> Rule:
        if self.when is not None:
            parse_expression(self.when, known=set(self.conditions))
        return self

    @property
    def expression(self) -> str:
        return self.when or " and ".join(self.conditions)


class PackInfo(_Strict):
    id: str
    version: str
    name: str = ""
    description: str = ""


class RulePack(_Strict):
    pack: PackInfo
    lexicons: dict[str, list[str] | str] = {}  # inline list, or a file path relative to the pack
    dictionary: list[str] = []  # user dictionary files for jieba word matching (relative paths)
    rules: list[Rule]

    @model_validator(mode="after")
    def _unique_and_references(self) -> RulePack:
        seen: set[str] = set()
        for rule in self.rules:
            if rule.id in seen:
                raise ValueError(f"rule id {rule.id!r} appears twice")
            seen.add(rule.id)
        for rule in self.rules:
            if rule.anchor and rule.anchor.rule:
                if rule.anchor.rule not in seen:
                    raise ValueError(f"rule {rule.id!r}: anchor.rule {rule.anchor.rule!r} is not a rule in this pack")
                if rule.anchor.rule == rule.id:
                    raise ValueError(f"rule {rule.id!r}: anchor.rule points at itself")
            for cname, cond in _all_conditions(rule):
                if cond.keywords:
                    for lex in cond.keywords.lexicons:
                        if lex not in self.lexicons:
                            raise ValueError(f"rule {rule.id!r}: condition {cname!r} uses unknown lexicon {lex!r}")
        return self


def _all_conditions(rule: Rule) -> list[tuple[str, Condition]]:
    items = list(rule.conditions.items())
    if rule.anchor and rule.anchor.condition:
        items.append(("anchor", rule.anchor.condition))
    return items
