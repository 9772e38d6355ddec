"""How far one machine goes, measured in one run (all ratios from the same run).

    python bench/bench_scale.py [--chats 400] [--service-chats 300] [--calls 4] [--workers 1,2] [--skip-calls]

1. **Engine scaling** (`qa-engine batch`'s model: one process per worker, one Engine each):
   chats — conversations/s with 1 and 2 worker processes; calls (stereo 8 kHz fixtures,
   recognition + analysis) — audio-seconds per CPU-second and per wall-second. Workers build their
   engine (and load Whisper) and read their share *before* the clock starts (a barrier), so the
   figures are steady-state throughput; scaling efficiency = rate(N) / (N × rate(1)).
   Whisper runs with one CPU thread per worker process, so "N workers" means N cores.
2. **Service, embedded executor vs Celery** on the same host and the same database (SQLite
   file): the same chats submitted as job rows; the embedded executor is `qa-engine worker -n W`
   (polling the job table), Celery is `celery -A api.executors.celery_app worker --concurrency W`
   with a local Redis (job ids published after commit). Both warmed up with a first small
   batch; the clock runs from submitting to the last job done. Overhead = 1 − celery / embedded.

Chats: the STC-3 dev dialogues when ../shared/datasets/stc3 is present, else the golden chats
repeated with new ids. Needs Redis on QA_BROKER_URL (default redis://127.0.0.1:6379/0; a
database number of its own is used: /13) for part 2.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

STC3 = ROOT.parent / "shared" / "datasets" / "stc3" / "dev.jsonl"
CALLS = ["call03_password_overtalk", "call04_fast_speech", "call05_forbidden", "call06_no_greeting",
         "call02_refund_silence", "call07_hold_ok", "call08_complaint", "call01_bill"]


def load_chats(n: int) -> list[dict]:
    if STC3.is_file():
        from qa_engine.evaluation.stc3 import load_stc3

        convs = [d.conversation for d in load_stc3(STC3)][:n]
        return [json.loads(c.model_dump_json()) for c in convs]
    from qa_engine.ingest import read_path

    base = [json.loads(c.model_dump_json()) for f in sorted((ROOT / "datasets" / "golden").glob("*chat.json"))
            for c in read_path(f) if hasattr(c, "utterances")]
    return [dict(base[i % len(base)], id=f"{base[i % len(base)]['id']}-{i}") for i in range(n)]


# ----------------------------------------------------------------------------- part 1


def _engine_worker(kind: str, items: list, barrier, results) -> None:  # noqa: ANN001
    from qa_engine.pipeline import Engine, EngineConfig
    from qa_engine.types import Conversation

    engine = Engine(EngineConfig())
    if kind == "chat":
        convs = [Conversation.model_validate(c) for c in items]
        engine.score_many(convs[:8])  # warm caches (jieba, vocabularies) like a long-running worker
    else:
        from qa_engine.audio import AudioOptions, load_call

        options = AudioOptions(cpu_threads=1)
        engine.score(load_call(ROOT / "datasets" / "calls" / "call06_no_greeting.stereo8k.wav", options))
    barrier.wait()
    cpu, wall = time.process_time(), time.perf_counter()
    if kind == "chat":
        for i in range(0, len(convs), 64):
            engine.score_many(convs[i:i + 64])
    else:
        for path in items:
            engine.score(load_call(Path(path), options))
    results.put((len(items), time.process_time() - cpu, time.perf_counter() - wall))


def engine_rate(kind: str, items: list, workers: int, weights: list[float] | None = None) -> dict:
    """Run ``items`` split over ``workers`` processes; returns count, wall, cpu seconds."""
    ctx = mp.get_context("spawn")
    shares: list[list] = [[] for _ in range(workers)]
    load = [0.0] * workers
    for item, weight in sorted(zip(items, weights or [1.0] * len(items)), key=lambda x: -x[1]):
        i = load.index(min(load))  # longest first onto the least loaded worker: balanced shares
        shares[i].append(item)
        load[i] += weight
    barrier, results = ctx.Barrier(workers + 1), ctx.Queue()
    procs = [ctx.Process(target=_engine_worker, args=(kind, share, barrier, results)) for share in shares]
    for p in procs:
        p.start()
    barrier.wait()
    started = time.perf_counter()
    out = [results.get() for _ in procs]
    wall = time.perf_counter() - started
    for p in procs:
        p.join()
    return {"n": sum(o[0] for o in out), "wall": wall, "cpu": sum(o[1] for o in out)}


# ----------------------------------------------------------------------------- part 2


def _wait(predicate, timeout: float, what: str) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(0.02)


def group_cpu(pgid: int) -> float:
    """CPU seconds used so far by the live processes of process group ``pgid`` (a worker tree)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # fields after "(comm)": state ppid pgrp ... utime(11) stime(12)
            total += int(fields[11]) + int(fields[12])
    return total / tick


def service_rate(executor: str, chats: list[dict], workers: int, broker: str, tmp: Path) -> dict:
    from sqlalchemy import func, select

    from api.db import upgrade_to_head
    from api.deps import Services
    from api.executors.backfill import submit_file
    from api.models import Job
    from api.settings import Settings

    data = tmp / executor
    data.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "QA_DATA_DIR": str(data), "QA_DATABASE_URL": f"sqlite:///{data / 'qa.db'}",
           "QA_EXECUTOR": executor, "QA_BROKER_URL": broker, "QA_WORKER_POLL_SECONDS": "0.05",
           "QA_JWT_SECRET": "x" * 40, "QA_WEBHOOK_SECRET": "bench", "QA_LOG_JSON": "false", "QA_LOG_LEVEL": "WARNING"}
    os.environ.update({k: v for k, v in env.items() if k.startswith("QA_")})
    settings = Settings()
    services = Services.from_settings(settings)
    upgrade_to_head(services.engine)
    if executor == "celery":
        import redis

        from api.executors.publish import install_publisher

        redis.Redis.from_url(broker).flushdb()
        install_publisher(services)
        cmd = [sys.executable, "-m", "celery", "-A", "api.executors.celery_app", "worker", "--concurrency",
               str(workers), "-Q", "analyse,transcribe", "--without-gossip", "--without-mingle",
               "--without-heartbeat", "--loglevel", "INFO", "-n", f"bench-{os.getpid()}@%h"]
    else:
        cmd = [sys.executable, "-m", "qa_engine.cli", "worker", "--processes", str(workers)]
    log = data / "worker.log"
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
                            start_new_session=True)

    def done_count() -> int:
        with services.sessions() as s:
            return s.scalar(select(func.count()).select_from(Job).where(Job.status.in_(("done", "failed"))))

    def submit(name: str, items: list[dict]) -> None:
        path = data / f"{name}.jsonl"
        path.write_text("\n".join(json.dumps(c, ensure_ascii=False) for c in items) + "\n", encoding="utf-8")
        errors: list[str] = []
        submit_file(services, path, errors)
        assert not errors, errors[:3]

    try:
        warm = [dict(c, id=f"warm-{i}") for i, c in enumerate(chats[: 4 * workers])]
        submit("warm", warm)  # every worker process has built its engine once this is done
        _wait(lambda: done_count() == len(warm), 300, f"{executor} warm-up (log {log})")
        started, cpu0, own0 = time.perf_counter(), group_cpu(proc.pid), time.process_time()
        submit("run", chats)
        own = time.process_time() - own0  # the submitter: inserting rows (and publishing)
        _wait(lambda: done_count() == len(warm) + len(chats), 900, f"{executor} run (log {log})")
        wall = time.perf_counter() - started
        cpu = group_cpu(proc.pid) - cpu0 + own
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=60)
        services.engine.dispose()
    return {"n": len(chats), "wall": wall, "cpu": cpu}


# ----------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chats", type=int, default=400)
    parser.add_argument("--service-chats", type=int, default=300)
    parser.add_argument("--calls", type=int, default=4, help="stereo 8 kHz fixtures to transcribe (shortest first)")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--service-workers", type=int, default=2)
    parser.add_argument("--skip-calls", action="store_true")
    parser.add_argument("--skip-service", action="store_true")
    parser.add_argument("--repeat", type=int, default=2, help="interleaved embedded/celery pairs in part 2")
    parser.add_argument("--broker", default=None, help="Redis URL for part 2 (default QA_BROKER_URL with db 13)")
    args = parser.parse_args()
    counts = [int(w) for w in args.workers.split(",")]
    print(f"host: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; chats from {'STC-3 dev' if STC3.is_file() else 'golden (repeated)'}")

    chats = load_chats(args.chats)
    print("\n1. engine scaling (steady state, one Engine per process)")
    base = base_cpu = None
    for w in counts:
        r = engine_rate("chat", chats, w)
        rate, per_cpu = r["n"] / r["wall"], r["n"] / r["cpu"]
        base, base_cpu = base or rate, base_cpu or per_cpu
        print(f"   chats  {w} worker(s): {r['n']} conversations in {r['wall']:.2f}s = {rate:.1f} conv/s "
              f"({per_cpu:.1f} per CPU-s); scaling efficiency {rate / (w * base):.0%} wall-clock, "
              f"{per_cpu / base_cpu:.0%} per CPU-s")
    if not args.skip_calls:
        from qa_engine.audio.decode import decode

        paths = [str(ROOT / "datasets" / "calls" / f"{c}.stereo8k.wav") for c in CALLS[: args.calls]]
        seconds = [decode(p).channels.shape[1] / 16000 for p in paths]
        base = base_cpu = None
        for w in counts:
            r = engine_rate("call", paths, w, weights=seconds)
            audio = sum(seconds)
            rate, per_cpu = audio / r["wall"], audio / r["cpu"]
            base, base_cpu = base or rate, base_cpu or per_cpu
            print(f"   calls  {w} worker(s): {len(paths)} calls, {audio:.0f} audio-s in {r['wall']:.1f}s = "
                  f"{rate:.2f} audio-s per wall-s (= audio-hours per hour), {per_cpu:.2f} audio-s per CPU-s; "
                  f"scaling efficiency {rate / (w * base):.0%} wall-clock, {per_cpu / base_cpu:.0%} per CPU-s")
    if not args.skip_service:
        broker = args.broker or os.environ.get("QA_BROKER_URL", "redis://127.0.0.1:6379/0").rsplit("/", 1)[0] + "/13"
        chats2 = [dict(c, id=f"svc-{i}") for i, c in enumerate(load_chats(args.service_chats))]
        print(f"\n2. service: embedded executor vs Celery ({args.service_workers} worker processes, SQLite, "
              f"{len(chats2)} chats, broker {broker})")
        with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
            rates: dict[str, list[float]] = {}
            cpus: dict[str, list[float]] = {}
            for run, executor in enumerate(("embedded", "celery") * args.repeat):  # interleaved: drift hits both
                r = service_rate(executor, chats2, args.service_workers, broker, Path(tmp) / f"run{run}")
                rate = r["n"] / r["wall"]
                rates.setdefault(executor, []).append(rate)
                cpus.setdefault(executor, []).append(r["cpu"] / r["n"] * 1000)
                print(f"   {executor:<8}: {r['n']} chats in {r['wall']:.2f}s = {rate:.1f} conv/s, "
                      f"{r['cpu'] / r['n'] * 1000:.2f} CPU-ms per conversation (workers + submitter)")
        best = {k: max(v) for k, v in rates.items()}
        least = {k: min(v) for k, v in cpus.items()}
        import statistics

        pairs = [c / e - 1 for e, c in zip(cpus["embedded"], cpus["celery"])]
        print(f"   CPU overhead per interleaved pair: {', '.join(f'{p:+.1%}' for p in pairs)}; "
              f"median {statistics.median(pairs):+.1%}")
        print(f"   best of {args.repeat}: embedded {best['embedded']:.1f} conv/s, celery {best['celery']:.1f} conv/s "
              f"(wall overhead {1 - best['celery'] / best['embedded']:+.1%}); CPU per conversation: embedded "
              f"{least['embedded']:.2f} ms, celery {least['celery']:.2f} ms (CPU overhead "
              f"{least['celery'] / least['embedded'] - 1:+.1%}; goal < 5 %; Redis' own CPU not counted)")
    print(f"load average at the end: {os.getloadavg()[0]:.1f} (other work on the host skews wall-clock figures; "
          "per-CPU-second figures much less)")


if __name__ == "__main__":
    main()
