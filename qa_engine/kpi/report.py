"""Plain result objects of a KPI run; export.py and the CLI only read these."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from .period import Period

Level = Literal["agent", "team", "overall"]
NO_TEAM = "(无班组)"


@dataclass(slots=True)
class KpiValue:
    id: str
    name: str
    unit: str
    value: float | None  # None = N/A (no conversation the KPI can be measured on)
    numerator: float | None  # kept so every number can be traced back to counts
    denominator: float | None
    target: float | None = None
    weight: float | None = None  # None: the entity's profile does not score this KPI
    band_score: float | None = None  # 0..100
    alert: bool = False

    @property
    def scored(self) -> bool:
        return self.weight is not None


@dataclass(slots=True)
class EntityKpis:
    level: Level
    id: str
    team_id: str | None  # agents: the team most of their conversations carry
    profile: str  # role profile id used for bands and weights
    profile_name: str
    conversations: int
    kpis: dict[str, KpiValue]
    composite: float | None  # Σ weight × band / Σ weight over KPIs with a value
    rank: int | None = None  # agents among all agents, teams among teams
    team_rank: int | None = None  # agents only: rank within their team
    alerts: list[str] = field(default_factory=list)  # names of KPIs past their alert threshold
    dimensions: dict[str, float] = field(default_factory=dict)  # scorecard dimension -> kept share

    def value(self, kpi_id: str) -> float | None:
        kv = self.kpis.get(kpi_id)
        return None if kv is None else kv.value


@dataclass(slots=True)
class ViolationRow:
    level: Level
    entity_id: str
    rule_id: str
    rule_name: str
    severity: str
    hits: int
    conversations: int  # conversations with at least one hit of the rule
    share: float  # conversations / entity's conversations


@dataclass(slots=True)
class KpiReport:
    period: Period
    generated_at: datetime
    profile_name: str
    agents: list[EntityKpis]
    teams: list[EntityKpis]
    overall: EntityKpis
    violations: list[ViolationRow]
    notes: list[str]
    counts: dict[str, int]
    kpi_ids: list[str]  # column order for exports
    dimension_names: list[str] = field(default_factory=list)

    def agent(self, agent_id: str) -> EntityKpis | None:
        return next((a for a in self.agents if a.id == agent_id), None)

    def team(self, team_id: str) -> EntityKpis | None:
        return next((t for t in self.teams if t.id == team_id), None)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (the API serves this; datetimes as ISO strings)."""

        def entity(e: EntityKpis) -> dict[str, Any]:
            return {
                "level": e.level, "id": e.id, "team_id": e.team_id, "profile": e.profile,
                "conversations": e.conversations, "composite": e.composite, "rank": e.rank,
                "team_rank": e.team_rank, "alerts": e.alerts, "dimensions": e.dimensions,
                "kpis": {
                    k: {"value": v.value, "numerator": v.numerator, "denominator": v.denominator,
                        "target": v.target, "weight": v.weight, "band_score": v.band_score,
                        "alert": v.alert}
                    for k, v in e.kpis.items()
                },
            }

        p = self.period
        return {
            "period": {"label": p.label, "kind": p.kind,
                       "start": p.start.isoformat() if p.start else None,
                       "end": p.end.isoformat() if p.end else None},
            "generated_at": self.generated_at.isoformat(),
            "profile_name": self.profile_name,
            "counts": self.counts,
            "notes": self.notes,
            "overall": entity(self.overall),
            "teams": [entity(t) for t in self.teams],
            "agents": [entity(a) for a in self.agents],
            "violations": [
                {"level": v.level, "entity_id": v.entity_id, "rule_id": v.rule_id,
                 "rule_name": v.rule_name, "severity": v.severity, "hits": v.hits,
                 "conversations": v.conversations, "share": v.share}
                for v in self.violations
            ],
        }
