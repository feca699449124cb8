"""`make demo`: the main job on the local stack, told as a month a finance team can follow.

1. Billing: pull the month so far from the OpenAI and Anthropic billing emulators and AWS Cost
   Explorer (moto), and upload the Pinecone and Datadog invoices as CSV through the API.
2. Work: each team's agents post every day's completed work items through the HTTP API (with
   the reposts and mistakes real clients make).
3. Read back: the month's summary (total, the iceberg, teams, unallocated spend) over the API.
"""
from __future__ import annotations

import random
import sys
from datetime import date, datetime, timedelta, timezone

import requests

from local import demo_billing
from local.demo_org import DAILY_VOLUME, demo_organisation
from local.stack import LocalStack

BATCH = 500


def demo_window(today: date) -> tuple[date, date]:
    """[first, end): the month so far, or all of last month early in a month."""
    if today.day > 3:
        return today.replace(day=1), today
    last_month_end = today.replace(day=1)
    return (last_month_end - timedelta(days=1)).replace(day=1), last_month_end


def volume(use_case: str, day: date, end: date) -> int:
    base = DAILY_VOLUME.get(use_case, 0)
    if day.weekday() >= 5:
        base = base * 2 // 3
    if use_case == "lead-scoring" and (end - day).days <= 7:
        base = base * 2 // 5  # the CRM sync broke: fewer leads scored for the same spend
    return base


def work_items_for_day(day: date, end: date, rng: random.Random) -> dict:
    """{team: [item, ...]} for one UTC day."""
    by_team: dict = {}
    start = datetime(day.year, day.month, day.day, tzinfo=timezone.utc)
    for use_case in demo_organisation().use_cases:
        for n in range(volume(use_case.use_case_id, day, end)):
            item = {
                "work_item_id": f"{use_case.use_case_id}-{day:%Y%m%d}-{n:05d}",
                "use_case": use_case.use_case_id,
                "completed_at": (start + timedelta(seconds=rng.randrange(86_400))).isoformat().replace("+00:00", "Z"),
                "status": "success" if rng.random() < 0.93 else "failure",
            }
            if use_case.use_case_id == "claims-processing" and rng.random() < 0.10:
                item["human_review_minutes"] = rng.choice([3, 4.5, 5, 6, 7.5])
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


def post_month_of_work(stack: LocalStack, first: date, end: date, out) -> dict:
    rng = random.Random(f"{first}")
    by_team: dict = {}
    for n in range((end - first).days):
        for team, items in work_items_for_day(first + timedelta(days=n), end, rng).items():
            by_team.setdefault(team, []).extend(items)
    results = {}
    for team, items in sorted(by_team.items()):
        # Real clients retry (a repost replaces, never double-counts) and make mistakes.
        items = items + items[:5] + [dict(items[0], work_item_id=items[0]["work_item_id"] + "-bad", status="done")]
        results[team] = totals = post_all(stack.api_url, stack.tokens["teams"][team], items)
        print(f"  {team:<11} accepted {totals['accepted']:>6}  replaced {totals['replaced']:>3}  "
              f"rejected {totals['rejected']:>2}", file=out)
    example = next(iter(results.values()))["errors"][0]
    print(f"  (a rejected item is answered with its field and reason: {example['error']['field']} "
          f"{example['error']['reason']})", file=out)
    return results


def pull_billing(stack: LocalStack, first: date, end: date, out):
    from chalicelib import billing, stores

    demo_billing.inject_aws_costs_into_moto(first, end, endpoint_url=stack.moto_url)
    s = stores.stores()
    org = stores.organisation()
    report = billing.pull_sources(billing.vendor_sources(org, s.work_items), first, end, org, s.ledger,
                                  s.freshness, datetime.now(timezone.utc))
    for r in report.results:
        print(f"  {r.source:<13} {r.facts:>4} daily cost facts" if r.ok else f"  {r.source:<13} FAILED {r.error}",
              file=out)
    invoices = requests.post(f"{stack.api_url}/v1/cost-imports?feed=invoices", timeout=60,
                             data=demo_billing.invoice_csv(first, end).encode(),
                             headers={"Authorization": f"Bearer {stack.tokens['admin']}", "Content-Type": "text/csv"})
    invoices.raise_for_status()
    answer = invoices.json()
    print(f"  invoices CSV  {answer['rows_stored']:>4} rows ({answer['format']}), total ${answer['total']}", file=out)
    return report


def show_summary(stack: LocalStack, month: str, out) -> dict:
    body = requests.get(f"{stack.api_url}/v1/summary", params={"month": month}, timeout=60,
                        headers={"Authorization": f"Bearer {stack.tokens['sheet']}"}).json()
    print(f"  Total AI spend {month}: ${body['total']}  (coverage {float(body['coverage'] or 0):.1%} allocated)",
          file=out)
    print("  The iceberg:", ", ".join(f"{r['name']} ${r['total']}" for r in body["by_category"] if r["total"] != "0.00"),
          file=out)
    print("  By team:    ", ", ".join(f"{r['name']} ${r['total']}" for r in body["by_team"]), file=out)
    for key in body["unallocated_keys"]:
        print(f"  Unallocated: {key['key']} ${key['total']} ({key['reason']}) -> map it in the sheet", file=out)
    return body


def run_demo(stack: LocalStack, today: date, out=sys.stdout) -> dict:
    first, end = demo_window(today)
    print(f"\n1. Work: the teams' agents post {first:%d %b}-{end - timedelta(days=1):%d %b %Y}'s work items "
          f"to {stack.api_url}/v1/work-items", file=out)
    posted = post_month_of_work(stack, first, end, out)
    print("\n2. Billing: pull the vendors' cost APIs and upload the invoices", file=out)
    pull_billing(stack, first, end, out)
    print("\n3. The month so far (GET /v1/summary)", file=out)
    summary = show_summary(stack, f"{first:%Y-%m}", out)
    return {"window": (first, end), "posted": posted, "summary": summary}


def main() -> int:
    print("Starting the local stack (moto server, vendor billing emulators, chalice local) ...", flush=True)
    with LocalStack() as stack:
        print(stack.describe(), flush=True)
        run_demo(stack, datetime.now(timezone.utc).date())
    return 0


if __name__ == "__main__":
    sys.exit(main())
