"""`make demo`'s story: six weeks of an organisation's AI spend on the local stack, on a simulated
clock, told by the real scheduled handlers (app.hourly/daily/weekly/monthly).

Each simulated day:
- the scheduled runs fire with the day's simulated time as their EventBridge event time
  (`LocalScheduler.fire`): the daily run at 02:35, the weekly on Mondays at 05:35, the monthly on
  the 1st at 03:35, and an hourly run at 10:05 on the days finance edits the sheet after the daily
  run (the pause cleared; the pool allocated on the 1st) and on the Wednesday the agent goes
  critical. Here the vendors bill and the agents post at the end of the day, so an hourly run on
  any other day would find what the daily run found and change nothing the demo leaves (with one
  every day, `hourly=True`, the emails, the board report and the FOCUS export come out the same,
  and the demo takes a third longer); `make serve` fires every hour on the real clock;
- at the end of the day the vendors bill it (the OpenAI and Anthropic billing emulators serve
  the day from then on; Cost Explorer's answer is queued in moto just before each run that pulls;
  the Pinecone and Datadog invoice rows are uploaded as CSV through the API), and each team's
  agents post the day's work items through the API with the team's own token.

The history: the vendors have billed, and the agents posted, every day of the month before the
closed one up to the story's first day (1-19 October for a story ending on 1 December), so the
board report compares two whole months. Those days are not simulated one by one: before the first
run the invoices are uploaded in one CSV and the work items posted (the same volumes, by the
same teams, through the same API); the emulators serve the billing from the 1st, and the first
daily run, which pulls the current and the previous month, picks it all up. The SDR experiment
starts with the story: it has no history.

The story (Mondays M0..M5 are the six Mondays before the month boundary the story ends on):
the support escalation agent has a retry storm: its cost per ticket runs 12 % over target in
week M0, 25 % in M1, 30 % in M2 and 60 % in M3 (yellow on M1 and M2, red on M3, critical and
paused by the Wednesday of M3); the team fixes it for week M4; finance clears the pause in the
sheet on the Tuesday of M4 ("Critical cleared on"); M5's weekly run finds week M4 on target:
green, and a recovery email. On the 1st the monthly run closes the month: lead scoring beat its
$12 target, so its savings credit the T2 pool, and finance allocates from it to the SDR
follow-up experiment in the sheet; the next run applies it.

Optimization hints (issue 16): two more agents run over target all along, red from the first run,
and their red emails, the Optimization tab and the Agent P&L name each one's biggest lever: the
claims processor (about 28 % over its $3.70 target) spends most of its cost per claim on gpt-4o,
and its lever is the model (route traffic to gpt-4o-mini); contract review (about 30 % over its
$3.00 target) has a lawyer review every fourth contract, and its lever is human review. The
support agent's emails and hints name its retry storm. The vendors' usage reports (tokens by
model) are served from the same rows as their costs.

Everything random is seeded (jitter by date and key, work items by a seeded generator), so the
same end date gives the same numbers. `python -m local.demo` runs it; tests/test_demo_story.py
runs it smaller and checks the story.
"""

from __future__ import annotations

import dataclasses
import random
import time as stopwatch
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal as D
from pathlib import Path
from typing import Callable, Optional

import requests

from local import demo_api, demo_billing
from local.demo_billing import WEEKDAY_FACTOR, daily_amount
from local.demo_org import STORY_DAILY_VOLUME, story_organisation

DRIFTING = "ticket-escalation"  # the agent with the retry storm
DRIFTING_TEAM = "support"
STORM = (D("0.12"), D("0.25"), D("0.30"), D("0.60"))  # overrun of weeks M0..M3; fixed from M4
SDR_PROJECT = "proj_sdr_followup"
SDR_DAILY = D("46.00")
CLAIMS_REVIEW_SHARE = 0.03  # claims a human reviews (minutes at the loaded hourly rate: human_review)
CONTRACT_REVIEW_EVERY = 4  # a lawyer reviews every 4th contract: contract review's biggest lever (issue 16)
CONTRACT_REVIEW_MINUTES = (3, 4, 4, 5, 5)  # in turn: 1.05 review minutes a contract, ~$1.05 at $60 an hour
POOL_ALLOCATION = ("sdr-pilot-extension", "T2", D(1000), "sdr-followup", "extend the SDR pilot to two more regions")
RUN_TIMES = {"daily": time(2, 35), "monthly": time(3, 35), "weekly": time(5, 35), "hourly": time(10, 5)}


def month_boundary(today: date) -> date:
    """The 1st of today's month: the story ends there, closing the month before it."""
    return today.replace(day=1)


@dataclasses.dataclass
class DayLog:
    day: date
    runs: dict  # name -> status
    colour: Optional[str]
    paused: bool
    events: list
    emails: list  # email keys sent that day
    reason: str = ""


@dataclasses.dataclass
class Story:
    """The simulation. `end` is a 1st of the month; the story runs `days` days before it and the
    1st itself. `volume_scale` (0-1] shrinks every agent's work items and spend alike (each cost per
    unit stays where it is): the test's smaller world through the same code."""

    stack: object  # local.stack.LocalStack (started)
    end: date
    days: int = 42
    volume_scale: D = D(1)
    hourly: bool = False  # True: an hourly run every day, not only on the days something changes after the daily
    out_dir: Optional[Path] = None  # demo-out: emails, board report, FOCUS export
    on_day: Optional[Callable] = None  # called with each DayLog and the story

    def __post_init__(self):
        if self.end.day != 1:
            raise ValueError("the story ends on the 1st of a month")
        self.start = self.end - timedelta(days=self.days)
        self.mondays = [d for d in (self.start + timedelta(days=n) for n in range(self.days)) if d.weekday() == 0]
        if len(self.mondays) < 6:
            raise ValueError("the story needs six Mondays: at least 42 days")
        self.mondays = self.mondays[-6:]
        self.closed_month = f"{self.end - timedelta(days=1):%Y-%m}"
        self.allocation_amount = (POOL_ALLOCATION[2] * self.volume_scale).quantize(D(1))
        prior = (self.end - timedelta(days=1)).replace(day=1) - timedelta(days=1)  # in the month before the closed one
        self.history_start = min(self.start, prior.replace(day=1))  # vendors' billing and work items from here
        self.billed_end = self.start  # vendors have billed the days before this one
        self.injected: set = set()
        self.timings: dict = {}  # seconds spent: each kind of run, the work items and invoices
        self.log: list = []
        self.run_records: list = []
        self.rng = random.Random(f"demo-story {self.end}")
        self.history_rng = random.Random(f"demo-story history {self.end}")  # the story's own numbers stay put
        self.org = story_organisation(
            self.start, self.end + timedelta(days=19), expected_totals={self.closed_month: self.expected_month_total()}
        )

    # --- the spend ----------------------------------------------------------------------------------

    def overrun(self, day: date) -> D:
        monday = day - timedelta(days=day.weekday())
        if monday in self.mondays[:4]:
            return STORM[self.mondays.index(monday)]
        return D(0)

    def _scaled(self, value: D, places: int) -> D:
        return (value * self.volume_scale).quantize(D(1).scaleb(-places))

    def billed(self, day: date) -> bool:
        """Whether the vendors have billed `day` (and serve it from then on)."""
        return self.history_start <= day < self.billed_end

    def openai_rows(self, day: date) -> list:
        if not self.billed(day):
            return []
        rows = demo_billing.openai_cost_results(day)
        for line in ("gpt-4o-mini, input", "gpt-4o-mini, output") if day >= self.start else ():  # the experiment
            share = D("0.4") if line.endswith("input") else D("0.6")
            price = D("0.15") if line.endswith("input") else D("0.60")  # gpt-4o-mini's list price per 1M tokens
            value = daily_amount(SDR_DAILY * share, day, "openai", SDR_PROJECT, line, places=6)
            rows.append(
                {
                    "object": "organization.costs.result",
                    "amount": {"value": value, "currency": "usd"},
                    "line_item": line,
                    "project_id": SDR_PROJECT,
                    "api_key_id": None,
                    "quantity": int(value / price * 1_000_000),
                    "quantity_unit": "tokens",
                }
            )
        for row in rows:
            if row["project_id"] != demo_billing.OPENAI_PROJECT_SHADOW_MARKETING:  # shadow spend is not scaled
                row["amount"]["value"] = self._scaled(row["amount"]["value"], 6)
                row["quantity"] = int(row["quantity"] * self.volume_scale)  # the tokens, as the usage API tells
        return rows

    def anthropic_rows(self, day: date) -> list:
        if not self.billed(day):
            return []
        rows = demo_billing.anthropic_cost_results(day)
        for row in rows:
            if row["workspace_id"] == demo_billing.ANTHROPIC_WORKSPACE_SUPPORT:
                cents = D(row["amount"]) * (1 + self.overrun(day))  # the retry storm: the same tickets, more calls
                row["amount"] = str(self._scaled(cents, 3))
        return rows

    def aws_page(self, start: date, end: date) -> dict:
        days = [d for d in (start + timedelta(days=n) for n in range((end - start).days)) if self.billed(d)]
        page = (
            demo_billing.aws_cost_and_usage_pages(days[0], days[-1] + timedelta(days=1))[0]
            if days
            else {
                "GroupDefinitions": [{"Type": "TAG", "Key": "team"}, {"Type": "TAG", "Key": "use-case"}],
                "ResultsByTime": [],
                "DimensionValueAttributes": [],
            }
        )
        for result in page["ResultsByTime"]:
            for group in result["Groups"]:
                for metric in group["Metrics"].values():
                    metric["Amount"] = str(self._scaled(D(metric["Amount"]), 10))
        return page

    def invoice_csv(self, day: date, end: Optional[date] = None) -> str:
        """The Pinecone and Datadog invoice rows of `day` (of [day, end) with `end`) as simple CSV."""
        rows = demo_billing.invoice_rows(day, end or day + timedelta(days=1))
        for row in rows:
            row["amount"] = str(self._scaled(D(row["amount"]), 2))
        import csv
        import io

        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=demo_billing.SIMPLE_CSV_HEADER, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return out.getvalue()

    def expected_month_total(self) -> D:
        """Finance's expected total for the closed month: its planning figure, a round number."""
        per_day = D("2650") * self.volume_scale
        return (per_day * 30).quantize(D("1000")) if self.volume_scale >= 1 else (per_day * 30).quantize(D("10"))

    # --- the work -----------------------------------------------------------------------------------

    def volume(self, use_case: str, day: date) -> int:
        if day < self.start and use_case == "sdr-followup":  # the experiment starts with the story
            return 0
        return int((D(STORY_DAILY_VOLUME[use_case]) * WEEKDAY_FACTOR[day.weekday()] * self.volume_scale).quantize(D(1)))

    def work_items(self, day: date, by_team: Optional[dict] = None) -> dict:
        """{team: [item, ...]} for one UTC day (added to `by_team` when given)."""
        by_team = {} if by_team is None else by_team
        rng = self.rng if day >= self.start else self.history_rng
        start = datetime.combine(day, time(), timezone.utc)
        for use_case in self.org.use_cases:
            for n in range(self.volume(use_case.use_case_id, day)):
                at = start + timedelta(seconds=rng.randrange(86_400))
                item = {
                    "work_item_id": f"{use_case.use_case_id}-{day:%Y%m%d}-{n:05d}",
                    "use_case": use_case.use_case_id,
                    "completed_at": at.isoformat().replace("+00:00", "Z"),
                    "status": "success",
                }
                if use_case.use_case_id == "claims-processing" and rng.random() < CLAIMS_REVIEW_SHARE:
                    item["human_review_minutes"] = rng.choice([3, 4.5, 5, 6, 7.5])
                elif use_case.use_case_id == "contract-review" and n % CONTRACT_REVIEW_EVERY == 0:
                    turn = n // CONTRACT_REVIEW_EVERY  # no draw from the generator: the other numbers stay put
                    item["human_review_minutes"] = CONTRACT_REVIEW_MINUTES[turn % len(CONTRACT_REVIEW_MINUTES)]
                by_team.setdefault(use_case.team, []).append(item)
        return by_team

    def post_work(self, day: date) -> int:
        return self.post_items(self.work_items(day))

    def post_items(self, by_team: dict) -> int:
        """Each team's work items through the API with the team's own token."""
        return sum(
            demo_api.post_work_items(self.stack.api_url, self.stack.tokens["teams"][team], items)["accepted"]
            for team, items in sorted(by_team.items())
        )

    def upload_invoices(self, day: date, end: Optional[date] = None) -> None:
        demo_api.upload_invoices(self.stack.api_url, self.stack.tokens["admin"], self.invoice_csv(day, end))

    def end_of_day(self, day: date) -> None:
        """The vendors bill the day; the agents post its work items; the invoices arrive."""
        started = stopwatch.perf_counter()
        self.billed_end = day + timedelta(days=1)
        self.post_work(day)
        self.upload_invoices(day)
        self.timings["work items and invoices"] = (
            self.timings.get("work items and invoices", 0) + stopwatch.perf_counter() - started
        )

    def history(self) -> list:
        """The days before the story the vendors had billed and the agents posted (see the module doc)."""
        return [self.history_start + timedelta(days=n) for n in range((self.start - self.history_start).days)]

    def post_history(self) -> Optional[str]:
        """The history in one go, before the first run: the invoices in one CSV, the work items
        through the API; the billing emulators serve those days already (see `billed`)."""
        days = self.history()
        if not days:
            return None
        started = stopwatch.perf_counter()
        by_team: dict = {}
        for day in days:
            self.work_items(day, by_team)
        self.post_items(by_team)
        self.upload_invoices(days[0], self.start)
        self.timings["history"] = stopwatch.perf_counter() - started
        return (
            f"history: {days[0]:%d} to {days[-1]:%d %b} already billed by the vendors and worked by the agents "
            f"(the first daily run pulls it)"
        )

    # --- the runs -----------------------------------------------------------------------------------

    def fire(self, name: str, day: date) -> str:
        from chalicelib import stores
        from chalicelib.services import pipeline

        at = datetime.combine(day, RUN_TIMES[name], timezone.utc)
        window = pipeline.pull_window(name, day)
        if window not in self.injected:  # moto answers Cost Explorer with what is queued, once per request
            self.injected.add(window)
            self._queue_cost_explorer(self.aws_page(*window))
        started = stopwatch.perf_counter()
        answer = self.scheduler.fire(name, at)
        self.timings[name] = self.timings.get(name, 0) + stopwatch.perf_counter() - started
        record = stores.stores().runs.get(answer["run_id"])
        self.run_records.append(record)
        return record.status

    def _queue_cost_explorer(self, page: dict) -> None:
        response = requests.post(
            self.stack.moto_url + "/moto-api/static/ce/cost-and-usage-results", json={"results": [page]}, timeout=10
        )
        response.raise_for_status()

    # --- what finance does in the sheet ----------------------------------------------------------------

    def spreadsheet(self):
        from chalicelib.sheet.transport import open_client
        from local.fake_service_account import service_account_info

        sheets = self.stack.sheets
        return open_client(service_account_info(sheets.url)).open_by_key(sheets.default_spreadsheet_id)

    def clear_critical(self, day: date) -> None:
        """Finance types the day into the drifting agent's "Critical cleared on" cell."""
        from chalicelib.sheet import layout

        ws = self.spreadsheet().worksheet(layout.USE_CASES)
        rows = ws.get_all_values()
        col = rows[0].index("Critical cleared on") + 1
        row = next(i for i, r in enumerate(rows, start=1) if r and r[0] == DRIFTING)
        ws.update_cell(row, col, day.isoformat())

    def allocate_from_pool(self, month: str) -> None:
        """Finance adds a row to Pool allocations: T2 savings to the SDR experiment."""
        from chalicelib.sheet import layout

        allocation_id, tier, _, to_use_case, note = POOL_ALLOCATION
        amount = self.allocation_amount
        ws = self.spreadsheet().worksheet(layout.POOL_ALLOCATIONS)
        rows = ws.get_all_values()
        free = next((i for i, r in enumerate(rows, start=1) if i > 1 and not any(r)), len(rows) + 1)
        ws.update(
            range_name=f"A{free}:F{free}",
            values=[[allocation_id, tier, int(amount), month, to_use_case, note]],
            value_input_option="RAW",
        )

    # --- the six weeks --------------------------------------------------------------------------------

    def setup(self) -> None:
        import app as app_module
        from chalicelib import sheet_sync, stores
        from local.scheduler import LocalScheduler

        stores.stores().organisation.save(self.org)
        self.stack.vendors["openai"].app.results_for_day = self.openai_rows
        self.stack.vendors["anthropic"].app.results_for_day = self.anthropic_rows
        init = sheet_sync.init()
        if not init.ok:
            raise RuntimeError(f"laying out the sheet failed: {init}")
        self.scheduler = LocalScheduler(app_module)

    def guardrail(self):
        from chalicelib import stores

        return stores.stores().guardrails.get(DRIFTING)

    def simulate(self) -> list:
        self.setup()
        entry = self.stack.sheets.store.entries[self.stack.sheets.store.default_id]
        xlsx, entry.path = entry.path, None  # in memory while the weeks run; written once at the end
        try:
            return self._simulate()
        finally:
            entry.path = xlsx
            self.stack.sheets.store._write(entry)

    def _simulate(self) -> list:
        clear_day = self.mondays[4] + timedelta(days=1)  # Tuesday of M4
        history = self.post_history()
        for n in range(self.days + 1):
            day = self.start + timedelta(days=n)
            emails_before = set(self.sent_keys())
            runs, events = {}, [history] if history and n == 0 else []
            runs["daily"] = self.fire("daily", day)
            if day.day == 1 and day == self.end:
                runs["monthly"] = self.fire("monthly", day)
                self.allocate_from_pool(f"{day:%Y-%m}")
                events.append(
                    f"finance allocates ${self.allocation_amount:,} of the {POOL_ALLOCATION[1]} savings to "
                    f"{POOL_ALLOCATION[3]}"
                )
            if day.weekday() == 0:
                runs["weekly"] = self.fire("weekly", day)
            if day == clear_day:
                self.clear_critical(day)
                events.append(f"finance clears {DRIFTING} in the sheet (Critical cleared on {day})")
            if self.hourly or day in (clear_day, self.end) or day == self.mondays[3] + timedelta(days=2):
                runs["hourly"] = self.fire("hourly", day)
            if day < self.end:
                if self.overrun(day) != self.overrun(day - timedelta(days=1)):
                    events.append(
                        f"{DRIFTING}: retry storm, {self.overrun(day):.0%} over"
                        if self.overrun(day)
                        else f"{DRIFTING}: retry storm fixed"
                    )
                self.end_of_day(day)
            rail = self.guardrail()
            entry = DayLog(
                day,
                runs,
                rail.colour if rail else None,
                bool(rail and rail.paused),
                events,
                sorted(set(self.sent_keys()) - emails_before),
                rail.reason if rail else "",
            )
            self.log.append(entry)
            if self.on_day is not None:
                self.on_day(entry, self)
        return self.log

    def sent_keys(self) -> list:
        import os

        folder = Path(os.environ.get("OUTBOX_EML_DIR", ""))
        return sorted(p.stem for p in folder.glob("*.eml")) if folder.is_dir() else []
