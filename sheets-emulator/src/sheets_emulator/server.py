"""Run the emulator: in a background thread (tests, benchmarks) or in the
foreground (``sheets-emulator`` / ``python -m sheets_emulator``). Binds 127.0.0.1 only."""

from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from .app import EmulatorApp, Fault
from .model import Spreadsheet
from .store import DEFAULT_SPREADSHEET_ID, Store

HOST = "127.0.0.1"


class _QuietHandler(WSGIRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: requests' session reuses connections

    def log_request(self, *args, **kwargs):  # the emulator keeps its own request log
        pass


@dataclass
class EmulatorHandle:
    """A running emulator. ``url`` is what SHEETS_ENDPOINT_URL should be set to."""

    url: str
    port: int
    app: EmulatorApp
    store: Store
    _server: BaseWSGIServer
    _thread: Optional[threading.Thread]

    # lifecycle --------------------------------------------------------------
    def stop(self) -> None:
        self._server.shutdown()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server.server_close()

    def __enter__(self) -> "EmulatorHandle":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    # observability ----------------------------------------------------------
    @property
    def token_uri(self) -> str:
        return f"{self.url}/token"

    @property
    def request_log(self) -> list[dict]:
        """Every request so far (oldest first): method, path (decoded), query, status,
        kind (sheets/drive/token/iam/other), duration_ms, request_bytes,
        response_bytes, time, seq."""
        return self.app.log.snapshot()

    def api_requests(self, *, kind: Optional[str] = None, method: Optional[str] = None) -> list[dict]:
        """The log without token requests (or only one kind: 'sheets' / 'drive')."""
        out = [e for e in self.request_log if e["kind"] in ("sheets", "drive")]
        if kind:
            out = [e for e in out if e["kind"] == kind]
        if method:
            out = [e for e in out if e["method"] == method.upper()]
        return out

    def reset_log(self) -> None:
        self.app.log.reset()

    # fault injection --------------------------------------------------------
    def inject_fault(
        self,
        status: int = 500,
        count: Optional[int] = None,
        *,
        fail_after: int = 0,
        match: Optional[str] = None,
        methods: Optional[list[str]] = None,
        delay_ms: int = 0,
        message: Optional[str] = None,
        after_commit: bool = False,
    ) -> Fault:
        """Answer matching API requests with ``status``.

        ``count``: the next N requests (default 1, or unlimited with
        ``fail_after``); ``fail_after=K``: let K requests succeed first;
        ``match``: substring of the decoded path (e.g. ``":batchUpdate"``);
        ``methods``: e.g. ``["POST", "PUT"]``; ``delay_ms`` with ``status=0``
        only adds latency; ``after_commit=True`` applies the request and then
        answers with the error (a lost response: a blind retry repeats the write).
        """
        spec = {"status": status, "fail_after": fail_after, "delay_ms": delay_ms}
        if count is not None:
            spec["count"] = count
        if match is not None:
            spec["match"] = match
        if methods is not None:
            spec["methods"] = methods
        if message is not None:
            spec["message"] = message
        if after_commit:
            spec["after_commit"] = True
        return self.app.faults.add(spec)

    def clear_faults(self) -> None:
        self.app.faults.clear()

    # data -------------------------------------------------------------------
    @property
    def default_spreadsheet_id(self) -> Optional[str]:
        return self.store.default_id

    def spreadsheet(self, spreadsheet_id: Optional[str] = None) -> Spreadsheet:
        """The in-memory model (re-read from the xlsx if it changed)."""
        return self.store.get(spreadsheet_id or self.store.default_id or "")

    def xlsx_path(self, spreadsheet_id: Optional[str] = None) -> Optional[Path]:
        return self.store.path_of(spreadsheet_id or self.store.default_id or "")


def start_emulator(
    xlsx_path: Optional[os.PathLike | str] = None,
    port: int = 0,
    *,
    data_dir: Optional[os.PathLike | str] = None,
    spreadsheet_id: str = DEFAULT_SPREADSHEET_ID,
    title: Optional[str] = None,
    persist: bool = True,
    strict_grid: bool = True,
    background: bool = True,
) -> EmulatorHandle:
    """Start the emulator on 127.0.0.1 (``port=0``: a free port).

    ``xlsx_path``: the file holding the default spreadsheet ``spreadsheet_id``
    (created if missing). ``data_dir``: where spreadsheets created through the
    API are written (default: the xlsx's folder). ``persist=False`` keeps
    everything in memory.
    """
    store = Store(
        default_xlsx=xlsx_path, data_dir=data_dir, default_id=spreadsheet_id, default_title=title, persist=persist
    )
    app = EmulatorApp(store, strict_grid=strict_grid)
    server = make_server(HOST, port, app, threaded=True, request_handler=_QuietHandler)
    server.daemon_threads = True
    actual = server.socket.getsockname()[1]
    handle = EmulatorHandle(f"http://{HOST}:{actual}", actual, app, store, server, None)
    if background:
        thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=f"sheets-emulator-{actual}", daemon=True
        )
        thread.start()
        handle._thread = thread
    return handle


def serve_forever(handle: EmulatorHandle) -> None:
    logging.getLogger(__name__).info("serving on %s", handle.url)
    try:
        handle._server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        handle._server.server_close()


def describe(handle: EmulatorHandle) -> str:
    return json.dumps(
        {
            "url": handle.url,
            "token_uri": handle.token_uri,
            "default_spreadsheet_id": handle.default_spreadsheet_id,
            "xlsx": str(handle.xlsx_path() or ""),
        }
    )
