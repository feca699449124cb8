"""The guardrails' contract (storage/interfaces.py Guardrails), in memory and on DynamoDB (moto): the
latest judgement per use case, never replaced by an earlier one."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from chalicelib.storage.guardrail_store import Guardrail, GuardrailHint

HINT = GuardrailHint(1, "model", "gpt-4o-mini", "90 % of calls fit", D("0.4100"), D("1230.00"), "2026-11")


def rail(use_case, as_of="2026-11-20T10:05:00+00:00", **kw) -> Guardrail:
    return Guardrail(use_case, as_of=as_of, **kw)


class GuardrailsContract:
    @pytest.fixture
    def guardrails(self):
        raise NotImplementedError

    def test_a_guardrail_is_read_back_as_stored(self, guardrails):
        stored = rail(
            "claims-processing",
            paused=True,
            colour="red",
            reason="62 % over target",
            cost_per_unit=D("2.4312"),
            target=D("1.5"),
            month_to_date_cost=D("4321.09"),
            budget_remaining=D("-21.09"),
            critical_since=date(2026, 11, 16),
            cost_per_unit_period="2026-W46",
            counts_reported_through=date(2026, 11, 19),
            hints=(HINT,),
        )
        guardrails.put_all([stored, rail("lead-scoring")])
        assert guardrails.get("claims-processing") == stored
        assert guardrails.get("unknown") is None
        assert [g.use_case for g in guardrails.all()] == ["claims-processing", "lead-scoring"]

    def test_a_later_run_replaces_a_guardrail_and_an_earlier_one_never_does(self, guardrails):
        guardrails.put_all([rail("claims-processing", colour="yellow")])
        guardrails.put_all([rail("claims-processing", as_of="2026-11-20T11:05:00+00:00", colour="red")])
        guardrails.put_all([rail("claims-processing", as_of="2026-11-19T00:00:00+00:00", colour="green")])
        assert guardrails.get("claims-processing").colour == "red"
        assert len(guardrails.all()) == 1


class TestInMemoryGuardrails(GuardrailsContract):
    @pytest.fixture
    def guardrails(self):
        from chalicelib.storage.in_memory import InMemoryGuardrails

        return InMemoryGuardrails()


class TestDynamoDBGuardrails(GuardrailsContract):
    @pytest.fixture
    def guardrails(self, aws):
        return aws.stores.guardrails
