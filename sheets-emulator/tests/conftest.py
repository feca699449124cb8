"""Fixtures for the emulator's own tests: a running emulator and a real gspread client talking to it.

The package's pytest plugin (sheets_emulator.pytest_plugin) holds ``sheets_xlsx_path``, ``sheets_emulator``,
``sheets_service_account``, ``sheets_client`` (gspread's plain HTTP client: no retries), ``sheets_spreadsheet``,
``resolved_hosts`` and ``edit_xlsx``; they are imported here, so that in a run of a project's tests with these
(the AI FinOps repo's `make test`) a project's overrides of them do not reach the emulator's tests. Added here:

- ``retrying_client``: ``sheets_client`` with gspread's ``BackOffHTTPClient`` (waits of 1 ms, at most 8 retries).
"""

from __future__ import annotations

from typing import Any

import gspread
import pytest
from gspread.http_client import BackOffHTTPClient, HTTPClient
from sheets_emulator import EmulatorHandle
from sheets_emulator.client import gspread_client
from sheets_emulator.pytest_plugin import edit_xlsx as edit_xlsx
from sheets_emulator.pytest_plugin import resolved_hosts as resolved_hosts
from sheets_emulator.pytest_plugin import sheets_client as sheets_client
from sheets_emulator.pytest_plugin import sheets_emulator as sheets_emulator
from sheets_emulator.pytest_plugin import sheets_service_account as sheets_service_account
from sheets_emulator.pytest_plugin import sheets_spreadsheet as sheets_spreadsheet
from sheets_emulator.pytest_plugin import sheets_xlsx_path as sheets_xlsx_path


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
def retrying_client(sheets_emulator: EmulatorHandle, sheets_service_account: dict) -> gspread.Client:
    return gspread_client(sheets_emulator.url, sheets_service_account, http_client=QuickBackOff)
