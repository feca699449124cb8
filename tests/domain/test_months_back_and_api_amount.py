"""The one "months back" helper (periods.py) and the one API money formatter (money.py)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.money import CPU_PLACES, api_amount
from chalicelib.domain.periods import (
    month_first_day,
    month_key,
    months_back,
    months_between,
    months_of,
    previous_month,
)


def test_months_back_oldest_first_across_a_new_year():
    assert months_back(date(2026, 2, 28), 4) == ["2025-11", "2025-12", "2026-01", "2026-02"]
    assert months_back(date(2026, 1, 1), 1) == ["2026-01"]
    assert months_back(date(2026, 1, 1), 0) == []


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)), st.integers(0, 40))
def test_months_back_is_previous_month_n_times(today, n):
    stepped, m = [], month_key(today)
    for _ in range(n):
        stepped.append(m)
        m = previous_month(month_first_day(m))
    assert months_back(today, n) == stepped[::-1]


def test_api_amount_is_a_string_rounded_half_even():
    assert api_amount(None) is None
    assert api_amount(D("0.125")) == "0.12" and api_amount(D("0.135")) == "0.14"
    assert api_amount(D("-1234.5")) == "-1234.50"
    assert api_amount(D("0.00034449"), CPU_PLACES) == "0.0003"
    assert api_amount(D("0.00035"), CPU_PLACES) == "0.0004"


def test_months_of_days_each_once_oldest_first():
    assert months_of([date(2026, 1, 3), date(2025, 12, 31), date(2026, 1, 1)]) == ["2025-12", "2026-01"]
    assert months_of([]) == []


def test_months_between_both_ends_included():
    assert months_between(date(2025, 11, 30), date(2026, 2, 1)) == ["2025-11", "2025-12", "2026-01", "2026-02"]
    assert months_between(date(2026, 2, 1), date(2026, 2, 28)) == ["2026-02"]
    assert months_between(date(2026, 3, 1), date(2026, 2, 28)) == []
