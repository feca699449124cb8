"""Exceptions shared by the billing connectors.

Two kinds of failure, handled differently by the caller:

* ``SourceUnavailable``: a vendor API could not be read (network, 5xx beyond retries,
  401, bad JSON, unexpected shape). The run records the source as stale and keeps
  going with the other sources; nothing from that source is stored for the window.
* ``CostImportError``: an uploaded cost file (FOCUS or simple CSV) has invalid rows.
  It carries *every* row error found, each naming the row and the column, so the
  uploader can fix the file in one go. The caller stores nothing from that file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence


class SourceUnavailable(Exception):
    """A billing source could not be read; skip it and keep the others."""

    def __init__(self, source: str, reason: str):
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason


@dataclass(frozen=True)
class RowError:
    """One bad cell (or missing column) in an uploaded cost file.

    ``row`` counts the header as row 1, as a spreadsheet shows the file: the first data
    row is row 2. A missing required column is reported on row 1.
    """

    row: int
    column: str
    value: str
    reason: str

    def __str__(self) -> str:
        shown = self.value if len(self.value) <= 60 else self.value[:57] + "..."
        return f"row {self.row}, column {self.column} ({shown!r}): {self.reason}"

    MAX_VALUE_CHARS = 200  # an answer quotes at most this much of a cell

    def to_dict(self) -> dict:
        value = self.value if len(self.value) <= self.MAX_VALUE_CHARS else self.value[: self.MAX_VALUE_CHARS - 1] + "…"
        return {"row": self.row, "column": self.column, "value": value, "reason": self.reason}


class CostImportError(ValueError):
    """A cost file was rejected; ``errors`` lists every bad row and column."""

    MAX_IN_MESSAGE = 10

    def __init__(self, errors: Sequence[RowError], filename: str = ""):
        self.errors = list(errors)
        self.filename = filename
        shown = "; ".join(str(e) for e in self.errors[: self.MAX_IN_MESSAGE])
        more = len(self.errors) - self.MAX_IN_MESSAGE
        if more > 0:
            shown += f"; and {more} more"
        where = f"{filename}: " if filename else ""
        super().__init__(f"{where}{len(self.errors)} invalid row(s): {shown}")
