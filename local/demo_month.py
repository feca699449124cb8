"""The month-so-far walk-through (what `make demo` was before the six-week story of local/demo.py):
one month on the local stack, told as a month a finance team can follow. tests/test_local_stack_e2e.py
runs it (`from local.demo import run_demo` still works).

1. Billing: pull the month so far from the OpenAI and Anthropic billing emulators and AWS Cost
   Explorer (moto), and upload the Pinecone and Datadog invoices as CSV through the API.
2. Work: each team's agents post every day's completed work items through the HTTP API (with
   the reposts and mistakes real clients make).
3. Read back: the month's summary (total, the iceberg, teams, unallocated spend) over the API.
4. The Google Sheet: lay it out (finance's tabs filled from the configuration), sync: every
   output tab written in one request, each agent's guardrail stored; agents ask the API.
5. Finance edits the sheet: maps the shadow OpenAI project to the SDR follow-up experiment;
   the next sync allocates it. The workbook stays in demo-out/finops.xlsx (open it in
   LibreOffice or Excel).
"""

from __future__ import annotations

import random
import sys
from datetime import date, datetime, timedelta, timezone

import requests

from local import demo_billing
from local.demo_api import post_work_items, upload_invoices
from local.demo_org import DAILY_VOLUME, demo_organisation
from local.stack import LocalStack


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
        results[team] = totals = post_work_items(stack.api_url, stack.tokens["teams"][team], items)
        print(
            f"  {team:<11} accepted {totals['accepted']:>6}  replaced {totals['replaced']:>3}  "
            f"rejected {totals['rejected']:>2}",
            file=out,
        )
    example = next(iter(results.values()))["errors"][0]
    print(
        f"  (a rejected item is answered with its field and reason: {example['error']['field']} "
        f"{example['error']['reason']})",
        file=out,
    )
    return results


def pull_billing(stack: LocalStack, first: date, end: date, at: datetime, out):
    from chalicelib import billing, stores

    demo_billing.inject_aws_costs_into_moto(first, end, endpoint_url=stack.moto_url)
    s = stores.stores()
    org = stores.organisation()
    report = billing.pull_sources(billing.vendor_sources(org, s.work_items), first, end, org, s.ledger, s.freshness, at)
    for r in report.results:
        print(
            f"  {r.source:<13} {r.facts:>4} daily cost facts" if r.ok else f"  {r.source:<13} FAILED {r.error}",
            file=out,
        )
    answer = upload_invoices(stack.api_url, stack.tokens["admin"], demo_billing.invoice_csv(first, end))
    print(f"  invoices CSV  {answer['rows_stored']:>4} rows ({answer['format']}), total ${answer['total']}", file=out)
    return report


def show_summary(stack: LocalStack, month: str, out) -> dict:
    body = requests.get(
        f"{stack.api_url}/v1/summary",
        params={"month": month},
        timeout=60,
        headers={"Authorization": f"Bearer {stack.tokens['sheet']}"},
    ).json()
    print(
        f"  Total AI spend {month}: ${body['total']}  (coverage {float(body['coverage'] or 0):.1%} allocated)", file=out
    )
    print(
        "  The iceberg:",
        ", ".join(f"{r['name']} ${r['total']}" for r in body["by_category"] if r["total"] != "0.00"),
        file=out,
    )
    print("  By team:    ", ", ".join(f"{r['name']} ${r['total']}" for r in body["by_team"]), file=out)
    for key in body["unallocated_keys"]:
        print(f"  Unallocated: {key['key']} ${key['total']} ({key['reason']}) -> map it in the sheet", file=out)
    return body


def sync_sheet(now: datetime, out) -> object:
    from chalicelib.services import pipeline

    report = pipeline.sync(now)
    print(f"  {report.lines()[0]}", file=out)
    for key in report.new_mapping_keys:
        print(f"  new unmapped vendor key added to the Mappings tab: {key}", file=out)
    if not report.ok:
        raise RuntimeError(f"sheet sync failed: {report.error}")
    return report


def show_guardrails(stack: LocalStack, out) -> dict:
    headers = {"Authorization": f"Bearer {stack.tokens['sheet']}"}
    answers = {}
    for use_case in demo_organisation().use_cases:
        g = requests.get(
            f"{stack.api_url}/v1/use-cases/{use_case.use_case_id}/guardrail", headers=headers, timeout=30
        ).json()
        answers[use_case.use_case_id] = g
        print(
            f"  {g['use_case']:<19} {str(g['colour']):<9} {'PAUSED' if g['paused'] else 'runs':<7}"
            f" CPU ${g['cost_per_unit'] or '-':<9} target ${g['target'] or '-':<8}"
            f" {(g['reason'] or '')[:90]}",
            file=out,
        )
    return answers


def unallocated_now(month: str, out) -> dict:
    """The month's summary as the sync just saw it (the API's warm cache catches up within 30 s)."""
    from chalicelib import stores
    from chalicelib.summary import month_summary

    s = stores.stores()
    body = month_summary(month, s.organisation.load(), s.ledger, s.work_items, s.freshness)
    print(
        f"  Unallocated now: ${body['unallocated']} (coverage {float(body['coverage'] or 0):.1%}); "
        f"sales ${next(r['total'] for r in body['by_team'] if r['name'] == 'sales')}",
        file=out,
    )
    for key in body["unallocated_keys"]:
        print(f"  still to map: {key['key']} ${key['total']}", file=out)
    return body


def finance_maps_shadow_spend(workbook, out) -> None:
    """What finance does by hand in the sheet: assign the unmapped key to a team and use case."""
    import openpyxl

    book = openpyxl.load_workbook(workbook)
    tab = book["Mappings"]
    header = [c.value for c in tab[1]]
    key_col, team_col, use_case_col = (header.index(h) + 1 for h in ("Vendor key", "Team", "Use case"))
    for row in range(2, tab.max_row + 1):
        if tab.cell(row, key_col).value == demo_billing.VENDOR_KEY_OPENAI_SHADOW_MARKETING:
            tab.cell(row, team_col).value = "sales"
            tab.cell(row, use_case_col).value = "sdr-followup"
            print(
                f"  Mappings!{tab.cell(row, team_col).coordinate}: {demo_billing.VENDOR_KEY_OPENAI_SHADOW_MARKETING}"
                " -> sales / sdr-followup",
                file=out,
            )
    book.save(workbook)


def run_demo(stack: LocalStack, today: date, out=sys.stdout) -> dict:
    first, end = demo_window(today)
    print(
        f"\n1. Work: the teams' agents post {first:%d %b}-{end - timedelta(days=1):%d %b %Y}'s work items "
        f"to {stack.api_url}/v1/work-items",
        file=out,
    )
    posted = post_month_of_work(stack, first, end, out)
    # The story's clock: the sync runs late on the window's last day, the pull a little before it.
    now = datetime.combine(end - timedelta(days=1), datetime.min.time(), timezone.utc) + timedelta(hours=23)
    print("\n2. Billing: pull the vendors' cost APIs and upload the invoices", file=out)
    pull_billing(stack, first, end, now - timedelta(minutes=10), out)
    print("\n3. The month so far (GET /v1/summary)", file=out)
    month = f"{first:%Y-%m}"
    summary = show_summary(stack, month, out)

    from chalicelib import sheet_sync

    print(f"\n4. The Google Sheet ({stack.workbook})", file=out)
    init = sheet_sync.init()
    print(
        f"  laid out: {len(init.created)} tabs created ({', '.join(init.created)})"
        if init.created
        else "  laid out already: nothing to change",
        file=out,
    )
    first_sync = sync_sheet(now, out)
    print("  What each agent is told (GET /v1/use-cases/{id}/guardrail):", file=out)
    guardrails = show_guardrails(stack, out)

    print("\n5. Finance maps the shadow spend in the sheet, and the next sync allocates it", file=out)
    finance_maps_shadow_spend(stack.workbook, out)
    second_sync = sync_sheet(now, out)
    after = unallocated_now(month, out)
    print(
        f"\nOpen {stack.workbook} to see the Dashboard, Agent P&L, Unit costs, Alerts, Reallocation pool and "
        "Board report.",
        file=out,
    )
    return {
        "window": (first, end),
        "posted": posted,
        "summary": summary,
        "guardrails": guardrails,
        "syncs": (first_sync, second_sync),
        "summary_after_mapping": after,
    }


def main() -> int:
    print("Starting the local stack (moto server, billing and Sheets emulators, chalice local) ...", flush=True)
    from local.stack import ROOT

    workbook = ROOT / "demo-out" / "finops.xlsx"
    workbook.unlink(missing_ok=True)  # the story starts from an empty spreadsheet every time
    with LocalStack(workbook=workbook) as stack:
        print(stack.describe(), flush=True)
        run_demo(stack, datetime.now(timezone.utc).date())
    return 0


if __name__ == "__main__":  # python -m local.demo_month
    sys.exit(main())
