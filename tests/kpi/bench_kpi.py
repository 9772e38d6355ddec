"""Time load -> compute -> export on synthetic results: python tests/kpi/bench_kpi.py [N]."""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic import synthetic_dicts  # noqa: E402

from qa_engine.kpi import compute_kpis, load_profile, load_results, write_csv, write_xlsx  # noqa: E402


def main(n: int) -> None:
    config = load_profile(Path(__file__).resolve().parents[2] / "rules" / "kpi" / "default.yaml")
    dicts = synthetic_dicts(n, utterances=20)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "results"
        folder.mkdir()
        per_file = 10_000
        for k in range(0, n, per_file):
            lines = (json.dumps(d, ensure_ascii=False) for d in dicts[k:k + per_file])
            (folder / f"part-{k // per_file:04d}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
        size = sum(p.stat().st_size for p in folder.iterdir()) / 2**20
        del dicts
        t0 = time.perf_counter()
        loaded = load_results(folder)
        t1 = time.perf_counter()
        report = compute_kpis(loaded.results, config, "2026-11")
        t2 = time.perf_counter()
        write_xlsx(report, config, Path(tmp) / "kpi.xlsx")
        t3 = time.perf_counter()
        write_csv(report, Path(tmp) / "csv")
        t4 = time.perf_counter()
    print(f"{n} results ({size:.0f} MiB JSONL, 20 utterances each): load {t1 - t0:.2f}s, "
          f"compute {t2 - t1:.2f}s ({report.counts['in_period']} in 2026-11, {len(report.agents)} agents, "
          f"{len(report.teams)} teams), xlsx {t3 - t2:.2f}s, csv {t4 - t3:.2f}s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
