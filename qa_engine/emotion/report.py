"""Supervisor emotion report data and major-negative-emotion cases, from scored results.

Input is the engine's result JSON (``ScoreResult.model_dump(mode="json")`` dicts, or the
parsed JSON lines of a results file): ``conversation_id``, ``agent_id``, ``team_id``,
``started_at``, ``utterances`` (with ``sentiment``/``emotion``) and ``analysis.emotion_index``.
Every item points back at its evidence with a link ``{"conversation_id", "utterance"}``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

CASE_STAGES = ("agitated", "angry")
PERIODS = ("day", "week", "month")


def parse_time(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    # Naive times are taken as UTC so they compare with aware ones instead of raising.
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def period_key(started_at: Any, period: str) -> str:
    moment = parse_time(started_at)
    if moment is None:
        return "unknown"
    if period == "day":
        return moment.date().isoformat()
    if period == "week":
        year, week, _ = moment.isocalendar()
        return f"{year}-W{week:02d}"
    if period == "month":
        return f"{moment.year}-{moment.month:02d}"
    raise ValueError(f"period must be one of {PERIODS}")


def link(result: dict, utterance: int | None = None) -> dict:
    return {"conversation_id": result["conversation_id"], "utterance": utterance}


def _index(result: dict) -> dict | None:
    return (result.get("analysis") or {}).get("emotion_index")


def _label(utterance: dict) -> str | None:
    sentiment = utterance.get("sentiment")
    return sentiment.get("label") if sentiment else None


def turning_points(result: dict) -> list[dict]:
    """Customer utterances where the mood flips between negative and not negative.

    ``direction`` is ``worsened`` (calm -> negative) or ``recovered`` (negative -> calm).
    The first negative customer line counts as a turn only if a calm line came before it.
    """
    points: list[dict] = []
    previous: bool | None = None
    for u in result.get("utterances", []):
        if u.get("speaker") != "customer" or _label(u) is None:
            continue
        negative = _label(u) == "negative"
        if previous is not None and negative != previous:
            points.append({
                **link(result, u["index"]),
                "start": u.get("start"),
                "text": u.get("text", ""),
                "direction": "worsened" if negative else "recovered",
                "emotion": (u.get("emotion") or {}).get("label"),
            })
        previous = negative
    return points


def agent_negative_lines(result: dict) -> list[dict]:
    return [
        {**link(result, u["index"]), "start": u.get("start"), "text": u.get("text", ""),
         "emotion": (u.get("emotion") or {}).get("label")}
        for u in result.get("utterances", [])
        if u.get("speaker") == "agent" and _label(u) == "negative"
    ]


def agent_report(results: Iterable[dict], period: str = "month", worst_n: int = 5) -> list[dict]:
    """One row per (agent, period): worst calls, turning points, recovered vs lost, agent negativity."""
    groups: dict[tuple[str, str], list[dict]] = {}
    for result in results:
        if _index(result) is None:
            continue  # scored without the emotion analyzer
        key = (result.get("agent_id") or "unknown", period_key(result.get("started_at"), period))
        groups.setdefault(key, []).append(result)
    rows = []
    for (agent_id, key), members in sorted(groups.items()):
        indices = [_index(r) for r in members]
        worst = sorted(members, key=lambda r: (_index(r)["index"], r["conversation_id"]))[:worst_n]
        stages = {s: sum(i.get("stage") == s for i in indices) for s in ("normal", "fluctuating", "agitated", "angry")}
        rows.append({
            "agent_id": agent_id,
            "team_id": members[0].get("team_id"),
            "period": key,
            "conversations": len(members),
            "mean_index": round(sum(i["index"] for i in indices) / len(indices), 2),
            "mean_start_index": _mean([i.get("start_index") for i in indices]),
            "mean_end_index": _mean([i.get("end_index") for i in indices]),
            "negative_share": round(sum(i.get("negative_share", 0.0) for i in indices) / len(indices), 4),
            "stages": stages,
            "worst": [
                {**link(r, (_index(r).get("peaks") or [{}])[0].get("utterance")), "index": _index(r)["index"],
                 "stage": _index(r).get("stage"), "trend": _index(r).get("trend"),
                 "peak_text": (_index(r).get("peaks") or [{}])[0].get("text")}
                for r in worst
            ],
            "turning_points": [p for r in members for p in turning_points(r)],
            "recovered": [link(r) for r in members if _index(r).get("trend") == "recovered"],
            "lost": [link(r) for r in members if _index(r).get("trend") == "lost"],
            "agent_negative": [line for r in members for line in agent_negative_lines(r)],
        })
    return rows


def _mean(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return round(sum(present) / len(present), 2) if present else None


@dataclass
class Case:
    """A major negative-emotion case: the customer got agitated or angry; handle within the deadline."""

    case_id: str
    conversation_id: str
    agent_id: str | None
    team_id: str | None
    stage: str
    opened_at: datetime
    deadline: datetime
    peak: dict | None  # link + text of the strongest moment
    handled: bool = False

    def overdue(self, now: datetime) -> bool:
        return not self.handled and parse_time(now) > self.deadline

    def to_dict(self) -> dict:
        data = asdict(self)
        data["opened_at"] = self.opened_at.isoformat()
        data["deadline"] = self.deadline.isoformat()
        return data


def open_cases(results: Iterable[dict], deadline_hours: float = 2.0, scored_at: datetime | None = None,
               anchor: str = "started_at", stages: tuple[str, ...] = CASE_STAGES,
               handled: Iterable[str] = ()) -> list[Case]:
    """Cases for every result whose customer reached one of ``stages``.

    The clock starts at the conversation's ``started_at`` (``anchor="started_at"``, falling back to
    ``scored_at`` when a result has none) or at scoring time (``anchor="scored_at"``).
    ``handled`` lists conversation ids a supervisor has already dealt with.
    """
    if anchor not in ("started_at", "scored_at"):
        raise ValueError("anchor must be 'started_at' or 'scored_at'")
    scored = parse_time(scored_at) or datetime.now(timezone.utc)
    done = set(handled)
    cases = []
    for result in results:
        index = _index(result)
        if not index or index.get("stage") not in stages:
            continue
        opened = (parse_time(result.get("started_at")) if anchor == "started_at" else None) or scored
        peaks = index.get("peaks") or []
        peak = {**link(result, peaks[0]["utterance"]), "text": peaks[0].get("text"), "start": peaks[0].get("start"),
                "label": peaks[0].get("label")} if peaks else None
        cases.append(Case(
            case_id=f"emotion:{result['conversation_id']}",
            conversation_id=result["conversation_id"],
            agent_id=result.get("agent_id"),
            team_id=result.get("team_id"),
            stage=index["stage"],
            opened_at=opened,
            deadline=opened + timedelta(hours=deadline_hours),
            peak=peak,
            handled=result["conversation_id"] in done,
        ))
    # Angry before agitated, then by deadline: the order a supervisor should work through them.
    cases.sort(key=lambda c: (c.stage != "angry", c.deadline, c.conversation_id))
    return cases


def overdue_cases(cases: Iterable[Case], now: datetime) -> list[Case]:
    return [c for c in cases if c.overdue(now)]
