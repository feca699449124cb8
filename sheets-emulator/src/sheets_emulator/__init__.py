"""A local Google Sheets API v4 (+ Drive v3) emulator that persists to .xlsx.

The real gspread client talks to it over HTTP; only the endpoint differs from
Google (``sheets_emulator.client`` builds such a gspread client). In-process::

    from sheets_emulator import start_emulator
    emu = start_emulator("demo-out/finops.xlsx", port=0)
    emu.url, emu.request_log, emu.inject_fault(429, count=3)
    emu.stop()

From a shell: ``sheets-emulator --port 8765 --xlsx finops.xlsx`` (or ``python -m sheets_emulator``).
"""

from .batch_requests import SUPPORTED_KINDS
from .server import EmulatorHandle, start_emulator
from .store import DEFAULT_SPREADSHEET_ID

__all__ = ["start_emulator", "EmulatorHandle", "DEFAULT_SPREADSHEET_ID", "SUPPORTED_KINDS"]
