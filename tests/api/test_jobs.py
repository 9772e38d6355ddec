"""The job queue on a real database: atomic claims, leases, redelivery, retry and backoff."""

from __future__ import annotations

import shutil
import threading
import time
from datetime import timedelta

from sqlalchemy import select, update

from api import jobs
from api.db import utcnow
from api.models import Conversation, Job, Result
from api.processing import Processor
from api.settings import Settings
from api.worker import Worker
from tests.api.conftest import chat

URL = "/api/v1/conversations/chat"


def _upload(env, n=1, user="qa1"):
    r = env.client.post(URL, json=[chat(f"c{i}") for i in range(n)], headers=env.headers(user))
    assert r.status_code == 202, r.text
    return [c["id"] for c in r.json()["conversations"]]


def test_concurrent_claims_never_hand_out_a_job_twice(env):
    _upload(env, 24)
    claimed: list[int] = []
    lock = threading.Lock()

    def grab(owner: str) -> None:
        while True:
            with env.services.sessions() as s:
                job = jobs.claim(s, owner, 60)
            if job is None:
                return
            with lock:
                claimed.append(job.id)

    threads = [threading.Thread(target=grab, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(claimed) == sorted(set(claimed)) and len(claimed) == 24
    with env.services.sessions() as s:
        assert set(s.scalars(select(Job.status))) == {"running"}
        assert set(s.scalars(select(Job.attempts))) == {1}


def test_expired_lease_is_reclaimed_and_redelivery_scores_once(env):
    (cid,) = _upload(env)
    processor = Processor(env.settings)
    with env.services.sessions() as s:
        first = jobs.claim(s, "dead-worker", 1.0)
    with env.services.sessions() as s:
        assert jobs.claim(s, "other", 60) is None  # lease still valid: not claimable
    time.sleep(1.1)
    with env.services.sessions() as s:
        second = jobs.claim(s, "new-worker", 60)
    assert second.id == first.id and second.attempts == 2
    with env.services.sessions() as s:
        processor.handle(s, second, "new-worker")
    # the first worker was only slow, not dead: it finishes too, and nothing is scored twice
    with env.services.sessions() as s:
        processor.handle(s, first, "dead-worker")
    with env.services.sessions() as s:
        assert len(s.scalars(select(Result).where(Result.conversation_id == cid)).all()) == 1
        job = s.get(Job, first.id)
        assert job.status == "done" and job.lease_owner is None
        assert s.get(Conversation, cid).status == "scored"


def test_heartbeat_keeps_the_lease(env):
    _upload(env)
    with env.services.sessions() as s:
        job = jobs.claim(s, "w1", 1.0)
    for _ in range(3):  # 1.2 s in all: past the first lease, which the beats keep extending
        time.sleep(0.4)
        with env.services.sessions() as s:
            assert jobs.heartbeat(s, job.id, "w1", 1.0)
    with env.services.sessions() as s:
        assert jobs.claim(s, "w2", 60) is None
        assert not jobs.heartbeat(s, job.id, "w2", 1.0)  # only the owner can extend


def test_worker_that_keeps_dying_fails_the_job_after_max_attempts(env):
    (cid,) = _upload(env)
    for attempt in (1, 2):
        with env.services.sessions() as s:
            job = jobs.claim(s, f"doomed-{attempt}", 0.01, max_attempts=2)
            assert job.attempts == attempt
        time.sleep(0.05)
    with env.services.sessions() as s:
        assert jobs.claim(s, "w", 60, max_attempts=2) is None
        job = s.scalars(select(Job)).one()
        assert job.status == "failed" and "2 times" in job.last_error
        conv = s.get(Conversation, cid)
        assert conv.status == "failed" and conv.error


def test_failures_retry_with_exponential_backoff_then_fail(env):
    (cid,) = _upload(env)
    with env.services.sessions() as s:  # a corrupt stored conversation: scoring raises every time
        s.execute(update(Conversation).values(payload={"id": "x", "channel": "chat", "utterances": "broken"}))
        s.commit()
    settings = Settings(**{**env.settings.model_dump(), "retry_base_seconds": 10, "max_attempts": 3})
    env.services.settings = settings
    worker = Worker(env.services)
    delays = []
    for attempt in (1, 2, 3):
        before = utcnow()
        assert worker.run_one()
        with env.services.sessions() as s:
            job = s.scalars(select(Job)).one()
        assert job.attempts == attempt and f"attempt {attempt}" in job.last_error
        if attempt < 3:
            assert job.status == "queued"
            delays.append((job.run_after - before).total_seconds())
            assert worker.run_one() is False  # not runnable before its backoff has passed
            with env.services.sessions() as s:  # let the clock "pass" the backoff
                s.execute(update(Job).values(run_after=utcnow() - timedelta(seconds=1)))
                s.commit()
        else:
            assert job.status == "failed" and job.finished_at is not None
    assert 9 <= delays[0] <= 11 and 19 <= delays[1] <= 21  # 10 s, then 20 s
    detail = env.client.get(f"/api/v1/conversations/{cid}", headers=env.headers("qa1")).json()
    assert detail["status"] == "failed" and "ValidationError" in detail["error"]
    assert detail["jobs"][0]["last_error"].startswith("attempt 3")


def test_rescore_same_pack_is_idempotent_new_pack_adds_a_version(env, tmp_path):
    (cid,) = _upload(env)
    env.drain()
    h = env.headers("qa1")
    r = env.client.post(f"/api/v1/conversations/{cid}/rescore", headers=h)
    assert r.status_code == 202 and r.json()["job"]["status"] == "queued"
    again = env.client.post(f"/api/v1/conversations/{cid}/rescore", headers=h)
    assert again.json()["job"]["id"] == r.json()["job"]["id"]  # one pending rescore, not two
    env.drain()
    assert len(env.client.get(f"/api/v1/conversations/{cid}/results", headers=h).json()["items"]) == 1
    # activate an edited rule pack: a rescore now adds version 2 and keeps version 1
    shutil.copytree(env.settings.rules.parent, tmp_path / "rules")  # with its lexicons
    pack = tmp_path / "rules" / env.settings.rules.name
    pack.write_text(pack.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    env.services.settings = Settings(**{**env.settings.model_dump(), "rules": pack})
    assert env.client.post(f"/api/v1/conversations/{cid}/rescore", headers=h).status_code == 202
    Worker(env.services).drain()
    items = env.client.get(f"/api/v1/conversations/{cid}/results", headers=h).json()["items"]
    assert [i["version"] for i in items] == [1, 2]
    assert items[0]["rule_pack"]["sha256"] != items[1]["rule_pack"]["sha256"]
    assert items[0]["result"]["score"] == items[1]["result"]["score"]  # a comment changes no score
    detail = env.client.get(f"/api/v1/conversations/{cid}", headers=h).json()
    assert detail["result"]["version"] == 2 and detail["latest"]["version"] == 2
