"""One test group per operator and per rule mechanism (scope, anchor, mode, when, min_hits)."""

from __future__ import annotations

from qa_engine.analyzers.timing import ChatTimingAnalyzer, TurnTakingAnalyzer
from qa_engine.types import Emotion
from tests.helpers import conversation


def hits(engine, conv, rule_id="r"):
    ChatTimingAnalyzer().analyze(conv)
    TurnTakingAnalyzer().analyze(conv)
    evaluation = engine.evaluate(conv)
    return [h for h in evaluation.hits if h.rule_id == rule_id], {s.rule_id: s for s in evaluation.statuses}[rule_id]


def rule(**fields):
    base = {"id": "r", "name": "测试", "speaker": "agent"}
    base.update(fields)
    return base


# ----------------------------------------------------------------------------- keywords

def test_keywords_any_one_hit_per_utterance_with_char_offsets(make_engine):
    engine = make_engine(rule(conditions={"k": {"keywords": {"any": ["不知道", "没办法"]}}}))
    conv = conversation("坐席：这个我不知道", "客户：啊？", "坐席：我也没办法，不知道")
    found, _ = hits(engine, conv)
    assert [h.utterance_indices for h in found] == [[0], [2]]
    assert [(s.start_char, s.end_char, s.text) for s in found[0].spans] == [(3, 6, "不知道")]
    assert {s.text for s in found[1].spans} == {"没办法", "不知道"}
    assert [h.id for h in found] == ["r#1", "r#2"]


def test_keywords_exclude_cancels_only_overlapping_matches(make_engine):
    engine = make_engine(rule(conditions={"k": {"keywords": {"any": ["不知道"], "exclude": ["不是不知道"]}}}))
    assert hits(engine, conversation("坐席：我不是不知道"))[0] == []
    found, _ = hits(engine, conversation("坐席：我不是不知道，但这个我真不知道"))
    assert [(s.start_char, s.text) for s in found[0].spans] == [(12, "不知道")]


def test_keywords_all_needs_every_word_in_the_utterance(make_engine):
    engine = make_engine(rule(conditions={"k": {"keywords": {"all": ["退款", "到账"]}}}))
    assert hits(engine, conversation("坐席：退款明天到账"))[0]
    assert not hits(engine, conversation("坐席：退款已受理", "坐席：明天到账"))[0]


def test_keywords_none_and_at_least(make_engine):
    none = make_engine(rule(mode="required", conditions={"k": {"keywords": {"none": ["微信"]}}}))
    assert not hits(none, conversation("坐席：您好"))[0]
    assert hits(none, conversation("坐席：加微信"))[0]
    distinct = make_engine(rule(conditions={"k": {"keywords": {"words": ["您", "请", "谢谢"], "require": "at_least", "n": 2}}}))
    assert not hits(distinct, conversation("坐席：您您您"))[0]
    assert hits(distinct, conversation("坐席：请您稍等"))[0]
    occurrences = make_engine(rule(conditions={"k": {"keywords": {"words": ["您"], "require": "at_least", "n": 3,
                                                                    "count": "occurrences"}}}))
    assert hits(occurrences, conversation("坐席：您您您"))[0]


def test_word_matching_uses_jieba_boundaries(make_engine):
    engine = make_engine(rule(conditions={"k": {"keywords": {"any": ["滚"], "match": "word"}}}))
    assert not hits(engine, conversation("坐席：页面可以滚动"))[0]
    assert hits(engine, conversation("坐席：你给我滚"))[0]


def test_keywords_from_lexicon_and_traditional_input(make_engine):
    engine = make_engine(rule(conditions={"k": {"keywords": {"lexicons": ["bad"]}}}), lexicons={"bad": ["没办法"]})
    assert hits(engine, conversation("坐席：這個沒辦法"))[0]  # normalised to Simplified


def test_speaker_filter(make_engine):
    engine = make_engine(rule(speaker="customer", conditions={"k": {"keywords": {"any": ["投诉"]}}}))
    assert not hits(engine, conversation("坐席：您可以投诉"))[0]
    assert hits(engine, conversation("客户：我要投诉"))[0]


# ----------------------------------------------------------------------------- regex

def test_regex_with_overlap_and_utterance_exclusion(make_engine):
    overlap = make_engine(rule(conditions={"p": {"regex": {"pattern": "保证.{0,4}到账", "exclude": "不能保证"}}}))
    assert hits(overlap, conversation("坐席：保证明天到账"))[0]
    assert not hits(overlap, conversation("坐席：不能保证明天到账"))[0]
    utterance = make_engine(rule(conditions={"p": {"regex": {"pattern": "到账", "exclude": "以系统为准",
                                                             "exclude_scope": "utterance"}}}))
    assert not hits(utterance, conversation("坐席：明天到账，以系统为准"))[0]


# ----------------------------------------------------------------------------- scope

def test_scope_first_last_counts_the_rule_speakers_utterances(make_engine):
    first = make_engine(rule(mode="required", scope={"first": 1}, conditions={"k": {"keywords": {"any": ["您好"]}}}))
    assert not hits(first, conversation("客户：在吗", "坐席：您好"))[0]
    found, _ = hits(first, conversation("客户：在吗", "坐席：说", "坐席：您好"))
    assert found and found[0].window.utterance_indices == [1]
    last = make_engine(rule(mode="required", scope={"last": 1}, conditions={"k": {"keywords": {"any": ["再见"]}}}))
    assert hits(last, conversation("坐席：再见", "坐席：还有事吗"))[0]


def test_scope_in_seconds_and_na_without_times(make_engine):
    engine = make_engine(rule(mode="required", scope={"first_seconds": 10}, conditions={"k": {"keywords": {"any": ["您好"]}}}))
    assert not hits(engine, conversation(("A", "您好", 1, 2), ("A", "嗯", 20, 21), channel="call"))[0]
    assert hits(engine, conversation(("A", "嗯", 1, 2), ("A", "您好", 20, 21), channel="call"))[0]
    found, status = hits(engine, conversation("坐席：您好"))
    assert not found and not status.applicable and "times" in status.reason


# ----------------------------------------------------------------------------- anchors

def test_anchor_on_condition_before_window(make_engine):
    engine = make_engine(rule(mode="required",
                              anchor={"condition": {"speaker": "agent", "keywords": {"any": ["为您重置"]}},
                                      "window": "before", "utterances": 3},
                              conditions={"v": {"keywords": {"any": ["核实"]}}}))
    found, _ = hits(engine, conversation("客户：重置密码", "坐席：好的，为您重置"))
    assert found and found[0].utterance_indices == [1] and found[0].window.utterance_indices == [1]
    assert not hits(engine, conversation("坐席：先核实身份", "客户：好", "坐席：为您重置"))[0]
    # too far back: outside the 3-utterance window
    assert hits(engine, conversation("坐席：先核实身份", "客户：好", "客户：嗯", "客户：快点", "坐席：为您重置"))[0]
    _, status = hits(engine, conversation("坐席：您好"))
    assert not status.applicable and "anchor" in status.reason


def test_anchor_on_another_rules_hits_after_window(make_engine):
    engine = make_engine(
        rule(id="complaint", mode="detect", speaker="customer", conditions={"c": {"keywords": {"any": ["投诉"]}}}),
        rule(mode="required", anchor={"rule": "complaint", "window": "after", "utterances": 2},
             conditions={"a": {"keywords": {"any": ["抱歉"]}}}))
    assert hits(engine, conversation("客户：我要投诉", "坐席：单号多少"))[0]
    assert not hits(engine, conversation("客户：我要投诉", "坐席：非常抱歉"))[0]


def test_violation_anchor_around(make_engine):
    engine = make_engine(rule(anchor={"condition": {"speaker": "customer", "keywords": {"any": ["投诉"]}},
                                      "window": "around", "utterances": 1},
                              conditions={"k": {"keywords": {"any": ["随便"]}}}))
    assert hits(engine, conversation("坐席：随便", "客户：我要投诉"))[0]
    assert not hits(engine, conversation("坐席：随便", "客户：嗯", "客户：嗯", "客户：我要投诉"))[0]


# ----------------------------------------------------------------------------- when, min_hits

def test_boolean_when_over_named_conditions(make_engine):
    engine = make_engine(rule(conditions={"refund": {"keywords": {"any": ["退款"]}},
                                          "soft": {"keywords": {"any": ["以审核为准"]}}},
                              when="refund and not soft"))
    assert hits(engine, conversation("坐席：马上退款"))[0]
    assert not hits(engine, conversation("坐席：马上退款，以审核为准"))[0]


def test_min_hits_combines_into_one_hit(make_engine):
    engine = make_engine(rule(speaker="customer", min_hits=2, mode="detect",
                              conditions={"k": {"keywords": {"any": ["气死"]}}}))
    assert not hits(engine, conversation("客户：气死了"))[0]
    found, _ = hits(engine, conversation("客户：气死了", "坐席：抱歉", "客户：真气死"))
    assert len(found) == 1 and found[0].utterance_indices == [0, 2]


# ----------------------------------------------------------------------------- timing, acoustics

def test_chat_first_response_and_unanswered(make_engine):
    engine = make_engine(rule(channels=["chat"], conditions={"t": {"timing": {"metric": "first_response", "above": 30}}}))
    found, _ = hits(engine, conversation(("C", "在吗", 0, 0), ("A", "在", 31, 31)))
    assert found and found[0].matched_text == "31" and found[0].start == 0
    _, status = hits(engine, conversation(("C", "在吗", 0, 0), ("A", "在", 31, 31), channel="call"))
    assert not status.applicable
    unanswered = make_engine(rule(channels=["chat"], conditions={"t": {"timing": {"metric": "unanswered", "above": 0}}}))
    found, _ = hits(unanswered, conversation(("C", "在吗", 0, 0), ("A", "在", 3, 3), ("C", "退款", 9, 9), ("C", "人呢", 19, 19)))
    assert found and found[0].utterance_indices == [2, 3]


def test_silence_with_hold_phrase_exemption(make_engine):
    engine = make_engine(rule(channels=["call"], conditions={"s": {"silence": {"min_seconds": 5}}}))
    found, _ = hits(engine, conversation(("C", "断网了", 0, 2), ("A", "地址", 8.5, 9), channel="call"))
    assert found and (found[0].start, found[0].end) == (2, 8.5) and found[0].utterance_indices == [0, 1]
    held = conversation(("A", "请稍等，帮您查询", 0, 2), ("C", "好", 2.1, 2.4), ("A", "查到了", 12, 13), channel="call")
    assert not hits(engine, held)[0]


def test_overtalk_and_speech_rate(make_engine):
    over = make_engine(rule(channels=["call"], conditions={"o": {"overtalk": {"min_seconds": 1}}}))
    found, _ = hits(over, conversation(("C", "我想问账单", 0, 4), ("A", "您听我说", 2, 5), channel="call"))
    assert found and (found[0].start, found[0].end) == (2, 4)
    assert not hits(over, conversation(("C", "我想问账单", 0, 4), ("A", "好", 3.5, 4.2), channel="call"))[0]
    fast = make_engine(rule(channels=["call"], conditions={"f": {"speech_rate": {"above": 280, "min_chars": 5}}}))
    assert hits(fast, conversation(("A", "一二三四五六七八九十", 0, 1.5), channel="call"))[0]  # 400/min
    assert not hits(fast, conversation(("A", "一二三四五六七八九十", 0, 3), channel="call"))[0]  # 200/min


def test_emotion_operator_reads_annotations_and_is_na_without_them(make_engine):
    engine = make_engine(rule(speaker="customer", conditions={"e": {"emotion": {"labels": ["anger"], "min_intensity": 0.6}}}))
    conv = conversation("客户：气死了")
    _, status = hits(engine, conv)
    assert not status.applicable and "emotion" in status.reason
    conv.utterances[0].emotion = Emotion(label="anger", intensity=0.7, cues=["气死"])
    assert hits(engine, conv)[0]
    conv.utterances[0].emotion = Emotion(label="anger", intensity=0.5)
    assert not hits(engine, conv)[0]


def test_metadata_operator(make_engine):
    engine = make_engine(rule(conditions={"m": {"metadata": {"field": "survey.csat", "op": "le", "value": 2}}}))
    assert hits(engine, conversation("坐席：您好", metadata={"survey": {"csat": 1}}))[0]
    assert not hits(engine, conversation("坐席：您好", metadata={"survey": {"csat": 5}}))[0]
    assert not hits(engine, conversation("坐席：您好"))[0]


def test_suspect_utterances_are_never_scored(make_engine):
    engine = make_engine(rule(conditions={"k": {"keywords": {"any": ["谢谢观看"]}}}))
    conv = conversation("坐席：谢谢观看")
    conv.utterances[0].suspect = True
    _, status = hits(engine, conv)
    assert not status.applicable


def test_one_unannotated_utterance_does_not_switch_emotion_rules_off(make_engine):
    engine = make_engine(rule(speaker="customer", conditions={"e": {"emotion": {"labels": ["anger"]}}}))
    conv = conversation("客户：气死了", "客户：嗯")
    conv.utterances[0].emotion = Emotion(label="anger", intensity=0.9)
    found, status = hits(engine, conv)
    assert status.applicable and [h.utterance_indices for h in found] == [[0]]


def test_silence_of_exactly_the_threshold_is_not_too_long(make_engine):
    engine = make_engine(rule(channels=["call"], conditions={"s": {"silence": {"min_seconds": 5}}}))
    assert not hits(engine, conversation(("C", "断网了", 0, 2), ("A", "地址", 7, 8), channel="call"))[0]
