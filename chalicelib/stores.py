"""The stores the services use, one of each (chalicelib/storage/interfaces.py says what each does).

`Stores` holds them; `dynamodb_stores` builds them on DynamoDB tables (chalicelib.bootstrap does,
once per process), `storage.in_memory.in_memory_stores` builds them in memory (the service tests).

`stores()` and `organisation()` answer with this process's (`bootstrap.backend()`): what the
operator's CLI, the sheet commands and the run requests use.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Callable, cast

if TYPE_CHECKING:
    from chalicelib.domain.organisation import Organisation
    from chalicelib.runtime import TableNames
    from chalicelib.storage.interfaces import (
        Alerts,
        CostFacts,
        Freshness,
        Guardrails,
        Organisations,
        PoolCredits,
        Runs,
        Snapshots,
        Tokens,
        TokenUsage,
        WorkItems,
    )


@dataclass
class Stores:
    tokens: Tokens
    organisation: Organisations
    work_items: WorkItems
    guardrails: Guardrails
    ledger: CostFacts
    freshness: Freshness
    # The pipeline's stores by name ("pool", "runs", "alerts", "usage", "snapshots"), each built on
    # first use: the API Lambda's cold start never imports them.
    pipeline_store: Callable[[str], Any] = field(repr=False, compare=False)

    @cached_property
    def pool(self) -> PoolCredits:
        return cast("PoolCredits", self.pipeline_store("pool"))

    @cached_property
    def runs(self) -> Runs:
        return cast("Runs", self.pipeline_store("runs"))

    @cached_property
    def alerts(self) -> Alerts:
        return cast("Alerts", self.pipeline_store("alerts"))

    @cached_property
    def usage(self) -> TokenUsage:
        return cast("TokenUsage", self.pipeline_store("usage"))

    @cached_property
    def snapshots(self) -> Snapshots:
        return cast("Snapshots", self.pipeline_store("snapshots"))


def dynamodb_stores(resource: Any, names: TableNames) -> Stores:
    """The stores on DynamoDB: `resource` (boto3's DynamoDB resource), the tables `names` gives."""
    from chalicelib.storage.cost_ledger import CostLedger
    from chalicelib.storage.freshness_store import FreshnessStore
    from chalicelib.storage.guardrail_store import GuardrailStore
    from chalicelib.storage.organisation_store import OrganisationStore
    from chalicelib.storage.tokens import TokenStore
    from chalicelib.storage.work_items import WorkItemStore

    def pipeline_store(name: str) -> Any:
        if name == "pool":
            from chalicelib.storage.pool_store import PoolStore

            return PoolStore(resource, names.config)
        if name == "runs":
            from chalicelib.storage.run_store import RunStore

            return RunStore(resource, names.config)
        if name == "alerts":
            from chalicelib.storage.alert_store import AlertStore

            return AlertStore(resource, names.config)
        if name == "usage":
            from chalicelib.storage.usage_store import UsageStore

            return UsageStore(resource, names.config)
        if name == "snapshots":
            from chalicelib.storage.snapshot_store import SnapshotStore

            return SnapshotStore(resource, names.config)
        raise KeyError(name)

    return Stores(
        tokens=TokenStore(resource, names.config),
        organisation=OrganisationStore(resource, names.config),
        work_items=WorkItemStore(resource, names.work_items, names.unit_counts),
        guardrails=GuardrailStore(resource, names.config),
        ledger=CostLedger(resource, names.cost_facts),
        freshness=FreshnessStore(resource, names.config),
        pipeline_store=pipeline_store,
    )


def stores() -> Stores:
    """This process's stores (built once, on first use, by chalicelib.bootstrap)."""
    from chalicelib import bootstrap

    return bootstrap.backend().stores


def organisation() -> Organisation:
    """Finance's configuration as this process last read it (re-read at most every
    `bootstrap.ORG_CACHE_SECONDS`)."""
    from chalicelib import bootstrap

    return bootstrap.backend().organisation()
