"""``qa-engine kpi RESULTS_DIR --period 2026-11 --out kpi.xlsx``: agent KPI sheets from results.

Exit codes: 0 sheet written (bad result lines are reported on stderr but do not stop the run,
because one worker's truncated file should not hold up the month's sheet); 2 bad input
(missing directory, invalid profile or period, no readable result at all).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click

from .compute import compute_kpis
from .export import display_width, write_csv, write_xlsx
from .load import load_results
from .period import PeriodError, parse_period
from .profile import KpiProfileError, load_profile
from .report import KpiReport

DEFAULT_PROFILE = Path(__file__).resolve().parents[2] / "rules" / "kpi" / "default.yaml"
SHOWN_ERRORS = 10
EXIT_BAD_INPUT = 2


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "N/A"
    if unit == "ratio":
        return f"{value * 100:.1f}%"
    if unit == "seconds":
        return f"{value:.0f}s"
    return f"{value:.1f}"


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - display_width(text))


def summary_table(report: KpiReport, top: int) -> str:
    """Plain-text table of the overall line, the teams and the top agents (CJK-aware padding)."""
    kpis = [("quality_score", "质检分"), ("pass_rate", "合格率"), ("fcr", "FCR"), ("csat", "满意度"),
            ("aht", "AHT"), ("first_response", "首响"), ("negative_share", "负面占比")]
    header = ["层级", "对象", "会话", "综合", "排名", *[label for _, label in kpis], "预警"]
    rows = []
    for level, entities in (("总体", [report.overall]), ("班组", report.teams), ("坐席", report.agents[:top])):
        for e in entities:
            rows.append([
                level, e.id, str(e.conversations), _fmt(e.composite, "score"),
                "" if e.rank is None else str(e.rank),
                *[_fmt(e.kpis[k].value, e.kpis[k].unit) for k, _ in kpis],
                "、".join(e.alerts[:3]) + ("…" if len(e.alerts) > 3 else ""),
            ])
    widths = [max(display_width(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(_pad(cell, w) for cell, w in zip(row, widths)).rstrip() for row in [header, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    if len(report.agents) > top:
        lines.append(f"... 另有 {len(report.agents) - top} 名坐席见导出文件")
    return "\n".join(lines)


@click.command("kpi")
@click.argument("results_dir", type=click.Path(path_type=Path))
@click.option("--period", default=None, metavar="PERIOD",
              help="2026-11, 2026-W45, 2026-Q4, 2026, 2026-11-03 or A..B; default: every loaded result")
@click.option("--profile", "profile_path", type=click.Path(path_type=Path), default=DEFAULT_PROFILE,
              show_default=True, help="KPI profile YAML")
@click.option("--out", "out_path", type=click.Path(path_type=Path), default=None, help="write the .xlsx here")
@click.option("--csv-dir", type=click.Path(path_type=Path), default=None, help="write one CSV per level here")
@click.option("--json", "json_path", type=click.Path(path_type=Path), default=None, help="write the report as JSON")
@click.option("--top", type=int, default=10, show_default=True, help="agents shown in the summary")
def kpi_command(results_dir: Path, period: str | None, profile_path: Path, out_path: Path | None,
                csv_dir: Path | None, json_path: Path | None, top: int) -> None:
    """Compute agent / team / overall KPI sheets from scored results in RESULTS_DIR."""
    try:
        config = load_profile(profile_path)
    except KpiProfileError as exc:
        click.echo(f"KPI profile invalid:\n{exc}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    try:
        parsed_period = parse_period(period, config.settings.tzinfo)
    except PeriodError as exc:
        click.echo(str(exc), err=True)
        sys.exit(EXIT_BAD_INPUT)
    try:
        started = time.perf_counter()
        loaded = load_results(results_dir)
    except FileNotFoundError as exc:
        click.echo(str(exc), err=True)
        sys.exit(EXIT_BAD_INPUT)
    for error in loaded.errors[:SHOWN_ERRORS]:
        click.echo(f"skipped {error}", err=True)
    if loaded.error_count > SHOWN_ERRORS:
        click.echo(f"... {loaded.error_count - SHOWN_ERRORS} more bad lines", err=True)
    if not loaded.results:
        click.echo(f"{results_dir}: no readable results in {loaded.files} file(s)", err=True)
        sys.exit(EXIT_BAD_INPUT)
    load_s = time.perf_counter() - started

    started = time.perf_counter()
    report = compute_kpis(loaded.results, config, parsed_period)
    compute_s = time.perf_counter() - started

    click.echo(f"{report.profile_name} · 周期 {report.period.label} · "
               f"载入 {loaded.files} 个文件 {len(loaded.results)} 条结果（坏行 {loaded.error_count}）· "
               f"周期内 {report.counts.get('in_period', 0)} 条 · 读取 {load_s:.1f}s 计算 {compute_s:.1f}s")
    if not report.counts.get("in_period"):
        click.echo("周期内没有会话：请检查 --period 与结果的 started_at", err=True)
    click.echo(summary_table(report, top))
    for note in report.notes:
        click.echo(f"注：{note}")
    if out_path is not None:
        click.echo(f"已写入 {write_xlsx(report, config, out_path)}")
    if csv_dir is not None:
        for path in write_csv(report, csv_dir):
            click.echo(f"已写入 {path}")
    if json_path is not None:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(report.to_dict(), ensure_ascii=False, indent=1), encoding="utf-8")
        click.echo(f"已写入 {json_path}")


if __name__ == "__main__":  # pragma: no cover
    kpi_command()
