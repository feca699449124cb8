"""FOCUS CSV: the specification's AI examples to the exact cent, and 1.0-1.2 export variants."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import date
from decimal import Decimal as D
from pathlib import Path

import pytest

from chalicelib.connectors import focus_csv
from chalicelib.connectors.errors import CostImportError

REFERENCE = Path("/work/shared/reference/focus")
FILES = ["multi_model_usage.csv", "per_token_foundation_model_api.csv"]


@pytest.mark.parametrize("name", FILES)
def test_reference_files_sum_exactly_by_provider_and_service(name):
    text = (REFERENCE / name).read_text()
    expected_billed, expected_effective = defaultdict(D), defaultdict(D)
    for row in csv.DictReader(io.StringIO(text)):
        key = (row["ServiceProviderName"], row["ServiceName"])
        expected_billed[key] += D(row["BilledCost"])
        expected_effective[key] += D(row["EffectiveCost"])

    facts = focus_csv.parse((REFERENCE / name).read_bytes(), filename=name)
    billed, effective = defaultdict(D), defaultdict(D)
    for f in facts:
        billed[(f.provider, f.service)] += f.billed_cost
        effective[(f.provider, f.service)] += f.effective_cost
    assert billed == expected_billed and effective == expected_effective
    assert all(f.category == "api" and f.source == "focus" and f.currency == "USD" for f in facts)
    assert all(f.vendor_key == "focus:account:acct-1001" for f in facts)
    # the monthly charge period (May) is spread over its 31 days
    assert sorted({f.day for f in facts}) == [date(2025, 5, d) for d in range(1, 32)]
    assert facts[0].provenance == f"{name} rows 2-{len(list(csv.DictReader(io.StringIO(text)))) + 1}"


@pytest.mark.parametrize("name", FILES)
def test_reference_files_on_the_start_day_when_not_spread(name):
    facts = focus_csv.parse((REFERENCE / name).read_text(), filename=name, spread_periods=False)
    [fact] = facts
    rows = list(csv.DictReader((REFERENCE / name).open()))
    assert fact.day == date(2025, 5, 1)
    assert fact.billed_cost == sum(D(r["BilledCost"]) for r in rows)


FOCUS_10 = (
    "BillingAccountId,SubAccountId,ProviderName,PublisherName,InvoiceIssuerName,ServiceCategory,ServiceName,"
    "ChargeCategory,ChargeDescription,ChargePeriodStart,ChargePeriodEnd,BilledCost,EffectiveCost,"
    "BillingCurrency,ConsumedUnit,Tags\n"
    # two hourly rows on 2024-09-18 (UTC) for the same tags: one fact
    "111,sub-a,Microsoft,Microsoft,Microsoft,AI and Machine Learning,Azure OpenAI,Usage,GPT-4o input,"
    "2024-09-18 21:00:00,2024-09-18 22:00:00,1.10,1.00,usd,1K Tokens,"
    '"{""team"": ""claims"", ""use-case"": ""claims-processing""}"\n'
    "111,sub-a,Microsoft,Microsoft,Microsoft,AI and Machine Learning,Azure OpenAI,Usage,GPT-4o output,"
    "2024-09-18 22:00:00,2024-09-18 23:00:00,2.20,2.00,USD,1K Tokens,"
    '"{""Team"": ""claims"", ""Use_Case"": ""claims-processing""}"\n'
    # 23:00 on the 18th in UTC+02:00 is 21:00 UTC: still the 18th; 01:00+02:00 on the 19th is 23:00 UTC on the 18th
    "111,sub-a,Microsoft,Microsoft,Microsoft,AI and Machine Learning,Azure OpenAI,Usage,GPT-4o output,"
    "2024-09-19T01:00:00+02:00,2024-09-19T02:00:00+02:00,0.70,0.70,USD,1K Tokens,"
    '"{""team"": ""claims"", ""use-case"": ""claims-processing""}"\n'
    # the next UTC day, no tags, NULLs: sub-account key, unallocated
    "111,sub-b,Microsoft,NULL,Microsoft,Compute,Virtual Machines,Usage,NC A100 v4,"
    "2024-09-19T00:00:00Z,2024-09-19T01:00:00Z,5.00,4.00,USD,Hours,NULL\n"
    # a credit: negative, kept
    "111,sub-b,Microsoft,NULL,Microsoft,Compute,Virtual Machines,Credit,Sponsorship credit,"
    "2024-09-19T00:00:00Z,2024-09-19T01:00:00Z,-1.50,-1.50,USD,NULL,\n"
    # ServiceName NULL, provider from PublisherName fallback not needed; storage
    "111,NULL,Microsoft,NULL,Microsoft,Storage,Blob Storage,Usage,Hot LRS,"
    "2024-09-19 05:00:00,2024-09-19 06:00:00,0.0012345,0.0012345,USD,GB-Hours,{}\n"
)


def facts_by(facts, *fields):
    out = defaultdict(D)
    for f in facts:
        out[tuple(getattr(f, x) for x in fields)] += f.effective_cost
    return dict(out)


def test_focus_10_export_variants():
    facts = focus_csv.parse(FOCUS_10, filename="azure.csv")
    by_day_key = {(f.day, f.vendor_key, f.service): f for f in facts}
    claims = by_day_key[(date(2024, 9, 18), "focus:team=claims,use-case=claims-processing", "Azure OpenAI")]
    assert (claims.billed_cost, claims.effective_cost) == (D("4.00"), D("3.70"))
    assert (claims.team, claims.use_case, claims.category, claims.provider) == (
        "claims",
        "claims-processing",
        "api",
        "Microsoft",
    )
    assert claims.currency == "USD" and claims.provenance == "azure.csv rows 2-4"

    vm = by_day_key[(date(2024, 9, 19), "focus:subaccount:sub-b", "Virtual Machines")]
    assert (vm.billed_cost, vm.effective_cost) == (D("3.50"), D("2.50"))  # credit netted in
    assert (vm.team, vm.use_case, vm.category) == ("unallocated", "unallocated", "self_hosted")

    storage = by_day_key[(date(2024, 9, 19), "focus:account:111", "Blob Storage")]
    assert storage.billed_cost == D("0.0012345") and storage.category == "storage"

    assert sum(f.billed_cost for f in facts) == D("1.10") + D("2.20") + D("0.70") + D("5.00") - D("1.50") + D(
        "0.0012345"
    )
    assert len(facts) == 3


def test_credit_rows_alone_stay_negative():
    text = (
        "ProviderName,ServiceName,ChargePeriodStart,BilledCost,EffectiveCost,BillingCurrency\n"
        "AWS,Amazon Bedrock,2024-09-01 00:00:00,-25.00,-25.00,USD\n"
    )
    [fact] = focus_csv.parse(text)
    assert fact.billed_cost == D("-25.00") and fact.day == date(2024, 9, 1)


def test_hourly_rows_roll_up_to_utc_days():
    header = (
        "ServiceProviderName,ServiceName,ServiceCategory,ChargePeriodStart,ChargePeriodEnd,"
        "BilledCost,EffectiveCost,BillingCurrency\n"
    )
    rows = (
        "".join(
            f"Anthropic,Claude API,AI and Machine Learning,2025-05-01T{h:02d}:00:00Z,"
            f"{'2025-05-02T00:00:00Z' if h == 23 else f'2025-05-01T{h + 1:02d}:00:00Z'},0.01,0.01,USD\n"
            for h in range(24)
        )
        + "Anthropic,Claude API,AI and Machine Learning,2025-05-02T00:00:00Z,2025-05-02T01:00:00Z,0.03,0.03,USD\n"
    )
    facts = focus_csv.parse(header + rows, filename="hourly.csv")
    assert {f.day: f.billed_cost for f in facts} == {date(2025, 5, 1): D("0.24"), date(2025, 5, 2): D("0.03")}
    assert facts[0].provenance == "hourly.csv rows 2-25"


def test_a_period_across_midnight_is_split_by_time():
    text = (
        "ProviderName,ServiceName,ChargePeriodStart,ChargePeriodEnd,BilledCost,EffectiveCost,BillingCurrency\n"
        "GCP,Vertex AI,2024-09-18T18:00:00Z,2024-09-19T06:00:00Z,1.00,0.90,USD\n"
    )
    facts = focus_csv.parse(text)
    assert {f.day: (f.billed_cost, f.effective_cost) for f in facts} == {
        date(2024, 9, 18): (D("0.50"), D("0.45")),
        date(2024, 9, 19): (D("0.50"), D("0.45")),
    }


def test_monthly_spread_is_exact_with_largest_remainder():
    text = (
        "ProviderName,ServiceName,ChargePeriodStart,ChargePeriodEnd,BilledCost,EffectiveCost,BillingCurrency\n"
        "Pinecone,Pinecone Serverless,2024-02-01T00:00:00Z,2024-03-01T00:00:00Z,100.00,-100.01,USD\n"
    )
    facts = focus_csv.parse(text)
    assert len(facts) == 29
    assert sum(f.billed_cost for f in facts) == D("100.00") and sum(f.effective_cost for f in facts) == D("-100.01")
    assert {f.billed_cost for f in facts} <= {D("3.44"), D("3.45")}
    assert all(f.category == "vector_db" for f in facts)


def test_a_spread_amount_splits_by_its_value_not_by_how_it_is_written():
    def days(billed):
        text = (
            "ProviderName,ServiceName,ChargePeriodStart,ChargePeriodEnd,BilledCost,EffectiveCost,BillingCurrency\n"
            f"Azure,OpenAI,2025-05-01T00:00:00Z,2025-05-04T00:00:00Z,{billed},{billed},USD\n"
        )
        return [str(f.billed_cost) for f in focus_csv.parse(text)]

    # exports write many trailing zeros; the spread is to the cent whatever they write
    assert days("10.00") == days("10.0000000000") == ["3.34", "3.33", "3.33"]
    assert days("0.0150") == ["0.005", "0.005", "0.005"]  # below the cent: its own smallest unit
    assert days("0.02") == ["0.01", "0.01", "0.00"]


def test_window_filter():
    text = (
        "ProviderName,ServiceName,ChargePeriodStart,BilledCost,EffectiveCost,BillingCurrency\n"
        "AWS,Amazon Bedrock,2024-09-01 00:00:00,1,1,USD\nAWS,Amazon Bedrock,2024-09-02 00:00:00,2,2,USD\n"
    )
    facts = focus_csv.parse(text, start=date(2024, 9, 2), end=date(2024, 9, 3))
    assert [(f.day, f.billed_cost) for f in facts] == [(date(2024, 9, 2), D("2"))]


def test_bom_bytes_and_column_case():
    text = (
        "\ufeffprovidername,SERVICENAME,chargeperiodstart,billedcost,effectivecost,billingcurrency\n"
        "OpenAI,API,2024-09-01,0.06,0.06,usd\n"
    )
    [fact] = focus_csv.parse(text.encode("utf-8"))
    assert (fact.provider, fact.service, fact.billed_cost, fact.currency) == ("OpenAI", "API", D("0.06"), "USD")


def test_every_bad_row_is_named_by_row_and_column():
    text = (
        "ProviderName,ServiceName,ChargePeriodStart,ChargePeriodEnd,BilledCost,EffectiveCost,BillingCurrency,Tags\n"
        "AWS,Bedrock,2024-09-01 00:00:00,2024-09-01 01:00:00,1.00,1.00,USD,{}\n"  # row 2 fine
        "AWS,Bedrock,2024-09-01 00:00:00,2024-09-01 01:00:00,NULL,1.00,USD,{}\n"  # row 3: BilledCost missing
        "AWS,Bedrock,yesterday,NULL,1.00,one,USD,{}\n"  # row 4: ChargePeriodStart and EffectiveCost
        "\n"  # row 5: blank, skipped but counted
        'AWS,Bedrock,2024-09-01 00:00:00,NULL,1.00,1.00,dollars,"{not json"\n'  # row 6: currency and Tags
        "NULL,Bedrock,2024-09-01 00:00:00,2024-08-01 00:00:00,1.00,1.00,USD,[1]\n"  # row 7: provider, end, Tags
        "AWS,Bedrock,2024-09-01 00:00:00\n"  # row 8: too few fields
    )
    with pytest.raises(CostImportError) as caught:
        focus_csv.parse(text, filename="bad.csv")
    found = [(e.row, e.column) for e in caught.value.errors]
    assert found == [
        (3, "BilledCost"),
        (4, "EffectiveCost"),
        (4, "ChargePeriodStart"),
        (6, "BillingCurrency"),
        (6, "Tags"),
        (7, "ChargePeriodEnd"),
        (7, "ProviderName"),
        (7, "Tags"),
        (8, ""),
    ]
    message = str(caught.value)
    assert message.startswith("bad.csv: 9 invalid row(s): row 3, column BilledCost ('NULL'): a cost is required")
    assert caught.value.errors[1].value == "one"
    assert caught.value.errors[-1].to_dict()["reason"] == "row has 3 fields, header has 8"


def test_missing_columns_are_reported_on_row_1():
    with pytest.raises(CostImportError) as caught:
        focus_csv.parse("ServiceName,BilledCost\nx,1\n")
    assert {(e.row, e.column) for e in caught.value.errors} == {
        (1, "EffectiveCost"),
        (1, "BillingCurrency"),
        (1, "ChargePeriodStart"),
        (1, "ServiceProviderName"),
    }
    with pytest.raises(CostImportError, match="empty"):
        focus_csv.parse("")
    with pytest.raises(CostImportError, match="not UTF-8"):
        focus_csv.parse(b"ServiceName\xff\n")


@pytest.mark.parametrize(
    "category,name,extra,expected",
    [
        ("AI and Machine Learning", "Amazon Bedrock", {}, "api"),
        ("AI and Machine Learning", "Solora Generative AI API", {"units": ("Tokens",)}, "api"),
        ("AI and Machine Learning", "Amazon SageMaker", {"units": ("Hours",)}, "self_hosted"),
        ("Compute", "Amazon EC2", {}, "self_hosted"),
        ("Databases", "Vector Search", {}, "vector_db"),
        ("Databases", "Azure SQL Database", {}, "other"),
        ("Other", "Pinecone Serverless", {}, "vector_db"),
        ("Management and Governance", "AWS CloudTrail", {}, "observability"),
        ("Other", "Datadog LLM Observability", {}, "observability"),
        ("Management and Governance", "Azure Monitor", {}, "observability"),
        ("Storage", "Amazon S3", {}, "storage"),
        ("Networking", "Cloud CDN", {}, "other"),
        (None, "Something", {}, "other"),
    ],
)
def test_category_heuristics(category, name, extra, expected):
    assert focus_csv.categorise(category, service_name=name, **extra) == expected


def test_tag_variants():
    assert focus_csv.allocation_from_tags({"user:Team": "sales", "UseCase": "lead-scoring"}) == (
        "sales",
        "lead-scoring",
    )
    assert focus_csv.allocation_from_tags({"team": "", "use case": "x", "other": 1}) == (None, "x")
    assert focus_csv.allocation_from_tags({}) == (None, None)
