"""CSV reader: encodings, header aliases, grouping/order, conversation fields, errors."""

from __future__ import annotations

import csv
import io
import logging
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from qa_engine.ingest import CsvColumns, IngestError, read_path
from qa_engine.types import Channel, Conversation, Speaker

CST = timezone(timedelta(hours=8))


def csv_text(rows: list[list[Any]], delimiter: str = ",") -> str:
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter).writerows(rows)
    return buf.getvalue()


def write(tmp_path: Path, rows: list[list[Any]] | str | bytes, name: str = "x.csv", **kw: Any) -> Path:
    path = tmp_path / name
    if isinstance(rows, bytes):
        path.write_bytes(rows)
    else:
        path.write_text(rows if isinstance(rows, str) else csv_text(rows, **kw), encoding="utf-8", newline="")
    return path


def read(path: Path, **kw: Any) -> list[Conversation | IngestError]:
    return list(read_path(path, **kw))


HEADER = ["conversation_id", "speaker", "text", "timestamp", "agent_id", "team_id", "customer_id", "meta_queue"]
ROWS = [
    HEADER,
    ["c2", "customer", "在吗", "2026-11-02T10:00:00+08:00", "", "", "u2", ""],
    ["c1", "agent", "您好，請問", "2026-11-02T09:30:03+08:00", "a7", "t1", "", "vip"],
    ["c1", "customer", "我要退款", "2026-11-02T09:30:00+08:00", "", "", "u1", ""],
    ["c2", "agent", "您好", "2026-11-02T10:00:20+08:00", "a8", "t2", "", "normal"],
]


def test_groups_unsorted_rows_and_orders_by_time(tmp_path: Path) -> None:
    path = write(tmp_path, ROWS)
    c2, c1 = read(path)
    assert (c2.id, c1.id) == ("c2", "c1")  # order of first appearance
    assert [(u.speaker, u.text, u.start) for u in c1.utterances] == [
        (Speaker.customer, "我要退款", 0.0), (Speaker.agent, "您好，请问", 3.0)]
    assert c1.utterances[1].raw_text == "您好，請問"
    assert (c1.agent_id, c1.team_id, c1.customer_id, c1.metadata) == ("a7", "t1", "u1", {"queue": "vip"})
    assert c1.started_at == datetime(2026, 11, 2, 9, 30, tzinfo=CST) and c1.duration == 3.0
    assert c1.channel == Channel.chat and c1.source == f"{path}:row 3"


def test_ties_and_missing_times_keep_row_order(tmp_path: Path) -> None:
    rows = [["conversation_id", "speaker", "text", "timestamp"],
            ["c", "agent", "a", "5"], ["c", "customer", "b", "5"], ["c", "agent", "c", "1"],
            ["d", "agent", "x", ""], ["d", "customer", "y", "0"]]
    c, d = read(write(tmp_path, rows))
    assert [u.text for u in c.utterances] == ["c", "a", "b"]
    assert [u.text for u in d.utterances] == ["x", "y"] and d.started_at is None


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"])
def test_encodings(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / f"{encoding}.csv"
    path.write_bytes(csv_text(ROWS).encode(encoding))
    results = read(path)
    assert [type(r) for r in results] == [Conversation, Conversation]
    assert results[1].utterances[0].text == "我要退款"


def test_gbk_file_with_late_non_utf8_bytes_restarts_cleanly(tmp_path: Path) -> None:
    rows = [["conversation_id", "speaker", "text"]] + [[f"c{i}", "agent", "ok"] for i in range(3000)]
    rows.append(["c_last", "客户", "退款"])
    path = tmp_path / "late.csv"
    path.write_bytes(csv_text(rows).encode("gbk"))  # ASCII for 40 KB, then GBK bytes
    results = read(path)
    assert len(results) == 3001 and results[-1].utterances[0].speaker == Speaker.customer


def test_chinese_headers_and_tab_delimiter(tmp_path: Path) -> None:
    rows = [["会话ID", "发送方", "消息内容", "发送时间", "坐席工号", "班组", "客户ID", "满意度"],
            ["s1", "客服", "您好", "2026/11/2 9:30:00", "1001", "一组", "u1", "5"],
            ["s1", "用户", "谢谢", "2026/11/2 9:31:10", "1001", "一组", "u1", "5"]]
    path = write(tmp_path, rows, delimiter="\t")
    [c] = read(path, csv_columns=CsvColumns(metadata={"满意度": "csat"}))
    assert (c.id, c.agent_id, c.team_id, c.customer_id) == ("s1", "1001", "一组", "u1")
    assert c.metadata == {"csat": 5} and c.utterances[1].start == 70.0


def test_configured_columns_and_no_aliases(tmp_path: Path) -> None:
    rows = [["sid", "who", "msg", "ts", "kanal"], ["s1", "agent", "hi", "1793583000", "call"]]
    cols = CsvColumns(conversation_id="sid", speaker="who", text="msg", timestamp="ts", channel="kanal")
    [c] = read(write(tmp_path, rows), csv_columns=cols)
    assert c.channel == Channel.call and c.started_at == datetime(2026, 11, 2, 9, 30, tzinfo=CST)
    [err] = read(write(tmp_path, [["会话ID", "角色", "内容"], ["s", "agent", "x"]]),
                 csv_columns=CsvColumns(use_aliases=False))
    assert (err.record, err.field) == ("row 1", "") and "missing the conversation_id column" in err.message


def test_metadata_values_and_agent_transfer(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    rows = [["conversation_id", "speaker", "text", "agent_id", "meta_csat", "meta_code", "meta_tags", "extra"],
            ["c", "agent", "a", "a1", "4", "007", '["x", 1]', "z"],
            ["c", "agent", "b", "a2", "", "", "", "z"],
            ["c", "customer", "c", "a1", "", "", "", "z"]]
    with caplog.at_level(logging.WARNING, logger="qa_engine.ingest"):
        [c] = read(write(tmp_path, rows))
    assert c.agent_id == "a1"
    assert c.metadata == {"csat": 4, "code": "007", "tags": ["x", 1], "agent_ids": ["a1", "a2"]}
    assert "extra" in caplog.text


def test_empty_text_kept_and_multiline_quoted_text(tmp_path: Path) -> None:
    rows = [["conversation_id", "speaker", "text"], ["c", "agent", ""], ["c", "customer", "第一行\n第二行, 逗号"]]
    [c] = read(write(tmp_path, rows))
    assert [u.text for u in c.utterances] == ["", "第一行 第二行, 逗号"]


def test_bad_rows_fail_only_their_conversation(tmp_path: Path) -> None:
    rows = [["conversation_id", "speaker", "text", "timestamp"],
            ["c1", "agent", "ok", "1"],
            ["c2", "坐席A", "x", "1"],
            ["", "agent", "orphan", "1"],
            ["c3", "agent", "x", "yesterday"],
            ["c2", "agent", "more", "2"],
            ["c1", "customer", "ok", "2"],
            ["c4", "agent", "a", "b", "c"],
            ["c5", "agent"]]
    path = write(tmp_path, rows)
    results = read(path)
    errors = [(r.record, r.field) for r in results if isinstance(r, IngestError)]
    assert errors == [("row 4", "conversation_id"), ("row 8", ""), ("row 9", ""),
                      ("row 3", "speaker"), ("row 5", "timestamp")]
    [c1] = [r for r in results if isinstance(r, Conversation)]
    assert [u.text for u in c1.utterances] == ["ok", "ok"]
    speaker_err = next(r for r in results if isinstance(r, IngestError) and r.field == "speaker")
    assert str(speaker_err) == (f"{path}:row 3: speaker: unknown speaker '坐席A'; use agent|customer|system "
                                "or map it with --speaker-map (conversation c2 skipped)")


@pytest.mark.parametrize(("rows", "record", "field", "fragment"), [
    ([["conversation_id", "speaker", "text", "timestamp"], ["c", "agent", "a", "-2"]], "row 2", "timestamp", "negative"),
    ([["conversation_id", "speaker", "text", "timestamp", "end"], ["c", "agent", "a", "3", "2"]], "row 2", "end",
     "before start"),
    ([["conversation_id", "speaker", "text", "timestamp"], ["c", "agent", "a", "2"],
      ["c", "agent", "b", "2026-11-02T09:30:00"]], "row 3", "timestamp", "mixes"),
    ([["conversation_id", "speaker", "text", "channel"], ["c", "agent", "a", "fax"]], "row 2", "channel",
     "unknown channel"),
    ([["conversation_id", "speaker", "text", "channel"], ["c", "agent", "a", "chat"], ["c", "agent", "a", "call"]],
     "conversation c", "channel", "conflicting values"),
    ([["conversation_id", "speaker", "text", "duration"], ["c", "agent", "a", "long"]], "conversation c",
     "duration", "not a number"),
    ([["conversation_id", "speaker", "text", "started_at"], ["c", "agent", "a", "3"]], "conversation c",
     "started_at", "must be a date-time"),
    ([["conversation_id", "speaker"], ["c", "agent"]], "row 1", "", "missing the text column"),
    ("", "", "", "file is empty"),
    ("conversation_id,speaker,text\n", "", "", "no data rows"),
    ("\n\nconversation_id,speaker,text\n", "", "", "first line is blank"),
    ('"conversation_id,speaker,text\n', "row 1", "", "unreadable header"),
])
def test_errors(tmp_path: Path, rows: Any, record: str, field: str, fragment: str) -> None:
    path = write(tmp_path, rows)
    [err] = read(path)
    assert isinstance(err, IngestError)
    assert (err.file, err.record, err.field) == (str(path), record, field)
    assert fragment in err.message


def test_broken_quoting_and_huge_field_are_row_errors(tmp_path: Path) -> None:
    text = ('conversation_id,speaker,text\nc1,agent,"' + "x" * 200_000 + '"\nc2,agent,他说"你好"\n'
            'c3,agent,"unterminated\n')
    results = read(write(tmp_path, text))
    assert [getattr(r, "record", None) or r.id for r in results] == ["row 2", "row 4", "c2"]
    assert "field larger than field limit" in results[0].message
    assert "unexpected end of data" in results[1].message
    assert results[2].utterances[0].text == '他说"你好"'


def test_whitespace_only_file_is_empty(tmp_path: Path) -> None:
    [err] = read(write(tmp_path, "\n \n\t\n"))
    assert err.message == "file is empty"


def test_undecodable_file(tmp_path: Path) -> None:
    [err] = read(write(tmp_path, b"conversation_id,speaker,text\nc,agent,\x80\xff\xff\n"))
    assert "neither UTF-8 nor GB18030" in err.message
