import shutil
import subprocess
import wave

import numpy as np
import pytest

from qa_engine.audio.decode import AudioError, decode

from .conftest import CALLS, REAL_CLIP


def write_wav(path, samples, rate=16000, channels=1):
    data = (np.clip(samples, -1, 1) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(data.tobytes())
    return path


def test_stereo_mulaw_8k_keeps_channels_apart():
    audio = decode(CALLS / "call03_password_overtalk.stereo8k.wav")
    assert audio.n_channels == 2 and audio.source_rate == 8000 and audio.codec == "pcm_mulaw"
    assert audio.rate == 16000 and abs(audio.duration - 25.29) < 0.05
    # Agent speaks alone at 1-3 s: the left channel is loud, the right nearly silent.
    left, right = (np.sqrt(np.mean(ch[16000:48000] ** 2)) for ch in audio.channels)
    assert left > 20 * right


def test_mono_16k_and_24k_pcm():
    assert decode(CALLS / "call01_bill.mono16k.wav").n_channels == 1
    clip = decode(REAL_CLIP)
    assert clip.source_rate == 24000 and abs(clip.duration - 6.76) < 0.01


def test_mp3_decodes(tmp_path):
    av = pytest.importorskip("av")
    src = decode(REAL_CLIP).channels[0]
    out = tmp_path / "clip.mp3"
    with av.open(str(out), "w") as container:
        stream = container.add_stream("mp3", rate=16000)
        frame = av.AudioFrame.from_ndarray((src * 32767).astype(np.int16)[None, :], format="s16",
                                           layout="mono")
        frame.sample_rate = 16000
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    audio = decode(out)
    assert abs(audio.duration - 6.76) < 0.15


def test_empty_file(tmp_path):
    path = tmp_path / "empty.wav"
    path.write_bytes(b"")
    with pytest.raises(AudioError, match="empty.wav: is an empty file"):
        decode(path)


def test_missing_file(tmp_path):
    with pytest.raises(AudioError, match="file not found"):
        decode(tmp_path / "nope.wav")


def test_non_audio_files(tmp_path):
    text = tmp_path / "notes.wav"
    text.write_text("这不是录音文件\n" * 50, encoding="utf-8")
    random_bytes = tmp_path / "random.mp3"
    random_bytes.write_bytes(np.random.default_rng(1).bytes(40000))
    for path in (text, random_bytes):
        with pytest.raises(AudioError) as info:
            decode(path)
        assert str(path) in str(info.value)


def test_header_only_wav_is_corrupt(tmp_path):
    path = tmp_path / "header.wav"
    path.write_bytes((CALLS / "call01_bill.mono8k.wav").read_bytes()[:44])
    with pytest.raises(AudioError, match="header.wav"):
        decode(path)


def test_silent_recording(tmp_path):
    path = write_wav(tmp_path / "silent.wav", np.zeros(16000 * 3))
    with pytest.raises(AudioError, match="is silent"):
        decode(path)


def test_too_long_and_too_short(tmp_path):
    rng = np.random.default_rng(0)
    path = write_wav(tmp_path / "long.wav", 0.1 * rng.standard_normal(16000 * 5))
    with pytest.raises(AudioError, match="limit"):
        decode(path, max_seconds=2.0)
    short = write_wav(tmp_path / "short.wav", 0.1 * rng.standard_normal(800))
    with pytest.raises(AudioError, match="only 0.05 s"):
        decode(short)


def test_amr_needs_converter(tmp_path):
    amr = tmp_path / "call.amr"
    if shutil.which("sox") is None and shutil.which("ffmpeg") is None:
        amr.write_bytes(b"#!AMR\n" + bytes(200))
        with pytest.raises(AudioError, match="install sox"):
            decode(amr)
        return
    wav = tmp_path / "in.wav"
    shutil.copy(REAL_CLIP, wav)
    made = subprocess.run(["sox", str(wav), "-r", "8000", "-t", "amr-nb", str(amr)],
                          capture_output=True) if shutil.which("sox") else None
    if made is None or made.returncode != 0:
        pytest.skip("this sox build cannot write AMR to create the input")
    audio = decode(amr)
    assert abs(audio.duration - 6.76) < 0.1


def test_truncated_file_keeps_audio_and_says_so(tmp_path):
    path = tmp_path / "cut.wav"
    path.write_bytes((CALLS / "call01_bill.mono8k.wav").read_bytes()[:40000])
    audio = decode(path)
    assert 4.5 < audio.duration < 5.5
    assert any("truncated" in note for note in audio.notes)
