"""The closed months' snapshots' contract (storage/interfaces.py Snapshots), in memory and on DynamoDB
(moto): a month's ledger comes back exactly, a later close replaces it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from chalicelib.domain.allocation import build_ledger
from chalicelib.domain.facts import CostFact, DailyUnits
from chalicelib.domain.organisation import MappingRule, Organisation, Team, UseCase
from chalicelib.storage.snapshot_store import encode

ORG = Organisation(
    teams=(Team("claims", "Claims", "lead@example.com", None),),
    use_cases=(UseCase("drift", "claims", "Claims drafter", "claim", "owner@example.com", target_cpu=D("1.00")),),
    mappings=(MappingRule("openai:project:p1", "claims", "drift"),),
)


def month_ledger(month: str, amount="100.25", units=100):
    year, mon = int(month[:4]), int(month[5:])
    facts = [
        CostFact(date(year, mon, d), "openai", "api", "OpenAI", "gpt-4o", D(amount), D(amount), vendor_key=key)
        for d in (1, 15)
        for key in ("openai:project:p1", "openai:project:unmapped")
    ]
    return build_ledger(ORG, facts, [DailyUnits("drift", date(year, mon, 1), units, units)])


class SnapshotsContract:
    @pytest.fixture
    def snapshots(self):
        raise NotImplementedError

    def test_a_closed_months_ledger_comes_back_exactly(self, snapshots):
        ledger = month_ledger("2026-10")
        snapshots.save("2026-10", ledger, "2026-11-01T03:35:00+00:00", stamp="4/2")
        (snap,) = snapshots.load("2026-10", "2026-10").values()
        assert encode("2026-10", snap.ledger) == encode("2026-10", ledger)
        assert (snap.month, snap.closed_at, snap.note, snap.stamp, snap.chunks) == (
            "2026-10",
            "2026-11-01T03:35:00+00:00",
            "closed",
            "4/2",
            1,
        )

    def test_months_are_loaded_from_first_to_last_and_a_later_close_replaces_one(self, snapshots):
        for month in ("2026-08", "2026-09", "2026-10"):
            snapshots.save(month, month_ledger(month), f"{month}-28T00:00:00+00:00")
        loaded = snapshots.load("2026-09", "2026-10")
        assert sorted(loaded) == ["2026-09", "2026-10"] and loaded["2026-09"].stamp is None
        again = month_ledger("2026-09", amount="99.00", units=90)
        snapshots.save(
            "2026-09", again, "2026-10-02T00:00:00+00:00", "re-closed: restated by openai", loaded["2026-09"]
        )
        snap = snapshots.load("2026-09", "2026-09")["2026-09"]
        assert encode("2026-09", snap.ledger) == encode("2026-09", again)
        assert snap.note == "re-closed: restated by openai" and snap.build != loaded["2026-09"].build
        assert snapshots.load("2026-11", "2026-12") == {}

    def test_a_ledger_holding_another_months_day_is_refused(self, snapshots):
        with pytest.raises(ValueError):
            snapshots.save("2026-09", month_ledger("2026-10"), "2026-11-01T00:00:00+00:00")
        assert snapshots.load("2026-09", "2026-10") == {}


class TestInMemorySnapshots(SnapshotsContract):
    @pytest.fixture
    def snapshots(self):
        from chalicelib.storage.in_memory import InMemorySnapshots

        return InMemorySnapshots()


class TestDynamoDBSnapshots(SnapshotsContract):
    @pytest.fixture
    def snapshots(self, aws):
        return aws.stores.snapshots
