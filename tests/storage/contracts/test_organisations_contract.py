"""Finance's configuration store's contract (storage/interfaces.py Organisations), in memory and on
DynamoDB (moto): a save replaces the configuration whole, terms history is kept once per change."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal as D

import pytest

from chalicelib.domain.organisation import Organisation
from chalicelib.sheet_sync import same_configuration
from local.demo_org import demo_organisation


class OrganisationsContract:
    @pytest.fixture
    def store(self):
        raise NotImplementedError

    def test_before_any_save_the_configuration_is_empty_with_the_default_benchmarks(self, store):
        org = store.load()
        assert (org.use_cases, org.teams, org.mappings) == ((), (), ())
        assert org.benchmarks == Organisation().benchmarks and org.model_prices == Organisation().model_prices

    def test_a_save_is_read_back_whole_and_a_later_save_replaces_it(self, store):
        org = replace(demo_organisation(), expected_totals={"2026-11": D("1234.50")})
        store.save(org)
        assert same_configuration(store.load(), org)
        assert store.load().expected_totals == {"2026-11": D("1234.50")}
        fewer = replace(org, use_cases=org.use_cases[:2], mappings=(), expected_totals={})
        store.save(fewer)
        loaded = store.load()
        assert same_configuration(loaded, fewer)
        assert loaded.mappings == () and loaded.expected_totals == {}

    def test_rows_come_back_by_id_whatever_order_they_were_saved_in(self, store):
        org = demo_organisation()
        store.save(replace(org, use_cases=tuple(reversed(org.use_cases)), teams=tuple(reversed(org.teams))))
        loaded = store.load()
        assert [u.use_case_id for u in loaded.use_cases] == sorted(u.use_case_id for u in org.use_cases)
        assert [t.team_id for t in loaded.teams] == sorted(t.team_id for t in org.teams)

    def test_terms_history_grows_once_per_change_and_outlives_saves(self, store):
        org = demo_organisation()
        store.save(org)
        first = store.record_terms(org, date(2026, 11, 1))
        use_case = org.use_cases[0]
        assert len(first.terms_history[use_case.use_case_id]) == 1
        assert store.record_terms(org, date(2026, 11, 2)).terms_history == first.terms_history  # nothing changed
        raised = replace(use_case, target_cpu=(use_case.target_cpu or D(1)) + D("0.5"))
        changed = replace(org, use_cases=(raised, *org.use_cases[1:]))
        store.save(changed)
        after = store.record_terms(changed, date(2026, 11, 3), stored=store.load())
        assert len(after.terms_history[use_case.use_case_id]) == 2
        assert store.load().terms_history == after.terms_history
        assert store.load().team_history == first.team_history


class TestInMemoryOrganisations(OrganisationsContract):
    @pytest.fixture
    def store(self):
        from chalicelib.storage.in_memory import InMemoryOrganisations

        return InMemoryOrganisations()


class TestDynamoDBOrganisations(OrganisationsContract):
    @pytest.fixture
    def store(self, aws):
        return aws.stores.organisation
