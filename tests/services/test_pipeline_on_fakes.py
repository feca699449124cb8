"""The pipeline's `run` on in-memory stores and fakes (tests/services/fakes.py): the end-to-end tests'
story (tests/sheet/test_pipeline_runs.py) without AWS, the Sheets API or the vendors' HTTP, so each run
takes milliseconds. The sheet cannot be opened here: runs compute from the stored configuration and
end "partial" (the sheet not written); everything else is as the real stack does it."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D

import pytest

from tests.services.fakes import World, throttled
from tests.sheet.pipeline_world import BOARD, CFO, CLAIMS_LEAD, DRIFT_OWNER, FINANCE, STEADY_OWNER, SUPPORT_LEAD, at

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
