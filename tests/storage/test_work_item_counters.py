"""Unit counters stay exact when a request fails halfway and the client retries it."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from chalicelib.domain.work_items import WorkItem

NOW = datetime(2026, 11, 20, 12, tzinfo=timezone.utc)


def item(n, status="success", minutes="0", days_ago=0):
    return WorkItem(f"claim-{n}", "claims-processing", NOW - timedelta(days=days_ago, hours=1), status,
                    Decimal(minutes))


def store():
    from chalicelib import stores

    return stores.stores().work_items


def counts(days_ago=0):
    day = (NOW - timedelta(days=days_ago)).date()
    rows = store().units_between("claims-processing", day, day)
    return (rows[0].units, rows[0].success_units, rows[0].review_minutes) if rows else (0, 0, 0)


class Boom(Exception):
    pass


def fail_counters_once(monkeypatch):
    from chalicelib.storage.work_items import WorkItemStore

    real = WorkItemStore._apply_deltas
    calls = {"n": 0}

    def flaky(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise Boom("the Lambda died between the items and the counters")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(WorkItemStore, "_apply_deltas", flaky)


def test_a_retry_after_items_landed_but_counters_did_not_counts_them_once(aws, monkeypatch):
    fail_counters_once(monkeypatch)
    batch = [item(n, minutes="2") for n in range(30)]
    with pytest.raises(Boom):
        store().save(batch, NOW)
    assert counts() == (0, 0, 0)
    outcome = store().save(batch, NOW)  # the client's retry
    assert len(outcome.replaced) == 30  # the items were there...
    assert counts() == (30, 30, Decimal("60"))  # ...but are counted now, once
    store().save(batch, NOW)  # and a further repost changes nothing
    assert counts() == (30, 30, Decimal("60"))


def test_a_failed_replace_then_retry_moves_the_unit_exactly_once(aws, monkeypatch):
    store().save([item(1, minutes="5")], NOW)
    fail_counters_once(monkeypatch)
    moved = item(1, status="failure", minutes="1", days_ago=1)
    with pytest.raises(Boom):
        store().save([moved], NOW)
    assert counts() == (1, 1, Decimal("5")) and counts(1) == (0, 0, 0)
    store().save([moved], NOW)
    assert counts() == (0, 0, 0) and counts(1) == (1, 0, Decimal("1"))


def test_a_transaction_conflict_is_retried(aws, monkeypatch):
    client = store()._resource.meta.client
    real = client.transact_write_items
    calls = {"n": 0}

    def conflicted(**kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise client.exceptions.TransactionCanceledException(
                {"Error": {"Code": "TransactionCanceledException", "Message": "conflict"},
                 "CancellationReasons": [{"Code": "TransactionConflict"}]}, "TransactWriteItems")
        return real(**kwargs)

    monkeypatch.setattr(client, "transact_write_items", conflicted)
    store().save([item(1)], NOW)
    assert calls["n"] == 2 and counts() == (1, 1, Decimal("0"))


def test_a_request_touching_many_days_is_split_into_exact_transactions(aws):
    batch = [item(n, days_ago=n % 150) for n in range(300)]
    store().save(batch, NOW)
    assert sum(counts(d)[0] for d in range(150)) == 300
