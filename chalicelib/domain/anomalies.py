"""Days running hot: cost or CPU more than 20 % above the trailing 28-day median.

For each complete day (before today) of a use case:
- the window is the `anomaly_window_days` (28) days before it, from the use case's
  first day of data; at least 7 days of history are needed before anything is judged;
- cost anomaly: cost > median × (1 + anomaly_ratio), strictly (exactly +20 % is not);
  the median includes zero-spend days;
- CPU anomaly: same test on daily CPU, over the window's days that have a CPU;
- retry storm: a cost anomaly while units stay within ±5 % (inclusive) of their
  trailing median over the same window (and that median is positive): more spend
  for the same work.
The windows are kept sorted and slid one day at a time (bisect insert and delete):
per use case O(days × window) element moves in C and O(days × log window) comparisons.
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


def median(sorted_values: list) -> Decimal:
    n = len(sorted_values)
    mid = n // 2
    if n % 2:
        return Decimal(sorted_values[mid])
    return (Decimal(sorted_values[mid - 1]) + Decimal(sorted_values[mid])) / _TWO


def detect(use_case: str, days: list, costs: list, units: list, cpus: list, stop: int,
           settings: Settings, unit_label: str = "unit") -> list:
    """Anomalies among days[0:stop] (stop = index of today: complete days only)."""
    window = settings.anomaly_window_days
    need = min(MIN_HISTORY_DAYS, window)
    factor = 1 + settings.anomaly_ratio
    found = []
    cost_win: list = []
    cpu_win: list = []
    for i in range(min(stop, len(costs))):
        if i:
            insort(cost_win, costs[i - 1])
            if cpus[i - 1] is not None:
                insort(cpu_win, cpus[i - 1])
            j = i - window - 1
            if j >= 0:
                del cost_win[bisect_left(cost_win, costs[j])]
                if cpus[j] is not None:
                    del cpu_win[bisect_left(cpu_win, cpus[j])]
        n = len(cost_win)
        if n < need:
            continue
        cost = costs[i]
        if cost > 0:
            mid = n // 2
            med = cost_win[mid] if n % 2 else (cost_win[mid - 1] + cost_win[mid]) / _TWO
            if cost > med * factor:
                found.append(_cost_anomaly(use_case, days[i], cost, med, units[i],
                                           units[max(i - window, 0):i], settings))
        cpu = cpus[i]
        n = len(cpu_win)
        if cpu is not None and cpu > 0 and n >= need:
            mid = n // 2
            med = cpu_win[mid] if n % 2 else (cpu_win[mid - 1] + cpu_win[mid]) / _TWO
            if cpu > med * factor:
                found.append(_cpu_anomaly(use_case, days[i], cpu, med, settings, unit_label))
    return found


def _how(excess: Optional[Decimal]) -> str:
    return f"{show_percent(excess)} above" if excess is not None else "above a zero"


def _cost_anomaly(use_case: str, day: date, cost: Decimal, med: Decimal, units: int, window_units: list,
                  settings: Settings) -> Anomaly:
    band = settings.retry_storm_units_band
    units_median = median(sorted(window_units))
    storm = units_median > 0 and abs(units - units_median) <= band * units_median
    excess = cost / med - 1 if med else None
    reason = (f"cost {show_money(cost, settings.currency)} on {day} is {_how(excess)} its trailing "
              f"{settings.anomaly_window_days}-day median {show_money(med, settings.currency)}")
    if storm:
        reason += (f"; retry storm? units {units} stayed within ±{show_percent(band)} "
                   f"of their median {units_median.normalize():f}")
    return Anomaly(use_case, day, "cost", cost, med, excess, storm, reason)


def _cpu_anomaly(use_case: str, day: date, cpu: Decimal, med: Decimal, settings: Settings,
                 unit_label: str) -> Anomaly:
    excess = cpu / med - 1 if med else None
    reason = (f"cost per {unit_label} {show_cpu(cpu, settings.currency)} on {day} is {_how(excess)} its "
              f"trailing {settings.anomaly_window_days}-day median {show_cpu(med, settings.currency)}")
    return Anomaly(use_case, day, "cpu", cpu, med, excess, False, reason)
