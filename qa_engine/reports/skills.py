"""Per-agent skill radar: five axes (0-100) mapped from scorecard dimensions and KPIs.

| axis | source |
|---|---|
| 服务态度 attitude | scorecard dimension 服务态度 (points kept / weight) × 100 |
| 专业规范 professionalism | scorecard dimension 服务规范 × 100 |
| 合规 compliance | KPI ``compliance_score`` (mean compliance score); else dimension 合规 × 100 |
| 情绪处理 emotion handling | KPI ``emotion_index`` (mean customer emotion index, 0-100) |
| 服务效率 efficiency | scorecard dimension 服务效率 × 100 |

Dimensions are looked up by their Chinese name because that is how the KPI run keys them
(``EntityKpis.dimensions``); a scorecard without one gives N/A on that axis, never 0.
"""

from __future__ import annotations

from qa_engine.kpi.report import EntityKpis

AXES = ("服务态度", "专业规范", "合规", "情绪处理", "服务效率")


def _dim(entity: EntityKpis, name: str) -> float | None:
    share = entity.dimensions.get(name)
    return None if share is None else round(share * 100, 1)


def skill_axes(entity: EntityKpis) -> list[tuple[str, float | None]]:
    compliance = entity.value("compliance_score")
    emotion = entity.value("emotion_index")
    return [
        ("服务态度", _dim(entity, "服务态度")),
        ("专业规范", _dim(entity, "服务规范")),
        ("合规", round(compliance, 1) if compliance is not None else _dim(entity, "合规")),
        ("情绪处理", round(emotion, 1) if emotion is not None else None),
        ("服务效率", _dim(entity, "服务效率")),
    ]
