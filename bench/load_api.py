"""Bounded load test on loopback: N concurrent clients upload chats for T seconds.

Starts ``qa-engine serve`` (no embedded worker) and ``qa-engine worker -n W`` on a fresh data
dir (SQLite by default, or ``--database-url`` for PostgreSQL), creates an admin, then runs N
asyncio clients that each upload one chat per request (with an Idempotency-Key) as fast as the
server answers. Reports throughput, p50/p99/max latency and errors; then waits until the
workers have scored everything and checks that every accepted conversation has exactly one
result (nothing lost, nothing scored twice).

    python bench/load_api.py --clients 50 --seconds 60 --workers 2
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
from sqlalchemy import create_engine, func, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from api.models import Conversation, Result  # noqa: E402


def _chat(i: int) -> dict:
    t = "2026-11-02T09:30"
    return {"id": f"load-{i}", "channel": "chat", "agent_id": f"a{i % 20}", "team_id": f"t{i % 3}",
            "started_at": f"{t}:00+08:00", "utterances": [
                {"speaker": "customer", "text": "你好，我的快递三天了还没到", "start": f"{t}:00+08:00"},
                {"speaker": "agent", "text": "您好，很高兴为您服务，我帮您查询一下", "start": f"{t}:08+08:00"},
                {"speaker": "customer", "text": "好的，麻烦快点", "start": f"{t}:20+08:00"},
                {"speaker": "agent", "text": "快递今天下午送达。还有其他可以帮您的吗？感谢您的咨询，再见",
                 "start": f"{t}:35+08:00"}]}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _client(base: str, token: str, stop_at: float, counter: list[int], latencies: list[float],
                  errors: dict[str, int], accepted: list[str]) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        while time.perf_counter() < stop_at:
            counter[0] += 1
            body = _chat(counter[0])
            started = time.perf_counter()
            try:
                r = await client.post("/api/v1/conversations/chat", json=body,
                                      headers={**headers, "Idempotency-Key": uuid.uuid4().hex})
            except httpx.HTTPError as exc:
                errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
                continue
            latencies.append(time.perf_counter() - started)
            if r.status_code == 202:
                accepted.extend(c["id"] for c in r.json()["conversations"])
            else:
                errors[str(r.status_code)] = errors.get(str(r.status_code), 0) + 1


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] if ordered else float("nan")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--database-url", default=None)
    ap.add_argument("--analyzers", default="chat_timing,turn_taking,emotion")
    ap.add_argument("--drain-timeout", type=float, default=900)
    ap.add_argument("--json", type=Path, help="write the numbers here too")
    args = ap.parse_args()

    data = Path(tempfile.mkdtemp(prefix="qa-load-"))
    env = {**os.environ, "QA_DATA_DIR": str(data), "QA_EMBEDDED_WORKER": "false", "QA_ANALYZERS": args.analyzers,
           "QA_LOG_LEVEL": "WARNING", "QA_JWT_SECRET": "load-" + "x" * 40, "QA_WEBHOOK_SECRET": "w"}
    if args.database_url:
        env["QA_DATABASE_URL"] = args.database_url
    cli = [sys.executable, "-m", "qa_engine.cli"]
    subprocess.run(cli + ["users", "add", "admin", "--role", "admin", "--password-stdin"], input="load-password-1",
                   text=True, env=env, check=True, cwd=ROOT, capture_output=True)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(cli + ["serve", "--port", str(port), "--no-embedded-worker"], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers = subprocess.Popen(cli + ["worker", "-n", str(args.workers)], env=env, cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        token = httpx.post(f"{base}/api/v1/auth/token", data={"username": "admin", "password": "load-password-1"}
                           ).json()["access_token"]
        counter, latencies, errors, accepted = [0], [], {}, []
        started = time.perf_counter()
        stop_at = started + args.seconds

        async def run() -> None:
            await asyncio.gather(*(_client(base, token, stop_at, counter, latencies, errors, accepted)
                                   for _ in range(args.clients)))

        asyncio.run(run())
        elapsed = time.perf_counter() - started
        url = args.database_url or f"sqlite:///{data / 'qa.db'}"
        engine = create_engine(url)
        drain_started = time.perf_counter()
        while True:
            with engine.connect() as conn:
                scored = conn.scalar(select(func.count(func.distinct(Result.conversation_id))))
                statuses = dict(conn.execute(select(Conversation.status, func.count()).group_by(Conversation.status)).all())
            if scored >= len(accepted) or time.perf_counter() - drain_started > args.drain_timeout:
                break
            time.sleep(1)
        drain = time.perf_counter() - drain_started
        with engine.connect() as conn:
            per_conv = dict(conn.execute(select(Result.conversation_id, func.count()).group_by(Result.conversation_id)).all())
            conversations = conn.scalar(select(func.count()).select_from(Conversation))
        engine.dispose()
        out = {"clients": args.clients, "seconds": round(elapsed, 1), "workers": args.workers,
               "database": "postgresql" if args.database_url else "sqlite", "analyzers": args.analyzers,
               "requests": len(latencies) + sum(v for k, v in errors.items() if not k.isdigit()),
               "accepted": len(accepted), "errors": errors,
               "throughput_per_s": round(len(accepted) / elapsed, 1),
               "latency_ms": {"p50": round(_pct(latencies, 0.5) * 1000, 1), "p99": round(_pct(latencies, 0.99) * 1000, 1),
                              "max": round(max(latencies) * 1000, 1) if latencies else None,
                              "mean": round(statistics.fmean(latencies) * 1000, 1) if latencies else None},
               "conversations_in_db": conversations, "scored": len(per_conv),
               "scored_more_than_once": sum(1 for n in per_conv.values() if n > 1),
               "lost": len(set(accepted) - set(per_conv)), "drain_seconds": round(drain, 1),
               "statuses": statuses, "cpu_count": os.cpu_count()}
        print(json.dumps(out, ensure_ascii=False, indent=2))
        if args.json:
            args.json.write_text(json.dumps(out, ensure_ascii=False, indent=2), encoding="utf-8")
        return 0 if not errors and out["lost"] == 0 and out["scored_more_than_once"] == 0 else 1
    finally:
        for proc in (server, workers):
            proc.send_signal(signal.SIGTERM)
        for proc in (server, workers):
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


if __name__ == "__main__":
    raise SystemExit(main())
