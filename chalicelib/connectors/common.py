"""Small helpers shared by the connectors: UTC days, exact decimals, merging facts."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any, Callable, Iterable, Optional

from chalicelib.connectors.errors import SourceUnavailable
from chalicelib.domain.facts import CostFact

MAX_PROVENANCE_CHARS = 500


@dataclass(frozen=True)
class Pulled:
    """What a billing source answered for a window: its facts, and the UTC days it answered for.

    A day is *answered* when the source's reply speaks about it explicitly (a daily bucket, a
    ResultsByTime entry, a counted day), zero or empty included: only those days replace what the
    ledger holds. A day the reply leaves out (no bucket, an empty reply) is not answered and keeps
    its stored facts. Every fact's day is answered."""

    facts: list[CostFact] = field(default_factory=list)
    answered: frozenset = frozenset()  # of date

    def __post_init__(self) -> None:
        object.__setattr__(self, "answered", frozenset(self.answered) | {f.day for f in self.facts})


def day_start(day: date) -> datetime:
    """Midnight UTC at the start of ``day``."""
    return datetime.combine(day, time(0, 0), tzinfo=timezone.utc)


def unix_seconds(day: date) -> int:
    return int(day_start(day).timestamp())


def rfc3339(day: date) -> str:
    return day_start(day).strftime("%Y-%m-%dT%H:%M:%SZ")


def utc_day_of_unix(seconds: int) -> date:
    return datetime.fromtimestamp(int(seconds), tz=timezone.utc).date()


# Strict forms, ASCII digits only: Python's own parsers also take "20261201", "2026-W49-2",
# "١٢٣", "１２３" and "1_000", which no invoice means.
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})", re.ASCII)
_TIMESTAMP = re.compile(
    r"(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})"
    r"(?:[Tt ](?P<h>[0-9]{2}):(?P<m>[0-9]{2})(?::(?P<s>[0-9]{2})(?:\.(?P<f>[0-9]{1,9}))?)?"
    r"(?P<tz>[Zz]|[+-][0-9]{2}:?[0-9]{2})?)?",
    re.ASCII,
)
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", re.ASCII)


def parse_day(text: str) -> date:
    """A calendar day written ``YYYY-MM-DD`` (ASCII digits). Raises ValueError."""
    m = _DATE.fullmatch(text.strip())
    if not m:
        raise ValueError(f"not a date (YYYY-MM-DD): {text!r}")
    return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))


def parse_timestamp(text: str) -> datetime:
    """RFC 3339 / ISO 8601 ("2025-05-01T00:00:00Z", "2024-09-18 22:00:00", "2024-09-18",
    "2024-09-18T22:00:00+02:00") as an aware UTC datetime; ASCII digits, calendar dates only.
    A timestamp with no offset is taken as UTC. Raises ValueError."""
    value = text.strip()
    m = _TIMESTAMP.fullmatch(value)
    if not m:
        raise ValueError(f"not a timestamp: {text!r}")
    day = parse_day(m.group("date"))
    fraction = (m.group("f") or "").ljust(6, "0")[:6]
    parsed = datetime.combine(
        day, time(int(m.group("h") or 0), int(m.group("m") or 0), int(m.group("s") or 0), int(fraction or 0))
    )
    tz = m.group("tz")
    if tz and tz not in ("Z", "z"):
        sign = -1 if tz[0] == "-" else 1
        digits = tz[1:].replace(":", "")
        offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        if offset >= timedelta(hours=24):
            raise ValueError(f"not a UTC offset: {text!r}")
        parsed = parsed.replace(tzinfo=timezone(sign * offset))
    else:
        parsed = parsed.replace(tzinfo=timezone.utc)
    try:
        return parsed.astimezone(timezone.utc)
    except OverflowError:
        raise ValueError(f"timestamp out of range: {text!r}") from None


# Cost-import bounds: no bill predates 2000 or is dated after the end of next year, and a
# FOCUS charge period spans at most a quarter (92 days).
EARLIEST_DAY = date(2000, 1, 1)
MAX_PERIOD_DAYS = 92


def latest_day(today: Optional[date] = None) -> date:
    """The last day a cost import may state: 31 December of next year (UTC)."""
    today = today or datetime.now(timezone.utc).date()
    return date(today.year + 1, 12, 31)


def day_out_of_bounds(day: date, today: Optional[date] = None) -> Optional[str]:
    """Why a day is outside what a cost import may state, or None."""
    if day < EARLIEST_DAY:
        return f"before {EARLIEST_DAY.isoformat()}"
    if day > latest_day(today):
        return f"after {latest_day(today).isoformat()} (the end of next year)"
    return None


def text_problem(value: Optional[str], allowed: str = "") -> Optional[str]:
    """Why a text cell cannot be stored as it is, or None: control and invisible format characters
    (NUL, ESC, a zero-width space; a tab or a line break unless `allowed`)."""
    import unicodedata

    for ch in value or "":
        if ch not in allowed and unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zl", "Zp"):
            return f"contains the control character U+{ord(ch):04X} ({unicodedata.name(ch, 'control')}); remove it"
    return None


def key_text_problem(value: Optional[str]) -> Optional[str]:
    """Why a cell cannot be part of a vendor key or a fact's identity, or None: control and
    invisible format characters (a tab, NUL, ESC, a zero-width space) cannot be typed into the
    Mappings tab, so the spend behind them could never be mapped."""
    why = text_problem(value)
    return None if why is None else why + ": such a key cannot be mapped"


NAME_WHITESPACE = "\t\r\n"  # a provider or service name (shown, never a key) may hold these, quoted


def key_part(value: str, separators: str = ",=") -> str:
    """One value inside a vendor key built from several (``team=<t>,use-case=<u>``), with the
    characters that separate them and ``%`` percent-escaped, so two different pairs never give
    one key (team ``a,use-case=b`` is ``a%2Cuse-case%3Db``). Ordinary values are unchanged."""
    for ch in "%" + separators:
        value = value.replace(ch, f"%{ord(ch):02X}")
    return value


def check_window(start: date, end: date) -> None:
    if not isinstance(start, date) or not isinstance(end, date):
        raise TypeError("start and end must be dates")
    if isinstance(start, datetime) or isinstance(end, datetime):
        raise TypeError("start and end must be dates (UTC days), not datetimes")
    if end <= start:
        raise ValueError(f"empty window: end {end} is not after start {start}")


def days(start: date, end: date) -> list[date]:
    """The UTC days of [start, end)."""
    return [start + timedelta(days=i) for i in range((end - start).days)]


def to_decimal(value: object) -> Decimal:
    """An exact Decimal from a JSON number parsed with parse_float=Decimal, an int or a
    decimal string. Floats and booleans are refused: they have already lost exactness."""
    if isinstance(value, bool) or isinstance(value, float):
        raise ValueError(f"refusing inexact number {value!r}")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str):
        if not _DECIMAL.fullmatch(value.strip()):  # Decimal() also takes "١٢٣", "１２３", "1_000", "NaN"
            raise ValueError(f"not a number: {value!r}")
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(f"not a number: {value!r}") from None
    else:
        raise ValueError(f"not a number: {value!r}")
    if not result.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    # DynamoDB keeps 38 significant digits between 1E-130 and 1E+125; no real amount needs more
    # than 20 decimal places, and refusing here keeps an import all-or-nothing.
    digits = result.as_tuple()
    exponent = digits.exponent
    assert isinstance(exponent, int)  # finite: only NaN and Infinity have a letter here ("n", "N", "F")
    if len(digits.digits) > 38 or exponent < -20 or result.adjusted() > 20:
        raise ValueError(f"not a usable amount (too many digits or out of range): {value!r}")
    return result


def vendor_amount(
    value: object,
    currency: object,
    shape: Callable[[bool, str], None],
    where: str,
    currency_where: str,
    read: Callable[[object], Decimal] = to_decimal,
) -> tuple[Decimal, str]:
    """An amount a vendor's answer states, exactly (`read`: `to_decimal`, or the vendor's own unit such as
    Anthropic's cents), and its three-letter currency in capitals. `shape(condition, what)` raises the
    connector's own error, naming `where` (with why the amount is refused) or `currency_where`."""
    try:
        amount = read(value)
    except ValueError as exc:
        shape(False, f"{where}: {exc}")
        raise  # shape raised already
    shape(isinstance(currency, str) and len(currency.strip()) == 3, currency_where)
    return amount, str(currency).strip().upper()


_ROW = re.compile(r"^(?P<prefix>.*) row (?P<n>\d+)$")


def _ranges(numbers: list[int]) -> str:
    runs: list[list[int]] = []  # [first, last] of each run of consecutive numbers
    for n in sorted(set(numbers)):
        if runs and n == runs[-1][1] + 1:
            runs[-1][1] = n
        else:
            runs.append([n, n])
    return ",".join(f"{first}" if first == last else f"{first}-{last}" for first, last in runs)


def merge_provenance(items: Iterable[str]) -> str:
    """Join provenances of merged facts: "f.csv row 2" + "f.csv row 3" -> "f.csv rows 2-3".
    Kept short: at most MAX_PROVENANCE_CHARS."""
    rows: dict[str, list[int]] = {}
    others: list[str] = []
    for item in items:
        if not item:
            continue
        m = _ROW.match(item)
        if m:
            rows.setdefault(m.group("prefix"), []).append(int(m.group("n")))
        elif item not in others:
            others.append(item)
    parts = others + [
        f"{prefix} row {nums[0]}" if len(set(nums)) == 1 else f"{prefix} rows {_ranges(nums)}"
        for prefix, nums in rows.items()
    ]
    text = "; ".join(parts)
    if len(text) > MAX_PROVENANCE_CHARS:
        text = text[: MAX_PROVENANCE_CHARS - 3] + "..."
    return text


def merge_facts(facts: Iterable[CostFact]) -> list[CostFact]:
    """Sum facts with the same (day, source, identity, currency) into one, exactly.

    Order: first appearance. Provenance lists every contributing place (compressed)."""
    order: list[tuple] = []
    groups: dict[tuple, list[CostFact]] = {}
    for fact in facts:
        key = (
            fact.day,
            fact.source,
            fact.category,
            fact.provider,
            fact.service,
            fact.vendor_key,
            fact.team,
            fact.use_case,
            fact.currency,
        )  # a tuple: a "|" inside a field merges nothing
        if key not in groups:
            groups[key] = []
            order.append(key)
        groups[key].append(fact)
    merged = []
    for key in order:
        group = groups[key]
        if len(group) == 1:
            merged.append(group[0])
            continue
        merged.append(
            replace(
                group[0],
                billed_cost=sum((f.billed_cost for f in group), Decimal(0)),
                effective_cost=sum((f.effective_cost for f in group), Decimal(0)),
                provenance=merge_provenance(f.provenance for f in group),
            )
        )
    return merged


def in_window(day: date, start: Optional[date], end: Optional[date]) -> bool:
    return (start is None or day >= start) and (end is None or day < end)


def follow_pages(
    source: str,
    read_page: Callable[[Optional[str], int], tuple[list[Any], Optional[str], Iterable[date]]],
    *,
    max_pages: int,
    merge: Callable[[list[Any]], list[Any]] = merge_facts,
    cursor_name: str = "cursor",
) -> Pulled:
    """Read a paginated answer page after page: ``Pulled`` (the facts of every page, merged, and the
    days the pages answered). `read_page(cursor, page_no)` (cursor None for the first page) gives
    (facts, the next page's cursor or None at the end, days answered). A cursor that repeats, or more
    than `max_pages` pages, fails the whole pull (SourceUnavailable): nothing of a half-read answer is
    returned."""
    facts: list[Any] = []
    answered: set[date] = set()
    seen: set[str] = set()
    cursor: Optional[str] = None
    for page_no in range(1, max_pages + 1):
        page_facts, cursor, page_days = read_page(cursor, page_no)
        facts.extend(page_facts)
        answered.update(page_days)
        if cursor is None:
            return Pulled(merge(facts), frozenset(answered))
        if cursor in seen:
            raise SourceUnavailable(source, f"pagination loops ({cursor_name} {cursor!r} repeated)")
        seen.add(cursor)
    raise SourceUnavailable(source, f"more than {max_pages} pages")


# --- CSV files (FOCUS and simple) -------------------------------------------------

NULL_VALUES = frozenset({"", "null", "NULL", "Null"})


def decode_text(data: "str | bytes", filename: str = "") -> str:
    """File content as text: UTF-8 (a BOM, as Excel writes, is dropped)."""
    from chalicelib.connectors.errors import CostImportError, RowError

    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise CostImportError(
                [RowError(1, "", "", f"file is not UTF-8 text ({exc.reason} at byte {exc.start})")], filename
            ) from exc
    return data[1:] if data.startswith("\ufeff") else data


def csv_records(text: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header and data records, each with its row number (header = row 1, as a
    spreadsheet numbers them; a quoted field spanning lines stays one row). Blank
    rows are skipped but still counted."""
    import csv
    import io

    from chalicelib.connectors.errors import CostImportError, RowError

    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] = []
    records: list[tuple[int, list[str]]] = []
    index = 0
    while True:
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:  # a cell over the csv module's limit (128 KiB): not a cost file
            raise CostImportError([RowError(index + 1, "", "", f"unreadable CSV: {exc}")]) from None
        index += 1
        if index == 1:
            header = [h.strip() for h in record]
            continue
        if not record or all(not cell.strip() for cell in record):
            continue
        records.append((index, record))
    return header, records


def fit_record(record: list[str], width: int) -> Optional[list[str]]:
    """The record cut to the header's width when it only has extra empty cells at the end
    (a trailing comma, as some exporters write); None when the field count is wrong."""
    if len(record) == width:
        return record
    if len(record) > width and all(not cell.strip() for cell in record[width:]):
        return record[:width]
    return None


def null_or(value: Optional[str]) -> Optional[str]:
    """None for empty and NULL cells, else the stripped value; without the apostrophe that keeps a
    spreadsheet from taking text for a formula ("'=x" is "=x"; our exports write it, exports.py)."""
    if value is None:
        return None
    value = value.strip()
    if value[:1] == "'" and value[1:2] in ("=", "+", "-", "@"):
        value = value[1:]
    return None if value in NULL_VALUES else value
