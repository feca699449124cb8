"""The services' world on fakes: in-memory stores (chalicelib/storage/in_memory.py), billing sources as
Python functions, a mailer that records what it sends, a wall clock moved by hand, and no sheet (it
cannot be opened: a run computes from the stored configuration and leaves the sheet alone).

The organisation and the story are the end-to-end pipeline tests' (tests/sheet/pipeline_world.py):
`drift` (claims, OpenAI) costs 100 x $1.00 x (1 + the overrun of its week) a day for 100 claims, `steady`
(support, Anthropic) $75 a day for 50 tickets against a $2.00 target. `held` days are days an agent
posted no work items for (yet): `post_held` posts them late.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal as D
from typing import Optional

from chalicelib.billing import BillingSource
from chalicelib.domain.facts import CostFact, DailyUnits
from chalicelib.services import pipeline
from chalicelib.storage.in_memory import InMemoryOutbox, in_memory_stores
from tests.sheet.data import work_items_behind
from tests.sheet.pipeline_world import DRIFT_TARGET, DRIFT_UNITS, STEADY_CPU, STEADY_UNITS, Clock, organisation

SHEET_URL = "https://docs.google.com/spreadsheets/d/fake/edit"


@dataclass(frozen=True)
class Sent:
    key: str
    recipients: tuple
    subject: str
    text: str


class RecordingMailer:
    """A mailer (chalicelib.email.mailer.SesMailer's `send`) that keeps what it is asked to send; while
    `refusing` is set it raises that instead, as SES does (a botocore ClientError)."""

    def __init__(self) -> None:
        self.sent: list[Sent] = []
        self.refusing: Optional[Exception] = None

    def send(self, recipients, subject: str, html: str, text: str, key: str = "") -> str:
        if self.refusing is not None:
            raise self.refusing
        self.sent.append(Sent(key, tuple(recipients), subject, text))
        return f"message-{len(self.sent)}"

    def keys(self) -> list:
        return [s.key for s in self.sent]


def throttled():
    from botocore.exceptions import ClientError

    return ClientError(
        {"Error": {"Code": "TooManyRequestsException", "Message": "Maximum sending rate exceeded."}}, "SendEmail"
    )


def no_sheet():
    raise RuntimeError("no sheet in this world")


@dataclass
class World:
    overrun: dict = field(default_factory=dict)  # Monday -> drift's overrun that week
    history_start: date = date(2026, 9, 1)  # the first day agents posted work items
    failing: set = field(default_factory=set)  # billing sources that fail when pulled
    stores: object = field(default_factory=in_memory_stores)
    outbox: InMemoryOutbox = field(default_factory=InMemoryOutbox)
    mailer: RecordingMailer = field(default_factory=RecordingMailer)
    wall: Clock = field(default_factory=Clock)
    units_through: Optional[date] = None
    held: set = field(default_factory=set)  # (use case, day): work items its agents have not posted yet

    def __post_init__(self) -> None:
        self.stores.organisation.save(organisation())

    # --- what the vendors and the agents report ---------------------------------------------------

    def drift_cost(self, day: date) -> D:
        monday = day - timedelta(days=day.weekday())
        return (DRIFT_UNITS * DRIFT_TARGET * (1 + self.overrun.get(monday, D(0)))).quantize(D("0.01"))

    def pulled(self, source: str, start: date, end: date) -> list:
        if source in self.failing:
            raise ConnectionError(f"{source} is down")
        days = [start + timedelta(days=n) for n in range((end - start).days)]
        if source == "openai":
            return [self.fact(d, "openai", "OpenAI", "openai:project:proj_drift", self.drift_cost(d)) for d in days]
        return [
            self.fact(d, "anthropic", "Anthropic", "anthropic:workspace:wrkspc_steady", STEADY_UNITS * STEADY_CPU)
            for d in days
        ]

    @staticmethod
    def fact(day: date, source: str, provider: str, key: str, amount: D) -> CostFact:
        return CostFact(day, source, "api", provider, "tokens", amount, amount, vendor_key=key)

    @staticmethod
    def work_items(use_case: str, day: date) -> list:
        units = {"drift": DRIFT_UNITS, "steady": STEADY_UNITS}[use_case]
        return work_items_behind([DailyUnits(use_case, day, units, units)])

    def post_units(self, through: date) -> None:
        """The agents' work items, every day from `history_start` through `through` (but the `held` ones)."""
        start = self.history_start if self.units_through is None else self.units_through + timedelta(days=1)
        days = [start + timedelta(days=n) for n in range((through - start).days + 1)]
        items = [
            i for d in days for uc in ("drift", "steady") if (uc, d) not in self.held for i in self.work_items(uc, d)
        ]
        if items:
            self.stores.work_items.save(items, datetime.now(timezone.utc))
        if days:
            self.units_through = through

    def post_held(self) -> None:
        """The held work items of the days already posted arrive, late."""
        late = sorted(h for h in self.held if self.units_through is not None and h[1] <= self.units_through)
        if late:
            self.stores.work_items.save(
                [i for uc, day in late for i in self.work_items(uc, day)], datetime.now(timezone.utc)
            )
            self.held -= set(late)

    # --- runs --------------------------------------------------------------------------------------

    def deps(self) -> pipeline.Deps:
        s = self.stores
        return pipeline.Deps(
            stores=s,
            pool=s.pool,
            runs=s.runs,
            alerts=s.alerts,
            snapshots=s.snapshots,
            outbox=self.outbox,
            mailer=self.mailer,
            sources=lambda org: [
                BillingSource(name, lambda a, b, name=name: self.pulled(name, a, b)) for name in ("openai", "anthropic")
            ],
            open_sheet=no_sheet,
            sheet_url=SHEET_URL,
            wall=self.wall,
        )

    def run(self, kind: str, moment: datetime):
        """The scheduled run `kind` at `moment`, work items posted through the day before: its record."""
        self.post_units(moment.date() - timedelta(days=1))
        return pipeline.run(kind, self.deps(), moment).record

    def state(self) -> dict:
        """What a run leaves behind that a rerun must reproduce."""
        import dataclasses

        s = self.stores
        return {
            "guardrails": sorted(dataclasses.astuple(g) for g in s.guardrails.all()),
            "pool": s.pool.load(),
            "alerts": s.alerts.open(),
            "digest": s.alerts.digest_colours(),
            "outbox": {k: self.outbox.get(k) for k in {*self.mailer.keys(), *(i.key for i in self.outbox.pending())}},
            "sent": list(self.mailer.sent),
            "snapshots": {m: snap.note for m, snap in s.snapshots.load("2025-01", "2027-12").items()},
        }
