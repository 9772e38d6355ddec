"""Shared paths and the real recogniser for the audio tests (CI installs faster-whisper and the
model packages; nothing here is faked)."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CALLS = REPO / "datasets" / "calls"
REAL_CLIP = CALLS / "real" / "basic_ref_zh.wav"


def call_ids() -> list[str]:
    return sorted(p.name.split(".")[0] for p in CALLS.glob("*.timeline.json"))


@pytest.fixture(scope="session")
def transcriber():
    from qa_engine.audio.options import AudioOptions
    from qa_engine.audio.transcriber import get_transcriber

    return get_transcriber(AudioOptions())
