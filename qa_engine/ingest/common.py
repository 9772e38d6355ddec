"""Shared parsing and assembly used by the JSON and CSV readers.

Readers turn their records into :class:`RawUtterance` objects plus conversation-level fields and
call :func:`build_conversation`, so both formats follow the same rules:

* **Speakers**: matched case-insensitively after stripping against :data:`SPEAKER_ALIASES`
  (坐席/客服/agent/staff/helpdesk... -> agent; 客户/用户/customer/user/visitor... -> customer;
  系统/机器人/robot/bot/system -> system; 机器人 is a bot reply, not the human agent, so it must not
  count for or against the agent). No prefix guessing: ``客户经理`` is a role of the *agent*
  side, so ``坐席A`` or ``客服-小王`` are errors unless the caller passes ``speaker_map``.
* **Times** (``start``/``end``): a number or numeric string below 1e9 is seconds from the
  conversation start; a number >= 1e9 is an epoch timestamp (seconds, or milliseconds when
  >= 1e12); any other string must be a date-time (ISO 8601, or ``2026/11/2 9:30:05``). A
  conversation uses one kind: mixing offsets and timestamps is an error. Timestamps become
  seconds relative to ``started_at``, or to the earliest message when ``started_at`` is absent
  (``started_at`` is then set to that message's time). Date-times without an offset are taken
  to be in ``default_tz`` (China Standard Time, UTC+8, unless the caller says otherwise).
* Missing ``end`` on a chat message -> ``end = start`` (a message is instantaneous); on a call it
  stays ``None``. ``end`` without ``start``, negative offsets, a message before ``started_at``
  and ``end < start`` are errors.
* **Order**: when every utterance has a start time, utterances are sorted by start, stably (ties
  keep the input order) - exports and stereo ASR often list one side first. When any time is
  missing the given order is kept. ``index`` is always re-assigned 0..n-1 after ordering.
* ``duration``, when absent: latest end (or start) minus earliest start; ``None`` without times.
* **Text**: ``raw_text`` keeps the input verbatim; ``text`` = :func:`normalize_text`. Empty text
  is kept (an image or sticker message is still a reply for response-time KPIs); a missing or
  non-string text is an error.
* **Identifiers** (id, agent/team/customer id) are stripped; numbers are accepted and turned into
  strings; blank means absent.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any

from pydantic import ValidationError

from qa_engine.text import normalize_text
from qa_engine.types import Channel, Conversation, Speaker, Utterance

CHINA_TZ = timezone(timedelta(hours=8), "UTC+08:00")
EPOCH_SECONDS_MIN = 1e9  # 2001-09-09: no conversation lasts 31 years, so larger = a timestamp
EPOCH_MILLIS_MIN = 1e12

SPEAKER_ALIASES: dict[str, Speaker] = {
    **{k: Speaker.agent for k in (
        "agent", "staff", "helpdesk", "service", "operator", "csr", "坐席", "客服", "人工客服",
        "客服人员", "座席", "话务员", "商家", "卖家")},
    **{k: Speaker.customer for k in (
        "customer", "user", "visitor", "client", "caller", "客户", "用户", "顾客", "访客", "买家",
        "来电人", "来电客户")},
    **{k: Speaker.system for k in (
        "system", "robot", "bot", "系统", "机器人", "系统消息", "智能客服")},
}
CHANNEL_ALIASES: dict[str, Channel] = {
    **{k: Channel.chat for k in ("chat", "im", "text", "online", "在线", "文本", "聊天", "在线客服")},
    **{k: Channel.call for k in ("call", "phone", "voice", "audio", "电话", "语音", "通话", "热线")},
}

_DATETIME_RE = re.compile(
    r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?"
    r"(?:[ T]+(\d{1,2})[:时](\d{1,2})(?:[:分](\d{1,2})(?:[.,](\d{1,6})\d*)?秒?)?)?"
    r"\s*(Z|[+-]\d{2}(?::?\d{2})?)?",
    re.IGNORECASE,
)


class Problem(Exception):
    """Internal: a validation failure located inside a file; readers add the file name."""

    def __init__(self, record: str, field: str, message: str) -> None:
        super().__init__(message)
        self.record, self.field, self.message = record, field, message


_UTF_BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"),
)


def bom_encoding(head: bytes) -> str | None:
    """UTF-16/32 when the bytes start with their byte-order mark (Excel "Unicode text")."""
    for bom, name in _UTF_BOMS:
        if head.startswith(bom):
            return name
    return None


def decode_bytes(data: bytes) -> str:
    """Decode a whole input: UTF-16/32 by BOM, else strict UTF-8 (BOM optional), else GB18030.

    Strict UTF-8 first because GB18030 would also "decode" most UTF-8 bytes into nonsense;
    Chinese Windows exports that fail UTF-8 are GBK, which GB18030 contains.
    """
    encoding = bom_encoding(data[:4])
    candidates = [encoding] if encoding else ["utf-8-sig", "gb18030"]
    for candidate in candidates:
        try:
            return data.decode(candidate)
        except UnicodeDecodeError:
            continue
    raise ValueError(
        "text is neither UTF-8 nor GB18030/GBK; re-save the file as UTF-8"
        if not encoding else f"text is not valid {encoding}; re-save the file as UTF-8"
    )


def describe(value: Any) -> str:
    """Short, safe rendering of a bad value for messages."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def clean_id(value: Any) -> str | None:
    """Identifier -> stripped string, ``None`` when blank; raises ValueError for other types."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ValueError(f"must be a string or an integer, got {json_type(value)}")
    text = str(value).strip()
    return text or None


def parse_speaker(value: Any, speaker_map: Mapping[str, Speaker] | None = None) -> Speaker:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ValueError(f"speaker must be a string, got {json_type(value)}")
    key = str(value).strip()
    if speaker_map:
        if key in speaker_map:
            return speaker_map[key]
        if key.casefold() in speaker_map:
            return speaker_map[key.casefold()]
    found = SPEAKER_ALIASES.get(key.casefold())
    if found is None:
        raise ValueError(
            f"unknown speaker {key!r}; use agent|customer|system or map it with --speaker-map"
        )
    return found


def parse_channel(value: Any) -> Channel:
    found = CHANNEL_ALIASES.get(value.strip().casefold()) if isinstance(value, str) else None
    if found is None:
        raise ValueError(f"unknown channel {describe(value)}; use chat or call")
    return found


def normalize_speaker_map(speaker_map: Mapping[str, str | Speaker] | None) -> dict[str, Speaker]:
    """Validate a user mapping (e.g. ``{"坐席A": "agent"}``) once, before reading."""
    result: dict[str, Speaker] = {}
    for raw, target in (speaker_map or {}).items():
        try:
            speaker = target if isinstance(target, Speaker) else Speaker(str(target).strip().lower())
        except ValueError:
            speaker = SPEAKER_ALIASES.get(str(target).strip().casefold())  # type: ignore[assignment]
            if speaker is None:
                raise ValueError(
                    f"speaker map: {raw!r} -> {target!r}: target must be agent, customer or system"
                ) from None
        result[str(raw).strip()] = speaker
        result[str(raw).strip().casefold()] = speaker
    return result


def parse_datetime(text: str, default_tz: tzinfo) -> datetime:
    text = text.strip()
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        match = _DATETIME_RE.fullmatch(text)
        if match is None:
            raise ValueError(
                f"not a time: {describe(text)}; use seconds from the start or an ISO 8601 "
                "timestamp like 2026-11-02T09:30:00+08:00"
            ) from None
        y, mo, d, h, mi, s, frac, offset = match.groups()
        try:
            value = datetime(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(s or 0),
                             int((frac or "0").ljust(6, "0")))
            if offset:
                value = datetime.fromisoformat(value.isoformat() + offset.replace("z", "Z"))
        except ValueError as exc:
            raise ValueError(f"not a valid date-time {describe(text)}: {exc}") from None
    return value if value.tzinfo is not None else value.replace(tzinfo=default_tz)


def parse_time(value: Any, default_tz: tzinfo) -> float | datetime | None:
    """Seconds from start (float) or an absolute time (aware datetime); see module docstring."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError("must be seconds or a timestamp, got true/false")
    if isinstance(value, str):
        if not value.strip():
            return None
        try:
            number = float(value)
        except ValueError:
            return parse_datetime(value, default_tz)
    elif isinstance(value, (int, float)):
        try:
            number = float(value)
        except OverflowError:
            raise ValueError(f"number too large: {describe(value)}") from None
    else:
        raise ValueError(f"must be seconds or a timestamp, got {json_type(value)}")
    if not math.isfinite(number):
        raise ValueError(f"must be a finite number, got {describe(value)}")
    if number >= EPOCH_SECONDS_MIN:
        seconds = number / 1000.0 if number >= EPOCH_MILLIS_MIN else number
        try:
            return datetime.fromtimestamp(seconds, tz=default_tz)
        except (OverflowError, OSError, ValueError):
            raise ValueError(f"timestamp out of range: {describe(value)}") from None
    return number


@dataclass
class RawUtterance:
    """One message as read, before times are resolved. ``record``/``prefix``/``columns`` say
    where it came from so errors can name the exact field (``utterances[3].start`` in JSON, the
    header name ``时间`` in CSV)."""

    speaker: Speaker
    raw_text: str
    text: str  # text to normalise (JSON may carry a corrected ``text`` next to ``raw_text``)
    start: float | datetime | None
    end: float | datetime | None
    record: str
    prefix: str = ""
    columns: Mapping[str, str] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)  # other Utterance fields (words, ...)

    def where(self, name: str) -> tuple[str, str]:
        return self.record, self.prefix + self.columns.get(name, name)


def _pydantic_problem(exc: ValidationError, record: str, prefix: str) -> Problem:
    first = exc.errors()[0]
    loc = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in first.get("loc", ()))
    return Problem(record, (prefix + loc.lstrip(".")).rstrip("."), f"{first['msg']}; fix the value")


def _relative(value: float | datetime, base: datetime | None) -> float:
    if isinstance(value, datetime):
        assert base is not None
        return (value - base).total_seconds()
    return value


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return any(_has_nul(v) for v in value)
    return False


def build_conversation(
    *,
    conv_id: str,
    channel: Channel,
    utterances: list[RawUtterance],
    record: str,
    started_at: datetime | None = None,
    duration: float | None = None,
    agent_id: str | None = None,
    team_id: str | None = None,
    customer_id: str | None = None,
    metadata: dict[str, Any] | None = None,
    analysis: Any = None,
    source: str | None = None,
) -> Conversation:
    """Resolve times, order, indices and duration; raise :class:`Problem` on invalid data."""
    for u in utterances:
        if "\x00" in u.raw_text or "\x00" in u.text:
            # a NUL is never speech; it is a broken export, and databases cannot store it in text
            raise Problem(*u.where("text"), "contains a NUL character (\\u0000); remove it from the export")
    for name, value in (("id", conv_id), ("agent_id", agent_id), ("team_id", team_id), ("customer_id", customer_id)):
        if value is not None and "\x00" in value:
            raise Problem(record, name, "contains a NUL character (\\u0000); remove it")
    if metadata and _has_nul(metadata):
        raise Problem(record, "metadata", "contains a NUL character (\\u0000); remove it")
    kinds = {type(t) for u in utterances for t in (u.start, u.end) if t is not None}
    if float in kinds and datetime in kinds:
        first_kind = None
        for u in utterances:
            for name, value in (("start", u.start), ("end", u.end)):
                if value is None:
                    continue
                first_kind = first_kind or type(value)
                if type(value) is not first_kind:
                    raise Problem(*u.where(name), "mixes timestamps with seconds-from-start in one "
                                                  "conversation; use one kind for every message")
    base = started_at
    if datetime in kinds and base is None:
        base = min(t for u in utterances for t in (u.start, u.end) if isinstance(t, datetime))
        started_at = base

    resolved: list[tuple[float | None, float | None]] = []
    for u in utterances:
        if u.start is None and u.end is not None:
            raise Problem(*u.where("end"), "end is given without a start; add the start time")
        start = None if u.start is None else _relative(u.start, base)
        end = None if u.end is None else _relative(u.end, base)
        if start is not None and start < 0:
            if isinstance(u.start, datetime):
                raise Problem(*u.where("start"), f"message time {u.start.isoformat()} is "
                              f"{-start:g} s before started_at {base.isoformat() if base else ''}; "
                              "fix started_at or leave it out")
            raise Problem(*u.where("start"), f"negative time {start:g}; times are seconds from "
                                             "the conversation start and must be >= 0")
        if end is not None and start is not None and end < start:
            raise Problem(*u.where("end"), f"end {end:g} is before start {start:g}; "
                                           "swap or fix the times")
        if end is None and start is not None and channel == Channel.chat:
            end = start  # a chat message is instantaneous
        resolved.append((start, end))

    order = list(range(len(utterances)))
    if utterances and all(s is not None for s, _ in resolved):
        order.sort(key=lambda i: resolved[i][0])  # type: ignore[arg-type, return-value]

    built: list[Utterance] = []
    for index, i in enumerate(order):
        u = utterances[i]
        start, end = resolved[i]
        try:
            # words=[] given explicitly: cheaper than pydantic deep-copying the default per row
            built.append(Utterance(index=index, speaker=u.speaker, text=normalize_text(u.text),
                                   raw_text=u.raw_text, start=start, end=end,
                                   **{"words": [], **u.extra}))
        except ValidationError as exc:
            raise _pydantic_problem(exc, u.record, u.prefix) from None

    if duration is not None and duration < 0:
        raise Problem(record, "duration", f"negative duration {duration:g}; use seconds >= 0")
    starts = [s for s, _ in resolved if s is not None]
    if duration is None and starts:
        duration = max((e if e is not None else s) for s, e in resolved if s is not None) - min(starts)
    try:
        conversation = Conversation(
            id=conv_id, channel=channel, agent_id=agent_id, team_id=team_id,
            customer_id=customer_id, started_at=started_at, duration=duration,
            metadata=metadata or {}, utterances=built, source=source,
            **({"analysis": analysis} if analysis is not None else {}),
        )
    except ValidationError as exc:
        raise _pydantic_problem(exc, record, "") from None
    return conversation


__all__ = [
    "CHANNEL_ALIASES", "CHINA_TZ", "Problem", "RawUtterance", "SPEAKER_ALIASES",
    "build_conversation", "bom_encoding", "clean_id", "decode_bytes", "normalize_speaker_map", "parse_channel", "parse_datetime",
    "parse_speaker", "parse_time",
]
