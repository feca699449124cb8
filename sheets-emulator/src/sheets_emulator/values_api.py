"""``spreadsheets.values.*``: get, batchGet, update, batchUpdate, append, clear,
batchClear — answering with the shapes, trimming and counts Sheets uses."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Optional

from .a1 import Rect, col_to_letters, format_open_range, format_range, parse_a1
from .errors import ApiError
from .formulas import FUNCTIONS, unsupported_part
from .model import Sheet, Spreadsheet
from .values import Renderer, parse_raw, parse_user_entered

INPUT_OPTIONS = ("RAW", "USER_ENTERED")
RENDER_OPTIONS = ("FORMATTED_VALUE", "UNFORMATTED_VALUE", "FORMULA")
DATETIME_OPTIONS = ("SERIAL_NUMBER", "FORMATTED_STRING")
DIMENSIONS = ("ROWS", "COLUMNS")


@dataclass
class Target:
    sheet: Sheet
    rect: Rect  # unclipped, as written in the request
    whole_sheet: bool
    text: str


_R1C1 = re.compile(r"(?:.+!)?R\d*C\d*(?::R\d*C\d*)?", re.IGNORECASE)


def resolve(book: Spreadsheet, a1: str) -> Target:
    try:
        parsed = parse_a1(a1, book.titles())
    except ApiError:
        # Sheets reads these; the emulator does not: say so rather than call them unparseable
        if any(nr.get("name") == a1.strip() for nr in book.named_ranges):
            raise ApiError(
                400, f"The local Sheets emulator does not implement named ranges as ranges ({a1})."
            ) from None
        if _R1C1.fullmatch(a1.strip()):
            raise ApiError(400, f"The local Sheets emulator does not implement R1C1 notation ({a1}).") from None
        raise
    sheet = book.sheet_by_title(parsed.sheet_title) if parsed.sheet_title else book.sheets[0]
    return Target(sheet, parsed.rect, parsed.whole_sheet, a1)


def grid_error(sheet: Sheet, rect: Rect) -> ApiError:
    return ApiError(
        400,
        f"Range ({format_open_range(sheet.title, rect)}) exceeds grid limits. "
        f"Max rows: {sheet.row_count}, max columns: {sheet.col_count}",
    )


def check_grid(t: Target) -> None:
    """Sheets refuses a range that starts outside the grid, or whose stated end
    lies outside it (it names the end cell then); open ends are fine."""
    sheet, r = t.sheet, t.rect
    rows, cols = sheet.row_count, sheet.col_count
    if r.r0 >= rows or r.c0 >= cols:
        raise grid_error(sheet, r)
    if (r.r1 is not None and r.r1 > rows) or (r.c1 is not None and r.c1 > cols):
        if r.r1 is not None and r.c1 is not None:
            raise grid_error(sheet, Rect(r.r1 - 1, r.c1 - 1, r.r1, r.c1))
        raise grid_error(sheet, r)


def _clip_for_read(t: Target) -> Rect:
    check_grid(t)
    return t.rect.clipped(t.sheet.row_count, t.sheet.col_count)


def _option(value: Optional[str], allowed: tuple, default: str, name: str) -> str:
    """An enum option; unset (or ``*_UNSPECIFIED``, which Sheets reads as unset) is the default."""
    if value in (None, "") or str(value).endswith("_UNSPECIFIED"):
        return default
    if value not in allowed:
        raise ApiError(400, f"Invalid value at '{name}' ({value})")
    return value


# ---------------------------------------------------------------------------
# reading


def read(
    book: Spreadsheet,
    a1: str,
    *,
    major: Optional[str] = None,
    render: Optional[str] = None,
    dt_render: Optional[str] = None,
    renderer: Optional[Renderer] = None,
) -> dict:
    major = _option(major, DIMENSIONS, "ROWS", "major_dimension")
    render = _option(render, RENDER_OPTIONS, "FORMATTED_VALUE", "value_render_option")
    dt_render = _option(dt_render, DATETIME_OPTIONS, "SERIAL_NUMBER", "date_time_render_option")
    renderer = renderer or Renderer(book)
    t = resolve(book, a1)
    rect = _clip_for_read(t)
    out: dict[str, Any] = {"range": format_range(t.sheet.title, rect), "majorDimension": major}
    values = range_values(t.sheet, rect, major, render, dt_render, renderer)
    if values:
        out["values"] = values
    return out


def range_values(
    sheet: Sheet, rect: Rect, major: str, render: str, dt_render: str, renderer: Renderer
) -> list[list[Any]]:
    """Values in a bounded rect: trailing empty cells and lines trimmed,
    blank lines inside kept as ``[]``."""
    lines: dict[int, dict[int, Any]] = {}
    for (r, c), cell in sheet.cells.items():
        if "userEnteredValue" not in cell or not rect.contains(r, c):
            continue
        value = renderer.render(sheet, r, c, render, dt_render)
        if value == "":
            continue
        if major == "ROWS":
            lines.setdefault(r - rect.r0, {})[c - rect.c0] = value
        else:
            lines.setdefault(c - rect.c0, {})[r - rect.r0] = value
    if not lines:
        return []
    out = []
    for i in range(max(lines) + 1):
        line = lines.get(i)
        if not line:
            out.append([])
            continue
        out.append([line.get(j, "") for j in range(max(line) + 1)])
    return out


def batch_read(book: Spreadsheet, ranges: list[str], **options) -> dict:
    renderer = Renderer(book)
    out: dict[str, Any] = {"spreadsheetId": book.id}
    if ranges:
        out["valueRanges"] = [read(book, a1, renderer=renderer, **options) for a1 in ranges]
    return out


# ---------------------------------------------------------------------------
# writing


@dataclass
class PlannedWrite:
    target: Target
    start_row: int
    start_col: int
    grid: list[list[Any]]  # row-major, ragged
    input_option: str


def _as_grid(values: Any, major: str) -> list[list[Any]]:
    if values is None:
        return []
    if not isinstance(values, list):
        raise ApiError(
            400, f"Invalid value at 'data.values' (type.googleapis.com/google.protobuf.ListValue), {json.dumps(values)}"
        )
    for i, row in enumerate(values):
        if not isinstance(row, list):
            raise ApiError(
                400,
                f"Invalid value at 'data.values[{i}]' (type.googleapis.com/"
                f"google.protobuf.ListValue), {json.dumps(row)}",
            )
        for j, v in enumerate(row):
            if isinstance(v, (list, dict)):
                kind = "list_value" if isinstance(v, list) else "struct_value"
                raise ApiError(400, f"Invalid values[{i}][{j}]: {kind} {json.dumps(v)}")
    if major == "COLUMNS":
        height = max((len(col) for col in values), default=0)
        return [[col[r] if r < len(col) else None for col in values] for r in range(height)]
    return values


def check_formulas(grid: list[list[Any]], input_option: str, where: str) -> None:
    """USER_ENTERED text that becomes a formula the emulator cannot compute is refused, not stored to
    read back as its text where Sheets would show a value."""
    if input_option != "USER_ENTERED":
        return
    for i, row in enumerate(grid):
        for j, raw in enumerate(row):
            if not (isinstance(raw, str) and raw.lstrip().startswith("=")):
                continue
            uev, _ = parse_user_entered(raw)
            formula = (uev or {}).get("formulaValue")
            part = unsupported_part(formula) if formula else None
            if part:
                raise ApiError(
                    400,
                    f"The local Sheets emulator does not implement {part} in the formula {formula} "
                    f"(values[{i}][{j}] of {where}): it computes {', '.join(sorted(FUNCTIONS))}, "
                    "arithmetic, comparisons, & and references.",
                )


def plan_write(
    book: Spreadsheet, a1: str, values: Any, major: Optional[str], input_option: Optional[str], *, strict_grid: bool
) -> PlannedWrite:
    if input_option in (None, "", "INPUT_VALUE_OPTION_UNSPECIFIED"):
        raise ApiError(400, "'valueInputOption' is required but not specified")
    input_option = _option(input_option, INPUT_OPTIONS, "RAW", "value_input_option")
    major = _option(major, DIMENSIONS, "ROWS", "major_dimension")
    t = resolve(book, a1)
    grid = _as_grid(values, major)
    nrows = len(grid)
    ncols = max((len(r) for r in grid), default=0)
    rect = t.rect
    single_cell = not t.whole_sheet and rect.r1 == rect.r0 + 1 and rect.c1 == rect.c0 + 1
    if not t.whole_sheet and not single_cell:
        if rect.r1 is not None and nrows > rect.r1 - rect.r0:
            raise ApiError(400, f"Requested writing within range [{a1}], but tried writing to row [{rect.r1 + 1}]")
        if rect.c1 is not None and ncols > rect.c1 - rect.c0:
            raise ApiError(
                400, f"Requested writing within range [{a1}], but tried writing to column [{col_to_letters(rect.c1)}]"
            )
    if strict_grid and not t.whole_sheet:
        check_grid(t)
    if strict_grid and nrows and ncols:
        rows, cols = t.sheet.row_count, t.sheet.col_count
        if rect.r0 + nrows > rows:
            raise ApiError(400, f"Requested writing within range [{a1}], but tried writing to row [{rows + 1}]")
        if rect.c0 + ncols > cols:
            raise ApiError(
                400, f"Requested writing within range [{a1}], but tried writing to column [{col_to_letters(cols)}]"
            )
    check_formulas(grid, input_option, a1)
    return PlannedWrite(t, rect.r0, rect.c0, grid, input_option)


def apply_write(book: Spreadsheet, plan: PlannedWrite) -> dict:
    sheet = plan.target.sheet
    nrows = len(plan.grid)
    ncols = max((len(r) for r in plan.grid), default=0)
    if nrows and ncols:
        sheet.set_size(max(sheet.row_count, plan.start_row + nrows), max(sheet.col_count, plan.start_col + ncols))
    rows_touched, cols_touched, cells = set(), set(), 0
    for i, row in enumerate(plan.grid):
        for j, raw in enumerate(row):
            if plan.input_option == "RAW":
                uev, nf = parse_raw(raw), None
            else:
                uev, nf = parse_user_entered(raw)
            if uev is None:
                continue
            r, c = plan.start_row + i, plan.start_col + j
            cell = sheet.cell_for_write(r, c)
            if uev:
                cell["userEnteredValue"] = uev
            else:
                cell.pop("userEnteredValue", None)
            if nf and not (cell.get("userEnteredFormat") or {}).get("numberFormat"):
                cell["userEnteredFormat"] = {**cell.get("userEnteredFormat", {}), "numberFormat": nf}
            sheet.prune(r, c)
            rows_touched.add(r)
            cols_touched.add(c)
            cells += 1
    out: dict[str, Any] = {"spreadsheetId": book.id}
    if nrows and ncols:
        out["updatedRange"] = format_range(
            sheet.title, Rect(plan.start_row, plan.start_col, plan.start_row + nrows, plan.start_col + ncols)
        )
    else:
        out["updatedRange"] = format_range(
            sheet.title, Rect(plan.start_row, plan.start_col, plan.start_row + 1, plan.start_col + 1)
        )
    if rows_touched:
        out["updatedRows"] = len(rows_touched)
        out["updatedColumns"] = len(cols_touched)
        out["updatedCells"] = cells
    out["_touched"] = (sheet.sheet_id, rows_touched, cols_touched)
    return out


def _with_data(book: Spreadsheet, reply: dict, include: Any, render: Optional[str], dt_render: Optional[str]) -> dict:
    if str(include).lower() == "true" and "updatedRange" in reply:
        reply["updatedData"] = read(book, reply["updatedRange"], render=render, dt_render=dt_render)
    return reply


def update(book: Spreadsheet, a1: str, body: dict, params: dict, *, strict_grid: bool) -> dict:
    body = body or {}
    if body.get("range"):
        asked, given = resolve(book, a1), resolve(book, body["range"])
        if asked.sheet is not given.sheet or asked.rect != given.rect or asked.whole_sheet != given.whole_sheet:
            raise ApiError(400, f"Request range[{a1}] does not match value's range[{body['range']}]")
    plan = plan_write(
        book,
        a1,
        body.get("values"),
        body.get("majorDimension"),
        params.get("valueInputOption"),
        strict_grid=strict_grid,
    )
    reply = apply_write(book, plan)
    reply.pop("_touched")
    return _with_data(
        book,
        reply,
        params.get("includeValuesInResponse"),
        params.get("responseValueRenderOption"),
        params.get("responseDateTimeRenderOption"),
    )


def batch_update(book: Spreadsheet, body: dict, *, strict_grid: bool) -> dict:
    body = body or {}
    option = body.get("valueInputOption")
    data = body.get("data") or []
    plans = [
        plan_write(
            book, vr.get("range", ""), vr.get("values"), vr.get("majorDimension"), option, strict_grid=strict_grid
        )
        for vr in data
    ]
    if not data and option in (None, "", "INPUT_VALUE_OPTION_UNSPECIFIED"):
        raise ApiError(400, "'valueInputOption' is required but not specified")
    responses = []
    rows: set = set()
    cols: set = set()
    sheets: set = set()
    cells = 0
    for plan in plans:
        reply = apply_write(book, plan)
        sheet_id, rt, ct = reply.pop("_touched")
        rows |= {(sheet_id, r) for r in rt}
        cols |= {(sheet_id, c) for c in ct}
        if rt:
            sheets.add(sheet_id)
        cells += reply.get("updatedCells", 0)
        responses.append(
            _with_data(
                book,
                reply,
                body.get("includeValuesInResponse"),
                body.get("responseValueRenderOption"),
                body.get("responseDateTimeRenderOption"),
            )
        )
    out: dict[str, Any] = {"spreadsheetId": book.id}
    if cells:
        out.update(
            {
                "totalUpdatedRows": len(rows),
                "totalUpdatedColumns": len(cols),
                "totalUpdatedCells": cells,
                "totalUpdatedSheets": len(sheets),
            }
        )
    if responses:
        out["responses"] = responses
    return out


def append(book: Spreadsheet, a1: str, body: dict, params: dict) -> dict:
    body = body or {}
    t = resolve(book, a1)
    sheet = t.sheet
    rect = t.rect.clipped(sheet.row_count, sheet.col_count)
    insert_option = params.get("insertDataOption") or "OVERWRITE"
    if insert_option not in ("OVERWRITE", "INSERT_ROWS"):
        raise ApiError(400, f"Invalid value at 'insert_data_option' ({insert_option})")
    # the "table": the data found inside the given range
    data_rows = [r for (r, c), cell in sheet.cells.items() if "userEnteredValue" in cell and rect.contains(r, c)]
    table = None
    if data_rows:
        top, bottom = min(data_rows), max(data_rows)
        data_cols = [
            c
            for (r, c), cell in sheet.cells.items()
            if "userEnteredValue" in cell and rect.contains(r, c) and top <= r <= bottom
        ]
        table = Rect(top, min(data_cols), bottom + 1, max(data_cols) + 1)
        start_row, start_col = bottom + 1, table.c0
    else:
        start_row, start_col = rect.r0, rect.c0
    if params.get("valueInputOption") in (None, "", "INPUT_VALUE_OPTION_UNSPECIFIED"):
        raise ApiError(400, "'valueInputOption' is required but not specified")
    input_option = _option(params.get("valueInputOption"), INPUT_OPTIONS, "RAW", "value_input_option")
    grid = _as_grid(body.get("values"), _option(body.get("majorDimension"), DIMENSIONS, "ROWS", "major_dimension"))
    check_formulas(grid, input_option, a1)
    nrows = len(grid)
    if insert_option == "INSERT_ROWS" and nrows and start_row < sheet.row_count:
        sheet.shift("ROWS", start_row, nrows, insert=True)
    start_a1 = format_range(sheet.title, Rect(start_row, start_col, start_row + 1, start_col + 1))
    plan = PlannedWrite(
        Target(sheet, Rect(start_row, start_col, start_row + 1, start_col + 1), False, start_a1),
        start_row,
        start_col,
        grid,
        input_option,
    )
    updates = apply_write(book, plan)
    updates.pop("_touched")
    updates = _with_data(
        book,
        updates,
        params.get("includeValuesInResponse"),
        params.get("responseValueRenderOption"),
        params.get("responseDateTimeRenderOption"),
    )
    out: dict[str, Any] = {"spreadsheetId": book.id}
    if table is not None:
        out["tableRange"] = format_range(sheet.title, table)
    out["updates"] = updates
    return out


def _clip_for_clear(t: Target) -> Rect:
    if t.rect.r0 >= t.sheet.row_count or t.rect.c0 >= t.sheet.col_count:
        raise grid_error(t.sheet, t.rect)
    return t.rect.clipped(t.sheet.row_count, t.sheet.col_count)


def clear(book: Spreadsheet, a1: str) -> str:
    t = resolve(book, a1)
    rect = _clip_for_clear(t)
    for key in [k for k, cell in t.sheet.cells.items() if "userEnteredValue" in cell and rect.contains(*k)]:
        t.sheet.cells[key].pop("userEnteredValue", None)
        t.sheet.prune(*key)
    return format_range(t.sheet.title, rect)


def batch_clear(book: Spreadsheet, body: dict) -> dict:
    ranges = (body or {}).get("ranges") or []
    for i, a1 in enumerate(ranges):  # validate everything before clearing anything
        try:
            _clip_for_clear(resolve(book, a1))
        except ApiError as exc:
            raise ApiError(400, f"Invalid range[{i}]: {exc.message}") from None
    out: dict[str, Any] = {"spreadsheetId": book.id}
    if ranges:
        out["clearedRanges"] = [clear(book, a1) for a1 in ranges]
    return out
