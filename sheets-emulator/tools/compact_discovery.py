"""Write src/sheets_emulator/discovery/*.json: the parts of Google's discovery documents the emulator
checks requests against (field names and types, enum values, method parameters).

    python tools/compact_discovery.py SHEETS_V4_JSON DRIVE_V3_JSON

The documents are Google's own (https://sheets.googleapis.com/$discovery/rest?version=v4 and
https://www.googleapis.com/discovery/v1/apis/drive/v3/rest; google-api-python-client ships copies in
googleapiclient/discovery_cache/documents/). Only names, types and enum values are kept.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "src" / "sheets_emulator" / "discovery"


def field(spec: dict):
    """A discovery property as: "string" | "int32" | ... | "@Ref" | {"enum": [...]} | {"array": x} | {"map": x}."""
    if "$ref" in spec:
        return "@" + spec["$ref"]
    kind = spec.get("type")
    if kind == "array":
        return {"array": field(spec["items"])}
    if kind == "object" and "additionalProperties" in spec:
        return {"map": field(spec["additionalProperties"])}
    if "enum" in spec:
        return {"enum": spec["enum"]}
    if kind == "integer":
        return spec.get("format", "int32")
    if kind == "number":
        return spec.get("format", "double")
    if kind == "string" and spec.get("format") == "int64":
        return "int64"
    if kind == "string" and spec.get("format") == "google-fieldmask":
        return "fieldmask"
    return kind  # string, boolean, any


def output_only(spec: dict) -> bool:
    text = spec.get("description", "")
    return bool(spec.get("readOnly")) or "This field is read-only" in text or text.startswith("Output only")


def parameter(spec: dict) -> dict:
    out = {"type": field(spec), "location": spec.get("location", "query")}
    if spec.get("repeated"):
        out["repeated"] = True
    return out


def methods(resource: dict, prefix: str, into: dict) -> None:
    for name, method in (resource.get("methods") or {}).items():
        into[f"{prefix}.{name}"] = {
            "httpMethod": method["httpMethod"],
            "path": method.get("flatPath") or method["path"],
            "request": (method.get("request") or {}).get("$ref"),
            "response": (method.get("response") or {}).get("$ref"),
            "parameters": {k: parameter(v) for k, v in sorted((method.get("parameters") or {}).items())},
        }
    for name, sub in (resource.get("resources") or {}).items():
        methods(sub, f"{prefix}.{name}", into)


def compact(doc: dict, *, schemas: list[str] | None = None) -> dict:
    out_schemas = {}
    read_only = {}
    for name, schema in sorted(doc["schemas"].items()):
        if schemas is not None and name not in schemas:
            continue
        props = schema.get("properties") or {}
        out_schemas[name] = {k: field(v) for k, v in sorted(props.items())}
        ro = sorted(k for k, v in props.items() if output_only(v))
        if ro:
            read_only[name] = ro
    found: dict = {}
    methods(doc, doc["name"], found)
    return {
        "source": f"{doc['rootUrl']}$discovery/rest?version={doc['version']} (revision {doc['revision']})",
        "revision": doc["revision"],
        "parameters": {k: parameter(v) for k, v in sorted(doc["parameters"].items())},
        "methods": found,
        "schemas": out_schemas,
        "outputOnly": read_only,
    }


def main(argv: list[str]) -> int:
    sheets_doc, drive_doc = (json.loads(Path(p).read_text()) for p in argv[1:3])
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "sheets_v4.json").write_text(json.dumps(compact(sheets_doc), separators=(",", ":"), sort_keys=True) + "\n")
    drive = compact(drive_doc, schemas=["File", "Permission", "Comment", "FileList", "PermissionList", "CommentList"])
    (OUT / "drive_v3.json").write_text(json.dumps(drive, separators=(",", ":"), sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
