"""Native Excel charts and target-based conditional formatting for the KPI workbook.

Called from :func:`qa_engine.kpi.export.write_xlsx` after the level sheets are written. Native
XlsxWriter charts (not pictures) so the numbers stay live and Excel/WPS draw the Chinese labels
with the reader's own fonts.

* 坐席/班组 sheets: each KPI's 值 cell turns green when it meets the entity's own 目标 (a formula
  against the 目标 cell of the same row, so per-profile targets work) — red alert fill for values
  past the 预警线 is already applied by export.py; the 综合得分 column gets a red-yellow-green scale.
* 总体 sheet, under the overall row: composite score by agent (column chart) and, when weekly
  reports are given, KPI trends by ISO week (quality score and emotion index; pass rate and
  negative share), each with its data table. On the overview sheet rather than a new sheet so
  the workbook keeps its sheet list (readers and scripts address sheets by position).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from xlsxwriter.utility import xl_rowcol_to_cell

from .metrics import METRICS
from .period import Period
from .report import KpiReport

CHART_ROW = 4  # first row of the chart block on the 总体 sheet (the overall table ends at row 3)
# (KPI id, axis) drawn on the weekly trend charts: scores 0-100 on one, shares on the other
TREND_SCORES = ("quality_score", "compliance_score", "emotion_index")
TREND_RATIOS = ("pass_rate", "negative_share", "veto_rate")


def weekly_periods(period: Period, starts: Sequence[datetime]) -> list[Period]:
    """ISO weeks of ``period`` (or, for an unbounded period, the weeks the given start times fall in)."""
    if period.start is not None and period.end is not None:
        first, end = period.start, period.end
    elif starts:
        first, end = min(starts), max(starts) + timedelta(seconds=1)
    else:
        return []
    monday = (first - timedelta(days=first.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    weeks = []
    while monday < end:
        year, week, _ = monday.isocalendar()
        weeks.append(Period(f"{year}-W{week:02d}", "week", max(monday, first), min(monday + timedelta(days=7), end)))
        monday += timedelta(days=7)
    return weeks


def _target_formats(book, ws, report: KpiReport, level: str, columns, entities) -> None:  # noqa: ANN001
    n = len(entities)
    if not n:
        return
    good = book.add_format({"bg_color": "#C6EFCE", "font_color": "#006100"})
    kpis = iter(k for k in report.kpi_ids if k != "conversations")
    first, last = 2, 1 + n
    for c, col in enumerate(columns):
        if col.group is None and col.label == "综合得分":
            ws.conditional_format(first, c, last, c, {"type": "3_color_scale", "min_color": "#F8696B",
                                                      "mid_color": "#FFEB84", "max_color": "#63BE7B"})
        if col.group is None or col.label != "值" or col.group == "维度得分率":
            continue
        kpi_id = next(kpis)
        if c + 1 >= len(columns) or columns[c + 1].label != "目标" or columns[c + 1].group != col.group:
            continue  # nobody on this level scores the KPI: no target to compare with
        value, target = xl_rowcol_to_cell(first, c), xl_rowcol_to_cell(first, c + 1)
        op = ">=" if METRICS[kpi_id].direction == "higher_better" else "<="
        ws.conditional_format(first, c, last, c, {
            "type": "formula", "format": good,
            "criteria": f"=AND(ISNUMBER({value}),ISNUMBER({target}),{value}{op}{target})"})


def _line_chart(book, sheet: str, title: str, weeks: int, series: list[tuple[str, int]], row0: int,  # noqa: ANN001
                percent: bool):
    chart = book.add_chart({"type": "line"})
    for name, col in series:
        chart.add_series({"name": [sheet, row0, col], "categories": [sheet, row0 + 1, 0, row0 + weeks, 0],
                          "values": [sheet, row0 + 1, col, row0 + weeks, col], "marker": {"type": "circle"}})
    chart.set_title({"name": title})
    chart.set_y_axis({"num_format": "0%" if percent else "0", "major_gridlines": {"visible": True}})
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": 640, "height": 300})
    return chart


def add_charts(book, fmts, report: KpiReport, weekly: Sequence[KpiReport] = ()) -> None:  # noqa: ANN001
    """Conditional formats on the level sheets and the charts on 总体. ``weekly``: one report per week."""
    from .export import SHEETS, _entities, columns  # export imports this module lazily too

    for level in ("agent", "team"):
        ws = book.get_worksheet_by_name(SHEETS[level])
        if ws is not None:
            entities = _entities(report, level)
            _target_formats(book, ws, report, level, columns(level, entities, report), entities)
    sheet = SHEETS["overall"]
    ws = book.get_worksheet_by_name(sheet)
    top = CHART_ROW
    ws.write_row(top, 0, ["坐席", "综合得分"], fmts.header)
    agents = [a for a in report.agents if a.composite is not None]
    for r, a in enumerate(agents, start=top + 1):
        ws.write_string(r, 0, a.id)
        ws.write_number(r, 1, round(a.composite, 2), fmts.num["score"])
    if agents:
        chart = book.add_chart({"type": "column"})
        chart.add_series({"name": "综合得分", "categories": [sheet, top + 1, 0, top + len(agents), 0],
                          "values": [sheet, top + 1, 1, top + len(agents), 1], "data_labels": {"value": True}})
        chart.set_title({"name": "坐席综合得分"})
        chart.set_y_axis({"min": 0, "max": 100})
        chart.set_legend({"none": True})
        chart.set_size({"width": 640, "height": 300})
        ws.insert_chart(top, 3, chart)
    weeks = [w for w in weekly if w.overall.conversations]
    if not weeks:
        return
    row0 = top + max(len(agents) + 3, 17)  # the table under the first chart
    ids = [k for k in TREND_SCORES + TREND_RATIOS if k in report.kpi_ids]
    ws.write_row(row0, 0, ["周"] + [METRICS[k].name for k in ids], fmts.header)
    for r, week in enumerate(weeks, start=row0 + 1):
        ws.write_string(r, 0, week.period.label)
        for c, k in enumerate(ids, start=1):
            value = week.overall.value(k)
            if value is not None:
                ws.write_number(r, c, value, fmts.num["ratio" if METRICS[k].unit == "ratio" else "score"])
    scores = [(METRICS[k].name, c) for c, k in enumerate(ids, start=1) if k in TREND_SCORES]
    ratios = [(METRICS[k].name, c) for c, k in enumerate(ids, start=1) if k in TREND_RATIOS]
    if scores:
        ws.insert_chart(row0, len(ids) + 2, _line_chart(book, sheet, "周趋势：质检分与情绪指数", len(weeks),
                                                        scores, row0, percent=False))
    if ratios:
        ws.insert_chart(row0 + 16, len(ids) + 2, _line_chart(book, sheet, "周趋势：合格率与负面占比",
                                                             len(weeks), ratios, row0, percent=True))
