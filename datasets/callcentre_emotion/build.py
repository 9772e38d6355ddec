"""Build train.tsv / heldout.tsv from the hand-written source_*.txt files.

Deterministic: same sources -> byte-identical outputs. The split is made per *source line*
(before any expansion), stratified by label, so a sentence and its slot/prefix variants always
land on the same side and the held-out part shares no near-duplicate with training. A line's
side depends on its own text only (sha1), so adding lines never moves existing ones.

Run: python datasets/callcentre_emotion/build.py
"""

from __future__ import annotations

import csv
import hashlib
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SLOTS = {
    "obj": ["订单", "包裹", "退款", "快递", "维修单", "工单", "宽带申请", "发票"],
    "days": ["三天", "一个星期", "五天", "半个月", "两天", "十天"],
    "prod": ["手机", "冰箱", "洗衣机", "空调", "电脑", "路由器", "热水器", "电视"],
}
# Discourse openers that carry no emotion by themselves; training variants only.
PREFIXES = {
    "customer": ["喂，", "那个，", "你好，", "我跟你说，", "哎，", "就是，", "你好客服，"],
    "agent": ["嗯，", "好的，", "先生，", "女士，", "那个，", "您好，"],
}
POLARITIES = {"negative", "neutral", "positive"}
EMOTIONS = {"anger", "anxiety", "sadness", "disgust", "surprise", "joy", "neutral"}
HELDOUT_PERCENT = 20  # by sha1 of the source line: adding lines never moves existing ones


def _hash(text: str) -> int:
    return int(hashlib.sha1(text.encode("utf-8")).hexdigest(), 16)


def read_sources() -> list[dict]:
    rows: list[dict] = []
    for path in sorted(HERE.glob("source_*.txt")):
        labels: tuple[str, str, str] | None = None
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            line = line.strip()
            if not line or (line.startswith("#") and not line.startswith("##")):
                continue
            if line.startswith("##"):
                speaker, polarity, emotion = line[2:].split()
                if speaker not in ("customer", "agent") or polarity not in POLARITIES or emotion not in EMOTIONS:
                    raise SystemExit(f"{path.name}:{number}: bad header {line!r}")
                labels = (speaker, polarity, emotion)
                continue
            if labels is None:
                raise SystemExit(f"{path.name}:{number}: text before any header")
            rows.append({"template": line, "speaker": labels[0], "polarity": labels[1],
                         "emotion": labels[2], "source": f"{path.stem}:{number}"})
    return rows


def fill(template: str, seed: int, variant: int) -> str:
    def choose(match: re.Match) -> str:
        options = SLOTS[match.group(1)]
        return options[(seed + variant * 7 + len(match.group(0))) % len(options)]

    return re.sub(r"\{(\w+)\}", choose, template)


def build() -> tuple[list[dict], list[dict]]:
    rows = read_sources()
    seen: dict[str, str] = {}
    for row in rows:
        key = (row["speaker"], row["template"])
        if key in seen:
            raise SystemExit(f"duplicate line {row['template']!r} ({seen[key]} and {row['source']})")
        seen[key] = row["source"]
    train: list[dict] = []
    heldout: list[dict] = []
    for row in rows:
        seed = _hash(row["template"])
        base = {k: row[k] for k in ("speaker", "polarity", "emotion", "source")}
        if seed % 100 < HELDOUT_PERCENT:
            heldout.append({"text": fill(row["template"], seed, 0), **base})
            continue
        texts = {fill(row["template"], seed, 0)}
        if "{" in row["template"]:
            texts.add(fill(row["template"], seed, 1))
        prefixes = PREFIXES[row["speaker"]]
        texts.add(prefixes[seed % len(prefixes)] + fill(row["template"], seed, 2))
        train.extend({"text": t, **base} for t in sorted(texts))
    key = lambda r: (r["source"], r["text"])  # noqa: E731
    return sorted(train, key=key), sorted(heldout, key=key)


def write(path: Path, rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, ["text", "speaker", "polarity", "emotion", "source"], delimiter="\t",
                                lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def load(split: str, root: Path = HERE) -> list[dict]:
    """Read train/heldout rows (used by the trainer and the evaluation)."""
    with (root / f"{split}.tsv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


if __name__ == "__main__":
    train_rows, heldout_rows = build()
    write(HERE / "train.tsv", train_rows)
    write(HERE / "heldout.tsv", heldout_rows)
    print(f"train {len(train_rows)} lines, heldout {len(heldout_rows)} lines", file=sys.stderr)
