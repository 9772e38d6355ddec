"""Evaluation of sentiment backends and the emotion index; writes models/emotion/MODEL_CARD.md.

(a) held-out 20 % of the deduplicated snownlp reviews: binary (positive vs negative; a 3-class
    model decides by p_pos vs p_neg, since reviews have no neutral class);
(b) datasets/callcentre_emotion/heldout.tsv: 3-class polarity and 7-class emotion, with
    confusion matrices; never used for tuning;
(c) Spearman correlation between the emotion index and STC-3 customer satisfaction (mean.S).
snownlp's shipped model is the baseline (p ≥ 0.6 positive, ≤ 0.4 negative, else neutral).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import click

from qa_engine.emotion.base import EMOTIONS, POLARITIES, SentimentModel
from qa_engine.emotion.data import REPO_ROOT, load_callcentre, load_reviews

STC3_PATH = REPO_ROOT.parent / "shared" / "datasets" / "stc3" / "dev.jsonl"
Classifier = Callable[[list[str], list[str]], list[tuple[str, str | None, dict[str, float]]]]


def confusion(gold: list[str], pred: list[str], labels: list[str]) -> list[list[int]]:
    """Rows = gold, columns = predicted, in ``labels`` order."""
    index = {label: i for i, label in enumerate(labels)}
    matrix = [[0] * len(labels) for _ in labels]
    for g, p in zip(gold, pred):
        matrix[index[g]][index[p]] += 1
    return matrix


def scores(gold: list[str], pred: list[str], labels: list[str]) -> dict:
    matrix = confusion(gold, pred, labels)
    f1s = []
    for i, _ in enumerate(labels):
        tp = matrix[i][i]
        predicted = sum(row[i] for row in matrix)
        actual = sum(matrix[i])
        if actual == 0:
            continue  # a class absent from the gold set is not averaged in
        precision = tp / predicted if predicted else 0.0
        recall = tp / actual
        f1s.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    accuracy = sum(g == p for g, p in zip(gold, pred)) / len(gold) if gold else 0.0
    return {"n": len(gold), "accuracy": round(accuracy, 4), "macro_f1": round(sum(f1s) / len(f1s), 4) if f1s else 0.0,
            "labels": labels, "confusion": matrix}


def model_classifier(model: SentimentModel) -> Classifier:
    def classify(texts, speakers):
        return [(s.label, e.label, s.probabilities) for s, e in model.predict(texts, speakers)]

    return classify


def snownlp_classifier(texts: list[str], speakers: list[str]):
    from snownlp import SnowNLP

    out = []
    for text in texts:
        p = SnowNLP(text).sentiments if text.strip() else 0.5
        label = "positive" if p >= 0.6 else "negative" if p <= 0.4 else "neutral"
        out.append((label, None, {"positive": p, "negative": 1 - p, "neutral": 0.0}))
    return out


def evaluate_classifier(classify: Classifier, reviews: bool = True) -> dict:
    result: dict = {}
    if reviews:
        rows = load_reviews("heldout")
        started = time.perf_counter()
        preds = classify([r.text for r in rows], [r.speaker for r in rows])
        binary = ["positive" if p.get("positive", 0) >= p.get("negative", 0) else "negative" for _, _, p in preds]
        result["reviews_heldout"] = scores([r.polarity for r in rows], binary, ["negative", "positive"])
        result["reviews_heldout"]["seconds"] = round(time.perf_counter() - started, 2)
    rows = load_callcentre("heldout")
    preds = classify([r.text for r in rows], [r.speaker for r in rows])
    result["callcentre_polarity"] = scores([r.polarity for r in rows], [p for p, _, _ in preds], list(POLARITIES))
    if preds and preds[0][1] is not None:
        result["callcentre_emotion"] = scores([r.emotion for r in rows], [e for _, e, _ in preds], list(EMOTIONS))
    return result


def stc3_conversations(path: Path = STC3_PATH):
    """STC-3 dialogues as engine Conversations (customer -> customer, helpdesk -> agent)."""
    from qa_engine.types import Channel, Conversation, Speaker, Utterance

    conversations, satisfaction = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        utterances = [
            Utterance(index=i, speaker=Speaker.customer if t["sender"] == "customer" else Speaker.agent,
                      text=t["text"], raw_text=t["text"])
            for i, t in enumerate(record["turns"])
        ]
        conversations.append(Conversation(id=str(record["id"]), channel=Channel.chat, utterances=utterances))
        satisfaction.append(float(record["mean"]["S"]))
    return conversations, satisfaction


def spearman(x: list[float], y: list[float]) -> float:
    def ranks(values: list[float]) -> list[float]:
        order = sorted(range(len(values)), key=lambda i: values[i])
        result = [0.0] * len(values)
        i = 0
        while i < len(order):  # average ranks over ties
            j = i
            while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
                j += 1
            for k in range(i, j + 1):
                result[order[k]] = (i + j) / 2.0
            i = j + 1
        return result

    rx, ry = ranks(x), ranks(y)
    mx, my = sum(rx) / len(rx), sum(ry) / len(ry)
    cov = sum((a - mx) * (b - my) for a, b in zip(rx, ry))
    var = (sum((a - mx) ** 2 for a in rx) * sum((b - my) ** 2 for b in ry)) ** 0.5
    return cov / var if var else 0.0


def stc3_correlation(model: SentimentModel, path: Path = STC3_PATH) -> dict | None:
    if not path.exists():
        return None
    from qa_engine.emotion.analyzer import EmotionAnalyzer

    conversations, satisfaction = stc3_conversations(path)
    EmotionAnalyzer(model=model).analyze_many(conversations)
    index = [c.analysis.emotion_index.index for c in conversations]
    return {"n": len(conversations), "spearman_index_vs_mean_S": round(spearman(index, satisfaction), 4)}


def evaluate_model(model: SentimentModel, reviews: bool = True, stc3: bool = True) -> dict:
    result = evaluate_classifier(model_classifier(model), reviews=reviews)
    if stc3:
        correlation = stc3_correlation(model)
        if correlation:
            result["stc3"] = correlation
    return result


def _table(name: str, metrics: dict) -> list[str]:
    lines = []
    for key, title in (("reviews_heldout", "reviews held-out (binary)"),
                       ("callcentre_polarity", "call-centre held-out, polarity"),
                       ("callcentre_emotion", "call-centre held-out, emotion (7)")):
        if key in metrics:
            m = metrics[key]
            lines.append(f"| {name} | {title} | {m['n']} | {m['accuracy']:.3f} | {m['macro_f1']:.3f} |")
    return lines


def _matrix_md(m: dict) -> list[str]:
    head = "| gold \\ predicted | " + " | ".join(m["labels"]) + " |"
    rows = [f"| {label} | " + " | ".join(str(v) for v in row) + " |" for label, row in zip(m["labels"], m["confusion"])]
    return [head, "|" + "---|" * (len(m["labels"]) + 1), *rows]


def _speed_md(path: Path) -> str:
    """The model card's speed section, from ``bench/bench_emotion.py --json <model dir>/bench.json``."""
    if not path.exists():
        return "Not measured: run `python bench/bench_emotion.py --json models/emotion/bench.json`."
    b = json.loads(path.read_text(encoding="utf-8"))
    wall, cpu = b["utterances_per_second"], b.get("cpu_utterances_per_second", {})
    lines = [f"`bench/bench_emotion.py`: {b['utterances']} distinct call-centre lines ({b['mean_chars']} characters "
             f"on average), one thread, best of {b.get('repeats', 3)} passes, default model and snownlp passes "
             f"interleaved; load average at the end {b.get('load_average', ['?'])[0]}.", "",
             "| backend | utterances/s (wall) | utterances/s (process CPU) |", "|---|---|---|"]
    for name in wall:
        lines.append(f"| {name} | {wall[name]:,.0f} | {cpu[name]:,.0f} |" if name in cpu else f"| {name} | {wall[name]:,.0f} | — |")
    if "default_vs_snownlp" in b:
        lines += ["", f"Default vs snownlp: **{b['default_vs_snownlp']}×** (wall)"
                  + (f", **{b['default_vs_snownlp_cpu']}×** (CPU)" if "default_vs_snownlp_cpu" in b else "")
                  + "; goal ≥ 20×."]
    return "\n".join(lines)


def write_model_card(model_dir: Path, config: dict, baseline: bool = True) -> Path:
    metrics = config["metrics"]
    baseline_metrics = evaluate_classifier(snownlp_classifier) if baseline else None
    template = (Path(__file__).with_name("model_card_template.md")).read_text(encoding="utf-8")
    table = ["| model | data | n | accuracy | macro-F1 |", "|---|---|---|---|---|", *_table("bundled default", metrics)]
    if baseline_metrics:
        table += _table("snownlp 0.12.3 (baseline)", baseline_metrics)
    matrices = ["Polarity:", "", *_matrix_md(metrics["callcentre_polarity"])]
    if "callcentre_emotion" in metrics:
        matrices += ["", "Emotion:", "", *_matrix_md(metrics["callcentre_emotion"])]
    stc3 = metrics.get("stc3")
    card = template.format(speed=_speed_md(model_dir / "bench.json"),
        version=config["version"], n_terms=config["n_terms"], n_terms_call=config["n_terms_call"], params=json.dumps(config["params"], ensure_ascii=False),
        data_sha=config["training_data_sha256"], table="\n".join(table), matrices="\n".join(matrices),
        stc3=f"{stc3['spearman_index_vs_mean_S']:.3f} over {stc3['n']} dialogues" if stc3 else "not measured (STC-3 file absent)",
    )
    path = model_dir / "MODEL_CARD.md"
    path.write_text(card, encoding="utf-8")
    return path


@click.command("evaluate-emotion")
@click.option("--backend", default="default", show_default=True, help="default | transformers | snownlp")
@click.option("--model-path", default=None, help="model directory (transformers: required)")
@click.option("--no-reviews", is_flag=True, help="skip the review corpus (needs snownlp)")
@click.option("--write-card", is_flag=True,
              help="rewrite MODEL_CARD.md of the default model (recorded metrics, snownlp baseline, bench.json)")
def evaluate_emotion_command(backend: str, model_path: str | None, no_reviews: bool, write_card: bool) -> None:
    """Print accuracy / macro-F1 / confusion of a sentiment backend as JSON."""
    if write_card:
        from qa_engine.emotion.linear import DEFAULT_DIR

        model_dir = Path(model_path) if model_path else DEFAULT_DIR
        config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
        click.echo(str(write_model_card(model_dir, config)))
        return
    if backend == "snownlp":
        result = evaluate_classifier(snownlp_classifier, reviews=not no_reviews)
    else:
        from qa_engine.emotion.base import load_model

        options = {"model_dir": model_path} if model_path else {}
        result = evaluate_model(load_model(backend, **options), reviews=not no_reviews)
    click.echo(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    evaluate_emotion_command()
