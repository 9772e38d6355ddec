"""mask_text format and mask_result over real and hand-built ScoreResult dicts."""

from __future__ import annotations

import pytest

from qa_engine.pipeline import Engine, EngineConfig
from qa_engine.privacy import apply_mask, detect_pii, mask_result, mask_text
from qa_engine.types import (
    Analysis, EmotionIndex, EmotionPeak, Flag, Hit, PackRef, ScoreResult, Span, Speaker, Utterance, Word,
)
from tests.helpers import conversation

CARD19 = "6222021234567890128"


@pytest.mark.parametrize(
    "text, masked",
    [
        ("您的手机号是13812345678对吧", "您的手机号是*******5678对吧"),
        ("138 1234 5678", "*** **** 5678"),
        ("+86-138-1234-5678", "+86-***-****-5678"),
        ("幺三八一二三四五六七八", "*******五六七八"),
        ("138一二三四5678", "*******5678"),
        ("身份证11010519491231002X", "身份证**************002X"),
        (f"卡号{CARD19}", "卡号***************0128"),
        ("座机010-62345678", "座机***-****5678"),
        ("您好，请问有什么可以帮您？", "您好，请问有什么可以帮您？"),
        ("订单号2026110212345678", "订单号2026110212345678"),
        ("", ""),
    ],
)
def test_mask_text(text, masked):
    assert mask_text(text) == masked
    assert len(mask_text(text)) == len(text)


def test_mask_text_masks_numbers_revealed_by_masking():
    # masking leaves "5678" which, with the neighbouring groups, can form a new valid number;
    # mask_text repeats until nothing is detected, so the output never holds a detectable number
    text = "13812345678 1234 5678 1234 51"
    first = apply_mask(text, detect_pii(text))
    assert [s.kind for s in detect_pii(first)] == ["bank_card"]  # "5678 1234 5678 1234 51" is Luhn-valid
    once = mask_text(text)
    assert once == "*********** **** **** **34 51"
    assert detect_pii(once) == []
    assert mask_text(once) == once


# --------------------------------------------------------------------------- mask_result


def _engine_result() -> dict:
    engine = Engine(EngineConfig(analyzers=("chat_timing", "turn_taking")))
    conv = conversation(
        "客户：我的手机号是幺三八幺二三四五六七八，太差劲了我要投诉",
        f"坐席：好的，您的手机号是13812345678对吧，卡号{CARD19}",
        "客户：对",
        customer_id="13812345678",
        metadata={"customer_phone": "138-1234-5678", "ani": 13812345678, "queue": "售后"},
    )
    return engine.score(conv).model_dump(mode="json")


def test_mask_result_on_engine_output():
    original = _engine_result()
    leak = next(h for h in original["hits"] if h["rule_id"] == "privacy_leak")
    assert "13812345678" in leak["matched_text"]  # the fixture really contains the numbers

    masked = mask_result(original)
    assert original["customer_id"] == "13812345678"  # input untouched
    assert masked["customer_id"] == "*******5678"
    assert masked["metadata"] == {"customer_phone": "***-****-5678", "ani": "*******5678", "queue": "售后"}
    assert masked["utterances"][0]["text"] == "我的手机号是*******五六七八，太差劲了我要投诉"
    assert masked["utterances"][1]["raw_text"] == "好的，您的手机号是*******5678对吧，卡号***************0128"

    hit = next(h for h in masked["hits"] if h["rule_id"] == "privacy_leak")
    assert hit["matched_text"] == "*******5678、***************0128"
    assert hit["explanation"] == "坐席读出完整号码「*******5678、***************0128」"
    for h in masked["hits"]:
        for span in h["spans"]:  # offsets still select the span text in the masked utterance
            assert masked["utterances"][span["utterance"]]["text"][span["start_char"]:span["end_char"]] == span["text"]
    # nothing else moved: same keys, same numbers, same utterance lengths
    assert masked["score"] == original["score"] and masked["rule_pack"] == original["rule_pack"]
    assert [len(u["text"]) for u in masked["utterances"]] == [len(u["text"]) for u in original["utterances"]]
    assert "13812345678" not in repr(masked) and CARD19 not in repr(masked)
    ScoreResult.model_validate(masked)  # still a valid result
    assert mask_result(masked) == masked  # idempotent


def _built_result() -> dict:
    text = "我的号码是 幺三八 幺二三四 五六七八"
    utt = Utterance(
        index=0, speaker=Speaker.customer, text=text, raw_text="我的号码是  幺三八 幺二三四 五六七八 ", start=0.0, end=3.0,
        words=[Word(text=w, start=i * 0.5, end=i * 0.5 + 0.4) for i, w in
               enumerate(["我的", "号码是", " 幺三八", " 幺二三四", " 五六七八"])],
    )
    # a span covering only the first part of the number: it must still be masked
    partial = Span(utterance=0, start_char=6, end_char=14, text=text[6:14])
    hit = Hit(id="digits#1", rule_id="digits", rule_version=1, rule_name="读号", severity="minor",
              mode="detect", utterance_indices=[0], spans=[partial], matched_text=partial.text,
              explanation=f"读号：{partial.text}")
    ref = PackRef(id="p", version="1", sha256="0" * 20 + "13812345678" + "0" * 33)
    return ScoreResult(
        engine_version="t", conversation_id="c-13812345678", channel="call", customer_id="cust-9",
        metadata={"crm": {"contacts": [{"mobile_no": "13812345678"}, {"tel": "0755-8600123"}],
                          "note": "客户身份证11010519491231002X"}},
        rule_pack=ref, scorecard=ref, score=90, veto=False, grade="优秀", passed=True,
        dimensions=[], hits=[hit], deductions=[],
        flags=[Flag(code="low_score", reason="客户留的电话13812345678")], needs_review=False,
        analysis=Analysis(emotion_index=EmotionIndex(index=50, peaks=[
            EmotionPeak(utterance=0, start=0.0, text=text, label="anger", intensity=0.9)])),
        utterances=[utt],
    ).model_dump(mode="json")


def test_mask_result_every_text_field():
    original = _built_result()
    masked = mask_result(original)
    utt = masked["utterances"][0]
    assert utt["text"] == "我的号码是 *** **** 五六七八"
    assert utt["raw_text"] == "我的号码是  *** **** 五六七八 "
    # the number is spread over three ASR words; they are masked together
    assert [w["text"] for w in utt["words"]] == ["我的", "号码是", " ***", " ****", " 五六七八"]
    hit = masked["hits"][0]
    assert hit["spans"][0]["text"] == "*** ****" == utt["text"][6:14]
    assert hit["matched_text"] == "*** ****" and hit["explanation"] == "读号：*** ****"
    assert masked["analysis"]["emotion_index"]["peaks"][0]["text"] == utt["text"]
    assert masked["conversation_id"] == "c-*******5678"
    assert masked["customer_id"] == "cust-9"
    assert masked["metadata"]["crm"]["contacts"] == [{"mobile_no": "*******5678"}, {"tel": "****-***0123"}]
    assert masked["metadata"]["crm"]["note"] == "客户身份证**************002X"
    assert masked["flags"][0]["reason"] == "客户留的电话*******5678"
    assert masked["rule_pack"]["sha256"] == original["rule_pack"]["sha256"]  # hashes are not text
    ScoreResult.model_validate(masked)
    assert mask_result(masked) == masked


def test_mask_result_without_pii_is_equal_and_a_copy():
    result = _built_result()
    result["utterances"][0].update(text="您好", raw_text="您好", words=[])
    result["hits"] = []
    result["analysis"]["emotion_index"]["peaks"] = []
    result["metadata"] = {"queue": "售后", "n": 3}
    result["conversation_id"] = "c1"
    result["flags"] = []
    masked = mask_result(result)
    assert masked == result and masked is not result
    masked["metadata"]["queue"] = "x"
    assert result["metadata"]["queue"] == "售后"


def _strings(value, path=""):
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _strings(v, f"{path}[{i}]")


def _shape(value):
    """Structure with strings reduced to their length and masked ints to a marker."""
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shape(v) for v in value]
    if isinstance(value, str):
        return ("str", len(value))
    return value


def test_mask_result_on_stored_17_utterance_call():
    import json
    from pathlib import Path

    original = json.loads((Path(__file__).parent / "data" / "sample_result.json").read_text(encoding="utf-8"))
    assert sum(bool(detect_pii(s)) for _, s in _strings(original)) >= 8  # the fixture is full of numbers
    masked = mask_result(original)
    leftovers = [(p, s) for p, s in _strings(masked) if detect_pii(s)]
    assert leftovers == []
    # same structure and string lengths everywhere except the int caller number that became text
    expected = _shape(original)
    expected["metadata"]["ani"] = ("str", 11)
    assert _shape(masked) == expected
    assert masked["metadata"]["ani"] == "*******5678"
    for h in masked["hits"]:
        for span in h["spans"]:
            assert masked["utterances"][span["utterance"]]["text"][span["start_char"]:span["end_char"]] == span["text"]
    by_index = {u["index"]: u["text"] for u in masked["utterances"]}
    assert by_index[5] == "*** **** 五六七八"
    assert by_index[6] == "好的，跟您核对一下，手机号*******5678，尾号5678对吗？"
    assert by_index[1].endswith("订单号2026110212345678，你们到底什么时候发？")  # order number kept
    assert masked["conversation_id"] == "call-20261102-0001"
    ScoreResult.model_validate(masked)


@pytest.mark.parametrize(
    "key, sensitive",
    [("customer_phone", True), ("customerPhone", True), ("IDCardNo", True), ("id_card", True),
     ("bank_card_no", True), ("ani", True), ("callerNumber", True), ("客户手机", True), ("联系电话", True),
     ("scorecard", False), ("company", False), ("hotel", False), ("customer_id", False), ("queue", False),
     ("cardinality", False)],
)
def test_sensitive_metadata_keys(key, sensitive):
    # a malformed 10-digit number is only masked when the key says it is personal
    masked = mask_result({"metadata": {key: "138-1234-567"}})["metadata"][key]
    assert masked == ("***-***4-567" if sensitive else "138-1234-567")


@pytest.mark.parametrize(
    "text, masked",
    [
        ("１３８－１２３４－５６７８", "***－****－５６７８"),  # full-width digits and hyphen (raw chat text)
        ("138\u30001234\u30005678", "***\u3000****\u30005678"),  # ideographic spaces
        ("+86\u00a0138 1234 5678", "+86\u00a0*** **** 5678"),
    ],
)
def test_raw_text_forms(text, masked):
    assert mask_text(text) == masked
