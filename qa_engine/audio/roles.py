"""Who said what: recognised words -> speaker turns with roles (agent / customer).

Stereo: each channel is one party, so turns come from each channel's word times (Whisper's
*segment* times stretch across the other party's turn; word times do not), merged by start time.
Overlaps are kept, which is what lets the engine measure overtalk.

Mono: :mod:`qa_engine.audio.diarize` splits the words into two voices; which voice is the agent
is decided from what each says (agents greet, give a 工号, offer help), with a confidence.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np

from qa_engine.audio.diarize import RATE, separate
from qa_engine.audio.normalize import to_simplified
from qa_engine.audio.transcriber import AsrSegment, Transcript

# Phrases that mark the agent, with weights; matched on Simplified text. The opening phrases
# weigh most because they are scripted and come first.
AGENT_CUES = {
    "工号": 3.0, "为您服务": 3.0, "很高兴": 2.0, "有什么可以帮": 3.0, "欢迎致电": 3.0,
    "请问有什么": 2.0, "感谢您的来电": 2.5, "感谢来电": 2.5, "还有其他": 1.0, "请您稍等": 1.5,
    "稍等": 0.5, "帮您": 1.0, "为您": 1.0, "给您带来": 1.5, "请您": 1.0, "您的": 0.5,
    "客服": 1.0, "祝您": 1.5, "请问": 0.5, "您好": 1.0, "已经为您": 1.0,
}
CUSTOMER_CUES = {
    "我想": 1.0, "我要": 1.0, "我的": 0.5, "投诉": 1.5, "你们": 1.0, "为什么": 0.5,
    "怎么": 0.5, "能不能": 0.5, "帮我": 1.0, "我家": 1.0, "没听清": 1.0, "谢谢你": 1.0,
    "我已经": 0.5, "你好": 0.5,
}
FIRST_SPEAKER_PRIOR = 1.0  # inbound calls open with the agent's greeting


@dataclass
class TaggedWord:
    text: str
    start: float
    end: float
    probability: float
    channel: int
    segment: AsrSegment


@dataclass
class Turn:
    channel: int
    words: list[TaggedWord]
    speaker: str = "agent"  # agent | customer

    @property
    def start(self) -> float:
        return self.words[0].start

    @property
    def end(self) -> float:
        return self.words[-1].end

    @property
    def raw_text(self) -> str:
        return "".join(w.text for w in self.words).strip()


@dataclass
class RoleResult:
    turns: list[Turn]
    role_confidence: float
    method: str  # stereo-channel | mono-voice-clustering | mono-single-speaker
    details: dict = field(default_factory=dict)


def tagged_words(transcript: Transcript, channel: int) -> list[TaggedWord]:
    out = []
    for seg in transcript.segments:
        if seg.words:
            out.extend(TaggedWord(w.text, w.start, w.end, w.probability, channel, seg)
                       for w in seg.words)
        elif seg.text.strip():  # no word times (rare): keep the segment as one "word"
            out.append(TaggedWord(seg.text, seg.start, seg.end, math.exp(seg.avg_logprob),
                                  channel, seg))
    return sorted(out, key=lambda w: w.start)


def group_by_gap(words: list[TaggedWord], gap: float) -> list[list[TaggedWord]]:
    groups: list[list[TaggedWord]] = []
    for word in words:
        if groups and word.start - groups[-1][-1].end < gap:
            groups[-1].append(word)
        else:
            groups.append([word])
    return groups


def cue_score(text: str) -> float:
    """Positive: sounds like the agent; negative: sounds like the customer."""
    text = to_simplified(text)
    agent = sum(w * len(re.findall(re.escape(k), text)) for k, w in AGENT_CUES.items())
    customer = sum(w * len(re.findall(re.escape(k), text)) for k, w in CUSTOMER_CUES.items())
    return agent - customer


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def stereo_turns(channel_words: dict[int, list[TaggedWord]], agent_channel: int,
                 turn_gap: float) -> RoleResult:
    turns = []
    for channel, words in channel_words.items():
        speaker = "agent" if channel == agent_channel else "customer"
        turns.extend(Turn(channel, group, speaker) for group in group_by_gap(words, turn_gap))
    turns.sort(key=lambda t: (t.start, t.end))
    # The channel mapping is configuration, so we trust it, but check the content agrees:
    # a recorder that swapped sides would otherwise score the customer as the agent.
    by_role = {"agent": 0.0, "customer": 0.0}
    for turn in turns:
        by_role[turn.speaker] += cue_score(turn.raw_text)
    margin = by_role["agent"] - by_role["customer"]
    # No cues either way (margin 0) still leaves the configured mapping likely (0.88); only
    # content that clearly points the other way (margin <= -4) drops it below 0.5.
    confidence = round(_sigmoid(margin / 2.0 + 2.0), 3)
    return RoleResult(turns, confidence, "stereo-channel",
                      {"agent_channel": agent_channel, "cue_margin": round(margin, 2)})


def mono_turns(words: list[TaggedWord], signal: np.ndarray, turn_gap: float,
               chunk_gap: float = 0.3) -> RoleResult:
    """Split mono words into two voices, then name the voices from content."""
    chunks: list[list[TaggedWord]] = []
    for word in words:
        if (chunks and word.start - chunks[-1][-1].end < chunk_gap
                and word.segment is chunks[-1][-1].segment):
            chunks[-1].append(word)
        else:
            chunks.append([word])
    if not chunks:
        return RoleResult([], 0.0, "mono-voice-clustering")
    spans = [(c[0].start, c[-1].end) for c in chunks]
    sep = separate(signal, spans)
    labels = sep.labels
    scores = [0.0, 0.0]
    for chunk, label in zip(chunks, labels):
        scores[label] += cue_score("".join(w.text for w in chunk))
    scores[labels[0]] += FIRST_SPEAKER_PRIOR
    agent_label = 0 if scores[0] >= scores[1] else 1
    content_conf = _sigmoid(abs(scores[0] - scores[1]) / 2.0)  # 0.5 (no evidence) .. 1
    present = len(set(labels))
    separation = min(1.0, max(0.0, sep.silhouette / 0.4)) if present == 2 else 0.0
    confidence = round(min(content_conf, 0.5 + 0.5 * separation), 3)
    turns: list[Turn] = []
    for chunk, label in zip(chunks, labels):
        speaker = "agent" if label == agent_label else "customer"
        prev = turns[-1] if turns else None
        if prev and prev.speaker == speaker and chunk[0].start - prev.end < turn_gap:
            prev.words.extend(chunk)
        else:
            turns.append(Turn(0, list(chunk), speaker))
    method = "mono-voice-clustering" if present == 2 else "mono-single-speaker"
    return RoleResult(turns, confidence, method, {
        "silhouette": round(sep.silhouette, 3), "chunks": len(chunks),
        "cue_scores": {"agent": round(scores[agent_label], 2),
                       "customer": round(scores[1 - agent_label], 2)},
        "median_pitch_hz": {"agent": _round(sep.mean_pitch[agent_label]),
                            "customer": _round(sep.mean_pitch[1 - agent_label])},
    })


def _round(value: float | None) -> float | None:
    return None if value is None or not np.isfinite(value) else round(value, 1)


__all__ = ["RATE", "RoleResult", "TaggedWord", "Turn", "cue_score", "group_by_gap",
           "mono_turns", "stereo_turns", "tagged_words"]
