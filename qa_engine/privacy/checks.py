"""Validators for the number kinds the PII detector reports.

Each function takes *normalised* digits (ASCII ``0-9``, an ID may end in ``X``) and answers
whether the string is a plausible number of that kind. They are deliberately strict: the
detector runs over free text full of order numbers, amounts and dates, and every check here
is what separates "an 18-digit order number" from "a resident ID".
"""

from __future__ import annotations

from datetime import date

__all__ = [
    "id_check_char",
    "is_bank_card",
    "is_id_card",
    "is_landline",
    "is_mobile",
    "luhn_valid",
]

# GB 11643-1999 / ISO 7064 MOD 11-2 weights for the first 17 characters.
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"  # remainder -> check character

# First two digits of a resident ID: GB/T 2260 province codes, plus 71 (Taiwan), 81/82 (Hong
# Kong / Macau residents' residence permits) and 83 (Taiwan residents' residence permits).
# 9x covers the 2023 foreigners' permanent residence card, which uses the same check digit.
_ID_PROVINCES = frozenset(
    [*range(11, 16), *range(21, 24), *range(31, 38), *range(41, 47), *range(50, 55),
     *range(61, 66), 71, 81, 82, 83, *range(90, 100)]
)


def id_check_char(first17: str) -> str:
    """The GB 11643 check character (``0-9`` or ``X``) for 17 leading digits."""
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ValueError("need exactly 17 ASCII digits")
    total = sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS))
    return _ID_CHECK[total % 11]


def _valid_birth_date(yyyymmdd: str) -> bool:
    year, month, day = int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:])
    if not 1900 <= year <= 2099:
        return False
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def is_id_card(s: str) -> bool:
    """18-character resident ID: province code, real birth date and a correct check character.

    The birth date and province checks matter as much as the check digit: one random 18-digit
    number in 11 has a "valid" check digit, and order numbers are 18-19 digits long.
    """
    if len(s) != 18 or not s.isascii():
        return False
    body, check = s[:17], s[17].upper()
    if not body.isdigit() or not (check.isdigit() or check == "X"):
        return False
    if int(body[:2]) not in _ID_PROVINCES or not _valid_birth_date(body[6:14]):
        return False
    return id_check_char(body) == check


_LUHN_DOUBLE = {str(d): (d * 2 - 9 if d > 4 else d * 2) for d in range(10)}


def luhn_valid(s: str) -> bool:
    """Luhn (mod 10) check over ASCII digits; False for anything that is not all digits."""
    if not s or not s.isascii() or not s.isdigit():
        return False
    # digits in odd positions from the right are doubled (minus 9 above 9): a table lookup
    total = sum(map(int, s[-1::-2])) + sum(_LUHN_DOUBLE[c] for c in s[-2::-2])
    return total % 10 == 0


def is_bank_card(s: str) -> bool:
    """16-19 digit payment card number: a card-issuer leading digit and a valid Luhn check.

    Leading digits allowed: 3 (JCB), 4 (Visa), 5 (Mastercard), 6 (UnionPay 62x, Discover),
    9 (older domestic debit cards such as 9558) and the Mastercard 2221-2720 range. This keeps
    out numbers starting with 1 (phone-like), 0, 7, 8 and date-stamped order numbers such as
    2026110212345678, which pass Luhn one time in ten.
    """
    if not 16 <= len(s) <= 19 or not s.isascii() or not s.isdigit():
        return False
    if s[0] not in "34569" and not 2221 <= int(s[:4]) <= 2720:
        return False
    if len(set(s)) == 1:  # 6666... / 9999... placeholders
        return False
    return luhn_valid(s)


def is_mobile(s: str) -> bool:
    """Mainland mobile number: 11 digits, ``1`` then ``3``-``9``."""
    return len(s) == 11 and s.isascii() and s.isdigit() and s[0] == "1" and s[1] in "3456789"


def is_landline(s: str) -> bool:
    """Mainland fixed-line number written with its area code (11-12 digits starting with 0).

    010 and 02x are followed by an 8-digit local number; other area codes (0[3-9]xx) by 7 or
    8 digits. Local numbers start with 2-8 (0 is the trunk prefix, 1 is for service numbers,
    9 for paging/special services), which also rules out most 0-led serial numbers.
    """
    if not s.isascii() or not s.isdigit() or s[0] != "0" or len(s) not in (11, 12):
        return False
    if s[1:3] == "10" or s[1] == "2":  # Beijing 010 and the 02x cities: 8-digit local numbers
        return len(s) == 11 and s[3] in "2345678"
    if s[1] in "3456789":
        return s[4] in "2345678"
    return False
