"""Mask PII in text and in ScoreResult JSON dicts.

Format: every character that writes a digit of a detected number becomes ``*`` except the
characters that write its last four digits; separators, ``+86`` prefixes and the rest of the
text are untouched. ``138 1234 5678`` -> ``*** **** 5678``, ``幺三八一二三四五六七八`` ->
``*******五六七八``, ``11010519491231002X`` -> ``**************002X``. We keep the last four only
(no ``138****`` prefix) because the privacy policy in the design is "keep last four", and the
mobile prefix adds nothing a reviewer needs.

Masking replaces one character with one character, so the masked text has exactly the length
of the original and every character offset (``Span.start_char``/``end_char``, word times
aligned to characters) stays valid. ``mask_result`` relies on this.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from .detect import PiiSpan, detect_pii

__all__ = ["MASK_CHAR", "KEEP_LAST", "apply_mask", "mask_text", "mask_result"]

MASK_CHAR = "*"
KEEP_LAST = 4


def apply_mask(text: str, spans: Iterable[PiiSpan]) -> str:
    """Replace the digit characters of ``spans`` (all but each span's last four) with ``*``."""
    chars = list(text)
    for span in spans:
        for p in span.positions[:-KEEP_LAST]:
            chars[p] = MASK_CHAR
    return "".join(chars)


def mask_text(text: str) -> str:
    """``text`` with every detected phone, landline, ID and bank card masked; same length.

    Repeats until nothing is detected: masking removes digits, and the four digits left of a
    masked number could in rare cases join a neighbouring group into a new valid number. The
    loop makes ``mask_text`` idempotent and guarantees that its output has no detectable PII.
    Each round masks at least seven digits, so it ends.
    """
    while True:
        spans = detect_pii(text)
        if not spans:
            return text
        text = apply_mask(text, spans)


# --------------------------------------------------------------------------- result dicts

# Metadata keys whose values are personal numbers even when malformed (a 10-digit "phone",
# an extension): for these we mask every digit but the last four, detected or not.
_SENSITIVE_TOKENS = frozenset(
    "phone mobile tel telephone cellphone cell msisdn ani caller callee idcard card cardno "
    "bankcard account passport".split()
)
_SENSITIVE_CJK = ("手机", "电话", "号码", "身份证", "证件", "卡号", "银行卡", "账号")
_KEY_SPLIT_RE = re.compile(r"[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])")
_ANY_DIGIT_RE = re.compile(r"[0-9\uff10-\uff19]")
_SENSITIVE_MIN_DIGITS = 7
# Never rewritten: integrity hashes and timestamps carry no personal data, and masking a hash
# that happens to contain a digit run would make it unverifiable.
_SKIP_KEYS = frozenset({"sha256", "started_at", "schema_version", "engine_version"})


@lru_cache(maxsize=4096)  # results repeat the same few dozen keys
def _sensitive_key(key: str) -> bool:
    if any(word in key for word in _SENSITIVE_CJK):
        return True
    tokens = [t.lower() for t in _KEY_SPLIT_RE.split(key) if t]
    if not set(tokens).isdisjoint(_SENSITIVE_TOKENS):
        return True
    flat = "".join(tokens)  # compounds written as one word: idcard, IDCardNo, bankcardno
    return any(c in flat for c in ("idcard", "cardno", "bankcard", "phoneno", "mobileno"))


def _mask_all_but_last(text: str) -> str:
    hits = [m.start() for m in _ANY_DIGIT_RE.finditer(text)]
    if len(hits) < _SENSITIVE_MIN_DIGITS:
        return text
    chars = list(text)
    for p in hits[:-KEEP_LAST]:
        chars[p] = MASK_CHAR
    return "".join(chars)


def _mask_value(value: Any, sensitive: bool = False) -> Any:
    """Mask every string (and PII-looking integer) inside a JSON value."""
    if isinstance(value, str):
        masked = mask_text(value)
        return _mask_all_but_last(masked) if sensitive else masked
    if isinstance(value, bool) or value is None or isinstance(value, float):
        return value
    if isinstance(value, int):
        # a caller number stored as an int: masking it has to turn it into a string
        as_text = str(value)
        masked = _mask_value(as_text, sensitive)
        return value if masked == as_text else masked
    if isinstance(value, dict):
        return {
            k: v if k in _SKIP_KEYS else _mask_value(v, isinstance(k, str) and _sensitive_key(k))
            for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [_mask_value(v, sensitive) for v in value]
    return value


def _copy(value: Any) -> Any:
    """Copy the containers of a JSON value (strings and numbers are immutable); several times
    faster than ``copy.deepcopy``, which dominated ``mask_result``'s time."""
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _mask_words(words: list[dict]) -> None:
    """Mask word texts jointly: a spoken phone number is spread over several ASR words."""
    texts = [w.get("text") if isinstance(w, dict) else None for w in words]
    if not all(isinstance(t, str) for t in texts):
        for w in words:
            if isinstance(w, dict) and isinstance(w.get("text"), str):
                w["text"] = mask_text(w["text"])
        return
    joined = "".join(texts)
    masked = mask_text(joined)
    if masked == joined:
        return
    pos = 0
    for w, t in zip(words, texts):
        w["text"] = masked[pos:pos + len(t)]  # same-length masking keeps the cut points
        pos += len(t)


def _replace_all(text: str, pairs: list[tuple[str, str]]) -> str:
    for old, new in pairs:
        text = text.replace(old, new)
    return text


def mask_result(result: dict) -> dict:
    """A masked deep copy of a ``ScoreResult.model_dump(mode="json")`` dict.

    * ``utterances[].text`` / ``raw_text``: :func:`mask_text`; ``words[].text`` masked as one
      joined string so numbers split across words are found.
    * ``hits[].spans[].text``: the same slice of the *masked* utterance text, so
      ``text == utterances[i].text[start_char:end_char]`` still holds and a span that covers
      only part of a number is masked too.
    * ``hits[].matched_text`` / ``explanation``: span texts replaced by their masked slices,
      then :func:`mask_text`.
    * ``analysis.emotion_index.peaks[].text``: the masked utterance text when it quotes one.
    * every other string anywhere (``customer_id``, ``conversation_id``, ``metadata`` at any
      depth, flag reasons ...): :func:`mask_text`; values under phone/ID/card-like metadata
      keys additionally keep only their last four digits; integers that are PII become
      masked strings. Hashes and timestamps are left alone.

    Lengths never change, so all offsets keep their meaning. The input is not modified.
    """
    out = _copy(result)
    original_text: dict[Any, str] = {}
    masked_text: dict[Any, str] = {}
    handled_utt = {"text", "raw_text", "words"}
    for i, utt in enumerate(out.get("utterances") or []):
        if not isinstance(utt, dict):
            continue
        key = utt.get("index", i)
        if isinstance(utt.get("text"), str):
            original_text[key] = utt["text"]
            utt["text"] = masked_text[key] = mask_text(utt["text"])
        if isinstance(utt.get("raw_text"), str):
            utt["raw_text"] = mask_text(utt["raw_text"])
        if isinstance(utt.get("words"), list):
            _mask_words(utt["words"])
        for k, v in list(utt.items()):
            if k not in handled_utt:
                utt[k] = _mask_value(v)

    handled_hit = {"spans", "matched_text", "explanation"}
    for hit in out.get("hits") or []:
        if not isinstance(hit, dict):
            continue
        pairs: list[tuple[str, str]] = []
        for span in hit.get("spans") or []:
            if not isinstance(span, dict) or not isinstance(span.get("text"), str):
                continue
            orig = original_text.get(span.get("utterance"))
            s, e = span.get("start_char"), span.get("end_char")
            if orig is not None and isinstance(s, int) and isinstance(e, int) and orig[s:e] == span["text"]:
                new = masked_text[span["utterance"]][s:e]
            else:  # span does not line up with its utterance: mask it on its own
                new = mask_text(span["text"])
            if new != span["text"]:
                pairs.append((span["text"], new))
            span["text"] = new
        pairs.sort(key=lambda p: -len(p[0]))  # longer first: one span text may contain another
        for field in ("matched_text", "explanation"):
            if isinstance(hit.get(field), str):
                hit[field] = mask_text(_replace_all(hit[field], pairs))
        for k, v in list(hit.items()):
            if k not in handled_hit:
                hit[k] = _mask_value(v)

    analysis = out.get("analysis")
    emotion = analysis.get("emotion_index") if isinstance(analysis, dict) else None
    peaks = emotion.get("peaks") if isinstance(emotion, dict) else None
    for peak in peaks or []:
        if isinstance(peak, dict) and isinstance(peak.get("text"), str):
            key = peak.get("utterance")
            if original_text.get(key) == peak["text"]:
                peak["text"] = masked_text[key]
            # anything else falls through to the generic pass below

    for k, v in list(out.items()):
        if k in ("utterances", "hits") or k in _SKIP_KEYS:
            continue
        out[k] = _mask_value(v, isinstance(k, str) and _sensitive_key(k))
    return out
