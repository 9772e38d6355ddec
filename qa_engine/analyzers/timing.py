"""Timing analyzers computed from utterance times alone (no audio needed).

``chat_timing`` measures how fast the agent answers in a chat; ``turn_taking`` finds silences
(dead air) and overtalk in a call transcript. Both leave their field as ``None`` when the
conversation has no times, so time-based rules report "not applicable" instead of passing.
"""

from __future__ import annotations

from bisect import bisect_left

from qa_engine.analyzers.base import BaseAnalyzer, register
from qa_engine.rules.operators import spoken_chars
from qa_engine.rules.schema import HOLD_PHRASES
from qa_engine.types import Channel, ChatTiming, Conversation, Gap, Speaker, TurnTaking, Utterance


def _timed(conversation: Conversation) -> bool:
    return bool(conversation.utterances) and all(u.start is not None for u in conversation.utterances)


@register("chat_timing")
class ChatTimingAnalyzer(BaseAnalyzer):
    name = "chat_timing"
    assigns = ("analysis.timing",)

    def analyze(self, conversation: Conversation) -> None:
        if conversation.channel != Channel.chat or not _timed(conversation):
            return
        conversation.analysis.timing = chat_timing(conversation.utterances)


def chat_timing(utterances: list[Utterance]) -> ChatTiming:
    """Response delay = first unanswered customer message -> next agent message.

    A burst of customer messages waits from its first message: that is what the customer felt.
    """
    delays: list[tuple[float, int, int]] = []
    waiting: list[int] = []
    for u in sorted(utterances, key=lambda u: (u.start, u.index)):
        if u.speaker == Speaker.customer:
            waiting.append(u.index)
        elif u.speaker == Speaker.agent and waiting:
            first = utterances[waiting[0]]
            delays.append((max(0.0, u.start - first.start), first.index, u.index))
            waiting = []
    timing = ChatTiming(unanswered_customer=waiting)
    if delays:
        first_delay = delays[0]
        timing.first_response = round(first_delay[0], 3)
        timing.first_response_utterances = [first_delay[1], first_delay[2]]
        timing.average_response = round(sum(d for d, _, _ in delays) / len(delays), 3)
        worst = max(delays, key=lambda d: d[0])
        timing.max_response_gap = round(worst[0], 3)
        timing.max_response_gap_utterances = [worst[1], worst[2]]
    return timing


@register("turn_taking")
class TurnTakingAnalyzer(BaseAnalyzer):
    name = "turn_taking"
    assigns = ("analysis.turns",)

    def analyze(self, conversation: Conversation) -> None:
        if conversation.channel != Channel.call or not _timed(conversation):
            return
        if any(u.end is None for u in conversation.utterances):
            return
        conversation.analysis.turns = turn_taking(conversation.utterances)


def turn_taking(utterances: list[Utterance]) -> TurnTaking:
    spoken = [u for u in utterances if not u.suspect]
    ordered = sorted(spoken, key=lambda u: (u.start, u.index))
    silences: list[Gap] = []
    last: Utterance | None = None
    for u in ordered:
        if last is not None and u.start > last.end:
            expected = Speaker.agent if last.speaker == Speaker.customer else Speaker.customer
            exempt = last.speaker == Speaker.agent and any(p in last.text for p in HOLD_PHRASES)
            silences.append(Gap(kind="silence", start=last.end, end=u.start, before_utterance=last.index,
                                after_utterance=u.index, expected_speaker=expected, exempt=exempt))
        if last is None or u.end >= last.end:
            last = u

    customers = [u for u in ordered if u.speaker == Speaker.customer]
    customer_starts = [u.start for u in customers]
    overtalks: list[Gap] = []
    for a in (u for u in ordered if u.speaker == Speaker.agent):
        # customer turns rarely overlap each other, so the few starting just before are enough
        position = bisect_left(customer_starts, a.start)
        for c in reversed(customers[max(0, position - 3): position]):
            if c.start < a.start < c.end:
                overtalks.append(Gap(kind="overtalk", start=a.start, end=min(a.end, c.end),
                                     before_utterance=c.index, after_utterance=a.index))
                break

    def talk(speaker: Speaker) -> float:
        return round(sum(u.duration or 0.0 for u in spoken if u.speaker == speaker), 3)

    agent_seconds = talk(Speaker.agent)
    agent_chars = sum(spoken_chars(u.text) for u in spoken if u.speaker == Speaker.agent)
    return TurnTaking(
        silences=silences, overtalks=overtalks,
        agent_talk_seconds=agent_seconds, customer_talk_seconds=talk(Speaker.customer),
        agent_chars_per_minute=round(agent_chars / agent_seconds * 60, 1) if agent_seconds else None,
    )
