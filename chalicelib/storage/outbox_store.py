"""The email outbox: exactly one email per Notice key, written before it is sent.

Two kinds of config-table items:
- ("OUTBOX", key): the email, kept for good: status pending | sent | abandoned, what was sent
  (recipients, subject, and the HTML and text parts zlib-compressed in one binary attribute,
  so a 1,000-row digest stays far below DynamoDB's 400 KB item limit), attempts, the last
  error, the SES message id.
- ("OUTBOX-PENDING", key): a small marker while the email is not sent yet. `pending()` reads
  this partition only, so a run's check for emails to retry costs one query however many
  emails were ever sent.

`claim` writes both in one transaction, on condition that the key was never claimed: a rerun
(or an overlapping run) gets False and sends nothing. `mark_sent` flips the status and deletes
the marker in one transaction; `mark_failed` counts the attempt and keeps it pending, so the
next delivery retries it.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from typing import Iterable, Optional

from chalicelib.domain.notices import Notice
from chalicelib.storage.batching import batch_get, query_all

PK = "OUTBOX"
PENDING_PK = "OUTBOX-PENDING"
PENDING, SENT, ABANDONED = "pending", "sent", "abandoned"
MAX_ERROR_CHARS = 1000


@dataclass(frozen=True)
class OutboxItem:
    key: str
    kind: str
    recipients: tuple[str, ...]
    subject: str
    html: str
    text: str
    status: str = PENDING
    attempts: int = 0
    claimed_at: str = ""
    last_attempt_at: str = ""
    last_error: str = ""
    sent_at: str = ""
    message_id: str = ""
    use_case: str = ""
    team: str = ""


def claim_stamp(at: datetime) -> str:
    """How `claimed_at` records the time of a claim (a run's `now`)."""
    return _iso(at)


def _iso(at: datetime) -> str:
    if at.tzinfo is None:
        at = at.replace(tzinfo=timezone.utc)
    return at.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def _pack(html: str, text: str) -> bytes:
    return zlib.compress(json.dumps({"html": html, "text": text}, ensure_ascii=False).encode("utf-8"), 9)


def _unpack(blob) -> dict:
    raw = getattr(blob, "value", blob)  # boto3 hands binary attributes back as Binary
    return json.loads(zlib.decompress(bytes(raw)).decode("utf-8")) if raw else {"html": "", "text": ""}


def _item(row: dict) -> OutboxItem:
    body = _unpack(row.get("body"))
    return OutboxItem(
        key=row["sk"],
        kind=row.get("kind", ""),
        recipients=tuple(row.get("recipients") or ()),
        subject=row.get("subject", ""),
        html=body.get("html", ""),
        text=body.get("text", ""),
        status=row.get("status", PENDING),
        attempts=int(row.get("attempts", 0)),
        claimed_at=row.get("claimed_at", ""),
        last_attempt_at=row.get("last_attempt_at", ""),
        last_error=row.get("last_error", ""),
        sent_at=row.get("sent_at", ""),
        message_id=row.get("message_id", ""),
        use_case=row.get("use_case", ""),
        team=row.get("team", ""),
    )


class OutboxStore:
    def __init__(self, resource, table: str):
        self._resource = resource
        self._table_name = table

    @property
    def _table(self):
        return self._resource.Table(self._table_name)

    def claim(self, notice: Notice, now: datetime, rendered: Optional[tuple[str, str, str]] = None) -> bool:
        """Record `notice` as pending, with its rendered (subject, html, text); False if its key was
        ever claimed before (pending, sent or abandoned): the caller must not send it."""
        from botocore.exceptions import ClientError

        subject, html, text = rendered if rendered is not None else (notice.subject, "", "")
        item = {
            "pk": PK,
            "sk": notice.key,
            "status": PENDING,
            "kind": notice.kind,
            "recipients": list(notice.recipients),
            "subject": subject,
            "body": _pack(html, text),
            "attempts": Decimal(0),
            "claimed_at": _iso(now),
        }
        for name in ("use_case", "team"):
            if getattr(notice, name):
                item[name] = getattr(notice, name)
        if not item["recipients"]:
            del item["recipients"]  # DynamoDB takes an empty list, but absent reads the same
        client = self._resource.meta.client  # the resource's client serializes Python values
        try:
            client.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self._table_name,
                            "Item": item,
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    {
                        "Put": {
                            "TableName": self._table_name,
                            "Item": {"pk": PENDING_PK, "sk": notice.key, "claimed_at": _iso(now)},
                        }
                    },
                ]
            )
            return True
        except ClientError as exc:
            reasons = [r.get("Code") for r in exc.response.get("CancellationReasons", [])]
            if exc.response["Error"]["Code"] == "TransactionCanceledException" and reasons[:1] == [
                "ConditionalCheckFailed"
            ]:
                return False
            raise

    def get(self, key: str) -> Optional[OutboxItem]:
        row = self._table.get_item(Key={"pk": PK, "sk": key}, ConsistentRead=True).get("Item")
        return _item(row) if row else None

    def claimed(self, keys: Iterable[str]) -> set[str]:
        """Which of `keys` were ever claimed: one BatchGetItem per 100 keys, keys only."""
        wanted = sorted(set(keys))
        if not wanted:
            return set()
        rows, _ = batch_get(
            self._resource, self._table_name, [{"pk": PK, "sk": k} for k in wanted], projection="sk", consistent=True
        )
        return {r["sk"] for r in rows}

    def pending(self) -> list[OutboxItem]:
        """Every email claimed and not sent yet (oldest claim first), with what is needed to send it."""
        markers = query_all(
            self._table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": PENDING_PK},
            ConsistentRead=True,
        )
        if not markers:
            return []
        rows, _ = batch_get(self._resource, self._table_name, [{"pk": PK, "sk": m["sk"]} for m in markers])
        items = [_item(r) for r in rows if r.get("status", PENDING) == PENDING]
        return sorted(items, key=lambda i: (i.claimed_at, i.key))

    def mark_sent(self, key: str, now: datetime, message_id: str) -> None:
        """Sent: never sent again. The pending marker goes in the same transaction."""
        self._settle(
            key,
            "SET #s = :sent, sent_at = :at, last_attempt_at = :at, message_id = :id ADD attempts :one",
            "attribute_exists(pk)",
            {":sent": SENT, ":at": _iso(now), ":id": message_id or "", ":one": Decimal(1)},
        )

    def mark_failed(self, key: str, now: datetime, error: str) -> int:
        """A send that failed: the attempt is counted, the email stays pending. Returns the attempts."""
        response = self._table.update_item(
            Key={"pk": PK, "sk": key},
            UpdateExpression="SET last_attempt_at = :at, last_error = :err ADD attempts :one",
            ConditionExpression="attribute_exists(pk) AND #s = :pending",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={
                ":at": _iso(now),
                ":err": (error or "unknown error")[:MAX_ERROR_CHARS],
                ":one": Decimal(1),
                ":pending": PENDING,
            },
            ReturnValues="UPDATED_NEW",
        )
        return int(response["Attributes"]["attempts"])

    def abandon(self, key: str, now: datetime, reason: str) -> None:
        """Give up on a pending email (it is kept, with its reason, and its key is never sent)."""
        self._settle(
            key,
            "SET #s = :abandoned, last_attempt_at = :at, last_error = :err",
            "attribute_exists(pk) AND #s = :pending",
            {
                ":abandoned": ABANDONED,
                ":pending": PENDING,
                ":at": _iso(now),
                ":err": (reason or "abandoned")[:MAX_ERROR_CHARS],
            },
        )

    def _settle(self, key: str, update: str, condition: str, values: dict) -> None:
        """Update the email (`update` on `condition`; `#s` names its status) and delete its pending
        marker, in one transaction: a settled email (sent or abandoned) is never pending again."""
        self._resource.meta.client.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": self._table_name,
                        "Key": {"pk": PK, "sk": key},
                        "UpdateExpression": update,
                        "ConditionExpression": condition,
                        "ExpressionAttributeNames": {"#s": "status"},
                        "ExpressionAttributeValues": values,
                    }
                },
                {"Delete": {"TableName": self._table_name, "Key": {"pk": PENDING_PK, "sk": key}}},
            ]
        )
