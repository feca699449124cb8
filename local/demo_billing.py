"""The demo organisation's vendor spend: deterministic for any day (seeded by the date).

Typical daily spend (weekdays a little above, weekends below, +-3 % daily jitter):

| source    | vendor key                                           | team / use case                      | ~ $/day |
|-----------|------------------------------------------------------|--------------------------------------|---------|
| OpenAI    | openai:project:proj_claims                           | claims / claims-processing           | 1,150   |
| OpenAI    | openai:project:proj_sales_leads                      | sales / lead-scoring                 |   690   |
| OpenAI    | openai:project:proj_shadow_marketing                 | (nobody mapped it: unallocated)      |    25   |
| Anthropic | anthropic:workspace:wrkspc_support                   | support / ticket-escalation          |    38   |
| Anthropic | anthropic:workspace:default                          | (default workspace: unallocated)     |     9   |
| AWS CE    | aws:tag:team=operations,use-case=contract-review     | operations / contract-review (Llama) |   210   |
| CSV       | csv:Pinecone:team=claims,use-case=claims-processing  | claims / claims-processing (vector)  |   300   |
| CSV       | csv:Datadog:team=shared,use-case=platform-observability | shared / platform-observability   |   120   |

Amounts are Decimal and in each vendor's own unit: OpenAI dollars with 6 decimals,
Anthropic cents as decimal strings with 3 decimals, Cost Explorer dollars with 10
decimals, invoices in cents. ``expected_daily_spend(day)`` gives every vendor key's
dollars exactly, for tests and for the demo's reconciliation.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, Optional

from chalicelib.domain.facts import SHARED_TEAM
from chalicelib.domain.organisation import MappingRule

# --- teams and use cases (the same ids as local/demo_org.py) -------------------------
TEAM_CLAIMS, USE_CASE_CLAIMS = "claims", "claims-processing"
TEAM_SALES, USE_CASE_LEAD_SCORING = "sales", "lead-scoring"
TEAM_SUPPORT, USE_CASE_TICKET_ESCALATION = "support", "ticket-escalation"
TEAM_OPERATIONS, USE_CASE_CONTRACT_REVIEW = "operations", "contract-review"
TEAM_SHARED, USE_CASE_PLATFORM_OBSERVABILITY = SHARED_TEAM, "platform-observability"

# --- vendor ids --------------------------------------------------------------------
OPENAI_PROJECT_CLAIMS = "proj_claims"
OPENAI_PROJECT_SALES_LEADS = "proj_sales_leads"
OPENAI_PROJECT_SHADOW_MARKETING = "proj_shadow_marketing"
OPENAI_PROJECTS = (OPENAI_PROJECT_CLAIMS, OPENAI_PROJECT_SALES_LEADS, OPENAI_PROJECT_SHADOW_MARKETING)
ANTHROPIC_WORKSPACE_SUPPORT = "wrkspc_support"
ANTHROPIC_DEFAULT_WORKSPACE = None  # the API reports the default workspace as null

# Admin keys the local emulators accept (not secrets: local only).
OPENAI_ADMIN_KEY = "sk-admin-local-demo"
ANTHROPIC_ADMIN_KEY = "sk-ant-admin01-local-demo"

# --- vendor keys (what the Mappings tab matches) -----------------------------------
VENDOR_KEY_OPENAI_CLAIMS = "openai:project:proj_claims"
VENDOR_KEY_OPENAI_SALES_LEADS = "openai:project:proj_sales_leads"
VENDOR_KEY_OPENAI_SHADOW_MARKETING = "openai:project:proj_shadow_marketing"
VENDOR_KEY_ANTHROPIC_SUPPORT = "anthropic:workspace:wrkspc_support"
VENDOR_KEY_ANTHROPIC_DEFAULT = "anthropic:workspace:default"
VENDOR_KEY_AWS_CONTRACT_REVIEW = "aws:tag:team=operations,use-case=contract-review"
VENDOR_KEY_PINECONE = "csv:Pinecone:team=claims,use-case=claims-processing"
VENDOR_KEY_DATADOG = "csv:Datadog:team=shared,use-case=platform-observability"

# The rules finance would type; the shadow project and the default workspace stay unmapped.
DEMO_MAPPINGS = (
    MappingRule(VENDOR_KEY_OPENAI_CLAIMS, TEAM_CLAIMS, USE_CASE_CLAIMS),
    MappingRule(VENDOR_KEY_OPENAI_SALES_LEADS, TEAM_SALES, USE_CASE_LEAD_SCORING),
    MappingRule(VENDOR_KEY_ANTHROPIC_SUPPORT, TEAM_SUPPORT, USE_CASE_TICKET_ESCALATION),
)
UNMAPPED_VENDOR_KEYS = (VENDOR_KEY_OPENAI_SHADOW_MARKETING, VENDOR_KEY_ANTHROPIC_DEFAULT)

# Mon..Sun, averaging exactly 1.
WEEKDAY_FACTOR = tuple(Decimal(x) for x in ("1.02", "1.04", "1.05", "1.03", "1.00", "0.93", "0.93"))
JITTER_PERCENT = Decimal(3)


@dataclass(frozen=True)
class _Line:
    account: Optional[str]  # project / workspace id
    item: str  # line item / description
    daily: Decimal  # typical dollars per day
    price_per_mtok: Decimal  # dollars per million tokens, for the quantity shown
    model: str = ""
    token_type: str = ""


OPENAI_LINES = (
    _Line(OPENAI_PROJECT_CLAIMS, "gpt-4o, input", Decimal("517.50"), Decimal("2.50")),
    _Line(OPENAI_PROJECT_CLAIMS, "gpt-4o, output", Decimal("632.50"), Decimal("10.00")),
    _Line(OPENAI_PROJECT_SALES_LEADS, "ft:gpt-4o-mini, input", Decimal("276.00"), Decimal("0.30")),
    _Line(OPENAI_PROJECT_SALES_LEADS, "ft:gpt-4o-mini, output", Decimal("414.00"), Decimal("1.20")),
    _Line(OPENAI_PROJECT_SHADOW_MARKETING, "gpt-4o-mini, input", Decimal("10.00"), Decimal("0.15")),
    _Line(OPENAI_PROJECT_SHADOW_MARKETING, "gpt-4o-mini, output", Decimal("15.00"), Decimal("0.60")),
)

ANTHROPIC_LINES = (
    _Line(
        ANTHROPIC_WORKSPACE_SUPPORT,
        "Claude Sonnet 4 Usage - Input Tokens",
        Decimal("15.20"),
        Decimal("3"),
        "claude-sonnet-4",
        "uncached_input_tokens",
    ),
    _Line(
        ANTHROPIC_WORKSPACE_SUPPORT,
        "Claude Sonnet 4 Usage - Output Tokens",
        Decimal("22.80"),
        Decimal("15"),
        "claude-sonnet-4",
        "output_tokens",
    ),
    _Line(
        ANTHROPIC_DEFAULT_WORKSPACE,
        "Claude Haiku 3.5 Usage - Input Tokens",
        Decimal("3.60"),
        Decimal("0.80"),
        "claude-3-5-haiku",
        "uncached_input_tokens",
    ),
    _Line(
        ANTHROPIC_DEFAULT_WORKSPACE,
        "Claude Haiku 3.5 Usage - Output Tokens",
        Decimal("5.40"),
        Decimal("4"),
        "claude-3-5-haiku",
        "output_tokens",
    ),
)

AWS_DAILY = Decimal("210.00")
AWS_TEAM_TAG_KEY = f"team${TEAM_OPERATIONS}"
AWS_USE_CASE_TAG_KEY = f"use-case${USE_CASE_CONTRACT_REVIEW}"

PINECONE_DAILY = Decimal("300.00")
DATADOG_DAILY = Decimal("120.00")


def _unit_interval(*parts: object) -> Decimal:
    """A deterministic number in [0, 1) with 4 decimals from the parts (the date, the key)."""
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode()).digest()
    return Decimal(int.from_bytes(digest[:8], "big") % 10000).scaleb(-4)


def daily_amount(base: Decimal, day: date, *seed: object, places: int = 2) -> Decimal:
    """``base`` x weekday factor x (1 +- 3 % jitter seeded by day and key), to ``places``."""
    jitter = (_unit_interval(day.isoformat(), *seed) * 2 - 1) * JITTER_PERCENT / 100
    value = base * WEEKDAY_FACTOR[day.weekday()] * (1 + jitter)
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)


# --- OpenAI ------------------------------------------------------------------------
def openai_cost_results(day: date) -> list[dict[str, Any]]:
    """The day's Costs API results grouped by project_id and line_item.
    ``amount.value`` is Decimal dollars (serialise as a JSON number)."""
    results = []
    for line in OPENAI_LINES:
        value = daily_amount(line.daily, day, "openai", line.account, line.item, places=6)
        results.append(
            {
                "object": "organization.costs.result",
                "amount": {"value": value, "currency": "usd"},
                "line_item": line.item,
                "project_id": line.account,
                "api_key_id": None,
                "quantity": int(value / line.price_per_mtok * 1_000_000),
                "quantity_unit": "tokens",
            }
        )
    return results


# --- Anthropic ---------------------------------------------------------------------
def anthropic_cost_results(day: date) -> list[dict[str, Any]]:
    """The day's cost report results grouped by workspace_id and description.
    ``amount`` is a decimal string in CENTS, as the Admin API sends it."""
    results = []
    for line in ANTHROPIC_LINES:
        dollars = daily_amount(line.daily, day, "anthropic", line.account, line.item, places=5)
        results.append(
            {
                "amount": str(dollars.scaleb(2)),
                "context_window": "0-200k",
                "cost_type": "tokens",
                "currency": "USD",
                "description": line.item,
                "inference_geo": "global",
                "model": line.model,
                "service_tier": "standard",
                "token_type": line.token_type,
                "workspace_id": line.account,
            }
        )
    return results


# --- AWS Cost Explorer -------------------------------------------------------------
def aws_daily_cost(day: date) -> Decimal:
    return daily_amount(AWS_DAILY, day, "aws", AWS_TEAM_TAG_KEY, AWS_USE_CASE_TAG_KEY, places=10)


def aws_cost_and_usage_pages(start: date, end: date, *, days_per_page: Optional[int] = None) -> list[dict[str, Any]]:
    """GetCostAndUsage responses for [start, end), grouped by the team and use-case tags,
    chained with NextPageToken (``days_per_page`` days each; one page by default).
    Inject them into moto in order (see ``inject_aws_costs_into_moto``)."""
    all_days = [start + timedelta(days=i) for i in range((end - start).days)]
    size = days_per_page or max(len(all_days), 1)
    chunks = [all_days[i : i + size] for i in range(0, len(all_days), size)] or [[]]
    pages = []
    for n, chunk in enumerate(chunks):
        results_by_time = []
        for day in chunk:
            amount = str(aws_daily_cost(day))
            results_by_time.append(
                {
                    "TimePeriod": {"Start": day.isoformat(), "End": (day + timedelta(days=1)).isoformat()},
                    "Total": {},
                    "Groups": [
                        {
                            "Keys": [AWS_TEAM_TAG_KEY, AWS_USE_CASE_TAG_KEY],
                            "Metrics": {
                                "UnblendedCost": {"Amount": amount, "Unit": "USD"},
                                "NetUnblendedCost": {"Amount": amount, "Unit": "USD"},
                            },
                        }
                    ],
                    "Estimated": False,
                }
            )
        page: dict[str, Any] = {
            "GroupDefinitions": [{"Type": "TAG", "Key": "team"}, {"Type": "TAG", "Key": "use-case"}],
            "ResultsByTime": results_by_time,
            "DimensionValueAttributes": [],
        }
        if n + 1 < len(chunks):
            page["NextPageToken"] = f"demo-page-{n + 2}"
        pages.append(page)
    return pages


def inject_aws_costs_into_moto(
    start: date,
    end: date,
    *,
    endpoint_url: Optional[str] = None,
    account_id: Optional[str] = None,
    days_per_page: Optional[int] = None,
) -> list[dict[str, Any]]:
    """Queue the demo's Cost Explorer pages in moto: over HTTP when ``endpoint_url`` (a moto
    server) is given, else in-process (inside ``mock_aws``). moto hands queued results to
    requests in order, one per distinct set of parameters: inject just before the pull."""
    pages = aws_cost_and_usage_pages(start, end, days_per_page=days_per_page)
    if endpoint_url:
        import requests

        response = requests.post(
            endpoint_url.rstrip("/") + "/moto-api/static/ce/cost-and-usage-results",
            json={"results": pages, **({"account_id": account_id} if account_id else {})},
            timeout=10,
        )
        response.raise_for_status()
    else:
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.moto_api._internal.models import moto_api_backend

        for page in pages:
            moto_api_backend.set_ce_cost_usage(result=page, account_id=account_id or DEFAULT_ACCOUNT_ID)
    return pages


# --- invoices with no API (simple CSV) ---------------------------------------------
SIMPLE_CSV_HEADER = ("date", "source", "category", "team", "use_case", "amount", "provider", "service", "currency")


def invoice_rows(start: date, end: date) -> list[dict[str, str]]:
    rows = []
    for i in range((end - start).days):
        day = start + timedelta(days=i)
        rows.append(
            {
                "date": day.isoformat(),
                "source": "Pinecone",
                "category": "vector_db",
                "team": TEAM_CLAIMS,
                "use_case": USE_CASE_CLAIMS,
                "amount": str(daily_amount(PINECONE_DAILY, day, "pinecone")),
                "provider": "Pinecone",
                "service": "Pinecone Serverless",
                "currency": "USD",
            }
        )
        rows.append(
            {
                "date": day.isoformat(),
                "source": "Datadog",
                "category": "observability",
                "team": TEAM_SHARED,
                "use_case": USE_CASE_PLATFORM_OBSERVABILITY,
                "amount": str(daily_amount(DATADOG_DAILY, day, "datadog")),
                "provider": "Datadog",
                "service": "Datadog LLM Observability",
                "currency": "USD",
            }
        )
    return rows


def invoice_csv(start: date, end: date) -> str:
    """A simple-CSV file of the Pinecone and Datadog invoices for [start, end)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=SIMPLE_CSV_HEADER, lineterminator="\n")
    writer.writeheader()
    writer.writerows(invoice_rows(start, end))
    return out.getvalue()


def month_bounds(year: int, month: int) -> tuple[date, date]:
    start = date(year, month, 1)
    end = date(year + (month == 12), month % 12 + 1, 1)
    return start, end


def invoice_csv_for_month(year: int, month: int) -> str:
    return invoice_csv(*month_bounds(year, month))


# --- the expected answer -----------------------------------------------------------
def expected_daily_spend(day: date) -> dict[str, Decimal]:
    """Every demo vendor key's exact dollars on ``day``."""
    spend: dict[str, Decimal] = {}

    def add(key: str, amount: Decimal) -> None:
        spend[key] = spend.get(key, Decimal(0)) + amount

    for r in openai_cost_results(day):
        add(f"openai:project:{r['project_id']}", r["amount"]["value"])
    for r in anthropic_cost_results(day):
        add(f"anthropic:workspace:{r['workspace_id'] or 'default'}", Decimal(r["amount"]).scaleb(-2))
    add(VENDOR_KEY_AWS_CONTRACT_REVIEW, aws_daily_cost(day))
    for r in invoice_rows(day, day + timedelta(days=1)):
        add(VENDOR_KEY_PINECONE if r["source"] == "Pinecone" else VENDOR_KEY_DATADOG, Decimal(r["amount"]))
    return spend
