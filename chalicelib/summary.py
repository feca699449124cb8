"""GET /v1/summary?month=YYYY-MM: one month of spend, cut every way finance asks for it."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Optional

from chalicelib.domain.allocation import build_ledger, month_allocations
from chalicelib.domain.footing import difference, foot
from chalicelib.domain.money import CPU_PLACES, api_amount
from chalicelib.domain.organisation import Organisation

# No cost is dated before 2000 (connectors/common.py EARLIEST_DAY), and a month far beyond this
# century has ISO weeks and days past what `date` can hold (the exports answered 500 for 9999-12).
MONTH = re.compile(r"^(20\d\d)-(0[1-9]|1[0-2])$")


class BadMonth(ValueError):
    pass


def parse_month(value: Optional[str]) -> str:
    if not value or not MONTH.fullmatch(value):  # not match: "$" also matches before a final newline
        raise BadMonth("month: required, as YYYY-MM from 2000-01 to 2099-12 (e.g. 2026-11)")
    return value


def _share(value: Optional[Decimal]) -> Optional[str]:
    return api_amount(value, CPU_PLACES)


def _amounts(totals: dict, billed: dict) -> list[dict]:
    """One cut of the month; its rows foot to the month's total and billed total as shown."""
    names = list(totals)
    shown, _ = foot([totals[n] for n in names])
    shown_billed, _ = foot([billed.get(n, Decimal(0)) for n in names])
    rows = [
        {"name": n, "total": api_amount(t), "billed": api_amount(b)}
        for n, t, b in zip(names, shown, shown_billed, strict=False)
    ]
    return sorted(rows, key=lambda r: (-Decimal(r["total"]), r["name"]))


def month_summary(month: str, org: Organisation, ledger, work_items, freshness) -> dict:
    facts = ledger.facts_for_month(month)
    units = work_items.units_for_month(month)
    ledger_view = build_ledger(org, facts, units)
    allocation = month_allocations(org, ledger_view).get(month)
    rejected = [
        {
            "day": r.day.isoformat(),
            "provider": r.provider,
            "service": r.service,
            "vendor_key": r.vendor_key,
            "currency": r.currency,
            "amount": str(r.amount),
            "reason": r.reason,
        }
        for r in ledger_view.rejected
    ]
    sources = [
        {
            "source": f.source,
            "last_success_at": f.last_success_at,
            "last_attempt_at": f.last_attempt_at,
            "last_error": f.last_error or None,
            "last_window": f.last_window or None,
            "status": f.status or None,
            "days_asked": f.days_asked,
            "days_answered": f.days_answered,
            "restatements": list(f.restatements),
        }
        for f in freshness.all()
    ]
    currency = org.settings.currency
    if allocation is None:
        zero = api_amount(Decimal(0))
        return {
            "month": month,
            "currency": currency,
            "total": zero,
            "billed_total": zero,
            "allocated": zero,
            "unallocated": zero,
            "coverage": None,
            "by_team": [],
            "by_use_case": [],
            "by_category": [],
            "by_provider": [],
            "by_service": [],
            "unallocated_keys": [],
            "reconciliation": None,
            "rejected": rejected,
            "freshness": sources,
        }
    services = {f"{p} / {s}": v for (p, s), v in allocation.by_service.items()}
    billed_services = {f"{p} / {s}": v for (p, s), v in allocation.billed_by_service.items()}
    rec = allocation.reconciliation
    (allocated, unallocated), total = foot([allocation.allocated, allocation.unallocated])
    return {
        "month": month,
        "currency": currency,
        "total": api_amount(total),
        "billed_total": api_amount(allocation.billed_total),
        "allocated": api_amount(allocated),  # allocated + unallocated = total, as shown
        "unallocated": api_amount(unallocated),
        "coverage": _share(allocation.coverage),
        "coverage_goal_met": allocation.coverage_met,
        "by_team": _amounts(allocation.by_team, allocation.billed_by_team),
        "by_use_case": _amounts(allocation.by_use_case, allocation.billed_by_use_case),
        "by_category": _amounts(allocation.by_category, allocation.billed_by_category),
        "by_provider": _amounts(allocation.by_provider, allocation.billed_by_provider),
        "by_service": _amounts(services, billed_services),
        "unallocated_keys": [
            {"key": u.key, "reason": u.reason, "total": api_amount(u.amount)} for u in allocation.unallocated_items
        ],
        "reconciliation": None
        if rec is None
        else {
            "expected": api_amount(rec.expected),
            "difference": api_amount(difference(allocation.total, rec.expected)),
            "difference_share": _share(rec.difference_share),
            "flagged": rec.flagged,
            "reason": rec.reason,
        },
        "rejected": rejected,  # facts in another currency: not booked, shown so nothing is hidden
        "freshness": sources,
    }
