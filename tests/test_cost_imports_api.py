"""POST /v1/cost-imports: an admin uploads FOCUS or simple CSV; all rows land, or none do."""
from __future__ import annotations

import json
from decimal import Decimal as D
from pathlib import Path

import pytest

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference" / "focus"

SIMPLE = """date,source,category,team,use_case,amount,provider,service
2026-11-01,pinecone-invoice,vector_db,claims,claims-processing,300.10,Pinecone,Serverless
2026-11-02,pinecone-invoice,vector_db,claims,claims-processing,299.95,Pinecone,Serverless
2026-11-02,datadog-invoice,observability,shared,platform-observability,120.00,Datadog,APM
"""


def upload(api, token, body, feed="invoices"):
    path = "/v1/cost-imports" + (f"?feed={feed}" if feed else "")
    response = api.http.post(path, body=body, headers={"Authorization": f"Bearer {token}",
                                                       "Content-Type": "text/csv"})
    return response.status_code, json.loads(response.body)


def month_total(month="2026-11"):
    from chalicelib import stores

    return sum((f.effective_cost for f in stores.stores().ledger.facts_for_month(month)), D(0))


def test_simple_csv_import_is_stored_and_idempotent(api, tokens):
    status, answer = upload(api, tokens["admin"], SIMPLE, feed="invoices")
    assert status == 200, answer
    assert (answer["format"], answer["rows_read"], answer["rows_stored"]) == ("simple", 3, 3)
    assert answer["total"] == "720.05" and answer["errors"] == []
    assert month_total() == D("720.05")

    again_status, again = upload(api, tokens["admin"], SIMPLE, feed="invoices")
    assert again_status == 200 and month_total() == D("720.05")


def test_a_file_with_a_bad_row_stores_nothing_and_names_it(api, tokens):
    bad = SIMPLE + "2026-11-03,pinecone-invoice,vector_db,claims,claims-processing,lots,Pinecone,Serverless\n"
    status, answer = upload(api, tokens["admin"], bad)
    assert status == 400
    assert answer["errors"] and answer["errors"][0]["row"] == 5 and answer["errors"][0]["column"] == "amount"
    assert "nothing was stored" in answer["message"]
    assert month_total() == 0


@pytest.mark.parametrize("name", ["multi_model_usage.csv", "per_token_foundation_model_api.csv"])
def test_focus_reference_files_import_to_their_exact_sums(api, tokens, name):
    import csv

    text = (REFERENCE / name).read_text()
    rows = list(csv.DictReader(text.splitlines()))
    status, answer = upload(api, tokens["admin"], text)
    assert status == 200, answer
    assert answer["format"] == "focus"
    effective = sum(D(r["EffectiveCost"]) for r in rows)
    assert D(answer["total"]) == effective.quantize(D("0.01"))

    from chalicelib import stores

    months = sorted({r["ChargePeriodStart"][:7] for r in rows})
    stored = [f for m in months for f in stores.stores().ledger.facts_for_month(m)]
    assert sum(f.effective_cost for f in stored) == effective
    assert sum(f.billed_cost for f in stored) == sum(D(r["BilledCost"]) for r in rows)


def test_only_admin_may_import(api, tokens):
    assert upload(api, tokens["sheet"], SIMPLE)[0] == 403
    assert upload(api, tokens["teams"]["claims"], SIMPLE)[0] == 403


def test_empty_body_and_bad_feed_are_400(api, tokens):
    assert upload(api, tokens["admin"], "")[0] == 400
    assert upload(api, tokens["admin"], SIMPLE, feed="bad%20feed%2F")[0] == 400
    assert upload(api, tokens["admin"], SIMPLE, feed="")[0] == 400


def test_a_row_in_another_currency_is_refused_and_nothing_stored(api, tokens):
    lines = SIMPLE.strip().splitlines()
    euro = "\n".join([lines[0] + ",currency"] + [line + ",USD" for line in lines[1:]]) + "\n"
    euro += "2026-11-04,pinecone-invoice,vector_db,claims,claims-processing,80.00,Pinecone,Serverless,EUR\n"
    status, answer = upload(api, tokens["admin"], euro)
    assert status == 400, answer
    (error,) = answer["errors"]
    assert (error["row"], error["column"], error["value"]) == (5, "currency", "EUR")
    assert "USD" in error["reason"]
    assert month_total() == 0


def test_a_corrected_file_replaces_the_first_across_the_days_it_covers(api, tokens):
    first = "date,source,category,team,use_case,amount\n" + "".join(
        f"2026-10-0{d},pinecone,vector_db,claims,claims-processing,100.00\n" for d in (1, 2, 3))
    assert upload(api, tokens["admin"], first, feed="pinecone")[0] == 200
    # The vendor re-issued the invoice: the 2nd's charge belonged to the 3rd.
    corrected = first.replace("2026-10-02,pinecone", "2026-10-03,pinecone")
    assert upload(api, tokens["admin"], corrected, feed="pinecone")[0] == 200
    from chalicelib import stores

    by_day = {}
    for f in stores.stores().ledger.facts_for_month("2026-10"):
        by_day[f.day.day] = by_day.get(f.day.day, D(0)) + f.effective_cost
    assert by_day == {1: D("100.00"), 3: D("200.00")}


def test_an_amount_the_ledger_cannot_hold_rejects_the_file_and_stores_nothing(api, tokens):
    rows = "".join(f"2026-10-{d:02d},pinecone,vector_db,claims,claims-processing,100.00\n" for d in range(1, 31))
    bad = "date,source,category,team,use_case,amount\n" + rows + "2026-10-31,pinecone,vector_db,claims,claims-processing,1e-200\n"
    status, answer = upload(api, tokens["admin"], bad)
    assert status == 400 and answer["errors"][0]["row"] == 32
    assert month_total("2026-10") == 0


def test_a_file_that_is_not_utf8_is_a_clear_400(api, tokens):
    status, answer = upload(api, tokens["admin"], SIMPLE.replace("Serverless", "\u00cdndice").encode("cp1252"))
    assert status == 400 and "UTF-8" in answer["errors"][0]["reason"]
