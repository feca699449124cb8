"""The sync's one write: every output tab replaced, plus the few additions to input tabs.

All of it goes in ONE `spreadsheets.batchUpdate`, which Google applies atomically: a
failed sync leaves the sheet exactly as it was. Per output tab the request holds a
constant number of parts whatever the number of rows:

    updateSheetProperties   grid resized to the content (old rows and columns go away)
    updateCells             every cell of the grid: values and formats (cells not given are cleared)
    repeatCell              one per formatted column of the big tables (currency, percent, ...)
    updateChartSpec         Dashboard only: the charts' ranges follow the data blocks

Input tabs only receive missing headers, missing Settings rows and newly seen unmapped
vendor keys (appended after the last row of Mappings, team and use case blank).

Size: a request should stay under about 2 MB. `fit` lowers the history kept (weeks and
months of the Unit costs, Agent P&L and pool credit tables) until the body fits
MAX_REQUEST_BYTES (env SHEET_MAX_REQUEST_BYTES); the Sync log says when it had to.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Callable, Optional, Sequence

from chalicelib.sheet import cells, grid, layout, structure
from chalicelib.sheet.grid import SheetInfo
from chalicelib.sheet.render import Cells, History, TabContent

DEFAULT_MAX_REQUEST_BYTES = 2_000_000
HISTORY_STEPS = (History(13, 13), History(8, 6), History(6, 3), History(4, 2), History(2, 1))


def max_request_bytes() -> int:
    raw = os.environ.get("SHEET_MAX_REQUEST_BYTES", "").strip()
    return int(raw) if raw else DEFAULT_MAX_REQUEST_BYTES


def encode(requests: list) -> bytes:
    """The batchUpdate body as sent: compact JSON (no spaces), UTF-8."""
    return json.dumps({"requests": requests}, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode(
        "utf-8"
    )


def body_size(requests: list) -> int:
    return len(encode(requests))


def min_rows(title: str, frozen: int) -> int:
    return max(structure.MIN_ROWS.get(title, 1), frozen + 1)


def tab_requests(content: TabContent, info: SheetInfo) -> list:
    rows = max(len(content.rows), min_rows(content.title, content.frozen_rows))
    columns = max(content.columns, max((len(r) for r in content.rows), default=0), 1)
    reqs = [
        grid.resize(info.sheet_id, rows, columns),
        grid.update_cells(info.sheet_id, 0, 0, content.rows, r1=rows, c1=columns),
    ]
    last = len(content.rows)
    for col, number_format, first in content.column_formats:
        if last > first:
            reqs.append(grid.repeat_format(info.sheet_id, first, last, col, col + 1, number_format))
    return reqs


def chart_updates(info: SheetInfo, block_rows: dict, currency: str) -> list:
    specs = grid.chart_specs(info.sheet_id, block_rows["teams"], block_rows["iceberg"], block_rows["cpu"], currency)
    existing = grid.charts_by_title(info)
    out = []
    for spec in specs:
        chart = existing.get(spec["title"])
        if chart is not None and chart.get("spec") != spec:
            out.append({"updateChartSpec": {"chartId": chart["chartId"], "spec": spec}})
    return out


@dataclass
class InputAdditions:
    requests: list
    added_headers: list  # "Tab: Header"
    added_settings: list  # setting labels
    added_keys: list  # vendor keys appended to Mappings


def input_additions(read, sheets: dict, new_keys: Sequence[tuple], settings, currency: str) -> InputAdditions:
    """Missing headers and Settings rows put back; new unmapped keys appended to Mappings."""
    c = Cells(currency)
    reqs: list = []
    headers, settings_rows, keys = [], [], []
    for tab in layout.INPUT_TABS:
        where = read.tabs.get(tab.title)
        info = sheets.get(tab.title)
        if where is None or info is None or not where.present:
            continue
        if where.missing:
            missing = list(where.missing)
            structure.append_missing_headers(reqs, info, tab, where, c)
            headers += [f"{tab.title}: {col.header}" for col in missing]
            if where.rows and tab.title != layout.SETTINGS:
                _refill(reqs, info, where, missing, c)
    where, info = read.tabs.get(layout.SETTINGS), sheets.get(layout.SETTINGS)
    if read.settings_missing and where is not None and info is not None and where.present:
        structure.append_settings_rows(reqs, info, where, read.settings_missing, c, settings)
        settings_rows = [s.label for s in read.settings_missing]
    where, info = read.tabs.get(layout.MAPPINGS), sheets.get(layout.MAPPINGS)
    if new_keys and where is not None and info is not None and where.present:
        key_col, note_col = where.columns["vendor_key"], where.columns.get("note")
        width = max(key_col, note_col if note_col is not None else 0) + 1
        rows = []
        for key, note in new_keys:
            row: list[dict] = [{} for _ in range(width)]
            row[key_col] = c.v(key)
            if note_col is not None:
                row[note_col] = c.v(note, italic=True)
            rows.append(row)
            keys.append(key)
        structure.append_rows(reqs, info, where, rows)
    return InputAdditions(reqs, headers, settings_rows, keys)


_KIND_FORMAT = {"money": "money", "cpu": "cpu", "fraction": "pct", "number": "num"}


def _refill(reqs: list, info: SheetInfo, where, columns: list, c: Cells) -> None:
    """A re-added column gets each row's last good value back, so the next sync does not read blanks."""
    last = max(where.rows) + 1
    for col in columns:
        j = where.columns[col.field]
        values: list[list[dict]] = []
        for r in range(1, last):
            v = (where.rows.get(r) or {}).get(col.field)
            if v is None or v == "" or v == ():
                values.append([])
            else:
                values.append(
                    [c.v(v if col.kind == "fraction" else cells.to_sheet(v), _KIND_FORMAT.get(col.kind, "text"))]
                )
        if any(values):
            reqs.append(grid.update_cells(info.sheet_id, 1, j, values))


@dataclass
class WritePlan:
    requests: list
    size: int
    history: History
    trimmed: bool


def fit(build: Callable[[History], list], limit: Optional[int] = None) -> WritePlan:
    """The first history step whose request fits `limit` bytes (the smallest one if none does)."""
    limit = limit or max_request_bytes()
    requests, size = [], 0
    for i, step in enumerate(HISTORY_STEPS):
        requests = build(step)
        size = body_size(requests)
        if size <= limit:
            return WritePlan(requests, size, step, i > 0)
    return WritePlan(requests, size, HISTORY_STEPS[-1], True)
