"""Turn rule hits into a scorecard: a waterfall anyone can follow from 100 down to the score.

Each dimension owns ``weight`` points; its items deduct from them (never below zero, never more
than the item's cap). Dimensions whose items are all N/A leave the total, which is rescaled over
the applicable weight. Bonuses are added after, up to ``max_bonus``; the total is clipped to
0–100. Any veto hit (一票否决) sets the score to ``veto_score`` and the grade to ``veto_grade``.
"""

from __future__ import annotations

from qa_engine.rules.engine import RuleEvaluation
from qa_engine.rules.operators import eval_metadata
from qa_engine.scoring.scorecard import Item, NotApplicableWhen, Scorecard
from qa_engine.types import Bonus, Conversation, Deduction, DimensionScore, Flag, Hit

_STAGES = ["normal", "fluctuating", "agitated", "angry"]


class ScoreOutcome:
    def __init__(self) -> None:
        self.score = 100.0
        self.veto = False
        self.grade = ""
        self.passed = False
        self.dimensions: list[DimensionScore] = []
        self.deductions: list[Deduction] = []
        self.bonuses: list[Bonus] = []
        self.compliance_score: float | None = None
        self.flags: list[Flag] = []


def _not_applicable(test: NotApplicableWhen | None, conversation: Conversation) -> str | None:
    if test is None:
        return None
    if test.utterances_below and len(conversation.utterances) < test.utterances_below:
        return f"fewer than {test.utterances_below} utterances"
    if test.duration_below and conversation.duration is not None and conversation.duration < test.duration_below:
        return f"shorter than {test.duration_below:g}s"
    if conversation.channel.value in test.channels:
        return f"not scored on {conversation.channel.value}"
    if test.metadata and eval_metadata(test.metadata, conversation).matched:
        return f"metadata {test.metadata.field}"
    return None


def _item_deduction(item: Item, dimension: str, hits: list[Hit]) -> Deduction | None:
    if not hits or not (item.deduction or item.escalation or item.veto):
        return None
    steps = []
    for n in range(len(hits)):
        if item.escalation:
            steps.append(item.escalation[min(n, len(item.escalation) - 1)])
        else:
            steps.append(item.deduction)
    raw = sum(steps)
    points = min(raw, item.cap) if item.cap is not None else raw
    note = "+".join(f"{s:g}" for s in steps)
    if points < raw:
        note += f"，封顶 {points:g}"
    return Deduction(item_id=item.item_id, rule_id=item.rule, dimension=dimension, points=points,
                     hit_ids=[h.id for h in hits], veto=item.veto, capped=points < raw, note=note)


def score(conversation: Conversation, evaluation: RuleEvaluation, card: Scorecard) -> ScoreOutcome:
    out = ScoreOutcome()
    hits_by_rule: dict[str, list[Hit]] = {}
    for hit in evaluation.hits:
        hits_by_rule.setdefault(hit.rule_id, []).append(hit)
    status = {s.rule_id: s for s in evaluation.statuses}

    compliance_checked = compliance_passed = 0
    kept = applicable_weight = 0.0
    veto_hits: list[str] = []
    bonus_total = 0.0
    for dim in card.dimensions:
        deducted = 0.0
        applicable_items = 0
        for item in dim.items:
            rule_status = status.get(item.rule)
            if rule_status is None or not rule_status.applicable or _not_applicable(item.not_applicable, conversation):
                continue
            applicable_items += 1
            hits = hits_by_rule.get(item.rule, [])
            if item.bonus:
                if hits:
                    out.bonuses.append(Bonus(item_id=item.item_id, rule_id=item.rule, points=item.bonus,
                                             hit_ids=[h.id for h in hits]))
                    bonus_total += item.bonus
                continue
            if item.counts_for_compliance:
                compliance_checked += 1
                compliance_passed += not hits
            deduction = _item_deduction(item, dim.id, hits)
            if deduction:
                out.deductions.append(deduction)
                deducted += deduction.points
                if item.veto:
                    veto_hits += deduction.hit_ids
        applicable = applicable_items > 0
        dim_score = max(0.0, dim.weight - deducted)
        out.dimensions.append(DimensionScore(id=dim.id, name=dim.name, weight=dim.weight,
                                             score=round(dim_score, 2), deducted=round(min(deducted, dim.weight), 2),
                                             applicable=applicable))
        if applicable:
            kept += dim_score
            applicable_weight += dim.weight

    total = kept / applicable_weight * 100 if applicable_weight else 100.0
    total += min(bonus_total, card.max_bonus)
    out.score = round(min(100.0, max(0.0, total)), 2)
    out.veto = bool(veto_hits)
    if out.veto:
        out.score = card.veto_score
        out.grade = card.veto_grade
    else:
        out.grade = card.grade_for(out.score)
    out.passed = not out.veto and out.score >= card.pass_score
    if compliance_checked:
        out.compliance_score = round(compliance_passed / compliance_checked * 100, 2)
    out.flags = _flags(conversation, card, out, hits_by_rule, veto_hits)
    return out


def _flags(conversation: Conversation, card: Scorecard, out: ScoreOutcome,
           hits_by_rule: dict[str, list[Hit]], veto_hits: list[str]) -> list[Flag]:
    review = card.review
    flags: list[Flag] = []
    if not any(u.text.strip() for u in conversation.utterances):
        # an abandoned chat or a silent call: nothing was checked, so 100 means nothing
        flags.append(Flag(code="empty", reason="会话没有任何发言内容，无法质检"))
    if veto_hits:
        flags.append(Flag(code="veto", reason="一票否决项命中", hit_ids=veto_hits))
    if review.score_below is not None and out.score < review.score_below and not veto_hits:
        flags.append(Flag(code="low_score", reason=f"质检分 {out.score:g} 低于 {review.score_below:g}"))
    for rule_id, code in review.flag_rules.items():
        hits = hits_by_rule.get(rule_id)
        if hits:
            flags.append(Flag(code=code, reason=hits[0].rule_name, hit_ids=[h.id for h in hits]))
    asr = conversation.analysis.asr_confidence
    if review.asr_confidence_below is not None and asr is not None and asr < review.asr_confidence_below:
        flags.append(Flag(code="low_asr_confidence", reason=f"转写置信度 {asr:.2f} 偏低，机检结果需人工复核"))
    emotion = conversation.analysis.emotion_index
    if review.emotion_stage_at_least and emotion is not None and \
            _STAGES.index(emotion.stage) >= _STAGES.index(review.emotion_stage_at_least):
        flags.append(Flag(code="customer_agitated", reason=f"客户情绪阶段：{emotion.stage}"))
    for reason in conversation.analysis.extra.get("needs_review_reasons", []):
        flags.append(Flag(code="analysis", reason=str(reason)))
    return flags
