"""Finance's configuration (read from the sheet) kept in the config table, one item per row."""
from __future__ import annotations

from decimal import Decimal

from chalicelib.domain.organisation import (
    Benchmark, MappingRule, Organisation, PoolAllocation, Settings, SharedCostRule, Team, UseCase,
)
from chalicelib.storage.batching import batch_write, query_all
from chalicelib.storage.records import from_item, to_item

PK = "ORG"
# sort-key prefix -> (Organisation field, row class, the row's own id)
_KINDS = {
    "team": ("teams", Team, lambda r: r.team_id),
    "use_case": ("use_cases", UseCase, lambda r: r.use_case_id),
    "shared_rule": ("shared_rules", SharedCostRule, lambda r: r.key),
    "mapping": ("mappings", MappingRule, lambda r: r.vendor_key),
    "pool_allocation": ("pool_allocations", PoolAllocation, lambda r: r.allocation_id),
    "benchmark": ("benchmarks", Benchmark, lambda r: r.name),
}


class OrganisationStore:
    def __init__(self, resource, table: str):
        self._resource = resource
        self._table_name = table

    def load(self) -> Organisation:
        rows = query_all(self._resource.Table(self._table_name),
                         KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": PK})
        found: dict = {field: [] for field, _, _ in _KINDS.values()}
        settings, expected = Settings(), {}
        for row in rows:
            kind, _, ident = row["sk"].partition("#")
            data = {k: v for k, v in row.items() if k not in ("pk", "sk")}
            if kind == "settings":
                settings = from_item(Settings, data)
            elif kind == "expected_total":
                expected[ident] = Decimal(data["amount"])
            elif kind in _KINDS:
                field, cls, _ = _KINDS[kind]
                found[field].append(from_item(cls, data))
        defaults = Organisation()
        return Organisation(
            settings=settings,
            teams=tuple(found["teams"]),
            use_cases=tuple(found["use_cases"]),
            shared_rules=tuple(found["shared_rules"]),
            mappings=tuple(found["mappings"]),
            pool_allocations=tuple(found["pool_allocations"]),
            expected_totals=expected,
            benchmarks=tuple(found["benchmarks"]) or defaults.benchmarks,
        )

    def save(self, org: Organisation) -> int:
        """Replace the stored configuration with `org`; returns BatchWriteItem calls made."""
        wanted = {"settings": to_item(org.settings)}
        for kind, (field, _, ident) in _KINDS.items():
            for row in getattr(org, field):
                wanted[f"{kind}#{ident(row)}"] = to_item(row)
        for month, amount in org.expected_totals.items():
            wanted[f"expected_total#{month}"] = {"amount": Decimal(amount)}
        table = self._resource.Table(self._table_name)
        existing = query_all(table, KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": PK},
                             ProjectionExpression="pk, sk")
        requests = [{"PutRequest": {"Item": {"pk": PK, "sk": sk, **data}}} for sk, data in wanted.items()]
        requests += [{"DeleteRequest": {"Key": {"pk": PK, "sk": row["sk"]}}}
                     for row in existing if row["sk"] not in wanted]
        return batch_write(self._resource, self._table_name, requests)
