"""Nothing the emulator does not implement is accepted silently.

A name Google does not know is refused as Google refuses it (400 INVALID_ARGUMENT, ``Invalid JSON
payload received. Unknown name ...``); what Google knows but the emulator does not implement is
refused by name (400 INVALID_ARGUMENT ``... the local Sheets emulator does not implement ...``; Drive:
400 ``badRequest`` in Drive's error shape). Driven through real gspread and plain HTTP.
"""

from __future__ import annotations

import gspread
import pytest
import requests
from gspread.exceptions import APIError
from sheets_emulator import start_emulator
from sheets_emulator.batch_requests import HANDLERS, KNOWN_KINDS
from sheets_emulator.client import gspread_client

AUTH = {"Authorization": "Bearer t"}


@pytest.fixture(scope="module")
def emu(tmp_path_factory):
    """One emulator for the module, in memory (its default spreadsheet too)."""
    with start_emulator(tmp_path_factory.mktemp("refusals") / "book.xlsx", port=0, persist=False) as handle:
        yield handle


@pytest.fixture(scope="module")
def gc(emu):
    return gspread_client(emu.url)


@pytest.fixture
def sh(gc):
    book = gc.create("refusals")
    yield book
    gc.del_spreadsheet(book.id)


def _refused(call) -> dict:
    with pytest.raises(APIError) as err:
        call()
    assert err.value.code == 400, err.value.error
    return err.value.error


def _google_400(error: dict) -> None:
    assert error["code"] == 400 and error["status"] == "INVALID_ARGUMENT", error


# ---------------------------------------------------------------------------
# batchUpdate: request kinds


@pytest.mark.parametrize("kind", sorted(KNOWN_KINDS - set(HANDLERS)))
def test_every_request_kind_sheets_knows_but_the_emulator_does_not_is_refused_by_name(sh, kind):
    error = _refused(lambda: sh.batch_update({"requests": [{kind: {}}]}))
    _google_400(error)
    assert error["message"] == (
        f"Invalid requests[0].{kind}: the local Sheets emulator does not implement this request kind."
    )


def test_nothing_of_a_refused_batch_is_applied(sh):
    with pytest.raises(APIError):
        sh.batch_update(
            {"requests": [{"addSheet": {"properties": {"title": "kept?"}}}, {"findReplace": {"find": "x"}}]}
        )
    assert [ws.title for ws in sh.worksheets()] == ["Sheet1"]


def test_an_unknown_request_kind_is_refused_as_google_refuses_it(sh):
    error = _refused(lambda: sh.batch_update({"requests": [{"makeItPretty": {}}]}))
    _google_400(error)
    message = "Invalid JSON payload received. Unknown name \"makeItPretty\" at 'requests[0]': Cannot find field."
    assert error["message"] == message
    assert error["details"] == [
        {
            "@type": "type.googleapis.com/google.rpc.BadRequest",
            "fieldViolations": [{"field": "requests[0]", "description": message}],
        }
    ]


# ---------------------------------------------------------------------------
# batchUpdate: fields Google does not know, values of the wrong type


@pytest.mark.parametrize(
    "body,message",
    [
        (
            {"requests": [{"addSheet": {"properties": {"titel": "x"}}}]},
            "Invalid JSON payload received. Unknown name \"titel\" at 'requests[0].add_sheet.properties': "
            "Cannot find field.",
        ),
        (
            {"requests": [{"addSheet": {}}], "includeSpreadsheet": True},
            'Invalid JSON payload received. Unknown name "includeSpreadsheet": Cannot find field.',
        ),
        (
            {"requests": [{"addSheet": {"properties": {"sheetId": "abc"}}}]},
            "Invalid value at 'requests[0].add_sheet.properties.sheet_id' (TYPE_INT32), \"abc\"",
        ),
        (
            {"requests": [{"addSheet": {"properties": {"title": 5}}}]},
            "Invalid value at 'requests[0].add_sheet.properties.title' (TYPE_STRING), 5",
        ),
        (
            {"requests": [{"addSheet": {"properties": {"hidden": "yes"}}}]},
            "Invalid value at 'requests[0].add_sheet.properties.hidden' (TYPE_BOOL), \"yes\"",
        ),
        (
            {"requests": [{"mergeCells": {"range": {"sheetId": 0}, "mergeType": "MERGE_DIAGONALLY"}}]},
            "Invalid value at 'requests[0].merge_cells.merge_type' (TYPE_ENUM), \"MERGE_DIAGONALLY\"",
        ),
        (
            {"requests": [{"addSheet": {"properties": "Sheet9"}}]},
            "Invalid value at 'requests[0].add_sheet.properties' "
            '(type.googleapis.com/google.apps.sheets.v4.SheetProperties), "Sheet9"',
        ),
        (
            {
                "requests": [
                    {"updateCells": {"start": {"sheetId": 0}, "range": {"sheetId": 0}, "fields": "note", "rows": []}}
                ]
            },
            "Invalid value at 'requests[0].update_cells' (oneof field 'area' is already set. Cannot set 'range')",
        ),
        (
            {"requests": [{"addSheet": {}, "deleteSheet": {"sheetId": 0}}]},
            "Invalid value at 'requests[0]' (oneof field 'kind' is already set. Cannot set 'deleteSheet')",
        ),
    ],
)
def test_what_google_cannot_parse_is_refused_with_its_message(sh, body, message):
    error = _refused(lambda: sh.batch_update(body))
    _google_400(error)
    assert error["message"] == message


def test_snake_case_names_numbers_as_strings_and_enum_ordinals_are_read_as_google_reads_them(sh):
    sh.batch_update(
        {
            "requests": [
                {
                    "add_sheet": {
                        "properties": {"title": "Snake", "sheet_id": "77", "grid_properties": {"row_count": 3}}
                    }
                },
                {"mergeCells": {"range": {"sheetId": 77, "endRowIndex": 2, "endColumnIndex": 2}, "mergeType": 0}},
            ]
        }
    )
    meta = sh.fetch_sheet_metadata()["sheets"][1]
    assert meta["properties"]["sheetId"] == 77 and meta["properties"]["gridProperties"]["rowCount"] == 3
    assert meta["merges"] == [
        {"sheetId": 77, "startRowIndex": 0, "endRowIndex": 2, "startColumnIndex": 0, "endColumnIndex": 2}
    ]


# ---------------------------------------------------------------------------
# batchUpdate: fields Google knows that the emulator does not implement

CELL = {"sheetId": 0, "startRowIndex": 0, "endRowIndex": 1, "startColumnIndex": 0, "endColumnIndex": 1}


def _repeat(cell: dict, fields: str) -> dict:
    return {"repeatCell": {"range": CELL, "cell": cell, "fields": fields}}


UNIMPLEMENTED_FIELDS = [
    (
        _repeat({"textFormatRuns": [{"startIndex": 0, "format": {"bold": True}}]}, "textFormatRuns"),
        "cell.textFormatRuns (CellData.textFormatRuns)",
    ),
    (_repeat({"userEnteredFormat": {"padding": {"top": 4}}}, "userEnteredFormat"), "(CellFormat.padding)"),
    (
        _repeat({"userEnteredFormat": {"textRotation": {"angle": 45}}}, "userEnteredFormat.textRotation"),
        "(CellFormat.textRotation)",
    ),
    (_repeat({"userEnteredFormat": {"textDirection": "RIGHT_TO_LEFT"}}, "*"), "(CellFormat.textDirection)"),
    (
        _repeat({"userEnteredFormat": {"hyperlinkDisplayType": "LINKED"}}, "userEnteredFormat"),
        "(CellFormat.hyperlinkDisplayType)",
    ),
    (
        _repeat(
            {"userEnteredFormat": {"backgroundColorStyle": {"themeColor": "ACCENT1"}}},
            "userEnteredFormat.backgroundColorStyle",
        ),
        "(ColorStyle.themeColor)",
    ),
    (
        _repeat({"userEnteredFormat": {"backgroundColor": {"red": 1, "alpha": 0.5}}}, "userEnteredFormat"),
        "(Color.alpha: only opaque colours)",
    ),
    (
        _repeat({"userEnteredFormat": {"horizontalAlignment": "HORIZONTAL_ALIGN_UNSPECIFIED"}}, "*"),
        None,  # UNSPECIFIED is "not set": accepted
    ),
    (
        {
            "updateCells": {
                "start": {"sheetId": 0},
                "rows": [{"values": [{"userEnteredValue": {"errorValue": {"type": "DIVIDE_BY_ZERO"}}}]}],
                "fields": "userEnteredValue",
            }
        },
        "(ExtendedValue.errorValue)",
    ),
    (
        {
            "appendCells": {
                "sheetId": 0,
                "rows": [{"values": [{"pivotTable": {"source": CELL}}]}],
                "fields": "*",
            }
        },
        "rows[0].values[0].pivotTable (CellData.pivotTable)",
    ),
    ({"appendCells": {"sheetId": 0, "tableId": "t1", "rows": [], "fields": "*"}}, "tableId"),
    ({"addSheet": {"properties": {"title": "chart", "sheetType": "OBJECT"}}}, 'properties.sheetType = "OBJECT"'),
    (
        {"addSheet": {"properties": {"gridProperties": {"rowGroupControlAfter": True}}}},
        "(GridProperties.rowGroupControlAfter)",
    ),
    (
        {
            "updateSheetProperties": {
                "properties": {"sheetId": 0, "gridProperties": {"columnGroupControlAfter": True}},
                "fields": "gridProperties.columnGroupControlAfter",
            }
        },
        "(GridProperties.columnGroupControlAfter)",
    ),
    (
        {
            "updateSpreadsheetProperties": {
                "properties": {"iterativeCalculationSettings": {"maxIterations": 5}},
                "fields": "iterativeCalculationSettings",
            }
        },
        "(SpreadsheetProperties.iterativeCalculationSettings)",
    ),
    (
        {
            "updateSpreadsheetProperties": {
                "properties": {"spreadsheetTheme": {"primaryFontFamily": "Roboto"}},
                "fields": "*",
            }
        },
        "(SpreadsheetProperties.spreadsheetTheme)",
    ),
    (
        {
            "updateSpreadsheetProperties": {
                "properties": {"importFunctionsExternalUrlAccessAllowed": True},
                "fields": "importFunctionsExternalUrlAccessAllowed",
            }
        },
        "(SpreadsheetProperties.importFunctionsExternalUrlAccessAllowed)",
    ),
    (
        {"setDataValidation": {"range": CELL, "rule": {"condition": {"type": "BLANK"}}, "filteredRowsIncluded": True}},
        "(SetDataValidationRequest.filteredRowsIncluded)",
    ),
    (
        {"sortRange": {"range": CELL, "sortSpecs": [{"backgroundColor": {"red": 1}, "sortOrder": "ASCENDING"}]}},
        "sortSpecs[0].backgroundColor (SortSpec.backgroundColor)",
    ),
    ({"addProtectedRange": {"protectedRange": {"namedRangeId": "n1"}}}, "(ProtectedRange.namedRangeId)"),
    (
        {
            "updateDimensionProperties": {
                "range": {"sheetId": 0, "dimension": "ROWS", "startIndex": 0, "endIndex": 1},
                "properties": {"developerMetadata": [{"metadataKey": "k"}]},
                "fields": "developerMetadata",
            }
        },
        "(DimensionProperties.developerMetadata)",
    ),
    (
        {"autoResizeDimensions": {"dataSourceSheetDimensions": {"sheetId": 0}}},
        "(AutoResizeDimensionsRequest.dataSourceSheetDimensions)",
    ),
    ({"setBasicFilter": {"filter": {"range": CELL, "tableId": "t"}}}, "(BasicFilter.tableId)"),
]


@pytest.mark.parametrize("request_body,named", UNIMPLEMENTED_FIELDS, ids=lambda v: v if isinstance(v, str) else None)
def test_fields_google_knows_but_the_emulator_does_not_implement_are_refused_by_name(sh, request_body, named):
    if named is None:
        sh.batch_update({"requests": [request_body]})
        return
    kind = next(iter(request_body))
    error = _refused(lambda: sh.batch_update({"requests": [request_body]}))
    _google_400(error)
    assert error["message"].startswith(f"Invalid requests[0].{kind}: the local Sheets emulator does not implement ")
    assert named in error["message"]


def test_a_field_outside_the_mask_is_ignored_as_google_ignores_it(sh):
    """Only what `fields` selects is applied; what the cell carries besides is not looked at."""
    cell = {"userEnteredFormat": {"textFormat": {"bold": True}, "padding": {"top": 4}}, "textFormatRuns": [{}]}
    sh.batch_update({"requests": [_repeat(cell, "userEnteredFormat.textFormat.bold")]})
    got = sh.fetch_sheet_metadata(
        params={"ranges": "Sheet1!A1", "fields": "sheets.data.rowData.values.userEnteredFormat"}
    )
    assert got["sheets"][0]["data"][0]["rowData"][0]["values"][0]["userEnteredFormat"]["textFormat"] == {"bold": True}


def test_output_only_fields_sent_back_are_ignored_as_google_ignores_them(sh):
    sh.sheet1.update([[7]], "A1")
    cell = sh.fetch_sheet_metadata(params={"ranges": "Sheet1!A1", "includeGridData": "true"})["sheets"][0]["data"][0]
    read = cell["rowData"][0]["values"][0]
    assert {"effectiveValue", "formattedValue", "effectiveFormat"} <= set(read)
    sh.batch_update(
        {
            "requests": [
                {"updateCells": {"start": {"sheetId": 0, "rowIndex": 1}, "rows": [{"values": [read]}], "fields": "*"}}
            ]
        }
    )
    assert sh.sheet1.get("A1:A2") == [["7"], ["7"]]


def test_a_mask_naming_a_field_the_message_does_not_have_is_refused(sh):
    error = _refused(
        lambda: sh.batch_update({"requests": [_repeat({"userEnteredFormat": {}}, "userEnteredFormat.textFormat.bld")]})
    )
    _google_400(error)
    assert "'userEnteredFormat.textFormat.bld'" in error["message"] and "CellData" in error["message"]


def test_batch_update_body_fields_the_emulator_does_not_implement_are_refused(sh):
    error = _refused(
        lambda: sh.batch_update({"requests": [{"addSheet": {}}], "commentsViewMode": "COMMENTS_VIEW_MODE_INCLUDED"})
    )
    _google_400(error)
    assert "does not implement commentsViewMode" in error["message"]


# ---------------------------------------------------------------------------
# formulas the emulator cannot compute


@pytest.mark.parametrize(
    "formula,part", [("=VLOOKUP(1,A:B,2,FALSE)", "VLOOKUP"), ("=now()", "NOW"), ("=A1:A2 B1", None)]
)
def test_a_formula_the_emulator_cannot_compute_is_refused_where_it_is_written(sh, formula, part):
    ws = sh.sheet1
    for write in (
        lambda: ws.update([[formula]], "A1", value_input_option="USER_ENTERED"),
        lambda: ws.append_row([formula], value_input_option="USER_ENTERED"),
        lambda: sh.batch_update(
            {
                "requests": [
                    {
                        "updateCells": {
                            "start": {"sheetId": 0},
                            "rows": [{"values": [{"userEnteredValue": {"formulaValue": formula}}]}],
                            "fields": "userEnteredValue",
                        }
                    }
                ]
            }
        ),
    ):
        error = _refused(write)
        _google_400(error)
        assert "does not implement" in error["message"] and (part or "") in error["message"]
    assert ws.get_all_values() == [[]]  # nothing was written
    ws.update([[formula]], "A1", value_input_option="RAW")  # as text it is only text
    assert ws.acell("A1").value == formula


def test_formulas_the_emulator_computes_are_taken(sh):
    ws = sh.sheet1
    ws.update([[2, 3, "=SUM(A1:B1)*2", '=IF(C1>5,"big","small")&"!"']], "A1", value_input_option="USER_ENTERED")
    assert ws.row_values(1) == ["2", "3", "10", "big!"]


def test_ranges_sheets_reads_but_the_emulator_does_not_are_refused_by_name(sh):
    sh.sheet1.define_named_range("A1:B2", "totals")
    for rng, named in (("totals", "named ranges"), ("R1C1:R2C2", "R1C1"), ("Sheet1!R2C3", "R1C1")):
        error = _refused(lambda rng=rng: sh.values_get(rng))
        _google_400(error)
        assert error["message"] == f"The local Sheets emulator does not implement {named}" + (
            f" as ranges ({rng})." if named == "named ranges" else f" notation ({rng})."
        )
    assert "Unable to parse range" in _refused(lambda: sh.values_get("no such thing!!"))["message"]


# ---------------------------------------------------------------------------
# spreadsheets.create and the values bodies


@pytest.mark.parametrize(
    "body,named",
    [
        ({"sheets": [{"properties": {"title": "A"}, "data": [{"rowData": []}]}]}, "sheets[0].data (Sheet.data)"),
        ({"sheets": [{"merges": [CELL]}]}, "sheets[0].merges (Sheet.merges)"),
        ({"namedRanges": [{"name": "x", "range": CELL}]}, "namedRanges (Spreadsheet.namedRanges)"),
        ({"developerMetadata": [{"metadataKey": "k"}]}, "developerMetadata (Spreadsheet.developerMetadata)"),
        ({"properties": {"defaultFormat": {"wrapStrategy": "WRAP"}}}, "(SpreadsheetProperties.defaultFormat)"),
    ],
)
def test_create_refuses_what_it_does_not_implement(emu, body, named):
    r = requests.post(f"{emu.url}/v4/spreadsheets", json=body, headers=AUTH)
    assert r.status_code == 400
    _google_400(r.json()["error"])
    assert named in r.json()["error"]["message"] and "spreadsheets.create" in r.json()["error"]["message"]


def test_create_honours_the_sheet_properties_add_sheet_does(emu, gc):
    body = {
        "properties": {"title": "Made", "timeZone": "Europe/Paris"},
        "sheets": [
            {
                "properties": {
                    "title": "One",
                    "gridProperties": {"rowCount": 5, "columnCount": 3, "hideGridlines": True},
                }
            },
            {
                "properties": {
                    "title": "Two",
                    "index": 0,
                    "tabColorStyle": {"rgbColor": {"red": 1}},
                    "rightToLeft": True,
                }
            },
        ],
    }
    r = requests.post(f"{emu.url}/v4/spreadsheets", json=body, headers=AUTH)
    assert r.status_code == 200, r.text
    sheets = {s["properties"]["title"]: s["properties"] for s in r.json()["sheets"]}
    assert [s["properties"]["title"] for s in r.json()["sheets"]] == ["Two", "One"]
    assert sheets["One"]["sheetId"] == 0 and sheets["One"]["gridProperties"]["hideGridlines"] is True
    assert sheets["Two"]["tabColor"] == {"red": 1} and sheets["Two"]["rightToLeft"] is True
    assert r.json()["properties"]["timeZone"] == "Europe/Paris"


def test_values_bodies_refuse_unknown_names(sh):
    error = _refused(
        lambda: sh.values_update("Sheet1!A1", params={"valueInputOption": "RAW"}, body={"values": [[1]], "rows": [[2]]})
    )
    _google_400(error)
    assert error["message"] == "Invalid JSON payload received. Unknown name \"rows\" at 'data': Cannot find field."
    error = _refused(
        lambda: sh.values_batch_update({"valueInputOption": "RAW", "data": [{"range": "A1", "value": [[1]]}]})
    )
    assert "Unknown name \"value\" at 'data[0]'" in error["message"]
    error = _refused(lambda: sh.values_batch_clear(body={"ranges": ["A1"], "range": "A2"}))
    assert 'Unknown name "range"' in error["message"]


# ---------------------------------------------------------------------------
# query parameters


def _get(emu, path: str, **params) -> requests.Response:
    return requests.get(f"{emu.url}/v4/spreadsheets/{emu.default_spreadsheet_id}{path}", params=params, headers=AUTH)


@pytest.mark.parametrize(
    "path,params,message",
    [
        (
            "/values/A1",
            {"valueRenderOptions": "FORMULA"},
            'Invalid JSON payload received. Unknown name "valueRenderOptions": Cannot bind query parameter. '
            "Field 'valueRenderOptions' could not be found in request message.",
        ),
        (
            "",
            {"valueRenderOption": "FORMULA"},  # a values parameter on spreadsheets.get
            'Invalid JSON payload received. Unknown name "valueRenderOption": Cannot bind query parameter. '
            "Field 'valueRenderOption' could not be found in request message.",
        ),
        (
            "/values/A1",
            {"valueRenderOption": "BOGUS"},
            "Invalid value at 'value_render_option' (type.googleapis.com/google.apps.sheets.v4.ValueRenderOption), "
            '"BOGUS"',
        ),
        (
            "/values/A1",
            {"majorDimension": "DIAGONAL"},
            "Invalid value at 'major_dimension' (type.googleapis.com/google.apps.sheets.v4.Dimension), \"DIAGONAL\"",
        ),
        (
            "/values:batchGet",
            {"ranges": "A1", "dateTimeRenderOption": "ISO"},
            "Invalid value at 'date_time_render_option' "
            '(type.googleapis.com/google.apps.sheets.v4.DateTimeRenderOption), "ISO"',
        ),
        ("", {"includeGridData": "maybe"}, "Invalid value at 'include_grid_data' (TYPE_BOOL), \"maybe\""),
        (
            "",
            {"commentsViewMode": "COMMENTS_VIEW_MODE_INCLUDED"},
            "The local Sheets emulator does not implement the query parameter 'commentsViewMode' of spreadsheets.get.",
        ),
        (
            "/values/A1",
            {"callback": "cb"},
            "The local Sheets emulator does not implement the query parameter 'callback' of spreadsheets.values.get.",
        ),
        (
            "/values/A1",
            {"uploadType": "media"},
            "The local Sheets emulator does not implement the query parameter 'uploadType' of spreadsheets.values.get.",
        ),
        ("/values/A1", {"alt": "proto"}, "The local Sheets emulator answers JSON only, not alt=proto."),
        ("", {"$.xgafv": "1"}, "The local Sheets emulator answers in the v2 error format only ($.xgafv=2)."),
        ("", {"fields": "sheets.propertiez"}, "Invalid field selection sheets.propertiez"),
        ("/values/A1", {"fields": "values,rnage"}, "Invalid field selection rnage"),
    ],
)
def test_query_parameters_are_checked_like_google_checks_them(emu, path, params, message):
    r = _get(emu, path, **params)
    assert r.status_code == 400, r.text
    _google_400(r.json()["error"])
    assert r.json()["error"]["message"] == message


def test_query_enums_are_read_as_google_reads_them(emu, gc):
    ws = gc.open_by_key(emu.default_spreadsheet_id).sheet1
    ws.update([[1, 2], [3, 4]], "A1")
    by_ordinal = _get(emu, "/values/A1:B2", majorDimension="2", valueRenderOption="unformatted_value").json()
    assert by_ordinal["majorDimension"] == "COLUMNS" and by_ordinal["values"] == [[1, 3], [2, 4]]
    unspecified = _get(emu, "/values/A1:B2", majorDimension="DIMENSION_UNSPECIFIED").json()
    assert unspecified["majorDimension"] == "ROWS"


def test_fields_selects_the_answer_of_every_method(emu, gc):
    sh = gc.open_by_key(emu.default_spreadsheet_id)
    assert _get(emu, "/values/A1", fields="range").json() == {"range": "Sheet1!A1"}
    got = sh.values_batch_get(["A1"], params={"fields": "valueRanges.range"})
    assert got == {"valueRanges": [{"range": "Sheet1!A1"}]}
    r = requests.put(
        f"{emu.url}/v4/spreadsheets/{emu.default_spreadsheet_id}/values/A5",
        params={"valueInputOption": "RAW", "fields": "updatedCells"},
        json={"values": [["x"]]},
        headers=AUTH,
    )
    assert r.json() == {"updatedCells": 1}


@pytest.mark.parametrize(
    "method,path,name",
    [
        ("POST", ":getByDataFilter", "spreadsheets.getByDataFilter"),
        ("GET", "/developerMetadata/7", "spreadsheets.developerMetadata.get"),
        ("POST", "/developerMetadata:search", "spreadsheets.developerMetadata.search"),
        ("POST", "/values:batchGetByDataFilter", "spreadsheets.values.batchGetByDataFilter"),
        ("POST", "/values:batchUpdateByDataFilter", "spreadsheets.values.batchUpdateByDataFilter"),
        ("POST", "/values:batchClearByDataFilter", "spreadsheets.values.batchClearByDataFilter"),
    ],
)
def test_sheets_methods_the_emulator_does_not_implement_are_refused_by_name(emu, method, path, name):
    url = f"{emu.url}/v4/spreadsheets/{emu.default_spreadsheet_id}{path}"
    r = requests.request(method, url, json={}, headers=AUTH)
    assert r.status_code == 400
    _google_400(r.json()["error"])
    assert r.json()["error"]["message"] == f"The local Sheets emulator does not implement {name}."


# ---------------------------------------------------------------------------
# Drive


def _drive_400(r: requests.Response, named: str) -> None:
    assert r.status_code == 400, r.text
    error = r.json()["error"]
    assert error["code"] == 400 and error["errors"][0]["reason"] == "badRequest", error
    assert "does not implement" in error["message"] and named in error["message"], error


def test_gspread_in_a_folder_is_refused(gc):
    with pytest.raises(APIError) as err:
        gc.create("in a folder", folder_id="folder-1")
    assert err.value.code == 400 and "'parents'" in err.value.error["message"]
    with pytest.raises(APIError) as err:
        gc.list_spreadsheet_files(folder_id="folder-1")
    assert err.value.code == 400 and "folders" in err.value.error["message"]


@pytest.mark.parametrize(
    "method,path,params,body,named",
    [
        ("POST", "", {}, {"name": "d", "mimeType": "application/vnd.google-apps.document"}, "files other than"),
        (
            "POST",
            "",
            {},
            {"name": "x", "mimeType": "application/vnd.google-apps.spreadsheet", "starred": True},
            "'starred'",
        ),
        (
            "POST",
            "",
            {"keepRevisionForever": "true"},
            {"mimeType": "application/vnd.google-apps.spreadsheet"},
            "'keepRevisionForever'",
        ),
        ("GET", "", {"q": "modifiedTime > '2024-01-01'"}, None, "modifiedTime"),
        ("GET", "", {"q": "name = 'a' or name = 'b'"}, None, "'or'"),
        ("GET", "", {"q": "name contains 'a'"}, None, "name contains"),
        ("GET", "", {"orderBy": "starred"}, None, "orderBy=starred"),
        ("GET", "", {"corpora": "domain"}, None, "corpora=domain"),
        ("GET", "", {"spaces": "appDataFolder"}, None, "spaces=appDataFolder"),
        ("GET", "", {"includeLabels": "x"}, None, "'includeLabels'"),
        ("GET", "", {"driveId": "d1"}, None, "'driveId'"),
        ("GET", "/{id}/export", {"mimeType": "application/pdf"}, None, "export to application/pdf"),
        ("PATCH", "/{id}", {}, {"description": "d"}, "'description'"),
        ("PATCH", "/{id}", {"addParents": "f1"}, {}, "'addParents'"),
        ("POST", "/{id}/copy", {}, {"parents": ["f1"]}, "'parents'"),
        ("POST", "/{id}/copy", {"copyComments": "true"}, {}, "'copyComments'"),
        (
            "POST",
            "/{id}/permissions",
            {"transferOwnership": "true"},
            {"type": "user", "role": "owner"},
            "'transferOwnership'",
        ),
        ("POST", "/{id}/permissions", {}, {"type": "user", "role": "owner", "emailAddress": "a@b.c"}, "ownership"),
        (
            "POST",
            "/{id}/permissions",
            {},
            {"type": "anyone", "role": "reader", "allowFileDiscovery": True},
            "'allowFileDiscovery'",
        ),
        ("PATCH", "/{id}/permissions/p1", {}, {"role": "writer"}, "permissions/p1"),
        ("POST", "/{id}/comments", {"fields": "id"}, {"content": "hi"}, "comments"),
        ("GET", "/{id}/revisions", {}, None, "/revisions"),
    ],
)
def test_drive_refuses_what_it_does_not_implement_in_drive_s_error_shape(emu, method, path, params, body, named):
    url = f"{emu.url}/drive/v3/files{path.format(id=emu.default_spreadsheet_id)}"
    _drive_400(requests.request(method, url, params=params, json=body, headers=AUTH), named)


def test_drive_routes_the_emulator_does_not_serve_at_all_are_refused(emu):
    _drive_400(requests.get(f"{emu.url}/drive/v3/about", params={"fields": "user"}, headers=AUTH), "/drive/v3/about")
    assert requests.get(f"{emu.url}/drive/v3/about").status_code == 401  # authentication first, as everywhere


def test_drive_ignores_parameters_it_does_not_document_as_drive_does(emu):
    """gspread sends includeItemsFromAllDrives to files.get (recorded: Google answers 200)."""
    r = requests.get(
        f"{emu.url}/drive/v3/files/{emu.default_spreadsheet_id}",
        params={"includeItemsFromAllDrives": "true", "fields": "id", "madeUp": "1"},
        headers=AUTH,
    )
    assert r.status_code == 200 and r.json() == {"id": emu.default_spreadsheet_id}


def test_a_spreadsheet_cannot_be_downloaded_as_google_answers(emu):
    r = requests.get(f"{emu.url}/drive/v3/files/{emu.default_spreadsheet_id}", params={"alt": "media"}, headers=AUTH)
    assert r.status_code == 403
    assert r.json()["error"]["errors"][0]["reason"] == "fileNotDownloadable"


def test_a_malformed_query_is_drive_s_invalid_value(emu):
    r = requests.get(f"{emu.url}/drive/v3/files", params={"q": "name = 'unterminated"}, headers=AUTH)
    assert r.status_code == 400
    assert r.json()["error"]["errors"][0] == {
        "message": "Invalid Value",
        "domain": "global",
        "reason": "invalid",
        "location": "q",
        "locationType": "parameter",
    }


def test_files_list_pages_and_orders(emu, gc):
    made = [gc.create(f"page {i}") for i in range(3)]
    try:
        ids, token = [], None
        while True:
            params = {"q": "name != 'nothing' and trashed = false", "pageSize": 2, "orderBy": "name desc"}
            if token:
                params["pageToken"] = token
            r = requests.get(f"{emu.url}/drive/v3/files", params=params, headers=AUTH).json()
            assert len(r["files"]) <= 2
            ids += [f["name"] for f in r["files"]]
            token = r.get("nextPageToken")
            if not token:
                break
        assert ids == sorted(ids, reverse=True) and {"page 0", "page 1", "page 2"} <= set(ids)
        assert {s.id for s in gc.openall()} >= {s.id for s in made}
    finally:
        for s in made:
            gc.del_spreadsheet(s.id)


def test_gspread_copy_with_its_comments_works_there_are_none(gc, sh):
    sh.sheet1.update([["orig"]], "A1")
    copied = gc.copy(sh.id, title="with comments")  # copy_comments=True lists the source's comments
    try:
        assert copied.sheet1.acell("A1").value == "orig"
    finally:
        gc.del_spreadsheet(copied.id)


def test_comments_list_needs_fields_as_drive_does(emu):
    url = f"{emu.url}/drive/v3/files/{emu.default_spreadsheet_id}/comments"
    r = requests.get(url, headers=AUTH)
    assert r.status_code == 400 and r.json()["error"]["errors"][0]["reason"] == "required"
    assert requests.get(url, params={"fields": "comments"}, headers=AUTH).json() == {"comments": []}


def test_permissions_are_validated(emu, gc):
    url = f"{emu.url}/drive/v3/files/{emu.default_spreadsheet_id}/permissions"
    r = requests.post(url, json={"type": "user", "role": "writer"}, headers=AUTH)
    assert r.status_code == 400 and r.json()["error"]["errors"][0]["location"] == "permission.emailAddress"
    r = requests.post(url, json={"type": "robot", "role": "writer"}, headers=AUTH)
    assert r.status_code == 400 and r.json()["error"]["errors"][0]["reason"] == "invalid"
    sh = gc.open_by_key(emu.default_spreadsheet_id)
    sh.share("someone@example.com", perm_type="user", role="reader", notify=True, email_message="hi")
    assert "someone@example.com" in [p.get("emailAddress") for p in sh.list_permissions()]
    with pytest.raises(gspread.exceptions.APIError):
        sh.transfer_ownership("nope")
