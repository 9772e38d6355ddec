"""One-pass keyword matching for a whole rule pack.

Every keyword and exclusion phrase of every rule goes into one Aho-Corasick automaton, so an
utterance is scanned once no matter how many rules or how long the lexicons are: time grows
with the text and the number of matches, not with the size of the word lists.
Word-boundary matching (``match: word``) checks a match against jieba's token boundaries,
computed lazily for the few utterances that need it.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

import ahocorasick

_jieba_lock = threading.Lock()
_jieba_tokenizer = None
_jieba_loaded: set[str] = set()


def _tokenizer(words: Iterable[str]):
    """jieba's tokenizer, created once per process. The pack's dictionary words and its own
    keywords are added once each: word matching must know domain terms (工号, 挂失) or jieba
    splits them and a correct match would fail the boundary test."""
    global _jieba_tokenizer
    with _jieba_lock:
        if _jieba_tokenizer is None:
            import jieba

            jieba.setLogLevel(60)
            _jieba_tokenizer = jieba.Tokenizer()
        for word in words:
            if word not in _jieba_loaded:
                _jieba_tokenizer.add_word(word)
                _jieba_loaded.add(word)
        return _jieba_tokenizer


def read_dictionary(path: Path) -> list[str]:
    """A jieba user dictionary: one word per line, optionally followed by frequency and tag."""
    words = []
    for line in Path(path).read_text(encoding="utf-8-sig").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            words.append(line.split()[0])
    return words


class KeywordIndex:
    """All phrases of a pack in one automaton; ``scan`` returns every occurrence by phrase."""

    def __init__(self, phrases: Iterable[str], dictionaries: Iterable[Path] = ()) -> None:
        self._automaton = ahocorasick.Automaton()
        self.phrases: set[str] = set()
        for phrase in phrases:
            if phrase and phrase not in self.phrases:
                self.phrases.add(phrase)
                self._automaton.add_word(phrase, phrase)
        if self.phrases:
            self._automaton.make_automaton()
        # read now: the files may be gone (or edited) by the time word matching first runs
        self._domain_words = [w for path in dictionaries for w in read_dictionary(path)] + sorted(self.phrases)
        self._tokenizer = None

    def scan(self, text: str) -> dict[str, list[tuple[int, int]]]:
        found: dict[str, list[tuple[int, int]]] = defaultdict(list)
        if not self.phrases or not text:
            return found
        for end, phrase in self._automaton.iter(text):  # one pass, all phrases
            found[phrase].append((end - len(phrase) + 1, end + 1))
        return found

    def boundaries(self, text: str) -> set[int]:
        """Character offsets where a jieba token starts or ends."""
        if self._tokenizer is None:
            self._tokenizer = _tokenizer(self._domain_words)
        edges: set[int] = set()
        for _word, start, end in self._tokenizer.tokenize(text):
            edges.add(start)
            edges.add(end)
        return edges


def overlaps(span: tuple[int, int], others: Iterable[tuple[int, int]]) -> bool:
    start, end = span
    return any(o_start < end and start < o_end for o_start, o_end in others)
