"""Review queue scoping and filters; sampling plans: determinism, no duplicates, assignment."""

from __future__ import annotations

import csv
import hashlib
import io
import math

from sqlalchemy import select, update

from api.models import AuditLog, Result, User
from api.review.models import ReviewItem
from tests.api.review.helpers import bad_chat, upload

Q = "/api/v1/review/queue"


def clean_chat(cid: str, agent: str = "a7", team: str = "t1", day: int = 3) -> dict:
    """No hits, no flags: only sampling puts it in the queue."""
    t = f"2026-11-{day:02d}T10:00"
    return {"id": cid, "channel": "chat", "agent_id": agent, "team_id": team, "started_at": f"{t}:00+08:00",
            "utterances": [
                {"speaker": "customer", "text": "你好，我想问一下快递到哪了", "start": f"{t}:00+08:00"},
                {"speaker": "agent", "text": "您好，很高兴为您服务，我帮您查询一下", "start": f"{t}:05+08:00"},
                {"speaker": "customer", "text": "好的，谢谢", "start": f"{t}:15+08:00"},
                {"speaker": "agent", "text": "快递今天下午送达。还有其他可以帮您的吗？感谢您的咨询，再见",
                 "start": f"{t}:25+08:00"},
            ]}


def _queue(env, user, **params):
    r = env.client.get(Q, params=params, headers=env.headers(user))
    assert r.status_code == 200, r.text
    return r.json()


def test_queue_scope_and_filters(env):
    ids = upload(env, [bad_chat("b7"), bad_chat("b8", agent="a8", day=4), bad_chat("b9", agent="a9", team="t2"),
                       clean_chat("ok7")])
    ext = {v: k for k, v in ids.items()}
    seen = lambda body: {ext[i["conversation_id"]] for i in body["items"]}  # noqa: E731
    assert seen(_queue(env, "admin")) == {"b7", "b8", "b9"}  # flagged (veto); the clean chat is not
    assert seen(_queue(env, "qa1")) == {"b7", "b8"}
    assert seen(_queue(env, "lead2")) == {"b9"}
    assert _queue(env, "qa3")["total"] == 0  # covers t3 only
    assert env.client.get(Q, headers=env.headers("agent7")).status_code == 403

    assert seen(_queue(env, "admin", team_id="t2")) == {"b9"}
    assert seen(_queue(env, "qa1", team_id="t2")) == set()  # a filter never widens the scope
    assert seen(_queue(env, "admin", agent_id="a8")) == {"b8"}
    assert seen(_queue(env, "admin", rule_id="illegal_promise")) == {"b7", "b8", "b9"}
    assert seen(_queue(env, "admin", rule_id="illegal")) == set()  # whole ids, not substrings
    assert seen(_queue(env, "admin", rule_id="%")) == set()  # LIKE wildcards are escaped
    assert seen(_queue(env, "admin", flag="veto")) == {"b7", "b8", "b9"}
    assert seen(_queue(env, "admin", date_from="2026-11-04T00:00:00+08:00")) == {"b8"}
    assert seen(_queue(env, "admin", date_to="2026-11-03T00:00:00+08:00")) == {"b7", "b9"}
    assert seen(_queue(env, "admin", score_min=1)) == set()  # vetoes score 0
    assert seen(_queue(env, "admin", status="pending")) == {"b7", "b8", "b9"}

    # a new result version (e.g. another model) moves an open item along: emotion stage + score filters
    with env.services.sessions() as s:
        old = s.scalar(select(Result).where(Result.conversation_id == ids["b8"]))
        data = {**old.result, "score": 72.0, "veto": False, "flags": [{"code": "customer_agitated", "reason": "x"}],
                "analysis": {**old.result["analysis"], "emotion_index": {"index": 20.0, "stage": "angry"}}}
        s.add(Result(conversation_id=old.conversation_id, version=2, pack_id=old.pack_id, pack_version="v2",
                     pack_sha="f" * 64, scorecard_id=old.scorecard_id, scorecard_version=old.scorecard_version,
                     scorecard_sha=old.scorecard_sha, model_version=old.model_version, engine_version="t",
                     score=72.0, grade="合格", veto=False, passed=False, needs_review=True, result=data))
        s.commit()
    assert seen(_queue(env, "admin", emotion_stage="angry")) == {"b8"}
    assert seen(_queue(env, "admin", score_min=70, score_max=75)) == {"b8"}
    assert seen(_queue(env, "admin", flag="customer_agitated")) == {"b8"}

    body = _queue(env, "admin", sort="score", order="desc", limit=2)
    assert body["total"] == 3 and [ext[i["conversation_id"]] for i in body["items"]][0] == "b8"
    assert len(_queue(env, "admin", sort="score", order="desc", limit=2, offset=2)["items"]) == 1
    assert env.client.get(Q, params={"status": "bogus"}, headers=env.headers("admin")).status_code == 422

    r = env.client.post(f"/api/v1/review/conversations/{ids['b7']}/verdicts", headers=env.headers("qa2"),
                        json={"verdicts": [{"hit_id": "illegal_promise#1", "verdict": "confirmed"}]})
    assert r.status_code == 200
    assert seen(_queue(env, "admin", reviewer="qa2")) == {"b7"}
    assert seen(_queue(env, "admin", reviewer="nobody")) == set()
    assert seen(_queue(env, "admin", status="in_review")) == {"b7"}


def test_queue_export_is_masked_and_audited(env):
    upload(env, [{**bad_chat("13812345678"), "customer_id": "u1"}])  # a phone number as the client's id
    r = env.client.get(f"{Q}/export", params={"format": "csv"}, headers=env.headers("qa1"))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text.lstrip("\ufeff"))))
    assert len(rows) == 1 and rows[0]["external_id"] == "*******5678"
    assert "13812345678" not in r.text
    r = env.client.get(f"{Q}/export", params={"format": "json"}, headers=env.headers("qa1"))
    assert r.json()[0]["external_id"] == "*******5678"
    with env.services.sessions() as s:
        entries = s.scalars(select(AuditLog).where(AuditLog.action == "export")).all()
        assert [(e.actor, e.detail["format"]) for e in entries] == [("qa1", "csv"), ("qa1", "json")]


def test_weeks_follow_the_centres_time_zone():
    from datetime import datetime

    from api.review.sampling import week_bounds

    # Monday 00:00 in Shanghai is Sunday 16:00 UTC: a 07:00 Monday call belongs to the new week
    assert week_bounds("2026-W45", "Asia/Shanghai") == (datetime(2026, 11, 1, 16), datetime(2026, 11, 8, 16))
    assert week_bounds("2026-W45") == (datetime(2026, 11, 2), datetime(2026, 11, 9))


def _expected(plan_id: int, week: str, conv_ids: list[str], percent: float) -> set[str]:
    ranked = sorted(conv_ids, key=lambda c: hashlib.sha256(f"{plan_id}:{week}:{c}".encode()).hexdigest())
    return set(ranked[:math.ceil(len(conv_ids) * percent / 100)])


def test_sampling_is_deterministic_and_never_duplicates(env):
    convs = [clean_chat(f"x{i}", day=2 + i % 5) for i in range(10)]
    convs += [clean_chat(f"y{i}", agent="a8", day=3) for i in range(6)]
    convs += [bad_chat("v1", day=5), clean_chat("later", day=10), clean_chat("t2", agent="a9", team="t2")]
    ids = upload(env, convs)
    h = env.headers("qa1")
    assert _queue(env, "qa1")["total"] == 1  # the veto is queued (unassigned) before the plan runs
    plan = {"name": "每周抽检 20%", "team_id": "t1", "percent": 20, "include_flags": ["veto"],
            "reviewers": ["qa1", "qa2"], "assignment": "round_robin"}
    r = env.client.post("/api/v1/review/sampling/plans", json=plan, headers=h)
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    r = env.client.post("/api/v1/review/sampling/run", json={"plan_id": pid, "week": "2026-W45"}, headers=h)
    assert r.status_code == 200, r.text
    out = r.json()
    # x0..x9 (a7) + y0..y5 (a8) + v1 (a7, veto) are in week 45 and team t1; "later" and t2 are not
    assert out["candidates"] == 17
    a7 = [ids[f"x{i}"] for i in range(10)] + [ids["v1"]]
    a8 = [ids[f"y{i}"] for i in range(6)]
    sampled = _expected(pid, "2026-W45", a7, 20) | _expected(pid, "2026-W45", a8, 20)
    assert len(sampled) == 3 + 2
    with env.services.sessions() as s:
        items = {i.conversation_id: i for i in s.scalars(select(ReviewItem).where(ReviewItem.plan_id == pid))}
    # v1 (veto) was already queued: the plan adopts it (assigns it) instead of adding a second item
    assert set(items) == sampled | {ids["v1"]}
    n = len(items)
    assert out["created"] == n - 1 and out["already_queued"] == 1
    assert out["assigned"] == {"qa1": (n + 1) // 2, "qa2": n // 2}  # round-robin over every item it assigned
    assert items[ids["v1"]].source == "flagged" and items[ids["v1"]].reviewer_id is not None
    assert {i.source for c, i in items.items() if c in sampled - {ids["v1"]}} == {"sampled"}

    again = env.client.post("/api/v1/review/sampling/run", json={"plan_id": pid, "week": "2026-W45"}, headers=h).json()
    assert again["created"] == 0 and again["selected"] == out["selected"]
    with env.services.sessions() as s:
        assert s.scalar(select(ReviewItem.id).where(ReviewItem.conversation_id == ids["t2"])) is None
        total = len(s.scalars(select(ReviewItem.id)).all())
    assert total == len(items)

    # qa3 covers another team: it sees exactly what is assigned to it
    with env.services.sessions() as s:
        s.execute(update(ReviewItem).where(ReviewItem.conversation_id == ids["x0"]).values(reviewer_id=None))
        target = s.scalar(select(ReviewItem).where(ReviewItem.source == "sampled"))
        qa3 = s.scalar(select(User.id).where(User.username == "qa3"))
        target.reviewer_id = qa3
        s.commit()
        target_id = target.conversation_id
    body = _queue(env, "qa3")
    assert [i["conversation_id"] for i in body["items"]] == [target_id]
    assert env.client.get(f"/api/v1/conversations/{target_id}", headers=env.headers("qa3")).status_code == 200

    bad = env.client.post("/api/v1/review/sampling/run", json={"plan_id": pid, "week": "2026-W99"}, headers=h)
    assert bad.status_code == 422
    assert env.client.post("/api/v1/review/sampling/run", json={"plan_id": 999, "week": "2026-W45"},
                           headers=h).status_code == 404
    assert env.client.post("/api/v1/review/sampling/plans", json=plan, headers=env.headers("lead1")).status_code == 403


def test_assignment_by_share(env):
    upload(env, [clean_chat(f"s{i}", day=2 + i % 5) for i in range(8)])
    h = env.headers("admin")
    plan = {"name": "全量", "percent": 100, "reviewers": ["qa1", "qa2"], "assignment": "share",
            "shares": {"qa1": 3, "qa2": 1}}
    pid = env.client.post("/api/v1/review/sampling/plans", json=plan, headers=h).json()["id"]
    out = env.client.post("/api/v1/review/sampling/run", json={"plan_id": pid, "week": "2026-W45"}, headers=h).json()
    assert out["created"] == 8 and out["assigned"] == {"qa1": 6, "qa2": 2}
    plan["reviewers"] = ["lead1"]
    pid = env.client.post("/api/v1/review/sampling/plans", json=plan, headers=h).json()["id"]
    r = env.client.post("/api/v1/review/sampling/run", json={"plan_id": pid, "week": "2026-W45"}, headers=h)
    assert r.status_code == 422 and "lead1" in r.json()["error"]["message"]


def test_concurrent_readers_queue_each_conversation_once(env):
    """Every queue read materialises flagged items; racing readers must neither fail nor duplicate."""
    from concurrent.futures import ThreadPoolExecutor

    ids = upload(env, [bad_chat(f"c{i}", day=2 + i % 5) for i in range(6)])
    h = env.headers("admin")
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: env.client.get(Q, headers=h), range(16)))
    assert [a.status_code for a in answers] == [200] * 16
    with env.services.sessions() as s:
        queued = s.scalars(select(ReviewItem.conversation_id)).all()
    assert sorted(queued) == sorted(ids.values())


def test_nul_characters_are_refused_not_500(env):
    # PostgreSQL text cannot hold NUL: found by schemathesis on PostgreSQL as a 500
    h = env.headers("admin")
    r = env.client.post("/api/v1/review/sampling/plans", json={"name": "a\x00b", "percent": 5}, headers=h)
    assert r.status_code == 422 and "NUL" in r.text
    assert env.client.get(Q, params={"team_id": "t\x001"}, headers=h).status_code == 422
    assert env.client.get("/api/v1/review/stats/precision", params={"team_id": "\x00"}, headers=h).status_code == 422
    assert env.client.get("/api/v1/review/conversations/a%00b", headers=h).status_code == 422
    assert env.client.get("/api/v1/review/conversations/a%00b/appeal", headers=h).status_code == 422
