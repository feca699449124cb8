"""Bad input at every route that takes input: each is a clear 4xx naming what is wrong (for a cost
file, the row and column), or is stored as harmless text; a refused request changes nothing stored
(every table scanned before and after).

Not repeated here, already covered: work-item fields one by one, lone surrogates, huge numbers and
NaN inside a batch (test_work_items_api.py, test_work_items_fuzz.py); a cost file that is not
UTF-8 (cp1252), over 5 MiB, with a quoted newline or a date in 9999 (test_cost_imports_api.py).
Formula injection: test_formula_injection.py.
"""

from __future__ import annotations

import json
from decimal import Decimal

from tests.conftest import bearer

TABLES = ("finops-config", "finops-work-items", "finops-unit-counts", "finops-cost-facts")
HEADER = "date,source,category,team,use_case,amount,provider,service"
ROW = "2026-11-02,pinecone-invoice,vector_db,claims,claims-processing,{amount},{provider},{service}"
FOCUS_HEADER = (
    "BillingAccountId,SubAccountId,ProviderName,ServiceName,ChargeCategory,ChargePeriodStart,"
    "ChargePeriodEnd,BilledCost,EffectiveCost,BillingCurrency,Tags"
)
REPORTS = ("/v1/summary", "/v1/exports/focus", "/v1/exports/unit-costs")


def stored() -> dict:
    """Every item of every table (what a refused request must leave exactly as it was)."""
    import boto3

    client = boto3.client("dynamodb")
    return {
        t: sorted(
            json.dumps(i, sort_keys=True)
            for page in client.get_paginator("scan").paginate(TableName=t, ConsistentRead=True)
            for i in page["Items"]
        )
        for t in TABLES
    }


def csv_post(api, token, body, feed="invoices"):
    r = api.http.post(
        f"/v1/cost-imports?feed={feed}",
        body=body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "text/csv"},
    )
    return r.status_code, json.loads(r.body)


def simple(amount="10.00", provider="Pinecone", service="Serverless", line_end="\n") -> str:
    return line_end.join([HEADER, ROW.format(amount=amount, provider=provider, service=service)]) + line_end


def focus(
    service="Pinecone Serverless",
    tags='"{""team"": ""claims""}"',
    start="2026-11-02T00:00:00Z",
    end="2026-11-03T00:00:00Z",
) -> str:
    return FOCUS_HEADER + f"\n111,sub-a,Pinecone,{service},Usage,{start},{end},10.00,10.00,USD,{tags}\n"


def month_total(month="2026-11") -> Decimal:
    from chalicelib import stores

    return sum((f.effective_cost for f in stores.stores().ledger.facts_for_month(month)), Decimal(0))


def refused_cells(api, tokens, cases) -> None:
    """Each file of `cases` ((body, [(row, column), ...]) pairs) is a 400 listing exactly those cells,
    saying nothing was stored, and nothing was."""
    before = stored()
    for body, cells in cases:
        status, answer = csv_post(api, tokens["admin"], body)
        assert status == 400, (body[:200], answer)
        assert sorted({(e["row"], e["column"]) for e in answer["errors"]}) == cells, (body[:200], answer["errors"])
        assert all(e["reason"] for e in answer["errors"])
        assert answer["error"] == {"status": 400, "message": answer["error"]["message"]}
        assert "nothing was stored" in answer["error"]["message"]
    assert stored() == before


# --- query parameters: month and feed -------------------------------------------------------------


def test_a_month_out_of_range_or_malformed_is_a_400_naming_month(api, tokens):
    """0000-01, 0001-01 and 9999-12 were 500s from the exports (dates past what Python holds); a
    month with a final newline was taken (a regex "$")."""
    admin = bearer(tokens["admin"])
    for path in REPORTS:
        for month in (
            "0000-01",
            "0001-01",
            "1999-12",
            "2100-01",
            "9999-12",
            "2026-11%0A",
            "2026-1",
            "2026-13",
            "%EF%BC%92%EF%BC%90%EF%BC%92%EF%BC%96-11",
            "",
        ):  # the last but one: fullwidth digits
            r = api.http.get(f"{path}?month={month}", headers=admin)
            assert r.status_code == 400, (path, month, r.body)
            assert json.loads(r.body)["error"]["message"].startswith("month:"), (path, month)
        for month in ("2000-01", "2099-12"):
            assert api.http.get(f"{path}?month={month}", headers=admin).status_code == 200, (path, month)


def test_a_feed_name_with_a_newline_or_outside_its_pattern_is_refused(api, tokens):
    before = stored()
    for feed in ("invoices%0A", "in%0Avoices", "x" * 65, "a%20b", "caf%C3%A9", "%00"):
        status, answer = csv_post(api, tokens["admin"], simple(), feed=feed)
        assert status == 400 and answer["error"]["message"].startswith("feed:"), (feed, answer)  # "x\n" was stored
    assert stored() == before


# --- cost files ---------------------------------------------------------------------------------------


def test_an_amount_that_is_not_a_plain_decimal_is_a_400_naming_the_cell(api, tokens):
    refused_cells(
        api,
        tokens,
        [
            (simple(amount=amount), [(2, "amount")])
            for amount in (
                "NaN",
                "nan",
                "Infinity",
                "-Infinity",
                "inf",
                "1e400",
                "-1e400",
                "1e-400",
                "0x10",
                "1_000",
                "１０",
                '"1,000.00"',
                "10.00\x00",
                "",
                "1" + "0" * 5000,
            )
        ],
    )


def test_a_control_character_in_a_provider_or_service_name_is_a_400_naming_the_cell(api, tokens):
    """Provider and service names were stored with NUL, ESC or a zero-width space in them, to be shown
    in the sheet, the exports and the board report (a quoted line break stays allowed)."""
    refused_cells(
        api,
        tokens,
        [
            (simple(provider="Pine\x00cone"), [(2, "provider")]),
            (simple(service="Server\x1b[31mless"), [(2, "service")]),
            (simple(service="Server\u200bless"), [(2, "service")]),
            (simple(provider="Pine\u2028cone"), [(2, "provider")]),
            (focus(service="Pinecone\x1bServerless"), [(2, "ServiceName")]),
        ],
    )


def test_focus_cells_that_cannot_be_read_are_a_400_naming_them(api, tokens):
    refused_cells(
        api,
        tokens,
        [
            (focus(tags="[" * 20_000 + "]" * 20_000), [(2, "Tags")]),  # was a 500: deeper than json.loads goes
            (focus(tags='"[""team""]"'), [(2, "Tags")]),
            (focus(start="2026-11-02T00:00:00+99:00"), [(2, "ChargePeriodStart")]),
            (
                focus(start="0001-01-01T00:00:00Z", end="0001-01-02T00:00:00Z"),
                [(2, "ChargePeriodEnd"), (2, "ChargePeriodStart")],
            ),
            (focus(start="2026-11-02", end="2027-11-02"), [(2, "ChargePeriodEnd")]),  # over a quarter
        ],
    )


def test_dates_far_away_or_not_dates_in_a_simple_file_are_a_400_naming_the_cell(api, tokens):
    refused_cells(
        api,
        tokens,
        [
            (simple().replace("2026-11-02", text), [(2, "date")])
            for text in (
                "1999-12-31",
                "2999-01-01",
                "2026-02-30",
                "02/11/2026",
                "2026-11-02T25:00:00Z",
                "２０２６-11-02",
            )
        ],
    )


def test_times_without_an_offset_are_read_as_utc(api, tokens):
    """A simple file's date may be a timestamp (its UTC day); FOCUS times are UTC by the standard."""
    assert csv_post(api, tokens["admin"], simple().replace("2026-11-02", "2026-11-02T10:00:00"))[0] == 200
    assert (
        csv_post(api, tokens["admin"], focus(start="2026-11-03 00:00:00", end="2026-11-04 00:00:00"), feed="focus")[0]
        == 200
    )
    from chalicelib import stores

    days = sorted(f.day.isoformat() for f in stores.stores().ledger.facts_for_month("2026-11"))
    assert days == ["2026-11-02", "2026-11-03"]


def test_a_bom_and_crlf_line_ends_import_the_same_total(api, tokens):
    for name, text in {
        "bom": "\ufeff" + simple(),  # what Excel writes as "CSV UTF-8"
        "crlf": simple(line_end="\r\n"),
        "bom-crlf": "\ufeff" + simple(line_end="\r\n"),
        "quoted-crlf": simple(service='"Server\r\nless"', line_end="\r\n"),
        "cr-only": simple(line_end="\r"),  # old Mac line ends
    }.items():
        status, answer = csv_post(api, tokens["admin"], text.encode("utf-8"), feed=name)
        assert status == 200, (name, answer)
        assert (answer["format"], answer["rows_read"], answer["rows_stored"], answer["total"]) == (
            "simple",
            1,
            1,
            "10.00",
        ), name
    assert month_total() == Decimal("50.00")


def test_a_file_in_another_encoding_is_a_400_naming_utf8_and_stores_nothing(api, tokens):
    before = stored()
    for name, encoded in {
        "utf-16": simple().encode("utf-16"),
        "utf-32": simple().encode("utf-32"),
        "stray-byte": simple().encode("ascii") + b"2026-11-03,\x80\n",
        "latin-1": simple(service="Índice").encode("latin-1"),
    }.items():
        status, answer = csv_post(api, tokens["admin"], encoded)
        assert status == 400 and "UTF-8" in json.dumps(answer), (name, answer)
    assert stored() == before


# --- JSON bodies: POST /v1/runs and POST /v1/work-items -------------------------------------------


def test_a_bad_run_request_is_a_400_and_queues_nothing(api, tokens):
    """A body nested deeper than the parser goes was a 500 (RecursionError)."""
    before = stored()
    for body in (
        "[" * 100_000 + "]" * 100_000,
        '{"kind": ' + "[" * 5000 + "]" * 5000 + "}",
        '{"kind": NaN}',
        '{"kind": 1e400}',
        '{"kind": "hourly", "kind2": 1}',
        '{"kind": "hourly\\u0000"}',
        json.dumps({"kind": "x" * 2_000_000}),
        b'{"kind": "\xed\xa0\x80"}',
        b"\xff\xfe{}",
        '{"kind": "hourly"',
        "null",
        "[]",
        '"hourly"',
        '{"kind": "weekly"}',
    ):
        r = api.http.post("/v1/runs", headers=bearer(tokens["admin"]), body=body)
        assert r.status_code == 400, (body[:60], r.body)
        assert json.loads(r.body)["error"]["message"].startswith(("the body", "kind:")), body[:60]
    assert stored() == before


def test_a_work_item_body_unusable_as_a_whole_is_refused_and_stores_nothing(api, tokens):
    team = bearer(tokens["teams"]["claims"])
    item = (
        '{"work_item_id": "a", "use_case": "claims-processing", "completed_at": "2026-11-02T10:00:00Z", '
        '"status": "success"%s}'
    )
    before = stored()
    for body in (
        "[" * 100_000 + "]" * 100_000,
        '{"items": ' + "[" * 100_000 + "]" * 100_000 + "}",
        '{"items": [' + ",".join([item % ""] * 501) + "]}",
        '{"items": [' + item % ', "human_review_minutes": Infinity' + "]}",
    ):
        r = api.http.post("/v1/work-items", headers=team, body=body)
        assert r.status_code == 400 and json.loads(r.body)["error"]["message"], (body[:60], r.body)
    many_small = {
        "items": [
            {
                "work_item_id": f"w{i}",
                "use_case": "claims-processing",
                "status": "success",
                "completed_at": "2026-11-02T10:00:00Z",
                "attributes": {"pad": "x" * 2000},
            }
            for i in range(500)
        ]
    }  # each item within its 2 KB, the body over 1 MB
    r = api.http.post("/v1/work-items", headers=team, body=json.dumps(many_small))
    assert r.status_code == 413 and json.loads(r.body)["error"]["status"] == 413
    assert stored() == before


def test_a_completion_time_without_an_offset_or_far_away_rejects_its_item_naming_the_field(api, tokens):
    cases = [
        ("2026-11-02T10:00:00", "offset"),
        ("2026-11-02", "RFC 3339"),
        ("2026-11-02T10:00:00+25:00", "real"),
        ("9999-12-31T23:59:59Z", "future"),
        ("1970-01-01T00:00:00Z", "before 2000"),
        ("2026-11-02T10:00:00Z\n", "real"),
    ]
    items = [
        {"work_item_id": f"w{i}", "use_case": "claims-processing", "completed_at": at, "status": "success"}
        for i, (at, _) in enumerate(cases)
    ]
    before = stored()
    r = api.http.post("/v1/work-items", headers=bearer(tokens["teams"]["claims"]), body=json.dumps({"items": items}))
    answer = json.loads(r.body)
    assert r.status_code == 200 and answer["rejected"] == len(cases), answer
    for (at, reason), result in zip(cases, answer["results"], strict=False):
        assert result["error"]["field"] == "completed_at" and reason in result["error"]["reason"], (at, result)
    assert stored() == before
