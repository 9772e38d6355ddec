"""Recorded calls as first-class input: audio -> speaker-labelled, timestamped utterances.

Importing this package is cheap and does not need faster-whisper: the recogniser, PyAV and the
model are loaded on the first :func:`load_call`. Importing it also registers the
``acoustics`` analyzer.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from qa_engine.audio import acoustics as _acoustics  # noqa: F401  (registers "acoustics")
from qa_engine.audio.decode import AudioError
from qa_engine.audio.model_store import ModelError, ensure_model
from qa_engine.audio.options import AudioOptions

if TYPE_CHECKING:
    from qa_engine.types import Conversation

# What ingest routes to load_call; anything else PyAV reads also works when passed directly.
AUDIO_EXTENSIONS: frozenset[str] = frozenset(
    {".wav", ".mp3", ".m4a", ".aac", ".flac", ".ogg", ".oga", ".opus", ".wma", ".amr", ".awb",
     ".au", ".aif", ".aiff", ".webm", ".mp4", ".gsm"}
)


def load_call(path: Path, options: AudioOptions | None = None) -> Conversation:
    """Recognise one recording; raises :class:`AudioError` (bad audio) or
    :class:`ModelError` (model missing) with a message that says what to do."""
    from qa_engine.audio.pipeline import load_call as _load_call

    return _load_call(Path(path), options)


__all__ = ["AUDIO_EXTENSIONS", "AudioError", "AudioOptions", "ModelError", "ensure_model",
           "load_call"]
