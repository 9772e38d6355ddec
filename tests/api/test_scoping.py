"""Who sees what, on every endpoint: out of scope is 404 (indistinguishable from missing)."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.worker import Worker
from tests.api.conftest import chat

WAV = Path(__file__).resolve().parents[2] / "datasets" / "calls" / "call01_bill.mono8k.wav"

# conversation key -> (agent, team)
CONVS = {"a7": ("a7", "t1"), "a8": ("a8", "t1"), "a9": ("a9", "t2")}
VISIBLE = {
    "admin": {"a7", "a8", "a9", "call9"},
    "sup12": {"a7", "a8", "a9", "call9"},
    "qa1": {"a7", "a8"},
    "lead1": {"a7", "a8"},
    "lead2": {"a9", "call9"},
    "agent7": {"a7"},
    "agent9": {"a9", "call9"},
}


@pytest.fixture
def world(env):
    h = env.headers("admin")
    r = env.client.post("/api/v1/conversations/chat", json=[chat(k, agent=a, team=t) for k, (a, t) in CONVS.items()],
                        headers=h)
    assert r.status_code == 202, r.text
    ids = {c["external_id"]: c["id"] for c in r.json()["conversations"]}
    with open(WAV, "rb") as fh:
        r = env.client.post("/api/v1/conversations/call", headers=h, files={"file": ("call9.wav", fh, "audio/wav")},
                            data={"metadata": '{"id": "call9", "agent_id": "a9", "team_id": "t2"}'})
    assert r.status_code == 202, r.text
    ids["call9"] = r.json()["conversations"][0]["id"]
    Worker(env.services, kinds=("score",)).drain()  # chats only: no speech recognition here
    return ids


@pytest.mark.parametrize("user", sorted(VISIBLE))
def test_every_read_endpoint_is_scoped(env, world, user):
    h = env.headers(user)
    listed = env.client.get("/api/v1/conversations", headers=h)
    assert listed.status_code == 200, listed.text
    assert {i["external_id"] for i in listed.json()["items"]} == VISIBLE[user]
    assert listed.json()["total"] == len(VISIBLE[user])
    for key, cid in world.items():
        visible = key in VISIBLE[user]
        for suffix in ("", "/results"):
            r = env.client.get(f"/api/v1/conversations/{cid}{suffix}", headers=h)
            assert r.status_code == (200 if visible else 404), (user, key, suffix, r.text)
            if not visible:
                # exactly the "missing" answer: nothing about the conversation leaks
                assert r.json() == {"error": {"code": "not_found", "details": [], "message":
                                    f"conversation {cid} not found (it does not exist or you have no access to it)"}}
        r = env.client.get(f"/api/v1/conversations/{cid}/audio", headers=h)
        if key == "call9" and visible:
            assert r.status_code == 200 and r.content == WAV.read_bytes()
        else:
            assert r.status_code == 404, (user, key, r.text)
        r = env.client.post(f"/api/v1/conversations/{cid}/rescore", headers=h)
        if not visible:
            assert r.status_code == 404, (user, key, r.text)
        elif user in ("agent7", "agent9", "lead1", "lead2"):
            assert r.status_code == 403, (user, key, r.text)  # visible, but their role may not rescore
        elif key == "call9":
            assert r.status_code == 409  # not transcribed yet
        else:
            assert r.status_code == 202, (user, key, r.text)


def test_filters_inside_scope(env, world):
    h = env.headers("sup12")
    r = env.client.get("/api/v1/conversations", params={"team_id": "t1"}, headers=h)
    assert {i["external_id"] for i in r.json()["items"]} == {"a7", "a8"}
    r = env.client.get("/api/v1/conversations", params={"channel": "call"}, headers=h)
    assert [i["external_id"] for i in r.json()["items"]] == ["call9"]
    r = env.client.get("/api/v1/conversations", params={"status": "scored", "limit": 2}, headers=h)
    body = r.json()
    assert body["total"] == 3 and len(body["items"]) == 2
    assert all(i["latest"]["version"] == 1 for i in body["items"])
    r = env.client.get("/api/v1/conversations", params={"offset": 2, "limit": 2, "status": "scored"}, headers=h)
    assert len(r.json()["items"]) == 1
    # filtering for another team's data does not widen the scope
    r = env.client.get("/api/v1/conversations", params={"team_id": "t2"}, headers=env.headers("lead1"))
    assert r.json()["total"] == 0
    r = env.client.get("/api/v1/conversations", params={"limit": 0}, headers=h)
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_request"


def test_unknown_ids_are_404(env):
    h = env.headers("admin")
    for path in ("", "/results", "/audio"):
        r = env.client.get(f"/api/v1/conversations/no-such-id{path}", headers=h)
        assert r.status_code == 404 and "no-such-id" in r.json()["error"]["message"]
    assert env.client.post("/api/v1/conversations/no-such-id/rescore", headers=h).status_code == 404
    r = env.client.get("/api/v1/nothing-here", headers=h)
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"


def test_api_key_scopes_and_scoping(env, world):
    from api.auth import create_api_key
    from api.users import get_user

    with env.services.sessions() as s:
        _, reader = create_api_key(s, get_user(s, "lead2"), name="dashboard", scopes=["conversations:read"])
        _, writer = create_api_key(s, get_user(s, "qa1"), name="ingest",
                                   scopes=["conversations:write"])
        s.commit()
    r = env.client.get("/api/v1/conversations", headers={"X-API-Key": reader})
    assert {i["external_id"] for i in r.json()["items"]} == VISIBLE["lead2"]
    assert env.client.get(f"/api/v1/conversations/{world['a7']}", headers={"X-API-Key": reader}).status_code == 404
    # no audio:read scope: refused even in scope
    assert env.client.get(f"/api/v1/conversations/{world['call9']}/audio",
                          headers={"X-API-Key": reader}).status_code == 403
    r = env.client.post("/api/v1/conversations/chat", json=chat("k1"), headers={"X-API-Key": reader})
    assert r.status_code == 403 and "conversations:write" in r.json()["error"]["message"]
    r = env.client.post("/api/v1/conversations/chat", json=chat("k1"), headers={"X-API-Key": writer})
    assert r.status_code == 202, r.text
    assert env.client.get("/api/v1/conversations", headers={"X-API-Key": writer}).status_code == 403
    assert env.client.get("/api/v1/conversations", headers={"X-API-Key": "qak_wrong"}).status_code == 401
