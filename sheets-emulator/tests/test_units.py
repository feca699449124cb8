"""Unit tests of the emulator's building blocks: A1 ranges, number formats,
USER_ENTERED parsing, formulas, field masks, the model."""

from __future__ import annotations

import pytest
from sheets_emulator import a1, fieldmask, numfmt
from sheets_emulator.errors import ApiError
from sheets_emulator.formulas import Context, FormulaError, Unsupported, evaluate
from sheets_emulator.model import Sheet, normalize_format, shift_span, with_styles
from sheets_emulator.values import parse_raw, parse_user_entered

TITLES = ["Sheet1", "My Tab", "It's", "Q1"]


@pytest.mark.parametrize(
    "text,title,rect,whole",
    [
        ("Sheet1", "Sheet1", a1.Rect(0, 0, None, None), True),
        ("'My Tab'", "My Tab", a1.Rect(0, 0, None, None), True),
        ("'My Tab'!A1:C3", "My Tab", a1.Rect(0, 0, 3, 3), False),
        ("'It''s'!B2", "It's", a1.Rect(1, 1, 2, 2), False),
        ("sheet1!A:B", "Sheet1", a1.Rect(0, 0, None, 2), False),
        ("Sheet1!2:5", "Sheet1", a1.Rect(1, 0, 5, None), False),
        ("Sheet1!A2:C", "Sheet1", a1.Rect(1, 0, None, 3), False),
        ("Sheet1!$A$1:$B$2", "Sheet1", a1.Rect(0, 0, 2, 2), False),
        ("Sheet1!B2:A1", "Sheet1", a1.Rect(0, 0, 2, 2), False),
        ("A1:B2", None, a1.Rect(0, 0, 2, 2), False),
        ("'Q1'!AA10", "Q1", a1.Rect(9, 26, 10, 27), False),
    ],
)
def test_parse_a1(text, title, rect, whole):
    parsed = a1.parse_a1(text, TITLES)
    assert (parsed.sheet_title, parsed.rect, parsed.whole_sheet) == (title, rect, whole)


@pytest.mark.parametrize("text", ["", "Nope!A1", "'Nope'", "Sheet1!A", "Sheet1!", "Sheet1!1A", "'unterminated"])
def test_parse_a1_rejects(text):
    with pytest.raises(ApiError) as err:
        a1.parse_a1(text, TITLES)
    assert err.value.code == 400 and "Unable to parse range" in err.value.message


def test_format_range_quotes_like_sheets():
    assert a1.format_range("Sheet1", a1.Rect(0, 0, 4, 4)) == "Sheet1!A1:D4"
    assert a1.format_range("My Tab", a1.Rect(1, 1, 2, 2)) == "'My Tab'!B2"
    assert a1.format_range("It's", a1.Rect(0, 0, 1, 2)) == "'It''s'!A1:B1"
    assert a1.format_range("Q1", a1.Rect(0, 0, 1, 1)) == "'Q1'!A1"
    assert [a1.col_to_letters(i) for i in (0, 25, 26, 701, 702)] == ["A", "Z", "AA", "ZZ", "AAA"]
    assert a1.letters_to_col("AAA") == 702


@pytest.mark.parametrize(
    "value,pattern,expected",
    [
        (1200.5, '"$"#,##0.00', "$1,200.50"),
        (-1200.5, '"$"#,##0.00', "-$1,200.50"),
        (1200.5, "[$€]#,##0.00", "€1,200.50"),
        (0.12, "0%", "12%"),
        (0.125, "0.00%", "12.50%"),
        (1234567, "#,##0", "1,234,567"),
        (1234567, '#,##0,"K"', "1,235K"),
        (-5, "#,##0;(#,##0)", "(5)"),
        (0, '#,##0;(#,##0);"-"', "-"),
        (12345.678, "0.00E+00", "1.23E+04"),
        (2.5, "0", "3"),
        (45688, "yyyy-mm-dd", "2025-01-31"),
        (45688.75, "M/d/yyyy H:mm:ss", "1/31/2025 18:00:00"),
        (45688.75, "h:mm am/pm", "6:00 PM"),
        (45688, "dddd, mmmm d", "Friday, January 31"),
        (1.45, None, "1.45"),
        (1 / 3, None, "0.3333333333"),
        (1e20, None, "1E+20"),
        (0.1 + 0.2, "", "0.3"),
        (4, "General", "4"),
    ],
)
def test_format_number(value, pattern, expected):
    assert numfmt.format_number(value, pattern) == expected


@pytest.mark.parametrize(
    "pattern,kind",
    [
        ('"$"#,##0.00', "CURRENCY"),
        ("0.00%", "PERCENT"),
        ("yyyy-mm-dd", "DATE"),
        ("h:mm:ss", "TIME"),
        ("M/d/yyyy H:mm:ss", "DATE_TIME"),
        ("0.00E+00", "SCIENTIFIC"),
        ("@", "TEXT"),
        ("#,##0", "NUMBER"),
    ],
)
def test_infer_type(pattern, kind):
    assert numfmt.infer_type(pattern) == kind


@pytest.mark.parametrize(
    "text,value,fmt",
    [
        ("12%", {"numberValue": 0.12}, {"type": "PERCENT", "pattern": "0%"}),
        ("12.5%", {"numberValue": 0.125}, {"type": "PERCENT", "pattern": "0.00%"}),
        ("$1,200.50", {"numberValue": 1200.5}, {"type": "CURRENCY", "pattern": '"$"#,##0.00'}),
        ("-$5", {"numberValue": -5.0}, {"type": "CURRENCY", "pattern": '"$"#,##0.00'}),
        ("1,200", {"numberValue": 1200.0}, {"type": "NUMBER", "pattern": "#,##0"}),
        ("42", {"numberValue": 42.0}, None),
        ("-0.5", {"numberValue": -0.5}, None),
        ("1e3", {"numberValue": 1000.0}, None),
        ("2025-01-31", {"numberValue": 45688}, {"type": "DATE", "pattern": "yyyy-mm-dd"}),
        ("1/31/2025", {"numberValue": 45688}, {"type": "DATE", "pattern": "M/d/yyyy"}),
        ("10:30", {"numberValue": 0.4375}, {"type": "TIME", "pattern": "H:mm"}),
        ("=SUM(A1:A3)", {"formulaValue": "=SUM(A1:A3)"}, None),
        ("'=not a formula", {"stringValue": "=not a formula"}, None),
        ("true", {"boolValue": True}, None),
        ("hello", {"stringValue": "hello"}, None),
        ("", {}, None),
        ("2025-13-45", {"stringValue": "2025-13-45"}, None),
    ],
)
def test_parse_user_entered(text, value, fmt):
    assert parse_user_entered(text) == (value, fmt)


def test_parse_raw_and_nulls():
    assert parse_raw("12%") == {"stringValue": "12%"}
    assert parse_raw(3) == {"numberValue": 3}
    assert parse_raw(False) == {"boolValue": False}
    assert parse_raw("") == {}
    assert parse_raw(None) is None  # null leaves the cell alone
    assert parse_user_entered(None) == (None, None)
    with pytest.raises(ApiError):
        parse_raw({"a": 1})


def _ctx(data):
    return Context(lambda s, r, c: data.get((s, r, c)), lambda s: (1000, 26))


def test_formulas():
    data = {(None, 0, 0): 1.0, (None, 1, 0): 2.5, (None, 2, 0): "x", ("Other tab", 0, 1): 10.0}
    ctx = _ctx(data)
    assert evaluate("=SUM(A1:A3)", ctx) == 3.5
    assert evaluate("=A1+A2*2", ctx) == 6.0
    assert evaluate("=A2/0", ctx) == FormulaError("#DIV/0!")
    assert evaluate('=IFERROR(A2/0, "n/a")', ctx) == "n/a"
    assert evaluate('="a"&A1', ctx) == "a1"
    assert evaluate("=SUM(A:A)", ctx) == 3.5
    assert evaluate("='Other tab'!B1*2", ctx) == 20.0
    assert evaluate("=ROUND(2.345,2)", ctx) == 2.35
    assert evaluate('=IF(A1>0,"pos","neg")', ctx) == "pos"
    assert evaluate("=10%", ctx) == 0.1
    assert evaluate("=AVERAGE(A1:A2)", ctx) == 1.75
    assert evaluate("=COUNTA(A1:A5)", ctx) == 3.0
    assert evaluate("=MAX(A1:A3)-MIN(A1:A3)", ctx) == 1.5
    assert evaluate("=A3+1", ctx) == FormulaError("#VALUE!")
    with pytest.raises(Unsupported):
        evaluate("=VLOOKUP(1,A1:B2,2)", ctx)


def test_field_masks():
    assert fieldmask.parse("a.b,c(d,e/f)") == [("a", "b"), ("c", "d"), ("c", "e", "f")]
    obj = {"sheets": [{"properties": {"title": "x", "sheetId": 1}, "data": [1]}], "id": 2}
    assert fieldmask.select(obj, "sheets.properties.title") == {"sheets": [{"properties": {"title": "x"}}]}
    assert fieldmask.select(obj, "*") == obj
    assert fieldmask.mask_wants("sheets(data,properties)", "sheets", "data")
    assert not fieldmask.mask_wants("sheets.properties", "sheets", "data")
    dest = {"gridProperties": {"rowCount": 5, "frozenRowCount": 2}, "title": "t"}
    fieldmask.apply_update(
        dest, {"gridProperties": {"rowCount": 4}}, "gridProperties/rowCount,gridProperties.frozenRowCount"
    )
    assert dest == {"gridProperties": {"rowCount": 4}, "title": "t"}
    with pytest.raises(ApiError):
        fieldmask.apply_update(dest, {}, "")


def test_formats_keep_what_xlsx_can_hold():
    fmt = normalize_format(
        {
            "backgroundColorStyle": {"rgbColor": {"red": 0.9}},
            "padding": {"top": 2},
            "textFormat": {"bold": True, "italic": False, "fontSize": 12.0},
            "numberFormat": {"type": "CURRENCY"},
            "borders": {"top": {"style": "SOLID"}, "bottom": {"style": "NONE"}},
        }
    )
    assert fmt == {
        "backgroundColor": {"red": 0.9},
        "textFormat": {"bold": True, "fontSize": 12},
        "numberFormat": {"type": "CURRENCY", "pattern": '"$"#,##0.00'},
        "borders": {"top": {"style": "SOLID", "width": 1, "color": {}}},
    }
    styled = with_styles(fmt)
    assert styled["backgroundColorStyle"] == {"rgbColor": {"red": 0.9}}
    assert styled["borders"]["top"]["colorStyle"] == {"rgbColor": {}}


def test_shift_rows_moves_cells_and_ranges():
    sheet = Sheet(0, "S", rows=10, cols=3)
    sheet.cells[(0, 0)] = {"userEnteredValue": {"stringValue": "a"}}
    sheet.cells[(5, 0)] = {"userEnteredValue": {"stringValue": "b"}}
    sheet.merges.append(
        {"sheetId": 0, "startRowIndex": 4, "endRowIndex": 6, "startColumnIndex": 0, "endColumnIndex": 2}
    )
    sheet.shift("ROWS", 2, 3, insert=True)
    assert sheet.row_count == 13 and (8, 0) in sheet.cells
    assert sheet.merges[0]["startRowIndex"] == 7 and sheet.merges[0]["endRowIndex"] == 9
    sheet.shift("ROWS", 7, 2, insert=False)
    assert sheet.row_count == 11 and (8, 0) not in sheet.cells and sheet.merges == []
    assert shift_span(0, 5, 2, 2, insert=False) == (0, 3)
    assert shift_span(2, 4, 2, 2, insert=False) is None


def test_the_support_table_names_only_what_google_has_and_covers_what_it_reaches():
    from sheets_emulator import discovery, support
    from sheets_emulator.batch_requests import HANDLERS, KNOWN_KINDS

    schemas = discovery.sheets()["schemas"]
    assert set(HANDLERS) <= KNOWN_KINDS
    for name, entry in support.SUPPORT.items():
        assert name in schemas, name
        named = entry.fields | entry.stored | entry.ignored | set(entry.values)
        assert named <= set(schemas[name]), (name, named - set(schemas[name]))
        for field in entry.fields:
            ref = support._ref(schemas[name][field])
            assert ref is None or ref == "Request" or ref in support.SUPPORT, (name, field, ref)
    for kind in HANDLERS:
        assert schemas["Request"][kind][1:] in support.SUPPORT, kind
    for request, (member, target) in support.MASKED.items():
        assert member in schemas[request] and target in support.SUPPORT


def test_the_package_never_imports_the_application():
    import pathlib

    import sheets_emulator

    root = pathlib.Path(sheets_emulator.__file__).parent
    for path in root.rglob("*.py"):
        text = path.read_text()
        for needle in (
            "import chalicelib",
            "from chalicelib",
            "import local",
            "from local",
            "from tests",
            "import tests",
        ):
            assert needle not in text, (path, needle)
