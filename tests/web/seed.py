"""Demo data for the page tests: the 50 sample chats/calls, one real call recording with its
timeline (datasets/calls/call08_complaint), and a synthetic one-hour call with a silent WAV."""

from __future__ import annotations

import json
import shutil
import wave
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from api.auth import issue_token
from api.deps import Services
from api.models import Conversation, User
from api.users import add_user
from api.worker import Worker

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "datasets" / "samples"
CALLS = ROOT / "datasets" / "calls"
PASSWORD = "password-123"
AUDIO_CALL_ID = "demo-call08"
LONG_CALL_ID = "demo-long-call"
LONG_CALL_SECONDS = 3600

# username, role, teams, agent_id, can_unmask
USERS = [
    ("admin", "admin", [], None, True),
    ("qa1", "qa", ["t1", "t2"], None, False),
    ("sup1", "supervisor", ["t1", "t2"], None, False),
    ("agent1", "agent", ["t1"], "a1", False),
    ("agent4", "agent", ["t2"], "a4", False),
]


def audio_call() -> dict:
    timeline = json.loads((CALLS / "call08_complaint.timeline.json").read_text(encoding="utf-8"))
    return {"id": AUDIO_CALL_ID, "channel": "call", "agent_id": "a1", "team_id": "t1", "customer_id": "u900",
            "started_at": "2026-11-05T10:00:00+08:00", "duration": timeline["duration"],
            "utterances": [{"speaker": u["speaker"], "text": u["text"], "start": u["start"], "end": u["end"]}
                           for u in timeline["utterances"]]}


def long_call(seconds: int = LONG_CALL_SECONDS) -> dict:
    """An hour of alternating turns (~3 s each, 1200 lines) with some rule-relevant phrases."""
    agent = ["您好，很高兴为您服务，请问有什么可以帮您？", "好的，我帮您查询一下，请稍等。", "这个问题我已经记录下来了。",
             "不知道，你自己去查吧。", "非常抱歉给您带来不便。", "还有其他可以帮您的吗？"]
    customer = ["我的账单好像多扣了钱。", "你们怎么回事，一直都解决不了！", "好的，谢谢。", "我要投诉你们！",
                "那我再等等吧。", "行，明白了。"]
    utterances, t, i = [], 0.0, 0
    while t + 3 <= seconds:
        speaker = "agent" if i % 2 == 0 else "customer"
        text = (agent if speaker == "agent" else customer)[(i // 2) % 6]
        utterances.append({"speaker": speaker, "text": text, "start": round(t, 2), "end": round(t + 2.6, 2)})
        t += 3.0
        i += 1
    return {"id": LONG_CALL_ID, "channel": "call", "agent_id": "a2", "team_id": "t1", "customer_id": "u901",
            "started_at": "2026-11-06T14:00:00+08:00", "duration": float(seconds), "utterances": utterances}


PII_CHAT_ID = "demo-pii-chat"
PII_PHONE = "13812345678"


def pii_chat() -> dict:
    """A chat where the customer gives a mobile number: masked for viewers without unmask."""
    return {"id": PII_CHAT_ID, "channel": "chat", "agent_id": "a3", "team_id": "t1", "customer_id": "u902",
            "started_at": "2026-11-07T09:00:00+08:00", "utterances": [
                {"speaker": "customer", "text": "你好，我想改一下绑定的手机", "start": "2026-11-07T09:00:00+08:00"},
                {"speaker": "agent", "text": "您好，很高兴为您服务，请提供新的手机号码。", "start": "2026-11-07T09:00:10+08:00"},
                {"speaker": "customer", "text": f"新号码是{PII_PHONE}", "start": "2026-11-07T09:00:30+08:00"},
                {"speaker": "agent", "text": "已为您修改完成，还有其他可以帮您的吗？感谢您的咨询，再见。",
                 "start": "2026-11-07T09:00:50+08:00"}]}


def silent_wav(path: Path, seconds: int) -> None:
    # 8 kHz unsigned 8-bit mono: an hour is 28.8 MB, enough for the browser to seek anywhere
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(1)
        w.setframerate(8000)
        chunk = b"\x80" * 8000 * 60
        for _ in range(seconds // 60):
            w.writeframes(chunk)


def seed(client: TestClient, services: Services, password_hash: str) -> dict[str, str]:
    """Users, uploads, scoring and audio; returns {external id: conversation id}."""
    with services.sessions() as session:
        for username, role, teams, agent_id, unmask in USERS:
            add_user(session, username, PASSWORD, role, teams=teams, agent_id=agent_id, can_unmask=unmask,
                     hashed=password_hash)
        session.commit()
        admin = session.scalar(select(User).where(User.username == "admin"))
        token, _ = issue_token(admin, services.settings.jwt_key, 60)
    headers = {"Authorization": f"Bearer {token}"}
    records = [json.loads(line) for name in ("chats.jsonl", "calls.jsonl")
               for line in (SAMPLES / name).read_text(encoding="utf-8").splitlines() if line.strip()]
    records += [audio_call(), long_call(), pii_chat()]
    r = client.post("/api/v1/conversations/chat", json={"conversations": records}, headers=headers)
    assert r.status_code == 202, r.text
    Worker(services).drain()
    audio_dir = services.settings.audio_path / "demo"
    audio_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy(CALLS / "call08_complaint.mono16k.wav", audio_dir / "call08.wav")
    silent_wav(audio_dir / "long.wav", LONG_CALL_SECONDS)
    ids = {}
    with services.sessions() as session:
        for conv in session.scalars(select(Conversation)).all():
            ids[conv.external_id] = conv.id
            if conv.external_id == AUDIO_CALL_ID:
                conv.audio_path, conv.audio_filename = "demo/call08.wav", "call08_complaint.wav"
            elif conv.external_id == LONG_CALL_ID:
                conv.audio_path, conv.audio_filename = "demo/long.wav", "long.wav"
        session.commit()
        unscored = [c.external_id for c in session.scalars(select(Conversation)).all() if c.status != "scored"]
    assert not unscored, f"not scored: {unscored}"
    return ids
