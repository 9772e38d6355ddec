"""The STC-3 customer-helpdesk dialogues (NTCIR-14) as conversations, with their annotations.

Each dialogue is a Weibo exchange between a customer and a company's service account; the
helpdesk side is our agent. The texts carry no times, so timing rules are not applicable, and
each turn becomes one utterance. ``mean.S`` is the annotators' mean customer satisfaction (-2..2).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from qa_engine.text import normalize_text
from qa_engine.types import Channel, Conversation, Speaker, Utterance

SPEAKERS = {"customer": Speaker.customer, "helpdesk": Speaker.agent}


@dataclass
class Stc3Dialogue:
    conversation: Conversation
    satisfaction: float  # mean.S
    accomplishment: float  # mean.A


def load_stc3(path: Path) -> Iterator[Stc3Dialogue]:
    with path.open(encoding="utf-8") as stream:
        for line_no, line in enumerate(stream, 1):
            if not line.strip():
                continue
            record = json.loads(line)
            utterances = [
                Utterance(index=i, speaker=SPEAKERS[turn["sender"]], text=normalize_text(turn["text"]), raw_text=turn["text"])
                for i, turn in enumerate(record["turns"])
            ]
            conversation = Conversation(id=str(record["id"]), channel=Channel.chat, utterances=utterances,
                                        source=f"{path}:line {line_no}")
            yield Stc3Dialogue(conversation, float(record["mean"]["S"]), float(record["mean"]["A"]))


def spearman(xs: list[float], ys: list[float]) -> float:
    """Spearman's rho with average ranks for ties (no SciPy needed at run time)."""

    def ranks(values: list[float]) -> list[float]:
        order = sorted(range(len(values)), key=values.__getitem__)
        result = [0.0] * len(values)
        i = 0
        while i < len(order):
            j = i
            while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
                j += 1
            for k in range(i, j + 1):
                result[order[k]] = (i + j) / 2 + 1
            i = j + 1
        return result

    rx, ry = ranks(xs), ranks(ys)
    n = len(xs)
    mx, my = sum(rx) / n, sum(ry) / n
    cov = sum((a - mx) * (b - my) for a, b in zip(rx, ry))
    vx = sum((a - mx) ** 2 for a in rx) ** 0.5
    vy = sum((b - my) ** 2 for b in ry) ** 0.5
    return cov / (vx * vy) if vx and vy else 0.0
