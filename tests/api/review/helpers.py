"""Shared data for the review tests: chats that hit known rules, upload + scoring helpers."""

from __future__ import annotations

from api.worker import Worker
from tests.api.conftest import chat

PHONE = "13812345678"


def bad_chat(cid: str, agent: str = "a7", team: str = "t1", day: int = 2) -> dict:
    """Hits: illegal_promise (veto), forbidden_phrases ×2 (escalating 5 + 8), and a phone number."""
    t = f"2026-11-{day:02d}T09:30"
    return {"id": cid, "channel": "chat", "agent_id": agent, "team_id": team, "customer_id": "u1",
            "started_at": f"{t}:00+08:00",
            "utterances": [
                {"speaker": "customer", "text": f"你好，我的手机号是{PHONE}，退款什么时候到", "start": f"{t}:00+08:00"},
                {"speaker": "agent", "text": "您好，很高兴为您服务。这个我不知道", "start": f"{t}:10+08:00"},
                {"speaker": "customer", "text": "那怎么办", "start": f"{t}:20+08:00"},
                {"speaker": "agent", "text": "没办法，不过您放心，我保证三天内到账", "start": f"{t}:30+08:00"},
                {"speaker": "agent", "text": "还有其他可以帮您的吗？感谢您的咨询，再见", "start": f"{t}:40+08:00"},
            ]}


def upload(env, convs: list[dict], user: str = "admin") -> dict[str, str]:
    """external id -> conversation id, scored."""
    r = env.client.post("/api/v1/conversations/chat", json=convs, headers=env.headers(user))
    assert r.status_code == 202, r.text
    Worker(env.services, kinds=("score",)).drain()
    return {c["external_id"]: c["id"] for c in r.json()["conversations"]}


__all__ = ["PHONE", "bad_chat", "chat", "upload"]
