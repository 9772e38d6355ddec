"""Turn ScoreResults into slim rows holding only what the KPIs need, and mark FCR.

A month of results is large (each carries its utterances); rows keep KPI inputs only, so the
aggregation touches small slotted objects and the full results can be dropped after loading.
Metadata comes from many CRMs, so every field is parsed leniently and each value that cannot be
read is counted (never guessed) so the sheet can say how much input was ignored.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any

from qa_engine.types import Channel, ScoreResult
from .profile import Settings

# 1-5 survey answers as CRMs export them; 4-5 count as satisfied (行业通行口径).
CSAT_LABELS: dict[str, int] = {
    "非常满意": 5, "很满意": 5, "满意": 4, "比较满意": 4, "一般": 3,
    "不满意": 2, "不太满意": 2, "非常不满意": 1, "很不满意": 1,
    "very satisfied": 5, "very_satisfied": 5, "satisfied": 4, "neutral": 3,
    "dissatisfied": 2, "very dissatisfied": 1, "very_dissatisfied": 1,
}
_TRUE = {"true", "yes", "y", "1", "是", "已解决", "t"}
_FALSE = {"false", "no", "n", "0", "否", "未解决", "f"}
VIOLATION_MODES = ("violation", "required")


def parse_flag(value: Any) -> bool | None:
    """Lenient yes/no; None when absent or unreadable."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    return None


def parse_csat(value: Any) -> int | None:
    """Survey answer -> 1..5, None when unreadable (callers tell absent from invalid)."""
    if isinstance(value, bool):
        return None  # a bare true/false is not a 1-5 answer
    if isinstance(value, str):
        text = value.strip()
        if text.lower() in CSAT_LABELS:
            return CSAT_LABELS[text.lower()]
        try:
            value = float(text)
        except ValueError:
            return None
    if isinstance(value, (int, float)) and math.isfinite(value) and value == int(value) and 1 <= value <= 5:
        return int(value)
    return None


def _seconds(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) and number >= 0 else None


def _absent(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


@dataclass(slots=True)
class Row:
    cid: str
    agent: str | None
    team: str | None
    customer: str | None
    at: datetime | None  # aware
    chat: bool
    score: float
    veto: bool
    compliance: float | None
    violations: list[tuple[str, str, str]]  # (rule_id, rule_name, severity), one per hit
    handle: float | None  # talk + hold + after-call work
    wait: float | None
    frt: float | None
    art: float | None
    resolved: bool | None  # metadata says
    csat: int | None
    complaint: bool
    escalated: bool
    emotion: float | None
    negative_share: float | None
    started_negative: bool
    recovered: bool
    role: str | None
    match: tuple
    dims: list[tuple[str, float]]
    fcr: bool | None = None  # filled by mark_fcr


@dataclass(slots=True)
class ExtractStats:
    bad_metadata: Counter = field(default_factory=Counter)  # field name -> unreadable values


def _localise(when: datetime | None, tz: tzinfo) -> datetime | None:
    if when is None:
        return None
    # naive timestamps are site-local wall time (CRMs export them so); read them in the profile zone
    return when.replace(tzinfo=tz) if when.tzinfo is None else when


def to_row(r: ScoreResult, settings: Settings, tz: tzinfo, stats: ExtractStats) -> Row:
    names = settings.fields
    md = r.metadata

    def parsed(key: str, parse):  # noqa: ANN001, ANN202 - absent is None; unparsable is None and counted
        raw = md.get(key)
        if _absent(raw):
            return None
        value = parse(raw)
        if value is None:
            stats.bad_metadata[key] += 1
        return value

    def seconds(key: str) -> float | None:
        return parsed(key, _seconds)

    def flag(key: str) -> bool | None:
        return parsed(key, parse_flag)

    talk = seconds(names.talk_seconds)
    if talk is None and r.duration is not None and r.duration >= 0:
        talk = r.duration
    handle = None if talk is None else talk + (seconds(names.hold_seconds) or 0.0) + (seconds(names.acw_seconds) or 0.0)

    chat = r.channel == Channel.chat
    timing = r.analysis.timing if chat else None  # FRT/ART are chat KPIs

    csat = None
    raw_csat = md.get(names.csat)
    if not _absent(raw_csat):
        csat = parse_csat(raw_csat)
        if csat is None:
            stats.bad_metadata[names.csat] += 1

    emo = r.analysis.emotion_index
    started_negative = recovered = False
    if emo is not None:
        recovered = emo.trend == "recovered"
        started_negative = recovered or (
            emo.start_index is not None and emo.start_index < settings.negative_start_below
        )

    role = md.get(names.role)
    dims = [(d.name or d.id, d.score / d.weight) for d in r.dimensions if d.applicable and d.weight > 0]
    return Row(
        cid=r.conversation_id,
        agent=r.agent_id or None,
        team=r.team_id or None,
        customer=r.customer_id or None,
        at=_localise(r.started_at, tz),
        chat=chat,
        score=r.score,
        veto=r.veto,
        compliance=r.compliance_score,
        violations=[(h.rule_id, h.rule_name, h.severity) for h in r.hits if h.mode in VIOLATION_MODES],
        handle=handle,
        wait=seconds(names.wait_seconds),
        frt=timing.first_response if timing else None,
        art=timing.average_response if timing else None,
        resolved=flag(names.resolved),
        csat=csat,
        complaint=any(f.code == "complaint" for f in r.flags) or flag(names.complaint) is True,
        escalated=flag(names.escalated) is True,
        emotion=emo.index if emo else None,
        negative_share=emo.negative_share if emo else None,
        started_negative=started_negative,
        recovered=recovered,
        role=str(role) if not _absent(role) else None,
        match=tuple(str(md.get(k)) for k in settings.fcr_match_fields),
        dims=dims,
    )


def mark_fcr(rows: list[Row], window_days: float) -> None:
    """Set ``row.fcr`` from repeat contacts among *all* rows (not only the period's).

    A contact is not resolved when the same customer (and the same ``fcr_match_fields``) comes
    back strictly later but within the window, or when metadata says ``resolved: false``.
    Without a customer id or start time a repeat cannot be seen, so only an explicit
    ``resolved: true`` counts; otherwise the contact drops out of the FCR denominator.
    """
    window = timedelta(days=window_days)
    times: dict[tuple, list[datetime]] = defaultdict(list)
    for row in rows:
        if row.customer is not None and row.at is not None:
            times[(row.customer, *row.match)].append(row.at.astimezone(timezone.utc))
    for seq in times.values():
        seq.sort()
    for row in rows:
        if row.resolved is False:
            row.fcr = False
        elif row.customer is not None and row.at is not None:
            seq = times[(row.customer, *row.match)]
            t = row.at.astimezone(timezone.utc)
            i = bisect_right(seq, t)  # first contact strictly after this one
            row.fcr = not (i < len(seq) and seq[i] - t <= window)
        else:
            row.fcr = True if row.resolved else None
