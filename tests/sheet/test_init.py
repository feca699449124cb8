"""`sheet init` against the emulator, through the real gspread client."""

from __future__ import annotations

import pytest
from sheets_emulator.pytest_plugin import edited_workbook

from chalicelib import sheet_sync
from chalicelib.sheet import grid, layout, structure
from local.fake_service_account import CLIENT_EMAIL
from tests.sheet.helpers import api_calls, snapshot, values


def test_init_lays_out_an_empty_spreadsheet(sheet):
    report = sheet_sync.init()
    assert report.ok, report.error
    assert report.created == list(layout.TAB_ORDER)
    assert [m for m, w, _ in api_calls(sheet) if w == "batchUpdate"] == ["POST"]  # one structural request
    book = sheet.spreadsheet()
    assert book.titles()[: len(layout.TAB_ORDER)] == list(layout.TAB_ORDER)

    uc = book.sheet_by_title(layout.USE_CASES)
    headers = values(sheet, layout.USE_CASES)[0]
    assert headers == [c.header for c in layout.USE_CASES_TAB.columns]
    assert "Target cost per unit" in headers and "Monthly budget" in headers
    assert uc.frozen_rows == 1
    target_col = headers.index("Target cost per unit")
    assert "cost SLO" in uc.cell(0, target_col)["note"]
    rule = uc.cell(1, target_col)["dataValidation"]
    assert rule["condition"] == {"type": "NUMBER_GREATER_THAN_EQ", "values": [{"userEnteredValue": "0"}]}
    tier = uc.cell(1, headers.index("Approved tier"))["dataValidation"]["condition"]
    assert tier["type"] == "ONE_OF_LIST" and [v["userEnteredValue"] for v in tier["values"]] == ["T1", "T2", "T3"]
    status = uc.cell(5, headers.index("Status"))["dataValidation"]["condition"]
    assert [v["userEnteredValue"] for v in status["values"]] == ["active", "paused", "retired"]
    assert uc.cell(1, headers.index("Owner email"))["dataValidation"]["condition"]["type"] == "TEXT_IS_EMAIL"
    assert [
        v["userEnteredValue"]
        for v in uc.cell(1, headers.index("CFO approved"))["dataValidation"]["condition"]["values"]
    ] == ["yes", "no"]
    split = book.sheet_by_title(layout.SHARED_COSTS)
    assert [v["userEnteredValue"] for v in split.cell(1, 1)["dataValidation"]["condition"]["values"]] == [
        "even",
        "units",
        "direct_spend",
        "percent",
    ]

    settings = values(sheet, layout.SETTINGS)
    assert settings[0] == ["Setting", "Value", "What it means"]
    by_label = {r[0]: r[1] for r in settings[1:]}
    assert len(by_label) == len(layout.SETTING_ROWS)
    assert by_label["Yellow overrun"] == 0.1 and by_label["Tier 2 limit"] == 50000 and by_label["Currency"] == "USD"

    for tab in layout.OUTPUT_TABS:
        s = book.sheet_by_title(tab.title)
        (pr,) = s.protected_ranges
        assert pr["range"] == {"sheetId": s.sheet_id} and pr["editors"] == {"users": [CLIENT_EMAIL]}
        words = {r["booleanRule"]["condition"]["values"][0]["userEnteredValue"] for r in s.conditional_formats}
        if tab.colour_columns:
            assert words >= {"green", "yellow", "red", "critical"}
    dash = book.sheet_by_title(layout.DASHBOARD)
    assert sorted(c["spec"]["title"] for c in dash.charts) == sorted(layout.DASH_CHARTS)
    kinds = {
        c["spec"]["title"]: ("pie" if "pieChart" in c["spec"] else c["spec"]["basicChart"]["chartType"])
        for c in dash.charts
    }
    assert kinds == {layout.DASH_CHARTS[0]: "COLUMN", layout.DASH_CHARTS[1]: "pie", layout.DASH_CHARTS[2]: "LINE"}
    assert not book.sheet_by_title(layout.TEAMS).protected_ranges  # finance edits input tabs


def test_init_removes_the_empty_sheet1_a_new_spreadsheet_comes_with(sheet):
    assert [s.title for s in sheet.spreadsheet().sheets] == [structure.DEFAULT_TAB]  # a new spreadsheet
    sheet.reset_log()
    report = sheet_sync.init()
    assert report.ok, report.error
    assert sheet.spreadsheet().titles() == list(layout.TAB_ORDER)  # no stray empty tab left behind
    assert any("removed the empty 'Sheet1'" in c for c in report.changes)
    # metadata, Sheet1's grid (is it empty?), and still one batchUpdate that adds and deletes
    assert [w for _, w, _ in api_calls(sheet)] == ["metadata", "metadata", "batchUpdate"]
    again = sheet_sync.init()
    assert again.ok and again.structural_requests == 0 and again.changes == []


@pytest.mark.xlsx
@pytest.mark.parametrize("content", ["value", "note"])
def test_init_never_removes_a_sheet1_with_content(sheet, sheets_xlsx_path, content):
    from openpyxl.comments import Comment

    sheet.spreadsheet()  # the emulator has written the file
    with edited_workbook(sheets_xlsx_path) as wb:
        cell = wb[structure.DEFAULT_TAB]["C7"]
        if content == "value":
            cell.value = "finance's scratch figures"
        else:
            cell.comment = Comment("keep me", "finance")
    report = sheet_sync.init()
    assert report.ok, report.error
    titles = sheet.spreadsheet().titles()
    assert titles[: len(layout.TAB_ORDER)] == list(layout.TAB_ORDER) and titles[-1] == structure.DEFAULT_TAB
    assert not any("Sheet1" in c for c in report.changes)
    sheet.reset_log()
    assert sheet_sync.init().structural_requests == 0  # running init again sends no write
    assert "batchUpdate" not in [w for _, w, _ in api_calls(sheet)]


def test_plan_deletes_sheet1_only_when_read_and_empty():
    metadata = {
        "sheets": [
            {
                "properties": {
                    "sheetId": 0,
                    "title": "Sheet1",
                    "index": 0,
                    "gridProperties": {"rowCount": 1000, "columnCount": 26},
                }
            }
        ]
    }
    assert structure.grid_ranges(grid.sheets_of(metadata)) == ["'Sheet1'"]

    def deletes(grid_data):
        return [r for r in structure.plan(metadata, grid_data, CLIENT_EMAIL).requests if "deleteSheet" in r]

    assert deletes({"Sheet1": []}) == [{"deleteSheet": {"sheetId": 0}}]
    assert deletes({"Sheet1": [[{}, {"userEnteredValue": {"stringValue": " "}}]]}) == []
    assert deletes({"Sheet1": [[{"userEnteredValue": {"numberValue": 0}}]]}) == []
    assert deletes({}) == []  # its grid was not read: left alone
    with_chart = {"sheets": [dict(metadata["sheets"][0], charts=[{"chartId": 1}])]}
    assert structure.grid_ranges(grid.sheets_of(with_chart)) == []
    assert [r for r in structure.plan(with_chart, {"Sheet1": []}, CLIENT_EMAIL).requests if "deleteSheet" in r] == []


def test_init_again_changes_nothing(sheet):
    assert sheet_sync.init().ok
    before = snapshot(sheet)
    sheet.reset_log()
    again = sheet_sync.init()
    assert again.ok and again.created == [] and again.changes == [] and again.structural_requests == 0
    assert [w for _, w, _ in api_calls(sheet)] == ["metadata", "metadata"]  # no batchUpdate at all
    assert snapshot(sheet) == before


def test_init_fills_new_input_tabs_from_the_stored_configuration(sheet, demo_org):
    assert sheet_sync.init().ok
    rows = values(sheet, layout.USE_CASES)
    ids = [r[0] for r in rows[1:]]
    assert sorted(ids) == sorted(u.use_case_id for u in demo_org.use_cases)
    claims = next(r for r in rows if r[0] == "claims-processing")
    assert claims[rows[0].index("Target cost per unit")] == 5 and claims[rows[0].index("FTEs replaced")] == 2.5
    assert sorted(r[0] for r in values(sheet, layout.TEAMS)[1:]) == sorted(t.team_id for t in demo_org.teams)


@pytest.mark.xlsx
def test_init_completes_a_sheet_finance_made_by_hand(sheet, sheets_xlsx_path):
    # Finance's own Use cases tab: a different column order, a column of their own, some columns missing.
    sheet.spreadsheet()  # the emulator has written the file
    with edited_workbook(sheets_xlsx_path) as wb:
        ws = wb.create_sheet(layout.USE_CASES)
        ws.append(["Notes", "Team", "Use case id", "Target cost per unit"])
        ws.append(["finance's own column", "support", "ticket-escalation", "$0.40"])
        ws.cell(row=1, column=3).comment = None
    before = values(sheet, layout.USE_CASES)
    report = sheet_sync.init()
    assert report.ok, report.error
    assert layout.USE_CASES not in report.created
    assert any("Use cases: added column(s)" in c and "Owner email" in c for c in report.changes)
    after = values(sheet, layout.USE_CASES)
    assert [row[:4] for row in after[:2]] == before  # nothing typed moved or changed
    assert after[0][4:] == [
        c.header
        for c in layout.USE_CASES_TAB.columns
        if c.header not in ("Team", "Use case id", "Target cost per unit")
    ]
    uc = sheet.spreadsheet().sheet_by_title(layout.USE_CASES)
    assert uc.cell(0, 2).get("note")  # a note added where there was none
    assert uc.cell(0, 0).get("note") is None  # finance's own column left alone
    assert uc.cell(1, 3)["dataValidation"]["condition"]["type"] == "NUMBER_GREATER_THAN_EQ"
    assert sheet_sync.init().structural_requests == 0


@pytest.mark.xlsx
def test_output_tabs_are_read_only_in_the_workbook(sheet, sheets_xlsx_path):
    import openpyxl

    assert sheet_sync.init().ok
    wb = openpyxl.load_workbook(sheets_xlsx_path)
    outputs = {t.title for t in layout.OUTPUT_TABS}
    protected = {ws.title for ws in wb.worksheets if ws.protection.sheet}
    assert protected == outputs  # Excel and LibreOffice show every output tab read-only, input tabs editable
    sheet.reset_log()
    assert sheet_sync.init().structural_requests == 0  # read back as the same protections: nothing to add
