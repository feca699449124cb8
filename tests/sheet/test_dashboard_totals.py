"""The Dashboard's organisation-wide figures are the engine's, shown as they are (pure: no sheet)."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal as D

from chalicelib.domain import engine
from chalicelib.domain.organisation import Team, UseCase
from chalicelib.sheet import render
from tests.domain.builders import fact, org

TODAY = date(2025, 6, 20)
NOW = datetime(2025, 6, 20, 12, tzinfo=timezone.utc)


def figure(tab, label):
    for row in tab.rows:
        if row and row[0].get("userEnteredValue", {}).get("stringValue") == label:
            return row[1].get("userEnteredValue", {}).get("numberValue")
    raise AssertionError(f"no row {label!r}")


def test_the_dashboard_shows_the_engines_budget_forecast_and_their_share():
    teams = (Team("claims-team", monthly_budget=D("1000.005")), Team("support-team", monthly_budget=D("999.995")))
    o = org(UseCase("claims", "claims-team"), UseCase("triage", "support-team"), teams=teams)
    facts = [fact(date(2025, 6, d), "99.99", "claims", "claims-team") for d in range(1, 20)]
    out = engine.compute(o, facts, [], TODAY)
    tab = render.dashboard(out, o, (), NOW, 0, 0)
    assert out.budget == D("2000.00")  # 1000.00 + 1000.00: each budget as shown, half-even
    assert figure(tab, "Monthly budget (all teams)") == 2000
    assert figure(tab, "Forecast, month end (all spend)") == float(out.forecast.quantize(D("0.01")))
    assert figure(tab, "Forecast vs budget") == float(out.forecast_vs_budget.quantize(D("0.0001")))


def test_no_team_budget_leaves_both_cells_blank():
    o = org(UseCase("claims", "claims-team"), teams=(Team("claims-team"),))
    out = engine.compute(o, [fact(date(2025, 6, 1), "10")], [], TODAY)
    tab = render.dashboard(out, o, (), NOW, 0, 0)
    assert figure(tab, "Monthly budget (all teams)") is None and figure(tab, "Forecast vs budget") is None
