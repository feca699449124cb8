"""The alert store answers which of a month's budget episodes were already closed, and at what level."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timezone

import boto3

from chalicelib.domain.alerts import Episode
from chalicelib.storage.alert_store import AlertStore

WALL = datetime(2026, 11, 3, 2, 35, tzinfo=timezone.utc)
KEY = "budget:use_case:claims:2026-10"


def test_closed_levels_names_only_closed_episodes_of_those_keys(aws):
    store = AlertStore(boto3.resource("dynamodb", region_name="us-east-1"), "finops-config")
    forecast = Episode(KEY, "budget", "forecast", date(2026, 10, 20), "claims", "claims-team")
    other = Episode(KEY + "1", "budget", "spent", date(2026, 10, 2), "claims1", "claims-team")  # a longer key
    team = Episode("budget:team:claims-team:2026-10", "budget", "spent", date(2026, 10, 9), "", "claims-team")
    store.save([forecast, other, team], [], WALL)  # open: not closed yet
    assert store.closed_levels([KEY, team.key]) == {}
    store.save([replace(forecast, open=False, closed_on=date(2026, 11, 1))], [forecast], WALL)
    store.save([replace(other, open=False, closed_on=date(2026, 11, 1))], [other], WALL)
    assert store.closed_levels([KEY, team.key]) == {KEY: "forecast"}
    # the late "spent" overrun of the same episode is recorded over it
    store.save([replace(forecast, level="spent", open=False, closed_on=date(2026, 11, 3))], [], WALL)
    assert store.closed_levels([KEY]) == {KEY: "spent"}
    assert [e.key for e in store.open()] == [team.key]
