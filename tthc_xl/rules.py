"""Confront a table with its layout's rules and locate the cells most likely wrong.

Localization follows Fellegi–Holt (as in R's errorlocate): the smallest sets of a row's cells
whose change lets every rule hold, with every count a whole number ≥ 0. A row has a dozen cells,
so the sets are searched exactly, smallest size first.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

from .layouts import Layout, Rule
from .model import ERROR, GROUP, PERCENT, TOTAL, UNIT, WARNING, Finding, Row, Table
from .numbers import format_number, format_percent
from .units import name_key

PERCENT_TOLERANCE = 0.01
MAX_SUSPECTS = 3  # beyond three cells changed at once, localization says nothing useful


def check_table(table: Table) -> list[Finding]:
    """Every finding of a table: cell values, row rules, total and group sums, percentages, duplicates."""
    findings: list[Finding] = []
    layout = table.layout
    units = table.rows_of(UNIT)
    for row in units:
        findings += _cell_findings(table, row)
        findings += check_row(table, row)
    findings += _duplicate_findings(table, units)
    for group_row, members in _groups(table):
        findings += _sum_findings(table, group_row, members, "tổng nhóm")
    for total in table.rows_of(TOTAL):
        findings += _cell_findings(table, total)
        findings += _sum_findings(table, total, units, "tổng cộng")
    totals = table.rows_of(TOTAL)
    base = totals[0].values() if totals else column_sums(units, layout)
    for row in table.rows_of(PERCENT):
        findings += _percent_findings(table, row, base)
    return findings


def column_sums(rows: list[Row], layout: Layout) -> dict[int, float]:
    return {n: sum(r.values().get(n, 0) for r in rows) for n in layout.count_columns}


def percentages(totals: dict[int, float], layout: Layout) -> dict[int, float]:
    """The percentage row: each column over its base column, in %, 0 when the base is 0."""
    result = {}
    for n, base in layout.percent.items():
        if n in totals and base in totals:
            result[n] = round(100 * totals[n] / totals[base], 2) if totals[base] else 0.0
    return result


def _finding(table: Table, row: Row, cell: str, rule: str, severity: str, message: str, **extra) -> Finding:
    return Finding(table.file, table.sheet, cell, row.unit or row.label, rule, severity, message, **extra)


def _cell_findings(table: Table, row: Row) -> list[Finding]:
    found = []
    for n, cell in row.cells.items():
        if cell.value is None:
            message = f"Ô {cell.ref} ({row.unit}, cột {n}) ghi “{cell.raw}”, không đọc được thành số hồ sơ: hãy sửa thành số nguyên ≥ 0."
        elif cell.value < 0 or cell.value != int(cell.value):
            message = f"Ô {cell.ref} ({row.unit}, cột {n}) ghi {cell.raw}: số hồ sơ phải là số nguyên ≥ 0."
        else:
            continue
        found.append(_finding(table, row, cell.ref, "số nguyên ≥ 0", ERROR, message, suspects=[cell.ref], column=n, source=cell.source))
    return found


def check_row(table: Table, row: Row) -> list[Finding]:
    """The row's broken rules, each with the suspect cells and, when certain, the fix."""
    values = row.values()
    layout = table.layout
    rules = [r for r in layout.rules if all(n in values for n in r.columns)]
    broken = [r for r in rules if not r.holds(values)]
    if not broken:
        return []
    suspects, fix = locate(values, rules, layout)
    refs = {n: row.cells[n].ref for n in values}
    suspect_refs = [refs[n] for n in suspects]
    fix_refs = {refs[n]: v for n, v in fix.items()} if fix else None
    found = []
    for rule in broken:
        total = sum(values[n] for n in rule.right)
        severity, note = ERROR, ""
        if rule.explained_by is not None and rule.explained_by in values:
            gap = abs(values[rule.left] - total)
            if gap and gap == values[rule.explained_by]:
                severity = WARNING
                note = f" Chênh lệch {format_number(gap)} đúng bằng số hồ sơ ở cột ({rule.explained_by}) (trả lại, rút hồ sơ): hãy xác nhận với đơn vị."
        where = refs[rule.left]
        relation = "bằng" if rule.op == "=" else "không lớn hơn"
        message = (
            f"{row.unit}: cột ({rule.left}) phải {relation} {' + '.join(f'({n})' for n in rule.right)}, "
            f"nhưng ô {where} = {format_number(values[rule.left])} còn "
            f"{' + '.join(format_number(values[n]) for n in rule.right)} = {format_number(total)}."
        )
        message += _suspect_sentence(suspect_refs, fix_refs) + note
        found.append(
            _finding(table, row, where, rule.text, severity, message, suspects=suspect_refs, fix=fix_refs, column=rule.left, source=row.cells[rule.left].source)
        )
    return found


def _suspect_sentence(suspects: list[str], fix: dict[str, float] | None) -> str:
    if fix:
        ref, value = next(iter(fix.items()))
        return f" Ô nghi sai: {ref}; giá trị đúng có thể là {format_number(value)}."
    if suspects:
        return f" Ô nghi sai (một trong số): {', '.join(suspects)}."
    return ""


def locate(values: dict[int, float], rules: list[Rule], layout: Layout) -> tuple[list[int], dict[int, int] | None]:
    """Fellegi–Holt: columns in any smallest set whose change satisfies every rule; the fix when unique.

    Returns (suspect columns in layout order, {column: value} or None).
    """
    involved = [n for n in layout.count_columns if n in values and any(n in r.columns for r in rules)]
    index = {n: i for i, n in enumerate(involved)}
    rows_eq, rows_le = [], []
    for rule in rules:
        coefficients = np.zeros(len(involved))
        coefficients[index[rule.left]] += 1
        for n in rule.right:
            coefficients[index[n]] -= 1
        (rows_eq if rule.op == "=" else rows_le).append(coefficients)
    current = np.array([values[n] for n in involved], dtype=float)
    for size in range(1, min(MAX_SUSPECTS, len(involved)) + 1):
        solutions = []
        for free in combinations(range(len(involved)), size):
            solution = _repair(current, free, rows_eq, rows_le)
            if solution is not None:
                solutions.append((free, solution))
        if solutions:
            suspects = sorted({i for free, _ in solutions for i in free})
            fix = None
            if len(solutions) == 1 and size == 1:
                (i,), solution = solutions[0]
                fix = {involved[i]: int(round(solution[i]))}
            return [involved[i] for i in suspects], fix
    return [], None


def _repair(current: np.ndarray, free: tuple[int, ...], rows_eq, rows_le) -> np.ndarray | None:
    """Whole values ≥ 0 for the free cells, nearest to what was written, satisfying every rule; or None."""
    count = len(current)
    lower = current.copy()
    upper = current.copy()
    for i in free:
        lower[i], upper[i] = 0, np.inf
    # Variables: the row's cells, then one deviation per free cell (|x - current|) to minimize.
    k = len(free)
    objective = np.concatenate([np.zeros(count), np.ones(k)])
    constraints = []
    if rows_eq:
        a = np.hstack([np.array(rows_eq), np.zeros((len(rows_eq), k))])
        constraints.append(LinearConstraint(a, 0, 0))
    if rows_le:
        a = np.hstack([np.array(rows_le), np.zeros((len(rows_le), k))])
        constraints.append(LinearConstraint(a, -np.inf, 0))
    deviation = np.zeros((2 * k, count + k))
    bound = np.zeros(2 * k)
    for j, i in enumerate(free):
        deviation[2 * j, i], deviation[2 * j, count + j] = 1, -1  # x - d ≤ current
        deviation[2 * j + 1, i], deviation[2 * j + 1, count + j] = -1, -1  # -x - d ≤ -current
        bound[2 * j], bound[2 * j + 1] = current[i], -current[i]
    constraints.append(LinearConstraint(deviation, -np.inf, bound))
    result = milp(
        objective,
        constraints=constraints,
        integrality=np.concatenate([np.ones(count), np.zeros(k)]),
        bounds=Bounds(np.concatenate([lower, np.zeros(k)]), np.concatenate([upper, np.full(k, np.inf)])),
    )
    if result.status != 0:
        return None
    solution = result.x[:count]
    # A "change" that keeps a cell's value is no change: the set is not minimal then.
    if any(abs(solution[i] - current[i]) < 0.5 for i in free):
        return None
    return solution


def _sum_findings(table: Table, row: Row, members: list[Row], what: str) -> list[Finding]:
    """A total or group row against the sums of its member rows; the total cell is the suspect."""
    if not members:
        return []
    sums = column_sums(members, table.layout)
    found = []
    for n, cell in row.cells.items():
        if cell.value is None or abs(cell.value - sums[n]) < 1e-9:
            continue
        message = (
            f"Dòng {row.label}, cột ({n}): ô {cell.ref} ghi {format_number(cell.value)} nhưng cộng {len(members)} dòng "
            f"được {format_number(sums[n])}. Ô nghi sai: {cell.ref}; giá trị đúng có thể là {format_number(sums[n])}."
        )
        found.append(
            _finding(table, row, cell.ref, what, ERROR, message, suspects=[cell.ref], fix={cell.ref: sums[n]}, column=n, source=cell.source)
        )
    return found


def _percent_findings(table: Table, row: Row, base: dict[int, float]) -> list[Finding]:
    expected = percentages(base, table.layout)
    found = []
    for n, cell in row.cells.items():
        if n not in expected:
            continue
        if cell.value is None:
            continue
        if abs(cell.value - expected[n]) <= PERCENT_TOLERANCE + 1e-9:
            continue
        shown = format_percent(expected[n])
        message = (
            f"Dòng {row.label}, cột ({n}): ô {cell.ref} ghi {format_percent(cell.value)} nhưng cột ({n}) / cột ({table.layout.percent[n]}) "
            f"của dòng tổng cộng là {shown} %. Ô nghi sai: {cell.ref}; giá trị đúng có thể là {shown}."
        )
        found.append(
            _finding(table, row, cell.ref, "tỷ lệ %", ERROR, message, suspects=[cell.ref], fix={cell.ref: expected[n]}, column=n, source=cell.source)
        )
    return found


def _duplicate_findings(table: Table, units: list[Row]) -> list[Finding]:
    seen: dict[str, Row] = {}
    found = []
    for row in units:
        key = name_key(row.unit)
        if key in seen:
            first = seen[key]
            message = f"Đơn vị {row.unit} có hai dòng: {first.label_ref} và {row.label_ref}. Hãy giữ một dòng."
            found.append(_finding(table, row, row.label_ref, "trùng đơn vị", ERROR, message, suspects=[row.label_ref]))
        else:
            seen[key] = row
    return found


def _groups(table: Table) -> list[tuple[Row, list[Row]]]:
    """Each group row with the unit rows below it, up to the next group or total row."""
    groups: list[tuple[Row, list[Row]]] = []
    for row in table.rows:
        if row.kind == GROUP:
            groups.append((row, []))
        elif row.kind == UNIT and groups:
            groups[-1][1].append(row)
        elif row.kind in (TOTAL, PERCENT):
            break
    # A group heading with no figures of its own is a heading, not a subtotal.
    return [(g, m) for g, m in groups if any(c.value for c in g.cells.values())]
