"""Requests checked against Google's discovery documents, before anything is applied.

- :func:`parse_body`: a JSON body read as Google's JSON-to-proto parser reads it: a name the message
  does not have is ``Invalid JSON payload received. Unknown name "x" at 'path': Cannot find field.``,
  a value of the wrong type ``Invalid value at 'path' (TYPE_INT32), "abc"``, an enum value that is
  not one ``Invalid value at 'path' (TYPE_ENUM), "X"``, two members of a oneof ``oneof field ... is
  already set``; JSON null means "not set"; numbers given as strings and enums given by ordinal are
  read as proto3 JSON reads them; snake_case names are accepted beside lowerCamel ones.
- :func:`check_sheets_query`: a query parameter the method does not have is
  ``Unknown name "x": Cannot bind query parameter.``; a documented one the emulator does not
  implement is refused by name.
- :func:`mask_errors`: the paths of an update request's ``fields`` mask that the message does not have.
"""

from __future__ import annotations

import json
import re
from typing import Any, Iterable, Optional

from . import discovery
from .errors import ApiError

# oneof groups of the messages the emulator reads (the discovery document does not mark them).
ONEOFS: dict[str, tuple[str, tuple[str, ...]]] = {
    "ExtendedValue": ("value", ("numberValue", "stringValue", "boolValue", "formulaValue", "errorValue")),
    "UpdateCellsRequest": ("area", ("start", "range")),
    "EmbeddedObjectPosition": ("location", ("sheetId", "overlayPosition", "newSheet")),
    "ColorStyle": ("kind", ("rgbColor", "themeColor")),
    "ConditionalFormatRule": ("rule", ("booleanRule", "gradientRule")),
    "UpdateConditionalFormatRuleRequest": ("instruction", ("rule", "newIndex")),
    "AutoResizeDimensionsRequest": ("dimension_range", ("dimensions", "dataSourceSheetDimensions")),
    "UpdateDimensionPropertiesRequest": ("dimension_range", ("range", "dataSourceSheetRange")),
}

# Query enums of the values methods: the proto types Google names in its answers.
QUERY_ENUM_TYPES = {
    "valueInputOption": "ValueInputOption",
    "valueRenderOption": "ValueRenderOption",
    "responseValueRenderOption": "ValueRenderOption",
    "dateTimeRenderOption": "DateTimeRenderOption",
    "responseDateTimeRenderOption": "DateTimeRenderOption",
    "majorDimension": "Dimension",
    "insertDataOption": "InsertDataOption",
}

_SCALAR_TYPES = {
    "int32": "TYPE_INT32",
    "uint32": "TYPE_UINT32",
    "int64": "TYPE_INT64",
    "double": "TYPE_DOUBLE",
    "float": "TYPE_FLOAT",
    "boolean": "TYPE_BOOL",
    "string": "TYPE_STRING",
    "fieldmask": "type.googleapis.com/google.protobuf.FieldMask",
}


def snake(name: str) -> str:
    """``sheetId`` -> ``sheet_id``: the proto names Google's messages use in paths."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


class _Parser:
    def __init__(self, doc: dict, package: str):
        self.schemas = doc["schemas"]
        self.package = package
        self.errors: list[tuple[str, str]] = []  # (field path, description)

    def fail(self, path: str, description: str) -> None:
        self.errors.append((path, description))

    def message(self, obj: Any, schema: str, path: str) -> Any:
        if not isinstance(obj, dict):
            self.fail(path, f"Invalid value at '{path}' (type.googleapis.com/{self.package}.{schema}), {_dump(obj)}")
            return None
        fields = self.schemas[schema]
        out: dict[str, Any] = {}
        oneof = ONEOFS.get(schema) or (("kind", tuple(fields)) if schema == "Request" else None)
        oneof_set: Optional[str] = None
        for key, value in obj.items():
            name = key if key in fields else camel(key) if camel(key) in fields else None
            if name is None:
                where = f" at '{path}'" if path else ""
                self.fail(path, f'Invalid JSON payload received. Unknown name "{key}"{where}: Cannot find field.')
                continue
            if value is None:
                continue
            if oneof and name in oneof[1]:
                if oneof_set is not None:
                    self.fail(
                        path,
                        f"Invalid value at '{path}' (oneof field '{oneof[0]}' is already set. Cannot set '{name}')",
                    )
                    continue
                oneof_set = name
            out[name] = self.value(value, fields[name], _join(path, snake(name)))
        return out

    def value(self, value: Any, spec: Any, path: str) -> Any:
        if isinstance(spec, str) and spec.startswith("@"):
            return self.message(value, spec[1:], path)
        if isinstance(spec, dict) and "array" in spec:
            if _innermost(spec) == "any":
                return value  # cell values: checked, with Sheets' own messages, where they are written
            if not isinstance(value, list):
                kind = _type_name(spec["array"], self.package)
                self.fail(path, f"Invalid value at '{path}' ({kind}), {_dump(value)}")
                return None
            return [self.value(v, spec["array"], f"{path}[{i}]") for i, v in enumerate(value) if v is not None]
        if isinstance(spec, dict) and "map" in spec:
            if not isinstance(value, dict):
                self.fail(path, f"Invalid value at '{path}' (map), {_dump(value)}")
                return None
            return {k: self.value(v, spec["map"], f"{path}[{k}]") for k, v in value.items() if v is not None}
        if isinstance(spec, dict) and "enum" in spec:
            return self.enum(value, spec["enum"], path)
        return self.scalar(value, spec, path)

    def enum(self, value: Any, names: list[str], path: str) -> Any:
        if isinstance(value, str) and value in names:
            return value
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < len(names):
            return names[value]
        self.fail(path, f"Invalid value at '{path}' (TYPE_ENUM), {_dump(value)}")
        return None

    def scalar(self, value: Any, kind: str, path: str) -> Any:
        bad = f"Invalid value at '{path}' ({_SCALAR_TYPES.get(kind, kind)}), {_dump(value)}"
        if kind == "any":
            return value
        if kind == "boolean":
            if isinstance(value, bool):
                return value
        elif kind in ("int32", "uint32", "int64"):
            number = _integer(value)
            if number is not None:
                return number
        elif kind in ("double", "float"):
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return value
            if isinstance(value, str):
                try:
                    return float(value)
                except ValueError:
                    pass
        elif isinstance(value, str):  # string, fieldmask, datetime...
            return value
        self.fail(path, bad)
        return None


def _integer(value: Any) -> Optional[int]:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        return int(value)
    return None


def _innermost(spec: Any) -> Any:
    while isinstance(spec, dict) and "array" in spec:
        spec = spec["array"]
    return spec


def _type_name(spec: Any, package: str) -> str:
    if isinstance(spec, str) and spec.startswith("@"):
        return f"type.googleapis.com/{package}.{spec[1:]}"
    if isinstance(spec, dict) and "enum" in spec:
        return "TYPE_ENUM"
    return _SCALAR_TYPES.get(spec, str(spec)) if isinstance(spec, str) else "repeated"


def invalid_payload(errors: list[tuple[str, str]]) -> ApiError:
    """One 400 naming every problem, with Google's ``BadRequest`` field violations."""
    message = "\n".join(description for _, description in errors)
    details = [
        {
            "@type": "type.googleapis.com/google.rpc.BadRequest",
            "fieldViolations": [{"field": field, "description": description} for field, description in errors],
        }
    ]
    return ApiError(400, message, details=details)


def parse_body(obj: Any, schema: str, *, root: str = "") -> dict:
    """A Sheets request body as Google reads it (nulls dropped, numbers and enums normalised)."""
    parser = _Parser(discovery.sheets(), "google.apps.sheets.v4")
    out = parser.message(obj if obj is not None else {}, schema, root)
    if parser.errors:
        raise invalid_payload(parser.errors)
    return out


# ---------------------------------------------------------------------------
# query parameters


SYSTEM_IMPLEMENTED = {"fields", "key", "access_token", "oauth_token", "prettyPrint", "quotaUser", "alt", "$.xgafv"}


def check_sheets_query(params: dict[str, list[str]], method_id: str, implemented: Iterable[str]) -> dict[str, Any]:
    """The query of a Sheets method checked against the discovery document; returns the parameters
    read (booleans as bool, enums by name, repeated ones as lists)."""
    doc = discovery.sheets()
    method = doc["methods"][method_id]
    known = {k: v for k, v in method["parameters"].items() if v["location"] == "query"}
    known.update(doc["parameters"])
    implemented = set(implemented) | SYSTEM_IMPLEMENTED
    out: dict[str, Any] = {}
    unknown = []
    for name, values in params.items():
        if name not in known:
            unknown.append(name)
            continue
        spec = known[name]
        if name not in implemented:
            raise ApiError(
                400,
                f"The local Sheets emulator does not implement the query parameter '{name}' of {method_id[7:]}.",
            )
        read = [_query_value(name, v, spec["type"]) for v in values]
        out[name] = read if spec.get("repeated") else read[-1]
    if unknown:
        raise invalid_payload(
            [
                (
                    name,
                    f'Invalid JSON payload received. Unknown name "{name}": Cannot bind query parameter. '
                    f"Field '{name}' could not be found in request message.",
                )
                for name in unknown
            ]
        )
    if out.get("alt", "json") != "json":
        raise ApiError(400, f"The local Sheets emulator answers JSON only, not alt={out['alt']}.")
    if out.get("$.xgafv", "2") != "2":
        raise ApiError(400, "The local Sheets emulator answers in the v2 error format only ($.xgafv=2).")
    return out


def _query_value(name: str, raw: str, kind: Any) -> Any:
    path = snake(name)
    if isinstance(kind, dict) and "enum" in kind:
        names = kind["enum"]
        for known in names:
            if known.upper() == raw.upper():  # Google reads query enums whatever their case
                return known
        if raw.isdigit() and int(raw) < len(names):
            return names[int(raw)]
        enum_type = QUERY_ENUM_TYPES.get(name)
        type_name = f"type.googleapis.com/google.apps.sheets.v4.{enum_type}" if enum_type else "TYPE_ENUM"
        raise ApiError(400, f"Invalid value at '{path}' ({type_name}), \"{raw}\"")
    if kind == "boolean":
        if raw.lower() in ("true", "1"):
            return True
        if raw.lower() in ("false", "0", ""):
            return False
        raise ApiError(400, f"Invalid value at '{path}' (TYPE_BOOL), \"{raw}\"")
    if kind in ("int32", "int64", "uint32"):
        if _integer(raw) is None:
            raise ApiError(400, f"Invalid value at '{path}' ({_SCALAR_TYPES[kind]}), \"{raw}\"")
        return int(raw)
    return raw


# ---------------------------------------------------------------------------
# field masks


def resolve_mask_path(schema: str, path: tuple[str, ...], doc: Optional[dict] = None) -> bool:
    """Does ``path`` (``("userEnteredFormat", "textFormat", "bold")``) name a field of ``schema``?"""
    schemas = (doc or discovery.sheets())["schemas"]
    spec: Any = "@" + schema
    for part in path:
        if part == "*":
            return True
        while isinstance(spec, dict) and ("array" in spec or "map" in spec):
            spec = spec.get("array", spec.get("map"))
        if not (isinstance(spec, str) and spec.startswith("@")):
            return False
        fields = schemas[spec[1:]]
        if part not in fields:
            return False
        spec = fields[part]
    return True


def mask_errors(paths: list[tuple[str, ...]], schema: str, doc: Optional[dict] = None) -> list[str]:
    return [".".join(p) for p in paths if not resolve_mask_path(schema, p, doc)]
