"""The cost ledger's contract (storage/interfaces.py CostFacts), run against the in-memory ledger and
DynamoDB's on moto: a rerun changes nothing, a restatement replaces only the days the source stated."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from chalicelib.domain.facts import CostFact
from chalicelib.storage.cost_ledger import DayChange
from chalicelib.storage.settled_days import settled, written

NOV1, NOV2, NOV3, DEC1 = date(2026, 11, 1), date(2026, 11, 2), date(2026, 11, 3), date(2026, 12, 1)


def fact(day, amount, service="gpt-4o", source="openai", key="openai:project:p1", **kw) -> CostFact:
    return CostFact(
        day=day,
        source=source,
        category=kw.pop("category", "api"),
        provider=kw.pop("provider", "OpenAI"),
        service=service,
        billed_cost=D(kw.pop("billed", amount)),
        effective_cost=D(amount),
        vendor_key=key,
        **kw,
    )


def amounts(facts) -> list:
    return sorted((f.source, f.day, f.service, f.effective_cost) for f in facts)


class CostFactsContract:
    @pytest.fixture
    def ledger(self):
        raise NotImplementedError

    def test_a_rerun_of_the_same_days_facts_changes_nothing(self, ledger):
        answer = [fact(NOV1, "10.01"), fact(NOV2, "20.02"), fact(NOV2, "0.07", service="embeddings")]
        first = ledger.replace_days("openai", [NOV1, NOV2], answer)
        assert (first.facts_in, first.puts, first.deletes, first.stored, first.changed) == (3, 3, 0, 3, [])
        before = ledger.facts_for_month("2026-11")

        again = ledger.replace_days("openai", [NOV1, NOV2], answer)
        assert (again.puts, again.deletes, again.unchanged, again.stored, again.changed) == (0, 0, 3, 3, [])
        assert again.write_requests == 0
        assert ledger.facts_for_month("2026-11") == before

    def test_a_restatement_replaces_only_the_days_the_source_stated(self, ledger):
        ledger.replace_days("openai", [NOV1, NOV2], [fact(NOV1, "10"), fact(NOV2, "20")])
        ledger.replace_days("anthropic", [NOV2], [fact(NOV2, "7", source="anthropic", key="anthropic:w")])

        written_ = ledger.replace_days("openai", [NOV2], [fact(NOV2, "25")])  # the source answered for day 2 only
        assert (written_.puts, written_.deletes) == (1, 0)
        assert written_.changed == [DayChange("openai", NOV2, {"USD": D("20")}, {"USD": D("25")})]
        assert amounts(ledger.facts_for_month("2026-11")) == [
            ("anthropic", NOV2, "gpt-4o", D("7")),
            ("openai", NOV1, "gpt-4o", D("10")),
            ("openai", NOV2, "gpt-4o", D("25")),
        ]

    def test_a_stated_day_answered_empty_is_emptied_and_reported(self, ledger):
        ledger.replace_days("openai", [NOV1], [fact(NOV1, "5"), fact(NOV1, "1", service="embeddings")])
        ledger.replace_days("anthropic", [NOV1], [fact(NOV1, "7", source="anthropic", key="anthropic:w")])

        emptied = ledger.replace_days("openai", [NOV1], [])
        assert (emptied.deletes, emptied.stored) == (2, 0)
        assert emptied.changed == [DayChange("openai", NOV1, {"USD": D("6")}, {}, facts_removed=2)]
        assert amounts(ledger.facts_for_month("2026-11")) == [("anthropic", NOV1, "gpt-4o", D("7"))]

        back = ledger.replace_days("openai", [NOV1], [fact(NOV1, "3")])  # a day the source had emptied, stated again
        assert back.changed == [DayChange("openai", NOV1, {}, {"USD": D("3")})]

    def test_a_day_first_stated_is_no_restatement_and_an_empty_answer_does_not_state_it(self, ledger):
        nothing = ledger.replace_days("openai", [NOV1], [])
        assert (nothing.puts, nothing.deletes, nothing.changed) == (0, 0, [])
        first = ledger.replace_days("openai", [NOV1], [fact(NOV1, "4")])
        assert (first.puts, first.changed) == (1, [])

    def test_the_same_amount_written_otherwise_is_rewritten_not_restated(self, ledger):
        ledger.replace_days("openai", [NOV1], [fact(NOV1, "10.50")])
        again = ledger.replace_days("openai", [NOV1], [fact(NOV1, "10.5", provenance="invoice page 2")])
        assert (again.puts, again.deletes, again.changed) == (1, 0, [])
        (stored,) = ledger.facts_for_month("2026-11")
        assert stored.provenance == "invoice page 2" and stored.effective_cost == D("10.5")

    def test_the_same_identity_twice_in_one_answer_is_one_fact_with_the_exact_sum(self, ledger):
        written_ = ledger.replace_days("openai", [NOV1], [fact(NOV1, "0.1"), fact(NOV1, "0.2", billed="0.25")])
        assert (written_.facts_in, written_.stored) == (2, 1)
        (stored,) = ledger.facts_for_month("2026-11")
        assert (stored.effective_cost, stored.billed_cost) == (D("0.3"), D("0.35"))

    def test_facts_read_back_as_written(self, ledger):
        original = fact(
            NOV1,
            "1.2345",
            billed="1.5",
            currency="EUR",
            team="claims",
            use_case="claims-processing",
            provenance="s3://bucket/cur.csv.gz row 7",
        )
        bare = fact(NOV1, "2", service="embeddings", key="", provider="")
        ledger.replace_days("openai", [NOV1], [original, bare])
        assert sorted(ledger.facts_between(date(2026, 10, 1), date(2026, 12, 31)), key=lambda f: f.service) == [
            bare,
            original,
        ]

    def test_a_fact_of_another_source_is_refused_and_nothing_is_written(self, ledger):
        with pytest.raises(ValueError):
            ledger.replace_days("openai", [NOV1], [fact(NOV1, "1"), fact(NOV1, "2", source="aws", key="aws:x")])
        assert ledger.facts_for_month("2026-11") == []

    def test_a_months_facts_are_by_day_and_the_open_month_read_is_the_same(self, ledger):
        ledger.replace_days("openai", [NOV3, NOV1, DEC1], [fact(NOV3, "3"), fact(NOV1, "1"), fact(DEC1, "12")])
        ledger.replace_days("aws", [NOV2], [fact(NOV2, "2", source="aws", key="aws:account:1")])
        november = ledger.facts_for_month("2026-11")
        assert [f.day for f in november] == [NOV1, NOV2, NOV3]
        assert amounts(ledger.facts_for_open_month("2026-11")) == amounts(november)
        assert [f.day for f in ledger.facts_between(NOV2, DEC1)] == [NOV2, NOV3, DEC1]
        assert ledger.facts_for_month("2026-10") == []

    def test_a_month_written_moves_its_revisions_and_a_rerun_that_changes_nothing_does_not(self, ledger):
        assert ledger.revisions.heads(["2026-11"]) == {}
        ledger.replace_days("openai", [NOV1], [fact(NOV1, "1")])
        after_first = ledger.revisions.heads(["2026-11", "2026-12"])
        assert set(after_first) == {"2026-11"} and settled(after_first["2026-11"], now=4e9)
        ledger.replace_days("openai", [NOV1], [fact(NOV1, "1")])
        assert written(ledger.revisions.heads(["2026-11"])["2026-11"]) == written(after_first["2026-11"])
        ledger.replace_days("openai", [NOV1], [fact(NOV1, "2")])
        assert written(ledger.revisions.heads(["2026-11"])["2026-11"]) > written(after_first["2026-11"])


class TestInMemoryCostFacts(CostFactsContract):
    @pytest.fixture
    def ledger(self):
        from chalicelib.storage.in_memory import InMemoryCostFacts

        return InMemoryCostFacts()


class TestDynamoDBCostFacts(CostFactsContract):
    @pytest.fixture
    def ledger(self, aws):
        return aws.stores.ledger
