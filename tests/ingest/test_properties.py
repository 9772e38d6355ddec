"""Property tests: readers never raise on arbitrary input, and conversations round-trip."""

from __future__ import annotations

import csv
import io
import json
import string
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qa_engine.ingest import IngestError, read_path
from qa_engine.text import normalize_text
from qa_engine.types import Channel, Conversation, Speaker, Utterance

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("props")


def _read_all(path: Path) -> list[Conversation | IngestError]:
    results = list(read_path(path))
    assert results, "a reader must yield at least one result (an error for empty input)"
    for r in results:
        assert isinstance(r, (Conversation, IngestError))
        if isinstance(r, IngestError):
            assert "unexpected error" not in r.message, str(r)  # a bug, not a data problem
            assert r.file == str(path)
    return results


# ----------------------------------------------------------------------------- never raise

@FUZZ
@given(data=st.binary(max_size=400), suffix=st.sampled_from([".json", ".jsonl", ".csv"]))
def test_arbitrary_bytes_never_raise(workdir: Path, data: bytes, suffix: str) -> None:
    path = workdir / f"bytes{suffix}"
    path.write_bytes(data)
    _read_all(path)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)
times = st.none() | st.floats(allow_nan=True) | st.integers(-10, 2 * 10**12) | st.sampled_from(
    ["2026-11-02T09:30:00+08:00", "2026/11/2 9:30", "1.5", "", "x", "2026-13-45T99:00:00"])
utterance_dicts = st.fixed_dictionaries({}, optional={
    "speaker": st.sampled_from(["agent", "客户", "坐席A", "", "SYSTEM"]) | json_values,
    "text": st.text(max_size=10) | json_values, "start": times, "end": times,
    "raw_text": st.text(max_size=5) | json_values, "words": json_values, "confidence": json_values,
    "sentiment": json_values, "index": json_values, "extra": json_values,
})
conversation_dicts = st.fixed_dictionaries({}, optional={
    "id": st.text(max_size=5) | json_values, "channel": st.sampled_from(["chat", "call", "电话", "fax"]) | json_values,
    "agent_id": json_values, "started_at": times, "duration": json_values | st.floats(),
    "metadata": json_values, "utterances": st.lists(utterance_dicts, max_size=4) | json_values,
    "analysis": json_values, "queue": json_values,
})


@FUZZ
@given(items=st.lists(conversation_dicts | json_values, min_size=1, max_size=4),
       layout=st.sampled_from(["jsonl", "array", "single"]))
def test_arbitrary_json_never_raises(workdir: Path, items: list, layout: str) -> None:
    if layout == "jsonl":
        path, text = workdir / "f.jsonl", "\n".join(json.dumps(i, ensure_ascii=False) for i in items)
    elif layout == "array":
        path, text = workdir / "f.json", json.dumps(items, ensure_ascii=False, indent=1)
    else:
        path, text = workdir / "f.json", json.dumps(items[0], ensure_ascii=False)
    path.write_text(text, encoding="utf-8")
    _read_all(path)


cells = st.text(max_size=6) | st.sampled_from(["agent", "客户", "0", "1.5", "2026-11-02 09:30", "c1", "chat"])


@FUZZ
@given(header=st.lists(st.sampled_from(["conversation_id", "speaker", "text", "timestamp", "end", "channel",
                                        "started_at", "duration", "agent_id", "meta_x", "会话ID", "other"]),
                       min_size=1, max_size=7),
       rows=st.lists(st.lists(cells, max_size=8), max_size=6))
def test_arbitrary_csv_never_raises(workdir: Path, header: list[str], rows: list[list[str]]) -> None:
    buf = io.StringIO()
    csv.writer(buf).writerows([header, *rows])
    path = workdir / "f.csv"
    path.write_text(buf.getvalue(), encoding="utf-8", newline="")
    _read_all(path)


@FUZZ
@given(body=st.text(alphabet=st.sampled_from(list(',";\t\r\n \x00c1agent客户2026-:.') + ["\u3000"]), max_size=200),
       encoding=st.sampled_from(["utf-8", "gb18030", "utf-16"]))
def test_raw_csv_text_under_a_valid_header_never_raises(workdir: Path, body: str, encoding: str) -> None:
    path = workdir / "raw.csv"
    path.write_bytes(("conversation_id,speaker,text,timestamp\n" + body).encode(encoding))
    _read_all(path)


# ----------------------------------------------------------------------------- round trip

_ID_CHARS = string.ascii_letters + string.digits + "-_:/.#中文客服"
ids = st.text(alphabet=_ID_CHARS, min_size=1, max_size=8)
millis = st.integers(0, 10**8).map(lambda ms: ms / 1000)
zones = st.integers(-12 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m)))
started = st.none() | st.builds(
    lambda s, tz: datetime(2020, 1, 1, tzinfo=tz) + timedelta(seconds=s),
    st.integers(0, 10**8), zones)
meta_values = st.integers(-10**6, 10**6) | st.text(alphabet="abc客服队列", min_size=1, max_size=6)


@st.composite
def conversations(draw: st.DrawFn, for_csv: bool) -> Conversation:
    channel = draw(st.sampled_from(list(Channel)))
    n = draw(st.integers(1 if for_csv else 0, 5))
    timed = draw(st.booleans())
    start_ms = sorted(draw(st.lists(st.integers(0, 10**8), min_size=n, max_size=n)))
    starts = [ms / 1000 for ms in start_ms] if timed else [None] * n
    utterances = []
    for i, start in enumerate(starts):
        # NUL is refused on input by design (test_nul_characters_are_refused_with_the_field)
        raw = draw(st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12))
        end = None
        if start is not None:  # millisecond precision, as exports have: exact through ISO times
            end = (start_ms[i] + draw(st.integers(0, 10**5))) / 1000
            if channel == Channel.call and draw(st.booleans()):
                end = None
        extra = {}
        if not for_csv and channel == Channel.call:
            extra = {"channel": draw(st.none() | st.integers(0, 1)),
                     "confidence": draw(st.none() | st.floats(0, 1))}
        utterances.append(Utterance(index=i, speaker=draw(st.sampled_from(list(Speaker))), raw_text=raw,
                                    text=normalize_text(raw), start=start, end=end, **extra))
    duration = None
    if timed and n:
        duration = max(u.end if u.end is not None else u.start for u in utterances) - min(starts)
    if draw(st.booleans()):
        duration = draw(millis)
    return Conversation(
        id=draw(ids), channel=channel, agent_id=draw(st.none() | ids), team_id=draw(st.none() | ids),
        customer_id=draw(st.none() | ids), started_at=draw(started), duration=duration,
        metadata=draw(st.dictionaries(st.text(alphabet=string.ascii_lowercase, min_size=1, max_size=5),
                                      meta_values, max_size=3)),
        utterances=utterances,
    )


def _same(a: Conversation, b: Conversation) -> None:
    assert a.model_dump(exclude={"source"}) == b.model_dump(exclude={"source"})


@FUZZ
@given(conv=conversations(for_csv=False))
def test_json_round_trip(workdir: Path, conv: Conversation) -> None:
    path = workdir / "rt.json"
    path.write_text(conv.model_dump_json(), encoding="utf-8")
    [back] = _read_all(path)
    assert isinstance(back, Conversation), str(back)
    _same(conv, back)


def write_csv(path: Path, convs: list[Conversation]) -> None:
    """The export format a chat system would produce for these conversations."""
    keys = sorted({k for c in convs for k in c.metadata})
    header = ["conversation_id", "speaker", "text", "timestamp", "end", "channel", "agent_id", "team_id",
              "customer_id", "started_at", "duration", *[f"meta_{k}" for k in keys]]
    with open(path, "w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(header)
        for c in convs:
            def when(seconds: float | None) -> str:
                if seconds is None:
                    return ""
                return (c.started_at + timedelta(seconds=seconds)).isoformat() if c.started_at else repr(seconds)

            for u in c.utterances:
                out.writerow([c.id, u.speaker.value, u.raw_text, when(u.start), when(u.end), c.channel.value,
                              c.agent_id or "", c.team_id or "", c.customer_id or "",
                              c.started_at.isoformat() if c.started_at else "",
                              "" if c.duration is None else repr(c.duration),
                              *[json.dumps(c.metadata[k], ensure_ascii=False) if isinstance(c.metadata.get(k), int)
                                else c.metadata.get(k, "") for k in keys]])


@FUZZ
@given(convs=st.lists(conversations(for_csv=True), min_size=1, max_size=3, unique_by=lambda c: c.id))
def test_csv_round_trip(workdir: Path, convs: list[Conversation]) -> None:
    path = workdir / "rt.csv"
    write_csv(path, convs)
    back = _read_all(path)
    assert all(isinstance(b, Conversation) for b in back), [str(b) for b in back]
    assert len(back) == len(convs)
    for a, b in zip(convs, back):
        _same(a, b)
