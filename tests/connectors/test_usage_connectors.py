"""Usage connectors (OpenAI completions usage, Anthropic messages usage report) against the emulators,
over real HTTP: the published shapes, paging, grouping, mapping, restatement, and usage that agrees
with the costs the same emulators serve."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal as D
from pathlib import Path

import pytest
import requests

from chalicelib.connectors import anthropic_usage, openai_usage
from chalicelib.connectors.errors import SourceUnavailable
from chalicelib.domain.model_prices import DEFAULT_MODEL_PRICES, price_for
from chalicelib.domain.usage import UsageFact, map_usage
from local import demo_billing
from tests.connectors.window import DEC_1, NOV_1

REFERENCE = Path("/work/shared/reference/vendor-billing")
DAY = date(2026, 11, 3)


def _reference(name):
    path = REFERENCE / name
    if not path.exists():
        pytest.skip(f"{path} not available")
    return json.loads(path.read_text(), parse_float=D)


def test_the_published_openai_example_parses_with_its_token_breakdown():
    payload = _reference("openai_organization_usage_completions_response.json")
    facts, cursor, answered = openai_usage.parse_usage_page(payload)
    assert cursor == payload["next_page"] and answered == {date(2024, 11, 1)}
    [f] = facts
    assert (f.model, f.vendor_key, f.provider) == ("unspecified", "openai:project:none", "OpenAI")
    assert (f.input_tokens, f.cached_input_tokens, f.cache_write_tokens, f.output_tokens, f.requests) == (
        500,
        400,
        100,
        500,
        5,
    )
    # An older answer with no breakdown fields: uncached = input - cached.
    result = dict(payload["data"][0]["results"][0])
    for name in ("input_uncached_tokens", "input_cache_write_tokens"):
        result.pop(name)
    older = {**payload, "has_more": False, "data": [{**payload["data"][0], "results": [result]}]}
    [f] = openai_usage.parse_usage_page(older)[0]
    assert (f.input_tokens, f.cached_input_tokens, f.cache_write_tokens) == (600, 400, 0)


def test_the_published_anthropic_shape_parses_nested_and_flat_cache_writes():
    payload = _reference("anthropic_usage_report_messages_shape.json")
    facts, cursor, answered = anthropic_usage.parse_usage_page(payload)
    assert cursor is None and answered == {date(2026, 11, 2)}
    [f] = facts
    assert (f.model, f.vendor_key) == ("claude-sonnet-4-20250514", "anthropic:workspace:wrkspc_support")
    assert (f.input_tokens, f.cached_input_tokens, f.cache_write_tokens, f.output_tokens, f.requests) == (
        1842210,
        912000,
        40500,
        310442,
        None,
    )
    flat = dict(payload["data"][0]["results"][0])
    flat.pop("cache_creation")
    flat.update(cache_creation_5m_input_tokens=7, cache_creation_1h_input_tokens=3, workspace_id=None)
    [f] = anthropic_usage.parse_usage_page({**payload, "data": [{**payload["data"][0], "results": [flat]}]})[0]
    assert (f.cache_write_tokens, f.vendor_key) == (10, "anthropic:workspace:default")
    assert price_for(f.model, f.provider, DEFAULT_MODEL_PRICES).model == "claude-sonnet-4"  # the dated name


@pytest.mark.parametrize(
    "bad",
    [
        {"data": {}},
        {"data": [{"start_time": "x", "results": []}]},
        {"data": [{"start_time": 1793491200, "results": [{"input_tokens": -1, "output_tokens": 0}]}]},
        {"data": [{"start_time": 1793491200, "results": [{"output_tokens": 3}]}]},
        {"data": [], "has_more": True, "next_page": None},
    ],
)
def test_unexpected_openai_shapes_fail_the_source(bad):
    with pytest.raises(SourceUnavailable, match="unexpected usage response shape"):
        openai_usage.parse_usage_page(bad)


def test_a_month_paginated_grouped_by_project_and_model(openai_emulator, anthropic_emulator, fast):
    pulled = openai_usage.pull(
        openai_emulator.api_key, NOV_1, DEC_1, base_url=openai_emulator.url, limit=7, config=fast
    )
    pages = [r for r in openai_emulator.requests if r["path"] == "/v1/organization/usage/completions"]
    assert len(pages) == 5 and "page" not in pages[0]["args"] and all("page" in p["args"] for p in pages[1:])
    assert pages[0]["args"]["group_by"] == ["project_id", "model"] and pages[0]["args"]["bucket_width"] == ["1d"]
    assert len(pulled.answered) == 30 and len(pulled.facts) == 30 * 3
    assert {(f.vendor_key, f.model) for f in pulled.facts} == {
        ("openai:project:proj_claims", "gpt-4o"),
        ("openai:project:proj_sales_leads", "ft:gpt-4o-mini"),
        ("openai:project:proj_shadow_marketing", "gpt-4o-mini"),
    }
    assert all(f.requests and f.requests > 0 for f in pulled.facts)

    ant = anthropic_usage.pull(
        anthropic_emulator.api_key, NOV_1, DEC_1, base_url=anthropic_emulator.url, limit=7, config=fast
    )
    pages = [r for r in anthropic_emulator.requests if r["path"] == "/v1/organizations/usage_report/messages"]
    assert len(pages) == 5 and pages[0]["args"]["group_by[]"] == ["workspace_id", "model"]
    assert len(ant.facts) == 30 * 2 and all(f.requests is None for f in ant.facts)


def _cost_at_list(f: UsageFact) -> D:
    price = price_for(f.model, f.provider, DEFAULT_MODEL_PRICES)
    return price.cost(f.input_tokens + f.cache_write_tokens, f.cached_input_tokens, f.output_tokens)


def test_usage_at_list_prices_is_the_cost_the_same_emulator_bills(openai_emulator, anthropic_emulator, fast):
    end = NOV_1 + timedelta(days=5)
    usage = (
        openai_usage.pull(openai_emulator.api_key, NOV_1, end, base_url=openai_emulator.url, config=fast).facts
        + anthropic_usage.pull(
            anthropic_emulator.api_key, NOV_1, end, base_url=anthropic_emulator.url, config=fast
        ).facts
    )
    at_list = defaultdict(D)
    for f in usage:
        at_list[(f.day, f.vendor_key)] += _cost_at_list(f)
    billed = defaultdict(D)
    for n in range(5):
        day = NOV_1 + timedelta(days=n)
        for key, amount in demo_billing.expected_daily_spend(day).items():
            if key.startswith(("openai:", "anthropic:")):
                billed[(day, key)] += amount
    assert set(at_list) == set(billed)
    for key, amount in billed.items():  # whole tokens: a fraction of a cent apart at most
        assert abs(at_list[key] - amount) < D("0.001"), key


def test_the_emulators_group_by_what_is_asked(openai_emulator, anthropic_emulator):
    start = int(datetime.combine(DAY, datetime.min.time(), timezone.utc).timestamp())
    url = openai_emulator.url + "/organization/usage/completions"
    auth = {"Authorization": f"Bearer {openai_emulator.api_key}"}
    by_model = requests.get(
        url,
        params={"start_time": start, "end_time": start + 86400, "group_by": "project_id,model"},
        headers=auth,
        timeout=5,
    ).json()["data"][0]["results"]
    whole = requests.get(url, params={"start_time": start, "end_time": start + 86400}, headers=auth, timeout=5).json()[
        "data"
    ][0]["results"]
    assert len(by_model) == 3 and len(whole) == 1
    assert whole[0]["project_id"] is None and whole[0]["model"] is None
    for name in ("input_tokens", "output_tokens", "num_model_requests"):
        assert whole[0][name] == sum(r[name] for r in by_model)
    only = requests.get(
        url,
        params={"start_time": start, "end_time": start + 86400, "group_by": "model", "models": "gpt-4o"},
        headers=auth,
        timeout=5,
    ).json()["data"][0]["results"]
    assert [r["model"] for r in only] == ["gpt-4o"] and only[0]["project_id"] is None
    assert (
        requests.get(url, params={"start_time": start, "group_by": "line_item"}, headers=auth, timeout=5).status_code
        == 400
    )
    assert requests.get(url, params={"start_time": start, "limit": 32}, headers=auth, timeout=5).status_code == 400

    aurl = anthropic_emulator.url + "/v1/organizations/usage_report/messages"
    headers = {"x-api-key": anthropic_emulator.api_key, "anthropic-version": "2023-06-01"}
    window = {"starting_at": f"{DAY}T00:00:00Z", "ending_at": f"{DAY + timedelta(days=1)}T00:00:00Z"}
    rows = requests.get(
        aurl, params={**window, "group_by[]": ["workspace_id", "model"]}, headers=headers, timeout=5
    ).json()["data"][0]["results"]
    assert list(rows[0]) == [
        "workspace_id",
        "api_key_id",
        "model",
        "service_tier",
        "context_window",
        "uncached_input_tokens",
        "cache_read_input_tokens",
        "cache_creation",
        "output_tokens",
        "server_tool_use",
    ]
    one = requests.get(
        aurl,
        params={**window, "group_by[]": "workspace_id", "workspace_ids[]": "wrkspc_support"},
        headers=headers,
        timeout=5,
    ).json()["data"][0]["results"]
    assert [(r["workspace_id"], r["model"]) for r in one] == [("wrkspc_support", None)]
    assert (
        requests.get(
            aurl, params=window, headers={"x-api-key": "wrong", "anthropic-version": "2023-06-01"}, timeout=5
        ).status_code
        == 401
    )


def test_mapping_places_usage_where_the_costs_go():
    facts = [
        UsageFact(DAY, "openai", "OpenAI", "gpt-4o", "openai:project:proj_claims", 10, 0, 0, 5, 1),
        UsageFact(DAY, "openai", "OpenAI", "gpt-4o-mini", "openai:project:proj_shadow_marketing", 7, 1, 0, 2, 1),
        UsageFact(DAY, "anthropic", "Anthropic", "claude-sonnet-4", " anthropic:workspace:wrkspc_support ", 3, 0, 0, 1),
    ]
    mapped, unmapped = map_usage(facts, demo_billing.DEMO_MAPPINGS)
    assert [(f.team, f.use_case) for f in mapped] == [
        ("claims", "claims-processing"),
        ("unallocated", "unallocated"),
        ("support", "ticket-escalation"),
    ]
    assert unmapped == {"openai:project:proj_shadow_marketing": 10}


def test_restated_omitted_and_emptied_days_replace_per_day_never_add(aws, openai_emulator, fast):
    from chalicelib import stores
    from chalicelib.domain.organisation import Organisation
    from chalicelib.usage_pull import UsageSource, pull_usage

    store, freshness = stores.stores().usage, stores.stores().freshness
    org = Organisation(mappings=demo_billing.DEMO_MAPPINGS)
    source = UsageSource(
        "openai",
        "openai usage",
        lambda s, e: openai_usage.pull(openai_emulator.api_key, s, e, base_url=openai_emulator.url, config=fast),
    )
    window = (DAY - timedelta(days=2), DAY + timedelta(days=1))
    now = datetime(2026, 11, 4, 10, tzinfo=timezone.utc)

    def tokens(day, key="openai:project:proj_claims"):
        return sum(f.tokens for f in store.usage_for_month("2026-11") if f.day == day and f.vendor_key == key)

    [first] = pull_usage([source], *window, org, store, freshness, now)
    assert first.ok and first.facts == 9 and first.puts == 3
    stored = store.usage_for_month("2026-11")
    assert {f.use_case for f in stored if f.vendor_key == "openai:project:proj_claims"} == {"claims-processing"}
    before = tokens(DAY)
    [again] = pull_usage([source], *window, org, store, freshness, now)
    assert (again.puts, again.deletes, again.write_requests) == (0, 0, 0)  # a rerun changes nothing
    assert len(store.usage_for_month("2026-11")) == 9

    openai_emulator.faults.restate(DAY, D("1.5"), key="proj_claims")
    openai_emulator.faults.omit(DAY - timedelta(days=2))
    openai_emulator.faults.empty(DAY - timedelta(days=1))
    [third] = pull_usage([source], *window, org, store, freshness, now)
    assert third.status == "partial" and third.days_answered == 2
    assert tokens(DAY) == pytest.approx(before * 1.5, rel=1e-6) and tokens(DAY) != before
    assert tokens(DAY - timedelta(days=2)) > 0  # not answered: kept
    assert tokens(DAY - timedelta(days=1)) == 0  # answered with nothing: emptied
    fresh = {f.source: f for f in freshness.all()}["openai usage"]
    assert fresh.restated_days == 2 and any(f"{DAY}: usage restated" in line for line in fresh.restatements)

    openai_emulator.faults.fail_next(50, status=503)
    [failed] = pull_usage([source], *window, org, store, freshness, now)
    assert not failed.ok and "503" in failed.error
    assert {f.source: f for f in freshness.all()}["openai usage"].last_error
    assert tokens(DAY) == pytest.approx(before * 1.5, rel=1e-6)  # a failing source keeps everything


def test_a_large_day_spans_items_and_reads_back_once(aws):
    from chalicelib import stores
    from chalicelib.storage import usage_store

    store = stores.stores().usage
    rows = [
        UsageFact(DAY, "openai", "OpenAI", f"m{i}", f"openai:project:p{i}", i, 0, 0, 1, 1)
        for i in range(usage_store.ROWS_PER_ITEM * 2 + 5)
    ]
    written = store.replace_days("openai", [DAY], rows)
    assert written.puts == 3 and written.stored == len(rows)
    assert len(store.usage_for_month("2026-11")) == len(rows)
    written = store.replace_days("openai", [DAY], rows[:10])  # restated smaller: the extra items go
    assert (written.puts, written.deletes) == (1, 2)
    assert sorted(f.model for f in store.usage_for_month("2026-11")) == sorted(f"m{i}" for i in range(10))
    assert written.changed[0].tokens_before > written.changed[0].tokens_after
