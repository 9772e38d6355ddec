"""The command line through its real entry point: output contract, exit codes, error messages."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

CHAT = {"id": "c1", "channel": "chat", "agent_id": "a7", "team_id": "t1", "customer_id": "u9",
        "started_at": "2026-11-02T09:30:00+08:00", "metadata": {"csat": 5},
        "utterances": [{"speaker": "customer", "text": "在吗，我的退款呢", "start": 0},
                       {"speaker": "agent", "text": "您好，很高兴为您服务，这个我不知道", "start": 45},
                       {"speaker": "customer", "text": "再不处理我就投诉", "start": 60},
                       {"speaker": "agent", "text": "非常抱歉，请稍等，还有其他可以帮您的吗？感谢您的咨询，再见", "start": 70}]}


def qa(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "qa_engine.cli", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=120)


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "one.json").write_text(json.dumps(CHAT, ensure_ascii=False), encoding="utf-8")
    lines = [json.dumps({**CHAT, "id": f"c{i}"}, ensure_ascii=False) for i in range(2, 5)]
    lines.insert(1, '{"id": "broken", "channel": "chat", "utterances": [{"speaker": "boss", "text": "x"}]}')
    (folder / "many.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def test_score_file_prints_one_json_object_with_evidence(inputs):
    proc = qa("score", str(inputs / "one.json"), "--analyzers", "chat_timing,turn_taking")
    assert proc.returncode == 0, proc.stderr
    (line,) = proc.stdout.splitlines()
    result = json.loads(line)
    assert result["conversation_id"] == "c1" and result["agent_id"] == "a7"
    rules = {h["rule_id"] for h in result["hits"]}
    assert {"forbidden_phrases", "chat_first_response", "complaint_tendency"} <= rules
    forbidden = next(h for h in result["hits"] if h["rule_id"] == "forbidden_phrases")
    assert forbidden["matched_text"] == "不知道" and forbidden["utterance_indices"] == [1]
    assert forbidden["start"] == 45.0 and forbidden["spans"][0]["start_char"] == 14
    assert result["needs_review"] and "complaint" in {f["code"] for f in result["flags"]}
    assert result["utterances"][1]["raw_text"] == CHAT["utterances"][1]["text"]


def test_folder_with_a_bad_record_scores_the_rest_and_exits_1(inputs, tmp_path):
    out = tmp_path / "out"
    proc = qa("score", str(inputs), "--out", str(out), "--analyzers", "chat_timing,turn_taking")
    assert proc.returncode == 1
    assert "many.jsonl" in proc.stderr and "line 2" in proc.stderr and "speaker" in proc.stderr
    scored = [json.loads(l) for f in sorted(out.glob("*.jsonl")) for l in f.read_text(encoding="utf-8").splitlines()]
    assert sorted(r["conversation_id"] for r in scored) == ["c1", "c2", "c3", "c4"]
    assert not list(out.glob("*.partial"))


def test_exclude_skips_matching_files_and_keeps_the_rest(inputs, tmp_path):
    """A folder that also holds non-conversation JSON (answer keys, exports' manifests)."""
    (inputs / "keys").mkdir()
    (inputs / "keys" / "one.timeline.json").write_text('{"utterances": []}', encoding="utf-8")
    proc = qa("score", str(inputs), "--analyzers", "chat_timing", "--exclude", "*.timeline.json",
              "--exclude", "many.jsonl")
    assert proc.returncode == 0, proc.stderr
    assert [json.loads(line)["conversation_id"] for line in proc.stdout.splitlines()] == ["c1"]
    proc = qa("score", str(inputs), "--analyzers", "chat_timing", "--exclude", "many.jsonl")
    assert proc.returncode == 1 and "one.timeline.json" in proc.stderr and "channel" in proc.stderr
    out = tmp_path / "batch-out"
    proc = qa("batch", str(inputs), "-n", "1", "--out", str(out), "--analyzers", "chat_timing",
              "--exclude", "keys/*", "--exclude", "*.jsonl")
    assert proc.returncode == 0, proc.stderr
    assert [f.name for f in out.rglob("*.jsonl")] == ["one.json.results.jsonl"]


def test_table_format(inputs):
    proc = qa("score", str(inputs / "one.json"), "--format", "table", "--analyzers", "chat_timing")
    assert proc.returncode == 0 and "c1" in proc.stdout and "使用禁用语" in proc.stdout


def test_missing_path_and_empty_folder_exit_2(tmp_path):
    assert qa("score", str(tmp_path / "nope.json")).returncode == 2
    empty = tmp_path / "empty"
    empty.mkdir()
    proc = qa("score", str(empty))
    assert proc.returncode == 2 and "no conversation files" in proc.stderr


def test_invalid_rule_pack_exits_2_with_file_rule_and_field(tmp_path, inputs):
    pack = tmp_path / "bad.yaml"
    pack.write_text("pack: {id: x, version: '1'}\nrules:\n  - id: r1\n    name: x\n"
                    "    conditions: {c: {regex: {pattern: '[unclosed'}}}\n", encoding="utf-8")
    proc = qa("rules", "check", str(pack))
    assert proc.returncode == 2
    assert "bad.yaml: rule r1: conditions.c.regex.pattern: bad regular expression" in proc.stderr
    proc = qa("score", str(inputs / "one.json"), "--rules", str(pack))
    assert proc.returncode == 2 and "rule r1" in proc.stderr


def test_rules_check_reports_a_failing_example(tmp_path):
    pack = tmp_path / "p.yaml"
    pack.write_text("pack: {id: x, version: '1'}\nrules:\n  - id: r1\n    name: x\n"
                    "    conditions: {c: {keywords: {any: [退款]}}}\n"
                    "    examples: {hit: [马上到账], no_hit: [您好]}\n", encoding="utf-8")
    proc = qa("rules", "check", str(pack))
    assert proc.returncode == 1 and "rule r1: examples.hit: '马上到账' should hit but did not" in proc.stderr


def test_default_pack_check_passes():
    proc = qa("rules", "check", "rules/default.yaml", "--scorecard", "rules/scorecards/default.yaml",
              cwd=Path(__file__).resolve().parents[2])
    assert proc.returncode == 0, proc.stderr
    assert "0 failed" in proc.stdout


def test_rules_test_explains_hits_and_na(inputs):
    proc = qa("rules", "test", "rules/default.yaml", str(inputs / "one.json"), cwd=Path(__file__).resolve().parents[2])
    assert proc.returncode == 0, proc.stderr
    assert "HIT   forbidden_phrases" in proc.stdout and "坐席使用禁用语「不知道」" in proc.stdout
    assert "n/a   long_silence: only for call" in proc.stdout
    assert "pass  opening_greeting" in proc.stdout


def test_help_everywhere():
    for args in (["--help"], ["score", "--help"], ["rules", "check", "--help"], ["rules", "test", "--help"],
                 ["kpi", "--help"], ["demo", "--help"]):
        proc = qa(*args)
        assert proc.returncode == 0 and "Usage" in proc.stdout, args


def test_csv_export_with_custom_columns_and_speaker_labels(tmp_path):
    export = tmp_path / "export.csv"
    export.write_bytes(("会话编号,角色名,消息内容,发送时间\n"
                        "s1,顾客,在吗,2026-11-02T09:00:00+08:00\n"
                        "s1,坐席A,您好，很高兴为您服务,2026-11-02T09:00:50+08:00\n").encode("gbk"))
    args = ["score", str(export), "--analyzers", "chat_timing", "--csv-column", "conversation_id=会话编号",
            "--csv-column", "speaker=角色名", "--csv-column", "text=消息内容", "--csv-column", "timestamp=发送时间"]
    proc = qa(*args)
    assert proc.returncode == 1 and "坐席A" in proc.stderr  # unmapped labels are reported, not guessed
    proc = qa(*args, "--speaker-map", "坐席A=agent", "--speaker-map", "顾客=customer")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["conversation_id"] == "s1"
    assert [h["rule_id"] for h in result["hits"] if h["rule_id"] == "chat_first_response"] == ["chat_first_response"]
    assert qa(*args, "--csv-column", "nonsense=x").returncode == 2


def test_empty_conversation_is_flagged_not_silently_perfect(tmp_path):
    path = tmp_path / "empty.json"
    path.write_text(json.dumps({"id": "e", "channel": "chat", "utterances": []}), encoding="utf-8")
    proc = qa("score", str(path), "--analyzers", "chat_timing")
    result = json.loads(proc.stdout)
    assert result["needs_review"] and result["flags"][0]["code"] == "empty"
