"""OpenAI organization Usage API (completions) -> UsageFacts.

``GET {base}/organization/usage/completions?start_time=&end_time=&bucket_width=1d&group_by=project_id
&group_by=model&limit=&page=`` with ``Authorization: Bearer <admin key>`` (the key the Costs API
takes); follow ``next_page`` while ``has_more``. Daily buckets (Unix seconds); ``limit`` is 1..31
buckets for ``1d`` (default 7). Each result (``organization.usage.completions.result``) counts
``input_tokens`` (cached, cache-write and uncached together), ``input_cached_tokens``,
``input_cache_write_tokens``, ``input_uncached_tokens``, ``output_tokens`` and
``num_model_requests``; the fields not grouped by are null.

One fact per (UTC day, project, model): vendor key ``openai:project:<project_id>`` (``none`` when
OpenAI reports no project), the cost connector's own, so the Mappings tab places usage where it
places cost. Uncached input is ``input_uncached_tokens`` when the answer has it, else
``input_tokens`` less the cached and cache-write tokens (older answers have neither breakdown
field but ``input_cached_tokens``).
"""

from __future__ import annotations

from datetime import date
from typing import Any, Optional

import requests

from chalicelib.connectors.common import Pulled, bucket_page, check_window, in_window, unix_seconds, utc_day_of_unix
from chalicelib.connectors.errors import SourceUnavailable
from chalicelib.connectors.openai_costs import PROVIDER, base_url_from_env, vendor_key
from chalicelib.connectors.vendor_http import HttpConfig, pull_pages
from chalicelib.domain.usage import UsageFact, merge_usage

SOURCE = "openai"
FRESHNESS = "openai usage"  # its line in the freshness store (the costs are "openai")
PATH = "/organization/usage/completions"
RESULT_OBJECT = "organization.usage.completions.result"
MAX_LIMIT = 31
NO_MODEL = "unspecified"


def _shape(condition: bool, what: str) -> None:
    if not condition:
        raise SourceUnavailable(SOURCE, f"unexpected usage response shape: {what}")


def _count(result: dict, name: str, where: str, required: bool = False) -> Optional[int]:
    value = result.get(name)
    if value is None:
        _shape(not required, f"{where}.{name} is missing")
        return None
    _shape(
        isinstance(value, int) and not isinstance(value, bool) and value >= 0,
        f"{where}.{name} is not a token count ({value!r})",
    )
    return value


def parse_usage_page(
    payload: Any, *, page_no: int = 1, start: Optional[date] = None, end: Optional[date] = None
) -> tuple[list[UsageFact], Optional[str], set[date]]:
    """Facts of one usage page, the next cursor (None at the end) and the days in the window the page
    has a bucket for (answered, even with no results). Unexpected shapes -> SourceUnavailable."""
    data, next_cursor = bucket_page(payload, _shape)
    facts: list[UsageFact] = []
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
        answered.add(day)
        for r, result in enumerate(results):
            where = f"data[{b}].results[{r}]"
            _shape(isinstance(result, dict), f"{where} is not an object")
            obj = result.get("object", RESULT_OBJECT)
            _shape(obj == RESULT_OBJECT, f"{where}.object is {obj!r}")
            total_input = _count(result, "input_tokens", where, required=True)
            output = _count(result, "output_tokens", where, required=True)
            cached = _count(result, "input_cached_tokens", where) or 0
            written = _count(result, "input_cache_write_tokens", where) or 0
            uncached = _count(result, "input_uncached_tokens", where)
            if uncached is None:
                uncached = total_input - cached - written
                _shape(uncached >= 0, f"{where}: cached tokens exceed input_tokens")
            requests_ = _count(result, "num_model_requests", where)
            project_id, model = result.get("project_id"), result.get("model")
            _shape(project_id is None or isinstance(project_id, str), f"{where}.project_id")
            _shape(model is None or isinstance(model, str), f"{where}.model")
            facts.append(
                UsageFact(
                    day=day,
                    source=SOURCE,
                    provider=PROVIDER,
                    model=model or NO_MODEL,
                    vendor_key=vendor_key(project_id),
                    input_tokens=uncached,
                    cached_input_tokens=cached,
                    cache_write_tokens=written,
                    output_tokens=output,
                    requests=requests_,
                    provenance=f"openai usage {day.isoformat()} page {page_no}",
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
    """Every OpenAI completions usage row in [start, end) (UTC days), one fact per day/project/model,
    and the days OpenAI answered with a bucket. Raises SourceUnavailable on any failure."""
    check_window(start, end)
    if not admin_key:
        raise SourceUnavailable(SOURCE, "no admin key configured")
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit must be 1..{MAX_LIMIT}")
    config = config or HttpConfig.from_env()
    url = (base_url.rstrip("/") if base_url else base_url_from_env()) + PATH
    params = [
        ("start_time", unix_seconds(start)),
        ("end_time", unix_seconds(end)),
        ("bucket_width", "1d"),
        ("group_by", "project_id"),
        ("group_by", "model"),
        ("limit", limit),
    ]
    return pull_pages(
        SOURCE,
        url,
        params=params,
        headers={"Authorization": f"Bearer {admin_key}"},
        config=config,
        session=session,
        merge=merge_usage,
        parse_page=lambda payload, n: parse_usage_page(payload, page_no=n, start=start, end=end),
    )
