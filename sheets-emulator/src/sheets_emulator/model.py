"""In-memory spreadsheet model, kept close to the Sheets API's own JSON.

A cell is a sparse ``CellData``-like dict: ``userEnteredValue``,
``userEnteredFormat``, ``note``, ``dataValidation``. Sheet properties are kept
as the API's ``SheetProperties`` dict (without ``index``, which is the
position in ``Spreadsheet.sheets``). Only what the xlsx store can hold is
kept: formats are normalised to the fields listed in ``FORMAT_FIELDS``.
"""

from __future__ import annotations

import copy
import datetime as _dt
import random
import secrets
import string
from typing import Any, Iterable, Optional

from .a1 import Rect

DEFAULT_ROWS = 1000
DEFAULT_COLS = 26

# What a new spreadsheet reports (copied from real answers, en_US locale).
DEFAULT_FORMAT: dict[str, Any] = {
    "backgroundColor": {"red": 1, "green": 1, "blue": 1},
    "padding": {"top": 2, "right": 3, "bottom": 2, "left": 3},
    "verticalAlignment": "BOTTOM",
    "wrapStrategy": "OVERFLOW_CELL",
    "textFormat": {
        "foregroundColor": {},
        "fontFamily": "arial,sans,sans-serif",
        "fontSize": 10,
        "bold": False,
        "italic": False,
        "strikethrough": False,
        "underline": False,
        "foregroundColorStyle": {"rgbColor": {}},
    },
    "backgroundColorStyle": {"rgbColor": {"red": 1, "green": 1, "blue": 1}},
}


def _theme_color(kind: str, red=None, green=None, blue=None) -> dict:
    rgb = {k: v for k, v in (("red", red), ("green", green), ("blue", blue)) if v}
    return {"colorType": kind, "color": {"rgbColor": rgb}}


DEFAULT_THEME: dict[str, Any] = {
    "primaryFontFamily": "Arial",
    "themeColors": [
        _theme_color("TEXT"),
        _theme_color("BACKGROUND", 1, 1, 1),
        _theme_color("ACCENT1", 0.25882354, 0.52156866, 0.95686275),
        _theme_color("ACCENT2", 0.91764706, 0.2627451, 0.20784314),
        _theme_color("ACCENT3", 0.9843137, 0.7372549, 0.015686275),
        _theme_color("ACCENT4", 0.20392157, 0.65882355, 0.3254902),
        _theme_color("ACCENT5", 1, 0.42745098, 0.003921569),
        _theme_color("ACCENT6", 0.27450982, 0.7411765, 0.7764706),
        _theme_color("LINK", 0.06666667, 0.33333334, 0.8),
    ],
}

DEFAULT_LOCALE = "en_US"
DEFAULT_TIME_ZONE = "Etc/GMT"

_ID_ALPHABET = string.ascii_letters + string.digits + "-_"


def new_spreadsheet_id() -> str:
    """A 44-character id shaped like Google's."""
    return "1" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(43))


def now_rfc3339() -> str:
    now = _dt.datetime.now(_dt.timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


# ---------------------------------------------------------------------------
# formats

BORDER_STYLES = {"DOTTED": 1, "DASHED": 1, "SOLID": 1, "SOLID_MEDIUM": 2, "SOLID_THICK": 3, "DOUBLE": 3, "NONE": 0}
H_ALIGN = {"LEFT", "CENTER", "RIGHT"}
V_ALIGN = {"TOP", "MIDDLE", "BOTTOM"}
WRAP = {"OVERFLOW_CELL", "LEGACY_WRAP", "CLIP", "WRAP"}
TEXT_FORMAT_FIELDS = ("foregroundColor", "fontFamily", "fontSize", "bold", "italic", "strikethrough", "underline")
FORMAT_FIELDS = (
    "numberFormat",
    "backgroundColor",
    "borders",
    "horizontalAlignment",
    "verticalAlignment",
    "wrapStrategy",
    "textFormat",
)


def to_byte(v: float) -> int:
    return int(max(0.0, min(1.0, float(v))) * 255 + 0.5)


def from_byte(byte: int) -> float:
    """The shortest decimal that maps back to this 8-bit channel (230 -> 0.9)."""
    if byte in (0, 255):
        return byte // 255
    for places in range(1, 9):
        v = round(byte / 255, places)
        if to_byte(v) == byte:
            return v
    return round(byte / 255, 8)


def norm_color(color: Optional[dict]) -> Optional[dict]:
    """Sheets colours at the 8-bit precision an xlsx file keeps; zeros omitted."""
    if color is None:
        return None
    out = {}
    for key in ("red", "green", "blue"):
        byte = to_byte(color.get(key) or 0)
        if byte:
            out[key] = from_byte(byte)
    return out


def _color_from(fmt: dict, plain: str, style: str) -> Optional[dict]:
    if plain in fmt:
        return norm_color(fmt[plain])
    if style in fmt and isinstance(fmt[style], dict) and "rgbColor" in fmt[style]:
        return norm_color(fmt[style]["rgbColor"])
    return None


def normalize_format(fmt: Optional[dict]) -> dict:
    """Keep the userEnteredFormat fields the store can persist."""
    if not fmt:
        return {}
    out: dict[str, Any] = {}
    nf = fmt.get("numberFormat")
    if nf and (nf.get("type") or nf.get("pattern")):
        from .numfmt import DEFAULT_PATTERNS, infer_type

        ftype = nf.get("type") or infer_type(nf.get("pattern", ""))
        pattern = nf.get("pattern") or DEFAULT_PATTERNS.get(ftype, "")
        out["numberFormat"] = {"type": ftype, "pattern": pattern} if pattern else {"type": ftype}
    bg = _color_from(fmt, "backgroundColor", "backgroundColorStyle")
    if bg is not None:
        out["backgroundColor"] = bg
    for key, allowed in (("horizontalAlignment", H_ALIGN), ("verticalAlignment", V_ALIGN), ("wrapStrategy", WRAP)):
        if fmt.get(key) in allowed:
            out[key] = fmt[key]
    tf = fmt.get("textFormat")
    if tf:
        t: dict[str, Any] = {}
        fg = _color_from(tf, "foregroundColor", "foregroundColorStyle")
        if fg is not None:
            t["foregroundColor"] = fg
        if tf.get("fontFamily"):
            t["fontFamily"] = str(tf["fontFamily"])
        if tf.get("fontSize"):
            t["fontSize"] = int(tf["fontSize"]) if float(tf["fontSize"]).is_integer() else float(tf["fontSize"])
        for flag in ("bold", "italic", "strikethrough", "underline"):
            if tf.get(flag):
                t[flag] = True
        link = tf.get("link")
        if isinstance(link, dict) and link.get("uri"):
            t["link"] = {"uri": str(link["uri"])}
        if t:
            out["textFormat"] = t
    borders = fmt.get("borders")
    if borders:
        b = {}
        for side in ("top", "bottom", "left", "right"):
            spec = borders.get(side)
            if not spec or spec.get("style") in (None, "NONE", "STYLE_UNSPECIFIED"):
                continue
            style = spec["style"] if spec["style"] in BORDER_STYLES else "SOLID"
            entry = {"style": style, "width": BORDER_STYLES[style]}
            color = _color_from(spec, "color", "colorStyle")
            entry["color"] = color if color is not None else {}
            b[side] = entry
        if b:
            out["borders"] = b
    return out


def with_styles(fmt: dict) -> dict:
    """Add the ``*Style`` twins Sheets reports next to every colour."""
    out = copy.deepcopy(fmt)
    if "backgroundColor" in out:
        out["backgroundColorStyle"] = {"rgbColor": copy.deepcopy(out["backgroundColor"])}
    tf = out.get("textFormat")
    if tf and "foregroundColor" in tf:
        tf["foregroundColorStyle"] = {"rgbColor": copy.deepcopy(tf["foregroundColor"])}
    for spec in (out.get("borders") or {}).values():
        if "color" in spec:
            spec["colorStyle"] = {"rgbColor": copy.deepcopy(spec["color"])}
    return out


def effective_format(fmt: dict) -> dict:
    """userEnteredFormat over the spreadsheet default (an approximation)."""
    out = copy.deepcopy(DEFAULT_FORMAT)
    for key, value in fmt.items():
        if key == "textFormat":
            out["textFormat"].update(copy.deepcopy(value))
        else:
            out[key] = copy.deepcopy(value)
    out.pop("backgroundColorStyle", None)
    out["textFormat"].pop("foregroundColorStyle", None)
    if out.get("numberFormat", {}).get("type") in (None,):
        out.pop("numberFormat", None)
    return with_styles(out)


# ---------------------------------------------------------------------------
# grid ranges


def grid_rect(gr: dict) -> Rect:
    """A GridRange dict (indexes optional) as a Rect."""
    return Rect(
        int(gr.get("startRowIndex", 0) or 0),
        int(gr.get("startColumnIndex", 0) or 0),
        None if gr.get("endRowIndex") is None else int(gr["endRowIndex"]),
        None if gr.get("endColumnIndex") is None else int(gr["endColumnIndex"]),
    )


def rect_grid(sheet_id: int, rect: Rect) -> dict:
    gr: dict[str, int] = {"sheetId": sheet_id, "startRowIndex": rect.r0}
    if rect.r1 is not None:
        gr["endRowIndex"] = rect.r1
    gr["startColumnIndex"] = rect.c0
    if rect.c1 is not None:
        gr["endColumnIndex"] = rect.c1
    return gr


def shift_span(
    start: Optional[int], end: Optional[int], at: int, count: int, insert: bool
) -> Optional[tuple[Optional[int], Optional[int]]]:
    """Move a [start, end) span when `count` rows/cols are inserted/deleted at `at`.

    Returns None when a deletion swallows the whole span.
    """
    s = start or 0
    if insert:
        ns = s + count if s >= at else s
        ne = None if end is None else (end + count if end > at else end)
        return ns, ne
    de = at + count

    def move(i: int) -> int:
        if i <= at:
            return i
        if i >= de:
            return i - count
        return at

    ns = move(s)
    ne = None if end is None else move(end)
    if ne is not None and ne <= ns:
        return None
    return ns, ne


# ---------------------------------------------------------------------------


class Sheet:
    def __init__(self, sheet_id: int, title: str, rows: int = DEFAULT_ROWS, cols: int = DEFAULT_COLS):
        self.props: dict[str, Any] = {
            "sheetId": sheet_id,
            "title": title,
            "sheetType": "GRID",
            "gridProperties": {"rowCount": rows, "columnCount": cols},
        }
        self.cells: dict[tuple[int, int], dict[str, Any]] = {}
        self.merges: list[dict] = []
        self.conditional_formats: list[dict] = []
        self.protected_ranges: list[dict] = []
        self.charts: list[dict] = []
        self.banded_ranges: list[dict] = []
        self.basic_filter: Optional[dict] = None
        self.row_meta: dict[int, dict] = {}
        self.col_meta: dict[int, dict] = {}

    # properties -----------------------------------------------------------
    @property
    def sheet_id(self) -> int:
        return int(self.props["sheetId"])

    @property
    def title(self) -> str:
        return self.props["title"]

    @property
    def grid(self) -> dict:
        return self.props.setdefault("gridProperties", {})

    @property
    def row_count(self) -> int:
        return int(self.grid.get("rowCount", DEFAULT_ROWS))

    @property
    def col_count(self) -> int:
        return int(self.grid.get("columnCount", DEFAULT_COLS))

    @property
    def frozen_rows(self) -> int:
        return int(self.grid.get("frozenRowCount", 0) or 0)

    @property
    def frozen_cols(self) -> int:
        return int(self.grid.get("frozenColumnCount", 0) or 0)

    @property
    def hidden(self) -> bool:
        return bool(self.props.get("hidden"))

    def set_size(self, rows: Optional[int] = None, cols: Optional[int] = None) -> None:
        if rows is not None:
            self.grid["rowCount"] = int(rows)
        if cols is not None:
            self.grid["columnCount"] = int(cols)
        nr, nc = self.row_count, self.col_count
        for key in [k for k in self.cells if k[0] >= nr or k[1] >= nc]:
            del self.cells[key]
        self.row_meta = {k: v for k, v in self.row_meta.items() if k < nr}
        self.col_meta = {k: v for k, v in self.col_meta.items() if k < nc}

    # cells ----------------------------------------------------------------
    def cell(self, r: int, c: int) -> Optional[dict]:
        return self.cells.get((r, c))

    def cell_for_write(self, r: int, c: int) -> dict:
        return self.cells.setdefault((r, c), {})

    def prune(self, r: int, c: int) -> None:
        cell = self.cells.get((r, c))
        if cell is not None and not cell:
            del self.cells[(r, c)]

    def has_value(self, r: int, c: int) -> bool:
        cell = self.cells.get((r, c))
        return bool(cell and "userEnteredValue" in cell)

    def data_extent(self) -> tuple[int, int]:
        """(rows, cols) up to the last cell holding a value."""
        rows = cols = 0
        for (r, c), cell in self.cells.items():
            if "userEnteredValue" in cell:
                rows = max(rows, r + 1)
                cols = max(cols, c + 1)
        return rows, cols

    # dimension changes ------------------------------------------------------
    def shift(self, dimension: str, at: int, count: int, insert: bool) -> None:
        """Insert or delete `count` rows/columns at `at`, moving everything after."""
        rows = dimension == "ROWS"
        idx = 0 if rows else 1
        new_cells: dict[tuple[int, int], dict] = {}
        for key, cell in self.cells.items():
            i = key[idx]
            if insert:
                ni = i + count if i >= at else i
            else:
                if at <= i < at + count:
                    continue
                ni = i - count if i >= at + count else i
            new_cells[(ni, key[1]) if rows else (key[0], ni)] = cell
        self.cells = new_cells
        meta = self.row_meta if rows else self.col_meta
        shifted = {}
        for i, v in meta.items():
            if insert:
                shifted[i + count if i >= at else i] = v
            elif not (at <= i < at + count):
                shifted[i - count if i >= at + count else i] = v
        if rows:
            self.row_meta = shifted
        else:
            self.col_meta = shifted
        key = "rowCount" if rows else "columnCount"
        self.grid[key] = self.grid.get(key, DEFAULT_ROWS if rows else DEFAULT_COLS) + (count if insert else -count)
        start_key = "startRowIndex" if rows else "startColumnIndex"
        end_key = "endRowIndex" if rows else "endColumnIndex"

        def move_range(gr: dict) -> bool:
            span = shift_span(gr.get(start_key), gr.get(end_key), at, count, insert)
            if span is None:
                return False
            if gr.get(start_key) is not None or span[0]:
                gr[start_key] = span[0]
            if span[1] is not None:
                gr[end_key] = span[1]
            return True

        self.merges = [m for m in self.merges if move_range(m)]
        for rule in self.conditional_formats:
            rule["ranges"] = [gr for gr in rule.get("ranges", []) if move_range(gr)]
        self.conditional_formats = [r for r in self.conditional_formats if r.get("ranges")]
        kept = []
        for pr in self.protected_ranges:
            if "range" in pr and not move_range(pr["range"]):
                continue
            kept.append(pr)
        self.protected_ranges = kept
        frozen_key = "frozenRowCount" if rows else "frozenColumnCount"
        frozen = self.grid.get(frozen_key, 0) or 0
        if frozen and at < frozen:
            self.grid[frozen_key] = frozen + count if insert else max(at, frozen - count)

    # output ---------------------------------------------------------------
    def properties_json(self, index: int) -> dict:
        out = {"sheetId": self.sheet_id, "title": self.title, "index": index}
        for key, value in self.props.items():
            if key in ("sheetId", "title", "index"):
                continue
            out[key] = copy.deepcopy(value)
        grid = out.get("gridProperties", {})
        for key in ("frozenRowCount", "frozenColumnCount"):
            if not grid.get(key):
                grid.pop(key, None)
        if not out.get("hidden"):
            out.pop("hidden", None)
        if "tabColor" in out:
            out["tabColorStyle"] = {"rgbColor": copy.deepcopy(out["tabColor"])}
        return out

    def copy_as(self, sheet_id: int, title: str) -> "Sheet":
        new = copy.deepcopy(self)
        new.props["sheetId"] = sheet_id
        new.props["title"] = title
        ranges = [gr for r in new.conditional_formats for gr in r.get("ranges", [])]
        ranges += [band["range"] for band in new.banded_ranges if isinstance(band.get("range"), dict)]
        if new.basic_filter and isinstance(new.basic_filter.get("range"), dict):
            ranges.append(new.basic_filter["range"])
        for gr in new.merges + ranges:
            gr["sheetId"] = sheet_id
        new.protected_ranges = []
        new.charts = []
        return new


class Spreadsheet:
    def __init__(self, spreadsheet_id: str, title: str = "Untitled spreadsheet"):
        self.id = spreadsheet_id
        self.properties: dict[str, Any] = {
            "title": title,
            "locale": DEFAULT_LOCALE,
            "autoRecalc": "ON_CHANGE",
            "timeZone": DEFAULT_TIME_ZONE,
        }
        self.sheets: list[Sheet] = []
        self.named_ranges: list[dict] = []
        self.number_format_types: dict[str, str] = {}
        self.created_time = now_rfc3339()
        self.modified_time = self.created_time
        self.permissions: list[dict] = []
        self.stored_id: Optional[str] = None  # the id found in the xlsx metadata, if any

    @property
    def title(self) -> str:
        return self.properties.get("title", "")

    # sheets ---------------------------------------------------------------
    def titles(self) -> list[str]:
        return [s.title for s in self.sheets]

    def sheet_by_title(self, title: str) -> Optional[Sheet]:
        return next((s for s in self.sheets if s.title == title), None)

    def sheet_by_id(self, sheet_id: int) -> Optional[Sheet]:
        return next((s for s in self.sheets if s.sheet_id == int(sheet_id)), None)

    def index_of(self, sheet: Sheet) -> int:
        return self.sheets.index(sheet)

    def first_visible(self) -> Sheet:
        return next((s for s in self.sheets if not s.hidden), self.sheets[0])

    def new_sheet_id(self) -> int:
        used = {s.sheet_id for s in self.sheets}
        while True:
            candidate = random.randint(1, 2**31 - 1)
            if candidate not in used:
                return candidate

    def new_object_id(self) -> int:
        """Ids for charts and protected ranges (unique in this spreadsheet)."""
        used = {c.get("chartId") for s in self.sheets for c in s.charts}
        used |= {p.get("protectedRangeId") for s in self.sheets for p in s.protected_ranges}
        used |= {b.get("bandedRangeId") for s in self.sheets for b in s.banded_ranges}
        while True:
            candidate = random.randint(1, 2**31 - 1)
            if candidate not in used:
                return candidate

    def add_sheet(
        self,
        title: Optional[str] = None,
        sheet_id: Optional[int] = None,
        index: Optional[int] = None,
        rows: int = DEFAULT_ROWS,
        cols: int = DEFAULT_COLS,
    ) -> Sheet:
        if title is None:
            n = len(self.sheets) + 1
            while f"Sheet{n}" in self.titles():
                n += 1
            title = f"Sheet{n}"
        sheet = Sheet(self.new_sheet_id() if sheet_id is None else sheet_id, title, rows, cols)
        if index is None or index >= len(self.sheets):
            self.sheets.append(sheet)
        else:
            self.sheets.insert(max(0, index), sheet)
        return sheet

    def touch(self) -> None:
        self.modified_time = now_rfc3339()

    # json -----------------------------------------------------------------
    def properties_json(self) -> dict:
        out = copy.deepcopy(self.properties)
        out.setdefault("locale", DEFAULT_LOCALE)
        out.setdefault("autoRecalc", "ON_CHANGE")
        out.setdefault("timeZone", DEFAULT_TIME_ZONE)
        out["defaultFormat"] = copy.deepcopy(DEFAULT_FORMAT)
        out["spreadsheetTheme"] = copy.deepcopy(DEFAULT_THEME)
        return out

    def drive_file(self) -> dict:
        return {
            "kind": "drive#file",
            "id": self.id,
            "name": self.title,
            "mimeType": "application/vnd.google-apps.spreadsheet",
            "createdTime": self.created_time,
            "modifiedTime": self.modified_time,
        }


def iter_rect(rect: Rect) -> Iterable[tuple[int, int]]:
    assert rect.r1 is not None and rect.c1 is not None
    for r in range(rect.r0, rect.r1):
        for c in range(rect.c0, rect.c1):
            yield r, c
