"""The organisation-wide totals the engine gives: the budget (the teams' budgets to the cent, summed;
None when no team has one), the month-end forecast of all spend, and the forecast as a share of the
budget computed from the two figures as shown. Compared exactly."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain import engine
from chalicelib.domain.engine import forecast_vs_budget, organisation_budget
from chalicelib.domain.facts import UNALLOCATED
from chalicelib.domain.money import cents
from chalicelib.domain.organisation import Team, UseCase
from chalicelib.domain.terms import TeamTerms

from .builders import D, fact, org

TODAY = date(2025, 6, 20)
FOUR = Decimal("0.0001")  # shares are shown to 4 decimals (0.01 %)

budgets = st.decimals(min_value=0, max_value=10**6, places=3)
forecasts = st.decimals(min_value=0, max_value=10**7, places=6)


def test_no_team_with_a_budget_means_no_organisation_budget():
    assert organisation_budget([]) is None
    assert organisation_budget([None, None]) is None
    assert forecast_vs_budget(D(100), None) is None


def test_a_zero_budget_is_a_budget_but_gives_no_share():
    assert organisation_budget([D(0), None]) == D("0.00")
    assert forecast_vs_budget(D(100), D(0)) is None


def test_each_budget_is_taken_to_the_cent_as_shown_then_summed():
    # 0.005 and 0.015 round half-even to 0.00 and 0.02: the total is the sum of those, not cents(0.020)
    assert organisation_budget([D("1000.005"), D("0.015"), None]) == D("1000.02")
    assert organisation_budget([D("0.005"), D("0.005")]) == D("0.00")


@given(st.lists(st.one_of(st.none(), budgets), max_size=8))
def test_the_budget_is_the_sum_of_the_budgets_shown(values):
    shown = [cents(v) for v in values if v is not None]
    got = organisation_budget(values)
    assert got == (sum(shown, D(0)) if shown else None)
    if got is not None:
        assert got == cents(got)  # already in cents: it shows as it is


def test_the_share_is_the_forecast_shown_over_the_budget():
    assert forecast_vs_budget(D(3300), D(3000)) == D("1.1")
    assert forecast_vs_budget(D("1000.004"), D(1000)) == D(1)  # the forecast shows as $1,000.00
    assert forecast_vs_budget(D("1000.005"), D(1000)) == D(1)  # half-even: $1,000.00
    assert forecast_vs_budget(D("1000.015"), D(1000)) == D("1.00002")


@given(forecast=forecasts, budget=budgets.filter(lambda b: cents(b) > 0))
def test_the_share_shown_agrees_with_the_figures_shown(forecast, budget):
    shown_budget = organisation_budget([budget])
    share = forecast_vs_budget(forecast, shown_budget)
    exact = Fraction(cents(forecast)) / Fraction(shown_budget)
    assert share is not None and abs(Fraction(share) - exact) <= Fraction(1, 10**20) * exact
    # as shown (4 decimals, half-even) it is the shown forecast over the shown budget, rounded once
    q = exact * 10**4
    floor = q.numerator // q.denominator
    rest = q - floor
    rounded = floor + (1 if rest > Fraction(1, 2) or (rest == Fraction(1, 2) and floor % 2) else 0)
    assert share.quantize(FOUR, rounding=ROUND_HALF_EVEN) == Decimal(rounded).scaleb(-4)


def world(teams, extra_use_cases=()):
    o = org(UseCase("claims", "claims-team"), *extra_use_cases, teams=teams)
    # 1–19 June complete at $100/day, today $40 so far; $10/day reaching no team at all
    facts = [fact(date(2025, 6, d), "100", "claims", "claims-team") for d in range(1, 20)]
    facts += [fact(date(2025, 6, 20), "40", "claims", "claims-team")]
    facts += [
        fact(date(2025, 6, d), "10", UNALLOCATED, UNALLOCATED, vendor_key="openai:project:new") for d in range(1, 20)
    ]
    return o, facts


def test_the_engine_gives_the_organisation_budget_forecast_and_their_share():
    o, facts = world((Team("claims-team", monthly_budget=D(3000)), Team("support-team", monthly_budget=D(600))))
    out = engine.compute(o, facts, [], TODAY)
    # all spend: 1900 + 11 days x 100 for claims, 190 + 11 x 10 reaching no team (11 days left with today)
    assert out.forecast == D(3000) + D(300)
    assert out.budget == D(3600)
    assert out.forecast_vs_budget == D(3300) / D(3600)
    assert out.budget == sum((t.budget for t in out.teams if t.budget is not None), D(0))


def test_a_team_named_only_by_a_use_case_adds_no_budget_and_no_budget_means_no_share():
    o, facts = world((Team("claims-team"),), (UseCase("triage", "support-team"),))
    out = engine.compute(o, facts, [], TODAY)
    assert [t.team for t in out.teams] == ["claims-team", "support-team"]
    assert out.budget is None and out.forecast_vs_budget is None
    assert out.forecast == D(3300)  # the forecast stands without a budget


def test_the_budget_in_force_today_counts():
    o, facts = world((Team("claims-team", monthly_budget=D(5000)),))
    o = org(
        *o.use_cases,
        teams=o.teams,
        team_history={
            "claims-team": (
                TeamTerms(date(2025, 1, 1), D("2750.005")),  # shows as $2,750.00 (half-even)
                TeamTerms(date(2025, 7, 1), D(5000)),  # not yet in force
            )
        },
    )
    out = engine.compute(o, facts, [], TODAY)
    assert out.budget == D("2750.00")
    assert out.forecast_vs_budget == D(3300) / D("2750.00") == D("1.2")
