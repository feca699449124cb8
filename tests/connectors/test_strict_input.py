"""Cost files are read strictly: what a spreadsheet would not mean is refused, row and column named.

Control characters in key cells, separators inside key values, out-of-range dates and
over-long periods, and numbers or dates Python's own parsers accept but no invoice means.
"""

from __future__ import annotations

import time
from datetime import date
from decimal import Decimal as D

import pytest

from chalicelib.connectors import focus_csv, simple_csv
from chalicelib.connectors.errors import CostImportError

SIMPLE_HEADER = "date,source,category,team,use_case,amount,provider,service\n"
FOCUS_HEADER = (
    "BillingAccountId,SubAccountId,ServiceProviderName,ServiceCategory,ServiceName,ChargePeriodStart,"
    "ChargePeriodEnd,BilledCost,EffectiveCost,BillingCurrency,Tags\n"
)
TODAY = date(2026, 12, 15)


def simple_row(
    day="2026-11-01",
    source="Pinecone",
    team="claims",
    use_case="claims-processing",
    amount="10.00",
    provider="Pinecone",
    service="Serverless",
):
    return f"{day},{source},vector_db,{team},{use_case},{amount},{provider},{service}\n"


def focus_row(
    start="2026-11-01T00:00:00Z",
    end="2026-11-02T00:00:00Z",
    billed="1.00",
    effective="1.00",
    provider="OpenAI",
    service="GPT-4o",
    sub="sub-a",
    tags="",
):
    return f"acct,{sub},{provider},AI and Machine Learning,{service},{start},{end},{billed},{effective},USD,{tags}\n"


def errors_of(parse, text):
    with pytest.raises(CostImportError) as caught:
        parse(text, filename="f.csv", today=TODAY)
    return [(e.row, e.column) for e in caught.value.errors], caught.value.errors


# --- control characters in key cells: refused, row and column named ---------------------------
@pytest.mark.parametrize("bad", ["claims\tteam", "claims\x00", "claims\x1b[0m", "clai\u200bms"])
def test_a_control_character_in_a_simple_key_cell_is_refused(bad):
    where, errors = errors_of(simple_csv.parse, SIMPLE_HEADER + simple_row() + simple_row(team=bad))
    assert where == [(3, "team")]
    assert "control character" in errors[0].reason


@pytest.mark.parametrize(
    "column, row",
    [
        ("SubAccountId", focus_row(sub="sub\x00a")),
        ("BillingAccountId", focus_row(sub="").replace("acct,", "ac\x07ct,")),
        ("ServiceProviderName", focus_row(provider="Open\x1bAI")),
        ("Tags", focus_row(tags='"{""team"": ""claims\\u001b"", ""use-case"": ""x""}"')),
    ],
)
def test_a_control_character_in_a_focus_key_cell_is_refused(column, row):
    where, _ = errors_of(focus_csv.parse, FOCUS_HEADER + focus_row() + row)
    assert where == [(3, column)]


# --- "|" and other separators inside a field never merge different facts or keys ---------------
def test_a_pipe_inside_a_field_does_not_merge_two_facts():
    text = FOCUS_HEADER + focus_row(provider="A|B", service="C") + focus_row(provider="A", service="B|C")
    facts = focus_csv.parse(text, today=TODAY)
    assert sorted((f.provider, f.service) for f in facts) == [("A", "B|C"), ("A|B", "C")]


def test_a_pipe_inside_a_field_gives_two_ledger_facts(aws):
    from chalicelib import stores
    from chalicelib.storage.cost_ledger import fact_id

    facts = simple_csv.parse(
        SIMPLE_HEADER
        + simple_row(provider="A|B", service="C", amount="1")
        + simple_row(provider="A", service="B|C", amount="2"),
        today=TODAY,
    )
    assert len({fact_id(f) for f in facts}) == 2
    ledger = stores.stores().ledger
    ledger.replace_days("csv", [date(2026, 11, 1)], facts)
    assert sorted(f.effective_cost for f in ledger.facts_for_month("2026-11")) == [D("1"), D("2")]


def test_separators_inside_tag_values_give_different_vendor_keys():
    one = '"{""team"": ""a,use-case=b"", ""use-case"": """"}"'
    two = '"{""team"": ""a"", ""use-case"": ""b,use-case=""}"'
    facts = focus_csv.parse(FOCUS_HEADER + focus_row(tags=one) + focus_row(tags=two), today=TODAY)
    assert len({f.vendor_key for f in facts}) == 2
    keys = {simple_csv.vendor_key("P:team=a,use-case=b", None, None), simple_csv.vendor_key("P", "a", "b")}
    assert len(keys) == 2
    assert (
        simple_csv.vendor_key("Pinecone", "claims", "claims-processing")
        == "csv:Pinecone:team=claims,use-case=claims-processing"
    )  # ordinary keys are unchanged


# --- dates within bounds, periods at most 92 days ----------------------------------------------
@pytest.mark.parametrize("day", ["9999-12-31", "1999-12-31", "2028-01-01"])
def test_a_simple_date_out_of_range_is_refused(day):
    where, errors = errors_of(simple_csv.parse, SIMPLE_HEADER + simple_row(day=day))
    assert where == [(2, "date")] and "out of range" in errors[0].reason


def test_the_end_of_next_year_is_accepted():
    (fact,) = simple_csv.parse(SIMPLE_HEADER + simple_row(day="2027-12-31"), today=TODAY)
    assert fact.day == date(2027, 12, 31)


@pytest.mark.parametrize(
    "start, end, columns",
    [
        ("9999-12-31T00:00:00Z", "", ["ChargePeriodStart"]),
        ("1970-01-01T00:00:00Z", "1970-01-02T00:00:00Z", ["ChargePeriodStart", "ChargePeriodEnd"]),
        ("2026-11-01T00:00:00Z", "9999-12-31T00:00:00Z", ["ChargePeriodEnd"]),
        ("2000-01-01T00:00:00Z", "2026-01-01T00:00:00Z", ["ChargePeriodEnd"]),  # 26 years
        ("2026-01-01T00:00:00Z", "2026-04-04T00:00:00Z", ["ChargePeriodEnd"]),  # 93 days
    ],
)
def test_a_focus_period_out_of_range_or_too_long_is_refused_quickly(start, end, columns):
    began = time.perf_counter()
    where, _ = errors_of(focus_csv.parse, FOCUS_HEADER + focus_row(start=start, end=end))
    assert where == [(2, column) for column in columns]
    assert time.perf_counter() - began < 1


def test_a_quarter_and_a_period_ending_at_the_last_midnight_are_accepted():
    facts = focus_csv.parse(
        FOCUS_HEADER
        + focus_row(start="2026-01-01T00:00:00Z", end="2026-04-03T00:00:00Z")
        + focus_row(start="2027-12-31T00:00:00Z", end="2028-01-01T00:00:00Z", sub="b"),
        today=TODAY,
    )
    assert {f.day for f in facts if f.vendor_key.endswith("sub-a")} == {
        date(2026, 1, 1) + __import__("datetime").timedelta(days=n) for n in range(92)
    }
    assert [f.day for f in facts if f.vendor_key.endswith(":b")] == [date(2027, 12, 31)]


# --- strict numbers and dates ------------------------------------------------------------------
@pytest.mark.parametrize("amount", ["١٢٣", "１２３", "1_000", "NaN", "1,000.00", "0x10", "12 3"])
def test_amounts_python_would_accept_are_refused(amount):
    quoted = f'"{amount}"' if "," in amount else amount
    where, _ = errors_of(simple_csv.parse, SIMPLE_HEADER + simple_row(amount=quoted))
    assert where == [(2, "amount")]
    where, _ = errors_of(focus_csv.parse, FOCUS_HEADER + focus_row(billed=quoted))
    assert where == [(2, "BilledCost")]


@pytest.mark.parametrize("day", ["2026-W49-2", "20261201", "２０２６-１２-０１", "2026-335", "2026-12-01T00"])
def test_dates_python_would_accept_are_refused(day):
    where, _ = errors_of(simple_csv.parse, SIMPLE_HEADER + simple_row(day=day))
    assert where == [(2, "date")]
    where, _ = errors_of(focus_csv.parse, FOCUS_HEADER + focus_row(start=day))
    assert where == [(2, "ChargePeriodStart")]


@pytest.mark.parametrize(
    "amount, expected", [("12.50", D("12.50")), ("-3", D("-3")), ("+.5", D("0.5")), ("1e2", D("100"))]
)
def test_plain_decimals_still_read(amount, expected):
    (fact,) = simple_csv.parse(SIMPLE_HEADER + simple_row(amount=amount), today=TODAY)
    assert fact.effective_cost == expected


@pytest.mark.parametrize(
    "stamp",
    [
        "2026-11-01 05:00:00",
        "2026-11-01T05:00:00+02:00",
        "2026-11-01T05:00:00.123Z",
        "2026-11-01T05:00:00+0200",
        "2026-11-01T05:00Z",
    ],
)
def test_usual_timestamps_still_read(stamp):
    (fact,) = focus_csv.parse(FOCUS_HEADER + focus_row(start=stamp, end=""), today=TODAY)
    assert fact.day == date(2026, 11, 1)


def test_a_quoted_newline_is_one_row_as_a_spreadsheet_shows_it():
    text = SIMPLE_HEADER + simple_row(service='"Server\nless"') + simple_row(amount="lots")
    where, _ = errors_of(simple_csv.parse, text)
    assert where == [(3, "amount")]
    (fact,) = simple_csv.parse(SIMPLE_HEADER + simple_row(service='"Server\nless"'), today=TODAY)
    assert fact.service == "Server\nless"


def test_a_cell_too_large_for_csv_is_a_row_error_not_a_crash():
    where, errors = errors_of(simple_csv.parse, SIMPLE_HEADER + simple_row(service="x" * 200_000))
    assert where == [(2, "")] and "unreadable" in errors[0].reason
