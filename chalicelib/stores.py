"""The stores the running code uses, wired to the tables named in the environment."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

from chalicelib import runtime
from chalicelib.storage.cost_ledger import CostLedger
from chalicelib.storage.freshness_store import FreshnessStore
from chalicelib.storage.guardrail_store import GuardrailStore
from chalicelib.storage.organisation_store import OrganisationStore
from chalicelib.storage.tokens import TokenStore
from chalicelib.storage.work_items import WorkItemStore

ORG_CACHE_SECONDS = 30  # a sheet edit reaches the API within this long after a sync


@dataclass
class Stores:
    tokens: TokenStore
    organisation: OrganisationStore
    work_items: WorkItemStore
    guardrails: GuardrailStore
    ledger: CostLedger
    freshness: FreshnessStore
    config_table: str = ""
    resource: object = field(default=None, repr=False)

    # The pipeline's stores are built on first use: the API Lambda's cold start never imports them.
    @cached_property
    def pool(self):
        from chalicelib.storage.pool_store import PoolStore

        return PoolStore(self.resource, self.config_table)

    @cached_property
    def runs(self):
        from chalicelib.storage.run_store import RunStore

        return RunStore(self.resource, self.config_table)

    @cached_property
    def alerts(self):
        from chalicelib.storage.alert_store import AlertStore

        return AlertStore(self.resource, self.config_table)

    @cached_property
    def usage(self):
        from chalicelib.storage.usage_store import UsageStore

        return UsageStore(self.resource, self.config_table)

    @cached_property
    def snapshots(self):
        from chalicelib.storage.snapshot_store import SnapshotStore

        return SnapshotStore(self.resource, self.config_table)


@lru_cache(maxsize=None)
def stores() -> Stores:
    names = runtime.TableNames.from_env()
    resource = runtime.dynamodb()
    return Stores(
        tokens=TokenStore(resource, names.config),
        organisation=OrganisationStore(resource, names.config),
        work_items=WorkItemStore(resource, names.work_items, names.unit_counts),
        guardrails=GuardrailStore(resource, names.config),
        ledger=CostLedger(resource, names.cost_facts),
        freshness=FreshnessStore(resource, names.config),
        config_table=names.config,
        resource=resource,
    )


_org_cache: dict = {}


def organisation():
    """Finance's configuration, re-read at most every ORG_CACHE_SECONDS per warm Lambda."""
    cached = _org_cache.get("org")
    if cached and time.monotonic() - cached[0] < ORG_CACHE_SECONDS:
        return cached[1]
    org = stores().organisation.load()
    _org_cache["org"] = (time.monotonic(), org)
    return org


def reset() -> None:
    stores.cache_clear()
    _org_cache.clear()
    runtime.reset()
