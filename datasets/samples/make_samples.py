"""Generate the demo sample conversations (synthetic, deterministic).

    python datasets/samples/make_samples.py        # rewrites chats.jsonl, calls.jsonl, export_gbk.csv

Sixty customer-service contacts for November 2026, six agents in two teams:

* t1 售后一组 (after-sales): a1 (skilled), a2 (good), a3 (slow to reply, average);
* t2 售前组 (pre-sales):     a4 (skilled), a5 (rushed: blunt phrases, talks fast, interrupts),
  a6 (weak: skips greetings, leaks numbers, one illegal promise).

Every utterance is picked with a seeded ``random.Random`` from the hand-written templates in
``phrases.yaml`` (next to this script), so the output is identical on every run and every machine
(no clock, no hash order). Each agent's habits are probabilities in ``agents`` there; the scenario
plan (who handles which topic on which day, who calls back within a week) is fixed in ``plan()``.

Outputs, all read by ``qa_engine.ingest.read_path``:

* ``chats.jsonl``   - online chats, one JSON object per line, ISO timestamps per message;
* ``calls.jsonl``   - transcribed calls, start/end seconds per utterance (silence, overtalk and
  speech-rate rules apply);
* ``export_gbk.csv`` - a chat-system export in GBK with Chinese headers (会话ID, 发送方, 内容,
  时间, 坐席工号, 班组, 客户ID) and ``meta_*`` columns for the KPI fields.

KPI metadata on every contact: talk_seconds, hold_seconds, acw_seconds, wait_seconds, resolved,
csat (1-5, missing when the customer skipped the survey), role (after_sales / pre_sales),
team_name, topic, and complaint/escalated when they happened.
"""

from __future__ import annotations

import csv
import io
import json
import random
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import yaml

SEED = 20261101
HERE = Path(__file__).resolve().parent
CST = timezone(timedelta(hours=8))
SPOKEN = re.compile(r"[\s\W_]+", re.UNICODE)

# The phrase bank and the agents' habits are data: phrases.yaml, next to this script.
_DATA = yaml.safe_load((HERE / "phrases.yaml").read_text(encoding="utf-8"))
TEAMS: dict[str, tuple[str, str]] = {tid: tuple(team) for tid, team in _DATA["teams"].items()}  # name, role
AGENTS: dict[str, dict] = _DATA["agents"]  # habits as probabilities per contact
GREETINGS: list[str] = _DATA["greetings"]
CALL_GREETINGS: list[str] = _DATA["call_greetings"]
BLUNT_OPENERS: list[str] = _DATA["blunt_openers"]
BLUNT_CHAT: list[str] = _DATA["blunt_chat"]
HOLDS: list[str] = _DATA["holds"]
CUSTOMER_OK: list[str] = _DATA["customer_ok"]
FURTHER: list[str] = _DATA["further"]
CUSTOMER_NO_MORE: list[str] = _DATA["customer_no_more"]
CLOSINGS: list[str] = _DATA["closings"]
CALL_CLOSINGS: list[str] = _DATA["call_closings"]
FLAT_ENDINGS: list[str] = _DATA["flat_endings"]
SOOTHING: list[str] = _DATA["soothing"]
FORBIDDEN_LINES: list[str] = _DATA["forbidden_lines"]
RHETORICAL_LINES: list[str] = _DATA["rhetorical_lines"]
COMPLAINTS: list[str] = _DATA["complaints"]
UNHAPPY: dict[str, list[str]] = _DATA["unhappy"]  # by role
SURNAMES: str = _DATA["surnames"]
# topic templates; follow: (customer question, agent reply) pairs
TOPICS: dict[str, dict] = {name: {**topic, "follow": [tuple(pair) for pair in topic["follow"]]}
                           for name, topic in _DATA["topics"].items()}
FOLLOW_UP_OPEN: dict[str, list[str]] = _DATA["follow_up_open"]  # by role
AGENT_PROMISE: str = _DATA["agent_promise"]
AGENT_PRIVACY: str = _DATA["agent_privacy"]


# ----------------------------------------------------------------------------- generation


@dataclass
class Contact:
    cid: str
    channel: str  # chat | call
    agent: str
    customer: str
    topic: str
    start: datetime
    follow_up: bool = False  # the same customer about the same issue, days after a first contact
    lines: list[tuple[str, str]] = field(default_factory=list)  # (agent|customer, text)
    events: set[str] = field(default_factory=set)


def _digits(rng: random.Random, n: int) -> str:
    while True:
        s = "".join(rng.choice("0123456789") for _ in range(n))
        # keep numbers clear of the complaint cues 315 / 12345 / 12315 so the demo's flags are real
        if "315" not in s and "12345" not in s:
            return s


def _slots(rng: random.Random, agent: str) -> dict[str, str]:
    phone = rng.choice(["138", "139", "186", "135", "177", "152"]) + _digits(rng, 8)
    return {
        "phone": phone, "masked": f"{phone[:3]}****{phone[-4:]}", "tail": phone[-4:],
        "order": "2026" + _digits(rng, 8), "amount": str(rng.choice([18, 29, 36, 58, 99, 128, 199, 268, 1299])),
        "date": f"11月{rng.randint(1, 20)}日", "account": "gz" + _digits(rng, 8),
        "surname": rng.choice(SURNAMES), "wid": {"a1": "1021", "a2": "1034", "a3": "1047",
                                                  "a4": "2052", "a5": "2068", "a6": "2073"}[agent],
        "community": "阳光花园二期",
    }


def build_lines(rng: random.Random, c: Contact) -> None:
    habits = AGENTS[c.agent]
    topic = TOPICS[c.topic]
    s = _slots(rng, c.agent)

    def p(name: str) -> bool:
        return rng.random() < habits[name]

    def fill(text: str) -> str:
        return text.format(**s)

    A, C = "agent", "customer"
    lines: list[tuple[str, str]] = []
    unhappy = (c.follow_up and topic["role"] == "after_sales") or rng.random() < 0.2
    lines.append((C, fill(rng.choice(FOLLOW_UP_OPEN[topic["role"]] if c.follow_up else topic["open"]))))
    greet = rng.choice(CALL_GREETINGS if c.channel == "call" else GREETINGS)
    if p("greet_miss"):
        c.events.add("no_greeting")
        greet = rng.choice(BLUNT_OPENERS if c.channel == "call" else BLUNT_CHAT)
    if c.channel == "call":  # the agent speaks first on a call
        lines.insert(0, (A, fill(greet)))
        greet = ""
    ask = fill(rng.choice(topic["ask"]))
    if unhappy:
        lines.append((C, rng.choice(UNHAPPY[topic["role"]])))
        if rng.random() < habits["soothe"]:
            ask = rng.choice(SOOTHING) + ask
        else:
            c.events.add("not_soothed")
    lines.append((A, fill(greet) + ask))
    lines.append((C, fill(rng.choice(topic["info"]))))
    if topic["read_back"] and p("read_back"):
        lines.append((A, fill(rng.choice(topic["read_back"]))))
        lines.append((C, rng.choice(["对的", "对", "是的，没错"])))
        c.events.add("read_back")
    if p("privacy"):
        lines.append((A, fill(AGENT_PRIVACY)))
        lines.append((C, "对"))
        c.events.add("privacy")
    lines.append((A, rng.choice(HOLDS)))
    lines.append((C, rng.choice(CUSTOMER_OK)))
    c.events.add("hold")
    lines.append((A, fill(rng.choice(topic["answer"]))))
    question, reply = rng.choice(topic["follow"])
    lines.append((C, question))
    if p("forbidden"):
        lines.append((A, rng.choice(FORBIDDEN_LINES)))
        c.events.add("forbidden")
        if rng.random() < 0.5:
            lines.append((C, rng.choice(COMPLAINTS)))
            c.events.add("complaint")
    elif p("rhetorical"):
        lines.append((A, rng.choice(RHETORICAL_LINES)))
        c.events.add("rhetorical")
    lines.append((A, fill(reply)))
    if c.events & {"forbidden", "rhetorical"} and rng.random() < 0.5:
        lines.append((C, "你这什么态度"))
    if "unanswered" not in c.events and p("unanswered") and c.channel == "chat":
        lines.append((C, rng.choice(["那大概要多久？", "还有别的办法吗？", "好吧"])))
        c.events.add("unanswered")
        c.lines = lines
        return
    if lines[-1] == (C, "你这什么态度"):
        lines.append((C, rng.choice(["算了", "行吧"])))
    else:
        lines.append((C, rng.choice(["好的，谢谢", "明白了", "行，知道了", "好的"])))
    if p("further_miss"):
        c.events.add("no_further_help")
    else:
        lines.append((A, rng.choice(FURTHER)))
        lines.append((C, rng.choice(CUSTOMER_NO_MORE)))
    if p("close_miss"):
        lines.append((A, rng.choice(FLAT_ENDINGS)))
        c.events.add("no_closing")
    else:
        lines.append((A, rng.choice(CALL_CLOSINGS if c.channel == "call" else CLOSINGS)))
    c.lines = lines


def _chars(text: str) -> int:
    return len(SPOKEN.sub("", text))


def timed_chat(rng: random.Random, c: Contact) -> tuple[list[dict], float]:
    habits = AGENTS[c.agent]
    replies = [i for i in range(1, len(c.lines)) if c.lines[i][0] == "agent" and c.lines[i - 1][0] == "customer"]
    # a slow contact has one reply that keeps the customer waiting (the first one, or a later one)
    slow_at = rng.choice(replies) if replies and rng.random() < habits["slow"] else None
    t = 0.0
    out: list[dict] = []
    for i, (speaker, text) in enumerate(c.lines):
        if i:
            if i == slow_at:
                t += rng.uniform(35, 200)
                c.events.add("slow_reply")
            elif i in replies:
                t += rng.uniform(4, 15 if i == replies[0] else 25)
            elif speaker == "agent":  # a second message in a row: longer after 请稍等 (looking it up)
                t += rng.uniform(15, 40) if "稍" in c.lines[i - 1][1] else rng.uniform(3, 10)
            else:
                t += rng.uniform(8, 45)
        out.append({"speaker": speaker, "text": text, "start": (c.start + timedelta(seconds=round(t))).isoformat()})
    return out, round(t)


def timed_call(rng: random.Random, c: Contact) -> tuple[list[dict], float, float]:
    habits = AGENTS[c.agent]
    hold = 0.0
    out: list[dict] = []
    fast_used = overtalk_used = False
    silences_left = int(rng.random() < habits["slow"]) + int(rng.random() < habits["slow"] / 2)
    for i, (speaker, text) in enumerate(c.lines):
        rate = rng.uniform(190, 240) if speaker == "agent" else rng.uniform(200, 260)
        gap = rng.uniform(0.3, 1.2)
        if out:
            prev = out[-1]
            if speaker == "agent" and prev["speaker"] == "customer":
                if any(h in c.lines[i - 2][1] for h in ("稍等", "稍候")) and i >= 2:
                    gap = rng.uniform(12, 45)  # lookup on hold after 请稍等: exempt dead air
                    hold += gap
                elif silences_left and rng.random() < 0.5:
                    gap = rng.uniform(6, 9)  # dead air: nobody speaks after the customer
                    silences_left -= 1
                    c.events.add("silence")
                elif not overtalk_used and _chars(prev["text"]) >= 8 and rng.random() < habits["overtalk"]:
                    gap = -rng.uniform(1.3, 2.0)  # cuts in before the customer has finished
                    overtalk_used = True
                    c.events.add("overtalk")
            if speaker == "agent" and not fast_used and _chars(text) >= 20 and rng.random() < habits["fast"]:
                rate = rng.uniform(320, 380)
                fast_used = True
                c.events.add("fast")
        start = 0.0 if not out else round(max(u["end"] for u in out) + gap, 1)
        end = round(start + max(0.6, _chars(text) / rate * 60), 1)
        if gap < 0:
            end = max(end, round(start + 2.5, 1))
        out.append({"speaker": speaker, "text": text, "start": start, "end": end})
    return out, out[-1]["end"], round(hold, 1)


def metadata(rng: random.Random, c: Contact, talk: float, hold: float) -> dict:
    topic = TOPICS[c.topic]
    bad = c.events & {"forbidden", "rhetorical", "no_greeting", "not_soothed", "unanswered", "privacy", "promise"}
    # a first contact the customer comes back about may still say resolved: the agent thought so;
    # the KPI's repeat-contact window is what catches it
    resolved = rng.random() < topic["resolved"] and "unanswered" not in c.events
    md = {
        "team_name": TEAMS[AGENTS[c.agent]["team"]][0], "role": topic["role"], "topic": c.topic,
        "talk_seconds": talk, "hold_seconds": hold,
        "acw_seconds": rng.randint(15, 60) if c.channel == "chat" else rng.randint(30, 150),
        "wait_seconds": rng.randint(2, 40) if c.channel == "chat" else rng.randint(5, 90),
        "resolved": resolved,
    }
    if rng.random() < 0.75:  # a quarter of customers skip the survey
        base = 5 if not bad else 3
        if not resolved:
            base -= 1
        md["csat"] = max(1, min(5, base + rng.choice([-1, 0, 0, 0, 1]) - (1 if "complaint" in c.events else 0)))
    if "complaint" in c.events:
        md["complaint"] = True
        md["escalated"] = rng.random() < 0.5
    return md


def plan(rng: random.Random) -> list[Contact]:
    """60 contacts, 10 per agent: 2 calls each, the rest chats, 8 of which go to the GBK export;
    repeats by the same customer within 7 days for FCR."""
    contacts: list[Contact] = []
    after = ["bill", "broadband_fault", "refund", "logistics", "card_bill"]
    pre = ["plan", "product", "card_apply", "broadband_new"]
    n = 0
    for agent, habits in AGENTS.items():
        topics = after if habits["team"] == "t1" else pre
        for k in range(10):
            n += 1
            channel = "call" if k in (3, 8) else "chat"
            day = 2 + (k * 5 + int(agent[1]) * 2) % 26
            start = datetime(2026, 11, day, rng.randint(9, 19), rng.choice([0, 10, 20, 30, 40, 50]),
                             rng.randint(0, 59), tzinfo=CST)
            c = Contact(cid="", channel=channel, agent=agent, customer=f"u{200 + n:03d}",
                        topic=rng.choice(topics), start=start)
            contacts.append(c)
    # FCR: six customers come back within 7 days (same customer id, follow-up opening); one more
    # comes back after 10 days, which is a new contact, not a repeat.
    by_agent = {a: [c for c in contacts if c.agent == a] for a in AGENTS}
    repeats = [("a1", 0, "a2", 1, 3), ("a2", 2, "a3", 4, 2), ("a3", 5, "a3", 6, 5),
               ("a4", 0, "a5", 1, 1), ("a5", 3, "a6", 2, 4), ("a6", 6, "a4", 7, 6), ("a2", 7, "a1", 8, 10)]
    for first_agent, i, second_agent, j, days in repeats:
        first, second = by_agent[first_agent][i], by_agent[second_agent][j]
        second.customer = first.customer
        if first.start.day + days > 28:  # keep both contacts inside November
            first.start = first.start.replace(day=rng.randint(2, 28 - days))
        second.start = first.start + timedelta(days=days, hours=rng.randint(1, 3))
        if days <= 7:  # same team, same issue: the customer is back because it was not solved
            second.topic, second.follow_up = first.topic, True
    # the GBK export: eight chats come from the chat system's CSV export instead (1-2 per agent)
    export_ids = {("a1", 5), ("a2", 5), ("a3", 1), ("a3", 9), ("a4", 5), ("a5", 6), ("a6", 1), ("a6", 9)}
    for (agent, k) in export_ids:
        by_agent[agent][k].channel = "csv"
    contacts.sort(key=lambda c: c.start)
    counters = {"chat": 0, "call": 0, "csv": 0}
    for c in contacts:
        counters[c.channel] += 1
        prefix = {"chat": "chat", "call": "call", "csv": "im"}[c.channel]
        c.cid = f"{prefix}-202611-{counters[c.channel]:03d}"
    return contacts


def one_illegal_promise(contacts: list[Contact]) -> None:
    """a6 makes one illegal promise (a veto) on a refund-like question; kept out of chance so the
    demo always shows exactly one veto."""
    target = next(c for c in contacts if c.agent == "a6" and c.channel == "chat" and not c.follow_up)
    idx = max(i for i, (s, _) in enumerate(target.lines) if s == "agent" and i < len(target.lines) - 2)
    target.lines.insert(idx + 1, ("customer", "那这钱到底什么时候能退回来？"))
    target.lines.insert(idx + 2, ("agent", AGENT_PROMISE))
    target.events.add("promise")


def render(contacts: list[Contact], rng: random.Random) -> tuple[list[dict], list[dict], list[list[str]]]:
    chats, calls, rows = [], [], []
    for c in contacts:
        build_lines(rng, c)
    one_illegal_promise(contacts)
    for c in contacts:
        if c.channel == "call":
            utterances, talk, hold = timed_call(rng, c)
        else:
            utterances, talk = timed_chat(rng, c)
            hold = 0.0
        md = metadata(rng, c, talk, hold)
        team = AGENTS[c.agent]["team"]
        if c.channel == "csv":
            for u in utterances:
                rows.append([c.cid, "坐席" if u["speaker"] == "agent" else "客户", u["text"], u["start"], c.agent,
                             team, c.customer, md["talk_seconds"], md["hold_seconds"], md["acw_seconds"],
                             md["wait_seconds"], json.dumps(md["resolved"]), md.get("csat", ""), md["role"],
                             md["team_name"], md["topic"]])
            continue
        record = {"id": c.cid, "channel": c.channel, "agent_id": c.agent, "team_id": team,
                  "customer_id": c.customer, "started_at": c.start.isoformat(), "metadata": md,
                  "utterances": utterances}
        (calls if c.channel == "call" else chats).append(record)
    return chats, calls, rows


CSV_HEADER = ["会话ID", "发送方", "内容", "时间", "坐席工号", "班组", "客户ID", "meta_talk_seconds",
              "meta_hold_seconds", "meta_acw_seconds", "meta_wait_seconds", "meta_resolved", "meta_csat",
              "meta_role", "meta_team_name", "meta_topic"]


def main() -> None:
    rng = random.Random(SEED)
    contacts = plan(rng)
    chats, calls, rows = render(contacts, rng)
    for name, records in (("chats.jsonl", chats), ("calls.jsonl", calls)):
        text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
        (HERE / name).write_text(text, encoding="utf-8", newline="\n")
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    writer.writerows(rows)
    (HERE / "export_gbk.csv").write_bytes(buf.getvalue().encode("gbk"))
    print(f"chats.jsonl: {len(chats)}  calls.jsonl: {len(calls)}  export_gbk.csv: "
          f"{len({r[0] for r in rows})} conversations, {len(rows)} rows")


if __name__ == "__main__":
    main()
