"""End to end: the local stack on free ports, driven over real HTTP like a team's agent would."""

from __future__ import annotations

import io
import json
from datetime import date, datetime, timedelta, timezone

import pytest
import requests

from local.stack import TOKENS_FILE, LocalStack

pytestmark = pytest.mark.e2e  # the whole local stack started on free ports and driven over HTTP: make check


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    with LocalStack(workbook=tmp_path_factory.mktemp("sheet") / "finops.xlsx") as running:
        yield running


def test_health_and_tokens_file(stack):
    assert requests.get(stack.api_url + "/v1/health", timeout=10).json()["status"] == "ok"
    saved = json.loads(TOKENS_FILE.read_text())
    assert set(saved) == {"admin", "sheet", "teams"} and saved["teams"]["claims"] == stack.tokens["teams"]["claims"]


def test_post_then_guardrail_over_http(stack):
    claims = {"Authorization": "Bearer " + stack.tokens["teams"]["claims"]}
    item = {
        "work_item_id": "e2e-1",
        "use_case": "claims-processing",
        "completed_at": datetime.now(timezone.utc).isoformat(),
        "status": "success",
    }
    first = requests.post(stack.api_url + "/v1/work-items", json={"items": [item]}, headers=claims, timeout=10)
    again = requests.post(stack.api_url + "/v1/work-items", json={"items": [item]}, headers=claims, timeout=10)
    assert first.status_code == again.status_code == 200
    assert first.json()["accepted"] == 1 and again.json()["replaced"] == 1

    guard = requests.get(stack.api_url + "/v1/use-cases/claims-processing/guardrail", headers=claims, timeout=10)
    assert guard.status_code == 200 and guard.json()["paused"] is False

    wrong = requests.post(
        stack.api_url + "/v1/work-items",
        json={"items": [item]},
        headers={"Authorization": "Bearer " + stack.tokens["admin"]},
        timeout=10,
    )
    assert wrong.status_code == 403
    anonymous = requests.post(stack.api_url + "/v1/work-items", json={"items": [item]}, timeout=10)
    assert anonymous.status_code == 401


def test_every_error_has_the_one_shape_over_http(stack):
    from chalicelib import stores

    def error_of(r, status):
        assert r.status_code == status and r.headers["Content-Type"].startswith("application/json")
        body = r.json()
        assert (
            set(body) == {"error"} and set(body["error"]) == {"status", "message"} and body["error"]["status"] == status
        )
        return body["error"]["message"]

    url = stack.api_url + "/v1/use-cases"
    store = stores.stores().tokens  # the stack's moto
    revoked, grant = store.create("team", "claims", datetime.now(timezone.utc), "e2e revoked")
    assert store.revoke(grant.token_id)
    for headers in ({}, {"Authorization": "Bearer fo_garbage"}, {"Authorization": "Bearer " + revoked}):
        assert error_of(requests.get(url, headers=headers, timeout=10), 401) == "missing or invalid bearer token"
    claims = {"Authorization": "Bearer " + stack.tokens["teams"]["claims"]}
    assert "admin" in error_of(
        requests.get(stack.api_url + "/v1/summary?month=2026-11", headers=claims, timeout=10), 403
    )
    assert "Unsupported method" in error_of(requests.delete(stack.api_url + "/v1/health", timeout=10), 405)


def test_demo_month_lands_every_dollar(stack):
    from decimal import Decimal

    from local import demo_billing
    from local.demo import run_demo

    out = io.StringIO()
    story = run_demo(stack, date(2026, 11, 23), out=out)  # a fixed day: the story is the same every run
    first, end = story["window"]
    days = [first + timedelta(days=n) for n in range((end - first).days)]
    vendor_spend = sum(sum(demo_billing.expected_daily_spend(d).values()) for d in days)
    summary = story["summary"]
    from chalicelib import stores

    facts = stores.stores().ledger.facts_between(first, end - timedelta(days=1))
    # Every vendor dollar is in the ledger, exactly; human review comes on top of it.
    assert sum(f.effective_cost for f in facts if f.category != "human_review") == vendor_spend
    assert sum(f.effective_cost for f in facts if f.category == "human_review") > 0
    assert Decimal(summary["total"]) == sum(f.effective_cost for f in facts).quantize(Decimal("0.01"))
    assert {k["key"] for k in summary["unallocated_keys"]} == set(demo_billing.UNMAPPED_VENDOR_KEYS)
    assert all(team["rejected"] == 1 and team["replaced"] == 5 for team in story["posted"].values())
    assert "Unallocated: openai:project:proj_shadow_marketing" in out.getvalue()

    # The sheet: laid out, synced in 3 Sheets requests, guardrails answered by the API.
    first_sync, second_sync = story["syncs"]
    assert first_sync.ok and (first_sync.reads, first_sync.writes) == (2, 1)
    assert demo_billing.VENDOR_KEY_OPENAI_SHADOW_MARKETING in first_sync.new_mapping_keys
    lead = story["guardrails"]["lead-scoring"]
    assert lead["colour"] == "critical" and lead["paused"] is True  # volume halved, CPU doubled
    assert story["guardrails"]["contract-review"]["paused"] is False
    # Finance mapped the shadow project in the workbook; the next sync allocated it.
    after = story["summary_after_mapping"]
    assert [k["key"] for k in after["unallocated_keys"]] == [demo_billing.VENDOR_KEY_ANTHROPIC_DEFAULT]
    assert stack.workbook.exists()


def test_eight_clients_at_once_get_no_5xx_and_exact_counts(stack):
    """8 agents posting at once: moto's server takes one request at a time (local/moto_server.py),
    so no "dictionary changed size" 500s and no lost counter increments."""
    from concurrent.futures import ThreadPoolExecutor

    from chalicelib import stores

    ops = {"Authorization": "Bearer " + stack.tokens["teams"]["operations"]}
    days = ["2025-03-10", "2025-03-11"]  # outside the demo's month; every client hits the same counters

    def client(c: int) -> list:
        session = requests.Session()
        statuses = []
        for b in range(6):
            items = [
                {
                    "work_item_id": f"conc-{c}-{b}-{i}",
                    "use_case": "contract-review",
                    "status": "success",
                    "completed_at": f"{days[(b + i) % 2]}T{c:02d}:{b:02d}:{i:02d}Z",
                }
                for i in range(3)
            ]
            response = session.post(stack.api_url + "/v1/work-items", json={"items": items}, headers=ops, timeout=30)
            statuses.append(response.status_code)
        return statuses

    with ThreadPoolExecutor(8) as pool:
        statuses = [s for batch in pool.map(client, range(8)) for s in batch]
    assert statuses == [200] * 48
    units = stores.stores().work_items.units_between("contract-review", date(2025, 3, 10), date(2025, 3, 11))
    assert sum(u.units for u in units) == 8 * 6 * 3


def test_a_run_requested_over_http_is_queued_run_by_the_pipeline_and_reported(stack):
    """POST /v1/runs answers 202 at once; the queue consumer (as Lambda's SQS trigger) runs it;
    GET /v1/runs/{id} reports it."""
    import app as app_module
    from chalicelib import runtime
    from local.scheduler import RunsQueuePoller

    sheet = {"Authorization": f"Bearer {stack.tokens['sheet']}"}
    queued = requests.post(stack.api_url + "/v1/runs", json={"kind": "sync"}, headers=sheet, timeout=30)
    assert queued.status_code == 202 and queued.json()["status"] == "queued"
    run_id = queued.json()["run_id"]
    assert requests.get(f"{stack.api_url}/v1/runs/{run_id}", headers=sheet, timeout=30).json()["status"] == "queued"
    assert RunsQueuePoller(app_module, runtime.client("sqs"), "finops-runs").poll_once(wait_seconds=0) == 1
    answer = requests.get(f"{stack.api_url}/v1/runs/{run_id}", headers=sheet, timeout=30).json()
    assert answer["status"] == "ok", answer
    assert [s["name"] for s in answer["steps"]][-1] == "write sheet"
    team = {"Authorization": f"Bearer {stack.tokens['teams']['claims']}"}
    assert requests.post(stack.api_url + "/v1/runs", json={}, headers=team, timeout=30).status_code == 403
