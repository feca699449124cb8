"""Pytest fixtures for the local Sheets emulator.

Registered for every test by tests/conftest.py (``pytest_plugins``): a test names them, never imports them.

Fixtures:

- ``sheets_xlsx_path``: where the default spreadsheet is persisted (tmp_path).
- ``sheets_emulator``: a running emulator (thread, free port, 127.0.0.1) whose
  default spreadsheet lives in ``sheets_xlsx_path``; an
  :class:`~sheets_emulator.EmulatorHandle` (``.url``, ``.request_log``,
  ``.api_requests()``, ``.inject_fault(...)``, ``.spreadsheet()``,
  ``.default_spreadsheet_id``, ``.stop()``).
- ``sheets_service_account``: a fake service-account key dict whose
  ``token_uri`` is the emulator's ``/token``.
- ``sheets_env``: sets ``SHEETS_ENDPOINT_URL`` to the emulator and makes
  back-off waits tiny (``SHEETS_BACKOFF_CAP_SECONDS=0.01``); returns the handle.
- ``sheets_client``: a real ``gspread.Client`` built by
  ``chalicelib.sheet.transport.open_client`` (token exchange included).
- ``sheets_spreadsheet``: the default spreadsheet opened with that client.

Helper: ``edit_xlsx(path)`` — a context manager yielding an openpyxl workbook
that is saved on exit, to play finance editing the file by hand.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Iterator

import pytest
from sheets_emulator import EmulatorHandle, start_emulator

from local.fake_service_account import service_account_info

__all__ = [
    "sheets_xlsx_path",
    "sheets_emulator",
    "sheets_service_account",
    "sheets_env",
    "sheets_client",
    "sheets_spreadsheet",
    "edit_xlsx",
]


@pytest.fixture
def sheets_xlsx_path(tmp_path: Path) -> Path:
    return tmp_path / "sheets" / "finops.xlsx"


@pytest.fixture
def sheets_emulator(sheets_xlsx_path: Path) -> Iterator[EmulatorHandle]:
    emu = start_emulator(sheets_xlsx_path, port=0)
    try:
        yield emu
    finally:
        emu.stop()


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


@pytest.fixture
def sheets_spreadsheet(sheets_client, sheets_emulator: EmulatorHandle):
    return sheets_client.open_by_key(sheets_emulator.default_spreadsheet_id)


@contextlib.contextmanager
def edit_xlsx(path: Path | str):
    """Open the xlsx with openpyxl, let the caller change it, save it."""
    import openpyxl

    wb = openpyxl.load_workbook(path)
    yield wb
    wb.save(path)
