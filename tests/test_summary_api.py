"""GET /v1/summary: the month's total, every cut of it, what is unallocated, and source freshness."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal as D

from chalicelib.domain.facts import UNALLOCATED
from tests.conftest import bearer
from tests.domain import builders


def fact(day, amount, source, vendor_key, team=UNALLOCATED, use_case=UNALLOCATED, service="gpt-4o", **kw):
    return builders.fact(day, amount, use_case, team, service=service, source=source, vendor_key=vendor_key, **kw)


def get_summary(api, token, month="2026-11"):
    response = api.http.get(f"/v1/summary?month={month}", headers=bearer(token))
    return response.status_code, json.loads(response.body)


def seed_month():
    from chalicelib import stores
    from chalicelib.billing import BillingSource, pull_sources

    d1, d2 = date(2026, 11, 2), date(2026, 11, 3)
    s = stores.stores()
    org = stores.organisation()
    sources = [
        BillingSource(
            "openai",
            lambda a, b: [
                fact(d1, "1000.10", "openai", "openai:project:proj_claims"),
                fact(d2, "500.05", "openai", "openai:project:proj_sales_leads"),
                fact(d2, "25.00", "openai", "openai:project:proj_shadow_marketing"),
            ],
        ),
        BillingSource(
            "datadog",
            lambda a, b: [
                fact(
                    d1,
                    "100.00",
                    "datadog",
                    "csv:Datadog",
                    team="shared",
                    use_case="platform-observability",
                    category="observability",
                    provider="Datadog",
                    service="APM",
                )
            ],
        ),
        BillingSource("anthropic", lambda a, b: (_ for _ in ()).throw(RuntimeError("vendor down"))),
    ]
    pull_sources(sources, d1, date(2026, 11, 4), org, s.ledger, s.freshness, datetime.now(timezone.utc))


def test_summary_cuts_the_month_every_way(api, tokens):
    seed_month()
    status, body = get_summary(api, tokens["sheet"])
    assert status == 200
    assert body["total"] == "1625.15" and body["billed_total"] == "1625.15"
    assert body["unallocated"] == "25.00" and body["allocated"] == "1600.15"
    assert {r["name"]: r["total"] for r in body["by_category"] if r["total"] != "0.00"} == {
        "api": "1525.15",
        "observability": "100.00",
    }
    by_team = {r["name"]: r["total"] for r in body["by_team"]}
    # The shared Datadog cost is split by direct spend (1000.10 : 500.05): 66.67 and 33.33.
    assert by_team["claims"] == "1066.77" and by_team["sales"] == "533.38"
    assert sum(D(v) for v in by_team.values()) == D("1625.15")
    assert [k["key"] for k in body["unallocated_keys"]] == ["openai:project:proj_shadow_marketing"]
    fresh = {f["source"]: f for f in body["freshness"]}
    assert fresh["openai"]["last_error"] is None and fresh["anthropic"]["last_error"].startswith("RuntimeError")
    assert fresh["anthropic"]["last_success_at"] is None
    assert body["rejected"] == []


def test_summary_needs_a_month_and_an_admin_or_sheet_token(api, tokens):
    assert get_summary(api, tokens["admin"], month="2026-13")[0] == 400
    assert get_summary(api, tokens["admin"], month="")[0] == 400
    assert get_summary(api, tokens["teams"]["claims"])[0] == 403
    status, body = get_summary(api, tokens["admin"], month="2020-01")
    assert status == 200 and body["total"] == "0.00"


def test_a_fact_in_another_currency_is_shown_as_rejected_not_booked(api, tokens):
    from dataclasses import replace

    from chalicelib import stores

    euro = replace(fact(date(2026, 11, 5), "80", "vendorx", "openai:project:proj_claims"), currency="EUR")
    stores.stores().ledger.replace_days("vendorx", [euro.day], [euro])
    status, body = get_summary(api, tokens["admin"])
    assert body["total"] == "0.00"
    (rejected,) = body["rejected"]
    assert (rejected["currency"], rejected["amount"]) == ("EUR", "80") and "USD" in rejected["reason"]


def test_every_cut_of_the_summary_foots_to_the_total_as_shown(api, tokens):
    """Sub-cent facts: each cut's rows, rounded to the cent, still add up to the total shown."""
    from chalicelib import stores
    from chalicelib.billing import BillingSource, pull_sources

    day = date(2026, 10, 5)
    facts = [
        fact(day, "0.3333", "csv", f"csv:k{i}", team=team, use_case=uc, category=cat, service=f"svc{i}")
        for i, (cat, team, uc) in enumerate(
            [
                ("api", "claims", "claims-processing"),
                ("vector_db", "support", "ticket-escalation"),
                ("other", "sales", "lead-scoring"),
            ]
        )
    ]
    s = stores.stores()
    pull_sources(
        [BillingSource("csv", lambda a, b: facts)],
        day,
        day + timedelta(days=1),
        stores.organisation(),
        s.ledger,
        s.freshness,
        datetime.now(timezone.utc),
    )
    status, body = get_summary(api, tokens["admin"], "2026-10")
    assert status == 200
    total = D(body["total"])
    assert total == D("1.00")
    for cut in ("by_team", "by_use_case", "by_category", "by_provider", "by_service"):
        assert sum(D(r["total"]) for r in body[cut]) == total, cut
        assert sum(D(r["billed"]) for r in body[cut]) == D(body["billed_total"]), cut
    assert D(body["allocated"]) + D(body["unallocated"]) == total
