"""Small inline-SVG charts (line with marked points, radar, waterfall) for pages and PDFs.

Inline SVG instead of matplotlib PNGs: text stays text (Chinese labels render with the page's
CJK font, are selectable and come out as real text in Chromium's PDF), the charts scale with the
page, and there is no plotting dependency at runtime. Every label is XML-escaped here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

FONT = "'Noto Sans CJK SC','Noto Sans SC','Source Han Sans SC','Microsoft YaHei',sans-serif"


def _n(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    label: str = ""  # tooltip
    marked: bool = False  # drawn as a larger red dot (e.g. an emotion peak)
    data: dict | None = None  # extra data-* attributes (e.g. data-start for seeking)


def line_chart(points: Sequence[Point], *, width: int = 640, height: int = 180, y_min: float = 0.0,
               y_max: float = 100.0, x_label: str = "", y_label: str = "", target: float | None = None,
               target_label: str = "", x_ticks: Sequence[tuple[float, str]] = (), css_class: str = "chart") -> str:
    """A polyline over ``points`` with optional horizontal target line; marked points are circles
    with ``data-*`` attributes so page scripts can make them clickable."""
    left, right, top, bottom = 40, 12, 12, 28
    pw, ph = width - left - right, height - top - bottom
    xs = [p.x for p in points] or [0.0, 1.0]
    x0, x1 = min(xs), max(xs)
    if x1 - x0 < 1e-9:
        x1 = x0 + 1.0

    def sx(x: float) -> float:
        return left + (x - x0) / (x1 - x0) * pw

    def sy(y: float) -> float:
        y = min(max(y, y_min), y_max)
        return top + (1 - (y - y_min) / (y_max - y_min)) * ph

    out = [f'<svg class="{escape(css_class)}" viewBox="0 0 {width} {height}" role="img" '
           f'xmlns="http://www.w3.org/2000/svg" font-family="{FONT}" font-size="11">']
    if y_label:
        out.append(f"<title>{escape(y_label)}</title>")
    for frac in (0.0, 0.25, 0.5, 0.75, 1.0):
        value = y_min + frac * (y_max - y_min)
        y = sy(value)
        out.append(f'<line x1="{left}" y1="{_n(y)}" x2="{width - right}" y2="{_n(y)}" stroke="#e5e7eb"/>')
        out.append(f'<text x="{left - 4}" y="{_n(y + 4)}" text-anchor="end" fill="#6b7280">{_n(value)}</text>')
    for x, text in x_ticks:
        # ticks at the ends are anchored inwards so their text is not cut off by the frame
        anchor = "start" if sx(x) - left < 20 else ("end" if width - right - sx(x) < 20 else "middle")
        out.append(f'<text x="{_n(sx(x))}" y="{height - 10}" text-anchor="{anchor}" fill="#6b7280">'
                   f"{escape(text)}</text>")
    if x_label:
        out.append(f'<text x="{width - right}" y="{height - 1}" text-anchor="end" fill="#9ca3af">{escape(x_label)}</text>')
    if target is not None:
        y = sy(target)
        out.append(f'<line class="target" x1="{left}" y1="{_n(y)}" x2="{width - right}" y2="{_n(y)}" '
                   f'stroke="#dc2626" stroke-dasharray="5 4"/>')
        if target_label:
            out.append(f'<text x="{width - right - 2}" y="{_n(y - 4)}" text-anchor="end" fill="#dc2626">'
                       f"{escape(target_label)}</text>")
    if points:
        path = " ".join(f"{_n(sx(p.x))},{_n(sy(p.y))}" for p in points)
        out.append(f'<polyline points="{path}" fill="none" stroke="#2563eb" stroke-width="2"/>')
    dots = len(points) <= 150  # dense curves (long calls) draw only the marked points as dots
    for p in points:
        if not (dots or p.marked):
            continue
        attrs = "".join(f' data-{escape(k)}="{escape(str(v))}"' for k, v in (p.data or {}).items())
        r, fill, cls = (5, "#dc2626", "pt peak") if p.marked else (2.5, "#2563eb", "pt")
        out.append(f'<circle class="{cls}" cx="{_n(sx(p.x))}" cy="{_n(sy(p.y))}" r="{r}" fill="{fill}"{attrs}>'
                   f"<title>{escape(p.label)}</title></circle>")
    out.append("</svg>")
    return "".join(out)


def radar(axes: Sequence[tuple[str, float | None]], *, size: int = 260, maximum: float = 100.0,
          css_class: str = "radar") -> str:
    """Radar (spider) chart of 0..maximum values; an axis with None is drawn at 0 and labelled N/A."""
    n = len(axes)
    c = size / 2
    radius = size / 2 - 46
    pad = 44  # room left and right for four-character Chinese labels beside the side axes
    out = [f'<svg class="{escape(css_class)}" viewBox="{-pad} 0 {size + 2 * pad} {size}" role="img" '
           f'xmlns="http://www.w3.org/2000/svg" font-family="{FONT}" font-size="13">']

    def at(i: int, frac: float) -> tuple[float, float]:
        angle = -math.pi / 2 + 2 * math.pi * i / n
        return c + math.cos(angle) * radius * frac, c + math.sin(angle) * radius * frac

    for ring in (0.25, 0.5, 0.75, 1.0):
        pts = " ".join(f"{_n(x)},{_n(y)}" for x, y in (at(i, ring) for i in range(n)))
        out.append(f'<polygon points="{pts}" fill="none" stroke="#e5e7eb"/>')
    for i, (name, value) in enumerate(axes):
        x, y = at(i, 1.0)
        out.append(f'<line x1="{_n(c)}" y1="{_n(c)}" x2="{_n(x)}" y2="{_n(y)}" stroke="#e5e7eb"/>')
        lx, ly = at(i, 1.22)
        anchor = "middle" if abs(lx - c) < 5 else ("start" if lx > c else "end")
        shown = "N/A" if value is None else _n(value)
        out.append(f'<text x="{_n(lx)}" y="{_n(ly)}" text-anchor="{anchor}" fill="#374151">{escape(name)}'
                   f'<tspan x="{_n(lx)}" dy="14" fill="#6b7280">{shown}</tspan></text>')
    pts = " ".join(f"{_n(x)},{_n(y)}" for x, y in
                   (at(i, max(0.0, min(1.0, (v or 0.0) / maximum))) for i, (_, v) in enumerate(axes)))
    out.append(f'<polygon class="area" points="{pts}" fill="rgba(37,99,235,.25)" stroke="#2563eb" stroke-width="2"/>')
    out.append("</svg>")
    return "".join(out)


def waterfall(start: float, steps: Sequence[tuple[str, float, dict | None]], final: float, *, width: int = 640,
              bar: int = 22, css_class: str = "waterfall") -> str:
    """Horizontal waterfall: the full score, one bar per deduction (``(label, -points, data)``)
    and the final score. Bars are rows so long Chinese rule names fit on the left."""
    label_w, right = 220, 50
    pw = width - label_w - right
    rows = [("满分", start, None, "total")] + [(lbl, d, data, "step") for lbl, d, data in steps] + \
           [("最终得分", final, None, "total")]
    height = len(rows) * (bar + 6) + 8
    out = [f'<svg class="{escape(css_class)}" viewBox="0 0 {width} {height}" role="img" '
           f'xmlns="http://www.w3.org/2000/svg" font-family="{FONT}" font-size="12">']
    scale = pw / max(start, 1e-9)
    level = start
    for r, (label, value, data, kind) in enumerate(rows):
        y = 4 + r * (bar + 6)
        attrs = "".join(f' data-{escape(k)}="{escape(str(v))}"' for k, v in (data or {}).items())
        short = label if len(label) <= 16 else label[:15] + "…"
        out.append(f'<text x="{label_w - 6}" y="{y + bar - 6}" text-anchor="end" fill="#374151">'
                   f"<title>{escape(label)}</title>{escape(short)}</text>")
        if kind == "total":
            x0, w, fill, text = label_w, value * scale, "#2563eb", _n(value)
        else:
            new = max(0.0, level + value)
            x0, w, fill, text = label_w + new * scale, (level - new) * scale, "#dc2626", _n(value)
            level = new
        out.append(f'<rect class="{kind}" x="{_n(x0)}" y="{y}" width="{_n(max(w, 1.0))}" height="{bar}" '
                   f'fill="{fill}" rx="2"{attrs}/>')
        out.append(f'<text x="{_n(x0 + max(w, 1.0) + 4)}" y="{y + bar - 6}" fill="#111827">{text}</text>')
    out.append("</svg>")
    return "".join(out)


def bars(items: Sequence[tuple[str, float | None]], *, maximum: float, width: int = 640, target: float | None = None,
         fmt: str = "{:.1f}", css_class: str = "bars") -> str:
    """Horizontal bars (e.g. negative share per agent) with an optional target line."""
    label_w, right, bar = 90, 60, 18
    pw = width - label_w - right
    height = len(items) * (bar + 6) + 8
    out = [f'<svg class="{escape(css_class)}" viewBox="0 0 {width} {height}" role="img" '
           f'xmlns="http://www.w3.org/2000/svg" font-family="{FONT}" font-size="12">']
    for r, (label, value) in enumerate(items):
        y = 4 + r * (bar + 6)
        w = 0.0 if value is None else min(value, maximum) / maximum * pw
        over = target is not None and value is not None and value > target
        out.append(f'<text x="{label_w - 6}" y="{y + bar - 4}" text-anchor="end" fill="#374151">{escape(label)}</text>')
        out.append(f'<rect x="{label_w}" y="{y}" width="{_n(max(w, 1.0))}" height="{bar}" rx="2" '
                   f'fill="{"#dc2626" if over else "#16a34a"}"/>')
        shown = "N/A" if value is None else fmt.format(value)
        out.append(f'<text x="{_n(label_w + max(w, 1.0) + 4)}" y="{y + bar - 4}" fill="#111827">{shown}</text>')
    if target is not None:
        x = label_w + min(target, maximum) / maximum * pw
        out.append(f'<line x1="{_n(x)}" y1="0" x2="{_n(x)}" y2="{height}" stroke="#dc2626" stroke-dasharray="4 3"/>')
    out.append("</svg>")
    return "".join(out)
