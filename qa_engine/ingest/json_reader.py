"""Read conversations from JSON: one object per file, an array of objects, or JSON Lines.

Accepted object (see ``common`` for times, speakers and text)::

    {"id": "c1", "channel": "chat"|"call", "agent_id": "a7", "team_id": "t1",
     "customer_id": "u9", "started_at": "2026-11-02T09:30:00+08:00", "duration": 61.5,
     "metadata": {...}, "utterances": [{"speaker": "agent", "text": "...", "start": 0.0,
     "end": 2.5}]}

Decisions:

* **Layout.** ``.jsonl``/``.ndjson`` are read line by line (streaming, bounded memory). A ``.json``
  file holding an array is read element by element; a ``{"conversations": [...]}`` wrapper works
  too. A ``.json`` file whose first value fits on one line and is followed by more values is
  treated as JSON Lines (exports often mislabel them).
* **One bad record never stops the rest**: in JSON Lines each line is independent (a broken
  line yields an :class:`IngestError` with line and column, the next line is read). In an array
  a *syntax* error ends the file (there is no reliable place to resume); a *validation* error
  only skips that element.
* **Missing id**: the file stem for a single object, ``<stem>:<line>`` for JSON Lines and array
  elements, so every conversation stays addressable. A blank id string is an error, as is an id
  repeated within one file (it would double-count in KPI sheets).
* An empty ``utterances`` list is kept, not an error: an abandoned chat is still a contact in
  KPI sheets (scoring should treat it as not applicable).
* **Missing channel** is an error (guessing chat would silently switch off the call rules).
  Channel synonyms: 在线/文本/im -> chat, 电话/语音/phone -> call.
* **Unknown top-level keys** (``queue``, ``csat``...) are merged into ``metadata`` because
  exports put survey and routing data there and rules test them; an explicit ``metadata`` entry
  wins a clash. ``source`` in the input is ignored (we record where *we* read it).
* **Utterance keys**: ``speaker`` (alias ``role``), ``text`` (alias ``content``), ``start``
  (aliases ``timestamp``, ``time``), ``end``, and the other ``Utterance`` fields (``raw_text``,
  ``channel``, ``confidence``, ``suspect``, ``words``, ``sentiment``, ``emotion``, ``acoustics``)
  so ``Conversation.model_dump_json()`` reads back equal. ``index`` is ignored (re-assigned).
  Unknown utterance keys have no place in the model and are dropped with a logged warning.
  ``text`` is normalised; ``raw_text`` defaults to ``text`` verbatim.
* Encoding: UTF-8 (BOM optional), UTF-16/32 with BOM, or GB18030/GBK, as for CSV; JSON Lines
  decide per line, so one mis-encoded line is one error.
* Memory: JSON Lines stream (83 MB, 30k conversations: 9 s CPU, 38 MiB peak RSS); a ``.json``
  document is decoded whole (bytes, then one string) and parsed element by element.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

from qa_engine.ingest.common import (
    CHINA_TZ,
    Problem,
    RawUtterance,
    bom_encoding,
    build_conversation,
    clean_id,
    decode_bytes,
    describe,
    json_type,
    parse_channel,
    parse_speaker,
    parse_time,
)
from qa_engine.ingest.errors import IngestError
from qa_engine.types import Conversation, Speaker

logger = logging.getLogger("qa_engine.ingest")

JSON_LINES_SUFFIXES = (".jsonl", ".ndjson")
_TOP_LEVEL = {"id", "channel", "agent_id", "team_id", "customer_id", "started_at", "duration",
              "metadata", "utterances", "analysis", "source"}
_PASSTHROUGH = ("channel", "confidence", "suspect", "words", "sentiment", "emotion", "acoustics")
_UTTERANCE_KEYS = {"speaker", "role", "text", "content", "raw_text", "start", "timestamp", "time",
                   "end", "index", *_PASSTHROUGH}
_WS = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


def _first(obj: Mapping[str, Any], *keys: str) -> tuple[str, Any]:
    for key in keys:
        if key in obj:
            return key, obj[key]
    return keys[0], None


def conversation_from_obj(
    obj: Any,
    *,
    record: str,
    default_id: str,
    source: str,
    speaker_map: Mapping[str, Speaker] | None = None,
    default_tz: tzinfo = CHINA_TZ,
) -> Conversation:
    """Validate one decoded JSON value into a Conversation; raise :class:`Problem` if invalid."""
    if not isinstance(obj, dict):
        raise Problem(record, "", f"expected a conversation object {{...}}, got {json_type(obj)}")

    def ident(key: str) -> str | None:
        try:
            return clean_id(obj.get(key))
        except ValueError as exc:
            raise Problem(record, key, str(exc)) from None

    conv_id = ident("id")
    if conv_id is None:
        if obj.get("id") is not None:
            raise Problem(record, "id", "id is blank; give the conversation an id or leave it out")
        conv_id = default_id
    if obj.get("channel") is None:
        raise Problem(record, "channel", 'channel is missing; add "channel": "chat" or "call"')
    try:
        channel = parse_channel(obj["channel"])
    except ValueError as exc:
        raise Problem(record, "channel", str(exc)) from None

    started_at = None
    if obj.get("started_at") is not None:
        try:
            started_at = parse_time(obj["started_at"], default_tz)
        except ValueError as exc:
            raise Problem(record, "started_at", str(exc)) from None
        if started_at is not None and not isinstance(started_at, datetime):
            raise Problem(record, "started_at", f"must be a date-time like 2026-11-02T09:30:00+08:00, "
                                                f"got {describe(obj['started_at'])}")
    duration = obj.get("duration")
    if duration is not None:
        if isinstance(duration, bool) or not isinstance(duration, (int, float)):
            raise Problem(record, "duration", f"must be seconds (a number), got {json_type(duration)}")
        try:
            duration = float(duration)
        except OverflowError:
            raise Problem(record, "duration", "number too large") from None
        if duration != duration or duration in (float("inf"), float("-inf")):
            raise Problem(record, "duration", "must be a finite number")

    metadata = obj.get("metadata")
    if metadata is None:
        metadata = {}
    if not isinstance(metadata, dict):
        raise Problem(record, "metadata", f"must be an object {{...}}, got {json_type(metadata)}")
    extra_top = {k: v for k, v in obj.items() if k not in _TOP_LEVEL}
    metadata = {**extra_top, **metadata}

    items = obj.get("utterances")
    if not isinstance(items, list):
        what = "missing" if items is None else f"{json_type(items)}, not a list"
        raise Problem(record, "utterances", f"utterances is {what}; give a list of "
                                            '{"speaker": ..., "text": ...} messages')
    raws: list[RawUtterance] = []
    dropped: set[str] = set()
    for i, item in enumerate(items):
        prefix = f"utterances[{i}]."
        if not isinstance(item, dict):
            raise Problem(record, f"utterances[{i}]", f"expected a message object, got {json_type(item)}")
        speaker_key, speaker_value = _first(item, "speaker", "role")
        if speaker_value is None:
            raise Problem(record, prefix + "speaker", "speaker is missing; use agent|customer|system")
        try:
            speaker = parse_speaker(speaker_value, speaker_map)
        except ValueError as exc:
            raise Problem(record, prefix + speaker_key, str(exc)) from None
        text_key, text = _first(item, "text", "content")
        if text is None:
            raise Problem(record, prefix + "text", "text is missing; every message needs its text "
                                                   '(use "" for an empty message)')
        if not isinstance(text, str):
            raise Problem(record, prefix + text_key, f"text must be a string, got {json_type(text)}")
        raw_text = item.get("raw_text", text)
        if not isinstance(raw_text, str):
            raise Problem(record, prefix + "raw_text", f"must be a string, got {json_type(raw_text)}")
        times: dict[str, Any] = {}
        for name, keys in (("start", ("start", "timestamp", "time")), ("end", ("end",))):
            key, value = _first(item, *keys)
            try:
                times[name] = parse_time(value, default_tz)
            except ValueError as exc:
                raise Problem(record, prefix + key, str(exc)) from None
        dropped.update(k for k in item if k not in _UTTERANCE_KEYS)
        raws.append(RawUtterance(
            speaker=speaker, raw_text=raw_text, text=text, start=times["start"], end=times["end"],
            record=record, prefix=prefix, extra={k: item[k] for k in _PASSTHROUGH if k in item},
        ))
    if dropped:
        logger.warning("%s: ignored unknown utterance keys %s", source, sorted(dropped))
    return build_conversation(
        conv_id=conv_id, channel=channel, utterances=raws, record=record, started_at=started_at,
        duration=duration, agent_id=ident("agent_id"), team_id=ident("team_id"),
        customer_id=ident("customer_id"), metadata=metadata, analysis=obj.get("analysis"),
        source=source,
    )


class _Emitter:
    """Turns decoded values into Conversations or IngestErrors; tracks duplicate ids."""

    def __init__(self, path: Path, speaker_map: Mapping[str, Speaker] | None, default_tz: tzinfo):
        self.path, self.file = path, str(path)
        self.speaker_map, self.default_tz = speaker_map, default_tz
        self.seen: dict[str, str] = {}

    def emit(self, obj: Any, record: str, default_id: str) -> Conversation | IngestError:
        source = f"{self.file}:{record}" if record else self.file
        try:
            conv = conversation_from_obj(obj, record=record, default_id=default_id, source=source,
                                         speaker_map=self.speaker_map, default_tz=self.default_tz)
        except Problem as p:
            return IngestError(self.file, p.record, p.field, p.message)
        except Exception as exc:  # noqa: BLE001 - one record must never stop the file
            return IngestError(self.file, record, "", f"unexpected error {type(exc).__name__}: "
                                                      f"{exc}; please report this file")
        if conv.id in self.seen:
            first = self.seen[conv.id] or "the top of the file"
            return IngestError(self.file, record, "id", f"duplicate id {conv.id!r} (first at "
                                                        f"{first}); ids must be unique in a file")
        self.seen[conv.id] = record
        return conv


def _syntax_error(file: str, exc: json.JSONDecodeError, line_offset: int = 0) -> IngestError:
    return IngestError(file, f"line {exc.lineno + line_offset}", "",
                       f"invalid JSON at column {exc.colno}: {exc.msg}; fix the syntax")


def _read_lines(em: _Emitter, lines: Iterable[tuple[int, bytes | str]]) -> Iterator[Conversation | IngestError]:
    for lineno, raw in lines:
        if isinstance(raw, bytes):
            try:
                text = raw.decode("utf-8-sig" if lineno == 1 else "utf-8")
            except UnicodeDecodeError:
                try:
                    text = raw.decode("gb18030")
                except UnicodeDecodeError:
                    yield IngestError(em.file, f"line {lineno}", "", "line is neither UTF-8 nor "
                                      "GB18030/GBK text; re-save the file as UTF-8")
                    continue
        else:
            text = raw
        text = text.rstrip("\r\n")  # so decode errors at the line end stay on this line
        if not text.strip():
            continue
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            yield _syntax_error(em.file, exc, lineno - 1)
            continue
        except (ValueError, RecursionError) as exc:  # e.g. an integer with 5000 digits
            yield IngestError(em.file, f"line {lineno}", "", f"unreadable JSON: {exc}")
            continue
        yield em.emit(obj, f"line {lineno}", f"{em.path.stem}:{lineno}")


def _read_document(em: _Emitter, text: str) -> Iterator[Conversation | IngestError]:
    pos = _WS.match(text).end()  # type: ignore[union-attr]
    try:
        if text.startswith("[", pos):
            yield from _read_array(em, text, pos + 1)
            return
        obj, end = _DECODER.raw_decode(text, pos)
    except json.JSONDecodeError as exc:
        yield _syntax_error(em.file, exc)
        return
    except (ValueError, RecursionError) as exc:
        yield IngestError(em.file, "", "", f"unreadable JSON: {exc}")
        return
    rest = _WS.match(text, end).end()  # type: ignore[union-attr]
    if rest == len(text):
        if isinstance(obj, dict) and "utterances" not in obj and isinstance(obj.get("conversations"), list):
            for i, item in enumerate(obj["conversations"]):
                yield em.emit(item, f"conversations[{i}]", f"{em.path.stem}:{i + 1}")
        else:
            yield em.emit(obj, "", em.path.stem)
        return
    if "\n" not in text[pos:end] and "\n" in text[end:rest]:
        # The first value fits on one line and more follow: JSON Lines under a .json name.
        yield from _read_lines(em, enumerate(text.split("\n"), 1))
        return
    lineno = 1 + text.count("\n", 0, rest)
    yield IngestError(em.file, f"line {lineno}", "", "extra data after the first JSON value; "
                      "use one object, an array [...], or one object per line (.jsonl)")


def _read_array(em: _Emitter, text: str, pos: int) -> Iterator[Conversation | IngestError]:
    """Decode array elements one at a time so each knows its line (and memory stays at one copy)."""
    counted = 0  # newlines in text[:counted] are already in ``line``
    line = 1
    first = True
    while True:
        pos = _WS.match(text, pos).end()  # type: ignore[union-attr]
        if first and text.startswith("]", pos):
            break  # empty array; the caller reports "no conversations"
        first = False
        line += text.count("\n", counted, pos)
        counted = pos
        obj, pos = _DECODER.raw_decode(text, pos)  # JSONDecodeError handled by the caller
        yield em.emit(obj, f"line {line}", f"{em.path.stem}:{line}")
        pos = _WS.match(text, pos).end()  # type: ignore[union-attr]
        if text.startswith(",", pos):
            pos += 1
            continue
        if text.startswith("]", pos):
            break
        lineno = 1 + text.count("\n", 0, pos)
        yield IngestError(em.file, f"line {lineno}", "", "expected ',' or ']' in the array; fix the syntax")
        return
    pos = _WS.match(text, pos + 1).end()  # type: ignore[union-attr]
    if pos != len(text):
        lineno = 1 + text.count("\n", 0, pos)
        yield IngestError(em.file, f"line {lineno}", "", "extra data after the array; fix the syntax")


def read_json(
    path: Path,
    *,
    speaker_map: Mapping[str, Speaker] | None = None,
    default_tz: tzinfo = CHINA_TZ,
) -> Iterator[Conversation | IngestError]:
    """Yield every conversation (or error) in a ``.json``/``.jsonl``/``.ndjson`` file."""
    count = 0
    for item in _read_json(Path(path), speaker_map, default_tz):
        count += 1
        yield item
    if count == 0:
        yield IngestError(str(path), "", "", "file is empty: no conversations found")


def _read_json(path: Path, speaker_map: Mapping[str, Speaker] | None,
               default_tz: tzinfo) -> Iterator[Conversation | IngestError]:
    em = _Emitter(path, speaker_map, default_tz)
    try:
        with open(path, "rb") as fh:
            head = fh.read(4)
            if path.suffix.lower() in JSON_LINES_SUFFIXES and not bom_encoding(head):
                fh.seek(0)
                yield from _read_lines(em, enumerate(fh, 1))
            else:
                fh.seek(0)
                data = fh.read()
                try:
                    text = decode_bytes(data)
                except ValueError as exc:
                    yield IngestError(em.file, "", "", str(exc))
                    return
                del data
                if path.suffix.lower() in JSON_LINES_SUFFIXES:
                    yield from _read_lines(em, enumerate(text.split("\n"), 1))
                elif text.strip():
                    yield from _read_document(em, text)
    except OSError as exc:
        yield IngestError(em.file, "", "", f"cannot read the file: {exc.strerror or exc}")
