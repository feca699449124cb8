"""Sheets v4 routes: ``/v4/spreadsheets...``.

Every request is checked before it is served: its query parameters and its JSON body against the
Sheets v4 discovery document (:mod:`.checks`: what Google does not know is refused as Google refuses
it), then against what the emulator implements (:mod:`.support`: what Google knows but the emulator
does not implement is refused by name). ``fields`` (partial responses) is applied to every answer.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Optional
from urllib.parse import unquote

from werkzeug.wrappers import Request, Response

from . import batch_requests, checks, discovery, fieldmask, support, values_api
from .errors import ApiError
from .http_util import json_body, json_response, query_params, require_method
from .model import Spreadsheet, new_spreadsheet_id
from .spreadsheet_json import spreadsheet_json
from .store import Store

_VALUE_READ = {"majorDimension", "valueRenderOption", "dateTimeRenderOption"}
_VALUE_WRITE = {
    "valueInputOption",
    "includeValuesInResponse",
    "responseValueRenderOption",
    "responseDateTimeRenderOption",
}

# The query parameters of each method the emulator implements (besides the system ones: fields, key,
# access_token, oauth_token, prettyPrint, quotaUser, alt=json, $.xgafv=2).
IMPLEMENTED_PARAMS: dict[str, set[str]] = {
    "spreadsheets.create": set(),
    # excludeTablesInBandedRanges: the emulator has no tables, so there are none to exclude
    "spreadsheets.get": {"ranges", "includeGridData", "excludeTablesInBandedRanges"},
    "spreadsheets.batchUpdate": set(),
    "spreadsheets.sheets.copyTo": set(),
    "spreadsheets.values.get": set(_VALUE_READ),
    "spreadsheets.values.batchGet": _VALUE_READ | {"ranges"},
    "spreadsheets.values.update": set(_VALUE_WRITE),
    "spreadsheets.values.append": _VALUE_WRITE | {"insertDataOption"},
    "spreadsheets.values.clear": set(),
    "spreadsheets.values.batchUpdate": set(),
    "spreadsheets.values.batchClear": set(),
}

# Sheets v4 methods the emulator does not implement: refused by name.
UNIMPLEMENTED_METHODS = (
    "spreadsheets.getByDataFilter",
    "spreadsheets.developerMetadata.get",
    "spreadsheets.developerMetadata.search",
    "spreadsheets.values.batchGetByDataFilter",
    "spreadsheets.values.batchUpdateByDataFilter",
    "spreadsheets.values.batchClearByDataFilter",
)


def unimplemented_method(method_id: str) -> ApiError:
    return ApiError(400, f"The local Sheets emulator does not implement {method_id}.")


def parse_and_check(body: Any, schema: str, *, root: str = "", what: str = "") -> dict:
    """A body read as Google reads it, then refused if it sets what the emulator does not implement."""
    parsed = checks.parse_body(body, schema, root=root)
    try:
        support.check(parsed, schema, root)
    except support.Unsupported as exc:
        raise ApiError(400, f"The local Sheets emulator does not implement {exc}{what}.") from None
    return parsed


class SheetsRoutes:
    """``strict_grid``: writing values outside a sheet's grid is an error (as Sheets answers) instead of
    growing the grid."""

    def __init__(self, store: Store, *, strict_grid: bool = True):
        self.store = store
        self.strict_grid = strict_grid

    def route(self, method: str, rest: str) -> tuple[str, Callable[..., Any], tuple]:
        """(method id, handler, path arguments) for a path below /v4/spreadsheets."""
        if rest in ("", "/"):
            require_method(method, "POST")
            return "spreadsheets.create", self._create, ()
        m = re.fullmatch(r"/([^/:]+)(?::(batchUpdate|getByDataFilter))?", rest)
        if m:
            sid, verb = unquote(m.group(1)), m.group(2)
            if verb == "getByDataFilter":
                raise unimplemented_method("spreadsheets.getByDataFilter")
            if verb == "batchUpdate":
                require_method(method, "POST")
                return "spreadsheets.batchUpdate", self._batch_update, (sid,)
            require_method(method, "GET")
            return "spreadsheets.get", self._get, (sid,)
        if re.fullmatch(r"/[^/:]+/developerMetadata(/[^/]+|:search)", rest):
            search = rest.endswith(":search")
            raise unimplemented_method(f"spreadsheets.developerMetadata.{'search' if search else 'get'}")
        m = re.fullmatch(r"/([^/:]+)/values:(\w+)", rest)
        if m:
            sid, verb = unquote(m.group(1)), m.group(2)
            if f"spreadsheets.values.{verb}" in UNIMPLEMENTED_METHODS:
                raise unimplemented_method(f"spreadsheets.values.{verb}")
            handlers = {"batchGet": ("GET", self._batch_get), "batchUpdate": ("POST", self._values_batch_update)}
            handlers["batchClear"] = ("POST", self._batch_clear)
            if verb not in handlers:
                raise ApiError(404)
            require_method(method, handlers[verb][0])
            return f"spreadsheets.values.{verb}", handlers[verb][1], (sid,)
        m = re.fullmatch(r"/([^/:]+)/values/([^/]+)", rest)
        if m:
            sid, target = unquote(m.group(1)), unquote(m.group(2))
            for verb, handler in (("append", self._append), ("clear", self._clear)):
                if target.endswith(":" + verb):
                    require_method(method, "POST")
                    return f"spreadsheets.values.{verb}", handler, (sid, target[: -len(verb) - 1])
            if method == "GET":
                return "spreadsheets.values.get", self._values_get, (sid, target)
            require_method(method, "PUT")
            return "spreadsheets.values.update", self._values_update, (sid, target)
        m = re.fullmatch(r"/([^/:]+)/sheets/(\d+):copyTo", rest)
        if m:
            require_method(method, "POST")
            return "spreadsheets.sheets.copyTo", self._copy_to, (unquote(m.group(1)), int(m.group(2)))
        raise ApiError(404)

    def handle(self, request: Request, raw_path: str, query: str, requester: Optional[str]) -> Response:
        method_id, handler, args = self.route(request.method, raw_path[len("/v4/spreadsheets") :])
        params = checks.check_sheets_query(query_params(query), "sheets." + method_id, IMPLEMENTED_PARAMS[method_id])
        fields = params.get("fields")
        response_schema = discovery.sheets()["methods"]["sheets." + method_id]["response"]
        if fields:
            bad = checks.mask_errors(fieldmask.parse(fields), response_schema)
            if bad:
                raise ApiError(400, f"Invalid field selection {bad[0]}")
        body = json_body(request) if request.method in ("POST", "PUT") else {}
        out = handler(*args, params=params, body=body, requester=requester)
        if fields and method_id != "spreadsheets.get":  # get applies it itself (it decides includeGridData)
            out = fieldmask.select(out, fields)
        return json_response(out)

    # spreadsheets ---------------------------------------------------------------
    def _get(self, sid: str, *, params: dict, **_: Any) -> dict:
        book = self.store.get(sid)
        return spreadsheet_json(
            book,
            include_grid_data=bool(params.get("includeGridData")),
            ranges=params.get("ranges"),
            fields=params.get("fields"),
        )

    def _batch_update(self, sid: str, *, body: dict, requester: Optional[str], **_: Any) -> dict:
        work = self.store.working_copy(sid)
        replies = batch_requests.apply(work, body, requester)
        self.store.commit(work)
        out: dict[str, Any] = {"spreadsheetId": sid, "replies": replies}
        if body.get("includeSpreadsheetInResponse"):
            out["updatedSpreadsheet"] = spreadsheet_json(
                work,
                include_grid_data=bool(body.get("responseIncludeGridData")),
                ranges=body.get("responseRanges") or None,
            )
        return out

    def _create(self, *, body: dict, **_: Any) -> dict:
        body = parse_and_check(body, "Spreadsheet", what=" in spreadsheets.create")
        props = body.get("properties") or {}
        book = Spreadsheet(new_spreadsheet_id(), props.get("title") or "Untitled spreadsheet")
        for key in ("locale", "timeZone", "autoRecalc"):
            if props.get(key):
                book.properties[key] = props[key]
        batch = batch_requests.Batch(book)
        for i, spec in enumerate(body.get("sheets") or [{}]):
            sheet_props = dict(spec.get("properties") or {})
            if not book.sheets:
                sheet_props.setdefault("sheetId", 0)
            try:
                batch_requests.add_sheet(batch, {"properties": sheet_props})
            except (batch_requests.RequestError, TypeError, ValueError) as exc:
                raise ApiError(400, f"Invalid sheets[{i}]: {exc}") from None
        self.store.create(book=book)
        return spreadsheet_json(book)

    def _copy_to(self, sid: str, sheet_id: int, *, body: dict, **_: Any) -> dict:
        body = parse_and_check(body, "CopySheetToAnotherSpreadsheetRequest")
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
        for band in copy_.banded_ranges:
            band["bandedRangeId"] = dest.new_object_id()
        self.store.commit(dest)
        return copy_.properties_json(dest.index_of(copy_))

    # values -----------------------------------------------------------------------
    def _values_get(self, sid: str, target: str, *, params: dict, **_: Any) -> dict:
        return values_api.read(
            self.store.get(sid),
            target,
            major=params.get("majorDimension"),
            render=params.get("valueRenderOption"),
            dt_render=params.get("dateTimeRenderOption"),
        )

    def _batch_get(self, sid: str, *, params: dict, **_: Any) -> dict:
        return values_api.batch_read(
            self.store.get(sid),
            params.get("ranges") or [],
            major=params.get("majorDimension"),
            render=params.get("valueRenderOption"),
            dt_render=params.get("dateTimeRenderOption"),
        )

    def _values_update(self, sid: str, target: str, *, params: dict, body: dict, **_: Any) -> dict:
        body = parse_and_check(body, "ValueRange", root="data")
        book = self.store.get(sid)
        reply = values_api.update(book, target, body, params, strict_grid=self.strict_grid)
        self.store.commit(book)
        return reply

    def _append(self, sid: str, target: str, *, params: dict, body: dict, **_: Any) -> dict:
        body = parse_and_check(body, "ValueRange", root="data")
        book = self.store.get(sid)
        reply = values_api.append(book, target, body, params)
        self.store.commit(book)
        return reply

    def _clear(self, sid: str, target: str, *, body: dict, **_: Any) -> dict:
        parse_and_check(body, "ClearValuesRequest")
        book = self.store.get(sid)
        reply = {"spreadsheetId": book.id, "clearedRange": values_api.clear(book, target)}
        self.store.commit(book)
        return reply

    def _values_batch_update(self, sid: str, *, body: dict, **_: Any) -> dict:
        body = parse_and_check(body, "BatchUpdateValuesRequest")
        book = self.store.get(sid)
        reply = values_api.batch_update(book, body, strict_grid=self.strict_grid)
        self.store.commit(book)
        return reply

    def _batch_clear(self, sid: str, *, body: dict, **_: Any) -> dict:
        body = parse_and_check(body, "BatchClearValuesRequest")
        book = self.store.get(sid)
        reply = values_api.batch_clear(book, body)
        self.store.commit(book)
        return reply
