"""One line per performance figure, for the table `make bench` ends with (bench/run_all.py).

A bench calls `figure(name, measured, goal, met)` for each figure it judges, beside its usual output.
The line is tab-separated and starts with MARKER, so bench/run_all.py can collect it from the output:

    MARKER <tab> name <tab> measured <tab> goal <tab> ok | MISSED | -

`met` is True or False when the bench judges the figure against its goal, None for a figure that has
no pass mark (the goal then says what it is, e.g. "a figure").
"""

from __future__ import annotations

MARKER = "@@bench-figure"
OK, MISSED, NO_MARK = "ok", "MISSED", "-"


def _clean(text: object) -> str:
    return " ".join(str(text).split())  # no tab or newline may break the line


def figure(name: str, measured: object, goal: object, met: bool | None) -> bool | None:
    """Print the machine-readable line of one figure; returns `met`."""
    verdict = NO_MARK if met is None else OK if met else MISSED
    print("\t".join([MARKER, _clean(name), _clean(measured), _clean(goal), verdict]), flush=True)
    return met


def parse(line: str) -> tuple[str, str, str, str] | None:
    """(name, measured, goal, verdict) of a marker line, None for any other line."""
    parts = line.rstrip("\r\n").split("\t")
    if len(parts) != 5 or parts[0] != MARKER or parts[4] not in (OK, MISSED, NO_MARK):
        return None
    return parts[1], parts[2], parts[3], parts[4]
