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
"""

from __future__ import annotations

import os
from datetime import date
from decimal import Decimal
from typing import Any, Optional

import requests

from chalicelib.connectors.common import (
    Pulled,
    bucket_page,
    check_window,
    in_window,
    parse_timestamp,
    rfc3339,
    to_decimal,
)
from chalicelib.connectors.errors import SourceUnavailable
from chalicelib.connectors.vendor_http import HttpConfig, pull_pages
from chalicelib.domain.facts import CostFact

SOURCE = "anthropic"
PROVIDER = "Anthropic"
CATEGORY = "api"
DEFAULT_BASE_URL = "https://api.anthropic.com"
ANTHROPIC_VERSION = "2023-06-01"
MAX_LIMIT = 31
DEFAULT_WORKSPACE = "default"
NO_DESCRIPTION = "unspecified"


def vendor_key(workspace_id: Optional[str]) -> str:
    return f"anthropic:workspace:{workspace_id or DEFAULT_WORKSPACE}"


def cents_to_dollars(amount: Any) -> Decimal:
    """ "123.45" (cents, string) -> Decimal("1.2345") dollars, exactly."""
    return to_decimal(amount).scaleb(-2)


def base_url_from_env() -> str:
    return (os.environ.get("ANTHROPIC_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")


def _shape(condition: bool, what: str) -> None:
    if not condition:
        raise SourceUnavailable(SOURCE, f"unexpected response shape: {what}")


def parse_cost_report_page(
    payload: Any,
    *,
    page_no: int = 1,
    start: Optional[date] = None,
    end: Optional[date] = None,
) -> tuple[list[CostFact], Optional[str], set[date]]:
    """Facts from one cost report page, the next page cursor (None at the end) and the days
    in the window the page has a bucket for (answered, even with ``results: []``)."""
    _shape(isinstance(payload, dict), "page is not an object")
    if payload.get("type") == "error":
        raise SourceUnavailable(SOURCE, f"error response: {payload.get('error')}")
    data, next_cursor = bucket_page(payload, _shape)

    facts: list[CostFact] = []
    answered: set[date] = set()
    for b, bucket in enumerate(data):
        _shape(isinstance(bucket, dict), f"data[{b}] is not an object")
        starting_at = bucket.get("starting_at")
        _shape(isinstance(starting_at, str), f"data[{b}].starting_at is not a string")
        try:
            day = parse_timestamp(starting_at).date()
        except ValueError:
            raise SourceUnavailable(SOURCE, f"unexpected response shape: data[{b}].starting_at {starting_at!r}")
        results = bucket.get("results")
        _shape(isinstance(results, list), f"data[{b}].results is not a list")
        if not in_window(day, start, end):
            continue
        answered.add(day)  # a bucket for the day answers it, even with no results
        for r, result in enumerate(results):
            where = f"data[{b}].results[{r}]"
            _shape(isinstance(result, dict), f"{where} is not an object")
            try:
                dollars = cents_to_dollars(result.get("amount"))
            except ValueError as exc:
                raise SourceUnavailable(SOURCE, f"unexpected response shape: {where}.amount: {exc}")
            currency = result.get("currency") or "USD"
            _shape(isinstance(currency, str) and len(currency.strip()) == 3, f"{where}.currency")
            workspace_id = result.get("workspace_id")
            description = result.get("description")
            _shape(workspace_id is None or isinstance(workspace_id, str), f"{where}.workspace_id")
            _shape(description is None or isinstance(description, str), f"{where}.description")
            facts.append(
                CostFact(
                    day=day,
                    source=SOURCE,
                    category=CATEGORY,
                    provider=PROVIDER,
                    service=description or NO_DESCRIPTION,
                    billed_cost=dollars,
                    effective_cost=dollars,
                    currency=currency.strip().upper(),
                    vendor_key=vendor_key(workspace_id),
                    provenance=f"anthropic cost_report {day.isoformat()} page {page_no}",
                )
            )
    return facts, next_cursor, answered


def pull(
    admin_key: str,
    start: date,
    end: date,
    *,
    base_url: Optional[str] = None,
    limit: int = MAX_LIMIT,
    config: Optional[HttpConfig] = None,
    session: Optional[requests.Session] = None,
) -> Pulled:
    """Every Anthropic cost in [start, end) (UTC days), one fact per day/workspace/description,
    and the days Anthropic answered with a bucket (a day with no bucket is not answered).

    ``config`` defaults to ``HttpConfig.from_env()``. Raises SourceUnavailable on any
    failure (after retries)."""
    check_window(start, end)
    if not admin_key:
        raise SourceUnavailable(SOURCE, "no admin key configured")
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit must be 1..{MAX_LIMIT}")
    config = config or HttpConfig.from_env()
    url = (base_url.rstrip("/") if base_url else base_url_from_env()) + "/v1/organizations/cost_report"
    headers = {"x-api-key": admin_key, "anthropic-version": ANTHROPIC_VERSION}
    base_params = [
        ("starting_at", rfc3339(start)),
        ("ending_at", rfc3339(end)),
        ("bucket_width", "1d"),
        ("group_by[]", "workspace_id"),
        ("group_by[]", "description"),
        ("limit", limit),
    ]
    return pull_pages(
        SOURCE,
        url,
        params=base_params,
        headers=headers,
        config=config,
        session=session,
        parse_page=lambda payload, page_no: parse_cost_report_page(payload, page_no=page_no, start=start, end=end),
    )
