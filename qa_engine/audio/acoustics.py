"""Acoustic measurements that need the waveform (the engine derives timing from utterance times).

Per utterance: loudness (RMS dBFS of the span on the speaker's channel), speech rate in
characters per minute, and a relative *arousal* (0..1: how much louder and higher-pitched than
this speaker's own median in this call; 0.5 = their usual). Per call, in
``analysis.extra["acoustics"]``: talk seconds and ratio, mute time (line digitally silent) and
hold time (sound but no recognised speech, e.g. hold music), and the recording duration.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from qa_engine.analyzers.base import BaseAnalyzer, register
from qa_engine.audio.decode import TARGET_RATE, DecodedAudio, decode, frame_dbfs
from qa_engine.audio.diarize import pitch
from qa_engine.audio.normalize import spoken_chars
from qa_engine.types import Acoustics, Channel, Conversation, Speaker

FRAME_S = 0.05
MUTE_DBFS = -50.0  # quieter than this on every channel: nobody and nothing on the line
MIN_MUTE_S = 3.0
MIN_HOLD_S = 10.0
MIN_RATE_SPAN_S = 0.5  # speech-rate of a shorter span is dominated by timestamp error


def _span(signal: np.ndarray, start: float, end: float, rate: int = TARGET_RATE) -> np.ndarray:
    return signal[max(0, int(start * rate)):max(0, int(end * rate))]


def rms_dbfs(signal: np.ndarray) -> float | None:
    if signal.size == 0:
        return None
    return round(20 * math.log10(max(1e-5, float(np.sqrt(np.mean(signal.astype(np.float64) ** 2))))), 1)


def _runs(mask: np.ndarray, min_frames: int) -> list[tuple[int, int]]:
    """(first, last+1) frame indices of True runs at least ``min_frames`` long."""
    padded = np.concatenate([[False], mask, [False]])
    edges = np.flatnonzero(np.diff(padded.astype(np.int8)))
    return [(a, b) for a, b in zip(edges[::2], edges[1::2]) if b - a >= min_frames]


def line_states(audio: DecodedAudio, speech: list[tuple[float, float]]) -> dict:
    """Mute and hold stretches outside recognised speech."""
    levels = np.max(np.stack([frame_dbfs(ch, audio.rate, FRAME_S) for ch in audio.channels]), axis=0)
    covered = np.zeros(len(levels), dtype=bool)
    for start, end in speech:  # pad: word times miss the soft start and end of a turn
        covered[max(0, int((start - 0.3) / FRAME_S)):int((end + 0.3) / FRAME_S) + 1] = True
    quiet = levels < MUTE_DBFS
    mute = _runs(quiet & ~covered, int(MIN_MUTE_S / FRAME_S))
    hold = _runs(~quiet & ~covered, int(MIN_HOLD_S / FRAME_S))

    def spans(runs):
        return [[round(a * FRAME_S, 2), round(b * FRAME_S, 2)] for a, b in runs]

    return {"mute_seconds": round(sum(b - a for a, b in mute) * FRAME_S, 2), "mute_spans": spans(mute),
            "hold_seconds": round(sum(b - a for a, b in hold) * FRAME_S, 2), "hold_spans": spans(hold)}


def _robust_z(values: list[float | None]) -> list[float | None]:
    present = [v for v in values if v is not None]
    if len(present) < 3:
        return [None] * len(values)
    median = float(np.median(present))
    mad = float(np.median(np.abs(np.array(present) - median))) * 1.4826 or 1.0
    return [None if v is None else (v - median) / mad for v in values]


def measure(conversation: Conversation, audio: DecodedAudio) -> None:
    """Fill ``Utterance.acoustics`` and ``analysis.extra['acoustics']`` from the waveform."""
    utterances = conversation.utterances
    loudness, pitches = [], []
    for u in utterances:
        channel = u.channel if u.channel is not None and u.channel < audio.n_channels else 0
        span = _span(audio.channels[channel], u.start or 0.0, u.end or 0.0, audio.rate)
        loudness.append(rms_dbfs(span))
        f0 = pitch(span) if span.size > 0.3 * audio.rate else np.empty(0)
        pitches.append(float(np.log(np.median(f0))) if f0.size >= 5 else None)
    arousal: list[float | None] = [None] * len(utterances)
    for speaker in (Speaker.agent, Speaker.customer):
        idx = [i for i, u in enumerate(utterances) if u.speaker == speaker and not u.suspect]
        z_loud = _robust_z([loudness[i] for i in idx])
        z_pitch = _robust_z([pitches[i] for i in idx])
        for i, zl, zp in zip(idx, z_loud, z_pitch):
            if zl is not None:
                raw = 0.6 * zl + 0.4 * (zp if zp is not None else 0.0)
                # /2: a speaker's own spread is small in short calls, don't saturate at 0/1
                arousal[i] = round(1.0 / (1.0 + math.exp(-raw / 2.0)), 3)
    talk = {"agent": 0.0, "customer": 0.0}
    speech_spans = []
    for i, u in enumerate(utterances):
        duration = u.duration or 0.0
        cpm = (round(spoken_chars(u.text) / duration * 60.0, 1)
               if duration >= MIN_RATE_SPAN_S else None)
        u.acoustics = Acoustics(chars_per_minute=cpm, loudness_db=loudness[i], arousal=arousal[i])
        if not u.suspect and u.start is not None and u.end is not None:
            talk[u.speaker.value] = talk.get(u.speaker.value, 0.0) + duration
            speech_spans.append((u.start, u.end))
    total_talk = talk["agent"] + talk["customer"]

    def median_loudness(speaker: Speaker) -> float | None:
        vals = [loudness[i] for i, u in enumerate(utterances)
                if u.speaker == speaker and loudness[i] is not None and not u.suspect]
        return round(float(np.median(vals)), 1) if vals else None

    conversation.analysis.extra["acoustics"] = {
        "duration": round(audio.duration, 2),
        "talk_seconds": {k: round(v, 2) for k, v in talk.items()},
        "talk_ratio_agent": round(talk["agent"] / total_talk, 3) if total_talk else None,
        "loudness_db": {"agent": median_loudness(Speaker.agent),
                        "customer": median_loudness(Speaker.customer)},
        **line_states(audio, speech_spans),
    }


@register("acoustics")
class AcousticsAnalyzer(BaseAnalyzer):
    """Adds acoustics to calls. ``load_call`` already measures while the audio is decoded; this
    analyzer covers calls loaded another way (re-scoring a stored transcript of a recording)."""

    name = "acoustics"
    requires = ("utterances",)
    assigns = ("utterance.acoustics", "analysis.extra.acoustics")

    def __init__(self, max_seconds: float | None = None) -> None:
        self.max_seconds = max_seconds

    def analyze(self, conversation: Conversation) -> None:
        if conversation.channel != Channel.call or "acoustics" in conversation.analysis.extra:
            return
        source = Path(conversation.source) if conversation.source else None
        from qa_engine.audio import AUDIO_EXTENSIONS

        if source is not None and source.suffix.lower() in AUDIO_EXTENSIONS and source.is_file():
            kwargs = {"max_seconds": self.max_seconds} if self.max_seconds else {}
            measure(conversation, decode(source, **kwargs))
            return
        # Transcript without audio: speech rate is all we can measure.
        for u in conversation.utterances:
            if u.acoustics is None and (u.duration or 0.0) >= MIN_RATE_SPAN_S:
                u.acoustics = Acoustics(
                    chars_per_minute=round(spoken_chars(u.text) / u.duration * 60.0, 1))
