"""`init`: the tabs, headers, notes, validations, protections, colours and charts, as one batchUpdate.

Only what is missing is added (detected from the spreadsheet's metadata and the input
tabs' first rows), so running it again sends nothing. The empty "Sheet1" a new spreadsheet
comes with is deleted in the same batchUpdate; a tab with anything in it is never deleted. Nothing
finance typed is changed: a missing header is appended after the last one, a missing Settings row after the last
row, a missing note or validation only where the column has none.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from chalicelib.domain.organisation import Organisation, Settings
from chalicelib.sheet import cells, grid, layout
from chalicelib.sheet.grid import SheetInfo
from chalicelib.sheet.inputs import locate, org_rows
from chalicelib.sheet.render import Cells, number_formats

INPUT_ROWS = 1000
SETTINGS_ROWS = 100
INPUT_TAB_COLOUR = {"red": 0.204, "green": 0.659, "blue": 0.325}
OUTPUT_TAB_COLOUR = {"red": 0.259, "green": 0.522, "blue": 0.957}
LOG_TAB_COLOUR = {"red": 0.6, "green": 0.6, "blue": 0.6}
MIN_ROWS = {layout.DASHBOARD: 60}
DEFAULT_TAB = "Sheet1"  # the tab a new Google spreadsheet comes with; removed by init only while empty
_KIND_FORMAT = {"money": "money", "cpu": "cpu", "fraction": "pct", "number": "num"}
SYNC_LOG_WORDS = {"ok": layout.COLOURS["green"], "bad cells": layout.COLOURS["yellow"]}


@dataclass
class InitPlan:
    requests: list = field(default_factory=list)
    created: list = field(default_factory=list)  # tab titles
    changes: list = field(default_factory=list)  # what else is added, in words


def stray_default_tab(existing: dict) -> Optional[SheetInfo]:
    """The empty-looking "Sheet1" a new Google spreadsheet comes with, if it is there and is not ours."""
    info = existing.get(DEFAULT_TAB)
    if info is None or DEFAULT_TAB in layout.ALL_TABS or info.charts:
        return None
    return info


def grid_ranges(existing: dict) -> list:
    """A1 ranges whose grid data (values, notes, validations) `plan` needs: existing input tabs' first
    rows, and the whole of a stray default tab (to see that it is empty before removing it)."""
    out = [cells.quote_title(DEFAULT_TAB)] if stray_default_tab(existing) is not None else []
    for tab in layout.INPUT_TABS:
        if tab.title in existing:
            rows = SETTINGS_ROWS if tab.title == layout.SETTINGS else 2
            out.append(
                f"{cells.quote_title(tab.title)}!A1:{cells.col_letters(max(existing[tab.title].columns, 1) - 1)}"
                f"{min(rows, max(existing[tab.title].rows, 1))}"
            )
    return out


def grid_rows(metadata: dict) -> dict:
    """title -> rows of CellData from a metadata answer fetched with includeGridData."""
    out = {}
    for s in metadata.get("sheets") or []:
        title = (s.get("properties") or {}).get("title", "")
        rows: list = []
        for block in s.get("data") or []:
            r0 = int(block.get("startRow", 0) or 0)
            for i, rd in enumerate(block.get("rowData") or []):
                while len(rows) <= r0 + i:
                    rows.append([])
                rows[r0 + i] = list(rd.get("values") or [])
        out[title] = rows
    return out


def _plain(cell: dict):
    v = (cell or {}).get("userEnteredValue") or {}
    for k in ("stringValue", "numberValue", "boolValue", "formulaValue"):
        if k in v:
            return v[k]
    return None


def header_cell(c: Cells, col: layout.Column) -> dict:
    cell = c.v(col.header, bold=True, background=layout.HEADER_BACKGROUND)
    cell["note"] = col.note + (" Required." if col.required else "")
    return cell


def plan(metadata: dict, grid_data: dict, editor: str, org: Optional[Organisation] = None) -> InitPlan:
    """`org`: the stored configuration; a created input tab is filled with its rows (Settings: its values)."""
    org = org or Organisation()
    settings = org.settings
    c = Cells(settings.currency)
    sheets = grid.sheets_of(metadata)
    used_ids = {s.sheet_id for s in sheets.values()}
    result = InitPlan()
    position = 0
    next_id = 100
    for title in layout.TAB_ORDER:
        info = sheets.get(title)
        if info is None:
            while next_id in used_ids:
                next_id += 1
            used_ids.add(next_id)
            info = _add_tab(result, title, next_id, position, c, org, editor)
            result.created.append(title)
        elif title in layout.INPUT_BY_TITLE:
            _complete_input(result, info, grid_data.get(title) or [], c, settings)
            _complete_common(result, info)
        else:
            _complete_output(result, info, editor)
            _complete_common(result, info)
        position += 1
    _remove_stray_default_tab(result, sheets, grid_data)
    return result


def _remove_stray_default_tab(result: InitPlan, sheets: dict, grid_data: dict) -> None:
    """Delete "Sheet1" when it is not one of ours and holds nothing (no value, no note, no chart).

    Only when its grid data was read (`grid_ranges` asks for it): a tab not read is never deleted.
    Goes last in the batchUpdate, after the tabs it adds, so the spreadsheet is never left empty.
    """
    info = stray_default_tab(sheets)
    if info is None or DEFAULT_TAB not in grid_data:
        return
    for row in grid_data[DEFAULT_TAB]:
        for cell in row:
            if _plain(cell) not in (None, "") or (cell or {}).get("note"):
                return
    result.requests.append({"deleteSheet": {"sheetId": info.sheet_id}})
    result.changes.append(f"removed the empty {DEFAULT_TAB!r} tab")


def _frozen(title: str) -> int:
    out = layout.OUTPUT_BY_TITLE.get(title)
    return out.frozen_rows if out is not None else 1


def _add_tab(
    result: InitPlan, title: str, sheet_id: int, index: int, c: Cells, org: Organisation, editor: str
) -> SheetInfo:
    reqs = result.requests
    settings = org.settings
    tab_in = layout.INPUT_BY_TITLE.get(title)
    tab_out = layout.OUTPUT_BY_TITLE.get(title)
    data = org_rows(tab_in, org) if tab_in is not None else []
    if tab_in is not None:
        rows = SETTINGS_ROWS if title == layout.SETTINGS else max(INPUT_ROWS, len(data) + 100)
        columns = max(len(tab_in.columns) + 4, 8)
        colour = INPUT_TAB_COLOUR
    elif tab_out is not None:
        rows = max(MIN_ROWS.get(title, 2), tab_out.frozen_rows + 1)
        columns = tab_out.columns
        colour = LOG_TAB_COLOUR if title == layout.SYNC_LOG else OUTPUT_TAB_COLOUR
    else:
        raise ValueError(f"{title!r} is not a tab of the layout")
    frozen = _frozen(title)
    gp: dict = {"rowCount": rows, "columnCount": columns}
    if frozen:
        gp["frozenRowCount"] = frozen
    reqs.append(
        {
            "addSheet": {
                "properties": {
                    "sheetId": sheet_id,
                    "title": title,
                    "index": index,
                    "gridProperties": gp,
                    "tabColor": colour,
                }
            }
        }
    )
    info = SheetInfo(sheet_id, title, index, rows, columns, frozen)
    if tab_in is not None:
        reqs.append(
            grid.update_cells(
                sheet_id,
                0,
                0,
                [[header_cell(c, col) for col in tab_in.columns]],
                "userEnteredValue,userEnteredFormat,note",
            )
        )
        reqs.extend(grid.column_widths(sheet_id, [col.width for col in tab_in.columns]))
        if title == layout.SETTINGS:
            _settings_rows(reqs, sheet_id, 1, layout.SETTING_ROWS, {"label": 0, "value": 1, "meaning": 2}, c, settings)
        else:
            if data:
                reqs.append(
                    grid.update_cells(
                        sheet_id,
                        1,
                        0,
                        [
                            [
                                c.v(v, _KIND_FORMAT.get(col.kind, "text"))
                                for v, col in zip(row, tab_in.columns, strict=False)
                            ]
                            for row in data
                        ],
                    )
                )
            for i, col in enumerate(tab_in.columns):
                rule = grid.validation_rule(col.kind, col.choices, col.note)
                if rule:
                    reqs.append(grid.set_validation(sheet_id, 1, rows, i, rule))
    elif tab_out is not None:
        reqs.extend(grid.column_widths(sheet_id, tab_out.widths))
        _complete_output(result, info, editor, quiet=True)
    return info


def _settings_rows(reqs: list, sheet_id: int, r0: int, specs, columns: dict, c: Cells, settings: Settings) -> None:
    formats = number_formats(settings.currency)
    kind_format = {
        "fraction": {"type": "PERCENT", "pattern": "0.0#%"},  # "0.##%" shows 20 % as "20.%"
        "money": formats["money"],
        "integer": formats["int"],
    }
    width = max(columns.values()) + 1
    rows = []
    for spec in specs:
        row: list[dict] = [{} for _ in range(width)]
        row[columns["label"]] = c.v(spec.label, bold=True)
        value = cells.to_sheet(getattr(settings, spec.field))
        cell = c.v(value)
        if spec.kind in kind_format and value not in ("", None):
            cell["userEnteredFormat"] = {"numberFormat": kind_format[spec.kind]}
        row[columns["value"]] = cell
        if "meaning" in columns:
            row[columns["meaning"]] = c.v(spec.note, italic=True)
        rows.append(row)
    reqs.append(grid.update_cells(sheet_id, r0, 0, rows))
    for i, spec in enumerate(specs):
        rule = grid.validation_rule(spec.kind, (), spec.note)
        if rule:
            reqs.append(grid.set_validation(sheet_id, r0 + i, r0 + i + 1, columns["value"], rule))


def _complete_common(result: InitPlan, info: SheetInfo) -> None:
    frozen = _frozen(info.title)
    if frozen and info.frozen_rows == 0 and info.rows > frozen:
        result.requests.append(
            {
                "updateSheetProperties": {
                    "properties": {"sheetId": info.sheet_id, "gridProperties": {"frozenRowCount": frozen}},
                    "fields": "gridProperties.frozenRowCount",
                }
            }
        )
        result.changes.append(f"{info.title}: header row frozen")


def _complete_input(result: InitPlan, info: SheetInfo, rows: list, c: Cells, settings: Settings) -> None:
    tab = layout.INPUT_BY_TITLE[info.title]
    reqs = result.requests
    values = [[_plain(x) for x in row] for row in rows]
    where = locate(tab, values)
    if not values or all(cells.is_blank(v) for v in values[0]):
        where.next_column = 0
    added = list(where.missing)
    if added:
        append_missing_headers(reqs, info, tab, where, c)
        result.changes.append(f"{info.title}: added column(s) {', '.join(c.header for c in added)}")
    header = rows[0] if rows else []
    second = rows[1] if len(rows) > 1 else []
    for col in tab.columns:
        j = where.columns.get(col.field)
        if j is None or col in added:
            continue
        cell = header[j] if j < len(header) else {}
        if not (cell or {}).get("note"):
            reqs.append(grid.update_cells(info.sheet_id, 0, j, [[{"note": col.note}]], "note"))
            result.changes.append(f"{info.title}: note on {col.header!r}")
        if tab.title == layout.SETTINGS:
            continue
        rule = grid.validation_rule(col.kind, col.choices, col.note)
        below = second[j] if j < len(second) else {}
        if rule and not (below or {}).get("dataValidation") and info.rows > 1:
            reqs.append(grid.set_validation(info.sheet_id, 1, info.rows, j, rule))
            result.changes.append(f"{info.title}: validation on {col.header!r}")
    if tab.title == layout.SETTINGS:
        present = set()
        label_col = where.columns.get("label", 0)
        for v in values[1:]:
            spec = (
                layout.setting_by_label(v[label_col])
                if len(v) > label_col and not cells.is_blank(v[label_col])
                else None
            )
            if spec is not None:
                present.add(spec.field)
        missing = [s for s in layout.SETTING_ROWS if s.field not in present]
        if missing:
            append_settings_rows(reqs, info, where, missing, c, settings)
            result.changes.append(f"Settings: added row(s) {', '.join(s.label for s in missing)}")


def append_missing_headers(reqs: list, info: SheetInfo, tab: layout.InputTab, where, c: Cells) -> None:
    """Missing headers go after the last header, with their note and validation; `where` learns them."""
    need = where.next_column + len(where.missing)
    if need > info.columns:
        reqs.append(grid.append_dimension(info.sheet_id, "COLUMNS", need - info.columns))
        info.columns = need
    reqs.append(
        grid.update_cells(
            info.sheet_id,
            0,
            where.next_column,
            [[header_cell(c, col) for col in where.missing]],
            "userEnteredValue,userEnteredFormat,note",
        )
    )
    for k, col in enumerate(where.missing):
        rule = grid.validation_rule(col.kind, col.choices, col.note)
        if rule and tab.title != layout.SETTINGS and info.rows > 1:
            reqs.append(grid.set_validation(info.sheet_id, 1, info.rows, where.next_column + k, rule))
        where.columns[col.field] = where.next_column + k
    where.next_column = need
    where.missing = []


def append_rows(reqs: list, info: SheetInfo, where, rows: list) -> None:
    """Rows appended after the last row holding a value (Google grows the grid as needed)."""
    reqs.append(grid.append_cells(info.sheet_id, rows))
    where.next_row += len(rows)
    info.rows = max(info.rows, where.next_row)


def append_settings_rows(reqs: list, info: SheetInfo, where, specs, c: Cells, settings: Settings) -> None:
    columns = {k: where.columns[k] for k in ("label", "value", "meaning") if k in where.columns}
    r0 = max(where.next_row, 1)
    where.next_row = r0
    need = r0 + len(specs)
    if need > info.rows:
        reqs.append(grid.append_dimension(info.sheet_id, "ROWS", need - info.rows))
        info.rows = need
    _settings_rows(reqs, info.sheet_id, r0, specs, columns, c, settings)
    where.next_row = need


def _complete_output(result: InitPlan, info: SheetInfo, editor: str, quiet: bool = False) -> None:
    tab = layout.OUTPUT_BY_TITLE[info.title]
    reqs = result.requests
    if not grid.is_protected(info):
        reqs.append(grid.protect(info.sheet_id, editor))
        if not quiet:
            result.changes.append(f"{info.title}: protected")
    words = {w: layout.COLOURS[w] for w in ("green", "yellow", "red", "critical")}
    rules = [(col, words) for col in tab.colour_columns]
    if tab.title == layout.SYNC_LOG:
        rules.append((1, SYNC_LOG_WORDS))
    for col, table in rules:
        missing = {w: v for w, v in table.items() if not grid.has_colour_rule(info, col, w)}
        if missing:
            reqs.extend(grid.colour_rules(info.sheet_id, col, missing))
            if not quiet:
                result.changes.append(f"{info.title}: colours on column {cells.col_letters(col)}")
    if tab.charts:
        have = set(grid.charts_by_title(info))
        missing_titles = set(layout.DASH_CHARTS) - have
        if missing_titles:
            specs = grid.chart_specs(info.sheet_id, 2, 8, layout.UNIT_WEEKS + 1)
            reqs.extend(grid.add_charts(info.sheet_id, specs, missing_titles))
            if not quiet:
                result.changes.append(f"{info.title}: chart(s) {', '.join(sorted(missing_titles))}")
