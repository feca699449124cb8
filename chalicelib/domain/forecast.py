"""Month-end forecast from month-to-date spend and the trailing daily average.

forecast = cost of the complete days of this month (the 1st up to yesterday)
         + average daily cost over the trailing window × days left (today to month end).

The trailing window is the `Settings.forecast_window_days` (7) complete UTC days before
`today` (today − 7 … today − 1), reaching back into the previous month when needed;
days with no spend count as zero. Today's spend is partial (billing is pulled hourly),
so today is forecast at the average like the days after it, and never below what is
already spent. A use case younger than the window averages over the days since its
first spend only, so a launch is not diluted by days before it existed.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Mapping, Optional

from .money import ZERO
from .periods import month_key, month_last_day


@dataclass(frozen=True)
class Forecast:
    month: str
    month_to_date: Decimal  # every day of the month up to and including today
    complete_to_date: Decimal  # the 1st up to yesterday
    daily_average: Decimal
    window_days: int  # days the average was taken over
    days_left: int  # today up to the month's last day
    forecast: Decimal


def month_end_forecast(cost_by_day: Mapping[date, Decimal], today: date, window_days: int = 7,
                       first_day: Optional[date] = None) -> Forecast:
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
    forecast = max(complete + average * days_left, month_to_date)
    return Forecast(month_key(today), month_to_date, complete, average, days, days_left, forecast)
