"""Exports: the month's allocated ledger as a FOCUS 1.3 CSV, and cost per unit per use case as a plain CSV.

FOCUS (`focus_csv`). One row per UTC day and allocated line: (team, use case, iceberg category,
provider, service, vendor key, how it was allocated), from `allocation.allocate`, the engine's own
resolution and shared splits, so the file's totals by team, use case, category, provider and
service equal `month_allocations(...)[month]` (and the ledger's per-day series) exactly: amounts
are written in full, never rounded (a vendor's sub-cent amounts stay). Cost that reached no use
case is kept, with team and use case "unallocated" (or its team, when the team is known) and the
vendor key finance has to map. Facts in another currency than the deployment's are not booked by
the ledger and are not in the file (the summary lists them as rejected).

Columns: the FOCUS 1.3 mandatory columns, the 1.0-1.2 names kept beside the 1.3 ones
(ProviderName and PublisherName beside ServiceProviderName and HostProviderName) so a 1.0-1.2
reader takes the file too, and four extension columns (x_ prefix, as FOCUS reserves it):

* BilledCost / EffectiveCost: the ledger's billed and effective cost of the row; ListCost and
  ContractedCost repeat BilledCost (list and contracted prices are not in the ledger).
* BillingCurrency: the deployment's currency. ChargePeriodStart/End: the UTC day
  (``2026-11-02T00:00:00Z`` to ``2026-11-03T00:00:00Z``); BillingPeriodStart/End: the month.
* ChargeCategory: ``Usage``, or ``Credit`` when the effective cost is negative; ChargeClass null;
  ChargeFrequency ``Usage-Based``.
* ServiceCategory / ServiceSubcategory from the iceberg category (SERVICE_CATEGORIES):
  api -> AI and Machine Learning / Generative AI; self_hosted -> Compute / Other (Compute)
  (hosted model endpoints billed by the hour; our importer reads Compute back as self_hosted);
  vector_db -> Databases / Other (Databases) (the ChargeDescription says "vector database", which
  our importer reads back as vector_db); observability -> Management and Governance /
  Observability; storage -> Storage / Other (Storage); human_review and other -> Other / Other.
* Tags (JSON): ``{"team", "use-case", "vendor-key"}`` and ``"shared-cost-rule"`` on a shared
  cost's parts: the tags our FOCUS importer allocates on.
* ConsumedQuantity/Unit and PricingQuantity/Unit are null: the ledger keeps cost, not quantities.
* x_IcebergCategory, x_AllocationMethod (direct | mapping | shared split | the unallocated
  reason), x_SharedCostRule, x_VendorKey.

Unit costs (`unit_costs_csv`): one row per use case and period, for each ISO week touching the
month and for the month itself, from `engine.compute` (the same figures as the Unit costs tab):
cost, units, cost per unit, the target in force then (`out.period_targets`, else the use case's
target), overrun, colour and flags. A month's colour is the Agent P&L's (the live colour for the
current month, the SLO as it stood on the 1st after a closed month); a complete week's colour is
the SLO judged on that week (and the one before it for red) against the terms in force on its last
day, as if its counts were all reported; a partial week has none.

Size. A Lambda response carries at most 6 MB (the body JSON-escaped inside the proxy response):
`fits_response` says whether a CSV does; the API answers 413 otherwise (about 14,000 FOCUS rows
fit: a month of 500 use cases with four line items a day is about 15 MB), naming the way out:
`?team=` (one team's rows, whose total is the summary's by_team figure) or the CLI, which writes
any size.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import defaultdict
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Iterable, Optional

from chalicelib.domain import engine
from chalicelib.domain.allocation import AllocatedRow, allocate
from chalicelib.domain.facts import CostFact, DailyUnits
from chalicelib.domain.money import ZERO, cents
from chalicelib.domain.organisation import Organisation
from chalicelib.domain.periods import month_first_day, month_key, next_month_first_day, week_start
from chalicelib.domain.slo import colour_as_of
from chalicelib.domain.terms import use_case_on

FOCUS_VERSION = "1.3"
BILLING_ACCOUNT_ID = "ai-finops"
BILLING_ACCOUNT_NAME = "AI FinOps allocated ledger"

FOCUS_COLUMNS = (
    "BilledCost",
    "BillingAccountId",
    "BillingAccountName",
    "BillingAccountType",
    "BillingCurrency",
    "BillingPeriodEnd",
    "BillingPeriodStart",
    "ChargeCategory",
    "ChargeClass",
    "ChargeDescription",
    "ChargeFrequency",
    "ChargePeriodEnd",
    "ChargePeriodStart",
    "ConsumedQuantity",
    "ConsumedUnit",
    "ContractedCost",
    "EffectiveCost",
    "HostProviderName",
    "InvoiceIssuerName",
    "ListCost",
    "PricingQuantity",
    "PricingUnit",
    "ProviderName",
    "PublisherName",
    "ServiceCategory",
    "ServiceName",
    "ServiceProviderName",
    "ServiceSubcategory",
    "SubAccountId",
    "SubAccountName",
    "Tags",
    "x_IcebergCategory",
    "x_AllocationMethod",
    "x_SharedCostRule",
    "x_VendorKey",
)

# iceberg category -> (FOCUS ServiceCategory, ServiceSubcategory)
SERVICE_CATEGORIES = {
    "api": ("AI and Machine Learning", "Generative AI"),
    "self_hosted": ("Compute", "Other (Compute)"),
    "vector_db": ("Databases", "Other (Databases)"),
    "observability": ("Management and Governance", "Observability"),
    "storage": ("Storage", "Other (Storage)"),
    "human_review": ("Other", "Other (Other)"),
    "other": ("Other", "Other (Other)"),
}

# A Lambda proxy response is at most 6 MB with its JSON envelope; keep room for the headers.
LAMBDA_RESPONSE_LIMIT = 6 * 1024 * 1024
MAX_RESPONSE_BYTES = LAMBDA_RESPONSE_LIMIT - 64 * 1024


def fits_response(text: str) -> tuple[bool, int]:
    """(fits, size): the CSV's size as the Lambda response carries it (JSON-escaped UTF-8)."""
    size = len(json.dumps(text, ensure_ascii=False).encode("utf-8"))
    return size <= MAX_RESPONSE_BYTES, size


def _amount(value: Decimal) -> str:
    """An exact decimal, never in exponent form (FOCUS readers and our importer want plain digits)."""
    if value == 0:
        return "0"
    return format(value, "f")


def _stamp(day: date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def focus_rows(rows: Iterable[AllocatedRow], month: str, currency: str) -> Iterable[list]:
    """The FOCUS records (FOCUS_COLUMNS order) of allocated rows of `month`."""
    first = month_first_day(month)
    period_start, period_end = _stamp(first), _stamp(next_month_first_day(first))
    for r in rows:
        service_category, subcategory = SERVICE_CATEGORIES.get(r.category, SERVICE_CATEGORIES["other"])
        tags = {"team": r.team, "use-case": r.use_case}
        if r.vendor_key:
            tags["vendor-key"] = r.vendor_key
        if r.rule_key:
            tags["shared-cost-rule"] = r.rule_key
        description = f"vector database: {r.service}" if r.category == "vector_db" else r.service
        billed = _amount(r.billed)
        yield [
            billed,
            BILLING_ACCOUNT_ID,
            BILLING_ACCOUNT_NAME,
            "Organisation",
            currency,
            period_end,
            period_start,
            "Credit" if r.effective < 0 else "Usage",
            "",
            description,
            "Usage-Based",
            _stamp(r.day + timedelta(days=1)),
            _stamp(r.day),
            "",
            "",
            billed,
            _amount(r.effective),
            r.provider,
            r.provider,
            billed,
            "",
            "",
            r.provider,
            r.provider,
            service_category,
            r.service,
            r.provider,
            subcategory,
            "",
            "",
            json.dumps(tags, ensure_ascii=False, sort_keys=True),
            r.category,
            r.method,
            r.rule_key,
            r.vendor_key,
        ]


# A text cell starting with one of these is a formula to Excel, LibreOffice and Google Sheets when
# the CSV is opened (=HYPERLINK(...), @SUM(...), +cmd|...): such a cell gets a leading apostrophe,
# which spreadsheets take for "this is text" and the importers drop (connectors/common.py null_or).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def text_cell(value):
    """`value` as a CSV cell no spreadsheet evaluates; amounts (-12.30) are left as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def _csv(header: Iterable[str], records: Iterable[list]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([text_cell(v) for v in record] for record in records)
    return out.getvalue()


def focus_csv(
    org: Organisation, facts: Iterable[CostFact], units: Iterable[DailyUnits], month: str, team: Optional[str] = None
) -> str:
    """The month's allocated ledger as FOCUS CSV text. `facts`/`units`: the month's (other days are
    left out; the shared weights are the calendar month's, as the ledger's). `team`: only the rows
    allocated to that team (their totals are the month's by_team[team]; "unallocated" for cost
    that reached no team)."""
    month_first_day(month)  # validates
    facts = [f for f in facts if month_key(f.day) == month]
    units = [u for u in units if month_key(u.day) == month]
    rows = allocate(org, facts, units)
    if team is not None:
        rows = [r for r in rows if r.team == team]
    return _csv(FOCUS_COLUMNS, focus_rows(rows, month, org.settings.currency))


def month_focus_csv(month: str, org: Organisation, ledger, work_items, team: Optional[str] = None) -> str:
    """`focus_csv` of the month as stored (the summary's facts and units)."""
    return focus_csv(org, ledger.facts_for_month(month), work_items.units_for_month(month), month, team)


# --- cost per unit --------------------------------------------------------------------------------

UNIT_COST_COLUMNS = (
    "use_case",
    "name",
    "team",
    "unit_of_work",
    "period",
    "label",
    "start",
    "end",
    "cost",
    "units",
    "cost_per_unit",
    "target_cpu",
    "overrun",
    "colour",
    "flags",
)
_CPU_PLACES = Decimal("0.000001")


def _cpu(value: Optional[Decimal]) -> str:
    return "" if value is None else _amount(value.quantize(_CPU_PLACES, rounding=ROUND_HALF_EVEN).normalize())


def unit_cost_window(month: str, today: date) -> tuple[date, date]:
    """(first, last) day of the facts `unit_costs_csv` needs: whole calendar months (the shared
    weights are a month's) from the week before the month's first week to its last week, up to today."""
    first = month_first_day(month)
    last = next_month_first_day(first) - timedelta(days=1)
    start = week_start(first) - timedelta(days=7)
    end = min(week_start(last) + timedelta(days=6), today)
    return start.replace(day=1), max(min(next_month_first_day(end) - timedelta(days=1), today), start)


def unit_costs_csv(
    org: Organisation, facts: Iterable[CostFact], units: Iterable[DailyUnits], month: str, today: date
) -> str:
    """Cost per unit per use case for each week touching `month` and for the month, as the engine
    computes them on `today` (facts and units up to today; pass `unit_cost_window`'s days)."""
    first = month_first_day(month)
    last = next_month_first_day(first) - timedelta(days=1)
    facts = [f for f in facts if f.day <= today]
    out = engine.compute(org, facts, units, today)
    s = org.settings
    by_id = {u.use_case_id: u for u in org.use_cases}
    pnl_colour = {(r.use_case, r.month): r.colour for r in out.pnl}
    current_week = week_start(today)
    records = []
    for uid in sorted(out.unit_costs):
        u = by_id.get(uid)
        if u is None:
            continue
        series = out.unit_costs[uid]
        by_week, by_month = out.period_targets.get(uid, ({}, {}))
        terms_on = use_case_on(org, u)
        weeks = {
            m: [c, n] for m, c, n in zip(series.weeks.starts, series.weeks.costs, series.weeks.units, strict=False)
        }
        fixed = [uid, u.name, u.team, u.unit_of_work]
        for row in series.weeks.rows():
            end = row.start + timedelta(days=6)
            if end < first or row.start > last or (row.cost == 0 and not row.units):
                continue
            target = by_week.get(row.start, u.target_cpu)
            colour = None
            if row.start < current_week:
                colour = colour_as_of(u, s, weeks, row.start + timedelta(days=7), ZERO, None, terms_on)
            records.append(
                fixed
                + [
                    "week",
                    row.label,
                    row.start.isoformat(),
                    end.isoformat(),
                    str(cents(row.cost)),
                    row.units,
                    _cpu(row.cpu),
                    _target(target),
                    _overrun(row.cpu, target),
                    colour or "",
                    "; ".join(row.flags),
                ]
            )
        for row in series.months.rows():
            if row.label != month or (row.cost == 0 and not row.units):
                continue
            target = by_month.get(month, u.target_cpu)
            records.append(
                fixed
                + [
                    "month",
                    month,
                    first.isoformat(),
                    last.isoformat(),
                    str(cents(row.cost)),
                    row.units,
                    _cpu(row.cpu),
                    _target(target),
                    _overrun(row.cpu, target),
                    pnl_colour.get((uid, month)) or "",
                    "; ".join(row.flags),
                ]
            )
    return _csv(UNIT_COST_COLUMNS, records)


def _target(target: Optional[Decimal]) -> str:
    return "" if target is None else _amount(target)


def _overrun(cpu: Optional[Decimal], target: Optional[Decimal]) -> str:
    if cpu is None or target is None or target <= 0:
        return ""
    return _amount((cpu / target - 1).quantize(Decimal("0.0001"), rounding=ROUND_HALF_EVEN))


def month_unit_costs_csv(month: str, org: Organisation, ledger, work_items, today: date) -> str:
    """`unit_costs_csv` from the stored facts and work-item counts."""
    start, end = unit_cost_window(month, today)
    facts: list = []
    units: list = []
    m = start
    while m <= end:
        key = month_key(m)
        facts += ledger.facts_for_month(key)
        units += work_items.units_for_month(key)
        m = next_month_first_day(m)
    return unit_costs_csv(
        org, [f for f in facts if start <= f.day <= end], [n for n in units if start <= n.day <= end], month, today
    )


def totals(rows: Iterable[AllocatedRow]) -> dict:
    """{"team"|"use_case"|"category"|"provider"|"service": {name: effective}} of allocated rows (tests, checks)."""
    out: dict = defaultdict(lambda: defaultdict(lambda: ZERO))
    for r in rows:
        out["team"][r.team] += r.effective
        out["use_case"][r.use_case] += r.effective
        out["category"][r.category] += r.effective
        out["provider"][r.provider] += r.effective
        out["service"][(r.provider, r.service)] += r.effective
    return {k: dict(v) for k, v in out.items()}
