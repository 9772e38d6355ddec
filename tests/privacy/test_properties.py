"""Property tests: masking is total, idempotent, length-preserving and leaves no PII behind."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from qa_engine.privacy import CHINESE_DIGITS, detect_pii, id_check_char, luhn_valid, mask_text

# Filler: common service-chat characters with no digit character and no order/card context words.
FILLER = "您好请问我的是对吧谢这个那就了吗客户服务中心查询下确认稍等帮记录手机电话码身份证银行没问题好嗯啊呢，。？！ "
CJK_NO_DIGITS = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF, exclude_characters=set(CHINESE_DIGITS))

# Spoken/written forms for each digit; ASR and chat users mix them freely.
FORMS = {
    "0": "0０零〇洞", "1": "1１一幺", "2": "2２二两", "3": "3３三", "4": "4４四",
    "5": "5５五", "6": "6６六", "7": "7７七拐", "8": "8８八", "9": "9９九",
}


@st.composite
def phones(draw):
    return "1" + draw(st.sampled_from("3456789")) + "".join(draw(st.lists(st.sampled_from("0123456789"), min_size=9, max_size=9)))


@st.composite
def ids(draw):
    province = draw(st.sampled_from(["11", "31", "44", "32", "51", "65", "81"]))
    region = province + "".join(draw(st.lists(st.sampled_from("0123456789"), min_size=4, max_size=4)))
    born = date(1930, 1, 1) + timedelta(days=draw(st.integers(0, 365 * 90)))
    seq = f"{draw(st.integers(0, 999)):03d}"
    first17 = region + born.strftime("%Y%m%d") + seq
    return first17 + id_check_char(first17)


@st.composite
def cards(draw):
    length = draw(st.integers(16, 19))
    body = draw(st.sampled_from(["62", "4", "5", "9558"]))
    body += "".join(draw(st.lists(st.sampled_from("0123456789"), min_size=length - 1 - len(body),
                                  max_size=length - 1 - len(body))))
    return next(body + d for d in "0123456789" if luhn_valid(body + d))


@st.composite
def written(draw, digits: str) -> str:
    """``digits`` in a random mix of Arabic, full-width and Chinese forms, maybe grouped."""
    style = draw(st.sampled_from(["arabic", "chinese", "mixed"]))
    chars = []
    for d in digits:
        if d == "X":
            chars.append(draw(st.sampled_from("Xx")))
        elif style == "arabic":
            chars.append(d)
        elif style == "chinese":
            chars.append(draw(st.sampled_from(FORMS[d][2:])))
        else:
            chars.append(draw(st.sampled_from(FORMS[d])))
    if draw(st.booleans()):  # grouped: cut into pieces of 3-4 (never inside a piece)
        out, i = [], 0
        sep = draw(st.sampled_from([" ", "-", "，", " - "]))
        while i < len(chars):
            size = draw(st.integers(3, 4))
            out.append("".join(chars[i:i + size]))
            i += size
        return sep.join(out)
    return "".join(chars)


filler = st.text(alphabet=FILLER, max_size=12)


@given(st.text())
@settings(max_examples=400)
def test_never_crashes_and_keeps_length(text):
    masked = mask_text(text)
    assert len(masked) == len(text)
    # only digit characters are ever replaced, and only by "*"
    for a, b in zip(text, masked):
        assert a == b or b == "*"


@given(st.text(alphabet=CJK_NO_DIGITS | st.sampled_from(list("，。？！ 、-+()abcXx")), max_size=60))
def test_text_without_digits_is_unchanged(text):
    assert detect_pii(text) == []
    assert mask_text(text) == text


@given(st.text(), st.text(alphabet="0123456789 -", max_size=10))
def test_fewer_than_eleven_digits_is_unchanged(prefix, digits):
    text = "".join(c for c in prefix if not c.isdigit() and c not in CHINESE_DIGITS) + digits
    assert mask_text(text) == text


@given(st.one_of(phones(), ids(), cards()).flatmap(lambda n: st.tuples(st.just(n), written(n))), filler, filler)
@settings(max_examples=300)
def test_embedded_number_is_found_and_masked(pair, before, after):
    number, form = pair
    text = before + form + after
    spans = detect_pii(text)
    assert [s.digits for s in spans] == [number], (text, spans)
    span = spans[0]
    assert span.start >= len(before) and span.end <= len(before) + len(form)
    masked = mask_text(text)
    assert len(masked) == len(text)
    assert all(masked[p] == "*" for p in span.positions[:-4])
    assert [masked[p] for p in span.positions[-4:]] == [text[p] for p in span.positions[-4:]]
    assert masked[:len(before)] == before and masked[len(before) + len(form):] == after


mixed_text = st.lists(
    st.one_of(filler, st.text(alphabet="0123456789 -，幺两拐洞一三八X", max_size=25),
              st.one_of(phones(), ids(), cards()).flatmap(written)),
    max_size=6,
).map("".join)


@given(st.one_of(st.text(), mixed_text))
@settings(max_examples=500)
def test_idempotent_and_nothing_detectable_left(text):
    once = mask_text(text)
    assert mask_text(once) == once
    assert detect_pii(once) == []
    # every digit character of every number found in the input is masked, bar the last four
    for span in detect_pii(text):
        assert all(once[p] == "*" for p in span.positions[:-4])
