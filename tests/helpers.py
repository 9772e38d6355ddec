"""Small builders shared by tests: conversations from compact lines."""

from __future__ import annotations

from qa_engine.text import normalize_text
from qa_engine.types import Channel, Conversation, Speaker, Utterance

_TAGS = {"坐席": Speaker.agent, "客户": Speaker.customer, "A": Speaker.agent, "C": Speaker.customer}


def conversation(*lines, channel: str = "chat", id: str = "t1", metadata: dict | None = None, **fields) -> Conversation:
    """Lines are "坐席：text" / "客户：text" strings or (speaker, text, start, end) tuples."""
    utterances = []
    for i, line in enumerate(lines):
        if isinstance(line, str):
            tag, text = line.replace(":", "：", 1).split("：", 1)
            speaker, start, end = _TAGS[tag], None, None
        else:
            speaker, text, start, end = line
            speaker = _TAGS.get(speaker, speaker)
            speaker = Speaker(speaker) if isinstance(speaker, str) else speaker
        utterances.append(Utterance(index=i, speaker=speaker, text=normalize_text(text), raw_text=text,
                                    start=start, end=end))
    return Conversation(id=id, channel=Channel(channel), utterances=utterances, metadata=metadata or {}, **fields)
