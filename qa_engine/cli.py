"""``qa-engine`` command line.

Exit codes scripts can rely on:
  0  everything read was scored (or the check passed)
  1  some records could not be read or scored; the rest were scored and the failures listed
  2  nothing could be done: bad usage, a missing file, or an invalid rule pack or scorecard
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from qa_engine.pipeline import DEFAULT_PACK, DEFAULT_SCORECARD, Engine, EngineConfig
from qa_engine.rules.loader import PackErrors
from qa_engine.runner import EXCLUDE_HELP

EXIT_OK, EXIT_PARTIAL, EXIT_FAILED = 0, 1, 2


def _engine(rules: Path, scorecard: Path, analyzers: str | None) -> Engine:
    config = EngineConfig(rules=rules, scorecard=scorecard)
    if analyzers is not None:
        config.analyzers = tuple(a.strip() for a in analyzers.split(",") if a.strip())
    try:
        engine = Engine(config)
    except PackErrors as exc:
        for error in exc.errors:
            click.echo(f"error: {error}", err=True)
        sys.exit(EXIT_FAILED)
    except KeyError as exc:
        raise click.UsageError(str(exc.args[0])) from None
    for note in engine.skipped_analyzers:
        click.echo(f"note: analyzer skipped ({note})", err=True)
    return engine


rules_option = click.option("--rules", "rules", type=click.Path(path_type=Path, dir_okay=False), default=DEFAULT_PACK,
                            show_default=True, help="Rule pack YAML.")
scorecard_option = click.option("--scorecard", type=click.Path(path_type=Path, dir_okay=False),
                                default=DEFAULT_SCORECARD, show_default=True, help="Scorecard YAML.")
analyzers_option = click.option("--analyzers", default=None,
                                help="Comma-separated analyzer pipeline (default: chat_timing,turn_taking,emotion).")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="qa-engine")
def main() -> None:
    """AI quality inspection (智能质检) for customer-service calls and chats."""


@main.command("score")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@rules_option
@scorecard_option
@analyzers_option
@click.option("--format", "fmt", type=click.Choice(["json", "table"]), default="json", show_default=True)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Write one JSON Lines file of results per input file here instead of stdout.")
@click.option("--batch-size", default=64, show_default=True, help="Conversations analysed together.")
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: on for folders on a terminal).")
@click.option("--speaker-map", "speaker_map", multiple=True, metavar="LABEL=ROLE",
              help="Map a speaker label of your export to agent|customer|system, e.g. 坐席A=agent (repeatable).")
@click.option("--csv-column", "csv_column", multiple=True, metavar="FIELD=HEADER",
              help="CSV header for a field (conversation_id, speaker, text, timestamp, agent_id, team_id, "
                   "customer_id, channel...), e.g. text=消息内容 (repeatable).")
@click.option("--exclude", multiple=True, metavar="GLOB", help=EXCLUDE_HELP)
def score_command(path: Path, rules: Path, scorecard: Path, analyzers: str | None, fmt: str, out: Path | None,
                  batch_size: int, progress: bool | None, speaker_map: tuple[str, ...], csv_column: tuple[str, ...],
                  exclude: tuple[str, ...]) -> None:
    """Score a conversation file (JSON, JSONL, CSV, audio) or every such file under a folder.

    Prints one JSON object per conversation (JSON Lines), the contract in
    schemas/score-result.v1.json. Unreadable records are reported at the end; they never stop
    the others.
    """
    from qa_engine.runner import ScoreRun

    read_options = _read_options(speaker_map, csv_column)
    engine = _engine(rules, scorecard, analyzers)
    run = ScoreRun(engine, batch_size=batch_size, read_options=read_options)
    files = run.inputs(path, exclude)
    if not files:
        click.echo(f"error: no conversation files (.json, .jsonl, .csv, audio) under {path}", err=True)
        sys.exit(EXIT_FAILED)
    show = progress if progress is not None else (path.is_dir() and sys.stderr.isatty())
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
    emit = _table_printer() if fmt == "table" and out is None else None
    summary = run.run(files, out_dir=out, emit=emit, progress=show, root=path if path.is_dir() else path.parent)
    for error in summary.errors:
        click.echo(f"error: {error}", err=True)
    if show or summary.errors or out is not None:
        click.echo(summary.describe(), err=True)
    sys.exit(EXIT_PARTIAL if summary.errors else EXIT_OK)


def _pairs(values: tuple[str, ...], option: str) -> dict[str, str]:
    pairs = {}
    for value in values:
        key, sep, target = value.partition("=")
        if not sep or not key.strip() or not target.strip():
            raise click.BadParameter(f"expected KEY=VALUE, got {value!r}", param_hint=option)
        pairs[key.strip()] = target.strip()
    return pairs


def _read_options(speaker_map: tuple[str, ...], csv_column: tuple[str, ...]) -> dict:
    from dataclasses import fields

    from qa_engine.ingest import CsvColumns

    options: dict = {}
    if speaker_map:
        options["speaker_map"] = _pairs(speaker_map, "--speaker-map")
    if csv_column:
        columns = _pairs(csv_column, "--csv-column")
        known = {f.name for f in fields(CsvColumns)} - {"metadata", "use_aliases", "default_channel", "delimiter", "meta_prefix"}
        unknown = sorted(set(columns) - known)
        if unknown:
            raise click.BadParameter(f"unknown field(s) {', '.join(unknown)}; fields: {', '.join(sorted(known))}",
                                     param_hint="--csv-column")
        options["csv_columns"] = CsvColumns(**columns)
    return options


def _table_printer():
    header_done = False

    def emit(result) -> None:
        nonlocal header_done
        if not header_done:
            click.echo(f"{'conversation':<24} {'score':>6} {'grade':<6} {'veto':<5} {'review':<6} hits")
            header_done = True
        hits = ", ".join(f"{h.rule_name}" for h in result.hits[:4]) + (" …" if len(result.hits) > 4 else "")
        click.echo(f"{result.conversation_id:<24} {result.score:>6.1f} {result.grade:<6} "
                   f"{'是' if result.veto else '-':<5} {'是' if result.needs_review else '-':<6} {hits}")

    return emit


@main.group("rules")
def rules_group() -> None:
    """Check and try rule packs."""


@rules_group.command("check")
@click.argument("pack", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--scorecard", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Also check that this scorecard only names rules of the pack.")
def rules_check(pack: Path, scorecard: Path | None) -> None:
    """Validate a rule pack and run every rule's examples."""
    from qa_engine.rules.engine import RuleEngine
    from qa_engine.rules.examples import run_examples
    from qa_engine.rules.loader import load_pack
    from qa_engine.scoring.scorecard import check_against_pack, load_scorecard

    try:
        loaded = load_pack(pack)
        if scorecard is not None:
            check_against_pack(load_scorecard(scorecard), {r.id for r in loaded.pack.rules})
    except PackErrors as exc:
        for error in exc.errors:
            click.echo(f"error: {error}", err=True)
        sys.exit(EXIT_FAILED)
    engine = RuleEngine(loaded)
    count, failures = run_examples(engine)
    for failure in failures:
        click.echo(f"error: {pack}: {failure}", err=True)
    rules = len(loaded.pack.rules)
    without = [r.id for r in loaded.pack.rules if not (r.examples.hit or r.examples.no_hit)]
    for rule_id in without:
        click.echo(f"warning: {pack}: rule {rule_id}: no examples", err=True)
    click.echo(f"{pack}: {rules} rules, {count} examples, {len(failures)} failed")
    sys.exit(EXIT_PARTIAL if failures else EXIT_OK)


@rules_group.command("test")
@click.argument("pack", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("conversation", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@analyzers_option
def rules_test(pack: Path, conversation: Path, analyzers: str | None) -> None:
    """Show which rules of PACK fire on CONVERSATION, and why (or why they do not apply)."""
    from qa_engine.ingest import read_path
    from qa_engine.pipeline import build_analyzers
    from qa_engine.rules.engine import RuleEngine
    from qa_engine.rules.loader import load_pack

    try:
        engine = RuleEngine(load_pack(pack))
    except PackErrors as exc:
        for error in exc.errors:
            click.echo(f"error: {error}", err=True)
        sys.exit(EXIT_FAILED)
    names = tuple(a.strip() for a in analyzers.split(",")) if analyzers else ("chat_timing", "turn_taking")
    pipeline, _ = build_analyzers(names, {})
    failed = False
    for item in read_path(conversation):
        if not hasattr(item, "utterances"):
            click.echo(f"error: {item}", err=True)
            failed = True
            continue
        for analyzer in pipeline:
            analyzer.analyze(item)
        evaluation = engine.evaluate(item)
        click.echo(f"== {item.id} ({item.channel.value}, {len(item.utterances)} utterances)")
        hits_by_rule: dict[str, list] = {}
        for hit in evaluation.hits:
            hits_by_rule.setdefault(hit.rule_id, []).append(hit)
        for status in evaluation.statuses:
            if not status.applicable:
                click.echo(f"   n/a   {status.rule_id}: {status.reason}")
            elif status.hits:
                for hit in hits_by_rule[status.rule_id]:
                    where = f"utterances {','.join(str(i + 1) for i in hit.utterance_indices)}" if hit.utterance_indices else ""
                    if hit.window:
                        where = f"searched {','.join(str(i + 1) for i in hit.window.utterance_indices)}"
                    click.echo(f"   HIT   {status.rule_id} [{hit.severity}] {hit.explanation} ({where})")
            else:
                click.echo(f"   pass  {status.rule_id}")
    sys.exit(EXIT_PARTIAL if failed else EXIT_OK)


@main.command("schema")
def schema_command() -> None:
    """Print the JSON Schema of the score result (the output contract)."""
    from qa_engine.contract import result_json_schema

    click.echo(json.dumps(result_json_schema(), ensure_ascii=False, indent=2))


def _attach_optional_commands() -> None:
    """Commands owned by other parts of the engine; absent extras leave them out, not broken."""
    from qa_engine.kpi.cli import kpi_command

    main.add_command(kpi_command, "kpi")
    from qa_engine.demo import demo_command

    main.add_command(demo_command, "demo")
    from qa_engine.batch import batch_command

    main.add_command(batch_command, "batch")
    models = None
    try:
        from qa_engine.audio.cli import models_group

        models = models_group
    except ImportError:
        models = click.Group("models", help="Fetch and train models.")
    try:
        from qa_engine.emotion.train import train_emotion_command

        models.add_command(train_emotion_command, "train-emotion")
    except ImportError:
        pass
    main.add_command(models, "models")
    # Other packages (the service in api/) plug commands in through an entry point, so the
    # engine never imports them; a plug-in whose extra is not installed is left out.
    from importlib.metadata import entry_points

    for entry in entry_points(group="qa_engine.cli"):
        try:
            commands = entry.load()
        except ImportError:
            continue
        for name, command in commands.items():
            main.add_command(command, name)


_attach_optional_commands()


if __name__ == "__main__":
    main()
