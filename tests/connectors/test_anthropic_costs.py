"""Anthropic cost report connector against the local emulator, over real HTTP."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal as D
from pathlib import Path

import pytest
import requests

from chalicelib.connectors import anthropic_costs
from chalicelib.connectors.errors import SourceUnavailable
from local import demo_billing
from local.vendor_emulators import start_anthropic_emulator
from tests.connectors.window import DEC_1, NOV_1, demo_totals_by_key, totals_by_key

REFERENCE = Path("/work/shared/reference/vendor-billing")


def expected_anthropic(start, end):
    return demo_totals_by_key(
        start,
        end,
        demo_billing.anthropic_cost_results,
        lambda r: (f"anthropic:workspace:{r['workspace_id'] or 'default'}", D(r["amount"]) / 100),
    )


def test_cents_become_dollars_exactly():
    assert anthropic_costs.cents_to_dollars("123.45") == D("1.2345")
    assert str(anthropic_costs.cents_to_dollars("123.45")) == "1.2345"
    assert anthropic_costs.cents_to_dollars("123.78912") == D("1.2378912")
    assert anthropic_costs.cents_to_dollars("0") == 0
    assert anthropic_costs.cents_to_dollars("-250") == D("-2.50")
    assert anthropic_costs.cents_to_dollars(D("1")) == D("0.01")
    for bad in ("abc", "", None, 1.5, True, "NaN"):
        with pytest.raises(ValueError):
            anthropic_costs.cents_to_dollars(bad)


def test_documented_example_response():
    payload = json.loads((REFERENCE / "anthropic_cost_report_response.json").read_text(), parse_float=D)
    facts, next_page, _ = anthropic_costs.parse_cost_report_page(payload)
    assert next_page == "page_MjAyNS0wNS0xNFQwMDowMDowMFo="
    [fact] = facts
    assert fact.billed_cost == D("1.2378912") == fact.effective_cost
    assert fact.day == date(2025, 8, 1)
    assert (fact.source, fact.category, fact.provider, fact.currency) == ("anthropic", "api", "Anthropic", "USD")
    assert fact.service == "Claude Opus 5 Usage - Input Tokens"
    assert fact.vendor_key == "anthropic:workspace:wrkspc_01JwQvzr7rXLA5AGx3HKfFUJ"


def test_a_month_paginated_matches_the_demo_to_the_cent(anthropic_emulator, fast):
    facts = anthropic_costs.pull(
        anthropic_emulator.api_key, NOV_1, DEC_1, base_url=anthropic_emulator.url, limit=4, config=fast
    ).facts
    pages = anthropic_emulator.requests
    assert len(pages) == 8  # 30 days, 4 buckets a page
    first = pages[0]["args"]
    assert first["group_by[]"] == ["workspace_id", "description"]
    assert first["starting_at"] == ["2026-11-01T00:00:00Z"] and first["ending_at"] == ["2026-12-01T00:00:00Z"]
    assert all(p["args"].get("page") for p in pages[1:])

    assert totals_by_key(facts) == expected_anthropic(NOV_1, DEC_1)
    total = sum(f.billed_cost for f in facts)
    assert total == sum(expected_anthropic(NOV_1, DEC_1).values())
    support = sum(f.billed_cost for f in facts if f.vendor_key == "anthropic:workspace:wrkspc_support")
    default = sum(f.billed_cost for f in facts if f.vendor_key == "anthropic:workspace:default")
    assert D("35") < support / 30 < D("41") and D("8") < default / 30 < D("10")
    assert {f.service for f in facts if f.vendor_key.endswith("wrkspc_support")} == {
        "Claude Sonnet 4 Usage - Input Tokens",
        "Claude Sonnet 4 Usage - Output Tokens",
    }


def test_empty_buckets_and_null_workspace(fast):
    def results(day):
        if day.day % 2 == 0:
            return []  # no cost that day
        return [
            {
                "amount": "123.45",
                "currency": "USD",
                "description": "Claude Sonnet 4 Usage - Input Tokens",
                "workspace_id": None,
            },
            {
                "amount": "0.55",
                "currency": "USD",
                "description": "Claude Sonnet 4 Usage - Input Tokens",
                "workspace_id": None,
            },
            {"amount": "1000", "currency": "USD", "description": "Web search", "workspace_id": "wrkspc_x"},
        ]

    with start_anthropic_emulator(results_for_day=results) as emulator:
        facts = anthropic_costs.pull(
            emulator.api_key, NOV_1, NOV_1 + timedelta(days=4), base_url=emulator.url, limit=2, config=fast
        ).facts
        body = requests.get(
            emulator.url + "/v1/organizations/cost_report",
            timeout=5,
            params={"starting_at": "2026-11-02T00:00:00Z", "ending_at": "2026-11-03T00:00:00Z"},
            headers={"x-api-key": emulator.api_key, "anthropic-version": "2023-06-01"},
        ).json()
    assert body["data"] == [{"starting_at": "2026-11-02T00:00:00Z", "ending_at": "2026-11-03T00:00:00Z", "results": []}]
    assert sorted({f.day for f in facts}) == [date(2026, 11, 1), date(2026, 11, 3)]
    default = [f for f in facts if f.vendor_key == "anthropic:workspace:default"]
    assert len(default) == 2 and all(f.billed_cost == D("1.24") for f in default)  # 124.00 cents
    assert [f.billed_cost for f in facts if f.service == "Web search"] == [D("10"), D("10")]


def test_a_restated_day_is_returned_restated(anthropic_emulator, fast):
    day = date(2026, 11, 10)
    window = (day, day + timedelta(days=2))
    before = totals_by_key(
        anthropic_costs.pull(anthropic_emulator.api_key, *window, base_url=anthropic_emulator.url, config=fast).facts
    )
    response = requests.post(
        anthropic_emulator.root + "/_emulator/faults",
        timeout=5,
        json={"restate": {"day": day.isoformat(), "factor": "0.8"}},
    )
    assert response.status_code == 200 and response.json()["restated"][0]["factor"] == "0.8"
    after = totals_by_key(
        anthropic_costs.pull(anthropic_emulator.api_key, *window, base_url=anthropic_emulator.url, config=fast).facts
    )
    for workspace in ("wrkspc_support", "default"):
        key = (day, f"anthropic:workspace:{workspace}")
        expected = (
            sum(
                (D(r["amount"]) * D("0.8")).quantize(D("0.001"))
                for r in demo_billing.anthropic_cost_results(day)
                if (r["workspace_id"] or "default") == workspace
            )
            / 100
        )
        assert after[key] == expected != before[key]
    later = (day + timedelta(days=1), "anthropic:workspace:wrkspc_support")
    assert after[later] == before[later]


def test_failing_vendor_over_the_http_fault_endpoint(anthropic_emulator, fast):
    requests.post(
        anthropic_emulator.root + "/_emulator/faults", json={"fail": {"count": 10, "status": 500}}, timeout=5
    ).raise_for_status()
    with pytest.raises(SourceUnavailable) as caught:
        anthropic_costs.pull(
            anthropic_emulator.api_key, NOV_1, NOV_1 + timedelta(days=1), base_url=anthropic_emulator.url, config=fast
        )
    assert caught.value.source == "anthropic" and "500" in caught.value.reason
    assert len(anthropic_emulator.requests) == fast.retries + 1
    state = requests.get(anthropic_emulator.root + "/_emulator/faults", timeout=5).json()
    assert state["pending"] == [
        {"kind": "status", "remaining": 10 - fast.retries - 1, "status": 500, "retry_after": None}
    ]
    requests.delete(anthropic_emulator.root + "/_emulator/faults", timeout=5).raise_for_status()
    facts = anthropic_costs.pull(
        anthropic_emulator.api_key, NOV_1, NOV_1 + timedelta(days=1), base_url=anthropic_emulator.url, config=fast
    ).facts
    assert len(facts) == 4


def test_429_then_success(anthropic_emulator, fast):
    anthropic_emulator.faults.fail_next(1, status=429, retry_after=0)
    facts = anthropic_costs.pull(
        anthropic_emulator.api_key, NOV_1, NOV_1 + timedelta(days=1), base_url=anthropic_emulator.url, config=fast
    ).facts
    assert len(anthropic_emulator.requests) == 2 and len(facts) == 4


@pytest.mark.parametrize("fault", ["bad_json", "bad_shape"])
def test_bad_body_is_source_unavailable(anthropic_emulator, fast, fault):
    requests.post(anthropic_emulator.root + "/_emulator/faults", json={fault: 1}, timeout=5).raise_for_status()
    with pytest.raises(SourceUnavailable):
        anthropic_costs.pull(
            anthropic_emulator.api_key, NOV_1, NOV_1 + timedelta(days=1), base_url=anthropic_emulator.url, config=fast
        )


def test_auth_and_version_headers_are_checked(anthropic_emulator, fast):
    url = anthropic_emulator.url + "/v1/organizations/cost_report?starting_at=2026-11-01T00:00:00Z"
    no_key = requests.get(url, timeout=5)
    assert no_key.status_code == 401 and no_key.json()["error"]["type"] == "authentication_error"
    no_version = requests.get(url, headers={"x-api-key": anthropic_emulator.api_key}, timeout=5)
    assert no_version.status_code == 400
    with pytest.raises(SourceUnavailable, match="401"):
        anthropic_costs.pull("sk-ant-wrong", NOV_1, DEC_1, base_url=anthropic_emulator.url, config=fast)


def test_emulator_validates_parameters(anthropic_emulator):
    headers = {"x-api-key": anthropic_emulator.api_key, "anthropic-version": "2023-06-01"}
    base = anthropic_emulator.url + "/v1/organizations/cost_report"
    for query in (
        "",
        "?starting_at=yesterday",
        "?starting_at=2026-11-01T00:00:00Z&limit=32",
        "?starting_at=2026-11-01T00:00:00Z&group_by[]=model",
        "?starting_at=2026-11-01T00:00:00Z&ending_at=2026-10-01T00:00:00Z",
        "?starting_at=2026-11-01T00:00:00Z&page=page_zzz",
    ):
        response = requests.get(base + query, headers=headers, timeout=5)
        assert response.status_code == 400, query
        assert response.json()["type"] == "error"


def test_emulator_grouped_by_workspace_only(anthropic_emulator):
    headers = {"x-api-key": anthropic_emulator.api_key, "anthropic-version": "2023-06-01"}
    body = requests.get(
        anthropic_emulator.url + "/v1/organizations/cost_report",
        headers=headers,
        timeout=5,
        params={
            "starting_at": "2026-11-01T00:00:00Z",
            "ending_at": "2026-11-02T00:00:00Z",
            "group_by[]": "workspace_id",
        },
    ).json()
    results = body["data"][0]["results"]
    assert {r["workspace_id"] for r in results} == {"wrkspc_support", None}
    assert all(r["description"] is None and r["model"] is None for r in results)
    assert sum(D(r["amount"]) for r in results) == sum(
        D(r["amount"]) for r in demo_billing.anthropic_cost_results(NOV_1)
    )
    assert body["has_more"] is False and body["next_page"] is None


@pytest.mark.parametrize(
    "payload",
    [
        {"type": "error", "error": {"type": "overloaded_error"}},
        {"data": None},
        {"data": [{"results": []}]},
        {"data": [{"starting_at": "not a time", "results": []}]},
        {"data": [{"starting_at": "2026-11-01T00:00:00Z", "results": [{"amount": 12.5}]}]},
        {"data": [{"starting_at": "2026-11-01T00:00:00Z", "results": [{"amount": "1", "workspace_id": 7}]}]},
        {"data": [], "has_more": True},
    ],
)
def test_unexpected_shapes(payload):
    with pytest.raises(SourceUnavailable):
        anthropic_costs.parse_cost_report_page(payload)


def test_base_url_from_environment(anthropic_emulator, fast, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_BASE_URL", anthropic_emulator.url)
    assert (
        len(anthropic_costs.pull(anthropic_emulator.api_key, NOV_1, NOV_1 + timedelta(days=1), config=fast).facts) == 4
    )
    monkeypatch.delenv("ANTHROPIC_BASE_URL")
    assert anthropic_costs.base_url_from_env() == "https://api.anthropic.com"


# --- answered days: only a day with a bucket is answered ------------------------------------
def test_a_day_left_out_of_the_answer_is_not_answered_and_an_empty_bucket_is(anthropic_emulator, fast):
    left_out, emptied = NOV_1 + timedelta(days=1), NOV_1 + timedelta(days=2)
    anthropic_emulator.faults.omit(left_out)
    anthropic_emulator.faults.empty(emptied)
    pulled = anthropic_costs.pull(
        anthropic_emulator.api_key,
        NOV_1,
        NOV_1 + timedelta(days=4),
        base_url=anthropic_emulator.url,
        limit=2,
        config=fast,
    )
    assert pulled.answered == {NOV_1, emptied, NOV_1 + timedelta(days=3)}
    assert {f.day for f in pulled.facts} == {NOV_1, NOV_1 + timedelta(days=3)}
