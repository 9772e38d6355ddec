"""Text normalisation applied to every utterance before analysis.

``normalize_text(raw)`` produces the form stored in ``Utterance.text``; the untouched input is
kept in ``Utterance.raw_text``. Rule lexicons should be passed through the same function so that
keywords and transcripts meet in one form.

Decisions (each one is tested in ``tests/test_text.py``):

* **Width.** Full-width ASCII letters, digits and symbols (``Ａ``, ``１``, ``％``, ``＠``,
  ``．``, ``－`` ...) become their ASCII forms so numbers, order ids and e-mail addresses match.
  The full-width characters that *are* Chinese sentence punctuation stay as they are:
  ``！ ， ： ； ？ （ ） ～``; characters outside the full-width block (``。 、 《 》 【 】 “ ”``)
  are never touched. We do not apply NFKC as a whole because it would turn ``，`` into ``,``,
  ``①`` into ``1`` and ``㎡`` into ``m2`` (changing lengths and character offsets used as
  evidence). Half-width CJK punctuation (``｡ ｢ ｣ ､``) becomes its usual full form and
  full-width currency signs become the ordinary ones (``￥`` -> ``¥``), as NFKC would.
* **Whitespace.** Every run of Unicode whitespace (including the ideographic space U+3000,
  NBSP, tabs and newlines) becomes one ASCII space; leading/trailing whitespace is removed.
  Zero-width space, word joiner and a stray BOM (U+200B, U+2060, U+FEFF) count as whitespace
  that takes no room: they are removed without leaving a space, because chat exports sprinkle
  them inside words (``您\u200b好``) where they would break keyword matching.
* **Traditional -> Simplified** with opencc ``t2s``. OpenCC's ``t2s`` is not idempotent for a few
  dozen dictionary phrases (``乾清宮`` -> ``乾清宫`` -> ``干清宫``); we re-apply it until the text
  stops changing so that normalising twice equals normalising once (stored text, rule keywords
  and re-ingested exports stay comparable). Those rare proper nouns end fully simplified.
* **Speed.** The pure-Python converter costs roughly 70-100 µs per sentence. Most call-centre
  text is already Simplified, so we skip it when the text contains no character that any
  ``t2s`` dictionary entry would change and none of its changed phrases (a set check, about
  1 µs); texts that need it are cached per distinct string (LRU). No character is ever dropped
  other than whitespace: the mapping is one character to one character (all ``t2s`` entries
  have equal-length keys and values, which ``_load_t2s_index`` verifies).
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from typing import NamedTuple

__all__ = ["normalize_text", "to_simplified", "ZERO_WIDTH"]

# Full-width characters kept because they are the canonical Chinese sentence punctuation.
_KEEP_FULLWIDTH = frozenset("！，：；？（）～")
# Invisible characters treated as whitespace that takes no room.
ZERO_WIDTH = frozenset("\u200b\u2060\ufeff")


def _build_width_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for code in range(0xFF01, 0xFF5F):  # full-width forms of ASCII 0x21..0x7E
        if chr(code) not in _KEEP_FULLWIDTH:
            table[code] = chr(code - 0xFEE0)
    # Half-width CJK punctuation -> the ordinary full forms (what NFKC does).
    table.update({0xFF61: "。", 0xFF62: "「", 0xFF63: "」", 0xFF64: "、"})
    # Full-width currency and signs -> ordinary forms (what NFKC does).
    table.update(
        {0xFFE0: "¢", 0xFFE1: "£", 0xFFE2: "¬", 0xFFE3: "¯", 0xFFE4: "¦", 0xFFE5: "¥", 0xFFE6: "₩"}
    )
    for char in ZERO_WIDTH:
        table[ord(char)] = ""
    return table


_WIDTH_TABLE = _build_width_table()


@lru_cache(maxsize=1)
def _converter():  # noqa: ANN202 - opencc has no type hints
    # Imported lazily: building the converter reads its dictionaries (a few ms) and modules that
    # only need the width table should not pay for it.
    from opencc import OpenCC

    return OpenCC("t2s")


class _T2SIndex(NamedTuple):
    chars: frozenset[str]  # single characters t2s changes (說, 這 ...)
    phrases: dict[str, tuple[str, ...]]  # first character -> multi-character keys t2s changes
    firsts: frozenset[str]  # phrases.keys(), as a frozenset for a fast isdisjoint


@lru_cache(maxsize=1)
def _load_t2s_index() -> _T2SIndex | None:
    """What can make ``t2s`` change a text; ``None`` = unknown.

    An entry changes text only if it matches and its (first) value differs from its key. So a
    text that contains none of the changed single characters and none of the changed
    multi-character keys comes out of ``t2s`` unchanged. Phrases are checked as whole strings
    because their characters are often already Simplified (``么麼`` -> ``幺麽`` must not make
    every ``什么`` pay for the converter). Reads the dictionaries named by the package's
    ``t2s.json`` (opencc-python-reimplemented layout); any surprise (another opencc package,
    changed format, unequal lengths) returns ``None`` and we always convert: slower, still right.
    """
    try:
        import opencc

        base = os.path.dirname(opencc.__file__)
        with open(os.path.join(base, "config", "t2s.json"), encoding="utf-8") as fh:
            config = json.load(fh)
        files: list[str] = []

        def collect(node: dict) -> None:
            if node.get("type") == "group":
                for child in node.get("dicts", []):
                    collect(child)
            elif node.get("type") == "txt":
                files.append(node["file"])

        for step in config["conversion_chain"]:
            collect(step["dict"])
        if not files:
            return None
        chars: set[str] = set()
        phrases: dict[str, set[str]] = {}
        for name in files:
            with open(os.path.join(base, "dictionary", name), encoding="utf-8") as fh:
                for line in fh:
                    key, value = line.rstrip("\n").split("\t")
                    value = value.split(" ")[0]  # the converter uses the first option
                    if len(key) != len(value):
                        return None  # our length-preserving guarantee would not hold
                    if key == value:
                        continue
                    if len(key) == 1:
                        chars.add(key)
                    else:
                        phrases.setdefault(key[0], set()).add(key)
        return _T2SIndex(frozenset(chars), {k: tuple(v) for k, v in phrases.items()}, frozenset(phrases))
    except Exception:  # pragma: no cover - depends on the installed opencc flavour
        return None


def _may_change(text: str, index: _T2SIndex) -> bool:
    if not index.chars.isdisjoint(text):
        return True
    if index.firsts.isdisjoint(text):
        return False
    return any(phrase in text for first in index.firsts.intersection(text) for phrase in index.phrases[first])


@lru_cache(maxsize=65536)
def _t2s_fixpoint(text: str) -> str:
    convert = _converter().convert
    index = _load_t2s_index()
    for _ in range(8):  # in practice two rounds at most reach the fixpoint
        converted = convert(text)
        if converted == text:
            break
        text = converted
        if index is not None and not _may_change(text, index):
            break  # saves a second full pass in the common case
    return text


def to_simplified(text: str) -> str:
    """Traditional -> Simplified (opencc ``t2s`` applied until stable), skipping texts it cannot
    change."""
    index = _load_t2s_index()
    if index is not None and not _may_change(text, index):
        return text
    return _t2s_fixpoint(text)


def normalize_text(raw: str) -> str:
    """Return the normalised form of ``raw`` (see the module docstring for every rule).

    Idempotent: ``normalize_text(normalize_text(s)) == normalize_text(s)``.
    """
    text = raw.translate(_WIDTH_TABLE)
    # str.split() without arguments splits on every Unicode whitespace run and drops the ends.
    text = " ".join(text.split())
    return to_simplified(text)
