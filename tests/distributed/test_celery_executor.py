"""The Celery executor with real parts: Redis, two ``celery worker`` processes, the API.

A batch of chats goes in through the API, one whole worker (main process and pool child) is
SIGKILLed while it holds a job, and every conversation must still end with exactly one result
and no job left queued or running. A second test takes the broker away at enqueue time.
"""

from __future__ import annotations

import os
import signal
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest

pytest.importorskip("celery", reason="Celery is not installed: pip install -e '.[distributed]'")

from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import func, select

from api.app import create_app
from api.db import upgrade_to_head
from api.deps import Services
from api.models import Conversation, Job, Result
from api.worker import Worker
from tests.api.conftest import Env, chat, db_url, make_settings  # noqa: F401 - db_url: sqlite + PostgreSQL
from tests.distributed.conftest import CeleryWorker, worker_env

N_CHATS = 40
UTTERANCES = 300  # ~0.1 s of scoring each: long enough to catch a worker mid-job


def long_chat(i: int) -> dict:
    c = chat(f"d{i}")
    base, start = c["utterances"], datetime.fromisoformat(c["started_at"])
    c["utterances"] = [dict(base[j % 4], start=(start + timedelta(seconds=2 * j)).isoformat())
                       for j in range(UTTERANCES)]
    return c


def make_env(db_url: str, tmp_path: Path, broker_url: str) -> Env:
    settings = make_settings(db_url, tmp_path, executor="celery", broker_url=broker_url, worker_lease_seconds=2.0,
                             sweep_seconds=0.5, requeue_after_seconds=1.0)
    services = Services.from_settings(settings)
    upgrade_to_head(services.engine)
    client = TestClient(create_app(settings, services=services))
    env = Env(client=client, services=services, settings=settings, worker=Worker(services))
    env.add_user("admin", "admin")
    return env


def wait(predicate, timeout: float, what: str):  # noqa: ANN001, ANN201
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def job_statuses(env: Env) -> dict[str, int]:
    with env.services.sessions() as s:
        return dict(s.execute(select(Job.status, func.count()).group_by(Job.status)).all())


def results_per_conversation(env: Env) -> dict[str, int]:
    with env.services.sessions() as s:
        return dict(s.execute(select(Result.conversation_id, func.count()).group_by(Result.conversation_id)).all())


def running_jobs_of(env: Env, pids: list[int]) -> list[int]:
    with env.services.sessions() as s:
        rows = s.execute(select(Job.id, Job.lease_owner).where(Job.status == "running")).all()
    return [job_id for job_id, owner in rows if owner and int(owner.split(":")[1]) in pids]


def test_two_celery_workers_one_killed_every_chat_scored_once(db_url, tmp_path, redis_url):  # noqa: F811
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    env = make_env(db_url, tmp_path, redis_url)
    environ = worker_env(env.settings, redis_url)
    survivor = CeleryWorker(environ, tmp_path / "survivor.log", "survivor")
    victim = CeleryWorker(environ, tmp_path / "victim.log", "victim")
    workers = [survivor, victim]
    caught: list[int] = []
    try:
        for w in workers:
            w.wait_ready()
        r = env.client.post("/api/v1/conversations/chat", json=[long_chat(i) for i in range(N_CHATS)],
                            headers=env.headers("admin"))
        assert r.status_code == 202, r.text
        accepted = {c["id"] for c in r.json()["conversations"]}
        assert len(accepted) == N_CHATS

        for attempt in range(3):  # retried only if the kill landed between two jobs (rare)
            pids = victim.children()
            wait(lambda p=pids: running_jobs_of(env, p), 60, "the victim to claim a job")
            victim.kill()  # main process and pool child at once: a lost machine
            caught = running_jobs_of(env, pids)  # still running with a dead owner: killed mid-job
            if caught or job_statuses(env).get("queued", 0) == 0:
                break
            victim = CeleryWorker(environ, tmp_path / f"victim{attempt + 1}.log", f"victim{attempt + 1}")
            workers.append(victim)
            victim.wait_ready()
        # Also kill the survivor's pool child alone (a crashed process on a live machine): the
        # main process gives the message back (reject_on_worker_lost) and starts a new child.
        child_pids = survivor.children()
        wait(lambda: running_jobs_of(env, child_pids) or job_statuses(env).get("queued", 0) == 0, 30,
             "the survivor to hold a job")
        if running_jobs_of(env, child_pids):
            caught += running_jobs_of(env, child_pids)
            os.kill(child_pids[0], signal.SIGKILL)
        wait(lambda: job_statuses(env) == {"done": N_CHATS}, 90,
             f"every job done (now {job_statuses(env)}; logs in {tmp_path})")
    finally:
        for w in workers:
            w.stop()
    per_conv = results_per_conversation(env)
    assert set(per_conv) == accepted and set(per_conv.values()) == {1}  # every chat scored, exactly once
    assert caught, "never caught a worker in the middle of a job"
    with env.services.sessions() as s:
        assert set(s.scalars(select(Conversation.status))) == {"scored"}
        for job_id in caught:
            job = s.get(Job, job_id)
            # Taken over by another worker after the killed one's lease ran out.
            assert job.status == "done" and job.attempts == 2 and job.lease_owner is None, job_id


def test_broker_down_at_enqueue_the_sweeper_publishes_later(db_url, tmp_path, redis_url):  # noqa: F811
    import socket

    import redis

    redis.Redis.from_url(redis_url).flushdb()
    with socket.socket() as s:  # a port nobody listens on: the broker is "down"
        s.bind(("127.0.0.1", 0))
        dead = f"redis://127.0.0.1:{s.getsockname()[1]}/0"
    env = make_env(db_url, tmp_path, dead)
    started = time.monotonic()
    r = env.client.post("/api/v1/conversations/chat", json=[chat(f"b{i}") for i in range(5)],
                        headers=env.headers("admin"))
    assert r.status_code == 202, r.text  # accepted: the rows are durable, the broker is not needed
    assert time.monotonic() - started < 15, "a dead broker must not hang the upload"
    assert job_statuses(env) == {"queued": 5}

    # A webhook that cannot be delivered (nobody listens): its job is retried through the broker
    # (a message with a countdown per attempt) and failed after QA_MAX_ATTEMPTS with the reason.
    hook = dead.replace("redis://", "http://").rsplit("/", 1)[0] + "/hook"
    r = env.client.post(f"/api/v1/conversations/chat?callback_url={hook}", json=[chat("hooked")],
                        headers=env.headers("admin"))
    assert r.status_code == 202, r.text
    worker = CeleryWorker(worker_env(env.settings, redis_url, QA_MAX_ATTEMPTS="3"), tmp_path / "w.log", "w")
    try:
        worker.wait_ready()
        wait(lambda: job_statuses(env) == {"done": 6, "failed": 1}, 60,
             f"the sweeper to publish the jobs and the webhook to fail (now {job_statuses(env)}; log {worker.log})")
    finally:
        worker.stop()
    assert set(results_per_conversation(env).values()) == {1} and len(results_per_conversation(env)) == 6
    assert "sweeper re-published" in worker.log.read_text()
    with env.services.sessions() as s:
        webhook = s.scalar(select(Job).where(Job.kind == "webhook"))
        assert webhook.status == "failed" and webhook.attempts == 3
        assert "attempt 3" in webhook.last_error and "ConnectError" in webhook.last_error


def test_batch_through_celery_is_resumable(tmp_path, redis_url):
    """``qa-engine batch --executor celery``: files become uploads + jobs in the service's
    database, a Celery worker scores them; a second run of the same folder inserts nothing and
    finds everything scored."""
    import json
    import subprocess
    import sys

    import redis

    from tests.distributed.conftest import ROOT

    redis.Redis.from_url(redis_url).flushdb()
    env = make_env(f"sqlite:///{tmp_path / 'qa.db'}", tmp_path, redis_url)
    folder = tmp_path / "in"
    folder.mkdir()
    for f in range(3):
        (folder / f"p{f}.jsonl").write_text("\n".join(json.dumps(chat(f"bf{f}-{i}")) for i in range(4)) + "\n",
                                            encoding="utf-8")
    bad = chat("bf-bad")
    bad["utterances"][0]["speaker"] = 42
    (folder / "mixed.jsonl").write_text(json.dumps(chat("bf-ok")) + "\n" + json.dumps(bad) + "\n", encoding="utf-8")
    environ = worker_env(env.settings, redis_url)
    worker = CeleryWorker(environ, tmp_path / "w.log", "w")
    cmd = [sys.executable, "-m", "qa_engine.cli", "batch", str(folder), "--executor", "celery", "--no-progress",
           "--summary-json", str(tmp_path / "summary.json")]
    try:
        worker.wait_ready()
        first = subprocess.run(cmd, cwd=ROOT, env=environ, capture_output=True, text=True, timeout=120)
        assert first.returncode == 1, first.stderr  # the invalid record is reported
        summary = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
        assert summary["scored"] == 13 and summary["failed"] == {} and len(summary["record_errors"]) == 1
        again = subprocess.run(cmd, cwd=ROOT, env=environ, capture_output=True, text=True, timeout=120)
        assert "4 already submitted" in again.stderr, again.stderr
        assert json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))["scored"] == 13
    finally:
        worker.stop()
    per_conv = results_per_conversation(env)
    assert len(per_conv) == 13 and set(per_conv.values()) == {1}
    assert job_statuses(env) == {"done": 13}


@pytest.mark.slow
def test_call_transcribed_on_one_worker_scored_on_another(tmp_path, redis_url):
    """A recorded call: the ``transcribe`` worker (speech model) stores the transcript, and the
    score job it queues is run by the ``analyse`` worker — another process, as on another
    machine. Real Whisper (base model) on a 15 s stereo call: slow on small CPUs."""
    import json

    import redis

    from tests.distributed.conftest import ROOT

    redis.Redis.from_url(redis_url).flushdb()
    env = make_env(f"sqlite:///{tmp_path / 'qa.db'}", tmp_path, redis_url)
    environ = worker_env(env.settings, redis_url, QA_WORKER_LEASE_SECONDS="30")
    asr = CeleryWorker(environ, tmp_path / "asr.log", "asr", queues="transcribe")
    analysis = CeleryWorker(environ, tmp_path / "analysis.log", "analysis", queues="analyse")
    try:
        asr.wait_ready()
        analysis.wait_ready()
        audio = (ROOT / "datasets" / "calls" / "call06_no_greeting.stereo8k.wav").read_bytes()
        r = env.client.post("/api/v1/conversations/call", headers=env.headers("admin"),
                            files={"file": ("call06.wav", audio, "audio/wav")},
                            data={"metadata": json.dumps({"agent_id": "a7", "team_id": "t1", "agent_channel": 0})})
        assert r.status_code == 202, r.text
        conv_id = r.json()["conversations"][0]["id"]
        wait(lambda: job_statuses(env) == {"done": 2}, 240, f"transcribe + score (now {job_statuses(env)})")
    finally:
        asr.stop()
        analysis.stop()
    with env.services.sessions() as s:
        by_kind = {j.kind: j.id for j in s.scalars(select(Job).where(Job.conversation_id == conv_id))}
        conv = s.get(Conversation, conv_id)
        assert conv.status == "scored" and conv.payload["utterances"], conv.error
    assert results_per_conversation(env) == {conv_id: 1}
    # The pool processes' own log lines (api.executors.runner) say which process ran which job.
    assert f"job {by_kind['transcribe']} done" in asr.log.read_text()
    assert f"job {by_kind['score']} done" in analysis.log.read_text()
    assert f"job {by_kind['score']} done" not in asr.log.read_text()


def test_job_ids_are_published_only_after_commit(tmp_path, redis_url):
    """The hook publishes what a transaction inserted once it commits; a rolled-back
    transaction publishes nothing (its rows do not exist)."""
    import redis

    from api import jobs
    from api.executors.publish import install_publisher
    from api.models import Conversation as ConversationRow

    redis.Redis.from_url(redis_url).flushdb()
    env = make_env(f"sqlite:///{tmp_path / 'qa.db'}", tmp_path, redis_url)
    publisher = install_publisher(env.services)  # already installed by create_app: the same one
    assert publisher is env.services._qa_publisher

    def new_conversation(session, cid: str) -> str:  # noqa: ANN001
        session.add(ConversationRow(id=cid, channel="chat", status="queued", payload=chat(cid)))
        session.flush()
        jobs.enqueue(session, cid, "score")
        session.flush()
        return cid

    with env.services.sessions() as s:
        new_conversation(s, "rolled-back")
        s.rollback()
    assert publisher.queue_length("analyse") == 0
    with env.services.sessions() as s:
        for i in range(9):
            new_conversation(s, f"c{i}")
        assert publisher.queue_length("analyse") == 0  # not before the commit
        s.commit()
    assert publisher.queue_length("analyse") == 2  # 9 ids, 8 per message
