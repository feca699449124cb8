"""The hourly run (issue 10): DynamoDB requests, Sheets requests and seconds of one scheduled
hourly run, against moto in-process and the local Sheets emulator (no network).

Scenarios (each in a fresh moto):
- 200 use cases at 1k and at 100k work items a month (goal: the larger within 1.2x of the smaller);
- 200 use cases with 13 months of history against 1 month (goal: within 1.5x): closed months come
  from their snapshots, raw facts and counters are read for the current month only;
- 1,000 use cases, 3 months of history, end to end (goal: under 20 s).

Data: per use case and day one cost fact (the cost ledger, as a pull stores it) and one unit
counter (written directly, as tests/sheet/data.py does: units are read from counters, so 100k
items a month are counters holding larger numbers). Closed months' snapshots are stored as a
month close stores them (`SnapshotStore.save` of the month's ledger), without loading their raw
facts into moto. The billing source is a stub answering the hourly window with the facts already
stored; before the measured run, today's bill grows and today's counters rise (the steady state
of an hourly run: today changed, the earlier days of the month settled). The measured run is the
second hourly run at NOW (the first one warms the process: imports, the sheet's tabs, and the open
month's settled days, `chalicelib/storage/settled_days.py`).
"""

from __future__ import annotations

import dataclasses
import os
import sys
import time
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal as D
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.in_process import in_process_env  # noqa: E402

in_process_env(INDEX_SETTLE_SECONDS="0")
os.environ.pop("ALERT_SENDER", None)

from bench.goals import figure  # noqa: E402
from bench.sheet_world import sheet_world  # noqa: E402

NOW = datetime(2026, 11, 22, 14, 5, tzinfo=timezone.utc)


def _facts_and_units(org, first: date, last: date, items_per_month: int) -> tuple:
    from chalicelib.domain.facts import UNALLOCATED, CostFact, DailyUnits

    n = len(org.use_cases)
    per_day = max(1, items_per_month // (30 * n))
    facts, units = [], []
    day = first
    while day <= last:
        for i, u in enumerate(org.use_cases):
            cost = D(100 + i % 50) * D("0.50") * (D("1.3") if i % 7 == 0 else D(1))
            facts.append(
                CostFact(day, "aws", "self_hosted", "AWS", "Bedrock", cost, cost, team=u.team, use_case=u.use_case_id)
            )
            volume = per_day + i % 3
            units.append(DailyUnits(u.use_case_id, day, volume, volume))
        facts.append(
            CostFact(
                day,
                "aws",
                "api",
                "OpenAI",
                "gpt-4o",
                D("12.00"),
                D("12.00"),
                vendor_key="openai:project:proj_new",
                team=UNALLOCATED,
            )
        )
        day += timedelta(days=1)
    return facts, units


def scenario(n: int, months: int, items_per_month: int) -> dict:
    with sheet_world(n) as (org, emu):
        from chalicelib import bootstrap, sheet_sync
        from chalicelib.billing import BillingSource
        from chalicelib.domain.allocation import build_ledger
        from chalicelib.domain.periods import month_key
        from chalicelib.services import pipeline
        from chalicelib.storage.snapshot_store import SnapshotStore
        from tests.sheet.data import _put_facts, _put_units

        today = NOW.date()
        current_first = today.replace(day=1)
        facts, units = _facts_and_units(org, current_first, today, items_per_month)
        _put_facts(facts)
        _put_units(units)
        # The closed months, as their closes stored them.
        deps = bootstrap.dependencies()
        store = SnapshotStore(deps.pool._resource, deps.pool._table_name)
        first = current_first
        for _ in range(months - 1):
            last = first - timedelta(days=1)
            first = last.replace(day=1)
            f, u = _facts_and_units(org, first, last, items_per_month)
            store.save(month_key(first), build_ledger(org, f, u), "2026-01-01T00:00:00+00:00")
        by_day: dict = {}
        for fact in facts:
            by_day.setdefault(fact.day, []).append(fact)

        def pull(start: date, end: date) -> list:
            return [x for d in range((end - start).days) for x in by_day.get(start + timedelta(days=d), [])]

        def accrue() -> None:
            # An hour later: today's bill has grown and more work items are counted today, so
            # the measured run finds today changed (read raw) and the other days settled.
            by_day[today] = [
                dataclasses.replace(f, billed_cost=f.billed_cost + 1, effective_cost=f.effective_cost + 1)
                for f in by_day[today]
            ]
            _put_units(
                [
                    dataclasses.replace(u, units=u.units + 5, success_units=u.success_units + 5)
                    for u in units
                    if u.day == today
                ]
            )

        deps = dataclasses.replace(deps, sources=lambda _org: [BillingSource("aws", pull)])
        assert sheet_sync.init().ok
        warm = pipeline.run("hourly", deps, NOW - timedelta(hours=1))
        assert warm.record.status == "ok", (warm.record.message, warm.record.steps)
        accrue()
        emu.reset_log()
        started = time.perf_counter()
        result = pipeline.run("hourly", deps, NOW)
        seconds = time.perf_counter() - started
        record = result.record
        assert record.status == "ok", (record.message, record.steps)
        compute = next(s for s in record.steps if s.name == "compute")
        return {
            "n": n,
            "months": months,
            "items": items_per_month,
            "dynamodb": record.dynamodb_requests,
            "sheets": len(emu.api_requests()),
            "seconds": seconds,
            "compute": compute.detail,
            "steps": ", ".join(f"{s.name} {s.seconds:.1f}" for s in record.steps),
        }


def main() -> int:
    small = scenario(200, 1, 1_000)
    large = scenario(200, 1, 100_000)
    one = small
    thirteen = scenario(200, 13, 1_000)
    big = scenario(1000, 3, 100_000)
    print(f"{'scenario':<38} {'DynamoDB req':>12} {'Sheets req':>10} {'seconds':>8}")
    for label, r in (
        ("200 use cases, 1k items/month", small),
        ("200 use cases, 100k items/month", large),
        ("200 use cases, 13 months of history", thirteen),
        ("1,000 use cases, 3 months, 100k items", big),
    ):
        print(f"{label:<38} {r['dynamodb']:>12} {r['sheets']:>10} {r['seconds']:>8.2f}")
    items_ratio = large["dynamodb"] / small["dynamodb"]
    months_ratio = thirteen["dynamodb"] / one["dynamodb"]
    goals = [
        (
            f"100k vs 1k items a month: {items_ratio:.2f}x DynamoDB requests, "
            f"{large['seconds'] / small['seconds']:.2f}x seconds (goal <= 1.2x requests)",
            items_ratio <= 1.2,
        ),
        (
            f"13 months vs 1 month of history: {months_ratio:.2f}x DynamoDB requests, "
            f"{thirteen['seconds'] / one['seconds']:.2f}x seconds (goal <= 1.5x requests)",
            months_ratio <= 1.5,
        ),
        (f"1,000 use cases end to end: {big['seconds']:.1f} s (goal < 20 s)", big["seconds"] < 20),
    ]
    print()
    for text, ok in goals:
        print(f"{'ok ' if ok else 'MISSED'} {text}")
    figure(
        "hourly run, 200 use cases, 100k vs 1k work items a month: DynamoDB requests",
        f"{large['dynamodb']} vs {small['dynamodb']}: {items_ratio:.2f} x (Sheets {large['sheets']} vs "
        f"{small['sheets']}; {large['seconds']:.1f} s vs {small['seconds']:.1f} s)",
        "<= 1.2 x",
        items_ratio <= 1.2,
    )
    figure(
        "hourly run, 200 use cases, 13 months vs 1 month of history: DynamoDB requests",
        f"{thirteen['dynamodb']} vs {one['dynamodb']}: {months_ratio:.2f} x (Sheets {thirteen['sheets']} vs "
        f"{one['sheets']}; {thirteen['seconds']:.1f} s vs {one['seconds']:.1f} s)",
        "<= 1.5 x",
        months_ratio <= 1.5,
    )
    figure(
        "hourly run, 1,000 use cases, 3 months, end to end",
        f"{big['seconds']:.1f} s ({big['dynamodb']} DynamoDB, {big['sheets']} Sheets requests)",
        "< 20 s",
        big["seconds"] < 20,
    )
    print(f"\n(compute step, 13 months: {thirteen['compute']})")
    print(f"(1,000 use cases, seconds by step: {big['steps']})")
    return 0 if all(ok for _, ok in goals) else 1


if __name__ == "__main__":
    sys.exit(main())
