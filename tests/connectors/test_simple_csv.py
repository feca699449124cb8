"""Simple cost CSV, format detection and the upload dispatcher."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D
from pathlib import Path

import pytest

from chalicelib.connectors import simple_csv
from chalicelib.connectors.cost_import import detect_format, parse_cost_file
from chalicelib.connectors.errors import CostImportError
from local import demo_billing

GOOD = """date,source,category,team,use_case,amount,provider,service,currency
2026-11-01,Pinecone,vector_db,claims,claims-processing,300.10,Pinecone,Serverless,USD
2026-11-01,Pinecone,vector_db,claims,claims-processing,0.005,Pinecone,Serverless,usd
2026-11-02,Datadog,observability,shared,platform-observability,120.00,,,
2026-11-02,Weaviate,Vector DB,,,42.5,,,
2026-11-03,Datadog,observability,shared,platform-observability,-20.00,Datadog,credit,USD
"""


def test_rows_become_facts_summed_per_day_and_identity():
    facts = simple_csv.parse(GOOD, filename="invoices.csv")
    assert len(facts) == 4
    pinecone, datadog, weaviate, credit = facts
    assert (pinecone.day, pinecone.billed_cost, pinecone.effective_cost) == (
        date(2026, 11, 1),
        D("300.105"),
        D("300.105"),
    )
    assert (pinecone.source, pinecone.category, pinecone.provider, pinecone.service) == (
        "csv",
        "vector_db",
        "Pinecone",
        "Serverless",
    )
    assert (pinecone.team, pinecone.use_case) == ("claims", "claims-processing")
    assert pinecone.vendor_key == "csv:Pinecone:team=claims,use-case=claims-processing"
    assert pinecone.provenance == "invoices.csv rows 2-3"
    assert (datadog.provider, datadog.service, datadog.currency) == ("Datadog", "Datadog", "USD")
    assert (weaviate.team, weaviate.use_case, weaviate.vendor_key, weaviate.category) == (
        "unallocated",
        "unallocated",
        "csv:Weaviate",
        "vector_db",
    )
    assert credit.billed_cost == D("-20.00")


def test_only_the_required_columns_in_any_case_and_order():
    text = "Amount,Use Case,TEAM,Category,Source,Date\n12.34,lead-scoring,sales,other,Invoice Co,2026-11-05T10:00:00Z\n"
    [fact] = simple_csv.parse(text)
    assert (fact.day, fact.billed_cost, fact.use_case, fact.provider, fact.service, fact.currency) == (
        date(2026, 11, 5),
        D("12.34"),
        "lead-scoring",
        "Invoice Co",
        "Invoice Co",
        "USD",
    )


def test_every_bad_row_is_named():
    text = (
        "date,source,category,team,use_case,amount,currency\n"
        "2026-11-01,Pinecone,vector_db,claims,claims-processing,300,USD\n"
        "2026-13-01,Pinecone,vector-database,claims,claims-processing,1.234.5,USD\n"
        ",,,,,,\n"  # blank: skipped
        "2026-11-02,,observability,shared,x,NULL,EURO\n"
        "2026-11-02,Datadog,observability\n"
    )
    with pytest.raises(CostImportError) as caught:
        simple_csv.parse(text, filename="inv.csv")
    assert [(e.row, e.column) for e in caught.value.errors] == [
        (3, "date"),
        (3, "category"),
        (3, "amount"),
        (5, "source"),
        (5, "amount"),
        (5, "currency"),
        (6, ""),
    ]
    assert caught.value.errors[0].value == "2026-13-01"
    assert "inv.csv: 7 invalid row(s)" in str(caught.value)


def test_missing_columns():
    with pytest.raises(CostImportError) as caught:
        simple_csv.parse("date,amount\n2026-11-01,1\n")
    assert [(e.row, e.column) for e in caught.value.errors] == [
        (1, "source"),
        (1, "category"),
        (1, "team"),
        (1, "use_case"),
    ]


def test_detect_format():
    focus = Path("/work/shared/reference/focus/multi_model_usage.csv").read_text()
    assert detect_format(focus) == "focus"
    assert detect_format(GOOD) == "simple"
    assert detect_format(b"\xef\xbb\xbfDate,Amount,Source\n") == "simple"
    with pytest.raises(CostImportError) as caught:
        detect_format("foo,bar\n1,2\n")
    assert caught.value.errors[0].row == 1


def test_parse_cost_file_dispatches():
    fmt, facts = parse_cost_file(GOOD, filename="x.csv")
    assert fmt == "simple" and len(facts) == 4
    fmt, facts = parse_cost_file(Path("/work/shared/reference/focus/per_token_foundation_model_api.csv").read_bytes())
    assert fmt == "focus" and sum(f.billed_cost for f in facts) == D("94.50")
    with pytest.raises(ValueError):
        parse_cost_file(GOOD, fmt="xml")


def test_demo_invoices_parse_to_the_demo_amounts():
    start, end = demo_billing.month_bounds(2026, 11)
    facts = simple_csv.parse(demo_billing.invoice_csv_for_month(2026, 11), filename="demo-invoices.csv")
    assert len(facts) == 60
    pinecone = [f for f in facts if f.vendor_key == demo_billing.VENDOR_KEY_PINECONE]
    datadog = [f for f in facts if f.vendor_key == demo_billing.VENDOR_KEY_DATADOG]
    assert all(f.category == "vector_db" and f.use_case == "claims-processing" for f in pinecone)
    assert all(f.category == "observability" and f.team == "shared" for f in datadog)
    for f in facts:
        assert demo_billing.expected_daily_spend(f.day)[f.vendor_key] == f.billed_cost
    assert D("290") < sum(f.billed_cost for f in pinecone) / 30 < D("310")
    assert D("115") < sum(f.billed_cost for f in datadog) / 30 < D("125")


def test_a_trailing_comma_is_tolerated_but_a_missing_field_is_not():
    text = "date,source,category,team,use_case,amount\n2026-11-01,X,other,t,u,1.00,\n2026-11-01,X,other,t,u,1.00,9\n"
    with pytest.raises(CostImportError) as caught:
        simple_csv.parse(text)
    assert [(e.row, e.reason) for e in caught.value.errors] == [(3, "row has 7 fields, header has 6")]
    [fact] = simple_csv.parse(text.rsplit("\n", 2)[0] + "\n")
    assert fact.billed_cost == D("1.00")
