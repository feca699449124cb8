"""Alert episodes between runs: open ones in one partition (read every run), closed ones in another
(kept 400 days for the record), so a run's read does not grow with the history."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Iterable

from chalicelib.domain.alerts import Episode
from chalicelib.storage.batching import batch_write, query_all
from chalicelib.storage.records import from_item, to_item

OPEN, CLOSED = "ALERT#open", "ALERT#closed"
DIGEST = {"pk": "DIGEST", "sk": "colours"}
KEEP_CLOSED_DAYS = 400


class AlertStore:
    def __init__(self, resource, table: str):
        self._resource = resource
        self._table_name = table

    def open(self) -> list[Episode]:
        rows = query_all(
            self._resource.Table(self._table_name),
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": OPEN},
        )
        return [from_item(Episode, r) for r in rows]

    def save(self, episodes: Iterable[Episode], previous: Iterable[Episode], wall: datetime) -> int:
        """Store this run's episodes: changed open ones, and closed ones moved out of the open partition."""
        before = {e.key: e for e in previous}
        expires = int((wall + timedelta(days=KEEP_CLOSED_DAYS)).timestamp())
        requests = []
        for e in episodes:
            if e.open and before.get(e.key) != e:
                requests.append({"PutRequest": {"Item": {"pk": OPEN, "sk": e.key, **to_item(e)}}})
            elif not e.open:
                requests.append(
                    {
                        "PutRequest": {
                            "Item": {
                                "pk": CLOSED,
                                "sk": f"{e.key}#{e.since.isoformat()}",
                                **to_item(e),
                                "expires_at": expires,
                            }
                        }
                    }
                )
                if e.key in before:
                    requests.append({"DeleteRequest": {"Key": {"pk": OPEN, "sk": e.key}}})
        return batch_write(self._resource, self._table_name, requests)

    def digest_colours(self) -> dict:
        """The colours the last weekly digest reported (use case -> colour, "" for none)."""
        row = self._resource.Table(self._table_name).get_item(Key=DIGEST).get("Item") or {}
        return dict(row.get("colours") or {})

    def save_digest_colours(self, colours: dict) -> None:
        self._resource.Table(self._table_name).put_item(Item={**DIGEST, "colours": dict(colours)})
