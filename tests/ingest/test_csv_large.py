"""A generated chat export with interleaved, unsorted conversations: 2 MB always, 50 MB as slow.

Run the big one with ``pytest -m slow tests/ingest/test_csv_large.py -s`` to print time and
peak memory.
"""

from __future__ import annotations

import csv
import random
import resource
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from qa_engine.ingest import IngestError, read_path
from qa_engine.types import Conversation, Speaker

_PHRASES = ["您好，很高兴为您服务，请问有什么可以帮您？", "我的订单三天了还没有到账，怎么回事", "请稍等，我帮您查询一下",
            "這個問題我們會盡快處理", "好的谢谢", "还有其他可以帮您的吗？", "我要投诉，你们太慢了", "非常抱歉给您带来不便"]


def generate(path: Path, target_bytes: int, *, open_conversations: int = 500, seed: int = 7) -> dict[str, int]:
    """Write rows of many concurrent chats (rows interleaved, times shuffled a little);
    return conversation id -> number of rows, in order of first appearance."""
    rng = random.Random(seed)
    base = datetime(2026, 11, 2, 9, 0, tzinfo=timezone(timedelta(hours=8)))
    counts: dict[str, int] = {}
    first_row: dict[str, int] = {}
    clocks: dict[str, float] = {}
    active: list[str] = []
    next_id = 0
    written = 0
    with open(path, "w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["会话ID", "发送方", "消息内容", "发送时间", "坐席工号", "班组", "客户ID", "meta_queue"])
        while written < target_bytes:
            if len(active) < open_conversations or rng.random() < 0.02:
                cid = f"S{next_id:07d}"
                next_id += 1
                active.append(cid)
                counts[cid], clocks[cid] = 0, rng.uniform(0, 3600)
            cid = rng.choice(active)
            clocks[cid] += rng.uniform(1, 40)
            jitter = -0.5 if rng.random() < 0.05 else 0.0  # a few rows arrive out of order
            when = base + timedelta(seconds=round(clocks[cid] + jitter, 3))
            row = [cid, rng.choice(["客服", "客户"]), rng.choice(_PHRASES) + str(rng.randint(0, 99999)),
                   when.isoformat(sep=" ", timespec="milliseconds"), f"A{int(cid[1:]) % 300:03d}",
                   "T1", f"U{cid[1:]}", "vip" if counts[cid] == 0 and rng.random() < 0.1 else ""]
            out.writerow(row)
            written += sum(len(c.encode()) for c in row) + len(row) + 1
            first_row.setdefault(cid, len(first_row))
            counts[cid] += 1
            if counts[cid] >= rng.randint(8, 60):
                active.remove(cid)
    return {cid: counts[cid] for cid in sorted(first_row, key=first_row.__getitem__)}


def check(path: Path, counts: dict[str, int]) -> tuple[int, int]:
    seen = rows = 0
    expected_order = iter(counts)
    for item in read_path(path):
        assert isinstance(item, Conversation), str(item) if isinstance(item, IngestError) else item
        assert item.id == next(expected_order)
        assert len(item.utterances) == counts[item.id]
        starts = [u.start for u in item.utterances]
        assert starts == sorted(starts) and starts[0] == 0.0
        assert item.utterances[0].speaker in (Speaker.agent, Speaker.customer)
        seen += 1
        rows += len(item.utterances)
    assert seen == len(counts)
    return seen, rows


def test_two_megabyte_export(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    counts = generate(path, 2_000_000, open_conversations=100)
    check(path, counts)


@pytest.mark.slow
def test_fifty_megabyte_export(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    counts = generate(path, 50_000_000)
    size = path.stat().st_size
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    conversations, rows = check(path, counts)
    elapsed = time.perf_counter() - started
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"\n{size / 1e6:.1f} MB, {rows} rows, {conversations} conversations: {elapsed:.1f} s, "
          f"peak RSS {rss_after / 1024:.0f} MiB (was {rss_before / 1024:.0f} MiB before reading)")
    assert elapsed < 180  # generous for loaded CI machines; ~10-13 s of CPU on one core
