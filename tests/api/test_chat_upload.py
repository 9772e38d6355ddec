"""Chat uploads through HTTP: every accepted format, scoring end to end, idempotency, bad input."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from api.models import Conversation, Job, Result, Upload
from tests.api.conftest import chat

URL = "/api/v1/conversations/chat"


def _count(env, model) -> int:
    with env.services.sessions() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_upload_is_scored_with_result_and_versions(env):
    h = env.headers("qa1")
    r = env.client.post(URL, json=[chat("c1"), chat("c2", agent="a8")], headers=h)
    assert r.status_code == 202, r.text
    body = r.json()
    assert body["replayed"] is False
    assert [c["external_id"] for c in body["conversations"]] == ["c1", "c2"]
    assert all(c["status"] == "queued" for c in body["conversations"])
    ids = [c["id"] for c in body["conversations"]]
    assert env.drain() == 2
    r = env.client.get(f"/api/v1/conversations/{ids[0]}", headers=h)
    assert r.status_code == 200, r.text
    detail = r.json()
    assert detail["status"] == "scored" and detail["external_id"] == "c1"
    assert [j["status"] for j in detail["jobs"]] == ["done"]
    res = detail["result"]
    engine = env.worker.processor.engine
    assert res["version"] == 1
    assert res["rule_pack"] == {"id": engine.pack_ref.id, "version": engine.pack_ref.version,
                                "sha256": engine.pack_ref.sha256}
    assert res["model_version"] == engine.model_version
    # the stored result is the engine's own output for this conversation
    assert res["result"]["conversation_id"] == ids[0]
    assert res["result"]["score"] == res["score"]
    assert len(res["result"]["utterances"]) == 4
    assert res["result"]["hits"] is not None


def test_jsonl_csv_and_multipart_files(env):
    h = env.headers("admin")
    lines = "\n".join(json.dumps(chat(f"j{i}"), ensure_ascii=False) for i in range(3)) + "\n"
    r = env.client.post(URL, content=lines.encode(), headers={**h, "Content-Type": "application/x-ndjson"})
    assert r.status_code == 202, r.text
    assert len(r.json()["conversations"]) == 3
    csv_text = ("conversation_id,channel,agent_id,team_id,speaker,text,timestamp\n"
                "k1,chat,a7,t1,customer,你好,2026-11-02 09:30:00\n"
                "k1,chat,a7,t1,agent,您好，很高兴为您服务,2026-11-02 09:30:10\n"
                "k2,chat,a9,t2,customer,在吗,2026-11-02 10:00:00\n")
    r = env.client.post(URL, content=csv_text.encode(), headers={**h, "Content-Type": "text/csv"})
    assert r.status_code == 202, r.text
    assert [c["external_id"] for c in r.json()["conversations"]] == ["k1", "k2"]
    files = {"file": ("batch.json", json.dumps([chat("m1"), chat("m2")]).encode(), "application/json")}
    r = env.client.post(URL, files=files, headers=h)
    assert r.status_code == 202, r.text
    assert len(r.json()["conversations"]) == 2
    assert env.drain() == 7
    with env.services.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Result)) == 7
        assert set(s.scalars(select(Conversation.status))) == {"scored"}


def test_idempotency_key_returns_same_ids_without_duplicates(env):
    h = {**env.headers("qa1"), "Idempotency-Key": "batch-2026-11-02"}
    payload = [chat("c1"), chat("c2")]
    first = env.client.post(URL, json=payload, headers=h)
    again = env.client.post(URL, json=payload, headers=h)
    assert first.status_code == again.status_code == 202
    assert again.json()["replayed"] is True
    assert [c["id"] for c in again.json()["conversations"]] == [c["id"] for c in first.json()["conversations"]]
    assert _count(env, Conversation) == 2 and _count(env, Job) == 2 and _count(env, Upload) == 1
    # the same key with different content is a client bug: refuse, do not guess
    other = env.client.post(URL, json=[chat("c3")], headers=h)
    assert other.status_code == 409, other.text
    assert "Idempotency-Key" in other.json()["error"]["message"]
    # keys are per caller: another user's identical key is independent
    r = env.client.post(URL, json=payload, headers={**env.headers("admin"), "Idempotency-Key": "batch-2026-11-02"})
    assert r.status_code == 202 and r.json()["replayed"] is False
    assert _count(env, Conversation) == 4
    # the multipart form of the same content under a new key is accepted once
    files = {"file": ("x.json", json.dumps(payload).encode(), "application/json")}
    h2 = {**env.headers("qa1"), "Idempotency-Key": "file-1"}
    a = env.client.post(URL, files=files, headers=h2)
    b = env.client.post(URL, files=files, headers=h2)
    assert a.status_code == b.status_code == 202
    assert [c["id"] for c in a.json()["conversations"]] == [c["id"] for c in b.json()["conversations"]]
    assert _count(env, Conversation) == 6


def test_malformed_json_names_line_and_stores_nothing(env):
    h = {**env.headers("qa1"), "Content-Type": "application/x-ndjson"}
    good = json.dumps(chat("ok"))
    r = env.client.post(URL, content=f"{good}\n{{\"id\": \"bad\", \"channel\": \n".encode(), headers=h)
    assert r.status_code == 422, r.text
    err = r.json()["error"]
    assert err["code"] == "invalid_input"
    assert err["details"][0]["file"] == "request body"
    assert err["details"][0]["record"].startswith("line 2")
    assert "nothing was stored" in err["message"]
    assert _count(env, Conversation) == 0


def test_invalid_record_names_field(env):
    bad = chat("c1")
    bad["utterances"][1]["text"] = 5
    r = env.client.post(URL, json=[chat("c0"), bad], headers=env.headers("qa1"))
    assert r.status_code == 422, r.text
    detail = r.json()["error"]["details"][0]
    assert detail["field"] == "utterances[1].text"
    assert _count(env, Conversation) == 0


def test_malformed_csv_names_row_and_column(env):
    csv_text = ("conversation_id,channel,agent_id,team_id,speaker,text,timestamp\n"
                "k1,chat,a7,t1,customer,你好,2026-11-02 09:30:00\n"
                "k1,chat,a7,t1,agent,您好,not-a-time\n")
    r = env.client.post(URL, content=csv_text.encode(), headers={**env.headers("qa1"), "Content-Type": "text/csv"})
    assert r.status_code == 422, r.text
    detail = r.json()["error"]["details"][0]
    assert "row" in detail["record"] and detail["field"] == "timestamp"


@pytest.mark.parametrize("content_type,body,status,code", [
    ("application/xml", b"<chat/>", 415, "unsupported_media_type"),
    ("text/plain", b"hello", 415, "unsupported_media_type"),
    ("application/json", b"", 422, "invalid_input"),
    ("application/json", b"[]", 422, "invalid_input"),
    ("application/json", b"{\"id\": \"x\"", 422, "invalid_input"),
    ("application/json", b"\xff\xfe\x00garbage", 422, "invalid_input"),
])
def test_bad_bodies_are_4xx_with_message(env, content_type, body, status, code):
    r = env.client.post(URL, content=body, headers={**env.headers("qa1"), "Content-Type": content_type})
    assert r.status_code == status, r.text
    err = r.json()["error"]
    assert err["code"] == code and len(err["message"]) > 10


def test_multipart_wrong_file_type_and_missing_file(env):
    h = env.headers("qa1")
    r = env.client.post(URL, files={"file": ("chats.xlsx", b"PK\x03\x04", "application/octet-stream")}, headers=h)
    assert r.status_code == 415 and "chats.xlsx" in r.json()["error"]["message"]
    r = env.client.post(URL, data={"callback_url": "http://127.0.0.1:9/x"},
                        files={"other": ("a.json", b"{}", "application/json")}, headers=h)
    assert r.status_code == 422, r.text


def test_oversized_upload_is_413(env, tmp_path):
    from api.settings import Settings

    env.services.settings = Settings(**{**env.settings.model_dump(), "max_upload_mb": 1})
    big = json.dumps([chat(f"c{i}") for i in range(2500)]).encode()
    assert len(big) > 1024 * 1024
    r = env.client.post(URL, content=big, headers={**env.headers("qa1"), "Content-Type": "application/json"})
    assert r.status_code == 413, r.text
    assert "1 MB" in r.json()["error"]["message"]
    files = {"file": ("big.json", big, "application/json")}
    r = env.client.post(URL, files=files, headers=env.headers("qa1"))
    assert r.status_code == 413
    assert _count(env, Conversation) == 0


def test_truncated_multipart_is_400(env):
    body = (b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.json\"\r\n"
            b"Content-Type: application/json\r\n\r\n" + json.dumps(chat("c1")).encode())  # no closing boundary
    r = env.client.post(URL, content=body, headers={**env.headers("qa1"),
                                                    "Content-Type": "multipart/form-data; boundary=XyZ"})
    assert r.status_code == 400, r.text
    assert r.json()["error"]["code"] == "truncated_upload"
    r = env.client.post(URL, content=b"x", headers={**env.headers("qa1"), "Content-Type": "multipart/form-data"})
    assert r.status_code == 400 and "boundary" in r.json()["error"]["message"]


def test_who_may_upload(env):
    # agents and team leads read; they do not upload
    for user in ("agent7", "lead1"):
        r = env.client.post(URL, json=chat("c1"), headers=env.headers(user))
        assert r.status_code == 403, r.text
    # QA of team t1 cannot inject conversations into team t2
    r = env.client.post(URL, json=[chat("c1"), chat("c2", team="t2")], headers=env.headers("qa1"))
    assert r.status_code == 403 and "t2" in r.json()["error"]["message"]
    r = env.client.post(URL, json=chat("c1"))
    assert r.status_code == 401 and r.headers["WWW-Authenticate"] == "Bearer"
    assert _count(env, Conversation) == 0


def test_bad_callback_url_and_idempotency_key(env):
    r = env.client.post(URL + "?callback_url=ftp://x", json=chat("c1"), headers=env.headers("qa1"))
    assert r.status_code == 422 and "callback_url" in r.json()["error"]["message"]
    r = env.client.post(URL, json=chat("c1"), headers={**env.headers("qa1"), "Idempotency-Key": "has space"})
    assert r.status_code == 400


@pytest.mark.parametrize("disposition", [
    'form-data; name="file"; filename="客服聊天记录.json"',  # raw UTF-8, as browsers send it
    "form-data; name=\"file\"; filename*=UTF-8''%E5%AE%A2%E6%9C%8D.json",  # RFC 5987
    'form-data; name="文件"; filename="a.json"',  # a field name that is not latin-1
])
def test_non_ascii_multipart_names(env, disposition):
    body = (b"--B\r\nContent-Disposition: " + disposition.encode("utf-8") + b"\r\n"
            b"Content-Type: application/json\r\n\r\n" + json.dumps(chat("c1")).encode() + b"\r\n--B--\r\n")
    r = env.client.post(URL, content=body, headers={**env.headers("qa1"),
                                                    "Content-Type": "multipart/form-data; boundary=B"})
    if "文件" in disposition:
        assert r.status_code == 422 and "'文件'" in r.json()["error"]["message"], r.text
    else:
        assert r.status_code == 202, r.text
