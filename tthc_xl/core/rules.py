"""Confront a table with its layout's rules and locate the cells most likely wrong.

Localization follows Fellegi–Holt (as in R's errorlocate): the smallest sets of a row's cells
whose change lets every rule hold, with every count a whole number ≥ 0. A row has a dozen cells,
so the sets are searched exactly, smallest size first.

Speed: every row is first screened with plain arithmetic (a few microseconds a row; numpy would
cost more to import than it saves on 10 000 rows); only rows with a broken rule or a bad cell go
through the findings and the localization. Localization skips the sets of cells that cannot be the
answer, solves a set in whole-number arithmetic when it has at most one answer and with scipy's milp
(imported on first use, with numpy) otherwise, and caches its result by the row's value pattern.
"""

from __future__ import annotations

import math
from fractions import Fraction
from functools import lru_cache
from itertools import combinations

from tthc_xl.core.layouts import Layout, Rule
from tthc_xl.core.model import ERROR, GROUP, PERCENT, TOTAL, UNIT, WARNING, Finding, Row, Table
from tthc_xl.core.numbers import format_number, format_percent
from tthc_xl.core.units import name_key

PERCENT_TOLERANCE = 0.01
MAX_SUSPECTS = 3  # beyond three cells changed at once, localization says nothing useful
_LOCATE_CACHE: dict[tuple, tuple[tuple[int, ...], tuple[tuple[int, int], ...] | None]] = {}
_LOCATE_CACHE_SIZE = 100_000
_name_key = lru_cache(maxsize=1 << 16)(name_key)  # a unit name is keyed again in every table it is in
CACHES = (_LOCATE_CACHE,)  # emptied by the benchmarks for cold timings (also call _name_key.cache_clear())


def check_table(table: Table, aggregates_only: bool = False) -> list[Finding]:
    """Every finding of a table: cell values, row rules, total and group sums, percentages, duplicates.

    `aggregates_only`: only the printed totals, group sums and percentages against the unit rows
    (a unit file's own aggregates; its unit rows are checked again in the master).
    """
    findings: list[Finding] = []
    layout = table.layout
    units = table.rows_of(UNIT)
    if not aggregates_only:
        for row in _rows_to_check(units, layout):
            findings += _cell_findings(table, row)
            findings += check_row(table, row)
        findings += _duplicate_findings(table, units)
    for group_row, members in _groups(table):
        findings += _sum_findings(table, group_row, members, "tổng nhóm")
    for total in table.rows_of(TOTAL):
        if not aggregates_only:
            findings += _cell_findings(table, total)
        findings += _sum_findings(table, total, units, "tổng cộng")
    totals = table.rows_of(TOTAL)
    base = totals[0].values() if totals else column_sums(units, layout)
    for row in table.rows_of(PERCENT):
        findings += _percent_findings(table, row, base)
    return findings


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


def _rows_to_check(rows: list[Row], layout: Layout) -> list[Row]:
    """The rows that have a cell that is not a whole count ≥ 0 or break a rule, in order."""
    rules = _rule_columns(tuple(layout.rules))
    return [row for row in rows if _row_needs_check(row, rules)]


def _row_needs_check(row: Row, rules: tuple[tuple[Rule, frozenset[int]], ...]) -> bool:
    values = {}
    for n, cell in row.cells.items():
        value = cell.value
        if value is None or value < 0 or value != int(value):
            return True
        values[n] = value
    present = values.keys()
    return any(columns <= present and not rule.holds(values) for rule, columns in rules)


@lru_cache(maxsize=64)
def _rule_columns(rules: tuple[Rule, ...]) -> tuple[tuple[Rule, frozenset[int]], ...]:
    return tuple((rule, frozenset(rule.columns)) for rule in rules)


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
            message = f"Ô {cell.ref} ({row.unit}, cột {n}) ghi {format_number(cell.value, 2).rstrip('0').rstrip(',')}: số hồ sơ phải là số nguyên ≥ 0."
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

    Returns (suspect columns in layout order, {column: value} or None). Cached by value pattern.
    """
    involved = [n for n in layout.count_columns if n in values and any(n in r.columns for r in rules)]
    key = (tuple(rules), tuple(involved), tuple(values[n] for n in involved))
    found = _LOCATE_CACHE.get(key)
    if found is None:
        suspects, fix = _locate(values, rules, involved)
        found = (tuple(suspects), tuple(fix.items()) if fix is not None else None)
        if len(_LOCATE_CACHE) >= _LOCATE_CACHE_SIZE:
            _LOCATE_CACHE.clear()
        _LOCATE_CACHE[key] = found
    suspects, fix = found
    return list(suspects), (dict(fix) if fix is not None else None)


def _locate(values: dict[int, float], rules: list[Rule], involved: list[int]) -> tuple[list[int], dict[int, int] | None]:
    index = {n: i for i, n in enumerate(involved)}
    rows_eq, rows_le = [], []
    for rule in rules:
        coefficients = [0] * len(involved)
        coefficients[index[rule.left]] += 1
        for n in rule.right:
            coefficients[index[n]] -= 1
        (rows_eq if rule.op == "=" else rows_le).append(coefficients)
    current = [values[n] for n in involved]
    # Sets that cannot be the answer, known without solving (the solver would say the same):
    # - a broken rule whose cells are all kept stays broken, so a set must touch every broken rule;
    # - a rule "a = b + c" that holds pins its only changed cell to the value it has, and a set
    #   whose solution keeps a cell unchanged is not a smallest set (_repair rejects it).
    support = [(frozenset(i for i, a in enumerate(c) if a), rule) for c, rule in zip(rows_eq + rows_le, _by_op(rules))]
    broken = [cells for cells, rule in support if not rule.holds(values)]
    pinning = [cells for cells, rule in support if rule.op == "=" and rule.holds(values)]
    for size in range(1, min(MAX_SUSPECTS, len(involved)) + 1):
        solutions = []
        for free in combinations(range(len(involved)), size):
            if not all(cells.intersection(free) for cells in broken):
                continue
            if any(len(cells.intersection(free)) == 1 for cells in pinning):
                continue
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


def _by_op(rules: list[Rule]) -> list[Rule]:
    """The rules in the order _locate stacks their rows: equalities, then inequalities."""
    return [r for r in rules if r.op == "="] + [r for r in rules if r.op != "="]


def _repair(current: list[float], free: tuple[int, ...], rows_eq: list[list[int]], rows_le: list[list[int]]) -> list[float] | None:
    """Whole values ≥ 0 for the free cells, nearest to what was written, satisfying every rule; or None."""
    solution = _repair_exactly(current, free, rows_eq, rows_le)
    if solution is _OUT_OF_REACH:
        solution = _repair_milp(current, free, rows_eq, rows_le)
    return solution


_OUT_OF_REACH = object()


def _repair_exactly(current: list[float], free: tuple[int, ...], rows_eq: list[list[int]], rows_le: list[list[int]]):
    """_repair in whole-number arithmetic, for the cases that have one answer at most: what the
    solver would return, without it (it takes a second to import and a millisecond a call).

    In reach: every value written is a whole number ≥ 0, and either one cell is free or the rules
    that are equalities fix the free cells. Otherwise _OUT_OF_REACH.
    """
    if any(value < 0 or value != int(value) for value in current):
        return _OUT_OF_REACH
    written = [int(value) for value in current]
    free = list(free)
    kept = [i for i in range(len(written)) if i not in free]

    def restrict(coefficients):  # (coefficients of the free cells, right-hand side)
        return [coefficients[i] for i in free], -sum(coefficients[i] * written[i] for i in kept)

    equations = [restrict(c) for c in rows_eq]
    inequalities = [restrict(c) for c in rows_le]
    # Gauss–Jordan over the rationals on the equalities.
    matrix = [[Fraction(a) for a in left] + [Fraction(right)] for left, right in equations]
    k, pivots, row = len(free), [], 0
    for col in range(k):
        pivot = next((r for r in range(row, len(matrix)) if matrix[r][col] != 0), None)
        if pivot is None:
            continue
        matrix[row], matrix[pivot] = matrix[pivot], matrix[row]
        head = matrix[row][col]
        matrix[row] = [v / head for v in matrix[row]]
        for r in range(len(matrix)):
            if r != row and matrix[r][col] != 0:
                factor = matrix[r][col]
                matrix[r] = [a - factor * b for a, b in zip(matrix[r], matrix[row])]
        pivots.append(col)
        row += 1
    if any(all(v == 0 for v in line[:k]) and line[k] != 0 for line in matrix):
        return None  # the equalities contradict each other
    if len(pivots) == k:
        values = [matrix[r][k] for r in range(k)]
        if any(v.denominator != 1 or v < 0 for v in values):
            return None  # no whole number ≥ 0 fits
        values = [int(v) for v in values]
    elif k == 1 and not pivots:
        # One free cell that no equality constrains: the inequalities bound it; nearest to what was written.
        low, high = Fraction(0), None
        for (a,), right in inequalities:
            if a > 0:
                high = Fraction(right, a) if high is None else min(high, Fraction(right, a))
            elif a < 0:
                low = max(low, Fraction(right, a))
        low, high = math.ceil(low), (math.floor(high) if high is not None else None)
        if high is not None and low > high:
            return None
        values = [max(low, written[free[0]]) if high is None else min(max(low, written[free[0]]), high)]
    else:
        return _OUT_OF_REACH  # a family of solutions: the solver picks the nearest
    for left, right in inequalities:
        if sum(a * v for a, v in zip(left, values)) > right:
            return None
    if any(v == written[i] for v, i in zip(values, free)):
        return None  # a "change" that keeps a cell's value is no change
    solution = list(current)
    for v, i in zip(values, free):
        solution[i] = v
    return solution


def _repair_milp(current: list[float], free: tuple[int, ...], rows_eq: list[list[int]], rows_le: list[list[int]]) -> list[float] | None:
    import numpy as np  # with scipy, a second to import: only when needed
    from scipy.optimize import Bounds, LinearConstraint, milp

    current = np.array(current, dtype=float)
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
    return solution.tolist()


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
    if len(units) < 2:
        return []
    seen: dict[str, Row] = {}
    found = []
    for row in units:
        key = _name_key(row.unit)
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
