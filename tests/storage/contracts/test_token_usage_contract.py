"""The token usage store's contract (storage/interfaces.py TokenUsage), in memory and on DynamoDB
(moto): a rerun changes nothing, only the days the source stated are replaced."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from chalicelib.domain.usage import UsageFact
from chalicelib.storage.usage_store import UsageDayChange

NOV1, NOV2 = date(2026, 11, 1), date(2026, 11, 2)


def usage(day, model="gpt-4o", source="openai", tokens=1000, requests=10, **kw) -> UsageFact:
    provider = "OpenAI" if source == "openai" else "Anthropic"
    return UsageFact(
        day,
        source,
        provider,
        model,
        f"{source}:project:p1",
        input_tokens=tokens,
        output_tokens=tokens // 10,
        requests=requests,
        **kw,
    )


def rows(facts) -> list:
    return sorted((f.source, f.day, f.model, f.tokens, f.requests) for f in facts)


class TokenUsageContract:
    @pytest.fixture
    def usage_store(self):
        raise NotImplementedError

    def test_a_rerun_of_the_same_days_usage_changes_nothing(self, usage_store):
        answer = [usage(NOV1), usage(NOV2), usage(NOV2, "gpt-4o-mini", tokens=50, requests=None)]
        first = usage_store.replace_days("openai", [NOV1, NOV2], answer)
        assert (first.stored, first.puts, first.deletes, first.changed) == (3, 2, 0, [])
        again = usage_store.replace_days("openai", [NOV1, NOV2], answer)
        assert (again.stored, again.puts, again.deletes, again.changed) == (3, 0, 0, [])
        assert rows(usage_store.usage_for_month("2026-11")) == [
            ("openai", NOV1, "gpt-4o", 1100, 10),
            ("openai", NOV2, "gpt-4o", 1100, 10),
            ("openai", NOV2, "gpt-4o-mini", 55, None),
        ]

    def test_a_restated_day_is_replaced_and_reported_and_other_days_and_sources_keep_theirs(self, usage_store):
        usage_store.replace_days("openai", [NOV1, NOV2], [usage(NOV1), usage(NOV2)])
        usage_store.replace_days("anthropic", [NOV2], [usage(NOV2, "claude-sonnet", source="anthropic")])
        restated = usage_store.replace_days("openai", [NOV2], [usage(NOV2, tokens=2000)])
        assert restated.changed == [UsageDayChange("openai", NOV2, 1100, 2200)]
        emptied = usage_store.replace_days("openai", [NOV1], [])
        assert (emptied.deletes, emptied.changed) == (1, [UsageDayChange("openai", NOV1, 1100, 0)])
        assert rows(usage_store.usage_for_month("2026-11")) == [
            ("anthropic", NOV2, "claude-sonnet", 1100, 10),
            ("openai", NOV2, "gpt-4o", 2200, 10),
        ]
        assert usage_store.replace_days("openai", [NOV1], []).deletes == 0  # an empty day stays empty

    def test_the_same_identity_twice_is_one_row_with_the_sums(self, usage_store):
        written = usage_store.replace_days("openai", [NOV1], [usage(NOV1, requests=3), usage(NOV1, requests=None)])
        assert written.stored == 1
        (row,) = usage_store.usage_for_month("2026-11")
        assert (row.input_tokens, row.output_tokens, row.requests) == (2000, 200, None)  # a count missing: unknown

    def test_rows_read_back_as_written_but_their_provenance(self, usage_store):
        original = usage(
            NOV1,
            cached_input_tokens=7,
            cache_write_tokens=3,
            team="claims",
            use_case="claims-processing",
            provenance="usage API page 2",
        )
        usage_store.replace_days("openai", [NOV1], [original])
        assert usage_store.usage_for_month("2026-11") == [replace(original, provenance="")]  # not kept
        assert usage_store.usage_for_month("2026-10") == []

    def test_a_row_of_another_source_is_refused(self, usage_store):
        with pytest.raises(ValueError):
            usage_store.replace_days("openai", [NOV1], [usage(NOV1, source="anthropic")])
        assert usage_store.usage_for_month("2026-11") == []


class TestInMemoryTokenUsage(TokenUsageContract):
    @pytest.fixture
    def usage_store(self):
        from chalicelib.storage.in_memory import InMemoryTokenUsage

        return InMemoryTokenUsage()


class TestDynamoDBTokenUsage(TokenUsageContract):
    @pytest.fixture
    def usage_store(self, aws):
        return aws.stores.usage
