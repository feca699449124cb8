"""The Apps Script add-on's input rules, generated from the Python definitions.

`python -m chalicelib.cli sheet rules` writes `sheets_addon/Rules.gs`: the input tabs and
their columns (chalicelib.sheet.layout: headers, the names a header may be given, kinds,
choices, required), the Settings rows, and the constants chalicelib.sheet.cells reads cells
with (its regular expressions, limits, yes/no words, choice aliases and the date formats as
the regular expressions `datetime.strptime` itself compiles them to). The add-on's
`Cells.gs` reads a cell with these, mirroring cells.py function by function, so the sheet
marks a bad cell with the same rule the sync applies. `tests/test_addon_rules.py` fails when
the checked-in file and this output disagree, and runs one table of sample cell values
(`sheets_addon/test/cell_samples.json`) through cells.py; the Node tests run the same table
through the add-on.
"""

from __future__ import annotations

import _strptime
import json
import re
from pathlib import Path

from chalicelib.sheet import cells, layout

ROOT = Path(__file__).resolve().parents[2]
RULES_FILE = ROOT / "sheets_addon" / "Rules.gs"

# Regular expressions written inline in cells.py's functions (not module constants): kept
# here by hand, checked by the shared sample table.
_INLINE = {
    "dateTimePrefix": r"^\d{4}-\d{2}-\d{2}[T ]",  # day(): "2026-11-20T..." read by its first 10 characters
    "monthLoose": r"^(\d{4})-(\d{1,2})$",  # month(): 2026-1
    "currencyCode": r"^[A-Z]{3}$",  # currency()
    "idsSplit": r"[,;\n]",  # ids()
    "emailsSplit": r"[,;\s]+",  # emails()
    "percentsSplit": r"[,;\s]+",  # percents()
}
_MONTH_FORMATS = ("%b %Y", "%B %Y", "%Y/%m", "%m/%Y")  # month()'s own formats, before it tries day()
MAX_KEY = 256  # key(): longer is refused
MAX_SERIAL = 2958465  # serial_to_date(): 9999-12-31


def _js_regex(pattern: str) -> str:
    """A Python pattern as JavaScript source: named groups are the one syntax that differs here."""
    out = pattern.replace("(?P<", "(?<")
    if "(?P" in out or "\\Z" in out or "\\A" in out:
        raise ValueError(f"no JavaScript equivalent generated for {pattern!r}")
    return out


def _strptime_regex(fmt: str) -> str:
    """The regular expression `datetime.strptime(text, fmt)` matches text with (case-insensitive,
    the whole text): _strptime's own TimeRE, so "%d" accepts "5" and " 5", and " " any spaces."""
    return "^" + _js_regex(_strptime.TimeRE().pattern(fmt)) + "$"


def _names(*names: str) -> list:
    """The normalised names a header cell may carry (inputs._norm)."""
    out = []
    for n in names:
        norm = " ".join(str(n).replace("*", " ").split()).lower()
        if norm not in out:
            out.append(norm)
    return out


def rules() -> dict:
    tabs = []
    for tab in layout.INPUT_TABS:
        tabs.append(
            {
                "title": tab.title,
                "idField": tab.id_field,
                "columns": [
                    {
                        "header": c.header,
                        "field": c.field,
                        "kind": c.kind,
                        "required": c.required,
                        "choices": list(c.choices),
                        "names": _names(c.header, c.field, c.field.replace("_", " ")),
                    }
                    for c in tab.columns
                ],
            }
        )
    return {
        "source": "chalicelib/sheet/layout.py, chalicelib/sheet/cells.py",
        "tabs": tabs,
        "settings": {
            "title": layout.SETTINGS,
            # layout.setting_by_label: spaces collapsed, lower case, the label or the field
            "rows": [
                {
                    "label": r.label,
                    "field": r.field,
                    "kind": r.kind,
                    "names": list(dict.fromkeys((r.label.lower(), r.field.lower()))),
                }
                for r in layout.SETTING_ROWS
            ],
        },
        "limits": {"maxId": cells.MAX_ID, "maxText": cells.MAX_TEXT, "maxKey": MAX_KEY, "maxSerial": MAX_SERIAL},
        "patterns": {
            "spaces": _js_regex(cells._SPACES.pattern),
            "currency": _js_regex(cells._CURRENCY.pattern),
            "currencyFlags": "i" if cells._CURRENCY.flags & re.IGNORECASE else "",
            "email": _js_regex(cells._EMAIL.pattern),
            "id": _js_regex(cells._ID.pattern),
            "month": _js_regex(cells._MONTH.pattern),
            **_INLINE,
        },
        "dateFormats": [{"format": f, "regex": _strptime_regex(f)} for f in cells._DATE_FORMATS],
        "monthFormats": [{"format": f, "regex": _strptime_regex(f)} for f in _MONTH_FORMATS],
        "monthNames": _month_names(),
        "trueWords": sorted(cells._TRUE),
        "falseWords": sorted(cells._FALSE),
        "choiceAliases": dict(sorted(cells._CHOICE_ALIASES.items())),
    }


def _month_names() -> dict:
    locale_time = _strptime.LocaleTime()
    return {"short": [m.lower() for m in locale_time.a_month[1:]], "long": [m.lower() for m in locale_time.f_month[1:]]}


def _dump(value, indent: int = 0) -> str:
    """JSON with one line per column, setting row, pattern or format: readable diffs."""
    pad, inner = " " * indent, " " * (indent + 2)
    if (
        isinstance(value, dict)
        and any(
            isinstance(v, (dict, list))
            and v
            and any(isinstance(x, (dict, list)) for x in (v.values() if isinstance(v, dict) else v))
            for v in value.values()
        )
        or (isinstance(value, dict) and indent == 0)
    ):
        items = [f"{inner}{json.dumps(k)}: {_dump(v, indent + 2)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(value, list) and any(isinstance(x, dict) for x in value):
        return "[\n" + ",\n".join(inner + _dump(x, indent + 2) for x in value) + "\n" + pad + "]"
    return json.dumps(value, ensure_ascii=False)


def render() -> str:
    return (
        "// GENERATED by `python -m chalicelib.cli sheet rules` from chalicelib/sheet/layout.py and\n"
        "// chalicelib/sheet/cells.py. Do not edit: change the Python and regenerate\n"
        "// (tests/test_addon_rules.py fails while the two disagree).\n"
        f"var FINOPS_RULES = {_dump(rules())};\n"
    )


def write(path: Path = RULES_FILE) -> bool:
    """Write the rules file; True when it changed."""
    text = render()
    old = path.read_text(encoding="utf-8") if path.exists() else None
    if old == text:
        return False
    path.write_text(text, encoding="utf-8")
    return True
