"""The conversation page's view model: utterances cut into plain and highlighted segments at the
hits' character spans, hits with their deductions, the score waterfall and the emotion curve."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from api.web.data import SEVERITY_CN, SEVERITY_ORDER
from qa_engine.reports import svg


@dataclass
class Segment:
    text: str
    hit_ids: list[str] = field(default_factory=list)
    severity: str | None = None  # the most severe hit covering this segment (for the colour)


@dataclass
class Line:
    index: int
    speaker: str
    start: float | None
    end: float | None
    segments: list[Segment]
    sentiment: str | None
    emotion: str | None
    hit_ids: list[str]


def _segments(text: str, spans: list[tuple[int, int, str, str]]) -> list[Segment]:
    """Split ``text`` at every span boundary so overlapping hits each stay visible."""
    if not spans:
        return [Segment(text)]
    cuts = sorted({0, len(text), *(max(0, min(len(text), s)) for s, _, _, _ in spans),
                   *(max(0, min(len(text), e)) for _, e, _, _ in spans)})
    out = []
    for a, b in zip(cuts, cuts[1:]):
        if a == b:
            continue
        covering = [(hid, sev) for s, e, hid, sev in spans if s <= a and b <= e]
        sev = min((sv for _, sv in covering), key=lambda v: SEVERITY_ORDER.get(v, 9), default=None)
        out.append(Segment(text[a:b], [h for h, _ in covering], sev))
    return out


def lines(result: dict[str, Any]) -> list[Line]:
    spans: dict[int, list[tuple[int, int, str, str]]] = {}
    hit_lines: dict[int, list[str]] = {}
    for hit in result.get("hits") or []:
        for sp in hit.get("spans") or []:
            spans.setdefault(sp["utterance"], []).append((sp["start_char"], sp["end_char"], hit["id"], hit["severity"]))
        for idx in hit.get("utterance_indices") or []:
            hit_lines.setdefault(idx, []).append(hit["id"])
    out = []
    for u in result.get("utterances") or []:
        out.append(Line(index=u["index"], speaker=u["speaker"], start=u.get("start"), end=u.get("end"),
                        segments=_segments(u.get("text", ""), spans.get(u["index"], [])),
                        sentiment=(u.get("sentiment") or {}).get("label"),
                        emotion=(u.get("emotion") or {}).get("label"), hit_ids=hit_lines.get(u["index"], [])))
    return out


def hits(result: dict[str, Any]) -> list[dict]:
    """Hits with their deduction points (a deduction shared by several hits is split evenly)."""
    points: dict[str, float] = {}
    veto: set[str] = set()
    for d in result.get("deductions") or []:
        ids = d.get("hit_ids") or []
        for hid in ids:
            points[hid] = points.get(hid, 0.0) + d["points"] / max(1, len(ids))
            if d.get("veto"):
                veto.add(hid)
    out = []
    for h in result.get("hits") or []:
        out.append({**h, "points": round(points[h["id"]], 2) if h["id"] in points else None, "veto": h["id"] in veto,
                    "severity_cn": SEVERITY_CN.get(h["severity"], h["severity"]),
                    "first_utterance": (h.get("utterance_indices") or [None])[0]})
    out.sort(key=lambda h: (h["first_utterance"] if h["first_utterance"] is not None else 1e9, h["id"]))
    return out


def waterfall(result: dict[str, Any], rule_names: dict[str, str]) -> str:
    steps = []
    for d in result.get("deductions") or []:
        if d["points"] <= 0:
            continue
        label = rule_names.get(d["rule_id"], d["rule_id"]) + ("（否决）" if d.get("veto") else "")
        steps.append((label, -d["points"], {"hits": " ".join(d.get("hit_ids") or [])}))
    for b in result.get("bonuses") or []:
        steps.append((rule_names.get(b["rule_id"], b["rule_id"]) + "（加分）", b["points"], None))
    return svg.waterfall(100.0, steps, result.get("score", 0.0))


def _calm(u: dict) -> float | None:
    """0..100, higher = calmer, from the sentiment probabilities (same direction as the index)."""
    if "calm" in u:  # already computed by page_view
        return u["calm"]
    probs = (u.get("sentiment") or {}).get("probabilities") or {}
    if not probs:
        return None
    return round(100 * (probs.get("positive", 0.0) + 0.5 * probs.get("neutral", 0.0)), 1)


def emotion_curve(result: dict[str, Any]) -> str | None:
    """Customer calm score per customer utterance over time; the index's peaks are marked and
    carry ``data-start`` so a click seeks the audio."""
    index = (result.get("analysis") or {}).get("emotion_index") or {}
    peaks = {p["utterance"] for p in index.get("peaks") or []}
    points = []
    for u in result.get("utterances") or []:
        if u["speaker"] != "customer":
            continue
        value = _calm(u)
        if value is None:
            continue
        x = u.get("start") if u.get("start") is not None else float(u["index"])
        label = f"#{u['index']} {value:g} {(u.get('emotion') or {}).get('label') or ''} {u.get('text', '')[:30]}"
        points.append(svg.Point(x, value, label, u["index"] in peaks,
                                {"start": u.get("start") if u.get("start") is not None else "", "utt": u["index"]}))
    if not points:
        return None
    points = _thin(points)
    x_max = points[-1].x
    ticks = [(points[0].x, _clock(points[0].x)), (x_max, _clock(x_max))]
    return svg.line_chart(points, x_label="时间", y_label="客户情绪（越高越平稳）", x_ticks=ticks, css_class="emotion-curve")


def _thin(points: list[svg.Point], limit: int = 240) -> list[svg.Point]:
    """A long call's curve averaged into at most ``limit`` time buckets (peaks always kept), so
    the SVG stays small and readable; short calls keep every point."""
    if len(points) <= limit:
        return points
    x0, x1 = points[0].x, points[-1].x
    width = (x1 - x0) / limit or 1.0
    buckets: dict[int, list[svg.Point]] = {}
    for p in points:
        buckets.setdefault(min(limit - 1, int((p.x - x0) / width)), []).append(p)
    out = []
    for _, members in sorted(buckets.items()):
        mean = sum(p.y for p in members) / len(members)
        out.append(svg.Point(members[0].x, round(mean, 1), f"{len(members)} 句平均 {mean:.0f}"))
        out.extend(p for p in members if p.marked)
    return sorted(out, key=lambda p: p.x)


def _clock(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


_HIT_KEYS = ("id", "rule_id", "rule_name", "severity", "mode", "utterance_indices", "spans", "start", "end",
             "matched_text", "explanation")


def page_view(result: dict[str, Any]) -> dict[str, Any]:
    """Only what the conversation page shows, before masking: the PII mask walks every string of
    what it is given, and words, raw text, acoustics and per-rule statuses (most of a long call's
    result) are never displayed. A one-hour call masks in ~1/4 of the time this way."""
    index = (result.get("analysis") or {}).get("emotion_index")
    return {
        "conversation_id": result.get("conversation_id"), "score": result.get("score"), "grade": result.get("grade"),
        "veto": result.get("veto"), "passed": result.get("passed"), "flags": result.get("flags") or [],
        "deductions": result.get("deductions") or [], "bonuses": result.get("bonuses") or [],
        "analysis": {"emotion_index": index},
        "hits": [{k: h.get(k) for k in _HIT_KEYS} for h in result.get("hits") or []],
        "utterances": [{"index": u["index"], "speaker": u["speaker"], "text": u.get("text", ""), "start": u.get("start"),
                        "end": u.get("end"), "calm": _calm(u),
                        "sentiment": {"label": (u.get("sentiment") or {}).get("label")},
                        "emotion": {"label": (u.get("emotion") or {}).get("label")}}
                       for u in result.get("utterances") or []],
    }
