from tests.api.conftest import chat


def test_upload_scored_result(env):
    h = env.headers("qa1")
    r = env.client.post("/api/v1/conversations/chat", json=[chat("c1"), chat("c2")], headers=h)
    assert r.status_code == 202, r.text
    ids = [c["id"] for c in r.json()["conversations"]]
    assert env.drain() == 2
    r = env.client.get(f"/api/v1/conversations/{ids[0]}", headers=h)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "scored"
    assert body["result"]["version"] == 1
    assert body["result"]["result"]["conversation_id"] == ids[0]
