"""Pipeline runs: the single-flight lock and one record per run (its steps, timings and requests).

The lock is one config-table item. A run takes it with a conditional put that succeeds only if
nobody holds it or the holder's lease has expired (a run killed by a Lambda time-out leaves it
behind; DynamoDB's TTL deletes it later, the condition does not wait for that). An overlapping
run therefore exits cleanly and says who holds the lock.

Run records are kept 90 days (TTL `expires_at`); ids sort by time, so the latest runs are one
query, newest first.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Optional

from chalicelib.storage.records import from_item, to_item

LOCK = {"pk": "LOCK", "sk": "pipeline"}
RUN_PK = "RUN"
KEEP_RUNS_DAYS = 90


@dataclass(frozen=True)
class Step:
    name: str
    status: str  # ok | failed | skipped
    seconds: Decimal
    detail: str = ""


@dataclass(frozen=True)
class RunRecord:
    run_id: str
    kind: str  # hourly | daily | weekly | monthly | sync
    status: str  # queued | running | ok | partial | failed | skipped
    requested_by: str = ""  # schedule | api:<token id> | cli
    queued_at: str = ""
    started_at: str = ""
    finished_at: str = ""
    now: str = ""  # the run's clock (a simulated one in the demo and the tests)
    steps: tuple[Step, ...] = ()
    message: str = ""
    dynamodb_requests: int = 0
    sheets_requests: int = 0
    emails_sent: int = 0
    freshness: tuple[str, ...] = ()  # "openai ok 3/3 days", ...


def new_run_id(kind: str, at: datetime) -> str:
    return f"{at.astimezone(timezone.utc):%Y%m%dT%H%M%SZ}-{kind}-{secrets.token_hex(3)}"


def _iso(at: datetime) -> str:
    return at.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


class RunStore:
    def __init__(self, resource, table: str):
        self._table = resource.Table(table)

    def acquire(self, run_id: str, wall: datetime, lease_seconds: int) -> Optional[dict]:
        """Take the lock for `run_id`; None if taken, else the lock. `wall` is the real clock (leases
        expire in real time, whatever the run's simulated `now`)."""
        from botocore.exceptions import ClientError

        epoch = int(wall.timestamp())
        item = {**LOCK, "run_id": run_id, "acquired_at": _iso(wall), "expires_at": epoch + lease_seconds}
        try:
            self._table.put_item(
                Item=item,
                ConditionExpression="attribute_not_exists(pk) OR expires_at < :now",
                ExpressionAttributeValues={":now": epoch},
            )
            return item
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return None
            raise

    def holder(self) -> Optional[dict]:
        return self._table.get_item(Key=LOCK, ConsistentRead=True).get("Item")

    def release(self, run_id: str) -> None:
        from botocore.exceptions import ClientError

        try:
            self._table.delete_item(
                Key=LOCK, ConditionExpression="run_id = :id", ExpressionAttributeValues={":id": run_id}
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise  # someone else's lock (ours expired and was taken): leave it

    def put(self, record: RunRecord, wall: datetime) -> None:
        expires = int((wall + timedelta(days=KEEP_RUNS_DAYS)).timestamp())
        self._table.put_item(Item={"pk": RUN_PK, "sk": record.run_id, **to_item(record), "expires_at": expires})

    def get(self, run_id: str) -> Optional[RunRecord]:
        row = self._table.get_item(Key={"pk": RUN_PK, "sk": run_id}, ConsistentRead=True).get("Item")
        return from_item(RunRecord, row) if row else None

    def recent(self, limit: int = 20) -> list[RunRecord]:
        rows = self._table.query(
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": RUN_PK},
            ScanIndexForward=False,
            Limit=limit,
        ).get("Items", [])
        return [from_item(RunRecord, r) for r in rows]


@dataclass
class RunLog:
    """Steps as a run goes (mutable while it runs)."""

    steps: list = field(default_factory=list)

    def add(self, name: str, status: str, seconds: float, detail: str = "") -> None:
        self.steps.append(Step(name, status, Decimal(f"{seconds:.3f}"), detail[:500]))
