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
from typing import NoReturn, Optional

from chalicelib.connectors.bucket_reports import BucketReport
from chalicelib.connectors.errors import SourceUnavailable
from chalicelib.connectors.openai_costs import OPENAI, PROVIDER, vendor_key
from chalicelib.domain.usage import UsageFact, merge_usage

SOURCE = "openai"
FRESHNESS = "openai usage"  # its line in the freshness store (the costs are "openai")
PATH = "/organization/usage/completions"
RESULT_OBJECT = "organization.usage.completions.result"
MAX_LIMIT = 31
NO_MODEL = "unspecified"


def _refuse(what: str) -> NoReturn:
    raise SourceUnavailable(SOURCE, f"unexpected usage response shape: {what}")


def _shape(condition: bool, what: str) -> None:
    if not condition:
        _refuse(what)


def _count(result: dict, name: str, where: str) -> Optional[int]:
    """A token or request count the answer may leave out (None)."""
    value = result.get(name)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        _refuse(f"{where}.{name} is not a token count ({value!r})")
    return value


def _required_count(result: dict, name: str, where: str) -> int:
    value = _count(result, name, where)
    if value is None:
        _refuse(f"{where}.{name} is missing")
    return value


def _fact(result: dict, where: str, day: date, page_no: int) -> UsageFact:
    obj = result.get("object", RESULT_OBJECT)
    _shape(obj == RESULT_OBJECT, f"{where}.object is {obj!r}")
    total_input = _required_count(result, "input_tokens", where)
    output = _required_count(result, "output_tokens", where)
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
    return UsageFact(
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


USAGE = BucketReport(OPENAI, PATH, ("project_id", "model"), _shape, _fact, max_limit=MAX_LIMIT, merge=merge_usage)
# parse_usage_page(payload, *, page_no, start, end) -> (facts, next cursor or None, days answered)
parse_usage_page = USAGE.parse_page
# pull(admin_key, start, end, *, base_url, limit=31, config, session) -> Pulled: every OpenAI completions
# usage row in [start, end), one fact per day/project/model, and the days OpenAI answered with a bucket
pull = USAGE.pull
