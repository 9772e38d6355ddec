"""``qa-engine demo``: score the sample conversations shipped in ``datasets/samples`` and write
the month's KPI workbook — the whole product on the embedded defaults, in one command."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from qa_engine.pipeline import Engine
from qa_engine.runner import ScoreRun

SAMPLES = Path(__file__).resolve().parent.parent / "datasets" / "samples"


@click.command("demo")
@click.option("--samples", type=click.Path(exists=True, file_okay=False, path_type=Path), default=SAMPLES,
              show_default=True, help="Folder of conversations to score.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("out/demo"),
              show_default=True, help="Results and the KPI workbook go here.")
@click.option("--period", default="2026-11", show_default=True, help="KPI period.")
@click.pass_context
def demo_command(ctx: click.Context, samples: Path, out: Path, period: str) -> None:
    """Score the sample conversations and write a KPI workbook (out/demo/kpi.xlsx)."""
    from qa_engine.kpi.cli import kpi_command

    engine = Engine()
    for note in engine.skipped_analyzers:
        click.echo(f"note: analyzer skipped ({note})", err=True)
    results = out / "results"
    results.mkdir(parents=True, exist_ok=True)
    run = ScoreRun(engine)
    summary = run.run(run.inputs(samples), out_dir=results, root=samples, progress=sys.stderr.isatty())
    for error in summary.errors:
        click.echo(f"error: {error}", err=True)
    click.echo(f"scored: {summary.describe()} -> {results}")
    ctx.invoke(kpi_command, results_dir=results, period=period, out_path=out / "kpi.xlsx", csv_dir=out / "csv")
