"""The transformers backend through its real loading path, on a tiny random BERT.

The model is randomly initialised (no weights can be downloaded here), so the test checks the
plumbing: local-only loading, label mapping, batching, probability shapes, determinism.
"""

from __future__ import annotations

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

from qa_engine.emotion.base import load_model  # noqa: E402
from qa_engine.emotion.hf import TransformersSentimentModel, build_tiny_model, herbal_vocab  # noqa: E402

TEXTS = ["您好，请问有什么可以帮您", "我要投诉你们！", "谢谢，解决了", "你们效率真高啊，等了三天"]
SPEAKERS = ["agent", "customer", "customer", "customer"]


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory):
    return build_tiny_model(tmp_path_factory.mktemp("tiny-bert"), herbal_vocab())


def test_loads_offline_and_predicts(tiny_dir):
    model = load_model("transformers", model_dir=tiny_dir, device="auto", batch_size=3)
    assert isinstance(model, TransformersSentimentModel)
    assert model.labels == ["negative", "neutral", "positive"]
    assert model.tokenizer.vocab_size == 21128  # the bert-base-chinese vocabulary
    out = model.predict(TEXTS, SPEAKERS)
    assert len(out) == len(TEXTS)
    for sentiment, emotion in out:
        assert set(sentiment.probabilities) == {"negative", "neutral", "positive"}
        assert sum(sentiment.probabilities.values()) == pytest.approx(1.0, abs=1e-3)
        assert sentiment.label == max(sentiment.probabilities, key=sentiment.probabilities.get)
        assert emotion.label in {"neutral", "joy", "disgust"}
        assert 0.0 <= emotion.intensity <= 1.0
    # batching must not change results: batch size 3 (two batches) vs one at a time
    single = [model.predict([t], [s])[0] for t, s in zip(TEXTS, SPEAKERS)]
    for (a, _), (b, _) in zip(out, single):
        for key in a.probabilities:
            assert a.probabilities[key] == pytest.approx(b.probabilities[key], abs=1e-3)
    assert model.predict([], []) == []


def test_emotion_label_models_and_label_map(tmp_path):
    labels = ("愤怒", "高兴", "中性", "LABEL_3")
    directory = build_tiny_model(tmp_path / "emo", herbal_vocab(), labels=labels)
    with pytest.raises(ValueError, match="LABEL_3"):
        TransformersSentimentModel(directory)
    model = TransformersSentimentModel(directory, label_map={"LABEL_3": "anxiety"})
    assert model.labels == ["anger", "joy", "neutral", "anxiety"]
    assert model.is_emotion_model
    sentiment, emotion = model.predict_one("快点给我处理！", "customer")
    p = sentiment.probabilities
    assert sum(p.values()) == pytest.approx(1.0, abs=1e-3)
    assert emotion.label in {"anger", "anxiety", "joy", "neutral", "surprise"}


def test_missing_directory_fails_without_network(tmp_path):
    with pytest.raises(OSError):
        TransformersSentimentModel(tmp_path / "nope")


def test_polarity_model_takes_emotion_from_a_fallback_model(tiny_dir):
    from qa_engine.emotion.linear import LinearSentimentModel

    bundled = LinearSentimentModel()
    model = TransformersSentimentModel(tiny_dir, emotion_model=bundled)
    texts, speakers = ["我要投诉你们，太过分了！", "谢谢你，解决得很快"], ["customer", "customer"]
    expected = [e for _, e in bundled.predict(texts, speakers)]
    assert [e for _, e in model.predict(texts, speakers)] == expected
