"""`make demo`: the main job on the local stack, told as a story a finance team can follow.

Today: start the stack, let each team's agents post a realistic day of work items through the
HTTP API (with a few mistakes and reposts, as real clients make), and show what was stored.
"""
from __future__ import annotations

import random
import sys
from datetime import datetime, timedelta, timezone

import requests

from local.demo_org import DAILY_VOLUME, demo_organisation
from local.stack import LocalStack

BATCH = 500


def day_of_work(day_start: datetime, rng: random.Random) -> dict:
    """Work items per team for one UTC day: {team: [item, ...]}."""
    org = demo_organisation()
    by_team: dict = {}
    for use_case in org.use_cases:
        for n in range(DAILY_VOLUME.get(use_case.use_case_id, 0)):
            completed = day_start + timedelta(seconds=rng.randrange(0, 86_400))
            item = {
                "work_item_id": f"{use_case.use_case_id}-{day_start:%Y%m%d}-{n:05d}",
                "use_case": use_case.use_case_id,
                "completed_at": completed.isoformat().replace("+00:00", "Z"),
                "status": "success" if rng.random() < 0.93 else "failure",
            }
            if use_case.use_case_id in ("claims-processing", "ticket-escalation") and rng.random() < 0.3:
                item["human_review_minutes"] = rng.choice([2, 3.5, 5, 8, 12])
            by_team.setdefault(use_case.team, []).append(item)
    return by_team


def post_all(api_url: str, token: str, items: list) -> dict:
    totals = {"accepted": 0, "replaced": 0, "rejected": 0, "errors": []}
    for start in range(0, len(items), BATCH):
        response = requests.post(f"{api_url}/v1/work-items", json={"items": items[start:start + BATCH]},
                                 headers={"Authorization": f"Bearer {token}"}, timeout=60)
        response.raise_for_status()
        answer = response.json()
        for key in ("accepted", "replaced", "rejected"):
            totals[key] += answer[key]
        totals["errors"] += [r for r in answer["results"] if r["status"] == "rejected"]
    return totals


def run_demo(stack: LocalStack, today: datetime, out=sys.stdout) -> dict:
    from chalicelib import stores

    rng = random.Random(20261123)
    yesterday = (today - timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    print(f"Posting {yesterday:%A %d %B %Y}'s work items through {stack.api_url}/v1/work-items", file=out)
    for team, items in sorted(day_of_work(yesterday, rng).items()):
        # Real clients retry: repost a slice (replaced, never double-counted) and send one mistake.
        items = items + items[:5] + [dict(items[0], work_item_id=items[0]["work_item_id"] + "-bad",
                                          status="done")]
        totals = post_all(stack.api_url, stack.tokens["teams"][team], items)
        print(f"  {team:<11} accepted {totals['accepted']:>4}  replaced {totals['replaced']:>3}  "
              f"rejected {totals['rejected']:>2}", file=out)
        for error in totals["errors"][:1]:
            print(f"              rejected item {error.get('work_item_id')}: {error['error']['field']} "
                  f"{error['error']['reason']}", file=out)

    print("\nStored per use case (from the per-day unit counters in DynamoDB):", file=out)
    counts = {u.use_case: u for u in stores.stores().work_items.units_for_month(f"{yesterday:%Y-%m}")
              if u.day == yesterday.date()}
    print(f"  {'use case':<20} {'unit of work':<18} {'units':>6} {'success':>8} {'review min':>11}", file=out)
    for use_case in demo_organisation().use_cases:
        c = counts.get(use_case.use_case_id)
        print(f"  {use_case.use_case_id:<20} {use_case.unit_of_work:<18} {c.units if c else 0:>6} "
              f"{c.success_units if c else 0:>8} {c.review_minutes if c else 0:>11}", file=out)
    return counts


def main() -> int:
    print("Starting the local stack (moto server + chalice local) ...", flush=True)
    with LocalStack() as stack:
        print(stack.describe() + "\n", flush=True)
        run_demo(stack, datetime.now(timezone.utc))
    return 0


if __name__ == "__main__":
    sys.exit(main())
