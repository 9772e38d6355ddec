from pathlib import Path

import numpy as np

from qa_engine.analyzers.base import create, registered
from qa_engine.audio.acoustics import line_states, measure
from qa_engine.audio.decode import DecodedAudio
from qa_engine.types import Channel, Conversation, Speaker, Utterance

RATE = 16000


def tone(seconds, amp, f=200.0):
    t = np.arange(int(seconds * RATE)) / RATE
    return (amp * np.sin(2 * np.pi * f * t)).astype(np.float32)


def silence(seconds):
    return np.zeros(int(seconds * RATE), np.float32)


def noise(seconds, amp=0.05):
    return (amp * np.random.default_rng(0).standard_normal(int(seconds * RATE))).astype(np.float32)


def utt(i, speaker, text, start, end, channel):
    return Utterance(index=i, speaker=speaker, text=text, raw_text=text, start=start, end=end,
                     channel=channel)


def stereo_call():
    # agent 0-2 s loud; customer 2.5-4.5 s quieter; 4.5-9 s dead line; 9-21 s hold music; agent 21-23
    left = np.concatenate([tone(2, 0.5), silence(19), tone(2, 0.5)])
    right = np.concatenate([silence(2.5), tone(2, 0.05), silence(4.5), noise(12), silence(2)])
    n = min(len(left), len(right))
    audio = DecodedAudio(Path("x.wav"), np.stack([left[:n], right[:n]]), 8000, 2, "pcm_mulaw")
    conv = Conversation(id="c", channel=Channel.call, utterances=[
        utt(0, Speaker.agent, "您好很高兴为您服务", 0.0, 2.0, 0),
        utt(1, Speaker.customer, "我要退款", 2.5, 4.5, 1),
        utt(2, Speaker.agent, "感谢等待", 21.0, 23.0, 0)])
    return conv, audio


def test_measure_loudness_rate_and_line_states():
    conv, audio = stereo_call()
    measure(conv, audio)
    a0, a1 = conv.utterances[0].acoustics, conv.utterances[1].acoustics
    assert abs(a0.loudness_db - (-9.0)) < 0.3  # sine amplitude 0.5 = -9 dBFS
    assert abs(a1.loudness_db - (-29.0)) < 0.3
    assert a0.chars_per_minute == 270.0  # 9 characters in 2 s
    assert a1.chars_per_minute == 120.0
    extra = conv.analysis.extra["acoustics"]
    assert extra["talk_seconds"] == {"agent": 4.0, "customer": 2.0}
    assert extra["talk_ratio_agent"] == round(4 / 6, 3)
    assert extra["duration"] == 23.0
    assert len(extra["mute_spans"]) == 1 and 3.5 < extra["mute_seconds"] < 4.5
    assert len(extra["hold_spans"]) == 1 and 11 < extra["hold_seconds"] < 12.5


def test_no_hold_or_mute_when_everyone_talks():
    audio = DecodedAudio(Path("x.wav"), tone(12, 0.3)[None, :], 16000, 1, "pcm_s16le")
    states = line_states(audio, [(0.0, 12.0)])
    assert states["mute_seconds"] == 0 and states["hold_seconds"] == 0


def test_arousal_relative_to_speaker():
    levels = [0.05, 0.05, 0.05, 0.05, 0.5]
    audio = DecodedAudio(Path("x.wav"), np.concatenate([tone(2, a) for a in levels])[None, :],
                         16000, 1, "pcm_s16le")
    conv = Conversation(id="c", channel=Channel.call, utterances=[
        utt(i, Speaker.customer, "你们怎么回事", 2.0 * i, 2.0 * i + 2, 0) for i in range(5)])
    measure(conv, audio)
    arousal = [u.acoustics.arousal for u in conv.utterances]
    assert arousal[-1] > 0.9 and all(abs(a - 0.5) < 0.05 for a in arousal[:4])


def test_registered_analyzer_handles_transcript_without_audio():
    assert "acoustics" in registered()
    analyzer = create("acoustics")
    conv = Conversation(id="c", channel=Channel.call, source="calls.json:3", utterances=[
        utt(0, Speaker.agent, "您好很高兴为您服务", 0.0, 2.0, None)])
    analyzer.analyze(conv)
    assert conv.utterances[0].acoustics.chars_per_minute == 270.0
    assert conv.utterances[0].acoustics.loudness_db is None
    chat = Conversation(id="c", channel=Channel.chat, utterances=[
        utt(0, Speaker.agent, "您好", 0.0, 2.0, None)])
    analyzer.analyze(chat)
    assert chat.utterances[0].acoustics is None
