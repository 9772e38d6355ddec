"""Appeal state machine: agent -> team lead -> QA -> final judgement; deadlines; illegal moves 409."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from api.db import utcnow
from api.review.models import Appeal, ReviewItem
from tests.api.review.helpers import bad_chat, upload

R = "/api/v1/review/conversations"


def _reviewed(env, ext="b1", agent="a7", team="t1"):
    cid = upload(env, [bad_chat(ext, agent=agent, team=team)])[ext]
    h = env.headers("qa1" if team == "t1" else "admin")
    r = env.client.post(f"{R}/{cid}/verdicts", headers=h,
                        json={"verdicts": [{"hit_id": "forbidden_phrases#1", "verdict": "rejected"}]})
    assert r.status_code == 200, r.text
    return cid


def _post(env, cid, user, path="appeal", status=200, **body):
    r = env.client.post(f"{R}/{cid}/{path}", json=body or None, headers=env.headers(user))
    assert r.status_code == status, (user, path, r.text)
    return r.json()


def test_full_appeal_overturned_by_qa(env):
    cid = _reviewed(env)
    body = _post(env, cid, "agent7", status=409, reason="我没有承诺")  # review not finished yet
    assert "not finished" in body["error"]["message"]
    assert env.client.post(f"{R}/{cid}/complete", headers=env.headers("qa1")).status_code == 200

    _post(env, cid, "qa1", status=403, reason="x")  # only the agent appeals
    _post(env, cid, "agent9", status=404, reason="x")  # not their conversation
    appeal = _post(env, cid, "agent7", status=201, reason="我说的是会尽快处理，不是保证到账")
    assert appeal["status"] == "submitted" and appeal["score_before"] == 0.0 and appeal["agent"] == "agent7"
    assert _post(env, cid, "agent7", status=409, reason="again")["error"]["message"].count("once") == 1

    _post(env, cid, "qa1", "appeal/decision", status=409, decision="uphold")  # QA's turn has not come
    _post(env, cid, "lead2", "appeal/decision", status=404, decision="approve")  # other team's lead
    _post(env, cid, "agent7", "appeal/decision", status=403, decision="approve")
    out = _post(env, cid, "lead1", "appeal/decision", decision="approve", comment="转质检复核")
    assert out["status"] == "forwarded" and out["lead"] == "lead1" and out["qa_due_at"]
    _post(env, cid, "lead1", "appeal/decision", status=409, decision="reject")

    # during the appeal QA may change verdicts on the completed review
    r = env.client.post(f"{R}/{cid}/verdicts", headers=env.headers("qa2"),
                        json={"verdicts": [{"hit_id": "illegal_promise#1", "verdict": "rejected", "comment": "误判"}]})
    assert r.status_code == 200 and r.json()["final"]["score"] == 95.0
    err = _post(env, cid, "qa2", "appeal/decision", status=409, decision="uphold")
    assert "overturn" in err["error"]["message"]
    out = _post(env, cid, "qa2", "appeal/decision", decision="overturn", comment="改判")
    assert out["status"] == "overturned" and out["final"] and out["score_after"] == 95.0

    # 终审: nothing moves any more
    for user, decision in (("qa2", "uphold"), ("lead1", "approve")):
        _post(env, cid, user, "appeal/decision", status=409, decision=decision)
    _post(env, cid, "agent7", "appeal/withdraw", status=409)
    _post(env, cid, "agent7", status=409, reason="再申诉")
    r = env.client.post(f"{R}/{cid}/verdicts", headers=env.headers("qa2"),
                        json={"verdicts": [{"hit_id": "illegal_promise#1", "verdict": "confirmed"}]})
    assert r.status_code == 409 and "终审" in r.json()["error"]["message"]

    detail = env.client.get(f"{R}/{cid}", headers=env.headers("agent7")).json()
    assert detail["appeal"]["status"] == "overturned" and detail["final"]["score"] == 95.0
    states = [(t["old"], t["new"]) for t in detail["trail"] if t["field"] == "appeal.status"]
    assert states == [(None, "submitted"), ("submitted", "forwarded"), ("forwarded", "overturned")]
    listed = env.client.get("/api/v1/review/appeals", params={"status": "overturned"}, headers=env.headers("lead1"))
    assert [a["conversation_id"] for a in listed.json()["items"]] == [cid]
    assert env.client.get("/api/v1/review/appeals", headers=env.headers("lead2")).json()["items"] == []


def test_lead_rejects_and_withdraw(env):
    cid = _reviewed(env)
    env.client.post(f"{R}/{cid}/complete", headers=env.headers("qa1"))
    _post(env, cid, "agent7", status=201, reason="申诉")
    out = _post(env, cid, "lead1", "appeal/decision", decision="reject", comment="证据充分")
    assert out["status"] == "rejected" and out["final"]
    _post(env, cid, "qa1", "appeal/decision", status=409, decision="overturn")
    _post(env, cid, "agent7", "appeal/withdraw", status=409)

    other = _reviewed(env, "b2")
    env.client.post(f"{R}/{other}/complete", headers=env.headers("qa1"))
    _post(env, other, "agent7", status=201, reason="申诉")
    assert _post(env, other, "agent7", "appeal/withdraw")["status"] == "withdrawn"


def test_deadlines(env):
    late = _reviewed(env, "late")
    env.client.post(f"{R}/{late}/complete", headers=env.headers("qa1"))
    with env.services.sessions() as s:  # the review was finished 8 days ago; the window is 7
        s.execute(update(ReviewItem).where(ReviewItem.conversation_id == late)
                  .values(done_at=utcnow() - timedelta(days=8)))
        s.commit()
    err = _post(env, late, "agent7", status=409, reason="晚了")
    assert "appeal window closed" in err["error"]["message"]
    env.app.state.review_settings.appeal_window_days = 10  # configurable
    assert _post(env, late, "agent7", status=201, reason="窗口放宽后")["status"] == "submitted"

    # a lead who lets the deadline pass does not bury the appeal: it moves on to QA
    with env.services.sessions() as s:
        s.execute(update(Appeal).where(Appeal.conversation_id == late)
                  .values(lead_due_at=utcnow() - timedelta(hours=1)))
        s.commit()
    shown = env.client.get(f"{R}/{late}/appeal", headers=env.headers("agent7")).json()
    assert shown["status"] == "forwarded" and shown["lead_comment"].startswith("主管未在期限内处理")
    err = _post(env, late, "lead1", "appeal/decision", status=409, decision="approve")
    assert "'forwarded'" in err["error"]["message"]
    out = _post(env, late, "qa1", "appeal/decision", decision="uphold", comment="维持")
    assert out["status"] == "upheld" and out["score_after"] == out["score_before"]
    assert env.client.get(f"{R}/no-such/appeal", headers=env.headers("agent7")).status_code == 404
