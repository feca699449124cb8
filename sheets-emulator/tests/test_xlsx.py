"""Persistence: the spreadsheet lives in an .xlsx a person can open; it survives
a restart and edits made to the file between requests are seen."""

from __future__ import annotations

import subprocess
import sys

import openpyxl
import requests
from cost_sheet import cost_chart, freeze_header, use_case_choices
from sheets_emulator import start_emulator
from sheets_emulator.client import gspread_client
from sheets_emulator.xlsx_io import META_TITLE


def _populate(sh):
    ws = sh.sheet1
    ws.update(
        [
            ["use case", "cost", "share", "since"],
            ["triage", "$1,200.50", "12%", "2025-01-31"],
            ["scoring", "=B2*2", "", ""],
        ],
        "A1",
        value_input_option="USER_ENTERED",
    )
    sh.batch_update(
        {
            "requests": [
                {
                    "repeatCell": {
                        "range": {"sheetId": 0, "startRowIndex": 0, "endRowIndex": 1},
                        "cell": {
                            "userEnteredFormat": {
                                "textFormat": {"bold": True},
                                "backgroundColor": {"red": 0.8, "green": 0.9, "blue": 1},
                            }
                        },
                        "fields": "userEnteredFormat(textFormat,backgroundColor)",
                    }
                },
                freeze_header(0),
                use_case_choices(0),
                {
                    "addConditionalFormatRule": {
                        "rule": {
                            "ranges": [
                                {
                                    "sheetId": 0,
                                    "startRowIndex": 1,
                                    "endRowIndex": 3,
                                    "startColumnIndex": 1,
                                    "endColumnIndex": 2,
                                }
                            ],
                            "booleanRule": {
                                "condition": {"type": "NUMBER_GREATER", "values": [{"userEnteredValue": "1000"}]},
                                "format": {"backgroundColor": {"red": 1}},
                            },
                        }
                    }
                },
                {"addProtectedRange": {"protectedRange": {"range": {"sheetId": 0}, "warningOnly": True}}},
                {
                    "updateCells": {
                        "rows": [{"values": [{"note": "from the API"}]}],
                        "fields": "note",
                        "start": {"sheetId": 0, "rowIndex": 1, "columnIndex": 0},
                    }
                },
                cost_chart(0, (4, 5), headerCount=1),
                {
                    "addSheet": {
                        "properties": {
                            "title": "Sync log",
                            "gridProperties": {"rowCount": 200, "columnCount": 4},
                            "hidden": True,
                        }
                    }
                },
            ]
        }
    )


def test_file_is_a_real_workbook(sheets_spreadsheet, sheets_xlsx_path):
    _populate(sheets_spreadsheet)
    wb = openpyxl.load_workbook(sheets_xlsx_path)
    assert wb.sheetnames == ["Sheet1", "Sync log", META_TITLE]
    assert wb[META_TITLE].sheet_state == "veryHidden"
    assert wb["Sync log"].sheet_state == "hidden"
    ws = wb["Sheet1"]
    assert ws["B2"].value == 1200.5 and ws["B2"].number_format == '"$"#,##0.00'
    assert ws["C2"].value == 0.12 and ws["C2"].number_format == "0%"
    assert ws["D2"].is_date
    assert ws["B3"].value == "=B2*2"
    assert ws["A1"].font.b is True
    assert ws["A1"].fill.fgColor.rgb == "FFCCE6FF"
    assert ws.freeze_panes == "A2"
    assert ws["A2"].comment.text == "from the API"
    assert len(ws.data_validations.dataValidation) == 1
    assert str(ws.data_validations.dataValidation[0].sqref) == "A2:A3"
    assert len(ws.conditional_formatting) == 1
    assert len(ws._charts) == 1  # the chart is drawn natively too
    leftovers = [p.name for p in sheets_xlsx_path.parent.iterdir() if p.name.startswith(".")]
    assert leftovers == []  # writes go through a temp file and a rename


def test_everything_survives_a_restart(sheets_spreadsheet, sheets_emulator, sheets_xlsx_path):
    _populate(sheets_spreadsheet)
    before = sheets_spreadsheet.fetch_sheet_metadata()
    values_before = sheets_spreadsheet.values_batch_get(["Sheet1!A1:D3"], params={"valueRenderOption": "FORMULA"})
    sheets_emulator.stop()

    emu = start_emulator(sheets_xlsx_path, port=0)
    try:
        gc = gspread_client(emu.url)
        sh = gc.open_by_key(emu.default_spreadsheet_id)
        after = sh.fetch_sheet_metadata()
        for key in ("spreadsheetId", "properties"):
            assert after[key] == before[key]
        assert after["sheets"] == before["sheets"]
        assert sh.values_batch_get(["Sheet1!A1:D3"], params={"valueRenderOption": "FORMULA"}) == values_before
        assert sh.sheet1.get("A1:D3") == [
            ["use case", "cost", "share", "since"],
            ["triage", "$1,200.50", "12%", "2025-01-31"],
            ["scoring", "2401"],
        ]
        grid = sh.fetch_sheet_metadata(params={"ranges": "Sheet1!A1:B2", "includeGridData": "true"})
        rows = grid["sheets"][0]["data"][0]["rowData"]
        assert rows[0]["values"][0]["userEnteredFormat"]["textFormat"] == {"bold": True}
        assert rows[0]["values"][0]["userEnteredFormat"]["backgroundColor"] == {"red": 0.8, "green": 0.9, "blue": 1}
        assert rows[1]["values"][0]["note"] == "from the API"
        assert rows[1]["values"][0]["dataValidation"]["condition"]["type"] == "ONE_OF_LIST"
        assert rows[1]["values"][1]["userEnteredFormat"]["numberFormat"] == {
            "type": "CURRENCY",
            "pattern": '"$"#,##0.00',
        }
    finally:
        emu.stop()


def test_an_outside_edit_is_seen_on_the_next_read(sheets_spreadsheet, sheets_xlsx_path, edit_xlsx):
    ws = sheets_spreadsheet.sheet1
    ws.update([["team", "budget"], ["support", 1000]], "A1")
    with edit_xlsx(sheets_xlsx_path) as wb:  # finance edits the file
        sheet = wb["Sheet1"]
        sheet["B2"] = 2500
        sheet["B2"].number_format = "#,##0"
        sheet["A3"] = "sales"
        sheet["B3"] = "=B2/2"
        new_tab = wb.create_sheet("Added by hand", index=1)
        new_tab["A1"] = "hello"
    assert ws.get_all_values() == [["team", "budget"], ["support", "2,500"], ["sales", "1250"]]
    tabs = sheets_spreadsheet.worksheets()
    assert [t.title for t in tabs] == ["Sheet1", "Added by hand"]
    assert tabs[0].id == 0 and tabs[1].id != 0
    assert tabs[1].acell("A1").value == "hello"
    ws.update([["after"]], "C1")  # the next write keeps the outside edit
    wb = openpyxl.load_workbook(sheets_xlsx_path)
    assert wb["Sheet1"]["B2"].value == 2500 and wb["Sheet1"]["C1"].value == "after"


def test_created_spreadsheets_get_their_own_file_and_come_back(tmp_path):
    data = tmp_path / "data"
    emu = start_emulator(data / "finops.xlsx", port=0)
    gc = gspread_client(emu.url)
    created = gc.create("Quarterly")
    created.sheet1.update([["q1"]], "A1")
    emu.stop()
    assert (data / f"{created.id}.xlsx").exists()
    emu = start_emulator(data / "finops.xlsx", port=0)
    try:
        gc = gspread_client(emu.url)
        again = gc.open_by_key(created.id)
        assert again.title == "Quarterly" and again.sheet1.acell("A1").value == "q1"
        assert {s.title for s in gc.openall()} == {"Quarterly", "AI FinOps (local)"}
    finally:
        emu.stop()


def test_in_memory_mode_writes_nothing(tmp_path):
    emu = start_emulator(None, port=0, persist=False)
    try:
        r = requests.post(
            f"{emu.url}/v4/spreadsheets", json={"properties": {"title": "m"}}, headers={"Authorization": "Bearer t"}
        )
        assert r.status_code == 200 and r.json()["sheets"][0]["properties"]["title"] == "Sheet1"
        assert emu.xlsx_path(r.json()["spreadsheetId"]) is None
    finally:
        emu.stop()


def test_a_workbook_made_by_hand_can_be_served(tmp_path):
    path = tmp_path / "by-hand.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "Settings"
    wb.active.append(["key", "value"])
    wb.active.append(["tolerance", 0.15])
    wb.save(path)
    emu = start_emulator(path, port=0, spreadsheet_id="hand-made")
    try:
        r = requests.get(f"{emu.url}/v4/spreadsheets/hand-made/values/Settings", headers={"Authorization": "Bearer t"})
        assert r.json()["values"] == [["key", "value"], ["tolerance", "0.15"]]
        assert r.json()["range"] == "Settings!A1:Z1000"
    finally:
        emu.stop()


def test_cli_starts_and_serves(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "sheets_emulator", "--port", "0", "--xlsx", str(tmp_path / "cli.xlsx")],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        import json

        info = json.loads(line)
        assert info["url"].startswith("http://127.0.0.1:")
        assert info["default_spreadsheet_id"] == "local-finops-sheet"
        health = requests.get(f"{info['url']}/_emulator/health", timeout=5).json()
        assert health["ok"] is True
        assert (tmp_path / "cli.xlsx").exists()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_cells_sharing_a_style_after_a_reload_stay_independent(sheets_spreadsheet, sheets_xlsx_path, edit_xlsx):
    sh = sheets_spreadsheet
    sh.sheet1.format("A1:B1", {"textFormat": {"bold": True}})
    with edit_xlsx(sheets_xlsx_path) as wb:  # force a reload: both cells share one style
        wb["Sheet1"]["C5"] = "touched"
    cell_a1 = {"sheetId": 0, "startRowIndex": 0, "endRowIndex": 1, "startColumnIndex": 0, "endColumnIndex": 1}
    sh.batch_update(
        {
            "requests": [
                {
                    "repeatCell": {
                        "range": cell_a1,
                        "cell": {"userEnteredFormat": {"textFormat": {"italic": True}}},
                        "fields": "userEnteredFormat.textFormat.italic",
                    }
                },
                {
                    "updateBorders": {
                        "range": cell_a1,
                        "top": {"style": "SOLID"},
                    }
                },
            ]
        }
    )
    res = sh.fetch_sheet_metadata(
        params={"ranges": "Sheet1!A1:B1", "fields": "sheets.data.rowData.values.userEnteredFormat"}
    )
    a1, b1 = res["sheets"][0]["data"][0]["rowData"][0]["values"]
    assert a1["userEnteredFormat"]["textFormat"] == {"bold": True, "italic": True}
    assert "borders" in a1["userEnteredFormat"]
    assert b1["userEnteredFormat"] == {"textFormat": {"bold": True}}


def test_titles_xlsx_cannot_hold_round_trip(sheets_spreadsheet, sheets_emulator, sheets_xlsx_path):
    odd = ["Pool allocations / month [draft]: a title longer than 31", META_TITLE, "It's"]
    for title in odd:
        sheets_spreadsheet.add_worksheet(title, rows=3, cols=3).update([[title]], "A1")
    sheets_emulator.stop()
    emu = start_emulator(sheets_xlsx_path, port=0)
    try:
        book = emu.spreadsheet()
        assert book.titles() == ["Sheet1", *odd]
        wb = openpyxl.load_workbook(sheets_xlsx_path)
        assert all(len(name) <= 31 for name in wb.sheetnames)
        assert wb.sheetnames.count(META_TITLE) == 1
    finally:
        emu.stop()


def _protect(sh, *ranges):
    sh.batch_update({"requests": [{"addProtectedRange": {"protectedRange": r}} for r in ranges]})


def _protected(sh) -> dict:
    return {s["properties"]["title"]: s.get("protectedRanges", []) for s in sh.fetch_sheet_metadata()["sheets"]}


def test_a_tab_protected_through_the_api_is_a_protected_sheet_in_the_workbook(
    sheets_spreadsheet, sheets_xlsx_path, edit_xlsx
):
    sh = sheets_spreadsheet
    for title in ("Dashboard", "Partly", "Warned", "Free"):
        sh.add_worksheet(title, rows=20, cols=5)
    ids = {ws.title: ws.id for ws in sh.worksheets()}
    _protect(
        sh,
        {"range": {"sheetId": ids["Dashboard"]}, "editors": {"users": ["robot@example.com"]}},
        {"range": {"sheetId": ids["Partly"], "startRowIndex": 0, "endRowIndex": 1}},
        {"range": {"sheetId": ids["Warned"]}, "warningOnly": True},
    )
    wb = openpyxl.load_workbook(sheets_xlsx_path)
    native = {ws.title: bool(ws.protection.sheet) for ws in wb.worksheets if ws.title != META_TITLE}
    # read-only in Excel and LibreOffice: the whole tab only; a partial range or a warning stays metadata
    assert native == {"Sheet1": False, "Dashboard": True, "Partly": False, "Warned": False, "Free": False}
    # read back consistently: the same protected ranges as before, nothing added or dropped
    before = _protected(sh)
    assert [pr["range"] for pr in before["Dashboard"]] == [{"sheetId": ids["Dashboard"]}]
    assert before["Dashboard"][0]["editors"] == {"users": ["robot@example.com"]}
    with edit_xlsx(sheets_xlsx_path):  # the file is rewritten (re-read by the emulator) unchanged
        pass
    assert _protected(sh) == before
    sh.worksheet("Free").update([["x"]], "A1")  # a later write keeps the protection in the file
    assert openpyxl.load_workbook(sheets_xlsx_path)["Dashboard"].protection.sheet


def test_protecting_or_unprotecting_a_sheet_in_the_workbook_is_read_back(
    sheets_spreadsheet, sheets_xlsx_path, edit_xlsx
):
    sh = sheets_spreadsheet
    sh.add_worksheet("Board report", rows=20, cols=5)
    sh.add_worksheet("Partly", rows=20, cols=5)
    ids = {ws.title: ws.id for ws in sh.worksheets()}
    _protect(
        sh,
        {"range": {"sheetId": ids["Board report"]}},
        {"range": {"sheetId": ids["Partly"], "startRowIndex": 0, "endRowIndex": 1}},
    )
    with edit_xlsx(sheets_xlsx_path) as wb:  # a person in LibreOffice: Tools > Protect Sheet, and unprotect
        wb["Sheet1"].protection.sheet = True
        wb["Board report"].protection.sheet = False
        wb["Partly"].protection.sheet = True
    got = _protected(sh)
    assert [pr["range"] for pr in got["Sheet1"]] == [{"sheetId": 0}]
    assert got["Board report"] == []
    assert sorted(pr["range"].get("endRowIndex", 0) for pr in got["Partly"]) == [0, 1]  # both kept
    first_id = got["Sheet1"][0]["protectedRangeId"]
    with edit_xlsx(sheets_xlsx_path):
        pass
    assert _protected(sh)["Sheet1"][0]["protectedRangeId"] == first_id  # stable across re-reads


def test_files_written_before_native_protection_keep_their_protected_ranges(tmp_path, monkeypatch):
    from sheets_emulator import xlsx_io
    from sheets_emulator.model import Spreadsheet

    book = Spreadsheet("old", "old")
    tab = book.add_sheet("Dashboard", sheet_id=7)
    tab.protected_ranges.append({"protectedRangeId": 5, "range": {"sheetId": 7}})
    monkeypatch.setattr(xlsx_io, "META_VERSION", 1)
    path = tmp_path / "old.xlsx"
    xlsx_io.save(book, path)
    wb = openpyxl.load_workbook(path)
    wb["Dashboard"].protection.sheet = False  # as version 1 wrote it
    wb.save(path)
    monkeypatch.setattr(xlsx_io, "META_VERSION", 2)
    assert xlsx_io.load(path).sheet_by_title("Dashboard").protected_ranges == [
        {"protectedRangeId": 5, "range": {"sheetId": 7}}
    ]


def test_a_link_in_a_cell_is_a_hyperlink_in_the_workbook_and_survives_a_restart(sheets_xlsx_path):
    emu = start_emulator(sheets_xlsx_path, port=0)
    try:
        sh = gspread_client(emu.url).open_by_key(emu.default_spreadsheet_id)
        sh.sheet1.update([["the report"]], "A1")
        sh.batch_update(
            {
                "requests": [
                    {
                        "repeatCell": {
                            "range": {"sheetId": 0, "startRowIndex": 0, "endRowIndex": 2, "endColumnIndex": 1},
                            "cell": {"userEnteredFormat": {"textFormat": {"link": {"uri": "https://example.com/r"}}}},
                            "fields": "userEnteredFormat.textFormat.link",
                        }
                    }
                ]
            }
        )
    finally:
        emu.stop()
    ws = openpyxl.load_workbook(sheets_xlsx_path)["Sheet1"]
    assert ws["A1"].hyperlink.target == "https://example.com/r" and ws["A1"].value == "the report"
    assert ws["A2"].value is None and ws["A2"].hyperlink is None  # a link on an empty cell is not kept
    emu = start_emulator(sheets_xlsx_path, port=0)
    try:
        sh = gspread_client(emu.url).open_by_key(emu.default_spreadsheet_id)
        grid = sh.fetch_sheet_metadata(params={"ranges": "Sheet1!A1", "includeGridData": "true"})
        cell = grid["sheets"][0]["data"][0]["rowData"][0]["values"][0]
        assert cell["userEnteredFormat"]["textFormat"]["link"] == {"uri": "https://example.com/r"}
        assert cell["hyperlink"] == "https://example.com/r"
    finally:
        emu.stop()
