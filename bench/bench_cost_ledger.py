"""Cost ledger: DynamoDB write requests to pull a 31-day month for 20 sources and 200 use cases.

Goal (issue 4): within 1.25 x ceil(facts / 25). Also shows that re-pulling the same month
(a rerun, or vendors restating nothing) costs no item writes at all.
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1")

from bench.goals import figure  # noqa: E402

SOURCES = int(os.environ.get("BENCH_SOURCES", 20))
USE_CASES, DAYS = 200, 31
WRITES = {"BatchWriteItem", "PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems"}


def synthetic_source(n: int):
    from chalicelib.billing import BillingSource
    from chalicelib.domain.facts import CostFact

    name = f"vendor{n:02d}"

    def pull(start: date, end: date):
        return [
            CostFact(
                day=start + timedelta(days=d),
                source=name,
                category="api",
                provider=name.title(),
                service="tokens",
                billed_cost=Decimal(f"{(n * 7 + u * 3 + d) % 900}.{u % 100:02d}"),
                effective_cost=Decimal(f"{(n * 7 + u * 3 + d) % 900}.{u % 100:02d}"),
                vendor_key=f"{name}:project:uc{u:03d}",
                team=f"team{u % 12}",
                use_case=f"uc{u:03d}",
            )
            for d in range((end - start).days)
            for u in range(USE_CASES)
        ]

    return BillingSource(name, pull)


def main() -> None:
    from moto import mock_aws

    with mock_aws():
        import boto3

        from chalicelib import billing, runtime, stores
        from chalicelib.domain.organisation import Organisation
        from local.tables import create_tables

        create_tables(boto3.client("dynamodb"))
        calls: Counter = Counter()
        runtime.dynamodb().meta.client.meta.events.register(
            "before-call.dynamodb", lambda model, **_: calls.update([model.name])
        )
        sources = [synthetic_source(n) for n in range(SOURCES)]
        start, end = date(2026, 10, 1), date(2026, 11, 1)
        s = stores.stores()
        for label in ("first pull", "re-pull, nothing restated"):
            calls.clear()
            started = time.perf_counter()
            report = billing.pull_sources(
                sources, start, end, Organisation(), s.ledger, s.freshness, datetime.now(timezone.utc)
            )
            seconds = time.perf_counter() - started
            facts = sum(r.facts for r in report.results)
            writes = sum(v for k, v in calls.items() if k in WRITES)
            floor = math.ceil(facts / 25)
            print(
                f"{label}: {facts:,} facts; write requests {writes:,} "
                f"{dict((k, v) for k, v in calls.items() if k in WRITES)}; "
                f"floor ceil(facts/25) = {floor:,}; ratio {writes / floor:.3f} (goal <= 1.25); "
                f"reads {sum(v for k, v in calls.items() if k not in WRITES):,}; {seconds:.1f} s on moto"
            )
            if label == "first pull":
                figure(
                    f"ledger write requests to pull a {DAYS}-day month, {SOURCES} sources x {USE_CASES} use cases",
                    f"{writes:,} for {facts:,} facts: {writes / floor:.2f} x ceil(facts / 25) = {floor:,}",
                    "<= 1.25 x ceil(facts / 25)",
                    writes / floor <= 1.25,
                )
            else:  # only each source's freshness is written (owed, then succeeded): no ledger item
                item_writes = sum(v for k, v in calls.items() if k in WRITES - {"UpdateItem"})
                figure(
                    "write requests to re-pull the same month, nothing restated",
                    f"{writes:,} ({item_writes} writing items)",
                    f"no item written, only freshness: <= {2 * SOURCES} (2 a source)",
                    item_writes == 0 and writes <= 2 * SOURCES,
                )


if __name__ == "__main__":
    main()
