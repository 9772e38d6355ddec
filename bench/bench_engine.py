"""Engine throughput and keyword-list scaling, measured in one run.

    python bench/bench_engine.py [--n 2228] [--repeat 3]

1. Conversations per second per core for the whole chat pipeline (timing analyzers, rules,
   scorecard) on the STC-3 dialogues (single process = one core).
2. Rule-matching time with the default pack vs the same pack with every keyword list grown 10×
   (random 2–4 character words), on the same conversations: the ratio shows that matching
   costs one automaton pass per utterance, not one scan per keyword.
3. The same 10× growth with a naive matcher (a loop of ``str.find`` per keyword) as the
   baseline for what a regex/keyword loop would cost.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa_engine.evaluation.stc3 import load_stc3  # noqa: E402
from qa_engine.pipeline import DEFAULT_PACK, Engine, EngineConfig  # noqa: E402
from qa_engine.rules.engine import RuleEngine  # noqa: E402
from qa_engine.rules.loader import load_pack  # noqa: E402

STC3 = ROOT.parent / "shared" / "datasets" / "stc3" / "dev.jsonl"
# lexicon growth adds specific phrases: random characters from the whole common CJK block
CHARS = "".join(chr(c) for c in range(0x4E00, 0x9FA6))


def grow(pack_path: Path, factor: int, out_dir: Path, seed: int = 7) -> Path:
    """Copy the pack with every keyword list and lexicon grown ``factor`` times."""
    rng = random.Random(seed)

    def filler(n: int) -> list[str]:
        return ["".join(rng.choice(CHARS) for _ in range(rng.randint(2, 4))) for _ in range(n)]

    data = yaml.safe_load(pack_path.read_text(encoding="utf-8"))
    shutil.copytree(pack_path.parent / "lexicons", out_dir / "lexicons", dirs_exist_ok=True)
    for name, value in list(data.get("lexicons", {}).items()):
        words = value if isinstance(value, list) else [
            w.strip() for w in (pack_path.parent / value).read_text(encoding="utf-8").splitlines()
            if w.strip() and not w.startswith("#")]
        data["lexicons"][name] = words + filler(len(words) * (factor - 1))
    for rule in data["rules"]:
        conditions = list(rule["conditions"].values()) + ([rule["anchor"]["condition"]]
                                                          if rule.get("anchor", {}).get("condition") else [])
        for cond in conditions:
            kw = cond.get("keywords")
            if kw:
                key = next((k for k in ("any", "all", "none", "words") if k in kw), None)
                if key and key != "all":
                    kw[key] = list(kw[key]) + filler(len(kw[key]) * (factor - 1))
    target = out_dir / "pack.yaml"
    target.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return target


def naive_seconds(engine: RuleEngine, texts: list[str]) -> float:
    phrases = sorted(engine.index.phrases)
    started = time.perf_counter()
    for text in texts:
        for phrase in phrases:
            start = text.find(phrase)
            while start != -1:
                start = text.find(phrase, start + 1)
    return time.perf_counter() - started


def match_seconds(engine: RuleEngine, conversations, repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        for conversation in conversations:
            engine.evaluate(conversation)
        runs.append(time.perf_counter() - started)
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2228)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    dialogues = [d.conversation for d in load_stc3(STC3)][: args.n]
    utterances = sum(len(c.utterances) for c in dialogues)

    engine = Engine(EngineConfig(analyzers=("chat_timing", "turn_taking")))
    runs = []
    for _ in range(args.repeat):
        batch = [c.model_copy(deep=True) for c in dialogues]
        started = time.process_time()
        engine.score_many(batch)
        runs.append(time.process_time() - started)
    cpu = statistics.median(runs)
    print(f"pipeline: {len(dialogues)} conversations ({utterances} utterances), {cpu:.2f} CPU-s "
          f"-> {len(dialogues) / cpu:.0f} conversations/s per core, {utterances / cpu:.0f} utterances/s per core")

    base_engine = RuleEngine(load_pack(DEFAULT_PACK))
    with tempfile.TemporaryDirectory() as tmp:
        big_engine = RuleEngine(load_pack(grow(DEFAULT_PACK, 10, Path(tmp))))
    for engine_ in (base_engine, big_engine):
        match_seconds(engine_, dialogues[:50], 1)  # warm jieba and caches
    base = match_seconds(base_engine, dialogues, args.repeat)
    big = match_seconds(big_engine, dialogues, args.repeat)
    print(f"rule matching: {len(base_engine.index.phrases)} phrases {base:.2f}s, "
          f"{len(big_engine.index.phrases)} phrases (10x) {big:.2f}s -> ratio {big / base:.2f}x")
    texts = [u.text for c in dialogues for u in c.utterances]
    naive_base, naive_big = naive_seconds(base_engine, texts), naive_seconds(big_engine, texts)
    print(f"naive keyword loop (baseline): {naive_base:.2f}s -> {naive_big:.2f}s at 10x, ratio {naive_big / naive_base:.2f}x")


if __name__ == "__main__":
    main()
