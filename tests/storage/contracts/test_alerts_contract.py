"""The alert episodes' contract (storage/interfaces.py Alerts), in memory and on DynamoDB (moto): open
episodes are listed until a run closes them; closed ones are kept for the record."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timezone

import pytest

from chalicelib.domain.alerts import Episode

WALL = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
SLO = Episode("slo:claims", "slo", "red", date(2026, 11, 16), use_case="claims", reason="62 % over")
BUDGET = Episode("budget:team:support:2026-10", "budget", "forecast", date(2026, 10, 20), team="support")


class AlertsContract:
    @pytest.fixture
    def alerts(self):
        raise NotImplementedError

    def test_open_episodes_are_listed_by_key_as_stored(self, alerts):
        assert alerts.open() == []
        alerts.save([SLO, BUDGET], [], WALL)
        assert alerts.open() == [BUDGET, SLO]
        critical = replace(SLO, level="critical", paused_since=date(2026, 11, 18))
        alerts.save([critical, BUDGET], [BUDGET, SLO], WALL)
        assert alerts.open() == [BUDGET, critical]

    def test_a_closed_episode_leaves_the_open_ones_and_its_level_is_kept(self, alerts):
        alerts.save([SLO, BUDGET], [], WALL)
        spent = replace(BUDGET, level="spent")
        alerts.save([spent], [BUDGET], WALL)
        alerts.save([replace(spent, open=False, closed_on=date(2026, 11, 1)), SLO], [spent, SLO], WALL)
        assert alerts.open() == [SLO]

    def test_closing_an_episode_the_run_did_not_read_open_keeps_it_open(self, alerts):
        alerts.save([SLO], [], WALL)
        alerts.save([replace(SLO, open=False, closed_on=date(2026, 11, 19))], [], WALL)
        assert alerts.open() == [SLO]

    def test_the_digest_colours_are_the_last_ones_saved(self, alerts):
        assert alerts.digest_colours() == {}
        alerts.save_digest_colours({"claims": "red", "triage": ""})
        alerts.save_digest_colours({"claims": "green"})
        assert alerts.digest_colours() == {"claims": "green"}


class TestInMemoryAlerts(AlertsContract):
    @pytest.fixture
    def alerts(self):
        from chalicelib.storage.in_memory import InMemoryAlerts

        return InMemoryAlerts()


class TestDynamoDBAlerts(AlertsContract):
    @pytest.fixture
    def alerts(self, aws):
        return aws.stores.alerts
