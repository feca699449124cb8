"""``spreadsheets.batchUpdate``: one handler per request kind.

Requests run in order against a copy of the spreadsheet; if any fails the whole
batch fails and nothing changes (as in Sheets). Replies come back in request
order, ``{}`` for kinds that have no reply.
"""

from __future__ import annotations

import copy
from typing import Any, Callable, Optional

from . import checks, discovery, fieldmask, support
from .a1 import Rect, format_open_range, format_range
from .errors import ApiError
from .formulas import Unsupported
from .model import (
    DEFAULT_COLS,
    DEFAULT_ROWS,
    Sheet,
    Spreadsheet,
    grid_rect,
    iter_rect,
    norm_color,
    normalize_format,
    rect_grid,
)
from .values import Renderer


class RequestError(Exception):
    """A failure inside one request; reported as ``Invalid requests[i].kind: msg``."""


# Every request kind Sheets knows (so an unimplemented one is told apart from a typo).
KNOWN_KINDS = frozenset(discovery.sheets()["schemas"]["Request"])


class Batch:
    """State shared by the requests of one batchUpdate."""

    def __init__(self, book: Spreadsheet, requester: Optional[str] = None):
        self.book = book
        self.requester = requester

    # lookups ---------------------------------------------------------------
    def sheet(self, sheet_id: Any) -> Sheet:
        sheet = self.book.sheet_by_id(int(sheet_id or 0))
        if sheet is None:
            raise RequestError(f"No grid with id: {sheet_id or 0}")
        return sheet

    def grid_range(self, gr: Optional[dict]) -> tuple[Sheet, Rect]:
        """A GridRange resolved to (sheet, bounded rect), checked against the grid."""
        gr = gr or {}
        sheet = self.sheet(gr.get("sheetId", 0))
        rect = grid_rect(gr)
        rows, cols = sheet.row_count, sheet.col_count
        if rect.r0 < 0 or rect.c0 < 0:
            raise RequestError("GridRange indexes must not be negative")
        # as observed live: a range starting at/after the grid's end is refused,
        # one that starts inside and ends past it is applied to the cells there are
        if rect.r0 >= rows or rect.c0 >= cols:
            raise RequestError(
                f"Range ({format_open_range(sheet.title, rect)}) exceeds grid "
                f"limits. Max rows: {rows}, max columns: {cols}"
            )
        return sheet, rect.clipped(rows, cols)

    def dimension_range(self, dr: dict) -> tuple[Sheet, str, int, int]:
        sheet = self.sheet(dr.get("sheetId", 0))
        dim = dr.get("dimension")
        if dim not in ("ROWS", "COLUMNS"):
            raise RequestError("dimension must be ROWS or COLUMNS")
        size = sheet.row_count if dim == "ROWS" else sheet.col_count
        start = int(dr.get("startIndex", 0) or 0)
        end = int(dr["endIndex"]) if dr.get("endIndex") is not None else size
        if start < 0 or end < start:
            raise RequestError("Invalid dimension range")
        return sheet, dim, start, end


# ---------------------------------------------------------------------------
# cells


_STYLE_TWINS = {
    "backgroundColorStyle": "backgroundColor",
    "foregroundColorStyle": "foregroundColor",
    "colorStyle": "color",
}


def _fix_mask(mask: str) -> str:
    """`...ColorStyle` in a mask means the colour we store without the Style twin."""
    paths = fieldmask.parse(mask)
    fixed = []
    for path in paths:
        fixed.append(".".join(_STYLE_TWINS.get(p, p) for p in path))
    return ",".join(fixed)


def _normalize_cell_input(cell: dict) -> dict:
    out: dict[str, Any] = {}
    if "userEnteredValue" in cell:
        uev = cell["userEnteredValue"] or {}
        if "formulaValue" in uev:
            out["userEnteredValue"] = {"formulaValue": str(uev["formulaValue"])}
        elif "numberValue" in uev:
            out["userEnteredValue"] = {"numberValue": uev["numberValue"]}
        elif "boolValue" in uev:
            out["userEnteredValue"] = {"boolValue": bool(uev["boolValue"])}
        elif "stringValue" in uev and uev["stringValue"] != "":
            out["userEnteredValue"] = {"stringValue": str(uev["stringValue"])}
    if cell.get("userEnteredFormat"):
        fmt = normalize_format(cell["userEnteredFormat"])
        if fmt:
            out["userEnteredFormat"] = fmt
    if cell.get("note"):
        out["note"] = str(cell["note"])
    if cell.get("dataValidation"):
        out["dataValidation"] = copy.deepcopy(cell["dataValidation"])
    return out


def _apply_cell(sheet: Sheet, r: int, c: int, src: dict, mask: str) -> None:
    cell = sheet.cell_for_write(r, c)
    fieldmask.apply_update(cell, src, mask)
    for key in list(cell):
        if key not in ("userEnteredValue", "userEnteredFormat", "note", "dataValidation"):
            del cell[key]
    if "userEnteredFormat" in cell:
        fmt = normalize_format(cell["userEnteredFormat"])
        if fmt:
            cell["userEnteredFormat"] = fmt
        else:
            del cell["userEnteredFormat"]
    if not cell.get("userEnteredValue"):
        cell.pop("userEnteredValue", None)
    if not cell.get("note"):
        cell.pop("note", None)
    sheet.prune(r, c)


def repeat_cell(b: Batch, req: dict) -> None:
    sheet, rect = b.grid_range(req.get("range"))
    mask = _fix_mask(_require(req, "fields"))
    src = _normalize_cell_input(req.get("cell") or {})
    for r, c in iter_rect(rect):
        _apply_cell(sheet, r, c, src, mask)


def update_cells(b: Batch, req: dict) -> None:
    mask = _fix_mask(_require(req, "fields"))
    rows = req.get("rows") or []
    if "range" in req:
        sheet, rect = b.grid_range(req["range"])
    elif "start" in req:
        start = req["start"]
        sheet = b.sheet(start.get("sheetId", 0))
        r0, c0 = int(start.get("rowIndex", 0) or 0), int(start.get("columnIndex", 0) or 0)
        width = max((len(row.get("values") or []) for row in rows), default=0)
        rect = Rect(r0, c0, r0 + len(rows), c0 + width)
        if rect.r1 > sheet.row_count or rect.c1 > sheet.col_count:
            raise RequestError(
                f"Range ({format_range(sheet.title, rect)}) exceeds grid limits. "
                f"Max rows: {sheet.row_count}, max columns: {sheet.col_count}"
            )
    else:
        raise RequestError("Must specify either 'start' or 'range'.")
    for i, r in enumerate(range(rect.r0, rect.r1)):
        values = (rows[i].get("values") or []) if i < len(rows) else []
        for j, c in enumerate(range(rect.c0, rect.c1)):
            src = _normalize_cell_input(values[j]) if j < len(values) else {}
            if j >= len(values) and "range" not in req:
                continue
            _apply_cell(sheet, r, c, src, mask)
    if "range" in req and len(rows) > rect.nrows:
        raise RequestError("Attempting to write more rows than the range allows")


def append_cells(b: Batch, req: dict) -> None:
    """Rows after the last row holding a value, the grid grown to fit (as Google does)."""
    mask = _fix_mask(_require(req, "fields"))
    sheet = b.sheet(req.get("sheetId", 0))
    rows = req.get("rows") or []
    filled = [r for (r, _), cell in sheet.cells.items() if (cell or {}).get("userEnteredValue")]
    first = max(filled) + 1 if filled else 0
    width = max((len(row.get("values") or []) for row in rows), default=0)
    if first + len(rows) > sheet.row_count:
        sheet.set_size(rows=first + len(rows))
    if width > sheet.col_count:
        sheet.set_size(cols=width)
    for i, row in enumerate(rows):
        for c, value in enumerate(row.get("values") or []):
            _apply_cell(sheet, first + i, c, _normalize_cell_input(value), mask)


def update_borders(b: Batch, req: dict) -> None:
    sheet, rect = b.grid_range(req.get("range"))
    sides = {k: req.get(k) for k in ("top", "bottom", "left", "right", "innerHorizontal", "innerVertical")}
    for r, c in iter_rect(rect):
        wanted = {}
        if r == rect.r0 and sides["top"] is not None:
            wanted["top"] = sides["top"]
        if r == rect.r1 - 1 and sides["bottom"] is not None:
            wanted["bottom"] = sides["bottom"]
        if c == rect.c0 and sides["left"] is not None:
            wanted["left"] = sides["left"]
        if c == rect.c1 - 1 and sides["right"] is not None:
            wanted["right"] = sides["right"]
        if sides["innerHorizontal"] is not None:
            if r > rect.r0:
                wanted["top"] = sides["innerHorizontal"]
            if r < rect.r1 - 1:
                wanted["bottom"] = sides["innerHorizontal"]
        if sides["innerVertical"] is not None:
            if c > rect.c0:
                wanted["left"] = sides["innerVertical"]
            if c < rect.c1 - 1:
                wanted["right"] = sides["innerVertical"]
        if not wanted:
            continue
        cell = sheet.cell_for_write(r, c)
        fmt = dict(cell.get("userEnteredFormat") or {})  # formats may be shared: copy
        borders = dict(fmt.get("borders") or {})
        fmt["borders"] = borders
        for side, spec in wanted.items():
            if spec.get("style") in (None, "NONE"):
                borders.pop(side, None)
            else:
                borders[side] = spec
        normalized = normalize_format(fmt)
        if normalized:
            cell["userEnteredFormat"] = normalized
        else:
            cell.pop("userEnteredFormat", None)
        sheet.prune(r, c)


def _merge_rect(sheet: Sheet, merge: dict) -> Rect:
    return grid_rect(merge).clipped(sheet.row_count, sheet.col_count)


def _intersects(a: Rect, b: Rect) -> bool:
    return a.r0 < b.r1 and b.r0 < a.r1 and a.c0 < b.c1 and b.c0 < a.c1


def merge_cells(b: Batch, req: dict) -> None:
    sheet, rect = b.grid_range(req.get("range"))
    kind = req.get("mergeType", "MERGE_ALL")
    if kind == "MERGE_ALL":
        parts = [rect]
    elif kind == "MERGE_ROWS":
        parts = [Rect(r, rect.c0, r + 1, rect.c1) for r in range(rect.r0, rect.r1)]
    elif kind == "MERGE_COLUMNS":
        parts = [Rect(rect.r0, c, rect.r1, c + 1) for c in range(rect.c0, rect.c1)]
    else:
        raise RequestError(f"Invalid mergeType: {kind}")
    sheet.merges = [m for m in sheet.merges if not _intersects(_merge_rect(sheet, m), rect)]
    for part in parts:
        if part.nrows * part.ncols <= 1:
            continue
        sheet.merges.append(rect_grid(sheet.sheet_id, part))
        for r, c in iter_rect(part):  # a merge keeps only the top-left value
            if (r, c) != (part.r0, part.c0) and sheet.has_value(r, c):
                sheet.cells[(r, c)].pop("userEnteredValue", None)
                sheet.prune(r, c)


def unmerge_cells(b: Batch, req: dict) -> None:
    sheet, rect = b.grid_range(req.get("range"))
    sheet.merges = [m for m in sheet.merges if not _intersects(_merge_rect(sheet, m), rect)]


def set_data_validation(b: Batch, req: dict) -> None:
    sheet, rect = b.grid_range(req.get("range"))
    rule = req.get("rule")
    if rule is not None and not (rule.get("condition") or {}).get("type"):
        raise RequestError("Data validation rule must have a condition type")
    shared = copy.deepcopy(rule) if rule else None  # one copy for the range: cell updates copy on write
    for r, c in iter_rect(rect):
        if shared:
            sheet.cell_for_write(r, c)["dataValidation"] = shared
        elif sheet.cell(r, c):
            sheet.cells[(r, c)].pop("dataValidation", None)
            sheet.prune(r, c)


def _sort_key(value: Any) -> tuple:
    if isinstance(value, bool):
        return (2, value)
    if isinstance(value, (int, float)):
        return (0, value)
    if isinstance(value, str):
        return (1, value.lower())
    return (3, str(value))


def sort_range(b: Batch, req: dict) -> None:
    sheet, rect = b.grid_range(req.get("range"))
    specs = req.get("sortSpecs") or [{"dimensionIndex": rect.c0, "sortOrder": "ASCENDING"}]
    renderer = Renderer(b.book)
    rows = []
    for r in range(rect.r0, rect.r1):
        keys = []
        for spec in specs:
            col = int(spec.get("dimensionIndex", 0) or 0)
            try:
                keys.append(renderer.effective(sheet, r, col))
            except Unsupported:
                keys.append(sheet.cells[(r, col)]["userEnteredValue"]["formulaValue"])
        cells = {c: sheet.cells.pop((r, c)) for c in range(rect.c0, rect.c1) if (r, c) in sheet.cells}
        rows.append((keys, cells))
    order = list(range(len(rows)))
    for k in reversed(range(len(specs))):
        descending = specs[k].get("sortOrder") == "DESCENDING"
        filled = [i for i in order if rows[i][0][k] not in (None, "")]
        blanks = [i for i in order if rows[i][0][k] in (None, "")]  # blanks stay last
        filled.sort(key=lambda i: _sort_key(rows[i][0][k]), reverse=descending)
        order = filled + blanks
    for new_r, i in enumerate(order):
        for c, cell in rows[i][1].items():
            sheet.cells[(rect.r0 + new_r, c)] = cell


# ---------------------------------------------------------------------------
# sheets


def add_sheet(b: Batch, req: dict) -> dict:
    props = copy.deepcopy(req.get("properties") or {})
    title = props.get("title")
    if title is not None and b.book.sheet_by_title(title) is not None:
        raise RequestError(f'A sheet with the name "{title}" already exists. Please enter another name.')
    if "sheetId" in props and b.book.sheet_by_id(props["sheetId"]) is not None:
        raise RequestError(f"A sheet with id {props['sheetId']} already exists.")
    grid = props.get("gridProperties") or {}
    sheet = b.book.add_sheet(
        title,
        props.get("sheetId"),
        props.get("index"),
        int(grid.get("rowCount", DEFAULT_ROWS)),
        int(grid.get("columnCount", DEFAULT_COLS)),
    )
    for key in ("frozenRowCount", "frozenColumnCount", "hideGridlines"):
        if grid.get(key):
            sheet.grid[key] = grid[key]
    for key in ("hidden", "tabColor", "rightToLeft"):
        if props.get(key):
            sheet.props[key] = props[key]
    if props.get("tabColorStyle", {}).get("rgbColor") and "tabColor" not in sheet.props:
        sheet.props["tabColor"] = props["tabColorStyle"]["rgbColor"]
    if "tabColor" in sheet.props:
        sheet.props["tabColor"] = norm_color(sheet.props["tabColor"])
    return {"addSheet": {"properties": sheet.properties_json(b.book.index_of(sheet))}}


def delete_sheet(b: Batch, req: dict) -> None:
    sheet = b.sheet(req.get("sheetId"))
    if sum(1 for s in b.book.sheets if not s.hidden and s is not sheet) == 0:
        raise RequestError("You can't remove all the sheets in a document.")
    b.book.sheets.remove(sheet)


def duplicate_sheet(b: Batch, req: dict) -> dict:
    source = b.sheet(req.get("sourceSheetId"))
    title = req.get("newSheetName") or f"Copy of {source.title}"
    if b.book.sheet_by_title(title) is not None:
        raise RequestError(f'A sheet with the name "{title}" already exists. Please enter another name.')
    new_id = req.get("newSheetId") or b.book.new_sheet_id()
    sheet = source.copy_as(int(new_id), title)
    index = req.get("insertSheetIndex")
    if index is None or index >= len(b.book.sheets):
        b.book.sheets.append(sheet)
    else:
        b.book.sheets.insert(int(index), sheet)
    for band in sheet.banded_ranges:
        band["bandedRangeId"] = b.book.new_object_id()
    return {"duplicateSheet": {"properties": sheet.properties_json(b.book.index_of(sheet))}}


def update_sheet_properties(b: Batch, req: dict) -> None:
    props = req.get("properties") or {}
    sheet = b.sheet(props.get("sheetId", 0))
    mask = _require(req, "fields")
    new = copy.deepcopy(sheet.props)
    if "tabColorStyle" in props and "tabColor" not in props:
        props = dict(props, tabColor=props["tabColorStyle"].get("rgbColor", {}))
    mask = mask.replace("tabColorStyle", "tabColor")
    fieldmask.apply_update(new, props, mask)
    new["sheetId"] = sheet.sheet_id
    new.pop("tabColorStyle", None)
    if "tabColor" in new:
        new["tabColor"] = norm_color(new["tabColor"])
    new.setdefault("title", sheet.title)
    new.setdefault("sheetType", "GRID")
    title = new["title"]
    other = b.book.sheet_by_title(title)
    if other is not None and other is not sheet:
        raise RequestError(f'A sheet with the name "{title}" already exists. Please enter another name.')
    if not title:
        raise RequestError("The sheet name cannot be empty.")
    index = new.pop("index", None)
    grid = new.setdefault("gridProperties", {})
    rows = int(grid.get("rowCount") or sheet.row_count)
    cols = int(grid.get("columnCount") or sheet.col_count)
    if rows < 1 or cols < 1:
        raise RequestError("Sheets must have at least one row and one column.")
    if int(grid.get("frozenRowCount") or 0) >= rows and rows > 0 and grid.get("frozenRowCount"):
        raise RequestError("You can't freeze all visible rows on the sheet.")
    if new.get("hidden") and not sheet.hidden and all(s.hidden for s in b.book.sheets if s is not sheet):
        raise RequestError("You can't hide all the sheets in a document.")
    for key in ("frozenRowCount", "frozenColumnCount"):
        if not grid.get(key):
            grid.pop(key, None)
    grid["rowCount"], grid["columnCount"] = sheet.row_count, sheet.col_count
    sheet.props = new
    sheet.set_size(rows, cols)
    if index is not None and "index" in mask:
        b.book.sheets.remove(sheet)
        b.book.sheets.insert(max(0, min(int(index), len(b.book.sheets))), sheet)


def update_spreadsheet_properties(b: Batch, req: dict) -> None:
    mask = _require(req, "fields")
    props = copy.deepcopy(req.get("properties") or {})
    fieldmask.apply_update(b.book.properties, props, mask)
    for key in ("defaultFormat", "spreadsheetTheme", "iterativeCalculationSettings"):
        b.book.properties.pop(key, None)  # not persisted: reported as the defaults


def append_dimension(b: Batch, req: dict) -> None:
    sheet = b.sheet(req.get("sheetId", 0))
    length = int(req.get("length", 0))
    if length <= 0:
        raise RequestError("length must be positive")
    if req.get("dimension") == "ROWS":
        sheet.set_size(rows=sheet.row_count + length)
    elif req.get("dimension") == "COLUMNS":
        sheet.set_size(cols=sheet.col_count + length)
    else:
        raise RequestError("dimension must be ROWS or COLUMNS")


def insert_dimension(b: Batch, req: dict) -> None:
    sheet, dim, start, end = b.dimension_range(req.get("range") or {})
    size = sheet.row_count if dim == "ROWS" else sheet.col_count
    if start > size:
        raise RequestError(f"Invalid requests: startIndex {start} is after the end of the grid")
    count = end - start
    if count <= 0:
        return
    sheet.shift(dim, start, count, insert=True)
    inherit_before = bool(req.get("inheritFromBefore"))
    source = start - 1 if inherit_before else end
    if inherit_before and start == 0:
        return
    for key, cell in list(sheet.cells.items()):
        idx = key[0] if dim == "ROWS" else key[1]
        if idx != source or "userEnteredFormat" not in cell:
            continue
        for k in range(start, end):
            target = (k, key[1]) if dim == "ROWS" else (key[0], k)
            sheet.cell_for_write(*target)["userEnteredFormat"] = copy.deepcopy(cell["userEnteredFormat"])


def delete_dimension(b: Batch, req: dict) -> None:
    sheet, dim, start, end = b.dimension_range(req.get("range") or {})
    size = sheet.row_count if dim == "ROWS" else sheet.col_count
    end = min(end, size)
    if start >= end:
        return
    if start == 0 and end >= size:
        what = "rows" if dim == "ROWS" else "columns"
        raise RequestError(f"You can't delete all the {what} on the sheet.")
    sheet.shift(dim, start, end - start, insert=False)


def update_dimension_properties(b: Batch, req: dict) -> None:
    sheet, dim, start, end = b.dimension_range(req.get("range") or {})
    mask = _require(req, "fields")
    props = req.get("properties") or {}
    meta = sheet.row_meta if dim == "ROWS" else sheet.col_meta
    size = sheet.row_count if dim == "ROWS" else sheet.col_count
    for i in range(start, min(end, size)):
        entry = meta.setdefault(i, {})
        fieldmask.apply_update(entry, props, mask)
        for key in list(entry):
            if key not in ("pixelSize", "hiddenByUser"):
                del entry[key]
        if not entry.get("hiddenByUser"):
            entry.pop("hiddenByUser", None)
        if not entry:
            del meta[i]


def auto_resize_dimensions(b: Batch, req: dict) -> None:
    dims = req.get("dimensions")
    if not dims:
        raise RequestError("dimensions must be set")
    sheet, dim, start, end = b.dimension_range(dims)
    renderer = Renderer(b.book)
    widths: dict[int, int] = {}
    for (r, c), cell in sheet.cells.items():
        if "userEnteredValue" not in cell:
            continue
        idx = c if dim == "COLUMNS" else r
        if not start <= idx < end:
            continue
        text = str(renderer.render(sheet, r, c))
        if dim == "COLUMNS":
            size = 7 * max((len(line) for line in text.split("\n")), default=0) + 10
        else:
            size = 21 * max(1, text.count("\n") + 1)
        widths[idx] = max(widths.get(idx, 0), size)
    meta = sheet.col_meta if dim == "COLUMNS" else sheet.row_meta
    for idx in range(start, end):
        if idx in widths:
            meta.setdefault(idx, {})["pixelSize"] = max(widths[idx], 21 if dim == "ROWS" else 20)


# ---------------------------------------------------------------------------
# sheet-level objects


def _rule_sheet(b: Batch, rule: dict) -> Sheet:
    ranges = rule.get("ranges") or []
    if not ranges:
        raise RequestError("A conditional format rule needs at least one range")
    sheet = b.sheet(ranges[0].get("sheetId", 0))
    for gr in ranges:
        if int(gr.get("sheetId", 0) or 0) != sheet.sheet_id:
            raise RequestError("All ranges of a conditional format rule must be on one sheet")
        b.grid_range(gr)
    if not rule.get("booleanRule") and not rule.get("gradientRule"):
        raise RequestError("A conditional format rule needs a booleanRule or a gradientRule")
    return sheet


def _norm_rule(rule: dict) -> dict:
    rule = copy.deepcopy(rule)
    fmt = (rule.get("booleanRule") or {}).get("format")
    if fmt:
        rule["booleanRule"]["format"] = normalize_format(fmt)
    return rule


def add_conditional_format_rule(b: Batch, req: dict) -> None:
    rule = req.get("rule") or {}
    sheet = _rule_sheet(b, rule)
    index = int(req.get("index", 0) or 0)
    sheet.conditional_formats.insert(min(index, len(sheet.conditional_formats)), _norm_rule(rule))


def update_conditional_format_rule(b: Batch, req: dict) -> dict:
    sheet = b.sheet(req.get("sheetId", 0))
    index = int(req.get("index", 0) or 0)
    if not 0 <= index < len(sheet.conditional_formats):
        raise RequestError(f"No conditional format on sheet: {sheet.sheet_id} at index: {index}")
    old = sheet.conditional_formats[index]
    if "rule" in req:
        _rule_sheet(b, req["rule"])
        new = _norm_rule(req["rule"])
        sheet.conditional_formats[index] = new
        return {"updateConditionalFormatRule": {"newRule": new, "oldRule": old, "newIndex": index, "oldIndex": index}}
    new_index = int(req.get("newIndex", index))
    sheet.conditional_formats.pop(index)
    sheet.conditional_formats.insert(new_index, old)
    return {"updateConditionalFormatRule": {"newRule": old, "oldRule": old, "newIndex": new_index, "oldIndex": index}}


def delete_conditional_format_rule(b: Batch, req: dict) -> dict:
    sheet = b.sheet(req.get("sheetId", 0))
    index = int(req.get("index", 0) or 0)
    if not 0 <= index < len(sheet.conditional_formats):
        raise RequestError(f"No conditional format on sheet: {sheet.sheet_id} at index: {index}")
    return {"deleteConditionalFormatRule": {"rule": sheet.conditional_formats.pop(index)}}


def _find_by_id(b: Batch, objects: str, id_key: str, wanted: Any, missing: str) -> tuple[Sheet, int]:
    """The sheet whose list `objects` (protected_ranges, charts) holds the one whose `id_key` is `wanted`, and
    its index there; RequestError `missing` + the id when no sheet does."""
    for sheet in b.book.sheets:
        for i, obj in enumerate(getattr(sheet, objects)):
            if obj.get(id_key) == int(wanted or 0):
                return sheet, i
    raise RequestError(f"{missing}: {wanted}")


def _find_protected(b: Batch, pr_id: Any) -> tuple[Sheet, int]:
    return _find_by_id(b, "protected_ranges", "protectedRangeId", pr_id, "No protected range with id")


def add_protected_range(b: Batch, req: dict) -> dict:
    pr = copy.deepcopy(req.get("protectedRange") or {})
    if "range" not in pr and "namedRangeId" not in pr:
        raise RequestError("A protected range needs a range or a namedRangeId")
    gr = pr.get("range") or {}
    sheet, _ = b.grid_range(gr)
    gr.setdefault("sheetId", sheet.sheet_id)
    if "protectedRangeId" not in pr:
        pr["protectedRangeId"] = b.book.new_object_id()
    if not pr.get("warningOnly"):
        pr.setdefault("requestingUserCanEdit", True)
        if b.requester:
            pr.setdefault("editors", {"users": [b.requester]})
    sheet.protected_ranges.append(pr)
    return {"addProtectedRange": {"protectedRange": copy.deepcopy(pr)}}


def update_protected_range(b: Batch, req: dict) -> None:
    pr = req.get("protectedRange") or {}
    sheet, i = _find_protected(b, pr.get("protectedRangeId"))
    current = sheet.protected_ranges[i]
    fieldmask.apply_update(current, pr, _require(req, "fields"))
    current["protectedRangeId"] = int(pr["protectedRangeId"])


def delete_protected_range(b: Batch, req: dict) -> None:
    sheet, i = _find_protected(b, req.get("protectedRangeId"))
    sheet.protected_ranges.pop(i)


def _find_chart(b: Batch, chart_id: Any) -> tuple[Sheet, int]:
    return _find_by_id(b, "charts", "chartId", chart_id, "No embedded object with id")


def add_chart(b: Batch, req: dict) -> dict:
    chart = copy.deepcopy(req.get("chart") or {})
    if not chart.get("spec"):
        raise RequestError("A chart needs a spec")
    position = chart.setdefault("position", {"newSheet": True})
    if position.get("newSheet"):
        sheet = b.book.add_sheet(chart["spec"].get("title") or None)
        sheet.props["sheetType"] = "OBJECT"
        position.clear()
        position["sheetId"] = sheet.sheet_id
    elif "sheetId" in position:
        sheet = b.sheet(position["sheetId"])
    else:
        anchor = (position.get("overlayPosition") or {}).get("anchorCell") or {}
        sheet = b.sheet(anchor.get("sheetId", 0))
    if "chartId" not in chart:
        chart["chartId"] = b.book.new_object_id()
    sheet.charts.append(chart)
    return {"addChart": {"chart": copy.deepcopy(chart)}}


def update_chart_spec(b: Batch, req: dict) -> None:
    sheet, i = _find_chart(b, req.get("chartId"))
    if not req.get("spec"):
        raise RequestError("spec must be set")
    sheet.charts[i]["spec"] = copy.deepcopy(req["spec"])


def delete_embedded_object(b: Batch, req: dict) -> None:
    sheet, i = _find_chart(b, req.get("objectId"))
    sheet.charts.pop(i)


def set_basic_filter(b: Batch, req: dict) -> None:
    flt = copy.deepcopy(req.get("filter") or {})
    sheet, _ = b.grid_range(flt.get("range"))
    sheet.basic_filter = flt


def clear_basic_filter(b: Batch, req: dict) -> None:
    b.sheet(req.get("sheetId", 0)).basic_filter = None


def add_banding(b: Batch, req: dict) -> dict:
    band = copy.deepcopy(req.get("bandedRange") or {})
    sheet, _ = b.grid_range(band.get("range"))
    band.setdefault("bandedRangeId", b.book.new_object_id())
    sheet.banded_ranges.append(band)
    return {"addBanding": {"bandedRange": copy.deepcopy(band)}}


def delete_banding(b: Batch, req: dict) -> None:
    target = int(req.get("bandedRangeId", 0) or 0)
    for sheet in b.book.sheets:
        for i, band in enumerate(sheet.banded_ranges):
            if band.get("bandedRangeId") == target:
                sheet.banded_ranges.pop(i)
                return
    raise RequestError(f"No banded range with id: {target}")


def add_named_range(b: Batch, req: dict) -> dict:
    nr = copy.deepcopy(req.get("namedRange") or {})
    if not nr.get("name"):
        raise RequestError("A named range needs a name")
    if any(x.get("name") == nr["name"] for x in b.book.named_ranges):
        raise RequestError(f"A named range with the name {nr['name']} already exists.")
    b.grid_range(nr.get("range"))
    nr.setdefault("namedRangeId", f"emu{b.book.new_object_id()}")
    b.book.named_ranges.append(nr)
    return {"addNamedRange": {"namedRange": copy.deepcopy(nr)}}


def delete_named_range(b: Batch, req: dict) -> None:
    before = len(b.book.named_ranges)
    b.book.named_ranges = [x for x in b.book.named_ranges if x.get("namedRangeId") != req.get("namedRangeId")]
    if len(b.book.named_ranges) == before:
        raise RequestError(f"No named range with id: {req.get('namedRangeId')}")


def _require(req: dict, key: str) -> Any:
    if req.get(key) in (None, ""):
        raise RequestError(f"At least one field must be specified in '{key}'.")
    return req[key]


HANDLERS: dict[str, Callable[[Batch, dict], Optional[dict]]] = {
    "addSheet": add_sheet,
    "deleteSheet": delete_sheet,
    "duplicateSheet": duplicate_sheet,
    "updateSheetProperties": update_sheet_properties,
    "updateSpreadsheetProperties": update_spreadsheet_properties,
    "repeatCell": repeat_cell,
    "updateCells": update_cells,
    "appendCells": append_cells,
    "updateBorders": update_borders,
    "mergeCells": merge_cells,
    "unmergeCells": unmerge_cells,
    "setDataValidation": set_data_validation,
    "sortRange": sort_range,
    "addConditionalFormatRule": add_conditional_format_rule,
    "updateConditionalFormatRule": update_conditional_format_rule,
    "deleteConditionalFormatRule": delete_conditional_format_rule,
    "addProtectedRange": add_protected_range,
    "updateProtectedRange": update_protected_range,
    "deleteProtectedRange": delete_protected_range,
    "addChart": add_chart,
    "updateChartSpec": update_chart_spec,
    "deleteEmbeddedObject": delete_embedded_object,
    "updateDimensionProperties": update_dimension_properties,
    "autoResizeDimensions": auto_resize_dimensions,
    "appendDimension": append_dimension,
    "insertDimension": insert_dimension,
    "deleteDimension": delete_dimension,
    "setBasicFilter": set_basic_filter,
    "clearBasicFilter": clear_basic_filter,
    "addBanding": add_banding,
    "deleteBanding": delete_banding,
    "addNamedRange": add_named_range,
    "deleteNamedRange": delete_named_range,
}

SUPPORTED_KINDS = tuple(sorted(HANDLERS))


def _request_schema(kind: str) -> str:
    return discovery.sheets()["schemas"]["Request"][kind][1:]


def check_request(i: int, kind: str, payload: dict) -> None:
    """Refuse what request ``i`` asks for that the emulator does not implement (nothing is applied)."""
    if kind not in HANDLERS:
        raise ApiError(
            400, f"Invalid requests[{i}].{kind}: the local Sheets emulator does not implement this request kind."
        )
    schema = _request_schema(kind)
    masked = support.MASKED.get(schema)
    if masked and payload.get("fields"):
        bad = checks.mask_errors(fieldmask.parse(payload["fields"]), masked[1])
        if bad:
            raise ApiError(
                400,
                f"Invalid requests[{i}].{kind}: 'fields' names {', '.join(repr(b) for b in bad)}, "
                f"which {masked[1]} does not have.",
            )
    try:
        support.check(payload, schema)
    except support.Unsupported as exc:
        raise ApiError(
            400, f"Invalid requests[{i}].{kind}: the local Sheets emulator does not implement {exc}."
        ) from None


def apply(book: Spreadsheet, body: dict, requester: Optional[str] = None) -> list[dict]:
    """Run the requests of a batchUpdate body in order against ``book``.

    The body is read as Google reads it (unknown names refused, see :mod:`.checks`), then every request
    is checked for what the emulator does not implement (:mod:`.support`) before any is applied. The
    caller passes a copy and keeps it only when this returns.
    """
    body = checks.parse_body(body, "BatchUpdateSpreadsheetRequest")
    try:
        support.check({k: v for k, v in body.items() if k != "requests"}, "BatchUpdateSpreadsheetRequest")
    except support.Unsupported as exc:
        raise ApiError(400, f"The local Sheets emulator does not implement {exc}.") from None
    requests = body.get("requests")
    if not requests:
        raise ApiError(400, "Invalid requests: at least one request must be specified.")
    kinds = []
    for i, req in enumerate(requests):
        if not req:
            raise ApiError(400, f"Invalid requests[{i}]: No request set.")
        kind, payload = next(iter(req.items()))
        check_request(i, kind, payload)
        kinds.append((kind, payload))
    batch = Batch(book, requester)
    replies = []
    for i, (kind, payload) in enumerate(kinds):
        try:
            reply = HANDLERS[kind](batch, payload)
        except RequestError as exc:
            raise ApiError(400, f"Invalid requests[{i}].{kind}: {exc}") from None
        except (TypeError, ValueError, KeyError) as exc:
            raise ApiError(400, f"Invalid requests[{i}].{kind}: {exc}") from None
        replies.append(reply or {})
    return replies
