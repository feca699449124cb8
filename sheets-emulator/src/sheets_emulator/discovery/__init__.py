"""Google's discovery documents for Sheets v4 and Drive v3, as ``tools/compact_discovery.py`` keeps
them (field names and types, enum values, method parameters): what the emulator checks requests
against, so that a name Google does not know is refused the way Google refuses it."""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any


@functools.lru_cache(maxsize=None)
def document(name: str) -> dict[str, Any]:
    """``sheets_v4`` or ``drive_v3``: {source, revision, parameters, methods, schemas, outputOnly}."""
    return json.loads(resources.files(__package__).joinpath(f"{name}.json").read_text("utf-8"))


def sheets() -> dict[str, Any]:
    return document("sheets_v4")


def drive() -> dict[str, Any]:
    return document("drive_v3")
