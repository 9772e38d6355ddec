"""Catalogue of the KPIs the engine can compute from scored conversations.

The catalogue is the single source for ids, Chinese names, units, the natural direction and the
formula shown to managers (definitions sheet, docs). Profiles pick from it; compute.py fills it.
Ids are a public contract of the profile YAML, so they are added, never renamed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Unit = Literal["count", "ratio", "seconds", "score", "index"]
Direction = Literal["higher_better", "lower_better"]


@dataclass(frozen=True, slots=True)
class MetricDef:
    id: str
    name: str  # Chinese display name
    unit: Unit
    direction: Direction
    formula: str  # in words, Chinese first; shown on the 指标定义 sheet
    english: str


_DEFS = [
    MetricDef("conversations", "会话量", "count", "higher_better",
              "统计周期内开始的已质检会话数", "conversations started in the period"),
    MetricDef("quality_score", "平均质检分", "score", "higher_better",
              "Σ质检得分 / 会话数", "mean quality score"),
    MetricDef("pass_rate", "质检合格率", "ratio", "higher_better",
              "(得分 ≥ 合格线 且 无一票否决的会话数) / 会话数", "share with score ≥ pass and no veto"),
    MetricDef("veto_count", "一票否决次数", "count", "lower_better",
              "触发一票否决的会话数", "conversations with a veto"),
    MetricDef("veto_rate", "一票否决率", "ratio", "lower_better",
              "一票否决会话数 / 会话数", "veto conversations / conversations"),
    MetricDef("violations_per_conversation", "会话平均违规数", "count", "lower_better",
              "违规类与必选类规则命中次数 / 会话数",
              "hits of violation/required rules per conversation"),
    MetricDef("compliance_score", "平均合规分", "score", "higher_better",
              "Σ合规分 / 有合规分的会话数", "mean compliance score"),
    MetricDef("aht", "平均处理时长", "seconds", "lower_better",
              "Σ(通话 + 保持 + 话后处理) / 有通话时长的会话数；通话时长缺失时取会话时长",
              "(talk + hold + after-call work) / handled"),
    MetricDef("asa", "平均应答时长", "seconds", "lower_better",
              "Σ排队等待时长 / 有等待时长的会话数", "mean wait before answer"),
    MetricDef("first_response", "首次响应时间", "seconds", "lower_better",
              "在线会话：客户首条消息到坐席首次回复的平均秒数", "chat first response time"),
    MetricDef("average_response", "平均响应时间", "seconds", "lower_better",
              "在线会话：各会话平均响应时间的均值", "chat average response time"),
    MetricDef("fcr", "首次解决率", "ratio", "higher_better",
              "N天内同一客户无再次来电且未标记未解决的会话数 / 可判定会话数",
              "contacts with no repeat from the same customer within N days / contacts"),
    MetricDef("csat", "满意度", "ratio", "higher_better",
              "(非常满意 + 满意) / 参评数", "(very satisfied + satisfied) / survey responses"),
    MetricDef("survey_responses", "参评数", "count", "higher_better",
              "有有效满意度评价的会话数", "conversations with a valid survey answer"),
    MetricDef("complaint_rate", "投诉率", "ratio", "lower_better",
              "(带投诉标记或投诉字段为真的会话数) / 会话数", "complaints / conversations"),
    MetricDef("escalation_rate", "升级率", "ratio", "lower_better",
              "升级字段为真的会话数 / 会话数", "escalated / conversations"),
    MetricDef("emotion_index", "平均情绪指数", "index", "higher_better",
              "Σ情绪指数 / 有情绪分析的会话数（0-100，越高越平稳）", "mean emotion index"),
    MetricDef("negative_share", "负面情绪占比", "ratio", "lower_better",
              "各会话负面情绪占比的均值", "mean negative-emotion share"),
    MetricDef("recovery_rate", "情绪挽回率", "ratio", "higher_better",
              "情绪走势为“挽回”的会话数 / 开场即负面的会话数", "recovered / started negative"),
]

METRICS: dict[str, MetricDef] = {m.id: m for m in _DEFS}
METRIC_IDS: tuple[str, ...] = tuple(METRICS)

# Metrics whose values are fractions 0..1; profile thresholds for these must be fractions too.
RATIO_METRICS = frozenset(m.id for m in _DEFS if m.unit == "ratio")
