"""`make demo`'s story, smaller (a fifth of the work items and spend, only the hourly runs the story
needs), through the same code: the local stack, the real scheduled handlers on a simulated clock.
It checks what the demo tells: the drifting agent's colours week by week, the pause and its
clearing, the emails and who got them, the month close's pool credit and finance's allocation, and
the closed month's total agreeing to the cent in the ledger, the sheet, the board report and the
FOCUS export, and the month before it whole (billed and worked from its 1st, though the story's
days start on the 20th), so the board report compares two complete months; and the optimization
hints (issue 16): the claims processor's biggest lever is the model, contract review's human review,
and the support agent's retry storm is one of its levers, in the sheet and in their alert emails."""

from __future__ import annotations

import csv
import email
import io
import re
from datetime import date, timedelta
from decimal import Decimal as D

import pytest
import requests

from local.demo_org import BOARD_EMAIL, CFO_EMAIL, FINANCE_EMAIL
from local.demo_story import DRIFTING, POOL_ALLOCATION

pytestmark = pytest.mark.e2e  # `make demo`'s six weeks on the local stack: make check

END = date(2026, 12, 1)  # November closes; its Mondays M0..M5: 26 Oct, 2, 9, 16, 23 and 30 Nov
SCALE = D("0.2")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from local.dashboard_png import keep_month_end, month_end_name
    from local.demo import clean, run_story
    from local.stack import LocalStack

    out = tmp_path_factory.mktemp("demo-out")
    clean(out)
    with LocalStack(workbook=out / "finops.xlsx") as stack:  # (and the sheet on 30 Nov, as make pictures keeps it)
        result = run_story(
            stack, END, out, volume_scale=SCALE, hourly=False, on_day=keep_month_end(out / month_end_name(END))
        )
        guardrail = requests.get(
            f"{stack.api_url}/v1/use-cases/{DRIFTING}/guardrail",
            timeout=30,
            headers={"Authorization": f"Bearer {stack.tokens['teams']['support']}"},
        ).json()
        from chalicelib import stores

        pool_credits = stores.stores().pool.load()
        yield result, out, guardrail, pool_credits


def day(result, when: date):
    return next(e for e in result.story.log if e.day == when)


def eml(out, key: str):
    from email import policy

    return email.message_from_bytes((out / "outbox" / f"{key}.eml").read_bytes(), policy=policy.default)


def recipients(message) -> list:
    return [a.strip() for a in message["To"].split(",")]


def test_the_drifting_agent_week_by_week(demo):
    result, *_ = demo
    story = result.story
    m = story.mondays
    assert m[0] == date(2026, 10, 26) and m[5] == date(2026, 11, 30)
    # (colour, paused) once each Monday's weekly run has judged the week before
    assert [(day(result, d).colour, day(result, d).paused) for d in m] == [
        ("green", False),  # the week before the storm
        ("yellow", False),  # M0: 12 % over
        ("yellow", False),  # M1: 25 % over after 12 %: only one week at 20 % or more
        ("red", False),  # M2: 30 % over after 25 %
        ("critical", True),  # M3: 60 % over: critical on its Wednesday, still paused
        ("green", False),  # M4: fixed; finance cleared the pause on its Tuesday
    ]
    wednesday = day(result, m[3] + timedelta(days=2))
    assert (wednesday.colour, wednesday.paused) == ("critical", True)
    assert day(result, m[3] + timedelta(days=1)).colour == "red"
    cleared = day(result, m[4] + timedelta(days=1))
    assert (cleared.colour, cleared.paused) == ("critical", False)  # runs again, still judged critical
    assert any("Critical cleared on" in e for e in cleared.events)
    assert all(status == "ok" for entry in result.story.log for status in entry.runs.values())


def test_the_pause_and_its_clearing_as_the_agent_and_the_sheet_see_them(demo):
    result, out, guardrail, _ = demo
    assert guardrail["paused"] is False and guardrail["colour"] == "green"
    critical_key = f"slo_{DRIFTING}_{result.story.mondays[3] + timedelta(days=2)}_critical"
    body = eml(out, critical_key).get_body(preferencelist=("plain",)).get_content()
    cleared_from = re.search(r"enter a date on or after (\d{4}-\d{2}-\d{2})", body).group(1)
    assert cleared_from <= str(result.story.mondays[4] + timedelta(days=1))  # finance's date is accepted
    from chalicelib.sheet import layout

    rows = result.story.spreadsheet().worksheet(layout.USE_CASES).get_all_values()
    col = rows[0].index("Critical cleared on")
    assert next(r for r in rows if r[0] == DRIFTING)[col] == str(result.story.mondays[4] + timedelta(days=1))


def test_the_emails_of_the_story_each_once_to_the_right_people(demo):
    result, out, *_ = demo
    m = result.story.mondays
    keys = set(result.emails)
    slo = {k for k in keys if k.startswith("slo_")}
    start = result.story.start  # the two agents over target all along are red from the first run (issue 16)
    assert slo == {
        f"slo_{DRIFTING}_{m[3]}_red",
        f"slo_{DRIFTING}_{m[3] + timedelta(days=2)}_critical",
        f"slo_{DRIFTING}_{m[3]}_recovery",
        f"slo_claims-processing_{start}_red",
        f"slo_contract-review_{start}_red",
    }
    assert {k for k in keys if k.startswith("digest_")} == {f"digest_2026-W{w}" for w in range(43, 49)}
    assert "board_2026-11" in keys
    # (budget emails too in `make demo`: budgets are dollars, and this smaller world spends a fifth)
    assert {"slo", "digest", "board"} <= {k.split("_")[0] for k in keys} <= {"slo", "digest", "board", "budget"}
    owner, lead = "sam@example.com", "support-lead@example.com"
    assert recipients(eml(out, f"slo_{DRIFTING}_{m[3]}_red")) == [owner, lead]
    critical = eml(out, f"slo_{DRIFTING}_{m[3] + timedelta(days=2)}_critical")
    assert recipients(critical) == [owner, lead, FINANCE_EMAIL, CFO_EMAIL]
    assert "paused" in critical["Subject"].lower()
    assert recipients(eml(out, f"slo_{DRIFTING}_{m[3]}_recovery")) == [owner, lead, FINANCE_EMAIL, CFO_EMAIL]
    assert recipients(eml(out, f"slo_claims-processing_{start}_red")) == [
        "chris@example.com",
        "claims-lead@example.com",
    ]
    assert recipients(eml(out, f"slo_contract-review_{start}_red")) == ["olu@example.com", "ops-lead@example.com"]
    assert recipients(eml(out, "board_2026-11")) == [BOARD_EMAIL]
    assert all(recipients(eml(out, k)) == [FINANCE_EMAIL] for k in keys if k.startswith("digest_"))


def test_the_month_close_credits_the_pool_and_finance_allocates_from_it(demo):
    result, _, _, pool_credits = demo
    credits = {c.use_case: c for c in pool_credits["2026-11"]}
    lead = credits["lead-scoring"]  # $12 target, beaten: the savings go to its tier's pool
    assert lead.tier == "T2" and lead.amount > 0 and lead.actual_cpu < lead.target_cpu == D(12)
    assert DRIFTING not in credits  # over its target: no credit
    pool = result.pool
    amount = result.story.allocation_amount
    assert amount == (POOL_ALLOCATION[2] * SCALE).quantize(D(1))
    assert pool.credited["T2"] == sum(c.amount for c in credits.values() if c.tier == "T2")
    assert pool.allocated["T2"] == amount and pool.balances["T2"] == pool.credited["T2"] - amount
    assert not pool.refused
    assert [(a.to_use_case, a.accepted) for a in pool.allocations] == [("sdr-followup", True)]


def test_the_closed_month_total_agrees_to_the_cent_in_ledger_sheet_board_report_and_focus(demo):
    result, out, *_ = demo
    ledger = D(result.summary["total"])  # GET /v1/summary?month=2026-11
    assert ledger > 0
    assert D(str(result.sheet_figure("Total AI spend"))).quantize(D("0.01")) == ledger
    assert result.board.total.quantize(D("0.01")) == ledger
    assert f"${ledger:,.2f}" in result.board_html  # the page the monthly close stored in S3
    assert (out / "board-report.html").read_bytes().decode() == result.board_html
    assert result.focus_total().quantize(D("0.01")) == ledger
    assert (out / "focus-2026-11.csv").read_bytes().decode() == result.focus_csv
    # finance's expected total is met within its tolerance; the shadow spend stays unallocated
    assert {k["key"] for k in result.summary["unallocated_keys"]} == {
        "openai:project:proj_shadow_marketing",
        "anthropic:workspace:default",
    }
    assert (out / "finops.xlsx").stat().st_size > 0


def test_the_board_report_tab_names_the_page_the_close_stored_in_s3(demo):
    from chalicelib.services import pipeline
    from local.stack import REPORTS_BUCKET

    result, *_ = demo
    # result.board_html is that object's body, read back from moto's S3 (run_story)
    assert result.sheet_figure("Stored page") == f"s3://{REPORTS_BUCKET}/{pipeline.board_report_key('2026-11')}"
    assert "Open in the S3 console" not in [r[0] for r in result.board_tab if r]  # moto's S3 has no console


# --- the prior month: October, whole ------------------------------------------------------------------

OCTOBER = [date(2026, 10, 1) + timedelta(days=n) for n in range(31)]


def billed_dollars(story, day: date) -> D:
    """What the vendors' emulators bill for `day`, in dollars: the OpenAI and Anthropic rows, the Cost
    Explorer page and the invoice CSV, as the story serves them."""
    total = sum((r["amount"]["value"] for r in story.openai_rows(day)), D(0))
    total += sum((D(r["amount"]).scaleb(-2) for r in story.anthropic_rows(day)), D(0))  # cents
    for result in story.aws_page(day, day + timedelta(days=1))["ResultsByTime"]:
        total += sum((D(g["Metrics"]["UnblendedCost"]["Amount"]) for g in result["Groups"]), D(0))
    return total + sum((D(r["amount"]) for r in csv.DictReader(io.StringIO(story.invoice_csv(day)))), D(0))


def test_october_is_whole_every_day_billed_and_in_the_ledger_though_the_story_starts_on_the_20th(demo):
    from local.demo import _api

    result, *_ = demo
    story = result.story
    assert story.start == date(2026, 10, 20) and story.history() == OCTOBER[:19]
    rows = list(csv.DictReader(io.StringIO(_api(story.stack, "/v1/exports/focus", "admin", month="2026-10").text)))
    by_day: dict = {}
    for r in rows:
        if r["x_IcebergCategory"] != "human_review":  # worked out from the work items, not billed
            day = date.fromisoformat(r["ChargePeriodStart"][:10])
            by_day[day] = by_day.get(day, D(0)) + D(r["BilledCost"])
    assert sorted(by_day) == OCTOBER
    assert {d: v.quantize(D("0.01")) for d, v in by_day.items()} == {
        d: billed_dollars(story, d).quantize(D("0.01")) for d in OCTOBER
    }
    # and nothing before it: the history is the month before the closed one, no more
    assert D(_api(story.stack, "/v1/summary", "sheet", month="2026-09").json()["total"]) == 0


def test_october_is_worked_too_so_each_agents_cost_per_unit_is_judged(demo):
    from local.demo import _api

    result, *_ = demo
    story = result.story
    text = _api(story.stack, "/v1/exports/unit-costs", "admin", month="2026-10").text
    months = {r["use_case"]: r for r in csv.DictReader(io.StringIO(text)) if r["period"] == "month"}
    assert set(months) == {u.use_case_id for u in story.org.use_cases}
    for use_case, r in months.items():
        worked = [d for d in OCTOBER if d >= story.start] if use_case == "sdr-followup" else OCTOBER
        assert int(r["units"]) == sum(story.volume(use_case, d) for d in worked) > 0, use_case
        assert D(r["cost_per_unit"]) > 0, use_case
    # the experiment starts with the story: no spend or work before it
    assert story.volume("sdr-followup", story.start - timedelta(days=1)) == 0
    assert not any(r["project_id"] == "proj_sdr_followup" for r in story.openai_rows(story.start - timedelta(days=1)))


def test_the_board_report_compares_two_whole_months_to_the_cent_everywhere(demo):
    from local.demo import _api

    result, *_ = demo
    story = result.story
    october = _api(story.stack, "/v1/summary", "sheet", month="2026-10").json()
    prior = D(october["total"])
    human_review = sum((D(c["total"]) for c in october["by_category"] if c["name"] == "human_review"), D(0))
    assert prior - human_review == sum((billed_dollars(story, d) for d in OCTOBER), D(0)).quantize(D("0.01"))
    b = result.board
    assert b.prior_month == "2026-10" and b.prior_total.quantize(D("0.01")) == prior
    assert D(str(result.sheet_figure("Prior month (2026-10)"))).quantize(D("0.01")) == prior
    assert f"${prior:,.2f}" in result.board_html
    change = D(result.summary["total"]) - prior
    assert b.change == change and D(str(result.sheet_figure("Change on prior month"))).quantize(D("0.01")) == change
    # October had 31 days and the experiment only from the 20th: within a few percent of November
    assert abs(b.change_share) < D("0.10")


def test_the_dashboard_picture_is_of_the_closed_months_last_day_not_the_1st_after_it(demo, tmp_path):
    """`make pictures` renders docs/dashboard.png from the sheet as it stood on 30 November after that
    day's runs: November's month to date (29 days billed), not December's $0."""
    import openpyxl

    from chalicelib.sheet import layout
    from local.dashboard_png import dashboard_workbook, month_end_name
    from tests.sheet.helpers import find_row

    result, out, *_ = demo
    assert month_end_name(END) == "finops-2026-11-30.xlsx"
    ws = openpyxl.load_workbook(dashboard_workbook(out / month_end_name(END), tmp_path / "Dashboard.xlsx"))[
        layout.DASHBOARD
    ]
    rows = [[c for c in r] for r in ws.iter_rows(values_only=True)]
    assert rows[0][1] == "month 2026-11" and str(rows[1][1]).startswith("2026-11-30 ")  # its last run
    month_to_date = D(str(find_row(rows, "Spend, month to date")[1]))
    through_29th = sum(
        (
            D(r["BilledCost"])
            for r in csv.DictReader(io.StringIO(result.focus_csv))
            if r["ChargePeriodStart"] < "2026-11-30"
        ),
        D(0),
    )  # the 30th is billed at its end
    assert month_to_date == through_29th.quantize(D("0.01")) > 0
    # the sheet as it stands at the end of the story: December's Dashboard, nothing spent yet
    final = {
        r[0]: r
        for r in result.story.spreadsheet().worksheet(layout.DASHBOARD).get(value_render_option="UNFORMATTED_VALUE")
        if r
    }
    assert D(str(final["Spend, month to date"][1])) == 0


# --- optimization hints (issue 16) -------------------------------------------------------------------


def plain_body(out, key: str) -> str:
    return eml(out, key).get_body(preferencelist=("plain",)).get_content()


def test_three_agents_and_their_levers_in_the_alert_emails(demo):
    """The claims processor's biggest lever is the model, contract review's is human review, and the
    support agent's retry storm is one of its levers, each in the email that alerted its owner."""
    result, out, *_ = demo
    m, start = result.story.mondays, result.story.start
    claims = plain_body(out, f"slo_claims-processing_{start}_red")
    assert "Biggest levers" in claims and "1. Route OpenAI traffic from gpt-4o to gpt-4o-mini" in claims
    assert "brings the cost per claim processed to its $3.70 target" in " ".join(claims.split())
    review = plain_body(out, f"slo_contract-review_{start}_red")
    assert "1. Cut human review minutes per contract reviewed by 50.0 %" in review
    assert "Human review is" in " ".join(review.split())
    for key in (f"slo_{DRIFTING}_{m[3]}_red", f"slo_{DRIFTING}_{m[3] + timedelta(days=2)}_critical"):
        assert "Stop the retry storm" in plain_body(out, key), key


def test_the_levers_in_the_sheet_and_the_guardrail_on_the_closed_month(demo):
    from chalicelib.sheet import layout

    result, out, *_ = demo
    story = result.story
    levers = {uc: result.optimization.current[uc] for uc in ("claims-processing", "contract-review", DRIFTING)}
    assert {uc: lev.month for uc, lev in levers.items()} == dict.fromkeys(levers, "2026-11")  # on the 1st: November
    assert levers["claims-processing"].biggest.lever == "model"
    assert levers["contract-review"].biggest.lever == "human_review"
    assert "retries" in [h.lever for h in levers[DRIFTING].hints]
    tab = story.spreadsheet().worksheet(layout.OPTIMIZATION).get_all_values()
    first = {r[0]: r for r in tab if len(r) > 5 and r[3] == "1"}
    assert first["claims-processing"][5] == "Route OpenAI traffic from gpt-4o to gpt-4o-mini"
    assert first["contract-review"][4] == "human review"
    assert any(r[0] == DRIFTING and r[4] == "retries" for r in tab if len(r) > 4)
    pnl = story.spreadsheet().worksheet(layout.AGENT_PNL).get_all_values()
    col = pnl[0].index("Biggest lever")
    row = next(r for r in pnl if r[0] == "2026-11" and r[2] == "claims-processing")
    assert row[col].startswith("Route OpenAI traffic from gpt-4o to gpt-4o-mini: -$")
    rail = requests.get(
        f"{story.stack.api_url}/v1/use-cases/contract-review/guardrail",
        timeout=30,
        headers={"Authorization": f"Bearer {story.stack.tokens['teams']['operations']}"},
    ).json()
    assert rail["colour"] == "red" and rail["hints"][0]["lever"] == "human_review"
    # the usage the hints read agrees with the costs: claims' gpt-4o tokens at list price are its API cost
    mix = levers["claims-processing"].mix[0]
    api = levers["claims-processing"].cost_per_unit_by_category["api"] * levers["claims-processing"].units
    assert mix.model == "gpt-4o" and abs(mix.spend_at_list - api) < D("0.05")
