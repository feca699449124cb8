"""Seed cost facts and unit counts into the stores served (moto's tables, or in memory), for sheet tests and the bench.

`seed_demo(today)`: the demo organisation's month: lead scoring running hot in the last
weeks (the CRM sync broke), support drifting, claims on target, shared observability
split by direct spend, and an unmapped OpenAI project left for finance to map.
`big_organisation(n)`: n use cases over 10 teams, for request-count tests.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal as D

from chalicelib.domain.facts import UNALLOCATED, CostFact, DailyUnits
from chalicelib.domain.organisation import Organisation, Team, UseCase

# use case -> (units per weekday, cost per unit in USD, vendor key or "" for AWS tags)
DEMO_PROFILE = {
    "lead-scoring": (66, D("11.20"), "openai:project:proj_sales_leads"),
    "sdr-followup": (60, D("0.55"), ""),
    "ticket-escalation": (95, D("0.43"), "anthropic:workspace:wrkspc_support"),
    "claims-processing": (290, D("4.60"), "openai:project:proj_claims"),
    "contract-review": (75, D("2.70"), ""),
}


def _put_units(rows: list) -> None:
    """Unit counters into the served work-item store: on DynamoDB, written to its counters table as the
    store keeps them (one item per use case and day: posting every work item through moto would take
    minutes); any other store (in memory) is given the work items behind them (`_save_units`)."""
    from chalicelib import runtime, stores
    from chalicelib.storage.batching import batch_write
    from chalicelib.storage.settled_days import DayRevisions
    from chalicelib.storage.work_items import WorkItemStore

    work_items = stores.stores().work_items
    if not isinstance(work_items, WorkItemStore):
        _save_units(rows, work_items)
        return
    table = runtime.TableNames.from_env().unit_counts
    requests = [
        {
            "PutRequest": {
                "Item": {
                    "use_case": u.use_case,
                    "day": u.day.isoformat(),
                    "month": u.day.isoformat()[:7],
                    "units": D(u.units),
                    "success_units": D(u.success_units),
                    "review_minutes": u.review_minutes,
                }
            }
        }
        for u in rows
    ]
    # A writer of counters, as the work-item store is: the days' cached copies go stale.
    with DayRevisions(runtime.dynamodb(), table, "use_case", "day").writing({u.day for u in rows}):
        batch_write(runtime.dynamodb(), table, requests)


def _save_units(rows: list, work_items) -> None:
    """Unit counters through the work-item store's interface (`save`): the work items behind the rows."""
    from datetime import datetime, timezone

    work_items.save(work_items_behind(rows), datetime.now(timezone.utc))


def work_items_behind(rows: list) -> list:
    """The work items whose counters are `rows` (DailyUnits): per row, `units` items completed at noon
    UTC that day, `success_units` of them successes, the first carrying the day's review minutes."""
    from datetime import datetime, time, timezone

    from chalicelib.domain.work_items import WorkItem

    items = []
    for u in rows:
        assert u.units > 0 or not u.review_minutes, f"{u}: review minutes need a work item to carry them"
        at = datetime.combine(u.day, time(12), tzinfo=timezone.utc)
        day = u.day.isoformat()
        items += [
            WorkItem(
                f"seed-{day}-{n}",
                u.use_case,
                at,
                "success" if n < u.success_units else "failure",
                D(u.review_minutes) if n == 0 else D(0),
            )
            for n in range(u.units)
        ]
    return items


def _put_facts(facts: list) -> None:
    from chalicelib import stores

    ledger = stores.stores().ledger
    by_source: dict = {}
    for f in facts:
        by_source.setdefault(f.source, []).append(f)
    for source, items in by_source.items():
        ledger.replace_days(source, sorted({f.day for f in items}), items)


def seed_demo(today: date, days: int = 84, seed: int = 7) -> dict:
    """Facts and units for the demo organisation over the `days` before `today` (today included)."""
    rng = random.Random(seed)
    facts, units = [], []
    team_of = {
        "lead-scoring": "sales",
        "sdr-followup": "sales",
        "ticket-escalation": "support",
        "claims-processing": "claims",
        "contract-review": "operations",
    }
    for n in range(days):
        day = today - timedelta(days=days - 1 - n)
        weekend = day.weekday() >= 5
        for uid, (volume, cpu, key) in DEMO_PROFILE.items():
            count = volume * 2 // 3 if weekend else volume
            unit_cpu = cpu
            if uid == "lead-scoring" and (today - day).days <= 13:
                count = count * 2 // 5  # the CRM sync broke: fewer leads for the same spend
            if uid == "ticket-escalation" and (today - day).days <= 20:
                unit_cpu = cpu * D("1.12")
            jitter = D(rng.randint(95, 105)) / 100
            cost = (unit_cpu * volume * jitter * (D(2) / 3 if weekend else 1)).quantize(D("0.01"))
            if key:
                source = key.split(":")[0]
                provider = {"openai": "OpenAI", "anthropic": "Anthropic"}[source]
                facts.append(
                    CostFact(
                        day,
                        source,
                        "api",
                        provider,
                        "gpt-4o" if source == "openai" else "claude",
                        cost,
                        cost,
                        vendor_key=key,
                    )
                )
            else:
                facts.append(
                    CostFact(
                        day,
                        "aws",
                        "self_hosted",
                        "AWS",
                        "SageMaker",
                        cost,
                        cost,
                        vendor_key=f"aws:tag:use-case={uid}",
                        team=team_of[uid],
                        use_case=uid,
                    )
                )
            units.append(DailyUnits(uid, day, count, count * 93 // 100, D(count // 10 * 5)))
        facts.append(
            CostFact(
                day,
                "import:invoices",
                "observability",
                "Datadog",
                "APM",
                D("40.00"),
                D("40.00"),
                team="shared",
                use_case="platform-observability",
            )
        )
        facts.append(
            CostFact(
                day,
                "import:invoices",
                "vector_db",
                "Pinecone",
                "serverless",
                D("25.50"),
                D("25.50"),
                team="claims",
                use_case="claims-processing",
            )
        )
        facts.append(
            CostFact(
                day,
                "openai",
                "api",
                "OpenAI",
                "gpt-4o-mini",
                D("18.75"),
                D("18.75"),
                vendor_key="openai:project:proj_shadow_marketing",
            )
        )
    _put_facts(facts)
    _put_units(units)
    return {"facts": facts, "units": units}


def big_organisation(n: int) -> Organisation:
    teams = tuple(Team(f"team-{t:02d}", f"Team {t:02d}", f"lead{t}@example.com", D(50000)) for t in range(10))
    use_cases = tuple(
        UseCase(
            f"uc-{i:04d}",
            f"team-{i % 10:02d}",
            f"Agent {i:04d}",
            "ticket resolved",
            f"owner{i}@example.com",
            monthly_budget=D(2000),
            target_cpu=D("0.50"),
            estimated_monthly_cost=D(1500),
            approved_tier="T1",
        )
        for i in range(n)
    )
    return Organisation(teams=teams, use_cases=use_cases)


def seed_big(org: Organisation, today: date, days: int = 7) -> None:
    facts, units = [], []
    for n in range(days):
        day = today - timedelta(days=days - 1 - n)
        for i, u in enumerate(org.use_cases):
            volume = 100 + i % 50
            cost = D(volume) * D("0.50") * (D("1.3") if i % 7 == 0 else D(1))
            facts.append(
                CostFact(day, "aws", "self_hosted", "AWS", "Bedrock", cost, cost, team=u.team, use_case=u.use_case_id)
            )
            units.append(DailyUnits(u.use_case_id, day, volume, volume))
        facts.append(
            CostFact(
                day,
                "openai",
                "api",
                "OpenAI",
                "gpt-4o",
                D("12.00"),
                D("12.00"),
                vendor_key=f"openai:project:proj_new_{n % 3}",
                team=UNALLOCATED,
            )
        )
    _put_facts(facts)
    _put_units(units)
