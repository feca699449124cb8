"""The WSGI application: dispatch to the token endpoint, Sheets v4 and Drive v3
routes, with the request log, fault injection and the ``/_emulator`` control
endpoints around them.

Paths are matched on the raw (still percent-encoded) request path, so a range
such as ``%27My%20Tab%27%21A1%3AB2:append`` splits correctly.
"""

from __future__ import annotations

import json
import time
from typing import Callable
from urllib.parse import unquote

from werkzeug.wrappers import Request, Response

from .auth import TokenIssuer
from .drive_routes import DriveRoutes
from .errors import ApiError, error_body
from .http_util import json_response
from .observability import Fault, Faults, RequestLog
from .sheets_routes import SheetsRoutes
from .store import Store

__all__ = ["EmulatorApp", "Fault"]


class EmulatorApp:
    """WSGI callable. ``strict_grid``: writing values outside the sheet's grid is
    an error (as Sheets answers) instead of growing the grid."""

    def __init__(self, store: Store, *, strict_grid: bool = True, clock: Callable[[], float] = time.time):
        self.store = store
        self.strict_grid = strict_grid
        self.log = RequestLog()
        self.faults = Faults()
        self.auth = TokenIssuer()
        self.sheets = SheetsRoutes(store, strict_grid=strict_grid)
        self.drive = DriveRoutes(store)
        self.clock = clock

    # WSGI -----------------------------------------------------------------
    def __call__(self, environ, start_response):
        request = Request(environ)
        raw = environ.get("RAW_URI") or environ.get("REQUEST_URI") or request.full_path
        raw_path, _, query = raw.partition("?")
        if raw_path.startswith(("http://", "https://")):
            raw_path = "/" + raw_path.split("/", 3)[3] if raw_path.count("/") >= 3 else "/"
        started = time.perf_counter()
        response = self.dispatch(request, raw_path, query)
        if not raw_path.startswith("/_emulator"):
            self.log.add(
                method=request.method,
                path=unquote(raw_path),
                query=query,
                status=response.status_code,
                kind=_kind(raw_path),
                duration_ms=round((time.perf_counter() - started) * 1000, 3),
                request_bytes=request.content_length or 0,
                response_bytes=response.calculate_content_length() or 0,
                time=self.clock(),
            )
        return response(environ, start_response)

    def dispatch(self, request: Request, raw_path: str, query: str) -> Response:
        try:
            if raw_path.startswith("/_emulator"):
                return self.control(request, raw_path)
            if raw_path == "/token":
                return self.auth.token_endpoint(request)
            if raw_path.startswith("/v1/") and raw_path.endswith("/allowedLocations"):
                # google-auth's regional access boundary lookup (iamcredentials)
                return json_response({"locations": [], "encodedLocations": "0x0"})
            kind = _kind(raw_path)
            if kind in ("sheets", "drive"):
                delay, fault = self.faults.check(request.method, unquote(raw_path))
                if delay:
                    time.sleep(delay / 1000)
                if fault is not None and not fault.after_commit:
                    return json_response(error_body(fault.status, fault.message), fault.status)
                requester = self.auth.authenticate(request, query)
                with self.store.lock:
                    if kind == "sheets":
                        response = self.sheets.handle(request, raw_path, query, requester)
                    else:
                        response = self.drive.handle(request, raw_path, query)
                if fault is not None:  # the change is kept, the answer is lost
                    return json_response(error_body(fault.status, fault.message), fault.status)
                return response
            raise ApiError(404, f"The requested URL {raw_path} was not found on this server.")
        except ApiError as exc:
            return json_response(exc.body(), exc.code)

    # control plane ----------------------------------------------------------
    def control(self, request: Request, raw_path: str) -> Response:
        path = raw_path.rstrip("/")
        if path == "/_emulator/health":
            return json_response(
                {"ok": True, "spreadsheets": len(self.store.entries), "default": self.store.default_id}
            )
        if path == "/_emulator/log" and request.method == "GET":
            return json_response({"requests": self.log.snapshot()})
        if path == "/_emulator/log/reset" and request.method == "POST":
            self.log.reset()
            return json_response({"ok": True})
        if path == "/_emulator/faults":
            if request.method == "GET":
                return json_response({"faults": self.faults.to_json()})
            if request.method == "DELETE":
                self.faults.clear()
                return json_response({"faults": []})
            if request.method == "POST":
                try:
                    data = json.loads(request.get_data() or b"{}")
                except ValueError:
                    raise ApiError(400, "faults: the body must be JSON") from None
                specs = data if isinstance(data, list) else data.get("faults", [data])
                if isinstance(data, dict) and data.get("clear"):
                    self.faults.clear()
                    specs = [s for s in specs if s is not data]
                for spec in specs:
                    self.faults.add(spec)
                return json_response({"faults": self.faults.to_json()})
        if path == "/_emulator/spreadsheets" and request.method == "GET":
            with self.store.lock:
                books = [
                    {"id": b.id, "title": b.title, "path": str(self.store.path_of(b.id) or "")}
                    for b in self.store.all()
                ]
            return json_response({"spreadsheets": books})
        raise ApiError(404, f"No emulator control endpoint {raw_path}")


def _kind(raw_path: str) -> str:
    if raw_path.startswith("/v4/spreadsheets"):
        return "sheets"
    if raw_path.startswith(("/drive/", "/upload/drive/")):
        return "drive"
    if raw_path == "/token":
        return "token"
    if raw_path.startswith("/v1/") and raw_path.endswith("/allowedLocations"):
        return "iam"
    return "other"
