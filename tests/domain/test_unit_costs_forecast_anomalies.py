"""Cost per unit by day, ISO week and month; the month-end forecast; anomalies."""

from __future__ import annotations

from datetime import date, timedelta

from chalicelib.domain import engine
from chalicelib.domain.facts import DailyUnits
from chalicelib.domain.forecast import month_end_forecast
from chalicelib.domain.organisation import UseCase

from .builders import D, days, fact, org, units

AGENT = UseCase("claims", "claims-team", unit_of_work="claim", target_cpu=D(5))


def run(facts, work, today, use_case=AGENT):
    return engine.compute(org(use_case), facts, work, today)


def test_a_day_with_cost_and_no_units_has_no_cpu_and_is_flagged_never_divided_by_zero():
    d1, d2, d3 = days(date(2025, 6, 2), 3)
    out = run([fact(d1, "50"), fact(d2, "30")], [DailyUnits("claims", d1, 10, 10)], date(2025, 6, 20))
    series = out.unit_costs["claims"].days
    assert series.get(d1).cpu == D(5) and series.get(d1).flags == ()
    assert series.get(d2).cpu is None and series.get(d2).flags == ("cost with zero units",)
    assert series.get(d3).cpu is None and series.get(d3).flags == ()  # nothing spent, nothing to flag


def test_a_reported_week_with_spend_but_no_units_has_no_colour_and_says_how_much():
    monday = date(2025, 6, 2)
    # Counts are reported (items posted the Monday after), but the week itself had none.
    out = run(
        [fact(d, "100") for d in days(monday, 7)], [DailyUnits("claims", date(2025, 6, 9), 5, 5)], date(2025, 6, 11)
    )
    s = out.status("claims")
    assert s.colour is None and s.cpu_week is None
    assert "cost with zero units" in s.flags and "spend $700.00 with no work items in 2025-W23" in s.reason


def test_spend_before_any_work_item_is_posted_is_not_judged_but_named():
    monday = date(2025, 6, 2)
    out = run([fact(d, "100") for d in days(monday, 7)], [], date(2025, 6, 11))
    s = out.status("claims")
    assert s.colour is None and not s.paused
    assert "counts not reported" in s.flags
    assert "work-item counts not reported since 2025-06-02" in s.reason and "$700.00" in s.reason


def test_units_rule_success_counts_only_successful_items():
    d = date(2025, 6, 2)
    work = [DailyUnits("claims", d, 10, 8)]
    assert run([fact(d, "40")], work, date(2025, 6, 20)).unit_costs["claims"].days.get(d).cpu == D(4)
    success = UseCase("claims", "claims-team", units_rule="success")
    assert run([fact(d, "40")], work, date(2025, 6, 20), success).unit_costs["claims"].days.get(d).cpu == D(5)


def test_iso_weeks_run_monday_to_sunday_across_a_month_end_and_months_are_calendar_months():
    # Mon 30 June – Sun 6 July 2025: one ISO week, two calendar months.
    facts = [fact(d, "10") for d in days(date(2025, 6, 30), 7)]
    work = [DailyUnits("claims", d, 2, 2) for d in days(date(2025, 6, 30), 7)]
    uc = run(facts, work, date(2025, 7, 20)).unit_costs["claims"]
    week = uc.weeks.get(date(2025, 6, 30))
    assert (week.label, week.cost, week.units, week.cpu) == ("2025-W27", D(70), 14, D(5))
    assert [(m.label, m.cost, m.units) for m in uc.months.rows()] == [("2025-06", D(10), 2), ("2025-07", D(60), 12)]


def test_periods_not_over_by_today_are_marked_partial():
    today = date(2025, 6, 11)
    uc = run(
        [fact(today - timedelta(days=1), "5"), fact(today, "5")],
        units("claims", today - timedelta(days=1), 2, 2),
        today,
    ).unit_costs["claims"]
    assert "partial period" not in uc.days.get(today - timedelta(days=1)).flags
    assert "partial period" in uc.days.get(today).flags
    assert "partial period" in uc.weeks.get(date(2025, 6, 9)).flags
    assert "partial period" in uc.months.get(date(2025, 6, 1)).flags


def test_forecast_is_complete_days_plus_the_trailing_seven_day_average_times_days_left():
    today = date(2025, 6, 16)
    cost = {d: D(100) for d in days(date(2025, 6, 1), 8)}  # 1–8 June at $100
    cost.update({d: D(200) for d in days(date(2025, 6, 9), 7)})  # 9–15 June at $200: the window
    cost[today] = D(999)  # today's partial spend is not part of the average
    f = month_end_forecast(cost, today, 7)
    assert (f.complete_to_date, f.month_to_date) == (D(2200), D(3199))
    assert (f.window_days, f.daily_average, f.days_left) == (7, D(200), 15)
    assert f.forecast == D(2200) + D(200) * 15


def test_forecast_on_the_first_of_the_month_uses_the_last_week_of_the_previous_month():
    today = date(2025, 7, 1)
    cost = {d: D(70) for d in days(date(2025, 6, 24), 7)}
    f = month_end_forecast(cost, today, 7)
    assert (f.complete_to_date, f.daily_average, f.days_left, f.forecast) == (D(0), D(70), 31, D(2170))


def test_a_new_use_case_averages_only_over_the_days_since_its_first_spend():
    today = date(2025, 6, 16)
    cost = {date(2025, 6, 14): D(300), date(2025, 6, 15): D(500)}
    f = month_end_forecast(cost, today, 7, first_day=date(2025, 6, 14))
    assert (f.window_days, f.daily_average) == (2, D(400))
    assert f.forecast == D(800) + D(400) * 15


def test_forecast_is_never_below_what_is_already_spent():
    today = date(2025, 6, 16)
    f = month_end_forecast({today: D(5000)}, today, 7, first_day=today)
    assert f.forecast == f.month_to_date == D(5000)


def steady_then(spike_cost, spike_units=100, n=30, start=date(2025, 5, 1)):
    ds = days(start, n + 1)
    facts = [fact(d, "100") for d in ds[:-1]] + [fact(ds[-1], spike_cost)]
    work = [DailyUnits("claims", d, 100, 100) for d in ds[:-1]] + [DailyUnits("claims", ds[-1], spike_units, 100)]
    return ds[-1], facts, work


def test_a_cost_spike_with_flat_units_is_an_anomaly_and_a_retry_storm():
    spike_day, facts, work = steady_then("150")
    out = run(facts, work, spike_day + timedelta(days=1))
    found = [a for a in out.anomalies if a.day == spike_day]
    assert {a.metric for a in found} == {"cost", "cpu"}
    cost = next(a for a in found if a.metric == "cost")
    assert cost.retry_storm and cost.median == D(100) and cost.excess == D("0.5")
    assert "retry storm" in cost.reason


def test_a_cost_spike_that_brings_matching_work_is_not_a_retry_storm_nor_a_cpu_anomaly():
    spike_day, facts, work = steady_then("150", spike_units=150)
    found = [a for a in run(facts, work, spike_day + timedelta(days=1)).anomalies if a.day == spike_day]
    assert [(a.metric, a.retry_storm) for a in found] == [("cost", False)]


def test_today_is_not_judged_until_it_is_complete():
    spike_day, facts, work = steady_then("500")
    assert not [a for a in run(facts, work, spike_day).anomalies if a.day == spike_day]


def test_no_anomaly_is_judged_on_less_than_seven_days_of_history():
    spike_day, facts, work = steady_then("500", n=6)
    assert run(facts, work, spike_day + timedelta(days=1)).anomalies == ()
    spike_day, facts, work = steady_then("500", n=7)
    assert run(facts, work, spike_day + timedelta(days=1)).anomalies != ()


def test_the_trailing_median_uses_only_the_28_days_before():
    # 20 days at $300 long ago, then 28 days at $100: a $130 day is hot against the recent median.
    start = date(2025, 4, 1)
    ds = days(start, 49)
    facts = [fact(d, "300") for d in ds[:20]] + [fact(d, "100") for d in ds[20:48]] + [fact(ds[48], "130")]
    out = run(facts, [], ds[48] + timedelta(days=1))
    last = [a for a in out.anomalies if a.day == ds[48]]
    assert len(last) == 1 and last[0].median == D(100)
