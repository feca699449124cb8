"""One merge template for `chalice package --merge-template` from every infra/*.json, for a stage.

    python infra/merge_template.py --stage prod build/prod/merge-template.json
    chalice package --stage prod --merge-template build/prod/merge-template.json build/prod/

(`make package` runs both, lints the result and checks the zip: infra/package.py.)

    eval "$(python infra/merge_template.py --stage prod --exports)"   # the operator's CLI finds the stage

Chalice merges a single file; each infra/*.json stays the one definition of what it holds.
Dictionaries merge key by key (the same deep merge Chalice applies); two files may not set the same value.

Names per stage: a resource whose Metadata has `NameFrom` (and optionally `NameSuffix`) is named, for
`--stage S`, by that environment variable's value in .chalice/config.json's stage S (plus the suffix):
the Lambdas read the same variable, so a table, queue or secret and the code that uses it cannot
disagree. Without a stage the names are the ones written in the files (the local stack's and tests').
"""

from __future__ import annotations

import argparse
import copy
import json
import shlex
import sys
from pathlib import Path
from typing import Optional

INFRA = Path(__file__).resolve().parent
CHALICE_CONFIG = INFRA.parent / ".chalice" / "config.json"
NAME_PROPERTY = {
    "AWS::DynamoDB::Table": "TableName",
    "AWS::SQS::Queue": "QueueName",
    "AWS::SecretsManager::Secret": "Name",
}


def _merge(into: dict, other: dict, where: str = "") -> dict:
    for key, value in other.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value, f"{where}/{key}")
        elif key in into and into[key] != value and key not in ("Description",):
            raise ValueError(f"{where}/{key}: set differently by two infra templates")
        else:
            into.setdefault(key, copy.deepcopy(value))
    return into


def stage_environment(stage: str) -> dict:
    """The environment .chalice/config.json gives every Lambda of `stage` (top level, then the stage)."""
    config = json.loads(CHALICE_CONFIG.read_text())
    if stage not in config.get("stages", {}):
        raise ValueError(f"no stage {stage!r} in {CHALICE_CONFIG}")
    return {**config.get("environment_variables", {}), **config["stages"][stage].get("environment_variables", {})}


def name_resources(template: dict, environment: dict) -> dict:
    """Each resource with Metadata.NameFrom named from `environment` (in place)."""
    for logical_id, resource in template["Resources"].items():
        variable = resource.get("Metadata", {}).get("NameFrom")
        if variable is None:
            continue
        if variable not in environment:
            raise ValueError(f"{logical_id}: its name comes from {variable}, which the stage does not set")
        resource["Properties"][NAME_PROPERTY[resource["Type"]]] = environment[variable] + resource["Metadata"].get(
            "NameSuffix", ""
        )
    return template


def merged_template(stage: Optional[str] = None) -> dict:
    out: dict = {}
    for path in sorted(INFRA.glob("*.json")):
        _merge(out, json.loads(path.read_text()))
    out["Description"] = "AI FinOps: " + ", ".join(p.stem.replace("_", " ") for p in sorted(INFRA.glob("*.json")))
    if stage is not None:
        name_resources(out, stage_environment(stage))
        out["Description"] += f" (stage {stage})"
    return out


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", help="name the resources for this .chalice/config.json stage")
    parser.add_argument(
        "--exports",
        action="store_true",
        help="print the stage's environment as shell exports (for the operator's CLI) instead",
    )
    parser.add_argument("output", nargs="?", help="file to write (default: stdout)")
    args = parser.parse_args(argv)
    if args.exports:
        if not args.stage:
            parser.error("--exports needs --stage")
        sys.stdout.write("".join(f"export {k}={shlex.quote(v)}\n" for k, v in stage_environment(args.stage).items()))
        return 0
    text = json.dumps(merged_template(args.stage), indent=2) + "\n"
    if args.output:
        Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        Path(args.output).write_text(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
