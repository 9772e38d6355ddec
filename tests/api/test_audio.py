"""Call uploads: streamed to disk, size limit, bad input; audio replay with HTTP Range, audited."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from api.models import AuditLog, Conversation, Job
from api.settings import Settings
from api.worker import Worker

WAV = Path(__file__).resolve().parents[2] / "datasets" / "calls" / "call01_bill.mono8k.wav"
URL = "/api/v1/conversations/call"


def _upload(env, user="qa1", meta=None, name="call01.wav", data=None, headers=None):
    meta = {"id": "call01", "agent_id": "a7", "team_id": "t1"} if meta is None else meta
    body = WAV.read_bytes() if data is None else data
    return env.client.post(URL, headers={**env.headers(user), **(headers or {})},
                           files={"file": (name, body, "audio/wav")}, data={"metadata": json.dumps(meta)})


def test_call_upload_stores_file_and_queues_transcription(env):
    r = _upload(env, meta={"id": "call01", "agent_id": "a7", "team_id": "t1", "queue": "billing",
                           "agent_channel": 0, "started_at": "2026-11-02T09:30:00+08:00"})
    assert r.status_code == 202, r.text
    cid = r.json()["conversations"][0]["id"]
    with env.services.sessions() as s:
        conv = s.get(Conversation, cid)
        stored = env.settings.audio_path / conv.audio_path
        assert stored.read_bytes() == WAV.read_bytes() and conv.audio_bytes == WAV.stat().st_size
        assert conv.metadata_ == {"queue": "billing", "agent_channel": 0}
        assert conv.started_at.isoformat() == "2026-11-02T01:30:00"  # stored as UTC
        assert [(j.kind, j.status) for j in s.scalars(select(Job))] == [("transcribe", "queued")]
    detail = env.client.get(f"/api/v1/conversations/{cid}", headers=env.headers("lead1")).json()
    assert detail["has_audio"] and detail["status"] == "queued" and detail["result"] is None


def test_audio_range_requests_and_replay_audit(env):
    cid = _upload(env).json()["conversations"][0]["id"]
    data, size = WAV.read_bytes(), WAV.stat().st_size
    h = env.headers("agent7")
    url = f"/api/v1/conversations/{cid}/audio"
    full = env.client.get(url, headers=h)
    assert full.status_code == 200 and full.content == data
    assert full.headers["accept-ranges"] == "bytes" and full.headers["content-type"].startswith("audio/")
    part = env.client.get(url, headers={**h, "Range": "bytes=0-99"})
    assert part.status_code == 206 and part.content == data[:100]
    assert part.headers["content-range"] == f"bytes 0-99/{size}"
    tail = env.client.get(url, headers={**h, "Range": "bytes=-50"})
    assert tail.status_code == 206 and tail.content == data[-50:]
    mid = env.client.get(url, headers={**h, "Range": f"bytes={size - 10}-"})
    assert mid.status_code == 206 and mid.content == data[-10:]
    bad = env.client.get(url, headers={**h, "Range": f"bytes={size + 10}-"})
    assert bad.status_code == 416 and bad.headers["content-range"] == f"bytes */{size}"
    with env.services.sessions() as s:
        rows = s.scalars(select(AuditLog).where(AuditLog.action == "replay").order_by(AuditLog.id)).all()
    assert [r.actor for r in rows] == ["agent7"] * 5 and {r.target_id for r in rows} == {cid}
    assert rows[1].detail == {"range": "bytes=0-99"}


@pytest.mark.parametrize("name,meta,status,needle", [
    ("call.txt", {}, 415, "call.txt"),
    ("call.wav", "not json", 422, "metadata"),
    ("call.wav", {"agent_channel": 5}, 422, "agent_channel"),
    ("call.wav", {"started_at": "yesterday"}, 422, "started_at"),
    ("call.wav", {"team_id": "t2"}, 403, "t2"),
])
def test_call_upload_bad_input(env, name, meta, status, needle):
    files = {"file": (name, WAV.read_bytes(), "audio/wav")}
    data = {"metadata": meta if isinstance(meta, str) else json.dumps({"team_id": "t1", **meta})}
    r = env.client.post(URL, headers=env.headers("qa1"), files=files, data=data)
    assert r.status_code == status, r.text
    assert needle in r.text
    with env.services.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Conversation)) == 0
    assert not any(p.is_file() for p in env.settings.audio_path.rglob("*"))  # nothing left behind


def test_call_upload_wrong_content_type_empty_truncated_oversized(env):
    h = env.headers("qa1")
    r = env.client.post(URL, content=WAV.read_bytes(), headers={**h, "Content-Type": "audio/wav"})
    assert r.status_code == 415 and "multipart" in r.json()["error"]["message"]
    r = _upload(env, data=b"")
    assert r.status_code == 422 and "empty" in r.json()["error"]["message"]
    body = (b"--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"c.wav\"\r\n\r\n"
            + WAV.read_bytes()[:5000])
    r = env.client.post(URL, content=body, headers={**h, "Content-Type": "multipart/form-data; boundary=B"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "truncated_upload"
    env.services.settings = Settings(**{**env.settings.model_dump(), "max_upload_mb": 1})
    r = _upload(env, data=b"\0" * (1024 * 1024 + 1))
    assert r.status_code == 413, r.text
    with env.services.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Conversation)) == 0
    assert not any(p.is_file() for p in env.settings.audio_path.rglob("*"))


def test_call_idempotency(env):
    h = {"Idempotency-Key": "call-1"}
    a, b = _upload(env, headers=h), _upload(env, headers=h)
    assert a.status_code == b.status_code == 202
    assert a.json()["conversations"][0]["id"] == b.json()["conversations"][0]["id"] and b.json()["replayed"]
    assert len([p for p in env.settings.audio_path.rglob("*") if p.is_file()]) == 1


def test_undecodable_recording_fails_job_with_reason(env):
    cid = _upload(env, name="broken.wav", data=b"RIFF\x00\x00\x00\x00WAVEthis is not audio").json()["conversations"][0]["id"]
    Worker(env.services, kinds=("transcribe",)).drain()
    detail = env.client.get(f"/api/v1/conversations/{cid}", headers=env.headers("qa1")).json()
    assert detail["status"] == "failed"
    assert detail["jobs"][0]["status"] == "failed" and detail["jobs"][0]["attempts"] == 1  # no pointless retries
    assert "could not be decoded" in detail["error"]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_real_call_is_transcribed_and_scored(env):
    """The one real speech-recognition run (Whisper base, 35 s call: ~8 s warm, 22-30 s with a
    cold model file cache, on 2 cores). SQLite only: the database adds nothing here."""
    cid = _upload(env).json()["conversations"][0]["id"]
    assert env.drain() == 2  # transcribe, then the score job it queued
    detail = env.client.get(f"/api/v1/conversations/{cid}", headers=env.headers("agent7")).json()
    assert detail["status"] == "scored", detail
    result = detail["result"]["result"]
    assert result["channel"] == "call" and result["agent_id"] == "a7"
    assert any("工号" in u["text"] for u in result["utterances"])
    assert result["analysis"]["asr_confidence"] is not None
