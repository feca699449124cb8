"""FOCUS (FinOps Open Cost and Usage Specification) 1.0-1.3 CSV -> CostFacts.

Accepted variants:
* provider from ``ServiceProviderName`` (1.3), else ``ProviderName`` (1.0-1.2), else
  ``PublisherName``, ``InvoiceIssuerName``, ``HostProviderName``;
* timestamps ``2024-09-18 22:00:00`` (no offset = UTC) or RFC 3339 ``2025-05-01T00:00:00Z``;
* empty cells and ``NULL`` are both "no value";
* ``Tags`` as a JSON object (``{"team": "claims", "use-case": "claims-processing"}``);
* negative rows (credits, refunds) are kept as negative facts;
* column names matched case-insensitively; a UTF-8 BOM is ignored.

Days. A charge period within one UTC day (hourly rows) rolls up to that day. A period
spanning several UTC days (a daily row in another offset, a monthly row such as the
FOCUS AI examples' ``2025-05-01T00:00:00Z``..``2025-06-01T00:00:00Z``) is spread over the
days it covers in proportion to the time in each, by the domain's split (``money.Splitter``):
largest-remainder rounded to the cent (or to the smallest unit of an amount with digits below
the cent; "10.0000" spreads like "10.00"), so the parts add up exactly to the row. Pass
``spread_periods=False`` to book the whole row on its ``ChargePeriodStart`` day.

Category (the cost iceberg), first match wins, on ServiceName, ServiceSubcategory,
provider and ChargeDescription (lower-cased) and ServiceCategory:
1. a vector-database hint (``vector``, Pinecone, Weaviate, Milvus, Qdrant, Zilliz, Chroma)
   -> ``vector_db``;
2. an observability hint (Datadog, New Relic, monitor, observability, logging, CloudWatch,
   LangSmith, Langfuse, Honeycomb, Grafana, Splunk) -> ``observability``;
3. ServiceCategory ``AI and Machine Learning`` -> ``api`` (token/request billed SaaS
   models), unless its unit (ConsumedUnit, PricingUnit, SkuMeter) is in hours
   (endpoints, provisioned throughput) -> ``self_hosted``;
4. ``Compute`` -> ``self_hosted``;
5. ``Management and Governance`` -> ``observability``;
6. ``Storage`` -> ``storage``;
7. anything else (including ``Databases`` without a vector hint) -> ``other``.

Allocation. Tags ``team`` and ``use-case`` (keys compared lower-case, ``user:``/``tag:``
prefixes dropped, ``_`` and spaces read as ``-``; ``usecase`` accepted) give the fact's
team/use case and the vendor key ``focus:team=<t>,use-case=<u>``. Without them the vendor
key is ``focus:subaccount:<SubAccountId>``, else ``focus:account:<BillingAccountId>``,
else ``focus:provider:<provider>``, and the fact stays unallocated until mapped.

Separators inside a tag value are percent-escaped in the key (``key_part``), so two
different (team, use case) pairs never share one.

Strict input: amounts are ASCII decimals (no ``1_000``, no Arabic-Indic or full-width
digits), timestamps are calendar dates with ASCII digits (no ``20261201``, no
``2026-W49-2``); a charge period lies between 2000-01-01 and the end of next year and
spans at most 92 days; the cells a vendor key is built from (provider, account ids, team
and use-case tags) hold no control or invisible format characters.

Any invalid row makes the whole file fail with ``CostImportError`` listing every
bad row and column (header = row 1).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Optional, Union

from chalicelib.connectors.common import (
    MAX_PERIOD_DAYS,
    NAME_WHITESPACE,
    csv_records,
    day_out_of_bounds,
    decode_text,
    fit_record,
    in_window,
    key_part,
    key_text_problem,
    merge_facts,
    null_or,
    parse_timestamp,
    text_problem,
    to_decimal,
)
from chalicelib.connectors.errors import CostImportError, RowError
from chalicelib.domain.facts import UNALLOCATED, CostFact
from chalicelib.domain.money import Splitter

SOURCE = "focus"
REQUIRED_COLUMNS = ("BilledCost", "EffectiveCost", "BillingCurrency", "ChargePeriodStart", "ServiceName")
PROVIDER_COLUMNS = ("ServiceProviderName", "ProviderName", "PublisherName", "InvoiceIssuerName", "HostProviderName")
OPTIONAL_COLUMNS = (
    "ChargePeriodEnd",
    "ServiceCategory",
    "ServiceSubcategory",
    "ChargeDescription",
    "ChargeCategory",
    "ConsumedUnit",
    "PricingUnit",
    "SkuMeter",
    "Tags",
    "SubAccountId",
    "BillingAccountId",
)
KNOWN_COLUMNS = REQUIRED_COLUMNS + PROVIDER_COLUMNS + OPTIONAL_COLUMNS
NO_SERVICE = "unspecified"

VECTOR_HINTS = ("vector", "pinecone", "weaviate", "milvus", "qdrant", "zilliz", "chroma")
OBSERVABILITY_HINTS = (
    "datadog",
    "new relic",
    "newrelic",
    "monitor",
    "observab",
    "logging",
    "cloudwatch",
    "langsmith",
    "langfuse",
    "honeycomb",
    "grafana",
    "splunk",
)


def categorise(
    service_category: Optional[str],
    *,
    service_name: Optional[str] = None,
    service_subcategory: Optional[str] = None,
    provider: Optional[str] = None,
    description: Optional[str] = None,
    units: tuple[Optional[str], ...] = (),
) -> str:
    """The iceberg category of a FOCUS row (rules in the module docstring)."""
    text = " ".join(x for x in (service_name, service_subcategory, provider, description) if x).lower()
    if any(h in text for h in VECTOR_HINTS):
        return "vector_db"
    if any(h in text for h in OBSERVABILITY_HINTS):
        return "observability"
    category = (service_category or "").strip().lower()
    if category == "ai and machine learning":
        unit_text = " ".join(u for u in units if u).lower()
        return "self_hosted" if "hour" in unit_text else "api"
    if category == "compute":
        return "self_hosted"
    if category == "management and governance":
        return "observability"
    if category == "storage":
        return "storage"
    return "other"


def _tag_name(key: str) -> str:
    name = key.strip().lower()
    for prefix in ("user:", "tag:", "tags:", "aws:"):
        if name.startswith(prefix):
            name = name[len(prefix) :]
    name = name.replace("_", "-").replace(" ", "-")
    return "use-case" if name == "usecase" else name


def allocation_from_tags(tags: dict) -> tuple[Optional[str], Optional[str]]:
    """(team, use case) from a Tags object; None where absent or empty."""
    team = use_case = None
    for key, value in tags.items():
        if value is None:
            continue
        name = _tag_name(str(key))
        text = str(value).strip()
        if not text:
            continue
        if name == "team":
            team = text
        elif name == "use-case":
            use_case = text
    return team, use_case


@dataclass
class _Row:
    number: int
    provider: str
    service: str
    category: str
    billed: Decimal
    effective: Decimal
    currency: str
    period_start: datetime
    period_end: Optional[datetime]
    vendor_key: str
    team: str
    use_case: str


def _day_weights(start: datetime, end: Optional[datetime]) -> list[tuple[date, int]]:
    """UTC days touched by [start, end) with the seconds of the period in each."""
    if end is None or end <= start:
        return [(start.date(), 1)]
    weights = []
    day = start.date()
    while True:
        day_begin = datetime(day.year, day.month, day.day, tzinfo=timezone.utc)
        day_end = day_begin + timedelta(days=1)
        overlap = (min(end, day_end) - max(start, day_begin)).total_seconds()
        if overlap > 0:
            weights.append((day, int(overlap)))
        if day_end >= end:
            break
        day += timedelta(days=1)
    return weights or [(start.date(), 1)]


def _resolve_columns(header: list[str]) -> tuple[dict[str, int], list[RowError]]:
    errors: list[RowError] = []
    by_lower: dict[str, int] = {}
    for i, name in enumerate(header):
        key = name.lower()
        if key in by_lower and key in {c.lower() for c in KNOWN_COLUMNS}:
            errors.append(RowError(1, name, name, "column appears more than once"))
        by_lower.setdefault(key, i)
    columns = {c: by_lower[c.lower()] for c in KNOWN_COLUMNS if c.lower() in by_lower}
    for c in REQUIRED_COLUMNS:
        if c not in columns:
            errors.append(RowError(1, c, "", "required FOCUS column is missing"))
    if not any(c in columns for c in PROVIDER_COLUMNS):
        errors.append(
            RowError(1, "ServiceProviderName", "", "no provider column (ServiceProviderName or ProviderName)")
        )
    return columns, errors


def _parse_row(
    number: int, record: list[str], header: list[str], columns: dict[str, int], today: Optional[date] = None
) -> tuple[Optional[_Row], list[RowError]]:
    errors: list[RowError] = []
    fitted = fit_record(record, len(header))
    if fitted is None:
        return None, [
            RowError(number, "", ",".join(record)[:80], f"row has {len(record)} fields, header has {len(header)}")
        ]
    record = fitted

    def cell(name: str) -> Optional[str]:
        i = columns.get(name)
        return None if i is None else null_or(record[i])

    def raw(name: str) -> str:
        i = columns.get(name)
        return "" if i is None else record[i]

    def money(name: str) -> Decimal:
        value = cell(name)
        if value is None:
            errors.append(RowError(number, name, raw(name), "a cost is required"))
            return Decimal(0)
        try:
            return to_decimal(value)
        except ValueError:
            errors.append(RowError(number, name, raw(name), "not a decimal number"))
            return Decimal(0)

    billed = money("BilledCost")
    effective = money("EffectiveCost")

    currency = (cell("BillingCurrency") or "").upper()
    if not (len(currency) == 3 and currency.isascii() and currency.isalpha()):
        errors.append(RowError(number, "BillingCurrency", raw("BillingCurrency"), "not a three-letter currency code"))

    period_start = period_end = None
    start_text = cell("ChargePeriodStart")
    if start_text is None:
        errors.append(
            RowError(number, "ChargePeriodStart", raw("ChargePeriodStart"), "a charge period start is required")
        )
    else:
        try:
            period_start = parse_timestamp(start_text)
        except ValueError:
            errors.append(
                RowError(
                    number,
                    "ChargePeriodStart",
                    raw("ChargePeriodStart"),
                    "not a timestamp (RFC 3339 or 'YYYY-MM-DD hh:mm:ss')",
                )
            )
    end_text = cell("ChargePeriodEnd")
    if end_text is not None:
        try:
            period_end = parse_timestamp(end_text)
        except ValueError:
            errors.append(
                RowError(
                    number,
                    "ChargePeriodEnd",
                    raw("ChargePeriodEnd"),
                    "not a timestamp (RFC 3339 or 'YYYY-MM-DD hh:mm:ss')",
                )
            )
        if period_start and period_end and period_end < period_start:
            errors.append(RowError(number, "ChargePeriodEnd", raw("ChargePeriodEnd"), "ends before ChargePeriodStart"))
    if period_start is not None:
        why = day_out_of_bounds(period_start.date(), today)
        if why:
            errors.append(RowError(number, "ChargePeriodStart", raw("ChargePeriodStart"), f"out of range: {why}"))
            period_start = None
    if period_end is not None:
        # The end is exclusive: a period ending at midnight after the last day allowed is within bounds.
        why = day_out_of_bounds((period_end - timedelta(microseconds=1)).date(), today)
        if why:
            errors.append(RowError(number, "ChargePeriodEnd", raw("ChargePeriodEnd"), f"out of range: {why}"))
        elif period_start is not None and period_end - period_start > timedelta(days=MAX_PERIOD_DAYS):
            errors.append(
                RowError(
                    number,
                    "ChargePeriodEnd",
                    raw("ChargePeriodEnd"),
                    f"the charge period spans {(period_end - period_start).days} days; at most "
                    f"{MAX_PERIOD_DAYS} are accepted (split longer periods into months)",
                )
            )

    provider = next((cell(c) for c in PROVIDER_COLUMNS if cell(c)), None)
    if provider is None:
        first = next(c for c in PROVIDER_COLUMNS if c in columns)
        errors.append(RowError(number, first, raw(first), "a provider name is required"))

    for name in ("SubAccountId", "BillingAccountId") + PROVIDER_COLUMNS:  # what the vendor key is built from
        why = key_text_problem(cell(name))
        if why:
            errors.append(RowError(number, name, raw(name), why))
    why = text_problem(cell("ServiceName"), NAME_WHITESPACE)  # stored as text, shown wherever the spend is
    if why:
        errors.append(RowError(number, "ServiceName", raw("ServiceName"), why))

    tags: dict = {}
    tags_text = cell("Tags")
    if tags_text is not None:
        try:
            tags = json.loads(tags_text)
        except (ValueError, RecursionError):  # RecursionError: nested deeper than the parser goes
            tags = None  # type: ignore[assignment]
        if not isinstance(tags, dict):
            errors.append(RowError(number, "Tags", raw("Tags"), "not a JSON object"))
            tags = {}
    for value in allocation_from_tags(tags):
        why = key_text_problem(value)
        if why:
            errors.append(RowError(number, "Tags", raw("Tags"), f"team or use-case tag {why}"))
            break

    if errors:
        return None, errors

    service = cell("ServiceName") or NO_SERVICE
    category = categorise(
        cell("ServiceCategory"),
        service_name=service,
        service_subcategory=cell("ServiceSubcategory"),
        provider=provider,
        description=cell("ChargeDescription"),
        units=(cell("ConsumedUnit"), cell("PricingUnit"), cell("SkuMeter")),
    )
    team, use_case = allocation_from_tags(tags)
    if team or use_case:
        key = f"focus:team={key_part(team or '')},use-case={key_part(use_case or '')}"
    elif cell("SubAccountId"):
        key = f"focus:subaccount:{cell('SubAccountId')}"
    elif cell("BillingAccountId"):
        key = f"focus:account:{cell('BillingAccountId')}"
    else:
        key = f"focus:provider:{provider}"
    return (
        _Row(
            number=number,
            provider=provider,  # type: ignore[arg-type]
            service=service,
            category=category,
            billed=billed,
            effective=effective,
            currency=currency,
            period_start=period_start,  # type: ignore[arg-type]
            period_end=period_end,
            vendor_key=key,
            team=team or UNALLOCATED,
            use_case=use_case or UNALLOCATED,
        ),
        [],
    )


def parse(
    data: Union[str, bytes],
    *,
    filename: str = "focus.csv",
    start: Optional[date] = None,
    end: Optional[date] = None,
    spread_periods: bool = True,
    today: Optional[date] = None,
) -> list[CostFact]:
    """Facts from a FOCUS CSV file, summed per (day, identity); only days in
    [start, end) when given. Raises CostImportError listing every bad row."""
    text = decode_text(data, filename)
    header, records = csv_records(text)
    if not header or not any(header):
        raise CostImportError([RowError(1, "", "", "the file is empty: no header row")], filename)
    columns, errors = _resolve_columns(header)
    if errors:
        raise CostImportError(errors, filename)
    rows: list[_Row] = []
    for number, record in records:
        row, row_errors = _parse_row(number, record, header, columns, today)
        errors.extend(row_errors)
        if row is not None:
            rows.append(row)
    if errors:
        raise CostImportError(errors, filename)

    facts: list[CostFact] = []
    for row in rows:
        if spread_periods:
            weights = _day_weights(row.period_start, row.period_end)
        else:
            weights = [(row.period_start.date(), 1)]
        day_list = [d for d, _ in weights]
        w = [x for _, x in weights]
        by_time = Splitter([Decimal(x) for x in w])
        billed_parts = by_time(row.billed) if len(w) > 1 else [row.billed]
        effective_parts = by_time(row.effective) if len(w) > 1 else [row.effective]
        for day, billed, effective in zip(day_list, billed_parts, effective_parts, strict=False):
            if not in_window(day, start, end):
                continue
            facts.append(
                CostFact(
                    day=day,
                    source=SOURCE,
                    category=row.category,
                    provider=row.provider,
                    service=row.service,
                    billed_cost=billed,
                    effective_cost=effective,
                    currency=row.currency,
                    vendor_key=row.vendor_key,
                    team=row.team,
                    use_case=row.use_case,
                    provenance=f"{filename} row {row.number}",
                )
            )
    return merge_facts(facts)
