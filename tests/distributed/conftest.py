"""Real parts for the distributed tests: a Redis server, Celery worker processes, the API.

Redis: a private ``redis-server`` on a free loopback port (so tests never touch another
Redis' data); without the binary, ``QA_TEST_REDIS_URL`` (default redis://127.0.0.1:6379/15)
if it answers. Skipped, saying why, only when neither is possible
(CI: ``apt-get install -y redis-server``).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ping(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    pytest.importorskip("celery", reason="Celery is not installed: pip install -e '.[distributed]'")
    import redis

    binary = shutil.which("redis-server")
    if binary is None:
        url = os.environ.get("QA_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
        if not _ping(url):
            pytest.skip(f"no redis-server binary and nothing answers at QA_TEST_REDIS_URL={url}; "
                        "install it: apt-get install -y redis-server")
        redis.Redis.from_url(url).flushdb()
        yield url
        return
    port = _free_port()
    workdir = tmp_path_factory.mktemp("redis")
    proc = subprocess.Popen([binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no",
                             "--dir", str(workdir)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 10
    while not _ping(url):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.skip(f"redis-server did not start on port {port}")
        time.sleep(0.05)
    yield url
    proc.terminate()
    proc.wait(timeout=10)


def worker_env(settings, redis_url: str, **extra: str) -> dict[str, str]:
    return {**os.environ, "QA_DATABASE_URL": settings.db_url, "QA_DATA_DIR": str(settings.data_dir),
            "QA_ANALYZERS": settings.analyzers or "", "QA_EXECUTOR": "celery", "QA_BROKER_URL": redis_url,
            "QA_WORKER_LEASE_SECONDS": "2", "QA_SWEEP_SECONDS": "0.5", "QA_REQUEUE_AFTER_SECONDS": "1",
            "QA_RETRY_BASE_SECONDS": "0", "QA_JWT_SECRET": "x" * 40, "QA_WEBHOOK_SECRET": "hook",
            "QA_LOG_JSON": "false", **extra}


class CeleryWorker:
    """``celery -A api.executors.celery_app worker --concurrency 1`` in its own process group,
    so SIGKILL can take the whole worker (main process and pool child) like a lost machine."""

    def __init__(self, env: dict[str, str], log: Path, name: str, queues: str = "analyse,transcribe") -> None:
        self.log = log
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "api.executors.celery_app", "worker", "--concurrency", "1",
             "-Q", queues, "-n", f"{name}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat",
             "--loglevel", "INFO"],
            cwd=ROOT, env={**env, "QA_WORKER_QUEUES": queues}, stdout=log.open("wb"), stderr=subprocess.STDOUT,
            start_new_session=True)

    def children(self) -> list[int]:
        try:
            text = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text()
        except OSError:
            return []
        return [int(p) for p in text.split()]

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"celery worker exited {self.proc.returncode}:\n{self.log.read_text()[-3000:]}")
            if " ready." in self.log.read_text(errors="replace"):
                return
            time.sleep(0.1)
        raise AssertionError(f"celery worker not ready after {timeout}s:\n{self.log.read_text()[-3000:]}")

    def kill(self) -> None:
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
