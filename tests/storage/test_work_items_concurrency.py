"""Concurrent posts keep every day's counter equal to that day's items.

Each thread is a client with its own boto3 session and resource (resources are not thread-safe),
all against the same moto backend. moto answers requests from several threads without the
isolation DynamoDB gives each request (a transaction's condition check and writes can interleave
with another request, and a cancelled transaction restores a copy of the whole table), so the
fixture serializes moto's DynamoDB requests: one request at a time, each atomic, as DynamoDB
guarantees for an item write or a transaction. What stays concurrent is what matters: the time
between a client's read and its writes.

`read_together` makes the race deterministic instead of lucky: every client's first read of the
items (its first BatchGetItem) is held at a barrier until all clients have read, so all of them
write from the same stale view. No sleeping, no timing.
"""

from __future__ import annotations

import random
import threading
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import boto3
import pytest

from chalicelib.domain.work_items import WorkItem
from chalicelib.storage.work_items import WorkItemStore
from tests.storage.work_item_checks import COUNTS, ITEMS, assert_counters_exact, copy_tables_once_per_transaction, scan

pytestmark = pytest.mark.e2e  # eight threads posting overlapping batches through moto: make check

NOW = datetime(2026, 11, 20, 12, tzinfo=timezone.utc)
USE_CASE = "claims-processing"
BARRIER_GUARD_SECONDS = 120  # a deadlock guard only: a thread that failed early breaks the barrier


@pytest.fixture
def serialized_moto(aws, monkeypatch):
    from moto.dynamodb.responses import DynamoHandler

    lock = threading.RLock()
    real = DynamoHandler.call_action

    def one_at_a_time(self):
        with lock:
            return real(self)

    monkeypatch.setattr(DynamoHandler, "call_action", one_at_a_time)
    copy_tables_once_per_transaction(monkeypatch)


def client_store() -> WorkItemStore:
    """A client of its own: a new session and resource, as another Lambda would have."""
    return WorkItemStore(boto3.session.Session().resource("dynamodb", region_name="us-east-1"), ITEMS, COUNTS)


def item(work_item_id, when: datetime, status="success", minutes="0", use_case=USE_CASE) -> WorkItem:
    return WorkItem(work_item_id, use_case, when, status, Decimal(minutes), '{"by":"test"}')


def run_clients(batches_per_client, read_together=False) -> list:
    """Each client posts its batches in order on its own thread; errors are re-raised here.
    Returns every save's outcome."""
    barrier = threading.Barrier(len(batches_per_client))
    errors: list = []
    outcomes: list = []

    def client(batches):
        try:
            store = client_store()
            if read_together:
                first = {"done": False}

                def hold_first_read(**_):
                    if not first["done"]:
                        first["done"] = True
                        barrier.wait(BARRIER_GUARD_SECONDS)

                store._resource.meta.client.meta.events.register("after-call.dynamodb.BatchGetItem", hold_first_read)
            for batch in batches:
                outcomes.append(store.save(batch, NOW))
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=client, args=(b,)) for b in batches_per_client]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return outcomes


def days_ago(n: int, hour=1) -> datetime:
    return NOW - timedelta(days=n, hours=hour)


@pytest.mark.parametrize("clients", [2, 8])
def test_clients_reposting_the_same_existing_ids_keep_every_day_exact(serialized_moto, clients):
    client_store().save([item(f"c-{i}", days_ago(i % 18), minutes="3") for i in range(50)], NOW)
    batches = [
        [[item(f"c-{i}", days_ago((i + c) % 20), "success" if (i + c) % 3 else "failure", str(c)) for i in range(50)]]
        for c in range(clients)
    ]
    outcomes = run_clients(batches, read_together=True)
    assert sum(o.conflicts for o in outcomes) >= clients - 1  # the race happened, and was retried
    units = assert_counters_exact()
    assert sum(units.values()) == 50


def test_two_clients_moving_the_same_items_to_another_month_move_each_unit_once(serialized_moto):
    september = datetime(2026, 9, 14, 9, tzinfo=timezone.utc)
    october = datetime(2026, 10, 14, 9, tzinfo=timezone.utc)
    client_store().save([item(f"m-{i}", september) for i in range(20)], NOW)
    outcomes = run_clients([[[item(f"m-{i}", october) for i in range(20)]] for _ in range(2)], read_together=True)
    assert sum(o.conflicts for o in outcomes) >= 1
    units = assert_counters_exact()
    assert units.get((USE_CASE, "2026-09-14"), 0) == 0 and units[(USE_CASE, "2026-10-14")] == 20


@pytest.mark.parametrize("clients, ids", [(2, 50), (8, 500)])
def test_clients_posting_the_same_new_ids_count_each_once(serialized_moto, clients, ids):
    outcomes = run_clients(
        [[[item(f"n-{i}", days_ago(i % 3)) for i in range(ids)]] for _ in range(clients)], read_together=True
    )
    units = assert_counters_exact()
    assert sum(units.values()) == ids
    # Each id is new to exactly one client (answered "accepted"); the others replaced it.
    replaced_by = [sum((USE_CASE, f"n-{i}") in o.replaced for o in outcomes) for i in range(ids)]
    assert set(replaced_by) == {clients - 1}


def test_eight_clients_posting_overlapping_batches_keep_counts_exact_and_the_last_write(serialized_moto):
    """Random overlapping batches: reposts, moves across days and months, status and minute
    changes, two use cases; every final item is one that some client posted for that id."""
    rng = random.Random(9)
    use_cases = [USE_CASE, "lead-scoring"]
    client_store().save(
        [item(f"o-{i}", days_ago(rng.randrange(60)), use_case=use_cases[i % 2]) for i in range(150)], NOW
    )
    posted = defaultdict(set)
    batches_per_client = []
    for _ in range(8):
        batches = []
        for _ in range(3):
            ids = rng.sample(range(200), 60)
            batch = [
                item(
                    f"o-{i}",
                    days_ago(rng.randrange(60), hour=rng.randrange(24)),
                    rng.choice(["success", "failure"]),
                    str(rng.randrange(0, 30)),
                    use_cases[i % 2],
                )
                for i in ids
            ]
            for w in batch:
                posted[(w.use_case, w.work_item_id)].add((w.day, w.status, w.human_review_minutes))
            batches.append(batch)
        batches_per_client.append(batches)
    outcomes = run_clients(batches_per_client, read_together=True)
    assert sum(o.conflicts for o in outcomes) > 0
    assert_counters_exact()
    for row in scan(ITEMS):
        key = (row["use_case"], row["work_item_id"])
        if key in posted:
            assert (row["day"], row["status"], Decimal(row["human_review_minutes"])) in posted[key]
