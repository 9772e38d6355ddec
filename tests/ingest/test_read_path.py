"""read_path dispatch, folders, audio hand-off and IngestError formatting."""

from __future__ import annotations

import json
import pickle
import sys
import types
from pathlib import Path

import pytest

from qa_engine.ingest import IngestError, iter_inputs, read_path
from qa_engine.types import Channel, Conversation, Speaker, Utterance

GOOD = {"id": "c1", "channel": "chat", "utterances": [{"speaker": "agent", "text": "您好"}]}


def test_ingest_error_str_and_pickle() -> None:
    err = IngestError("in.jsonl", "line 12", "utterances[3].speaker",
                      "unknown speaker '坐席A'; use agent|customer|system or map it with --speaker-map")
    assert str(err) == ("in.jsonl:line 12: utterances[3].speaker: unknown speaker '坐席A'; "
                        "use agent|customer|system or map it with --speaker-map")
    assert str(IngestError(Path("a.csv"), "", "", "file is empty")) == "a.csv: file is empty"
    assert str(IngestError("a.csv", "row 2", "", "bad")) == "a.csv:row 2: bad"
    copy = pickle.loads(pickle.dumps(err))
    assert copy.to_dict() == err.to_dict()
    with pytest.raises(IngestError, match="line 12"):
        raise err


def _tree(tmp_path: Path) -> Path:
    root = tmp_path / "in"
    (root / "b" / "deep").mkdir(parents=True)
    (root / ".git").mkdir()
    (root / "a.json").write_text(json.dumps(GOOD), encoding="utf-8")
    (root / "b" / "deep" / "z.jsonl").write_text(json.dumps(GOOD) + "\n", encoding="utf-8")
    (root / "b" / "x.CSV").write_text("conversation_id,speaker,text\nc9,agent,hi\n", encoding="utf-8")
    (root / "b" / "notes.txt").write_text("ignore me", encoding="utf-8")
    (root / "call1.wav").write_bytes(b"RIFF")
    (root / "call1.wav.json").write_text('{"agent_id": "a1"}', encoding="utf-8")  # sidecar
    (root / "lonely.mp3.json").write_text(json.dumps(GOOD), encoding="utf-8")  # no mp3: a real input
    (root / ".hidden.json").write_text("{}", encoding="utf-8")
    (root / ".git" / "x.json").write_text("{}", encoding="utf-8")
    return root


def test_iter_inputs_recursive_sorted_skips_sidecars_and_hidden(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    assert [p.relative_to(root).as_posix() for p in iter_inputs(root)] == [
        "a.json", "b/deep/z.jsonl", "b/x.CSV", "call1.wav", "lonely.mp3.json"]
    assert iter_inputs(root / "a.json") == [root / "a.json"]
    assert iter_inputs(root / "b" / "notes.txt") == []
    # patterns match a file's name or its path under the root; an explicit file is never excluded
    assert [p.relative_to(root).as_posix() for p in iter_inputs(root, ["*.json", "b/deep/*"])] == [
        "b/x.CSV", "call1.wav"]
    assert iter_inputs(root / "a.json", ["*.json"]) == [root / "a.json"]


def test_folder_with_missing_audio_module_reports_and_goes_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "qa_engine.audio", None)  # import raises ImportError
    results = list(read_path(_tree(tmp_path)))
    kinds = [(type(r).__name__, Path(r.file).name if isinstance(r, IngestError) else r.id) for r in results]
    assert kinds == [("Conversation", "c1"), ("Conversation", "c1"), ("Conversation", "c9"),
                     ("IngestError", "call1.wav"), ("Conversation", "c1")]
    assert "pip install -e ." in results[3].message


def _fake_audio(monkeypatch: pytest.MonkeyPatch, load_call) -> None:  # noqa: ANN001
    module = types.ModuleType("qa_engine.audio")
    module.AUDIO_EXTENSIONS = (".wav", ".amr")
    module.load_call = load_call
    monkeypatch.setitem(sys.modules, "qa_engine.audio", module)


def test_audio_success_and_failure_are_wrapped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    good, broken = tmp_path / "ok.wav", tmp_path / "bad.amr"
    good.write_bytes(b"x")
    broken.write_bytes(b"x")

    def load_call(path: Path) -> Conversation:
        if path.suffix == ".amr":
            raise RuntimeError("truncated header")
        return Conversation(id=path.stem, channel=Channel.call, utterances=[
            Utterance(index=0, speaker=Speaker.agent, text="您好", raw_text="您好", start=0, end=1)])

    _fake_audio(monkeypatch, load_call)
    [conv] = read_path(good)
    assert conv.id == "ok" and conv.source == str(good)
    [err] = read_path(broken)
    assert isinstance(err, IngestError) and "RuntimeError: truncated header" in err.message


def test_audio_dependency_import_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def load_call(path: Path) -> Conversation:
        raise ImportError("No module named 'faster_whisper'")

    _fake_audio(monkeypatch, load_call)
    (tmp_path / "a.wav").write_bytes(b"x")
    [err] = read_path(tmp_path / "a.wav")
    assert "faster_whisper" in err.message and "pip install -e ." in err.message


def test_unsupported_missing_and_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("x", encoding="utf-8")
    [err] = read_path(tmp_path / "a.txt")
    assert "unsupported file type '.txt'" in err.message
    [err] = read_path(tmp_path / "missing.json")
    assert err.message.startswith("no such file")
    (tmp_path / "empty").mkdir()
    [err] = read_path(tmp_path / "empty")
    assert "no supported files" in err.message


def test_folder_named_like_a_json_file_is_walked(tmp_path: Path) -> None:
    folder = tmp_path / "dir.json"  # a folder, not a file, despite its suffix
    folder.mkdir()
    (folder / "c.json").write_text(json.dumps(GOOD), encoding="utf-8")
    assert [r.id for r in read_path(folder)] == ["c1"]
