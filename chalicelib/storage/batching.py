"""DynamoDB batch calls with the part botocore does not retry: unprocessed items and keys."""

from __future__ import annotations

import random
import time
from typing import Iterable, Iterator, Sequence

WRITE_BATCH = 25  # BatchWriteItem's limit
GET_BATCH = 100  # BatchGetItem's limit
TRANSACT_BATCH = 100  # TransactWriteItems' limit
MAX_ROUNDS = 8


class UnprocessedAfterRetries(RuntimeError):
    pass


def chunks(items: Sequence, size: int) -> Iterator[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _back_off(round_: int) -> None:
    # Full jitter, capped: what AWS recommends for UnprocessedItems.
    time.sleep(random.uniform(0, min(2.0, 0.05 * 2**round_)))


def batch_write(resource, table: str, requests: Iterable[dict]) -> int:
    """Write Put/Delete requests 25 per call; returns the number of BatchWriteItem calls made."""
    calls = 0
    pending = list(requests)
    for batch in chunks(pending, WRITE_BATCH):
        request_items = {table: list(batch)}
        for round_ in range(MAX_ROUNDS):
            calls += 1
            response = resource.batch_write_item(RequestItems=request_items)
            request_items = response.get("UnprocessedItems") or {}
            if not request_items:
                break
            _back_off(round_)
        else:
            raise UnprocessedAfterRetries(f"{table}: items still unprocessed after {MAX_ROUNDS} tries")
    return calls


def batch_get(
    resource,
    table: str,
    keys: Sequence[dict],
    projection: str | None = None,
    names: dict | None = None,
    consistent: bool = False,
) -> tuple[list[dict], int]:
    """Fetch items by key, 100 per call; returns (items, calls). `consistent`: strongly
    consistent reads (every write acknowledged before the read is seen)."""
    found: list[dict] = []
    calls = 0
    for batch in chunks(list(keys), GET_BATCH):
        request: dict = {"Keys": list(batch)}
        if projection:
            request["ProjectionExpression"] = projection
        if names:
            request["ExpressionAttributeNames"] = names
        if consistent:
            request["ConsistentRead"] = True
        request_items = {table: request}
        for round_ in range(MAX_ROUNDS):
            calls += 1
            response = resource.batch_get_item(RequestItems=request_items)
            found.extend(response.get("Responses", {}).get(table, []))
            request_items = response.get("UnprocessedKeys") or {}
            if not request_items:
                break
            _back_off(round_)
        else:
            raise UnprocessedAfterRetries(f"{table}: keys still unprocessed after {MAX_ROUNDS} tries")
    return found, calls


def query_all(table, **kwargs) -> list[dict]:
    items: list[dict] = []
    while True:
        response = table.query(**kwargs)
        items.extend(response.get("Items", []))
        if "LastEvaluatedKey" not in response:
            return items
        kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def query_month(table, month: str, sort_key: str = "", first: str = "", last: str = "") -> list[dict]:
    """Every item of `month` ("2026-11") on the table's `by_month` index (partition key `month`); with
    `sort_key`, only those whose sort key is from `first` to `last`, both included."""
    names = {"#m": "month"}
    values = {":m": month}
    condition = "#m = :m"
    if sort_key:
        names["#s"] = sort_key
        values.update({":a": first, ":b": last})
        condition += " AND #s BETWEEN :a AND :b"
    return query_all(
        table,
        IndexName="by_month",
        KeyConditionExpression=condition,
        ExpressionAttributeNames=names,
        ExpressionAttributeValues=values,
    )
