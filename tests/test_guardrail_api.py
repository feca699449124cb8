"""What agents and the sheet read: use cases by scope, and each agent's guardrail."""

from __future__ import annotations

import json
from decimal import Decimal

from tests.conftest import bearer


def get(api, path, token=None):
    headers = bearer(token) if token else {}
    response = api.http.get(path, headers=headers)
    return response.status_code, json.loads(response.body or b"{}")


def test_health_needs_no_token(api):
    status, body = get(api, "/v1/health")
    assert status == 200 and body["status"] == "ok" and body["version"]


def test_team_sees_only_its_own_use_cases(api, tokens):
    status, body = get(api, "/v1/use-cases", tokens["teams"]["sales"])
    assert status == 200
    assert {u["use_case"] for u in body["use_cases"]} == {"lead-scoring", "sdr-followup"}
    lead = next(u for u in body["use_cases"] if u["use_case"] == "lead-scoring")
    assert lead == {
        "use_case": "lead-scoring",
        "name": "Lead scoring",
        "team": "sales",
        "unit_of_work": "lead scored",
        "target": "12.0000",
        "paused": False,
        "status": "active",
    }


def test_sheet_and_admin_see_every_use_case(api, tokens, demo_org):
    everything = {u.use_case_id for u in demo_org.use_cases}
    for scope in ("sheet", "admin"):
        status, body = get(api, "/v1/use-cases", tokens[scope])
        assert {u["use_case"] for u in body["use_cases"]} == everything


def test_guardrail_before_any_computation_has_nulls(api, tokens):
    status, body = get(api, "/v1/use-cases/claims-processing/guardrail", tokens["teams"]["claims"])
    assert status == 200
    assert body == {
        "use_case": "claims-processing",
        "paused": False,
        "colour": None,
        "reason": None,
        "cost_per_unit": None,
        "cost_per_unit_period": None,
        "cost_per_unit_this_week": None,
        "counts_reported_through": None,
        "target": "5.0000",
        "month_to_date_cost": None,
        "budget_remaining": None,
        "as_of": None,
        "hints": [],
    }


def test_guardrail_shows_the_computed_pause(api, tokens):
    from chalicelib import stores
    from chalicelib.storage.guardrail_store import Guardrail

    stores.stores().guardrails.put_all(
        [
            Guardrail(
                "claims-processing",
                paused=True,
                colour="critical",
                reason="CPU 52% over target",
                cost_per_unit=Decimal("7.6"),
                target=Decimal("5"),
                month_to_date_cost=Decimal("30400.456"),
                budget_remaining=Decimal("17599.544"),
                as_of="2026-11-23T10:00:00+00:00",
                critical_since=__import__("datetime").date(2026, 11, 20),
            )
        ]
    )
    # The latched episode's first day round-trips: the next run keeps the pause from it.
    (stored,) = stores.stores().guardrails.all()
    assert stored.critical_since == __import__("datetime").date(2026, 11, 20)
    status, body = get(api, "/v1/use-cases/claims-processing/guardrail", tokens["sheet"])
    assert body["paused"] is True and body["colour"] == "critical"
    listed = get(api, "/v1/use-cases", tokens["teams"]["claims"])[1]["use_cases"]
    assert [u["paused"] for u in listed] == [True]
    assert body["cost_per_unit"] == "7.6000" and body["month_to_date_cost"] == "30400.46"
    assert body["budget_remaining"] == "17599.54"


def test_another_teams_guardrail_is_unknown(api, tokens):
    status, body = get(api, "/v1/use-cases/claims-processing/guardrail", tokens["teams"]["sales"])
    assert status == 404
    status_missing, _ = get(api, "/v1/use-cases/nope/guardrail", tokens["teams"]["sales"])
    assert status_missing == 404


def test_reading_needs_a_valid_token(api, tokens):
    assert get(api, "/v1/use-cases")[0] == 401
    assert get(api, "/v1/use-cases", "fo_wrong")[0] == 401
