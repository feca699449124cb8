"""AWS Cost Explorer (GetCostAndUsage) -> CostFacts for self-hosted inference.

Daily ``UnblendedCost`` (billed) and ``NetUnblendedCost`` (effective, after discounts and
credits; billed is used when Cost Explorer leaves it out) for resources tagged
``cost-center = ai-inference``, grouped by the ``team`` and ``use-case`` tags, following
``NextPageToken``.

Cost Explorer returns tag groups as ``"team$support"``; ``"team$"`` means the resource has
no such tag. The fact keeps the tag values as its team/use case (``unallocated`` when
missing) and the vendor key ``aws:tag:team=<t>,use-case=<u>`` (empty values when missing),
so a Mappings rule can still place untagged spend.
Category ``self_hosted``, provider ``AWS``, service ``tagged cost-center=ai-inference``.

A day is answered when the reply has a ``ResultsByTime`` entry for it (Cost Explorer gives one
per day, with ``Groups: []`` when nothing was spent). An answer with no entries (moto's Cost
Explorer unless results are queued) answers no day, so it removes nothing from the ledger.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, NoReturn, Optional

from chalicelib.connectors.common import Pulled, check_window, follow_pages, in_window, vendor_amount
from chalicelib.connectors.errors import SourceUnavailable
from chalicelib.domain.facts import UNALLOCATED, CostFact

SOURCE = "aws"
PROVIDER = "AWS"
CATEGORY = "self_hosted"
TEAM_TAG = "team"
USE_CASE_TAG = "use-case"
COST_CENTER_TAG = "cost-center"
COST_CENTER_VALUE = "ai-inference"
BILLED_METRIC = "UnblendedCost"
EFFECTIVE_METRIC = "NetUnblendedCost"
MAX_PAGES = 1000


def vendor_key(team: str, use_case: str) -> str:
    return f"aws:tag:{TEAM_TAG}={team},{USE_CASE_TAG}={use_case}"


def service_name(cost_center: str = COST_CENTER_VALUE) -> str:
    return f"tagged {COST_CENTER_TAG}={cost_center}"


def request_params(
    start: date,
    end: date,
    *,
    cost_center: str = COST_CENTER_VALUE,
    next_page_token: Optional[str] = None,
) -> dict:
    """The GetCostAndUsage request this connector sends (exposed for tests and the demo)."""
    params: dict[str, Any] = {
        "TimePeriod": {"Start": start.isoformat(), "End": end.isoformat()},
        "Granularity": "DAILY",
        "Metrics": [BILLED_METRIC, EFFECTIVE_METRIC],
        "GroupBy": [{"Type": "TAG", "Key": TEAM_TAG}, {"Type": "TAG", "Key": USE_CASE_TAG}],
        "Filter": {"Tags": {"Key": COST_CENTER_TAG, "Values": [cost_center], "MatchOptions": ["EQUALS"]}},
    }
    if next_page_token:
        params["NextPageToken"] = next_page_token
    return params


def _refuse(what: str) -> NoReturn:
    raise SourceUnavailable(SOURCE, f"unexpected response shape: {what}")


def _shape(condition: bool, what: str) -> None:
    if not condition:
        _refuse(what)


def _tag_values(keys: list) -> tuple[str, str]:
    """["team$support", "use-case$ticket-escalation"] -> ("support", "ticket-escalation");
    missing or empty tags -> ""."""
    values = {TEAM_TAG: "", USE_CASE_TAG: ""}
    for key in keys:
        _shape(isinstance(key, str), f"group key {key!r}")
        name, sep, value = key.partition("$")
        if sep and name in values:
            values[name] = value.strip()
    return values[TEAM_TAG], values[USE_CASE_TAG]


def _metric(metrics: dict, name: str, where: str) -> Optional[tuple[Decimal, str]]:
    metric = metrics.get(name)
    if metric is None:
        return None
    _shape(isinstance(metric, dict), f"{where}.{name}")
    unit = metric.get("Unit") or "USD"
    return vendor_amount(metric.get("Amount"), unit, _shape, f"{where}.{name}.Amount", f"{where}.{name}.Unit {unit!r}")


def parse_response(
    response: Any,
    *,
    page_no: int = 1,
    start: Optional[date] = None,
    end: Optional[date] = None,
    cost_center: str = COST_CENTER_VALUE,
) -> tuple[list[CostFact], Optional[str], set[date]]:
    """Facts from one GetCostAndUsage response, its NextPageToken (None at the end) and the
    days in the window it has a ResultsByTime entry for (answered, even with no groups)."""
    _shape(isinstance(response, dict), "response is not an object")
    results = response.get("ResultsByTime", [])
    _shape(isinstance(results, list), "ResultsByTime is not a list")
    facts: list[CostFact] = []
    answered: set[date] = set()
    for i, by_time in enumerate(results):
        where = f"ResultsByTime[{i}]"
        _shape(isinstance(by_time, dict), where)
        try:
            day = date.fromisoformat(str(by_time["TimePeriod"]["Start"])[:10])
        except (KeyError, TypeError, ValueError) as exc:
            raise SourceUnavailable(SOURCE, f"unexpected response shape: {where}.TimePeriod.Start") from exc
        if not in_window(day, start, end):
            continue
        answered.add(day)
        estimated = " (estimated)" if by_time.get("Estimated") else ""
        groups = by_time.get("Groups") or []
        _shape(isinstance(groups, list), f"{where}.Groups")
        for g, group in enumerate(groups):
            gwhere = f"{where}.Groups[{g}]"
            _shape(isinstance(group, dict) and isinstance(group.get("Metrics"), dict), gwhere)
            keys = group.get("Keys") or []
            _shape(isinstance(keys, list), f"{gwhere}.Keys")
            team, use_case = _tag_values(keys)
            billed = _metric(group["Metrics"], BILLED_METRIC, gwhere)
            if billed is None:
                _refuse(f"{gwhere}.Metrics has no {BILLED_METRIC}")
            effective = _metric(group["Metrics"], EFFECTIVE_METRIC, gwhere) or billed
            facts.append(
                CostFact(
                    day=day,
                    source=SOURCE,
                    category=CATEGORY,
                    provider=PROVIDER,
                    service=service_name(cost_center),
                    billed_cost=billed[0],
                    effective_cost=effective[0],
                    currency=billed[1],
                    vendor_key=vendor_key(team, use_case),
                    team=team or UNALLOCATED,
                    use_case=use_case or UNALLOCATED,
                    provenance=f"aws cost explorer {day.isoformat()} page {page_no}{estimated}",
                )
            )
    token = response.get("NextPageToken") or None
    _shape(token is None or isinstance(token, str), "NextPageToken")
    return facts, token, answered


def pull(ce_client: Any, start: date, end: date, *, cost_center: str = COST_CENTER_VALUE) -> Pulled:
    """Every tagged AI-inference cost in [start, end) (UTC days), and the days Cost Explorer
    answered (a ResultsByTime entry for the day).

    ``ce_client`` is ``boto3.client("ce")`` (region us-east-1; the endpoint may be moto).
    Raises SourceUnavailable when Cost Explorer cannot be read."""
    check_window(start, end)
    failures: tuple[type[Exception], ...]
    try:
        from botocore.exceptions import BotoCoreError, ClientError

        failures = (ClientError, BotoCoreError)
    except ImportError:  # pragma: no cover - botocore is a runtime dependency
        failures = (Exception,)

    def read_page(token: Optional[str], page_no: int) -> tuple[list[CostFact], Optional[str], set[date]]:
        params = request_params(start, end, cost_center=cost_center, next_page_token=token)
        try:
            response = ce_client.get_cost_and_usage(**params)
        except failures as exc:
            raise SourceUnavailable(SOURCE, f"GetCostAndUsage failed: {exc}") from exc
        return parse_response(response, page_no=page_no, start=start, end=end, cost_center=cost_center)

    return follow_pages(SOURCE, read_page, max_pages=MAX_PAGES, cursor_name="token")
