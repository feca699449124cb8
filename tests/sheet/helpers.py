"""Reading the emulator's spreadsheet model in tests (what a person would see in the sheet)."""

from __future__ import annotations

import copy
from datetime import datetime, timezone

NOW = datetime(2026, 11, 22, 14, 5, tzinfo=timezone.utc)  # a Sunday: week 2026-W47 is current


def plain(cell: dict):
    v = (cell or {}).get("userEnteredValue") or {}
    for k in ("stringValue", "numberValue", "boolValue", "formulaValue"):
        if k in v:
            return v[k]
    return None


def values(emu, title: str) -> list:
    """Rows of plain values of a tab, up to its last cell holding a value."""
    sheet = emu.spreadsheet().sheet_by_title(title)
    assert sheet is not None, f"no tab {title!r}"
    cells = {k: plain(c) for k, c in sheet.cells.items() if plain(c) is not None}
    if not cells:
        return []
    rows = max(r for r, _ in cells) + 1
    cols = max(c for _, c in cells) + 1
    return [[cells.get((r, c)) for c in range(cols)] for r in range(rows)]


def find_row(rows: list, first: str, col: int = 0) -> list:
    return next(r for r in rows if len(r) > col and r[col] == first)


def column(rows: list, header: str) -> int:
    return rows[0].index(header)


def snapshot(emu) -> dict:
    """Everything the sheet holds, per tab (to compare before and after)."""
    book = emu.spreadsheet()
    out = {}
    for s in book.sheets:
        out[s.title] = copy.deepcopy(
            {
                "props": s.props,
                "cells": s.cells,
                "protected": s.protected_ranges,
                "charts": s.charts,
                "cf": s.conditional_formats,
                "merges": s.merges,
            }
        )
    return out


def api_calls(emu) -> list:
    """(method, what) of each Sheets API request since the last reset_log()."""
    out = []
    for e in emu.api_requests():
        path = e["path"]
        what = (
            "batchUpdate"
            if path.endswith(":batchUpdate")
            else "values:batchGet"
            if ":batchGet" in path
            else "values"
            if "/values" in path
            else "metadata"
        )
        out.append((e["method"], what, e["status"]))
    return out
