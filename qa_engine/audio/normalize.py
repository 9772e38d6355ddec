"""Text normalisation for recognised speech, so rules match ASR output like chat text.

Whisper often answers in Traditional characters, with full-width punctuation and with numbers
either as digits or as Chinese numerals (工号幺三八二 / 工号1382). Rules are written in Simplified
with Arabic digits, so we convert. ``cn2an.transform`` alone is too eager (一下 -> 1下, which
breaks 稍等一下), so we only convert numeral *runs* that are clearly numbers.
"""

from __future__ import annotations

import re

from qa_engine.text import normalize_text as _base_normalize
from qa_engine.text import to_simplified

_DIGITS = {"零": "0", "〇": "0", "一": "1", "幺": "1", "二": "2", "两": "2", "三": "3", "四": "4",
           "五": "5", "六": "6", "七": "7", "八": "8", "九": "9"}
_UNITS = "十百千万亿"
_RUN = re.compile(f"[{''.join(_DIGITS)}{_UNITS}点]+")
# Whitespace between two CJK characters is an ASR artefact, not a word boundary.
_CJK_SPACE = re.compile(r"(?<=[\u3400-\u9fff])\s+(?=[\u3400-\u9fff])")


def _convert_run(run: str) -> str:
    """One maximal run of numeral characters -> digits, or unchanged when it is not a number."""
    body = run.rstrip("点")  # 快一点 / 一点点: 点 means "a bit", not a decimal point
    tail = run[len(body):]
    if not body or body[0] in "百千万亿点":  # 万一 (in case), 百分之... are words
        return run
    if not any(ch in _UNITS or ch == "点" for ch in body):
        # Digit-by-digit reading (phone numbers, 工号, order numbers). Short runs are too
        # often words or ranges (一一, 两三天, 三四个), so require three digits.
        if len(body) < 3:
            return run
        return "".join(_DIGITS[ch] for ch in body) + tail
    if len(body) < 2:
        return run  # 十 alone (十分感谢) stays a word
    try:
        import cn2an

        value = cn2an.cn2an(body, "normal")
    except Exception:  # ranges like 三四十 are not one number: leave the words alone
        return run
    if isinstance(value, float) and value.is_integer() and "点" not in body:
        value = int(value)
    return f"{value}{tail}"


def normalize_numbers(text: str) -> str:
    return _RUN.sub(lambda m: _convert_run(m.group(0)), text)


# Whisper base hears 工号 (staff ID) as near-homophones; only fixed when digits follow, where
# no other reading makes sense in a call. raw_text keeps what the recogniser said.
_STAFF_ID = re.compile(r"(?:功耗|公号|功号|攻号|工耗|宫号|共号|公耗)(?=是?\s*\d)")


def fix_domain_terms(text: str) -> str:
    return _STAFF_ID.sub("工号", text)


def normalize_text(raw: str) -> str:
    """The engine's chat normalisation (width, Simplified, whitespace: ``qa_engine.text``), so
    speech and chat meet rules in one form, plus what only ASR output needs: no spaces between
    Chinese characters, Chinese numerals as digits, 工号 homophones fixed."""
    text = _base_normalize(raw)
    text = _CJK_SPACE.sub("", text)
    return fix_domain_terms(normalize_numbers(text))


_PUNCT = re.compile(r"[\s\W_]+", re.UNICODE)


def spoken_chars(text: str) -> int:
    """Characters that take speaking time: CJK characters and alphanumerics, no punctuation."""
    return len(_PUNCT.sub("", text))
