"""Cost per unit (CPU) per UTC day, ISO week (Monday–Sunday) and calendar month.

CPU = allocated cost ÷ units for the period. With zero units the CPU is undefined
(None) and, if money was spent, the period carries the flag "cost with zero units":
nothing is ever divided by zero. A period that has not ended by `today` is flagged
"partial period" (today's billing is still arriving).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from itertools import repeat
from typing import Iterator, Mapping, Optional, Sequence, TypeVar

from .money import ZERO
from .periods import month_key, week_label, week_start

FLAG_ZERO_UNITS = "cost with zero units"
FLAG_PARTIAL = "partial period"
Flags = tuple[str, ...]
_NO_FLAGS: Flags = ()
_ZERO_UNITS: Flags = (FLAG_ZERO_UNITS,)
_PARTIAL: Flags = (FLAG_PARTIAL,)
_BOTH: Flags = (FLAG_ZERO_UNITS, FLAG_PARTIAL)

_P = TypeVar("_P", date, str)  # a period's key: its Monday, or its month "YYYY-MM"


def cost_per_unit(cost: Decimal, units: int) -> Optional[Decimal]:
    return cost / units if units else None


def _flags(cost: Decimal, units: int, partial: bool) -> Flags:
    zero = not units and cost != 0
    if zero:
        return _BOTH if partial else _ZERO_UNITS
    return _PARTIAL if partial else _NO_FLAGS


@dataclass(frozen=True)
class UnitCost:
    """One row of the Unit costs tab."""

    use_case: str
    period: str  # day | week | month
    start: date
    label: str  # 2024-03-05 | 2024-W10 | 2024-03
    cost: Decimal
    units: int
    cpu: Optional[Decimal]
    flags: Flags


@dataclass(frozen=True)
class UnitCostSeries:
    """One use case's periods of one kind, as parallel tuples (cheap for 400 days × 500 use cases)."""

    use_case: str
    period: str
    starts: tuple[date, ...]
    labels: tuple[str, ...]
    costs: tuple[Decimal, ...]
    units: tuple[int, ...]
    cpus: tuple[Optional[Decimal], ...]
    flags: tuple[Flags, ...]

    def rows(self) -> Iterator[UnitCost]:
        for i in range(len(self.starts)):
            yield self._row(i)

    def _row(self, i: int) -> UnitCost:
        return UnitCost(
            self.use_case,
            self.period,
            self.starts[i],
            self.labels[i],
            self.costs[i],
            self.units[i],
            self.cpus[i],
            self.flags[i],
        )

    def get(self, start: date) -> Optional[UnitCost]:
        """The period starting on `start` (a day, a Monday or a 1st), if in the series."""
        if not self.starts or start < self.starts[0] or start > self.starts[-1]:
            return None
        if self.period == "day":
            i = (start - self.starts[0]).days  # days are dense
        else:
            found = next((j for j, s in enumerate(self.starts) if s == start), None)
            if found is None:
                return None
            i = found
        return self._row(i)


@dataclass(frozen=True)
class UseCaseUnitCosts:
    use_case: str
    days: UnitCostSeries
    weeks: UnitCostSeries
    months: UnitCostSeries


class Calendar:
    """Day, week and month keys for every day of the run's range, computed once and shared."""

    def __init__(self, first: date, last: date):
        self.first = first
        n = (last - first).days + 1
        self.days = [first + timedelta(days=i) for i in range(n)]
        self.weeks = [week_start(d) for d in self.days]
        self.months = [month_key(d) for d in self.days]
        self.day_labels = [d.isoformat() for d in self.days]
        self.week_bounds = self._bounds(self.weeks)
        self.month_bounds = self._bounds(self.months)
        self.week_labels = {b[0]: week_label(b[0]) for b in self.week_bounds}
        self.month_starts = {b[0]: self.days[b[1]].replace(day=1) for b in self.month_bounds}

    @staticmethod
    def _bounds(keys: Sequence[_P]) -> list[tuple[_P, int, int]]:
        """[(period key, first index, end index)] for consecutive runs of the same key."""
        bounds: list[tuple[_P, int, int]] = []
        for i, key in enumerate(keys):
            if bounds and bounds[-1][0] == key:
                continue
            if bounds:
                bounds[-1] = (bounds[-1][0], bounds[-1][1], i)
            bounds.append((key, i, len(keys)))
        return bounds

    def index(self, day: date) -> int:
        return (day - self.first).days


@dataclass
class DailySeries:
    """A use case's dense daily cost and units from its first day to the end of the range."""

    first_index: int  # into the Calendar
    costs: list[Decimal]
    units: list[int]
    cpus: list[Optional[Decimal]]  # None on a day without units


def dense_series(
    cal: Calendar, cost_by_day: Mapping[date, Decimal], units_by_day: Mapping[date, int], first: date
) -> DailySeries:
    start = cal.index(first)
    days = cal.days[start:]
    costs = list(map(cost_by_day.get, days, repeat(ZERO, len(days))))  # map runs in C
    units = list(map(units_by_day.get, days, repeat(0, len(days))))
    cpus = [c / u if u else None for c, u in zip(costs, units, strict=True)]  # both one a day
    return DailySeries(start, costs, units, cpus)


def period_totals(bounds: Sequence[tuple[_P, int, int]], series: DailySeries) -> dict[_P, tuple[Decimal, int]]:
    """Sum a dense daily series into periods (Calendar.week_bounds or month_bounds):
    key (Monday or month) -> (cost, units). Slices are summed in C, not day by day."""
    totals: dict[_P, tuple[Decimal, int]] = {}
    offset = series.first_index
    costs, units = series.costs, series.units
    for key, start, end in bounds:
        if end <= offset:
            continue
        a, b = max(start - offset, 0), end - offset
        totals[key] = (sum(costs[a:b], ZERO), sum(units[a:b]))
    return totals


def unit_costs(
    use_case: str,
    cal: Calendar,
    series: DailySeries,
    weeks: Mapping[date, tuple[Decimal, int]],
    months: Mapping[str, tuple[Decimal, int]],
    today: date,
) -> UseCaseUnitCosts:
    offset = series.first_index
    today_index = cal.index(today)
    day_flags = [_NO_FLAGS] * len(series.costs)
    costs = series.costs
    for i in [i for i, u in enumerate(series.units) if not u]:
        if costs[i] != 0:
            day_flags[i] = _ZERO_UNITS
    for i in range(max(today_index - offset, 0), len(day_flags)):
        day_flags[i] = _flags(costs[i], series.units[i], True)
    days = UnitCostSeries(
        use_case,
        "day",
        tuple(cal.days[offset:]),
        tuple(cal.day_labels[offset:]),
        tuple(series.costs),
        tuple(series.units),
        tuple(series.cpus),
        tuple(day_flags),
    )
    week_keys = sorted(weeks)
    week_partial_from = week_start(today)  # the current week (and any later) is partial
    weeks_series = UnitCostSeries(
        use_case,
        "week",
        tuple(week_keys),
        tuple(cal.week_labels.get(k) or week_label(k) for k in week_keys),
        tuple(weeks[k][0] for k in week_keys),
        tuple(weeks[k][1] for k in week_keys),
        tuple(cost_per_unit(*weeks[k]) for k in week_keys),
        tuple(_flags(weeks[k][0], weeks[k][1], k >= week_partial_from) for k in week_keys),
    )
    month_keys = sorted(months)
    current = month_key(today)
    months_series = UnitCostSeries(
        use_case,
        "month",
        tuple(cal.month_starts[k] for k in month_keys),
        tuple(month_keys),
        tuple(months[k][0] for k in month_keys),
        tuple(months[k][1] for k in month_keys),
        tuple(cost_per_unit(*months[k]) for k in month_keys),
        tuple(_flags(months[k][0], months[k][1], k >= current) for k in month_keys),
    )
    return UseCaseUnitCosts(use_case, days, weeks_series, months_series)
