"""The pipeline runs' contract (storage/interfaces.py Runs), in memory and on DynamoDB (moto): the lock
is a lease held by one run at a time, run records are kept and listed newest first."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal as D

import pytest

from chalicelib.storage.run_store import RunRecord, Step

WALL = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
LEASE = 900


class RunsContract:
    @pytest.fixture
    def runs(self):
        raise NotImplementedError

    def test_a_lease_is_held_by_one_run(self, runs):
        assert runs.holder() is None
        taken = runs.acquire("run-a", WALL, LEASE)
        assert taken["run_id"] == "run-a" and taken["acquired_at"] == "2026-11-20T12:00:00Z"
        assert runs.acquire("run-b", WALL + timedelta(seconds=LEASE), LEASE) is None  # not expired yet
        assert runs.acquire("run-a", WALL, LEASE) is None  # not even by itself
        held = runs.holder()
        assert (held["run_id"], held["acquired_at"], int(held["expires_at"])) == (
            "run-a",
            "2026-11-20T12:00:00Z",
            int(WALL.timestamp()) + LEASE,
        )

    def test_a_released_lock_is_free_and_a_release_by_another_run_changes_nothing(self, runs):
        runs.acquire("run-a", WALL, LEASE)
        runs.release("run-b")
        assert runs.holder()["run_id"] == "run-a"
        runs.release("run-a")
        assert runs.holder() is None
        assert runs.acquire("run-b", WALL, LEASE)["run_id"] == "run-b"

    def test_an_expired_lease_is_taken_over(self, runs):
        runs.acquire("dead-run", WALL, LEASE)
        later = WALL + timedelta(seconds=LEASE + 1)
        assert runs.acquire("next-run", later, LEASE)["run_id"] == "next-run"
        runs.release("dead-run")  # the dead run's `finally`, should it ever run: the new holder keeps the lock
        assert runs.holder()["run_id"] == "next-run"

    def test_run_records_are_kept_and_listed_newest_first(self, runs):
        step = Step("compute", "ok", D("1.234"), "2 use cases")
        for n in range(3):
            record = RunRecord(
                f"20261120T12000{n}Z-hourly-abc12{n}",
                "hourly",
                "ok" if n else "partial",
                requested_by="schedule",
                started_at="2026-11-20T12:00:00Z",
                steps=(step,),
                dynamodb_requests=10 + n,
                freshness=("openai ok 3/3 days",),
            )
            runs.put(record, WALL)
        first = runs.get("20261120T120000Z-hourly-abc120")
        assert first == RunRecord(
            "20261120T120000Z-hourly-abc120",
            "hourly",
            "partial",
            requested_by="schedule",
            started_at="2026-11-20T12:00:00Z",
            steps=(step,),
            dynamodb_requests=10,
            freshness=("openai ok 3/3 days",),
        )
        runs.put(RunRecord(first.run_id, "hourly", "failed", message="killed"), WALL)
        assert runs.get(first.run_id).status == "failed" and runs.get(first.run_id).steps == ()
        assert [r.run_id[-1] for r in runs.recent(2)] == ["2", "1"]
        assert runs.get("unknown") is None


class TestInMemoryRuns(RunsContract):
    @pytest.fixture
    def runs(self):
        from chalicelib.storage.in_memory import InMemoryRuns

        return InMemoryRuns()

    # DynamoDB's lock under overlapping runs: tests/sheet/test_pipeline_runs.py (a run started while
    # another holds the lock is skipped); moto does not isolate requests from threads as DynamoDB does.

    def test_of_runs_racing_for_the_lock_exactly_one_holds_it(self, runs):
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=6) as pool:
            taken = list(pool.map(lambda n: runs.acquire(f"run-{n}", WALL, LEASE), range(6)))
        winners = [t["run_id"] for t in taken if t is not None]
        assert len(winners) == 1 and runs.holder()["run_id"] == winners[0]


class TestDynamoDBRuns(RunsContract):
    @pytest.fixture
    def runs(self, aws):
        return aws.stores.runs
