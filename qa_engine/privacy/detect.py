"""Find phone numbers, resident IDs and bank cards in Chinese customer-service text.

The detector works on the ORIGINAL string and reports character offsets into it, so a caller
can mask exactly the characters that carry the number, whatever form they were written in:

* ``13812345678``, ``138 1234 5678``, ``138-1234-5678``, ``+86 138 1234 5678``, ``0086...``
* full-width digits from chat clients (``１３８１２３４５６７８``)
* digits as ASR writes spoken numbers: ``幺三八一二三四五六七八`` (幺 = 1, 两 = 2, 拐 = 7,
  洞/零/〇 = 0), grouped by spaces or pauses (``幺三八，一二三四，五六七八``), and mixed forms
  such as ``138一二三四5678``.

How it works (and why not one big regex):

1. **Atoms.** A regex finds maximal runs of Arabic digits (ASCII or full-width; an ID's final
   ``X`` belongs to the run) and, separately, maximal runs of Chinese digit characters.
2. **Guards.** An Arabic atom touching a Latin letter (``SF1234567890123``, ``SO...``) or a
   decimal point (``13812345678.50``) is an identifier or an amount, not PII; such atoms are
   dropped. ``\\b`` would not do this: Chinese characters are word characters for ``re``.
3. **Runs.** Neighbouring atoms are joined when nothing, or a short separator (spaces,
   hyphens, ``，`` ``、``, brackets) lies between them. Each run becomes one digit string with
   the original offset of every digit.
4. **Candidates.** Inside a run, a candidate may start or end at any atom edge but never
   inside an Arabic atom: ``13812345678123`` is a 14-digit number, not a phone plus noise (the
   ``(?<!\\d)...(?!\\d)`` guard). Chinese digit characters are also ordinary morphemes
   (``说一幺三八...``, ``第一``, ``两个``), so a spoken number may be glued to a word; a
   candidate may therefore also cut up to two characters off either end of a Chinese atom.
5. **Validation.** Candidates are checked longest first from the leftmost position with the
   validators in :mod:`qa_engine.privacy.checks` (mobile prefix, GB 11643 check digit with
   birth date and province, Luhn with an issuer digit, landline area code).

Known limits are listed in ``docs/privacy.md``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from .checks import is_bank_card, is_id_card, is_landline, is_mobile

__all__ = ["PiiKind", "PiiSpan", "detect_pii", "CHINESE_DIGITS"]

PiiKind = Literal["phone", "landline", "id_card", "bank_card"]

# Chinese digit characters -> digit. 幺/两/拐/洞 are the spoken forms used to read numbers
# aloud (radio-style) and appear in ASR output; the financial capitals 壹..玖 are included so a
# number typed in 大写 to dodge a filter is still caught (they never appear 11 in a row otherwise).
CHINESE_DIGITS: dict[str, str] = {
    "零": "0", "〇": "0", "洞": "0",
    "一": "1", "幺": "1", "壹": "1",
    "二": "2", "两": "2", "贰": "2",
    "三": "3", "叁": "3",
    "四": "4", "肆": "4",
    "五": "5", "伍": "5",
    "六": "6", "陆": "6",
    "七": "7", "拐": "7", "柒": "7",
    "八": "8", "捌": "8",
    "九": "9", "玖": "9",
}

_DIGIT_VALUE: dict[str, str] = {**CHINESE_DIGITS, "X": "X", "x": "X", "Ｘ": "X", "ｘ": "X"}
for _d in range(10):
    _DIGIT_VALUE[chr(0x30 + _d)] = str(_d)
    _DIGIT_VALUE[chr(0xFF10 + _d)] = str(_d)  # full-width ０-９

_AR = "0-9\uff10-\uff19"
_LATIN = "A-Za-z\uff21-\uff3a\uff41-\uff5a"
# An ID's check character X ends a digit run only when no letter or digit follows ("123X号" yes,
# "123Xbox" no); it is kept after Chinese digits too (幺...二X), as ASR writes the letter as is.
_X = f"(?:[XxＸｘ](?![{_AR}{_LATIN}]))?"
_ATOM_RE = re.compile(
    rf"(?P<a>[{_AR}]+{_X})|(?P<c>[{''.join(CHINESE_DIGITS)}]+{_X})"
    # a lone X written as its own group: "110105 19491231 002 X"
    rf"|(?P<x>(?<![{_LATIN}])[XxＸｘ](?![{_AR}{_LATIN}]))"
)
_LATIN_RE = re.compile(rf"[{_LATIN}]")
_POINTS = ".．"
_ARABIC_SET = frozenset(chr(0x30 + d) for d in range(10)) | frozenset(chr(0xFF10 + d) for d in range(10))

# What may sit between two digit groups of one number. At most one visible mark: "138-1234"
# and "幺三八，一二三四" join, "1, 2, 3" style lists need 11 valid digits anyway. ASCII "," and
# "." are excluded on purpose: they are thousands separators and decimal points in amounts.
_SEP_MARKS = frozenset("-‐‑‒–—－―，、()（）")
_MAX_GAP = 3

# Preceding words that make a 16-19 digit number an order/waybill/ticket number, unless the
# same window mentions a card (卡). Only bank cards use this: order numbers share their lengths.
_ORDER_CONTEXT_RE = re.compile("订单|单号|运单|快递|物流|工单|流水|编号|券码|兑换码|会员号")
_CONTEXT_CHARS = 12

_MIN_LEN, _MAX_LEN = 11, 19
# How many characters of a Chinese digit run may belong to a neighbouring word. Two covers
# 一遍/第一/两个-style glue; a larger value would let a spoken 18-digit string with a wrong
# check digit be carved into an 11-digit "phone" somewhere in its middle.
_GLUE = 2


@dataclass(frozen=True, slots=True)
class PiiSpan:
    """One detected number.

    ``start``/``end`` are character offsets into the text given to :func:`detect_pii`; the span
    covers the whole written number including separators and a ``+86``/``0086`` prefix.
    ``digits`` is the normalised number (ASCII digits, an ID may end in ``X``; phones without
    their country prefix) and ``positions[i]`` is the offset of the character that wrote
    ``digits[i]`` -- masking replaces exactly those characters.
    """

    start: int
    end: int
    kind: PiiKind
    digits: str
    positions: tuple[int, ...]


def _classify(ds: str) -> tuple[PiiKind, int] | None:
    """(kind, index where the significant digits start) or None."""
    n = len(ds)
    if n == 11:
        if is_mobile(ds):
            return "phone", 0
        if is_landline(ds):
            return "landline", 0
    elif n == 12:
        if is_landline(ds):
            return "landline", 0
    elif n == 13:
        if ds.startswith("86") and is_mobile(ds[2:]):
            return "phone", 2
    elif n == 15:
        if ds.startswith("0086") and is_mobile(ds[4:]):
            return "phone", 4
    if n == 18 and is_id_card(ds):
        return "id_card", 0
    if 16 <= n <= 19 and is_bank_card(ds):
        return "bank_card", 0
    return None


def _arabic_atom_ok(text: str, start: int, end: int) -> bool:
    """False when the atom is part of an identifier (letters) or a decimal number."""
    before = text[start - 1] if start > 0 else ""
    after = text[end] if end < len(text) else ""
    if (before and (_LATIN_RE.match(before) or before.isdecimal())) or (
        after and (_LATIN_RE.match(after) or after.isdecimal())
    ):
        # isdecimal(): a digit from another script (Arabic-Indic ...) that we cannot read
        return False
    if before in _POINTS and start > 1 and text[start - 2] in _ARABIC_SET:
        return False
    if after and after in _POINTS and end + 1 < len(text) and text[end + 1] in _ARABIC_SET:
        return False
    return True


def _joins(gap: str) -> bool:
    if not gap:
        return True  # a script change inside one number: 138一二三四5678
    if len(gap) > _MAX_GAP:
        return False
    marks = 0
    for ch in gap:
        if ch.isspace():
            continue
        if ch not in _SEP_MARKS:
            return False
        marks += 1
    return marks <= 1


def _card_context_ok(text: str, start: int) -> bool:
    window = text[max(0, start - _CONTEXT_CHARS):start]
    return "卡" in window or not _ORDER_CONTEXT_RE.search(window)


def _scan_run(text: str, run: list[tuple[int, int, bool]], out: list[PiiSpan]) -> None:
    digits: list[str] = []
    positions: list[int] = []
    cut_ok: list[bool] = []  # cut_ok[k]: a number may begin/end before digit k
    for start, end, arabic in run:
        digits.extend(map(_DIGIT_VALUE.__getitem__, text[start:end]))
        positions.extend(range(start, end))
        # no cut inside an Arabic atom (the digit guard); a Chinese atom may lose up to _GLUE
        # characters at either end to the word they belong to (一遍, 两个)
        size = end - start
        cut_ok.append(True)
        if arabic:
            cut_ok.extend([False] * (size - 1))
        else:
            cut_ok.extend(k <= _GLUE or size - k <= _GLUE for k in range(1, size))
    n = len(digits)
    cut_ok.append(True)
    if n < _MIN_LEN:
        return
    s = 0
    while s <= n - _MIN_LEN:
        if not cut_ok[s]:
            s += 1
            continue
        found = None
        for e in range(min(n, s + _MAX_LEN), s + _MIN_LEN - 1, -1):
            if not cut_ok[e]:
                continue
            cls = _classify("".join(digits[s:e]))
            if cls is None:
                continue
            if cls[0] == "bank_card" and not _card_context_ok(text, positions[s]):
                continue
            found = (e, cls)
            break
        if found is None:
            s += 1
            continue
        e, (kind, sig) = found
        span_start = positions[s]
        if sig and span_start > 0 and text[span_start - 1] in "+＋":
            span_start -= 1  # +86: the plus belongs to the number
        out.append(PiiSpan(span_start, positions[e - 1] + 1, kind,
                           "".join(digits[s + sig:e]), tuple(positions[s + sig:e])))
        s = e


def detect_pii(text: str) -> list[PiiSpan]:
    """All phone numbers, landlines, resident IDs and bank cards in ``text``, in text order.

    Spans never overlap. Pure function; safe on any string.
    """
    atoms = [(m.start(), m.end(), m.lastgroup != "c") for m in _ATOM_RE.finditer(text)]
    if sum(e - s for s, e, _ in atoms) < _MIN_LEN:
        return []  # fast path: most utterances have no 11 digit characters at all
    out: list[PiiSpan] = []
    run: list[tuple[int, int, bool]] = []
    for start, end, arabic in atoms:
        if arabic and not _arabic_atom_ok(text, start, end):
            if run:
                _scan_run(text, run, out)
            run = []
            continue
        if run and not _joins(text[run[-1][1]:start]):
            _scan_run(text, run, out)
            run = []
        run.append((start, end, arabic))
    if run:
        _scan_run(text, run, out)
    return out
