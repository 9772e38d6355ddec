"""KPI profile YAML: per-role KPI weights, targets, bands and alert thresholds.

A profile file is data owned by managers, so every mistake must come back as one readable line
naming the file and the field (``default.yaml: profiles.after_sales.kpis[2] (fcr).band.full_at:
...``) instead of a pydantic traceback. Band scores are always on a 0..100 scale so weights stay
comparable across KPIs; a steps band may state its points on any scale (``max_points``) because
sheets copied from Chinese KPI guides use "15 points" style tables.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal, Union
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator, model_validator

from .metrics import METRICS, RATIO_METRICS, Direction


class KpiProfileError(ValueError):
    """A KPI profile could not be read; ``str(err)`` lists 'file: field: problem' lines."""

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = problems
        super().__init__("\n".join(f"{source}: {p}" for p in problems))


def _number(value: Any) -> Any:
    # Managers write "90%" in sheets; accept it so the YAML reads like the KPI guide it came from.
    if isinstance(value, str):
        text = value.strip()
        try:
            if text.endswith("%"):
                return float(text[:-1]) / 100.0
            return float(text)
        except ValueError:
            return value  # let pydantic report "not a number" with the field name
    return value


Num = Annotated[float, BeforeValidator(_number)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FieldNames(_Strict):
    """Which ``ScoreResult.metadata`` keys hold the call-centre facts (sites name them differently)."""

    talk_seconds: str = "talk_seconds"
    hold_seconds: str = "hold_seconds"
    acw_seconds: str = "acw_seconds"
    wait_seconds: str = "wait_seconds"
    resolved: str = "resolved"
    csat: str = "csat"
    complaint: str = "complaint"
    escalated: str = "escalated"
    role: str = "role"


class Settings(_Strict):
    timezone: str = "Asia/Shanghai"  # periods and naive started_at are read in this zone
    pass_score: Num = Field(80.0, ge=0, le=100)
    fcr_window_days: Num = Field(7.0, gt=0)
    # metadata keys that must also match for a later contact to count as a repeat ("same issue")
    fcr_match_fields: list[str] = []
    # an emotion start_index below this counts as "started negative" for the recovery rate
    negative_start_below: Num = Field(40.0, ge=0, le=100)
    min_conversations_for_rank: int = Field(1, ge=0)
    fields: FieldNames = Field(default_factory=FieldNames)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (use an IANA name such as Asia/Shanghai)")
        return value

    @property
    def tzinfo(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class LinearBand(_Strict):
    """100 at ``full_at`` or better, 0 at ``zero_at`` or worse, a straight line between."""

    type: Literal["linear"] = "linear"
    full_at: Num
    zero_at: Num

    def score(self, value: float, direction: Direction) -> float:
        # direction is already encoded by the validated orientation of full_at vs zero_at
        frac = (value - self.zero_at) / (self.full_at - self.zero_at)
        return 100.0 * min(1.0, max(0.0, frac))

    def thresholds(self) -> list[tuple[str, float]]:
        return [("band.full_at", self.full_at), ("band.zero_at", self.zero_at)]

    def describe(self, fmt, direction: Direction = "higher_better") -> str:
        return f"线性：{fmt(self.full_at)} 满分，{fmt(self.zero_at)} 零分，之间线性"


class Step(_Strict):
    threshold: Num
    points: Num = Field(ge=0)


class StepsBand(_Strict):
    """Points of the first step the value reaches (≥ threshold, or ≤ for lower_better)."""

    type: Literal["steps"] = "steps"
    steps: list[Step] = Field(min_length=1)
    max_points: Num = Field(100.0, gt=0)
    else_points: Num = Field(0.0, ge=0)  # value misses every step

    @model_validator(mode="after")
    def _points_in_scale(self) -> "StepsBand":
        for i, step in enumerate(self.steps):
            if step.points > self.max_points:
                raise ValueError(f"steps[{i}].points {step.points:g} exceeds max_points {self.max_points:g}")
        if self.else_points > self.max_points:
            raise ValueError(f"else_points {self.else_points:g} exceeds max_points {self.max_points:g}")
        if len({s.threshold for s in self.steps}) != len(self.steps):
            raise ValueError("steps: two steps share a threshold")
        return self

    def ordered(self, direction: Direction) -> list[Step]:
        # the most demanding threshold is tried first
        return sorted(self.steps, key=lambda s: s.threshold, reverse=direction == "higher_better")

    def score(self, value: float, direction: Direction) -> float:
        for step in self.ordered(direction):
            if (value >= step.threshold) if direction == "higher_better" else (value <= step.threshold):
                return 100.0 * step.points / self.max_points
        return 100.0 * self.else_points / self.max_points

    def thresholds(self) -> list[tuple[str, float]]:
        return [(f"band.steps[{i}].threshold", s.threshold) for i, s in enumerate(self.steps)]

    def describe(self, fmt, direction: Direction = "higher_better") -> str:
        op = "≥" if direction == "higher_better" else "≤"
        parts = [f"{op}{fmt(s.threshold)}→{s.points:g}" for s in self.ordered(direction)]
        return f"分档（满分{self.max_points:g}）：" + "，".join(parts) + f"，其余→{self.else_points:g}"


def _infer_band_type(value: Any) -> Any:
    # `type:` is optional in YAML: a band with steps is a steps band, one with full_at is linear.
    if isinstance(value, dict) and "type" not in value:
        if "steps" in value:
            return {"type": "steps", **value}
        if "full_at" in value or "zero_at" in value:
            return {"type": "linear", **value}
        raise ValueError("a band needs full_at and zero_at (linear) or steps: [{threshold, points}]")
    return value


Band = Annotated[Union[LinearBand, StepsBand], Field(discriminator="type"), BeforeValidator(_infer_band_type)]


class KpiSpec(_Strict):
    id: str
    name: str | None = None  # defaults to the catalogue's Chinese name
    weight: Num = Field(ge=0)
    target: Num | None = None  # defaults to the band's full-marks threshold
    direction: Direction | None = None  # defaults to the catalogue's natural direction
    band: Band
    alert: Num | None = None  # value worse than this is flagged 预警

    @model_validator(mode="after")
    def _resolve(self) -> "KpiSpec":
        metric = METRICS.get(self.id)
        if metric is None:
            raise ValueError(f"id: unknown KPI {self.id!r}; known: {', '.join(METRICS)}")
        if self.direction is None:
            self.direction = metric.direction
        if self.name is None:
            self.name = metric.name
        band = self.band
        if isinstance(band, LinearBand):
            if band.full_at == band.zero_at:
                raise ValueError("band: full_at and zero_at must differ")
            if (band.full_at > band.zero_at) != (self.direction == "higher_better"):
                want = ">" if self.direction == "higher_better" else "<"
                raise ValueError(
                    f"band: {self.direction} needs full_at {want} zero_at "
                    f"(got full_at={band.full_at:g}, zero_at={band.zero_at:g})"
                )
        if self.id in RATIO_METRICS:
            # checked before target is defaulted so the message names the field actually written
            named = [*band.thresholds(), ("target", self.target), ("alert", self.alert)]
            for field, value in named:
                if value is not None and not 0.0 <= value <= 1.0:
                    raise ValueError(
                        f"{field}: {value:g} is not a fraction; {self.id} is a ratio, "
                        f"write {value / 100:g} or '{value:g}%'"
                    )
        if self.target is None:
            if isinstance(band, LinearBand):
                self.target = band.full_at
            else:
                self.target = max(band.steps, key=lambda s: s.points).threshold
        return self

    def band_score(self, value: float) -> float:
        return self.band.score(value, self.direction)  # type: ignore[arg-type]

    def is_alert(self, value: float) -> bool:
        if self.alert is None:
            return False
        return value < self.alert if self.direction == "higher_better" else value > self.alert


class RoleProfile(_Strict):
    name: str | None = None  # e.g. 售后客服
    kpis: list[KpiSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_and_weighted(self) -> "RoleProfile":
        seen: set[str] = set()
        for spec in self.kpis:
            if spec.id in seen:
                raise ValueError(f"kpis: KPI {spec.id!r} listed twice")
            seen.add(spec.id)
        if sum(s.weight for s in self.kpis) <= 0:
            raise ValueError("kpis: weights add up to 0; at least one KPI needs a weight")
        return self

    def spec(self, kpi_id: str) -> KpiSpec | None:
        return next((s for s in self.kpis if s.id == kpi_id), None)


class KpiConfig(_Strict):
    version: int = 1
    name: str = "坐席KPI方案"
    settings: Settings = Field(default_factory=Settings)
    default_profile: str
    agents: dict[str, str] = {}  # agent_id -> profile id (wins over metadata `role`)
    teams: dict[str, str] = {}  # team_id -> profile id for the team-level sheet
    profiles: dict[str, RoleProfile] = Field(min_length=1)

    @model_validator(mode="after")
    def _references_exist(self) -> "KpiConfig":
        known = ", ".join(self.profiles)
        if self.default_profile not in self.profiles:
            raise ValueError(f"default_profile: {self.default_profile!r} is not among profiles ({known})")
        for section in ("agents", "teams"):
            for key, role in getattr(self, section).items():
                if role not in self.profiles:
                    raise ValueError(f"{section}.{key}: profile {role!r} is not among profiles ({known})")
        return self


def _loc_text(loc: tuple, raw: Any) -> str:
    """('profiles','a','kpis',2,'band','linear','full_at') -> 'profiles.a.kpis[2] (fcr).band.full_at'."""
    out = ""
    node = raw
    prev = None
    for part in loc:
        if prev == "band" and part in ("linear", "steps"):
            prev = part
            continue  # pydantic's union tag, not a YAML key
        if isinstance(part, int):
            out += f"[{part}]"
            node = node[part] if isinstance(node, list) and part < len(node) else None
            if prev == "kpis" and isinstance(node, dict) and "id" in node:
                out += f" ({node['id']})"
        else:
            if part.startswith("function-") or part.startswith("tagged-union"):
                prev = part
                continue
            out += ("." if out else "") + str(part)
            node = node.get(part) if isinstance(node, dict) else None
        prev = part
    return out or "(top level)"


def parse_profile(data: Any, source: str = "<profile>") -> KpiConfig:
    if not isinstance(data, dict):
        raise KpiProfileError(source, ["(top level): expected a mapping with profiles/default_profile"])
    try:
        return KpiConfig.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            msg = err["msg"].removeprefix("Value error, ")
            problems.append(f"{_loc_text(tuple(err['loc']), data)}: {msg}")
        raise KpiProfileError(source, problems) from None


def load_profile(path: str | Path) -> KpiConfig:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise KpiProfileError(str(path), [f"cannot read: {exc.strerror or exc}"]) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise KpiProfileError(str(path), [f"YAML syntax: {exc}"]) from None
    return parse_profile(data, str(path))
