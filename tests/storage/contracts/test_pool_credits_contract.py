"""The reallocation pool's contract (storage/interfaces.py PoolCredits), in memory and on DynamoDB
(moto): closing a month again replaces its credits only; the first opening month recorded stays."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from chalicelib.domain.pool import PoolCredit


def credit(month, use_case="ticket-triage", amount="25.00") -> PoolCredit:
    return PoolCredit(month, use_case, "T1", D("2.00"), D("1.50"), 50, D("75.00"), D(amount))


class PoolCreditsContract:
    @pytest.fixture
    def pool(self):
        raise NotImplementedError

    def test_no_month_closed_reads_none(self, pool):
        assert pool.load() is None
        pool.save({"2026-10": ()})  # a month closed with no credit is a closed month
        assert pool.load() == {"2026-10": ()}

    def test_closing_a_month_again_replaces_its_credits_and_keeps_the_others(self, pool):
        pool.save({"2026-10": [credit("2026-10")], "2026-09": [credit("2026-09"), credit("2026-09", "claims")]})
        pool.save({"2026-10": [credit("2026-10", amount="30.00")]})
        assert pool.load() == {
            "2026-09": (credit("2026-09"), credit("2026-09", "claims")),
            "2026-10": (credit("2026-10", amount="30.00"),),
        }
        assert list(pool.load()) == ["2026-09", "2026-10"]

    def test_the_first_opening_month_recorded_stays(self, pool):
        assert pool.opened() is None
        assert pool.open_at("2026-10") == "2026-10"
        assert pool.open_at("2026-11") == "2026-10"
        assert pool.opened() == "2026-10"
        assert pool.load() is None  # the opening month is not a closed month


class TestInMemoryPoolCredits(PoolCreditsContract):
    @pytest.fixture
    def pool(self):
        from chalicelib.storage.in_memory import InMemoryPoolCredits

        return InMemoryPoolCredits()


class TestDynamoDBPoolCredits(PoolCreditsContract):
    @pytest.fixture
    def pool(self, aws):
        return aws.stores.pool
