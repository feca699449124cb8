"""One merge template for `chalice package --merge-template` from every infra/*.json (tables, gateway responses).

    python infra/merge_template.py build/merge-template.json
    chalice package --merge-template build/merge-template.json build/

Chalice merges a single file; each infra/*.json stays the one definition of what it holds.
Dictionaries merge key by key (the same deep merge Chalice applies); two files may not set the same value.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

INFRA = Path(__file__).resolve().parent


def _merge(into: dict, other: dict, where: str = "") -> dict:
    for key, value in other.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value, f"{where}/{key}")
        elif key in into and into[key] != value and key not in ("Description",):
            raise ValueError(f"{where}/{key}: set differently by two infra templates")
        else:
            into.setdefault(key, value)
    return into


def merged_template() -> dict:
    out: dict = {}
    for path in sorted(INFRA.glob("*.json")):
        _merge(out, json.loads(path.read_text()))
    out["Description"] = "AI FinOps: " + ", ".join(p.stem.replace("_", " ") for p in sorted(INFRA.glob("*.json")))
    return out


def main(argv: list[str]) -> int:
    text = json.dumps(merged_template(), indent=2) + "\n"
    if argv:
        Path(argv[0]).parent.mkdir(parents=True, exist_ok=True)
        Path(argv[0]).write_text(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
