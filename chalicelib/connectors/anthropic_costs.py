"""Anthropic Admin API cost report -> CostFacts.

``GET {base}/v1/organizations/cost_report?starting_at=&ending_at=&bucket_width=1d
&group_by[]=workspace_id&group_by[]=description&limit=&page=`` with headers
``x-api-key: <admin key>`` and ``anthropic-version: 2023-06-01``; follow ``next_page``
while ``has_more``.

``amount`` is a DECIMAL STRING IN CENTS (lowest currency units): "123.45" USD is
$1.2345. It is converted exactly (Decimal, scaleb(-2)). Buckets with no cost have
``results: []``. ``workspace_id: null`` is the default workspace.

One fact per (UTC day, workspace, description): category ``api``, provider
``Anthropic``, service = description, vendor key ``anthropic:workspace:<id|default>``.
Asked for and read as every bucketed report is (``bucket_reports.py``).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Optional

from chalicelib.connectors.bucket_reports import BucketReport, Vendor, rfc3339_bucket_day
from chalicelib.connectors.common import rfc3339, to_decimal, vendor_amount
from chalicelib.connectors.errors import SourceUnavailable
from chalicelib.domain.facts import CostFact

SOURCE = "anthropic"
PROVIDER = "Anthropic"
CATEGORY = "api"
DEFAULT_BASE_URL = "https://api.anthropic.com"
ANTHROPIC_VERSION = "2023-06-01"
MAX_LIMIT = 31
DEFAULT_WORKSPACE = "default"
NO_DESCRIPTION = "unspecified"

ANTHROPIC = Vendor(
    source=SOURCE,
    base_url_variable="ANTHROPIC_BASE_URL",
    default_base_url=DEFAULT_BASE_URL,
    window=("starting_at", "ending_at"),
    moment=rfc3339,
    group_by="group_by[]",
    headers=lambda admin_key: {"x-api-key": admin_key, "anthropic-version": ANTHROPIC_VERSION},
    bucket_day=rfc3339_bucket_day,
    error_answer=True,
)
base_url_from_env = ANTHROPIC.base_url


def vendor_key(workspace_id: Optional[str]) -> str:
    return f"anthropic:workspace:{workspace_id or DEFAULT_WORKSPACE}"


def cents_to_dollars(amount: Any) -> Decimal:
    """ "123.45" (cents, string) -> Decimal("1.2345") dollars, exactly."""
    return to_decimal(amount).scaleb(-2)


def _shape(condition: bool, what: str) -> None:
    if not condition:
        raise SourceUnavailable(SOURCE, f"unexpected response shape: {what}")


def _fact(result: dict, where: str, day: date, page_no: int) -> CostFact:
    dollars, currency = vendor_amount(
        result.get("amount"),
        result.get("currency") or "USD",
        _shape,
        f"{where}.amount",
        f"{where}.currency",
        cents_to_dollars,
    )
    workspace_id = result.get("workspace_id")
    description = result.get("description")
    _shape(workspace_id is None or isinstance(workspace_id, str), f"{where}.workspace_id")
    _shape(description is None or isinstance(description, str), f"{where}.description")
    return CostFact(
        day=day,
        source=SOURCE,
        category=CATEGORY,
        provider=PROVIDER,
        service=description or NO_DESCRIPTION,
        billed_cost=dollars,
        effective_cost=dollars,
        currency=currency,
        vendor_key=vendor_key(workspace_id),
        provenance=f"anthropic cost_report {day.isoformat()} page {page_no}",
    )


COSTS = BucketReport(
    ANTHROPIC, "/v1/organizations/cost_report", ("workspace_id", "description"), _shape, _fact, max_limit=MAX_LIMIT
)
# parse_cost_report_page(payload, *, page_no, start, end) -> (facts, next cursor or None, days answered)
parse_cost_report_page = COSTS.parse_page
# pull(admin_key, start, end, *, base_url, limit=31, config, session) -> Pulled: every Anthropic cost in
# [start, end), one fact per day/workspace/description, and the days Anthropic answered with a bucket
pull = COSTS.pull
