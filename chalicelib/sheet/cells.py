"""Reading one cell as finance typed it, and A1 names for cells.

Values come from `values.batchGet` with UNFORMATTED_VALUE and SERIAL_NUMBER: a number
cell arrives as a JSON number (a percent cell as its fraction, a date cell as a serial
day number), anything typed as text as a string. Text is read generously:

* amounts: "$1,200.50", "1 200", "USD 1200", "(300)" (negative, then refused where an
  amount must be >= 0), "1.200,50" and "12,5" (decimal comma when it cannot be a
  thousands separator);
* shares ("fraction"): 0.12, "12%", "12 %" and 12 all mean 12 %: a number above 1 is
  read as percentage points;
* dates: serial numbers, "2026-11-20", "20 Nov 2026", "Nov 20, 2026";
* yes/no: yes, no, y, n, true, false, 1, 0, x, or a checkbox.

A cell that cannot be read raises CellError with the reason shown in the Sync log.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any


class CellError(ValueError):
    pass


_SPACES = re.compile(r"[\s\u00a0\u2009\u202f']+")
_CURRENCY = re.compile(
    r"^(?:[$€£¥]|USD|EUR|GBP|JPY|CAD|AUD|CHF)\s*|\s*(?:[$€£¥]|USD|EUR|GBP|JPY|CAD|AUD|CHF)$", re.IGNORECASE
)
_EMAIL = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+$")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/@+=-]*$")
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_SHEETS_EPOCH = date(1899, 12, 30)
MAX_ID = 128
MAX_TEXT = 2000


def col_letters(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    out = ""
    n = index + 1
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


def a1(row: int, col: int) -> str:
    """0-based row and column -> 'B7'."""
    return f"{col_letters(col)}{row + 1}"


def quote_title(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def shown(value: Any) -> str:
    """A cell value as the Sync log shows it."""
    if value is None:
        return ""
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "..."


# ---------------------------------------------------------------------------
# numbers


def number(value: Any) -> Decimal:
    """Any number a person may type, as an exact Decimal (sign kept)."""
    if isinstance(value, bool):
        raise CellError("expected a number, got yes/no")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise CellError("not a finite number")
        return Decimal(repr(value))
    if isinstance(value, Decimal):
        return value
    text = str(value).strip()
    if not text:
        raise CellError("empty")
    negative = False
    if text.startswith("(") and text.endswith(")"):
        negative, text = True, text[1:-1].strip()
    if text.startswith("-"):
        negative, text = not negative, text[1:].strip()
    percent = text.endswith("%")
    if percent:
        text = text[:-1].strip()
    text = _CURRENCY.sub("", text)
    if text.startswith("-"):  # "$-5"
        negative, text = not negative, text[1:]
    text = _SPACES.sub("", text)
    text = _separators(text)
    try:
        result = Decimal(text)
    except InvalidOperation:
        raise CellError(f"{str(value).strip()!r} is not a number") from None
    if not result.is_finite():
        raise CellError("not a finite number")
    if percent:
        result = result / 100
    return -result if negative else result


def _separators(text: str) -> str:
    comma, dot = text.rfind(","), text.rfind(".")
    if comma >= 0 and dot >= 0:
        if comma > dot:  # 1.200,50
            return text.replace(".", "").replace(",", ".")
        return text.replace(",", "")  # 1,200.50
    if comma >= 0:
        groups = text.split(",")
        if len(groups) > 2 or (len(groups[-1]) == 3 and groups[0] not in ("", "0")):
            if all(len(g) == 3 for g in groups[1:]):
                return text.replace(",", "")  # 1,200 / 1,200,000
        if len(groups) == 2:
            return text.replace(",", ".")  # 12,5
        raise CellError(f"{text!r} is not a number")
    if dot >= 0:
        groups = text.split(".")
        if len(groups) > 2 and all(len(g) == 3 for g in groups[1:]):
            return text.replace(".", "")  # 1.200.000
        if len(groups) == 2 and len(groups[1]) == 3 and groups[0].lstrip("+-") not in ("", "0"):
            # 1.200 is 1200 to a European and 1.2 to an American: refuse rather than guess.
            raise CellError(
                f"{text!r} is ambiguous: type 1200, 1,200 or 1.2 (a decimal point "
                "followed by exactly three digits could be a thousands separator)"
            )
    return text


def is_percent_text(value: Any) -> bool:
    return isinstance(value, str) and value.strip().endswith("%")


def money(value: Any) -> Decimal:
    amount = number(value)
    if is_percent_text(value):
        raise CellError("expected an amount, got a percentage")
    if amount < 0:
        raise CellError("must be 0 or more")
    return amount


def non_negative(value: Any) -> Decimal:
    amount = number(value)
    if amount < 0:
        raise CellError("must be 0 or more")
    return amount


def fraction(value: Any) -> Decimal:
    """A share: 0.12, '12%' or 12 (points) -> Decimal('0.12')."""
    share = number(value)
    if share < 0:
        raise CellError("must be 0 % or more")
    if share > 1 and not is_percent_text(value):
        share = share / 100  # 12 means 12 %
    if share > 10:
        raise CellError("more than 1000 %: check the value")
    return share


def integer(value: Any) -> int:
    n = number(value)
    if n != n.to_integral_value():
        raise CellError("must be a whole number")
    if n < 1:
        raise CellError("must be 1 or more")
    return int(n)


def percents(value: Any) -> tuple:
    """'60, 40' or '60%; 40%' -> (Decimal(60), Decimal(40)): percentage points.

    A single number cell holding a fraction (a cell typed 100% arrives as 1) is scaled to points."""
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        n = number(value)
        if n < 0:
            raise CellError("percentages must be 0 or more")
        return (n * 100 if 0 < n <= 1 else n,)
    out = []
    for part in [p for p in re.split(r"[,;\s]+", str(value).strip()) if p]:
        raw = part.rstrip("%")
        try:
            n = Decimal(raw)
        except InvalidOperation:
            raise CellError(f"{part!r} is not a percentage") from None
        if not n.is_finite() or n < 0:
            raise CellError("percentages must be 0 or more")
        out.append(n)
    if not out:
        raise CellError("empty")
    return tuple(out)


# ---------------------------------------------------------------------------
# text, ids, choices


def text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    out = str(value).strip()
    if len(out) > MAX_TEXT:
        raise CellError(f"longer than {MAX_TEXT} characters")
    return out


def ident(value: Any) -> str:
    out = text(value)
    if not out:
        raise CellError("empty")
    if len(out) > MAX_ID:
        raise CellError(f"longer than {MAX_ID} characters")
    if not _ID.match(out):
        raise CellError("an id has no spaces: use letters, digits and - _ . :")
    return out


def key(value: Any) -> str:
    out = " ".join(text(value).split())
    if not out:
        raise CellError("empty")
    if len(out) > 256:
        raise CellError("longer than 256 characters")
    return out


def ids(value: Any) -> tuple:
    parts = [p.strip() for p in re.split(r"[,;\n]", text(value)) if p.strip()]
    if not parts:
        raise CellError("empty")
    return tuple(ident(p) for p in parts)


def email(value: Any) -> str:
    out = text(value)
    if not _EMAIL.match(out):
        raise CellError(f"{out!r} is not an email address")
    return out.lower()


def emails(value: Any) -> tuple:
    parts = [p.strip() for p in re.split(r"[,;\s]+", text(value)) if p.strip()]
    return tuple(email(p) for p in parts)


_CHOICE_ALIASES = {
    "direct spend": "direct_spend",
    "direct": "direct_spend",
    "by direct spend": "direct_spend",
    "by units": "units",
    "percentage": "percent",
    "percentages": "percent",
    "fixed percentages": "percent",
    "%": "percent",
    "tier 1": "T1",
    "tier 2": "T2",
    "tier 3": "T3",
    "t1": "T1",
    "t2": "T2",
    "t3": "T3",
    "1": "T1",
    "2": "T2",
    "3": "T3",
    "successes": "success",
    "successful": "success",
    "every item": "all",
    "retired": "retire",
    "continued": "continue",
}


def choice(value: Any, choices: tuple) -> str:
    raw = " ".join(text(value).split())
    low = raw.lower()
    for c in choices:
        if low == c.lower():
            return c
    alias = _CHOICE_ALIASES.get(low)
    if alias is not None and alias in choices:
        return alias
    raise CellError(f"{raw!r} is not one of {', '.join(choices)}")


_TRUE = {"yes", "y", "true", "1", "x", "✓", "✔", "ok", "approved", "cleared", "met"}
_FALSE = {"no", "n", "false", "0", "-", "not met"}


def yes_no(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    low = text(value).lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    raise CellError(f"{text(value)!r} is not yes or no")


def currency(value: Any) -> str:
    out = text(value).upper()
    if not re.fullmatch(r"[A-Z]{3}", out):
        raise CellError("a currency is a 3-letter ISO code such as USD")
    return out


# ---------------------------------------------------------------------------
# dates


_DATE_FORMATS = (
    "%Y-%m-%d",
    "%d %b %Y",
    "%d %B %Y",
    "%b %d, %Y",
    "%B %d, %Y",
    "%b %d %Y",
    "%B %d %Y",
    "%Y/%m/%d",
    "%d-%b-%Y",
)


def serial_to_date(serial: Any) -> date:
    n = number(serial)
    if n < 1 or n > 2958465:
        raise CellError("not a date")
    return _SHEETS_EPOCH + timedelta(days=int(n))


def day(value: Any) -> date:
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return serial_to_date(value)
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raw = text(value)
    candidate = raw[:10] if re.match(r"^\d{4}-\d{2}-\d{2}[T ]", raw) else raw
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(candidate, fmt).date()
        except ValueError:
            continue
    raise CellError(f"{raw!r} is not a date: write it as YYYY-MM-DD")


def month(value: Any) -> str:
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        d = serial_to_date(value)  # a date cell: its month
        return f"{d.year:04d}-{d.month:02d}"
    raw = text(value)
    if _MONTH.match(raw):
        return raw
    m = re.fullmatch(r"(\d{4})-(\d{1,2})", raw)
    if m and 1 <= int(m.group(2)) <= 12:
        return f"{int(m.group(1)):04d}-{int(m.group(2)):02d}"
    for fmt in ("%b %Y", "%B %Y", "%Y/%m", "%m/%Y"):
        try:
            d = datetime.strptime(raw, fmt)
            return f"{d.year:04d}-{d.month:02d}"
        except ValueError:
            continue
    try:
        d = day(raw)
        return f"{d.year:04d}-{d.month:02d}"
    except CellError:
        raise CellError(f"{raw!r} is not a month: write it as YYYY-MM") from None


# ---------------------------------------------------------------------------


def read(kind: str, value: Any, choices: tuple = ()) -> Any:
    """The typed value of a non-blank cell of `kind` (see chalicelib.sheet.layout)."""
    if kind == "text":
        return text(value)
    if kind == "id":
        return ident(value)
    if kind == "key":
        return key(value)
    if kind in ("money", "cpu"):
        return money(value)
    if kind == "number":
        return non_negative(value)
    if kind == "fraction":
        return fraction(value)
    if kind == "integer":
        return integer(value)
    if kind == "date":
        return day(value)
    if kind == "month":
        return month(value)
    if kind == "bool":
        return yes_no(value)
    if kind == "email":
        return email(value)
    if kind == "emails":
        return emails(value)
    if kind == "choice":
        return choice(value, choices)
    if kind == "ids":
        return ids(value)
    if kind == "percents":
        return percents(value)
    if kind == "currency":
        return currency(value)
    raise ValueError(f"unknown column kind {kind!r}")


def to_sheet(value: Any) -> Any:
    """A typed value back as finance would type it (for default rows init writes)."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        return float(value) if value != value.to_integral_value() else int(value)
    if isinstance(value, tuple):
        return ", ".join(str(v) for v in value)
    if isinstance(value, date):
        return value.isoformat()
    return value
