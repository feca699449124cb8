"""Optimization hints through the scheduled pipeline (issue 16): token usage pulled beside the costs,
the hints in the guardrail API, the sheet (Optimization tab, Agent P&L "Biggest lever", the
Dashboard's attention list) and the critical alert email; finance's Model prices tab drives them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from tests.sheet.pipeline_world import at, outbox_items
from tests.sheet.test_pipeline_runs import MONTH_CLOSE, run_ok, sheet_rows

pytestmark = pytest.mark.e2e  # token usage through the scheduled runs to the sheet and the emails: make check


def gpt4o_rows(w):
    """drift's cost as gpt-4o input (40 %) and output (60 %) line items, tokens at list price."""

    def rows(day: date) -> list:
        value = w.drift_cost(day)
        inp = (value * D("0.4")).quantize(D("0.000001"))
        out = []
        for kind, amount, price in (("input", inp, D("2.50")), ("output", value - inp, D("10.00"))):
            out.append(
                {
                    "object": "organization.costs.result",
                    "amount": {"value": amount, "currency": "usd"},
                    "line_item": f"gpt-4o, {kind}",
                    "project_id": "proj_drift",
                    "api_key_id": None,
                    "quantity": int(amount / price * 1_000_000),
                    "quantity_unit": "tokens",
                }
            )
        return out

    return rows


@pytest.fixture
def hinted(world):
    world.history_start = date(2026, 9, 1)
    world.overrun.update({date(2026, 9, 21): D("0.60")})  # critical on the 1st (see test_pipeline_runs)
    world.openai_rows = gpt4o_rows(world)
    return world


def test_usage_lands_and_the_biggest_lever_reaches_the_api_the_sheet_and_the_critical_email(hinted):
    from chalicelib import stores
    from chalicelib.sheet import layout
    from tests.sheet.helpers import column, find_row

    w = hinted
    run_ok(w, "monthly", MONTH_CLOSE)
    fresh = {f.source: f for f in stores.stores().freshness.all()}
    assert fresh["openai usage"].status == "ok" and fresh["anthropic usage"].status == "ok"
    september = [f for f in stores.stores().usage.usage_for_month("2026-09") if f.use_case == "drift"]
    assert {f.model for f in september} == {"gpt-4o"} and len({f.day for f in september}) == 30

    rail = w.guardrail()
    assert rail["colour"] == "critical" and rail["hints"], rail
    first = rail["hints"][0]
    assert (first["rank"], first["lever"], first["month"]) == (1, "model", "2026-09")
    assert first["what"] == "Route OpenAI traffic from gpt-4o to gpt-4o-mini"
    # All of September's gpt-4o tokens at gpt-4o-mini's list prices: 94 % less, whatever the split.
    assert (
        D("0.93")
        < D(first["saving_per_month"])
        / sum(D(f.input_tokens) * D("2.5") / 10**6 + D(f.output_tokens) * 10 / 10**6 for f in september)
        < 1
    )
    assert "retries" in [h["lever"] for h in rail["hints"]]  # the week 60 % over with the same claims

    pnl = sheet_rows(w, layout.AGENT_PNL)
    lever = column(pnl, "Biggest lever")
    row = next(r for r in pnl if r[0] == "2026-09" and r[2] == "drift")
    assert row[lever].startswith("Route OpenAI traffic from gpt-4o to gpt-4o-mini: -$") and "per claim" in row[lever]
    dash = sheet_rows(w, layout.DASHBOARD)
    assert "biggest lever: Route OpenAI traffic" in find_row(dash, "drift")[7]
    tab = sheet_rows(w, layout.OPTIMIZATION)
    hint = next(r for r in tab if r[0] == "drift" and r[3] == 1)
    assert hint[1] == "2026-09" and "critical now" in hint[2] and hint[4] == "model"
    mix = next(r for r in tab if r[0] == "drift" and len(r) > 4 and r[3] == "gpt-4o")
    assert (mix[4], mix[9], mix[11]) == ("gpt-4o", 1, 1)  # the whole mix: 100 % of tokens and of spend
    assert any(r[0] == "drift" and len(r) > 4 and r[4] == "gpt-4o-mini" for r in tab)  # the what-if rows
    prices = sheet_rows(w, layout.MODEL_PRICES)
    assert (
        prices[0][:5] == ["Model", "Provider", "Input per M tokens", "Cached input per M tokens", "Output per M tokens"]
        and find_row(prices, "gpt-4o")[2] == 2.5
    )

    [email] = [i for k, i in outbox_items().items() if k.startswith("slo:drift:") and k.endswith(":critical")]
    assert "Biggest levers" in email.text and "1. Route OpenAI traffic from gpt-4o to gpt-4o-mini" in email.text
    assert "Start with the biggest lever, route OpenAI traffic" in email.text


def test_finance_edits_a_list_price_and_the_next_run_weighs_the_models_anew(hinted):
    w = hinted
    run_ok(w, "monthly", MONTH_CLOSE)
    assert w.guardrail()["hints"][0]["what"].endswith("to gpt-4o-mini")
    from chalicelib.sheet import layout

    ws = w.spreadsheet().worksheet(layout.MODEL_PRICES)
    rows = ws.get_all_values()
    row = next(i for i, r in enumerate(rows, start=1) if r and r[0] == "gpt-4o-mini")
    ws.update_cell(row, rows[0].index("Output per M tokens") + 1, "100")  # now dearer than gpt-4o
    run_ok(w, "hourly", at("2026-10-01T10:05:00Z"))
    assert w.guardrail()["hints"][0]["what"].endswith("to ft:gpt-4o-mini")  # the next cheapest
