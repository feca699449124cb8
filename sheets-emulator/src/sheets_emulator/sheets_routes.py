"""Sheets v4 routes: ``/v4/spreadsheets...``."""

from __future__ import annotations

import re
from typing import Any, Optional
from urllib.parse import unquote

from werkzeug.wrappers import Request, Response

from . import batch_requests, values_api
from .errors import ApiError
from .http_util import json_body, json_response, one, query_params, require_method, truthy
from .model import Spreadsheet, new_spreadsheet_id
from .spreadsheet_json import spreadsheet_json
from .store import Store


class SheetsRoutes:
    """``strict_grid``: writing values outside a sheet's grid is an error (as
    Sheets answers) instead of growing the grid."""

    def __init__(self, store: Store, *, strict_grid: bool = True):
        self.store = store
        self.strict_grid = strict_grid

    def handle(self, request: Request, raw_path: str, query: str, requester: Optional[str]) -> Response:
        method = request.method
        params = query_params(query)
        rest = raw_path[len("/v4/spreadsheets") :]
        if rest in ("", "/"):
            if method == "POST":
                return json_response(self._create_from_sheets_body(json_body(request)))
            raise ApiError(404)
        m = re.fullmatch(r"/([^/:]+)(:batchUpdate)?", rest)
        if m:
            sid = unquote(m.group(1))
            if m.group(2):
                require_method(method, "POST")
                return json_response(self._batch_update(sid, json_body(request), requester))
            require_method(method, "GET")
            book = self.store.get(sid)
            return json_response(
                spreadsheet_json(
                    book,
                    include_grid_data=truthy(one(params, "includeGridData")),
                    ranges=params.get("ranges"),
                    fields=one(params, "fields"),
                )
            )
        m = re.fullmatch(r"/([^/:]+)/values:(batchGet|batchUpdate|batchClear)", rest)
        if m:
            sid, op = unquote(m.group(1)), m.group(2)
            if op == "batchGet":
                require_method(method, "GET")
                book = self.store.get(sid)
                return json_response(
                    values_api.batch_read(
                        book,
                        params.get("ranges") or [],
                        major=one(params, "majorDimension"),
                        render=one(params, "valueRenderOption"),
                        dt_render=one(params, "dateTimeRenderOption"),
                    )
                )
            require_method(method, "POST")
            book = self.store.get(sid)
            if op == "batchUpdate":
                reply = values_api.batch_update(book, json_body(request), strict_grid=self.strict_grid)
            else:
                reply = values_api.batch_clear(book, json_body(request))
            self.store.commit(book)
            return json_response(reply)
        m = re.fullmatch(r"/([^/:]+)/values/([^/]+)", rest)
        if m:
            sid = unquote(m.group(1))
            target = unquote(m.group(2))
            action = None
            for suffix in (":append", ":clear"):
                if target.endswith(suffix):
                    target, action = target[: -len(suffix)], suffix[1:]
            book = self.store.get(sid)
            if action is None and method == "GET":
                return json_response(
                    values_api.read(
                        book,
                        target,
                        major=one(params, "majorDimension"),
                        render=one(params, "valueRenderOption"),
                        dt_render=one(params, "dateTimeRenderOption"),
                    )
                )
            if action is None and method == "PUT":
                flat = {k: one(params, k) for k in params}
                reply = values_api.update(book, target, json_body(request), flat, strict_grid=self.strict_grid)
            elif action == "append" and method == "POST":
                flat = {k: one(params, k) for k in params}
                reply = values_api.append(book, target, json_body(request), flat)
            elif action == "clear" and method == "POST":
                reply = {"spreadsheetId": book.id, "clearedRange": values_api.clear(book, target)}
            else:
                raise ApiError(404)
            self.store.commit(book)
            return json_response(reply)
        m = re.fullmatch(r"/([^/:]+)/sheets/(\d+):copyTo", rest)
        if m:
            require_method(method, "POST")
            return json_response(self._copy_to(unquote(m.group(1)), int(m.group(2)), json_body(request)))
        raise ApiError(404)

    def _batch_update(self, sid: str, body: dict, requester: Optional[str]) -> dict:
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
            sheet = book.add_sheet(
                sp.get("title"),
                sp.get("sheetId", 0 if not book.sheets else None),
                rows=int(grid.get("rowCount", 1000)),
                cols=int(grid.get("columnCount", 26)),
            )
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
