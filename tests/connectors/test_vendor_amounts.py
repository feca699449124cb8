"""An amount and its currency in a vendor's answer (OpenAI, Anthropic, AWS) are read one way
(`common.vendor_amount`): exactly, in capitals, or refused naming where they stand."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from chalicelib.connectors import anthropic_costs, aws_cost_explorer, openai_costs
from chalicelib.connectors.errors import SourceUnavailable


def openai_page(amount):
    result = {"object": "organization.costs.result", "amount": amount, "project_id": "p", "line_item": "x"}
    return {"data": [{"start_time": 1730419200, "results": [result]}], "has_more": False}


def anthropic_page(amount, currency):
    result = {"amount": amount, "currency": currency, "workspace_id": None, "description": "d"}
    return {"data": [{"starting_at": "2024-11-01T00:00:00Z", "results": [result]}], "has_more": False}


def aws_answer(amount, unit):
    metrics = {"UnblendedCost": {"Amount": amount, "Unit": unit}}
    group = {"Keys": ["team$a", "use-case$b"], "Metrics": metrics}
    return {"ResultsByTime": [{"TimePeriod": {"Start": "2024-11-01"}, "Groups": [group]}]}


def test_amounts_read_exactly_with_the_currency_in_capitals():
    [o] = openai_costs.parse_costs_page(openai_page({"value": D("0.0600"), "currency": "eur"}))[0]
    [a] = anthropic_costs.parse_cost_report_page(anthropic_page("123.45", "usd"))[0]
    [w] = aws_cost_explorer.parse_response(aws_answer("2.5", "usd"))[0]
    assert (o.billed_cost, o.currency) == (D("0.0600"), "EUR")
    assert (a.billed_cost, a.currency) == (D("1.2345"), "USD")  # Anthropic states cents
    assert (w.billed_cost, w.currency) == (D("2.5"), "USD")


@pytest.mark.parametrize(
    "parse, message",
    [
        (
            lambda: openai_costs.parse_costs_page(openai_page({"value": 0.06, "currency": "usd"})),
            "unexpected response shape: data[0].results[0].amount.value: refusing inexact number 0.06",
        ),
        (
            lambda: openai_costs.parse_costs_page(openai_page({"value": D("1"), "currency": "dollars"})),
            "unexpected response shape: data[0].results[0].amount.currency",
        ),
        (
            lambda: anthropic_costs.parse_cost_report_page(anthropic_page("12,5", "USD")),
            "unexpected response shape: data[0].results[0].amount: not a number: '12,5'",
        ),
        (
            lambda: anthropic_costs.parse_cost_report_page(anthropic_page("1", 840)),
            "unexpected response shape: data[0].results[0].currency",
        ),
        (
            lambda: aws_cost_explorer.parse_response(aws_answer("NaN", "USD")),
            "unexpected response shape: ResultsByTime[0].Groups[0].UnblendedCost.Amount: not a number: 'NaN'",
        ),
        (
            lambda: aws_cost_explorer.parse_response(aws_answer("1", "US")),
            "unexpected response shape: ResultsByTime[0].Groups[0].UnblendedCost.Unit 'US'",
        ),
    ],
)
def test_a_bad_amount_or_currency_is_refused_naming_where_it_stands(parse, message):
    with pytest.raises(SourceUnavailable) as caught:
        parse()
    assert caught.value.reason == message
