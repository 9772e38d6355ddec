from __future__ import annotations

import csv

import openpyxl
import pytest

from qa_engine.kpi.compute import compute_kpis
from qa_engine.kpi.export import display_width, format_threshold, write_csv, write_xlsx

from .conftest import build_result as r
from .conftest import hit


@pytest.fixture
def report(default_config):
    results = [
        r("c1", agent="a1", team="t1", score=92, customer="u1", hits=[hit("r1", name="禁用语")],
          metadata={"csat": "满意", "talk_seconds": 280}),
        r("c2", agent="a1", team="t1", score=70, customer="u2", veto=True),
        r("c3", agent="a2", team="t2", score=88, channel="chat", timing={"first_response": 25}),
    ]
    return compute_kpis(results, default_config, "2026-11")


def test_xlsx_round_trip(tmp_path, report, default_config):
    path = write_xlsx(report, default_config, tmp_path / "out" / "kpi.xlsx")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["坐席", "班组", "总体", "规则违规", "指标定义", "说明"]
    agents = book["坐席"]
    assert agents["A1"].value == "坐席" and agents["B1"].value == "班组"
    assert agents.freeze_panes == "C3"
    header = {agents.cell(1, c).value: c for c in range(1, agents.max_column + 1) if agents.cell(1, c).value}
    col = header["平均质检分"]
    assert [agents.cell(2, col + i).value for i in range(4)] == ["值", "目标", "得分", "权重"]
    assert agents.cell(1, col + 1).value is None  # merged group title spans the four sub-columns
    rows = {agents.cell(row, 1).value: row for row in range(3, agents.max_row + 1)}
    assert set(rows) == {"a1", "a2"}
    assert agents.cell(rows["a1"], col).value == pytest.approx(81)
    assert agents.cell(rows["a1"], col + 1).value == 90  # target
    assert agents.cell(rows["a1"], col + 2).value == pytest.approx(55)  # (81-70)/20
    pass_col = header["质检合格率"]
    assert agents.cell(rows["a1"], pass_col).number_format == "0.0%"
    # a2 has no surveys: CSAT is N/A text, not 0
    assert agents.cell(rows["a2"], header["满意度"]).value == "N/A"
    assert agents.cell(rows["a2"], header["首次响应时间"]).value == 25
    assert agents.column_dimensions["A"].width >= 6

    overall = book["总体"]
    assert [overall["A3"].value, overall["C3"].value] == ["全部", 3]
    assert overall["D3"].value == pytest.approx(report.overall.composite)
    violations = book["规则违规"]
    assert [c.value for c in violations[1]] == ["层级", "对象", "规则ID", "规则名称", "严重度", "命中次数",
                                                  "涉及会话数", "会话占比"]
    assert ("总体", "全部", "r1", "禁用语") == tuple(c.value for c in violations[2][:4])
    definitions = book["指标定义"]
    fcr_rows = [row for row in definitions.iter_rows(values_only=True) if row[0] == "fcr"]
    assert len(fcr_rows) == 2  # after_sales and tech_support score FCR
    assert fcr_rows[0][1] == "首次解决率" and fcr_rows[0][6] == "90%"
    assert "85%" in fcr_rows[0][8]
    notes = [row[1] for row in book["说明"].iter_rows(values_only=True)]
    assert "2026-11" in notes


def test_csv_has_bom_and_one_file_per_level(tmp_path, report):
    paths = write_csv(report, tmp_path / "csv")
    assert [p.name for p in paths] == ["kpi_agents.csv", "kpi_teams.csv", "kpi_overall.csv", "kpi_violations.csv"]
    raw = paths[0].read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    with paths[0].open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    by_agent = {row["坐席"]: row for row in rows}
    assert float(by_agent["a1"]["平均质检分·值"]) == pytest.approx(81)
    assert by_agent["a2"]["满意度·值"] == "N/A"
    assert float(by_agent["a1"]["质检合格率·值"]) == pytest.approx(0.5)


def test_display_width_and_thresholds():
    assert display_width("坐席ab") == 6
    assert format_threshold(0.9, "ratio") == "90%" and format_threshold(0.005, "ratio") == "0.5%"
    assert format_threshold(30, "seconds") == "30秒" and format_threshold(None, "score") == ""
