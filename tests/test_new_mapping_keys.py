"""A vendor key with a control character is appended to Mappings once, and maps once it is listed."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D
from types import SimpleNamespace

from chalicelib.domain.allocation import REASON_UNMAPPED, UnallocatedItem
from chalicelib.domain.facts import CostFact
from chalicelib.domain.mappings import apply_mappings, normalise_key
from chalicelib.domain.organisation import MappingRule
from chalicelib.sheet import cells


def out_with(*keys):
    items = tuple(UnallocatedItem("2026-11", REASON_UNMAPPED, k, D("5"), D("5")) for k in keys)
    return SimpleNamespace(allocation={"2026-11": SimpleNamespace(unallocated_items=items)}, currency="USD")


def test_a_key_the_sheet_reads_back_differently_is_not_appended_again():
    from chalicelib.sheet_sync import _new_keys

    raw = ["vendor:a\tb", "vendor:c\x00d", "vendor:e\x1b[0mf", " vendor:g  h ", "vendor:i\u200bj"]
    first = [k for k, _ in _new_keys(out_with(*raw), set(), date(2026, 11, 30))]
    assert len(first) == len(raw)
    # What the Mappings tab holds after the sync, read back as the sheet reads a key cell:
    known = {cells.key(k) for k in first}
    assert _new_keys(out_with(*raw), known, date(2026, 12, 1)) == []


def test_a_key_too_long_for_the_tab_is_not_appended_at_every_sync():
    from chalicelib.sheet_sync import _new_keys

    assert _new_keys(out_with("vendor:" + "x" * 300), set(), date(2026, 11, 30)) == []


def test_a_rule_typed_in_the_sheet_maps_a_key_with_a_tab():
    fact = CostFact(date(2026, 11, 2), "openai", "api", "X", "svc", D("3"), D("3"), vendor_key="vendor:a\tb")
    rule = MappingRule(cells.key(normalise_key(fact.vendor_key)), "claims", "claims-processing")
    (mapped,), unmapped = apply_mappings([fact], [rule])
    assert (mapped.team, mapped.use_case, unmapped) == ("claims", "claims-processing", {})
