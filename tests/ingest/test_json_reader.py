"""JSON / JSON Lines reader: accepted forms, times, speakers and every error with its location."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from qa_engine.ingest import IngestError, read_path
from qa_engine.types import Channel, Conversation, Speaker


def conv(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "c1",
        "channel": "chat",
        "utterances": [
            {"speaker": "agent", "text": "您好", "start": 0.0, "end": 1.0},
            {"speaker": "customer", "text": "你好", "start": 2.0, "end": 3.5},
        ],
    }
    base.update(overrides)
    return base


def write(tmp_path: Path, name: str, content: Any) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_text(json.dumps(content, ensure_ascii=False), encoding="utf-8")
    return path


def read(path: Path, **kw: Any) -> list[Conversation | IngestError]:
    return list(read_path(path, **kw))


def one_error(path: Path, **kw: Any) -> IngestError:
    results = read(path, **kw)
    assert len(results) == 1 and isinstance(results[0], IngestError), results
    return results[0]


def test_single_object(tmp_path: Path) -> None:
    path = write(tmp_path, "c.json", conv(agent_id=7, team_id=" t1 ", customer_id="u9",
                                          metadata={"csat": 5}))
    [c] = read(path)
    assert isinstance(c, Conversation)
    assert (c.id, c.channel, c.agent_id, c.team_id, c.customer_id) == ("c1", Channel.chat, "7", "t1", "u9")
    assert [u.index for u in c.utterances] == [0, 1]
    assert [u.speaker for u in c.utterances] == [Speaker.agent, Speaker.customer]
    assert c.duration == 3.5 and c.metadata == {"csat": 5} and c.source == str(path)


def test_array_and_line_numbers(tmp_path: Path) -> None:
    text = "[\n" + json.dumps(conv(id="a")) + ",\n\n" + json.dumps(conv(id="b", channel="电话")) + "\n]\n"
    results = read(write(tmp_path, "arr.json", text))
    assert [(c.id, c.channel, c.source) for c in results] == [
        ("a", Channel.chat, f"{tmp_path / 'arr.json'}:line 2"),
        ("b", Channel.call, f"{tmp_path / 'arr.json'}:line 4"),
    ]


def test_conversations_wrapper(tmp_path: Path) -> None:
    results = read(write(tmp_path, "w.json", {"conversations": [conv(id="a"), conv(id="b")]}))
    assert [c.id for c in results] == ["a", "b"]


def test_jsonl_bad_line_among_good_ones(tmp_path: Path) -> None:
    lines = [json.dumps(conv(id="a")), '{"id": "b", "channel": "chat",', "",
             json.dumps(conv(id="c", utterances=[{"speaker": "客服", "text": 3}])),
             json.dumps(conv(id="d"))]
    path = write(tmp_path, "x.jsonl", "\n".join(lines) + "\n")
    results = read(path)
    assert [type(r).__name__ for r in results] == ["Conversation", "IngestError", "IngestError", "Conversation"]
    assert results[1].record == "line 2" and "column" in results[1].message
    assert str(results[2]) == f"{path}:line 4: utterances[0].text: text must be a string, got a number"
    assert results[3].source == f"{path}:line 5"


def test_json_named_file_holding_json_lines(tmp_path: Path) -> None:
    path = write(tmp_path, "lines.json", json.dumps(conv(id="a")) + "\n" + json.dumps(conv(id="b")) + "\n")
    assert [c.id for c in read(path)] == ["a", "b"]


def test_default_ids(tmp_path: Path) -> None:
    no_id = conv()
    del no_id["id"]
    assert read(write(tmp_path, "call7.json", no_id))[0].id == "call7"
    path = write(tmp_path, "batch.jsonl", "\n" + json.dumps(no_id) + "\n")
    assert read(path)[0].id == "batch:2"


def test_iso_times_relative_to_started_at_and_sorted(tmp_path: Path) -> None:
    data = conv(started_at="2026-11-02T09:30:00+08:00", utterances=[
        {"speaker": "customer", "text": "在吗", "start": "2026-11-02T09:30:05+08:00"},
        {"speaker": "agent", "text": "您好", "start": "2026-11-02T01:30:02Z"},  # same instant zone
        {"speaker": "agent", "text": "请稍等", "start": "2026-11-02 09:30:05"},  # tie keeps order
    ])
    [c] = read(write(tmp_path, "c.json", data))
    assert [(u.text, u.start, u.end) for u in c.utterances] == [
        ("您好", 2.0, 2.0), ("在吗", 5.0, 5.0), ("请稍等", 5.0, 5.0)]
    assert [u.index for u in c.utterances] == [0, 1, 2]
    assert c.started_at == datetime(2026, 11, 2, 9, 30, tzinfo=timezone(timedelta(hours=8)))
    assert c.duration == 3.0  # last end - first start, not counted from started_at


def test_iso_times_without_started_at_use_first_message(tmp_path: Path) -> None:
    data = conv(utterances=[
        {"speaker": "customer", "text": "a", "start": "2026/11/2 9:30:07"},
        {"speaker": "agent", "text": "b", "start": 1793583004},  # epoch seconds = 09:30:04 +08
        {"speaker": "agent", "text": "c", "start": 1793583010500, "end": 1793583012000},  # ms
    ])
    [c] = read(write(tmp_path, "c.json", data))
    assert c.started_at == datetime(2026, 11, 2, 9, 30, 4, tzinfo=timezone(timedelta(hours=8)))
    assert [(u.text, u.start, u.end) for u in c.utterances] == [
        ("b", 0.0, 0.0), ("a", 3.0, 3.0), ("c", 6.5, 8.0)]


def test_call_keeps_missing_end_and_order_without_times(tmp_path: Path) -> None:
    data = conv(channel="call", utterances=[
        {"speaker": "customer", "text": "a", "start": 5.0},
        {"speaker": "agent", "text": "b"},
        {"speaker": "agent", "text": "c", "start": 1.0, "end": 2.0},
    ])
    [c] = read(write(tmp_path, "c.json", data))
    assert [(u.text, u.start, u.end) for u in c.utterances] == [("a", 5.0, None), ("b", None, None), ("c", 1.0, 2.0)]
    assert c.duration == 4.0


@pytest.mark.parametrize(("label", "speaker"), [
    ("坐席", Speaker.agent), ("客服", Speaker.agent), ("Agent", Speaker.agent), (" staff ", Speaker.agent),
    ("helpdesk", Speaker.agent), ("客户", Speaker.customer), ("用户", Speaker.customer),
    ("USER", Speaker.customer), ("visitor", Speaker.customer), ("customer", Speaker.customer),
    ("系统", Speaker.system), ("机器人", Speaker.system), ("robot", Speaker.system),
])
def test_speaker_aliases(tmp_path: Path, label: str, speaker: Speaker) -> None:
    path = write(tmp_path, "c.json", conv(utterances=[{"speaker": label, "text": "x"}]))
    assert read(path)[0].utterances[0].speaker == speaker


def test_speaker_map(tmp_path: Path) -> None:
    path = write(tmp_path, "c.json", conv(utterances=[{"role": "坐席A", "content": "x"}]))
    assert read(path, speaker_map={"坐席A": "agent"})[0].utterances[0].speaker == Speaker.agent
    with pytest.raises(ValueError, match="坐席A"):
        read_path(path, speaker_map={"坐席A": "boss"})


def test_text_normalised_raw_kept_and_empty_text_kept(tmp_path: Path) -> None:
    path = write(tmp_path, "c.json", conv(utterances=[
        {"speaker": "agent", "text": "  您好，這裡是客服　１號 "}, {"speaker": "customer", "text": ""}]))
    [c] = read(path)
    assert c.utterances[0].text == "您好，这里是客服 1号"
    assert c.utterances[0].raw_text == "  您好，這裡是客服　１號 "
    assert (c.utterances[1].text, c.utterances[1].raw_text) == ("", "")


def test_unknown_top_level_keys_go_to_metadata(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    data = conv(queue="vip", csat=2, metadata={"csat": 4})
    data["utterances"][0]["msg_id"] = "m1"
    with caplog.at_level(logging.WARNING, logger="qa_engine.ingest"):
        [c] = read(write(tmp_path, "c.json", data))
    assert c.metadata == {"queue": "vip", "csat": 4}
    assert "msg_id" in caplog.text


def test_model_dump_round_trip_with_annotations(tmp_path: Path) -> None:
    data = conv(channel="call", started_at="2026-11-02T09:30:00+08:00", utterances=[
        {"speaker": "agent", "text": "您好", "raw_text": "您好 ", "start": 0.0, "end": 1.0,
         "channel": 0, "confidence": 0.9, "words": [{"text": "您好", "start": 0.0, "end": 1.0}],
         "sentiment": {"label": "neutral", "probabilities": {"neutral": 1.0}}}],
        analysis={"asr_confidence": 0.9})
    [c] = read(write(tmp_path, "c.json", data))
    again = read(write(tmp_path, "again.json", c.model_dump_json()))[0]
    assert again.model_dump(exclude={"source"}) == c.model_dump(exclude={"source"})
    assert c.analysis.asr_confidence == 0.9 and c.utterances[0].words[0].text == "您好"


def test_gbk_and_bom_and_utf16(tmp_path: Path) -> None:
    text = json.dumps(conv(utterances=[{"speaker": "客户", "text": "退款"}]), ensure_ascii=False)
    for name, data in [("gbk.json", text.encode("gbk")), ("bom.json", text.encode("utf-8-sig")),
                       ("u16.json", text.encode("utf-16")), ("bom.jsonl", text.encode("utf-8-sig")),
                       ("gbk.jsonl", text.encode("gbk"))]:
        [c] = read(write(tmp_path, name, data))
        assert c.utterances[0].text == "退款", name


ERROR_CASES = [
    # (object or raw text, record, field, message fragment)
    (conv(utterances=[{"speaker": "agent"}]), "", "utterances[0].text", "text is missing"),
    (conv(utterances=[{"speaker": "agent", "text": ["a"]}]), "", "utterances[0].text", "must be a string"),
    (conv(utterances=[{"text": "a"}]), "", "utterances[0].speaker", "speaker is missing"),
    (conv(utterances=[{"speaker": "agent", "text": "a"}, {"speaker": "坐席A", "text": "b"}]), "",
     "utterances[1].speaker", "unknown speaker '坐席A'; use agent|customer|system or map it with --speaker-map"),
    (conv(utterances=[{"speaker": "agent", "text": "a", "start": -1}]), "", "utterances[0].start", "negative time"),
    (conv(utterances=[{"speaker": "agent", "text": "a", "start": 3, "end": 2}]), "", "utterances[0].end",
     "end 2 is before start 3"),
    (conv(utterances=[{"speaker": "agent", "text": "a", "end": 2}]), "", "utterances[0].end", "without a start"),
    (conv(utterances=[{"speaker": "agent", "text": "a", "start": "soon"}]), "", "utterances[0].start", "not a time"),
    (conv(utterances=[{"speaker": "agent", "text": "a", "start": True}]), "", "utterances[0].start", "true/false"),
    (conv(utterances=[{"speaker": "agent", "text": "a", "start": 1},
                      {"speaker": "agent", "text": "b", "start": "2026-11-02T09:30:00"}]),
     "", "utterances[1].start", "mixes timestamps"),
    (conv(started_at="2026-11-02T09:30:00+08:00",
          utterances=[{"speaker": "agent", "text": "a", "start": "2026-11-02T09:29:30+08:00"}]),
     "", "utterances[0].start", "30 s before started_at"),
    (conv(channel="email"), "", "channel", "unknown channel 'email'; use chat or call"),
    ({k: v for k, v in conv().items() if k != "channel"}, "", "channel", "channel is missing"),
    (conv(id="  "), "", "id", "blank"),
    (conv(id={"x": 1}), "", "id", "must be a string or an integer"),
    (conv(started_at="yesterday"), "", "started_at", "not a time"),
    (conv(started_at=12), "", "started_at", "must be a date-time"),
    (conv(duration=-3), "", "duration", "negative duration"),
    (conv(duration="long"), "", "duration", "must be seconds"),
    (conv(metadata=[1]), "", "metadata", "must be an object"),
    (conv(utterances="hello"), "", "utterances", "not a list"),
    ({"id": "c1", "channel": "chat"}, "", "utterances", "utterances is missing"),
    (conv(utterances=["hi"]), "", "utterances[0]", "expected a message object"),
    (conv(utterances=[{"speaker": "agent", "text": "a", "words": [{"text": "a", "start": 0}]}]), "",
     "utterances[0].words[0].end", "Field required"),
    (conv(analysis={"asr_confidence": "high"}), "", "analysis.asr_confidence", "valid number"),
    ([1, 2], "line 1", "", "expected a conversation object"),
    ("", "", "", "file is empty"),
    ("[]", "", "", "file is empty"),
    ('{"id": "c1",\n "channel": }', "line 2", "", "invalid JSON at column 13"),
    (json.dumps(conv()) + " {}", "line 1", "", "extra data"),
    ("[" + json.dumps(conv()) + " " + json.dumps(conv()) + "]", "line 1", "", "expected ',' or ']'"),
    ("[" * 100000, "", "", "unreadable JSON"),
]


@pytest.mark.parametrize(("content", "record", "field", "fragment"), ERROR_CASES)
def test_errors_name_record_field_and_fix(tmp_path: Path, content: Any, record: str, field: str, fragment: str) -> None:
    path = write(tmp_path, "bad.json", content)
    results = read(path)
    err = results[-1]
    assert isinstance(err, IngestError), results
    assert (err.file, err.record, err.field) == (str(path), record, field)
    assert fragment in err.message
    assert str(err).startswith(f"{path}:{record}: " if record else f"{path}: ")


def test_duplicate_ids_in_one_file(tmp_path: Path) -> None:
    path = write(tmp_path, "d.jsonl", json.dumps(conv()) + "\n" + json.dumps(conv()) + "\n")
    first, second = read(path)
    assert isinstance(first, Conversation)
    assert (second.record, second.field) == ("line 2", "id") and "first at line 1" in second.message


def test_array_validation_error_does_not_stop_other_elements(tmp_path: Path) -> None:
    path = write(tmp_path, "a.json", [conv(id="a"), conv(id="b", channel="fax"), conv(id="c")])
    assert [getattr(r, "id", None) or r.field for r in read(path)] == ["a", "channel", "c"]


def test_undecodable_bytes(tmp_path: Path) -> None:
    err = one_error(write(tmp_path, "x.json", b"\xff\xff\x80{"))
    assert "UTF-8" in err.message
    err = one_error(write(tmp_path, "x.jsonl", b"\xff\x80\xff\n"))
    assert err.record == "line 1" and "UTF-8" in err.message


def test_nul_characters_are_refused_with_the_field(tmp_path):
    from qa_engine.ingest import IngestError, read_path

    path = tmp_path / "nul.json"
    path.write_text(json.dumps({"id": "n", "channel": "chat", "metadata": {"k": ["\u0000"]},
                                "utterances": [{"speaker": "agent", "text": "您好"}]}), encoding="utf-8")
    (error,) = list(read_path(path))
    assert isinstance(error, IngestError) and error.field == "metadata" and "NUL" in error.message
    path.write_text(json.dumps({"id": "n", "channel": "chat", "utterances": [{"speaker": "agent", "text": "您\u0000好"}]}),
                    encoding="utf-8")
    (error,) = list(read_path(path))
    assert error.field == "utterances[0].text"
