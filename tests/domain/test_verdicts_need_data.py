"""No verdict without the data behind it; each period judged by the terms in force then.

Scenarios a finance person would recognise: a team's work-item counts lag two days, a new
agent runs at 20× its target, a month closes on a Tuesday, a target changes mid-month.
"""

from __future__ import annotations

from datetime import date, timedelta

from chalicelib.domain import engine
from chalicelib.domain.facts import DailyUnits
from chalicelib.domain.organisation import UseCase
from chalicelib.domain.terms import UseCaseTerms

from .builders import D, days, fact, org

TODAY = date(2026, 12, 2)  # a Wednesday: week 49 has two full days, Monday and Tuesday
AGENT = UseCase("claims", "claims-team", unit_of_work="claim", target_cpu=D(5))


def steady(start: date, end: date, cpu="5", per_day=100, use_case="claims"):
    """Spend and counts at an exact cost per unit for every day in [start, end)."""
    n = (end - start).days
    return (
        [fact(d, D(cpu) * per_day, use_case) for d in days(start, n)],
        [DailyUnits(use_case, d, per_day, per_day) for d in days(start, n)],
    )


def test_counts_lagging_two_days_pause_nobody_and_say_so():
    facts, work = steady(date(2026, 10, 1), TODAY)  # spend billed through yesterday
    counted = [w for w in work if w.day <= date(2026, 11, 30)]  # counts through Monday only
    counted[-1] = DailyUnits("claims", date(2026, 11, 30), 100, 100)
    out = engine.compute(org(AGENT), facts, counted, TODAY)
    s = out.status("claims")
    assert s.colour == "green" and not s.paused
    assert s.counts_reported_through == date(2026, 11, 30) and s.counts_missing_since == date(2026, 12, 1)
    assert "work-item counts not reported since 2026-12-01" in s.reason
    assert s.overrun_current_week is None and s.current_week_days == 1  # one reported day: not judged yet
    assert "critical" not in s.reason


def test_the_same_spend_with_its_counts_in_is_judged():
    facts, work = steady(date(2026, 10, 1), TODAY)
    facts += [fact(d, "1000") for d in (date(2026, 11, 30), date(2026, 12, 1))]  # $15 a claim this week
    s = engine.compute(org(AGENT), facts, work, TODAY).status("claims")
    assert s.colour == "critical" and s.paused and s.current_week_days == 2
    assert s.counts_missing_since is None and "not reported" not in s.reason


def test_a_latest_week_not_fully_reported_is_not_judged_the_one_before_is():
    today = date(2026, 11, 30)  # Monday: week 48 (Nov 23-29) just completed
    facts, work = steady(date(2026, 10, 1), today)
    facts += [fact(d, "2000") for d in days(date(2026, 11, 23), 7)]  # week 48 looks 4x too dear...
    work = [w for w in work if w.day <= date(2026, 11, 27)]  # ...but Saturday's and Sunday's counts are missing
    s = engine.compute(org(AGENT), facts, work, today).status("claims")
    assert s.colour == "green" and not s.paused and s.latest_week == date(2026, 11, 16)
    assert "2026-W47" in s.reason and "not reported since 2026-11-28" in s.reason


def test_a_new_agent_at_20x_target_on_reported_days_is_critical_without_a_complete_week():
    new = UseCase("leads", "claims-team", unit_of_work="lead", target_cpu=D("0.50"))
    facts, work = steady(date(2026, 11, 30), TODAY, cpu="10", per_day=40, use_case="leads")
    s = engine.compute(org(new), facts, work, TODAY).status("leads")
    assert s.colour == "critical" and s.paused
    assert "so far (2 full days with counts)" in s.reason


def test_spend_with_no_work_items_in_a_judged_week_is_named_with_its_amount():
    facts, work = steady(date(2026, 10, 1), TODAY)
    work = [w for w in work if not date(2026, 11, 23) <= w.day <= date(2026, 11, 29)]  # week 48: no items
    s = engine.compute(org(AGENT), facts, work, TODAY).status("claims")
    assert s.colour is None and "cost with zero units" in s.flags
    assert "spend $3,500.00 with no work items in 2026-W48" in s.reason


def test_a_closed_months_colour_is_as_it_stood_on_the_1st_whatever_came_after():
    today = date(2026, 12, 10)
    facts, work = steady(date(2026, 10, 1), today)
    facts += [fact(d, "5000") for d in days(date(2026, 12, 1), 6)]  # December blows up after the close
    out = engine.compute(org(AGENT), facts, work, today)
    november = next(r for r in out.pnl if r.month == "2026-11")
    assert november.colour == "green"
    assert out.status("claims").colour == "critical"


def test_a_target_changed_mid_month_leaves_earlier_weeks_judged_by_the_old_one():
    history = {
        "claims": (UseCaseTerms(date(2026, 1, 1), target_cpu=D(5)), UseCaseTerms(date(2026, 11, 27), target_cpu=D(4)))
    }
    agent = UseCase("claims", "claims-team", unit_of_work="claim", target_cpu=D(4))
    facts, work = steady(date(2026, 10, 1), date(2026, 11, 16), cpu="5")
    f2, w2 = steady(date(2026, 11, 16), date(2026, 11, 23), cpu="5.50")  # week 47: 10 % over the old $5
    f3, w3 = steady(date(2026, 11, 23), TODAY, cpu="5")  # week 48: 25 % over the new $4
    o = org(agent, terms_history=history)
    s = engine.compute(o, facts + f2 + f3, work + w2 + w3, TODAY).status("claims")
    assert s.colour == "yellow"  # red needs 20 % twice: week 47 was 10 % over the target it had then
    assert s.target_cpu == D(4) and s.target_latest_week == D(4)
    without_history = engine.compute(org(agent), facts + f2 + f3, work + w2 + w3, TODAY).status("claims")
    assert without_history.colour == "red"
    october = next(r for r in engine.compute(o, facts + f2 + f3, work + w2 + w3, TODAY).pnl if r.month == "2026-10")
    assert october.colour == "green" and october.target_cpu == D(5)


def test_an_effective_from_in_the_future_waits_for_its_day():
    history = {
        "claims": (
            UseCaseTerms(date(2026, 1, 1), target_cpu=D(5)),
            UseCaseTerms(TODAY + timedelta(days=5), target_cpu=D(1)),
        )
    }
    agent = UseCase("claims", "claims-team", unit_of_work="claim", target_cpu=D(1))
    facts, work = steady(date(2026, 10, 1), TODAY)
    s = engine.compute(org(agent, terms_history=history), facts, work, TODAY).status("claims")
    assert s.colour == "green" and s.target_cpu == D(5)


def test_a_team_budget_raised_this_month_leaves_last_months_board_budget_alone():
    from chalicelib.domain.organisation import Team
    from chalicelib.domain.terms import TeamTerms

    team = Team("claims-team", monthly_budget=D(2000))
    history = {"claims-team": (TeamTerms(date(2026, 1, 1), D(1000)), TeamTerms(date(2026, 12, 1), D(2000)))}
    facts, work = steady(date(2026, 10, 1), TODAY)
    out = engine.compute(org(AGENT, teams=(team,), team_history=history), facts, work, TODAY)
    assert out.board.month == "2026-11" and out.board.budget == D(1000)
    assert out.teams[0].budget == D(2000)


def test_a_missing_day_before_later_counts_is_left_out_of_the_current_weeks_verdict():
    thursday = date(2026, 12, 3)
    facts, work = steady(date(2026, 10, 1), thursday)
    work = [w for w in work if w.day != date(2026, 12, 1)]  # Tuesday's batch never arrived; Wednesday's did
    s = engine.compute(org(AGENT), facts, work, thursday).status("claims")
    assert s.colour == "green" and not s.paused
    assert s.current_week_days == 2 and s.cpu_current_week == D(5)  # Monday and Wednesday, at target
    assert "no work items on 2026-12-01: $500.00 of this week's spend left out of its verdict" in s.reason


def test_the_current_week_needs_two_days_with_counts_not_two_days_since_monday():
    friday = date(2026, 12, 4)
    new = UseCase("leads", "claims-team", unit_of_work="lead", target_cpu=D("0.50"))
    facts, work = steady(date(2026, 12, 3), friday, cpu="10", per_day=40, use_case="leads")  # launched Thursday
    s = engine.compute(org(new), facts, work, friday).status("leads")
    assert s.colour is None and not s.paused and s.current_week_days == 1
    f2, w2 = steady(friday, friday + timedelta(days=1), cpu="10", per_day=40, use_case="leads")
    later = engine.compute(org(new), facts + f2, work + w2, friday + timedelta(days=1)).status("leads")
    assert later.colour == "critical" and later.current_week_days == 2


def test_work_items_dated_after_the_runs_day_are_not_in_its_figures():
    facts, work = steady(date(2026, 10, 1), date(2026, 11, 21))
    _, future = steady(date(2026, 11, 21), date(2026, 12, 1))  # posted later; the run judges Nov 20
    out = engine.compute(org(AGENT), facts, work + future, date(2026, 11, 20))
    november = next(r for r in out.pnl if r.month == "2026-11")
    assert november.units == 100 * 20 and november.cpu == D(5)
    assert out.status("claims").counts_reported_through == date(2026, 11, 20)


def test_a_closed_month_is_judged_by_the_terms_of_its_last_day_not_the_1st_after():
    history = {
        "claims": (UseCaseTerms(date(2026, 1, 1), target_cpu=D(5)), UseCaseTerms(date(2026, 10, 1), target_cpu=D(3)))
    }
    agent = UseCase("claims", "claims-team", unit_of_work="claim", target_cpu=D(3))
    facts, work = steady(date(2026, 8, 1), date(2026, 10, 10), cpu="5.60")  # 12 % over the $5 of September
    out = engine.compute(org(agent, terms_history=history), facts, work, date(2026, 10, 10))
    september = next(r for r in out.pnl if r.month == "2026-09")
    assert september.target_cpu == D(5) and september.colour == "yellow"


def test_month_to_date_cost_per_unit_leaves_out_days_whose_counts_have_not_arrived():
    # December: the 1st and the 2nd billed at $5 a claim, counts posted for the 1st only.
    facts, work = steady(date(2026, 11, 23), TODAY + timedelta(days=1))
    counted = [w for w in work if w.day <= date(2026, 12, 1)]
    s = engine.compute(org(AGENT), facts, counted, TODAY).status("claims")
    assert s.cpu_month == D(5)  # the 2nd's $500 is not divided by the 1st's 100 claims
    assert s.month_to_date_cost == D(1000)  # the month's spend is all still counted
    nothing_yet = engine.compute(org(AGENT), facts, [w for w in work if w.day < date(2026, 12, 1)], TODAY)
    assert nothing_yet.status("claims").cpu_month is None  # no December counts: no December figure
