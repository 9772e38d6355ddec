"""Final score = machine score with rejected hits reverted, ± manual items (pure functions).

The recomputation follows the engine's scorecard math (qa_engine/scoring/scorer.py) on the
stored ScoreResult, so a review never needs the transcript or the analyzers again:

* each deduction item is recomputed from its *remaining* (not rejected) hits with the item's
  per-hit steps, escalation and cap — rejecting the 2nd of three escalating hits charges the
  1st and 2nd steps, exactly what the engine would charge for two hits;
* dimensions keep ``max(0, weight - deducted)``; N/A dimensions stay out of the denominator;
  the total is rescaled over the applicable weight, plus bonuses (rejected bonus hits drop the
  bonus) up to ``max_bonus``, clipped to 0–100 and rounded like the engine;
* a veto stands while any of its hits stands; rejecting every veto hit lifts it;
* manual items are added to that total (points are final-score points), clipped to 0–100.
  They do not lift a veto: a wrong veto is corrected by rejecting its hit, which leaves a trail
  on the hit itself.

With no verdicts and no manual items the result equals the machine score (tested on real
engine output). When the stored result was produced by a scorecard other than the active one
(sha differs), item definitions are unknown; each remaining hit then keeps the average per-hit
points of its item, which is exact for the common flat-deduction items.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from qa_engine.scoring.scorecard import Item, Scorecard


@dataclass
class FinalScore:
    score: float
    grade: str
    veto: bool
    passed: bool
    machine_score: float
    reverted_points: float  # points given back by rejected hits (before rescaling)
    manual_points: float
    dimensions: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return dict(score=self.score, grade=self.grade, veto=self.veto, passed=self.passed,
                    machine_score=self.machine_score, reverted_points=self.reverted_points,
                    manual_points=self.manual_points, dimensions=self.dimensions)


def _item_points(item: Item, remaining: int) -> float:
    """What the engine charges an item for ``remaining`` hits (mirrors scorer._item_deduction)."""
    if remaining <= 0:
        return 0.0
    if item.escalation:
        steps = [item.escalation[min(n, len(item.escalation) - 1)] for n in range(remaining)]
    else:
        steps = [item.deduction] * remaining
    raw = float(sum(steps))
    return min(raw, item.cap) if item.cap is not None else raw


def _items(card: Scorecard | None) -> dict[str, Item]:
    if card is None:
        return {}
    return {item.item_id: item for dim in card.dimensions for item in dim.items}


def _grade(card: Scorecard | None, score: float, machine: dict[str, Any]) -> str:
    if card is not None:
        return card.grade_for(score)
    # Unknown scorecard: the default bands from the design (≥90 优秀, 80 良好, 60 合格).
    for floor, name in ((90, "优秀"), (80, "良好"), (60, "合格")):
        if score >= floor:
            return name
    return "不合格"


def compute_final(result: dict[str, Any], card: Scorecard | None, rejected_hits: set[str],
                  manual_points: list[tuple[str, float]]) -> FinalScore:
    """``card`` must be the scorecard that produced ``result`` (or None when unknown)."""
    items = _items(card)
    deducted_by_dim: dict[str, float] = {}
    reverted = 0.0
    veto = False
    for d in result.get("deductions", []):
        hit_ids = list(d.get("hit_ids", []))
        remaining = [h for h in hit_ids if h not in rejected_hits]
        item = items.get(d["item_id"])
        if len(remaining) == len(hit_ids):
            points = float(d["points"])
        elif item is not None:
            points = _item_points(item, len(remaining))
        else:
            points = float(d["points"]) * len(remaining) / len(hit_ids) if hit_ids else 0.0
        reverted += float(d["points"]) - points
        deducted_by_dim[d["dimension"]] = deducted_by_dim.get(d["dimension"], 0.0) + points
        if d.get("veto") and remaining:
            veto = True

    kept = applicable_weight = 0.0
    dims = []
    for dim in result.get("dimensions", []):
        weight = float(dim["weight"])
        deducted = deducted_by_dim.get(dim["id"], 0.0)
        dim_score = max(0.0, weight - deducted)
        dims.append({"id": dim["id"], "name": dim.get("name", dim["id"]), "weight": weight,
                     "machine_score": dim["score"], "score": round(dim_score, 2),
                     "applicable": dim.get("applicable", True)})
        if dim.get("applicable", True):
            kept += dim_score
            applicable_weight += weight
    total = kept / applicable_weight * 100 if applicable_weight else 100.0
    bonus = sum(float(b["points"]) for b in result.get("bonuses", [])
                if any(h not in rejected_hits for h in b.get("hit_ids", [])))
    max_bonus = card.max_bonus if card is not None else 5.0
    total = round(min(100.0, max(0.0, total + min(bonus, max_bonus))), 2)

    manual = round(sum(p for _, p in manual_points), 2)
    for dim in dims:  # shown per dimension; the total takes them as final-score points
        dim["manual_points"] = round(sum(p for d, p in manual_points if d == dim["id"]), 2)
    if veto:
        score = card.veto_score if card is not None else 0.0
        grade = card.veto_grade if card is not None else "不合格"
    else:
        score = round(min(100.0, max(0.0, total + manual)), 2)
        grade = _grade(card, score, result)
    pass_score = card.pass_score if card is not None else 80.0
    return FinalScore(score=score, grade=grade, veto=veto, passed=not veto and score >= pass_score,
                      machine_score=float(result.get("score", 0.0)), reverted_points=round(reverted, 2),
                      manual_points=manual, dimensions=dims)
