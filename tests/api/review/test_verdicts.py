"""Verdicts -> final score (scorecard math, veto lifting), manual items, trail, completion, role swap."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from api.models import AuditLog, Result
from api.review.models import TrailEntry
from api.worker import Worker
from tests.api.review.helpers import bad_chat, chat, upload

R = "/api/v1/review/conversations"


def _verdict(env, cid, user, *pairs, status=200):
    body = {"verdicts": [{"hit_id": h, "verdict": v, "comment": f"{v} by {user}"} for h, v in pairs]}
    r = env.client.post(f"{R}/{cid}/verdicts", json=body, headers=env.headers(user))
    assert r.status_code == status, r.text
    return r.json()


def test_no_verdicts_final_equals_machine_score(env):
    ids = upload(env, [bad_chat("b1"), chat("c1")])
    for cid in ids.values():
        r = env.client.get(f"{R}/{cid}", headers=env.headers("qa1"))  # flagged: queued by itself
        assert r.status_code == 200, r.text
        machine = env.client.get(f"/api/v1/conversations/{cid}", headers=env.headers("qa1")).json()["result"]
        assert r.json()["final"]["score"] == machine["score"]
        assert r.json()["final"]["veto"] == machine["veto"] and r.json()["final"]["grade"] == machine["grade"]


def test_rejected_hits_revert_through_the_scorecard(env):
    cid = upload(env, [bad_chat("b1")])["b1"]
    start = env.client.get(f"{R}/{cid}", headers=env.headers("qa1")).json()
    assert start["final"] == {**start["final"], "score": 0.0, "veto": True, "grade": "不合格"}
    assert {h["id"] for h in start["hits"]} == {"forbidden_phrases#1", "forbidden_phrases#2", "illegal_promise#1"}

    # rejecting the veto hit lifts the veto: 100 - forbidden phrases (5 + 8 escalating) = 87
    body = _verdict(env, cid, "qa1", ("illegal_promise#1", "rejected"), ("forbidden_phrases#2", "confirmed"))
    assert body["final"]["veto"] is False and body["final"]["score"] == 87.0 and body["final"]["grade"] == "良好"
    attitude = next(d for d in body["final"]["dimensions"] if d["id"] == "attitude")
    assert attitude["score"] == 17.0
    # rejecting one of the two forbidden phrases charges one hit's step (5), not 13 - 8
    body = _verdict(env, cid, "qa1", ("forbidden_phrases#1", "rejected"))
    assert body["final"]["score"] == 95.0 and body["final"]["passed"] is True
    hit = next(h for h in body["hits"] if h["id"] == "forbidden_phrases#1")
    assert hit["verdict"]["verdict"] == "rejected" and hit["verdict"]["reviewer"] == "qa1"

    # manual items: final-score points, clipped to 0..100
    r = env.client.post(f"{R}/{cid}/manual-items", json={"dimension": "service_norms", "points": -8,
                                                         "reason": "未核实订单信息"}, headers=env.headers("qa1"))
    assert r.status_code == 201 and r.json()["final"]["score"] == 87.0
    r = env.client.post(f"{R}/{cid}/manual-items", json={"dimension": "attitude", "points": 30, "reason": "主动安抚"},
                        headers=env.headers("qa1"))
    assert r.json()["final"]["score"] == 100.0 and r.json()["final"]["manual_points"] == 22.0
    bonus_id = next(m["id"] for m in r.json()["manual_items"] if m["points"] == 30)
    r = env.client.delete(f"{R}/{cid}/manual-items/{bonus_id}", headers=env.headers("qa1"))
    assert r.status_code == 200 and r.json()["final"]["score"] == 87.0
    r = env.client.post(f"{R}/{cid}/manual-items", json={"dimension": "nope", "points": 1, "reason": "x"},
                        headers=env.headers("qa1"))
    assert r.status_code == 422 and "service_norms" in r.json()["error"]["message"]

    # confirming the veto again puts it back: manual items never lift a veto
    body = _verdict(env, cid, "qa2", ("illegal_promise#1", "confirmed"))
    assert body["final"]["veto"] is True and body["final"]["score"] == 0.0

    trail = body["trail"]
    verdict_changes = [t for t in trail if t["field"] == "hits.illegal_promise#1"]
    assert [(t["old"] and t["old"]["verdict"], t["new"]["verdict"]) for t in verdict_changes] == \
        [(None, "rejected"), ("rejected", "confirmed")]
    assert verdict_changes[-1]["actor"] == "qa2"
    finals = [(t["old"]["score"], t["new"]["score"]) for t in trail if t["action"] == "final_score"]
    assert finals == [(None, 87.0), (87.0, 95.0), (95.0, 87.0), (87.0, 100.0), (100.0, 87.0), (87.0, 0.0)]
    assert any(t["action"] == "manual_item_remove" for t in trail)
    with env.services.sessions() as s:
        changes = s.scalars(select(AuditLog).where(AuditLog.action == "score_change",
                                                   AuditLog.target_id == cid)).all()
        assert len(changes) == 6
        with pytest.raises(Exception, match="append-only"):
            s.execute(text("UPDATE review_trail SET actor = 'x'"))
            s.flush()


def test_bad_verdicts_and_permissions(env):
    cid = upload(env, [bad_chat("b1")])["b1"]
    _verdict(env, cid, "qa1", ("nope#1", "rejected"), status=422)
    _verdict(env, cid, "lead1", ("illegal_promise#1", "rejected"), status=403)  # visible, not a reviewer
    _verdict(env, cid, "agent7", ("illegal_promise#1", "rejected"), status=403)
    _verdict(env, cid, "qa3", ("illegal_promise#1", "rejected"), status=404)  # other team, not assigned
    _verdict(env, cid, "lead2", ("illegal_promise#1", "rejected"), status=404)
    r = env.client.post(f"{R}/{cid}/verdicts", json={"verdicts": [{"hit_id": "x", "verdict": "maybe"}]},
                        headers=env.headers("qa1"))
    assert r.status_code == 422
    assert env.client.get(f"{R}/no-such", headers=env.headers("qa1")).status_code == 404


def test_completion_locks_the_review(env):
    cid = upload(env, [bad_chat("b1")])["b1"]
    _verdict(env, cid, "qa1", ("illegal_promise#1", "rejected"))
    r = env.client.post(f"{R}/{cid}/complete", headers=env.headers("qa1"))
    assert r.status_code == 200 and r.json()["item"]["status"] == "done"
    assert r.json()["final"]["score"] == 87.0
    assert env.client.post(f"{R}/{cid}/complete", headers=env.headers("qa1")).status_code == 409
    body = _verdict(env, cid, "qa1", ("illegal_promise#1", "confirmed"), status=409)
    assert "completed" in body["error"]["message"]
    q = env.client.get("/api/v1/review/queue", params={"status": "done"}, headers=env.headers("qa1")).json()
    assert [(i["conversation_id"], i["final_score"], i["reviewer"]) for i in q["items"]] == [(cid, 87.0, "qa1")]


def test_role_swap_rescores_as_a_new_version(env):
    cid = upload(env, [bad_chat("b1")])["b1"]
    _verdict(env, cid, "qa1", ("illegal_promise#1", "rejected"))
    r = env.client.post(f"{R}/{cid}/role-swap", headers=env.headers("qa1"))
    assert r.status_code == 202, r.text
    assert env.client.post(f"{R}/{cid}/role-swap", headers=env.headers("qa1")).status_code == 409  # still scoring
    Worker(env.services, kinds=("score",)).drain()
    with env.services.sessions() as s:
        rows = s.scalars(select(Result).where(Result.conversation_id == cid).order_by(Result.version)).all()
        assert [r.version for r in rows] == [1, 2]
        assert rows[1].model_version.endswith("+roles-swapped-1")
        speakers = [u["speaker"] for u in rows[1].result["utterances"]]
        assert speakers == ["agent", "customer", "agent", "customer", "customer"]
    detail = env.client.get(f"{R}/{cid}", headers=env.headers("qa1")).json()
    assert detail["item"]["result_version"] == 2 and detail["item"]["status"] == "in_review"
    # the verdict was on version 1's hits: it stays in the trail, it is not applied to version 2
    assert all(h["verdict"] is None for h in detail["hits"])
    assert "illegal_promise#1" not in {h["id"] for h in detail["hits"]}  # the promise is now the customer's
    assert any(t["action"] == "role_swap" for t in detail["trail"])
    versions = env.client.get(f"/api/v1/conversations/{cid}/results", headers=env.headers("qa1")).json()["items"]
    assert len(versions) == 2
    with env.services.sessions() as s:
        assert s.scalar(select(TrailEntry.id).where(TrailEntry.action == "verdict_primary")) is not None


def test_api_key_scopes(env):
    from api.auth import create_api_key
    from api.users import get_user

    cid = upload(env, [bad_chat("b1")])["b1"]
    with env.services.sessions() as s:
        _, reader = create_api_key(s, get_user(s, "qa1"), name="dash", scopes=["conversations:read"])
        _, writer = create_api_key(s, get_user(s, "qa1"), name="bot", scopes=["conversations:write"])
        s.commit()
    assert env.client.get("/api/v1/review/queue", headers={"X-API-Key": reader}).status_code == 200
    body = {"verdicts": [{"hit_id": "illegal_promise#1", "verdict": "rejected"}]}
    r = env.client.post(f"{R}/{cid}/verdicts", json=body, headers={"X-API-Key": reader})
    assert r.status_code == 403 and "conversations:write" in r.json()["error"]["message"]
    assert env.client.post(f"{R}/{cid}/verdicts", json=body, headers={"X-API-Key": writer}).status_code == 200
    assert env.client.get("/api/v1/review/queue", headers={"X-API-Key": writer}).status_code == 403
