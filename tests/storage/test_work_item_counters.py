"""Unit counters stay exact when a request fails halfway and the client retries it."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from chalicelib.domain.work_items import WorkItem
from tests.storage.work_item_checks import ITEMS, assert_counters_exact, copy_tables_once_per_transaction, scan

pytestmark = pytest.mark.e2e  # a request killed at every DynamoDB request, then retried: make check

NOW = datetime(2026, 11, 20, 12, tzinfo=timezone.utc)


def item(n, status="success", minutes="0", days_ago=0):
    return WorkItem(
        f"claim-{n}", "claims-processing", NOW - timedelta(days=days_ago, hours=1), status, Decimal(minutes)
    )


def store():
    from chalicelib import stores

    return stores.stores().work_items


def counts(days_ago=0):
    day = (NOW - timedelta(days=days_ago)).date()
    rows = store().units_between("claims-processing", day, day)
    return (rows[0].units, rows[0].success_units, rows[0].review_minutes) if rows else (0, 0, 0)


class Boom(Exception):
    pass


def die_at(call: int, after: bool = False) -> dict:
    """The Lambda dies at the store's `call`-th DynamoDB request (1-based): before sending it, or,
    with `after`, once DynamoDB has applied it but before its answer is seen."""
    client = store()._resource.meta.client
    event = "after-call.dynamodb" if after else "before-call.dynamodb"
    seen = {"n": 0, "died": False}

    def maybe_die(**_):
        seen["n"] += 1
        if seen["n"] == call:
            seen["died"] = True
            raise Boom(f"the Lambda died {'after' if after else 'before'} request {call}")

    client.meta.events.register(event, maybe_die, unique_id="die-at")
    seen["undo"] = lambda: client.meta.events.unregister(event, unique_id="die-at")
    return seen


def test_a_retry_after_part_of_a_request_landed_counts_every_item_once(aws):
    batch = [item(n, minutes="2") for n in range(250)]  # three transactions
    death = die_at(call=6)  # 3 reads, the open-month bump, the first transaction lands, the second never
    with pytest.raises(Boom):
        store().save(batch, NOW)
    death["undo"]()
    assert 0 < counts()[0] < 250  # part landed, items and counters together
    outcome = store().save(batch, NOW)  # the client's retry
    assert 0 < len(outcome.replaced) < 250  # the landed items were there...
    assert counts() == (250, 250, Decimal("500"))  # ...and everything is counted now, once
    store().save(batch, NOW)  # and a further repost changes nothing
    assert counts() == (250, 250, Decimal("500"))
    assert_counters_exact()


@pytest.mark.parametrize("after", [False, True], ids=["before-request", "after-request"])
def test_a_request_killed_at_any_request_is_made_exact_by_the_retry(aws, monkeypatch, after):
    """Reposts that move days and months, change status and minutes, and new ids; killed at each of
    the request's DynamoDB calls in turn, then retried: every counter equals its items."""
    copy_tables_once_per_transaction(monkeypatch)
    call = 1
    while True:
        use_case = f"uc-{call}"
        seed = [
            WorkItem(f"w-{n}", use_case, NOW - timedelta(days=n % 20, hours=1), "success", Decimal("1"))
            for n in range(60)
        ]
        store().save(seed, NOW)
        batch = [
            WorkItem(
                f"w-{n}",
                use_case,
                NOW - timedelta(days=(n * 7) % 30, hours=2),
                "failure" if n % 3 else "success",
                Decimal(n % 5),
            )
            for n in range(30, 130)
        ]
        death = die_at(call, after)
        try:
            store().save(batch, NOW)
        except Boom:
            pass
        death["undo"]()
        if not death["died"]:
            break  # the request makes fewer calls than this: every point has been tried
        store().save(batch, NOW)  # the client's retry
        assert_counters_exact()
        rows = {r["work_item_id"]: r for r in scan(ITEMS) if r["use_case"] == use_case}
        assert len(rows) == 130
        for w in batch:
            assert (rows[w.work_item_id]["day"], rows[w.work_item_id]["status"]) == (w.day, w.status)
        call += 1
    assert call - 1 >= 3  # the read and at least two transactions were each interrupted


def test_a_transaction_conflict_is_retried(aws, monkeypatch):
    client = store()._resource.meta.client
    real = client.transact_write_items
    calls = {"n": 0}

    def conflicted(**kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise client.exceptions.TransactionCanceledException(
                {
                    "Error": {"Code": "TransactionCanceledException", "Message": "conflict"},
                    "CancellationReasons": [{"Code": "TransactionConflict"}],
                },
                "TransactWriteItems",
            )
        return real(**kwargs)

    monkeypatch.setattr(client, "transact_write_items", conflicted)
    store().save([item(1)], NOW)
    assert calls["n"] == 2 and counts() == (1, 1, Decimal("0"))


def test_a_request_touching_many_days_is_split_into_exact_transactions(aws):
    batch = [item(n, days_ago=n % 150) for n in range(300)]
    store().save(batch, NOW)
    assert sum(counts(d)[0] for d in range(150)) == 300


def test_items_stored_before_revisions_are_counted_from_what_their_counters_hold(aws):
    """Items written by the previous design carry their request's batch id and what the counters
    held for them before; the batch's marker says whether that request's counters landed."""
    resource = store()._resource
    items, counters = resource.Table(ITEMS), resource.Table("finops-unit-counts")
    d0, d1, d2 = ((NOW - timedelta(days=n)).date().isoformat() for n in (3, 2, 1))

    def legacy(work_item_id, day, minutes, batch_id=None, counted_before=None):
        row = {
            "use_case": "claims-processing",
            "work_item_id": work_item_id,
            "day": day,
            "use_case_day": f"claims-processing#{day}",
            "completed_at": f"{day}T10:00:00+00:00",
            "status": "success",
            "human_review_minutes": Decimal(minutes),
            "attributes": "{}",
            "posted_at": NOW.isoformat(),
        }
        if batch_id:
            row["batch_id"] = batch_id
        if counted_before:
            row["counted_before"] = counted_before
        items.put_item(Item=row)

    legacy("landed", d0, 2, batch_id="b1")
    counters.put_item(Item={"use_case": "~batch#b1", "day": "-"})
    # Its request died before its counters: they still hold the item as it was, on d0 with 3 minutes.
    legacy("died", d1, 4, batch_id="b2", counted_before={"day": d0, "status": "success", "minutes": Decimal(3)})
    legacy("oldest", d1, 1)

    def counted(day, units, minutes):  # what the previous design's counters hold for a day (every item a success)
        row = {"use_case": "claims-processing", "day": day, "month": day[:7], "units": units, "success_units": units}
        counters.put_item(Item={**row, "review_minutes": Decimal(minutes)})

    counted(d0, 2, 5)
    counted(d1, 1, 1)

    def at(day):
        return datetime.fromisoformat(f"{day}T10:00:00+00:00")

    outcome = store().save(
        [
            WorkItem("landed", "claims-processing", at(d2), "failure", Decimal(2)),
            WorkItem("died", "claims-processing", at(d1), "success", Decimal(4)),
            WorkItem("oldest", "claims-processing", at(d2), "success", Decimal(1)),
        ],
        NOW,
    )
    assert outcome.replaced == {("claims-processing", k) for k in ("landed", "died", "oldest")}
    assert assert_counters_exact() == {("claims-processing", d1): 1, ("claims-processing", d2): 2}
    store().save([WorkItem("died", "claims-processing", at(d2), "success", Decimal(4))], NOW)  # now revised
    assert assert_counters_exact() == {("claims-processing", d2): 3}


def test_a_request_that_loses_every_race_is_answered_retry_later(aws, monkeypatch):
    """Another client changes the items before every one of this request's tries: the store gives
    up with an error the API answers 503 (retry later); nothing half-written is left behind."""
    from types import SimpleNamespace

    from chalicelib import runtime
    from chalicelib.storage import work_items as module

    monkeypatch.setattr(module, "time", SimpleNamespace(sleep=lambda seconds: None))  # no waiting in a test
    client = store()._resource.meta.client
    tries = {"n": 0}

    def always_lost(**kwargs):
        tries["n"] += 1
        raise client.exceptions.TransactionCanceledException(
            {
                "Error": {"Code": "TransactionCanceledException", "Message": "condition"},
                "CancellationReasons": [{"Code": "ConditionalCheckFailed"}] * len(kwargs["TransactItems"]),
            },
            "TransactWriteItems",
        )

    monkeypatch.setattr(client, "transact_write_items", always_lost)
    with pytest.raises(Exception) as raised:
        store().save([item(1), item(2)], NOW)
    assert runtime.storage_unavailable(raised.value)
    assert tries["n"] == module.CONFLICT_RETRIES
    assert counts() == (0, 0, 0) and scan(ITEMS) == []
