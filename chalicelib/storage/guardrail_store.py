"""Each use case's latest computed guardrail, written by the pipeline, read by agents."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Iterable, Optional

from chalicelib.storage.batching import batch_write, query_all
from chalicelib.storage.records import from_item, to_item

PK = "GUARDRAIL"


@dataclass(frozen=True)
class GuardrailHint:
    """One optimization hint as agents read it (chalicelib/domain/optimization.py)."""

    rank: int
    lever: str  # model | cache | human_review | retries
    title: str
    detail: str
    saving_per_unit: Decimal
    saving_per_month: Decimal
    month: str  # the month it was computed on ("YYYY-MM"; the open month is to date)


@dataclass(frozen=True)
class Guardrail:
    use_case: str
    paused: bool = False
    colour: Optional[str] = None
    reason: str = ""
    cost_per_unit: Optional[Decimal] = None
    target: Optional[Decimal] = None
    month_to_date_cost: Optional[Decimal] = None
    budget_remaining: Optional[Decimal] = None
    as_of: Optional[str] = None
    critical_since: Optional[date] = None  # the latched critical episode's first day, if any
    # what cost_per_unit is: "2026-W48" (a complete week) or "2026-12-01 to 2026-12-02" (the month
    # through its last day with counts)
    cost_per_unit_period: str = ""
    cost_per_unit_this_week: Optional[Decimal] = None  # the current week's days with counts, so far
    counts_reported_through: Optional[date] = None  # the latest UTC day with posted work items
    hints: tuple[GuardrailHint, ...] = ()  # the biggest levers, largest first (empty: none, or on target)


class GuardrailStore:
    def __init__(self, resource, table: str):
        self._resource = resource
        self._table_name = table

    def get(self, use_case: str) -> Optional[Guardrail]:
        row = self._resource.Table(self._table_name).get_item(Key={"pk": PK, "sk": use_case}).get("Item")
        return from_item(Guardrail, row) if row else None

    def all(self) -> list[Guardrail]:
        rows = query_all(
            self._resource.Table(self._table_name),
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": PK},
        )
        return [from_item(Guardrail, r) for r in rows]

    def put_all(self, guardrails: Iterable[Guardrail]) -> int:
        """Store each guardrail unless a later judgement is already stored: a run with an earlier clock
        (a back-dated sync) reports its moment but never lifts, or sets, what agents are told now."""
        later = {g.use_case: g.as_of for g in self.all() if g.as_of}
        requests = [
            {"PutRequest": {"Item": {"pk": PK, "sk": g.use_case, **to_item(g)}}}
            for g in guardrails
            if not (g.as_of and later.get(g.use_case, "") > g.as_of)
        ]
        return batch_write(self._resource, self._table_name, requests)
