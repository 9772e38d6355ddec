"""``qa-engine batch DIR --workers N``: bulk backfill on one machine, one Engine per process.

* **Parallel**: files are the unit of work, spread over N processes (``spawn``: each builds its
  own Engine — rule pack compiled, models loaded — once, in its initializer).
* **Resumable**: each input's results are written to a temporary name and renamed when the
  whole file is scored (qa_engine.runner.ScoreRun), so a results file that exists is complete;
  a re-run skips those inputs and redoes only the rest (leftover ``.partial`` files are
  overwritten).
* **Crash-tolerant**: a worker process that dies (OOM, a native crash in a decoder) breaks the
  pool; the files that were in flight are retried once in a fresh pool and reported as failed
  if they break it again. Other files are not affected.
* **Summary**: files done / skipped / failed (with reasons), conversations scored, records that
  could not be read or scored (with reasons), wall time and throughput. Exit status 0 when
  nothing failed, 1 when something did (listed), 2 when nothing could be done.

Other executors (``--executor celery``: submit to the service's job table and broker) register
themselves in :data:`EXECUTORS` from their own package, so the engine never imports the service.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from multiprocessing import get_context
from pathlib import Path

import click

from qa_engine.pipeline import DEFAULT_PACK, DEFAULT_SCORECARD
from qa_engine.runner import EXCLUDE_HELP

EXIT_OK, EXIT_PARTIAL, EXIT_FAILED = 0, 1, 2
MAX_CRASHES = 2  # a file that kills its worker this many times is reported, not retried forever

# name -> callable(path, options dict) -> exit status; "local" is this module's.
EXECUTORS: dict[str, Callable[..., int]] = {}


@dataclass
class FileOutcome:
    file: str
    scored: int = 0
    flagged: int = 0
    conversations: int = 0
    errors: list[str] = field(default_factory=list)  # records that could not be read or scored
    failed: str | None = None  # the whole file failed (exception, crash): not marked complete
    seconds: float = 0.0


@dataclass
class BatchSummary:
    files: int = 0
    skipped: int = 0  # already complete from an earlier run
    done: int = 0
    failed: dict[str, str] = field(default_factory=dict)  # file -> reason
    scored: int = 0
    flagged: int = 0
    record_errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    cpu_seconds: float = 0.0  # summed over the worker processes' scoring time
    workers: int = 1

    @property
    def rate(self) -> float:
        return self.scored / self.seconds if self.seconds > 0 else 0.0

    @property
    def cpu_rate(self) -> float:
        """Conversations per CPU-second of scoring (without process start-up): for sizing."""
        return self.scored / self.cpu_seconds if self.cpu_seconds > 0 else 0.0

    def describe(self) -> str:
        lines = [f"batch: {self.files} files: {self.done} done, {self.skipped} skipped (already complete), "
                 f"{len(self.failed)} failed; {self.scored} conversations scored ({self.flagged} need review), "
                 f"{len(self.record_errors)} records failed; {self.seconds:.1f}s with {self.workers} workers "
                 f"({self.rate:.1f} conversations/s incl. start-up; {self.cpu_rate:.1f} per CPU-second of scoring)"]
        lines += [f"failed: {file}: {reason}" for file, reason in sorted(self.failed.items())]
        lines += [f"record failed: {error}" for error in self.record_errors[:200]]
        if len(self.record_errors) > 200:
            lines.append(f"... and {len(self.record_errors) - 200} more record failures")
        return "\n".join(lines)


# ----------------------------------------------------------------------------- worker process

_worker: dict = {}


def _init_worker(rules: str, scorecard: str, analyzers: tuple[str, ...] | None, batch_size: int) -> None:
    """Runs once in each worker process: the Engine is built here and reused for every file."""
    import signal

    from qa_engine.pipeline import Engine, EngineConfig
    from qa_engine.runner import ScoreRun

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    config = EngineConfig(rules=Path(rules), scorecard=Path(scorecard))
    if analyzers is not None:
        config.analyzers = analyzers
    _worker["run"] = ScoreRun(Engine(config), batch_size=batch_size)


def _score_file(file: str, root: str, out_dir: str) -> FileOutcome:
    started = time.process_time()
    outcome = FileOutcome(file=file)
    try:
        summary = _worker["run"].run([Path(file)], out_dir=Path(out_dir), root=Path(root))
    except Exception as exc:  # noqa: BLE001 - reported per file; the results file is not renamed
        outcome.failed = f"{type(exc).__name__}: {exc}"
    else:
        outcome.scored, outcome.flagged, outcome.errors = summary.scored, summary.flagged, summary.errors
        outcome.conversations = summary.conversations
    outcome.seconds = time.process_time() - started
    return outcome


# ----------------------------------------------------------------------------- parent


def plan(inputs: list[Path], root: Path, out_dir: Path) -> tuple[list[Path], list[Path]]:
    """Split inputs into (to do, already complete)."""
    from qa_engine.runner import result_name

    todo, complete = [], []
    for file in inputs:
        (complete if (out_dir / result_name(file, root)).is_file() else todo).append(file)
    return todo, complete


def run_local(inputs: list[Path], root: Path, out_dir: Path, *, workers: int, rules: Path = DEFAULT_PACK,
              scorecard: Path = DEFAULT_SCORECARD, analyzers: tuple[str, ...] | None = None, batch_size: int = 64,
              progress: bool = False, on_file: Callable[[FileOutcome], None] | None = None) -> BatchSummary:
    out_dir.mkdir(parents=True, exist_ok=True)
    todo, complete = plan(inputs, root, out_dir)
    summary = BatchSummary(files=len(inputs), skipped=len(complete), workers=workers)
    started = time.perf_counter()
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(inputs), initial=len(complete), unit="file", file=sys.stderr, dynamic_ncols=True)
    crashes: dict[Path, int] = {}
    pending = list(todo)
    init = (str(rules), str(scorecard), analyzers, batch_size)
    while pending:
        broken: list[Path] = []
        # spawn, not fork: a fresh interpreter per worker; nothing (threads, locks, the progress
        # bar's monitor thread) is inherited half-way.
        with ProcessPoolExecutor(max_workers=min(workers, len(pending)), mp_context=get_context("spawn"),
                                 initializer=_init_worker, initargs=init) as pool:
            futures: dict[Future, Path] = {pool.submit(_score_file, str(f), str(root), str(out_dir)): f
                                           for f in pending}
            try:
                remaining = set(futures)
                while remaining:
                    finished, remaining = wait(remaining, return_when=FIRST_COMPLETED)
                    for future in finished:
                        file = futures[future]
                        try:
                            outcome = future.result()
                        except BrokenProcessPool:
                            broken.append(file)
                            continue
                        _record(summary, outcome)
                        if on_file is not None:
                            on_file(outcome)
                        if bar is not None:
                            bar.update(1)
                            bar.set_postfix(scored=summary.scored, failed=len(summary.failed))
            except KeyboardInterrupt:
                pool.shutdown(wait=False, cancel_futures=True)
                if bar is not None:
                    bar.close()
                raise
        pending = []
        for file in broken:
            crashes[file] = crashes.get(file, 0) + 1
            if crashes[file] >= MAX_CRASHES:
                summary.failed[str(file)] = f"the worker process died {crashes[file]} times on this file"
                if bar is not None:
                    bar.update(1)
            else:
                pending.append(file)  # in flight (or queued) when a worker died: try again
    if bar is not None:
        bar.close()
    summary.seconds = time.perf_counter() - started
    return summary


def _record(summary: BatchSummary, outcome: FileOutcome) -> None:
    summary.cpu_seconds += outcome.seconds
    if outcome.failed:
        summary.failed[outcome.file] = outcome.failed
        return
    summary.done += 1
    summary.scored += outcome.scored
    summary.flagged += outcome.flagged
    summary.record_errors.extend(outcome.errors)


def _local_executor(path: Path, options: dict) -> int:
    from qa_engine.runner import ScoreRun

    inputs = ScoreRun.inputs(path, options.get("exclude", ()))
    if not inputs:
        click.echo(f"error: no conversation files (.json, .jsonl, .csv, audio) under {path}", err=True)
        return EXIT_FAILED
    root = path if path.is_dir() else path.parent
    out = options["out"] or Path(f"{path.resolve()}.results")
    summary = run_local(inputs, root, out, workers=options["workers"], rules=options["rules"],
                        scorecard=options["scorecard"], analyzers=options["analyzers"],
                        batch_size=options["batch_size"], progress=options["progress"])
    click.echo(summary.describe(), err=True)
    click.echo(f"results in {out}", err=True)
    if options["summary_json"] is not None:
        data = asdict(summary) | {"conversations_per_second": round(summary.rate, 3),
                                  "conversations_per_cpu_second": round(summary.cpu_rate, 3), "out": str(out)}
        _write_json(options["summary_json"], data)
    return EXIT_PARTIAL if summary.failed or summary.record_errors else EXIT_OK


def _write_json(path: Path, data: dict) -> None:
    tmp = path.with_name(path.name + ".partial")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    os.replace(tmp, path)


EXECUTORS["local"] = _local_executor


@click.command("batch")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--workers", "-n", default=os.cpu_count() or 1, show_default="CPU count",
              type=click.IntRange(1, 512), help="Worker processes (local executor); one engine each.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Results folder, one JSON Lines file per input (default: PATH.results). Re-running with "
                   "the same folder skips inputs already complete.")
@click.option("--executor", default="local", show_default=True,
              help="local (processes on this machine) or celery (submit to the service's job table and "
                   "broker, QA_* settings; needs the service and distributed extras).")
@click.option("--rules", type=click.Path(path_type=Path, dir_okay=False), default=DEFAULT_PACK, show_default=True)
@click.option("--scorecard", type=click.Path(path_type=Path, dir_okay=False), default=DEFAULT_SCORECARD,
              show_default=True)
@click.option("--analyzers", default=None, help="Comma-separated analyzer pipeline (default: the engine's).")
@click.option("--batch-size", default=64, show_default=True, help="Conversations analysed together.")
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: on a terminal).")
@click.option("--summary-json", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the summary as JSON here.")
@click.option("--wait/--no-wait", default=True, help="celery: wait for the results and summarise (default).")
@click.option("--exclude", multiple=True, metavar="GLOB", help=EXCLUDE_HELP)
def batch_command(path: Path, workers: int, out: Path | None, executor: str, rules: Path, scorecard: Path,
                  analyzers: str | None, batch_size: int, progress: bool | None, summary_json: Path | None,
                  wait: bool, exclude: tuple[str, ...]) -> None:  # noqa: A002
    """Backfill: score every conversation file under PATH in parallel, resumably, with a summary."""
    runner = EXECUTORS.get(executor)
    if runner is None:
        hint = " (install the service and distributed extras)" if executor == "celery" else ""
        raise click.UsageError(f"unknown executor {executor!r}{hint}; available: {', '.join(sorted(EXECUTORS))}")
    options = dict(workers=workers, out=out, rules=rules, scorecard=scorecard, batch_size=batch_size,
                   analyzers=tuple(a.strip() for a in analyzers.split(",") if a.strip()) if analyzers else None,
                   progress=sys.stderr.isatty() if progress is None else progress, summary_json=summary_json,
                   wait=wait, exclude=exclude)
    sys.exit(runner(path, options))
