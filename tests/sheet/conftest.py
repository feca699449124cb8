"""Fixtures for the sheet front end: moto (tables + Secrets Manager) and the in-process Sheets emulator.

The fake service account lives in moto's Secrets Manager under the production secret name and
SHEET_ID names the emulator's spreadsheet: the code under test takes its production path.
`memory_backend` serves the stores in memory instead of on moto's tables (moto still answers
Secrets Manager and the other clients), for tests about the sheet rather than DynamoDB.
Tests that edit the workbook by hand (openpyxl) are marked `xlsx`: their emulator persists to
`sheets_xlsx_path`; the others keep the spreadsheet in memory (faster).
"""

from __future__ import annotations

import json
from contextlib import contextmanager

import pytest
from sheets_emulator import start_emulator

from local.fake_service_account import service_account_info


def pytest_terminal_summary(terminalreporter):
    """The fault drill's table (tests/sheet/test_fault_drill.py), when it ran."""
    import sys

    drill = sys.modules.get("tests.sheet.test_fault_drill")
    if drill is None or not drill.TABLE:
        return
    write = terminalreporter.write_line
    write("")
    write(f"{'fault (in runs 2 to 4)':<36} {'runs: ' + ', '.join(k for k, _ in drill.SCHEDULE):<70} after recovery")
    for fault, outcomes, verdict in drill.TABLE:
        runs = ", ".join("ok" if o == "ok" else o.split(":")[0] for o in outcomes)
        write(f"{fault:<36} {runs:<70} {verdict}")


@pytest.fixture
def sheet(request, aws, sheets_xlsx_path, monkeypatch):
    """The emulator handle, with credentials stored and SHEET_ID set."""
    with emulator_with_credentials(
        sheets_xlsx_path, monkeypatch, persist=request.node.get_closest_marker("xlsx") is not None
    ) as emu:
        yield emu


@contextmanager
def emulator_with_credentials(xlsx_path, monkeypatch, persist: bool):
    """The emulator on `xlsx_path` (loaded from it when it exists), the fake service account stored in
    (moto's) Secrets Manager, SHEETS_ENDPOINT_URL and SHEET_ID set (`sheet`, and fixtures of a wider scope)."""
    import boto3
    from aws_lambda_powertools.utilities import parameters

    emu = start_emulator(xlsx_path, port=0, persist=persist)
    monkeypatch.setenv("SHEETS_ENDPOINT_URL", emu.url)
    monkeypatch.setenv("SHEETS_BACKOFF_CAP_SECONDS", "0.01")
    monkeypatch.setenv("SHEETS_MAX_BACKOFF_SECONDS", "5")
    boto3.client("secretsmanager").create_secret(
        Name="finops/google-service-account", SecretString=json.dumps(service_account_info(emu.url))
    )
    monkeypatch.setenv("SHEET_ID", emu.default_spreadsheet_id)
    monkeypatch.delenv("GOOGLE_SERVICE_ACCOUNT_SECRET", raising=False)
    parameters.clear_caches()
    try:
        yield emu
    finally:
        emu.stop()
        parameters.clear_caches()


@pytest.fixture
def memory_backend(aws):
    """A backend with moto's clients and the tables' names but every store in memory
    (chalicelib.storage.in_memory), served for the test. Fails the test if anything reached
    DynamoDB through the clients meanwhile (a store or an outbox built on the tables behind its back)."""
    from chalicelib import bootstrap
    from chalicelib.storage.in_memory import in_memory_stores

    before = aws.clients.dynamodb_requests
    with bootstrap.serving(bootstrap.Backend(aws.clients, aws.tables, stores=in_memory_stores())) as backend:
        yield backend
    assert aws.clients.dynamodb_requests == before, "the test used DynamoDB: a store was not the in-memory one"
