"""Supervisor emotion report (情绪分析报告) for one agent or team over a period.

Builds on :mod:`qa_engine.emotion.report` (per-agent rows, turning points, cases) and adds what
the page/PDF shows: the index trend by day, negative share against the 8 % target, recovered vs
lost, the worst calls with their turning utterances, agent negativity, overdue major-negative
cases and a coaching summary (each agent's three most-broken rules with example snippets).

Input: result JSON dicts (``ScoreResult.model_dump(mode="json")``), already restricted to what
the viewer may see and already PII-masked by the caller.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone

from qa_engine.emotion.report import agent_report, open_cases, parse_time, period_key, turning_points

NEGATIVE_TARGET = 0.08  # seed target: negative-emotion share ≤ 8 % (design/domain.md)
CASE_DEADLINE_HOURS = 2.0  # major negative emotion handled within 2 hours
COACHING_RULES = 3
# Severity order for picking the example snippet a coach reads first.
_SEVERITY_RANK = {"critical": 0, "major": 1, "minor": 2, "info": 3}


@dataclass
class EmotionReport:
    scope: str  # "坐席 a7" / "班组 t1" / "全部"
    period: str
    conversations: int
    mean_index: float | None
    negative_share: float | None
    target: float
    trend: list[dict]  # [{"day", "index", "negative_share", "n"}]
    recovered: int
    lost: int
    worst: list[dict]  # worst conversations with their turning utterances
    agents: list[dict]  # per agent: index, negative share, agent-negative lines, coaching
    overdue: list[dict]
    open_cases: int
    generated_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))

    @property
    def over_target(self) -> bool:
        return self.negative_share is not None and self.negative_share > self.target


def _index(result: dict) -> dict | None:
    return (result.get("analysis") or {}).get("emotion_index")


def in_period(result: dict, start: datetime | None, end: datetime | None) -> bool:
    moment = parse_time(result.get("started_at"))
    if start is None and end is None:
        return True
    if moment is None:
        return False
    return (start is None or moment >= start) and (end is None or moment < end)


def coaching(results: list[dict], top: int = COACHING_RULES) -> list[dict]:
    """The ``top`` rules (violation/required hits) an agent breaks most, each with up to two
    example snippets: the utterance quoted, with the hit's explanation as a note."""
    counts: Counter[str] = Counter()
    names: dict[str, str] = {}
    examples: dict[str, list[dict]] = defaultdict(list)
    for result in results:
        utterances = result.get("utterances") or []
        for hit in result.get("hits") or []:
            if hit.get("mode") == "detect":
                continue  # detections (e.g. customer complaint) are not the agent's mistakes
            rule = hit["rule_id"]
            counts[rule] += 1
            names[rule] = hit.get("rule_name") or rule
            idx = (hit.get("utterance_indices") or [None])[0]
            # Quote the utterance (a coach reads the line, not "129" seconds matched by a timing
            # rule); the hit's explanation says what was wrong with it.
            line = utterances[idx].get("text", "") if idx is not None and 0 <= idx < len(utterances) else ""
            examples[rule].append({"conversation_id": result["conversation_id"], "utterance": idx,
                                   "start": hit.get("start"), "text": line or hit.get("matched_text") or "",
                                   "note": hit.get("explanation", ""), "severity": hit.get("severity"),
                                   "rank": _SEVERITY_RANK.get(hit.get("severity"), 9)})
    out = []
    for rule, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:top]:
        picked = sorted(examples[rule], key=lambda e: (e["rank"], e["conversation_id"]))[:2]
        out.append({"rule_id": rule, "rule_name": names[rule], "hits": n, "examples": picked})
    return out


def build(results: Iterable[dict], *, scope: str, period: str = "", now: datetime | None = None,
          worst_n: int = 5, handled: Iterable[str] = ()) -> EmotionReport:
    results = [r for r in results if _index(r) is not None]
    now = now or datetime.now(timezone.utc)
    by_day: dict[str, list[dict]] = defaultdict(list)
    for r in results:
        by_day[period_key(r.get("started_at"), "day")].append(_index(r))
    trend = [{"day": day, "n": len(v), "index": round(sum(i["index"] for i in v) / len(v), 1),
              "negative_share": round(sum(i.get("negative_share", 0.0) for i in v) / len(v), 4)}
             for day, v in sorted(by_day.items()) if day != "unknown"]
    worst = []
    for r in sorted(results, key=lambda r: (_index(r)["index"], r["conversation_id"]))[:worst_n]:
        idx = _index(r)
        worst.append({"conversation_id": r["conversation_id"], "agent_id": r.get("agent_id"),
                      "started_at": r.get("started_at"), "index": idx["index"], "stage": idx.get("stage"),
                      "trend": idx.get("trend"), "turns": turning_points(r)[:3],
                      "peak": (idx.get("peaks") or [None])[0]})
    per_agent: dict[str, list[dict]] = defaultdict(list)
    for r in results:
        per_agent[r.get("agent_id") or "unknown"].append(r)
    agents = []
    for agent_id, members in sorted(per_agent.items()):
        # agent_report groups by (agent, period); one agent's rows give us their negative lines
        rows = agent_report(members, period="month")
        lines = [line for row in rows for line in row["agent_negative"]]
        indices = [_index(r) for r in members]
        agents.append({
            "agent_id": agent_id, "conversations": len(members),
            "mean_index": round(sum(i["index"] for i in indices) / len(indices), 1),
            "negative_share": round(sum(i.get("negative_share", 0.0) for i in indices) / len(indices), 4),
            "recovered": sum(i.get("trend") == "recovered" for i in indices),
            "lost": sum(i.get("trend") == "lost" for i in indices),
            "agent_negative": lines[:3], "agent_negative_count": len(lines),
            "coaching": coaching(members),
        })
    cases = open_cases(results, deadline_hours=CASE_DEADLINE_HOURS, handled=handled)
    overdue = [c.to_dict() for c in cases if c.overdue(now)]
    n = len(results)
    return EmotionReport(
        scope=scope, period=period or "全部", conversations=n,
        mean_index=round(sum(_index(r)["index"] for r in results) / n, 1) if n else None,
        negative_share=round(sum(_index(r).get("negative_share", 0.0) for r in results) / n, 4) if n else None,
        target=NEGATIVE_TARGET, trend=trend,
        recovered=sum(_index(r).get("trend") == "recovered" for r in results),
        lost=sum(_index(r).get("trend") == "lost" for r in results),
        worst=worst, agents=agents, overdue=overdue, open_cases=len(cases))
