"""Days running hot: cost or CPU more than 20 % above a trailing median.

For each complete day (before today) of a use case:
- cost anomaly: the day's cost > median × (1 + anomaly_ratio), strictly (exactly +20 %
  is not), the median taken over the `anomaly_window_days` (28) days before it from the
  use case's first day of data, zero-spend days included; at least 7 days of history
  are needed;
- CPU anomaly: judged only on a day with at least `anomaly_min_units` (10) units, and
  only days with that many units make up its history. The day's CPU must be more than
  20 % above both the median CPU of the window (at least 7 such days) and the median CPU
  of the **same weekday** in the window (the 4 same weekdays of the 28 days before it; at
  least 3 such days, fewer when the window holds fewer weeks). A quiet weekend with a
  handful of units is neither judged nor anyone's history, and a weekday whose CPU is
  always higher (fixed costs over fewer units) is held against its own kind: the weekly
  rhythm does not flood the alerts, while a real spike clears both medians;
- retry storm: a cost anomaly while units stay within ±5 % (inclusive) of their
  trailing median over the same 28 days (and that median is positive): more spend
  for the same work.

Every test is exact whatever the digits. CPU = cost ÷ units is an inexact Decimal, and
a product of long Decimals rounds, so each test first compares the Decimals with a
relative margin of 1e-15 (far above their rounding error of about 1e-27) and, only
when the two sides fall inside that margin (a value on or next to the edge), decides
with exact Fractions built from the costs and units themselves.

`Anomaly.significance` is the money at stake, for ranking: cost − median for a cost
anomaly, (CPU − the higher of its two medians) × units for a CPU anomaly.

The cost and CPU windows are kept sorted and slid one day at a time (bisect insert and
delete): per use case O(days × window) element moves in C and O(days × log window)
comparisons; the same-weekday test reads at most window ÷ 7 days, and only for a day
already above the window's median.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Iterable, Optional, Sequence, Union

from .money import show_cpu, show_money, show_percent
from .organisation import Settings

MIN_HISTORY_DAYS = 7  # days of history before a day's cost is judged
MIN_SAME_WEEKDAYS = 3  # same-weekday CPUs needed before a day's CPU is judged
_TWO = Decimal(2)
_ZERO = Decimal(0)
_MARGIN = Decimal("1e-15")  # relative: beyond it the Decimal test is sure; within it, Fractions decide


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
    weekday_median: Optional[Decimal] = None  # CPU: median CPU of the same weekday in the window

    # Built on demand: a noisy history can hold thousands of anomalies, few are read.
    @property
    def excess(self) -> Optional[Decimal]:
        """value / median - 1; None when the median is zero."""
        return self.value / self.median - 1 if self.median else None

    @property
    def bar(self) -> Decimal:
        """The median the value was judged above (a CPU clears both of its medians: the higher)."""
        if self.weekday_median is not None and self.weekday_median > self.median:
            return self.weekday_median
        return self.median

    @property
    def significance(self) -> Decimal:
        """Money at stake, to list the most significant first: the cost above its median
        for a cost anomaly; (CPU − the higher of its two medians) × the day's units for a
        CPU anomaly (what the day's work cost above its usual price)."""
        if self.metric == "cpu":
            return (self.value - self.bar) * self.units
        return self.value - self.median

    @property
    def reason(self) -> str:
        excess = self.excess
        how = f"{show_percent(excess, 2)} above" if excess is not None else "above a zero"  # 20.04 %, not 20.0 %
        if self.metric == "cpu":
            text = (
                f"cost per {self.unit_label} {show_cpu(self.value, self.currency)} on {self.day} "
                f"({self.units} units) is {how} its trailing {self.window_days}-day median "
                f"{show_cpu(self.median, self.currency)}"
            )
            if self.weekday_median is not None:
                weekday = f"{self.day:%A}"
                if self.weekday_median:
                    text += (
                        f" and {show_percent(self.value / self.weekday_median - 1, 2)} above the "
                        f"{weekday} median {show_cpu(self.weekday_median, self.currency)}"
                    )
                else:
                    text += f" and above a zero {weekday} median"
            return text
        text = (
            f"cost {show_money(self.value, self.currency)} on {self.day} is {how} its trailing "
            f"{self.window_days}-day median {show_money(self.median, self.currency)}"
        )
        if self.retry_storm:
            units_median = self.units_median
            if units_median is None:  # `detect` always sets it on a storm; without it there is no reason (as before)
                raise AttributeError("a retry storm's reason needs its units_median, which is None")
            text += (
                f"; retry storm? units {self.units} stayed within ±{show_percent(self.units_band)} "
                f"of their median {units_median.normalize():f}"
            )
        return text


def median(sorted_values: Sequence[Union[Decimal, int]]) -> Decimal:
    n = len(sorted_values)
    mid = n // 2
    if n % 2:
        return Decimal(sorted_values[mid])
    return (Decimal(sorted_values[mid - 1]) + Decimal(sorted_values[mid])) / _TWO


def _exact_median(sorted_values: Sequence[Fraction]) -> Fraction:
    n = len(sorted_values)
    mid = n // 2
    return sorted_values[mid] if n % 2 else (sorted_values[mid - 1] + sorted_values[mid]) / 2


def _above(x: Decimal, values: Sequence[Decimal], f_lo: Decimal, f_hi: Decimal, quick: bool) -> Optional[bool]:
    """Is x > median(values) × factor (values sorted)? True or False when the Decimals are
    sure of it; None when x is within the margin of the edge (Fractions must decide)."""
    n = len(values)
    mid = n >> 1
    if n & 1:
        if quick and x <= values[mid]:
            return False  # not above the median
        lhs, rhs = x, values[mid]
    else:
        if quick and x <= values[mid - 1]:
            return False  # not above the lower middle value, so not above the median
        lhs, rhs = x + x, values[mid - 1] + values[mid]  # 2x vs (low + high) × factor
    if lhs <= rhs * f_lo:
        return False
    if lhs > rhs * f_hi:
        return True
    return None


def detect(
    use_case: str,
    days: Sequence[date],
    costs: Sequence[Decimal],
    units: Sequence[int],
    cpus: Sequence[Optional[Decimal]],
    stop: int,
    settings: Settings,
    unit_label: str = "unit",
) -> list[Anomaly]:
    """Anomalies among days[0:stop] (stop = index of today: complete days only).

    `cpus[i]` is costs[i] / units[i] (None without units): used for the fast test only;
    edges are decided exactly from `costs` and `units`."""
    window = settings.anomaly_window_days
    need = max(min(MIN_HISTORY_DAYS, window), 1)
    factor = 1 + settings.anomaly_ratio
    # Sure-not-hot at or below median × f_lo, sure-hot above median × f_hi (a day above a
    # median of zero or less is hot on both tests alike).
    f_lo, f_hi = factor * (1 - _MARGIN), factor * (1 + _MARGIN)
    exact_factor = Fraction(factor)
    # "Not above the (lower) middle value" settles "not above median × factor" when the
    # factor is clear of 1 by more than the CPUs' rounding.
    quick = f_lo >= 1
    min_units = settings.anomaly_min_units
    same_need = max(1, min(MIN_SAME_WEEKDAYS, window // 7))
    end = min(stop, len(costs))
    # CPUs that count (units at or above the minimum); the others are neither judged nor history.
    judged = [c if c is not None and n >= min_units else None for c, n in zip(cpus[:end], units[:end], strict=False)]

    def exact_cpus(indices: Iterable[int]) -> list[Fraction]:
        return sorted(Fraction(costs[j]) / units[j] for j in indices if judged[j] is not None)

    found: list[Anomaly] = []
    cost_win: list[Decimal] = []  # the window's costs, sorted; it holds min(i, window) days
    cpu_win: list[Decimal] = []  # the window's judged CPUs, sorted
    for i in range(1, end):
        insort(cost_win, costs[i - 1])
        previous = judged[i - 1]
        if previous is not None:
            insort(cpu_win, previous)
        if i > window:
            j = i - window - 1
            del cost_win[bisect_left(cost_win, costs[j])]
            old = judged[j]
            if old is not None:
                del cpu_win[bisect_left(cpu_win, old)]
        if i < need:
            continue
        cost = costs[i]
        if cost > _ZERO:
            hot = _above(cost, cost_win, f_lo, f_hi, quick)
            if hot is None:
                hot = Fraction(cost) > _exact_median([Fraction(c) for c in cost_win]) * exact_factor
            if hot:
                found.append(
                    _cost_anomaly(
                        use_case, days[i], cost, median(cost_win), units[i], units[max(i - window, 0) : i], settings
                    )
                )
        cpu = judged[i]
        if cpu is not None and cpu > _ZERO and len(cpu_win) >= need:
            lo = i - window if i > window else 0
            hot = _above(cpu, cpu_win, f_lo, f_hi, quick)
            if hot is None:
                hot = Fraction(costs[i]) / units[i] > _exact_median(exact_cpus(range(lo, i))) * exact_factor
            if not hot:
                continue
            same = sorted(c for c in (judged[j] for j in range(i - 7, lo - 1, -7)) if c is not None)
            if len(same) < same_need:
                continue
            hot = _above(cpu, same, f_lo, f_hi, quick)
            if hot is None:
                same_exact = exact_cpus(range(i - 7, lo - 1, -7))
                hot = Fraction(costs[i]) / units[i] > _exact_median(same_exact) * exact_factor
            if hot:
                found.append(
                    _cpu_anomaly(use_case, days[i], cpu, median(cpu_win), median(same), units[i], settings, unit_label)
                )
    return found


def _cost_anomaly(
    use_case: str, day: date, cost: Decimal, med: Decimal, units: int, window_units: Sequence[int], settings: Settings
) -> Anomaly:
    band = settings.retry_storm_units_band
    units_median = median(sorted(window_units))
    storm = units_median > 0 and abs(units - units_median) <= band * units_median
    return Anomaly(
        use_case,
        day,
        "cost",
        cost,
        med,
        storm,
        units,
        units_median,
        settings.anomaly_window_days,
        settings.currency,
        "unit",
        band,
    )


def _cpu_anomaly(
    use_case: str,
    day: date,
    cpu: Decimal,
    med: Decimal,
    weekday_med: Decimal,
    units: int,
    settings: Settings,
    unit_label: str,
) -> Anomaly:
    return Anomaly(
        use_case,
        day,
        "cpu",
        cpu,
        med,
        False,
        units,
        window_days=settings.anomaly_window_days,
        currency=settings.currency,
        unit_label=unit_label,
        weekday_median=weekday_med,
    )
