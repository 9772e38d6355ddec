"""PII masked by default in every response; unmask needs the permission and is audited.
Backtest of a draft pack that removes and adds a rule; invalid drafts answer 422 with the place."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select, update

from api.models import AuditLog, User
from tests.api.review.helpers import PHONE, bad_chat, chat, upload

ACTIVE_PACK = Path(__file__).resolve().parents[3] / "rules" / "default.yaml"
MASKED = "*******" + PHONE[-4:]


def _grant_unmask(env, username):
    with env.services.sessions() as s:
        s.execute(update(User).where(User.username == username).values(can_unmask=True))
        s.commit()


def _audit(env, action):
    with env.services.sessions() as s:
        return [(e.actor, e.user_id is not None, e.target_id, e.detail.get("path"))
                for e in s.scalars(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id))]


def test_masked_by_default_everywhere(env):
    cid = upload(env, [{**bad_chat("b1"), "metadata": {"caller": PHONE, "note": f"回拨 {PHONE}"}}])["b1"]
    h = env.headers("qa1")
    # reviewers' own words (comments, reasons: kept in the trail) are masked in responses too
    r = env.client.post(f"/api/v1/review/conversations/{cid}/verdicts", headers=h, json={"verdicts": [
        {"hit_id": "illegal_promise#1", "verdict": "rejected", "comment": f"客户号码 {PHONE} 已核实"}]})
    assert r.status_code == 200 and PHONE not in r.text and f"客户号码 {MASKED} 已核实" in r.text
    r = env.client.post(f"/api/v1/review/conversations/{cid}/manual-items", headers=h,
                        json={"dimension": "compliance", "points": -1, "reason": f"读出号码 {PHONE}"})
    assert r.status_code == 201 and PHONE not in r.text
    for path in (f"/api/v1/conversations/{cid}", f"/api/v1/conversations/{cid}/results",
                 f"/api/v1/review/conversations/{cid}"):
        r = env.client.get(path, headers=h)
        assert r.status_code == 200, r.text
        assert PHONE not in r.text and MASKED in r.text, path
    detail = env.client.get(f"/api/v1/conversations/{cid}", headers=h).json()
    assert detail["metadata"] == {"caller": MASKED, "note": f"回拨 {MASKED}"}
    assert detail["result"]["result"]["utterances"][0]["text"] == f"你好，我的手机号是{MASKED}，退款什么时候到"
    assert _audit(env, "unmask") == []


def test_customer_ids_that_are_phone_numbers_are_masked_in_lists(env):
    cid = upload(env, [{**chat("p1"), "customer_id": PHONE}])["p1"]
    h = env.headers("qa1")
    listing = env.client.get("/api/v1/conversations", headers=h)
    assert listing.status_code == 200 and PHONE not in listing.text
    assert [i["customer_id"] for i in listing.json()["items"] if i["id"] == cid] == [MASKED]
    detail = env.client.get(f"/api/v1/conversations/{cid}", headers=h)
    assert PHONE not in detail.text and detail.json()["customer_id"] == MASKED


def test_unmask_needs_the_permission_and_is_audited(env):
    cid = upload(env, [bad_chat("b1")])["b1"]
    for path in (f"/api/v1/conversations/{cid}", f"/api/v1/conversations/{cid}/results",
                 f"/api/v1/review/conversations/{cid}"):
        r = env.client.get(path, params={"unmask": "true"}, headers=env.headers("qa1"))
        assert r.status_code == 403 and "unmask" in r.json()["error"]["message"], path
        assert PHONE not in r.text
    assert _audit(env, "unmask") == []

    _grant_unmask(env, "qa1")
    for path in (f"/api/v1/conversations/{cid}", f"/api/v1/review/conversations/{cid}"):
        r = env.client.get(path, params={"unmask": "true"}, headers=env.headers("qa1"))
        assert r.status_code == 200 and PHONE in r.text, path
        r = env.client.get(path, headers=env.headers("qa1"))  # without asking: still masked
        assert PHONE not in r.text
    assert _audit(env, "unmask") == [("qa1", True, cid, f"/api/v1/conversations/{cid}"),
                                     ("qa1", True, cid, f"/api/v1/review/conversations/{cid}")]
    # the permission does not widen the scope
    _grant_unmask(env, "lead2")
    assert env.client.get(f"/api/v1/conversations/{cid}", params={"unmask": "true"},
                          headers=env.headers("lead2")).status_code == 404


def _draft() -> str:
    """The active pack without illegal_promise, plus a customer rule on refund questions."""
    text = ACTIVE_PACK.read_text(encoding="utf-8")
    start = text.index("  - id: illegal_promise")
    end = text.index("  - id: ", start + 10)
    new_rule = """  - id: refund_question
    name: 客户询问退款
    mode: detect
    severity: info
    speaker: customer
    conditions:
      refund:
        keywords: {any: [退款]}
    explanation: "客户询问退款「{matched}」"

"""
    return text[:start] + new_rule + text[end:]


def test_backtest_draft_that_removes_and_adds_a_rule(env):
    ids = upload(env, [bad_chat("b1"), chat("c1")])
    r = env.client.post("/api/v1/rules/backtest", json={"pack_yaml": _draft(), "filename": "draft.yaml"},
                        headers=env.headers("qa1"))
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["conversations"] == 2 and out["changed"] == 1 and not out["truncated"]
    assert any("illegal_promise" in w for w in out["warnings"])
    rules = {x["rule_id"]: x for x in out["rules"]}
    assert (rules["illegal_promise"]["old_hits"], rules["illegal_promise"]["new_hits"], rules["illegal_promise"]["diff"]) \
        == (1, 0, -1)
    assert (rules["refund_question"]["old_hits"], rules["refund_question"]["new_hits"]) == (0, 1)
    assert rules["forbidden_phrases"]["diff"] == 0
    items = {i["conversation_id"]: i for i in out["items"]}
    b1 = items[ids["b1"]]
    assert b1["old"]["veto"] is True and b1["new"]["veto"] is False
    assert b1["old"]["score"] == 0.0 and b1["new"]["score"] == 87.0 and b1["score_delta"] == 87.0
    assert b1["flags_removed"] == ["veto"]
    assert items[ids["c1"]]["score_delta"] == 0 and items[ids["c1"]]["flags_added"] == []
    # scope: qa3 covers another team and sees nothing to backtest
    assert env.client.post("/api/v1/rules/backtest", json={"pack_yaml": _draft()},
                           headers=env.headers("qa3")).json()["conversations"] == 0
    assert [a for a, *_ in _audit(env, "backtest")] == ["qa1", "qa3"]


def test_backtest_bad_input(env):
    h = env.headers("qa1")
    bad = _draft().replace("客户询问退款\n    mode: detect\n    severity: info", "客户询问退款\n    mode: detect\n    severity: huge")
    r = env.client.post("/api/v1/rules/backtest", json={"pack_yaml": bad, "filename": "mine.yaml"}, headers=h)
    assert r.status_code == 422, r.text
    err = r.json()["error"]
    assert err["code"] == "invalid_rule_pack" and err["details"][0]["file"] == "mine.yaml"
    assert err["details"][0]["rule"] == "refund_question" and err["details"][0]["field"] == "severity"
    r = env.client.post("/api/v1/rules/backtest", json={"pack_yaml": "pack: [unclosed"}, headers=h)
    assert r.status_code == 422 and "line" in r.json()["error"]["message"]
    sneaky = _draft().replace("forbidden: lexicons/forbidden.txt", "forbidden: ../../../etc/passwd", 1)
    r = env.client.post("/api/v1/rules/backtest", json={"pack_yaml": sneaky}, headers=h)
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "lexicons.forbidden"
    r = env.client.post("/api/v1/rules/backtest", json={"pack_yaml": _draft(), "limit": 100_000}, headers=h)
    assert r.status_code == 413
    r = env.client.post("/api/v1/rules/backtest", json={"pack_yaml": _draft()}, headers=env.headers("lead1"))
    assert r.status_code == 403
    r = env.client.post("/api/v1/rules/backtest", json={"pack_yaml": _draft(), "filename": "../x.yaml"}, headers=h)
    assert r.status_code == 422
