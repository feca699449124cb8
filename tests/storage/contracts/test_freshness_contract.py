"""The billing sources' freshness contract (storage/interfaces.py Freshness), in memory and on DynamoDB
(moto): a failure keeps the last success, the earliest day owed wins until a pull lands."""

from __future__ import annotations

import pytest

from chalicelib.storage.freshness_store import MAX_LOGGED_RESTATEMENTS

T1, T2, T3 = "2026-11-20T10:05:00+00:00", "2026-11-20T11:05:00+00:00", "2026-11-20T12:05:00+00:00"


class FreshnessContract:
    @pytest.fixture
    def freshness(self):
        raise NotImplementedError

    def test_a_failure_keeps_what_the_last_success_said(self, freshness):
        freshness.succeeded(
            "openai",
            T1,
            "2026-11-18..2026-11-20",
            42,
            status="partial",
            days_asked=3,
            days_answered=2,
            unanswered_days=["2026-11-20"],
            restatements=["openai 2026-11-18: restated $10.00 → $12.00 by the source"],
            facts_removed=1,
        )
        freshness.failed("openai", T2, "HTTPError: 503 " + "x" * 600)
        (f,) = freshness.all()
        assert (f.last_success_at, f.last_attempt_at, f.status) == (T1, T2, "error")
        assert f.last_error.startswith("HTTPError: 503") and len(f.last_error) == 500
        assert (f.last_window, f.facts_last_pull, f.days_asked, f.days_answered) == ("2026-11-18..2026-11-20", 42, 3, 2)
        assert (f.unanswered_days, f.restated_days, f.facts_removed) == (("2026-11-20",), 1, 1)

    def test_the_earliest_day_owed_wins_until_a_pull_lands(self, freshness):
        freshness.owe("aws", "2026-11-18")
        freshness.owe("aws", "2026-11-19")
        freshness.owe("aws", "2026-11-10")
        freshness.failed("aws", T1, "ExpiredToken")
        assert freshness.all()[0].owed_from == "2026-11-10"
        freshness.succeeded("aws", T2, "2026-11-10..2026-11-20", 5)
        assert freshness.all()[0].owed_from == ""
        freshness.owe("aws", "2026-11-20")
        assert freshness.all()[0].owed_from == "2026-11-20"

    def test_restatements_are_logged_in_order_and_the_last_hundred_kept(self, freshness):
        freshness.succeeded("aws", T1, "w", 1, restatements=["aws 2026-11-01: restated"])
        freshness.record_restatements("import pinecone", T2, [f"line {n}" for n in range(MAX_LOGGED_RESTATEMENTS + 5)])
        freshness.record_restatements("aws", T3, ["aws 2026-11-02: restated"])
        freshness.record_restatements("aws", T3, [])
        by_source = {f.source: f for f in freshness.all()}
        assert by_source["aws"].restatement_log == (f"{T1} aws 2026-11-01: restated", f"{T3} aws 2026-11-02: restated")
        log = by_source["import pinecone"].restatement_log
        assert len(log) == MAX_LOGGED_RESTATEMENTS and log[-1] == f"{T2} line {MAX_LOGGED_RESTATEMENTS + 4}"
        assert by_source["import pinecone"].last_success_at is None

    def test_sources_are_listed_by_name(self, freshness):
        for source in ("openai", "anthropic", "aws"):
            freshness.succeeded(source, T1, "w", 0)
        assert [f.source for f in freshness.all()] == ["anthropic", "aws", "openai"]


class TestInMemoryFreshness(FreshnessContract):
    @pytest.fixture
    def freshness(self):
        from chalicelib.storage.in_memory import InMemoryFreshness

        return InMemoryFreshness()


class TestDynamoDBFreshness(FreshnessContract):
    @pytest.fixture
    def freshness(self, aws):
        return aws.stores.freshness
