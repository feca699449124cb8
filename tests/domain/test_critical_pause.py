"""A critical breach pauses an agent until finance clears it, and only that episode is cleared."""

from datetime import date, timedelta

from chalicelib.domain.critical_pause import critical_latch

MON = date(2026, 11, 16)


def run(days):
    """Feed (critical_now, cleared_on) day by day through the latch, as the hourly runs do."""
    since, paused = None, []
    for n, (critical, cleared_on) in enumerate(days):
        latch = critical_latch(since, critical, cleared_on, MON + timedelta(days=n))
        since = latch.since
        paused.append(latch.paused)
    return paused


def test_the_pause_holds_after_the_colour_improves_until_finance_clears_it():
    assert run([(True, None), (False, None), (False, None), (False, MON + timedelta(days=3))]) == [
        True,
        True,
        True,
        False,
    ]


def test_clearing_while_still_critical_lets_it_run_and_a_new_episode_pauses_again():
    cleared = MON + timedelta(days=1)
    assert run([(True, None), (True, cleared), (True, cleared), (False, cleared), (True, cleared)]) == [
        True,
        False,
        False,
        False,
        True,
    ]


def test_a_clearance_dated_before_the_episode_does_not_clear_it():
    assert run([(True, MON - timedelta(days=1))]) == [True]
    latch = critical_latch(None, True, MON - timedelta(days=1), MON)
    assert "until finance clears it" in latch.reason and latch.since == MON


def test_no_critical_no_latch():
    latch = critical_latch(None, False, None, MON)
    assert (latch.since, latch.paused, latch.reason) == (None, False, "")


def test_a_pause_latched_after_the_runs_date_does_not_apply_and_is_kept_for_later_runs():
    latched = MON + timedelta(days=3)
    latch = critical_latch(latched, False, None, MON)
    assert not latch.paused and latch.since == latched
    assert f"latched on {latched.isoformat()} is after this run's date" in latch.reason
    # Critical at that earlier moment too: judged then, as a new episode starting that day.
    earlier = critical_latch(latched, True, None, MON)
    assert earlier.paused and earlier.since == MON
