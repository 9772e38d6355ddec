"""The bundled model's fast inference paths equal the plain definitions they replace.

* ``Featurizer.words`` (fused max-probability pass) == ``jieba.lcut(text, HMM=False)``;
* ``LinearHeads._transform_both`` (one lookup per n-gram, ``A|`` twins in numpy, one count)
  == ``Vocabulary.transform`` of the training-time n-grams;
* the vectorised ``LinearSentimentModel.predict`` == ``pick_emotion`` + ``intensity_of`` per row.
"""

from __future__ import annotations

import random

import numpy as np
import pytest

from qa_engine.emotion.base import POLARITIES, pick_emotion
from qa_engine.emotion.data import load_callcentre
from qa_engine.emotion.features import normalise
from qa_engine.emotion.linear import LinearSentimentModel, intensity_of
from qa_engine.types import Emotion, Sentiment

ALPHABET = "abcXYZ019 +#&._%-，。！？!?\t\n我要投诉不满意非常好的快递到哪了太极其很生气害怕退款ＡＢＣ１２３☆😀"


def _texts() -> tuple[list[str], list[str]]:
    rows = load_callcentre("heldout")
    texts, speakers = [r.text for r in rows], [r.speaker for r in rows]
    rng = random.Random(7)
    for _ in range(400):  # mixed scripts, digits, punctuation, whitespace, empty lines
        texts.append("".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 30))))
        speakers.append(rng.choice(["agent", "customer", "system"]))
    return texts, speakers


@pytest.fixture(scope="module")
def model():
    return LinearSentimentModel()


def test_words_equal_jieba(model):
    import jieba

    featurizer = model.heads.featurizer
    for text in _texts()[0]:
        text = normalise(text)
        assert featurizer.words(text) == [w for w in jieba.lcut(text, HMM=False) if w.strip()], text


def test_transform_equals_vocabulary_transform(model):
    heads = model.heads
    texts, speakers = _texts()
    grams, _, _, _ = heads.featurizer.batch(texts, speakers, agent_prefix=False)
    fast = heads._transform_both(grams, speakers)
    full = [heads.featurizer.ngrams(t, s) for t, s in zip(texts, speakers)]
    assert any(s == "agent" for s in speakers)
    for got, vocab in zip(fast, (heads.vocab, heads.vocab_call)):
        want = vocab.transform(full)
        for a, b in zip(got, want):
            np.testing.assert_array_equal(a, b)


def test_vectorised_predict_equals_row_by_row(model):
    texts, speakers = _texts()
    pol, emo, cues, degrees = model.probabilities(texts, speakers)
    heads = model.heads
    expected = []
    for text, p_row, e_row, c, d in zip(texts, pol, emo, cues, degrees):
        p = {label: float(p_row[i]) for i, label in enumerate(heads.polarity_labels)}
        polarity = max(POLARITIES, key=lambda k: p[k])
        e = {label: float(e_row[i]) for i, label in enumerate(heads.emotion_labels)}
        label, share = pick_emotion(polarity, e)
        exclaims = text.count("!") + text.count("！")
        intensity = 0.0 if label == "neutral" else intensity_of(share * p[polarity], d, exclaims)
        expected.append((Sentiment(label=polarity, probabilities={k: round(p[k], 4) for k in POLARITIES}),
                         Emotion(label=label, intensity=round(intensity, 4), cues=c[:8])))
    got = model.predict(texts, speakers)
    assert got == expected
    assert {s.label for s, _ in got} == set(POLARITIES)
    for s, e in got:  # model_construct skipped validation: the values must still validate
        Sentiment.model_validate(s.model_dump())
        Emotion.model_validate(e.model_dump())
        assert type(e.intensity) is float and all(type(v) is float for v in s.probabilities.values())
