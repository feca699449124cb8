"""The API's services on in-memory stores: work-item intake, cost imports, billing pulls, the month
summary and the guardrails agents read, then the routes themselves on a backend of in-memory stores."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal as D

import pytest

from chalicelib.access import Caller
from chalicelib.billing import BillingSource, import_cost_file, pull_sources
from chalicelib.domain.facts import CostFact
from chalicelib.domain.work_items import BadBatch
from chalicelib.guardrail import UnknownUseCase, guardrail_for, visible_use_cases
from chalicelib.storage.guardrail_store import Guardrail
from chalicelib.storage.in_memory import in_memory_stores
from chalicelib.summary import month_summary
from chalicelib.work_item_intake import post_work_items
from local.demo_org import demo_organisation

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
CLAIMS = Caller("t-claims", "team", "claims")
ADMIN = Caller("t-admin", "admin")
SIMPLE = """date,source,category,team,use_case,amount,provider,service
2026-11-01,pinecone-invoice,vector_db,claims,claims-processing,300.10,Pinecone,Serverless
2026-11-02,pinecone-invoice,vector_db,claims,claims-processing,299.95,Pinecone,Serverless
2026-11-02,datadog-invoice,observability,shared,platform-observability,120.00,Datadog,APM
"""


@pytest.fixture
def org():
    return demo_organisation()


@pytest.fixture
def stores(org):
    s = in_memory_stores()
    s.organisation.save(org)
    return s


def body(*items) -> bytes:
    return json.dumps({"items": list(items)}).encode()


def item(work_item_id, use_case="claims-processing", at="2026-11-20T09:00:00Z", status="success", **kw) -> dict:
    return {"work_item_id": work_item_id, "use_case": use_case, "completed_at": at, "status": status, **kw}


def month_total(stores, month="2026-11") -> D:
    return sum((f.effective_cost for f in stores.ledger.facts_for_month(month)), D(0))


# --- work items -----------------------------------------------------------------------------------------


def test_a_batch_is_answered_per_item_and_a_repost_is_counted_once(stores, org):
    answer = post_work_items(
        CLAIMS,
        body(item("c1"), item("c2", human_review_minutes=2.5), item("x1", use_case="lead-scoring"), item("c1")),
        org,
        stores.work_items,
        NOW,
    )
    assert (answer["accepted"], answer["replaced"], answer["rejected"]) == (2, 1, 1)  # the 2nd c1 replaces the 1st
    assert [r["status"] for r in answer["results"]] == ["accepted", "accepted", "rejected", "replaced"]
    again = post_work_items(CLAIMS, body(item("c2", status="failure")), org, stores.work_items, NOW)
    assert again["replaced"] == 1
    (day,) = stores.work_items.units_for_month("2026-11")
    assert (day.units, day.success_units, day.review_minutes) == (2, 1, D(0))
    assert stores.work_items.recount_day("claims-processing", date(2026, 11, 20)) == 2


def test_a_batch_that_is_not_json_stores_nothing(stores, org):
    with pytest.raises(BadBatch):
        post_work_items(CLAIMS, b"{not json", org, stores.work_items, NOW)
    assert stores.work_items.units_for_month("2026-11") == []


# --- cost imports and pulls -------------------------------------------------------------------------------


def test_importing_the_same_file_twice_changes_nothing_and_a_corrected_file_restates_its_days(stores, org):
    first = import_cost_file(SIMPLE, org, stores.ledger, feed="invoices")
    assert (first.format, first.rows_stored, first.total, first.errors) == ("simple", 3, D("720.05"), [])
    again = import_cost_file(SIMPLE, org, stores.ledger, feed="invoices")
    assert (again.facts_removed, again.restatements) == (0, []) and month_total(stores) == D("720.05")

    corrected = SIMPLE.replace("299.95", "250.00").rsplit("\n", 2)[0] + "\n"  # day 2 restated, Datadog gone
    result = import_cost_file(corrected, org, stores.ledger, feed="invoices")
    assert result.facts_removed == 1 and [r.day for r in result.restatements] == [date(2026, 11, 2)]
    assert month_total(stores) == D("550.10")


def test_a_file_with_a_bad_row_stores_nothing(stores, org):
    bad = SIMPLE + "2026-11-03,pinecone-invoice,vector_db,claims,claims-processing,lots,Pinecone,Serverless\n"
    result = import_cost_file(bad, org, stores.ledger, feed="invoices")
    assert result.errors and result.errors[0]["column"] == "amount"
    assert month_total(stores) == 0


def test_a_pull_replaces_only_the_days_each_source_answered_and_a_failure_keeps_the_rest(stores, org):
    def answering(amount):
        return lambda start, end: [
            CostFact(start + timedelta(days=n), "aws", "api", "AWS", "Bedrock", D(amount), D(amount))
            for n in range((end - start).days)
        ]

    def down(start, end):
        raise ConnectionError("refused")

    start, end = date(2026, 11, 18), date(2026, 11, 21)
    pull_sources([BillingSource("aws", answering("10"))], start, end, org, stores.ledger, stores.freshness, NOW)
    report = pull_sources(
        [BillingSource("aws", answering("12")), BillingSource("openai", down)],
        start + timedelta(days=1),
        end,
        org,
        stores.ledger,
        stores.freshness,
        NOW,
    )
    assert [(r.source, r.ok) for r in report.results] == [("aws", True), ("openai", False)]
    assert [r.day for r in report.restatements] == [date(2026, 11, 19), date(2026, 11, 20)]
    assert month_total(stores) == D("34")  # the 18th kept its $10
    assert {f.source: f.status for f in stores.freshness.all()} == {"aws": "ok", "openai": "error"}


# --- what finance and agents read ------------------------------------------------------------------------


def test_the_summary_foots_to_the_stored_facts_and_names_each_source(stores, org):
    import_cost_file(SIMPLE, org, stores.ledger, feed="invoices")
    post_work_items(CLAIMS, body(item("c1", at="2026-11-01T09:00:00Z")), org, stores.work_items, NOW)
    stores.freshness.succeeded("aws", NOW.isoformat(), "2026-11-18..2026-11-20", 0)
    summary = month_summary("2026-11", org, stores.ledger, stores.work_items, stores.freshness)
    assert summary["total"] == "720.05"
    assert D(summary["allocated"]) + D(summary["unallocated"]) == D(summary["total"])
    assert sum(D(r["total"]) for r in summary["by_team"]) == D(summary["total"])
    assert [s["source"] for s in summary["freshness"]] == ["aws"]


def test_a_team_sees_its_own_use_cases_and_their_computed_guardrails(stores, org):
    stores.guardrails.put_all([Guardrail("claims-processing", paused=True, colour="critical", as_of=NOW.isoformat())])
    mine = visible_use_cases(CLAIMS, org, stores.guardrails)
    assert {u["team"] for u in mine} == {"claims"}
    assert next(u for u in mine if u["use_case"] == "claims-processing")["paused"] is True
    assert len(visible_use_cases(ADMIN, org, stores.guardrails)) == len(org.use_cases)
    rail = guardrail_for(CLAIMS, "claims-processing", org, stores.guardrails)
    assert (rail["colour"], rail["paused"], rail["as_of"]) == ("critical", True, NOW.isoformat())
    other_team = next(u.use_case_id for u in org.use_cases if u.team != "claims")
    with pytest.raises(UnknownUseCase):
        guardrail_for(CLAIMS, other_team, org, stores.guardrails)


# --- the routes, on a backend of in-memory stores -------------------------------------------------------------


def test_the_api_runs_on_a_backend_of_in_memory_stores(stores):
    from chalice.test import Client

    import app as app_module
    from chalicelib import bootstrap
    from chalicelib.runtime import AwsClients, TableNames

    team, _ = stores.tokens.create("team", "claims", NOW)
    admin, _ = stores.tokens.create("admin", "", NOW)
    backend = bootstrap.Backend(AwsClients(), TableNames.from_env(), stores=stores)
    with bootstrap.serving(backend), Client(app_module.app) as client:
        headers = {"Authorization": f"Bearer {team}", "Content-Type": "application/json"}
        posted = client.http.post("/v1/work-items", headers=headers, body=body(item("c1"), item("c2")))
        assert posted.status_code == 200 and json.loads(posted.body)["accepted"] == 2
        imported = client.http.post(
            "/v1/cost-imports?feed=invoices",
            headers={"Authorization": f"Bearer {admin}", "Content-Type": "text/csv"},
            body=SIMPLE,
        )
        assert imported.status_code == 200, imported.body
        summary = client.http.get("/v1/summary?month=2026-11", headers={"Authorization": f"Bearer {admin}"})
        assert json.loads(summary.body)["total"] == "720.05"
        refused = client.http.get("/v1/summary?month=2026-11", headers={"Authorization": f"Bearer {team}"})
        assert refused.status_code == 403
    assert stores.work_items.recount_day("claims-processing", date(2026, 11, 20)) == 2
