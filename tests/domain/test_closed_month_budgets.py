"""A budget overrun that becomes known only after its month closed is emailed once, to the people
the month's own overrun email would have gone to, and never when that email already went out."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain import engine
from chalicelib.domain.alerts import Episode, evaluate
from chalicelib.domain.closed_month_budgets import overruns
from chalicelib.domain.organisation import Settings, Team, UseCase
from chalicelib.domain.terms import TeamTerms, UseCaseTerms

from .builders import D, org, spread

OCTOBER = "2026-10"
NOV_3 = date(2026, 11, 3)  # the month after: October is closed
AGENT = UseCase(
    "claims",
    "claims-team",
    name="Claims",
    unit_of_work="claim",
    owner_email="owner@example.com",
    monthly_budget=D("1000.00"),
)
TEAM = Team("claims-team", name="Claims team", lead_email="lead@example.com", monthly_budget=D("1500.00"))
ORG = org(AGENT, teams=(TEAM,), settings=Settings(alert_emails_finance=("finance@example.com",)))
USE_CASE_KEY, TEAM_KEY = f"budget:use_case:claims:{OCTOBER}", f"budget:team:claims-team:{OCTOBER}"


# November's own forecast (October's pace) raises November's budget episodes too: these tests look
# at October's.
def october(total, organisation=ORG):
    """The engine's outputs on 3 November for an October that cost `total` in all."""
    out = engine.compute(organisation, spread(total, "claims", date(2026, 10, 1), 31), [], NOV_3)
    return out, overruns(organisation, out.allocation.get(OCTOBER), OCTOBER)


def test_a_month_at_its_budget_is_not_over_and_a_cent_more_is():
    _, at_budget = october("1000.00")
    assert at_budget == ()
    _, over = october("1000.01")
    assert [(o.key, o.spent, o.budget) for o in over] == [(USE_CASE_KEY, D("1000.01"), D("1000.00"))]


@given(st.integers(min_value=0, max_value=10**9), st.integers(min_value=1, max_value=10**9))
def test_over_exactly_when_the_months_total_is_strictly_above_the_budget(spent_cents, budget_cents):
    spent, budget = D(spent_cents) / 100, D(budget_cents) / 100
    agent = replace(AGENT, monthly_budget=budget)
    organisation = org(agent, teams=(Team("claims-team"),))
    allocation = type("Allocation", (), {"by_use_case": {"claims": spent}, "by_team": {"claims-team": spent}})
    found = overruns(organisation, allocation, OCTOBER)
    assert bool(found) is (spent_cents > budget_cents)


def test_judged_on_the_budget_in_force_on_the_months_last_day():
    raised_in_november = replace(
        ORG,
        terms_history={
            "claims": (
                UseCaseTerms(date(2026, 1, 1), monthly_budget=D("1000.00")),
                UseCaseTerms(date(2026, 11, 1), monthly_budget=D("5000.00")),
            )
        },
        team_history={"claims-team": (TeamTerms(date(2026, 10, 31), monthly_budget=D("1100.00")),)},
    )
    _, over = october("1200.00", raised_in_november)
    assert {o.key: o.budget for o in over} == {USE_CASE_KEY: D("1000.00"), TEAM_KEY: D("1100.00")}


def test_an_overrun_nobody_was_told_of_is_emailed_once_and_recorded_closed():
    out, over = october("1600.00")
    ev = evaluate(out, ORG, {}, NOV_3, over, {})
    late = {n.key: n for n in ev.notices if OCTOBER in n.key}
    assert set(late) == {f"{USE_CASE_KEY}:spent", f"{TEAM_KEY}:spent"}
    assert late[f"{USE_CASE_KEY}:spent"].recipients == ("owner@example.com", "lead@example.com")
    assert late[f"{TEAM_KEY}:spent"].recipients == ("lead@example.com", "finance@example.com")
    assert "$1,600.00" in late[f"{USE_CASE_KEY}:spent"].headline and OCTOBER in late[f"{USE_CASE_KEY}:spent"].headline
    recorded = {e.key: e for e in ev.episodes if OCTOBER in e.key}
    assert {k: (e.level, e.open, e.closed_on) for k, e in recorded.items()} == {
        USE_CASE_KEY: ("spent", False, NOV_3),
        TEAM_KEY: ("spent", False, NOV_3),
    }
    # the next run finds them closed at "spent": nothing more
    again = evaluate(out, ORG, {}, NOV_3, over, {USE_CASE_KEY: "spent", TEAM_KEY: "spent"})
    assert [n for n in again.notices if OCTOBER in n.key] == []


def test_no_late_email_when_the_months_own_spent_email_went_out():
    out, over = october("1600.00")
    still_open = {USE_CASE_KEY: Episode(USE_CASE_KEY, "budget", "spent", date(2026, 10, 20), "claims", "claims-team")}
    ev = evaluate(out, ORG, still_open, NOV_3, over, {TEAM_KEY: "spent"})
    assert [n.key for n in ev.notices if OCTOBER in n.key] == []
    closed = {e.key: e for e in ev.episodes}[USE_CASE_KEY]
    assert (closed.level, closed.open, closed.since) == ("spent", False, date(2026, 10, 20))


def test_a_month_only_forecast_over_gets_its_spent_email_when_the_last_days_arrive():
    out, over = october("1600.00")
    forecast_only = {
        USE_CASE_KEY: Episode(USE_CASE_KEY, "budget", "forecast", date(2026, 10, 25), "claims", "claims-team")
    }
    ev = evaluate(out, ORG, forecast_only, NOV_3, over, {TEAM_KEY: "forecast"})
    assert sorted(n.key for n in ev.notices if OCTOBER in n.key) == [f"{TEAM_KEY}:spent", f"{USE_CASE_KEY}:spent"]
    assert {e.key: e.since for e in ev.episodes if OCTOBER in e.key}[USE_CASE_KEY] == date(2026, 10, 25)
