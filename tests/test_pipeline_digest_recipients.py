"""A weekly digest nobody can be sent is an open alert, closed by the next digest that has someone."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timezone
from types import SimpleNamespace

from chalicelib.domain import engine
from chalicelib.domain.organisation import Settings, UseCase
from chalicelib.services import pipeline
from tests.domain.builders import D, fact, org, units

MONDAY = date(2026, 11, 30)


class Alerts:
    """An in-memory alert store (the pipeline's interface)."""

    def __init__(self):
        self.episodes, self.colours = {}, {}

    def open(self):
        return [e for e in self.episodes.values() if e.open]

    def save(self, episodes, previous, wall):
        self.episodes.update({e.key: e for e in episodes})

    def digest_colours(self):
        return dict(self.colours)

    def save_digest_colours(self, colours):
        self.colours = dict(colours)


def test_a_digest_with_no_finance_addresses_is_an_open_alert_until_one_is_sent():
    agent = UseCase("claims", "claims-team", unit_of_work="claim", target_cpu=D(5))
    nobody = org(agent)
    out = engine.compute(nobody, [fact(date(2026, 11, 23), "500")], units("claims", date(2026, 11, 23), 1, 100), MONDAY)
    deps = SimpleNamespace(
        alerts=Alerts(),
        outbox=None,
        mailer=None,
        sheet_url="",
        wall=lambda: datetime(2026, 11, 30, 5, 35, tzinfo=timezone.utc),
    )
    now = deps.wall()
    notices, detail = pipeline._digest(deps, out, nobody, MONDAY, now)
    assert notices == [] and "not sent" in detail
    assert [e.key for e in deps.alerts.open()] == ["recipients:digest:2026-W48"]
    assert deps.alerts.colours == {}  # the next digest still compares with the last one sent

    told = replace(nobody, settings=Settings(alert_emails_finance=("finance@example.com",)))
    notices, _ = pipeline._digest(deps, out, told, MONDAY, now)
    assert [n.recipients for n in notices] == [("finance@example.com",)]
    assert deps.alerts.open() == []
