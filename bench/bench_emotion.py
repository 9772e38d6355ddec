"""Utterances per second per core: bundled model vs snownlp vs the transformers backend (tiny model).

Run: python bench/bench_emotion.py [--n 2000] [--json out.json]
Every backend runs on one thread (BLAS/OpenMP/torch limited to 1) over the same call-centre
utterances, after a warm-up, so numbers are per core. Model loading is not timed.
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


def rate(fn, texts, speakers, batch: int, repeats: int = 3) -> float:
    """Best of ``repeats`` passes: the least disturbed by other work on a shared machine."""
    fn(texts[:batch], speakers[:batch])  # warm-up: jieba dictionary, torch kernels
    best = 0.0
    for _ in range(repeats):
        started = time.perf_counter()
        for i in range(0, len(texts), batch):
            fn(texts[i : i + batch], speakers[i : i + batch])
        best = max(best, len(texts) / (time.perf_counter() - started))
    return best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1770, help="default: every distinct line of the data set once")
    parser.add_argument("--snownlp-n", type=int, default=300, help="snownlp is slow; fewer lines suffice")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    texts, speakers = utterances(args.n)
    mean_chars = sum(map(len, texts)) / len(texts)
    results: dict[str, float] = {}

    from qa_engine.emotion.linear import LinearSentimentModel

    default = LinearSentimentModel()
    results["default"] = rate(default.predict, texts, speakers, 256)

    try:
        from snownlp import SnowNLP

        results["snownlp"] = rate(lambda t, s: [SnowNLP(x).sentiments for x in t], texts[: args.snownlp_n],
                                  speakers[: args.snownlp_n], 50)
    except ImportError:
        print("snownlp not installed (pip install 'qa-engine[train]'): baseline skipped", file=sys.stderr)

    try:
        import torch

        from qa_engine.emotion.hf import TransformersSentimentModel, build_tiny_model, herbal_vocab

        torch.set_num_threads(1)
        with tempfile.TemporaryDirectory() as tmp:
            tiny = TransformersSentimentModel(build_tiny_model(tmp, herbal_vocab()), device="cpu", batch_size=64)
            results["transformers_tiny"] = rate(tiny.predict, texts, speakers, 64)
    except (ImportError, FileNotFoundError) as exc:
        print(f"transformers backend skipped: {exc}", file=sys.stderr)

    report = {"utterances": len(texts), "mean_chars": round(mean_chars, 1), "threads": 1,
              "utterances_per_second": {k: round(v, 1) for k, v in results.items()}}
    if "snownlp" in results:
        report["default_vs_snownlp"] = round(results["default"] / results["snownlp"], 1)
    print(json.dumps(report, indent=2))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
