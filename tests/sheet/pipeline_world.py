"""A small world for driving the scheduled pipeline end to end (tests/sheet/test_pipeline_runs.py).

Two use cases on two teams, billed through the local OpenAI and Anthropic emulators (rows served
from `World.cost`, so a test decides each day's spend), counted through the unit counters, read
and written through the Sheets emulator, mailed through moto's SES v2, queued through moto's SQS:

- `drift` (team claims, OpenAI project proj_drift): 100 claims a day, target $1.00 a claim; its
  daily cost is 100 x (1 + the overrun a test sets for the day's week);
- `steady` (team support, Anthropic workspace wrkspc_steady): 50 tickets a day at $1.50 against a
  $2.00 target (credits the reallocation pool at each month close), monthly budget $2,000 (its
  month runs over: budget emails to its owner and the support lead).

Runs are Chalice invocations of the app's scheduled handlers (`World.invoke("hourly", at)`), with
the EventBridge event's `time` set to the simulated moment; the lease clock (`World.wall`) is a
test clock the test advances by hand (no sleeping).
"""

from __future__ import annotations

import dataclasses
import json
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal as D
from typing import Optional

import pytest

from chalicelib.domain.facts import DailyUnits
from chalicelib.domain.organisation import MappingRule, Organisation, Settings, Team, UseCase

SENDER = "AI FinOps <finops-alerts@example.com>"
SENDER_ADDRESS = "finops-alerts@example.com"
FINANCE = "finance@example.com"
CFO = "cfo@example.com"
BOARD = "board@example.com"
DRIFT_OWNER = "drift-owner@example.com"
CLAIMS_LEAD = "claims-lead@example.com"
STEADY_OWNER = "steady-owner@example.com"
SUPPORT_LEAD = "support-lead@example.com"
DRIFT_UNITS, STEADY_UNITS = 100, 50
DRIFT_TARGET, STEADY_TARGET, STEADY_CPU = D("1.00"), D("2.00"), D("1.50")
HISTORY_START = date(2026, 8, 1)
# Every email the six weeks' story sends (tests/sheet/test_pipeline_runs.py, on fakes in
# tests/services/test_pipeline_on_fakes.py), each once
SIX_WEEKS_EMAIL_KEYS = {
    "budget:use_case:steady:2026-09:forecast",
    "budget:use_case:steady:2026-09:spent",
    "budget:use_case:steady:2026-10:forecast",
    "slo:drift:2026-09-21:red",
    "slo:drift:2026-09-23:critical",
    "slo:drift:2026-09-21:recovery",
    "board:2026-09",
    *(f"digest:2026-W{w}" for w in range(36, 42)),
}
# A weekly run's steps, in order
WEEKLY_STEPS = [
    "pull billing",
    "read sheet",
    "configuration",
    "compute",
    "store guardrails",
    "alerts",
    "weekly digest",
    "write sheet",
    "email",
]


def organisation() -> Organisation:
    settings = Settings(alert_emails_finance=(FINANCE,), alert_emails_cfo=(CFO,), alert_emails_board=(BOARD,))
    teams = (Team("claims", "Claims", CLAIMS_LEAD, None), Team("support", "Support", SUPPORT_LEAD, None))
    use_cases = (
        UseCase(
            "drift",
            "claims",
            "Claims drafter",
            "claim",
            DRIFT_OWNER,
            target_cpu=DRIFT_TARGET,
            estimated_monthly_cost=D(3000),
            approved_tier="T1",
        ),
        UseCase(
            "steady",
            "support",
            "Ticket triage",
            "ticket",
            STEADY_OWNER,
            monthly_budget=D(2000),
            target_cpu=STEADY_TARGET,
            tolerance=D("0.30"),
            estimated_monthly_cost=D(2000),
            approved_tier="T1",
        ),
    )
    mappings = (
        MappingRule("openai:project:proj_drift", "claims", "drift"),
        MappingRule("anthropic:workspace:wrkspc_steady", "support", "steady"),
    )
    return Organisation(settings=settings, teams=teams, use_cases=use_cases, mappings=mappings)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class Clock:
    """The wall clock leases are judged on: real time at the start, moved only by `advance`."""

    def __init__(self):
        self.now = datetime.now(timezone.utc).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class Kill(BaseException):
    """A run killed mid-way (a Lambda time-out, a lost container): not an Exception, so no step
    catches it, and the pipeline's `finally` must not count on running either."""


@dataclasses.dataclass
class World:
    sheet: object  # the Sheets emulator handle
    openai: object
    anthropic: object
    client: object  # chalice.test.Client
    wall: Clock
    tokens: dict
    overrun: dict  # Monday -> Decimal overrun of drift's cost per claim that week
    units_through: Optional[date] = None  # unit counters posted through this day
    history_start: date = HISTORY_START  # the first day agents posted work items

    # --- the data the vendors and the agents report -------------------------------------------

    def drift_cost(self, day: date) -> D:
        monday = day - timedelta(days=day.weekday())
        return (DRIFT_UNITS * DRIFT_TARGET * (1 + self.overrun.get(monday, D(0)))).quantize(D("0.01"))

    def openai_rows(self, day: date) -> list:
        value = self.drift_cost(day)
        return [
            {
                "object": "organization.costs.result",
                "amount": {"value": value, "currency": "usd"},
                "line_item": "gpt-4o",
                "project_id": "proj_drift",
                "api_key_id": None,
                "quantity": 1000,
                "quantity_unit": "tokens",
            }
        ]

    def anthropic_rows(self, day: date) -> list:
        dollars = STEADY_UNITS * STEADY_CPU
        return [
            {
                "amount": str(dollars.scaleb(2)),
                "context_window": "0-200k",
                "cost_type": "tokens",
                "currency": "USD",
                "description": "Claude Sonnet",
                "inference_geo": "global",
                "model": "claude-sonnet",
                "service_tier": "standard",
                "token_type": "uncached_input_tokens",
                "workspace_id": "wrkspc_steady",
            }
        ]

    def post_units(self, through: date) -> None:
        """The agents' work-item counters, every day from `history_start` through `through`."""
        from tests.sheet.data import _put_units

        start = self.history_start if self.units_through is None else self.units_through + timedelta(days=1)
        rows = []
        day = start
        while day <= through:
            rows += [
                DailyUnits("drift", day, DRIFT_UNITS, DRIFT_UNITS),
                DailyUnits("steady", day, STEADY_UNITS, STEADY_UNITS),
            ]
            day += timedelta(days=1)
        if rows:
            _put_units(rows)
            self.units_through = through

    # --- runs ------------------------------------------------------------------------------------

    def event(self, moment: datetime) -> dict:
        event = self.client.events.generate_cw_event(
            source="aws.events", detail_type="Scheduled Event", detail={}, resources=["arn:aws:events:::rule/finops"]
        )
        event["time"] = rfc3339(moment)
        return event

    def invoke(self, kind: str, moment: datetime, post_units: bool = True) -> dict:
        """The scheduled handler `kind` at the simulated `moment` (counters posted through the day
        before, as agents would have); its answer {"run_id", "status"}."""
        if post_units:
            self.post_units(moment.date() - timedelta(days=1))
        return self.client.lambda_.invoke(kind, self.event(moment)).payload

    def record(self, run_id: str):
        from chalicelib import stores

        return stores.stores().runs.get(run_id)

    def api_get(self, path: str, token: str) -> tuple:
        response = self.client.http.get(path, headers={"Authorization": f"Bearer {token}"})
        return response.status_code, json.loads(response.body or b"null")

    def guardrail(self, use_case: str = "drift") -> dict:
        team = {"drift": "claims", "steady": "support"}[use_case]
        status, body = self.api_get(f"/v1/use-cases/{use_case}/guardrail", self.tokens["teams"][team])
        assert status == 200, body
        return body

    # --- what finance does in the sheet ----------------------------------------------------------

    def spreadsheet(self):
        """The workbook through gspread, as finance's browser (or a script of finance's) would edit it."""
        from chalicelib.sheet.transport import open_client
        from local.fake_service_account import service_account_info

        return open_client(service_account_info(self.sheet.url)).open_by_key(self.sheet.default_spreadsheet_id)

    def set_use_case_cell(self, use_case: str, header: str, value) -> None:
        from chalicelib.sheet import layout

        ws = self.spreadsheet().worksheet(layout.USE_CASES)
        rows = ws.get_all_values()
        col = rows[0].index(header) + 1
        row = next(i for i, r in enumerate(rows, start=1) if r and r[0] == use_case)
        ws.update_cell(row, col, value)

    def add_pool_allocation(
        self, allocation_id: str, tier: str, amount, month: str, to_use_case: str, note: str = ""
    ) -> None:
        from chalicelib.sheet import layout

        ws = self.spreadsheet().worksheet(layout.POOL_ALLOCATIONS)
        rows = ws.get_all_values()
        first_free = next((i for i, r in enumerate(rows, start=1) if i > 1 and not any(r)), len(rows) + 1)
        ws.update(
            range_name=f"A{first_free}:F{first_free}",
            values=[[allocation_id, tier, amount, month, to_use_case, note]],
            value_input_option="RAW",
        )


# --- reading back what happened --------------------------------------------------------------------


def ses_messages() -> list:
    """What moto's SES accepted (SES v2 keeps its messages in the v1 backend)."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    return list(ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages)


def outbox_items() -> dict:
    """Every email the outbox holds, by key."""
    from boto3.dynamodb.conditions import Key

    from chalicelib import runtime
    from chalicelib.storage.outbox_store import _item

    table = runtime.dynamodb().Table(runtime.TableNames.from_env().config)
    rows = table.query(KeyConditionExpression=Key("pk").eq("OUTBOX"))["Items"]
    return {r["sk"]: _item(r) for r in rows}


def emails_by_key() -> dict:
    """key -> [SES message, ...]: every message SES accepted, joined to its outbox item by SES's
    message id (a message no outbox item claims is keyed "?")."""
    by_id = {item.message_id: key for key, item in outbox_items().items() if item.message_id}
    out: dict = {}
    for m in ses_messages():
        out.setdefault(by_id.get(m.id, "?"), []).append(m)
    return out


def to(message) -> list:
    return list(message.destinations["ToAddresses"])


def open_alert_keys() -> list:
    from chalicelib import stores

    return sorted(e.key for e in stores.stores().alerts.open())


def state_digest(sheet) -> dict:
    """Everything a run leaves behind that a rerun must reproduce: guardrails, pool credits, alert
    episodes, the outbox (keys, status, recipients, subject and body), the emails SES accepted
    (recipients, subject), and the values of the sheet's tabs but the Sync log (which names each run)."""
    from chalicelib import stores
    from chalicelib.sheet import layout
    from tests.sheet.helpers import values

    st = stores.stores()
    return {
        "guardrails": sorted(dataclasses.astuple(g) for g in st.guardrails.all()),
        "pool": {m: tuple(c) for m, c in (st.pool.load() or {}).items()},
        "alerts": sorted(dataclasses.astuple(e) for e in st.alerts.open()),
        "digest": st.alerts.digest_colours(),
        "outbox": sorted((k, i.status, i.recipients, i.subject, i.text) for k, i in outbox_items().items()),
        "emails": sorted((tuple(to(m)), m.subject) for m in ses_messages()),
        "sheet": {s.title: values(sheet, s.title) for s in sheet.spreadsheet().sheets if s.title != layout.SYNC_LOG},
    }


def step_names(record) -> list:
    return [s.name for s in record.steps]


def failed_steps(record) -> list:
    return [s.name for s in record.steps if s.status != "ok"]


# --- the fixtures (registered for every test by tests/conftest.py's pytest_plugins) ----------------


@pytest.fixture
def world(sheet, monkeypatch, tmp_path):
    import boto3
    from chalice.test import Client

    import app as app_module
    from chalicelib import bootstrap, sheet_sync, stores
    from local import demo_billing
    from local.vendor_emulators import start_anthropic_emulator, start_openai_emulator

    stores.stores().organisation.save(organisation())
    created = datetime.now(timezone.utc)
    token_store = stores.stores().tokens
    tokens = {
        "teams": {t: token_store.create("team", t, created)[0] for t in ("claims", "support")},
        "admin": token_store.create("admin", "", created)[0],
        "sheet": token_store.create("sheet", "", created)[0],
    }
    secrets = boto3.client("secretsmanager")
    secrets.create_secret(Name="finops/openai-admin-key", SecretString=demo_billing.OPENAI_ADMIN_KEY)
    secrets.create_secret(Name="finops/anthropic-admin-key", SecretString=demo_billing.ANTHROPIC_ADMIN_KEY)
    boto3.client("sesv2").create_email_identity(EmailIdentity=SENDER_ADDRESS)
    boto3.client("sqs").create_queue(QueueName="finops-runs")

    box: dict = {}
    openai = start_openai_emulator(results_for_day=lambda day: box["world"].openai_rows(day))
    anthropic = start_anthropic_emulator(results_for_day=lambda day: box["world"].anthropic_rows(day))
    monkeypatch.setenv("OPENAI_BASE_URL", openai.url)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", anthropic.url)
    monkeypatch.setenv("VENDOR_HTTP_BACKOFF_FACTOR", "0")
    monkeypatch.setenv("VENDOR_HTTP_RETRIES", "1")
    monkeypatch.setenv("ALERT_SENDER", SENDER)
    monkeypatch.setenv("OUTBOX_EML_DIR", str(tmp_path / "outbox"))
    # No run here reads a month before August 2026 (the first data), at most 3 months back: reading 3
    # months of facts and counters instead of 13 computes the same, with 20 fewer queries a run on moto.
    from chalicelib.services import pipeline

    monkeypatch.setattr(pipeline, "HISTORY_MONTHS", 3)
    clock = Clock()
    real = bootstrap.dependencies
    monkeypatch.setattr(bootstrap, "dependencies", lambda: dataclasses.replace(real(), wall=clock))
    assert sheet_sync.init().ok
    try:
        with Client(app_module.app) as client:
            w = World(sheet, openai, anthropic, client, clock, tokens, overrun={})
            box["world"] = w
            yield w
    finally:
        openai.stop()
        anthropic.stop()


@pytest.fixture
def short_world(world):
    world.history_start = date(2026, 9, 1)
    world.overrun.update({date(2026, 9, 21): D("0.60")})
    return world
