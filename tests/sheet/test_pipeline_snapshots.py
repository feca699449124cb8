"""Month snapshots in the scheduled pipeline (issue 10): a closed month is read from its snapshot,
a restated closed month is closed again from its raw facts (its pool credits too) and the run says
so, and a missed monthly close heals itself. The world is tests/sheet/pipeline_world.py's."""
from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from tests.sheet.pipeline_world import at
from tests.sheet.test_pipeline_runs import run_ok, short_world, sync_log_first, world  # noqa: F401 (fixtures)


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


def test_closed_month_from_its_snapshot_restated_month_reclosed_and_reported(short_world):  # noqa: F811
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


def test_a_missed_monthly_close_heals_on_the_next_run(short_world):  # noqa: F811
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
