"""OpenAI organization Costs API -> CostFacts.

``GET {base}/organization/costs?start_time=&end_time=&bucket_width=1d&group_by=project_id
&group_by=line_item&limit=&page=`` with ``Authorization: Bearer <admin key>``; follow
``next_page`` while ``has_more``. ``amount.value`` is DOLLARS as a JSON number (parsed
as Decimal, never float), ``amount.currency`` lowercase ("usd").

One fact per (UTC day, project, line item): category ``api``, provider ``OpenAI``,
service = line item, vendor key ``openai:project:<project_id>`` (``openai:project:none``
when OpenAI reports no project). OpenAI has no discounts here: effective = billed.
"""

from __future__ import annotations

import os
from datetime import date
from typing import Any, Optional

import requests

from chalicelib.connectors.common import (
    Pulled,
    bucket_page,
    check_window,
    in_window,
    to_decimal,
    unix_seconds,
    utc_day_of_unix,
)
from chalicelib.connectors.errors import SourceUnavailable
from chalicelib.connectors.vendor_http import HttpConfig, pull_pages
from chalicelib.domain.facts import CostFact

SOURCE = "openai"
PROVIDER = "OpenAI"
CATEGORY = "api"
DEFAULT_BASE_URL = "https://api.openai.com/v1"
MAX_LIMIT = 180
NO_PROJECT = "none"
NO_LINE_ITEM = "unspecified"


def vendor_key(project_id: Optional[str]) -> str:
    return f"openai:project:{project_id or NO_PROJECT}"


def base_url_from_env() -> str:
    return (os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")


def _shape(condition: bool, what: str) -> None:
    if not condition:
        raise SourceUnavailable(SOURCE, f"unexpected response shape: {what}")


def parse_costs_page(
    payload: Any,
    *,
    page_no: int = 1,
    start: Optional[date] = None,
    end: Optional[date] = None,
) -> tuple[list[CostFact], Optional[str], set[date]]:
    """Facts from one Costs API page (already parsed with parse_float=Decimal), the next page
    cursor (None when there is no more) and the days in the window the page has a bucket for
    (answered, even when the bucket has no results). Unexpected shapes -> SourceUnavailable.
    Facts are not merged here; ``pull`` merges across pages."""
    data, next_cursor = bucket_page(payload, _shape)

    facts: list[CostFact] = []
    answered: set[date] = set()
    for b, bucket in enumerate(data):
        _shape(isinstance(bucket, dict), f"data[{b}] is not an object")
        start_time = bucket.get("start_time")
        _shape(
            isinstance(start_time, int) and not isinstance(start_time, bool),
            f"data[{b}].start_time is not Unix seconds",
        )
        results = bucket.get("results")
        _shape(isinstance(results, list), f"data[{b}].results is not a list")
        day = utc_day_of_unix(start_time)
        if not in_window(day, start, end):
            continue
        answered.add(day)  # a bucket for the day answers it, even with no results
        for r, result in enumerate(results):
            where = f"data[{b}].results[{r}]"
            _shape(isinstance(result, dict), f"{where} is not an object")
            obj = result.get("object", "organization.costs.result")
            _shape(obj == "organization.costs.result", f"{where}.object is {obj!r}")
            amount = result.get("amount")
            _shape(isinstance(amount, dict), f"{where}.amount is not an object")
            try:
                value = to_decimal(amount.get("value"))
            except ValueError as exc:
                raise SourceUnavailable(SOURCE, f"unexpected response shape: {where}.amount.value: {exc}")
            currency = amount.get("currency") or "usd"
            _shape(isinstance(currency, str) and len(currency.strip()) == 3, f"{where}.amount.currency")
            project_id = result.get("project_id")
            line_item = result.get("line_item")
            _shape(project_id is None or isinstance(project_id, str), f"{where}.project_id")
            _shape(line_item is None or isinstance(line_item, str), f"{where}.line_item")
            facts.append(
                CostFact(
                    day=day,
                    source=SOURCE,
                    category=CATEGORY,
                    provider=PROVIDER,
                    service=line_item or NO_LINE_ITEM,
                    billed_cost=value,
                    effective_cost=value,
                    currency=currency.strip().upper(),
                    vendor_key=vendor_key(project_id),
                    provenance=f"openai costs {day.isoformat()} page {page_no}",
                )
            )
    return facts, next_cursor, answered


def pull(
    admin_key: str,
    start: date,
    end: date,
    *,
    base_url: Optional[str] = None,
    limit: int = 31,
    config: Optional[HttpConfig] = None,
    session: Optional[requests.Session] = None,
) -> Pulled:
    """Every OpenAI cost in [start, end) (UTC days), one fact per day/project/line item, and
    the days OpenAI answered with a bucket (a day with no bucket is not answered).

    ``config`` defaults to ``HttpConfig.from_env()``. Raises SourceUnavailable on any
    failure (after retries)."""
    check_window(start, end)
    if not admin_key:
        raise SourceUnavailable(SOURCE, "no admin key configured")
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit must be 1..{MAX_LIMIT}")
    config = config or HttpConfig.from_env()
    url = (base_url.rstrip("/") if base_url else base_url_from_env()) + "/organization/costs"
    headers = {"Authorization": f"Bearer {admin_key}"}
    base_params = [
        ("start_time", unix_seconds(start)),
        ("end_time", unix_seconds(end)),
        ("bucket_width", "1d"),
        ("group_by", "project_id"),
        ("group_by", "line_item"),
        ("limit", limit),
    ]
    return pull_pages(
        SOURCE,
        url,
        params=base_params,
        headers=headers,
        config=config,
        session=session,
        parse_page=lambda payload, page_no: parse_costs_page(payload, page_no=page_no, start=start, end=end),
    )
