"""Anthropic Admin API messages usage report -> UsageFacts.

``GET {base}/v1/organizations/usage_report/messages?starting_at=&ending_at=&bucket_width=1d
&group_by[]=workspace_id&group_by[]=model&limit=&page=`` with ``x-api-key: <admin key>`` and
``anthropic-version: 2023-06-01``; follow ``next_page`` while ``has_more``. Daily buckets (RFC 3339),
1..31 a page (default 7). Each result counts ``uncached_input_tokens``, ``cache_read_input_tokens``,
the cache writes (``cache_creation: {ephemeral_5m_input_tokens, ephemeral_1h_input_tokens}``, or
the flat ``cache_creation_5m_input_tokens`` / ``cache_creation_1h_input_tokens``: both are read)
and ``output_tokens``; fields not grouped by are null, ``workspace_id: null`` is the default
workspace. The report counts no requests: a fact's ``requests`` is None.

One fact per (UTC day, workspace, model): vendor key ``anthropic:workspace:<id|default>``, the cost
connector's own.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Optional

import requests

from chalicelib.connectors.anthropic_costs import ANTHROPIC_VERSION, PROVIDER, base_url_from_env, vendor_key
from chalicelib.connectors.common import Pulled, bucket_page, check_window, in_window, parse_timestamp, rfc3339
from chalicelib.connectors.errors import SourceUnavailable
from chalicelib.connectors.vendor_http import HttpConfig, pull_pages
from chalicelib.domain.usage import UsageFact, merge_usage

SOURCE = "anthropic"
FRESHNESS = "anthropic usage"
PATH = "/v1/organizations/usage_report/messages"
MAX_LIMIT = 31
NO_MODEL = "unspecified"
_CACHE_WRITES = (
    ("ephemeral_5m_input_tokens", "cache_creation_5m_input_tokens"),
    ("ephemeral_1h_input_tokens", "cache_creation_1h_input_tokens"),
)


def _shape(condition: bool, what: str) -> None:
    if not condition:
        raise SourceUnavailable(SOURCE, f"unexpected usage response shape: {what}")


def _tokens(value: Any, what: str) -> int:
    if value is None:
        return 0
    _shape(
        isinstance(value, int) and not isinstance(value, bool) and value >= 0,
        f"{what} is not a token count ({value!r})",
    )
    return value


def _cache_writes(result: dict, where: str) -> int:
    nested = result.get("cache_creation")
    _shape(nested is None or isinstance(nested, dict), f"{where}.cache_creation is not an object")
    total = 0
    for inner, flat in _CACHE_WRITES:
        if isinstance(nested, dict) and nested.get(inner) is not None:
            total += _tokens(nested.get(inner), f"{where}.cache_creation.{inner}")
        else:
            total += _tokens(result.get(flat), f"{where}.{flat}")
    return total


def parse_usage_page(
    payload: Any, *, page_no: int = 1, start: Optional[date] = None, end: Optional[date] = None
) -> tuple[list[UsageFact], Optional[str], set[date]]:
    """Facts of one usage report page, the next cursor (None at the end) and the days in the window
    the page has a bucket for (answered, even with ``results: []``)."""
    _shape(isinstance(payload, dict), "page is not an object")
    if payload.get("type") == "error":
        raise SourceUnavailable(SOURCE, f"error response: {payload.get('error')}")
    data, next_cursor = bucket_page(payload, _shape)
    facts: list[UsageFact] = []
    answered: set[date] = set()
    for b, bucket in enumerate(data):
        _shape(isinstance(bucket, dict), f"data[{b}] is not an object")
        starting_at = bucket.get("starting_at")
        _shape(isinstance(starting_at, str), f"data[{b}].starting_at is not a string")
        try:
            day = parse_timestamp(starting_at).date()
        except ValueError:
            raise SourceUnavailable(
                SOURCE, f"unexpected usage response shape: data[{b}].starting_at {starting_at!r}"
            ) from None
        results = bucket.get("results")
        _shape(isinstance(results, list), f"data[{b}].results is not a list")
        if not in_window(day, start, end):
            continue
        answered.add(day)
        for r, result in enumerate(results):
            where = f"data[{b}].results[{r}]"
            _shape(isinstance(result, dict), f"{where} is not an object")
            workspace_id, model = result.get("workspace_id"), result.get("model")
            _shape(workspace_id is None or isinstance(workspace_id, str), f"{where}.workspace_id")
            _shape(model is None or isinstance(model, str), f"{where}.model")
            _shape(
                "uncached_input_tokens" in result and "output_tokens" in result,
                f"{where} has no uncached_input_tokens or output_tokens",
            )
            facts.append(
                UsageFact(
                    day=day,
                    source=SOURCE,
                    provider=PROVIDER,
                    model=model or NO_MODEL,
                    vendor_key=vendor_key(workspace_id),
                    input_tokens=_tokens(result.get("uncached_input_tokens"), f"{where}.uncached_input_tokens"),
                    cached_input_tokens=_tokens(
                        result.get("cache_read_input_tokens"), f"{where}.cache_read_input_tokens"
                    ),
                    cache_write_tokens=_cache_writes(result, where),
                    output_tokens=_tokens(result.get("output_tokens"), f"{where}.output_tokens"),
                    requests=None,
                    provenance=f"anthropic usage_report {day.isoformat()} page {page_no}",
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
    """Every Anthropic messages usage row in [start, end) (UTC days), one fact per day/workspace/model,
    and the days Anthropic answered with a bucket. Raises SourceUnavailable on any failure."""
    check_window(start, end)
    if not admin_key:
        raise SourceUnavailable(SOURCE, "no admin key configured")
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit must be 1..{MAX_LIMIT}")
    config = config or HttpConfig.from_env()
    url = (base_url.rstrip("/") if base_url else base_url_from_env()) + PATH
    params = [
        ("starting_at", rfc3339(start)),
        ("ending_at", rfc3339(end)),
        ("bucket_width", "1d"),
        ("group_by[]", "workspace_id"),
        ("group_by[]", "model"),
        ("limit", limit),
    ]
    headers = {"x-api-key": admin_key, "anthropic-version": ANTHROPIC_VERSION}
    return pull_pages(
        SOURCE,
        url,
        params=params,
        headers=headers,
        config=config,
        session=session,
        merge=merge_usage,
        parse_page=lambda payload, n: parse_usage_page(payload, page_no=n, start=start, end=end),
    )
