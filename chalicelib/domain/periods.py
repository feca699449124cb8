"""Calendar periods: UTC days, ISO weeks (Monday to Sunday) and calendar months."""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from typing import Iterable


def week_start(day: date) -> date:
    """The Monday of the ISO week holding `day`."""
    return day - timedelta(days=day.weekday())


def week_label(monday: date) -> str:
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


def month_key(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def month_first_day(month: str) -> date:
    """'2024-02' -> date(2024, 2, 1); raises ValueError on anything else."""
    year, _, mon = month.partition("-")
    if len(year) != 4 or len(mon) != 2:
        raise ValueError(f"month must look like YYYY-MM, got {month!r}")
    return date(int(year), int(mon), 1)


def days_in_month(day: date) -> int:
    return calendar.monthrange(day.year, day.month)[1]


def month_last_day(day: date) -> date:
    return day.replace(day=days_in_month(day))


def next_month_first_day(day: date) -> date:
    return month_last_day(day) + timedelta(days=1)


def previous_month(day: date) -> str:
    return month_key(day.replace(day=1) - timedelta(days=1))


def _month_number(day: date) -> int:
    return day.year * 12 + day.month - 1  # months since January of year 0


def _month_named(number: int) -> str:
    return f"{number // 12:04d}-{number % 12 + 1:02d}"


def months_back(today: date, n: int) -> list[str]:
    """The `n` months up to and including `today`'s, oldest first: 2026-11-30 and 3 give
    ["2026-09", "2026-10", "2026-11"]; 0 gives []."""
    this_month = _month_number(today)
    return [_month_named(m) for m in range(this_month - n + 1, this_month + 1)]


def months_between(first: date, last: date) -> list[str]:
    """The months from `first`'s to `last`'s, both included, oldest first ([] when last's is earlier)."""
    return [_month_named(m) for m in range(_month_number(first), _month_number(last) + 1)]


def months_of(days: Iterable[date]) -> list[str]:
    """The months `days` fall in, each once, oldest first."""
    return sorted({month_key(day) for day in days})


def quarter_label(day: date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def quarter_first_day(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
