"""Spreadsheet <-> .xlsx (openpyxl).

What a spreadsheet program shows natively lives in the workbook itself and is
read back from it, so a person can edit it: tab order and titles, hidden tabs,
values and formulas, number formats, bold/italic/colours/alignment/borders,
notes (as comments), merges, frozen panes and whole-tab protection (a tab protected through
``addProtectedRange`` on the whole tab is a protected sheet, read-only in Excel and
LibreOffice; protecting or unprotecting a sheet there is read back). Data validation and conditional
formatting are also written natively (for people to see) but read back from the
metadata. Everything else Sheets has and xlsx does not — spreadsheet id,
sheetIds, grid sizes, protected ranges (partial ones only there), charts, filters, column widths, the
validation and formatting rules in Sheets' own terms — is JSON in a very hidden
worksheet named ``_sheets_emulator``.
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import os
import re
import tempfile
import zlib
from pathlib import Path
from typing import Any, Optional

import openpyxl
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, MergedCell
from openpyxl.comments import Comment
from openpyxl.formatting.rule import CellIsRule, ColorScaleRule, FormulaRule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.styles.colors import COLOR_INDEX
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from .a1 import Rect, col_to_letters, letters_to_col
from .model import DEFAULT_COLS, DEFAULT_ROWS, Sheet, Spreadsheet, from_byte, grid_rect, normalize_format, to_byte
from .numfmt import datetime_to_serial, infer_type

log = logging.getLogger(__name__)

META_TITLE = "_sheets_emulator"
META_VERSION = 2  # 2: whole-tab protections are also native sheet protection (and read back from it)
_CHUNK = 30000  # a cell holds at most 32,767 characters
_INVALID_XLSX_TITLE = re.compile(r"[\\*?:/\[\]]")

_BORDER_TO_XLSX = {
    "DOTTED": "dotted",
    "DASHED": "dashed",
    "SOLID": "thin",
    "SOLID_MEDIUM": "medium",
    "SOLID_THICK": "thick",
    "DOUBLE": "double",
}
_BORDER_FROM_XLSX = {
    "thin": "SOLID",
    "hair": "SOLID",
    "medium": "SOLID_MEDIUM",
    "thick": "SOLID_THICK",
    "dashed": "DASHED",
    "mediumDashed": "DASHED",
    "dashDot": "DASHED",
    "mediumDashDot": "DASHED",
    "dashDotDot": "DASHED",
    "mediumDashDotDot": "DASHED",
    "slantDashDot": "DASHED",
    "dotted": "DOTTED",
    "double": "DOUBLE",
}
_H_TO_XLSX = {"LEFT": "left", "CENTER": "center", "RIGHT": "right"}
_V_TO_XLSX = {"TOP": "top", "MIDDLE": "center", "BOTTOM": "bottom"}
_H_FROM_XLSX = {v: k for k, v in _H_TO_XLSX.items()}
_V_FROM_XLSX = {v: k for k, v in _V_TO_XLSX.items()}
_DEFAULT_FONTS = {("Calibri", 11), ("Arial", 10), ("Liberation Sans", 10)}
PX_PER_CHAR = 7.0
PT_PER_PX = 0.75


class StoreFormatError(Exception):
    pass


# ---------------------------------------------------------------------------
# colours


def to_hex(color: dict) -> str:
    return "FF" + "".join(f"{to_byte(color.get(k, 0) or 0):02X}" for k in ("red", "green", "blue"))


def from_hex(argb: Optional[str]) -> Optional[dict]:
    if not argb or not isinstance(argb, str) or not re.fullmatch(r"[0-9A-Fa-f]{6,8}", argb):
        return None
    rgb = argb[-6:]
    out = {}
    for key, i in (("red", 0), ("green", 2), ("blue", 4)):
        byte = int(rgb[i : i + 2], 16)
        if byte:
            out[key] = from_byte(byte)
    return out


def _color_of(color) -> Optional[dict]:
    if color is None:
        return None
    try:
        if color.type == "rgb":
            return from_hex(color.rgb)
        if color.type == "indexed" and color.indexed is not None and color.indexed < len(COLOR_INDEX):
            return from_hex(COLOR_INDEX[color.indexed])
    except (AttributeError, TypeError):
        return None
    return None


# ---------------------------------------------------------------------------
# writing


class _StyleCache:
    def __init__(self):
        self.cache: dict[str, tuple] = {}

    def get(self, fmt: dict) -> tuple:
        key = json.dumps(fmt, sort_keys=True)
        hit = self.cache.get(key)
        if hit is None:
            hit = self.cache[key] = self._build(fmt)
        return hit

    @staticmethod
    def _build(fmt: dict) -> tuple:
        font = fill = alignment = border = None
        tf = fmt.get("textFormat")
        if tf:
            kwargs: dict[str, Any] = {}
            if tf.get("bold"):
                kwargs["b"] = True
            if tf.get("italic"):
                kwargs["i"] = True
            if tf.get("strikethrough"):
                kwargs["strike"] = True
            if tf.get("underline"):
                kwargs["u"] = "single"
            if tf.get("fontSize"):
                kwargs["sz"] = tf["fontSize"]
            if tf.get("fontFamily"):
                kwargs["name"] = tf["fontFamily"]
            if "foregroundColor" in tf:
                kwargs["color"] = to_hex(tf["foregroundColor"])
            font = Font(**kwargs)
        if "backgroundColor" in fmt:
            hexcolor = to_hex(fmt["backgroundColor"])
            fill = PatternFill(fill_type="solid", start_color=hexcolor, end_color=hexcolor)
        if any(k in fmt for k in ("horizontalAlignment", "verticalAlignment", "wrapStrategy")):
            alignment = Alignment(
                horizontal=_H_TO_XLSX.get(fmt.get("horizontalAlignment")),
                vertical=_V_TO_XLSX.get(fmt.get("verticalAlignment")),
                wrap_text=True if fmt.get("wrapStrategy") == "WRAP" else None,
            )
        if fmt.get("borders"):
            sides = {}
            for side, spec in fmt["borders"].items():
                sides[side] = Side(
                    style=_BORDER_TO_XLSX.get(spec.get("style"), "thin"), color=to_hex(spec.get("color") or {})
                )
            border = Border(**sides)
        number_format = (fmt.get("numberFormat") or {}).get("pattern")
        return font, fill, alignment, border, number_format


def _xlsx_title(title: str, used: set[str]) -> str:
    base = _INVALID_XLSX_TITLE.sub("_", title)[:31] or "Sheet"
    if base == META_TITLE:
        base = "_" + base[:30]
    candidate, n = base, 2
    while candidate.lower() in used:
        suffix = f" ({n})"
        candidate = base[: 31 - len(suffix)] + suffix
        n += 1
    used.add(candidate.lower())
    return candidate


def _compress(cells: list[tuple[int, int]]) -> list[Rect]:
    """Cells -> a few rectangles (runs down columns, merged across columns)."""
    by_col: dict[int, list[int]] = {}
    for r, c in cells:
        by_col.setdefault(c, []).append(r)
    runs: dict[tuple[int, int], list[int]] = {}
    for c, rows in by_col.items():
        for run in _consecutive(rows):
            runs.setdefault(run, []).append(c)
    return [Rect(r0, c0, r1, c1) for (r0, r1), cols in runs.items() for c0, c1 in _consecutive(cols)]


def _consecutive(numbers: list[int]) -> list[tuple[int, int]]:
    """Runs of consecutive numbers, in order: [(start, stop)], stop excluded."""
    numbers = sorted(numbers)
    out = []
    start = prev = numbers[0]
    for n in numbers[1:] + [None]:
        if n is not None and n == prev + 1:
            prev = n
            continue
        out.append((start, prev + 1))
        if n is not None:
            start = prev = n
    return out


def _a1(rect: Rect) -> str:
    a = f"{col_to_letters(rect.c0)}{rect.r0 + 1}"
    b = f"{col_to_letters(rect.c1 - 1)}{rect.r1}"
    return a if a == b else f"{a}:{b}"


def _gr_a1(sheet: Sheet, gr: dict) -> str:
    return _a1(grid_rect(gr).clipped(sheet.row_count, sheet.col_count))


def _cond_value(values: list, i: int) -> Optional[str]:
    try:
        v = str(values[i].get("userEnteredValue", ""))
    except (IndexError, AttributeError):
        return None
    return v[1:] if v.startswith("=") else (v if _is_number(v) else f'"{v}"')


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


# Sheets' number conditions -> the operator a conditional format (or a data validation) keeps in the xlsx.
_NUMBER_OPERATORS = {
    "NUMBER_GREATER": "greaterThan",
    "NUMBER_GREATER_THAN_EQ": "greaterThanOrEqual",
    "NUMBER_LESS": "lessThan",
    "NUMBER_LESS_THAN_EQ": "lessThanOrEqual",
    "NUMBER_EQ": "equal",
    "NUMBER_NOT_EQ": "notEqual",
    "NUMBER_BETWEEN": "between",
    "NUMBER_NOT_BETWEEN": "notBetween",
}
_CF_OPERATORS = {**_NUMBER_OPERATORS, "TEXT_EQ": "equal"}
_SCALE_TYPES = {"MIN": "min", "MAX": "max", "NUMBER": "num", "PERCENT": "percent", "PERCENTILE": "percentile"}


def _write_conditional_format(ws, sheet: Sheet, rule: dict) -> None:
    ranges = [_gr_a1(sheet, gr) for gr in rule.get("ranges", [])]
    if not ranges:
        return
    sqref = " ".join(ranges)
    top_left = ranges[0].split(":")[0]
    if rule.get("gradientRule"):
        g = rule["gradientRule"]
        kwargs: dict[str, Any] = {}
        for name, key in (("start", "minpoint"), ("mid", "midpoint"), ("end", "maxpoint")):
            point = g.get(key)
            if not point:
                continue
            kwargs[f"{name}_type"] = _SCALE_TYPES.get(point.get("type"), "num")
            if point.get("value") not in (None, ""):
                kwargs[f"{name}_value"] = str(point["value"]).lstrip("=")
            color = point.get("color") or (point.get("colorStyle") or {}).get("rgbColor") or {}
            kwargs[f"{name}_color"] = to_hex(color)
        ws.conditional_formatting.add(sqref, ColorScaleRule(**kwargs))
        return
    boolean = rule.get("booleanRule") or {}
    cond = boolean.get("condition") or {}
    fmt = boolean.get("format") or {}
    style: dict[str, Any] = {}
    if "backgroundColor" in fmt:
        hexcolor = to_hex(fmt["backgroundColor"])
        style["fill"] = PatternFill(start_color=hexcolor, end_color=hexcolor, fill_type="solid")
    tf = fmt.get("textFormat") or {}
    if tf:
        style["font"] = Font(
            b=bool(tf.get("bold")) or None,
            i=bool(tf.get("italic")) or None,
            color=to_hex(tf["foregroundColor"]) if "foregroundColor" in tf else None,
        )
    ctype = cond.get("type")
    values = cond.get("values") or []
    if ctype in _CF_OPERATORS:
        formula = [v for v in (_cond_value(values, 0), _cond_value(values, 1)) if v is not None]
        if ctype in ("NUMBER_BETWEEN", "NUMBER_NOT_BETWEEN"):
            formula = formula[:2]
        else:
            formula = formula[:1]
        xrule = CellIsRule(operator=_CF_OPERATORS[ctype], formula=formula, **style)
    elif ctype == "CUSTOM_FORMULA":
        xrule = FormulaRule(formula=[_cond_value(values, 0) or "FALSE"], **style)
    elif ctype == "TEXT_CONTAINS":
        text = str(values[0].get("userEnteredValue", "")).replace('"', '""') if values else ""
        xrule = FormulaRule(formula=[f'NOT(ISERROR(SEARCH("{text}",{top_left})))'], **style)
    elif ctype == "BLANK":
        xrule = FormulaRule(formula=[f"LEN(TRIM({top_left}))=0"], **style)
    elif ctype == "NOT_BLANK":
        xrule = FormulaRule(formula=[f"LEN(TRIM({top_left}))>0"], **style)
    else:
        return  # kept in the metadata; not shown natively
    ws.conditional_formatting.add(sqref, xrule)


_DV_OPERATORS = _NUMBER_OPERATORS


def _write_data_validation(ws, rule: dict, rects: list[Rect]) -> None:
    cond = rule.get("condition") or {}
    ctype = cond.get("type")
    values = [str(v.get("userEnteredValue", "")) for v in cond.get("values") or []]
    kwargs: dict[str, Any] = {"allow_blank": True}
    if ctype == "ONE_OF_LIST":
        listing = ",".join(v.replace(",", " ") for v in values)
        if len(listing) > 250:
            return
        kwargs.update(type="list", formula1=f'"{listing}"')
    elif ctype == "ONE_OF_RANGE" and values:
        kwargs.update(type="list", formula1=values[0].lstrip("="))
    elif ctype == "BOOLEAN":
        kwargs.update(type="list", formula1='"TRUE,FALSE"')
    elif ctype in _DV_OPERATORS and values:
        kwargs.update(type="decimal", operator=_DV_OPERATORS[ctype], formula1=values[0].lstrip("="))
        if len(values) > 1:
            kwargs["formula2"] = values[1].lstrip("=")
    elif ctype == "CUSTOM_FORMULA" and values:
        kwargs.update(type="custom", formula1=values[0].lstrip("="))
    else:
        return
    strict = bool(rule.get("strict"))
    kwargs.update(showErrorMessage=True, errorStyle="stop" if strict else "warning")
    if rule.get("inputMessage"):
        kwargs.update(prompt=str(rule["inputMessage"])[:255], showInputMessage=True)
    dv = DataValidation(**kwargs)
    for rect in rects:
        dv.add(_a1(rect))
    ws.add_data_validation(dv)


def _source(sheets_by_id: dict, obj: Optional[dict]) -> Optional[tuple[Any, Rect]]:
    sources = ((obj or {}).get("sourceRange") or {}).get("sources") or []
    if not sources:
        return None
    gr = sources[0]
    found = sheets_by_id.get(int(gr.get("sheetId", 0) or 0))
    if found is None:
        return None
    ws, sheet = found
    rect = grid_rect(gr).clipped(sheet.row_count, sheet.col_count)
    if rect.nrows <= 0 or rect.ncols <= 0:
        return None
    return ws, rect


def _reference(ws, rect: Rect, skip_rows: int = 0):
    from openpyxl.chart import Reference

    return Reference(ws, min_col=rect.c0 + 1, max_col=rect.c1, min_row=rect.r0 + 1 + skip_rows, max_row=rect.r1)


def _write_chart(sheets_by_id: dict, host_ws, chart: dict) -> None:
    """Best effort: draw a Sheets chart spec as a native xlsx chart."""
    from openpyxl.chart import AreaChart, BarChart, LineChart, PieChart

    spec = chart.get("spec") or {}
    basic, pie = spec.get("basicChart"), spec.get("pieChart")
    if basic:
        kind = basic.get("chartType", "COLUMN")
        classes = {
            "COLUMN": BarChart,
            "BAR": BarChart,
            "LINE": LineChart,
            "AREA": AreaChart,
            "STEPPED_AREA": AreaChart,
            "COMBO": BarChart,
        }
        if kind not in classes:
            return
        xchart = classes[kind]()
        if isinstance(xchart, BarChart):
            xchart.type = "bar" if kind == "BAR" else "col"
        header = int(basic.get("headerCount", 0) or 0)
        for entry in basic.get("series") or []:
            src = _source(sheets_by_id, entry.get("series"))
            if src:
                xchart.add_data(_reference(*src), titles_from_data=bool(header))
        domains = basic.get("domains") or []
        if domains:
            src = _source(sheets_by_id, domains[0].get("domain"))
            if src:
                xchart.set_categories(_reference(*src, skip_rows=header))
    elif pie:
        xchart = PieChart()
        src = _source(sheets_by_id, pie.get("series"))
        if src:
            xchart.add_data(_reference(*src), titles_from_data=False)
        src = _source(sheets_by_id, pie.get("domain"))
        if src:
            xchart.set_categories(_reference(*src))
    else:
        return
    if spec.get("title"):
        xchart.title = spec["title"]
    anchor = ((chart.get("position") or {}).get("overlayPosition") or {}).get("anchorCell") or {}
    cell = f"{col_to_letters(int(anchor.get('columnIndex', 0) or 0))}{int(anchor.get('rowIndex', 0) or 0) + 1}"
    host_ws.add_chart(xchart, cell)


def _clean_text(text: str) -> str:
    return ILLEGAL_CHARACTERS_RE.sub("", text)


def _protects_whole_tab(pr: dict, sheet: Sheet) -> bool:
    """A protected range that makes the whole tab read-only (not a warning, no exceptions)."""
    rng = pr.get("range")
    if not isinstance(rng, dict) or pr.get("warningOnly") or pr.get("unprotectedRanges"):
        return False
    if int(rng.get("sheetId", 0) or 0) != sheet.sheet_id:
        return False
    return (
        int(rng.get("startRowIndex", 0) or 0) == 0
        and int(rng.get("startColumnIndex", 0) or 0) == 0
        and (rng.get("endRowIndex") is None or int(rng["endRowIndex"]) >= sheet.row_count)
        and (rng.get("endColumnIndex") is None or int(rng["endColumnIndex"]) >= sheet.col_count)
    )


def _read_protection(book: Spreadsheet, natively: dict) -> None:
    """The workbook says which tabs are protected: a tab protected in Excel or LibreOffice gets a
    whole-tab protected range, one unprotected there loses its whole-tab ranges (partial ranges
    and warnings, which xlsx cannot show, stay as the metadata has them)."""
    for sheet in book.sheets:
        if sheet.sheet_id not in natively:
            continue
        whole = [pr for pr in sheet.protected_ranges if _protects_whole_tab(pr, sheet)]
        if natively[sheet.sheet_id] and not whole:
            pr_id = 1_000_000_000 + zlib.crc32(f"protected {sheet.sheet_id}".encode()) % 1_000_000_000
            used = {p.get("protectedRangeId") for s in book.sheets for p in s.protected_ranges}
            sheet.protected_ranges.append(
                {
                    "protectedRangeId": pr_id if pr_id not in used else book.new_object_id(),
                    "range": {"sheetId": sheet.sheet_id},
                    "description": "protected in the workbook",
                    "warningOnly": False,
                }
            )
        elif not natively[sheet.sheet_id] and whole:
            sheet.protected_ranges = [pr for pr in sheet.protected_ranges if pr not in whole]


def build_workbook(book: Spreadsheet) -> openpyxl.Workbook:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    styles = _StyleCache()
    used_titles: set[str] = {META_TITLE.lower()}
    meta_sheets = []
    number_format_types: dict[str, str] = {}
    for sheet in book.sheets:
        xtitle = _xlsx_title(sheet.title, used_titles)
        ws = wb.create_sheet(title=xtitle)
        dv_groups: dict[str, tuple[dict, list]] = {}
        for (r, c), cell in sheet.cells.items():
            xc = ws.cell(row=r + 1, column=c + 1)
            uev = cell.get("userEnteredValue")
            if uev:
                if "formulaValue" in uev:
                    xc.value = _clean_text(uev["formulaValue"])
                elif "stringValue" in uev:
                    xc.value = _clean_text(uev["stringValue"])
                    if xc.value.startswith("="):
                        xc.data_type = "s"
                elif "boolValue" in uev:
                    xc.value = bool(uev["boolValue"])
                elif "numberValue" in uev:
                    xc.value = uev["numberValue"]
            fmt = cell.get("userEnteredFormat")
            if fmt:
                font, fill, alignment, border, pattern = styles.get(fmt)
                if font is not None:
                    xc.font = font
                if fill is not None:
                    xc.fill = fill
                if alignment is not None:
                    xc.alignment = alignment
                if border is not None:
                    xc.border = border
                if pattern:
                    xc.number_format = pattern
                    nf_type = fmt["numberFormat"].get("type")
                    if nf_type and infer_type(pattern) != nf_type:
                        number_format_types[pattern] = nf_type
            link = ((fmt or {}).get("textFormat") or {}).get("link")
            if link and xc.value is not None:  # (openpyxl reads a link on an empty cell as its URL typed in)
                xc.hyperlink = link["uri"]
            if cell.get("note"):
                comment = Comment(_clean_text(cell["note"]), "sheets-emulator")
                xc.comment = comment
            if cell.get("dataValidation"):
                key = json.dumps(cell["dataValidation"], sort_keys=True)
                dv_groups.setdefault(key, (cell["dataValidation"], []))[1].append((r, c))
        for merge in sheet.merges:
            rect = grid_rect(merge).clipped(sheet.row_count, sheet.col_count)
            if rect.nrows * rect.ncols > 1:
                ws.merge_cells(start_row=rect.r0 + 1, start_column=rect.c0 + 1, end_row=rect.r1, end_column=rect.c1)
        if sheet.frozen_rows or sheet.frozen_cols:
            ws.freeze_panes = ws.cell(row=sheet.frozen_rows + 1, column=sheet.frozen_cols + 1)
        if sheet.hidden:
            ws.sheet_state = "hidden"
        if sheet.props.get("tabColor") is not None:
            ws.sheet_properties.tabColor = to_hex(sheet.props["tabColor"])
        if sheet.grid.get("hideGridlines"):
            ws.sheet_view.showGridLines = False
        if any(_protects_whole_tab(pr, sheet) for pr in sheet.protected_ranges):
            ws.protection.sheet = True  # no password: Excel and LibreOffice show the tab read-only
        for idx, meta in sheet.col_meta.items():
            dim = ws.column_dimensions[get_column_letter(idx + 1)]
            if meta.get("pixelSize"):
                dim.width = round(meta["pixelSize"] / PX_PER_CHAR, 2)
            if meta.get("hiddenByUser"):
                dim.hidden = True
        for idx, meta in sheet.row_meta.items():
            dim = ws.row_dimensions[idx + 1]
            if meta.get("pixelSize"):
                dim.height = round(meta["pixelSize"] * PT_PER_PX, 2)
            if meta.get("hiddenByUser"):
                dim.hidden = True
        dv_meta = []
        for rule, cells in dv_groups.values():
            rects = _compress(cells)
            dv_meta.append({"rule": rule, "ranges": [[x.r0, x.c0, x.r1, x.c1] for x in rects]})
            try:
                _write_data_validation(ws, rule, rects)
            except Exception:  # a rule Excel cannot show is still kept in the metadata
                log.debug("data validation not written natively", exc_info=True)
        for rule in sheet.conditional_formats:
            try:
                _write_conditional_format(ws, sheet, rule)
            except Exception:
                log.debug("conditional format not written natively", exc_info=True)
        meta_sheets.append(
            {
                "xlsxTitle": xtitle,
                "props": sheet.props,
                "merges": sheet.merges,
                "conditionalFormats": sheet.conditional_formats,
                "protectedRanges": sheet.protected_ranges,
                "charts": sheet.charts,
                "bandedRanges": sheet.banded_ranges,
                "basicFilter": sheet.basic_filter,
                "rowMeta": {str(k): v for k, v in sheet.row_meta.items()},
                "colMeta": {str(k): v for k, v in sheet.col_meta.items()},
                "dataValidation": dv_meta,
            }
        )
    sheets_by_id = {sheet.sheet_id: (wb.worksheets[i], sheet) for i, sheet in enumerate(book.sheets)}
    for sheet in book.sheets:
        for chart in sheet.charts:
            try:
                _write_chart(sheets_by_id, sheets_by_id[sheet.sheet_id][0], chart)
            except Exception:  # kept in the metadata either way
                log.debug("chart not drawn natively", exc_info=True)
    visible = next((ws for ws in wb.worksheets if ws.sheet_state == "visible"), None)
    if visible is not None:
        wb.active = wb.worksheets.index(visible)
    meta = {
        "version": META_VERSION,
        "spreadsheetId": book.id,
        "properties": book.properties,
        "createdTime": book.created_time,
        "modifiedTime": book.modified_time,
        "namedRanges": book.named_ranges,
        "numberFormatTypes": {**book.number_format_types, **number_format_types},
        "permissions": book.permissions,
        "sheets": meta_sheets,
    }
    mws = wb.create_sheet(title=META_TITLE)
    mws.sheet_state = "veryHidden"
    mws["A1"] = "Local Sheets emulator metadata (JSON below). Do not edit."
    text = json.dumps(meta, separators=(",", ":"))
    for i in range(0, max(len(text), 1), _CHUNK):
        mws.cell(row=2 + i // _CHUNK, column=1).value = text[i : i + _CHUNK]
        mws.cell(row=2 + i // _CHUNK, column=1).data_type = "s"
    return wb


def save(book: Spreadsheet, path: Path) -> None:
    """Write atomically: a temp file in the same folder, then rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = build_workbook(book)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".xlsx.tmp", dir=path.parent)
    os.close(fd)
    try:
        wb.save(tmp)
        os.chmod(tmp, 0o666 & ~_UMASK)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _read_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _read_umask()  # once, at import: os.umask is process-wide


# ---------------------------------------------------------------------------
# reading


def _read_meta(wb: openpyxl.Workbook) -> Optional[dict]:
    if META_TITLE not in wb.sheetnames:
        return None
    mws = wb[META_TITLE]
    chunks = []
    row = 2
    while True:
        value = mws.cell(row=row, column=1).value
        if value is None:
            break
        chunks.append(str(value))
        row += 1
    try:
        meta = json.loads("".join(chunks)) if chunks else None
    except json.JSONDecodeError:
        log.warning("ignoring unreadable emulator metadata")
        return None
    return meta if isinstance(meta, dict) else None


def _fmt_from_cell(xc, types: dict[str, str]) -> dict:
    fmt: dict[str, Any] = {}
    pattern = xc.number_format
    if pattern and pattern != "General":
        fmt["numberFormat"] = {"type": types.get(pattern) or infer_type(pattern), "pattern": pattern}
    font = xc.font
    if font is not None:
        tf: dict[str, Any] = {}
        if font.b:
            tf["bold"] = True
        if font.i:
            tf["italic"] = True
        if font.strike:
            tf["strikethrough"] = True
        if font.u:
            tf["underline"] = True
        size = font.sz
        name = font.name
        if (name, int(size) if size and float(size).is_integer() else size) not in _DEFAULT_FONTS:
            if size:
                tf["fontSize"] = size
            if name:
                tf["fontFamily"] = name
        color = _color_of(font.color)
        if color:  # black is the default: not reported
            tf["foregroundColor"] = color
        if tf:
            fmt["textFormat"] = tf
    fill = xc.fill
    if fill is not None and getattr(fill, "fill_type", None) == "solid":
        color = _color_of(fill.fgColor)
        if color is not None:
            fmt["backgroundColor"] = color
    al = xc.alignment
    if al is not None:
        if al.horizontal in _H_FROM_XLSX:
            fmt["horizontalAlignment"] = _H_FROM_XLSX[al.horizontal]
        if al.vertical in _V_FROM_XLSX:
            fmt["verticalAlignment"] = _V_FROM_XLSX[al.vertical]
        if al.wrap_text:
            fmt["wrapStrategy"] = "WRAP"
    border = xc.border
    if border is not None:
        borders = {}
        for side in ("top", "bottom", "left", "right"):
            s = getattr(border, side, None)
            if s is not None and s.style in _BORDER_FROM_XLSX:
                borders[side] = {"style": _BORDER_FROM_XLSX[s.style], "color": _color_of(s.color) or {}}
        if borders:
            fmt["borders"] = borders
    return normalize_format(fmt)


def _uev_from_cell(xc) -> Optional[dict]:
    value = xc.value
    if value is None:
        return None
    if xc.data_type == "f" or (hasattr(value, "text") and not isinstance(value, str)):
        text = value if isinstance(value, str) else getattr(value, "text", str(value))
        text = str(text)
        return {"formulaValue": text if text.startswith("=") else "=" + text}
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, (int, float)):
        return {"numberValue": value}
    if isinstance(value, (_dt.datetime, _dt.date, _dt.time)):
        return {"numberValue": datetime_to_serial(value)}
    if isinstance(value, _dt.timedelta):
        return {"numberValue": value.total_seconds() / 86400}
    text = str(value)
    return {"stringValue": text} if text != "" else None


def _frozen(ws) -> tuple[int, int]:
    pane = ws.freeze_panes
    if not pane:
        return 0, 0
    m = re.match(r"([A-Z]+)(\d+)", pane)
    if not m:
        return 0, 0
    return int(m.group(2)) - 1, letters_to_col(m.group(1))


def load(
    path: Path, *, default_id: Optional[str] = None, default_title: Optional[str] = None, require_meta: bool = False
) -> Spreadsheet:
    """Read a workbook written by :func:`save` — or any .xlsx a person made."""
    try:
        wb = openpyxl.load_workbook(path, rich_text=False)
    except Exception as exc:  # zip errors, half-written files, ...
        raise StoreFormatError(f"cannot read {path}: {exc}") from exc
    meta = _read_meta(wb) or {}
    if require_meta and not meta:
        raise StoreFormatError(f"{path} was not written by the emulator")
    book = Spreadsheet(default_id or meta.get("spreadsheetId") or Path(path).stem, default_title or Path(path).stem)
    if meta.get("spreadsheetId") and not default_id:
        book.id = meta["spreadsheetId"]
    if isinstance(meta.get("properties"), dict):
        book.properties.update(meta["properties"])
    elif default_title:
        book.properties["title"] = default_title
    book.stored_id = meta.get("spreadsheetId")
    book.created_time = meta.get("createdTime", book.created_time)
    book.modified_time = meta.get("modifiedTime", book.modified_time)
    book.named_ranges = meta.get("namedRanges") or []
    book.number_format_types = meta.get("numberFormatTypes") or {}
    book.permissions = meta.get("permissions") or []
    meta_by_title = {m.get("xlsxTitle"): m for m in meta.get("sheets") or []}
    # files written before version 2 kept protections in the metadata only
    native_protection = not meta or int(meta.get("version", 1) or 1) >= 2
    natively: dict[int, bool] = {}
    style_cache: dict[Any, dict] = {}
    for ws in wb.worksheets:
        if ws.title == META_TITLE:
            continue
        m = meta_by_title.get(ws.title)
        if m and isinstance(m.get("props"), dict):
            sheet = Sheet(0, ws.title)
            sheet.props = m["props"]
            if book.sheet_by_id(sheet.sheet_id) is not None:
                sheet.props["sheetId"] = book.new_sheet_id()
            if book.sheet_by_title(sheet.title) is not None:
                sheet.props["title"] = ws.title
        else:
            used_zero = book.sheet_by_id(0) is not None
            sheet = Sheet(book.new_sheet_id() if used_zero else 0, ws.title)
        sheet.merges = (m or {}).get("merges") or []
        sheet.conditional_formats = (m or {}).get("conditionalFormats") or []
        sheet.protected_ranges = (m or {}).get("protectedRanges") or []
        sheet.charts = (m or {}).get("charts") or []
        sheet.banded_ranges = (m or {}).get("bandedRanges") or []
        sheet.basic_filter = (m or {}).get("basicFilter")
        sheet.row_meta = {int(k): v for k, v in ((m or {}).get("rowMeta") or {}).items()}
        sheet.col_meta = {int(k): v for k, v in ((m or {}).get("colMeta") or {}).items()}
        # what the workbook itself says wins over the metadata
        if ws.sheet_state == "visible":
            sheet.props.pop("hidden", None)
        else:
            sheet.props["hidden"] = True
        fr, fc = _frozen(ws)
        grid = sheet.grid
        grid.pop("frozenRowCount", None)
        grid.pop("frozenColumnCount", None)
        if fr:
            grid["frozenRowCount"] = fr
        if fc:
            grid["frozenColumnCount"] = fc
        for row in ws.iter_rows():
            for xc in row:
                if isinstance(xc, MergedCell):
                    continue
                cell: dict[str, Any] = {}
                uev = _uev_from_cell(xc)
                if uev:
                    cell["userEnteredValue"] = uev
                if xc.has_style:
                    key = tuple(xc._style)
                    fmt = style_cache.get(key)
                    if fmt is None:
                        fmt = style_cache[key] = _fmt_from_cell(xc, book.number_format_types)
                    if fmt:
                        cell["userEnteredFormat"] = dict(fmt)
                if xc.hyperlink is not None and xc.hyperlink.target:
                    uef = cell.setdefault("userEnteredFormat", {})
                    uef["textFormat"] = {**uef.get("textFormat", {}), "link": {"uri": xc.hyperlink.target}}
                if xc.comment is not None and xc.comment.text:
                    cell["note"] = xc.comment.text
                if cell:
                    sheet.cells[(xc.row - 1, xc.column - 1)] = cell
        merges = []
        for mr in ws.merged_cells.ranges:
            merges.append(
                {
                    "sheetId": sheet.sheet_id,
                    "startRowIndex": mr.min_row - 1,
                    "endRowIndex": mr.max_row,
                    "startColumnIndex": mr.min_col - 1,
                    "endColumnIndex": mr.max_col,
                }
            )
        sheet.merges = merges
        for entry in (m or {}).get("dataValidation") or []:
            for r0, c0, r1, c1 in entry.get("ranges", []):
                for r in range(r0, r1):
                    for c in range(c0, c1):
                        sheet.cell_for_write(r, c)["dataValidation"] = entry["rule"]
        # grid: at least what the metadata says, and big enough for the data
        rows, cols = 0, 0
        for r, c in sheet.cells:
            rows, cols = max(rows, r + 1), max(cols, c + 1)
        if not m:
            grid["rowCount"] = max(DEFAULT_ROWS, rows)
            grid["columnCount"] = max(DEFAULT_COLS, cols)
        else:
            grid["rowCount"] = max(sheet.row_count, rows)
            grid["columnCount"] = max(sheet.col_count, cols)
        if native_protection:
            natively[sheet.sheet_id] = bool(ws.protection.sheet)
        book.sheets.append(sheet)
    _read_protection(book, natively)
    if not book.sheets:
        book.add_sheet("Sheet1", sheet_id=0)
    return book
