"""OpenAI organization Costs API -> CostFacts.

``GET {base}/organization/costs?start_time=&end_time=&bucket_width=1d&group_by=project_id
&group_by=line_item&limit=&page=`` with ``Authorization: Bearer <admin key>``; follow
``next_page`` while ``has_more``. ``amount.value`` is DOLLARS as a JSON number (parsed
as Decimal, never float), ``amount.currency`` lowercase ("usd").

One fact per (UTC day, project, line item): category ``api``, provider ``OpenAI``,
service = line item, vendor key ``openai:project:<project_id>`` (``openai:project:none``
when OpenAI reports no project). OpenAI has no discounts here: effective = billed.
Asked for and read as every bucketed report is (``bucket_reports.py``).
"""

from __future__ import annotations

from datetime import date
from typing import NoReturn, Optional

from chalicelib.connectors.bucket_reports import BucketReport, Vendor, unix_bucket_day
from chalicelib.connectors.common import unix_seconds, vendor_amount
from chalicelib.connectors.errors import SourceUnavailable
from chalicelib.domain.facts import CostFact

SOURCE = "openai"
PROVIDER = "OpenAI"
CATEGORY = "api"
DEFAULT_BASE_URL = "https://api.openai.com/v1"
MAX_LIMIT = 180
NO_PROJECT = "none"
NO_LINE_ITEM = "unspecified"

OPENAI = Vendor(
    source=SOURCE,
    base_url_variable="OPENAI_BASE_URL",
    default_base_url=DEFAULT_BASE_URL,
    window=("start_time", "end_time"),
    moment=unix_seconds,
    group_by="group_by",
    headers=lambda admin_key: {"Authorization": f"Bearer {admin_key}"},
    bucket_day=unix_bucket_day,
)
base_url_from_env = OPENAI.base_url


def vendor_key(project_id: Optional[str]) -> str:
    return f"openai:project:{project_id or NO_PROJECT}"


def _refuse(what: str) -> NoReturn:
    raise SourceUnavailable(SOURCE, f"unexpected response shape: {what}")


def _shape(condition: bool, what: str) -> None:
    if not condition:
        _refuse(what)


def _fact(result: dict, where: str, day: date, page_no: int) -> CostFact:
    obj = result.get("object", "organization.costs.result")
    _shape(obj == "organization.costs.result", f"{where}.object is {obj!r}")
    amount = result.get("amount")
    if not isinstance(amount, dict):
        _refuse(f"{where}.amount is not an object")
    value, currency = vendor_amount(
        amount.get("value"),
        amount.get("currency") or "usd",
        _shape,
        f"{where}.amount.value",
        f"{where}.amount.currency",
    )
    project_id = result.get("project_id")
    line_item = result.get("line_item")
    _shape(project_id is None or isinstance(project_id, str), f"{where}.project_id")
    _shape(line_item is None or isinstance(line_item, str), f"{where}.line_item")
    return CostFact(
        day=day,
        source=SOURCE,
        category=CATEGORY,
        provider=PROVIDER,
        service=line_item or NO_LINE_ITEM,
        billed_cost=value,
        effective_cost=value,
        currency=currency,
        vendor_key=vendor_key(project_id),
        provenance=f"openai costs {day.isoformat()} page {page_no}",
    )


COSTS = BucketReport(OPENAI, "/organization/costs", ("project_id", "line_item"), _shape, _fact, max_limit=MAX_LIMIT)
# parse_costs_page(payload, *, page_no, start, end) -> (facts, next cursor or None, days answered)
parse_costs_page = COSTS.parse_page
# pull(admin_key, start, end, *, base_url, limit=31, config, session) -> Pulled: every OpenAI cost in
# [start, end), one fact per day/project/line item, and the days OpenAI answered with a bucket
pull = COSTS.pull
