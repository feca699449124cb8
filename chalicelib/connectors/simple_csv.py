"""Simple cost CSV (invoices with no API: vector DB, observability, ...) -> CostFacts.

Columns (header names are case-insensitive; spaces and hyphens read as underscores, so
``Use Case`` and ``use-case`` are ``use_case``):

    date, source, category, team, use_case, amount [, provider, service, currency]

* ``date``: ``YYYY-MM-DD`` (an RFC 3339 timestamp is accepted and taken as its UTC day);
* ``source``: who sent the invoice (``Pinecone``); also the provider and service when
  those columns are absent or empty;
* ``category``: one of the iceberg categories (``vector_db``, ``observability``, ...);
* ``team``/``use_case``: may be empty -> ``unallocated`` until a Mappings rule places it;
* ``amount``: a decimal in the currency (``currency`` column, default USD); negative
  for credits. Billed and effective cost are both the amount.

Vendor key: ``csv:<source>`` plus ``:team=<t>,use-case=<u>`` when either is given
(separators inside a value percent-escaped: ``key_part``).
Strict input: dates ``YYYY-MM-DD`` in ASCII digits from 2000-01-01 to the end of next
year, amounts ASCII decimals, no control characters in the cells a key is built from.
Facts have source ``csv``; rows for the same day and identity are summed.
Any invalid row fails the whole file with ``CostImportError`` naming every row and column.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Optional, Union

from chalicelib.connectors.common import (
    NAME_WHITESPACE,
    csv_records,
    day_out_of_bounds,
    decode_text,
    fit_record,
    in_window,
    key_part,
    key_text_problem,
    merge_facts,
    null_or,
    parse_day,
    parse_timestamp,
    text_problem,
    to_decimal,
)
from chalicelib.connectors.errors import CostImportError, RowError
from chalicelib.domain.facts import CATEGORIES, UNALLOCATED, CostFact

SOURCE = "csv"
REQUIRED_COLUMNS = ("date", "source", "category", "team", "use_case", "amount")
OPTIONAL_COLUMNS = ("provider", "service", "currency")
DEFAULT_CURRENCY = "USD"


def normalise_header(name: str) -> str:
    return name.strip().lower().replace("-", "_").replace(" ", "_")


def normalise_category(value: str) -> str:
    return value.strip().lower().replace("-", "_").replace(" ", "_")


def vendor_key(source: str, team: Optional[str], use_case: Optional[str]) -> str:
    """``csv:<source>[:team=<t>,use-case=<u>]``, separators inside a value percent-escaped
    (``key_part``) so that different rows never share a key."""
    key = f"csv:{key_part(source, ':')}"
    if team or use_case:
        key += f":team={key_part(team or '')},use-case={key_part(use_case or '')}"
    return key


def detect_format(data: Union[str, bytes]) -> str:
    """ "focus" or "simple" from the header row; CostImportError (row 1) when neither."""
    text = decode_text(data)
    header, _ = csv_records(text.split("\n", 1)[0] if "\n" in text else text)
    lower = {h.strip().lower() for h in header}
    if {"billedcost", "chargeperiodstart"} <= lower:
        return "focus"
    names = {normalise_header(h) for h in header}
    if {"date", "amount"} <= names:
        return "simple"
    raise CostImportError(
        [
            RowError(
                1,
                "",
                ",".join(header)[:80],
                "unrecognised header: expected FOCUS (BilledCost, ChargePeriodStart, ...) or "
                "simple CSV (date, source, category, team, use_case, amount)",
            )
        ]
    )


def _parse_day(value: str) -> date:
    value = value.strip()
    try:
        return parse_day(value) if len(value) == 10 else parse_timestamp(value).date()
    except ValueError:
        raise ValueError(value) from None


def parse(
    data: Union[str, bytes],
    *,
    filename: str = "costs.csv",
    start: Optional[date] = None,
    end: Optional[date] = None,
    today: Optional[date] = None,
) -> list[CostFact]:
    """Facts from a simple cost CSV, summed per (day, identity); only days in
    [start, end) when given. Raises CostImportError listing every bad row (dates from
    2000-01-01 to the end of the year after ``today``, UTC today by default)."""
    text = decode_text(data, filename)
    header, records = csv_records(text)
    if not header or not any(header):
        raise CostImportError([RowError(1, "", "", "the file is empty: no header row")], filename)
    names = [normalise_header(h) for h in header]
    errors: list[RowError] = []
    columns: dict[str, int] = {}
    for i, name in enumerate(names):
        if name in columns and name in REQUIRED_COLUMNS + OPTIONAL_COLUMNS:
            errors.append(RowError(1, header[i], header[i], "column appears more than once"))
        columns.setdefault(name, i)
    for name in REQUIRED_COLUMNS:
        if name not in columns:
            errors.append(RowError(1, name, "", "required column is missing"))
    if errors:
        raise CostImportError(errors, filename)

    facts: list[CostFact] = []
    for number, record in records:
        fitted = fit_record(record, len(header))
        if fitted is None:
            errors.append(
                RowError(number, "", ",".join(record)[:80], f"row has {len(record)} fields, header has {len(header)}")
            )
            continue
        record = fitted

        def cell(name: str, record: list = record) -> Optional[str]:
            i = columns.get(name)
            return None if i is None else null_or(record[i])

        def raw(name: str, record: list = record) -> str:
            return record[columns[name]] if name in columns else ""

        row_errors: list[RowError] = []
        day = None
        if cell("date") is None:
            row_errors.append(RowError(number, "date", raw("date"), "a date is required"))
        else:
            try:
                day = _parse_day(cell("date"))  # type: ignore[arg-type]
            except ValueError:
                row_errors.append(RowError(number, "date", raw("date"), "not a date (YYYY-MM-DD)"))
            else:
                why = day_out_of_bounds(day, today)
                if why:
                    row_errors.append(RowError(number, "date", raw("date"), f"out of range: {why}"))
                    day = None
        source = cell("source")
        if source is None:
            row_errors.append(RowError(number, "source", raw("source"), "the invoice source (vendor) is required"))
        category = normalise_category(cell("category") or "")
        if category not in CATEGORIES:
            row_errors.append(RowError(number, "category", raw("category"), f"not one of {', '.join(CATEGORIES)}"))
        amount = Decimal(0)
        if cell("amount") is None:
            row_errors.append(RowError(number, "amount", raw("amount"), "an amount is required"))
        else:
            try:
                amount = to_decimal(cell("amount"))
            except ValueError:
                row_errors.append(
                    RowError(
                        number,
                        "amount",
                        raw("amount"),
                        "not a decimal number (use '.' for decimals, no thousands separators)",
                    )
                )
        for name in ("source", "team", "use_case"):  # the cells the vendor key is built from
            why = key_text_problem(cell(name))
            if why:
                row_errors.append(RowError(number, name, raw(name), why))
        for name in ("provider", "service"):  # stored as text, shown wherever the spend is
            why = text_problem(cell(name), NAME_WHITESPACE)
            if why:
                row_errors.append(RowError(number, name, raw(name), why))
        currency = (cell("currency") or DEFAULT_CURRENCY).upper()
        if not (len(currency) == 3 and currency.isascii() and currency.isalpha()):
            row_errors.append(RowError(number, "currency", raw("currency"), "not a three-letter currency code"))
        if row_errors:
            errors.extend(row_errors)
            continue
        team, use_case = cell("team"), cell("use_case")
        if in_window(day, start, end):  # type: ignore[arg-type]
            facts.append(
                CostFact(
                    day=day,  # type: ignore[arg-type]
                    source=SOURCE,
                    category=category,
                    provider=cell("provider") or source,  # type: ignore[arg-type]
                    service=cell("service") or source,  # type: ignore[arg-type]
                    billed_cost=amount,
                    effective_cost=amount,
                    currency=currency,
                    vendor_key=vendor_key(source, team, use_case),  # type: ignore[arg-type]
                    team=team or UNALLOCATED,
                    use_case=use_case or UNALLOCATED,
                    provenance=f"{filename} row {number}",
                )
            )
    if errors:
        raise CostImportError(errors, filename)
    return merge_facts(facts)
