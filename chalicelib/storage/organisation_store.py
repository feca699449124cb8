"""Finance's configuration (read from the sheet) kept in the config table, one item per row.

Each save writes a new generation (pk "ORG#<n>"), then switches one pointer item to it, so
readers see the old configuration or the new one, never a mix, even if a save dies halfway.
The generation before is deleted after the switch; leftovers of a failed save are deleted by
the next one.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Optional

from chalicelib.domain.model_prices import ModelPrice
from chalicelib.domain.organisation import (
    Benchmark,
    MappingRule,
    Organisation,
    PoolAllocation,
    Settings,
    SharedCostRule,
    Team,
    UseCase,
)
from chalicelib.domain.terms import TeamTerms, UseCaseTerms, effective_date, record
from chalicelib.storage.batching import batch_write, query_all
from chalicelib.storage.records import from_item, to_item

POINTER = {"pk": "ORG", "sk": "current"}
HISTORY_PK = "TERMS"  # one item per use case or team: its terms, one entry per change (never per run)
_HISTORY_KINDS = {"use_case": ("terms_history", UseCaseTerms), "team": ("team_history", TeamTerms)}
GENERATION_PREFIX = "ORG#"
# sort-key prefix -> (Organisation field, row class, the row's own id)
_KINDS = {
    "team": ("teams", Team, lambda r: r.team_id),
    "use_case": ("use_cases", UseCase, lambda r: r.use_case_id),
    "shared_rule": ("shared_rules", SharedCostRule, lambda r: r.key),
    "mapping": ("mappings", MappingRule, lambda r: r.vendor_key),
    "pool_allocation": ("pool_allocations", PoolAllocation, lambda r: r.allocation_id),
    "benchmark": ("benchmarks", Benchmark, lambda r: r.name),
    "model_price": ("model_prices", ModelPrice, lambda r: r.model),
}


class OrganisationStore:
    def __init__(self, resource, table: str):
        self._resource = resource
        self._table_name = table

    def _generation(self) -> int:
        row = self._resource.Table(self._table_name).get_item(Key=POINTER, ConsistentRead=True).get("Item")
        return int(row["generation"]) if row else 0

    def _rows(self, generation: int, projection: str | None = None) -> list:
        kwargs = {
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": f"{GENERATION_PREFIX}{generation}"},
        }
        if projection:
            kwargs["ProjectionExpression"] = projection
        return query_all(self._resource.Table(self._table_name), **kwargs)

    def load(self) -> Organisation:
        generation = self._generation()
        rows = self._rows(generation) if generation else []
        return organisation_from_rows({row["sk"]: row for row in rows}, self._histories())

    def _histories(self) -> dict:
        rows = query_all(
            self._resource.Table(self._table_name),
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": HISTORY_PK},
        )
        return histories_from_rows({row["sk"]: row.get("entries", []) for row in rows})

    def record_terms(self, org: Organisation, today: date, stored: Optional[Organisation] = None) -> Organisation:
        """Add each changed use case's and team's terms to their history (in force from the row's
        "Effective from", else `today`); returns `org` carrying the whole history."""
        known = (
            self._histories()
            if stored is None
            else {"terms_history": stored.terms_history, "team_history": stored.team_history}
        )
        histories, changed = recorded_terms(known, org, today)
        puts = [{"PutRequest": {"Item": {"pk": HISTORY_PK, "sk": sk, "entries": e}}} for sk, e in changed.items()]
        if puts:
            batch_write(self._resource, self._table_name, puts)
        return replace(org, **histories)

    def save(self, org: Organisation) -> int:
        """Make `org` the configuration; returns the BatchWriteItem calls made."""
        wanted = organisation_rows(org)
        table = self._resource.Table(self._table_name)
        current = self._generation()
        new = current + 1
        pk = f"{GENERATION_PREFIX}{new}"
        # A failed earlier save may have left rows under this generation: start it clean.
        stale = [
            {"DeleteRequest": {"Key": {"pk": pk, "sk": r["sk"]}}}
            for r in self._rows(new, "pk, sk")
            if r["sk"] not in wanted
        ]
        calls = batch_write(
            self._resource,
            self._table_name,
            stale + [{"PutRequest": {"Item": {"pk": pk, "sk": sk, **data}}} for sk, data in wanted.items()],
        )
        # The switch: only one save wins a race for the same generation.
        table.put_item(
            Item={**POINTER, "generation": new},
            ConditionExpression="attribute_not_exists(pk) OR generation = :g",
            ExpressionAttributeValues={":g": current},
        )
        if current:
            old = [{"DeleteRequest": {"Key": {"pk": r["pk"], "sk": r["sk"]}}} for r in self._rows(current, "pk, sk")]
            calls += batch_write(self._resource, self._table_name, old)
        return calls


# --- finance's configuration as rows (sort key -> attributes): what any store of it keeps ----------


def organisation_rows(org: Organisation) -> dict:
    """`org` as the rows a save writes, by sort key ("settings", "team#claims", ...)."""
    rows = {"settings": to_item(org.settings)}
    for kind, (field, _, ident) in _KINDS.items():
        for row in getattr(org, field):
            rows[f"{kind}#{ident(row)}"] = to_item(row)
    for month, amount in org.expected_totals.items():
        rows[f"expected_total#{month}"] = {"amount": Decimal(amount)}
    return rows


def organisation_from_rows(rows: dict, histories: dict) -> Organisation:
    """The configuration `rows` hold (read in sort-key order, as a query returns them), carrying
    `histories` ({"terms_history": ..., "team_history": ...})."""
    found: dict = {field: [] for field, _, _ in _KINDS.values()}
    settings, expected = Settings(), {}
    for sk in sorted(rows):
        kind, _, ident = sk.partition("#")
        data = {k: v for k, v in rows[sk].items() if k not in ("pk", "sk")}
        if kind == "settings":
            settings = from_item(Settings, data)
        elif kind == "expected_total":
            expected[ident] = Decimal(data["amount"])
        elif kind in _KINDS:
            field, cls, _ = _KINDS[kind]
            found[field].append(from_item(cls, data))
    defaults = Organisation()
    return Organisation(
        terms_history=histories["terms_history"],
        team_history=histories["team_history"],
        settings=settings,
        teams=tuple(found["teams"]),
        use_cases=tuple(found["use_cases"]),
        shared_rules=tuple(found["shared_rules"]),
        mappings=tuple(found["mappings"]),
        pool_allocations=tuple(found["pool_allocations"]),
        expected_totals=expected,
        benchmarks=tuple(found["benchmarks"]) or defaults.benchmarks,
        model_prices=tuple(found["model_prices"]) or defaults.model_prices,
    )


def histories_from_rows(rows: dict) -> dict:
    """{"terms_history": {use case: entries}, "team_history": {team: entries}} from the history rows
    (sort key "use_case#<id>" or "team#<id>" -> the stored entries)."""
    out: dict = {"terms_history": {}, "team_history": {}}
    for sk in sorted(rows):
        kind, _, ident = sk.partition("#")
        if kind in _HISTORY_KINDS:
            field, cls = _HISTORY_KINDS[kind]
            out[field][ident] = tuple(from_item(cls, e) for e in rows[sk])
    return out


def recorded_terms(known: dict, org: Organisation, today: date) -> tuple[dict, dict]:
    """(every history with `org`'s changed terms added, the changed history rows: sort key -> entries)."""
    histories = {k: dict(v) for k, v in known.items()}
    changed_rows: dict = {}
    current: list[tuple[str, str, UseCaseTerms | TeamTerms, Optional[date]]] = [
        ("use_case", u.use_case_id, UseCaseTerms.of(u, today), u.effective_from) for u in org.use_cases
    ]
    current += [("team", t.team_id, TeamTerms.of(t, today), t.effective_from) for t in org.teams]
    for kind, ident, terms, effective_from in current:
        field, _ = _HISTORY_KINDS[kind]
        history = histories[field].get(ident, ())
        changed = record(history, terms, effective_date(history, effective_from, today))
        if changed is not None:
            histories[field][ident] = changed
            changed_rows[f"{kind}#{ident}"] = [to_item(e) for e in changed]
    return histories, changed_rows
