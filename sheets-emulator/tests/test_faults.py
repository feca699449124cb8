"""Fault injection, latency and the request log, seen through gspread's own back-off client; the
emulator binds 127.0.0.1 and the gspread client of sheets_emulator.client never leaves it."""

from __future__ import annotations

import time

import pytest
import requests
from gspread.exceptions import APIError
from sheets_emulator.client import gspread_client


def test_429_then_success_through_gspread_backoff(retrying_client, sheets_emulator):
    ws = retrying_client.open_by_key(sheets_emulator.default_spreadsheet_id).sheet1
    ws.update([["x"]], "A1")
    sheets_emulator.inject_fault(429, count=5)
    assert ws.acell("A1").value == "x"
    assert retrying_client.http_client.retries == 5
    statuses = [e["status"] for e in sheets_emulator.api_requests()][-6:]
    assert statuses == [429] * 5 + [200]


def test_fault_error_body_is_google_shaped(sheets_emulator):
    sheets_emulator.inject_fault(503, count=1)
    r = requests.get(f"{sheets_emulator.url}/v4/spreadsheets/x", headers={"Authorization": "Bearer t"})
    assert r.status_code == 503
    assert r.json() == {
        "error": {"code": 503, "message": "The service is currently unavailable.", "status": "UNAVAILABLE"}
    }


def test_fail_after_simulates_an_interrupted_sync(sheets_spreadsheet, sheets_emulator):
    ws = sheets_spreadsheet.sheet1
    sheets_emulator.inject_fault(500, fail_after=2, match=":batchUpdate", methods=["POST"])
    ws.batch_update([{"range": "A1", "values": [["1"]]}])
    ws.batch_update([{"range": "A2", "values": [["2"]]}])
    with pytest.raises(APIError) as err:
        ws.batch_update([{"range": "A3", "values": [["3"]]}])
    assert err.value.code == 500
    assert ws.col_values(1) == ["1", "2"]  # reads still work: only the writes fail
    sheets_emulator.clear_faults()
    ws.batch_update([{"range": "A3", "values": [["3"]]}])
    assert ws.col_values(1) == ["1", "2", "3"]


def test_fault_and_log_control_endpoints(sheets_emulator, retrying_client):
    url = sheets_emulator.url
    ws = retrying_client.open_by_key(sheets_emulator.default_spreadsheet_id).get_worksheet(0)
    r = requests.post(f"{url}/_emulator/faults", json={"status": 429, "count": 2})
    assert r.json()["faults"][0]["status"] == 429
    assert requests.get(f"{url}/_emulator/faults").json()["faults"][0]["count"] == 2
    requests.post(f"{url}/_emulator/log/reset")
    assert ws.acell("A1").value is None  # retried past the 429s
    log = [e for e in requests.get(f"{url}/_emulator/log").json()["requests"] if e["kind"] == "sheets"]
    assert [e["status"] for e in log] == [429, 429, 200]
    assert {
        "method",
        "path",
        "query",
        "status",
        "kind",
        "duration_ms",
        "seq",
        "request_bytes",
        "response_bytes",
    } <= set(log[0])
    assert log[-1]["response_bytes"] > 0
    assert requests.get(f"{url}/_emulator/faults").json()["faults"] == []
    requests.post(f"{url}/_emulator/faults", json={"status": 500, "fail_after": 1})
    requests.delete(f"{url}/_emulator/faults")
    assert requests.get(f"{url}/_emulator/faults").json()["faults"] == []


def test_latency_injection(sheets_emulator, sheets_spreadsheet):
    ws = sheets_spreadsheet.sheet1
    sheets_emulator.inject_fault(0, delay_ms=50, count=1)
    started = time.monotonic()
    ws.acell("A1")
    assert time.monotonic() - started >= 0.05
    requests.post(f"{sheets_emulator.url}/_emulator/faults", json={"delay_ms": 30})
    started = time.monotonic()
    ws.acell("A1")
    ws.acell("A1")
    assert time.monotonic() - started >= 0.06  # lasts until cleared
    assert [e["status"] for e in sheets_emulator.api_requests()][-3:] == [200, 200, 200]


def test_emulator_binds_loopback_only(sheets_emulator):
    host, _port = sheets_emulator._server.socket.getsockname()
    assert host == "127.0.0.1"


def test_lost_response_after_commit(retrying_client, sheets_emulator):
    """The write is kept but the client sees a 503: gspread's retry appends twice —
    what an idempotent sync must not do."""
    ws = retrying_client.open_by_key(sheets_emulator.default_spreadsheet_id).sheet1
    ws.update([["header"]], "A1")
    sheets_emulator.inject_fault(503, match=":append", after_commit=True)
    ws.append_row(["once"])
    assert ws.col_values(1) == ["header", "once", "once"]


def test_the_gspread_client_never_leaves_localhost(sheets_emulator, sheets_service_account, resolved_hosts):
    gc = gspread_client(sheets_emulator.url, sheets_service_account)
    sh = gc.create("local only")
    sh.sheet1.update([[1]], "A1")
    # google-auth (2.62) looks up the service account's regional access boundary in a thread: give it
    # time, and it too must reach the emulator (the "iam" entries), not Google
    deadline = time.monotonic() + 1
    while time.monotonic() < deadline and not any(e["kind"] == "iam" for e in sheets_emulator.request_log):
        time.sleep(0.02)
    assert resolved_hosts and set(resolved_hosts) <= {"127.0.0.1", "localhost"}
