"""Property tests: the one-pass automaton finds exactly what a naive search finds."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from qa_engine.rules.keywords import KeywordIndex

ALPHABET = "您好不知道没办法投诉退款到账保证一定的了吗，。a1"
words = st.lists(st.text(alphabet=ALPHABET, min_size=1, max_size=4), min_size=1, max_size=30, unique=True)


def naive(text: str, phrases: list[str]) -> dict[str, list[tuple[int, int]]]:
    found = {}
    for phrase in phrases:
        spans = [(i, i + len(phrase)) for i in range(len(text) - len(phrase) + 1) if text.startswith(phrase, i)]
        if spans:
            found[phrase] = spans
    return found


@settings(max_examples=300, deadline=None)
@given(phrases=words, text=st.text(alphabet=ALPHABET, max_size=60))
def test_scan_equals_naive_search(phrases, text):
    index = KeywordIndex(phrases)
    assert {k: sorted(v) for k, v in index.scan(text).items()} == naive(text, phrases)


@settings(max_examples=100, deadline=None)
@given(text=st.text(max_size=80))
def test_empty_index_and_arbitrary_text_never_fail(text):
    assert KeywordIndex([]).scan(text) == {}
    assert KeywordIndex(["投诉"]).scan(text).keys() <= {"投诉"}
