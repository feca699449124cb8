"""The ``Spreadsheet`` resource as ``GET /v4/spreadsheets/{id}`` returns it:
properties, sheets (properties, merges, conditional formats, protected ranges,
charts, filters) and, when asked for, grid data."""

from __future__ import annotations

import copy
from typing import Any, Optional

from . import fieldmask
from .a1 import Rect
from .model import Sheet, Spreadsheet, effective_format, with_styles
from .values import Renderer, number_out
from .values_api import check_grid, resolve

DEFAULT_ROW_PX = 21
DEFAULT_COL_PX = 100


def spreadsheet_url(book: Spreadsheet) -> str:
    return f"https://docs.google.com/spreadsheets/d/{book.id}/edit"


def cell_json(renderer: Renderer, sheet: Sheet, r: int, c: int) -> dict:
    cell = sheet.cell(r, c)
    if not cell:
        return {}
    out: dict[str, Any] = {}
    uev = cell.get("userEnteredValue")
    fmt = cell.get("userEnteredFormat") or {}
    if uev:
        out["userEnteredValue"] = {k: number_out(v) for k, v in uev.items()}
        ev = renderer.effective_value_json(sheet, r, c)
        if ev is not None:
            out["effectiveValue"] = ev
        out["formattedValue"] = renderer.render(sheet, r, c)
    if fmt:
        out["userEnteredFormat"] = with_styles(fmt)
        link = (fmt.get("textFormat") or {}).get("link")
        if link:
            out["hyperlink"] = link["uri"]  # the cell's link, as Sheets reports it
    if uev or fmt:
        out["effectiveFormat"] = effective_format(fmt)
    if cell.get("note"):
        out["note"] = cell["note"]
    if cell.get("dataValidation"):
        out["dataValidation"] = copy.deepcopy(cell["dataValidation"])
    return out


def grid_data(renderer: Renderer, sheet: Sheet, rect: Rect) -> dict:
    """One GridData block; trailing empty cells and rows are left out."""
    rows: dict[int, dict[int, dict]] = {}
    for r, c in sheet.cells:
        if rect.contains(r, c):
            data = cell_json(renderer, sheet, r, c)
            if data:
                rows.setdefault(r - rect.r0, {})[c - rect.c0] = data
    out: dict[str, Any] = {}
    if rect.r0:
        out["startRow"] = rect.r0
    if rect.c0:
        out["startColumn"] = rect.c0
    row_data = []
    if rows:
        for i in range(max(rows) + 1):
            cells = rows.get(i)
            if not cells:
                row_data.append({})
            else:
                row_data.append({"values": [cells.get(j, {}) for j in range(max(cells) + 1)]})
    if row_data:
        out["rowData"] = row_data
    out["rowMetadata"] = [_dim_meta(sheet.row_meta.get(i), DEFAULT_ROW_PX) for i in range(rect.r0, rect.r1)]
    out["columnMetadata"] = [_dim_meta(sheet.col_meta.get(i), DEFAULT_COL_PX) for i in range(rect.c0, rect.c1)]
    return out


def _dim_meta(meta: Optional[dict], default_px: int) -> dict:
    out = {"pixelSize": default_px}
    if meta:
        out.update(meta)
    return out


def sheet_json(book: Spreadsheet, sheet: Sheet, data: Optional[list[dict]] = None) -> dict:
    out: dict[str, Any] = {"properties": sheet.properties_json(book.index_of(sheet))}
    if data is not None:
        out["data"] = data
    if sheet.merges:
        out["merges"] = copy.deepcopy(sheet.merges)
    if sheet.conditional_formats:
        out["conditionalFormats"] = [_rule_json(r) for r in sheet.conditional_formats]
    if sheet.protected_ranges:
        out["protectedRanges"] = copy.deepcopy(sheet.protected_ranges)
    if sheet.basic_filter:
        out["basicFilter"] = copy.deepcopy(sheet.basic_filter)
    if sheet.charts:
        out["charts"] = copy.deepcopy(sheet.charts)
    if sheet.banded_ranges:
        out["bandedRanges"] = copy.deepcopy(sheet.banded_ranges)
    return out


def _rule_json(rule: dict) -> dict:
    rule = copy.deepcopy(rule)
    fmt = (rule.get("booleanRule") or {}).get("format")
    if fmt:
        rule["booleanRule"]["format"] = with_styles(fmt)
    return rule


def spreadsheet_json(
    book: Spreadsheet,
    *,
    include_grid_data: bool = False,
    ranges: Optional[list[str]] = None,
    fields: Optional[str] = None,
) -> dict:
    """The resource, honouring ``includeGridData``, ``ranges`` and ``fields``."""
    if fields:
        include_grid_data = fieldmask.mask_wants(fields, "sheets", "data")
    renderer = Renderer(book)
    sheets_out = []
    if ranges:
        by_sheet: dict[int, list[Rect]] = {}
        for a1 in ranges:
            t = resolve(book, a1)
            check_grid(t)
            rect = t.rect.clipped(t.sheet.row_count, t.sheet.col_count)
            by_sheet.setdefault(t.sheet.sheet_id, []).append(rect)
        for sheet in book.sheets:
            if sheet.sheet_id not in by_sheet:
                continue
            data = (
                [grid_data(renderer, sheet, rect) for rect in by_sheet[sheet.sheet_id]] if include_grid_data else None
            )
            sheets_out.append(sheet_json(book, sheet, data))
    else:
        for sheet in book.sheets:
            data = None
            if include_grid_data:
                data = [grid_data(renderer, sheet, Rect(0, 0, sheet.row_count, sheet.col_count))]
            sheets_out.append(sheet_json(book, sheet, data))
    out: dict[str, Any] = {
        "spreadsheetId": book.id,
        "properties": book.properties_json(),
        "sheets": sheets_out,
    }
    if book.named_ranges:
        out["namedRanges"] = copy.deepcopy(book.named_ranges)
    out["spreadsheetUrl"] = spreadsheet_url(book)
    return fieldmask.select(out, fields)
