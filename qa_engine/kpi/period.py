"""Reporting periods: ``2026-11``, ``2026-W45``, ``2026-Q4``, ``2026``, ``2026-11-03`` or a range.

A period is a half-open interval [start, end) of aware datetimes in the profile's time zone
(default Asia/Shanghai), because managers count months on the local calendar: a call logged at
16:30 UTC on 30 November began at 00:30 on 1 December in Beijing and belongs to December.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

FORMATS = "YYYY, YYYY-MM, YYYY-Www (ISO week), YYYY-Qn, YYYY-MM-DD, or a range A..B of those (inclusive)"


class PeriodError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Period:
    label: str
    kind: str  # all | year | quarter | month | week | day | instant | range
    start: datetime | None  # inclusive; None = unbounded
    end: datetime | None  # exclusive; None = unbounded

    def contains(self, when: datetime) -> bool:
        """``when`` must be aware (compute.py localises naive timestamps before asking)."""
        if self.start is not None and when < self.start:
            return False
        if self.end is not None and when >= self.end:
            return False
        return True

    @property
    def bounded(self) -> bool:
        return self.start is not None or self.end is not None


ALL = Period("全部", "all", None, None)

_YEAR = re.compile(r"^(\d{4})$")
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_WEEK = re.compile(r"^(\d{4})-?W(\d{1,2})$", re.IGNORECASE)
_QUARTER = re.compile(r"^(\d{4})-?Q([1-4])$", re.IGNORECASE)
_DAY = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_RANGE = re.compile(r"\s*(?:\.\.|~|～|至)\s*")


def _at(day: date, tz: tzinfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=tz)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _single(text: str, tz: tzinfo) -> Period:
    t = text.strip()
    try:
        if m := _YEAR.match(t):
            y = int(m[1])
            return Period(t, "year", _at(date(y, 1, 1), tz), _at(date(y + 1, 1, 1), tz))
        if m := _QUARTER.match(t):
            y, q = int(m[1]), int(m[2])
            first = date(y, 3 * q - 2, 1)
            return Period(f"{y}-Q{q}", "quarter", _at(first, tz), _at(_add_months(first, 3), tz))
        if m := _WEEK.match(t):
            y, w = int(m[1]), int(m[2])
            monday = date.fromisocalendar(y, w, 1)  # raises for W53 in 52-week years
            return Period(f"{y}-W{w:02d}", "week", _at(monday, tz), _at(monday + timedelta(days=7), tz))
        if m := _MONTH.match(t):
            first = date(int(m[1]), int(m[2]), 1)
            return Period(f"{first:%Y-%m}", "month", _at(first, tz), _at(_add_months(first, 1), tz))
        if m := _DAY.match(t):
            day = date(int(m[1]), int(m[2]), int(m[3]))
            return Period(day.isoformat(), "day", _at(day, tz), _at(day + timedelta(days=1), tz))
        if "T" in t or ":" in t:
            moment = datetime.fromisoformat(t)
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=tz)
            return Period(t, "instant", moment, moment)
    except ValueError as exc:
        raise PeriodError(f"period {text!r}: {exc}") from None
    raise PeriodError(f"period {text!r} not understood; use {FORMATS}")


def parse_period(text: str | None, tz: tzinfo) -> Period:
    """Parse a period label in time zone ``tz``; ``None``/``all``/``全部`` means no filter."""
    if text is None or text.strip().lower() in ("", "all", "全部"):
        return ALL
    parts = _RANGE.split(text.strip())
    if len(parts) == 1:
        single = _single(parts[0], tz)
        if single.kind == "instant":
            raise PeriodError(f"period {text!r}: a single instant is not a period; use A..B")
        return single
    if len(parts) != 2 or not parts[0] or not parts[1]:
        raise PeriodError(f"period {text!r}: a range needs exactly two ends, e.g. 2026-11-01..2026-11-15")
    left, right = _single(parts[0], tz), _single(parts[1], tz)
    # the right end is inclusive: "..2026-11-15" runs to the end of that day
    start, end = left.start, right.end
    if start is None or end is None or end <= start:
        raise PeriodError(f"period {text!r}: the range ends before it starts")
    return Period(f"{left.label}..{right.label}", "range", start, end)
