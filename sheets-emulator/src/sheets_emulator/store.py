"""Where spreadsheets live: in memory, each backed by one .xlsx file.

- ``default_xlsx`` (``--xlsx FILE``) holds the default spreadsheet (id
  ``default_id``), created on start when the file does not exist yet.
- Spreadsheets created through the API are written to ``data_dir/<id>.xlsx``
  (``data_dir`` defaults to the folder of ``default_xlsx``).
- Without either, everything stays in memory (fast, for benchmarks).

Every mutating request rewrites the file (temp file + rename). Before every
request the file's signature (mtime, size, inode) is compared with the one last
written or read; when a person (or a test) changed the file in between, it is
read again — that is how edits made in LibreOffice/Excel/openpyxl show up.
"""

from __future__ import annotations

import logging
import os
import pickle
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Optional

from . import xlsx_io
from .errors import ApiError
from .model import Spreadsheet, new_spreadsheet_id

log = logging.getLogger(__name__)

DEFAULT_SPREADSHEET_ID = "local-finops-sheet"
DEFAULT_TITLE = "AI FinOps (local)"


@dataclass
class Entry:
    book: Spreadsheet
    path: Optional[Path]
    signature: Optional[tuple] = None


def _signature(path: Path) -> Optional[tuple]:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


class Store:
    def __init__(
        self,
        *,
        default_xlsx: Optional[os.PathLike | str] = None,
        data_dir: Optional[os.PathLike | str] = None,
        default_id: str = DEFAULT_SPREADSHEET_ID,
        default_title: Optional[str] = None,
        persist: bool = True,
    ):
        self.lock = threading.RLock()
        self.persist = persist
        self.default_xlsx = Path(default_xlsx) if default_xlsx else None
        if data_dir is None and self.default_xlsx is not None:
            data_dir = self.default_xlsx.parent
        self.data_dir = Path(data_dir) if data_dir else None
        self.entries: dict[str, Entry] = {}
        self.default_id: Optional[str] = None
        if self.default_xlsx is not None:
            self._open_default(default_id, default_title)
        if self.data_dir is not None and persist:
            self._scan()

    # setup -----------------------------------------------------------------
    def _open_default(self, default_id: str, title: Optional[str]) -> None:
        path = self.default_xlsx
        assert path is not None
        up_to_date = False
        if path.exists() and path.stat().st_size > 0:
            book = self._load_with_retry(path, default_id=default_id, default_title=None)
            # written by us for this id: no need to write it again on start
            up_to_date = book.stored_id == default_id
            if title:
                book.properties["title"] = title
        else:
            book = Spreadsheet(default_id, title or DEFAULT_TITLE)
            book.add_sheet("Sheet1", sheet_id=0)
        book.id = default_id
        entry = Entry(book, path if self.persist else None)
        self.entries[book.id] = entry
        self.default_id = book.id
        if self.persist:
            if up_to_date and not title:
                entry.signature = _signature(path)  # already what the file says
            else:
                self._write(entry)

    def _scan(self) -> None:
        """Pick up spreadsheets created by an earlier run (``<id>.xlsx``)."""
        assert self.data_dir is not None
        if not self.data_dir.is_dir():
            return
        for path in sorted(self.data_dir.glob("*.xlsx")):
            if path.name.startswith((".", "~$")):
                continue
            if self.default_xlsx is not None and path.resolve() == self.default_xlsx.resolve():
                continue
            if path.stem in self.entries:
                continue
            try:
                book = xlsx_io.load(path, require_meta=True)
            except xlsx_io.StoreFormatError:
                log.info("not a spreadsheet of this emulator, skipped: %s", path)
                continue
            if book.id in self.entries:
                continue
            self.entries[book.id] = Entry(book, path, _signature(path))

    # file I/O --------------------------------------------------------------
    @staticmethod
    def _load_with_retry(path: Path, **kwargs) -> Spreadsheet:
        last: Optional[Exception] = None
        for attempt in range(5):  # the file may be mid-save by another program
            try:
                return xlsx_io.load(path, **kwargs)
            except xlsx_io.StoreFormatError as exc:
                last = exc
                time.sleep(0.05 * (attempt + 1))
        assert last is not None
        raise last

    def _write(self, entry: Entry) -> None:
        if entry.path is None:
            return
        xlsx_io.save(entry.book, entry.path)
        entry.signature = _signature(entry.path)

    def _refresh(self, entry: Entry) -> None:
        if entry.path is None:
            return
        sig = _signature(entry.path)
        if sig is None or sig == entry.signature:
            return
        try:
            book = self._load_with_retry(entry.path, default_id=entry.book.id)
        except xlsx_io.StoreFormatError:
            log.warning("%s changed but cannot be read; keeping the copy in memory", entry.path)
            return
        book.id = entry.book.id
        entry.book = book
        entry.signature = sig
        log.info("reloaded %s after an outside edit", entry.path)

    # API -------------------------------------------------------------------
    def get(self, spreadsheet_id: str, *, drive: bool = False) -> Spreadsheet:
        with self.lock:
            entry = self.entries.get(spreadsheet_id)
            if entry is None:
                if drive:
                    raise ApiError(
                        404, f"File not found: {spreadsheet_id}.", drive_reason="notFound", drive_location="fileId"
                    )
                raise ApiError(404)
            self._refresh(entry)
            return entry.book

    def commit(self, book: Spreadsheet) -> None:
        """Keep ``book`` (possibly a modified copy) as the current state and save it."""
        with self.lock:
            entry = self.entries[book.id]
            book.touch()
            entry.book = book
            self._write(entry)

    def working_copy(self, spreadsheet_id: str) -> Spreadsheet:
        """A deep copy to run an all-or-nothing batch against (pickle: faster
        than copy.deepcopy for this plain data)."""
        return pickle.loads(pickle.dumps(self.get(spreadsheet_id), pickle.HIGHEST_PROTOCOL))

    def create(
        self, title: Optional[str] = None, *, spreadsheet_id: Optional[str] = None, book: Optional[Spreadsheet] = None
    ) -> Spreadsheet:
        with self.lock:
            if book is None:
                book = Spreadsheet(spreadsheet_id or new_spreadsheet_id(), title or "Untitled spreadsheet")
                book.add_sheet("Sheet1", sheet_id=0)
            while book.id in self.entries:
                book.id = new_spreadsheet_id()
            path = None
            if self.persist and self.data_dir is not None:
                path = self.data_dir / f"{book.id}.xlsx"
            entry = Entry(book, path)
            self.entries[book.id] = entry
            self._write(entry)
            return book

    def delete(self, spreadsheet_id: str) -> None:
        with self.lock:
            entry = self.entries.pop(spreadsheet_id, None)
            if entry is None:
                raise ApiError(
                    404, f"File not found: {spreadsheet_id}.", drive_reason="notFound", drive_location="fileId"
                )
            if entry.path is not None:
                try:
                    entry.path.unlink()
                except FileNotFoundError:
                    pass
            if spreadsheet_id == self.default_id:
                self.default_id = None

    def all(self) -> Iterator[Spreadsheet]:
        with self.lock:
            for entry in list(self.entries.values()):
                self._refresh(entry)
                yield entry.book

    def path_of(self, spreadsheet_id: str) -> Optional[Path]:
        entry = self.entries.get(spreadsheet_id)
        return entry.path if entry else None
