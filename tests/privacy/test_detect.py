"""detect_pii: each kind, written and spoken forms, negatives, and offsets into the original."""

from __future__ import annotations

import pytest

from qa_engine.privacy import detect_pii

ID = "11010519491231002X"
ID2 = "320106198512120044"
CARD19 = "6222021234567890128"
CARD16 = "4111111111111111"


def only(text: str):
    spans = detect_pii(text)
    assert len(spans) == 1, spans
    return spans[0]


@pytest.mark.parametrize(
    "text, kind, digits, covered",
    [
        # mobile, written
        ("您的手机号是13812345678对吧", "phone", "13812345678", "13812345678"),
        ("电话 138 1234 5678，谢谢", "phone", "13812345678", "138 1234 5678"),
        ("电话138-1234-5678", "phone", "13812345678", "138-1234-5678"),
        ("打+86 138 1234 5678找我", "phone", "13812345678", "+86 138 1234 5678"),
        ("+8613812345678", "phone", "13812345678", "+8613812345678"),
        ("号码008613812345678", "phone", "13812345678", "008613812345678"),
        ("号码１３８１２３４５６７８。", "phone", "13812345678", "１３８１２３４５６７８"),
        ("call-13812345678-1", "phone", "13812345678", "13812345678"),
        ("19912345678", "phone", "19912345678", "19912345678"),
        # mobile, spoken / Chinese digits as ASR writes them
        ("号码是幺三八幺二三四五六七八", "phone", "13812345678", "幺三八幺二三四五六七八"),
        ("一三八 一二三四 五六七八", "phone", "13812345678", "一三八 一二三四 五六七八"),
        ("幺三八，幺二三四，五六七八。", "phone", "13812345678", "幺三八，幺二三四，五六七八"),
        ("幺三八洞洞洞洞拐拐拐拐", "phone", "13800007777", "幺三八洞洞洞洞拐拐拐拐"),
        ("幺五两零零零零两两两两", "phone", "15200002222", "幺五两零零零零两两两两"),
        ("幺八六〇〇〇〇一二三四", "phone", "18600001234", "幺八六〇〇〇〇一二三四"),
        ("138一二三四5678", "phone", "13812345678", "138一二三四5678"),
        ("幺38 1234 五六七8", "phone", "13812345678", "幺38 1234 五六七8"),
        # a spoken number glued to a word that ends in a digit character
        ("我再重复一遍幺三八幺二三四五六七八", "phone", "13812345678", "幺三八幺二三四五六七八"),
        ("统一13812345678", "phone", "13812345678", "13812345678"),
        ("我说一幺三八幺二三四五六七八", "phone", "13812345678", "幺三八幺二三四五六七八"),
        ("幺三八幺二三四五六七八两个", "phone", "13812345678", "幺三八幺二三四五六七八"),
        ("壹叁捌壹贰叁肆伍陆柒捌", "phone", "13812345678", "壹叁捌壹贰叁肆伍陆柒捌"),
        # landline
        ("座机010-62345678", "landline", "01062345678", "010-62345678"),
        ("0755 8600 1234转8", "landline", "075586001234", "0755 8600 1234"),
        # resident ID
        (f"身份证号{ID}已登记", "id_card", ID, ID),
        ("身份证号11010519491231002x。", "id_card", ID, "11010519491231002x"),
        ("110105 19491231 002X", "id_card", ID, "110105 19491231 002X"),
        ("110 000 193 5021 7000 X", "id_card", "11000019350217000X", "110 000 193 5021 7000 X"),
        (f"证件{ID2}", "id_card", ID2, ID2),
        ("三二洞幺洞六幺九八五幺二幺二洞洞四四", "id_card", ID2, "三二洞幺洞六幺九八五幺二幺二洞洞四四"),
        ("幺幺洞幺洞五幺九四九幺二三幺洞洞二X", "id_card", ID, "幺幺洞幺洞五幺九四九幺二三幺洞洞二X"),
        # bank card
        (f"卡号{CARD19}", "bank_card", CARD19, CARD19),
        ("卡号 6222 0212 3456 7890 128 对吗", "bank_card", CARD19, "6222 0212 3456 7890 128"),
        (f"卡号{CARD16}", "bank_card", CARD16, CARD16),
        ("六二二二零二一二三四五六七八九零一二八", "bank_card", CARD19, "六二二二零二一二三四五六七八九零一二八"),
        ("订单用的卡号6222021234567890128", "bank_card", CARD19, CARD19),  # 卡 overrides 订单
    ],
)
def test_positive(text, kind, digits, covered):
    span = only(text)
    assert (span.kind, span.digits) == (kind, digits)
    assert text[span.start:span.end] == covered
    # positions name the characters that carry each digit, in order
    assert len(span.positions) == len(digits)
    assert all(span.start <= p < span.end for p in span.positions)
    assert list(span.positions) == sorted(span.positions)


@pytest.mark.parametrize(
    "text",
    [
        "您好，请问有什么可以帮您？",
        "订单号2026110212345678已发货",  # 16 digits, date-stamped
        "订单号2026110212345675已发货",  # ... even when it passes Luhn
        "订单号6222021234567890128",  # Luhn-valid 19 digits, but introduced as an order number
        "退款金额12345元，1299.00元",
        "日期20261102，2026-11-02",
        "13812345678123",  # 14-digit number: no phone inside it
        "138123456789",  # 12 digits
        "1381234567",  # 10 digits
        "12812345678",  # no such mobile prefix
        "13812345678123456",  # 17 digits
        "110105194912310021",  # ID with wrong check digit
        "110105194913310021",  # ID with month 13
        # the same wrong-check ID spoken: not an ID, and no 11-digit "phone" carved out of it
        # (19491231002 inside it would pass as a mobile number)
        "幺幺洞幺洞五幺九四九幺二三幺洞洞二幺",
        "一一一幺三八幺二三四五六七八",  # three glued characters: read as one 14-digit number
        "6222021234567891",  # 16 digits, not Luhn
        "6222021234567890123",  # 19 digits, not Luhn
        "快递单号SF1234567890123",  # letters make it an identifier
        "订单SO13812345678",
        "13812345678abc",
        "金额13812345678.50元",  # a decimal amount
        "0.13812345678",
        "我两三天前打过一次电话，等了三四十分钟",
        "一二三四五六七八九十",
        "138****5678",  # already masked
        "尾号5678",
        "400-820-8820",  # a company hotline, not personal data
        "13812345678٣",  # followed by a digit we cannot read: part of a longer number
        "通话时间2026-11-02 13:45至2026-11-02 14:05",
        "12,345,678,901元",  # ASCII commas are thousands separators, never number groups
        "验证码123456，工号2318",
        "中通快递773012345678901",  # 15 digits
        "192.168.100.138",
        "订单号 20261102 12345678 已退款",
        "邮编518000，手机号码后四位5678",
    ],
)
def test_negative(text):
    assert detect_pii(text) == []


def test_several_numbers_in_order_and_non_overlapping():
    text = f"手机13812345678，备用幺三九八七六五四三二一，身份证{ID}，卡号{CARD19}"
    spans = detect_pii(text)
    assert [s.kind for s in spans] == ["phone", "phone", "id_card", "bank_card"]
    assert [s.digits for s in spans] == ["13812345678", "13987654321", ID, CARD19]
    assert all(a.end <= b.start for a, b in zip(spans, spans[1:]))


def test_adjacent_numbers_joined_by_separator_are_split_correctly():
    spans = detect_pii("13812345678、13987654321")
    assert [s.digits for s in spans] == ["13812345678", "13987654321"]


def test_offsets_point_into_original_text():
    text = "客户：我的号是 幺三八-1234-五六七八 哦"
    span = only(text)
    assert "".join(text[p] for p in span.positions) == "幺三八1234五六七八"
    assert text[span.start:span.end] == "幺三八-1234-五六七八"


def test_country_prefix_is_in_span_but_not_in_digits():
    text = "+86 13812345678"
    span = only(text)
    assert span.start == 0 and span.digits == "13812345678"
    assert text[span.positions[0]] == "1" and span.positions[0] == 4


def test_long_separator_gap_does_not_join_groups():
    # four spaces are not "one number written in groups"
    assert detect_pii("138    1234 5678") == []
