"""The local billing emulators themselves: CLI, fault endpoint, exact JSON, demo data."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, timedelta
from decimal import Decimal as D
from pathlib import Path

import pytest
import requests

from local import demo_billing
from local.vendor_emulators import Faults
from local.vendor_emulators.base import decode_cursor, dumps, encode_cursor

ROOT = Path(__file__).resolve().parents[2]


def test_dumps_writes_decimals_digit_for_digit():
    text = dumps({"a": D("0.1"), "b": [D("533.563448"), D("1E+2"), None, True, "x"], "c": {"d": 3}})
    assert text == '{"a":0.1,"b":[533.563448,1E+2,null,true,"x"],"c":{"d":3}}'
    assert json.loads(text, parse_float=D)["b"][0] == D("533.563448")
    with pytest.raises(ValueError):
        dumps(D("NaN"))


def test_cursor_round_trip():
    assert decode_cursor(encode_cursor(42)) == 42
    for bad in ("nope", "page_!!!", encode_cursor(1).replace("page_", "page_x")):
        with pytest.raises(ValueError):
            decode_cursor(bad)


def test_faults_queue_in_order():
    faults = Faults()
    faults.fail_next(2, status=429, retry_after=1)
    faults.bad_json_next()
    kinds = [(f.kind, f.status) for f in iter(faults.take, None)]
    assert kinds == [("status", 429), ("status", 429), ("bad_json", 500)]
    faults.restate(date(2026, 11, 1), D("2"))
    faults.restate(date(2026, 11, 1), D("3"), key="proj_claims")
    assert faults.factor(date(2026, 11, 1), "proj_claims") == 3
    assert faults.factor(date(2026, 11, 1), "proj_other") == 2
    assert faults.factor(date(2026, 11, 2), "proj_claims") == 1
    faults.clear()
    assert faults.to_dict() == {"pending": [], "restated": [], "omitted": [], "emptied": []}
    for bad in (
        [],
        {"explode": 1},
        {"restate": {"day": "x", "factor": "1"}},
        {"fail": {"count": 0}},
        {"restate": {"day": "2026-11-01", "factor": "abc"}},
    ):
        with pytest.raises(ValueError):
            faults.apply(bad)


def test_fault_endpoint_rejects_bad_bodies(openai_emulator):
    url = openai_emulator.root + "/_emulator/faults"
    assert requests.post(url, data="not json", timeout=5).status_code == 400
    assert requests.post(url, json={"nonsense": True}, timeout=5).status_code == 400
    ok = requests.post(url, json={"delay": {"count": 2, "seconds": 0}, "bad_shape": 1}, timeout=5)
    assert ok.status_code == 200 and [p["kind"] for p in ok.json()["pending"]] == ["delay", "bad_shape"]
    assert requests.get(openai_emulator.root + "/nowhere", timeout=5).status_code == 404


def test_omitted_and_emptied_days_over_http(anthropic_emulator):
    url = anthropic_emulator.root + "/_emulator/faults"
    state = requests.post(url, json={"omit": ["2026-11-02"], "empty": "2026-11-03"}, timeout=5).json()
    assert (state["omitted"], state["emptied"]) == (["2026-11-02"], ["2026-11-03"])
    response = requests.get(
        anthropic_emulator.url + "/v1/organizations/cost_report",
        timeout=5,
        headers={"x-api-key": anthropic_emulator.api_key, "anthropic-version": "2023-06-01"},
        params={"starting_at": "2026-11-01T00:00:00Z", "ending_at": "2026-11-04T00:00:00Z"},
    )
    buckets = {b["starting_at"][:10]: b["results"] for b in response.json()["data"]}
    assert set(buckets) == {"2026-11-01", "2026-11-03"} and buckets["2026-11-03"] == [] and buckets["2026-11-01"]
    assert requests.delete(url, timeout=5).json()["omitted"] == []


def test_openai_amounts_cross_the_wire_exactly(openai_emulator):
    response = requests.get(
        openai_emulator.url + "/organization/costs",
        timeout=5,
        headers={"Authorization": f"Bearer {openai_emulator.api_key}"},
        params=[
            ("start_time", 1793491200),
            ("end_time", 1793577600),
            ("group_by", "project_id"),
            ("group_by", "line_item"),
        ],
    )
    values = [r["amount"]["value"] for r in response.json(parse_float=D)["data"][0]["results"]]
    assert values == [r["amount"]["value"] for r in demo_billing.openai_cost_results(date(2026, 11, 1))]
    assert '"value":' in response.text and '"currency":"usd"' in response.text


def test_demo_spend_is_deterministic_and_near_the_stated_levels():
    start, end = demo_billing.month_bounds(2026, 11)
    days = [start + timedelta(days=i) for i in range((end - start).days)]
    assert demo_billing.expected_daily_spend(days[3]) == demo_billing.expected_daily_spend(days[3])
    totals = {}
    for day in days:
        for key, value in demo_billing.expected_daily_spend(day).items():
            totals[key] = totals.get(key, D(0)) + value
    averages = {k: v / len(days) for k, v in totals.items()}
    stated = {
        demo_billing.VENDOR_KEY_OPENAI_CLAIMS: 1150,
        demo_billing.VENDOR_KEY_OPENAI_SALES_LEADS: 690,
        demo_billing.VENDOR_KEY_OPENAI_SHADOW_MARKETING: 25,
        demo_billing.VENDOR_KEY_ANTHROPIC_SUPPORT: 38,
        demo_billing.VENDOR_KEY_ANTHROPIC_DEFAULT: 9,
        demo_billing.VENDOR_KEY_AWS_CONTRACT_REVIEW: 210,
        demo_billing.VENDOR_KEY_PINECONE: 300,
        demo_billing.VENDOR_KEY_DATADOG: 120,
    }
    assert set(averages) == set(stated)
    for key, level in stated.items():
        assert abs(averages[key] / level - 1) < D("0.03"), key
    # weekdays cost more than weekends
    monday, saturday = date(2026, 11, 2), date(2026, 11, 7)
    assert sum(demo_billing.expected_daily_spend(monday).values()) > sum(
        demo_billing.expected_daily_spend(saturday).values()
    )


def test_cli_serves_both_vendors(fast):
    from chalicelib.connectors import anthropic_costs, openai_costs
    from local.ports import free_port

    openai_port, anthropic_port = free_port(), free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "local.vendor_emulators",
            "--openai-port",
            str(openai_port),
            "--anthropic-port",
            str(anthropic_port),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        lines = [process.stdout.readline().strip() for _ in range(4)]
        printed = dict(line.split("=", 1) for line in lines)
        assert printed["OPENAI_BASE_URL"] == f"http://127.0.0.1:{openai_port}/v1"
        assert printed["ANTHROPIC_BASE_URL"] == f"http://127.0.0.1:{anthropic_port}"
        day = date(2026, 11, 2)
        openai = openai_costs.pull(
            printed["OPENAI_ADMIN_KEY"], day, day + timedelta(days=1), base_url=printed["OPENAI_BASE_URL"], config=fast
        ).facts
        anthropic = anthropic_costs.pull(
            printed["ANTHROPIC_ADMIN_KEY"],
            day,
            day + timedelta(days=1),
            base_url=printed["ANTHROPIC_BASE_URL"],
            config=fast,
        ).facts
        expected = demo_billing.expected_daily_spend(day)
        assert sum(f.billed_cost for f in openai) == sum(v for k, v in expected.items() if k.startswith("openai:"))
        assert sum(f.billed_cost for f in anthropic) == sum(
            v for k, v in expected.items() if k.startswith("anthropic:")
        )
    finally:
        process.terminate()
        try:
            assert process.wait(timeout=10) == 0
        finally:
            if process.poll() is None:
                process.kill()
            process.stdout.close()
            process.stderr.close()
