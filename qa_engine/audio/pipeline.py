"""Recording -> Conversation: decode, recognise, separate speakers, guard, measure."""

from __future__ import annotations

import json
import math
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from qa_engine.audio.decode import AudioError, DecodedAudio, decode
from qa_engine.audio.guard import GuardThresholds, check_span, speech_level
from qa_engine.audio.normalize import normalize_text, to_simplified
from qa_engine.audio.options import AudioOptions
from qa_engine.audio.roles import RoleResult, Turn, mono_turns, stereo_turns, tagged_words
from qa_engine.types import Analysis, Channel, Conversation, Speaker, Utterance, Word

_SIDECAR_FIELDS = ("id", "agent_id", "team_id", "customer_id", "started_at", "metadata")
DUPLICATE_CHANNEL_CORR = 0.98  # "stereo" files that carry the same mix twice are mono


def read_sidecar(path: Path) -> dict[str, Any]:
    """Metadata next to the recording: ``call.wav.json`` (the name ingest skips as a sidecar)."""
    for candidate in (path.with_name(path.name + ".json"),):
        if candidate.is_file():
            try:
                data = json.loads(candidate.read_text(encoding="utf-8"))
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise AudioError(candidate, f"metadata sidecar is not valid JSON ({exc})",
                                 "fix or remove the sidecar file") from exc
            if not isinstance(data, dict):
                raise AudioError(candidate, "metadata sidecar must be a JSON object")
            return data
    return {}


def is_true_stereo(audio: DecodedAudio) -> bool:
    if audio.n_channels < 2:
        return False
    left, right = audio.channels[0], audio.channels[1]
    if not left.any() or not right.any():
        return True  # one silent side is still a two-sided recording
    corr = float(np.corrcoef(left, right)[0, 1])
    return not (math.isfinite(corr) and corr > DUPLICATE_CHANNEL_CORR)


def recognise(audio: DecodedAudio, options: AudioOptions, transcriber) -> tuple[RoleResult, dict]:
    stereo = is_true_stereo(audio)
    if stereo:
        if options.agent_channel not in (0, 1):
            raise AudioError(audio.path, f"agent_channel {options.agent_channel} is not 0 or 1")
        channel_words = {ch: tagged_words(transcriber.transcribe(audio.channels[ch]), ch)
                         for ch in (0, 1)}
        result = stereo_turns(channel_words, options.agent_channel, options.turn_gap)
        signals = {0: audio.channels[0], 1: audio.channels[1]}
    else:
        mono = audio.mono()
        result = mono_turns(tagged_words(transcriber.transcribe(mono), 0), mono, options.turn_gap)
        signals = {0: mono}
    return result, signals


def _segment_stat(turn: Turn, attr: str, pick) -> float:
    values = {id(w.segment): getattr(w.segment, attr) for w in turn.words}
    return pick(values.values())


def build_utterances(result: RoleResult, signals: dict[int, np.ndarray], rate: int,
                     thresholds: GuardThresholds) -> tuple[list[Utterance], list[dict]]:
    levels = {ch: speech_level(sig, [(t.start, t.end) for t in result.turns if t.channel == ch], rate)
              for ch, sig in signals.items()}
    utterances, suspects = [], []
    for turn in result.turns:
        raw = turn.raw_text
        text = normalize_text(raw)
        if not text:
            continue
        probs = [w.probability for w in turn.words]
        signal = signals[turn.channel]
        verdict = check_span(
            raw, avg_logprob=_segment_stat(turn, "avg_logprob", min),
            no_speech_prob=_segment_stat(turn, "no_speech_prob", max),
            compression_ratio=_segment_stat(turn, "compression_ratio", max),
            word_probabilities=probs,
            span_audio=signal[int(turn.start * rate):int(turn.end * rate)],
            channel_speech_dbfs=levels[turn.channel], thresholds=thresholds)
        index = len(utterances)
        if verdict.suspect:
            suspects.append({"utterance": index, "reasons": verdict.reasons})
        words = [Word(text=to_simplified(w.text).strip(), start=round(w.start, 3),
                      end=round(w.end, 3), probability=round(w.probability, 4))
                 for w in turn.words if w.text.strip()]
        utterances.append(Utterance(
            index=index, speaker=Speaker(turn.speaker), text=text, raw_text=raw,
            start=round(turn.start, 3), end=round(turn.end, 3), channel=turn.channel,
            confidence=round(float(np.mean(probs)), 4) if probs else None,
            suspect=verdict.suspect, words=words))
    return utterances, suspects


def call_confidence(utterances: list[Utterance]) -> float | None:
    """Duration-weighted mean confidence; suspect spans count as zero confidence."""
    weights = [(u.duration or 0.0, 0.0 if u.suspect else (u.confidence or 0.0)) for u in utterances]
    total = sum(w for w, _ in weights)
    if total <= 0:
        return None
    return round(sum(w * c for w, c in weights) / total, 4)


def load_call(path: Path | str, options: AudioOptions | None = None,
              transcriber=None) -> Conversation:
    """Turn one recording into a scored-ready Conversation; raises AudioError on bad audio."""
    path = Path(path)
    options = options or AudioOptions()
    sidecar = read_sidecar(path)
    started = sidecar.get("started_at")
    if isinstance(started, str):
        try:
            started = datetime.fromisoformat(started)
        except ValueError as exc:
            raise AudioError(path.with_name(path.name + ".json"),
                             f"started_at {started!r} is not an ISO 8601 time",
                             "write it like 2024-05-01T09:30:00+08:00") from exc
    if "agent_channel" in sidecar:  # per-recording override, e.g. a recorder with sides swapped
        options = AudioOptions(**{**vars(options), "agent_channel": int(sidecar["agent_channel"])})
    audio = decode(path, max_seconds=options.max_seconds)
    if transcriber is None:
        from qa_engine.audio.transcriber import get_transcriber

        transcriber = get_transcriber(options)
    result, signals = recognise(audio, options, transcriber)
    thresholds = GuardThresholds(no_speech_prob=options.no_speech_threshold,
                                 avg_logprob=options.logprob_threshold,
                                 compression_ratio=options.compression_ratio_threshold)
    utterances, suspects = build_utterances(result, signals, audio.rate, thresholds)
    confidence = call_confidence(utterances)
    reasons: list[str] = []
    if not utterances:
        reasons.append("no speech recognised in the recording")
    if utterances and result.role_confidence < options.min_role_confidence:
        reasons.append(f"speaker roles uncertain (role_confidence {result.role_confidence:.2f}, "
                       f"{result.method})")
    if confidence is not None and confidence < options.min_asr_confidence:
        reasons.append(f"low ASR confidence ({confidence:.2f})")
    if suspects:
        reasons.append(f"{len(suspects)} suspected ASR hallucination span(s)")
    reasons.extend(f"audio: {note}" for note in audio.notes)
    extra: dict[str, Any] = {
        "audio": {"sample_rate": audio.source_rate, "channels": audio.source_channels,
                  "codec": audio.codec, "duration": round(audio.duration, 2),
                  "stereo": len(signals) == 2, "asr_model": getattr(transcriber, "model_path", None),
                  "asr_engine": getattr(transcriber, "name", type(transcriber).__name__)},
        "role_confidence": result.role_confidence,
        "roles": {"method": result.method, **result.details},
        "asr_suspect": suspects,
        "needs_review_reasons": reasons,
    }
    metadata = dict(sidecar.get("metadata") or {})
    metadata.update({k: v for k, v in sidecar.items()
                     if k not in _SIDECAR_FIELDS and k != "agent_channel"})
    conversation = Conversation(
        id=str(sidecar.get("id") or path.stem), channel=Channel.call,
        agent_id=sidecar.get("agent_id"), team_id=sidecar.get("team_id"),
        customer_id=sidecar.get("customer_id"),
        started_at=started,
        duration=round(audio.duration, 3), metadata=metadata, utterances=utterances,
        analysis=Analysis(asr_confidence=confidence, extra=extra), source=str(path))
    if options.acoustics:
        from qa_engine.audio.acoustics import measure

        measure(conversation, audio)
    return conversation
