"""Seeded synthetic ScoreResults shaped like a month of call-centre traffic (tests and timing)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from typing import Any

RULES = [("R01", "开场白", "minor", "required"), ("R02", "结束语", "minor", "required"),
         ("R05", "禁用语", "major", "violation"), ("R09", "静音", "minor", "violation"),
         ("R11", "未致歉", "major", "violation"), ("R12", "违规承诺", "critical", "violation"),
         ("R20", "投诉倾向", "info", "detect")]
CSAT = [5, 5, 5, 4, 4, 4, 3, 2, 1, "非常满意", "满意", "一般", "不满意"]
ROLES = ["after_sales", "pre_sales", "tech_support"]
TRENDS = ["improved", "worsened", "stable", "recovered", "lost"]


def synthetic_dicts(n: int, *, seed: int = 7, agents: int = 200, teams: int = 20, customers: int | None = None,
                    utterances: int = 0, start: datetime = datetime(2026, 10, 20, tzinfo=timezone.utc),
                    days: int = 50) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    customers = customers or max(1, n // 3)
    pack = {"id": "default", "version": "1", "sha256": "0" * 64}
    out = []
    for i in range(n):
        agent = rng.randrange(agents)
        team = agent % teams
        chat = rng.random() < 0.4
        score = max(0.0, min(100.0, rng.gauss(86, 8)))
        veto = rng.random() < 0.01
        hits = []
        for k, (rid, name, sev, mode) in enumerate(RULES):
            if rng.random() < 0.05:
                hits.append({"id": f"{rid}#{k}", "rule_id": rid, "rule_version": 1, "rule_name": name,
                             "severity": sev, "mode": mode, "utterance_indices": [0], "explanation": "synthetic"})
        md: dict[str, Any] = {"role": ROLES[team % 3], "wait_seconds": round(rng.expovariate(1 / 12), 1)}
        if not chat:
            md.update(talk_seconds=round(rng.gauss(280, 60), 1), hold_seconds=round(rng.expovariate(1 / 20), 1),
                      acw_seconds=round(rng.expovariate(1 / 30), 1))
        if rng.random() < 0.6:
            md["csat"] = rng.choice(CSAT)
        if rng.random() < 0.03:
            md["resolved"] = False
        if rng.random() < 0.01:
            md["complaint"] = True
        emotion = None
        if rng.random() < 0.9:
            start_index = rng.uniform(10, 90)
            emotion = {"index": rng.uniform(20, 95), "start_index": start_index, "trend": rng.choice(TRENDS),
                       "negative_share": rng.random() * 0.2}
        timing = {"first_response": rng.expovariate(1 / 25), "average_response": rng.expovariate(1 / 35)} if chat else None
        out.append({
            "engine_version": "synthetic", "conversation_id": f"conv-{i:07d}", "channel": "chat" if chat else "call",
            "agent_id": f"a{agent:04d}", "team_id": f"t{team:02d}", "customer_id": f"u{rng.randrange(customers):06d}",
            "started_at": (start + timedelta(seconds=rng.uniform(0, days * 86400))).isoformat(),
            "duration": round(rng.gauss(300, 80), 1), "metadata": md, "rule_pack": pack, "scorecard": pack,
            "score": round(score, 1), "veto": veto, "grade": "良好", "passed": score >= 80 and not veto,
            "dimensions": [{"id": "attitude", "name": "服务态度", "weight": 30, "score": rng.choice([30, 25, 20]),
                            "deducted": 0}],
            "compliance_score": round(rng.uniform(85, 100), 1), "hits": hits, "deductions": [],
            "flags": [{"code": "complaint", "reason": "synthetic"}] if rng.random() < 0.01 else [],
            "needs_review": False,
            "analysis": {"timing": timing, "emotion_index": emotion},
            "utterances": [{"index": u, "speaker": "agent" if u % 2 else "customer", "text": "您好，请问有什么可以帮您",
                            "raw_text": "您好，请问有什么可以帮您", "start": u * 5.0, "end": u * 5.0 + 4}
                           for u in range(utterances)],
        })
    return out
