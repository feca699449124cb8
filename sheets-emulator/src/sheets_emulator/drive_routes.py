"""Drive v3 routes (``/drive/v3/files...``) and the v2 upload gspread uses for ``import_csv``:
spreadsheets as Drive files — create, list, get, rename, copy, delete, export, permissions, and the
(always empty) comment list gspread's ``copy`` reads.

Drive answers errors in its own shape (``{"error": {"code", "message", "errors": [{"domain",
"reason", ...}]}}``) and ignores query parameters and body fields it does not know (gspread sends
``includeItemsFromAllDrives`` to files.get and ``withLink`` in a permission; Google answers 200). So
here: a parameter or field Drive documents but the emulator does not implement is refused by name
(400 ``badRequest``), one Drive does not document is ignored as Drive ignores it.
"""

from __future__ import annotations

import copy
import csv
import io
import re
import secrets
from typing import Any, Optional
from urllib.parse import unquote

from werkzeug.wrappers import Request, Response

from . import discovery, values_api, xlsx_io
from .a1 import Rect
from .errors import ApiError, drive_error
from .fieldmask import parse as parse_mask
from .fieldmask import select
from .http_util import json_body, json_response, query_params
from .model import Spreadsheet, new_spreadsheet_id
from .store import Store
from .values import Renderer

SPREADSHEET_MIME = "application/vnd.google-apps.spreadsheet"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXPORTS = (XLSX_MIME, "text/csv", "text/tab-separated-values")

_SHARED_DRIVES = {"supportsAllDrives", "supportsTeamDrives"}  # no shared drives here: nothing to support
# The documented query parameters of each method the emulator implements (besides fields, key,
# access_token, oauth_token, prettyPrint, quotaUser and alt=json).
IMPLEMENTED_PARAMS: dict[str, set[str]] = {
    "files.create": set(_SHARED_DRIVES),
    "files.list": _SHARED_DRIVES
    | {"q", "pageSize", "pageToken", "orderBy", "corpora", "corpus", "spaces"}
    | {"includeItemsFromAllDrives", "includeTeamDriveItems"},
    "files.get": set(_SHARED_DRIVES),
    "files.update": set(_SHARED_DRIVES),
    "files.copy": set(_SHARED_DRIVES),
    "files.delete": set(_SHARED_DRIVES),
    "files.export": {"mimeType"},
    "permissions.list": _SHARED_DRIVES | {"pageSize", "pageToken"},
    # no e-mail is ever sent: whether to send one, and its text, change nothing
    "permissions.create": _SHARED_DRIVES | {"sendNotificationEmail", "emailMessage"},
    "permissions.delete": set(_SHARED_DRIVES),
    "comments.list": {"includeDeleted", "pageSize", "pageToken", "startModifiedTime"},
}
# Values of implemented parameters the emulator serves (others are refused).
PARAM_VALUES = {"corpora": {"user", "allDrives"}, "corpus": {"user"}, "spaces": {"drive"}}
SYSTEM_PARAMS = {"fields", "key", "access_token", "oauth_token", "prettyPrint", "quotaUser", "alt"}

# Body fields implemented per method (a File or a Permission); the others Drive documents are refused.
FILE_FIELDS = {"files.create": {"name", "mimeType"}, "files.copy": {"name", "mimeType"}, "files.update": {"name"}}
FILE_IGNORED = {"kind", "id"}  # echoing a File back: its kind and (unchanged) id
PERMISSION_FIELDS = {"type", "role", "emailAddress", "domain"}
PERMISSION_IGNORED = {"kind", "id", "displayName", "photoLink", "deleted", "permissionDetails"}
PERMISSION_TYPES = {"user", "group", "domain", "anyone"}
PERMISSION_ROLES = {"organizer", "fileOrganizer", "writer", "commenter", "reader"}  # owner: a transfer


def unimplemented(what: str, location: Optional[str] = None) -> ApiError:
    return drive_error(400, f"The local Sheets emulator does not implement {what}.", "badRequest", location)


def _set(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() not in ("", "false", "0")
    return value not in (None, False, [], {})


def check_params(params: dict[str, list[str]], method: str) -> dict[str, str]:
    doc = discovery.drive()
    documented = set(doc["methods"][f"drive.{method}"]["parameters"]) | set(doc["parameters"])
    implemented = IMPLEMENTED_PARAMS[method] | SYSTEM_PARAMS
    flat = {k: v[-1] for k, v in params.items()}
    for name, value in flat.items():
        if name not in documented:
            continue  # Drive ignores what it does not know
        if name not in implemented:
            if _set(value):
                raise unimplemented(f"the parameter '{name}' of Drive {method}", name)
            continue
        allowed = PARAM_VALUES.get(name)
        if allowed is not None and value not in allowed:
            raise unimplemented(f"{name}={value} in Drive {method} (only {', '.join(sorted(allowed))})", name)
    if flat.get("alt", "json") != "json":
        if method == "files.get" and flat["alt"] == "media":
            raise drive_error(
                403,
                "Only files with binary content can be downloaded. Use Export with Docs Editors files.",
                "fileNotDownloadable",
                "alt",
            )
        raise unimplemented(f"alt={flat['alt']} (JSON only)", "alt")
    if flat.get("fields"):
        parse_mask(flat["fields"])  # a malformed selection is a 400
    return flat


def check_body(body: dict, schema: str, implemented: set[str], ignored: set[str], method: str) -> None:
    known = discovery.drive()["schemas"][schema]
    for key, value in body.items():
        if key in known and key not in implemented and key not in ignored and _set(value):
            raise unimplemented(f"the {schema} field '{key}' in Drive {method}")


class DriveRoutes:
    def __init__(self, store: Store):
        self.store = store

    def handle(self, request: Request, raw_path: str, query: str) -> Response:
        method = request.method
        params = query_params(query)
        if raw_path.startswith("/upload/drive/v2/files/") and method == "PUT":
            fid = unquote(raw_path.rsplit("/", 1)[1])
            return json_response(self._import_csv(fid, params, request.get_data()))
        if not raw_path.startswith("/drive/v3/files"):
            raise unimplemented(f"Drive {method} {unquote(raw_path)}")
        rest = raw_path[len("/drive/v3/files") :]
        if rest in ("", "/"):
            if method == "POST":
                return json_response(self._create(check_params(params, "files.create"), json_body(request)))
            if method == "GET":
                return json_response(self._list_files(check_params(params, "files.list")))
            raise unimplemented(f"Drive {method} {unquote(raw_path)}")
        m = re.fullmatch(r"/([^/]+)(?:/(copy|export|permissions|comments)(?:/([^/]+))?)?", rest)
        if not m:
            raise unimplemented(f"Drive {method} {unquote(raw_path)}")
        fid, tail, sub_id = unquote(m.group(1)), m.group(2), m.group(3)
        key = (tail, sub_id is not None, method)
        if key == (None, False, "GET"):
            flat = check_params(params, "files.get")
            book = self.store.get(fid, drive=True)
            return json_response(select(drive_file(book), flat.get("fields") or "kind,id,name,mimeType"))
        if key == (None, False, "DELETE"):
            check_params(params, "files.delete")
            self.store.delete(fid)
            return Response(b"", status=204)
        if key == (None, False, "PATCH"):
            flat = check_params(params, "files.update")
            body = json_body(request)
            check_body(body, "File", FILE_FIELDS["files.update"], FILE_IGNORED, "files.update")
            book = self.store.working_copy(fid)
            if body.get("name"):
                book.properties["title"] = body["name"]
            self.store.commit(book)
            return json_response(select(drive_file(book), flat.get("fields") or "kind,id,name,mimeType"))
        if key == ("copy", False, "POST"):
            return json_response(self._copy(fid, check_params(params, "files.copy"), json_body(request)))
        if key == ("export", False, "GET"):
            return self._export(fid, check_params(params, "files.export"))
        if key == ("permissions", False, "GET"):
            flat = check_params(params, "permissions.list")
            book = self.store.get(fid, drive=True)
            perms, token = _page(list(book.permissions), flat, default_size=100, max_size=100)
            out: dict[str, Any] = {"kind": "drive#permissionList", "permissions": perms}
            if token:
                out["nextPageToken"] = token
            return json_response(select(out, flat.get("fields")))
        if key == ("permissions", False, "POST"):
            flat = check_params(params, "permissions.create")
            perm = self._add_permission(fid, json_body(request))
            return json_response(select(perm, flat.get("fields") or "kind,id,type,role"))
        if key == ("permissions", True, "DELETE"):
            check_params(params, "permissions.delete")
            work = self.store.working_copy(fid)
            if not any(p.get("id") == sub_id for p in work.permissions):
                raise drive_error(404, f"Permission not found: {sub_id}.", "notFound", "permissionId")
            work.permissions = [p for p in work.permissions if p.get("id") != sub_id]
            self.store.commit(work)
            return Response(b"", status=204)
        if key == ("comments", False, "GET"):
            flat = check_params(params, "comments.list")
            if not flat.get("fields"):
                raise drive_error(400, "The 'fields' parameter is required for this method.", "required", "fields")
            self.store.get(fid, drive=True)
            # Comments are only made through Drive's comments.create, which the emulator does not
            # implement, so a file never has any (cell notes are not Drive comments).
            return json_response(select({"kind": "drive#commentList", "comments": []}, flat["fields"]))
        names = {"copy": "files.copy", "export": "files.export", "permissions": "permissions", "comments": "comments"}
        what = names.get(tail or "", "files") + (f"/{sub_id}" if sub_id else "")
        raise unimplemented(f"Drive {method} on {what}")

    # files ----------------------------------------------------------------------
    def _create(self, flat: dict, body: dict) -> dict:
        check_body(body, "File", FILE_FIELDS["files.create"], set(), "files.create")
        mime = body.get("mimeType")
        if mime != SPREADSHEET_MIME:
            raise unimplemented(f"files other than spreadsheets (mimeType {SPREADSHEET_MIME}), not {mime}", "mimeType")
        book = self.store.create(body.get("name") or "Untitled spreadsheet")
        return select(drive_file(book, with_times=False), flat.get("fields") or "kind,id,name,mimeType")

    def _copy(self, fid: str, flat: dict, body: dict) -> dict:
        check_body(body, "File", FILE_FIELDS["files.copy"], FILE_IGNORED, "files.copy")
        if body.get("mimeType") not in (None, SPREADSHEET_MIME):
            raise unimplemented(f"converting a copy to {body['mimeType']}", "mimeType")
        source = self.store.get(fid, drive=True)
        clone = copy.deepcopy(source)
        clone.id = new_spreadsheet_id()
        clone.properties["title"] = body.get("name") or f"Copy of {source.title}"
        self.store.create(book=clone)
        return select(drive_file(clone, with_times=False), flat.get("fields") or "kind,id,name,mimeType")

    def _export(self, fid: str, flat: dict) -> Response:
        book = self.store.get(fid, drive=True)
        mime = flat.get("mimeType")
        if not mime:
            raise drive_error(400, "Required parameter: mimeType", "required", "mimeType")
        if mime == XLSX_MIME:
            buf = io.BytesIO()
            xlsx_io.build_workbook(book).save(buf)
            return Response(buf.getvalue(), content_type=XLSX_MIME)
        if mime in ("text/csv", "text/tab-separated-values"):
            return Response(
                _export_delimited(book, "," if mime == "text/csv" else "\t"), content_type=f"{mime}; charset=UTF-8"
            )
        raise unimplemented(f"export to {mime} (only {', '.join(EXPORTS)})", "mimeType")

    def _list_files(self, flat: dict) -> dict:
        keep = _query_filter(flat.get("q") or "")
        files = [drive_file(book) for book in self.store.all() if keep(book)]
        _order(files, flat.get("orderBy"))
        page, token = _page(files, flat, default_size=100, max_size=1000)
        out: dict[str, Any] = {"kind": "drive#fileList", "incompleteSearch": False, "files": page}
        if token:
            out["nextPageToken"] = token
        if flat.get("fields"):
            return select(out, flat["fields"])
        out["files"] = [select(f, "kind,id,name,mimeType") for f in page]
        return out

    # permissions ----------------------------------------------------------------
    def _add_permission(self, fid: str, body: dict) -> dict:
        check_body(body, "Permission", PERMISSION_FIELDS, PERMISSION_IGNORED, "permissions.create")
        kind, role = body.get("type"), body.get("role")
        if not kind:
            raise drive_error(400, "The permission type field is required.", "required", "permission.type")
        if not role:
            raise drive_error(400, "The permission role field is required.", "required", "permission.role")
        if kind not in PERMISSION_TYPES:
            raise drive_error(400, f"The permission type {kind} is not valid.", "invalid", "permission.type")
        if role == "owner":
            raise unimplemented("transferring ownership (role owner)", "permission.role")
        if role not in PERMISSION_ROLES:
            raise drive_error(400, f"The permission role {role} is not valid.", "invalid", "permission.role")
        needed = {"user": "emailAddress", "group": "emailAddress", "domain": "domain"}.get(kind)
        if needed and not body.get(needed):
            raise drive_error(
                400, f"The permission {needed} field is required for type {kind}.", "required", f"permission.{needed}"
            )
        work = self.store.working_copy(fid)
        perm = {"kind": "drive#permission", "id": secrets.token_hex(8), "type": kind, "role": role}
        if needed:
            perm[needed] = body[needed]
        work.permissions.append(perm)
        self.store.commit(work)
        return perm

    # gspread's import_csv ---------------------------------------------------------
    def _import_csv(self, fid: str, params: dict[str, list[str]], data: bytes) -> dict:
        flat = {k: v[-1] for k, v in params.items()}
        if flat.get("uploadType", "media") != "media":
            raise unimplemented(f"uploadType={flat['uploadType']} (media only)", "uploadType")
        if not _set(flat.get("convert", "true")):
            raise unimplemented("an upload without convert=true (a CSV becomes the spreadsheet's content)", "convert")
        work = self.store.working_copy(fid)
        first = work.sheets[0]
        work.sheets = [first]
        first.cells.clear()
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
        values_api.check_formulas(rows, "USER_ENTERED", "the uploaded CSV")
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


def _page(items: list, flat: dict, *, default_size: int, max_size: int) -> tuple[list, Optional[str]]:
    raw_size = flat.get("pageSize")
    try:
        size = int(raw_size) if raw_size not in (None, "") else default_size
    except ValueError:
        raise drive_error(400, "Invalid Value", "invalid", "pageSize") from None
    if size < 1:
        raise drive_error(400, "Invalid Value", "invalid", "pageSize")
    size = min(size, max_size)
    token = flat.get("pageToken") or ""
    start = 0
    if token:
        m = re.fullmatch(r"emu-page-(\d+)", token)
        if not m:
            raise drive_error(400, "Invalid Value", "invalid", "pageToken")
        start = int(m.group(1))
    end = start + size
    return items[start:end], (f"emu-page-{end}" if end < len(items) else None)


_ORDER_KEYS = {"createdTime": "createdTime", "modifiedTime": "modifiedTime", "name": "name"}


def _order(files: list[dict], order_by: Optional[str]) -> None:
    if not order_by:
        files.sort(key=lambda f: f["modifiedTime"], reverse=True)
        return
    keys = []
    for part in order_by.split(","):
        words = part.split()
        if not words or words[0] not in _ORDER_KEYS or len(words) > 2 or words[1:] not in ([], ["desc"]):
            raise unimplemented(f"orderBy={order_by} (only createdTime, modifiedTime and name, each maybe desc)")
        keys.append((_ORDER_KEYS[words[0]], words[1:] == ["desc"]))
    for key, desc in reversed(keys):
        files.sort(key=lambda f, key=key: f[key], reverse=desc)


_Q_TOKEN = re.compile(
    r"""\s*(?:(?P<str>'(?:\\.|[^'\\])*'|"(?:\\.|[^"\\])*")|(?P<op>!=|=|<=|>=|<|>)|(?P<word>[A-Za-z_][\w.]*)|(?P<paren>[()]))"""
)


def _q_tokens(q: str) -> list[tuple[str, str]]:
    tokens, pos = [], 0
    while pos < len(q):
        if q[pos:].strip() == "":
            break
        m = _Q_TOKEN.match(q, pos)
        if not m or m.end() == pos:
            raise drive_error(400, "Invalid Value", "invalid", "q")
        kind = m.lastgroup or ""
        text = m.group(kind)
        if kind == "str":
            text = re.sub(r"\\(.)", r"\1", text[1:-1])
        tokens.append((kind, text))
        pos = m.end()
    return tokens


def _query_filter(q: str):
    """files.list's ``q``: terms joined by ``and``; implemented: ``name = / != 'x'``, ``mimeType = / != 'x'``,
    ``trashed = true|false``, ``'root' in parents`` (and gspread's ``parents in "root"``)."""
    tokens = _q_tokens(q)
    clauses: list[list[tuple[str, str]]] = [[]]
    for kind, text in tokens:
        lowered = text.lower() if kind == "word" else None
        if lowered == "and":
            clauses.append([])
        elif lowered in ("or", "not") or kind == "paren":
            raise unimplemented(f"'{text}' in a files.list query (terms joined by 'and' only)", "q")
        else:
            clauses[-1].append((kind, text))
    tests = [_clause(c) for c in clauses if c or len(clauses) > 1]

    def keep(book: Spreadsheet) -> bool:
        return all(test(book) for test in tests)

    return keep


def _clause(tokens: list[tuple[str, str]]):
    shape = [kind for kind, _ in tokens]
    if shape == ["word", "op", "str"] or shape == ["word", "op", "word"]:
        (_, name), (_, op), (_, value) = tokens
        if name == "name" and op in ("=", "!=") and shape[2] == "str":
            return lambda book: (book.title == value) == (op == "=")
        if name == "mimeType" and op in ("=", "!=") and shape[2] == "str":
            return lambda book: (value == SPREADSHEET_MIME) == (op == "=")
        if name == "trashed" and op == "=" and value.lower() in ("true", "false"):
            return lambda book: value.lower() == "false"  # deleted files are gone, never in the trash
    if shape in (["str", "word", "word"], ["word", "word", "str"]):
        words = [text for kind, text in tokens if kind == "word"]
        folder = next(text for kind, text in tokens if kind == "str")
        if "in" in words and "parents" in words:
            if folder == "root":
                return lambda book: True  # every file is in the service account's My Drive
            raise unimplemented(f"folders ('{folder}' in parents: only 'root')", "q")
    if not tokens or any(kind not in ("word", "op", "str") for kind, _ in tokens):
        raise drive_error(400, "Invalid Value", "invalid", "q")
    term = " ".join(text if kind != "str" else repr(text) for kind, text in tokens)
    raise unimplemented(
        f"the files.list query term {term} (only name =/!=, mimeType =/!=, trashed =, 'root' in parents)", "q"
    )


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
