"""A1 notation: parsing ranges the way the Sheets API accepts them, and
formatting ranges the way it answers (``Sheet1!A1:D4``, ``'My Tab'!B2``).

Indexes are zero-based and half-open, like a Sheets ``GridRange``; ``None``
means unbounded on that side.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

from .errors import ApiError

_CELL_RE = re.compile(r"^\$?([A-Za-z]{0,3})\$?([0-9]{0,7})$")
_PLAIN_TITLE_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_LOOKS_LIKE_CELL_RE = re.compile(r"^(?:[A-Za-z]{1,3}[0-9]+|[Rr][0-9]+[Cc][0-9]+)$")


def col_to_letters(col: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    if col < 0:
        raise ValueError(col)
    letters = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def letters_to_col(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + (ord(ch) - 64)
    return n - 1


@dataclass
class Rect:
    """A rectangle on one sheet; ``None`` bounds are open (to the grid edge)."""

    r0: int = 0
    c0: int = 0
    r1: Optional[int] = None
    c1: Optional[int] = None

    def clipped(self, rows: int, cols: int) -> "Rect":
        r1 = rows if self.r1 is None else min(self.r1, rows)
        c1 = cols if self.c1 is None else min(self.c1, cols)
        return Rect(self.r0, self.c0, max(r1, self.r0), max(c1, self.c0))

    @property
    def nrows(self) -> int:
        assert self.r1 is not None
        return self.r1 - self.r0

    @property
    def ncols(self) -> int:
        assert self.c1 is not None
        return self.c1 - self.c0

    def contains(self, r: int, c: int) -> bool:
        return self.r0 <= r and (self.r1 is None or r < self.r1) and self.c0 <= c and (self.c1 is None or c < self.c1)


@dataclass
class ParsedRange:
    sheet_title: Optional[str]  # None: no sheet named, the first visible sheet
    rect: Rect
    whole_sheet: bool = False


def quote_title(title: str) -> str:
    """Sheet title as the API writes it in a returned range."""
    if _PLAIN_TITLE_RE.match(title) and not _LOOKS_LIKE_CELL_RE.match(title):
        return title
    return "'" + title.replace("'", "''") + "'"


def format_range(title: str, rect: Rect) -> str:
    """``Sheet1!A1:D4``; a single cell is ``Sheet1!A1``. ``rect`` must be bounded."""
    assert rect.r1 is not None and rect.c1 is not None
    start = f"{col_to_letters(rect.c0)}{rect.r0 + 1}"
    end = f"{col_to_letters(max(rect.c1 - 1, rect.c0))}{max(rect.r1, rect.r0 + 1)}"
    body = start if start == end else f"{start}:{end}"
    return f"{quote_title(title)}!{body}"


def format_open_range(title: str, rect: Rect) -> str:
    """A range that may be open-ended, as Sheets names it in errors:
    ``T!A1001:B`` (rows open), ``T!AA1:2`` (columns open)."""
    start = f"{col_to_letters(rect.c0)}{rect.r0 + 1}"
    end_col = col_to_letters(rect.c1 - 1) if rect.c1 is not None else ""
    end_row = str(rect.r1) if rect.r1 is not None else ""
    end = end_col + end_row
    body = start if not end or end == start else f"{start}:{end}"
    return f"{quote_title(title)}!{body}"


def _split_sheet(text: str) -> tuple[Optional[str], Optional[str]]:
    """Split ``'My Tab'!A1:B2`` into (title, cells); cells None when absent."""
    if text.startswith("'"):
        i = 1
        title_chars = []
        while i < len(text):
            ch = text[i]
            if ch == "'":
                if i + 1 < len(text) and text[i + 1] == "'":
                    title_chars.append("'")
                    i += 2
                    continue
                break
            title_chars.append(ch)
            i += 1
        else:
            raise ValueError("unterminated quote")
        rest = text[i + 1 :]
        title = "".join(title_chars)
        if rest == "":
            return title, None
        if not rest.startswith("!"):
            raise ValueError("junk after quoted title")
        return title, rest[1:]
    if "!" in text:
        title, cells = text.rsplit("!", 1)
        return title, cells
    return None, text


def _parse_cell(part: str) -> tuple[Optional[int], Optional[int]]:
    m = _CELL_RE.match(part)
    if not m or (not m.group(1) and not m.group(2)):
        raise ValueError(part)
    col = letters_to_col(m.group(1)) if m.group(1) else None
    row = int(m.group(2)) - 1 if m.group(2) else None
    if row is not None and row < 0:
        raise ValueError(part)
    return row, col


def parse_cells(cells: str) -> Rect:
    """``A1``, ``A1:B2``, ``A:C``, ``2:5``, ``A2:C`` (open-ended)."""
    cells = cells.strip()
    if ":" in cells:
        a, b = cells.split(":", 1)
        r0, c0 = _parse_cell(a)
        r1, c1 = _parse_cell(b)
        # `A:B` / `1:2` must be consistent kinds on both sides
        if (r0 is None and c0 is not None and r1 is not None and c1 is None) or (
            c0 is None and r0 is not None and c1 is not None and r1 is None
        ):
            raise ValueError(cells)
        sr = r0 if r0 is not None else 0
        sc = c0 if c0 is not None else 0
        er = (r1 + 1) if r1 is not None else None
        ec = (c1 + 1) if c1 is not None else None
        if er is not None and er <= sr:
            sr, er = er - 1, sr + 1
        if ec is not None and ec <= sc:
            sc, ec = ec - 1, sc + 1
        return Rect(sr, sc, er, ec)
    r, c = _parse_cell(cells)
    if r is None or c is None:
        raise ValueError(cells)  # a lone `A` or `5` is not a range
    return Rect(r, c, r + 1, c + 1)


def _find_title(title: str, sheet_titles: list[str]) -> Optional[str]:
    if title in sheet_titles:
        return title
    folded = title.casefold()  # the API matches sheet names case-insensitively
    for t in sheet_titles:
        if t.casefold() == folded:
            return t
    return None


def parse_a1(text: str, sheet_titles: list[str]) -> ParsedRange:
    """Parse an A1 range; returns the sheet's real title (``None``: first sheet)."""
    raw = text
    text = text.strip()
    if not text:
        raise ApiError(400, f"Unable to parse range: {raw}")
    try:
        title, cells = _split_sheet(text)
        if title is None:
            # A bare word: a sheet title if such a sheet exists, else cells.
            found = _find_title(text, sheet_titles)
            if found is not None:
                return ParsedRange(found, Rect(), whole_sheet=True)
            return ParsedRange(None, parse_cells(text))
        found = _find_title(title, sheet_titles)
        if found is None:
            raise ApiError(400, f"Unable to parse range: {raw}")
        title = found
        if cells is None:
            return ParsedRange(title, Rect(), whole_sheet=True)
        return ParsedRange(title, parse_cells(cells))
    except ValueError:
        raise ApiError(400, f"Unable to parse range: {raw}") from None
