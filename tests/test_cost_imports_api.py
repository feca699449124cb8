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
    response = api.http.post(path, body=body, headers={"Authorization": f"Bearer {token}", "Content-Type": "text/csv"})
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
        f"2026-10-0{d},pinecone,vector_db,claims,claims-processing,100.00\n" for d in (1, 2, 3)
    )
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
    bad = (
        "date,source,category,team,use_case,amount\n"
        + rows
        + "2026-10-31,pinecone,vector_db,claims,claims-processing,1e-200\n"
    )
    status, answer = upload(api, tokens["admin"], bad)
    assert status == 400 and answer["errors"][0]["row"] == 32
    assert month_total("2026-10") == 0


def test_a_file_that_is_not_utf8_is_a_clear_400(api, tokens):
    status, answer = upload(api, tokens["admin"], SIMPLE.replace("Serverless", "\u00cdndice").encode("cp1252"))
    assert status == 400 and "UTF-8" in answer["errors"][0]["reason"]


# --- an interrupted import is repaired by its retry ---------------------------------------------
def invoice(day_amounts):
    return "date,source,category,team,use_case,amount,provider,service\n" + "".join(
        f"2026-10-{day:02d},pinecone,vector_db,claims,claims-processing,{amount},Pinecone,index-{i}\n"
        for day, amount, i in day_amounts
    )


FIRST = invoice([(d, "10.00", i) for d in (1, 2, 3) for i in range(30)])
# The corrected invoice: day 1 restated, half of day 2 removed, day 3 moved to day 4.
SECOND = invoice(
    [(1, "12.00", i) for i in range(30)] + [(2, "10.00", i) for i in range(15)] + [(4, "10.00", i) for i in range(30)]
)


def stored_feed(feed="pinecone"):
    from chalicelib import stores

    return {
        (f.day, f.service): f.effective_cost
        for f in stores.stores().ledger.facts_for_month("2026-10")
        if f.source == f"import:{feed}"
    }


def expected(text):
    import csv
    import io
    from datetime import date

    return {(date.fromisoformat(r["date"]), r["service"]): D(r["amount"]) for r in csv.DictReader(io.StringIO(text))}


@pytest.mark.e2e  # the import killed at each of its writes: make check
def test_an_import_killed_at_any_write_boundary_is_completed_by_its_retry(api, tokens, monkeypatch):
    from chalicelib import stores
    from tests.storage.test_cost_ledger_interrupted import KillAfter

    ledger = stores.stores().ledger
    real = ledger._resource
    counting = KillAfter(real, None)
    monkeypatch.setattr(ledger, "_resource", counting)
    assert upload(api, tokens["admin"], FIRST, feed="count")[0] == 200
    before = counting.calls
    assert upload(api, tokens["admin"], SECOND, feed="count")[0] == 200
    writes = counting.calls - before
    assert writes >= 4
    for k in range(writes):
        feed = f"pinecone{k}"
        monkeypatch.setattr(ledger, "_resource", real)
        assert upload(api, tokens["admin"], FIRST, feed=feed)[0] == 200
        monkeypatch.setattr(ledger, "_resource", KillAfter(real, k))
        status, _ = upload(api, tokens["admin"], SECOND, feed=feed)  # the process dies mid-import
        assert status == 500
        between = stored_feed(feed)
        old, new = expected(FIRST), expected(SECOND)
        assert all(between[key] in (old.get(key), new.get(key)) for key in between), k
        assert not ({key for key in between if key not in new} and {key for key in between if key not in old}), k

        monkeypatch.setattr(ledger, "_resource", real)
        status, answer = upload(api, tokens["admin"], SECOND, feed=feed)
        assert status == 200, answer
        stored = stored_feed(feed)
        assert stored == new, k  # every fact of the file, nothing of what it replaced
        assert answer["facts_stored"] == len(stored) and D(answer["total"]) == sum(stored.values())


def test_a_body_over_the_limit_is_413(api, tokens):
    from chalicelib.billing import MAX_IMPORT_BYTES

    row = "2026-11-01,pinecone-invoice,vector_db,claims,claims-processing,300.10,Pinecone,Serverless\n"
    big = SIMPLE + row * (MAX_IMPORT_BYTES // len(row) + 1)
    status, answer = upload(api, tokens["admin"], big)
    assert status == 413 and answer["error"]["status"] == 413
    assert f"{MAX_IMPORT_BYTES:,}" in answer["error"]["message"]
    assert month_total() == 0


def test_an_error_answer_lists_at_most_100_errors_and_counts_them_all(api, tokens):
    bad = SIMPLE + "".join(
        f"2026-11-03,pinecone,vector_db,claims,claims-processing,{'x' * 1000}{n},P,S\n" for n in range(300)
    )
    status, answer = upload(api, tokens["admin"], bad)
    assert status == 400
    assert len(answer["errors"]) == 100 and answer["error_count"] == 300
    assert answer["errors"][0]["row"] == 5 and len(answer["errors"][0]["value"]) <= 200
    assert "300 invalid" in answer["error"]["message"] and "first 100" in answer["error"]["message"]


def test_a_date_far_in_the_future_is_a_400_naming_the_row(api, tokens):
    status, answer = upload(api, tokens["admin"], SIMPLE.replace("2026-11-02,datadog", "9999-12-31,datadog"))
    assert status == 400, answer
    assert [(e["row"], e["column"]) for e in answer["errors"]] == [(4, "date")]


def test_rows_read_counts_a_quoted_newline_as_one_row(api, tokens):
    text = SIMPLE.replace("Pinecone,Serverless\n2026-11-02", 'Pinecone,"Server\nless"\n2026-11-02', 1)
    status, answer = upload(api, tokens["admin"], text)
    assert status == 200, answer
    assert (answer["rows_read"], answer["rows_stored"]) == (3, 3)
