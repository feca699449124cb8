"""The WSGI application: routing, auth, the OAuth token endpoint, Drive v3,
Sheets v4, the request log and fault injection.

Paths are matched on the raw (still percent-encoded) request path, so a range
such as ``%27My%20Tab%27%21A1%3AB2:append`` splits correctly.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import re
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any, Callable, Optional
from urllib.parse import parse_qs, unquote

from werkzeug.wrappers import Request, Response

from . import batch_requests, values_api, xlsx_io
from .errors import ApiError, error_body
from .fieldmask import select
from .model import Spreadsheet, new_spreadsheet_id
from .spreadsheet_json import spreadsheet_json
from .store import Store

SPREADSHEET_MIME = "application/vnd.google-apps.spreadsheet"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"


# ---------------------------------------------------------------------------
# observability and faults


@dataclass
class Fault:
    status: int = 500
    count: Optional[int] = None      # answer this many matching requests, then expire
    fail_after: int = 0              # let this many matching requests through first
    match: Optional[str] = None      # substring of the path
    methods: Optional[list[str]] = None
    delay_ms: int = 0                # latency to add (with status 0: delay only)
    message: Optional[str] = None
    seen: int = 0
    fired: int = 0

    def to_json(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v not in (None, [])}

    def matches(self, method: str, path: str) -> bool:
        if self.match and self.match not in path:
            return False
        if self.methods and method.upper() not in [m.upper() for m in self.methods]:
            return False
        return True

    @property
    def expired(self) -> bool:
        return self.count is not None and self.fired >= self.count


class Faults:
    def __init__(self):
        self.lock = threading.Lock()
        self.rules: list[Fault] = []

    def add(self, spec: dict) -> Fault:
        known = {"status", "count", "fail_after", "match", "methods", "delay_ms", "message"}
        unknown = set(spec) - known
        if unknown:
            raise ApiError(400, f"unknown fault fields: {sorted(unknown)}")
        if "status" not in spec and spec.get("delay_ms"):
            spec = dict(spec, status=0)  # latency only
        fault = Fault(**spec)
        if fault.count is None and not fault.fail_after and fault.status and not fault.delay_ms:
            fault.count = 1
        with self.lock:
            self.rules.append(fault)
        return fault

    def clear(self) -> None:
        with self.lock:
            self.rules.clear()

    def check(self, method: str, path: str) -> tuple[int, Optional[Fault]]:
        """(delay_ms, fault to answer with or None) for one API request."""
        delay = 0
        hit = None
        with self.lock:
            for fault in self.rules:
                if fault.expired or not fault.matches(method, path):
                    continue
                fault.seen += 1
                if fault.seen <= fault.fail_after:
                    continue
                delay = max(delay, fault.delay_ms)
                if fault.status and hit is None:
                    hit = fault
                    fault.fired += 1
                elif not fault.status:
                    fault.fired += 1
            self.rules = [f for f in self.rules if not f.expired]
        return delay, hit

    def to_json(self) -> list[dict]:
        with self.lock:
            return [f.to_json() for f in self.rules]


class RequestLog:
    def __init__(self, maxlen: int = 100_000):
        self.lock = threading.Lock()
        self.entries: deque = deque(maxlen=maxlen)
        self.seq = 0

    def add(self, **entry) -> None:
        with self.lock:
            self.seq += 1
            entry["seq"] = self.seq
            self.entries.append(entry)

    def snapshot(self) -> list[dict]:
        with self.lock:
            return [dict(e) for e in self.entries]

    def reset(self) -> None:
        with self.lock:
            self.entries.clear()


# ---------------------------------------------------------------------------


def _json(obj: Any, status: int = 200) -> Response:
    return Response(json.dumps(obj, ensure_ascii=False), status=status,
                    content_type="application/json; charset=UTF-8")


def _body(request: Request) -> dict:
    data = request.get_data(cache=True)
    if not data:
        return {}
    try:
        obj = json.loads(data)
    except ValueError:
        raise ApiError(400, "Invalid JSON payload received. Unexpected token.") from None
    if not isinstance(obj, dict):
        raise ApiError(400, "Invalid JSON payload received. Expected an object.")
    return obj


def _params(query: str) -> dict[str, list[str]]:
    return parse_qs(query, keep_blank_values=True)


def _one(params: dict[str, list[str]], key: str) -> Optional[str]:
    values = params.get(key)
    return values[-1] if values else None


def _truthy(value: Optional[str]) -> bool:
    return str(value).lower() == "true"


class EmulatorApp:
    """WSGI callable. ``strict_grid``: writing values outside the sheet's grid is
    an error (as Sheets answers) instead of growing the grid."""

    def __init__(self, store: Store, *, strict_grid: bool = True,
                 clock: Callable[[], float] = time.time):
        self.store = store
        self.strict_grid = strict_grid
        self.log = RequestLog()
        self.faults = Faults()
        self.tokens: dict[str, str] = {}  # access token -> service account email
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
            self.log.add(method=request.method, path=unquote(raw_path), query=query,
                         status=response.status_code, kind=_kind(raw_path),
                         duration_ms=round((time.perf_counter() - started) * 1000, 3),
                         request_bytes=len(request.get_data(cache=True)),
                         response_bytes=response.calculate_content_length() or 0,
                         time=self.clock())
        return response(environ, start_response)

    def dispatch(self, request: Request, raw_path: str, query: str) -> Response:
        try:
            if raw_path.startswith("/_emulator"):
                return self.control(request, raw_path)
            if raw_path == "/token":
                return self.token(request)
            if raw_path.startswith("/v1/") and raw_path.endswith("/allowedLocations"):
                # google-auth's regional access boundary lookup (iamcredentials)
                return _json({"locations": [], "encodedLocations": "0x0"})
            kind = _kind(raw_path)
            if kind in ("sheets", "drive"):
                delay, fault = self.faults.check(request.method, unquote(raw_path))
                if delay:
                    time.sleep(delay / 1000)
                if fault is not None:
                    return _json(error_body(fault.status, fault.message), fault.status)
                requester = self._authenticate(request, query)
                with self.store.lock:
                    if kind == "sheets":
                        return self.sheets(request, raw_path, query, requester)
                    return self.drive(request, raw_path, query, requester)
            raise ApiError(404, f"The requested URL {raw_path} was not found on this server.")
        except ApiError as exc:
            return _json(exc.body(), exc.code)

    def _authenticate(self, request: Request, query: str) -> Optional[str]:
        header = request.headers.get("Authorization", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else ""
        params = _params(query)
        if not token:
            token = _one(params, "access_token") or _one(params, "key") or ""
        if not token:
            raise ApiError(401)
        return self.tokens.get(token)

    # control plane ----------------------------------------------------------
    def control(self, request: Request, raw_path: str) -> Response:
        path = raw_path.rstrip("/")
        if path == "/_emulator/health":
            return _json({"ok": True, "spreadsheets": len(self.store.entries),
                          "default": self.store.default_id})
        if path == "/_emulator/log" and request.method == "GET":
            return _json({"requests": self.log.snapshot()})
        if path == "/_emulator/log/reset" and request.method == "POST":
            self.log.reset()
            return _json({"ok": True})
        if path == "/_emulator/faults":
            if request.method == "GET":
                return _json({"faults": self.faults.to_json()})
            if request.method == "DELETE":
                self.faults.clear()
                return _json({"faults": []})
            if request.method == "POST":
                data = json.loads(request.get_data() or b"{}")
                specs = data if isinstance(data, list) else data.get("faults", [data])
                if isinstance(data, dict) and data.get("clear"):
                    self.faults.clear()
                    specs = [s for s in specs if s is not data]
                for spec in specs:
                    self.faults.add(spec)
                return _json({"faults": self.faults.to_json()})
        if path == "/_emulator/spreadsheets" and request.method == "GET":
            with self.store.lock:
                return _json({"spreadsheets": [
                    {"id": b.id, "title": b.title, "path": str(self.store.path_of(b.id) or "")}
                    for b in self.store.all()]})
        raise ApiError(404, f"No emulator control endpoint {raw_path}")

    # OAuth ------------------------------------------------------------------
    def token(self, request: Request) -> Response:
        if request.method != "POST":
            raise ApiError(405, "Method not allowed")
        form = request.form
        grant = form.get("grant_type")
        if grant == JWT_BEARER:
            claims = _decode_jwt(form.get("assertion", ""))
            if claims is None:
                return _json({"error": "invalid_grant",
                              "error_description": "Invalid JWT Signature."}, 400)
            subject = claims.get("sub") or claims.get("iss") or ""
        elif grant == "refresh_token" and form.get("refresh_token"):
            subject = form.get("client_id", "user")
        else:
            return _json({"error": "unsupported_grant_type",
                          "error_description": f"Invalid grant_type: {grant}"}, 400)
        token = "emu." + secrets.token_urlsafe(24)
        self.tokens[token] = subject
        return _json({"access_token": token, "expires_in": 3599, "token_type": "Bearer"})

    # Sheets v4 --------------------------------------------------------------
    def sheets(self, request: Request, raw_path: str, query: str,
               requester: Optional[str]) -> Response:
        method = request.method
        params = _params(query)
        rest = raw_path[len("/v4/spreadsheets"):]
        if rest in ("", "/"):
            if method == "POST":
                return _json(self._create_from_sheets_body(_body(request)))
            raise ApiError(404)
        m = re.fullmatch(r"/([^/:]+)(:batchUpdate)?", rest)
        if m:
            sid = unquote(m.group(1))
            if m.group(2):
                _require(method, "POST")
                return _json(self._batch_update(sid, _body(request), requester))
            _require(method, "GET")
            book = self.store.get(sid)
            return _json(spreadsheet_json(
                book, include_grid_data=_truthy(_one(params, "includeGridData")),
                ranges=params.get("ranges"), fields=_one(params, "fields")))
        m = re.fullmatch(r"/([^/:]+)/values:(batchGet|batchUpdate|batchClear)", rest)
        if m:
            sid, op = unquote(m.group(1)), m.group(2)
            if op == "batchGet":
                _require(method, "GET")
                book = self.store.get(sid)
                return _json(values_api.batch_read(
                    book, params.get("ranges") or [], major=_one(params, "majorDimension"),
                    render=_one(params, "valueRenderOption"),
                    dt_render=_one(params, "dateTimeRenderOption")))
            _require(method, "POST")
            book = self.store.get(sid)
            if op == "batchUpdate":
                reply = values_api.batch_update(book, _body(request), strict_grid=self.strict_grid)
            else:
                reply = values_api.batch_clear(book, _body(request))
            self.store.commit(book)
            return _json(reply)
        m = re.fullmatch(r"/([^/:]+)/values/([^/]+)", rest)
        if m:
            sid = unquote(m.group(1))
            target = unquote(m.group(2))
            action = None
            for suffix in (":append", ":clear"):
                if target.endswith(suffix):
                    target, action = target[:-len(suffix)], suffix[1:]
            book = self.store.get(sid)
            if action is None and method == "GET":
                return _json(values_api.read(
                    book, target, major=_one(params, "majorDimension"),
                    render=_one(params, "valueRenderOption"),
                    dt_render=_one(params, "dateTimeRenderOption")))
            if action is None and method == "PUT":
                flat = {k: _one(params, k) for k in params}
                reply = values_api.update(book, target, _body(request), flat,
                                          strict_grid=self.strict_grid)
            elif action == "append" and method == "POST":
                flat = {k: _one(params, k) for k in params}
                reply = values_api.append(book, target, _body(request), flat)
            elif action == "clear" and method == "POST":
                reply = {"spreadsheetId": book.id, "clearedRange": values_api.clear(book, target)}
            else:
                raise ApiError(404)
            self.store.commit(book)
            return _json(reply)
        m = re.fullmatch(r"/([^/:]+)/sheets/(\d+):copyTo", rest)
        if m:
            _require(method, "POST")
            return _json(self._copy_to(unquote(m.group(1)), int(m.group(2)), _body(request)))
        raise ApiError(404)

    def _batch_update(self, sid: str, body: dict, requester: Optional[str]) -> dict:
        work = self.store.working_copy(sid)
        replies = batch_requests.apply(work, body, requester)
        self.store.commit(work)
        out: dict[str, Any] = {"spreadsheetId": sid, "replies": replies}
        if body.get("includeSpreadsheetInResponse"):
            out["updatedSpreadsheet"] = spreadsheet_json(
                work, include_grid_data=bool(body.get("responseIncludeGridData")),
                ranges=body.get("responseRanges") or None)
        return out

    def _create_from_sheets_body(self, body: dict) -> dict:
        props = body.get("properties") or {}
        book = Spreadsheet(new_spreadsheet_id(), props.get("title") or "Untitled spreadsheet")
        for key in ("locale", "timeZone", "autoRecalc"):
            if props.get(key):
                book.properties[key] = props[key]
        sheets = body.get("sheets") or [{}]
        for spec in sheets:
            sp = spec.get("properties") or {}
            grid = sp.get("gridProperties") or {}
            sheet = book.add_sheet(sp.get("title"), sp.get("sheetId", 0 if not book.sheets
                                                          else None),
                                   rows=int(grid.get("rowCount", 1000)),
                                   cols=int(grid.get("columnCount", 26)))
            for key in ("frozenRowCount", "frozenColumnCount"):
                if grid.get(key):
                    sheet.grid[key] = grid[key]
            if sp.get("hidden"):
                sheet.props["hidden"] = True
            if sp.get("tabColor"):
                sheet.props["tabColor"] = sp["tabColor"]
        self.store.create(book=book)
        return spreadsheet_json(book)

    def _copy_to(self, sid: str, sheet_id: int, body: dict) -> dict:
        source = self.store.get(sid)
        sheet = source.sheet_by_id(sheet_id)
        if sheet is None:
            raise ApiError(404)
        dest_id = body.get("destinationSpreadsheetId")
        if not dest_id:
            raise ApiError(400, "destinationSpreadsheetId must be set")
        dest = self.store.working_copy(dest_id)
        title = f"Copy of {sheet.title}"
        n = 2
        while dest.sheet_by_title(title) is not None:
            title = f"Copy of {sheet.title} {n}"
            n += 1
        copy_ = sheet.copy_as(dest.new_sheet_id(), title)
        dest.sheets.append(copy_)
        self.store.commit(dest)
        return copy_.properties_json(dest.index_of(copy_))

    # Drive v3 (and the v2 upload gspread uses for import_csv) ---------------
    def drive(self, request: Request, raw_path: str, query: str,
              requester: Optional[str]) -> Response:
        method = request.method
        params = _params(query)
        fields = _one(params, "fields")
        if raw_path.startswith("/upload/drive/v2/files/"):
            _require(method, "PUT")
            fid = unquote(raw_path.rsplit("/", 1)[1])
            return _json(self._import_csv(fid, request.get_data()))
        rest = raw_path[len("/drive/v3/files"):]
        if rest in ("", "/"):
            if method == "POST":
                body = _body(request)
                mime = body.get("mimeType")
                if mime != SPREADSHEET_MIME:
                    raise ApiError(400, f"The local emulator only creates spreadsheets "
                                        f"(mimeType {SPREADSHEET_MIME}), not {mime}.",
                                   drive_reason="badRequest")
                book = self.store.create(body.get("name") or "Untitled spreadsheet")
                return _json(select(_drive_file(book, with_times=False), fields))
            if method == "GET":
                return _json(self._list_files(params, fields))
            raise ApiError(405, "Method not allowed")
        m = re.fullmatch(r"/([^/]+)(/copy|/export|/permissions(?:/([^/]+))?)?", rest)
        if not m:
            raise ApiError(404, "Not Found", drive_reason="notFound")
        fid = unquote(m.group(1))
        tail = m.group(2) or ""
        if tail == "":
            if method == "GET":
                book = self.store.get(fid, drive=True)
                return _json(select(_drive_file(book), fields or "kind,id,name,mimeType"))
            if method == "DELETE":
                self.store.delete(fid)
                return Response(b"", status=204)
            if method == "PATCH":
                book = self.store.working_copy(fid)
                body = _body(request)
                if body.get("name"):
                    book.properties["title"] = body["name"]
                self.store.commit(book)
                return _json(select(_drive_file(book), fields or "kind,id,name,mimeType"))
        elif tail == "/copy":
            _require(method, "POST")
            import copy as _copy
            source = self.store.get(fid, drive=True)
            body = _body(request)
            clone = _copy.deepcopy(source)
            clone.id = new_spreadsheet_id()
            clone.properties["title"] = body.get("name") or f"Copy of {source.title}"
            self.store.create(book=clone)
            return _json(select(_drive_file(clone, with_times=False), fields))
        elif tail == "/export":
            _require(method, "GET")
            book = self.store.get(fid, drive=True)
            mime = _one(params, "mimeType") or XLSX_MIME
            if mime == XLSX_MIME:
                buf = io.BytesIO()
                xlsx_io.build_workbook(book).save(buf)
                return Response(buf.getvalue(), content_type=XLSX_MIME)
            if mime in ("text/csv", "text/tab-separated-values"):
                return Response(_export_delimited(book, "," if mime == "text/csv" else "\t"),
                                content_type=f"{mime}; charset=UTF-8")
            raise ApiError(400, f"Export to {mime} is not supported by the local emulator.",
                           drive_reason="badRequest")
        else:  # permissions
            book = self.store.get(fid, drive=True)
            perm_id = m.group(3)
            if perm_id is None and method == "GET":
                return _json({"kind": "drive#permissionList",
                              "permissions": list(book.permissions)})
            if perm_id is None and method == "POST":
                body = _body(request)
                work = self.store.working_copy(fid)
                perm = {"kind": "drive#permission", "id": secrets.token_hex(8),
                        "type": body.get("type"), "role": body.get("role")}
                for key in ("emailAddress", "domain"):
                    if body.get(key):
                        perm[key] = body[key]
                work.permissions.append(perm)
                self.store.commit(work)
                return _json(perm)
            if perm_id is not None and method == "DELETE":
                work = self.store.working_copy(fid)
                work.permissions = [p for p in work.permissions if p.get("id") != perm_id]
                self.store.commit(work)
                return Response(b"", status=204)
        raise ApiError(405, "Method not allowed")

    def _list_files(self, params: dict, fields: Optional[str]) -> dict:
        q = _one(params, "q") or ""
        name = None
        m = re.search(r"""name\s*=\s*(['"])((?:\\.|(?!\1).)*)\1""", q)
        if m:
            name = re.sub(r"\\(.)", r"\1", m.group(2))
        files = []
        for book in self.store.all():
            if name is not None and book.title != name:
                continue
            files.append(_drive_file(book))
        files.sort(key=lambda f: f["modifiedTime"], reverse=True)
        out = {"kind": "drive#fileList", "incompleteSearch": False, "files": files}
        if fields:
            return select(out, fields)
        return {"kind": out["kind"], "incompleteSearch": False,
                "files": [select(f, "kind,id,name,mimeType") for f in files]}

    def _import_csv(self, fid: str, data: bytes) -> dict:
        work = self.store.working_copy(fid)
        first = work.sheets[0]
        work.sheets = [first]
        first.cells.clear()
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
        first.set_size(max(first.row_count, len(rows)),
                       max(first.col_count, max((len(r) for r in rows), default=0)))
        plan = values_api.PlannedWrite(
            values_api.Target(first, values_api.Rect(0, 0, 1, 1), False, "A1"), 0, 0, rows,
            "USER_ENTERED")
        values_api.apply_write(work, plan)
        self.store.commit(work)
        return {"kind": "drive#file", "id": work.id, "title": work.title,
                "mimeType": SPREADSHEET_MIME}


def _require(method: str, expected: str) -> None:
    if method != expected:
        raise ApiError(405, f"Method {method} not allowed here")


def _kind(raw_path: str) -> str:
    if raw_path.startswith("/v4/spreadsheets"):
        return "sheets"
    if raw_path.startswith(("/drive/v3/files", "/upload/drive/")):
        return "drive"
    if raw_path == "/token":
        return "token"
    if raw_path.startswith("/v1/") and raw_path.endswith("/allowedLocations"):
        return "iam"
    return "other"


def _drive_file(book: Spreadsheet, *, with_times: bool = True) -> dict:
    out = book.drive_file()
    if not with_times:
        out.pop("createdTime")
        out.pop("modifiedTime")
    return out


def _export_delimited(book: Spreadsheet, delimiter: str) -> bytes:
    from .a1 import Rect
    from .values import Renderer
    sheet = book.sheets[0]
    rows = values_api.range_values(sheet, Rect(0, 0, sheet.row_count, sheet.col_count), "ROWS",
                                   "FORMATTED_VALUE", "SERIAL_NUMBER", Renderer(book))
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\n")
    for row in rows:
        writer.writerow(row)
    return buf.getvalue().encode("utf-8")


def _decode_jwt(assertion: str) -> Optional[dict]:
    """Claims of a well-formed RS256 JWT (the signature is not checked)."""
    parts = assertion.split(".")
    if len(parts) != 3 or not all(parts):
        return None
    try:
        header = json.loads(_b64(parts[0]))
        claims = json.loads(_b64(parts[1]))
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        return None
    if header.get("alg") not in ("RS256", "ES256"):
        return None
    if not claims.get("iss") or not claims.get("aud") or "exp" not in claims:
        return None
    return claims


def _b64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
