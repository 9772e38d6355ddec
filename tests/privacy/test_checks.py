"""Validators against published or hand-computed vectors (not against themselves)."""

from __future__ import annotations

import pytest

from qa_engine.privacy import id_check_char, is_bank_card, is_id_card, is_landline, is_mobile, luhn_valid


@pytest.mark.parametrize(
    "first17, check",
    [
        ("11010519491231002", "X"),  # the worked example in GB 11643-1999
        ("44030419900307123", "X"),
        ("32010619851212004", "4"),
    ],
)
def test_id_check_char(first17, check):
    assert id_check_char(first17) == check


def test_id_check_char_rejects_bad_input():
    with pytest.raises(ValueError):
        id_check_char("1101051949123100")  # 16 digits
    with pytest.raises(ValueError):
        id_check_char("１１０１０５１９４９１２３１００２")  # full-width digits are not normalised here


@pytest.mark.parametrize(
    "s, ok",
    [
        ("11010519491231002X", True),
        ("11010519491231002x", True),
        ("320106198512120044", True),
        ("110105194912310021", False),  # wrong check digit
        ("320106198512120045", False),  # wrong check digit
        ("000105194912310021", False),  # no province 00
        ("110105194913310021", False),  # month 13 (check digit correct for these 17 digits)
        ("110105190002290017", False),  # 1900 was not a leap year
        ("11010519491231002", False),  # 17 characters
        ("X10105194912310021", False),
    ],
)
def test_is_id_card(s, ok):
    assert is_id_card(s) is ok


def test_month_13_example_has_correct_check_digit():
    # keeps the "month 13" case above honest: only the date makes it invalid
    assert id_check_char("11010519491331002") == "1"
    assert id_check_char("11010519000229001") == "7"


@pytest.mark.parametrize(
    "s, ok",
    [
        ("4111111111111111", True),  # the standard Visa test number
        ("4111111111111112", False),
        ("79927398713", True),  # the textbook Luhn example
        ("79927398710", False),
        ("", False),
        ("4111-1111", False),
    ],
)
def test_luhn(s, ok):
    assert luhn_valid(s) is ok


@pytest.mark.parametrize(
    "s, ok",
    [
        ("6222021234567890128", True),  # 19-digit UnionPay, Luhn ok
        ("4111111111111111", True),
        ("2221000000000009", True),  # Mastercard 2-series
        ("6222021234567890123", False),  # Luhn fails
        ("2026110212345675", False),  # date-stamped order number: Luhn ok, leading 2026 is no issuer
        ("1381234567812346", False),  # starts with 1
        ("411111111111111", False),  # 15 digits
        ("41111111111111111111", False),  # 20 digits
        ("0000000000000000", False),
    ],
)
def test_is_bank_card(s, ok):
    if s == "2026110212345675":
        assert luhn_valid(s)  # the leading digits, not Luhn, reject it
    assert is_bank_card(s) is ok


@pytest.mark.parametrize(
    "s, ok",
    [("13812345678", True), ("19912345678", True), ("12812345678", False), ("1381234567", False),
     ("138123456789", False), ("23812345678", False)],
)
def test_is_mobile(s, ok):
    assert is_mobile(s) is ok


@pytest.mark.parametrize(
    "s, ok",
    [("01062345678", True), ("02187654321", True), ("075586001234", True), ("07558600123", True),
     ("01012345678", False),  # local number starting with 1
     ("0106234567", False), ("010623456789", False), ("00862345678", False), ("13812345678", False)],
)
def test_is_landline(s, ok):
    assert is_landline(s) is ok
