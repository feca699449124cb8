"""Human review minutes -> cost facts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.connectors.human_review import exact_or_cents, facts_from_units
from chalicelib.domain.facts import DailyUnits

DAY = date(2026, 11, 2)


def test_minutes_times_rate_over_sixty():
    units = [
        DailyUnits("claims-processing", DAY, units=100, review_minutes=D("90")),
        DailyUnits("ticket-escalation", DAY, units=40, review_minutes=D("7")),
        DailyUnits("lead-scoring", DAY, units=10, review_minutes=D("0")),
        DailyUnits("mystery", DAY, units=1, review_minutes=D("2.5")),
    ]
    facts = facts_from_units(units, D("55"), {"claims-processing": "claims", "ticket-escalation": "support"})
    by_uc = {f.use_case: f for f in facts}
    assert set(by_uc) == {"claims-processing", "ticket-escalation", "mystery"}  # no minutes, no fact
    assert by_uc["claims-processing"].billed_cost == D("82.5")  # exact
    assert by_uc["ticket-escalation"].billed_cost == D("6.42")  # 6.41666... rounded half-even to the cent
    assert by_uc["mystery"].team == "unallocated" and by_uc["mystery"].billed_cost == D("2.29")  # 2.291666...
    f = by_uc["claims-processing"]
    assert (f.source, f.category, f.provider, f.service, f.team, f.day) == (
        "human_review",
        "human_review",
        "Internal",
        "human review",
        "claims",
        DAY,
    )
    assert f.vendor_key == "human_review:use_case:claims-processing" and f.effective_cost == f.billed_cost


def test_default_rate_sixty_is_a_dollar_a_minute():
    [fact] = facts_from_units([DailyUnits("a", DAY, review_minutes=D("12.345"))], D("60"), {"a": "t"})
    assert fact.billed_cost == D("12.345")


def test_duplicates_are_summed_and_bad_input_refused():
    units = [DailyUnits("a", DAY, review_minutes=D("30")), DailyUnits("a", DAY, review_minutes=D("15"))]
    [fact] = facts_from_units(units, D("62"), {"a": "t"})
    assert fact.billed_cost == D("31") + D("15.5")
    with pytest.raises(ValueError):
        facts_from_units([DailyUnits("a", DAY, review_minutes=D("-1"))], D("60"), {})
    with pytest.raises(ValueError):
        facts_from_units([], 60.0, {})  # type: ignore[arg-type]


@given(st.fractions(min_value=0, max_value=10**6, max_denominator=10**6))
def test_exact_or_cents(value):
    result = exact_or_cents(value)
    from fractions import Fraction

    if Fraction(result) != value:  # not terminating: rounded to the cent, within half a cent
        assert result == result.quantize(D("0.01"))
        assert abs(Fraction(result) - value) <= Fraction(1, 200)


def test_pull_answers_every_day_of_the_window():
    from datetime import timedelta

    from chalicelib.connectors import human_review

    units = [
        DailyUnits("a", DAY, units=3, review_minutes=D("6")),
        DailyUnits("a", DAY + timedelta(days=5), units=1, review_minutes=D("6")),
    ]  # outside the window
    pulled = human_review.pull(units, D("60"), {"a": "t"}, DAY - timedelta(days=1), DAY + timedelta(days=2))
    assert pulled.answered == {DAY - timedelta(days=1), DAY, DAY + timedelta(days=1)}
    assert [(f.day, f.effective_cost) for f in pulled.facts] == [(DAY, D("6"))]
