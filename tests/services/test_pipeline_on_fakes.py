"""The pipeline's `run` on in-memory stores and fakes (tests/services/fakes.py): the end-to-end tests'
story (tests/sheet/test_pipeline_runs.py) without AWS, the Sheets API or the vendors' HTTP, so each run
takes milliseconds. The sheet cannot be opened here: runs compute from the stored configuration and
end "partial" (the sheet not written); everything else is as the real stack does it."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal as D

import pytest

from tests.services.fakes import World, throttled
from tests.sheet.pipeline_world import (
    BOARD,
    CFO,
    CLAIMS_LEAD,
    DRIFT_OWNER,
    DRIFT_TARGET,
    DRIFT_UNITS,
    FINANCE,
    HISTORY_START,
    SIX_WEEKS_EMAIL_KEYS,
    STEADY_CPU,
    STEADY_OWNER,
    STEADY_TARGET,
    STEADY_UNITS,
    SUPPORT_LEAD,
    WEEKLY_STEPS,
    at,
)

MONTH_CLOSE = at("2026-10-01T03:35:00Z")  # a Thursday: the week of 09-21 is the latest complete one
MONTH_CLOSE_EMAILS = {  # as tests/sheet/test_pipeline_runs.py's month close mails them
    "slo:drift:2026-10-01:critical": (DRIFT_OWNER, CLAIMS_LEAD, FINANCE, CFO),
    "board:2026-09": (BOARD,),
    "budget:use_case:steady:2026-10:forecast": (STEADY_OWNER, SUPPORT_LEAD),
}


@pytest.fixture(autouse=True)
def no_reports_bucket(monkeypatch):
    monkeypatch.delenv("REPORTS_BUCKET", raising=False)


@pytest.fixture
def world():
    return World(overrun={date(2026, 9, 21): D("0.60")})


def test_the_month_close_on_fakes_ends_as_the_real_stacks(world):
    record = world.run("monthly", MONTH_CLOSE)
    assert record.status == "partial" and [s.name for s in record.steps if s.status != "ok"] == [
        "read sheet",
        "write sheet",
    ]
    assert "close month" in [s.name for s in record.steps]
    s = world.stores
    rail = s.guardrails.get("drift")
    assert (rail.colour, rail.paused) == ("critical", True)
    assert [(c.use_case, c.tier, c.amount) for c in s.pool.load()["2026-09"]] == [("steady", "T1", D("750.00"))]
    assert {m.key: m.recipients for m in world.mailer.sent} == MONTH_CLOSE_EMAILS
    assert all(world.outbox.get(k).status == "sent" for k in MONTH_CLOSE_EMAILS)
    assert [e.key for e in s.alerts.open()] == ["budget:use_case:steady:2026-10", "slo:drift"]
    assert s.runs.get(record.run_id) == record and s.runs.holder() is None  # recorded, the lock released
    september = [date(2026, 9, 1) + timedelta(days=n) for n in range(30)]
    total = sum(world.drift_cost(d) for d in september) + 30 * 75
    assert sum((f.effective_cost for f in s.ledger.facts_for_month("2026-09")), D(0)) == total


def test_a_rerun_of_the_same_moment_changes_nothing_and_sends_nothing(world):
    world.run("monthly", MONTH_CLOSE)
    before = world.state()
    record = world.run("monthly", MONTH_CLOSE)
    assert record.emails_sent == 0
    assert world.state() == before


def test_a_run_while_another_holds_the_lock_is_skipped_and_names_it(world):
    world.stores.runs.acquire("20261001T033000Z-daily-abc123", world.wall(), 900)
    record = world.run("hourly", MONTH_CLOSE)
    assert record.status == "skipped" and "20261001T033000Z-daily-abc123" in record.message
    assert world.stores.guardrails.all() == [] and world.mailer.sent == []


def test_a_run_that_died_is_taken_over_once_its_lease_ran_out(world, monkeypatch):
    from chalicelib.services import pipeline
    from tests.sheet.pipeline_world import Kill

    def killed(*args):
        raise Kill()

    monkeypatch.setattr(pipeline, "_store_guardrails", killed)
    monkeypatch.setattr(world.stores.runs, "release", lambda run_id: None)  # a dead process releases nothing
    with pytest.raises(Kill):
        world.run("hourly", at("2026-09-23T10:05:00Z"))
    dead = world.stores.runs.holder()["run_id"]
    monkeypatch.undo()
    assert world.run("hourly", at("2026-09-23T11:05:00Z")).status == "skipped"  # the lease still holds
    world.wall.advance(pipeline.LEASE_SECONDS + 1)
    record = world.run("hourly", at("2026-09-23T11:05:00Z"))
    assert record.status == "partial"  # the sheet only
    assert world.stores.runs.get(dead).status == "failed" and record.run_id in world.stores.runs.get(dead).message
    assert world.stores.guardrails.get("drift").colour == "critical"


def test_emails_ses_refused_stay_pending_and_the_next_run_sends_them_once(world):
    world.mailer.refusing = throttled()
    first = world.run("monthly", MONTH_CLOSE)
    assert first.emails_sent == 0 and "email" in first.message
    assert sorted(i.key for i in world.outbox.pending()) == sorted(MONTH_CLOSE_EMAILS)
    world.mailer.refusing = None
    second = world.run("hourly", at("2026-10-01T04:05:00Z"))
    assert second.emails_sent == len(MONTH_CLOSE_EMAILS)
    assert sorted(world.mailer.keys()) == sorted(MONTH_CLOSE_EMAILS) and world.outbox.pending() == []


def test_a_failing_source_keeps_what_it_had_and_the_others_land(world):
    world.run("daily", at("2026-09-24T02:35:00Z"))
    stored = world.stores.ledger.facts_for_month("2026-09")
    world.failing.add("openai")
    world.overrun[date(2026, 9, 21)] = D("0.10")  # what openai would restate, had it answered
    record = world.run("hourly", at("2026-09-24T10:05:00Z"))
    assert record.status == "partial" and "source failing: openai" in record.message
    by_source = {f.source: f for f in world.stores.freshness.all()}
    assert by_source["openai"].status == "error" and by_source["anthropic"].status == "ok"
    assert by_source["openai"].owed_from == "2026-09-22"  # the next pull starts there
    openai = [f for f in world.stores.ledger.facts_for_month("2026-09") if f.source == "openai"]
    assert openai == [f for f in stored if f.source == "openai"]
    assert {f.day for f in world.stores.ledger.facts_for_month("2026-09") if f.source == "anthropic"} >= {
        date(2026, 9, 24)
    }


def test_without_email_configured_a_daily_run_after_a_whole_live_month_does_not_fail():
    """No ALERT_SENDER (no outbox, no mailer): the daily run's check for a board report the monthly
    run may have missed cannot ask the outbox, and must not fail the run for it."""
    world = World(outbox=None, mailer=None)
    assert world.run("daily", at("2026-08-31T02:35:00Z")).status == "partial"  # the product goes live
    record = world.run("daily", at("2026-10-02T02:35:00Z"))  # September was live all through
    assert record.status == "partial", record.message
    assert [s.name for s in record.steps if s.status != "ok"] == ["read sheet", "write sheet"]


# --- the six weeks of tests/sheet/test_pipeline_runs.py, on fakes ----------------------------------------

# drift's cost per claim over target, by week (Monday): yellow, yellow, red, critical, then fixed
SIX_WEEKS = {
    date(2026, 8, 31): D("0.12"),
    date(2026, 9, 7): D("0.25"),
    date(2026, 9, 14): D("0.30"),
    date(2026, 9, 21): D("0.60"),
}
SLO_ALL = (DRIFT_OWNER, CLAIMS_LEAD, FINANCE, CFO)  # critical and its recovery: the owner, the lead, finance, the CFO
STEADY_BUDGET = (STEADY_OWNER, SUPPORT_LEAD)


def scheduled(world, kind, moment):
    """The scheduled run `kind` at `moment` (text): everything done but the sheet, which this world lacks."""
    record = world.run(kind, at(moment))
    assert record.status == "partial", record.message
    assert [s.name for s in record.steps if s.status != "ok"] == ["read sheet", "write sheet"], record.message
    return record


def mailed(world, since=0) -> dict:
    """key -> recipients of the emails sent since the `since`th."""
    return {m.key: m.recipients for m in world.mailer.sent[since:]}


def sent(world, key):
    (message,) = [m for m in world.mailer.sent if m.key == key]
    return message


def rerun_changes_nothing(world, kind, moment):
    before = world.state()
    assert scheduled(world, kind, moment).emails_sent == 0
    assert world.state() == before


def drift_cpu(world, monday):
    """drift's cost per claim in the week of `monday`, from what the vendors bill and the agents count."""
    return sum(world.drift_cost(monday + timedelta(days=n)) for n in range(7)) / (7 * DRIFT_UNITS)


def cleared_on(world, critical_text):
    """Finance does what the critical email asks: a date in "Critical cleared on", as the stored
    configuration carries it (a run without the sheet computes from the stored configuration)."""
    day = date.fromisoformat(re.search(r"enter a date on or after (\d{4}-\d{2}-\d{2})", critical_text).group(1))
    org = world.stores.organisation.load()
    cases = tuple(replace(u, critical_cleared_on=day) if u.use_case_id == "drift" else u for u in org.use_cases)
    world.stores.organisation.save(replace(org, use_cases=cases))
    return day


def test_six_weeks_yellow_red_critical_cleared_recovered_month_closed_pool_credited():
    world = World(overrun=dict(SIX_WEEKS), history_start=HISTORY_START)
    s = world.stores

    def rail():
        return s.guardrails.get("drift")

    # Week 1 (judging the week of 08-31, 12 % over): yellow; nobody is mailed about drift.
    r = scheduled(world, "weekly", "2026-09-07T05:35:00Z")
    assert [step.name for step in r.steps] == WEEKLY_STEPS
    assert (rail().colour, rail().paused) == ("yellow", False)
    assert (
        rail().cost_per_unit == drift_cpu(world, date(2026, 8, 31)) == DRIFT_TARGET * (1 + SIX_WEEKS[date(2026, 8, 31)])
    )
    assert mailed(world) == {"budget:use_case:steady:2026-09:forecast": STEADY_BUDGET, "digest:2026-W36": (FINANCE,)}
    rerun_changes_nothing(world, "weekly", "2026-09-07T05:35:00Z")

    # Week 2 (25 % over, after 12 %): still yellow: red needs 20 % two weeks running.
    n = len(world.mailer.sent)
    scheduled(world, "weekly", "2026-09-14T05:35:00Z")
    assert (rail().colour, rail().paused) == ("yellow", False)
    assert mailed(world, n) == {"digest:2026-W37": (FINANCE,)}

    # Week 3 (30 % over, after 25 %): red, mailed once to the owner and the team lead.
    n = len(world.mailer.sent)
    scheduled(world, "weekly", "2026-09-21T05:35:00Z")
    assert (rail().colour, rail().paused) == ("red", False)
    assert mailed(world, n) == {"digest:2026-W38": (FINANCE,), "slo:drift:2026-09-21:red": (DRIFT_OWNER, CLAIMS_LEAD)}
    assert "48 hours" in sent(world, "slo:drift:2026-09-21:red").text  # the root cause, within 48 hours
    rerun_changes_nothing(world, "weekly", "2026-09-21T05:35:00Z")

    # Wednesday of week 4: two full days 60 % over: critical, paused, finance and the CFO mailed too.
    n = len(world.mailer.sent)
    scheduled(world, "hourly", "2026-09-23T10:05:00Z")
    assert (rail().colour, rail().paused, rail().critical_since) == ("critical", True, date(2026, 9, 23))
    assert rail().cost_per_unit_this_week == DRIFT_TARGET * (1 + SIX_WEEKS[date(2026, 9, 21)])
    assert mailed(world, n) == {"slo:drift:2026-09-23:critical": SLO_ALL}
    critical = sent(world, "slo:drift:2026-09-23:critical")
    assert "paused" in critical.subject.lower()
    rerun_changes_nothing(world, "hourly", "2026-09-23T10:05:00Z")
    assert sorted(e.key for e in s.alerts.open()) == ["budget:use_case:steady:2026-09", "slo:drift"]

    # Week 5's Monday: the latest complete week is 60 % over: still critical and paused. Steady's month
    # to date is past its $2,000 budget now (28 days x $75; 23 days, $1,725, at the last run): "spent".
    n = len(world.mailer.sent)
    scheduled(world, "weekly", "2026-09-28T05:35:00Z")
    assert (rail().colour, rail().paused) == ("critical", True)
    assert mailed(world, n) == {"digest:2026-W39": (FINANCE,), "budget:use_case:steady:2026-09:spent": STEADY_BUDGET}

    # Finance clears the pause with the date the critical email names: drift runs again, still judged
    # critical; the episode stays open and nobody is mailed about the clearance.
    assert cleared_on(world, critical.text) == rail().critical_since
    n = len(world.mailer.sent)
    scheduled(world, "hourly", "2026-09-29T09:05:00Z")
    assert (rail().colour, rail().paused) == ("critical", False)
    assert "slo:drift" in [e.key for e in s.alerts.open()] and mailed(world, n) == {}

    # The 1st: September closes; steady beat its target every day: (2.00 - 1.50) x 50 x 30 = $750 to T1.
    n = len(world.mailer.sent)
    r = scheduled(world, "monthly", "2026-10-01T03:35:00Z")
    assert {"close month", "board report"} <= {step.name for step in r.steps}
    credit = (STEADY_TARGET - STEADY_CPU) * STEADY_UNITS * 30
    assert [(c.use_case, c.tier, c.amount) for c in s.pool.load()["2026-09"]] == [("steady", "T1", credit)]
    assert mailed(world, n) == {"board:2026-09": (BOARD,), "budget:use_case:steady:2026-10:forecast": STEADY_BUDGET}
    board = sent(world, "board:2026-09")
    september = [date(2026, 9, 1) + timedelta(days=d) for d in range(30)]
    total = sum(world.drift_cost(d) for d in september) + 30 * STEADY_UNITS * STEADY_CPU
    assert f"${total:,.2f}" in board.text
    assert (rail().colour, rail().paused) == ("critical", False)  # the clearance holds across the close
    rerun_changes_nothing(world, "monthly", "2026-10-01T03:35:00Z")

    # Week 6's Monday: last week back on target: green; the episode closes with one recovery email, to
    # everyone its highest level (critical) mailed.
    n = len(world.mailer.sent)
    scheduled(world, "weekly", "2026-10-05T05:35:00Z")
    assert (rail().colour, rail().paused) == ("green", False) and rail().cost_per_unit == DRIFT_TARGET
    assert mailed(world, n) == {"digest:2026-W40": (FINANCE,), "slo:drift:2026-09-21:recovery": SLO_ALL}
    assert "slo:drift" not in [e.key for e in s.alerts.open()]
    rerun_changes_nothing(world, "weekly", "2026-10-05T05:35:00Z")
    scheduled(world, "weekly", "2026-10-12T05:35:00Z")

    # Exactly one email per episode and escalation, each to the right people; nothing pending.
    keys = world.mailer.keys()
    assert len(keys) == len(set(keys)) and set(keys) == SIX_WEEKS_EMAIL_KEYS
    assert world.outbox.pending() == [] and all(world.outbox.get(k).status == "sent" for k in keys)


def test_a_week_without_work_item_counts_gets_no_verdict_until_its_counts_arrive():
    """Drift runs 60 % over in the week of 09-21, but its agents post no work items that week (a
    broken counter): its spend is not an overrun, nobody is paused or mailed about drift. The counts
    posted late, the week is judged: critical, paused, mailed."""
    week = date(2026, 9, 21)
    world = World(overrun={week: D("0.60")}, held={("drift", week + timedelta(days=n)) for n in range(7)})

    # Wednesday: two full days billed 60 % over, not one claim counted: not judged, and said so; the
    # colour is the latest counted week's (on target). (Daily runs: they pull the whole month, an
    # hourly run the last 3 days.)
    scheduled(world, "daily", "2026-09-23T02:35:00Z")
    rail = world.stores.guardrails.get("drift")
    assert (rail.colour, rail.paused, rail.counts_reported_through) == ("green", False, week - timedelta(days=1))
    assert rail.cost_per_unit == drift_cpu(world, week - timedelta(days=7)) == DRIFT_TARGET
    unjudged = world.drift_cost(week) + world.drift_cost(week + timedelta(days=1))
    assert f"work-item counts not reported since {week}: ${unjudged:,.2f} of spend not judged" in rail.reason

    # The next Wednesday: counts again from Monday, none for the week before: the latest complete week
    # has spend and no work items: no colour (not red, not critical), its spend named.
    scheduled(world, "daily", "2026-09-30T02:35:00Z")
    rail = world.stores.guardrails.get("drift")
    assert (rail.colour, rail.paused) == (None, False)
    spent = sum(world.drift_cost(week + timedelta(days=n)) for n in range(7))
    assert f"spend ${spent:,.2f} with no work items in 2026-W39" in rail.reason
    assert not [k for k in world.mailer.keys() if k.startswith("slo:drift")]
    assert "slo:drift" not in [e.key for e in world.stores.alerts.open()]

    # The week's work items arrive late: it is judged, 60 % over: critical, paused, mailed once.
    world.post_held()
    scheduled(world, "hourly", "2026-09-30T11:05:00Z")
    rail = world.stores.guardrails.get("drift")
    assert (rail.colour, rail.paused) == ("critical", True)
    assert rail.cost_per_unit == drift_cpu(world, week) == DRIFT_TARGET * D("1.60")
    assert {k: m for k, m in mailed(world).items() if k.startswith("slo:drift")} == {
        "slo:drift:2026-09-30:critical": SLO_ALL
    }
