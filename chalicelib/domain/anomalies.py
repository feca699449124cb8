"""Days running hot: cost or CPU more than 20 % above the trailing 28-day median.

For each complete day (before today) of a use case:
- the window is the `anomaly_window_days` (28) days before it, from the use case's
  first day of data; at least 7 days of history are needed before anything is judged;
- cost anomaly: cost > median × (1 + anomaly_ratio), strictly (exactly +20 % is not);
  the median includes zero-spend days;
- CPU anomaly: same test on daily CPU, over the window's days that have a CPU;
- retry storm: a cost anomaly while units stay within ±5 % (inclusive) of their
  trailing median (and that median is positive): more spend for the same work.
The window is kept sorted and slid one day at a time (bisect insert and delete), so
a use case costs O(days × window) element moves and O(days × log window) comparisons.
"""
from __future__ import annotations

from bisect import bisect_left, insort
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Optional

from .money import show_cpu, show_money, show_percent
from .organisation import Settings

MIN_HISTORY_DAYS = 7
_TWO = Decimal(2)


@dataclass(frozen=True)
class Anomaly:
    use_case: str
    day: date
    metric: str  # cost | cpu
    value: Decimal
    median: Decimal
    excess: Optional[Decimal]  # value / median - 1; None when the median is zero
    retry_storm: bool
    reason: str


def _median(sorted_values: list) -> Decimal:
    n = len(sorted_values)
    mid = n // 2
    if n % 2:
        return Decimal(sorted_values[mid])
    return (Decimal(sorted_values[mid - 1]) + Decimal(sorted_values[mid])) / _TWO


def _drop(sorted_values: list, value) -> None:
    del sorted_values[bisect_left(sorted_values, value)]


def detect(use_case: str, days: list, costs: list, units: list, cpus: list, stop: int,
           settings: Settings, unit_label: str = "unit") -> list:
    """Anomalies among days[0:stop] (stop = index of today: complete days only)."""
    window = settings.anomaly_window_days
    need = min(MIN_HISTORY_DAYS, window)
    factor = 1 + settings.anomaly_ratio
    band = settings.retry_storm_units_band
    currency = settings.currency
    cost_win: list = []
    unit_win: list = []
    cpu_win: list = []
    found = []
    for i in range(min(stop, len(costs))):
        if i:
            insort(cost_win, costs[i - 1])
            insort(unit_win, units[i - 1])
            if cpus[i - 1] is not None:
                insort(cpu_win, cpus[i - 1])
            j = i - window - 1
            if j >= 0:
                _drop(cost_win, costs[j])
                _drop(unit_win, units[j])
                if cpus[j] is not None:
                    _drop(cpu_win, cpus[j])
        if len(cost_win) < need:
            continue
        cost = costs[i]
        if cost > 0:
            median = _median(cost_win)
            if cost > median * factor:
                units_median = _median(unit_win)
                storm = units_median > 0 and abs(units[i] - units_median) <= band * units_median
                excess = cost / median - 1 if median else None
                how = f"{show_percent(excess)} above" if excess is not None else "above a zero"
                reason = (f"cost {show_money(cost, currency)} on {days[i]} is {how} its trailing "
                          f"{window}-day median {show_money(median, currency)}")
                if storm:
                    reason += (f"; retry storm? units {units[i]} stayed within ±{show_percent(band)} "
                               f"of their median {units_median.normalize():f}")
                found.append(Anomaly(use_case, days[i], "cost", cost, median, excess, storm, reason))
        cpu = cpus[i]
        if cpu is not None and cpu > 0 and len(cpu_win) >= need:
            median = _median(cpu_win)
            if cpu > median * factor:
                excess = cpu / median - 1 if median else None
                how = f"{show_percent(excess)} above" if excess is not None else "above a zero"
                reason = (f"cost per {unit_label} {show_cpu(cpu, currency)} on {days[i]} is {how} its "
                          f"trailing {window}-day median {show_cpu(median, currency)}")
                found.append(Anomaly(use_case, days[i], "cpu", cpu, median, excess, False, reason))
    return found
