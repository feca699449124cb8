"""Fixtures for the emulator's own tests: a running emulator and a real gspread client talking to it.

- ``sheets_xlsx_path``: where the default spreadsheet is persisted (tmp_path).
- ``sheets_emulator``: a running emulator (thread, free port, 127.0.0.1) persisting to ``sheets_xlsx_path``.
- ``sheets_service_account``: a throwaway service-account key whose ``token_uri`` is the emulator's ``/token``.
- ``sheets_client``: a ``gspread.Client`` (gspread's plain HTTP client: no retries) talking to the emulator.
- ``retrying_client``: the same with gspread's ``BackOffHTTPClient`` (waits of 1 ms, at most 8 retries).
- ``sheets_spreadsheet``: the default spreadsheet opened with ``sheets_client``.
- ``edit_xlsx``: ``with edit_xlsx(path) as wb:`` opens the workbook with openpyxl and saves it on exit
  (a person editing the file by hand).
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any, Iterator

import gspread
import pytest
from gspread.http_client import BackOffHTTPClient, HTTPClient
from sheets_emulator import EmulatorHandle, start_emulator
from sheets_emulator.client import gspread_client, service_account_info


class QuickBackOff(BackOffHTTPClient):
    """gspread's own back-off client with 1 ms waits and a retry limit (gspread's has none below its cap)."""

    _MAX_BACKOFF = 0.001  # type: ignore[assignment]
    max_retries = 8

    def __init__(self, auth: Any, session: Any = None) -> None:
        super().__init__(auth, session)
        self.retries = 0
        self._depth = 0

    def request(self, *args: Any, **kwargs: Any):
        outermost = self._depth == 0
        if outermost:
            self.retries = 0
        else:
            self.retries += 1
        self._depth += 1
        try:
            if self._NR_BACKOFF >= self.max_retries:
                return HTTPClient.request(self, *args, **kwargs)
            return super().request(*args, **kwargs)
        finally:
            self._depth -= 1
            if outermost:
                self._NR_BACKOFF = 0


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
def sheets_client(sheets_emulator: EmulatorHandle, sheets_service_account: dict) -> gspread.Client:
    return gspread_client(sheets_emulator.url, sheets_service_account)


@pytest.fixture
def retrying_client(sheets_emulator: EmulatorHandle, sheets_service_account: dict) -> gspread.Client:
    return gspread_client(sheets_emulator.url, sheets_service_account, http_client=QuickBackOff)


@pytest.fixture
def sheets_spreadsheet(sheets_client: gspread.Client, sheets_emulator: EmulatorHandle) -> gspread.Spreadsheet:
    return sheets_client.open_by_key(sheets_emulator.default_spreadsheet_id)


@contextlib.contextmanager
def _edit_xlsx(path: Path | str):
    import openpyxl

    wb = openpyxl.load_workbook(path)
    yield wb
    wb.save(path)


@pytest.fixture
def edit_xlsx():
    return _edit_xlsx
