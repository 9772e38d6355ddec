"""Shared paths for the audio tests. The recogniser is the real one (CI installs faster-whisper
and the model packages); nothing is faked."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CALLS = REPO / "datasets" / "calls"
REAL_CLIP = CALLS / "real" / "basic_ref_zh.wav"


def call_ids() -> list[str]:
    return sorted(p.name.split(".")[0] for p in CALLS.glob("*.timeline.json"))
