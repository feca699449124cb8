"""Closed months' reallocation pool credits, one config-table item per month.

`engine.close_month` returns the whole month -> credits mapping; `save` stores it (closing a
month again replaces that month's item), `load` gives what `engine.compute` takes as
`pool_credits` (None when no month is closed yet). Beside the months, "~opened" keeps the month
of the first scheduled run: every month from it on is owed a close.
"""

from __future__ import annotations

from typing import Mapping, Optional, Sequence

from chalicelib.domain.pool import PoolCredit
from chalicelib.storage.batching import batch_write, query_all
from chalicelib.storage.records import from_item, to_item

PK = "POOL"
OPENED = "~opened"  # not a month: when the product started closing months


class PoolStore:
    def __init__(self, resource, table: str):
        self._resource = resource
        self._table_name = table

    def load(self) -> Optional[dict]:
        rows = query_all(
            self._resource.Table(self._table_name),
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": PK},
        )
        months = [r for r in rows if not r["sk"].startswith("~")]
        if not months:
            return None
        return {r["sk"]: tuple(from_item(PoolCredit, c) for c in r.get("credits") or []) for r in months}

    def opened(self) -> Optional[str]:
        """The month of the first scheduled run ("YYYY-MM"): from it on, every month is owed a close."""
        row = self._resource.Table(self._table_name).get_item(Key={"pk": PK, "sk": OPENED}).get("Item")
        return row.get("month") if row else None

    def open_at(self, month: str) -> str:
        """Record `month` as the opening month unless one is recorded; returns the one recorded."""
        table = self._resource.Table(self._table_name)
        try:
            table.put_item(
                Item={"pk": PK, "sk": OPENED, "month": month}, ConditionExpression="attribute_not_exists(pk)"
            )
        except table.meta.client.exceptions.ConditionalCheckFailedException:
            return self.opened() or month
        return month

    def save(self, pool_credits: Mapping[str, Sequence[PoolCredit]]) -> int:
        requests = [
            {"PutRequest": {"Item": {"pk": PK, "sk": month, "credits": [to_item(c) for c in credits]}}}
            for month, credits in sorted(pool_credits.items())
        ]
        return batch_write(self._resource, self._table_name, requests)
