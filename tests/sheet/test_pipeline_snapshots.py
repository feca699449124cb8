"""Month snapshots in the scheduled pipeline (issue 10): a closed month is read from its snapshot,
a restated closed month is closed again from its raw facts (its pool credits too) and the run says
so, and a missed monthly close heals itself. The world is tests/sheet/pipeline_world.py's."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from tests.sheet.pipeline_world import at
from tests.sheet.test_pipeline_runs import run_ok, sync_log_first

pytestmark = pytest.mark.e2e  # month closes, re-closes and restatements over simulated weeks: make check


def compute_detail(record) -> str:
    return next(s.detail for s in record.steps if s.name == "compute")


def snapshots():
    from chalicelib import stores
    from chalicelib.storage.snapshot_store import SnapshotStore

    pool = stores.stores().pool
    return SnapshotStore(pool._resource, pool._table_name).load("2026-01", "2026-12")


def steady_credit(month: str) -> list:
    from chalicelib import stores

    return [(c.use_case, c.amount) for c in (stores.stores().pool.load() or {}).get(month, ())]


def test_closed_month_from_its_snapshot_restated_month_reclosed_and_reported(short_world):
    w = short_world
    close = run_ok(w, "monthly", at("2026-10-01T03:35:00Z"))
    assert "closed 2026-09" in compute_detail(close)
    snap = snapshots()["2026-09"]
    assert snap.note == "closed 2026-09" and sum(snap.ledger.owner_days[("support", "steady")].values()) == D(2250)
    assert steady_credit("2026-09") == [("steady", D("750.00"))]

    # The next hourly run reads September from its snapshot: raw facts of October only.
    r = run_ok(w, "hourly", at("2026-10-01T09:05:00Z"))
    assert "facts of 2026-10" in compute_detail(r) and "closed" not in compute_detail(r)

    # Anthropic restates September 30 (steady cost $90 instead of $75): the next pull changes it,
    # the run closes September again from its raw facts, credits the pool again, and says so.
    real = w.anthropic_rows

    def restated(day):
        rows = real(day)
        if day == date(2026, 9, 30):
            rows = [dict(rows[0], amount="9000")]
        return rows

    w.anthropic_rows = restated
    r = run_ok(w, "hourly", at("2026-10-02T09:05:00Z"))
    detail = compute_detail(r)
    assert "re-closed 2026-09: restated by anthropic" in detail
    assert "pool credits of 2026-09 closed again" in detail
    assert steady_credit("2026-09") == [("steady", D("735.00"))]  # (2.00 x 1500 - 2265)
    snap = snapshots()["2026-09"]
    assert snap.note == "re-closed 2026-09: restated by anthropic"
    assert sum(snap.ledger.owner_days[("support", "steady")].values()) == D(2265)
    assert "re-closed 2026-09: restated by anthropic" in " ".join(str(x) for x in sync_log_first(w))

    # Nothing restated since: September stays closed as it is.
    r = run_ok(w, "hourly", at("2026-10-02T10:05:00Z"))
    assert "closed" not in compute_detail(r)


def test_a_missed_monthly_close_heals_on_the_next_run(short_world):
    w = short_world
    run_ok(w, "monthly", at("2026-10-01T03:35:00Z"))
    run_ok(w, "daily", at("2026-10-31T23:05:00Z"))  # October's costs, every day
    # November's monthly run never ran: the first hourly run of November closes October.
    r = run_ok(w, "hourly", at("2026-11-02T06:05:00Z"))
    detail = compute_detail(r)
    assert "closed 2026-10" in detail and "pool credits of 2026-10 closed" in detail
    assert ("steady", D("775.00")) in steady_credit("2026-10")  # (2.00 - 1.50) x 50 x 31
    assert set(snapshots()) >= {"2026-09", "2026-10"}
    r = run_ok(w, "hourly", at("2026-11-02T07:05:00Z"))
    assert "closed" not in compute_detail(r) and ("steady", D("775.00")) in steady_credit("2026-10")


def delete_snapshots() -> None:
    from boto3.dynamodb.conditions import Key

    from chalicelib import runtime

    table = runtime.dynamodb().Table(runtime.TableNames.from_env().config)
    for row in table.query(KeyConditionExpression=Key("pk").eq("SNAPSHOT"))["Items"]:
        table.delete_item(Key={"pk": row["pk"], "sk": row["sk"]})


def outputs(world) -> dict:
    """What a run computes and leaves behind, emails aside (only the first run of a moment sends)."""
    from tests.sheet.pipeline_world import state_digest

    digest = state_digest(world.sheet)
    # A source's freshness line says whether its last pull restated a day: the pull's news, not an output.
    digest["sheet"] = {
        tab: [["ok" if isinstance(c, str) and c.startswith("ok; ") else c for c in row] for row in rows]
        for tab, rows in digest["sheet"].items()
    }
    return {k: digest[k] for k in ("guardrails", "pool", "alerts", "sheet")}


def test_a_week_across_the_month_boundary_is_the_same_whether_november_is_re_closed_read_or_raw(world):
    """The ISO week of Monday 2026-11-30 spans closed November and open December. A run that closes
    November again (a vendor restated the 30th) in the same run, the next run at the same clock
    (November from that snapshot), a run that closes it from raw facts afresh, and a sync reading it
    raw (no snapshot) all judge the week on the same figures: $2.05 a claim, critical, paused."""
    from tests.sheet.pipeline_world import DRIFT_UNITS

    w = world
    w.history_start = date(2026, 11, 1)
    w.overrun[date(2026, 11, 30)] = D("0.60")  # drift: $160 a day that week
    run_ok(w, "daily", at("2026-11-30T23:05:00Z"))
    close = run_ok(w, "monthly", at("2026-12-01T03:35:00Z"))
    assert "closed 2026-11" in compute_detail(close)

    real = w.openai_rows

    def restated(day):  # OpenAI restates November 30: $250 instead of $160
        rows = real(day)
        return [dict(rows[0], amount={"value": D("250.00"), "currency": "usd"})] if day == date(2026, 11, 30) else rows

    w.openai_rows = restated
    moment = at("2026-12-02T10:05:00Z")
    first = run_ok(w, "hourly", moment)  # counters posted through December 1
    assert "re-closed 2026-11: restated by openai" in compute_detail(first)
    rail = w.guardrail()
    assert D(rail["cost_per_unit_this_week"]) == (D(250) + D(160)) / (2 * DRIFT_UNITS)
    assert (rail["colour"], rail["paused"]) == ("critical", True)
    after_reclose = outputs(w)

    again = run_ok(w, "hourly", moment)  # November from the snapshot the first run stored
    assert "closed" not in compute_detail(again)
    assert outputs(w) == after_reclose

    delete_snapshots()  # November closed afresh from its raw facts, in this run
    fresh = run_ok(w, "hourly", moment)
    assert "closed 2026-11" in compute_detail(fresh) and "re-closed" not in compute_detail(fresh)
    assert outputs(w) == after_reclose

    delete_snapshots()  # a sync closes nothing: November read raw, as an open month
    from chalicelib import bootstrap
    from chalicelib.services import pipeline

    synced = pipeline.run("sync", bootstrap.dependencies(), moment).record
    assert synced.status == "ok" and "facts of 2026-10, 2026-11, 2026-12" in compute_detail(synced)
    assert outputs(w)["guardrails"] == after_reclose["guardrails"]


class _Fakes:
    """pipeline.Deps over lists: the cost ledger, the unit counters and the snapshots in memory."""

    def __init__(self, facts, units):
        from types import SimpleNamespace

        from chalicelib.domain.periods import month_key
        from chalicelib.services import pipeline
        from chalicelib.storage.snapshot_store import Snapshot, pack, unpack

        self.facts, self.units, self.snaps, self.pool, self.opened = facts, units, {}, None, None
        fakes = self

        class Snaps:
            def load(self, first, last):
                return {
                    m: Snapshot(m, unpack(m, chunks), at, note, stamp=stamp)
                    for m, (chunks, at, note, stamp) in fakes.snaps.items()
                    if first <= m <= last
                }

            def save(self, month, ledger, closed_at, note="closed", previous=None, stamp=None):
                fakes.snaps[month] = (pack(month, ledger, 2000), closed_at, note, stamp)

        class Pool:
            def load(self):
                return fakes.pool

            def save(self, credits):
                fakes.pool = {**(fakes.pool or {}), **credits}

            def opened(self):
                return fakes.opened

            def open_at(self, month):
                fakes.opened = fakes.opened or month
                return fakes.opened

        def month_facts(m):
            return [f for f in fakes.facts if month_key(f.day) == m]

        def month_units(m):
            return [u for u in fakes.units if month_key(u.day) == m]

        stores = SimpleNamespace(
            ledger=SimpleNamespace(
                facts_for_month=month_facts,
                facts_for_open_month=month_facts,
                last_read=(0, 0),
                revisions=SimpleNamespace(heads=lambda months: {}),
            ),
            work_items=SimpleNamespace(
                units_for_month=month_units,
                units_for_open_month=month_units,
                last_read=(0, 0),
                revisions=SimpleNamespace(heads=lambda months: {}),
            ),
            guardrails=SimpleNamespace(all=lambda: []),
            freshness=SimpleNamespace(all=lambda: []),
        )
        self.deps = pipeline.Deps(
            stores=stores,
            pool=Pool(),
            runs=None,
            alerts=None,
            outbox=None,
            mailer=None,
            sources=None,
            open_sheet=None,
            snapshots=Snaps(),
        )


@pytest.mark.parametrize("seed", range(3))
def test_compute_across_a_month_boundary_is_the_same_closed_re_closed_or_raw(seed, monkeypatch):
    """`_compute` on 2026-12-02 (the ISO week of Monday 11-30 spans closed November and open
    December; shared costs under every rule, counters after today): November closed in the run,
    read from its snapshot, restated and closed again in the run, then read again: every output is
    what all the raw facts give, each time."""
    import dataclasses
    import random
    from datetime import datetime, timedelta, timezone

    from chalicelib.domain import engine
    from chalicelib.services import pipeline
    from tests.domain import test_snapshots as ts

    monkeypatch.setattr(pipeline, "HISTORY_MONTHS", 3)
    rng = random.Random(seed)
    org = ts.organisation(rng)
    today, now = date(2026, 12, 2), datetime(2026, 12, 2, 10, 5, tzinfo=timezone.utc)
    facts, units = [], []
    day = date(2026, 10, 1)
    while day <= today + timedelta(days=2):
        for u in ts.USE_CASES:
            amount = D(rng.randint(0, 200000)) / 100
            facts.append(
                ts.CostFact(
                    day, "openai", "api", "OpenAI", "gpt", amount, amount, team=org.use_case(u).team, use_case=u
                )
            )
            n = rng.randint(0, 900)
            units.append(ts.DailyUnits(u, day, n, rng.randint(0, n)))
        amount = D(rng.randint(1, 90000)) / 100
        facts.append(
            ts.CostFact(
                day,
                "aws",
                "infrastructure",
                "AWS",
                "eks",
                amount,
                amount,
                team=ts.SHARED_TEAM,
                use_case=rng.choice(["platform", "vectors", "gateway", "office"]),
            )
        )
        day += timedelta(days=1)
    world = _Fakes(facts, units)

    def check(touched: dict, note: str) -> None:
        out, detail = pipeline._compute(world.deps, org, today, pipeline._RunState("hourly", now, touched=touched))
        assert (note in detail) if note else ("closed" not in detail), detail
        raw = engine.compute(org, [f for f in world.facts if f.day <= today], world.units, today)
        raw = engine.with_optimization(raw, org, [])  # the hints the pipeline adds (no usage here)
        for f in dataclasses.fields(engine.Outputs):
            assert getattr(out, f.name) == getattr(raw, f.name), f.name

    check({}, "closed 2026-11")
    check({}, "")
    # November 30 restated (Monday of the week across the boundary): more spend, fewer units.
    world.facts = [
        dataclasses.replace(f, effective_cost=f.effective_cost * 3, billed_cost=f.billed_cost * 3)
        if f.day == date(2026, 11, 30)
        else f
        for f in world.facts
    ]
    world.units = [
        dataclasses.replace(u, units=u.units // 2) if u.day == date(2026, 11, 30) else u for u in world.units
    ]
    check({"2026-11": {"openai"}}, "re-closed 2026-11: restated by openai")
    check({}, "")


def test_costs_imported_for_a_day_of_a_closed_month_no_source_stated_re_close_it(short_world):
    """An invoice imported after September closed, for days no source had stated (nothing was
    "restated": the days are new), still reaches September's figures: the month's revisions moved
    since its close, so the next run closes it again from its raw facts and says why."""
    from chalicelib import stores
    from chalicelib.billing import import_cost_file

    w = short_world
    run_ok(w, "monthly", at("2026-10-01T03:35:00Z"))
    before = sum(snapshots()["2026-09"].ledger.owner_days[("support", "steady")].values())
    invoice = (
        "date,source,category,team,use_case,amount,provider,service\n"
        "2026-09-15,vector-invoice,vector_db,support,steady,123.45,Pinecone,Serverless\n"
    )
    result = import_cost_file(invoice, stores.organisation(), stores.stores().ledger, feed="vector-invoices")
    assert not result.errors and result.restatements == []  # a new day: no restatement line is logged
    r = run_ok(w, "hourly", at("2026-10-01T09:05:00Z"))
    assert "re-closed 2026-09: restated by new cost facts" in compute_detail(r)
    after = sum(snapshots()["2026-09"].ledger.owner_days[("support", "steady")].values())
    assert after == before + D("123.45")
    r = run_ok(w, "hourly", at("2026-10-01T10:05:00Z"))  # closed again once, not every run
    assert "closed" not in compute_detail(r)
