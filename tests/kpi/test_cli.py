from __future__ import annotations

import json

import openpyxl
from click.testing import CliRunner

from qa_engine.kpi.cli import kpi_command

from .conftest import DEFAULT_PROFILE
from .conftest import build_result as r


def write_results(folder, results, extra_lines=()):
    folder.mkdir(parents=True, exist_ok=True)
    lines = [x.model_dump_json() for x in results] + list(extra_lines)
    (folder / "part-0.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_cli_writes_xlsx_csv_json_and_summary(tmp_path):
    results = [r("c1", agent="坐席甲", score=95), r("c2", agent="a2", score=70), r("c3", at=None)]
    write_results(tmp_path / "res", results, extra_lines=["{broken"])
    out = tmp_path / "kpi.xlsx"
    run = CliRunner().invoke(kpi_command, [
        str(tmp_path / "res"), "--period", "2026-11", "--profile", str(DEFAULT_PROFILE),
        "--out", str(out), "--csv-dir", str(tmp_path / "csv"), "--json", str(tmp_path / "kpi.json"),
    ])
    assert run.exit_code == 0, run.output
    assert "part-0.jsonl:4" in run.stderr  # the bad line is named, the run goes on
    assert "坐席甲" in run.stdout and "周期 2026-11" in run.stdout
    assert "started_at" in run.stdout  # the skipped note
    assert openpyxl.load_workbook(out).sheetnames[0] == "坐席"
    assert (tmp_path / "csv" / "kpi_agents.csv").exists()
    data = json.loads((tmp_path / "kpi.json").read_text(encoding="utf-8"))
    assert data["counts"]["in_period"] == 2


def test_cli_bad_input_exit_2(tmp_path):
    runner = CliRunner()
    write_results(tmp_path / "res", [r("c1")])
    missing = runner.invoke(kpi_command, [str(tmp_path / "nope"), "--profile", str(DEFAULT_PROFILE)])
    assert missing.exit_code == 2 and "no such file" in missing.stderr
    bad_period = runner.invoke(kpi_command, [str(tmp_path / "res"), "--period", "2026-13",
                                             "--profile", str(DEFAULT_PROFILE)])
    assert bad_period.exit_code == 2 and "2026-13" in bad_period.stderr
    profile = tmp_path / "p.yaml"
    profile.write_text("default_profile: x\nprofiles: {x: {kpis: [{id: fcr, weight: 1, band: {full_at: 90, "
                       "zero_at: 85}}]}}\n", encoding="utf-8")
    bad_profile = runner.invoke(kpi_command, [str(tmp_path / "res"), "--profile", str(profile)])
    assert bad_profile.exit_code == 2 and "p.yaml: profiles.x.kpis[0] (fcr): band.full_at" in bad_profile.stderr
    write_results(tmp_path / "junk", [], extra_lines=["not json"])
    empty = runner.invoke(kpi_command, [str(tmp_path / "junk"), "--profile", str(DEFAULT_PROFILE)])
    assert empty.exit_code == 2 and "no readable results" in empty.stderr
