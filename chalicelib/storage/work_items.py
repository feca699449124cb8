"""Work items in DynamoDB, with per-day unit counters kept beside them.

Items: key (use_case, work_item_id), so a repost replaces and is never counted twice.
Counters: key (use_case, day), updated in the same request as the items, so reading the
units of any period costs one small item per use case and day, never a read of the items.
A GSI (use_case_day) lets `recount_day` repair a counter from the items if ever needed.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Iterable, Sequence

from chalicelib.domain.facts import DailyUnits
from chalicelib.domain.work_items import WorkItem
from chalicelib.storage.batching import TRANSACT_BATCH, batch_get, batch_write, chunks, query_all


@dataclass
class SaveOutcome:
    replaced: set  # (use_case, work_item_id) that existed before
    requests: int  # DynamoDB requests made, reads included


def _delta_key(item: dict | WorkItem) -> tuple[str, str]:
    if isinstance(item, WorkItem):
        return item.use_case, item.day
    return item["use_case"], item["day"]


class WorkItemStore:
    def __init__(self, resource, items_table: str, counts_table: str):
        self._resource = resource
        self._items = items_table
        self._counts = counts_table

    def save(self, items: Sequence[WorkItem], now: datetime) -> SaveOutcome:
        """Store items (already unique by key); last write wins; counters follow."""
        if not items:
            return SaveOutcome(set(), 0)
        keys = [{"use_case": i.use_case, "work_item_id": i.work_item_id} for i in items]
        previous, reads = batch_get(
            self._resource, self._items, keys,
            projection="use_case, work_item_id, #d, #s, human_review_minutes",
            names={"#d": "day", "#s": "status"},
        )
        before = {(p["use_case"], p["work_item_id"]): p for p in previous}
        posted_at = now.astimezone(timezone.utc).isoformat()
        puts = [{"PutRequest": {"Item": self._item(i, posted_at)}} for i in items]
        writes = batch_write(self._resource, self._items, puts)
        counter_requests = self._apply_deltas(self._deltas(items, before))
        return SaveOutcome(set(before), reads + writes + counter_requests)

    @staticmethod
    def _item(item: WorkItem, posted_at: str) -> dict:
        return {
            "use_case": item.use_case,
            "work_item_id": item.work_item_id,
            "day": item.day,
            "use_case_day": f"{item.use_case}#{item.day}",
            "completed_at": item.completed_at.isoformat(),
            "status": item.status,
            "human_review_minutes": item.human_review_minutes,
            "attributes": item.attributes_json,
            "posted_at": posted_at,
        }

    @staticmethod
    def _deltas(items: Iterable[WorkItem], before: dict) -> dict:
        deltas: dict = defaultdict(lambda: [0, 0, Decimal(0)])
        for item in items:
            old = before.get((item.use_case, item.work_item_id))
            if old is not None:
                d = deltas[_delta_key(old)]
                d[0] -= 1
                d[1] -= old.get("status") == "success"
                d[2] -= Decimal(old.get("human_review_minutes", 0))
            d = deltas[_delta_key(item)]
            d[0] += 1
            d[1] += item.status == "success"
            d[2] += item.human_review_minutes
        return {k: v for k, v in deltas.items() if v[0] or v[1] or v[2]}

    def _apply_deltas(self, deltas: dict) -> int:
        """All counter updates of a batch in one TransactWriteItems (up to 100 use case-days)."""
        client = self._resource.meta.client  # the resource's client serializes Python values
        actions = [
            {
                "Update": {
                    "TableName": self._counts,
                    "Key": {"use_case": use_case, "day": day},
                    "UpdateExpression": "ADD units :u, success_units :s, review_minutes :m SET #mo = :mo",
                    "ExpressionAttributeNames": {"#mo": "month"},
                    "ExpressionAttributeValues": {
                        ":u": Decimal(u), ":s": Decimal(s), ":m": Decimal(m), ":mo": day[:7],
                    },
                }
            }
            for (use_case, day), (u, s, m) in sorted(deltas.items())
        ]
        calls = 0
        for batch in chunks(actions, TRANSACT_BATCH):
            client.transact_write_items(TransactItems=list(batch))
            calls += 1
        return calls

    def units_for_month(self, month: str) -> list[DailyUnits]:
        """Every use case's daily counts in a month: one query over small counter items."""
        table = self._resource.Table(self._counts)
        rows = query_all(
            table, IndexName="by_month",
            KeyConditionExpression="#mo = :mo",
            ExpressionAttributeNames={"#mo": "month"},
            ExpressionAttributeValues={":mo": month},
        )
        return [_daily_units(r) for r in rows]

    def units_between(self, use_case: str, first: date, last: date) -> list[DailyUnits]:
        table = self._resource.Table(self._counts)
        rows = query_all(
            table,
            KeyConditionExpression="use_case = :u AND #d BETWEEN :a AND :b",
            ExpressionAttributeNames={"#d": "day"},
            ExpressionAttributeValues={":u": use_case, ":a": first.isoformat(), ":b": last.isoformat()},
        )
        return [_daily_units(r) for r in rows]

    def recount_day(self, use_case: str, day: date) -> int:
        """Repair: count the day's items through the index (reads every item: not for hourly runs)."""
        table = self._resource.Table(self._items)
        count, start = 0, None
        while True:
            kwargs = dict(IndexName="by_day", Select="COUNT",
                          KeyConditionExpression="use_case_day = :k",
                          ExpressionAttributeValues={":k": f"{use_case}#{day.isoformat()}"})
            if start:
                kwargs["ExclusiveStartKey"] = start
            response = table.query(**kwargs)
            count += response["Count"]
            start = response.get("LastEvaluatedKey")
            if not start:
                return count


def _daily_units(row: dict) -> DailyUnits:
    return DailyUnits(
        use_case=row["use_case"],
        day=date.fromisoformat(row["day"]),
        units=int(row.get("units", 0)),
        success_units=int(row.get("success_units", 0)),
        review_minutes=Decimal(row.get("review_minutes", 0)),
    )
