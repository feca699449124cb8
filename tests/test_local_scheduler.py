"""The local scheduler fires the app's own schedules as EventBridge would, on any clock."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timezone

import app as app_module
from local.scheduler import LocalScheduler, Schedule


def test_a_week_and_a_month_start_fire_each_schedule_as_its_cron_says():
    start = datetime(2026, 11, 29, 0, 0, tzinfo=timezone.utc)  # Sunday; December 1st is a Tuesday
    end = datetime(2026, 12, 6, 0, 0, tzinfo=timezone.utc)
    fired = list(LocalScheduler(app_module).due(start, end))
    assert Counter(name for _, name in fired) == {"hourly": 7 * 24, "daily": 7, "weekly": 1, "monthly": 1}
    assert (datetime(2026, 11, 30, 5, 35, tzinfo=timezone.utc), "weekly") in fired  # Monday
    assert (datetime(2026, 12, 1, 3, 35, tzinfo=timezone.utc), "monthly") in fired
    assert [at for at, _ in fired] == sorted(at for at, _ in fired)


def test_eventbridge_day_numbers_and_names_agree():
    monday = datetime(2026, 11, 30, 5, 35, tzinfo=timezone.utc)
    assert Schedule("a", "cron(35 5 ? * MON *)").matches(monday)
    assert Schedule("b", "cron(35 5 ? * 2 *)").matches(monday)  # EventBridge: 1 = Sunday, 2 = Monday
    assert not Schedule("c", "cron(35 5 ? * 1 *)").matches(monday)
    assert Schedule("d", "cron(35 5 ? * MON-FRI *)").matches(monday)
