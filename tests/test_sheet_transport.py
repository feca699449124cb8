"""chalicelib/sheet/transport.py against the Sheets emulator: endpoint override, gspread's back-off
within a budget and a retry limit, and nothing leaving 127.0.0.1. (The emulator's own fault injection
is tested in sheets-emulator/tests/test_faults.py.)"""

from __future__ import annotations

import time

import pytest
from gspread.exceptions import APIError

from chalicelib.sheet import transport
from chalicelib.sheet.transport import SheetsHTTPClient, open_client, rewrite_url


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


def test_nothing_leaves_localhost(sheets_env, sheets_service_account, resolved_hosts):
    gc = open_client(sheets_service_account)
    sh = gc.create("local only")
    sh.sheet1.update([[1]], "A1")
    deadline = time.monotonic() + 3  # google-auth's boundary lookup runs in a thread
    while time.monotonic() < deadline and not any(e["kind"] == "iam" for e in sheets_env.request_log):
        time.sleep(0.02)
    assert any(e["kind"] == "iam" for e in sheets_env.request_log)
    assert resolved_hosts and set(resolved_hosts) <= {"127.0.0.1", "localhost"}
