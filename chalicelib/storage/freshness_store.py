"""Per billing source: when it last pulled successfully, the last failure if any, how much of the
last pull's window the source answered for, and the days that pull restated."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Optional

from chalicelib.storage.batching import query_all
from chalicelib.storage.records import from_item

PK = "SOURCE"
MAX_RESTATEMENT_LINES = 20
MAX_UNANSWERED_DAYS = 31
MAX_LOGGED_RESTATEMENTS = 100  # the running log the Sync log reads (each entry "<at> <line>")


@dataclass(frozen=True)
class SourceFreshness:
    source: str
    last_success_at: Optional[str] = None
    last_attempt_at: Optional[str] = None
    last_error: str = ""
    last_window: str = ""  # e.g. 2026-11-20..2026-11-22
    facts_last_pull: int = 0
    # The last attempt: "ok" (answered every day asked), "partial" (fewer days: the others kept
    # their stored facts) or "error" (nothing changed; last_error says why). "" before this was kept.
    status: str = ""
    # The fields below describe the last pull that landed (the one at last_success_at).
    days_asked: int = 0
    days_answered: int = 0
    unanswered_days: tuple[str, ...] = ()  # ISO days asked and not answered (at most 31)
    restated_days: int = 0  # days whose amounts the source changed (all of them)
    restatements: tuple[
        str, ...
    ] = ()  # their lines, "aws 2026-11-30: restated $219.26 → $0.00 by the source" (first 20)
    facts_removed: int = 0  # facts gone from days the source answered without them
    # Every pull's and import's restatement lines, newest last ("2026-12-02T08:05:00+00:00 aws 2026-11-30:
    # restated ..."), so several pulls between two syncs are all named in the Sync log.
    restatement_log: tuple[str, ...] = ()
    # The first day a failed pull asked for and no pull has answered since: the next pull starts
    # there, so days that slid out of the usual window during an outage are still pulled.
    owed_from: str = ""


class FreshnessStore:
    def __init__(self, resource, table: str):
        self._table = resource.Table(table)

    def succeeded(
        self,
        source: str,
        at: str,
        window: str,
        facts: int,
        *,
        status: str = "ok",
        days_asked: int = 0,
        days_answered: int = 0,
        unanswered_days: Iterable[str] = (),
        restatements: Iterable[str] = (),
        facts_removed: int = 0,
    ) -> None:
        lines = list(restatements)
        self._log(source, at, lines)
        self._table.update_item(
            Key={"pk": PK, "sk": source},
            UpdateExpression="SET #s = :src, last_success_at = :at, last_attempt_at = :at, last_error = :e, "
            "last_window = :w, facts_last_pull = :n, #st = :st, days_asked = :da, "
            "days_answered = :dn, unanswered_days = :ud, restated_days = :rd, "
            "restatements = :r, facts_removed = :fr REMOVE owed_from",
            ExpressionAttributeNames={"#s": "source", "#st": "status"},
            ExpressionAttributeValues={
                ":src": source,
                ":at": at,
                ":e": "",
                ":w": window,
                ":n": facts,
                ":st": status,
                ":da": days_asked,
                ":dn": days_answered,
                ":ud": list(unanswered_days)[:MAX_UNANSWERED_DAYS],
                ":rd": len(lines),
                ":r": lines[:MAX_RESTATEMENT_LINES],
                ":fr": facts_removed,
            },
        )

    def record_restatements(self, source: str, at: str, lines: Iterable[str]) -> None:
        """Add restatement lines (an import's corrected invoice) to the source's running log."""
        self._log(source, at, list(lines))

    def _log(self, source: str, at: str, lines: list) -> None:
        if not lines:
            return
        row = (
            self._table.get_item(
                Key={"pk": PK, "sk": source}, ConsistentRead=True, ProjectionExpression="restatement_log"
            ).get("Item")
            or {}
        )
        log = (list(row.get("restatement_log") or []) + [f"{at} {line}" for line in lines])[-MAX_LOGGED_RESTATEMENTS:]
        self._table.update_item(
            Key={"pk": PK, "sk": source},
            UpdateExpression="SET #s = :src, restatement_log = :log",
            ExpressionAttributeNames={"#s": "source"},
            ExpressionAttributeValues={":src": source, ":log": log},
        )

    def owe(self, source: str, first_day: str) -> None:
        """Written before a pull (cleared by its success): if the pull fails or the process dies,
        the next pull starts from the earliest day still owed. An ISO day compares as text."""
        try:
            self._table.update_item(
                Key={"pk": PK, "sk": source},
                UpdateExpression="SET #s = :src, owed_from = :d",
                ConditionExpression="attribute_not_exists(owed_from) OR owed_from = :empty OR owed_from > :d",
                ExpressionAttributeNames={"#s": "source"},
                ExpressionAttributeValues={":d": first_day, ":empty": "", ":src": source},
            )
        except self._table.meta.client.exceptions.ConditionalCheckFailedException:
            pass  # an earlier day is owed already

    def failed(self, source: str, at: str, error: str) -> None:
        # The last success and what it answered and restated stay as they were: the sheet shows
        # how stale this source now is.
        self._table.update_item(
            Key={"pk": PK, "sk": source},
            UpdateExpression="SET #s = :src, last_attempt_at = :at, last_error = :e, #st = :st",
            ExpressionAttributeNames={"#s": "source", "#st": "status"},
            ExpressionAttributeValues={":src": source, ":at": at, ":e": error[:500], ":st": "error"},
        )

    def all(self) -> list[SourceFreshness]:
        rows = query_all(self._table, KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": PK})
        return sorted((from_item(SourceFreshness, r) for r in rows), key=lambda f: f.source)
