"""``qa-engine batch``: real worker processes, interrupted and resumed, a worker killed, and
failures reported."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from qa_engine.batch import run_local
from tests.api.conftest import TEST_ANALYZERS, chat

ROOT = Path(__file__).resolve().parents[2]
ANALYZERS = tuple(TEST_ANALYZERS.split(","))


def make_inputs(folder: Path, files: int, per_file: int) -> set[str]:
    folder.mkdir(parents=True, exist_ok=True)
    ids = set()
    for f in range(files):
        lines = []
        for i in range(per_file):
            cid = f"f{f}-c{i}"
            ids.add(cid)
            lines.append(json.dumps(chat(cid), ensure_ascii=False))
        (folder / f"part{f:03d}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return ids


def scored_ids(out: Path) -> Counter:
    counts: Counter = Counter()
    for file in out.glob("*.results.jsonl"):
        for line in file.read_text(encoding="utf-8").splitlines():
            counts[json.loads(line)["conversation_id"]] += 1
    return counts


def test_interrupted_batch_resumes_and_scores_everything_once(tmp_path):
    ids = make_inputs(tmp_path / "in", files=24, per_file=20)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "qa_engine.cli", "batch", str(tmp_path / "in"), "--workers", "2", "--out", str(out),
           "--analyzers", TEST_ANALYZERS, "--no-progress", "--summary-json", str(tmp_path / "summary.json")]
    first = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 90
    while len(list(out.glob("*.results.jsonl"))) < 3:  # some files complete, most not yet
        assert first.poll() is None, first.communicate()[1].decode()
        assert time.monotonic() < deadline, "no results appeared"
        time.sleep(0.02)
    os.killpg(first.pid, signal.SIGKILL)  # the whole run, workers included: no clean-up at all
    first.wait(timeout=10)
    complete_before = {p.name for p in out.glob("*.results.jsonl")}
    assert 3 <= len(complete_before) < 24
    for name in complete_before:  # a file that exists is complete: it has every conversation of its input
        assert len((out / name).read_text(encoding="utf-8").splitlines()) == 20

    second = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert second.returncode == 0, second.stderr
    summary = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    assert summary["skipped"] == len(complete_before)
    assert summary["done"] == 24 - len(complete_before) and summary["failed"] == {}
    assert summary["scored"] == 20 * (24 - len(complete_before))
    counts = scored_ids(out)
    assert set(counts) == ids and set(counts.values()) == {1}
    assert not list(out.glob("*.partial"))  # the killed run's half-written files were redone and renamed
    assert "skipped (already complete)" in second.stderr


def test_failures_are_reported_with_reasons_and_exit_1(tmp_path):
    ids = make_inputs(tmp_path / "in", files=3, per_file=5)
    (tmp_path / "in" / "broken.json").write_text('{"id": "x", "utterances": [', encoding="utf-8")
    bad_record = chat("bad-1")
    bad_record["utterances"][0]["speaker"] = 42  # one invalid record among valid ones
    (tmp_path / "in" / "mixed.jsonl").write_text(json.dumps(chat("ok-1")) + "\n" + json.dumps(bad_record) + "\n",
                                                 encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "qa_engine.cli", "batch", str(tmp_path / "in"), "-n", "2",
                             "--out", str(tmp_path / "out"), "--analyzers", TEST_ANALYZERS, "--no-progress"],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1, result.stderr
    assert "2 records failed" in result.stderr
    assert "broken.json" in result.stderr and "mixed.jsonl" in result.stderr
    assert set(scored_ids(tmp_path / "out")) == ids | {"ok-1"}


def test_a_killed_worker_process_is_replaced_and_its_file_retried(tmp_path):
    ids = make_inputs(tmp_path / "in", files=12, per_file=30)
    files = sorted((tmp_path / "in").glob("*.jsonl"))
    killed: list[int] = []

    def kill_one_worker(_outcome) -> None:  # after the first file completes, SIGKILL a busy worker
        if not killed:
            children = multiprocessing.active_children()
            assert children
            killed.append(children[0].pid)
            os.kill(children[0].pid, signal.SIGKILL)

    summary = run_local(files, tmp_path / "in", tmp_path / "out", workers=2, analyzers=ANALYZERS,
                        on_file=kill_one_worker)
    assert killed
    assert summary.failed == {} and summary.done == 12 and summary.scored == 360
    counts = scored_ids(tmp_path / "out")
    assert set(counts) == ids and set(counts.values()) == {1}
