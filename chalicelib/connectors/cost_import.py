"""Uploaded cost files (``POST /v1/cost-imports`` or an S3 drop): pick the parser from
the header and return the facts, or raise CostImportError naming every bad row."""

from __future__ import annotations

from datetime import date
from typing import Optional, Union

from chalicelib.connectors import focus_csv, simple_csv
from chalicelib.connectors.simple_csv import detect_format
from chalicelib.domain.facts import CostFact

__all__ = ["detect_format", "parse_cost_file"]


def parse_cost_file(
    data: Union[str, bytes],
    *,
    filename: str = "upload.csv",
    fmt: Optional[str] = None,
    start: Optional[date] = None,
    end: Optional[date] = None,
    today: Optional[date] = None,
) -> tuple[str, list[CostFact]]:
    """(format, facts). ``fmt`` "focus" | "simple" | None (detect from the header). ``today``
    (UTC today by default) bounds the dates: at most the end of next year."""
    fmt = fmt or detect_format(data)
    if fmt == "focus":
        return fmt, focus_csv.parse(data, filename=filename, start=start, end=end, today=today)
    if fmt == "simple":
        return fmt, simple_csv.parse(data, filename=filename, start=start, end=end, today=today)
    raise ValueError(f"unknown cost file format {fmt!r} (focus or simple)")
