"""Audio decoding: any container PyAV/FFmpeg reads -> float32 16 kHz, one array per channel.

Channels stay separate because call-centre recorders usually put the agent on one side and the
customer on the other, which is the only reliable speaker separation we have. Every failure is
an :class:`AudioError` that names the file and says what to do, so a batch can log it and move
on instead of dying on one bad recording.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

TARGET_RATE = 16000  # what Whisper and the Silero VAD expect
DEFAULT_MAX_SECONDS = 2 * 3600.0
SILENT_DBFS = -55.0  # loudest 50 ms frame quieter than this: nothing to transcribe
_AMR_MAGIC = (b"#!AMR\n", b"#!AMR-WB\n")


class AudioError(ValueError):
    """A recording that cannot be used; ``str()`` names the file and the fix."""

    def __init__(self, path: Path | str, problem: str, hint: str = "") -> None:
        self.path = str(path)
        self.problem = problem
        self.hint = hint
        super().__init__(f"{path}: {problem}" + (f" ({hint})" if hint else ""))


@dataclass
class DecodedAudio:
    path: Path
    channels: np.ndarray  # shape (n_channels, n_samples), float32 in [-1, 1], 16 kHz
    source_rate: int
    source_channels: int
    codec: str
    rate: int = TARGET_RATE
    notes: list[str] = field(default_factory=list)

    @property
    def duration(self) -> float:
        return self.channels.shape[1] / self.rate

    @property
    def n_channels(self) -> int:
        return int(self.channels.shape[0])

    def mono(self) -> np.ndarray:
        return self.channels.mean(axis=0) if self.n_channels > 1 else self.channels[0]


def _converter() -> list[str] | None:
    if shutil.which("sox"):
        return ["sox"]
    if shutil.which("ffmpeg"):
        return ["ffmpeg"]
    return None


def _convert_amr(path: Path, workdir: Path) -> Path:
    """AMR-NB/WB has no decoder in PyAV's bundled FFmpeg; hand it to sox or a system ffmpeg."""
    tool = _converter()
    if tool is None:
        raise AudioError(path, "AMR audio cannot be decoded without an external converter",
                         "install sox with AMR support (apt-get install sox libsox-fmt-all) "
                         "or ffmpeg, or convert the file to WAV first")
    out = workdir / (path.stem + ".wav")
    cmd = ([*tool, str(path), "-r", str(TARGET_RATE), str(out)] if tool == ["sox"]
           else [*tool, "-nostdin", "-loglevel", "error", "-i", str(path), "-ar",
                 str(TARGET_RATE), str(out)])
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0 or not out.is_file():
        raise AudioError(path, f"{tool[0]} could not convert this AMR file: "
                         f"{proc.stderr.strip()[-200:]}",
                         "check that the file is a complete AMR recording; "
                         "sox needs libsox-fmt-all (or libsox-fmt-opencore-amr) for AMR")
    return out


def _decode_with_av(path: Path, source: Path, max_seconds: float) -> DecodedAudio:
    import av  # bundled with faster-whisper; imported lazily so chat-only installs work

    try:
        container = av.open(str(source), mode="r", metadata_errors="ignore")
    except (av.error.FFmpegError, UnicodeDecodeError, OSError) as exc:
        raise AudioError(path, f"not a readable audio file ({exc.__class__.__name__}: {exc})",
                         "check the file is a complete WAV/MP3/M4A/OGG/FLAC/AMR recording") from exc
    with container:
        if not container.streams.audio:
            raise AudioError(path, "contains no audio stream", "is this a video or text file?")
        stream = container.streams.audio[0]
        declared = (float(stream.duration * stream.time_base)
                    if stream.duration and stream.time_base else None)
        if declared is not None and declared > max_seconds:
            raise AudioError(path, f"is {declared / 60:.1f} minutes long, over the "
                             f"{max_seconds / 60:.0f}-minute limit",
                             "split it, or raise AudioOptions.max_seconds")
        source_rate = stream.codec_context.sample_rate or 0
        source_channels = stream.codec_context.channels or 1
        layout = "mono" if source_channels == 1 else "stereo"  # >2 channels: downmix to 2
        resampler = av.audio.resampler.AudioResampler(format="s16", layout=layout,
                                                      rate=TARGET_RATE)
        chunks: list[np.ndarray] = []
        samples = 0
        limit = int(max_seconds * TARGET_RATE)
        try:
            for frame in container.decode(stream):
                frame.pts = None  # let the resampler stitch frames with broken timestamps
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray().reshape(-1))
                    samples += out.samples
                if samples > limit:
                    raise AudioError(path, f"is longer than the {max_seconds / 60:.0f}-minute "
                                     "limit", "split it, or raise AudioOptions.max_seconds")
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray().reshape(-1))
        except av.error.FFmpegError as exc:
            if not chunks:
                raise AudioError(path, f"audio data is corrupt ({exc})",
                                 "re-export the recording from the recorder") from exc
            # A damaged tail is common in recorder dumps; keep what decoded, but say so.
            note = f"decoding stopped early: {exc}"
        else:
            note = ""
        codec = stream.codec_context.name
    if not chunks:
        raise AudioError(path, "contains no audio samples (empty recording)",
                         "check the recorder exported the call")
    interleaved = np.concatenate(chunks).astype(np.float32) / 32768.0
    n = 1 if layout == "mono" else 2
    interleaved = interleaved[: len(interleaved) // n * n]
    channels = interleaved.reshape(-1, n).T.copy()
    decoded = DecodedAudio(path=path, channels=channels, source_rate=source_rate,
                           source_channels=source_channels, codec=codec)
    if note:
        decoded.notes.append(note)
    if declared and decoded.duration < 0.9 * declared - 0.5:
        decoded.notes.append(f"only {decoded.duration:.1f} s of the {declared:.1f} s the header "
                             "declares could be decoded (truncated file?)")
    return decoded


def frame_dbfs(signal: np.ndarray, rate: int = TARGET_RATE, frame_s: float = 0.05) -> np.ndarray:
    """RMS level per frame in dBFS (full-scale sine = -3 dB); floor at -100 dB."""
    frame = max(1, int(rate * frame_s))
    usable = len(signal) // frame * frame
    if usable == 0:
        return np.full(1, -100.0) if len(signal) == 0 else np.array(
            [20 * np.log10(max(1e-5, float(np.sqrt(np.mean(signal ** 2)))))])
    rms = np.sqrt(np.mean(signal[:usable].reshape(-1, frame) ** 2, axis=1))
    return 20 * np.log10(np.maximum(rms, 1e-5))


def decode(path: Path | str, max_seconds: float = DEFAULT_MAX_SECONDS,
           min_seconds: float = 0.3) -> DecodedAudio:
    """Decode ``path`` or raise :class:`AudioError`; rejects empty, silent and over-long audio."""
    path = Path(path)
    if not path.is_file():
        raise AudioError(path, "file not found")
    if path.stat().st_size == 0:
        raise AudioError(path, "is an empty file (0 bytes)", "the recording was not saved")
    with path.open("rb") as fh:
        head = fh.read(16)
    with tempfile.TemporaryDirectory(prefix="qa-audio-") as tmp:
        source = path
        if head.startswith(_AMR_MAGIC) or path.suffix.lower() in {".amr", ".awb"}:
            source = _convert_amr(path, Path(tmp))
        decoded = _decode_with_av(path, source, max_seconds)
    if decoded.duration < min_seconds:
        raise AudioError(path, f"is only {decoded.duration:.2f} s long",
                         "too short to hold a conversation")
    loudest = max(float(frame_dbfs(ch).max()) for ch in decoded.channels)
    if loudest < SILENT_DBFS:
        raise AudioError(path, f"is silent (loudest frame {loudest:.0f} dBFS)",
                         "check the recorder captured the line; nothing to transcribe")
    return decoded
