"""OpenAI Costs API connector against the local emulator, over real HTTP."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal as D
from pathlib import Path

import pytest
import requests

from chalicelib.connectors import openai_costs
from chalicelib.connectors.errors import SourceUnavailable
from local import demo_billing
from tests.connectors.window import DEC_1, NOV_1, demo_totals_by_key, totals_by_key

REFERENCE = Path("/work/shared/reference/vendor-billing")


def expected_openai(start, end):
    return demo_totals_by_key(
        start,
        end,
        demo_billing.openai_cost_results,
        lambda r: (f"openai:project:{r['project_id']}", r["amount"]["value"]),
    )


def costs_page(buckets, has_more=False, next_page=None):
    """A Costs API page of these buckets (the last page unless told)."""
    return {"object": "page", "has_more": has_more, "next_page": next_page, "data": buckets}


def cost_result(value, **fields):
    """A costs result of `value` US dollars (a JSON number), with any grouped-by `fields`."""
    return {"object": "organization.costs.result", "amount": {"value": value, "currency": "usd"}, **fields}


def test_a_month_paginated_matches_the_demo_exactly(openai_emulator, fast):
    facts = openai_costs.pull(
        openai_emulator.api_key, NOV_1, DEC_1, base_url=openai_emulator.url, limit=7, config=fast
    ).facts
    pages = [r for r in openai_emulator.requests if r["path"] == "/v1/organization/costs"]
    assert len(pages) == 5  # 30 days, 7 buckets a page
    assert "page" not in pages[0]["args"] and all("page" in p["args"] for p in pages[1:])
    assert pages[0]["args"]["group_by"] == ["project_id", "line_item"]
    assert pages[0]["args"]["bucket_width"] == ["1d"]
    assert pages[0]["args"]["start_time"] == ["1793491200"]  # 2026-11-01T00:00:00Z
    assert pages[0]["args"]["end_time"] == ["1796083200"]  # 2026-12-01T00:00:00Z

    assert totals_by_key(facts) == expected_openai(NOV_1, DEC_1)
    assert len(facts) == 30 * 6 and {f.day for f in facts} == {NOV_1 + timedelta(days=i) for i in range(30)}
    total = sum(f.billed_cost for f in facts)
    assert total == sum(expected_openai(NOV_1, DEC_1).values())
    for f in facts:
        assert (f.source, f.category, f.provider, f.currency) == ("openai", "api", "OpenAI", "USD")
        assert f.billed_cost == f.effective_cost and isinstance(f.billed_cost, D)
        assert f.team == f.use_case == "unallocated"
    services = {f.service for f in facts if f.vendor_key == "openai:project:proj_claims"}
    assert services == {"gpt-4o, input", "gpt-4o, output"}
    assert any(f.provenance.endswith("page 5") for f in facts)
    claims_daily = total_by(facts, "openai:project:proj_claims") / 30
    assert D("1100") < claims_daily < D("1200")


def total_by(facts, key):
    return sum((f.billed_cost for f in facts if f.vendor_key == key), D(0))


def test_limit_one_gives_one_page_per_day(openai_emulator, fast):
    facts = openai_costs.pull(
        openai_emulator.api_key, NOV_1, NOV_1 + timedelta(days=3), base_url=openai_emulator.url, limit=1, config=fast
    ).facts
    assert len(openai_emulator.requests) == 3
    assert totals_by_key(facts) == expected_openai(NOV_1, NOV_1 + timedelta(days=3))


def test_a_restated_day_is_returned_restated_on_the_next_pull(openai_emulator, fast):
    day = date(2026, 11, 3)
    window = (day - timedelta(days=1), day + timedelta(days=2))
    first = openai_costs.pull(openai_emulator.api_key, *window, base_url=openai_emulator.url, config=fast).facts
    openai_emulator.faults.restate(day, D("1.5"), key="proj_claims")
    second = openai_costs.pull(openai_emulator.api_key, *window, base_url=openai_emulator.url, config=fast).facts
    before, after = totals_by_key(first), totals_by_key(second)
    key = (day, "openai:project:proj_claims")
    assert after[key] == sum(
        (r["amount"]["value"] * D("1.5")).quantize(D("0.000001"))
        for r in demo_billing.openai_cost_results(day)
        if r["project_id"] == "proj_claims"
    )
    assert after[key] != before[key]
    assert {k: v for k, v in after.items() if k != key} == {k: v for k, v in before.items() if k != key}


def test_500s_beyond_the_retries_make_the_source_unavailable(openai_emulator, fast):
    openai_emulator.faults.fail_next(fast.retries + 1, status=500)
    with pytest.raises(SourceUnavailable) as caught:
        openai_costs.pull(
            openai_emulator.api_key, NOV_1, NOV_1 + timedelta(days=2), base_url=openai_emulator.url, config=fast
        )
    assert caught.value.source == "openai" and "HTTP 500" in caught.value.reason
    assert len(openai_emulator.requests) == fast.retries + 1


def test_500s_within_the_retries_are_absorbed(openai_emulator, fast):
    openai_emulator.faults.fail_next(fast.retries, status=503)
    facts = openai_costs.pull(
        openai_emulator.api_key, NOV_1, NOV_1 + timedelta(days=2), base_url=openai_emulator.url, config=fast
    ).facts
    assert totals_by_key(facts) == expected_openai(NOV_1, NOV_1 + timedelta(days=2))


def test_429_with_retry_after_then_success(openai_emulator, fast):
    openai_emulator.faults.fail_next(2, status=429, retry_after=0)
    facts = openai_costs.pull(
        openai_emulator.api_key, NOV_1, NOV_1 + timedelta(days=2), base_url=openai_emulator.url, config=fast
    ).facts
    assert len(openai_emulator.requests) == 3
    assert totals_by_key(facts) == expected_openai(NOV_1, NOV_1 + timedelta(days=2))


def test_a_failure_on_a_later_page_fails_the_whole_pull(openai_emulator, fast):
    # the first page answers, then the vendor breaks: nothing partial is returned
    openai_emulator.faults.delay_next(1, 0)  # consumed by page 1
    openai_emulator.faults.fail_next(fast.retries + 1, status=502)
    with pytest.raises(SourceUnavailable):
        openai_costs.pull(
            openai_emulator.api_key,
            NOV_1,
            NOV_1 + timedelta(days=4),
            base_url=openai_emulator.url,
            limit=2,
            config=fast,
        )


@pytest.mark.parametrize("fault", ["bad_json_next", "bad_shape_next"])
def test_bad_json_or_shape_is_source_unavailable(openai_emulator, fast, fault):
    getattr(openai_emulator.faults, fault)(1)
    with pytest.raises(SourceUnavailable) as caught:
        openai_costs.pull(
            openai_emulator.api_key, NOV_1, NOV_1 + timedelta(days=1), base_url=openai_emulator.url, config=fast
        )
    assert "JSON" in caught.value.reason or "shape" in caught.value.reason


def test_wrong_key_is_source_unavailable_without_retrying(openai_emulator, fast):
    with pytest.raises(SourceUnavailable) as caught:
        openai_costs.pull("sk-wrong", NOV_1, NOV_1 + timedelta(days=1), base_url=openai_emulator.url, config=fast)
    assert "401" in caught.value.reason
    assert len(openai_emulator.requests) == 1


def test_read_timeouts_are_retried_then_reported(openai_emulator):
    from chalicelib.connectors.vendor_http import HttpConfig

    config = HttpConfig(retries=1, backoff_factor=0.001, read_timeout=0.1, connect_timeout=1)
    openai_emulator.faults.delay_next(2, seconds=0.4)
    with pytest.raises(SourceUnavailable) as caught:
        openai_costs.pull(
            openai_emulator.api_key, NOV_1, NOV_1 + timedelta(days=1), base_url=openai_emulator.url, config=config
        )
    assert "timed out" in caught.value.reason or "connect" in caught.value.reason
    openai_emulator.faults.delay_next(1, seconds=0.4)  # one slow answer, then a fast retry
    facts = openai_costs.pull(
        openai_emulator.api_key, NOV_1, NOV_1 + timedelta(days=1), base_url=openai_emulator.url, config=config
    ).facts
    assert len(facts) == 6


def test_connection_refused_is_source_unavailable(fast):
    from local.vendor_emulators import start_openai_emulator

    handle = start_openai_emulator()
    url = handle.url
    handle.stop()
    with pytest.raises(SourceUnavailable) as caught:
        openai_costs.pull("k", NOV_1, NOV_1 + timedelta(days=1), base_url=url, config=fast)
    assert caught.value.source == "openai"


def test_base_url_from_environment(openai_emulator, fast, monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", openai_emulator.url)
    facts = openai_costs.pull(openai_emulator.api_key, NOV_1, NOV_1 + timedelta(days=1), config=fast).facts
    assert len(facts) == 6
    monkeypatch.delenv("OPENAI_BASE_URL")
    assert openai_costs.base_url_from_env() == "https://api.openai.com/v1"


# --- pure parsing --------------------------------------------------------------------
def test_documented_example_response_parses_exactly():
    payload = json.loads((REFERENCE / "openai_organization_costs_response.json").read_text(), parse_float=D)
    facts, next_page, _ = openai_costs.parse_costs_page(payload)
    assert next_page is None
    [fact] = facts
    assert fact.billed_cost == D("0.06") and str(fact.billed_cost) == "0.06"
    assert fact.day == date(2024, 11, 1) and fact.currency == "USD"
    assert fact.vendor_key == "openai:project:none" and fact.service == "unspecified"


def test_grouped_result_object_example():
    result = json.loads((REFERENCE / "openai_costs_result_object_grouped_example.json").read_text(), parse_float=D)
    page = costs_page([{"object": "bucket", "start_time": 1730419200, "end_time": 1730505600, "results": [result]}])
    [fact] = openai_costs.parse_costs_page(page)[0]
    assert (fact.vendor_key, fact.service, fact.billed_cost) == ("openai:project:proj_abc", "input_tokens", D("0.06"))


def test_same_project_line_item_and_day_are_summed_across_pages():
    def page(value, has_more, cursor):
        result = cost_result(value, project_id="proj_a", line_item="gpt-4o, input")
        bucket = {"object": "bucket", "start_time": 1730419200, "end_time": 1730505600, "results": [result]}
        return costs_page([bucket], has_more=has_more, next_page=cursor)

    from chalicelib.connectors.common import merge_facts

    a, cursor, _ = openai_costs.parse_costs_page(page(D("0.1"), True, "p2"), page_no=1)
    b, _, _ = openai_costs.parse_costs_page(page(D("0.2"), False, None), page_no=2)
    [fact] = merge_facts(a + b)
    assert fact.billed_cost == D("0.3")  # 0.1 + 0.2 in float is 0.30000000000000004
    assert fact.provenance == "openai costs 2024-11-01 page 1; openai costs 2024-11-01 page 2"


def test_floats_are_refused():
    page = costs_page([{"object": "bucket", "start_time": 1730419200, "results": [cost_result(0.06)]}])
    with pytest.raises(SourceUnavailable, match="inexact"):
        openai_costs.parse_costs_page(page)


@pytest.mark.parametrize(
    "payload",
    [
        [],
        {"data": {}},
        {"data": [], "has_more": "yes"},
        {"data": [], "has_more": True, "next_page": None},
        {"data": [{"start_time": "x", "results": []}]},
        {"data": [{"start_time": 1730419200}]},
        {"data": [{"start_time": 1730419200, "results": [{"amount": "12"}]}]},
        {"data": [{"start_time": 1730419200, "results": [{"amount": {"value": "abc"}}]}]},
    ],
)
def test_unexpected_shapes_raise_source_unavailable(payload):
    with pytest.raises(SourceUnavailable):
        openai_costs.parse_costs_page(payload)


def test_buckets_outside_the_window_are_ignored():
    page = costs_page(
        [{"object": "bucket", "start_time": 1730419200 + 86400 * i, "results": [cost_result(D(1))]} for i in range(3)]
    )
    facts, _, _ = openai_costs.parse_costs_page(page, start=date(2024, 11, 2), end=date(2024, 11, 3))
    assert [f.day for f in facts] == [date(2024, 11, 2)]


def test_bad_window_and_missing_key():
    with pytest.raises(ValueError):
        openai_costs.pull("k", NOV_1, NOV_1)
    with pytest.raises(SourceUnavailable, match="no admin key"):
        openai_costs.pull("", NOV_1, DEC_1)


def test_emulator_requires_the_bearer_key(openai_emulator):
    url = openai_emulator.url + "/organization/costs?start_time=1793491200"
    assert requests.get(url, timeout=5).status_code == 401
    assert requests.get(url, headers={"Authorization": "Bearer nope"}, timeout=5).status_code == 401
    ok = requests.get(
        url + "&end_time=1793577600", headers={"Authorization": f"Bearer {openai_emulator.api_key}"}, timeout=5
    )
    assert ok.status_code == 200
    body = ok.json(parse_float=D)
    # not grouped: one aggregate result a day with null project and line item
    [bucket] = body["data"]
    [result] = bucket["results"]
    assert result["project_id"] is None and result["line_item"] is None
    assert result["amount"]["value"] == sum(r["amount"]["value"] for r in demo_billing.openai_cost_results(NOV_1))


def test_emulator_validates_parameters(openai_emulator):
    headers = {"Authorization": f"Bearer {openai_emulator.api_key}"}
    base = openai_emulator.url + "/organization/costs"
    for query in (
        "",
        "?start_time=abc",
        "?start_time=1793491200&limit=181",
        "?start_time=1793491200&limit=0",
        "?start_time=1793491200&bucket_width=1h",
        "?start_time=1793491200&group_by=model",
        "?start_time=1793491200&page=garbage",
        "?start_time=1793491200&end_time=1793491200",
    ):
        response = requests.get(base + query, headers=headers, timeout=5)
        assert response.status_code == 400, query
        assert response.json()["error"]["type"] == "invalid_request_error"


def test_emulator_project_filter(openai_emulator):
    headers = {"Authorization": f"Bearer {openai_emulator.api_key}"}
    body = requests.get(
        openai_emulator.url + "/organization/costs",
        headers=headers,
        timeout=5,
        params=[
            ("start_time", 1793491200),
            ("end_time", 1793577600),
            ("group_by", "project_id"),
            ("project_ids", "proj_claims"),
        ],
    ).json(parse_float=D)
    [result] = body["data"][0]["results"]
    assert result["project_id"] == "proj_claims" and result["line_item"] is None


# --- answered days: only a day with a bucket is answered ------------------------------------
def test_a_day_left_out_of_the_answer_is_not_answered(openai_emulator, fast):
    left_out = NOV_1 + timedelta(days=1)
    openai_emulator.faults.omit(left_out)
    pulled = openai_costs.pull(
        openai_emulator.api_key, NOV_1, NOV_1 + timedelta(days=3), base_url=openai_emulator.url, limit=1, config=fast
    )
    assert pulled.answered == {NOV_1, NOV_1 + timedelta(days=2)}
    assert {f.day for f in pulled.facts} == {NOV_1, NOV_1 + timedelta(days=2)}


def test_an_empty_bucket_answers_its_day_with_no_facts(openai_emulator, fast):
    emptied = NOV_1 + timedelta(days=1)
    openai_emulator.faults.empty(emptied)
    pulled = openai_costs.pull(
        openai_emulator.api_key, NOV_1, NOV_1 + timedelta(days=3), base_url=openai_emulator.url, config=fast
    )
    assert pulled.answered == {NOV_1 + timedelta(days=i) for i in range(3)}
    assert emptied not in {f.day for f in pulled.facts}


def test_a_page_reports_the_days_it_has_buckets_for():
    page = costs_page(
        [
            {"object": "bucket", "start_time": 1730419200, "end_time": 1730505600, "results": []},  # 2024-11-01
            {"object": "bucket", "start_time": 1730505600, "end_time": 1730592000, "results": []},  # 2024-11-02
        ]
    )
    facts, cursor, answered = openai_costs.parse_costs_page(page, start=date(2024, 11, 2), end=date(2024, 11, 3))
    assert (facts, cursor, answered) == ([], None, {date(2024, 11, 2)})  # the bucket outside the window is ignored
