"""Signed webhooks to a real HTTP server on 127.0.0.1, delivered by the worker with retries."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from api.models import Job
from api.settings import Settings
from tests.api.conftest import chat


class Receiver:
    def __init__(self, statuses=()):
        self.statuses = list(statuses)  # answers to give, in order; then 200
        self.received: list[tuple[dict, bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def _verify(secret: str, headers: dict, body: bytes) -> bool:
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, headers["x-qa-signature"])


def test_callback_url_gets_signed_notification(env, receiver):
    r = env.client.post("/api/v1/conversations/chat", params={"callback_url": receiver.url},
                        json=chat("c1"), headers=env.headers("qa1"))
    cid = r.json()["conversations"][0]["id"]
    assert env.drain() == 2  # score, then webhook
    assert len(receiver.received) == 1
    headers, body = receiver.received[0]
    assert _verify("hook-secret", headers, body)
    assert not _verify("wrong-secret", headers, body)
    payload = json.loads(body)
    assert payload["event"] == "conversation.scored" and payload["conversation_id"] == cid
    assert payload["external_id"] == "c1" and payload["version"] == 1
    result = env.client.get(f"/api/v1/conversations/{cid}", headers=env.headers("qa1")).json()["result"]
    assert payload["score"] == result["score"] and payload["result_id"] == result["id"]
    # a rescore with the same pack creates no result, so no second notification
    env.client.post(f"/api/v1/conversations/{cid}/rescore", headers=env.headers("qa1"))
    env.drain()
    assert len(receiver.received) == 1


def test_global_webhook_url_and_retry_until_delivered(env, receiver):
    receiver.statuses = [500, 503]
    env.services.settings = Settings(**{**env.settings.model_dump(), "webhook_url": receiver.url})
    env.client.post("/api/v1/conversations/chat", json=chat("c1"), headers=env.headers("qa1"))
    env.drain()  # retry_base_seconds=0 in tests: the retries are due at once
    assert len(receiver.received) == 3
    assert len({body for _, body in receiver.received}) == 1  # same signed body on every try
    with env.services.sessions() as s:
        job = s.scalars(select(Job).where(Job.kind == "webhook")).one()
        assert job.status == "done" and job.attempts == 3


def test_undeliverable_webhook_fails_after_max_attempts(env, receiver):
    receiver.statuses = [500] * 10
    env.services.settings = Settings(**{**env.settings.model_dump(), "max_attempts": 2})
    r = env.client.post("/api/v1/conversations/chat", params={"callback_url": receiver.url}, json=chat("c1"),
                        headers=env.headers("qa1"))
    cid = r.json()["conversations"][0]["id"]
    env.drain()
    assert len(receiver.received) == 2
    detail = env.client.get(f"/api/v1/conversations/{cid}", headers=env.headers("qa1")).json()
    assert detail["status"] == "scored"  # a notification failure does not unscore the conversation
    hook = [j for j in detail["jobs"] if j["kind"] == "webhook"][0]
    assert hook["status"] == "failed" and "answered 500" in hook["last_error"]
