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
from typing import Any

from chalicelib.connectors.anthropic_costs import ANTHROPIC, PROVIDER, vendor_key
from chalicelib.connectors.bucket_reports import BucketReport
from chalicelib.connectors.errors import SourceUnavailable
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


def _fact(result: dict, where: str, day: date, page_no: int) -> UsageFact:
    workspace_id, model = result.get("workspace_id"), result.get("model")
    _shape(workspace_id is None or isinstance(workspace_id, str), f"{where}.workspace_id")
    _shape(model is None or isinstance(model, str), f"{where}.model")
    _shape(
        "uncached_input_tokens" in result and "output_tokens" in result,
        f"{where} has no uncached_input_tokens or output_tokens",
    )
    return UsageFact(
        day=day,
        source=SOURCE,
        provider=PROVIDER,
        model=model or NO_MODEL,
        vendor_key=vendor_key(workspace_id),
        input_tokens=_tokens(result.get("uncached_input_tokens"), f"{where}.uncached_input_tokens"),
        cached_input_tokens=_tokens(result.get("cache_read_input_tokens"), f"{where}.cache_read_input_tokens"),
        cache_write_tokens=_cache_writes(result, where),
        output_tokens=_tokens(result.get("output_tokens"), f"{where}.output_tokens"),
        requests=None,
        provenance=f"anthropic usage_report {day.isoformat()} page {page_no}",
    )


USAGE = BucketReport(ANTHROPIC, PATH, ("workspace_id", "model"), _shape, _fact, max_limit=MAX_LIMIT, merge=merge_usage)
# parse_usage_page(payload, *, page_no, start, end) -> (facts, next cursor or None, days answered)
parse_usage_page = USAGE.parse_page
# pull(admin_key, start, end, *, base_url, limit=31, config, session) -> Pulled: every Anthropic messages
# usage row in [start, end), one fact per day/workspace/model, and the days Anthropic answered with a bucket
pull = USAGE.pull
