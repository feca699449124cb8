"""Work items in DynamoDB, with per-day unit counters kept beside them.

Items: key (use_case, work_item_id), so a repost replaces and is never counted twice.
Counters: key (use_case, day), so reading the units of any period costs one small item per
use case and day, never a read of the items. A GSI (use_case_day) lets `recount_day` repair a
counter from the items if ever needed.

Exact under retries, kills and concurrency: the items are read (strongly consistent), then each
group of items is written in one TransactWriteItems together with its counters' deltas. Every
item's Put is conditional on what was read: `attribute_not_exists` for a new id, else the
revision (`rev`) read. So an item and its counter change land together or not at all, and a
delta is applied only if the item still is what it was computed from. When another client
changed one of the group's items in between, the transaction is cancelled
(ConditionalCheckFailed); the group is read again and retried. Counters therefore always equal
the sum of their items, and never go negative. A request that dies between groups leaves whole
groups behind; the client's retry reads them back and counts the difference, which is nothing.

Items written before revisions existed carry the batch id of the request that wrote them and
`counted_before`: what the counters held for the item before. Their batch's marker (in the counts
table) says whether that request's counters landed; if not, the counters still hold
`counted_before`. Such an item is replaced on the condition that nobody rewrote it since
(no `rev`, same batch id).
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
from chalicelib.storage.batching import TRANSACT_BATCH, batch_get, query_all, query_month
from chalicelib.storage.settled_days import DayRevisions, open_month_rows

MARKER_PREFIX = "~batch#"  # legacy marker items in the counts table: (use_case=~batch#<id>, day="-")
MAX_ACTIONS = TRANSACT_BATCH  # one transaction: a group's item puts plus its counter updates
CONFLICT_RETRIES = 25  # per item; each ConditionalCheckFailed means another client's write landed
RETRYABLE = {"ConditionalCheckFailed", "TransactionConflict", "ThrottlingError", "None", None}
_READ_PROJECTION = "use_case, work_item_id, #d, #s, human_review_minutes, #r, batch_id, counted_before"
_READ_NAMES = {"#d": "day", "#s": "status", "#r": "rev"}


@dataclass
class SaveOutcome:
    replaced: set  # (use_case, work_item_id) that existed when this request's write landed
    requests: int  # DynamoDB requests made, reads included
    conflicts: int = 0  # transactions cancelled because another client changed an item first (then retried)
    most_attempts: int = 1  # the most tries any item needed


@dataclass(frozen=True)
class _Stored:
    """An item as read: what the condition of its replacement checks, and what the counters hold for it."""

    rev: Optional[int]  # None: written before revisions
    batch_id: Optional[str]  # legacy items only
    counted: Optional[dict]  # {"day", "status", "minutes"} the counters reflect, or None


class WorkItemStore:
    def __init__(self, resource, items_table: str, counts_table: str):
        self._resource = resource
        self._items = items_table
        self._counts = counts_table
        self.revisions = DayRevisions(resource, counts_table, "use_case", "day")
        self.last_read = (0, 0)

    def save(self, items: Sequence[WorkItem], now: datetime) -> SaveOutcome:
        """Store items (already unique by key); last write wins; counters follow exactly."""
        if not items:
            return SaveOutcome(set(), 0)
        posted_at = now.astimezone(timezone.utc).isoformat()
        stored, requests = self._read(items)
        replaced: set = set()
        pending = [(group, 0) for group in _groups(items, stored)]
        with self.revisions.writing(()) as write:  # the open month's cached days go stale
            commits, conflicts, most_attempts = self._save_groups(pending, stored, posted_at, write, replaced)
        return SaveOutcome(replaced, requests + commits + write.calls, conflicts, most_attempts)

    def _save_groups(self, pending: list, stored: dict, posted_at: str, write, replaced: set) -> tuple:
        """Commit the groups, retrying cancelled ones; returns (requests, conflicts, most attempts)."""
        requests, conflicts, most_attempts = 0, 0, 1
        while pending:
            group, attempt = pending.pop(0)
            requests += 1
            write.add(date.fromisoformat(day) for _, day in _deltas(group, stored))
            try:
                self._commit(group, stored, posted_at)
            except Exception as exc:  # noqa: BLE001 - only a cancelled transaction is handled here
                reasons = _cancellation_reasons(exc)
                if reasons is None or not {r.get("Code") for r in reasons} <= RETRYABLE:
                    raise
                if attempt + 1 >= CONFLICT_RETRIES:
                    raise _still_contended(exc) from exc
                conflicts += 1
                most_attempts = max(most_attempts, attempt + 2)
                if len(reasons) < len(group):  # no reason per action: take every item as changed
                    reasons = [{"Code": "TransactionConflict"}] * len(group)
                requests += self._refresh(group, reasons, stored)
                codes = {r.get("Code") for r in reasons}
                if codes - {"ConditionalCheckFailed", "None", None} or attempt >= 2:
                    # A transaction in flight on the same item or counter, throttling, or a hot spot:
                    # wait a little (full jitter) so the other clients get through.
                    time.sleep(random.uniform(0, min(1.0, 0.01 * 2**attempt)))
                # Items another client changed go on their own (re-read, their deltas recomputed), so
                # a big group is not starved by one busy item; the untouched rest is retried as it is.
                # An untouched item counts a try only when nothing else was to blame (a busy counter),
                # so every cancellation either counts a try or takes an item out of the group.
                # The reasons go on past the items, one per counter update: zip stops at the group's end.
                changed = [i for i, r in zip(group, reasons, strict=False) if r.get("Code") not in ("None", None)]
                clean = [i for i, r in zip(group, reasons, strict=False) if r.get("Code") in ("None", None)]
                pending[0:0] = [(g, attempt + (not changed)) for g in _groups(clean, stored)] + [
                    (g, attempt + 1) for g in _groups(changed, stored)
                ]
                continue
            for item in group:
                previous = stored.get(_key(item))
                if previous is not None:
                    replaced.add(_key(item))
                stored[_key(item)] = _Stored(_next_rev(previous), None, _counted(item))
        return requests, conflicts, most_attempts

    def _refresh(self, group: Sequence[WorkItem], reasons: list, stored: dict) -> int:
        """After a cancelled transaction: what is now stored for the group's items whose condition
        failed, from the item DynamoDB returned with the failure, else read again. Returns requests."""
        unread = []
        for item, reason in zip(group, reasons, strict=False):  # the counters' reasons follow the items'
            if reason.get("Code") in ("None", None):
                continue
            row = _plain(reason.get("Item")) if reason.get("Code") == "ConditionalCheckFailed" else None
            if row is not None and row.get("rev") is not None:
                stored[_key(item)] = _stored(row, set())
            else:
                unread.append(item)
        if not unread:
            return 0
        fresh, requests = self._read(unread)
        for item in unread:
            stored.pop(_key(item), None)
        stored.update(fresh)
        return requests

    def _read(self, items: Sequence[WorkItem]) -> tuple[dict, int]:
        """What is stored for these items now, and what the counters hold for each."""
        keys = [{"use_case": i.use_case, "work_item_id": i.work_item_id} for i in items]
        rows, requests = batch_get(
            self._resource, self._items, keys, projection=_READ_PROJECTION, names=_READ_NAMES, consistent=True
        )
        legacy = {r["batch_id"] for r in rows if r.get("rev") is None and r.get("batch_id")}
        landed, reads = self._landed_batches(legacy)
        return {(row["use_case"], row["work_item_id"]): _stored(row, landed) for row in rows}, requests + reads

    def _commit(self, group: Sequence[WorkItem], stored: dict, posted_at: str) -> None:
        """A group's items and its counters' deltas: all or nothing, each item on its read state."""
        client = self._resource.meta.client  # the resource's client serializes Python values
        actions = [self._put(item, stored.get(_key(item)), posted_at) for item in group]
        actions += [
            {
                "Update": {
                    "TableName": self._counts,
                    "Key": {"use_case": use_case, "day": day},
                    "UpdateExpression": "ADD units :u, success_units :s, review_minutes :m SET #mo = :mo",
                    "ExpressionAttributeNames": {"#mo": "month"},
                    "ExpressionAttributeValues": {
                        ":u": Decimal(u),
                        ":s": Decimal(s),
                        ":m": Decimal(m),
                        ":mo": day[:7],
                    },
                }
            }
            for (use_case, day), (u, s, m) in sorted(_deltas(group, stored).items())
        ]
        # The token makes botocore's own retry of this very call (a timeout, a dropped answer) idempotent.
        client.transact_write_items(TransactItems=actions, ClientRequestToken=uuid.uuid4().hex)

    def _put(self, item: WorkItem, previous: Optional[_Stored], posted_at: str) -> dict:
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
            "rev": _next_rev(previous),
        }
        put: dict = {
            "TableName": self._items,
            "Item": row,
            "ExpressionAttributeNames": {"#k": "work_item_id"},
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }  # what changed, without a read
        if previous is None:
            put["ConditionExpression"] = "attribute_not_exists(#k)"
        elif previous.rev is not None:
            put["ConditionExpression"] = "#r = :rev"
            put["ExpressionAttributeNames"] = {"#r": "rev"}
            put["ExpressionAttributeValues"] = {":rev": previous.rev}
        elif previous.batch_id is not None:
            put["ConditionExpression"] = "attribute_exists(#k) AND attribute_not_exists(#r) AND batch_id = :b"
            put["ExpressionAttributeNames"] = {"#k": "work_item_id", "#r": "rev"}
            put["ExpressionAttributeValues"] = {":b": previous.batch_id}
        else:
            put["ConditionExpression"] = (
                "attribute_exists(#k) AND attribute_not_exists(#r) AND attribute_not_exists(batch_id)"
            )
            put["ExpressionAttributeNames"] = {"#k": "work_item_id", "#r": "rev"}
        return {"Put": put}

    def _landed_batches(self, batch_ids: set) -> tuple[set, int]:
        if not batch_ids:
            return set(), 0
        keys = [{"use_case": MARKER_PREFIX + b, "day": "-"} for b in sorted(batch_ids)]
        rows, calls = batch_get(self._resource, self._counts, keys, projection="use_case", consistent=True)
        return {r["use_case"][len(MARKER_PREFIX) :] for r in rows}, calls

    def units_for_month(self, month: str) -> list[DailyUnits]:
        """Every use case's daily counts in a month: one query over small counter items."""
        return [_daily_units(r) for r in query_month(self._resource.Table(self._counts), month)]

    def units_for_open_month(self, month: str) -> list[DailyUnits]:
        """The same counts as `units_for_month`, settled days from their cache (settled_days.py):
        what the scheduled runs read each hour. `last_read`: the read's requests and days read raw."""
        rows, self.last_read = open_month_rows(self.revisions, self._month_days, month)
        return [_daily_units(r) for r in rows]

    def _month_days(self, month: str, first: int, last: int) -> list[dict]:
        rows = query_month(
            self._resource.Table(self._counts), month, "day", f"{month}-{first:02d}", f"{month}-{last:02d}"
        )
        return [
            {k: r[k] for k in ("use_case", "day", "units", "success_units", "review_minutes") if k in r} for r in rows
        ]

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
            kwargs = dict(
                IndexName="by_day",
                Select="COUNT",
                KeyConditionExpression="use_case_day = :k",
                ExpressionAttributeValues={":k": f"{use_case}#{day.isoformat()}"},
            )
            if start:
                kwargs["ExclusiveStartKey"] = start
            response = table.query(**kwargs)
            count += response["Count"]
            start = response.get("LastEvaluatedKey")
            if not start:
                return count


def _key(item: WorkItem) -> tuple:
    return (item.use_case, item.work_item_id)


def _counted(item: WorkItem) -> dict:
    return {"day": item.day, "status": item.status, "minutes": item.human_review_minutes}


def _next_rev(previous: Optional[_Stored]) -> int:
    return (previous.rev or 0) + 1 if previous is not None else 1


def _stored(row: dict, landed: set) -> _Stored:
    rev = row.get("rev")
    return _Stored(
        int(rev) if rev is not None else None,
        row.get("batch_id") if rev is None else None,
        _what_counters_hold(row, landed),
    )


_TYPE_CODES = {"S", "N", "B", "SS", "NS", "BS", "M", "L", "NULL", "BOOL"}


def _plain(item: Optional[dict]) -> Optional[dict]:
    """An item as DynamoDB returns it in a cancellation reason (typed: {"S": ...}) as Python values."""
    if not item:
        return None
    if not all(isinstance(v, dict) and len(v) == 1 and next(iter(v)) in _TYPE_CODES for v in item.values()):
        return item  # already plain
    from boto3.dynamodb.types import TypeDeserializer

    deserializer = TypeDeserializer()
    return {k: deserializer.deserialize(v) for k, v in item.items()}


def _what_counters_hold(row: dict, landed: set) -> Optional[dict]:
    """What the counters reflect for a stored item: itself, unless it is a legacy item whose
    request died before its counters landed (then what they held before it)."""
    if row.get("rev") is not None or row.get("batch_id") is None or row["batch_id"] in landed:
        return {"day": row["day"], "status": row.get("status"), "minutes": Decimal(row.get("human_review_minutes", 0))}
    return row.get("counted_before")


def _touched(item: WorkItem, stored: dict) -> set:
    previous = stored.get(_key(item))
    old = previous.counted if previous is not None else None
    return {(item.use_case, item.day)} | ({(item.use_case, old["day"])} if old else set())


def _groups(items: Sequence[WorkItem], stored: dict):
    """Items split so that each group's puts and counter updates fit one transaction."""
    group: list = []
    keys: set = set()
    for item in items:
        touched = _touched(item, stored)
        if group and len(group) + 1 + len(keys | touched) > MAX_ACTIONS:
            yield group
            group, keys = [], set()
        group.append(item)
        keys |= touched
    if group:
        yield group


def _deltas(items: Sequence[WorkItem], stored: dict) -> dict:
    deltas: dict = defaultdict(lambda: [0, 0, Decimal(0)])
    for item in items:
        previous = stored.get(_key(item))
        old = previous.counted if previous is not None else None
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


def _cancellation_reasons(exc: Exception) -> Optional[list]:
    """The per-action codes of a cancelled transaction; None for any other error."""
    response = getattr(exc, "response", None)  # a botocore ClientError (botocore is not imported at cold start)
    if not isinstance(response, dict) or response.get("Error", {}).get("Code") != "TransactionCanceledException":
        return None
    return list(response.get("CancellationReasons") or [])


def _still_contended(exc: Exception) -> Exception:
    """Other clients kept changing the same items for every retry: answered as a 503 (retry later),
    which is safe, since every group either landed whole or not at all."""
    from botocore.exceptions import ClientError

    return ClientError(
        {
            "Error": {"Code": "TransactionConflict", "Message": f"work items kept changing under this request: {exc}"},
            "ResponseMetadata": {"HTTPStatusCode": 503},
        },
        "TransactWriteItems",
    )


def _daily_units(row: dict) -> DailyUnits:
    return DailyUnits(
        use_case=row["use_case"],
        day=date.fromisoformat(row["day"]),
        units=int(row.get("units", 0)),
        success_units=int(row.get("success_units", 0)),
        review_minutes=Decimal(row.get("review_minutes", 0)),
    )
