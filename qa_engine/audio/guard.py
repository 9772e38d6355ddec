"""Hallucination guard: mark recognised text that is probably not what was said.

Whisper was trained on subtitled video, so on silence, hold music or line noise it tends to
write subtitle credits (字幕 by ..., 谢谢观看, 请不吝点赞订阅) or loop on one phrase. Such text
must never cost an agent points, so we mark it ``suspect`` (the rule engine skips suspect agent
speech) and lower the call's ASR confidence so the call goes to review instead. Each check is
cheap and explainable; reasons are kept so a reviewer sees *why* a span was doubted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from qa_engine.audio.decode import frame_dbfs
from qa_engine.audio.normalize import spoken_chars, to_simplified

# Text Whisper produces on non-speech (collected from its known Chinese failure modes). Matched
# on Simplified text with punctuation removed.
HALLUCINATION_PHRASES = (
    "字幕", "谢谢观看", "感谢观看", "谢谢收看", "感谢收看", "谢谢大家观看", "请不吝点赞", "点赞订阅",
    "订阅转发", "打赏支持", "明镜与点点栏目", "请订阅", "欢迎订阅", "订阅我的频道", "下集再见",
    "下期再见", "我们下期见", "优优独播剧场", "YoYo Television Series Exclusive",
    "Amara.org", "由Amara", "字幕组", "中文字幕", "李宗盛", "本字幕", "索兰娅", "MING PAO",
    "请不吝", "谢谢大家观看", "以上言论不代表本台立场", "作词", "作曲", "编曲", "词曲",
    "感谢您的收看", "本期节目",
)
_NON_SPOKEN = re.compile(r"[\s\W_]+", re.UNICODE)
_REPEAT = re.compile(r"(.{2,12}?)\1{3,}")  # a 2-12 char unit said 4+ times in a row
_REPEAT_CHAR = re.compile(r"(.)\1{7,}")  # one character 8+ times (嗯嗯 is fine, 嗯x8 is a loop)


def _bare(text: str) -> str:
    return _NON_SPOKEN.sub("", to_simplified(text)).lower()


_BARE_PHRASES = tuple(sorted({_bare(p) for p in HALLUCINATION_PHRASES}, key=len, reverse=True))


def phrase_coverage(text: str) -> float:
    """Share of the spoken characters covered by known hallucination phrases (0..1)."""
    bare = _bare(text)
    if not bare:
        return 0.0
    covered = np.zeros(len(bare), dtype=bool)
    for phrase in _BARE_PHRASES:
        for m in re.finditer(re.escape(phrase), bare):
            covered[m.start():m.end()] = True
    return float(covered.mean())


def repetition(text: str) -> str | None:
    """The looping unit if the text repeats itself the way decoding loops do, else None."""
    bare = _bare(text)
    for pattern in (_REPEAT_CHAR, _REPEAT):
        m = pattern.search(bare)
        if m and (m.end() - m.start()) >= 0.5 * len(bare):
            return m.group(1)
    return None


@dataclass
class GuardVerdict:
    suspect: bool
    reasons: list[str] = field(default_factory=list)


@dataclass
class GuardThresholds:
    no_speech_prob: float = 0.6
    avg_logprob: float = -1.0
    compression_ratio: float = 2.4
    min_word_probability: float = 0.35  # mean word probability below this: a guess
    silence_dbfs: float = -50.0  # the span's audio is quieter than this: text over silence
    below_speech_db: float = 30.0  # ...or this far below the channel's typical speech level
    phrase_coverage: float = 0.5


def check_span(text: str, *, avg_logprob: float, no_speech_prob: float,
               compression_ratio: float, word_probabilities: list[float],
               span_audio: np.ndarray | None, channel_speech_dbfs: float | None,
               thresholds: GuardThresholds | None = None) -> GuardVerdict:
    """Judge one utterance; every reason that applies is listed."""
    t = thresholds or GuardThresholds()
    reasons: list[str] = []
    coverage = phrase_coverage(text)
    if coverage >= t.phrase_coverage:
        reasons.append(f"known hallucination phrase ({coverage:.0%} of text)")
    unit = repetition(text)
    if unit is not None:
        reasons.append(f"repetition loop ({unit!r} repeated)")
    if compression_ratio > t.compression_ratio:
        reasons.append(f"compression ratio {compression_ratio:.1f} > {t.compression_ratio}")
    if no_speech_prob > t.no_speech_prob and avg_logprob < t.avg_logprob:
        # Whisper's own silence rule: it thinks there is no speech and is unsure of the text.
        reasons.append(f"no_speech_prob {no_speech_prob:.2f} with avg_logprob {avg_logprob:.2f}")
    elif avg_logprob < t.avg_logprob - 0.5:
        reasons.append(f"avg_logprob {avg_logprob:.2f} very low")
    if word_probabilities and spoken_chars(text) >= 2:
        mean_p = float(np.mean(word_probabilities))
        if mean_p < t.min_word_probability:
            reasons.append(f"mean word probability {mean_p:.2f}")
    if span_audio is not None and span_audio.size:
        level = float(np.percentile(frame_dbfs(span_audio), 90))  # the span's loud part
        if level < t.silence_dbfs:
            reasons.append(f"audio under the text is silent ({level:.0f} dBFS)")
        elif channel_speech_dbfs is not None and level < channel_speech_dbfs - t.below_speech_db:
            reasons.append(f"audio {channel_speech_dbfs - level:.0f} dB below this speaker's speech")
    return GuardVerdict(suspect=bool(reasons), reasons=reasons)


def speech_level(signal: np.ndarray, spans: list[tuple[float, float]], rate: int) -> float | None:
    """Typical loud-speech level (dBFS) of a channel, from the spans recognised on it."""
    levels = []
    for start, end in spans:
        piece = signal[int(start * rate):int(end * rate)]
        if piece.size:
            levels.append(frame_dbfs(piece))
    if not levels:
        return None
    return float(np.percentile(np.concatenate(levels), 75))
