"""Work items in DynamoDB, with per-day unit counters kept beside them.

Items: key (use_case, work_item_id), so a repost replaces and is never counted twice.
Counters: key (use_case, day), so reading the units of any period costs one small item per
use case and day, never a read of the items. A GSI (use_case_day) lets `recount_day` repair a
counter from the items if ever needed.

Items are written with BatchWriteItem, then every counter change of the request goes in one
TransactWriteItems together with a marker for the request's batch id. Each item records its
batch id and what the counters held for it before (`counted_before`). If a request fails
after its items landed but before its counters did, the marker is missing, so a retry counts
from `counted_before`, not from the half-written item: nothing is lost or counted twice.
"""
from __future__ import annotations

import random
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Optional, Sequence

from chalicelib.domain.facts import DailyUnits
from chalicelib.domain.work_items import WorkItem
from chalicelib.storage.batching import TRANSACT_BATCH, batch_get, batch_write, query_all

MARKER_PREFIX = "~batch#"  # marker items live in the counts table: (use_case=~batch#<id>, day="-")
MAX_COUNTERS = TRANSACT_BATCH - 1  # one transaction: the counters plus the batch marker
CONFLICT_RETRIES = 6


@dataclass
class SaveOutcome:
    replaced: set  # (use_case, work_item_id) that existed before
    requests: int  # DynamoDB requests made, reads included


def _counted(item: WorkItem) -> dict:
    return {"day": item.day, "status": item.status, "minutes": item.human_review_minutes}


class WorkItemStore:
    def __init__(self, resource, items_table: str, counts_table: str):
        self._resource = resource
        self._items = items_table
        self._counts = counts_table

    def save(self, items: Sequence[WorkItem], now: datetime) -> SaveOutcome:
        """Store items (already unique by key); last write wins; counters follow exactly."""
        if not items:
            return SaveOutcome(set(), 0)
        keys = [{"use_case": i.use_case, "work_item_id": i.work_item_id} for i in items]
        previous, requests = batch_get(
            self._resource, self._items, keys,
            projection="use_case, work_item_id, #d, #s, human_review_minutes, batch_id, counted_before",
            names={"#d": "day", "#s": "status"},
        )
        before = {(p["use_case"], p["work_item_id"]): p for p in previous}
        landed, reads = self._landed_batches({p["batch_id"] for p in previous if p.get("batch_id")})
        requests += reads
        counted = {key: _what_counters_hold(row, landed) for key, row in before.items()}
        posted_at = now.astimezone(timezone.utc).isoformat()
        for group in _groups(items, counted):
            batch_id = uuid.uuid4().hex
            puts = [{"PutRequest": {"Item": self._item(i, posted_at, batch_id,
                                                       counted.get((i.use_case, i.work_item_id)))}}
                    for i in group]
            requests += batch_write(self._resource, self._items, puts)
            requests += self._apply_deltas(_deltas(group, counted), batch_id, posted_at)
        return SaveOutcome(set(before), requests)

    @staticmethod
    def _item(item: WorkItem, posted_at: str, batch_id: str, counted_before: Optional[dict]) -> dict:
        row = {
            "use_case": item.use_case,
            "work_item_id": item.work_item_id,
            "day": item.day,
            "use_case_day": f"{item.use_case}#{item.day}",
            "completed_at": item.completed_at.isoformat(),
            "status": item.status,
            "human_review_minutes": item.human_review_minutes,
            "attributes": item.attributes_json,
            "posted_at": posted_at,
            "batch_id": batch_id,
        }
        if counted_before is not None:
            row["counted_before"] = counted_before
        return row

    def _landed_batches(self, batch_ids: set) -> tuple[set, int]:
        if not batch_ids:
            return set(), 0
        keys = [{"use_case": MARKER_PREFIX + b, "day": "-"} for b in sorted(batch_ids)]
        rows, calls = batch_get(self._resource, self._counts, keys, projection="use_case")
        return {r["use_case"][len(MARKER_PREFIX):] for r in rows}, calls

    def _apply_deltas(self, deltas: dict, batch_id: str, posted_at: str) -> int:
        """The counter changes of one group and its marker, all or nothing, in one transaction."""
        client = self._resource.meta.client  # the resource's client serializes Python values
        actions = [{"Put": {"TableName": self._counts, "Item": {"use_case": MARKER_PREFIX + batch_id, "day": "-",
                                                                 "posted_at": posted_at},
                            "ConditionExpression": "attribute_not_exists(use_case)"}}]
        actions += [
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
        for attempt in range(CONFLICT_RETRIES):
            try:
                client.transact_write_items(TransactItems=actions)
                return attempt + 1
            except client.exceptions.TransactionCanceledException as exc:
                reasons = [r.get("Code") for r in exc.response.get("CancellationReasons", [])]
                # Another request updating the same day's counter at the same moment: try again.
                if "TransactionConflict" not in reasons or attempt == CONFLICT_RETRIES - 1:
                    raise
                time.sleep(random.uniform(0, 0.05 * 2**attempt))
        raise AssertionError("unreachable")

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


def _what_counters_hold(row: dict, landed: set) -> Optional[dict]:
    """What the counters reflect for a stored item: itself if its batch landed, else its past."""
    if row.get("batch_id") is None or row["batch_id"] in landed:
        return {"day": row["day"], "status": row.get("status"),
                "minutes": Decimal(row.get("human_review_minutes", 0))}
    return row.get("counted_before")


def _touched(item: WorkItem, counted: dict) -> set:
    old = counted.get((item.use_case, item.work_item_id))
    return {(item.use_case, item.day)} | ({(item.use_case, old["day"])} if old else set())


def _groups(items: Sequence[WorkItem], counted: dict):
    """Items split so that each group's counters fit one transaction (one group, usually)."""
    group: list = []
    keys: set = set()
    for item in items:
        touched = _touched(item, counted)
        if group and len(keys | touched) > MAX_COUNTERS:
            yield group
            group, keys = [], set()
        group.append(item)
        keys |= touched
    if group:
        yield group


def _deltas(items: Sequence[WorkItem], counted: dict) -> dict:
    deltas: dict = defaultdict(lambda: [0, 0, Decimal(0)])
    for item in items:
        old = counted.get((item.use_case, item.work_item_id))
        if old is not None:
            d = deltas[(item.use_case, old["day"])]
            d[0] -= 1
            d[1] -= old.get("status") == "success"
            d[2] -= Decimal(old.get("minutes", 0))
        d = deltas[(item.use_case, item.day)]
        d[0] += 1
        d[1] += item.status == "success"
        d[2] += item.human_review_minutes
    return {k: v for k, v in deltas.items() if v[0] or v[1] or v[2]}


def _daily_units(row: dict) -> DailyUnits:
    return DailyUnits(
        use_case=row["use_case"],
        day=date.fromisoformat(row["day"]),
        units=int(row.get("units", 0)),
        success_units=int(row.get("success_units", 0)),
        review_minutes=Decimal(row.get("review_minutes", 0)),
    )
