"""Score files and folders: read, analyse in batches, write results, report failures at the end.

A bad record is reported and skipped, never fatal; a conversation that crashes an analyzer is
retried alone so one poison record cannot take its batch with it. Result files are written to a
temporary name and renamed when complete, so an interrupted run never leaves half a file.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from qa_engine.ingest import IngestError, iter_inputs, read_path
from qa_engine.pipeline import Engine
from qa_engine.types import Conversation, ScoreResult


@dataclass
class RunSummary:
    files: int = 0
    conversations: int = 0
    scored: int = 0
    flagged: int = 0
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def describe(self) -> str:
        rate = self.scored / self.seconds if self.seconds else 0.0
        return (f"{self.files} files, {self.scored} conversations scored, {self.flagged} need review, "
                f"{len(self.errors)} failed, {self.seconds:.1f}s ({rate:.0f} conversations/s)")


EXCLUDE_HELP = ("Skip files whose name or path under PATH matches this glob, e.g. '*.timeline.json' "
                "(repeatable).")


class ScoreRun:
    def __init__(self, engine: Engine, batch_size: int = 64, read_options: dict | None = None) -> None:
        self.engine = engine
        self.batch_size = max(1, batch_size)
        self.read_options = read_options or {}  # csv_columns, speaker_map, default_tz for read_path

    @staticmethod
    def inputs(path: Path, exclude: Sequence[str] = ()) -> list[Path]:
        return iter_inputs(path, exclude) if path.is_dir() else [path]

    def run(self, files: list[Path], *, out_dir: Path | None = None,
            emit: Callable[[ScoreResult], None] | None = None, progress: bool = False,
            root: Path | None = None) -> RunSummary:
        summary = RunSummary(files=len(files))
        started = time.perf_counter()
        bar = None
        if progress:
            from tqdm import tqdm

            bar = tqdm(total=len(files), unit="file", file=sys.stderr, dynamic_ncols=True)
        for file in files:
            if out_dir is not None:
                target = out_dir / result_name(file, root)
                partial = target.with_name(target.name + ".partial")
                with partial.open("w", encoding="utf-8") as stream:
                    self._score_file(file, summary, lambda r, s=stream: _write(s, r))
                os.replace(partial, target)
            else:
                self._score_file(file, summary, emit or (lambda r: _write(sys.stdout, r)))
            if bar is not None:
                bar.update(1)
                bar.set_postfix(scored=summary.scored, failed=len(summary.errors))
        if bar is not None:
            bar.close()
        summary.seconds = time.perf_counter() - started
        return summary

    def _score_file(self, file: Path, summary: RunSummary, sink: Callable[[ScoreResult], None]) -> None:
        batch: list[Conversation] = []
        for item in read_path(file, **self.read_options):
            if isinstance(item, IngestError):
                summary.errors.append(str(item))
                continue
            summary.conversations += 1
            batch.append(item)
            if len(batch) >= self.batch_size:
                self._score_batch(batch, summary, sink)
                batch = []
        if batch:
            self._score_batch(batch, summary, sink)

    def _score_batch(self, batch: list[Conversation], summary: RunSummary,
                     sink: Callable[[ScoreResult], None]) -> None:
        try:
            results = self.engine.score_many(batch)
        except Exception:  # noqa: BLE001 - isolate the poison record, keep the rest
            results = []
            for conversation in batch:
                try:
                    results.append(self.engine.score(conversation))
                except Exception as exc:  # noqa: BLE001
                    summary.errors.append(f"{conversation.source or conversation.id}: conversation "
                                          f"{conversation.id}: could not be scored: {type(exc).__name__}: {exc}")
        for result in results:
            summary.scored += 1
            summary.flagged += result.needs_review
            sink(result)


def result_name(file: Path, root: Path | None) -> str:
    try:
        relative = file.resolve().relative_to(root.resolve()) if root else Path(file.name)
    except ValueError:
        relative = Path(file.name)
    return "__".join(relative.parts) + ".results.jsonl"


def _write(stream: TextIO, result: ScoreResult) -> None:
    stream.write(result.model_dump_json() + "\n")
