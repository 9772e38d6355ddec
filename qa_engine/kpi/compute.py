"""Agent, team and overall KPI sheets from scored conversations.

Flow: results -> de-duplicated rows (extract.py) -> FCR marked over *all* rows, because a repeat
contact in the next period still makes this period's contact unresolved -> rows filtered to the
period -> one accumulator per agent / team / overall -> KPI values -> band scores and a weighted
composite per entity's role profile -> ranks.

A KPI with no measurable conversation is N/A (``value is None``), never 0: an agent without chats
has no first-response time, and a site without the emotion analyzer has no emotion KPIs. N/A KPIs
drop out of the composite's denominator, as N/A items do on the scorecard.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from qa_engine.types import ScoreResult

from .extract import ExtractStats, Row, mark_fcr, to_row
from .metrics import METRIC_IDS, METRICS
from .period import ALL, Period, parse_period
from .profile import KpiConfig, RoleProfile
from .report import NO_TEAM, EntityKpis, KpiReport, KpiValue, Level, ViolationRow


@dataclass(slots=True)
class _Acc:
    """Running sums for one entity; ``values()`` turns them into (value, numerator, denominator)."""

    n: int = 0
    score: float = 0.0
    passed: int = 0
    veto: int = 0
    violation_hits: int = 0
    comp: list[float] = field(default_factory=lambda: [0.0, 0])
    handle: list[float] = field(default_factory=lambda: [0.0, 0])
    wait: list[float] = field(default_factory=lambda: [0.0, 0])
    frt: list[float] = field(default_factory=lambda: [0.0, 0])
    art: list[float] = field(default_factory=lambda: [0.0, 0])
    fcr: list[int] = field(default_factory=lambda: [0, 0])
    csat: list[int] = field(default_factory=lambda: [0, 0])
    complaints: int = 0
    escalated: int = 0
    emotion: list[float] = field(default_factory=lambda: [0.0, 0])
    negative: list[float] = field(default_factory=lambda: [0.0, 0])
    recovery: list[int] = field(default_factory=lambda: [0, 0])
    rules: dict[str, list] = field(default_factory=dict)  # rule_id -> [name, severity, hits, convs]
    dims: dict[str, list[float]] = field(default_factory=dict)
    roles: Counter = field(default_factory=Counter)
    teams: Counter = field(default_factory=Counter)

    def add(self, row: Row, pass_score: float, role: str | None = None) -> None:
        self.n += 1
        self.score += row.score
        self.veto += row.veto
        self.passed += row.score >= pass_score and not row.veto
        self.violation_hits += len(row.violations)
        _mean_add(self.comp, row.compliance)
        _mean_add(self.handle, row.handle)
        _mean_add(self.wait, row.wait)
        _mean_add(self.frt, row.frt)
        _mean_add(self.art, row.art)
        _mean_add(self.emotion, row.emotion)
        _mean_add(self.negative, row.negative_share)
        if row.fcr is not None:
            self.fcr[0] += row.fcr
            self.fcr[1] += 1
        if row.csat is not None:
            self.csat[0] += row.csat >= 4
            self.csat[1] += 1
        self.complaints += row.complaint
        self.escalated += row.escalated
        if row.started_negative:
            self.recovery[0] += row.recovered
            self.recovery[1] += 1
        seen: set[str] = set()
        for rule_id, name, severity in row.violations:
            entry = self.rules.get(rule_id)
            if entry is None:
                entry = self.rules[rule_id] = [name, severity, 0, 0]
            entry[2] += 1
            if rule_id not in seen:
                entry[3] += 1
                seen.add(rule_id)
        for name, share in row.dims:
            _mean_add(self.dims.setdefault(name, [0.0, 0]), share)
        if role is not None:
            self.roles[role] += 1
        self.teams[row.team or NO_TEAM] += 1

    def merge(self, other: "_Acc") -> None:
        """Add another accumulator over disjoint rows (agent x team cells -> teams, overall)."""
        for name in ("n", "score", "passed", "veto", "violation_hits", "complaints", "escalated"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for name in ("comp", "handle", "wait", "frt", "art", "fcr", "csat", "emotion", "negative", "recovery"):
            mine, theirs = getattr(self, name), getattr(other, name)
            mine[0] += theirs[0]
            mine[1] += theirs[1]
        for rule_id, (name, severity, hits, convs) in other.rules.items():
            entry = self.rules.setdefault(rule_id, [name, severity, 0, 0])
            entry[2] += hits
            entry[3] += convs
        for name, (total, count) in other.dims.items():
            slot = self.dims.setdefault(name, [0.0, 0])
            slot[0] += total
            slot[1] += count
        self.roles.update(other.roles)
        self.teams.update(other.teams)

    def values(self) -> dict[str, tuple[float | None, float | None, float | None]]:
        n = self.n
        out = {
            "conversations": (float(n), float(n), None),
            "quality_score": _ratio(self.score, n),
            "pass_rate": _ratio(self.passed, n),
            "veto_count": (float(self.veto), float(self.veto), float(n)) if n else (None, None, 0),
            "veto_rate": _ratio(self.veto, n),
            "violations_per_conversation": _ratio(self.violation_hits, n),
            "compliance_score": _ratio(*self.comp),
            "aht": _ratio(*self.handle),
            "asa": _ratio(*self.wait),
            "first_response": _ratio(*self.frt),
            "average_response": _ratio(*self.art),
            "fcr": _ratio(*self.fcr),
            "csat": _ratio(*self.csat),
            "survey_responses": (float(self.csat[1]), float(self.csat[1]), None),
            "complaint_rate": _ratio(self.complaints, n),
            "escalation_rate": _ratio(self.escalated, n),
            "emotion_index": _ratio(*self.emotion),
            "negative_share": _ratio(*self.negative),
            "recovery_rate": _ratio(*self.recovery),
        }
        assert set(out) == set(METRIC_IDS), "catalogue and accumulator out of step"
        return out


def _mean_add(slot: list, value: float | None) -> None:
    if value is not None:
        slot[0] += value
        slot[1] += 1


def _ratio(num: float, den: float) -> tuple[float | None, float | None, float | None]:
    return (num / den if den else None, float(num), float(den))


def _majority(counter: Counter) -> str | None:
    # ties broken by name so a rerun on the same data gives the same sheet
    if not counter:
        return None
    return min(counter.items(), key=lambda kv: (-kv[1], str(kv[0])))[0]


def score_entity(
    level: Level, entity_id: str, acc: _Acc, profile_id: str, profile: RoleProfile, team_id: str | None
) -> EntityKpis:
    kpis: dict[str, KpiValue] = {}
    weighted = weights = 0.0
    alerts: list[str] = []
    for kpi_id, (value, num, den) in acc.values().items():
        metric = METRICS[kpi_id]
        spec = profile.spec(kpi_id)
        kv = KpiValue(kpi_id, metric.name, metric.unit, value, num, den)
        if spec is not None:
            kv.name = spec.name or metric.name
            kv.target, kv.weight = spec.target, spec.weight
            if value is not None:
                kv.band_score = spec.band_score(value)
                kv.alert = spec.is_alert(value)
                weighted += spec.weight * kv.band_score
                weights += spec.weight
                if kv.alert:
                    alerts.append(kv.name)
        kpis[kpi_id] = kv
    return EntityKpis(
        level=level, id=entity_id, team_id=team_id, profile=profile_id,
        profile_name=profile.name or profile_id, conversations=acc.n, kpis=kpis,
        composite=weighted / weights if weights > 0 else None, alerts=alerts,
        dimensions={k: v[0] / v[1] for k, v in sorted(acc.dims.items()) if v[1]},
    )


def _rank(entities: list[EntityKpis], min_n: int, attr: str) -> None:
    """Competition ranking (1, 2, 2, 4) by composite; too-small or unscored entities stay unranked."""
    ranked = sorted(
        (e for e in entities if e.composite is not None and e.conversations >= max(1, min_n)),
        key=lambda e: -round(e.composite, 9),  # type: ignore[operator]
    )
    prev: float | None = None
    rank = 0
    for position, e in enumerate(ranked, start=1):
        value = round(e.composite, 9)  # type: ignore[arg-type]
        if value != prev:
            rank, prev = position, value
        setattr(e, attr, rank)


def _violations(level: Level, entity_id: str, acc: _Acc) -> list[ViolationRow]:
    rows = [
        ViolationRow(level, entity_id, rid, name, sev, hits, convs, convs / acc.n if acc.n else 0.0)
        for rid, (name, sev, hits, convs) in acc.rules.items()
    ]
    return sorted(rows, key=lambda v: (-v.hits, v.rule_id))


def _dedupe(results: Iterable[ScoreResult]) -> tuple[list[ScoreResult], int]:
    # a rescored conversation is written again; the later result replaces the earlier one
    latest: dict[str, ScoreResult] = {}
    total = 0
    for r in results:
        total += 1
        latest.pop(r.conversation_id, None)  # re-insert so order follows the winning result
        latest[r.conversation_id] = r
    return list(latest.values()), total - len(latest)


def compute_kpis(
    results: Iterable[ScoreResult],
    config: KpiConfig,
    period: Period | str | None = None,
    *,
    now: datetime | None = None,
) -> KpiReport:
    """KPI sheet for ``period`` (label or :class:`Period`; None = every loaded result)."""
    settings = config.settings
    tz = settings.tzinfo
    if period is None or isinstance(period, str):
        period = parse_period(period, tz)
    unique, duplicates = _dedupe(results)
    stats = ExtractStats()
    rows = [to_row(r, settings, tz, stats) for r in unique]
    del unique
    mark_fcr(rows, settings.fcr_window_days)

    counts = Counter(loaded=len(rows) + duplicates, duplicates=duplicates)
    in_period: list[Row] = []
    for row in rows:
        if row.at is None:
            if period.bounded:
                counts["skipped_no_started_at"] += 1
                continue
        elif not period.contains(row.at):
            counts["outside_period"] += 1
            continue
        in_period.append(row)
    counts["in_period"] = len(in_period)

    def role_of(row: Row) -> str | None:
        if row.agent is not None and row.agent in config.agents:
            return config.agents[row.agent]
        return row.role

    # one pass fills agent x team cells; agents, teams and overall are merged from the cells,
    # which costs a few thousand merges instead of three additions per conversation
    pass_score = settings.pass_score
    cells: dict[tuple[str | None, str], _Acc] = defaultdict(_Acc)
    for row in in_period:
        cells[(row.agent, row.team or NO_TEAM)].add(row, pass_score, role_of(row))
    overall = _Acc()
    by_agent: dict[str, _Acc] = defaultdict(_Acc)
    by_team: dict[str, _Acc] = defaultdict(_Acc)
    for (agent_id, team_id), cell in cells.items():
        overall.merge(cell)
        by_team[team_id].merge(cell)
        if agent_id is None:
            counts["no_agent_id"] += cell.n
        else:
            by_agent[agent_id].merge(cell)

    unknown_roles: Counter = Counter()

    def pick_profile(candidate: str | None) -> str:
        if candidate is not None and candidate in config.profiles:
            return candidate
        if candidate is not None:
            unknown_roles[candidate] += 1
        return config.default_profile

    agents: list[EntityKpis] = []
    agent_roles: dict[str, str] = {}
    for agent_id, acc in by_agent.items():
        pid = agent_roles[agent_id] = pick_profile(
            config.agents.get(agent_id) or _majority(acc.roles)
        )
        agents.append(score_entity("agent", agent_id, acc, pid, config.profiles[pid], _majority(acc.teams)))

    teams: list[EntityKpis] = []
    for team_id, acc in by_team.items():
        # an explicit mapping wins; otherwise the role most of the team's conversations were scored under
        pid = config.teams.get(team_id) or pick_profile(_majority(acc.roles))
        teams.append(score_entity("team", team_id, acc, pid, config.profiles[pid], team_id))

    pid = config.default_profile
    overall_e = score_entity("overall", "全部", overall, pid, config.profiles[pid], None)

    min_n = settings.min_conversations_for_rank
    _rank(agents, min_n, "rank")
    _rank(teams, min_n, "rank")
    grouped: dict[str | None, list[EntityKpis]] = defaultdict(list)
    for a in agents:
        grouped[a.team_id].append(a)
    for members in grouped.values():
        _rank(members, min_n, "team_rank")
    order = lambda e: (e.rank is None, e.rank or 0, e.id)  # noqa: E731
    agents.sort(key=order)
    teams.sort(key=order)

    violations = _violations("overall", overall_e.id, overall)
    for t in teams:
        violations += _violations("team", t.id, by_team[t.id])
    for a in agents:
        violations += _violations("agent", a.id, by_agent[a.id])

    notes = _notes(counts, stats, unknown_roles, period, rows, settings.fcr_window_days, overall_e, min_n, agents)
    dim_names = sorted({d for e in [overall_e, *teams, *agents] for d in e.dimensions})
    return KpiReport(
        period=period, generated_at=now or datetime.now(timezone.utc), profile_name=config.name,
        agents=agents, teams=teams, overall=overall_e, violations=violations, notes=notes,
        counts=dict(counts), kpi_ids=list(METRIC_IDS), dimension_names=dim_names,
    )


def _notes(counts, stats, unknown_roles, period, rows, window_days, overall, min_n, agents) -> list[str]:
    """Human-readable caveats shown under the CLI table and on the sheets."""
    notes = []
    if counts["skipped_no_started_at"]:
        notes.append(f"跳过 {counts['skipped_no_started_at']} 条无开始时间(started_at)的结果：无法判断所属周期")
    if counts["duplicates"]:
        notes.append(f"{counts['duplicates']} 条重复会话ID，按最后一次质检结果计")
    if counts["no_agent_id"]:
        notes.append(f"{counts['no_agent_id']} 条会话无坐席ID：计入班组与总体，不计入坐席表")
    for key, n in sorted(stats.bad_metadata.items()):
        notes.append(f"元数据字段 {key} 有 {n} 个无法识别的值，已忽略")
    for role, n in sorted(unknown_roles.items()):
        notes.append(f"岗位 {role!r} 不在KPI方案中，{n} 处按默认方案计分")
    if period.end is not None and counts["in_period"]:
        latest = max((r.at for r in rows if r.at is not None), default=None)
        horizon = period.end + timedelta(days=window_days)
        if latest is not None and latest < horizon:
            notes.append(
                f"首次解决率观察窗不完整：已载入结果止于 {latest:%Y-%m-%d %H:%M}，"
                f"周期末 {window_days:g} 天内的会话若之后再次来电尚未计入"
            )
    if overall.value("emotion_index") is None and counts["in_period"]:
        notes.append("无情绪分析结果：情绪类指标为 N/A，不参与综合得分")
    unranked = sum(1 for a in agents if a.rank is None)
    if unranked:
        notes.append(f"{unranked} 名坐席未参与排名（会话量少于 {max(1, min_n)} 或无可计分指标）")
    return notes
