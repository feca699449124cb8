"""Concurrency (issue 14): a run overlapping a sheet edit, and a run overlapping bursts of work-item
posts and cost imports, leave the state of a serial order. (Two overlapping runs: the second is
skipped, tests/sheet/test_pipeline_runs.py.)

A run is paused at a step boundary, or inside a step, by wrapping a pipeline function: the wrapper
sets an Event and waits on another while the test (or its threads) act; no sleeps. Each scenario
has a serial variant, parametrized first: every variant's end state (`state_digest`) must be the
one of the serial order it stands for (`_END_STATES`, as in the kill-at-a-step-boundary test); each
variant also asserts on its own that nothing is lost, so none relies on another having run."""

from __future__ import annotations

import json
import threading
from datetime import date
from decimal import Decimal as D

import pytest

from tests.sheet.pipeline_world import at, state_digest
from tests.sheet.test_pipeline_runs import run_ok

pytestmark = pytest.mark.e2e  # runs overlapping sheet edits, posts and imports at every interleaving: make check

_END_STATES: dict = {}


@pytest.fixture
def lambdas(short_world, monkeypatch):
    """short_world, for requests from many threads at once, as many Lambda containers make them:

    - the app's request (and Lambda context) per thread: Chalice keeps the one being handled on the
      app object (a container handles one request at a time); threads posting through
      chalice.test.Client at once would otherwise read each other's bodies;
    - moto answers one AWS request at a time, each whole, as DynamoDB applies each request (a
      transaction included) atomically: moto's TransactWriteItems snapshots the table and puts the
      snapshot back when a transaction is cancelled, undoing other threads' writes made meanwhile.
      Requests of different threads still interleave freely."""
    from moto.core.botocore_stubber import BotocoreStubber

    import app as app_module

    one_at_a_time = threading.RLock()
    stub = BotocoreStubber.__call__

    def atomic(self, *args, **kwargs):
        with one_at_a_time:
            return stub(self, *args, **kwargs)

    monkeypatch.setattr(BotocoreStubber, "__call__", atomic)

    app = app_module.app
    local = threading.local()

    def per_thread(name):
        return property(lambda self: getattr(local, name, None), lambda self, value: setattr(local, name, value))

    cls = type(
        "PerThreadChalice",
        (type(app),),
        {"current_request": per_thread("current_request"), "lambda_context": per_thread("lambda_context")},
    )
    monkeypatch.setattr(app, "__class__", cls)
    return short_world


def pause_in(monkeypatch, owner, name: str, after: bool = False):
    """The first call of owner.`name` stops (before it begins, or `after` it returned) until the test
    says go: (inside, go_on) Events."""
    inside, go_on = threading.Event(), threading.Event()
    original = getattr(owner, name)
    calls = []

    def paused(*args, **kwargs):
        calls.append(1)
        result = original(*args, **kwargs) if after else None
        if len(calls) == 1:
            inside.set()
            assert go_on.wait(60), "the test never let the run go on"
        return result if after else original(*args, **kwargs)

    monkeypatch.setattr(owner, name, paused)
    return inside, go_on


def in_thread(target) -> tuple:
    """Start `target` in a thread; (thread, box) where box holds its answer or its exception."""
    box: dict = {}

    def go():
        try:
            box["answer"] = target()
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            box["error"] = exc

    thread = threading.Thread(target=go, daemon=True)
    thread.start()
    return thread, box


def answered(thread, box):
    thread.join(120)
    assert not thread.is_alive(), "the thread did not finish"
    if "error" in box:
        raise box["error"]
    return box["answer"]


def overlapped(monkeypatch, owner, name: str, run, meanwhile, after: bool = False) -> dict:
    """`run()` in a thread, paused at the first call of owner.`name` (`after` it returned);
    `meanwhile()` done then; the run's answer."""
    inside, go_on = pause_in(monkeypatch, owner, name, after)
    thread, box = in_thread(run)
    try:
        assert inside.wait(60), f"the run never reached {name}"
        meanwhile()
    finally:
        go_on.set()
    return answered(thread, box)


# --- a run overlapping finance's edit in the sheet ---------------------------------------------------

EDIT_RUN, NEXT_RUN = at("2026-09-23T10:05:00Z"), at("2026-09-23T11:05:00Z")
NEW_TARGET = 1.7  # drift's cost per claim target: its 60 % overrun (1.60) is then on target


def _edit(w):
    w.set_use_case_cell("drift", "Target cost per unit", NEW_TARGET)


# (variant, the pipeline function the run pauses before, the serial order it must end as):
# paused before reading the sheet, the run reads the edit (edit first); paused after (before
# computing, or between computing and writing its outputs), it computes with the old target and
# the next run applies the edit (edit after the run). The write must not undo the edit.
EDIT_VARIANTS = [
    ("serial: edit, run, run", None, "edit first"),
    ("serial: run, edit, run", None, "edit after"),
    ("edit before the sheet is read", "_read_sheet", "edit first"),
    ("edit before compute", "_compute", "edit after"),
    ("edit before the sheet is written", "_write_sheet", "edit after"),
]


@pytest.mark.parametrize(
    "variant,function,order", EDIT_VARIANTS, ids=[v[0].replace(" ", "-").replace(",", "") for v in EDIT_VARIANTS]
)
def test_a_run_overlapping_a_sheet_edit_ends_as_a_serial_order(
    short_world,
    monkeypatch,
    variant,
    function,
    order,
):
    from chalicelib import stores
    from chalicelib.services import pipeline
    from chalicelib.sheet import layout
    from tests.sheet.helpers import column, find_row, values

    w = short_world
    if function is None:
        if order == "edit first":
            _edit(w)
        first = run_ok(w, "hourly", EDIT_RUN)
        if order == "edit after":
            _edit(w)
    else:
        with monkeypatch.context() as m:
            answer = overlapped(m, pipeline, function, lambda: w.invoke("hourly", EDIT_RUN), lambda: _edit(w))
        first = w.record(answer["run_id"])
        assert answer["status"] == first.status == "ok", (first.status, first.message)

    # What the overlapped run judged drift on: the target as it read it.
    drift_colour = stores.stores().guardrails.get("drift").colour
    assert drift_colour == ("green" if order == "edit first" else "critical"), drift_colour
    # The edit is there after that run, whatever it wrote.
    rows = values(w.sheet, layout.USE_CASES)
    assert find_row(rows, "drift")[column(rows, "Target cost per unit")] == NEW_TARGET

    run_ok(w, "hourly", NEXT_RUN)
    org = stores.stores().organisation.load()
    assert next(u for u in org.use_cases if u.use_case_id == "drift").target_cpu == D("1.7")
    unit_costs = values(w.sheet, layout.UNIT_COSTS)
    assert find_row(unit_costs, "drift")[column(unit_costs, "Target cost per unit")] == NEW_TARGET  # not half-old
    end = state_digest(w.sheet)
    assert end == _END_STATES.setdefault(f"sheet edit: {order}", end), variant


SHADOW_KEY, FINANCE_KEY = "openai:project:proj_shadow", "anthropic:workspace:wrkspc_default"


@pytest.mark.parametrize("function", [None, "_write_sheet"], ids=["serial", "row-typed-before-the-write"])
def test_a_row_finance_adds_to_mappings_while_a_run_appends_new_keys_is_kept(
    short_world,
    monkeypatch,
    function,
):
    """The run appends the vendor key it found unmapped (Google's appendCells: after the last row
    holding a value when the request lands), so a row finance typed after the run read the tab is
    neither overwritten nor moved, and the next run reads finance's mapping."""
    from chalicelib import stores
    from chalicelib.services import pipeline
    from chalicelib.sheet import layout
    from tests.sheet.helpers import values

    w = short_world
    billed = w.openai_rows

    def with_shadow_spend(day):
        return billed(day) + [
            {**billed(day)[0], "project_id": "proj_shadow", "amount": {"value": 7, "currency": "usd"}}
        ]

    monkeypatch.setattr(w, "openai_rows", with_shadow_spend)

    def finance_types_a_mapping():
        ws = w.spreadsheet().worksheet(layout.MAPPINGS)
        rows = ws.get_all_values()
        first_free = next((i for i, r in enumerate(rows, start=1) if i > 1 and not any(r)), len(rows) + 1)
        ws.update(
            range_name=f"A{first_free}:D{first_free}",
            values=[[FINANCE_KEY, "support", "steady", "typed by finance"]],
            value_input_option="RAW",
        )

    if function is None:
        first = run_ok(w, "hourly", EDIT_RUN)
        finance_types_a_mapping()
    else:
        with monkeypatch.context() as m:
            answer = overlapped(m, pipeline, function, lambda: w.invoke("hourly", EDIT_RUN), finance_types_a_mapping)
        first = w.record(answer["run_id"])
    assert first.status == "ok", (first.status, first.message)

    rows = [r for r in values(w.sheet, layout.MAPPINGS)[1:] if any(c not in ("", None) for c in r)]
    keys = [r[0] for r in rows]
    assert keys.count(SHADOW_KEY) == 1 and keys.count(FINANCE_KEY) == 1, keys
    assert next(r for r in rows if r[0] == FINANCE_KEY)[1:4] == ["support", "steady", "typed by finance"]
    shadow = next(r for r in rows if r[0] == SHADOW_KEY)
    assert shadow[1] in ("", None) and shadow[2] in ("", None)  # left for finance to map

    run_ok(w, "hourly", NEXT_RUN)
    org = stores.stores().organisation.load()
    assert {m.vendor_key: m.use_case for m in org.mappings}[FINANCE_KEY] == "steady"
    rows = [r for r in values(w.sheet, layout.MAPPINGS)[1:] if any(c not in ("", None) for c in r)]
    assert sorted(r[0] for r in rows).count(SHADOW_KEY) == 1  # not appended again


# --- a run overlapping bursts of work-item posts and cost imports --------------------------------------

WARM, BURST_RUN, NEXT_BURST_RUN = (at("2026-09-29T09:05:00Z"), at("2026-09-30T10:05:00Z"), at("2026-09-30T11:05:00Z"))
POST_DAYS = (date(2026, 9, 15), date(2026, 9, 29))  # a day the cache holds, a day the run reads raw
POSTERS, POSTS_EACH, ITEMS_EACH = 3, 2, 5
IMPORTS = {  # feed -> (day, amount) rows for drift; 09-30 is the day the paused run reads raw (pulled)
    "gpu-invoices": [(date(2026, 9, 15), "40.00"), (date(2026, 9, 29), "12.50"), (date(2026, 9, 30), "5.00")],
    "vector-invoices": [(date(2026, 9, 16), "7.25"), (date(2026, 9, 29), "3.10")],
}


def _post_burst(w, poster: int) -> None:
    headers = {"Authorization": f"Bearer {w.tokens['teams']['claims']}", "Content-Type": "application/json"}
    for n in range(POSTS_EACH):
        items = [
            {
                "work_item_id": f"burst-{poster}-{n}-{i}",
                "use_case": "drift",
                "completed_at": f"{POST_DAYS[i % 2].isoformat()}T12:{poster:02d}:{i:02d}Z",
                "status": "success",
            }
            for i in range(ITEMS_EACH)
        ]
        response = w.client.http.post("/v1/work-items", headers=headers, body=json.dumps({"items": items}))
        body = json.loads(response.body)
        assert response.status_code == 200 and body["accepted"] == ITEMS_EACH, body


def _import(w, feed: str) -> None:
    csv = "date,source,category,team,use_case,amount,provider,service\n" + "".join(
        f"{day.isoformat()},{feed},vector_db,claims,drift,{amount},Vendor,Service\n" for day, amount in IMPORTS[feed]
    )
    response = w.client.http.post(
        f"/v1/cost-imports?feed={feed}",
        body=csv,
        headers={"Authorization": f"Bearer {w.tokens['admin']}", "Content-Type": "text/csv"},
    )
    body = json.loads(response.body)
    assert response.status_code == 200 and body["rows_stored"] == len(IMPORTS[feed]), body


def _bursts(w) -> None:
    """Every poster and importer at once, each from its own thread; all done when this returns."""
    jobs = [in_thread(lambda p=p: _post_burst(w, p)) for p in range(POSTERS)]
    jobs += [in_thread(lambda f=f: _import(w, f)) for f in IMPORTS]
    for thread, box in jobs:
        answered(thread, box)


def _drop_day_caches() -> None:
    """Forget every cached settled day: the next read is all raw."""
    from boto3.dynamodb.conditions import Key

    from chalicelib import stores

    st = stores.stores()
    for rev in (st.ledger.revisions, st.work_items.revisions):
        table = rev._resource.Table(rev._table_name)
        for month in ("2026-08", "2026-09", "2026-10"):
            for item in table.query(KeyConditionExpression=Key(rev._hash).eq(f"~days#{month}"))["Items"]:
                table.delete_item(Key={rev._hash: item[rev._hash], rev._range: item[rev._range]})


def _counters_and_ledger() -> tuple:
    """The stored unit counters and cost facts of September, read raw (no cache)."""
    from chalicelib import stores

    st = stores.stores()
    units = sorted((u.use_case, u.day, u.units, u.success_units) for u in st.work_items.units_for_month("2026-09"))
    facts = sorted((f.day, f.source, f.use_case, f.effective_cost) for f in st.ledger.facts_for_month("2026-09"))
    return units, facts


# (variant, where the run pauses: ("module[:class]", function, after it returned) or None for the
# serial order). Between a raw read of the open month's days and their cache being written is where
# a cache tagged with the wrong revision would keep a day without the writes made meanwhile.
BURST_VARIANTS = [
    ("serial: posts and imports, then a run", None),
    ("paused after compute read the open month", ("chalicelib.domain.engine", "open_ledger", False)),
    (
        "paused between the raw read of cost facts and their cache write",
        ("chalicelib.storage.cost_ledger:CostLedger", "_month_days", True),
    ),
    (
        "paused between the raw read of counters and their cache write",
        ("chalicelib.storage.work_items:WorkItemStore", "_month_days", True),
    ),
]


@pytest.mark.parametrize(
    "variant,pause", BURST_VARIANTS, ids=["serial", "after-the-read", "facts-read-to-cache", "counters-read-to-cache"]
)
def test_a_run_overlapping_bursts_of_posts_and_imports_ends_as_the_serial_order(lambdas, monkeypatch, variant, pause):
    import importlib

    from chalicelib.sheet import layout
    from tests.sheet.helpers import column, find_row, values

    w = lambdas
    run_ok(w, "hourly", WARM)  # September's settled days are cached
    w.post_units(BURST_RUN.date().replace(day=29))  # 09-29's counters: a day the next run reads raw
    if pause is None:
        _bursts(w)
        run_ok(w, "hourly", BURST_RUN)
    else:
        path, name, after = pause
        module, _, cls = path.partition(":")
        owner = importlib.import_module(module)
        owner = getattr(owner, cls) if cls else owner
        with monkeypatch.context() as m:
            answer = overlapped(
                m, owner, name, lambda: w.invoke("hourly", BURST_RUN, post_units=False), lambda: _bursts(w), after
            )
        record = w.record(answer["run_id"])
        assert answer["status"] == record.status == "ok", (record.status, record.message, record.steps)
    run_ok(w, "hourly", NEXT_BURST_RUN)

    # The stored counters and ledger hold every post and import, once.
    units, facts = _counters_and_ledger()
    posted = POSTERS * POSTS_EACH * ITEMS_EACH
    by_day = {(u, d): n for u, d, n, _ in units}
    per_day = {POST_DAYS[0]: 0, POST_DAYS[1]: 0}
    for i in range(ITEMS_EACH):
        per_day[POST_DAYS[i % 2]] += POSTERS * POSTS_EACH
    assert sum(per_day.values()) == posted
    for day, extra in per_day.items():
        assert by_day[("drift", day)] == 100 + extra, (day, by_day[("drift", day)])
    imported = sum(D(a) for rows in IMPORTS.values() for _, a in rows)
    assert sum(c for d, s, u, c in facts if s.startswith("import:")) == imported

    # The computed outputs: September to date in Unit costs is the raw data's, and a run that reads
    # every day raw (no cache) computes exactly what the cached run did.
    month_cost = sum(c for d, s, u, c in facts if u == "drift" and d <= NEXT_BURST_RUN.date())
    month_units = sum(n for u, d, n, _ in units if u == "drift" and d <= NEXT_BURST_RUN.date())
    unit_costs = values(w.sheet, layout.UNIT_COSTS)
    shown = find_row(unit_costs, "drift")[column(unit_costs, "Month 2026-09 (to date)")]
    assert shown == pytest.approx(float(month_cost / month_units), abs=0.00051), (shown, month_cost, month_units)
    end = state_digest(w.sheet)
    _drop_day_caches()
    run_ok(w, "hourly", NEXT_BURST_RUN)
    assert state_digest(w.sheet) == end
    assert end == _END_STATES.setdefault("bursts", end), variant
