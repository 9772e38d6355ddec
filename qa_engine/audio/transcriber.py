"""Speech-recognition backends behind one small interface.

Only faster-whisper is implemented; FunASR or a cloud API would be another class with the same
``transcribe`` method. Results are plain dataclasses so nothing downstream depends on the
backend's own types.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np

from qa_engine.audio.model_store import ensure_model
from qa_engine.audio.options import AudioOptions


@dataclass
class AsrWord:
    text: str
    start: float
    end: float
    probability: float


@dataclass
class AsrSegment:
    start: float
    end: float
    text: str
    words: list[AsrWord] = field(default_factory=list)
    avg_logprob: float = 0.0
    no_speech_prob: float = 0.0
    compression_ratio: float = 1.0


@dataclass
class Transcript:
    segments: list[AsrSegment]
    language: str
    duration: float  # seconds of audio given
    speech_duration: float  # seconds left after VAD


@runtime_checkable
class Transcriber(Protocol):
    name: str

    def transcribe(self, audio: np.ndarray) -> Transcript:
        """Recognise one channel of 16 kHz float32 audio."""


_MODELS: dict[tuple, object] = {}
_LOCK = threading.Lock()


def resolve_device(device: str, compute_type: str) -> tuple[str, str]:
    if device == "auto":
        import ctranslate2

        device = "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"
    if compute_type == "auto":
        compute_type = "int8" if device == "cpu" else "float16"
    return device, compute_type


def load_whisper(model: str, device: str, compute_type: str, cpu_threads: int):
    """One WhisperModel per process and setting: loading costs seconds and ~300 MB."""
    key = (model, device, compute_type, cpu_threads)
    with _LOCK:
        if key not in _MODELS:
            from faster_whisper import WhisperModel

            _MODELS[key] = WhisperModel(model, device=device, compute_type=compute_type,
                                        cpu_threads=cpu_threads, local_files_only=False)
        return _MODELS[key]


class FasterWhisperTranscriber:
    name = "faster-whisper"

    def __init__(self, options: AudioOptions | None = None) -> None:
        self.options = options or AudioOptions()
        self.model_path = ensure_model(self.options.model)
        self.device, self.compute_type = resolve_device(self.options.device,
                                                        self.options.compute_type)
        self.model = load_whisper(self.model_path, self.device, self.compute_type,
                                  self.options.cpu_threads)
        self._pipeline = None

    def _kwargs(self) -> dict:
        o = self.options
        kwargs = dict(language=o.language, beam_size=o.beam_size, word_timestamps=True,
                      vad_filter=o.vad_filter, condition_on_previous_text=o.condition_on_previous_text,
                      initial_prompt=o.initial_prompt, no_speech_threshold=o.no_speech_threshold,
                      log_prob_threshold=o.logprob_threshold,
                      compression_ratio_threshold=o.compression_ratio_threshold)
        if o.vad_filter:
            kwargs["vad_parameters"] = {"threshold": o.vad_threshold}
        kwargs.update(o.extra)
        return kwargs

    def transcribe(self, audio: np.ndarray) -> Transcript:
        audio = np.ascontiguousarray(audio, dtype=np.float32)
        kwargs = self._kwargs()
        if self.options.batched:
            if self._pipeline is None:
                from faster_whisper import BatchedInferencePipeline

                self._pipeline = BatchedInferencePipeline(model=self.model)
            kwargs.pop("condition_on_previous_text")  # batched chunks are independent anyway
            kwargs["batch_size"] = self.options.batch_size
            segments, info = self._pipeline.transcribe(audio, **kwargs)
        else:
            segments, info = self.model.transcribe(audio, **kwargs)
        out = []
        for seg in segments:  # a generator: decoding happens while we iterate
            words = [AsrWord(w.word, float(w.start), float(w.end), float(w.probability))
                     for w in (seg.words or [])]
            out.append(AsrSegment(start=float(seg.start), end=float(seg.end), text=seg.text,
                                  words=words, avg_logprob=float(seg.avg_logprob),
                                  no_speech_prob=float(seg.no_speech_prob),
                                  compression_ratio=float(seg.compression_ratio)))
        return Transcript(segments=out, language=info.language, duration=float(info.duration),
                          speech_duration=float(info.duration_after_vad))

    def transcribe_many(self, audios: list[np.ndarray]) -> list[Transcript]:
        return [self.transcribe(a) for a in audios]


_TRANSCRIBERS: dict[tuple, FasterWhisperTranscriber] = {}


def get_transcriber(options: AudioOptions | None = None) -> FasterWhisperTranscriber:
    """Cached per option set, so a batch of files shares one loaded model."""
    options = options or AudioOptions()
    key = tuple(sorted((k, repr(v)) for k, v in vars(options).items()))
    with _LOCK:
        cached = _TRANSCRIBERS.get(key)
    if cached is None:
        cached = FasterWhisperTranscriber(options)
        with _LOCK:
            _TRANSCRIBERS.setdefault(key, cached)
    return cached
