import json

import numpy as np

from qa_engine.audio.decode import decode
from qa_engine.audio.diarize import pitch, separate
from qa_engine.audio.roles import TaggedWord, cue_score, group_by_gap, stereo_turns
from qa_engine.audio.transcriber import AsrSegment

from .conftest import CALLS, call_ids

SEG = AsrSegment(0.0, 30.0, "")


def words(channel, *items):
    return [TaggedWord(text, start, end, 0.9, channel, SEG) for text, start, end in items]


def test_stereo_merge_orders_by_time_and_keeps_overlap():
    agent = words(0, ("您好", 0.0, 0.5), ("工号", 0.6, 1.0), ("1024", 1.0, 1.5),
                  ("您先别着急", 6.0, 7.0))
    customer = words(1, ("我", 2.0, 2.2), ("密码", 2.2, 2.6), ("忘了", 2.7, 3.0),
                     ("一直", 5.5, 6.0), ("报错", 6.0, 6.8))
    result = stereo_turns({0: agent, 1: customer}, agent_channel=0, turn_gap=0.8)
    spoken = [(t.speaker, t.raw_text, t.start, t.end) for t in result.turns]
    assert spoken == [("agent", "您好工号1024", 0.0, 1.5), ("customer", "我密码忘了", 2.0, 3.0),
                      ("customer", "一直报错", 5.5, 6.8), ("agent", "您先别着急", 6.0, 7.0)]
    assert result.role_confidence > 0.9


def test_swapped_channels_lower_confidence():
    agent = words(0, ("我想", 0.0, 0.4), ("投诉你们", 0.4, 1.0))
    customer = words(1, ("您好很高兴为您服务工号1024请问有什么可以帮您", 1.5, 4.0))
    result = stereo_turns({0: agent, 1: customer}, agent_channel=0, turn_gap=0.8)
    assert result.role_confidence < 0.6
    swapped = stereo_turns({0: agent, 1: customer}, agent_channel=1, turn_gap=0.8)
    assert swapped.role_confidence > 0.9
    assert [t.speaker for t in swapped.turns] == ["customer", "agent"]


def test_group_by_gap():
    groups = group_by_gap(words(0, ("a", 0, 1), ("b", 1.2, 2), ("c", 3.0, 3.5)), gap=0.8)
    assert [[w.text for w in g] for g in groups] == [["a", "b"], ["c"]]


def test_cue_score_direction():
    assert cue_score("您好，很高兴为您服务，工号1024") > 5
    assert cue_score("我想投诉你们") < 0
    assert cue_score("好的") == 0


def test_pitch_tracker_on_a_harmonic_tone():
    t = np.arange(16000) / 16000
    voice = sum(np.sin(2 * np.pi * 150 * k * t) / k for k in range(1, 6)).astype(np.float32)
    f0 = pitch(voice * 0.3)
    assert f0.size > 50 and abs(np.median(f0) - 150) < 5


def test_voice_separation_on_fixture_turns():
    """Speaker separation alone, on the reference turn times: the voices are the hard part."""
    correct = total = 0
    for call in call_ids():
        timeline = json.loads((CALLS / f"{call}.timeline.json").read_text(encoding="utf-8"))
        audio = decode(CALLS / f"{call}.mono16k.wav").mono()
        refs = timeline["utterances"]
        sep = separate(audio, [(u["start"], u["end"]) for u in refs])
        truth = [u["speaker"] == "agent" for u in refs]
        agree = sum((lab == 0) == t for lab, t in zip(sep.labels, truth))
        agree = max(agree, len(refs) - agree)  # cluster ids are arbitrary
        correct += agree
        total += len(refs)
    assert correct / total >= 0.85, f"{correct}/{total}"
