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
_ZERO = Decimal(0)


@dataclass(frozen=True)
class Anomaly:
    use_case: str
    day: date
    metric: str  # cost | cpu
    value: Decimal
    median: Decimal
    retry_storm: bool
    units: int = 0
    units_median: Optional[Decimal] = None
    window_days: int = 28
    currency: str = "USD"
    unit_label: str = "unit"
    units_band: Decimal = Decimal("0.05")

    # Built on demand: a noisy history can hold thousands of anomalies, few are read.
    @property
    def excess(self) -> Optional[Decimal]:
        """value / median - 1; None when the median is zero."""
        return self.value / self.median - 1 if self.median else None

    @property
    def reason(self) -> str:
        excess = self.excess
        how = f"{show_percent(excess)} above" if excess is not None else "above a zero"
        if self.metric == "cpu":
            return (f"cost per {self.unit_label} {show_cpu(self.value, self.currency)} on {self.day} is {how} its "
                    f"trailing {self.window_days}-day median {show_cpu(self.median, self.currency)}")
        text = (f"cost {show_money(self.value, self.currency)} on {self.day} is {how} its trailing "
                f"{self.window_days}-day median {show_money(self.median, self.currency)}")
        if self.retry_storm:
            text += (f"; retry storm? units {self.units} stayed within ±{show_percent(self.units_band)} "
                     f"of their median {self.units_median.normalize():f}")
        return text


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
    need = max(min(MIN_HISTORY_DAYS, window), 1)
    factor = 1 + settings.anomaly_ratio
    found = []
    cost_win: list = []  # the window's costs, sorted; it holds min(i, window) days
    cpu_win: list = []  # the window's defined CPUs, sorted
    for i in range(1, min(stop, len(costs))):
        insort(cost_win, costs[i - 1])
        previous = cpus[i - 1]
        if previous is not None:
            insort(cpu_win, previous)
        if i > window:
            j = i - window - 1
            del cost_win[bisect_left(cost_win, costs[j])]
            old = cpus[j]
            if old is not None:
                del cpu_win[bisect_left(cpu_win, old)]
        if i < need:
            continue
        # Tests are written without dividing: cost > median x factor, with a cheap
        # "above the lower middle value" check first (most days stop there).
        cost = costs[i]
        if cost > _ZERO:
            n = i if i < window else window
            mid = n >> 1
            if n & 1:
                med = cost_win[mid]
                hot = cost > med and cost > med * factor
            else:
                low, high = cost_win[mid - 1], cost_win[mid]
                hot = cost > low and cost + cost > (low + high) * factor
                med = (low + high) / _TWO if hot else None
            if hot:
                found.append(_cost_anomaly(use_case, days[i], cost, med, units[i],
                                           units[max(i - window, 0):i], settings))
        cpu = cpus[i]
        if cpu is not None and cpu > _ZERO:
            n = len(cpu_win)
            if n >= need:
                mid = n >> 1
                if n & 1:
                    med = cpu_win[mid]
                    hot = cpu > med and cpu > med * factor
                else:
                    low, high = cpu_win[mid - 1], cpu_win[mid]
                    hot = cpu > low and cpu + cpu > (low + high) * factor
                    med = (low + high) / _TWO if hot else None
                if hot:
                    found.append(_cpu_anomaly(use_case, days[i], cpu, med, settings, unit_label))
    return found


def _cost_anomaly(use_case: str, day: date, cost: Decimal, med: Decimal, units: int, window_units: list,
                  settings: Settings) -> Anomaly:
    band = settings.retry_storm_units_band
    units_median = median(sorted(window_units))
    storm = units_median > 0 and abs(units - units_median) <= band * units_median
    return Anomaly(use_case, day, "cost", cost, med, storm, units, units_median, settings.anomaly_window_days,
                   settings.currency, "unit", band)


def _cpu_anomaly(use_case: str, day: date, cpu: Decimal, med: Decimal, settings: Settings,
                 unit_label: str) -> Anomaly:
    return Anomaly(use_case, day, "cpu", cpu, med, False, window_days=settings.anomaly_window_days,
                   currency=settings.currency, unit_label=unit_label)
