"""kill -9 a real worker process mid-job: every accepted conversation still ends with exactly one
result, and no job is left running or queued."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from api.models import Job, Result
from tests.api.conftest import TEST_ANALYZERS, chat

ROOT = Path(__file__).resolve().parents[2]
N_CHATS = 40
UTTERANCES = 400  # ~0.15 s of scoring each (emotion model): long enough to be caught mid-job


def _long_chat(i: int) -> dict:
    c = chat(f"k{i}")
    base = c["utterances"]
    start = datetime.fromisoformat(c["started_at"])
    c["utterances"] = [dict(base[j % 4], start=(start + timedelta(seconds=2 * j)).isoformat())
                       for j in range(UTTERANCES)]
    return c


def _worker(env, tmp_path: Path, name: str) -> subprocess.Popen:
    environ = {**os.environ, "QA_DATABASE_URL": env.settings.db_url, "QA_DATA_DIR": str(tmp_path / "data"),
               "QA_ANALYZERS": TEST_ANALYZERS, "QA_WORKER_LEASE_SECONDS": "1.5", "QA_WORKER_POLL_SECONDS": "0.05",
               "QA_JWT_SECRET": "x" * 40, "QA_WEBHOOK_SECRET": "hook", "QA_LOG_JSON": "true"}
    log = open(tmp_path / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
    return subprocess.Popen([sys.executable, "-m", "qa_engine.cli", "worker"], cwd=ROOT, env=environ,
                            stdout=log, stderr=subprocess.STDOUT)


def _running_owned_by(env, pid: int) -> list[int]:
    with env.services.sessions() as s:
        return list(s.scalars(select(Job.id).where(Job.status == "running", Job.lease_owner.like(f"%:{pid}:%"))))


def _wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.01)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def test_sigkill_mid_job_loses_nothing_and_scores_once(env, tmp_path):
    r = env.client.post("/api/v1/conversations/chat", json=[_long_chat(i) for i in range(N_CHATS)],
                        headers=env.headers("admin"))
    assert r.status_code == 202, r.text
    accepted = {c["id"] for c in r.json()["conversations"]}
    assert len(accepted) == N_CHATS

    survivor, victim = _worker(env, tmp_path, "survivor"), _worker(env, tmp_path, "victim")
    procs = [survivor, victim]
    killed_jobs: list[int] = []
    try:
        for attempt in range(3):  # retried only if the kill landed between two jobs (rare)
            held = _wait(lambda v=victim: _running_owned_by(env, v.pid), 60, "the victim to claim a job")
            os.kill(victim.pid, signal.SIGKILL)
            victim.wait(timeout=10)
            killed_jobs = _running_owned_by(env, victim.pid)  # still "running" with a dead owner: mid-job
            if killed_jobs:
                break
            assert held
            victim = _worker(env, tmp_path, f"victim{attempt + 1}")
            procs.append(victim)
        assert killed_jobs, "never caught the victim in the middle of a job"

        def finished() -> bool:
            with env.services.sessions() as s:
                return s.scalar(select(func.count()).select_from(Job).where(Job.status != "done")) == 0

        _wait(finished, 90, "all jobs to finish (survivor log: " + str(tmp_path / "survivor.log") + ")")
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()

    with env.services.sessions() as s:
        per_conv = dict(s.execute(select(Result.conversation_id, func.count()).group_by(Result.conversation_id)).all())
        assert set(per_conv) == accepted and set(per_conv.values()) == {1}
        statuses = dict(s.execute(select(Job.status, func.count()).group_by(Job.status)).all())
        assert statuses == {"done": N_CHATS}
        for job_id in killed_jobs:
            job = s.get(Job, job_id)
            # re-claimed after the dead worker's lease ran out (2; 3 only if a loaded machine also
            # delayed a live worker's heartbeat past its lease, which is harmless: still one result)
            assert job.attempts >= 2 and job.lease_owner is None
    assert survivor.returncode in (0, -signal.SIGTERM)
