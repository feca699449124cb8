"""The Model prices input tab and the Use cases tab's Optimization decision: read by header like every
input tab (a bad price named and its last good value kept), filled by `init` with the dated snapshot,
stored with the configuration, and the Settings rows of the levers' assumptions checked."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal as D

from chalicelib.domain.model_prices import DEFAULT_MODEL_PRICES, price_for
from chalicelib.domain.organisation import Organisation, UseCase
from chalicelib.sheet import layout
from chalicelib.sheet.inputs import org_rows, read_inputs
from chalicelib.sheet_sync import same_configuration

PREVIOUS = Organisation(use_cases=(UseCase("claims", "claims"),))
HEADER = [
    "Model",
    "Provider",
    "Input per M tokens",
    "Cached input per M tokens",
    "Output per M tokens",
    "Prices as of",
    "Source",
]


def test_init_fills_the_tab_with_the_dated_snapshot_and_reads_it_back_the_same():
    rows = org_rows(layout.MODEL_PRICES_TAB, Organisation())
    assert [r[0] for r in rows] == [p.model for p in DEFAULT_MODEL_PRICES]
    assert rows[0][:6] == ["gpt-4o", "OpenAI", 2.5, 1.25, 10, "2025-06-01"]
    read = read_inputs({layout.MODEL_PRICES: [HEADER] + rows}, PREVIOUS)
    assert read.organisation.model_prices == DEFAULT_MODEL_PRICES
    assert not [i for i in read.issues if i.tab == layout.MODEL_PRICES]


def test_a_bad_price_is_named_and_its_last_good_value_kept_blank_cached_is_the_input_price():
    previous = replace(PREVIOUS, model_prices=DEFAULT_MODEL_PRICES)
    ranges = {
        layout.MODEL_PRICES: [
            ["Output per M tokens", "Model", "Provider", "Input per M tokens"],  # any order, a column missing
            ["lots", "gpt-4o", "OpenAI", "$2.00"],
            ["4", "my-model", "OpenAI", "1"],
        ]
    }
    read = read_inputs(ranges, previous)
    prices = {p.model: p for p in read.organisation.model_prices}
    assert prices["gpt-4o"].output_per_mtok == D(10) and prices["gpt-4o"].input_per_mtok == D(2)
    assert prices["gpt-4o"].cached_input_per_mtok == D("1.25")  # the missing column: last good values
    issue = next(i for i in read.issues if i.tab == layout.MODEL_PRICES and i.cell == "A2")
    assert issue.value == "lots" and "kept the last good value 10" in issue.reason
    mine = prices["my-model"]
    assert mine.cached == D(1) and mine.cost(1_000_000, 1_000_000, 1_000_000) == D(6)
    assert price_for("my-model-2026-01-01", "openai", read.organisation.model_prices) is mine
    assert price_for("my-model", "Anthropic", read.organisation.model_prices) is None  # another provider's
    assert not same_configuration(read.organisation, previous)  # a price edit is a configuration change


def test_the_optimization_decision_column_and_the_levers_settings():
    ranges = {
        layout.USE_CASES: [
            ["Use case id", "Team", "Optimization decision"],
            ["claims", "claims", "route 60 % to gpt-4o-mini from 2026-12-01"],
        ],
        layout.SETTINGS: [
            ["Setting", "Value"],
            ["Cache read goal", "70%"],
            ["Review reduction goal", "150%"],
            ["Hints for top spenders", "3"],
        ],
    }
    read = read_inputs(ranges, PREVIOUS)
    assert read.organisation.use_cases[0].optimization_decision == "route 60 % to gpt-4o-mini from 2026-12-01"
    s = read.organisation.settings
    assert (s.cache_read_goal, s.review_reduction_goal, s.hint_top_spenders) == (D("0.7"), D("0.50"), 3)
    assert any("Review reduction goal must not be above 100 %" in i.reason for i in read.issues)


def test_model_prices_are_stored_with_the_configuration(aws):
    from chalicelib import stores

    store = stores.stores().organisation
    assert store.load().model_prices == DEFAULT_MODEL_PRICES  # nothing stored yet: the snapshot
    mine = (replace(DEFAULT_MODEL_PRICES[0], input_per_mtok=D("2.25"), prices_as_of=date(2026, 12, 1)),)
    store.save(replace(PREVIOUS, model_prices=mine))
    assert store.load().model_prices == mine
