"""The work items' contract (storage/interfaces.py WorkItems), run against the in-memory store and
DynamoDB's on moto: the counters always equal their items, a repost never counts twice."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal as D

import pytest

from chalicelib.domain.facts import DailyUnits
from chalicelib.domain.work_items import WorkItem
from chalicelib.storage.settled_days import written

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
NOV1, NOV2, NOV3 = date(2026, 11, 1), date(2026, 11, 2), date(2026, 11, 3)


def item(work_item_id, day=NOV1, use_case="claims-processing", status="success", minutes="0") -> WorkItem:
    return WorkItem(
        work_item_id, use_case, datetime(day.year, day.month, day.day, 10, tzinfo=timezone.utc), status, D(minutes)
    )


def counts(units) -> dict:
    return {(u.use_case, u.day): (u.units, u.success_units, u.review_minutes) for u in units}


class WorkItemsContract:
    @pytest.fixture
    def store(self):
        raise NotImplementedError

    def test_counters_equal_their_items(self, store):
        items = [
            item("c1", NOV1),
            item("c2", NOV1, status="failure", minutes="2.5"),
            item("c3", NOV2, minutes="1.25"),
            item("t1", NOV1, use_case="ticket-triage", status="failure"),
        ]
        outcome = store.save(items, NOW)
        assert outcome.replaced == set()
        assert counts(store.units_for_month("2026-11")) == {
            ("claims-processing", NOV1): (2, 1, D("2.5")),
            ("claims-processing", NOV2): (1, 1, D("1.25")),
            ("ticket-triage", NOV1): (1, 0, D(0)),
        }
        assert [store.recount_day("claims-processing", d) for d in (NOV1, NOV2, NOV3)] == [2, 1, 0]

    def test_a_repost_replaces_the_item_and_counts_it_once(self, store):
        store.save([item("c1"), item("c2")], NOW)
        again = store.save([item("c1"), item("c3")], NOW)
        assert again.replaced == {("claims-processing", "c1")}
        assert counts(store.units_for_month("2026-11")) == {("claims-processing", NOV1): (3, 3, D(0))}
        assert store.recount_day("claims-processing", NOV1) == 3

    def test_a_repost_on_another_day_moves_its_count_and_the_old_day_stays_at_zero(self, store):
        store.save([item("c1", NOV1, minutes="3")], NOW)
        store.save([item("c1", NOV2, status="failure", minutes="1")], NOW)
        assert store.units_for_month("2026-11") == [
            DailyUnits("claims-processing", NOV1, 0, 0, D(0)),
            DailyUnits("claims-processing", NOV2, 1, 0, D(1)),
        ]
        assert [store.recount_day("claims-processing", d) for d in (NOV1, NOV2)] == [0, 1]

    def test_units_by_day_for_one_use_case_and_the_open_month_read_is_the_same(self, store):
        store.save(
            [item("c1", NOV3), item("c2", NOV1), item("c3", date(2026, 12, 1)), item("t1", NOV2, use_case="other")],
            NOW,
        )
        assert [u.day for u in store.units_between("claims-processing", NOV1, NOV3)] == [NOV1, NOV3]
        assert [u.day for u in store.units_between("claims-processing", NOV2, date(2026, 12, 31))] == [
            NOV3,
            date(2026, 12, 1),
        ]
        assert [u.day for u in store.units_for_month("2026-11")] == [NOV1, NOV2, NOV3]
        assert counts(store.units_for_open_month("2026-11")) == counts(store.units_for_month("2026-11"))

    def test_an_empty_batch_changes_nothing(self, store):
        outcome = store.save([], NOW)
        assert outcome.replaced == set()
        assert store.units_for_month("2026-11") == []

    def test_a_count_that_changes_moves_the_months_revisions_and_an_identical_repost_does_not(self, store):
        store.save([item("c1")], NOW)
        first = written(store.revisions.heads(["2026-11"])["2026-11"])
        store.save([item("c1")], NOW)
        assert written(store.revisions.heads(["2026-11"])["2026-11"]) == first
        store.save([item("c1", status="failure")], NOW)
        assert written(store.revisions.heads(["2026-11"])["2026-11"]) > first
        assert store.revisions.heads(["2026-10"]) == {}


class TestInMemoryWorkItems(WorkItemsContract):
    @pytest.fixture
    def store(self):
        from chalicelib.storage.in_memory import InMemoryWorkItems

        return InMemoryWorkItems()

    # DynamoDB's counters under concurrent posts: tests/storage/test_work_items_concurrency.py (moto's
    # requests serialized, as DynamoDB isolates each one; moto alone does not).

    def test_concurrent_posts_of_the_same_items_leave_counters_equal_to_their_items(self, store):
        from concurrent.futures import ThreadPoolExecutor

        def post(n: int) -> None:  # each client reposts c0..c3 on its own day and status
            day = (NOV1, NOV2)[n % 2]
            store.save(
                [item(f"c{i}", day, status=("success", "failure")[n % 2], minutes=str(n)) for i in range(4)], NOW
            )

        with ThreadPoolExecutor(max_workers=4) as pool:
            list(pool.map(post, range(4)))
        by_day = counts(store.units_for_month("2026-11"))
        assert sum(u for u, _, _ in by_day.values()) == 4  # every item counted once, wherever it landed
        for (use_case, day), (units, successes, _) in by_day.items():
            assert units == store.recount_day(use_case, day) and successes == (units if day == NOV1 else 0)


class TestDynamoDBWorkItems(WorkItemsContract):
    @pytest.fixture
    def store(self, aws):
        return aws.stores.work_items
