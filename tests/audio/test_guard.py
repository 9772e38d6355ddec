import numpy as np

from qa_engine.audio.guard import (GuardThresholds, check_span, phrase_coverage, repetition,
                                   speech_level)

RATE = 16000
OK = dict(avg_logprob=-0.3, no_speech_prob=0.05, compression_ratio=1.2)


def tone(seconds, amp=0.3, f=220.0):
    t = np.arange(int(seconds * RATE)) / RATE
    return (amp * np.sin(2 * np.pi * f * t)).astype(np.float32)


def test_subtitle_credits_are_hallucinations():
    assert phrase_coverage("字幕由Amara.org社区提供") > 0.5
    assert phrase_coverage("請不吝點贊訂閱轉發打賞支持明鏡與點點欄目") > 0.9
    assert phrase_coverage("谢谢观看") == 1.0
    assert phrase_coverage("您好，请问有什么可以帮您？") == 0.0


def test_repetition_loops_detected_but_not_normal_speech():
    assert repetition("好的好的好的好的好的") == "好的"
    assert repetition("嗯" * 10) == "嗯"
    assert repetition("好的好的，我明白了，谢谢您的耐心解释") is None
    assert repetition("嗯嗯，对") is None


def test_clean_span_is_not_suspect():
    v = check_span("您好，请问有什么可以帮您", **OK, word_probabilities=[0.9] * 8,
                   span_audio=tone(2.0), channel_speech_dbfs=-13.0)
    assert not v.suspect and v.reasons == []


def test_text_over_silence_is_suspect():
    v = check_span("谢谢大家", **OK, word_probabilities=[0.9, 0.9],
                   span_audio=np.zeros(RATE, np.float32), channel_speech_dbfs=-15.0)
    assert v.suspect and any("silent" in r for r in v.reasons)


def test_text_far_below_speaker_level_is_suspect():
    v = check_span("好的", **OK, word_probabilities=[0.9], span_audio=tone(1.0, amp=0.005),
                   channel_speech_dbfs=-12.0)
    assert v.suspect and any("below" in r for r in v.reasons)


def test_whisper_statistics_thresholds():
    base = dict(text="这个问题我帮您处理", word_probabilities=[0.9] * 5, span_audio=tone(1.0),
                channel_speech_dbfs=-13.0)
    assert check_span(**base, avg_logprob=-1.2, no_speech_prob=0.8, compression_ratio=1.0).suspect
    assert check_span(**base, avg_logprob=-0.2, no_speech_prob=0.1, compression_ratio=3.1).suspect
    assert check_span(**base, avg_logprob=-1.7, no_speech_prob=0.1, compression_ratio=1.0).suspect
    assert not check_span(**base, avg_logprob=-0.9, no_speech_prob=0.7, compression_ratio=1.0).suspect
    strict = GuardThresholds(avg_logprob=-0.5)
    assert check_span(**base, avg_logprob=-0.9, no_speech_prob=0.7, compression_ratio=1.0,
                      thresholds=strict).suspect


def test_low_word_probability_is_suspect():
    v = check_span("我要退款", **OK, word_probabilities=[0.1, 0.2, 0.3], span_audio=None,
                   channel_speech_dbfs=None)
    assert v.suspect


def test_speech_level_uses_recognised_spans():
    signal = np.concatenate([tone(1.0, amp=0.5), np.zeros(RATE, np.float32)])
    level = speech_level(signal, [(0.0, 1.0)], RATE)
    assert -10.0 < level < -8.0  # sine of amplitude 0.5: RMS 0.354 = -9 dBFS
    assert speech_level(signal, [], RATE) is None
