"""Cell values: what USER_ENTERED / RAW input becomes, and how a cell reads back
under FORMATTED_VALUE, UNFORMATTED_VALUE and FORMULA."""

from __future__ import annotations

import datetime as _dt
import re
from typing import Any, Optional

from .errors import ApiError
from .formulas import Context, FormulaError, Unsupported, evaluate
from .model import Sheet, Spreadsheet
from .numfmt import datetime_to_serial, format_number, format_text

_NUM = r"(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d+)?(?:[eE][+-]?\d+)?"
_NUMBER_RE = re.compile(rf"^([+-]?)({_NUM})$")
_PERCENT_RE = re.compile(rf"^([+-]?)({_NUM})\s*%$")
_CURRENCY_RE = re.compile(rf"^([+-]?)\$\s*([+-]?)({_NUM})$")
_ISO_DATE_RE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?$")
_US_DATE_RE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?)?$")
_TIME_RE = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?$")

PERCENT_FORMATS = ("0%", "0.00%")
CURRENCY_FORMAT = '"$"#,##0.00'
VALUE_KEYS = ("numberValue", "stringValue", "boolValue", "formulaValue", "errorValue")


def _to_float(digits: str) -> Optional[float]:
    if not re.search(r"\d", digits):
        return None
    return float(digits.replace(",", ""))


def _number_out(v: float) -> float | int:
    if isinstance(v, bool):
        return v
    if isinstance(v, float) and v.is_integer() and abs(v) < 2**53:
        return int(v)
    return v


def parse_raw(value: Any) -> Optional[dict]:
    """RAW input: stored as given. None means "leave the cell alone"."""
    if value is None:
        return None
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, (int, float)):
        return {"numberValue": value}
    if isinstance(value, str):
        return {} if value == "" else {"stringValue": value}
    raise ApiError(400, f"Invalid values[][]: {_describe(value)}")


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return "struct_value {" + ", ".join(f"{k}" for k in value) + "}"
    if isinstance(value, list):
        return "list_value {...}"
    return repr(value)


def parse_user_entered(value: Any) -> tuple[Optional[dict], Optional[dict]]:
    """USER_ENTERED input, parsed roughly as Sheets (en_US) does.

    Returns (userEnteredValue, numberFormat to apply when the cell has none).
    """
    if value is None:
        return None, None
    if not isinstance(value, str):
        return parse_raw(value), None
    if value == "":
        return {}, None
    if value.startswith("'"):
        return {"stringValue": value[1:]}, None
    if value.startswith("=") and len(value) > 1:
        return {"formulaValue": value}, None
    text = value.strip()
    upper = text.upper()
    if upper in ("TRUE", "FALSE"):
        return {"boolValue": upper == "TRUE"}, None
    m = _NUMBER_RE.match(text)
    if m:
        number = _to_float(m.group(2))
        if number is not None:
            number = -number if m.group(1) == "-" else number
            if "," in m.group(2):
                pattern = "#,##0.00" if "." in m.group(2) else "#,##0"
                return {"numberValue": number}, {"type": "NUMBER", "pattern": pattern}
            return {"numberValue": number}, None
    m = _PERCENT_RE.match(text)
    if m:
        number = _to_float(m.group(2))
        if number is not None:
            number = (-number if m.group(1) == "-" else number) / 100
            pattern = "0.00%" if "." in m.group(2) else "0%"
            return {"numberValue": round(number, 15)}, {"type": "PERCENT", "pattern": pattern}
    m = _CURRENCY_RE.match(text)
    if m:
        number = _to_float(m.group(3))
        if number is not None:
            if "-" in (m.group(1), m.group(2)):
                number = -number
            return {"numberValue": number}, {"type": "CURRENCY", "pattern": CURRENCY_FORMAT}
    parsed = _parse_date(text)
    if parsed is not None:
        return {"numberValue": parsed[0]}, parsed[1]
    return {"stringValue": value}, None


def _hour(h: str, ampm: Optional[str]) -> int:
    hour = int(h)
    if ampm:
        hour = hour % 12 + (12 if ampm.lower() == "pm" else 0)
    return hour


def _parse_date(text: str) -> Optional[tuple[float, dict]]:
    try:
        m = _ISO_DATE_RE.match(text)
        if m:
            y, mo, d, hh, mi, ss = m.groups()
            dt = _dt.datetime(int(y), int(mo), int(d), int(hh or 0), int(mi or 0), int(ss or 0))
            if hh is None:
                return datetime_to_serial(dt), {"type": "DATE", "pattern": "yyyy-mm-dd"}
            return datetime_to_serial(dt), {"type": "DATE_TIME", "pattern": "yyyy-mm-dd H:mm:ss"}
        m = _US_DATE_RE.match(text)
        if m:
            mo, d, y, hh, mi, ss, ampm = m.groups()
            dt = _dt.datetime(int(y), int(mo), int(d), _hour(hh, ampm) if hh else 0, int(mi or 0), int(ss or 0))
            if hh is None:
                return datetime_to_serial(dt), {"type": "DATE", "pattern": "M/d/yyyy"}
            return datetime_to_serial(dt), {"type": "DATE_TIME", "pattern": "M/d/yyyy H:mm:ss"}
        m = _TIME_RE.match(text)
        if m:
            hh, mi, ss, ampm = m.groups()
            hour = _hour(hh, ampm)
            if hour > 23 or int(mi) > 59 or int(ss or 0) > 59:
                return None
            serial = (hour * 3600 + int(mi) * 60 + int(ss or 0)) / 86400
            pattern = "h:mm:ss am/pm" if ampm else ("H:mm:ss" if ss else "H:mm")
            return serial, {"type": "TIME", "pattern": pattern}
    except ValueError:
        return None
    return None


# ---------------------------------------------------------------------------
# reading


class Renderer:
    """Computes effective values (formulas included) for one request."""

    def __init__(self, book: Spreadsheet):
        self.book = book
        self._cache: dict[tuple[int, int, int], Any] = {}
        self._busy: set[tuple[int, int, int]] = set()
        self._ctx = Context(self._cell_value_by_title, self._grid_size)

    def _sheet(self, title: Optional[str], default: Sheet) -> Optional[Sheet]:
        if title is None:
            return default
        found = self.book.sheet_by_title(title)
        if found is None:
            folded = title.casefold()
            found = next((s for s in self.book.sheets if s.title.casefold() == folded), None)
        return found

    def _grid_size(self, title: Optional[str]) -> tuple[int, int]:
        sheet = self._sheet(title, self._current)
        return (sheet.row_count, sheet.col_count) if sheet else (0, 0)

    def _cell_value_by_title(self, title: Optional[str], r: int, c: int) -> Any:
        sheet = self._sheet(title, self._current)
        if sheet is None:
            return FormulaError("#REF!")
        return self.effective(sheet, r, c)

    def effective(self, sheet: Sheet, r: int, c: int) -> Any:
        """Python value: None, float/int, str, bool or FormulaError.

        Raises Unsupported when a formula (here or upstream) cannot be computed.
        """
        cell = sheet.cell(r, c)
        uev = cell.get("userEnteredValue") if cell else None
        if not uev:
            return None
        if "formulaValue" not in uev:
            for key in ("numberValue", "stringValue", "boolValue"):
                if key in uev:
                    return uev[key]
            return None
        key = (sheet.sheet_id, r, c)
        if key in self._cache:
            cached = self._cache[key]
            if isinstance(cached, Unsupported):
                raise cached
            return cached
        if key in self._busy:
            return FormulaError("#REF!")
        self._busy.add(key)
        previous = getattr(self, "_current", None)
        self._current = sheet
        try:
            value = evaluate(uev["formulaValue"], self._ctx)
        except Unsupported as exc:
            self._cache[key] = exc
            raise
        finally:
            self._busy.discard(key)
            self._current = previous
        self._cache[key] = value
        return value

    def number_format(self, sheet: Sheet, r: int, c: int) -> Optional[dict]:
        cell = sheet.cell(r, c)
        if not cell:
            return None
        return (cell.get("userEnteredFormat") or {}).get("numberFormat")

    def render(
        self, sheet: Sheet, r: int, c: int, option: str = "FORMATTED_VALUE", dt_option: str = "SERIAL_NUMBER"
    ) -> Any:
        """One cell as values.get returns it ("" for an empty cell)."""
        cell = sheet.cell(r, c)
        uev = cell.get("userEnteredValue") if cell else None
        if not uev:
            return ""
        if option == "FORMULA" and "formulaValue" in uev:
            return uev["formulaValue"]
        try:
            value = self.effective(sheet, r, c)
        except Unsupported:
            return uev["formulaValue"]
        nf = self.number_format(sheet, r, c) or {}
        if option == "FORMATTED_VALUE":
            return self.format(value, nf)
        if isinstance(value, FormulaError):
            return value.code
        if value is None:
            return ""
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if dt_option == "FORMATTED_STRING" and nf.get("type") in ("DATE", "TIME", "DATE_TIME"):
                return format_number(value, nf.get("pattern"))
            return _number_out(value)
        return value

    @staticmethod
    def format(value: Any, nf: dict) -> str:
        if value is None:
            return ""
        if isinstance(value, FormulaError):
            return value.code
        if isinstance(value, bool):
            return "TRUE" if value else "FALSE"
        if isinstance(value, (int, float)):
            return format_number(value, nf.get("pattern"))
        return format_text(str(value), nf.get("pattern") if nf.get("type") == "TEXT" else None)

    def effective_value_json(self, sheet: Sheet, r: int, c: int) -> Optional[dict]:
        try:
            value = self.effective(sheet, r, c)
        except Unsupported:
            cell = sheet.cell(r, c) or {}
            return {"stringValue": cell.get("userEnteredValue", {}).get("formulaValue", "")}
        if value is None:
            return None
        if isinstance(value, FormulaError):
            return {"errorValue": {"type": _ERROR_TYPES.get(value.code, "ERROR"), "message": value.code}}
        if isinstance(value, bool):
            return {"boolValue": value}
        if isinstance(value, (int, float)):
            return {"numberValue": _number_out(value)}
        return {"stringValue": value}


_ERROR_TYPES = {
    "#DIV/0!": "DIVIDE_BY_ZERO",
    "#VALUE!": "VALUE",
    "#REF!": "REF",
    "#N/A": "N_A",
    "#NAME?": "NAME",
    "#NUM!": "NUM",
}


def number_out(v: Any) -> Any:
    return _number_out(v) if isinstance(v, float) else v
