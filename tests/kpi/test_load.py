from __future__ import annotations

import gzip
import json

import pytest

from qa_engine.kpi.load import load_results

from .conftest import build_result as r


def dump(result) -> str:
    return result.model_dump_json()


def test_load_directory_reports_bad_lines_and_keeps_going(tmp_path):
    (tmp_path / "day1").mkdir()
    good = [dump(r("c1")), dump(r("c2"))]
    (tmp_path / "day1" / "part-0.jsonl").write_text(
        "\n".join([good[0], '{"conversation_id": "x"', "", good[1], '{"score": 50}']) + "\n", encoding="utf-8")
    with gzip.open(tmp_path / "part-1.jsonl.gz", "wt", encoding="utf-8") as fh:
        fh.write(dump(r("c3")) + "\n")
    (tmp_path / "list.json").write_text(json.dumps([json.loads(dump(r("c4"))), {"nope": 1}]), encoding="utf-8")
    (tmp_path / "single.json").write_text(dump(r("c5")), encoding="utf-8")
    (tmp_path / "readme.txt").write_text("ignored", encoding="utf-8")

    report = load_results(tmp_path)
    assert sorted(x.conversation_id for x in report.results) == ["c1", "c2", "c3", "c4", "c5"]
    assert report.files == 4
    assert report.error_count == 3
    where = [(e.file.rsplit("/", 1)[-1], e.line) for e in report.errors]
    assert where == [("part-0.jsonl", 2), ("part-0.jsonl", 5), ("list.json", None)]
    assert "item 1" in report.errors[2].message
    assert str(report.errors[0]).endswith("part-0.jsonl:2: " + report.errors[0].message)


def test_load_single_file_and_missing_path(tmp_path):
    one = tmp_path / "one.jsonl"
    one.write_text(dump(r("c1")) + "\n", encoding="utf-8")
    assert [x.conversation_id for x in load_results(one).results] == ["c1"]
    with pytest.raises(FileNotFoundError):
        load_results(tmp_path / "absent")


def test_utterances_dropped_unless_asked(tmp_path):
    from qa_engine.types import Speaker, Utterance

    result = r("c1")
    result.utterances.append(Utterance(index=0, speaker=Speaker.agent, text="您好", raw_text="您好"))
    path = tmp_path / "a.jsonl"
    path.write_text(dump(result) + "\n[1, 2]\n", encoding="utf-8")
    slim = load_results(path)
    assert slim.results[0].utterances == []
    assert "expected a JSON object" in slim.errors[0].message and slim.errors[0].line == 2
    full = load_results(path, keep_utterances=True)
    assert full.results[0].utterances[0].text == "您好"
