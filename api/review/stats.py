"""Rule and calibration statistics from reviewer verdicts.

* Precision per rule = confirmed / (confirmed + rejected) over primary verdicts, with the 95 %
  Wilson score interval (sound for small counts and for 0 % / 100 %, unlike p ± 1.96·SE).
* Agreement: on blind double reviews, the primary and the blind verdict of the same hit form a
  pair of ratings. Cohen's κ = (p_o − p_e) / (1 − p_e) per reviewer pair and overall (all pairs
  pooled). κ is undefined when p_e = 1 (both always said the same single label); we report null.
* Drift: a reviewer's confirm rate per ISO week next to the rate of everyone else in the same
  week and scope; a large gap is a calibration conversation, not proof of error.
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth import Principal
from api.models import Conversation
from api.review.models import ReviewItem, Verdict

Z95 = 1.959963984540054


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float | None, float | None]:
    if n == 0:
        return None, None
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return round(max(0.0, centre - half), 4), round(min(1.0, centre + half), 4)


def cohen_kappa(pairs: list[tuple[str, str]]) -> float | None:
    """κ for two raters over the same items; labels are any hashable values."""
    n = len(pairs)
    if n == 0:
        return None
    labels = {a for a, _ in pairs} | {b for _, b in pairs}
    observed = sum(1 for a, b in pairs if a == b) / n
    expected = sum((sum(1 for a, _ in pairs if a == k) / n) * (sum(1 for _, b in pairs if b == k) / n)
                   for k in labels)
    if expected >= 1.0:
        return None
    return round((observed - expected) / (1 - expected), 4)


def _scoped(session: Session, principal: Principal, team_id: str | None, since: datetime | None,
            until: datetime | None) -> list[tuple[Verdict, str | None]]:
    stmt = (select(Verdict, Conversation.team_id)
            .join(ReviewItem, ReviewItem.id == Verdict.item_id)
            .join(Conversation, Conversation.id == ReviewItem.conversation_id))
    if team_id:
        stmt = stmt.where(Conversation.team_id == team_id)
    if since:
        stmt = stmt.where(Verdict.updated_at >= since)
    if until:
        stmt = stmt.where(Verdict.updated_at < until)
    return list(session.execute(principal.scope_conversations(stmt)).all())


def precision(session: Session, principal: Principal, team_id: str | None = None, since: datetime | None = None,
              until: datetime | None = None) -> list[dict]:
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for verdict, _team in _scoped(session, principal, team_id, since, until):
        if verdict.kind == "primary":
            counts[verdict.rule_id][0 if verdict.verdict == "confirmed" else 1] += 1
    rows = []
    for rule_id, (confirmed, rejected) in sorted(counts.items()):
        n = confirmed + rejected
        low, high = wilson(confirmed, n)
        rows.append({"rule_id": rule_id, "confirmed": confirmed, "rejected": rejected, "reviewed": n,
                     "precision": round(confirmed / n, 4) if n else None, "ci95_low": low, "ci95_high": high})
    return rows


def agreement(session: Session, principal: Principal, team_id: str | None = None, since: datetime | None = None,
              until: datetime | None = None) -> dict:
    primary: dict[tuple[int, str], Verdict] = {}
    blind: dict[tuple[int, str], Verdict] = {}
    for verdict, _team in _scoped(session, principal, team_id, since, until):
        (primary if verdict.kind == "primary" else blind)[(verdict.result_id, verdict.hit_id)] = verdict
    by_pair: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    pooled: list[tuple[str, str]] = []
    for key, second in blind.items():
        first = primary.get(key)
        if first is None:
            continue
        by_pair[(first.reviewer, second.reviewer)].append((first.verdict, second.verdict))
        pooled.append((first.verdict, second.verdict))
    pairs = []
    for (a, b), ratings in sorted(by_pair.items()):
        agree = sum(1 for x, y in ratings if x == y)
        pairs.append({"first_reviewer": a, "second_reviewer": b, "hits": len(ratings),
                      "agreement": round(agree / len(ratings), 4), "kappa": cohen_kappa(ratings),
                      "table": _table(ratings)})
    overall = {"hits": len(pooled), "kappa": cohen_kappa(pooled),
               "agreement": round(sum(1 for x, y in pooled if x == y) / len(pooled), 4) if pooled else None,
               "table": _table(pooled)}
    return {"pairs": pairs, "overall": overall}


def _table(ratings: list[tuple[str, str]]) -> dict[str, int]:
    """2×2 contingency counts: first reviewer's label _ second reviewer's label."""
    out = {f"{a}_{b}": 0 for a in ("confirmed", "rejected") for b in ("confirmed", "rejected")}
    for a, b in ratings:
        out[f"{a}_{b}"] += 1
    return out


def drift(session: Session, principal: Principal, team_id: str | None = None, since: datetime | None = None,
          until: datetime | None = None, tz: str = "UTC") -> list[dict]:
    zone = ZoneInfo(tz)
    cells: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])  # (week, reviewer) -> [conf, n]
    for verdict, _team in _scoped(session, principal, team_id, since, until):
        if verdict.kind != "primary":
            continue
        year, week, _ = verdict.updated_at.replace(tzinfo=UTC).astimezone(zone).isocalendar()
        cell = cells[(f"{year}-W{week:02d}", verdict.reviewer)]
        cell[0] += verdict.verdict == "confirmed"
        cell[1] += 1
    rows = []
    for (week, reviewer), (conf, n) in sorted(cells.items()):
        others = [(c, m) for (w, r), (c, m) in cells.items() if w == week and r != reviewer]
        o_conf, o_n = sum(c for c, _ in others), sum(m for _, m in others)
        rate = conf / n
        team_rate = o_conf / o_n if o_n else None
        low, high = wilson(conf, n)
        rows.append({"week": week, "reviewer": reviewer, "verdicts": n, "confirm_rate": round(rate, 4),
                     "ci95_low": low, "ci95_high": high, "others_verdicts": o_n,
                     "others_confirm_rate": round(team_rate, 4) if team_rate is not None else None,
                     "difference": round(rate - team_rate, 4) if team_rate is not None else None})
    return rows
