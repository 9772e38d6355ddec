"""Precision (Wilson interval), Cohen's kappa on blind double reviews, drift; masked exports."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from api.models import AuditLog
from api.review.stats import cohen_kappa, wilson
from tests.api.review.helpers import bad_chat, upload

R = "/api/v1/review/conversations"
HITS = ("forbidden_phrases#1", "forbidden_phrases#2", "illegal_promise#1")


def test_kappa_and_wilson_against_hand_computed_values():
    # 2x2 table: both confirm 5, first confirms/second rejects 2, 1 the other way, both reject 4 (n = 12)
    # p_o = 9/12 = .75; p_e = (7/12)(6/12) + (5/12)(6/12) = .5; kappa = (.75 - .5) / (1 - .5) = .5
    table = [("confirmed", "confirmed")] * 5 + [("confirmed", "rejected")] * 2 + \
            [("rejected", "confirmed")] * 1 + [("rejected", "rejected")] * 4
    assert cohen_kappa(table) == 0.5
    assert cohen_kappa([("confirmed", "confirmed")] * 3) is None  # p_e = 1: undefined
    assert cohen_kappa([("confirmed", "rejected"), ("rejected", "confirmed")]) == -1.0
    # Wilson 95 % for 3/4 from published tables: 0.3006 .. 0.9544
    assert wilson(3, 4) == pytest.approx((0.3006, 0.9544), abs=1e-4)
    assert wilson(0, 0) == (None, None)
    low, high = wilson(0, 10)
    assert low == 0.0 and high == pytest.approx(0.2775, abs=1e-4)


def _double_review_world(env):
    """Four vetoed chats (3 hits each), every one sampled with qa1 first and qa2 as blind second."""
    ids = upload(env, [bad_chat(f"d{i}", day=2 + i) for i in range(4)])
    h = env.headers("admin")
    plan = {"name": "双人盲评", "percent": 100, "reviewers": ["qa1", "qa2"], "assignment": "share",
            "shares": {"qa1": 1, "qa2": 0}, "double_review_percent": 100}
    pid = env.client.post("/api/v1/review/sampling/plans", json=plan, headers=h).json()["id"]
    out = env.client.post("/api/v1/review/sampling/run", json={"plan_id": pid, "week": "2026-W45"}, headers=h).json()
    assert out["created"] == 4 and out["double_review"] == 4 and out["assigned"] == {"qa1": 4, "qa2": 0}
    return [ids[f"d{i}"] for i in range(4)]


def test_blind_double_review_kappa_precision_drift(env):
    convs = _double_review_world(env)
    first = ["confirmed"] * 7 + ["rejected"] * 5
    second = ["confirmed"] * 5 + ["rejected"] * 2 + ["confirmed"] + ["rejected"] * 4
    for i, cid in enumerate(convs):
        for user, labels in (("qa1", first), ("qa2", second)):
            body = {"verdicts": [{"hit_id": hit, "verdict": labels[3 * i + j]} for j, hit in enumerate(HITS)]}
            r = env.client.post(f"{R}/{cid}/verdicts", json=body, headers=env.headers(user))
            assert r.status_code == 200, r.text
            if user == "qa2":
                # blind: the second reviewer sees only their own verdicts, no final score, no trail
                assert r.json()["blind"] is True and r.json()["final"] is None and r.json()["trail"] == []
                assert [h["verdict"]["reviewer"] for h in r.json()["hits"]] == ["qa2"] * 3
    # the blind verdicts never change the final score: it follows qa1's
    detail = env.client.get(f"{R}/{convs[0]}", headers=env.headers("qa1")).json()
    assert detail["blind"] is False and {h["verdict"]["reviewer"] for h in detail["hits"]} == {"qa1"}

    agreement = env.client.get("/api/v1/review/stats/agreement", headers=env.headers("admin")).json()
    assert agreement["overall"]["kappa"] == 0.5 and agreement["overall"]["hits"] == 12
    assert agreement["overall"]["table"] == {"confirmed_confirmed": 5, "confirmed_rejected": 2,
                                             "rejected_confirmed": 1, "rejected_rejected": 4}
    assert [(p["first_reviewer"], p["second_reviewer"], p["kappa"]) for p in agreement["pairs"]] == \
        [("qa1", "qa2", 0.5)]

    rules = {r["rule_id"]: r for r in env.client.get("/api/v1/review/stats/precision",
                                                      headers=env.headers("qa1")).json()["rules"]}
    # qa1's (primary) labels by hit position: forbidden#1 c,c,c,r; forbidden#2 c,c,r,r; promise c,c,r,r
    assert (rules["forbidden_phrases"]["confirmed"], rules["forbidden_phrases"]["rejected"]) == (5, 3)
    assert (rules["illegal_promise"]["confirmed"], rules["illegal_promise"]["rejected"]) == (2, 2)
    assert rules["illegal_promise"]["precision"] == 0.5
    assert (rules["forbidden_phrases"]["ci95_low"], rules["forbidden_phrases"]["ci95_high"]) == wilson(5, 8)
    assert env.client.get("/api/v1/review/stats/precision", headers=env.headers("lead2")).json()["rules"] == []
    assert env.client.get("/api/v1/review/stats/precision", headers=env.headers("agent7")).status_code == 403

    drift = env.client.get("/api/v1/review/stats/drift", headers=env.headers("admin")).json()["weeks"]
    assert [(d["reviewer"], d["verdicts"], d["confirm_rate"]) for d in drift] == [("qa1", 12, round(7 / 12, 4))]
    assert drift[0]["others_confirm_rate"] is None  # blind verdicts are calibration, not drift input

    r = env.client.get("/api/v1/review/stats/agreement", params={"format": "csv"}, headers=env.headers("admin"))
    rows = list(csv.DictReader(io.StringIO(r.text.lstrip("\ufeff"))))
    assert [row["kappa"] for row in rows] == ["0.5", "0.5"]
    with env.services.sessions() as s:
        assert s.scalar(select(AuditLog.target_id).where(AuditLog.action == "export")) == "reviewer-agreement"


def test_drift_against_the_others(env):
    ids = upload(env, [bad_chat(f"r{i}", day=2 + i) for i in range(2)])
    for cid, user, verdict in ((ids["r0"], "qa1", "confirmed"), (ids["r1"], "qa2", "rejected")):
        body = {"verdicts": [{"hit_id": h, "verdict": verdict} for h in HITS]}
        assert env.client.post(f"{R}/{cid}/verdicts", json=body, headers=env.headers(user)).status_code == 200
    drift = {d["reviewer"]: d for d in env.client.get("/api/v1/review/stats/drift",
                                                      headers=env.headers("qa1")).json()["weeks"]}
    assert drift["qa1"]["confirm_rate"] == 1.0 and drift["qa1"]["others_confirm_rate"] == 0.0
    assert drift["qa1"]["difference"] == 1.0 and drift["qa2"]["difference"] == -1.0
