"""Checks shared by the work-item tests: stored counters against the stored items."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

import boto3
from boto3.dynamodb.types import TypeDeserializer

ITEMS, COUNTS = "finops-work-items", "finops-unit-counts"


def scan(table: str) -> list:
    client = boto3.client("dynamodb", region_name="us-east-1")
    d = TypeDeserializer()
    rows = []
    for page in client.get_paginator("scan").paginate(TableName=table, ConsistentRead=True):
        rows += [{k: d.deserialize(v) for k, v in row.items()} for row in page["Items"]]
    return rows


def assert_counters_exact() -> dict:
    """Every (use case, day) counter equals its items: units by the GSI, successes and minutes
    from the items themselves; no counter is negative. Returns {(use case, day): units}."""
    from_items: dict = defaultdict(lambda: [0, 0, Decimal(0)])
    for row in scan(ITEMS):
        agg = from_items[(row["use_case"], row["day"])]
        agg[0] += 1
        agg[1] += row["status"] == "success"
        agg[2] += Decimal(row.get("human_review_minutes", 0))
    counters = {}
    for row in scan(COUNTS):
        if row["use_case"].startswith("~"):
            continue  # a batch marker, not a counter
        values = [int(row.get("units", 0)), int(row.get("success_units", 0)), Decimal(row.get("review_minutes", 0))]
        assert min(values) >= 0, f"negative counter {row}"
        counters[(row["use_case"], row["day"])] = values
    from chalicelib.storage.work_items import WorkItemStore

    store = WorkItemStore(boto3.session.Session().resource("dynamodb", region_name="us-east-1"), ITEMS, COUNTS)
    wrong = {}
    for key in set(from_items) | set(counters):
        expected = from_items.get(key, [0, 0, Decimal(0)])
        by_gsi = store.recount_day(key[0], date.fromisoformat(key[1]))
        if counters.get(key, [0, 0, Decimal(0)]) != expected or by_gsi != expected[0]:
            wrong[key] = {"counter": counters.get(key), "items": expected, "items by GSI": by_gsi}
    assert not wrong, f"{len(wrong)} days wrong: {dict(sorted(wrong.items()))}"
    return {k: v[0] for k, v in from_items.items()}


def copy_tables_once_per_transaction(monkeypatch) -> None:
    """moto backs up a table before *each action* of a TransactWriteItems (a deep copy of the whole
    table, kept for the rollback), so a 100-action transaction copies the table 100 times. The
    same backup taken once per table and transaction: the same semantics, minutes faster."""
    import copy

    from moto.dynamodb import models

    real = models.DynamoDBBackend.transact_write_items

    class OncePerObject:
        def __init__(self):
            self.copies: dict = {}

        def deepcopy(self, obj, memo=None):
            if id(obj) not in self.copies:
                self.copies[id(obj)] = (obj, copy.deepcopy(obj, memo))
            return self.copies[id(obj)][1]

    def transact_write_items(self, *args, **kwargs):
        models.copy = OncePerObject()
        try:
            return real(self, *args, **kwargs)
        finally:
            models.copy = copy

    monkeypatch.setattr(models.DynamoDBBackend, "transact_write_items", transact_write_items)
