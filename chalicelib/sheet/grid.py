"""What the spreadsheet's metadata says about each tab, and batchUpdate request builders.

Only request shapes of the Sheets API v4 `spreadsheets.batchUpdate` are built here;
gspread sends them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from chalicelib.sheet import layout


@dataclass
class SheetInfo:
    sheet_id: int
    title: str
    index: int
    rows: int
    columns: int
    frozen_rows: int = 0
    charts: list = field(default_factory=list)
    protected: list = field(default_factory=list)
    conditional_formats: list = field(default_factory=list)


def sheets_of(metadata: dict) -> dict:
    """title -> SheetInfo from a `GET spreadsheets/{id}` answer."""
    out = {}
    for s in metadata.get("sheets") or []:
        p = s.get("properties") or {}
        g = p.get("gridProperties") or {}
        out[p.get("title", "")] = SheetInfo(
            int(p.get("sheetId", 0)),
            p.get("title", ""),
            int(p.get("index", 0)),
            int(g.get("rowCount", 0) or 0),
            int(g.get("columnCount", 0) or 0),
            int(g.get("frozenRowCount", 0) or 0),
            list(s.get("charts") or []),
            list(s.get("protectedRanges") or []),
            list(s.get("conditionalFormats") or []),
        )
    return out


def grid_range(
    sheet_id: int,
    r0: Optional[int] = None,
    r1: Optional[int] = None,
    c0: Optional[int] = None,
    c1: Optional[int] = None,
) -> dict:
    gr = {"sheetId": sheet_id}
    for key, v in (("startRowIndex", r0), ("endRowIndex", r1), ("startColumnIndex", c0), ("endColumnIndex", c1)):
        if v is not None:
            gr[key] = v
    return gr


def resize(sheet_id: int, rows: int, columns: int) -> dict:
    return {
        "updateSheetProperties": {
            "properties": {"sheetId": sheet_id, "gridProperties": {"rowCount": rows, "columnCount": columns}},
            "fields": "gridProperties.rowCount,gridProperties.columnCount",
        }
    }


def append_dimension(sheet_id: int, dimension: str, length: int) -> dict:
    return {"appendDimension": {"sheetId": sheet_id, "dimension": dimension, "length": length}}


def update_cells(
    sheet_id: int,
    r0: int,
    c0: int,
    rows: list,
    fields: str = "userEnteredValue,userEnteredFormat",
    r1: Optional[int] = None,
    c1: Optional[int] = None,
) -> dict:
    """Cells from (r0, c0); with r1/c1 the whole range is written (cells not given are cleared)."""
    body: dict[str, Any] = {"rows": [{"values": row} if row else {} for row in rows], "fields": fields}
    if r1 is not None and c1 is not None:
        body["range"] = grid_range(sheet_id, r0, r1, c0, c1)
    else:
        body["start"] = {"sheetId": sheet_id, "rowIndex": r0, "columnIndex": c0}
    return {"updateCells": body}


def append_cells(sheet_id: int, rows: list, fields: str = "userEnteredValue,userEnteredFormat") -> dict:
    """Rows after the last row with data, placed by Google when it applies the batch, so a row
    finance types between our read and our write is never overwritten."""
    return {"appendCells": {"sheetId": sheet_id, "rows": [{"values": row} for row in rows], "fields": fields}}


def repeat_format(sheet_id: int, r0: int, r1: int, c0: int, c1: int, number_format: dict) -> dict:
    return {
        "repeatCell": {
            "range": grid_range(sheet_id, r0, r1, c0, c1),
            "cell": {"userEnteredFormat": {"numberFormat": number_format}},
            "fields": "userEnteredFormat.numberFormat",
        }
    }


def column_widths(sheet_id: int, widths) -> list:
    return [
        {
            "updateDimensionProperties": {
                "range": {"sheetId": sheet_id, "dimension": "COLUMNS", "startIndex": i, "endIndex": i + 1},
                "properties": {"pixelSize": w},
                "fields": "pixelSize",
            }
        }
        for i, w in enumerate(widths)
        if w
    ]


def validation_rule(kind: str, choices: tuple = (), note: str = "") -> Optional[dict]:
    """The data validation `init` puts on an input column of `kind` (None: free text)."""

    def num(cond, *vals):
        return {"type": cond, "values": [{"userEnteredValue": str(v)} for v in vals]}

    if kind in ("money", "cpu", "number", "fraction"):
        condition = num("NUMBER_GREATER_THAN_EQ", 0)
        message = "A number of 0 or more" + (" (12% or 0.12)" if kind == "fraction" else "")
    elif kind == "integer":
        condition, message = num("NUMBER_GREATER_THAN_EQ", 1), "A whole number of 1 or more"
    elif kind == "date":
        condition, message = {"type": "DATE_IS_VALID"}, "A date"
    elif kind == "email":
        condition, message = {"type": "TEXT_IS_EMAIL"}, "An email address"
    elif kind in ("choice", "bool"):
        condition = {"type": "ONE_OF_LIST", "values": [{"userEnteredValue": c} for c in choices]}
        message = "One of: " + ", ".join(choices)
    else:
        return None
    return {
        "condition": condition,
        "strict": True,
        "showCustomUi": kind in ("choice", "bool"),
        "inputMessage": (note or message)[:250],
    }


def set_validation(sheet_id: int, r0: int, r1: int, c: int, rule: dict) -> dict:
    return {"setDataValidation": {"range": grid_range(sheet_id, r0, r1, c, c + 1), "rule": rule}}


def colour_rules(sheet_id: int, column: int, words: dict) -> list:
    """Conditional colours on a whole column: word -> (background, text colour)."""
    out = []
    for word, (bg, fg) in words.items():
        fmt: dict = {"backgroundColor": bg}
        if fg:
            fmt["textFormat"] = {"foregroundColor": fg, "bold": True}
        out.append(
            {
                "addConditionalFormatRule": {
                    "index": 0,
                    "rule": {
                        "ranges": [grid_range(sheet_id, c0=column, c1=column + 1)],
                        "booleanRule": {
                            "condition": {"type": "TEXT_EQ", "values": [{"userEnteredValue": word}]},
                            "format": fmt,
                        },
                    },
                }
            }
        )
    return out


def has_colour_rule(info: SheetInfo, column: int, word: str) -> bool:
    for rule in info.conditional_formats:
        cond = (rule.get("booleanRule") or {}).get("condition") or {}
        values = [v.get("userEnteredValue") for v in cond.get("values") or []]
        if cond.get("type") != "TEXT_EQ" or values != [word]:
            continue
        for gr in rule.get("ranges") or []:
            if gr.get("startColumnIndex", 0) == column and gr.get("endColumnIndex") == column + 1:
                return True
    return False


def protect(sheet_id: int, editor: str) -> dict:
    pr = {
        "range": {"sheetId": sheet_id},
        "description": layout.PROTECTION_DESCRIPTION,
        "warningOnly": False,
        "editors": {"users": [editor]},
    }
    return {"addProtectedRange": {"protectedRange": pr}}


def is_protected(info: SheetInfo) -> bool:
    for pr in info.protected:
        gr = pr.get("range") or {}
        whole = not any(k in gr for k in ("startRowIndex", "endRowIndex", "startColumnIndex", "endColumnIndex"))
        if whole or pr.get("description") == layout.PROTECTION_DESCRIPTION:
            return True
    return False


# ---------------------------------------------------------------------------
# Dashboard charts


def _source(sheet_id: int, c: int, r0: int, r1: int) -> dict:
    return {"sourceRange": {"sources": [grid_range(sheet_id, r0, r1, c, c + 1)]}}


def chart_specs(sheet_id: int, team_rows: int, iceberg_rows: int, cpu_rows: int, currency: str = "USD") -> list:
    """The Dashboard's three charts; `*_rows` count the data block's rows, header included."""
    tc, ic, cc = layout.DASH_TEAM_DATA_COL, layout.DASH_ICEBERG_DATA_COL, layout.DASH_CPU_DATA_COL
    team_rows, cpu_rows = max(team_rows, 2), max(cpu_rows, 2)
    teams = {
        "title": layout.DASH_CHARTS[0],
        "basicChart": {
            "chartType": "COLUMN",
            "legendPosition": "BOTTOM_LEGEND",
            "headerCount": 1,
            "axis": [{"position": "BOTTOM_AXIS", "title": "Team"}, {"position": "LEFT_AXIS", "title": currency}],
            "domains": [{"domain": _source(sheet_id, tc, 0, team_rows)}],
            "series": [
                {"series": _source(sheet_id, tc + k, 0, team_rows), "targetAxis": "LEFT_AXIS"} for k in (1, 2, 3)
            ],
        },
    }
    iceberg = {
        "title": layout.DASH_CHARTS[1],
        "pieChart": {
            "legendPosition": "RIGHT_LEGEND",
            "domain": _source(sheet_id, ic, 1, iceberg_rows),
            "series": _source(sheet_id, ic + 1, 1, iceberg_rows),
        },
    }
    cpu = {
        "title": layout.DASH_CHARTS[2],
        "basicChart": {
            "chartType": "LINE",
            "legendPosition": "BOTTOM_LEGEND",
            "headerCount": 1,
            "axis": [
                {"position": "BOTTOM_AXIS", "title": "ISO week"},
                {"position": "LEFT_AXIS", "title": "cost per unit / target"},
            ],
            "domains": [{"domain": _source(sheet_id, cc, 0, cpu_rows)}],
            "series": [
                {"series": _source(sheet_id, cc + k, 0, cpu_rows), "targetAxis": "LEFT_AXIS"}
                for k in range(1, layout.DASH_CPU_SERIES + 2)
            ],
        },
    }
    return [teams, iceberg, cpu]


CHART_ANCHOR_ROWS = (0, 19, 38)


def add_charts(sheet_id: int, specs: list, missing_titles: set) -> list:
    out = []
    for spec, row in zip(specs, CHART_ANCHOR_ROWS, strict=False):
        if spec["title"] not in missing_titles:
            continue
        out.append(
            {
                "addChart": {
                    "chart": {
                        "spec": spec,
                        "position": {
                            "overlayPosition": {
                                "anchorCell": {
                                    "sheetId": sheet_id,
                                    "rowIndex": row,
                                    "columnIndex": layout.DASH_CHART_COL,
                                },
                                "widthPixels": 640,
                                "heightPixels": 380,
                            }
                        },
                    }
                }
            }
        )
    return out


def charts_by_title(info: Optional[SheetInfo]) -> dict:
    if info is None:
        return {}
    return {(c.get("spec") or {}).get("title", ""): c for c in info.charts}
