"""Month-end forecast from month-to-date spend and the trailing daily average.

forecast = cost of the complete days of this month (the 1st up to yesterday)
         + cost of the trailing window × days left (today to month end) ÷ days in the window.

The trailing window is the `Settings.forecast_window_days` (7) complete UTC days before
`today` (today − 7 … today − 1), reaching back into the previous month when needed;
days with no spend count as zero. Today's spend is partial (billing is pulled hourly),
so today is forecast at the average like the days after it, and never below what is
already spent. A use case younger than the window averages over the days since its
first spend only, so a launch is not diluted by days before it existed.

The forecast is an exact rational (`Forecast.exact`, a Fraction): the window's cost is
multiplied by the days left before dividing, so a forecast that lands on a threshold
lands on it exactly whatever the digits. `Forecast.forecast` is that value as a
correctly rounded Decimal (exact whenever the quotient terminates within the context's
precision) for display; compare with thresholds through `exceeds` / `at_least` (or
`exact`), never through the rounded Decimal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Mapping, Optional, Union

from .money import ZERO
from .periods import month_key, month_last_day


@dataclass(frozen=True)
class Forecast:
    month: str
    month_to_date: Decimal  # every day of the month up to and including today
    complete_to_date: Decimal  # the 1st up to yesterday
    daily_average: Decimal  # window cost ÷ window days, rounded to the context (display only)
    window_days: int  # days the average was taken over
    days_left: int  # today up to the month's last day
    forecast: Decimal  # `exact`, correctly rounded to the Decimal context (display)
    exact: Fraction = Fraction(0)  # the forecast as an exact rational: compare with this

    def exceeds(self, limit: Decimal) -> bool:
        """Strictly above `limit`, exactly (a forecast of exactly $50,000 does not exceed $50,000)."""
        return self.exact > limit

    def at_least(self, limit: Decimal) -> bool:
        """At or above `limit`, exactly (a forecast of exactly $10,000 is at least $10,000)."""
        return self.exact >= limit


Amount = Union[Decimal, Fraction, int, Forecast]


def exact_amount(amount: Amount) -> Union[Decimal, Fraction, int]:
    """A value that compares exactly: a Forecast's exact rational, anything else as it is.

    Decimal, Fraction and int compare with one another exactly in Python, so the result
    can be compared with a Decimal threshold directly."""
    return amount.exact if isinstance(amount, Forecast) else amount


def exceeds(amount: Amount, limit: Amount) -> bool:
    """amount > limit, exactly (Decimal, Fraction, int or Forecast on either side)."""
    return exact_amount(amount) > exact_amount(limit)


def at_least(amount: Amount, limit: Amount) -> bool:
    """amount >= limit, exactly (Decimal, Fraction, int or Forecast on either side)."""
    return exact_amount(amount) >= exact_amount(limit)


def fraction_to_decimal(value: Fraction) -> Decimal:
    """A Fraction as a Decimal: exact when it terminates within the context's precision,
    else correctly rounded by the context (Decimal division rounds correctly)."""
    return Decimal(value.numerator) / Decimal(value.denominator)


def month_end_forecast(
    cost_by_day: Mapping[date, Decimal], today: date, window_days: int = 7, first_day: Optional[date] = None
) -> Forecast:
    start = today.replace(day=1)
    complete = ZERO
    day = start
    while day < today:
        complete += cost_by_day.get(day, ZERO)
        day += timedelta(days=1)
    month_to_date = complete + cost_by_day.get(today, ZERO)
    window_start = today - timedelta(days=window_days)
    if first_day is not None and first_day > window_start:
        window_start = first_day
    days = max((today - window_start).days, 0)
    window_cost = ZERO
    for i in range(days):
        window_cost += cost_by_day.get(window_start + timedelta(days=i), ZERO)
    average = window_cost / days if days else ZERO
    days_left = (month_last_day(today) - today).days + 1
    # Multiply before dividing, and divide only once, as a Fraction: exact.
    rest = Fraction(window_cost) * days_left / days if days else Fraction(0)
    exact = max(Fraction(complete) + rest, Fraction(month_to_date))
    forecast = month_to_date if exact == month_to_date else fraction_to_decimal(exact)
    return Forecast(month_key(today), month_to_date, complete, average, days, days_left, forecast, exact)
