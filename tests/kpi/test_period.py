from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from qa_engine.kpi.period import PeriodError, parse_period

SH = ZoneInfo("Asia/Shanghai")


def local(*args) -> datetime:
    return datetime(*args, tzinfo=SH)


@pytest.mark.parametrize("text, kind, label, start, end", [
    ("2026-11", "month", "2026-11", local(2026, 11, 1), local(2026, 12, 1)),
    ("2026-12", "month", "2026-12", local(2026, 12, 1), local(2027, 1, 1)),
    ("2026-W45", "week", "2026-W45", local(2026, 11, 2), local(2026, 11, 9)),
    ("2026w1", "week", "2026-W01", local(2025, 12, 29), local(2026, 1, 5)),
    ("2026-W53", "week", "2026-W53", local(2026, 12, 28), local(2027, 1, 4)),  # 53-week year
    ("2026-Q4", "quarter", "2026-Q4", local(2026, 10, 1), local(2027, 1, 1)),
    ("2026-q1", "quarter", "2026-Q1", local(2026, 1, 1), local(2026, 4, 1)),
    ("2026", "year", "2026", local(2026, 1, 1), local(2027, 1, 1)),
    ("2026-11-03", "day", "2026-11-03", local(2026, 11, 3), local(2026, 11, 4)),
    ("2026-11-01..2026-11-15", "range", "2026-11-01..2026-11-15", local(2026, 11, 1), local(2026, 11, 16)),
    ("2026-10 ~ 2026-11", "range", "2026-10..2026-11", local(2026, 10, 1), local(2026, 12, 1)),
    ("2026-W44..2026-W45", "range", "2026-W44..2026-W45", local(2026, 10, 26), local(2026, 11, 9)),
])
def test_period_bounds(text, kind, label, start, end):
    period = parse_period(text, SH)
    assert (period.kind, period.label, period.start, period.end) == (kind, label, start, end)


def test_all_means_unbounded():
    for text in (None, "", "all", "全部"):
        period = parse_period(text, SH)
        assert not period.bounded and period.contains(datetime(1990, 1, 1, tzinfo=timezone.utc))


def test_month_boundary_uses_local_time_zone():
    nov = parse_period("2026-11", SH)
    # 16:30 UTC on 30 Nov is 00:30 on 1 Dec in Beijing: December, not November
    assert not nov.contains(datetime(2026, 11, 30, 16, 30, tzinfo=timezone.utc))
    assert nov.contains(datetime(2026, 11, 30, 15, 59, tzinfo=timezone.utc))
    # 31 Oct 16:00 UTC is 1 Nov 00:00 Beijing: the first instant of November (start inclusive)
    assert nov.contains(datetime(2026, 10, 31, 16, 0, tzinfo=timezone.utc))
    assert not nov.contains(datetime(2026, 10, 31, 15, 59, 59, tzinfo=timezone.utc))
    utc_nov = parse_period("2026-11", timezone.utc)
    assert utc_nov.contains(datetime(2026, 11, 30, 16, 30, tzinfo=timezone.utc))


@pytest.mark.parametrize("text, fragment", [
    ("2026-13", "month must be in 1..12"),
    ("2025-W53", "2025-W53"),  # 2025 has 52 ISO weeks
    ("2026-Q5", "not understood"),
    ("November", "not understood"),
    ("2026-11-15..2026-11-01", "ends before it starts"),
    ("2026-11..", "two ends"),
    ("2026-11-01T10:00", "not a period"),
])
def test_bad_periods(text, fragment):
    with pytest.raises(PeriodError) as info:
        parse_period(text, SH)
    assert fragment in str(info.value)
