"""Utterances per second per core: bundled model vs snownlp vs the transformers backend (tiny model).

Run: python bench/bench_emotion.py [--n 1770] [--repeats 5] [--json out.json]
Every backend runs on one thread (BLAS/OpenMP/torch limited to 1) over the same distinct
call-centre utterances (no line repeats within a pass), after a warm-up, so numbers are per core.
Model loading is not timed. No backend keeps a cache keyed by text, so a pass cannot reuse an
earlier pass's work (if one is ever added, clear it before every pass here). The default model
and snownlp passes are interleaved (default, snownlp, default, ...) so both see the same machine
load; each figure is the best of ``--repeats`` passes, by wall clock and by process CPU time
(the CPU figure is the steadier one on a shared machine).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # must happen before numpy/torch are imported

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from qa_engine.emotion.data import load_callcentre  # noqa: E402


def utterances(n: int) -> tuple[list[str], list[str]]:
    rows = load_callcentre("train") + load_callcentre("heldout")
    rows = (rows * (n // len(rows) + 1))[:n]
    return [r.text for r in rows], [r.speaker for r in rows]


def one_pass(fn, texts, speakers, batch: int) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one pass over ``texts`` in batches."""
    wall, cpu = time.perf_counter(), time.process_time()
    for i in range(0, len(texts), batch):
        fn(texts[i : i + batch], speakers[i : i + batch])
    return time.perf_counter() - wall, time.process_time() - cpu


def rates(runs: dict, repeats: int) -> dict[str, tuple[float, float]]:
    """Best (wall, CPU) utterances/s of each run in ``runs`` (name -> fn, texts, speakers, batch),
    passes interleaved across runs; warm-up first (jieba dictionary, torch kernels)."""
    for fn, texts, speakers, batch in runs.values():
        fn(texts[:batch], speakers[:batch])
    best = {name: (0.0, 0.0) for name in runs}
    for _ in range(repeats):
        for name, (fn, texts, speakers, batch) in runs.items():
            wall, cpu = one_pass(fn, texts, speakers, batch)
            best[name] = (max(best[name][0], len(texts) / wall), max(best[name][1], len(texts) / max(cpu, 1e-9)))
    return best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1770, help="default: every distinct line of the data set once")
    parser.add_argument("--snownlp-n", type=int, default=300, help="snownlp is slow; fewer lines suffice")
    parser.add_argument("--repeats", type=int, default=5, help="passes per backend; the best counts")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    texts, speakers = utterances(args.n)
    assert len(set(zip(texts, speakers))) == len(texts), "utterances must be distinct (use --n <= data size)"
    mean_chars = sum(map(len, texts)) / len(texts)

    from qa_engine.emotion.linear import LinearSentimentModel

    default = LinearSentimentModel()
    runs = {"default": (default.predict, texts, speakers, 256)}
    try:
        from snownlp import SnowNLP

        runs["snownlp"] = (lambda t, s: [SnowNLP(x).sentiments for x in t], texts[: args.snownlp_n],
                           speakers[: args.snownlp_n], 50)
    except ImportError:
        print("snownlp not installed (pip install 'qa-engine[train]'): baseline skipped", file=sys.stderr)
    results = rates(runs, args.repeats)

    try:
        import torch

        from qa_engine.emotion.hf import TransformersSentimentModel, build_tiny_model, herbal_vocab

        torch.set_num_threads(1)
        with tempfile.TemporaryDirectory() as tmp:
            tiny = TransformersSentimentModel(build_tiny_model(tmp, herbal_vocab()), device="cpu", batch_size=64)
            results |= rates({"transformers_tiny": (tiny.predict, texts, speakers, 64)}, args.repeats)
    except (ImportError, FileNotFoundError) as exc:
        print(f"transformers backend skipped: {exc}", file=sys.stderr)

    report = {"utterances": len(texts), "mean_chars": round(mean_chars, 1), "threads": 1, "repeats": args.repeats,
              "load_average": [round(x, 2) for x in os.getloadavg()],
              "utterances_per_second": {k: round(v[0], 1) for k, v in results.items()},
              "cpu_utterances_per_second": {k: round(v[1], 1) for k, v in results.items()}}
    if "snownlp" in results:
        report["default_vs_snownlp"] = round(results["default"][0] / results["snownlp"][0], 1)
        report["default_vs_snownlp_cpu"] = round(results["default"][1] / results["snownlp"][1], 1)
    print(json.dumps(report, indent=2))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
