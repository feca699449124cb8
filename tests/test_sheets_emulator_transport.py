"""chalicelib/sheet/transport.py: endpoint override, gspread's back-off within a
budget, fault injection, and nothing leaving 127.0.0.1."""

from __future__ import annotations

import socket
import time

import pytest
import requests
from gspread.exceptions import APIError

from chalicelib.sheet import transport
from chalicelib.sheet.transport import SheetsHTTPClient, open_client, rewrite_url
from tests.sheets_fixtures import (  # noqa: F401  (fixtures)
    sheets_client,
    sheets_emulator,
    sheets_env,
    sheets_service_account,
    sheets_spreadsheet,
    sheets_xlsx_path,
)


def test_rewrite_url():
    ep = "http://127.0.0.1:9"
    assert rewrite_url("https://sheets.googleapis.com/v4/spreadsheets/x", ep) == "http://127.0.0.1:9/v4/spreadsheets/x"
    assert rewrite_url("https://www.googleapis.com/drive/v3/files?q=1", ep) == "http://127.0.0.1:9/drive/v3/files?q=1"
    assert rewrite_url("https://example.com/x", ep) == "https://example.com/x"
    assert rewrite_url("https://sheets.googleapis.com/v4/x", None) == "https://sheets.googleapis.com/v4/x"


def test_production_defaults_leave_urls_alone(monkeypatch, sheets_service_account):
    for name in (
        "SHEETS_ENDPOINT_URL",
        "SHEETS_MAX_BACKOFF_SECONDS",
        "SHEETS_BACKOFF_CAP_SECONDS",
        "SHEETS_MAX_RETRIES",
    ):
        monkeypatch.delenv(name, raising=False)
    gc = open_client(sheets_service_account)
    client = gc.http_client
    assert isinstance(client, SheetsHTTPClient)
    assert client.endpoint is None
    assert client.max_backoff_seconds == 60
    assert client._MAX_BACKOFF == 32
    assert client.timeout[1] == transport.DEFAULT_TIMEOUT_SECONDS


def test_429_then_success_through_gspread_backoff(sheets_client, sheets_emulator):
    sh = sheets_client.open_by_key(sheets_emulator.default_spreadsheet_id)
    ws = sh.sheet1
    ws.update([["x"]], "A1")
    sheets_emulator.inject_fault(429, count=5)
    started = time.monotonic()
    assert ws.acell("A1").value == "x"
    assert time.monotonic() - started < 2
    client = sheets_client.http_client
    assert client.retries == 5
    assert client.total_backoff_seconds == pytest.approx(0.05)
    statuses = [e["status"] for e in sheets_emulator.api_requests()][-6:]
    assert statuses == [429] * 5 + [200]


def test_fault_error_body_is_google_shaped(sheets_emulator):
    sheets_emulator.inject_fault(503, count=1)
    r = requests.get(f"{sheets_emulator.url}/v4/spreadsheets/x", headers={"Authorization": "Bearer t"})
    assert r.status_code == 503
    assert r.json() == {
        "error": {"code": 503, "message": "The service is currently unavailable.", "status": "UNAVAILABLE"}
    }


def test_backoff_budget_bounds_the_total_wait(sheets_client, sheets_emulator, monkeypatch):
    monkeypatch.setenv("SHEETS_BACKOFF_CAP_SECONDS", "0.02")
    monkeypatch.setenv("SHEETS_MAX_BACKOFF_SECONDS", "0.05")
    monkeypatch.setenv("SHEETS_MAX_RETRIES", "50")
    from chalicelib.sheet.transport import open_client as reopen
    from local.fake_service_account import service_account_info

    gc = reopen(service_account_info(sheets_emulator.url))
    ws = gc.open_by_key(sheets_emulator.default_spreadsheet_id).sheet1
    sheets_emulator.inject_fault(500, count=100)
    with pytest.raises(APIError) as err:
        ws.acell("A1")
    assert err.value.code == 500
    # waits of 0.02 s each: 2 retries fit in 0.05 s, the 3rd would not
    assert gc.http_client.retries == 2
    assert gc.http_client.total_backoff_seconds <= 0.05 + 1e-9
    # the next request starts with a fresh budget
    sheets_emulator.clear_faults()
    assert ws.acell("A1").value is None


def test_retry_limit(sheets_client, sheets_emulator, monkeypatch):
    monkeypatch.setenv("SHEETS_MAX_RETRIES", "3")
    from local.fake_service_account import service_account_info

    gc = open_client(service_account_info(sheets_emulator.url))
    ws = gc.open_by_key(sheets_emulator.default_spreadsheet_id).sheet1
    sheets_emulator.inject_fault(429, count=100)
    with pytest.raises(APIError):
        ws.acell("A1")
    assert gc.http_client.retries == 3


def test_client_errors_are_not_retried(sheets_spreadsheet, sheets_emulator, sheets_client):
    with pytest.raises(APIError):
        sheets_spreadsheet.values_get("'nope'!A1")
    assert sheets_client.http_client.retries == 0


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


def test_fault_and_log_control_endpoints(sheets_emulator, sheets_spreadsheet):
    url = sheets_emulator.url
    ws = sheets_spreadsheet.get_worksheet(0)
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


def test_nothing_leaves_localhost(sheets_env, sheets_service_account, monkeypatch):
    resolved: list[str] = []
    real = socket.getaddrinfo

    def spy(host, *args, **kwargs):
        resolved.append(host)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", spy)
    gc = open_client(sheets_service_account)
    sh = gc.create("local only")
    sh.sheet1.update([[1]], "A1")
    deadline = time.monotonic() + 3  # google-auth's boundary lookup runs in a thread
    while time.monotonic() < deadline and not any(e["kind"] == "iam" for e in sheets_env.request_log):
        time.sleep(0.02)
    assert any(e["kind"] == "iam" for e in sheets_env.request_log)
    assert resolved and set(resolved) <= {"127.0.0.1", "localhost"}


def test_emulator_binds_loopback_only(sheets_emulator):
    host, _port = sheets_emulator._server.socket.getsockname()
    assert host == "127.0.0.1"


def test_lost_response_after_commit(sheets_spreadsheet, sheets_emulator, monkeypatch):
    """The write is kept but the client sees a 503: gspread's retry appends twice —
    what an idempotent sync must not do."""
    ws = sheets_spreadsheet.sheet1
    ws.update([["header"]], "A1")
    sheets_emulator.inject_fault(503, match=":append", after_commit=True)
    ws.append_row(["once"])
    assert ws.col_values(1) == ["header", "once", "once"]
