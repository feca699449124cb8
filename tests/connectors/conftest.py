"""Fixtures for the connector tests: threaded vendor emulators on free ports, and an
HTTP config whose back-off is a millisecond so retries never slow the suite."""
from __future__ import annotations

from datetime import date

import pytest

from chalicelib.connectors.vendor_http import HttpConfig

# Tests use a fixed past month; the emulators serve any day deterministically.
NOV_1 = date(2026, 11, 1)
DEC_1 = date(2026, 12, 1)

FAST = HttpConfig(retries=3, backoff_factor=0.001, backoff_max=0.005, retry_after_max=0.05,
                  connect_timeout=2, read_timeout=2, deadline=30)


@pytest.fixture
def fast() -> HttpConfig:
    return FAST


@pytest.fixture
def openai_emulator():
    from local.vendor_emulators import start_openai_emulator

    handle = start_openai_emulator()
    yield handle
    handle.stop()


@pytest.fixture
def anthropic_emulator():
    from local.vendor_emulators import start_anthropic_emulator

    handle = start_anthropic_emulator()
    yield handle
    handle.stop()
