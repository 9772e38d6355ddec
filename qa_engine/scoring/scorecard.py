"""Scorecard schema: how rule hits become points (扣分制), vetoes, bonuses, grades and flags."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from qa_engine.rules.loader import PackError, PackErrors, read_yaml, validation_errors
from qa_engine.rules.schema import MetadataOp, PackInfo


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NotApplicableWhen(_Strict):
    """An item drops out (no deduction, not in the compliance denominator) when any test holds."""

    utterances_below: int | None = Field(default=None, ge=1)  # short or dropped contacts
    duration_below: float | None = Field(default=None, gt=0)
    channels: list[Literal["chat", "call"]] = []  # N/A on these channels
    metadata: MetadataOp | None = None


class Item(_Strict):
    rule: str
    id: str | None = None  # defaults to the rule id
    deduction: float = Field(default=0, ge=0)  # points per hit
    escalation: list[float] = []  # per repeat: [5, 8, 10] = 1st hit 5, 2nd 8, 3rd and later 10
    cap: float | None = Field(default=None, ge=0)  # the item never deducts more than this
    veto: bool = False  # 一票否决: any hit fails the conversation
    bonus: float = Field(default=0, ge=0)  # points earned (once) when the rule hits
    compliance: bool | None = None  # counts toward compliance_score; default: deduction/veto items
    not_applicable: NotApplicableWhen | None = None

    @property
    def item_id(self) -> str:
        return self.id or self.rule

    @property
    def counts_for_compliance(self) -> bool:
        return self.compliance if self.compliance is not None else not self.bonus

    @model_validator(mode="after")
    def _does_something(self) -> Item:
        if not (self.deduction or self.escalation or self.veto or self.bonus):
            raise ValueError(f"item {self.item_id!r} neither deducts, vetoes nor gives a bonus")
        if self.bonus and (self.deduction or self.escalation or self.veto):
            raise ValueError(f"item {self.item_id!r}: a bonus item cannot also deduct or veto")
        return self


class Dimension(_Strict):
    id: str
    name: str
    weight: float = Field(gt=0)
    items: list[Item]


class Grade(_Strict):
    min: float = Field(ge=0, le=100)
    name: str


class Review(_Strict):
    """When a conversation goes to the review queue."""

    score_below: float | None = 60
    flag_rules: dict[str, str] = {}  # rule id -> flag code (complaint tendency -> "complaint")
    asr_confidence_below: float | None = 0.6
    emotion_stage_at_least: Literal["fluctuating", "agitated", "angry"] | None = "angry"


class Scorecard(_Strict):
    scorecard: PackInfo
    pass_score: float = Field(default=80, ge=0, le=100)
    veto_score: float = Field(default=0, ge=0, le=100)
    veto_grade: str = "不合格"
    max_bonus: float = Field(default=5, ge=0)
    grades: list[Grade]
    review: Review = Review()
    dimensions: list[Dimension]

    @model_validator(mode="after")
    def _consistent(self) -> Scorecard:
        ids = [i.item_id for d in self.dimensions for i in d.items]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"item ids appear twice: {', '.join(dupes)} (give each an `id`)")
        if not any(g.min == 0 for g in self.grades):
            raise ValueError("grades need a band starting at min: 0")
        return self

    def grade_for(self, score: float) -> str:
        for band in sorted(self.grades, key=lambda g: -g.min):
            if score >= band.min:
                return band.name
        return self.grades[-1].name


class LoadedScorecard(BaseModel):
    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)
    scorecard: Scorecard
    path: Path
    sha256: str


def load_scorecard(path: str | Path) -> LoadedScorecard:
    import hashlib

    path = Path(path)
    data, raw = read_yaml(path)
    try:
        card = Scorecard.model_validate(data)
    except ValidationError as exc:
        raise validation_errors(path, data, exc, "dimensions") from None
    return LoadedScorecard(scorecard=card, path=path, sha256=hashlib.sha256(raw).hexdigest())


def check_against_pack(card: LoadedScorecard, rule_ids: set[str]) -> None:
    """Every item must score a rule that exists, or the scorecard silently scores nothing."""
    errors = [
        PackError(str(card.path), f"item scores rule {item.rule!r}, which the rule pack does not have",
                  rule=item.item_id, field=f"dimensions.{dim.id}.items")
        for dim in card.scorecard.dimensions for item in dim.items if item.rule not in rule_ids
    ]
    errors += [
        PackError(str(card.path), f"flag_rules names rule {rid!r}, which the rule pack does not have",
                  field="review.flag_rules")
        for rid in card.scorecard.review.flag_rules if rid not in rule_ids
    ]
    if errors:
        raise PackErrors(errors)
