"""The real gspread client (sheets_emulator.client) against the emulator."""

from __future__ import annotations

import gspread
import pytest
import requests
from cost_sheet import cost_chart, freeze_header, use_case_choices
from gspread.exceptions import APIError


def test_token_exchange_and_bearer(sheets_client, sheets_emulator):
    sh = sheets_client.open_by_key(sheets_emulator.default_spreadsheet_id)
    assert sh.title
    log = sheets_emulator.request_log
    token_calls = [e for e in log if e["kind"] == "token"]
    assert token_calls and token_calls[0]["method"] == "POST" and token_calls[0]["status"] == 200
    last = sheets_emulator.api_requests()[-1]  # (google-auth's IAM lookup runs in a thread)
    assert last["path"] == f"/v4/spreadsheets/{sheets_emulator.default_spreadsheet_id}"
    assert last["query"] == "includeGridData=false"


def test_requests_without_token_get_401(sheets_emulator):
    r = requests.get(f"{sheets_emulator.url}/v4/spreadsheets/{sheets_emulator.default_spreadsheet_id}")
    assert r.status_code == 401
    assert r.json()["error"]["status"] == "UNAUTHENTICATED"
    assert r.json()["error"]["code"] == 401


def test_token_endpoint_rejects_malformed_assertion(sheets_emulator):
    r = requests.post(
        f"{sheets_emulator.url}/token",
        data={"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": "not-a-jwt"},
    )
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"


def test_create_add_and_delete_worksheets(sheets_client, sheets_emulator):
    sh = sheets_client.create("Budget 2025")
    assert [ws.title for ws in sh.worksheets()] == ["Sheet1"]
    assert sh.sheet1.id == 0
    tab = sh.add_worksheet("Use cases", rows=50, cols=8)
    assert (tab.row_count, tab.col_count) == (50, 8)
    assert tab.id != 0
    other = sh.add_worksheet("Tmp", rows=1, cols=1, index=0)
    assert [ws.title for ws in sh.worksheets()] == ["Tmp", "Sheet1", "Use cases"]
    sh.del_worksheet(other)
    tab.update_title("Use cases v2")
    assert [ws.title for ws in sh.worksheets()] == ["Sheet1", "Use cases v2"]
    with pytest.raises(APIError) as err:
        sh.add_worksheet("Sheet1", rows=1, cols=1)
    assert err.value.code == 400 and "already exists" in str(err.value)
    drive = [e for e in sheets_emulator.request_log if e["kind"] == "drive"]
    assert drive[0]["method"] == "POST" and drive[0]["query"] == "supportsAllDrives=True"


def test_open_by_title_and_openall(sheets_client):
    created = sheets_client.create("Findable")
    assert sheets_client.open("Findable").id == created.id
    assert created.id in {s.id for s in sheets_client.openall()}
    sheets_client.del_spreadsheet(created.id)
    with pytest.raises(gspread.SpreadsheetNotFound):
        sheets_client.open_by_key(created.id)
    with pytest.raises(gspread.SpreadsheetNotFound):
        sheets_client.open("Findable")


def test_update_and_read_back_like_google(sheets_spreadsheet):
    ws = sheets_spreadsheet.sheet1
    ws.update([["A1", "B1", "", "D1"], [1, "b2", 1.45, ""], ["", "", "", ""], ["A4", 0.4, "", 4]], "A1")
    got = ws.get("A1:D4")
    assert got.range == "Sheet1!A1:D4"
    assert list(got) == [["A1", "B1", "", "D1"], ["1", "b2", "1.45"], [], ["A4", "0.4", "", "4"]]
    unformatted = ws.get("A2:D2", value_render_option="UNFORMATTED_VALUE")
    assert list(unformatted) == [[1, "b2", 1.45]]


def test_get_all_records(sheets_spreadsheet):
    ws = sheets_spreadsheet.sheet1
    ws.update(
        [["team", "use case", "budget"], ["support", "triage", 1200.5], ["sales", "lead scoring", "3,000"]],
        "A1",
        value_input_option="USER_ENTERED",
    )
    assert ws.get_all_records() == [
        {"team": "support", "use case": "triage", "budget": 1200.5},
        {"team": "sales", "use case": "lead scoring", "budget": 3000},  # shown "3,000"
    ]
    assert ws.acell("C3").value == "3,000"
    assert ws.get("C3", value_render_option="UNFORMATTED_VALUE")[0] == [3000]


def test_user_entered_parsing_and_formatted_values(sheets_spreadsheet):
    ws = sheets_spreadsheet.sheet1
    ws.update(
        [["$1,200.50", "12%", "2025-01-31", "=SUM(A1,1)", "'007", "TRUE", "hello"]],
        "A1",
        value_input_option="USER_ENTERED",
    )
    assert ws.row_values(1) == ["$1,200.50", "12%", "2025-01-31", "1201.5", "007", "TRUE", "hello"]
    assert ws.get("A1:G1", value_render_option="UNFORMATTED_VALUE")[0] == [
        1200.5,
        0.12,
        45688,
        1201.5,
        "007",
        True,
        "hello",
    ]
    assert ws.get("A1:G1", value_render_option="FORMULA")[0][3] == "=SUM(A1,1)"
    assert ws.get("C1", value_render_option="UNFORMATTED_VALUE", date_time_render_option="FORMATTED_STRING")[0] == [
        "2025-01-31"
    ]
    fmt = sheets_spreadsheet.fetch_sheet_metadata(
        params={"ranges": "Sheet1!A1:B1", "fields": "sheets.data.rowData.values.userEnteredFormat"}
    )
    cells = fmt["sheets"][0]["data"][0]["rowData"][0]["values"]
    assert cells[0]["userEnteredFormat"]["numberFormat"]["type"] == "CURRENCY"
    assert cells[1]["userEnteredFormat"]["numberFormat"] == {"type": "PERCENT", "pattern": "0%"}


def test_raw_keeps_strings(sheets_spreadsheet):
    ws = sheets_spreadsheet.sheet1
    ws.update([["=1+1", "12%", "0042"]], "A1", value_input_option="RAW")
    assert ws.get("A1:C1", value_render_option="UNFORMATTED_VALUE")[0] == ["=1+1", "12%", "0042"]


def test_quoted_sheet_names_and_whole_columns(sheets_spreadsheet):
    ws = sheets_spreadsheet.add_worksheet("Finance's tab", rows=10, cols=5)
    ws.update([["x", 1], ["y", 2], ["z", 3]], "B2")
    res = sheets_spreadsheet.values_get("'Finance''s tab'!C:C")
    assert res["range"] == "'Finance''s tab'!C1:C10"
    assert res["values"] == [[], ["1"], ["2"], ["3"]]
    res = sheets_spreadsheet.values_get("'Finance''s tab'!2:3")
    assert res["range"] == "'Finance''s tab'!A2:E3"
    assert res["values"] == [["", "x", "1"], ["", "y", "2"]]
    cols = sheets_spreadsheet.values_get("'Finance''s tab'!B2:C4", params={"majorDimension": "COLUMNS"})
    assert cols["values"] == [["x", "y", "z"], ["1", "2", "3"]]
    with pytest.raises(APIError) as err:
        sheets_spreadsheet.values_get("'No such tab'!A1")
    assert err.value.code == 400 and "Unable to parse range" in str(err.value)


def test_values_batch_update_totals_and_batch_get(sheets_spreadsheet):
    sh = sheets_spreadsheet
    sh.add_worksheet("Other", rows=10, cols=3)
    res = sh.values_batch_update(
        {
            "valueInputOption": "RAW",
            "data": [
                {"range": "Sheet1!A1:B1", "values": [["a", "b"]]},
                {"range": "Sheet1!A3", "values": [["c"]]},
                {"range": "Other!A1", "values": [[1], [2]]},
            ],
        }
    )
    assert (
        res["totalUpdatedRows"],
        res["totalUpdatedColumns"],
        res["totalUpdatedCells"],
        res["totalUpdatedSheets"],
    ) == (4, 3, 5, 2)
    assert [r["updatedRange"] for r in res["responses"]] == ["Sheet1!A1:B1", "Sheet1!A3", "Other!A1:A2"]
    got = sh.values_batch_get(["Sheet1!A1:B3", "Other!A:A", "Sheet1!D1:D2"])
    assert [vr.get("values") for vr in got["valueRanges"]] == [[["a", "b"], [], ["c"]], [["1"], ["2"]], None]
    assert got["valueRanges"][1]["range"] == "Other!A1:A10"


def test_worksheet_batch_update_and_batch_get(sheets_spreadsheet):
    ws = sheets_spreadsheet.sheet1
    ws.batch_update([{"range": "A1:B2", "values": [["h1", "h2"], [1, 2]]}, {"range": "D4", "values": [["far"]]}])
    assert [list(v) for v in ws.batch_get(["A1:B2", "D4"])] == [[["h1", "h2"], ["1", "2"]], [["far"]]]


def test_append_rows_and_clear(sheets_spreadsheet):
    ws = sheets_spreadsheet.sheet1
    ws.update([["when", "what"], ["mon", "a"]], "A1")
    res = ws.append_rows([["tue", "b"], ["wed", "c"]])
    assert res["tableRange"] == "Sheet1!A1:B2"
    assert res["updates"]["updatedRange"] == "Sheet1!A3:B4"
    assert ws.col_values(1) == ["when", "mon", "tue", "wed"]
    ws.append_row(["thu", "d"], insert_data_option="INSERT_ROWS")
    assert ws.col_values(1)[-1] == "thu"
    # INSERT_ROWS inserted a row; OVERWRITE did not (gspread's own count differs)
    assert sheets_spreadsheet.worksheet("Sheet1").row_count == 1001
    ws.batch_clear(["A2:B2"])
    assert ws.get_all_values()[1] == ["", ""]
    ws.clear()
    assert ws.get_all_values() == [[]]
    assert sheets_spreadsheet.values_get("Sheet1")["range"] == "Sheet1!A1:Z1001"


def test_write_outside_grid_is_an_error_until_resized(sheets_spreadsheet):
    """The answers Sheets gives (as reported from live runs) for writes that do
    not fit: an anchor outside the grid, data running past it, data larger than
    the range given."""
    sh = sheets_spreadsheet
    ws = sh.add_worksheet("Small", rows=2, cols=2)
    with pytest.raises(APIError) as err:
        ws.update([[1]], "C1")
    assert err.value.error["message"] == ("Range (Small!C1) exceeds grid limits. Max rows: 2, max columns: 2")
    with pytest.raises(APIError) as err:
        ws.update([[1, 2, 3]], "A1")
    assert err.value.error["message"] == (
        "Requested writing within range ['Small'!A1], but tried writing to column [C]"
    )
    with pytest.raises(APIError) as err:
        ws.update([[1], [2], [3]], "A1")
    assert "but tried writing to row [3]" in err.value.error["message"]
    ws.resize(rows=5, cols=3)
    ws.update([[1, 2, 3]], "A1")
    assert ws.row_values(1) == ["1", "2", "3"]
    with pytest.raises(APIError) as err:
        ws.update([[1, 2, 3]], "A1:B1")
    assert err.value.error["message"] == (
        "Requested writing within range ['Small'!A1:B1], but tried writing to column [C]"
    )
    with pytest.raises(APIError) as err:  # reads: a stated end past the grid is refused
        ws.get("A1:C9")
    assert err.value.error["message"] == ("Range (Small!C9) exceeds grid limits. Max rows: 5, max columns: 3")
    assert ws.get("A:C") == [["1", "2", "3"]]  # open ends stop at the grid
    with pytest.raises(APIError) as err:
        ws.batch_clear(["A9:C"])
    assert err.value.error["message"].startswith("Invalid range[0]: Range (Small!A9:C) exceeds")
    ws.batch_clear(["A1:Z99"])  # a clear that starts inside is cut to the grid
    assert ws.get_all_values() == [[]]


@pytest.mark.parametrize(
    "grid_range,taken,named",
    [
        ({"startRowIndex": 999, "startColumnIndex": 0, "endColumnIndex": 2}, True, None),
        ({"startRowIndex": 1000, "startColumnIndex": 0, "endColumnIndex": 2}, False, "T!A1001:B"),
        ({"startRowIndex": 1005, "startColumnIndex": 0, "endColumnIndex": 2}, False, "T!A1006:B"),
        (
            {"startRowIndex": 1000, "endRowIndex": 1001, "startColumnIndex": 0, "endColumnIndex": 2},
            False,
            "T!A1001:B1001",
        ),
        ({"startRowIndex": 0, "endRowIndex": 2, "startColumnIndex": 26, "endColumnIndex": 27}, False, "T!AA1:AA2"),
        ({"startRowIndex": 0, "endRowIndex": 2, "startColumnIndex": 26}, False, "T!AA1:2"),
        ({"startRowIndex": 999, "endRowIndex": 1003, "startColumnIndex": 0, "endColumnIndex": 2}, True, None),
        ({"startRowIndex": 0, "endRowIndex": 2, "startColumnIndex": 25, "endColumnIndex": 28}, True, None),
        ({"startRowIndex": 3, "endRowIndex": 3}, True, None),
    ],
)
def test_repeat_cell_ranges_against_the_grid(sheets_spreadsheet, grid_range, taken, named):
    """A table of live answers for repeatCell ranges on a 1000x26 tab named T."""
    tab = sheets_spreadsheet.add_worksheet("T", rows=1000, cols=26)
    body = {
        "requests": [
            {
                "repeatCell": {
                    "range": dict(grid_range, sheetId=tab.id),
                    "cell": {"userEnteredFormat": {"textFormat": {"bold": True}}},
                    "fields": "userEnteredFormat.textFormat.bold",
                }
            }
        ]
    }
    if taken:
        sheets_spreadsheet.batch_update(body)
        assert sheets_spreadsheet.worksheet("T").row_count == 1000  # the grid is not grown
    else:
        with pytest.raises(APIError) as err:
            sheets_spreadsheet.batch_update(body)
        assert err.value.error["message"] == (
            f"Invalid requests[0].repeatCell: Range ({named}) exceeds grid limits. Max rows: 1000, max columns: 26"
        )


def test_format_and_read_back(sheets_spreadsheet):
    ws = sheets_spreadsheet.sheet1
    ws.format(
        "A2:B2",
        {
            "backgroundColor": {"green": 1, "blue": 1},
            "horizontalAlignment": "CENTER",
            "textFormat": {"foregroundColor": {"red": 1, "green": 1}, "fontSize": 12, "bold": True},
        },
    )
    res = sheets_spreadsheet.fetch_sheet_metadata(
        params={
            "includeGridData": False,
            "ranges": "Sheet1!A2",
            "fields": "sheets.data.rowData.values.userEnteredFormat",
        }
    )
    assert res == {
        "sheets": [
            {
                "data": [
                    {
                        "rowData": [
                            {
                                "values": [
                                    {
                                        "userEnteredFormat": {
                                            "backgroundColor": {"green": 1, "blue": 1},
                                            "horizontalAlignment": "CENTER",
                                            "textFormat": {
                                                "foregroundColor": {"red": 1, "green": 1},
                                                "fontSize": 12,
                                                "bold": True,
                                                "foregroundColorStyle": {"rgbColor": {"red": 1, "green": 1}},
                                            },
                                            "backgroundColorStyle": {"rgbColor": {"green": 1, "blue": 1}},
                                        }
                                    }
                                ]
                            }
                        ]
                    }
                ]
            }
        ]
    }


def test_batch_update_requests_and_replies(sheets_spreadsheet):
    sh = sheets_spreadsheet
    ws = sh.sheet1
    ws.update([["use case", "cost", "target"], ["triage", 1200.5, 1000], ["scoring", 80, 100]], "A1")
    sid = ws.id
    res = sh.batch_update(
        {
            "requests": [
                {
                    "repeatCell": {
                        "range": {"sheetId": sid, "startRowIndex": 1, "startColumnIndex": 1, "endColumnIndex": 3},
                        "cell": {"userEnteredFormat": {"numberFormat": {"type": "CURRENCY", "pattern": '"$"#,##0.00'}}},
                        "fields": "userEnteredFormat.numberFormat",
                    }
                },
                {
                    "repeatCell": {
                        "range": {"sheetId": sid, "startRowIndex": 0, "endRowIndex": 1},
                        "cell": {"userEnteredFormat": {"textFormat": {"bold": True}}},
                        "fields": "userEnteredFormat.textFormat.bold",
                    }
                },
                freeze_header(sid),
                use_case_choices(sid),
                {
                    "addConditionalFormatRule": {
                        "index": 0,
                        "rule": {
                            "ranges": [
                                {
                                    "sheetId": sid,
                                    "startRowIndex": 1,
                                    "endRowIndex": 3,
                                    "startColumnIndex": 1,
                                    "endColumnIndex": 2,
                                }
                            ],
                            "booleanRule": {
                                "condition": {"type": "CUSTOM_FORMULA", "values": [{"userEnteredValue": "=B2>C2"}]},
                                "format": {"backgroundColor": {"red": 1}},
                            },
                        },
                    }
                },
                {
                    "addProtectedRange": {
                        "protectedRange": {
                            "range": {"sheetId": sid},
                            "description": "written by the system",
                            "warningOnly": True,
                        }
                    }
                },
                cost_chart(sid, (5, 0)),
                {
                    "updateDimensionProperties": {
                        "range": {"sheetId": sid, "dimension": "COLUMNS", "startIndex": 0, "endIndex": 1},
                        "properties": {"pixelSize": 180},
                        "fields": "pixelSize",
                    }
                },
                {
                    "autoResizeDimensions": {
                        "dimensions": {"sheetId": sid, "dimension": "COLUMNS", "startIndex": 1, "endIndex": 2}
                    }
                },
                {
                    "updateCells": {
                        "rows": [{"values": [{"note": "finance: check this"}]}],
                        "fields": "note",
                        "start": {"sheetId": sid, "rowIndex": 1, "columnIndex": 1},
                    }
                },
                {
                    "updateBorders": {
                        "range": {
                            "sheetId": sid,
                            "startRowIndex": 0,
                            "endRowIndex": 1,
                            "startColumnIndex": 0,
                            "endColumnIndex": 3,
                        },
                        "bottom": {"style": "SOLID_MEDIUM", "color": {}},
                    }
                },
                {
                    "mergeCells": {
                        "range": {
                            "sheetId": sid,
                            "startRowIndex": 4,
                            "endRowIndex": 5,
                            "startColumnIndex": 0,
                            "endColumnIndex": 3,
                        },
                        "mergeType": "MERGE_ALL",
                    }
                },
                {"updateSpreadsheetProperties": {"properties": {"title": "AI FinOps"}, "fields": "title"}},
            ]
        }
    )
    replies = res["replies"]
    assert len(replies) == 13
    assert replies[0] == {} and replies[3] == {} and replies[4] == {}
    pr = replies[5]["addProtectedRange"]["protectedRange"]
    assert pr["description"] == "written by the system" and isinstance(pr["protectedRangeId"], int)
    chart = replies[6]["addChart"]["chart"]
    assert isinstance(chart["chartId"], int) and chart["spec"]["title"] == "Cost"

    assert ws.get("B2:C3") == [["$1,200.50", "$1,000.00"], ["$80.00", "$100.00"]]
    meta = sh.fetch_sheet_metadata()
    sheet = meta["sheets"][0]
    assert meta["properties"]["title"] == "AI FinOps"
    assert sheet["properties"]["gridProperties"]["frozenRowCount"] == 1
    assert sheet["protectedRanges"][0]["protectedRangeId"] == pr["protectedRangeId"]
    assert sheet["charts"][0]["chartId"] == chart["chartId"]
    assert sheet["conditionalFormats"][0]["booleanRule"]["condition"]["type"] == "CUSTOM_FORMULA"
    assert sheet["merges"] == [
        {"sheetId": sid, "startRowIndex": 4, "endRowIndex": 5, "startColumnIndex": 0, "endColumnIndex": 3}
    ]
    grid = sh.fetch_sheet_metadata(params={"ranges": "Sheet1!A1:B2", "includeGridData": "true"})
    data = grid["sheets"][0]["data"][0]
    assert data["columnMetadata"][0]["pixelSize"] == 180
    b2 = data["rowData"][1]["values"][1]
    assert b2["note"] == "finance: check this"
    assert b2["formattedValue"] == "$1,200.50"
    assert b2["effectiveValue"] == {"numberValue": 1200.5}
    a2 = data["rowData"][1]["values"][0]
    assert a2["dataValidation"]["condition"]["type"] == "ONE_OF_LIST"
    a1 = data["rowData"][0]["values"][0]
    assert a1["userEnteredFormat"]["textFormat"] == {"bold": True}
    assert a1["userEnteredFormat"]["borders"]["bottom"]["style"] == "SOLID_MEDIUM"


def test_insert_and_delete_dimension(sheets_spreadsheet):
    ws = sheets_spreadsheet.sheet1
    ws.update([["a"], ["b"], ["c"]], "A1")
    ws.insert_rows([["new"]], row=2)
    assert ws.col_values(1) == ["a", "new", "b", "c"]
    ws.delete_rows(1)
    assert ws.col_values(1) == ["new", "b", "c"]
    ws.insert_cols([["x", "y"]], col=1)
    assert ws.row_values(1) == ["x", "new"]
    assert ws.col_count == 27


def test_unknown_request_kind_is_a_google_shaped_400(sheets_spreadsheet, sheets_emulator):
    with pytest.raises(APIError) as err:
        sheets_spreadsheet.batch_update({"requests": [{"makeItPretty": {}}]})
    assert err.value.code == 400
    assert err.value.error["status"] == "INVALID_ARGUMENT"
    assert 'Unknown name "makeItPretty"' in err.value.error["message"]
    with pytest.raises(APIError) as err:
        sheets_spreadsheet.batch_update({"requests": [{"findReplace": {"find": "a"}}]})
    assert err.value.code == 400 and "does not implement" in err.value.error["message"]


def test_failed_batch_changes_nothing(sheets_spreadsheet):
    sh = sheets_spreadsheet
    with pytest.raises(APIError):
        sh.batch_update(
            {
                "requests": [
                    {"addSheet": {"properties": {"title": "Half done"}}},
                    {"deleteSheet": {"sheetId": 987654}},
                ]
            }
        )
    assert [ws.title for ws in sh.worksheets()] == ["Sheet1"]


def test_not_found(sheets_client):
    with pytest.raises(gspread.SpreadsheetNotFound):
        sheets_client.open_by_key("no-such-spreadsheet")


def test_export_xlsx(sheets_client, sheets_spreadsheet, tmp_path):
    sheets_spreadsheet.sheet1.update([["exported", 1]], "A1")
    data = sheets_client.export(sheets_spreadsheet.id, gspread.utils.ExportFormat.EXCEL)
    path = tmp_path / "export.xlsx"
    path.write_bytes(data)
    import openpyxl

    assert openpyxl.load_workbook(path)["Sheet1"]["A1"].value == "exported"


def test_more_worksheet_features(sheets_client, sheets_spreadsheet):
    from gspread.utils import ValidationConditionType

    sh = sheets_spreadsheet
    ws = sh.sheet1
    ws.update([["b", 2], ["a", 1], ["c", 3]], "A1")
    ws.insert_note("A1", "hello")
    assert ws.get_note("A1") == "hello"
    ws.update_tab_color("#ff8000")
    assert sh.worksheet("Sheet1").tab_color == "#FF8000"
    ws.add_validation("C1:C3", ValidationConditionType.one_of_list, ["x", "y"])
    ws.define_named_range("A1:B3", "data")
    assert [r["name"] for r in sh.list_named_ranges()] == ["data"]
    dup = ws.duplicate(new_sheet_name="Dup")
    assert dup.get_all_values() == [["b", "2"], ["a", "1"], ["c", "3"]]
    ws.sort((1, "asc"))
    assert ws.col_values(1) == ["a", "b", "c"]
    ws.hide_columns(1, 2)
    meta = sh.fetch_sheet_metadata(params={"ranges": "Sheet1!A1:C1", "includeGridData": "true"})
    assert meta["sheets"][0]["data"][0]["columnMetadata"][1] == {"pixelSize": 100, "hiddenByUser": True}
    ws.set_basic_filter("A1:B3")
    assert sh.fetch_sheet_metadata()["sheets"][0]["basicFilter"]["range"]["endRowIndex"] == 3
    ws.clear_basic_filter()
    hidden = sh.add_worksheet("Hidden", 5, 5)
    hidden.hide()
    assert sh.worksheet("Hidden").isSheetHidden
    sh.share("finance@example.com", perm_type="user", role="writer", notify=False)
    assert [p["emailAddress"] for p in sh.list_permissions()] == ["finance@example.com"]
    sh.reorder_worksheets([dup, ws, hidden])
    assert [w.title for w in sh.worksheets()] == ["Dup", "Sheet1", "Hidden"]
    sheets_client.import_csv(sh.id, "a,b\n1,2\n")
    again = sheets_client.open_by_key(sh.id)
    assert [w.title for w in again.worksheets()] == ["Dup"]
    assert again.sheet1.get_all_values() == [["a", "b"], ["1", "2"]]


def test_update_and_delete_sheet_objects(sheets_spreadsheet, sheets_client):
    sh = sheets_spreadsheet
    rule = {
        "ranges": [{"sheetId": 0, "startRowIndex": 0, "endRowIndex": 5}],
        "booleanRule": {"condition": {"type": "NOT_BLANK"}, "format": {"textFormat": {"bold": True}}},
    }
    chart_spec = {
        "title": "One",
        "pieChart": {
            "domain": {
                "sourceRange": {
                    "sources": [
                        {"sheetId": 0, "startRowIndex": 0, "endRowIndex": 3, "startColumnIndex": 0, "endColumnIndex": 1}
                    ]
                }
            },
            "series": {
                "sourceRange": {
                    "sources": [
                        {"sheetId": 0, "startRowIndex": 0, "endRowIndex": 3, "startColumnIndex": 1, "endColumnIndex": 2}
                    ]
                }
            },
        },
    }
    replies = sh.batch_update(
        {
            "requests": [
                {"addConditionalFormatRule": {"rule": rule}},
                {"addProtectedRange": {"protectedRange": {"range": {"sheetId": 0, "endRowIndex": 1}}}},
                {"addChart": {"chart": {"spec": chart_spec, "position": {"sheetId": 0}}}},
                {
                    "addBanding": {
                        "bandedRange": {
                            "range": {"sheetId": 0, "endRowIndex": 10},
                            "rowProperties": {"firstBandColor": {"red": 1}},
                        }
                    }
                },
                {"addNamedRange": {"namedRange": {"name": "totals", "range": {"sheetId": 0}}}},
                {"appendDimension": {"sheetId": 0, "dimension": "COLUMNS", "length": 4}},
            ]
        }
    )["replies"]
    pr_id = replies[1]["addProtectedRange"]["protectedRange"]["protectedRangeId"]
    chart_id = replies[2]["addChart"]["chart"]["chartId"]
    band_id = replies[3]["addBanding"]["bandedRange"]["bandedRangeId"]
    named_id = replies[4]["addNamedRange"]["namedRange"]["namedRangeId"]
    assert sh.worksheet("Sheet1").col_count == 30

    res = sh.batch_update(
        {
            "requests": [
                {
                    "updateConditionalFormatRule": {
                        "sheetId": 0,
                        "index": 0,
                        "rule": dict(
                            rule,
                            booleanRule={"condition": {"type": "BLANK"}, "format": {"backgroundColor": {"blue": 1}}},
                        ),
                    }
                },
                {
                    "updateProtectedRange": {
                        "protectedRange": {"protectedRangeId": pr_id, "description": "headers"},
                        "fields": "description",
                    }
                },
                {"updateChartSpec": {"chartId": chart_id, "spec": dict(chart_spec, title="Two")}},
            ],
            "includeSpreadsheetInResponse": True,
        }
    )
    assert (
        res["replies"][0]["updateConditionalFormatRule"]["oldRule"]["booleanRule"]["condition"]["type"] == "NOT_BLANK"
    )
    updated = res["updatedSpreadsheet"]["sheets"][0]
    assert updated["protectedRanges"][0]["description"] == "headers"
    assert updated["charts"][0]["spec"]["title"] == "Two"
    assert updated["conditionalFormats"][0]["booleanRule"]["format"]["backgroundColorStyle"] == {
        "rgbColor": {"blue": 1}
    }

    res = sh.batch_update(
        {
            "requests": [
                {"deleteConditionalFormatRule": {"sheetId": 0, "index": 0}},
                {"deleteProtectedRange": {"protectedRangeId": pr_id}},
                {"deleteEmbeddedObject": {"objectId": chart_id}},
                {"deleteBanding": {"bandedRangeId": band_id}},
                {"deleteNamedRange": {"namedRangeId": named_id}},
            ]
        }
    )
    assert res["replies"][0]["deleteConditionalFormatRule"]["rule"]["booleanRule"]["condition"]["type"] == "BLANK"
    meta = sh.fetch_sheet_metadata()
    assert set(meta["sheets"][0]) == {"properties"} and "namedRanges" not in meta


@pytest.mark.parametrize(
    "request_body,message",
    [
        ({"deleteSheet": {"sheetId": 0}}, "can't remove all the sheets"),
        ({"updateSheetProperties": {"properties": {"sheetId": 0, "title": "x"}}}, "At least one field"),
        (
            {
                "updateSheetProperties": {
                    "properties": {"sheetId": 0, "gridProperties": {"frozenRowCount": 1000}},
                    "fields": "gridProperties.frozenRowCount",
                }
            },
            "freeze all visible rows",
        ),
        (
            {"deleteDimension": {"range": {"sheetId": 0, "dimension": "ROWS", "startIndex": 0, "endIndex": 1000}}},
            "delete all the rows",
        ),
        (
            {
                "repeatCell": {
                    "range": {"sheetId": 0, "startRowIndex": 1000, "endRowIndex": 1001},
                    "cell": {},
                    "fields": "note",
                }
            },
            "exceeds grid limits",
        ),
        ({"repeatCell": {"range": {"sheetId": 42}, "cell": {}, "fields": "note"}}, "No grid with id: 42"),
        ({"addSheet": {"properties": {"title": "Sheet1"}}}, "already exists"),
    ],
)
def test_invalid_requests_are_refused(sheets_spreadsheet, request_body, message):
    with pytest.raises(APIError) as err:
        sheets_spreadsheet.batch_update({"requests": [request_body]})
    assert err.value.code == 400
    kind = next(iter(request_body))
    assert err.value.error["message"].startswith(f"Invalid requests[0].{kind}: ")
    assert message in err.value.error["message"]


def test_update_cells_with_a_range_clears_what_rows_do_not_cover(sheets_spreadsheet):
    ws = sheets_spreadsheet.sheet1
    ws.update([["a", "b"], ["c", "d"]], "A1")
    sheets_spreadsheet.batch_update(
        {
            "requests": [
                {
                    "updateCells": {
                        "range": {
                            "sheetId": 0,
                            "startRowIndex": 0,
                            "endRowIndex": 2,
                            "startColumnIndex": 0,
                            "endColumnIndex": 2,
                        },
                        "rows": [{"values": [{"userEnteredValue": {"numberValue": 7}}]}],
                        "fields": "userEnteredValue",
                    }
                }
            ]
        }
    )
    assert ws.get("A1:B2") == [["7"]]


def test_drive_copy_and_rename(sheets_client, sheets_spreadsheet):
    sheets_spreadsheet.sheet1.update([["orig"]], "A1")
    copy = sheets_client.copy(sheets_spreadsheet.id, title="Copy of demo", copy_comments=False)
    assert copy.title == "Copy of demo" and copy.sheet1.acell("A1").value == "orig"
    copy.update_title("Renamed copy")
    assert sheets_client.open_by_key(copy.id).title == "Renamed copy"


def test_malformed_values_are_refused_like_sheets(sheets_spreadsheet):
    sh = sheets_spreadsheet
    with pytest.raises(APIError) as err:
        sh.values_update("Sheet1!A1", params={"valueInputOption": "RAW"}, body={"values": ["x"]})
    assert err.value.error["message"].startswith("Invalid value at 'data.values[0]'")
    with pytest.raises(APIError) as err:
        sh.values_append("Sheet1", params={"valueInputOption": "RAW"}, body={"values": [[1], [2], [3], [[1]]]})
    assert err.value.error["message"].startswith("Invalid values[3][0]: list_value")
    with pytest.raises(APIError) as err:
        sh.values_update("Sheet1!A1", params={"valueInputOption": "RAW"}, body={"range": "Sheet1!A2", "values": [[1]]})
    assert err.value.error["message"] == ("Request range[Sheet1!A1] does not match value's range[Sheet1!A2]")
    with pytest.raises(APIError) as err:
        sh.values_update("Sheet1!A1", body={"values": [[1]]})
    assert "'valueInputOption' is required" in err.value.error["message"]
    sh.values_update("Sheet1!A1", params={"valueInputOption": "RAW"}, body={"range": "'Sheet1'!A1", "values": [[1]]})


def test_append_cells_lands_after_the_last_row_with_data_and_grows_the_grid(sheets_spreadsheet):
    ws = sheets_spreadsheet.add_worksheet("Keys", rows=3, cols=2)
    ws.update([["Vendor key", "Team"], ["a", "x"], ["typed meanwhile", ""]], "A1")
    rows = [{"values": [{"userEnteredValue": {"stringValue": key}}]} for key in ("new-1", "new-2")]
    sheets_spreadsheet.batch_update(
        {"requests": [{"appendCells": {"sheetId": ws.id, "rows": rows, "fields": "userEnteredValue"}}]}
    )
    assert ws.col_values(1) == ["Vendor key", "a", "typed meanwhile", "new-1", "new-2"]
    assert sheets_spreadsheet.worksheet("Keys").row_count == 5


def test_a_duplicated_sheet_s_filter_and_bandings_are_its_own(sheets_spreadsheet):
    sh = sheets_spreadsheet
    band = {"range": {"sheetId": 0, "endRowIndex": 4}, "rowProperties": {"firstBandColor": {"red": 1}}}
    sh.batch_update(
        {
            "requests": [
                {"addBanding": {"bandedRange": band}},
                {"setBasicFilter": {"filter": {"range": {"sheetId": 0, "endRowIndex": 4}}}},
            ]
        }
    )
    dup = sh.sheet1.duplicate(new_sheet_name="Dup")
    sheets = {s["properties"]["title"]: s for s in sh.fetch_sheet_metadata()["sheets"]}
    original, copied = sheets["Sheet1"], sheets["Dup"]
    assert copied["basicFilter"]["range"]["sheetId"] == dup.id
    assert copied["bandedRanges"][0]["range"]["sheetId"] == dup.id
    assert copied["bandedRanges"][0]["bandedRangeId"] != original["bandedRanges"][0]["bandedRangeId"]


def test_a_rule_set_on_a_range_then_changed_in_one_cell_stays_in_the_others(sheets_spreadsheet):
    ws = sheets_spreadsheet.sheet1
    sid = ws.id
    one_of = {"condition": {"type": "ONE_OF_LIST", "values": [{"userEnteredValue": "a"}, {"userEnteredValue": "b"}]}}
    blank = {"condition": {"type": "NUMBER_GREATER", "values": [{"userEnteredValue": "0"}]}}
    sheets_spreadsheet.batch_update(
        {
            "requests": [
                {
                    "setDataValidation": {
                        "range": {"sheetId": sid, "startRowIndex": 0, "endRowIndex": 3, "startColumnIndex": 0},
                        "rule": one_of,
                    }
                },
                {
                    "repeatCell": {
                        "range": {"sheetId": sid, "startRowIndex": 1, "endRowIndex": 2, "startColumnIndex": 0},
                        "cell": {"dataValidation": blank},
                        "fields": "dataValidation.condition",
                    }
                },
            ]
        }
    )
    grid = sheets_spreadsheet.fetch_sheet_metadata(params={"ranges": "Sheet1!A1:A3", "includeGridData": "true"})
    rows = grid["sheets"][0]["data"][0]["rowData"]
    assert [r["values"][0]["dataValidation"]["condition"]["type"] for r in rows] == [
        "ONE_OF_LIST",
        "NUMBER_GREATER",
        "ONE_OF_LIST",
    ]
