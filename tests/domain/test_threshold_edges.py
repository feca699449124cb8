"""Each threshold edge pinned to the side it falls on (defaults: 10 %, 20 %, 50 %,
$10,000, $50,000, target × (1 − 15 %), 20 % reconciliation, 20 % anomaly, ±5 % units)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from chalicelib.domain import engine
from chalicelib.domain.allocation import reconcile
from chalicelib.domain.anomalies import detect
from chalicelib.domain.experiments import risk_appetite
from chalicelib.domain.organisation import Organisation, Settings, UseCase
from chalicelib.domain.tiers import approval_required, reminder_due, tier_for

from .builders import D, days, org, spread, units, week_of

TODAY = date(2025, 6, 11)  # Wednesday: current week has two full days (Mon 9, Tue 10)
PRIOR, LATEST, CURRENT = date(2025, 5, 26), date(2025, 6, 2), date(2025, 6, 9)


def status(prior, latest, current="5", today=TODAY, **kw):
    facts, work = [], []
    for monday, cpu in ((PRIOR, prior), (LATEST, latest), (CURRENT, current)):
        f, w = week_of("claims", monday, cpu)
        facts += f
        work += w
    u = UseCase("claims", "claims-team", unit_of_work="claim", target_cpu=D(5), **kw)
    return engine.compute(org(u), facts, work, today).status("claims")


@pytest.mark.parametrize("latest, colour", [("5.4999", "green"), ("5.50", "yellow")])
def test_exactly_ten_percent_over_is_yellow(latest, colour):
    assert status("5", latest).colour == colour


@pytest.mark.parametrize("prior, colour", [("5.9999", "yellow"), ("6", "red")])
def test_exactly_twenty_percent_in_both_weeks_is_red(prior, colour):
    assert status(prior, "6").colour == colour


@pytest.mark.parametrize("latest, colour, paused", [("7.4999", "red", False), ("7.50", "critical", True)])
def test_exactly_fifty_percent_in_the_latest_week_is_critical(latest, colour, paused):
    s = status("6", latest)
    assert (s.colour, s.paused) == (colour, paused)


def test_exactly_fifty_percent_in_the_current_week_is_critical_once_it_has_two_full_days():
    assert status("5", "5", current="7.50").colour == "critical"  # Wednesday: Mon and Tue are full
    tuesday = status("5", "5", current="7.50", today=TODAY - timedelta(days=1))
    assert tuesday.colour == "green" and tuesday.overrun_current_week is None  # only Monday is full


def test_critical_cleared_by_finance_is_not_paused_and_sheet_pause_always_is():
    assert status("5", "8").paused
    cleared = status("5", "8", critical_cleared_on=TODAY)
    assert (cleared.colour, cleared.paused) == ("critical", False)
    assert status("5", "5", status="paused").paused


@pytest.mark.parametrize("latest, flagged", [("4.25", False), ("4.2499", True)])
def test_below_band_starts_strictly_under_target_times_one_minus_tolerance(latest, flagged):
    s = status("5", latest)  # $5 x (1 - 15 %) = $4.25
    assert ("investigate" in s.flags) is flagged
    assert s.colour == "green"  # colour unchanged


@pytest.mark.parametrize("cost, tier", [("9999.99", "T1"), ("10000", "T2"), ("49999.99", "T2"), ("50000", "T3")])
def test_tier_limits_belong_to_the_higher_tier(cost, tier):
    assert tier_for(D(cost), Settings()) == tier


def june_15_status(first_week_spend: str):
    """Today 15 June: forecast = spend of 1–14 June + (spend of 8–14 June) / 7 x 16 days left.
    With $14,000 over 8–14 June that is first-week spend + $14,000 + $32,000."""
    facts = spread(first_week_spend, "claims", date(2025, 6, 1), 7) + spread("14000", "claims", date(2025, 6, 8), 7)
    u = UseCase("claims", "claims-team")
    return engine.compute(org(u), facts, units("claims", date(2025, 6, 1), 14, 1400), date(2025, 6, 15)).status(
        "claims"
    )


@pytest.mark.parametrize("first_week, forecast, critical", [("4000", "50000", False), ("4000.01", "50000.01", True)])
def test_forecast_critical_only_strictly_above_the_tier2_limit(first_week, forecast, critical):
    s = june_15_status(first_week)
    assert s.forecast == D(forecast)
    assert (s.colour == "critical", s.paused) == (critical, critical)
    assert s.tier == "T3" and "approval required" in s.flags  # $50,000 is already Tier 3


@pytest.mark.parametrize(
    "forecast_tier, approved, required",
    [("T1", None, False), ("T2", None, True), ("T2", "T2", False), ("T3", "T2", True), ("T2", "T3", False)],
)
def test_approval_required_only_when_the_forecast_tier_is_above_the_approved_one(forecast_tier, approved, required):
    assert approval_required(forecast_tier, approved) is required


@pytest.mark.parametrize("decision_date, due", [(TODAY, False), (TODAY - timedelta(days=1), True)])
def test_reminder_is_due_only_after_the_decision_date(decision_date, due):
    assert reminder_due(UseCase("x", "t", decision_date=decision_date), TODAY) is due
    assert not reminder_due(UseCase("x", "t", decision_date=decision_date, decision="continue"), TODAY)


@pytest.mark.parametrize("total, flagged", [("120", False), ("120.01", True), ("80", False), ("79.99", True)])
def test_reconciliation_flags_only_beyond_twenty_percent(total, flagged):
    assert reconcile("2025-06", D(total), D(100), D("0.20"), "USD").flagged is flagged


def run_anomalies(costs, units_list):
    ds = days(date(2025, 1, 1), len(costs))
    cpus = [D(c) / u if u else None for c, u in zip(costs, units_list, strict=False)]
    return detect("claims", ds, [D(c) for c in costs], units_list, cpus, len(costs), Settings())


@pytest.mark.parametrize("spike, anomalous", [("120", False), ("120.01", True)])
def test_a_day_exactly_twenty_percent_above_its_median_is_not_an_anomaly(spike, anomalous):
    found = run_anomalies(["100"] * 10 + [spike], [100] * 10 + [150])  # CPU falls: only cost can fire
    assert [a.metric for a in found] == (["cost"] if anomalous else [])


@pytest.mark.parametrize("units_today, storm", [(105, True), (95, True), (106, False), (94, False)])
def test_retry_storm_needs_units_within_five_percent_inclusive(units_today, storm):
    found = run_anomalies(["100"] * 10 + ["150"], [100] * 10 + [units_today])
    cost = next(a for a in found if a.metric == "cost")
    assert cost.retry_storm is storm


@pytest.mark.parametrize("allocated, met", [("95", True), ("94.99", False)])
def test_coverage_goal_of_95_percent_is_met_at_exactly_95(allocated, met):
    u = UseCase("claims", "claims-team")
    day = date(2025, 6, 2)
    facts = spread(allocated, "claims", day, 1) + spread(
        D(100) - D(allocated), "unallocated", day, 1, team="unallocated", vendor_key="openai:project:x"
    )
    month = engine.compute(org(u), facts, [], date(2025, 6, 11)).allocation["2025-06"]
    assert month.coverage_met is met


@pytest.mark.parametrize(
    "retired, verdict", [(2, "too little risk"), (3, "healthy"), (4, "healthy"), (5, "too many failures")]
)
def test_risk_appetite_band_thirty_to_forty_percent_is_inclusive(retired, verdict):
    ucs = tuple(
        UseCase(
            f"x{i}",
            "t",
            hypothesis="h",
            decision_date=date(2025, 5, 1),
            decision="retire" if i < retired else "continue",
        )
        for i in range(10)
    )
    result = risk_appetite(Organisation(use_cases=ucs), TODAY, {u.use_case_id: "T1" for u in ucs})
    assert result.verdict == verdict and result.share == D(retired) / 10
