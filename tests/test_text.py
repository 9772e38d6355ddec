"""normalize_text: width, whitespace, Traditional -> Simplified, idempotence, no lost characters."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa_engine.text import (
    ZERO_WIDTH,
    _converter,
    _load_t2s_index,
    _t2s_fixpoint,
    normalize_text,
    to_simplified,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ＡＢＣ　１２３", "ABC 123"),
        ("订单号：１２３４５６７", "订单号：1234567"),  # ： stays full-width
        ("你好，请问？好的！", "你好，请问？好的！"),
        ("（备注）好的～", "（备注）好的～"),
        ("价格１２．５％，邮箱ａ＠ｂ．ｃｏｍ", "价格12.5%，邮箱a@b.com"),
        ("《合同》【注意】“引号”、。", "《合同》【注意】“引号”、。"),
        ("￥１００", "¥100"),
        ("｢半角｣｡､", "「半角」。、"),
        ("  您好\t\n\n请问 \u3000 有什么\xa0可以帮您  ", "您好 请问 有什么 可以帮您"),
        ("您\u200b好\ufeff", "您好"),
        ("這個訂單已經退款了嗎", "这个订单已经退款了吗"),
        ("我們會盡快處理", "我们会尽快处理"),
        ("①㎡ﬁ", "①㎡ﬁ"),  # not NFKC: lengths and evidence offsets stay intact
        ("", ""),
        ("   ", ""),
    ],
)
def test_examples(raw: str, expected: str) -> None:
    assert normalize_text(raw) == expected


def test_t2s_fixpoint_makes_conversion_idempotent() -> None:
    # OpenCC's single pass gives 乾清宫; a second pass would give 干清宫.
    once = _converter().convert("乾清宮")
    assert _converter().convert(once) != once
    assert normalize_text(normalize_text("乾清宮")) == normalize_text("乾清宮")


def test_trigger_index_is_loaded_and_skips_simplified_text() -> None:
    index = _load_t2s_index()
    assert index is not None and "說" in index.chars and "说" not in index.chars
    assert "么麼" in index.phrases["么"] and "么" not in index.chars
    _t2s_fixpoint.cache_clear()
    assert to_simplified("您好很高兴为您服务，有什么问题吗") == "您好很高兴为您服务，有什么问题吗"
    assert _t2s_fixpoint.cache_info().misses == 0  # never reached the converter
    assert to_simplified("很高興") == "很高兴"
    assert _t2s_fixpoint.cache_info().misses == 1


# Characters from the opencc dictionaries, full-width forms, whitespace of every kind and
# arbitrary text, so the properties exercise the conversion and not only ASCII.
_CJK = "說話這個訂單們會還沒乾清宮麼幺麽於徵聲著顯干发髮後后裡里臺台您好请问谢谢"
_SPECIAL = "ＡＺａｚ０９！，：；？（）～＠％．－　\u3000\t\n\r\xa0\u200b\ufeff\u2060 ｡｢｣､￥"
texts = st.text(alphabet=st.sampled_from(_CJK + _SPECIAL)) | st.text()


def _visible(text: str) -> list[str]:
    return [c for c in text if not c.isspace() and c not in ZERO_WIDTH]


@settings(max_examples=400)
@given(texts)
def test_idempotent(raw: str) -> None:
    once = normalize_text(raw)
    assert normalize_text(once) == once


@settings(max_examples=400)
@given(texts)
def test_keeps_every_visible_character_one_to_one(raw: str) -> None:
    out = normalize_text(raw)
    before, after = _visible(raw), _visible(out)
    assert len(before) == len(after)
    index = _load_t2s_index()
    triggers = index.chars | {c for keys in index.phrases.values() for k in keys for c in k} if index else set()
    for a, b in zip(before, after):
        # either untouched, a width mapping, or a Traditional character turned Simplified
        assert a == b or normalize_text(a) == b or a in triggers, (a, b)
    assert out == out.strip() and "  " not in out
    assert not any(c.isspace() and c != " " for c in out)


@settings(max_examples=300)
@given(st.text(alphabet=st.sampled_from(_CJK + "，。 ab")))
def test_fast_path_matches_full_conversion(raw: str) -> None:
    slow = raw
    for _ in range(8):
        nxt = _converter().convert(slow)
        if nxt == slow:
            break
        slow = nxt
    assert to_simplified(raw) == slow
