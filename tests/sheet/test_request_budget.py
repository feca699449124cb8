"""A sync costs the same number of Sheets API requests for 10 and for 1,000 use cases."""

from __future__ import annotations

import pytest

from chalicelib import sheet_sync, stores
from chalicelib.services import pipeline
from chalicelib.sheet import layout
from tests.sheet.data import big_organisation, seed_big
from tests.sheet.helpers import NOW, api_calls, values

pytestmark = pytest.mark.e2e  # syncs of up to 1,000 use cases through the Sheets emulator: make check


def _sync_calls(sheet, n: int) -> tuple:
    org = big_organisation(n)
    stores.stores().organisation.save(org)
    seed_big(org, NOW.date(), days=2)
    assert sheet_sync.init().ok
    sheet.reset_log()
    report = pipeline.sync(NOW)  # the first sync also appends the new unmapped keys: same single write
    assert report.ok, report.error
    return api_calls(sheet), report


@pytest.mark.parametrize("n", [10, 1000])
def test_requests_per_sync_do_not_grow_with_rows(sheet, n):
    calls, report = _sync_calls(sheet, n)
    assert calls == [("GET", "metadata", 200), ("GET", "values:batchGet", 200), ("POST", "batchUpdate", 200)]
    assert report.use_cases == n and report.write_bytes <= 2_000_000
    assert len(report.new_mapping_keys) == 2
    assert len(values(sheet, layout.UNIT_COSTS)) == n + 1  # every use case written, in that one request
