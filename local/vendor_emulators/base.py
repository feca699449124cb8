"""What the OpenAI and Anthropic billing emulators share: fault injection, Decimal-exact
JSON, a request log, and running a WSGI app in a thread on a free port."""

from __future__ import annotations

import base64
import json
import threading
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any, Callable, Optional

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

FAULTS_PATH = "/_emulator/faults"


# --- JSON with exact numbers -------------------------------------------------------
def dumps(value: Any) -> str:
    """JSON text in which Decimal values are written as JSON numbers, digit for digit
    (the stdlib would go through float)."""
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"cannot write {value} as JSON")
        return str(value)
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(str(k))}:{dumps(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(dumps(v) for v in value) + "]"
    return json.dumps(value)


def json_response(body: Any, status: int = 200, headers: Optional[dict] = None) -> Response:
    return Response(dumps(body), status=status, headers=headers, content_type="application/json")


# --- faults ------------------------------------------------------------------------
@dataclass
class _Fault:
    kind: str  # status | bad_json | bad_shape | delay
    remaining: int
    status: int = 500
    retry_after: Optional[float] = None
    seconds: float = 0.0

    def to_dict(self) -> dict:
        d: dict[str, Any] = {"kind": self.kind, "remaining": self.remaining}
        if self.kind == "status":
            d.update(status=self.status, retry_after=self.retry_after)
        if self.kind == "delay":
            d.update(seconds=self.seconds)
        return d


class Faults:
    """Faults for the next vendor API requests, consumed in the order they were added
    (each request takes one unit of the first fault), plus restated days.

    In-process: ``handle.faults.fail_next(3, status=500)``; over HTTP:
    ``POST /_emulator/faults`` with ``{"fail": {"count": 3, "status": 500,
    "retry_after": 0}, "bad_json": 1, "bad_shape": 1, "delay": {"count": 1, "seconds": 0.2},
    "restate": [{"day": "2026-11-03", "factor": "1.25", "key": "proj_claims"}],
    "omit": ["2026-11-04"], "empty": ["2026-11-05"], "clear": true}`` (every field optional;
    ``clear`` runs first, the faults queue in the order given). ``omit`` leaves a day's bucket
    out of the answer (the vendor says nothing about it); ``empty`` answers the day with a bucket
    and ``results: []`` (the vendor says it cost nothing). ``GET`` shows the
    state, ``DELETE`` clears it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: list[_Fault] = []
        self._restated: dict[date, dict[Optional[str], Decimal]] = {}
        self._omitted: set[date] = set()
        self._emptied: set[date] = set()

    def _add(self, fault: _Fault) -> None:
        if fault.remaining < 1:
            raise ValueError("count must be at least 1")
        with self._lock:
            self._queue.append(fault)

    def fail_next(self, count: int = 1, status: int = 500, retry_after: Optional[float] = None) -> None:
        """The next ``count`` requests answer ``status`` (with Retry-After when given)."""
        self._add(_Fault("status", count, status=status, retry_after=retry_after))

    def bad_json_next(self, count: int = 1) -> None:
        """The next ``count`` requests answer 200 with a truncated JSON body."""
        self._add(_Fault("bad_json", count))

    def bad_shape_next(self, count: int = 1) -> None:
        """The next ``count`` requests answer 200 with valid JSON of the wrong shape."""
        self._add(_Fault("bad_shape", count))

    def delay_next(self, count: int = 1, seconds: float = 1.0) -> None:
        """The next ``count`` requests wait ``seconds`` before answering (timeouts)."""
        self._add(_Fault("delay", count, seconds=seconds))

    def restate(self, day: date, factor: Decimal, key: Optional[str] = None) -> None:
        """From now on ``day``'s amounts are multiplied by ``factor`` (for one project /
        workspace ``key``, "default" for Anthropic's default workspace, or all when None).
        Setting it again replaces it; factor 1 undoes it."""
        factor = Decimal(factor)
        with self._lock:
            self._restated.setdefault(day, {})[key] = factor

    def omit(self, day: date) -> None:
        """From now on answers leave ``day``'s bucket out (as if the vendor had no data for it)."""
        with self._lock:
            self._omitted.add(day)

    def empty(self, day: date) -> None:
        """From now on ``day`` is answered with a bucket and no results (the vendor restated it to nothing)."""
        with self._lock:
            self._emptied.add(day)

    def omitted(self, day: date) -> bool:
        with self._lock:
            return day in self._omitted

    def emptied(self, day: date) -> bool:
        with self._lock:
            return day in self._emptied

    def factor(self, day: date, key: str) -> Decimal:
        """The restatement factor for ``key`` (project id, workspace id or "default")."""
        with self._lock:
            day_factors = self._restated.get(day, {})
            if key in day_factors:
                return day_factors[key]
            return day_factors.get(None, Decimal(1))

    def clear(self) -> None:
        with self._lock:
            self._queue.clear()
            self._restated.clear()
            self._omitted.clear()
            self._emptied.clear()

    def take(self) -> Optional[_Fault]:
        with self._lock:
            if not self._queue:
                return None
            fault = self._queue[0]
            fault.remaining -= 1
            if fault.remaining <= 0:
                self._queue.pop(0)
            return _Fault(fault.kind, 1, fault.status, fault.retry_after, fault.seconds)

    def to_dict(self) -> dict:
        with self._lock:
            return {
                "pending": [f.to_dict() for f in self._queue],
                "restated": [
                    {"day": d.isoformat(), "key": k, "factor": str(v)}
                    for d, keys in sorted(self._restated.items())
                    for k, v in keys.items()
                ],
                "omitted": [d.isoformat() for d in sorted(self._omitted)],
                "emptied": [d.isoformat() for d in sorted(self._emptied)],
            }

    def apply(self, body: Any) -> None:
        """Apply a ``POST /_emulator/faults`` body; ValueError when it is malformed."""
        if not isinstance(body, dict):
            raise ValueError("body must be a JSON object")
        unknown = set(body) - {"clear", "fail", "bad_json", "bad_shape", "delay", "restate", "omit", "empty"}
        if unknown:
            raise ValueError(f"unknown fields: {sorted(unknown)}")
        try:
            if body.get("clear"):
                self.clear()
            for name, spec in body.items():  # in the order given
                if name == "fail":
                    retry_after = spec.get("retry_after")
                    retry_after = None if retry_after is None else float(retry_after)
                    self.fail_next(int(spec.get("count", 1)), int(spec.get("status", 500)), retry_after)
                elif name == "bad_json" and spec:
                    self.bad_json_next(int(spec))
                elif name == "bad_shape" and spec:
                    self.bad_shape_next(int(spec))
                elif name == "delay":
                    self.delay_next(int(spec.get("count", 1)), float(spec.get("seconds", 1.0)))
                elif name == "restate":
                    for item in [spec] if isinstance(spec, dict) else spec:
                        self.restate(date.fromisoformat(item["day"]), Decimal(str(item["factor"])), item.get("key"))
                elif name in ("omit", "empty"):
                    mark = self.omit if name == "omit" else self.empty
                    for day in [spec] if isinstance(spec, str) else spec:
                        mark(date.fromisoformat(day))
        except (KeyError, TypeError, AttributeError, InvalidOperation) as exc:
            raise ValueError(f"malformed fault: {exc!r}") from None


# --- cursors and time ---------------------------------------------------------------
def encode_cursor(offset: int) -> str:
    return "page_" + base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    if not cursor.startswith("page_"):
        raise ValueError("bad page cursor")
    raw = cursor[5:]
    text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()
    if not text.startswith("offset:"):
        raise ValueError("bad page cursor")
    offset = int(text[7:])
    if offset < 0:
        raise ValueError("bad page cursor")
    return offset


def utc_today() -> date:
    return datetime.now(timezone.utc).date()


# --- app and server ----------------------------------------------------------------
class BadQuery(ValueError):
    """A query parameter the vendor would refuse; the message names it."""


def bucket_query(args, *, max_limit: int, group_fields, group_param: str) -> tuple[int, set]:
    """`bucket_width`, `limit` and `group_by` as both vendors check them: (limit, group_by)."""
    if args.get("bucket_width", "1d") != "1d":
        raise BadQuery("bucket_width: only '1d' is supported")
    try:
        limit = int(args.get("limit", 7))
    except ValueError:
        raise BadQuery("limit: must be an integer") from None
    if not 1 <= limit <= max_limit:
        raise BadQuery(f"limit: must be between 1 and {max_limit}")
    group_by: set = set()
    for raw in args.getlist("group_by") + args.getlist("group_by[]"):
        group_by.update(x.strip() for x in raw.split(",") if x.strip())
    if group_by - set(group_fields):
        raise BadQuery(f"{group_param}: unsupported {sorted(group_by - set(group_fields))}")
    return limit, group_by


class EmulatorApp:
    """A WSGI app: vendor routes plus ``/_emulator/faults``; records every API request."""

    vendor = "vendor"

    def __init__(self, api_key: str, results_for_day: RowsForDay) -> None:
        self.api_key = api_key
        self.results_for_day = results_for_day  # the vendor's cost rows of a day
        self.faults = Faults()
        self.requests: list[dict] = []
        self._log_lock = threading.Lock()
        self.url_map = Map(
            [Rule(FAULTS_PATH, endpoint="faults", methods=["GET", "POST", "DELETE"])]
            + [Rule(path, endpoint=endpoint, methods=["GET"]) for path, endpoint in self.routes.items()]
        )

    # subclasses
    routes: dict[str, str] = {}  # the vendor's GET routes: path -> endpoint (answered by `on_<endpoint>`)

    def auth_error(self, request: Request) -> Optional[Response]:
        raise NotImplementedError

    def error(self, status: int, message: str, kind: str = "invalid_request_error") -> Response:
        raise NotImplementedError

    def bad_shape_body(self) -> Any:
        return {"unexpected": True, "message": "this is not a billing page"}

    # paging
    def bucket_page(self, args, *, limit: int, n_buckets: int, bucket_at, day_results, group_by, page_head=None):
        """One page of daily buckets, as both vendors page them: from the `page` cursor, `limit` of the
        `n_buckets`; `bucket_at(i)` is bucket i's (day, fields before its results), `day_results(day, group_by)`
        its results. An omitted day's bucket is left out, an emptied day's has no results; `page_head`: the
        page's fields before its data."""
        try:
            offset = decode_cursor(args["page"]) if args.get("page") else 0
        except ValueError:
            return self.error(400, "page: invalid cursor")
        data = []
        for i in range(offset, min(offset + limit, n_buckets)):
            day, bucket = bucket_at(i)
            if self.faults.omitted(day):
                continue
            bucket["results"] = [] if self.faults.emptied(day) else day_results(day, group_by)
            data.append(bucket)
        has_more = offset + limit < n_buckets
        return json_response(
            {
                **(page_head or {}),
                "data": data,
                "has_more": has_more,
                "next_page": encode_cursor(offset + limit) if has_more else None,
            }
        )

    # plumbing
    def reset(self) -> None:
        self.faults.clear()
        with self._log_lock:
            self.requests.clear()

    def _faults_endpoint(self, request: Request) -> Response:
        if request.method == "DELETE":
            self.faults.clear()
        elif request.method == "POST":
            try:
                self.faults.apply(json.loads(request.get_data(as_text=True) or "{}"))
            except ValueError as exc:
                return json_response({"error": str(exc)}, 400)
        return json_response(self.faults.to_dict())

    def dispatch(self, request: Request) -> Response:
        adapter = self.url_map.bind_to_environ(request.environ)
        try:
            endpoint, values = adapter.match()
        except HTTPException as exc:
            return self.error(exc.code or 404, f"{request.method} {request.path}: {exc.name}", "not_found_error")
        if endpoint == "faults":
            return self._faults_endpoint(request)
        with self._log_lock:
            self.requests.append(
                {"method": request.method, "path": request.path, "args": request.args.to_dict(flat=False)}
            )
        denied = self.auth_error(request)
        if denied is not None:
            return denied
        fault = self.faults.take()
        if fault is not None:
            if fault.kind == "delay":
                time.sleep(fault.seconds)
            elif fault.kind == "status":
                headers = {"Retry-After": f"{fault.retry_after:g}"} if fault.retry_after is not None else None
                response = self.error(fault.status, f"emulated HTTP {fault.status}", "api_error")
                if headers:
                    response.headers.update(headers)
                return response
            elif fault.kind == "bad_json":
                return Response('{"object": "page", "data": [{"start_time": 17', 200, content_type="application/json")
            elif fault.kind == "bad_shape":
                return json_response(self.bad_shape_body())
        return getattr(self, f"on_{endpoint}")(request, **values)

    def __call__(self, environ, start_response):
        return self.dispatch(Request(environ))(environ, start_response)


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs) -> None:  # one line per request is noise in tests
        pass


@dataclass
class EmulatorHandle:
    """A running emulator: ``url`` is the base URL the SDK convention expects
    (OPENAI_BASE_URL ends in /v1, ANTHROPIC_BASE_URL does not); ``root`` is the server
    (``root + "/_emulator/faults"``); ``stop()`` shuts it down (also on ``with`` exit)."""

    url: str
    root: str
    port: int
    app: EmulatorApp
    _server: Any = field(repr=False)
    _thread: threading.Thread = field(repr=False)

    @property
    def faults(self) -> Faults:
        return self.app.faults

    @property
    def requests(self) -> list[dict]:
        return self.app.requests

    @property
    def api_key(self) -> str:
        return self.app.api_key

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> "EmulatorHandle":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def serve_in_thread(app: EmulatorApp, *, host: str, port: int, base_path: str, quiet: bool = True) -> EmulatorHandle:
    server = make_server(host, port, app, threaded=True, request_handler=_QuietHandler if quiet else None)
    actual = server.server_port
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=f"{app.vendor}-emulator:{actual}", daemon=True
    )
    thread.start()
    root = f"http://{host}:{actual}"
    return EmulatorHandle(url=root + base_path, root=root, port=actual, app=app, _server=server, _thread=thread)


RowsForDay = Callable[[date], list[dict]]
