"""KPI sheets to Excel (XlsxWriter) and CSV (UTF-8 with BOM so Excel reads Chinese).

Both writers share one column plan so the workbook and the CSVs never disagree. Each KPI gets
值/目标/得分/权重 columns when some entity on that level scores it, otherwise only 值. N/A values are
written as the text "N/A" (not 0, not blank) so a manager can tell "not measurable" from "zero".
"""

from __future__ import annotations

import csv
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import xlsxwriter

from . import charts
from .metrics import METRICS
from .profile import KpiConfig
from .report import EntityKpis, KpiReport, Level

SHEETS = {"agent": "坐席", "team": "班组", "overall": "总体"}
VIOLATIONS_SHEET = "规则违规"
DEFINITIONS_SHEET = "指标定义"
NOTES_SHEET = "说明"
CSV_NAMES = {"agent": "kpi_agents.csv", "team": "kpi_teams.csv", "overall": "kpi_overall.csv"}
SEVERITY = {"info": "提示", "minor": "轻微", "major": "严重", "critical": "致命"}
LEVEL_NAMES = {"agent": "坐席", "team": "班组", "overall": "总体"}
DIRECTION = {"higher_better": "越高越好", "lower_better": "越低越好"}
UNIT_NAMES = {"count": "次/个", "ratio": "%", "seconds": "秒", "score": "分(0-100)", "index": "指数(0-100)"}
NA = "N/A"


@dataclass(slots=True)
class Col:
    group: str | None  # KPI name spanning its sub-columns; None for fixed columns
    label: str
    get: Callable[[EntityKpis], Any]
    kind: str  # text | int | ratio | seconds | score | index | count | points | weight
    alert: Callable[[EntityKpis], bool] | None = None

    @property
    def csv_header(self) -> str:
        return f"{self.group}·{self.label}" if self.group else self.label


def _kpi_value(kpi_id: str):
    def get(e: EntityKpis):
        v = e.kpis[kpi_id].value
        return NA if v is None else v
    return get


def columns(level: Level, entities: list[EntityKpis], report: KpiReport) -> list[Col]:
    first = {"agent": "坐席", "team": "班组", "overall": "范围"}[level]
    cols = [Col(None, first, lambda e: e.id, "text")]
    if level == "agent":
        cols.append(Col(None, "班组", lambda e: e.team_id or "", "text"))
    cols += [
        Col(None, "岗位方案", lambda e: e.profile_name, "text"),
        Col(None, "会话量", lambda e: e.conversations, "int"),
        Col(None, "综合得分", lambda e: NA if e.composite is None else e.composite, "score"),
    ]
    if level != "overall":
        cols.append(Col(None, "排名", lambda e: e.rank if e.rank is not None else "", "int"))
    if level == "agent":
        cols.append(Col(None, "组内排名", lambda e: e.team_rank if e.team_rank is not None else "", "int"))
    cols.append(Col(None, "预警", lambda e: "、".join(e.alerts), "text"))
    for kpi_id in report.kpi_ids:
        if kpi_id == "conversations":
            continue
        metric = METRICS[kpi_id]
        scored = any(e.kpis[kpi_id].scored for e in entities)
        # a profile may rename a KPI; the first scoring entity's name heads the column
        name = next((e.kpis[kpi_id].name for e in entities if e.kpis[kpi_id].scored), metric.name)
        cols.append(Col(name, "值", _kpi_value(kpi_id), metric.unit, alert=lambda e, k=kpi_id: e.kpis[k].alert))
        if scored:
            cols += [
                Col(name, "目标", lambda e, k=kpi_id: _blank(e.kpis[k].target), metric.unit),
                Col(name, "得分", lambda e, k=kpi_id: _blank(e.kpis[k].band_score, e.kpis[k].scored), "points"),
                Col(name, "权重", lambda e, k=kpi_id: _blank(e.kpis[k].weight), "weight"),
            ]
    for dim in report.dimension_names:
        cols.append(Col("维度得分率", dim, lambda e, d=dim: e.dimensions.get(d, NA), "ratio"))
    return cols


def _blank(value, scored: bool = False):
    # blank = this entity's profile does not score the KPI; N/A = scored but nothing to measure
    if value is None:
        return NA if scored else ""
    return value


def _entities(report: KpiReport, level: Level) -> list[EntityKpis]:
    return {"agent": report.agents, "team": report.teams, "overall": [report.overall]}[level]


def display_width(text: str) -> int:
    """Excel column units: CJK (wide) characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def format_threshold(value: float | None, unit: str) -> str:
    if value is None:
        return ""
    if unit == "ratio":
        return f"{value * 100:.2f}".rstrip("0").rstrip(".") + "%"
    if unit == "seconds":
        return f"{value:g}秒"
    return f"{value:g}"


class _Sheet:
    """A worksheet that remembers the widest text per column for sizing."""

    def __init__(self, book: xlsxwriter.Workbook, name: str):
        self.ws = book.add_worksheet(name)
        self.widths: dict[int, int] = {}

    def write(self, row: int, col: int, value: Any, fmt=None, shown: str | None = None) -> None:
        self.ws.write(row, col, value, fmt)
        text = shown if shown is not None else (str(value) if isinstance(value, str) else f"{value:,.2f}")
        self.widths[col] = max(self.widths.get(col, 0), display_width(text))

    def size_columns(self, minimum: int = 6, maximum: int = 40) -> None:
        for col, width in self.widths.items():
            self.ws.set_column(col, col, min(maximum, max(minimum, width + 2)))


class _Formats:
    def __init__(self, book: xlsxwriter.Workbook):
        base = {"font_name": "微软雅黑", "font_size": 10}
        self.header = book.add_format({**base, "bold": True, "bg_color": "#DDEBF7", "border": 1,
                                       "align": "center", "valign": "vcenter", "text_wrap": True})
        self.text = book.add_format(base)
        self.na = book.add_format({**base, "font_color": "#808080", "align": "center"})
        nums = {"int": "0", "ratio": "0.0%", "seconds": '0.0"秒"', "score": "0.0", "index": "0.0",
                "count": "0.##", "points": "0.0", "weight": "0.##"}
        self.num = {k: book.add_format({**base, "num_format": v}) for k, v in nums.items()}
        self.num["count_int"] = book.add_format({**base, "num_format": "#,##0"})
        self.alert = {k: book.add_format({**base, "num_format": v, "bg_color": "#FFC7CE", "font_color": "#9C0006"})
                      for k, v in nums.items()}
        self.alert["count_int"] = book.add_format({**base, "num_format": "#,##0", "bg_color": "#FFC7CE",
                                                   "font_color": "#9C0006"})

    def for_value(self, kind: str, value: Any, alert: bool = False):
        if isinstance(value, str):
            return self.na if value == NA else self.text
        if kind == "count" and float(value).is_integer():
            kind = "count_int"  # "0.##" would show "3." for whole counts
        table = self.alert if alert else self.num
        return table.get(kind, self.text)


def _write_level(book, fmts: _Formats, report: KpiReport, level: Level) -> None:
    entities = _entities(report, level)
    cols = columns(level, entities, report)
    sheet = _Sheet(book, SHEETS[level])
    ws = sheet.ws
    ws.set_row(0, 20)
    ws.set_row(1, 20)
    c = 0
    while c < len(cols):
        col = cols[c]
        if col.group is None:
            ws.merge_range(0, c, 1, c, col.label, fmts.header)
            sheet.widths[c] = display_width(col.label)
            c += 1
            continue
        end = c
        while end + 1 < len(cols) and cols[end + 1].group == col.group:
            end += 1
        if end > c:
            ws.merge_range(0, c, 0, end, col.group, fmts.header)
        else:
            ws.write(0, c, col.group, fmts.header)
        for i in range(c, end + 1):
            ws.write(1, i, cols[i].label, fmts.header)
            # the group title is spread over its sub-columns
            sheet.widths[i] = max(display_width(cols[i].label), display_width(col.group) // (end - c + 1))
        c = end + 1
    for r, entity in enumerate(entities, start=2):
        for c, col in enumerate(cols):
            value = col.get(entity)
            alert = bool(col.alert and col.alert(entity))
            shown = value if isinstance(value, str) else _shown(value, col.kind)
            sheet.write(r, c, value, fmts.for_value(col.kind, value, alert), shown)
    ws.freeze_panes(2, 2 if level == "agent" else 1)  # keep who (and the agent's team) in view
    if entities:
        ws.autofilter(1, 0, 1 + len(entities), len(cols) - 1)
    sheet.size_columns()


def _shown(value: Any, kind: str) -> str:
    if kind == "ratio":
        return f"{value * 100:.1f}%"
    if kind == "seconds":
        return f"{value:.1f}秒"
    return f"{value:,.1f}" if isinstance(value, float) else str(value)


def _write_table(book, fmts: _Formats, name: str, header: list[str], rows: list[list[Any]],
                 kinds: list[str]) -> None:
    sheet = _Sheet(book, name)
    for c, label in enumerate(header):
        sheet.write(0, c, label, fmts.header)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if value is None:
                value = ""
            sheet.write(r, c, value, fmts.for_value(kinds[c], value),
                        value if isinstance(value, str) else _shown(value, kinds[c]))
    sheet.ws.freeze_panes(1, 0)
    if rows:
        sheet.ws.autofilter(0, 0, len(rows), len(header) - 1)
    sheet.size_columns(maximum=60)


def violation_rows(report: KpiReport) -> tuple[list[str], list[list[Any]], list[str]]:
    header = ["层级", "对象", "规则ID", "规则名称", "严重度", "命中次数", "涉及会话数", "会话占比"]
    kinds = ["text", "text", "text", "text", "text", "int", "int", "ratio"]
    rows = [[LEVEL_NAMES[v.level], v.entity_id, v.rule_id, v.rule_name, SEVERITY.get(v.severity, v.severity),
             v.hits, v.conversations, v.share] for v in report.violations]
    return header, rows, kinds


def definition_rows(config: KpiConfig) -> tuple[list[str], list[list[Any]], list[str]]:
    header = ["指标ID", "中文名", "单位", "方向", "计算口径", "岗位方案", "目标", "权重", "计分规则", "预警线"]
    kinds = ["text"] * 7 + ["weight", "text", "text"]
    rows: list[list[Any]] = []
    for metric in METRICS.values():
        base = [metric.id, metric.name, UNIT_NAMES[metric.unit], DIRECTION[metric.direction], metric.formula]
        scored = [(pid, p, p.spec(metric.id)) for pid, p in config.profiles.items() if p.spec(metric.id)]
        if not scored:
            rows.append(base + ["（仅展示，不计分）", "", None, "", ""])
        fmt = lambda v, u=metric.unit: format_threshold(v, u)  # noqa: E731
        for pid, profile, spec in scored:
            assert spec is not None
            row = list(base)
            row[1] = spec.name or metric.name
            row[3] = DIRECTION[spec.direction]  # type: ignore[index]
            rows.append(row + [f"{profile.name or pid} ({pid})", fmt(spec.target), spec.weight,
                               spec.band.describe(fmt, spec.direction), fmt(spec.alert)])
    return header, rows, kinds


def _write_notes(book, fmts: _Formats, report: KpiReport) -> None:
    p = report.period
    rows: list[list[Any]] = [
        ["方案", report.profile_name],
        ["统计周期", p.label],
        ["起始（含）", p.start.isoformat() if p.start else "不限"],
        ["截止（不含）", p.end.isoformat() if p.end else "不限"],
        ["生成时间", report.generated_at.isoformat(timespec="seconds")],
    ]
    labels = {"loaded": "载入结果数", "in_period": "周期内会话数", "outside_period": "周期外会话数",
              "skipped_no_started_at": "无开始时间跳过", "duplicates": "重复会话ID", "no_agent_id": "无坐席ID会话"}
    rows += [[label, report.counts.get(key, 0)] for key, label in labels.items()]
    rows += [["说明", note] for note in report.notes]
    _write_table(book, fmts, NOTES_SHEET, ["项目", "内容"], rows, ["text", "int"])


def write_xlsx(report: KpiReport, config: KpiConfig, path: str | Path, *, weekly: list[KpiReport] = ()) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    book = xlsxwriter.Workbook(str(path), {"nan_inf_to_errors": True})
    try:
        fmts = _Formats(book)
        for level in ("agent", "team", "overall"):
            _write_level(book, fmts, report, level)  # type: ignore[arg-type]
        _write_table(book, fmts, VIOLATIONS_SHEET, *violation_rows(report))
        _write_table(book, fmts, DEFINITIONS_SHEET, *definition_rows(config))
        _write_notes(book, fmts, report)
        charts.add_charts(book, fmts, report, weekly)  # target colours on the sheets + charts on 总体
    finally:
        book.close()
    return path


def _csv_value(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 6)
    return value


def write_csv(report: KpiReport, directory: str | Path) -> list[Path]:
    """One UTF-8-with-BOM CSV per level plus the violations table; returns the paths written."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for level, name in CSV_NAMES.items():
        entities = _entities(report, level)  # type: ignore[arg-type]
        cols = columns(level, entities, report)  # type: ignore[arg-type]
        out = directory / name
        with out.open("w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow([c.csv_header for c in cols])
            for e in entities:
                writer.writerow([_csv_value(c.get(e)) for c in cols])
        written.append(out)
    header, rows, _ = violation_rows(report)
    out = directory / "kpi_violations.csv"
    with out.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows([[_csv_value(v) for v in row] for row in rows])
    written.append(out)
    return written
