"""Confront a table with its rules: violations as data, each on a row and column of the table.

Every check is a named rule (`Check`: name, label, origin): the layout's own rules (`6 = 7 + 8 + 9`)
and the built-in ones (counts are whole numbers ≥ 0, totals and group rows add up, the percentage
row, one row per unit). Which cells are most likely wrong comes from `locate` (error
localization); the Vietnamese words come from `messages`, which turns violations into findings.
Nothing here changes the table it is given.

Speed: every row is first screened with plain arithmetic (a few microseconds a row; numpy would
cost more to import than it saves on 10 000 rows); only rows with a broken rule or a bad cell go
through localization.
"""

from __future__ import annotations

from operator import itemgetter
from typing import Callable, Mapping

from tthc_xl.core.layouts import Layout, Rule
from tthc_xl.core.locate import Location, locate, out_of_domain
from tthc_xl.core.messages import finding
from tthc_xl.core.model import (
    CARRIED_ORIGINS, ERROR, FILE_TOTAL, GROUP, HISTORY_PENDING, PERCENT, PREVIOUS_PENDING, TOTAL, UNIT, WARNING,
    BadCell, BrokenRule, Check, Disagreement, Finding, Known, Row, SecondRow, Table, Violation, WrongShare, WrongSum,
)
from tthc_xl.core.units import name_key

PERCENT_TOLERANCE = 0.01


BUILT_IN = "tthc-xl"
COUNT = Check("số nguyên ≥ 0", "mỗi ô số liệu là một số hồ sơ: số nguyên ≥ 0", BUILT_IN)
TOTAL_SUM = Check("tổng cộng", "dòng Tổng cộng bằng tổng các dòng đơn vị", BUILT_IN)
GROUP_SUM = Check("tổng nhóm", "dòng cộng nhóm bằng tổng các dòng đơn vị trong nhóm", BUILT_IN)
SHARE = Check("tỷ lệ %", "dòng Tỷ lệ % tính từ dòng Tổng cộng", BUILT_IN)
DUPLICATE = Check("trùng đơn vị", "mỗi đơn vị một dòng", BUILT_IN)
CARRIED = Check("kỳ trước chuyển sang", "kỳ trước chuyển sang bằng số đang giải quyết cuối kỳ trước", BUILT_IN)


def check_table(table: Table, aggregates_only: bool = False, known: Mapping[str, Mapping[int, Known]] | None = None) -> list[Finding]:
    """Every finding of a table: cell values, row rules, total and group sums, percentages, duplicates.

    `aggregates_only`: only the printed totals, group sums and percentages against the unit rows
    (a unit file's own aggregates; its unit rows are checked again in the master).
    `known`: by unit name, cells whose value is known from elsewhere (the previous period's
    pending for "carried over", the unit file's own total row): they take part in localization.
    """
    return [finding(table, v) for v in violations(table, aggregates_only, known)]


def check_unit_table(table: Table) -> tuple[list[Finding], dict[str, dict[int, Known]]]:
    """check_table(table, aggregates_only=True) and known_from_total(table) of a unit's table, its rows screened once."""
    rows = table.rows
    if all(r.kind == UNIT for r in rows):  # no total, group or percentage row: no aggregate to check, no total to learn from
        return [], {}
    failing = _failing(table)
    found = _violations(table, True, None, failing)
    return [finding(table, v) for v in found], _known_from_total(table, failing)


def violations(table: Table, aggregates_only: bool = False, known: Mapping[str, Mapping[int, Known]] | None = None) -> list[Violation]:
    """check_table's findings as data."""
    return _violations(table, aggregates_only, known, _failing(table))


def _failing(table: Table) -> list[int]:
    """The unit rows (their indexes) that fail the screening: a cell that is not a count, or a broken rule."""
    screened = _rules_of(table.layout.rules)
    return [i for i, r in enumerate(table.rows) if r.kind == UNIT and _row_needs_check(r, screened)]


def _violations(table: Table, aggregates_only: bool, known: Mapping[str, Mapping[int, Known]] | None, failing: list[int]) -> list[Violation]:
    """violations, given the unit rows that fail the screening."""
    found: list[Violation] = []
    layout = table.layout
    rows = table.rows
    units = [i for i, r in enumerate(rows) if r.kind == UNIT]
    pins = {**_known_from_total(table, failing), **(known or {})}
    repaired: dict[int, dict[int, float]] = {}  # unit rows a known value repairs: what the sums should add
    for i in failing:
        row = rows[i]
        if aggregates_only and row.unit not in pins:
            continue  # its own findings are not wanted here, and no known value repairs it for the sums
        row_found = row_violations(table, i, pins.get(row.unit))
        if not aggregates_only:
            found += row_found
        fixes = _fixes(row_found)
        if fixes and row.unit in pins:
            repaired[i] = fixes
    if not aggregates_only:
        found += _duplicates(table, units)
    for group, members in _groups(table):
        found += _sums(table, group, members, GROUP_SUM, repaired)
    for i, row in enumerate(rows):
        if row.kind != TOTAL:
            continue
        if not aggregates_only:
            found += _bad_cells(table, i, Location())
        found += _sums(table, i, units, TOTAL_SUM, repaired)
    shares = [i for i, row in enumerate(rows) if row.kind == PERCENT]
    if shares:
        totals = table.rows_of(TOTAL)
        base = totals[0].values() if totals else column_sums([rows[i] for i in units], layout)
        for i in shares:
            found += _shares(table, i, base)
    if known and not aggregates_only:
        found += _disagreements(table, units, known)
    return found


def _disagreements(table: Table, units: list[int], known: Mapping[str, Mapping[int, Known]]) -> list[Violation]:
    """Each unit's carried-over figure against its pending figure at the end of the previous period."""
    found = []
    for i in units:
        row = table.rows[i]
        if row.blank:  # a unit that has not reported yet has no carried-over figure to compare
            continue
        for n, k in known.get(row.unit, {}).items():
            cell = row.cells.get(n)
            if k.origin in CARRIED_ORIGINS and cell is not None and cell.value is not None and cell.value != k.value:
                found.append(Disagreement(CARRIED, i, n, ERROR, ((i, n),), {(i, n): k.value}, known=k))
    return found


def check_row(table: Table, row: Row, known: Mapping[int, Known] | None = None) -> list[Finding]:
    """One unit row's findings: its cells that are not counts, its broken rules, suspects and fix."""
    index = next(i for i, r in enumerate(table.rows) if r is row)
    return [finding(table, v) for v in row_violations(table, index, known)]


def row_violations(table: Table, index: int, known: Mapping[int, Known] | None = None) -> list[Violation]:
    """The row's cells that are not counts and its broken rules, with suspects and fix.

    When the cells that are not counts alone explain every broken rule, each is named once, in
    its own finding, with its value when the rules determine it. Every finding of a row carries
    the row's whole fix.
    """
    row = table.rows[index]
    layout = table.layout
    written = {n: c.value for n, c in row.cells.items() if n in layout.count_columns}
    rules = [r for r in layout.rules if all(n in written for n in r.columns)]
    judged = {n: v for n, v in written.items() if v is not None}  # negatives and fractions are figures too
    broken = [r for r in rules if all(n in judged for n in r.columns) and not r.holds(judged)]
    bad = [n for n, v in written.items() if out_of_domain(v)]
    if not broken and not bad:
        return []
    pins = {n: k.value for n, k in (known or {}).items()}
    location = locate(written, rules, layout, pins)
    if pins and not location.suspects and broken:  # the known values contradict the row's rules: do without
        location = locate(written, rules, layout)
    found: list[Violation] = list(_bad_cells(table, index, location, rules))
    if broken and not set(location.suspects) <= set(bad):  # else the bad cells' own findings say it all
        fix = location.fix
        for rule in broken:
            explained = False
            if rule.explained_by is not None and rule.explained_by in judged:
                gap = abs(judged[rule.left] - sum(judged[n] for n in rule.right))
                explained = bool(gap) and gap == judged[rule.explained_by]
            found.append(
                BrokenRule(
                    layout_check(rule, layout), index, rule.left, WARNING if explained else ERROR,
                    tuple((index, n) for n in location.suspects),
                    {(index, n): v for n, v in fix.items()} if fix else None,
                    {(index, n): r for n, r in location.reasons.items() if fix and n in fix},
                    rule=rule, explained=explained,
                )
            )
    return found


def layout_check(rule: Rule, layout: Layout) -> Check:
    """A layout's rule as a named check: `(6) = (7) + (8) + (9)`, from the layout's file."""
    label = f"cột ({rule.left}) {'bằng' if rule.op == '=' else 'không lớn hơn'} " + " + ".join(f"({n})" for n in rule.right)
    return Check(rule.text, label, layout.source or layout.name)


def _fixes(found: list[Violation]) -> dict[int, float]:
    return {column: value for v in found if v.fix for (_, column), value in v.fix.items() if column is not None}


def _bad_cells(table: Table, index: int, location: Location, rules: list[Rule] = ()) -> list[Violation]:
    row = table.rows[index]
    found = []
    for n, cell in row.cells.items():
        if not out_of_domain(cell.value):
            continue
        fix = {(index, m): v for m, v in location.fix.items()} if location.fix and n in location.fix else None
        reasons = {(index, m): r for m, r in location.reasons.items()} if fix else {}
        restores = tuple(r.text for r in rules if n in r.columns)
        found.append(BadCell(COUNT, index, n, ERROR, ((index, n),), fix, reasons, rules=restores))
    return found


def column_sums(rows: list[Row], layout: Layout) -> dict[int, float]:
    """Each count column added up over the rows (unreadable or absent cells count 0), in row order."""
    columns: dict[int, list] = {n: [] for n in layout.count_columns}
    for row in rows:
        cells = row.cells
        for n, values in columns.items():
            cell = cells.get(n)
            value = cell.value if cell is not None else None
            values.append(0 if value is None else value)
    return {n: sum(values) for n, values in columns.items()}


def percentages(totals: dict[int, float], layout: Layout) -> dict[int, float]:
    """The percentage row: each column over its base column, in %, 0 when the base is 0."""
    result = {}
    for n, base in layout.percent.items():
        if n in totals and base in totals:
            result[n] = round(100 * totals[n] / totals[base], 2) if totals[base] else 0.0
    return result


def known_from_total(table: Table) -> dict[str, dict[int, Known]]:
    """What a table's own total row says the one unit row that breaks a rule should hold.

    Only when the total row is itself a consistent row (every cell a count, every rule holding)
    and every other unit row is consistent: then the total, less the other rows, is a second copy
    of that row.
    """
    return _known_from_total(table, _failing(table))


def _known_from_total(table: Table, failing: list[int]) -> dict[str, dict[int, Known]]:
    """known_from_total, given the unit rows that fail."""
    layout = table.layout
    if len(failing) != 1 or not table.rows[failing[0]].unit:
        return {}
    totals = table.rows_of(TOTAL)
    if len(totals) != 1 or _row_needs_check(totals[0], _rules_of(layout.rules)):
        return {}
    total = totals[0].values()
    row = table.rows[failing[0]]
    others = column_sums([r for r in table.rows_of(UNIT) if r is not row], layout)
    known = {n: Known(total[n] - others[n], FILE_TOTAL) for n in row.cells if n in total and n in others and total[n] >= others[n]}
    return {row.unit: known} if known else {}


def known_from_previous(previous: Table, layout: Layout) -> dict[str, dict[int, Known]]:
    """Each unit's "carried over" as the previous period left it: its pending figure then."""
    keys = {c.key: c.number for c in layout.columns}
    if "carried_over" not in keys or "pending" not in keys:
        return {}
    carried, pending = keys["carried_over"], keys["pending"]
    found = {}
    for row in previous.rows_of(UNIT):
        value = row.values().get(pending)
        if not row.blank and value is not None and not out_of_domain(value):
            found[row.unit] = {carried: Known(value, PREVIOUS_PENDING, pending)}
    return found


def known_from_record(record, layout: Layout) -> dict[str, dict[int, Known]]:
    """known_from_previous from the history's record of the previous period (`files.history.PeriodRecord`:
    `units` as (name, values by meaning key), a unit with no values not reported; `period.text`)."""
    keys = {c.key: c.number for c in layout.columns}
    if "carried_over" not in keys or "pending" not in keys:
        return {}
    carried, pending = keys["carried_over"], keys["pending"]
    found = {}
    for name, values in record.units:
        value = values.get("pending")
        if value is not None and not out_of_domain(value):
            found[name] = {carried: Known(value, HISTORY_PENDING, pending, record.period.text)}
    return found


def rows_to_check(rows: list[tuple[str, Mapping]], layout: Layout, known: Mapping[str, Mapping[int, Known]] | None = None) -> list[int]:
    """Of unit rows given as (unit, cells by column; a cell has `.value`), the indexes of those check_table could find
    anything in: a row that fails the screening, a row whose unit has another row, a row whose carried-over figure
    differs from the one known. Every other row is consistent, alone and with the others: the table of just these
    rows (in their order) has every finding of the table of all of them, and no other."""
    screened = _rules_of(layout.rules)
    keys = [name_key(unit) for unit, _ in rows]
    count: dict[str, int] = {}
    for key in keys:
        count[key] = count.get(key, 0) + 1
    chosen = []
    for i, (unit, cells) in enumerate(rows):
        pinned = known.get(unit) if known else None
        if (
            _cells_need_check(cells, screened)
            or count[keys[i]] > 1
            or pinned and any(
                k.origin in CARRIED_ORIGINS and (cell := cells.get(n)) is not None and cell.value is not None and cell.value != k.value
                for n, k in pinned.items()
            )
        ):
            chosen.append(i)
    return chosen


Screen = tuple[tuple[frozenset[int], int, "Callable[[dict], tuple]", bool], ...]  # each rule: columns, left, right's values, "="


def _row_needs_check(row: Row, rules: Screen) -> bool:
    """A cell that is not a whole count ≥ 0, or a broken rule."""
    return _cells_need_check(row.cells, rules)


def _cells_need_check(cells: Mapping, rules: Screen) -> bool:
    """_row_needs_check of a row's cells (anything with `.value`, by column)."""
    values = {}
    for n, cell in cells.items():
        value = cell.value
        if value is None or value < 0 or value != int(value):
            return True
        values[n] = value
    present = values.keys()
    for columns, left, right, equal in rules:  # Rule.holds, with the right-hand values taken at once
        if columns <= present:
            total = sum(right(values))
            if not (abs(values[left] - total) < 1e-9 if equal else values[left] <= total + 1e-9):
                return True
    return False


_screens: dict[int, tuple[object, Screen]] = {}


def _rules_of(rules) -> Screen:
    """A layout's rules (its `rules`, the very object) as the screening takes them; made once per layout."""
    cached = _screens.get(id(rules))
    if cached is None or cached[0] is not rules:
        if len(_screens) > 256:  # layouts inferred file by file: keep the cache small
            _screens.clear()
        screen = tuple(
            (frozenset(rule.columns), rule.left, _values_of(rule.right), rule.op == "=")
            for rule in rules
        )
        cached = _screens[id(rules)] = (rules, screen)
    return cached[1]


def _values_of(columns: tuple[int, ...]) -> Callable[[dict], tuple]:
    """values -> the tuple of values[n] for n in columns, in order."""
    if len(columns) == 1:
        (only,) = columns
        return lambda values: (values[only],)
    return itemgetter(*columns) if columns else lambda values: ()


def _sums(table: Table, index: int, members: list[int], check: Check, repaired: dict[int, dict[int, float]]) -> list[Violation]:
    """A total or group row against the sums of its member rows; the total cell is the suspect.

    A member row that a known value repairs adds its repaired value: its own finding names the cell.
    A total that adds the rows as written (a master's SUM formulas) is not blamed for them either.
    """
    if not members:
        return []
    rows = table.rows
    written = column_sums([rows[i] for i in members], table.layout)
    sums = dict(written)
    for i in members:
        for n, value in repaired.get(i, {}).items():
            if n in sums and rows[i].cells[n].value is not None:
                sums[n] += value - rows[i].cells[n].value
    found = []
    for n, cell in rows[index].cells.items():
        if cell.value is None or abs(cell.value - sums[n]) < 1e-9 or abs(cell.value - written[n]) < 1e-9:
            continue
        found.append(WrongSum(check, index, n, ERROR, ((index, n),), {(index, n): sums[n]}, members=tuple(members), expected=sums[n]))
    return found


def _shares(table: Table, index: int, base: dict[int, float]) -> list[Violation]:
    expected = percentages(base, table.layout)
    found = []
    for n, cell in table.rows[index].cells.items():
        if n not in expected or cell.value is None:
            continue
        if abs(cell.value - expected[n]) <= PERCENT_TOLERANCE + 1e-9:
            continue
        found.append(WrongShare(SHARE, index, n, ERROR, ((index, n),), {(index, n): expected[n]}, expected=expected[n]))
    return found


def _duplicates(table: Table, units: list[int]) -> list[Violation]:
    if len(units) < 2:
        return []
    seen: dict[str, int] = {}
    found = []
    for i in units:
        key = name_key(table.rows[i].unit)
        if key in seen:
            found.append(SecondRow(DUPLICATE, i, None, ERROR, ((i, None),), first=seen[key]))
        else:
            seen[key] = i
    return found


def _groups(table: Table) -> list[tuple[int, list[int]]]:
    """Each group row with the unit rows below it, up to the next group or total row."""
    groups: list[tuple[int, list[int]]] = []
    for i, row in enumerate(table.rows):
        if row.kind == GROUP:
            groups.append((i, []))
        elif row.kind == UNIT and groups:
            groups[-1][1].append(i)
        elif row.kind in (TOTAL, PERCENT):
            break
    # A group heading with no figures of its own is a heading, not a subtotal.
    return [(g, m) for g, m in groups if any(c.value for c in table.rows[g].cells.values())]
