"""Settings for turning a recording into a :class:`~qa_engine.types.Conversation`."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from qa_engine.audio.decode import DEFAULT_MAX_SECONDS


@dataclass
class AudioOptions:
    # --- recognition -------------------------------------------------------------------
    model: str | None = None  # None: bundled Whisper base; or a CT2 directory / model name
    device: str = "auto"  # auto -> cuda when CTranslate2 sees a GPU, else cpu
    compute_type: str = "auto"  # auto -> int8 on CPU, float16 on GPU
    cpu_threads: int = 0  # 0: CTranslate2 picks (all cores)
    beam_size: int = 5
    language: str = "zh"  # fixed: auto-detect mislabels short, noisy telephone audio
    vad_filter: bool = True
    # Silero's default 0.5 drops the first words of turns on 8 kHz telephone audio; 0.35 kept
    # them on the fixtures (call02 customer: 6.2 -> 8.2 s of speech found, see docs/audio.md).
    vad_threshold: float = 0.35
    # Conditioning on the previous window is what makes Whisper loop on one phrase for
    # minutes; call audio gains little from it, so it is off by default.
    condition_on_previous_text: bool = False
    initial_prompt: str | None = None  # beware: echoed back as text on unclear audio
    batched: bool = False  # BatchedInferencePipeline: decode VAD chunks in parallel
    batch_size: int = 8
    # --- audio ---------------------------------------------------------------------------
    max_seconds: float = DEFAULT_MAX_SECONDS
    # --- speakers ------------------------------------------------------------------------
    agent_channel: int = 0  # stereo: which channel is the agent (0 = left)
    turn_gap: float = 0.8  # a pause this long (s) within one speaker's words starts a new turn
    min_role_confidence: float = 0.6  # below this, the call is flagged for review
    # --- hallucination guard -------------------------------------------------------------
    no_speech_threshold: float = 0.6
    logprob_threshold: float = -1.0
    compression_ratio_threshold: float = 2.4
    min_asr_confidence: float = 0.5  # call-level confidence below this -> needs review
    # --- acoustics -----------------------------------------------------------------------
    acoustics: bool = True  # measure loudness etc. while the waveform is in memory
    extra: dict[str, Any] = field(default_factory=dict)  # passed to faster-whisper transcribe()

    @classmethod
    def from_mapping(cls, data: dict[str, Any] | None) -> AudioOptions:
        """Build from configuration (YAML ``audio:`` section); unknown keys are an error."""
        data = dict(data or {})
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown audio option(s): {', '.join(unknown)}; "
                             f"known: {', '.join(sorted(known))}")
        return cls(**data)
