"""Core types shared by every stage: ingest -> analyzers -> rules -> scorecard -> KPI.

Stages only ever *add* to these objects (an analyzer fills ``Utterance.sentiment`` or
``Conversation.analysis.timing``); nothing downstream rewrites what an upstream stage produced.
The JSON produced from :class:`ScoreResult` is a versioned public contract
(``schemas/score-result.v1.json``), so fields are added, never renamed.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

RESULT_SCHEMA_VERSION = "1.0"


class Speaker(str, Enum):
    agent = "agent"
    customer = "customer"
    system = "system"


class Channel(str, Enum):
    call = "call"
    chat = "chat"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", use_enum_values=False)


class Word(_Model):
    """A recognised word with times (calls only)."""

    text: str
    start: float
    end: float
    probability: float | None = None


class Sentiment(_Model):
    label: Literal["negative", "neutral", "positive"]
    probabilities: dict[str, float]


class Emotion(_Model):
    label: str  # anger | anxiety | sadness | disgust | surprise | joy | neutral
    intensity: float = Field(ge=0.0, le=1.0)
    cues: list[str] = []


class Acoustics(_Model):
    """Per-utterance audio measurements filled by the acoustic analyzer (calls)."""

    chars_per_minute: float | None = None
    loudness_db: float | None = None
    arousal: float | None = None


class Utterance(_Model):
    index: int
    speaker: Speaker
    text: str  # normalised: half-width, Simplified, collapsed whitespace
    raw_text: str
    start: float | None = None  # seconds from conversation start
    end: float | None = None
    channel: int | None = None  # audio channel the utterance came from
    confidence: float | None = None  # ASR confidence 0..1
    suspect: bool = False  # hallucination guard marked this span
    words: list[Word] = []
    sentiment: Sentiment | None = None
    emotion: Emotion | None = None
    acoustics: Acoustics | None = None

    @property
    def duration(self) -> float | None:
        if self.start is None or self.end is None:
            return None
        return max(0.0, self.end - self.start)


class ChatTiming(_Model):
    """Response-time measurements (seconds) derived from utterance times."""

    first_response: float | None = None  # first customer message -> first agent reply
    first_response_utterances: list[int] = []
    average_response: float | None = None
    max_response_gap: float | None = None
    max_response_gap_utterances: list[int] = []
    unanswered_customer: list[int] = []  # customer messages never followed by an agent reply


class Gap(_Model):
    """Silence between two turns (dead air) or overlapping speech (overtalk)."""

    kind: Literal["silence", "overtalk"]
    start: float
    end: float
    before_utterance: int
    after_utterance: int
    expected_speaker: Speaker | None = None  # silence: who should have spoken
    exempt: bool = False  # silence covered by a hold phrase (请稍等 ...)

    @property
    def seconds(self) -> float:
        return self.end - self.start


class TurnTaking(_Model):
    """Silences and overlaps computed from utterance times (calls, or chats with times)."""

    silences: list[Gap] = []
    overtalks: list[Gap] = []
    agent_talk_seconds: float = 0.0
    customer_talk_seconds: float = 0.0
    agent_chars_per_minute: float | None = None


class EmotionPeak(_Model):
    utterance: int
    start: float | None = None
    text: str
    label: str
    intensity: float


class EmotionIndex(_Model):
    index: float = Field(ge=0.0, le=100.0)  # higher = calmer / more satisfied customer
    start_index: float | None = None
    end_index: float | None = None
    trend: Literal["improved", "worsened", "stable", "recovered", "lost"] = "stable"
    negative_share: float = 0.0
    stage: Literal["normal", "fluctuating", "agitated", "angry"] = "normal"
    peaks: list[EmotionPeak] = []
    agent_negative: bool = False


class Analysis(_Model):
    """Conversation-level outputs of analyzers; each field belongs to one analyzer."""

    timing: ChatTiming | None = None
    turns: TurnTaking | None = None
    emotion_index: EmotionIndex | None = None
    asr_confidence: float | None = None
    extra: dict[str, Any] = {}


class ContactHeader(_Model):
    """Who and when: shared by the conversation and its result, so KPIs need no transcript."""

    channel: Channel
    agent_id: str | None = None
    team_id: str | None = None
    customer_id: str | None = None
    started_at: datetime | None = None
    duration: float | None = None
    metadata: dict[str, Any] = {}

    def header(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in ContactHeader.model_fields}


class Conversation(ContactHeader):
    id: str
    utterances: list[Utterance]
    analysis: Analysis = Field(default_factory=Analysis)
    source: str | None = None  # file (and line/row) the conversation was read from

    def speaker_utterances(self, speaker: Speaker) -> list[Utterance]:
        return [u for u in self.utterances if u.speaker == speaker]


# ----------------------------------------------------------------------------- evidence


class Span(_Model):
    """Matched text inside one utterance (character offsets into ``Utterance.text``)."""

    utterance: int
    start_char: int
    end_char: int
    text: str


class Window(_Model):
    """Where a `required` rule looked and found nothing."""

    utterance_indices: list[int]
    start: float | None = None
    end: float | None = None


class Hit(_Model):
    id: str  # "<rule_id>#<n>", unique within a result
    rule_id: str
    rule_version: int
    rule_name: str
    severity: Literal["info", "minor", "major", "critical"]
    mode: Literal["violation", "required", "detect"]
    utterance_indices: list[int]
    spans: list[Span] = []
    start: float | None = None
    end: float | None = None
    matched_text: str = ""
    explanation: str
    window: Window | None = None


# ----------------------------------------------------------------------------- scorecard


class DimensionScore(_Model):
    id: str
    name: str
    weight: float
    score: float  # points kept, 0..weight
    deducted: float
    applicable: bool = True


class Deduction(_Model):
    item_id: str
    rule_id: str
    dimension: str
    points: float  # positive number subtracted (bonuses are listed separately)
    hit_ids: list[str]
    veto: bool = False
    capped: bool = False  # the item's cap cut this deduction short
    note: str = ""


class Bonus(_Model):
    item_id: str
    rule_id: str
    points: float
    hit_ids: list[str]


class Flag(_Model):
    code: str  # veto | low_score | complaint | low_asr_confidence | ...
    reason: str
    hit_ids: list[str] = []


class RuleStatus(_Model):
    """Per-rule outcome so N/A and 'checked and passed' are visible, not just hits."""

    rule_id: str
    applicable: bool
    hits: int
    reason: str = ""


class PackRef(_Model):
    id: str
    version: str
    sha256: str


class ScoreResult(ContactHeader):
    schema_version: str = RESULT_SCHEMA_VERSION
    engine_version: str
    conversation_id: str
    rule_pack: PackRef
    scorecard: PackRef
    score: float = Field(ge=0.0, le=100.0)
    veto: bool
    grade: str
    passed: bool
    dimensions: list[DimensionScore]
    compliance_score: float | None = Field(default=None, ge=0.0, le=100.0)
    hits: list[Hit]
    deductions: list[Deduction]
    bonuses: list[Bonus] = []
    flags: list[Flag]
    needs_review: bool
    rules: list[RuleStatus] = []
    analysis: Analysis
    utterances: list[Utterance]
