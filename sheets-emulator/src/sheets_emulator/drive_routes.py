"""Drive v3 routes (``/drive/v3/files...``) and the v2 upload gspread uses for
``import_csv``: spreadsheets as Drive files — create, list, get, rename,
copy, delete, export, permissions."""

from __future__ import annotations

import copy
import csv
import io
import re
import secrets
from typing import Optional
from urllib.parse import unquote

from werkzeug.wrappers import Request, Response

from . import values_api, xlsx_io
from .a1 import Rect
from .errors import ApiError
from .fieldmask import select
from .http_util import json_body, json_response, one, query_params, require_method
from .model import Spreadsheet, new_spreadsheet_id
from .store import Store
from .values import Renderer

SPREADSHEET_MIME = "application/vnd.google-apps.spreadsheet"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class DriveRoutes:
    def __init__(self, store: Store):
        self.store = store

    def handle(self, request: Request, raw_path: str, query: str) -> Response:
        method = request.method
        params = query_params(query)
        fields = one(params, "fields")
        if raw_path.startswith("/upload/drive/v2/files/"):
            require_method(method, "PUT")
            fid = unquote(raw_path.rsplit("/", 1)[1])
            return json_response(self._import_csv(fid, request.get_data()))
        rest = raw_path[len("/drive/v3/files") :]
        if rest in ("", "/"):
            if method == "POST":
                body = json_body(request)
                mime = body.get("mimeType")
                if mime != SPREADSHEET_MIME:
                    raise ApiError(
                        400,
                        f"The local emulator only creates spreadsheets (mimeType {SPREADSHEET_MIME}), not {mime}.",
                        drive_reason="badRequest",
                    )
                book = self.store.create(body.get("name") or "Untitled spreadsheet")
                return json_response(select(drive_file(book, with_times=False), fields))
            if method == "GET":
                return json_response(self._list_files(params, fields))
            raise ApiError(405, "Method not allowed")
        m = re.fullmatch(r"/([^/]+)(/copy|/export|/permissions(?:/([^/]+))?)?", rest)
        if not m:
            raise ApiError(404, "Not Found", drive_reason="notFound")
        fid = unquote(m.group(1))
        tail = m.group(2) or ""
        if tail == "":
            if method == "GET":
                book = self.store.get(fid, drive=True)
                return json_response(select(drive_file(book), fields or "kind,id,name,mimeType"))
            if method == "DELETE":
                self.store.delete(fid)
                return Response(b"", status=204)
            if method == "PATCH":
                book = self.store.working_copy(fid)
                body = json_body(request)
                if body.get("name"):
                    book.properties["title"] = body["name"]
                self.store.commit(book)
                return json_response(select(drive_file(book), fields or "kind,id,name,mimeType"))
        elif tail == "/copy":
            require_method(method, "POST")
            source = self.store.get(fid, drive=True)
            body = json_body(request)
            clone = copy.deepcopy(source)
            clone.id = new_spreadsheet_id()
            clone.properties["title"] = body.get("name") or f"Copy of {source.title}"
            self.store.create(book=clone)
            return json_response(select(drive_file(clone, with_times=False), fields))
        elif tail == "/export":
            require_method(method, "GET")
            book = self.store.get(fid, drive=True)
            mime = one(params, "mimeType") or XLSX_MIME
            if mime == XLSX_MIME:
                buf = io.BytesIO()
                xlsx_io.build_workbook(book).save(buf)
                return Response(buf.getvalue(), content_type=XLSX_MIME)
            if mime in ("text/csv", "text/tab-separated-values"):
                return Response(
                    _export_delimited(book, "," if mime == "text/csv" else "\t"), content_type=f"{mime}; charset=UTF-8"
                )
            raise ApiError(400, f"Export to {mime} is not supported by the local emulator.", drive_reason="badRequest")
        else:  # permissions
            book = self.store.get(fid, drive=True)
            perm_id = m.group(3)
            if perm_id is None and method == "GET":
                return json_response({"kind": "drive#permissionList", "permissions": list(book.permissions)})
            if perm_id is None and method == "POST":
                body = json_body(request)
                work = self.store.working_copy(fid)
                perm = {
                    "kind": "drive#permission",
                    "id": secrets.token_hex(8),
                    "type": body.get("type"),
                    "role": body.get("role"),
                }
                for key in ("emailAddress", "domain"):
                    if body.get(key):
                        perm[key] = body[key]
                work.permissions.append(perm)
                self.store.commit(work)
                return json_response(perm)
            if perm_id is not None and method == "DELETE":
                work = self.store.working_copy(fid)
                work.permissions = [p for p in work.permissions if p.get("id") != perm_id]
                self.store.commit(work)
                return Response(b"", status=204)
        raise ApiError(405, "Method not allowed")

    def _list_files(self, params: dict, fields: Optional[str]) -> dict:
        q = one(params, "q") or ""
        name = None
        m = re.search(r"""name\s*=\s*(['"])((?:\\.|(?!\1).)*)\1""", q)
        if m:
            name = re.sub(r"\\(.)", r"\1", m.group(2))
        files = []
        for book in self.store.all():
            if name is not None and book.title != name:
                continue
            files.append(drive_file(book))
        files.sort(key=lambda f: f["modifiedTime"], reverse=True)
        out = {"kind": "drive#fileList", "incompleteSearch": False, "files": files}
        if fields:
            return select(out, fields)
        return {
            "kind": out["kind"],
            "incompleteSearch": False,
            "files": [select(f, "kind,id,name,mimeType") for f in files],
        }

    def _import_csv(self, fid: str, data: bytes) -> dict:
        work = self.store.working_copy(fid)
        first = work.sheets[0]
        work.sheets = [first]
        first.cells.clear()
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
        first.set_size(max(first.row_count, len(rows)), max(first.col_count, max((len(r) for r in rows), default=0)))
        plan = values_api.PlannedWrite(
            values_api.Target(first, values_api.Rect(0, 0, 1, 1), False, "A1"), 0, 0, rows, "USER_ENTERED"
        )
        values_api.apply_write(work, plan)
        self.store.commit(work)
        return {"kind": "drive#file", "id": work.id, "title": work.title, "mimeType": SPREADSHEET_MIME}


def drive_file(book: Spreadsheet, *, with_times: bool = True) -> dict:
    out = book.drive_file()
    if not with_times:
        out.pop("createdTime")
        out.pop("modifiedTime")
    return out


def _export_delimited(book: Spreadsheet, delimiter: str) -> bytes:

    sheet = book.sheets[0]
    rows = values_api.range_values(
        sheet, Rect(0, 0, sheet.row_count, sheet.col_count), "ROWS", "FORMATTED_VALUE", "SERIAL_NUMBER", Renderer(book)
    )
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\n")
    for row in rows:
        writer.writerow(row)
    return buf.getvalue().encode("utf-8")
