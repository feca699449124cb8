"""Constants and sums shared by the connector tests (kept out of conftest so tests can import them)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal as D

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


def totals_by_key(facts) -> dict:
    """The facts' billed cost summed by (day, vendor key)."""
    out = defaultdict(D)
    for f in facts:
        out[(f.day, f.vendor_key)] += f.billed_cost
    return dict(out)


def demo_totals_by_key(start: date, end: date, rows_for_day, key_and_dollars) -> dict:
    """What a vendor's demo cost rows (`rows_for_day(day)`) bill from `start` to `end` (exclusive), summed by
    (day, vendor key); `key_and_dollars(row)`: the row's vendor key and dollars."""
    out = defaultdict(D)
    day = start
    while day < end:
        for row in rows_for_day(day):
            key, dollars = key_and_dollars(row)
            out[(day, key)] += dollars
        day += timedelta(days=1)
    return dict(out)
