"""Constants shared by the connector tests (kept out of conftest so tests can import them)."""

from __future__ import annotations

from datetime import date

from chalicelib.connectors.vendor_http import HttpConfig

# Tests use a fixed month; the emulators serve any day deterministically.
NOV_1 = date(2026, 11, 1)
DEC_1 = date(2026, 12, 1)

# Back-off of a millisecond: retries never slow the suite.
FAST = HttpConfig(
    retries=3,
    backoff_factor=0.001,
    backoff_max=0.005,
    retry_after_max=0.05,
    connect_timeout=2,
    read_timeout=2,
    deadline=30,
)
