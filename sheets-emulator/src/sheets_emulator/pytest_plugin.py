"""Pytest fixtures for tests that talk to the emulator (``pip install sheets-emulator[test]``).

Not loaded on its own: a project names it in its top ``conftest.py``,
``pytest_plugins = ["sheets_emulator.pytest_plugin"]``, and a test then names the fixtures (never imports them).
A project may override any of them (e.g. ``sheets_client`` with its own client; ``sheets_spreadsheet`` then uses it).

- ``sheets_xlsx_path``: where the default spreadsheet is persisted (tmp_path).
- ``sheets_emulator``: a running emulator (thread, free port, 127.0.0.1) whose default spreadsheet lives in
  ``sheets_xlsx_path``; an :class:`~sheets_emulator.EmulatorHandle` (``.url``, ``.request_log``,
  ``.api_requests()``, ``.inject_fault(...)``, ``.spreadsheet()``, ``.default_spreadsheet_id``, ``.stop()``).
- ``sheets_service_account``: a throwaway service-account key whose ``token_uri`` is the emulator's ``/token``.
- ``sheets_client``: a ``gspread.Client`` (gspread's plain HTTP client: no retries) talking to the emulator.
- ``sheets_spreadsheet``: the default spreadsheet opened with ``sheets_client``.
- ``resolved_hosts``: every host name looked up (``socket.getaddrinfo``) from then on in the test, in order: that a
  client never leaves localhost (request it after the fixtures that start the emulator).
- ``edit_xlsx``: ``with edit_xlsx(path) as wb:`` opens the workbook with openpyxl and saves it on exit
  (a person editing the file by hand); :func:`edited_workbook` outside a test.
"""

from __future__ import annotations

import contextlib
import socket
from pathlib import Path
from typing import Iterator

import pytest

from . import EmulatorHandle, start_emulator

__all__ = [
    "edit_xlsx",
    "edited_workbook",
    "sheets_client",
    "sheets_emulator",
    "sheets_service_account",
    "sheets_spreadsheet",
    "sheets_xlsx_path",
    "resolved_hosts",
]


@contextlib.contextmanager
def edited_workbook(path: Path | str):
    """Open the xlsx with openpyxl, let the caller change it, save it."""
    import openpyxl

    wb = openpyxl.load_workbook(path)
    yield wb
    wb.save(path)


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
    from .client import service_account_info

    return service_account_info(sheets_emulator.url)


@pytest.fixture
def sheets_client(sheets_emulator: EmulatorHandle, sheets_service_account: dict):
    from .client import gspread_client

    return gspread_client(sheets_emulator.url, sheets_service_account)


@pytest.fixture
def sheets_spreadsheet(sheets_client, sheets_emulator: EmulatorHandle):
    return sheets_client.open_by_key(sheets_emulator.default_spreadsheet_id)


@pytest.fixture
def edit_xlsx():
    return edited_workbook


@pytest.fixture
def resolved_hosts(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    resolved: list[str] = []
    real = socket.getaddrinfo

    def spy(host, *args, **kwargs):
        resolved.append(host)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", spy)
    return resolved
