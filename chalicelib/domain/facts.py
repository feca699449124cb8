"""The two kinds of fact everything else is computed from: money spent and units done."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal

UNALLOCATED = "unallocated"
SHARED_TEAM = "shared"

# The cost iceberg: API spend is the visible tip, the rest is hidden below it.
CATEGORIES = ("api", "self_hosted", "vector_db", "observability", "storage", "human_review", "other")


@dataclass(frozen=True)
class CostFact:
    """Money spent on one UTC day by one source, for one (provider, service, vendor key)."""

    day: date
    source: str  # connector that produced it: openai, anthropic, aws, focus, csv, human_review
    category: str  # one of CATEGORIES
    provider: str  # who billed it: OpenAI, Anthropic, AWS, Pinecone, ...
    service: str  # line item / description / service name
    billed_cost: Decimal
    effective_cost: Decimal  # after discounts and credits; the amount allocated
    currency: str = "USD"
    vendor_key: str = ""  # what Mappings match on, e.g. "openai:project:proj_abc"
    team: str = UNALLOCATED
    use_case: str = UNALLOCATED
    provenance: str = ""  # where it came from, for an auditor: bucket, file and row, ...

    def allocated_to(self, team: str, use_case: str) -> "CostFact":
        return replace(self, team=team, use_case=use_case)

    @property
    def identity(self) -> str:
        """Unique within (source, day): re-pulling a day replaces facts with the same identity."""
        return "|".join((self.category, self.provider, self.service, self.vendor_key, self.team, self.use_case))


@dataclass(frozen=True)
class DailyUnits:
    """Work items completed for one use case on one UTC day."""

    use_case: str
    day: date
    units: int = 0  # every processed item, whatever its status
    success_units: int = 0
    review_minutes: Decimal = field(default_factory=lambda: Decimal(0))
