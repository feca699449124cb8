"""Finance's input tabs -> Organisation, with every bad cell named and its last good value kept.

Rules (README, "The Google Sheet"):
* the header row is row 1; a column is found by its header name (case, spaces and the
  field's own name accepted), so columns may be reordered; unknown columns are ignored
  (and never touched); a missing column is reported and added back by the sync;
* a row whose known columns are all blank is skipped silently; a row with a missing or
  unreadable id, or an id already used above, is skipped with a reason;
* a cell that cannot be read is reported as (tab, cell, value, reason) and the last good
  value stays in force: the value stored for the same row id by the previous sync (or
  the field's default for a row never read before; a required field with no last good
  value skips the row);
* a blank cell means "not set" (the field's default), except in a required column.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Iterable, Optional

from chalicelib.domain.configuration_checks import (
    ERROR,
    MAPPINGS,
    SHARED_RULES,
    USE_CASES,
    WARNING,
    Problem,
    Severity,
    reference_problems,
    settings_problems,
)
from chalicelib.domain.facts import UNALLOCATED
from chalicelib.domain.model_prices import ModelPrice
from chalicelib.domain.organisation import (
    Benchmark,
    MappingRule,
    Organisation,
    PoolAllocation,
    Settings,
    SharedCostRule,
    Team,
    UseCase,
)
from chalicelib.sheet import cells, layout
from chalicelib.sheet.layout import Column, InputTab

if TYPE_CHECKING:
    from _typeshed import DataclassInstance


@dataclass(frozen=True)
class CellIssue:
    tab: str
    cell: str  # A1 name ("" when the whole tab is concerned)
    value: str
    reason: str
    # ERROR: a bad cell (its value refused, the last good one kept, or the row skipped);
    # WARNING: the value is used as typed, finance should look at it.
    severity: Severity = ERROR

    @property
    def bad_cell(self) -> bool:
        return self.severity == ERROR

    def line(self) -> str:
        where = f"{self.tab}!{self.cell}" if self.cell else self.tab
        reason = f"warning: {self.reason}" if self.severity == WARNING else self.reason
        return f"{where} ({self.value!r}): {reason}" if self.value else f"{where}: {reason}"


@dataclass
class TabRead:
    """Where things are in one input tab as read (0-based rows and columns)."""

    title: str
    header: list
    columns: dict  # field -> column index
    missing: list  # layout Columns not found in the header row
    next_column: int  # first column after the last header
    next_row: int  # first row after the last row holding anything
    present: bool = True
    rows: dict = field(default_factory=dict)  # row index -> typed values used (last good values included)


@dataclass
class InputRead:
    organisation: Organisation
    issues: list
    tabs: dict  # title -> TabRead
    mapping_keys: set  # every vendor key typed in Mappings (mapped or not)
    settings_rows: dict  # field -> row index of the Settings row
    settings_missing: list  # SettingRows not found in the Settings tab
    rows_read: dict  # title -> rows used


def _norm(header: Any) -> str:
    return " ".join(str(header if header is not None else "").replace("*", " ").split()).lower()


def locate(tab: InputTab, values: list) -> TabRead:
    header = list(values[0]) if values else []
    wanted: dict[str, str] = {}
    for col in tab.columns:
        wanted.setdefault(_norm(col.header), col.field)
        wanted.setdefault(_norm(col.field), col.field)
        wanted.setdefault(_norm(col.field.replace("_", " ")), col.field)
    found: dict = {}
    for i, h in enumerate(header):
        f = wanted.get(_norm(h))
        if f is not None and f not in found:
            found[f] = i
    missing = [c for c in tab.columns if c.field not in found]
    last = max((i for i, h in enumerate(header) if not cells.is_blank(h)), default=-1)
    next_row = len(values)
    while next_row > 1 and not any(not cells.is_blank(v) for v in values[next_row - 1]):
        next_row -= 1
    return TabRead(tab.title, header, found, missing, last + 1, max(next_row, 1))


def _cell(row: list, index: Optional[int]) -> Any:
    if index is None or index >= len(row):
        return None
    return row[index]


class _Rows:
    """Reads one tab's rows into dicts of typed values, recording issues."""

    def __init__(self, tab: InputTab, values: list, issues: list, previous: dict):
        self.tab = tab
        self.values = values
        self.where = locate(tab, values)
        self.issues = issues
        self.previous = previous  # row id -> previous typed row (dataclass)
        self.used = 0
        self.filled = 0  # rows holding anything in a known column

    def issue(self, row: int, col: Optional[int], value: Any, reason: str) -> None:
        cell = cells.a1(row, col) if col is not None else f"row {row + 1}"
        self.issues.append(CellIssue(self.tab.title, cell, cells.shown(value), reason))

    def rows(self) -> Iterable[tuple]:
        """(row index, {field: typed value}, previous row or None) for every usable row."""
        tab, cols = self.tab, self.where.columns
        id_col = tab.column(tab.id_field)
        seen: set = set()
        for r in range(1, len(self.values)):
            raw = self.values[r]
            known = {c.field: _cell(raw, cols.get(c.field)) for c in tab.columns}
            if all(cells.is_blank(v) for v in known.values()):
                continue
            self.filled += 1
            raw_id = known[tab.id_field]
            id_index = cols.get(tab.id_field)
            if cells.is_blank(raw_id):
                self.issue(r, id_index, None, f"row skipped: no {id_col.header}")
                continue
            try:
                row_id = cells.read(id_col.kind, raw_id, id_col.choices)
            except cells.CellError as exc:
                self.issue(r, id_index, raw_id, f"row skipped: {id_col.header} {exc}")
                continue
            if row_id in seen:
                self.issue(r, id_index, raw_id, f"row skipped: {id_col.header} {row_id!r} is already used above")
                continue
            seen.add(row_id)
            before = self.previous.get(row_id)
            typed = {tab.id_field: row_id}
            skip = False
            for col in tab.columns:
                if col.field == tab.id_field:
                    continue
                value = known[col.field]
                index = cols.get(col.field)
                if index is None:  # the column is missing: its last good values stay in force
                    kept = _last_good(before, col.field)
                    if kept is not None:
                        typed[col.field] = kept
                    elif col.required:
                        self.issue(r, id_index, None, f"row skipped: column {col.header!r} is missing")
                        skip = True
                        break
                    continue
                if cells.is_blank(value):
                    if col.required:
                        kept = _last_good(before, col.field)
                        if kept is None:
                            self.issue(
                                r,
                                index if index is not None else id_index,
                                None,
                                f"row skipped: {col.header} is required",
                            )
                            skip = True
                            break
                        self.issue(
                            r,
                            index if index is not None else id_index,
                            None,
                            f"{col.header} is required: kept the last good value {_show(kept)}",
                        )
                        typed[col.field] = kept
                    continue
                try:
                    typed[col.field] = cells.read(col.kind, value, col.choices)
                except cells.CellError as exc:
                    kept = _last_good(before, col.field)
                    if kept is None and col.required:
                        self.issue(r, index, value, f"row skipped: {col.header}: {exc}")
                        skip = True
                        break
                    self.issue(
                        r,
                        index,
                        value,
                        f"{exc}; "
                        + (
                            f"kept the last good value {_show(kept)}"
                            if before is not None
                            else "left blank (no earlier value)"
                        ),
                    )
                    if before is not None and kept is not None:
                        typed[col.field] = kept
            if skip:
                continue
            self.used += 1
            self.where.rows[r] = typed
            yield r, typed, before


def _last_good(before: Any, field_name: str) -> Any:
    if before is None:
        return None
    if isinstance(before, dict):
        return before.get(field_name)
    return getattr(before, field_name, None)


def _show(value: Any) -> str:
    if value is None or value == "" or value == ():
        return "(blank)"
    if isinstance(value, tuple):
        return ", ".join(str(v) for v in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _build(cls, typed: dict, rename: Optional[dict] = None):
    names = {f.name for f in dataclasses.fields(cls)}
    kwargs = {}
    for k, v in typed.items():
        k = (rename or {}).get(k, k)
        if k in names:
            kwargs[k] = v
    return cls(**kwargs)


def read_inputs(ranges: dict, previous: Organisation) -> InputRead:
    """`ranges`: tab title -> rows of values (missing tabs absent); `previous`: the stored Organisation."""
    issues: list = []
    tabs: dict = {}
    used: dict = {}

    def rows_of(tab: InputTab, prev_rows: dict):
        values = ranges.get(tab.title)
        reader = _Rows(tab, values or [], issues, prev_rows)
        tabs[tab.title] = reader.where
        if values is None:
            reader.where.present = False
            issues.append(CellIssue(tab.title, "", "", "tab missing: the last good rows stay in force"))
            return None, reader
        for col in reader.where.missing:
            if values:
                issues.append(
                    CellIssue(
                        tab.title,
                        cells.a1(0, reader.where.next_column),
                        "",
                        f"column {col.header!r} was missing: added back with the last good values",
                    )
                )
        return reader, reader

    settings, settings_rows, settings_missing = _read_settings(
        ranges.get(layout.SETTINGS), previous.settings, issues, tabs
    )

    teams = _collect(
        rows_of,
        layout.TEAMS_TAB,
        {t.team_id: t for t in previous.teams},
        lambda typed, before: _build(Team, typed),
        previous.teams,
        used,
    )
    use_cases = _collect(
        rows_of,
        layout.USE_CASES_TAB,
        {u.use_case_id: u for u in previous.use_cases},
        lambda typed, before: _build(UseCase, typed),
        previous.use_cases,
        used,
    )
    shared = _collect(
        rows_of,
        layout.SHARED_COSTS_TAB,
        {r.key: r for r in previous.shared_rules},
        _shared_rule_builder(issues),
        previous.shared_rules,
        used,
    )
    mapping_keys: set = set()
    previous_maps = {m.vendor_key: m for m in previous.mappings}
    mappings = _collect(
        rows_of, layout.MAPPINGS_TAB, previous_maps, _mapping_builder(mapping_keys), previous.mappings, used
    )
    allocations = _collect(
        rows_of,
        layout.POOL_ALLOCATIONS_TAB,
        {a.allocation_id: a for a in previous.pool_allocations},
        lambda typed, before: _build(PoolAllocation, typed),
        previous.pool_allocations,
        used,
    )
    expected_prev = {m: {"month": m, "amount": a} for m, a in previous.expected_totals.items()}
    expected_rows = _collect(
        rows_of,
        layout.EXPECTED_TOTALS_TAB,
        expected_prev,
        lambda typed, before: (typed["month"], typed["amount"]),
        tuple((m, a) for m, a in previous.expected_totals.items()),
        used,
    )
    benchmarks = _collect(
        rows_of,
        layout.BENCHMARKS_TAB,
        {b.name: b for b in previous.benchmarks},
        lambda typed, before: _build(Benchmark, typed),
        previous.benchmarks,
        used,
    )
    model_prices = _collect(
        rows_of,
        layout.MODEL_PRICES_TAB,
        {p.model: p for p in previous.model_prices},
        lambda typed, before: _build(ModelPrice, typed),
        previous.model_prices,
        used,
    )

    org = Organisation(
        settings=settings,
        teams=tuple(teams),
        use_cases=tuple(use_cases),
        shared_rules=tuple(shared),
        mappings=tuple(m for m in mappings if m is not None),
        pool_allocations=tuple(allocations),
        expected_totals=dict(expected_rows),
        benchmarks=tuple(benchmarks),
        model_prices=tuple(model_prices),
    )
    issues += _reference_issues(org, tabs)
    return InputRead(org, issues, tabs, mapping_keys, settings_rows, settings_missing, used)


def _collect(rows_of, tab: InputTab, prev_rows: dict, build, fallback: Iterable, used: dict) -> list:
    reader, _ = rows_of(tab, prev_rows)
    if reader is None:
        return list(fallback)  # the tab is gone: keep what was in force
    out = []
    for _, typed, before in reader.rows():
        built = build(typed, before)
        out.append(built)
    used[tab.title] = reader.used
    fallback = list(fallback)
    if reader.filled and not reader.used and fallback:
        # Rows are there but not one is usable (the id column deleted or emptied): an accident, not
        # an intent to remove everything. The last good rows stay until one row reads again.
        id_header = tab.column(tab.id_field).header
        reader.issues.append(
            CellIssue(
                tab.title,
                "",
                "",
                f"no row has a usable {id_header}: the last good {len(fallback)} row(s) stay in force",
            )
        )
        return fallback
    return out


def _shared_rule_builder(issues: list):
    def build(typed: dict, before) -> Optional[SharedCostRule]:
        rule = SharedCostRule(typed["key"], typed["rule"], typed.get("targets", ()), typed.get("percents", ()))
        if rule.rule == "percent":
            problem = None
            if len(rule.percents) != len(rule.targets):
                problem = f"{len(rule.percents)} percentage(s) for {len(rule.targets)} target(s): give one per target"
            elif sum(rule.percents, Decimal(0)) != 100:
                problem = f"percentages add up to {sum(rule.percents, Decimal(0))}, not 100"
            if problem:
                kept = before if isinstance(before, SharedCostRule) else None
                issues.append(
                    CellIssue(
                        layout.SHARED_COSTS,
                        "",
                        ", ".join(str(p) for p in rule.percents),
                        f"{rule.key}: {problem}; "
                        + ("kept the last good rule" if kept else "split evenly until fixed"),
                    )
                )
                return kept or SharedCostRule(rule.key, "even", rule.targets)
        elif rule.percents:
            rule = SharedCostRule(rule.key, rule.rule, rule.targets, ())
        return rule

    return build


def _mapping_builder(keys: set):
    def build(typed: dict, before) -> Optional[MappingRule]:
        keys.add(typed["vendor_key"])
        team, use_case = typed.get("team", ""), typed.get("use_case", "")
        if not team and not use_case:
            return None  # listed for finance to assign: still unallocated
        return MappingRule(typed["vendor_key"], team or UNALLOCATED, use_case or UNALLOCATED)

    return build


def _read_settings(values: Optional[list], previous: Settings, issues: list, tabs: dict) -> tuple:
    tab = layout.SETTINGS_TAB
    where = locate(tab, values or [])
    tabs[tab.title] = where
    rows: dict = {}
    if values is None:
        where.present = False
        issues.append(CellIssue(tab.title, "", "", "tab missing: the last good settings stay in force"))
        return previous, rows, []
    label_col = where.columns.get("label", 0)
    value_col = where.columns.get("value", 1)
    for col in where.missing:
        if values:
            issues.append(
                CellIssue(
                    tab.title, cells.a1(0, where.next_column), "", f"column {col.header!r} was missing: added back"
                )
            )
    changes: dict = {}
    for r in range(1, len(values)):
        raw = values[r]
        label = _cell(raw, label_col)
        if cells.is_blank(label):
            continue
        spec = layout.setting_by_label(label)
        if spec is None:
            issues.append(CellIssue(tab.title, cells.a1(r, label_col), cells.shown(label), "unknown setting: ignored"))
            continue
        if spec.field in rows:
            issues.append(
                CellIssue(tab.title, cells.a1(r, label_col), cells.shown(label), "setting already given above: ignored")
            )
            continue
        rows[spec.field] = r
        value = _cell(raw, value_col)
        if cells.is_blank(value):
            if spec.kind != "emails":
                continue  # blank: the last good value stays
            changes[spec.field] = ()
            continue
        try:
            changes[spec.field] = cells.read(spec.kind, value)
        except cells.CellError as exc:
            issues.append(
                CellIssue(
                    tab.title,
                    cells.a1(r, value_col),
                    cells.shown(value),
                    f"{spec.label}: {exc}; kept the last good value {_show(getattr(previous, spec.field))}",
                )
            )
    _refuse_broken_settings(previous, changes, rows, values, value_col, issues)
    settings = dataclasses.replace(previous, **changes)
    missing = [s for s in layout.SETTING_ROWS if s.field not in rows]
    return settings, rows, missing


def _refuse_broken_settings(
    previous: Settings, changes: dict, rows: dict, values: list, value_col: int, issues: list
) -> None:
    """Drop from `changes` every value read this sync that breaks a Settings rule (the domain's
    settings_problems), each named on its own cell with the last good value kept. A rule ties two
    settings (Red overrun above Yellow overrun): the one finance changed is refused, whichever it
    is (both when both changed). Checked again after each refusal, so what stays in force breaks no rule the last good
    settings did not."""
    while True:
        problems = settings_problems(dataclasses.replace(previous, **changes))
        changed = {k for k, v in changes.items() if v != getattr(previous, k)}  # retyping a value changes nothing
        refusals = [(p, name) for p in problems for name in (p.field, *p.related) if name in changed]
        if not refusals:
            break
        for p, name in refusals:  # a setting breaking two rules is named with each
            issues.append(_settings_issue(p, name, previous, rows, values, value_col))
        for _, name in refusals:
            changes.pop(name, None)
    for p in problems:  # the last good settings break it already: nothing read this sync to refuse
        issues.append(_settings_issue(p, p.field, previous, rows, values, value_col))


def _settings_issue(p: Problem, name: str, previous: Settings, rows: dict, values: list, value_col: int) -> CellIssue:
    r = rows.get(name)
    return CellIssue(
        layout.SETTINGS,
        cells.a1(r, value_col) if r is not None else "",
        cells.shown(_cell(values[r], value_col)) if r is not None else "",
        f"{p.message}; kept the last good value {_show(getattr(previous, name))}",
        p.severity,
    )


_TAB_OF = {USE_CASES: layout.USE_CASES_TAB, SHARED_RULES: layout.SHARED_COSTS_TAB, MAPPINGS: layout.MAPPINGS_TAB}


def _reference_issues(org: Organisation, tabs: dict) -> list:
    """The domain's reference problems (a use case's unknown team, a shared split or a mapping onto
    an unknown use case), each on the cell holding the reference when the row was read this sync."""
    out = []
    for p in reference_problems(org):
        tab = _TAB_OF[p.subject]
        out.append(
            CellIssue(tab.title, _cell_of(tabs.get(tab.title), tab, p.record, p.field), p.value, p.message, p.severity)
        )
    return out


def _cell_of(where: Optional[TabRead], tab: InputTab, record: str, field_name: str) -> str:
    """The A1 name of `record`'s `field_name` cell as read ("row N" when the column is gone, "" when
    the row was not read this sync: the tab is missing and its last good rows stand)."""
    if where is None:
        return ""
    row = next((r for r, typed in where.rows.items() if typed.get(tab.id_field) == record), None)
    if row is None:
        return ""
    col = where.columns.get(field_name)
    return cells.a1(row, col) if col is not None else f"row {row + 1}"


def settings_rows_for_init(settings: Settings) -> list:
    """[label, value, meaning] rows pre-filled with `settings` (the seeds' defaults on init)."""
    return [[s.label, cells.to_sheet(getattr(settings, s.field)), s.note] for s in layout.SETTING_ROWS]


__all__ = ["CellIssue", "InputRead", "TabRead", "read_inputs", "locate", "settings_rows_for_init", "Column"]


def org_rows(tab: InputTab, org: Organisation) -> list:
    """The stored configuration as rows of `tab` (init fills a tab it creates with them)."""
    if tab.title == layout.SETTINGS:
        return []
    if tab.title == layout.EXPECTED_TOTALS:
        records = [{"month": m, "amount": a} for m, a in sorted(org.expected_totals.items())]
    else:
        sources: dict[str, tuple[DataclassInstance, ...]] = {
            layout.TEAMS: org.teams,
            layout.USE_CASES: org.use_cases,
            layout.SHARED_COSTS: org.shared_rules,
            layout.MAPPINGS: org.mappings,
            layout.POOL_ALLOCATIONS: org.pool_allocations,
            layout.BENCHMARKS: org.benchmarks,
            layout.MODEL_PRICES: org.model_prices,
        }
        records = [dataclasses.asdict(r) for r in sources[tab.title]]
    rows = []
    for rec in records:
        row = []
        for col in tab.columns:
            v = rec.get(col.field)
            if tab.title == layout.MAPPINGS and v == UNALLOCATED:
                v = ""
            if col.kind in ("bool",) and v is False and col.field == "cfo_approved":
                v = None  # blank reads as no
            row.append(None if v is None or v == "" or v == () else cells.to_sheet(v) if col.kind != "fraction" else v)
        rows.append(row)
    return rows
