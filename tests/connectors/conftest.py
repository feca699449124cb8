"""Fixtures for the connector tests: threaded vendor emulators on free ports, and an
HTTP config whose back-off is a millisecond so retries never slow the suite."""

from __future__ import annotations

import pytest

from chalicelib.connectors.vendor_http import HttpConfig
from tests.connectors.window import FAST


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
