"""The Apps Script add-on's rules are the backend's: sheets_addon/Rules.gs is what
`python -m chalicelib.cli sheet rules` generates from layout.py and cells.py, and the shared
sample table (sheets_addon/test/cell_samples.json, also run through the add-on by the Node
tests) is read by cells.py exactly as the table says."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from chalicelib import cli
from chalicelib.sheet import addon_rules, cells, layout

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = json.loads((ROOT / "sheets_addon" / "test" / "cell_samples.json").read_text(encoding="utf-8"))


def test_checked_in_rules_file_matches_the_python_definitions():
    checked_in = addon_rules.RULES_FILE.read_text(encoding="utf-8")
    assert checked_in == addon_rules.render(), (
        "sheets_addon/Rules.gs disagrees with chalicelib/sheet/layout.py or cells.py: "
        "run `python -m chalicelib.cli sheet rules` and commit the result"
    )


def test_rules_name_every_input_column_and_setting():
    rules = addon_rules.rules()
    assert [t["title"] for t in rules["tabs"]] == [t.title for t in layout.INPUT_TABS]
    for tab, generated in zip(layout.INPUT_TABS, rules["tabs"], strict=False):
        assert [(c.header, c.field, c.kind, c.required, list(c.choices)) for c in tab.columns] == [
            (c["header"], c["field"], c["kind"], c["required"], c["choices"]) for c in generated["columns"]
        ]
    assert [r["field"] for r in rules["settings"]["rows"]] == [r.field for r in layout.SETTING_ROWS]
    assert rules["patterns"]["email"] == cells._EMAIL.pattern and rules["patterns"]["id"] == cells._ID.pattern
    assert rules["choiceAliases"] == cells._CHOICE_ALIASES
    assert set(rules["trueWords"]) == cells._TRUE and set(rules["falseWords"]) == cells._FALSE


def test_a_change_to_the_python_definitions_makes_the_check_fail(monkeypatch, tmp_path, capsys):
    out = tmp_path / "Rules.gs"
    assert cli.main(["sheet", "rules", "--output", str(out)]) == 0
    assert cli.main(["sheet", "rules", "--output", str(out), "--check"]) == 0
    monkeypatch.setattr(cells, "MAX_ID", 64)
    assert cli.main(["sheet", "rules", "--output", str(out), "--check"]) == 1
    assert "out of date" in capsys.readouterr().err


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: f"{s['kind']}:{str(s['value'])[:24]!r}")
def test_cells_py_reads_each_sample_as_the_table_says(sample):
    try:
        cells.read(sample["kind"], sample["value"], tuple(sample.get("choices", ())))
        accepted = True
    except cells.CellError:
        accepted = False
    assert accepted is sample["accept"]


def test_the_sample_table_covers_every_kind_both_ways():
    kinds = {c.kind for t in layout.INPUT_TABS for c in t.columns} | {r.kind for r in layout.SETTING_ROWS}
    for kind in kinds:
        verdicts = {s["accept"] for s in SAMPLES if s["kind"] == kind}
        assert verdicts == {True, False} or kind == "text" and True in verdicts, kind


_ATOMS = (
    "1",
    "12",
    "0",
    "1200",
    "3",
    "1.5",
    ".5",
    "5.",
    "1,200",
    "1.200",
    "12,5",
    "1.200,50",
    "%",
    "$",
    "USD",
    "€",
    "(",
    ")",
    "-",
    "+",
    " ",
    "e3",
    "E-2",
    "_",
    "x",
    "yes",
    "no",
    "Nov",
    "november",
    "2026",
    "-11",
    "-20",
    "/",
    "@",
    "a@b.co",
    ",",
    ";",
    "T1",
    "tier",
    "'",
    "inf",
    "nan",
    "\u00a0",
    "T",
    "10:00",
    "30",
    "02",
    "29",
    "feb",
    "ok",
    "✓",
)
_KINDS = (
    "money",
    "number",
    "fraction",
    "integer",
    "date",
    "month",
    "bool",
    "email",
    "emails",
    "id",
    "ids",
    "key",
    "percents",
    "currency",
    "text",
)


@pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js (node) on PATH")
def test_the_addon_and_cells_py_agree_on_thousands_of_generated_values():
    """Beyond the table: values built from the pieces people type, read by both sides."""
    rng = random.Random(20261130)
    values = sorted({"".join(rng.choice(_ATOMS) for _ in range(rng.randint(1, 4))) for _ in range(2500)})
    values += [0, 1, -1, 0.5, 12, 1500, 46346, 2.5, 3000000, 1e-7, 100.0, True, False]
    samples = [{"kind": k, "value": v} for v in values for k in _KINDS]
    samples += [{"kind": "choice", "value": v, "choices": ["T1", "T2", "T3"]} for v in values]
    done = subprocess.run(
        ["node", str(ROOT / "sheets_addon" / "tools" / "read_cells.js")],
        input=json.dumps(samples),
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    verdicts = json.loads(done.stdout)
    differ = []
    for sample, js in zip(samples, verdicts, strict=False):
        try:
            cells.read(sample["kind"], sample["value"], tuple(sample.get("choices", ())))
            accepted = True
        except cells.CellError:
            accepted = False
        if accepted is not js["ok"]:
            differ.append((sample["kind"], sample["value"], accepted, js.get("reason")))
    assert len(verdicts) == len(samples) > 25000
    assert differ == []
