"""Input side: read conversations from files and folders, robustly.

``read_path`` yields :class:`Conversation` objects and :class:`IngestError` values side by side:
a bad record, file or audio never stops the rest, and every error names the file, the record
(line/row/conversation) and the field. Callers decide whether to stop (``raise`` the error) or
report and go on.

Decisions:

* Dispatch by extension, case-insensitively: ``.json``, ``.jsonl``, ``.ndjson``, ``.csv`` and
  audio (``qa_engine.audio.AUDIO_EXTENSIONS`` when that module is importable, else a built-in
  list of common audio types so folders still report the broken audio install per file).
* Audio goes to ``qa_engine.audio.load_call(path)``, imported lazily so text-only installs never
  load audio code; whatever it raises becomes an :class:`IngestError`. It may return one
  Conversation or an iterable of them.
* ``read_path`` on a folder reads every file ``iter_inputs`` lists.
* ``iter_inputs`` walks folders recursively without following symlinks (no loops), skips hidden
  files and folders (``.git``, ``.DS_Store``) and sidecar metadata ``X.json`` where ``X`` is an
  audio file in the same folder (``call1.wav.json`` belongs to ``call1.wav``), and sorts paths so
  runs are reproducible.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterator, Mapping, Sequence
from datetime import tzinfo
from pathlib import Path

from qa_engine.ingest.common import CHINA_TZ, SPEAKER_ALIASES, normalize_speaker_map
from qa_engine.ingest.csv_reader import HEADER_ALIASES, CsvColumns, read_csv
from qa_engine.ingest.errors import IngestError
from qa_engine.ingest.json_reader import read_json
from qa_engine.types import Conversation, Speaker

__all__ = [
    "CHINA_TZ",
    "CsvColumns",
    "HEADER_ALIASES",
    "IngestError",
    "SPEAKER_ALIASES",
    "TEXT_EXTENSIONS",
    "audio_extensions",
    "iter_inputs",
    "read_csv",
    "read_json",
    "read_path",
    "supported_extensions",
]

TEXT_EXTENSIONS = frozenset({".json", ".jsonl", ".ndjson", ".csv"})
# Used only when qa_engine.audio cannot be imported, so audio files are still listed and each
# one reports how to enable audio instead of vanishing silently.
_FALLBACK_AUDIO_EXTENSIONS = frozenset(
    {".wav", ".mp3", ".m4a", ".flac", ".ogg", ".opus", ".amr", ".aac", ".wma", ".webm"}
)
_AUDIO_HINT = "audio support (faster-whisper, av) failed to import; reinstall the project: pip install -e ."


def audio_extensions() -> frozenset[str]:
    try:
        from qa_engine.audio import AUDIO_EXTENSIONS
    except Exception:  # noqa: BLE001 - missing or broken optional module
        return _FALLBACK_AUDIO_EXTENSIONS
    return frozenset(e.lower() if e.startswith(".") else f".{e.lower()}" for e in AUDIO_EXTENSIONS)


def supported_extensions() -> frozenset[str]:
    return TEXT_EXTENSIONS | audio_extensions()


def iter_inputs(path: Path, exclude: Sequence[str] = ()) -> list[Path]:
    """Every readable input under ``path`` (a file is returned as is if supported), sorted.

    ``exclude``: glob patterns (``*.timeline.json``, ``archive/*``) matched against each file's
    name and its path relative to ``path``; matching files are not inputs.
    """
    path = Path(path)
    if not path.is_dir():
        return [path] if path.suffix.lower() in supported_extensions() else []
    supported, audio = supported_extensions(), audio_extensions()
    found: list[Path] = []
    for folder, dirs, files in os.walk(path):  # followlinks=False: no symlink loops
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        visible = [f for f in files if not f.startswith(".")]
        audio_here = {f for f in visible if Path(f).suffix.lower() in audio}
        for name in visible:
            suffix = Path(name).suffix.lower()
            if suffix not in supported:
                continue
            if suffix == ".json" and name[: -len(suffix)] in audio_here:
                continue  # sidecar metadata of an audio file; the audio loader reads it
            file = Path(folder) / name
            if exclude and _excluded(file.relative_to(path).as_posix(), name, exclude):
                continue
            found.append(file)
    return sorted(found, key=lambda p: p.relative_to(path).parts)


def _excluded(relative: str, name: str, patterns: Sequence[str]) -> bool:
    return any(fnmatch.fnmatchcase(name, p) or fnmatch.fnmatchcase(relative, p) for p in patterns)


def _read_audio(path: Path) -> Iterator[Conversation | IngestError]:
    file = str(path)
    try:
        from qa_engine.audio import load_call
    except ImportError as exc:
        yield IngestError(file, "", "", f"audio support is not installed ({exc}); {_AUDIO_HINT}")
        return
    try:
        result = load_call(path)
        conversations = [result] if isinstance(result, Conversation) else list(result)
    except ImportError as exc:  # e.g. faster-whisper missing inside the audio module
        yield IngestError(file, "", "", f"audio dependency missing ({exc}); {_AUDIO_HINT}")
        return
    except Exception as exc:  # noqa: BLE001 - a broken recording must not stop a folder
        yield IngestError(file, "", "", f"could not load the recording: {type(exc).__name__}: "
                                        f"{exc}; check that the file plays and is not truncated")
        return
    for conv in conversations:
        if not isinstance(conv, Conversation):
            yield IngestError(file, "", "", f"audio loader returned {type(conv).__name__}, not a "
                                            "Conversation; please report this")
            continue
        if conv.source is None:
            conv.source = file
        yield conv


def read_path(
    path: Path,
    *,
    csv_columns: CsvColumns | None = None,
    speaker_map: Mapping[str, str | Speaker] | None = None,
    default_tz: tzinfo = CHINA_TZ,
) -> Iterator[Conversation | IngestError]:
    """Read one file (by extension) or every input in a folder.

    ``speaker_map`` adds speaker labels (``{"坐席A": "agent"}``), checked before anything is read
    (a wrong target raises ``ValueError`` at once: it is a usage error, not a data error).
    ``default_tz`` is the zone of timestamps written without an offset.
    """
    smap = normalize_speaker_map(speaker_map)
    return _read_path(Path(path), csv_columns, smap, default_tz)


def _read_path(path: Path, csv_columns: CsvColumns | None, smap: Mapping[str, Speaker],
               default_tz: tzinfo) -> Iterator[Conversation | IngestError]:
    file = str(path)
    if path.is_dir():
        inputs = iter_inputs(path)
        if not inputs:
            yield IngestError(file, "", "", "no supported files in this folder (looked for "
                                            f"{', '.join(sorted(supported_extensions()))})")
        for child in inputs:
            yield from _read_path(child, csv_columns, smap, default_tz)
        return
    if not path.exists():
        yield IngestError(file, "", "", "no such file; check the path")
        return
    suffix = path.suffix.lower()
    if suffix in (".json", ".jsonl", ".ndjson"):
        yield from read_json(path, speaker_map=smap, default_tz=default_tz)
    elif suffix == ".csv":
        yield from read_csv(path, columns=csv_columns, speaker_map=smap, default_tz=default_tz)
    elif suffix in audio_extensions():
        yield from _read_audio(path)
    else:
        yield IngestError(file, "", "", f"unsupported file type {suffix or '(none)'!r}; use "
                                        f"{', '.join(sorted(supported_extensions()))}")
