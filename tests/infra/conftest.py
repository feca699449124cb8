"""The stage templates, built once per session as `chalice package --merge-template` builds them (each in
its own process, without the zip: infra/package.py --template-only)."""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STAGES = ("dev", "prod")


@pytest.fixture(scope="session")
def templates() -> dict:
    sys.path.insert(0, str(ROOT / "infra"))
    import package

    with ThreadPoolExecutor(len(STAGES)) as pool:
        return dict(zip(STAGES, pool.map(package.template_in_subprocess, STAGES), strict=False))


@pytest.fixture(scope="session")
def dev_stack(templates):
    from sheets_emulator import DEFAULT_SPREADSHEET_ID

    from tests.infra.iam import Stack
    from tests.sheet.pipeline_world import SENDER_ADDRESS

    return Stack(templates["dev"], {"SheetId": DEFAULT_SPREADSHEET_ID, "AlertSenderAddress": SENDER_ADDRESS})
