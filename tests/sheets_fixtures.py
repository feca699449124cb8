"""Pytest fixtures for the local Sheets emulator, as the app's tests use it.

Registered for every test by tests/conftest.py (``pytest_plugins``), after the emulator package's own plugin
(sheets_emulator.pytest_plugin: ``sheets_xlsx_path``, ``sheets_emulator``, ``sheets_spreadsheet``, ``edit_xlsx``
and the two overridden here): a test names them, never imports them.

- ``sheets_service_account``: the local stack's fake service-account key (local/fake_service_account.py) whose
  ``token_uri`` is the emulator's ``/token``.
- ``sheets_env``: sets ``SHEETS_ENDPOINT_URL`` to the emulator and makes back-off waits tiny
  (``SHEETS_BACKOFF_CAP_SECONDS=0.01``); returns the handle.
- ``sheets_client``: a real ``gspread.Client`` built by ``chalicelib.sheet.transport.open_client`` (token exchange
  included); the plugin's ``sheets_spreadsheet`` opens the default spreadsheet with it.
"""

from __future__ import annotations

import pytest
from sheets_emulator import EmulatorHandle

from local.fake_service_account import service_account_info

__all__ = ["sheets_service_account", "sheets_env", "sheets_client"]


@pytest.fixture
def sheets_service_account(sheets_emulator: EmulatorHandle) -> dict:
    return service_account_info(sheets_emulator.url)


@pytest.fixture
def sheets_env(sheets_emulator: EmulatorHandle, monkeypatch: pytest.MonkeyPatch) -> EmulatorHandle:
    monkeypatch.setenv("SHEETS_ENDPOINT_URL", sheets_emulator.url)
    monkeypatch.setenv("SHEETS_BACKOFF_CAP_SECONDS", "0.01")
    monkeypatch.setenv("SHEETS_MAX_BACKOFF_SECONDS", "5")
    return sheets_emulator


@pytest.fixture
def sheets_client(sheets_env: EmulatorHandle, sheets_service_account: dict):
    from chalicelib.sheet.transport import open_client

    return open_client(sheets_service_account)
