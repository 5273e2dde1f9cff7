"""Which cells of a row are most likely wrong, and what they should hold (error localization).

Fellegi–Holt, as in R's errorlocate: the smallest sets of a row's cells whose change lets every
rule hold, every count a whole number ≥ 0. The domain binds kept cells too: a cell written
negative, fractional or unreadable belongs to every set, and so does a cell whose value is known
from outside the row (the previous period's pending, the unit file's own total row) and differs.
A row has a dozen cells, so the sets are searched exactly, smallest size first.

Then, as R's deductive `correct_typos`: among the candidate repairs, the one whose repaired values
are each one typing slip from what was written (digits swapped, one digit mistyped, dropped or
doubled, a stray minus) is the fix, when it is the only such candidate.

Speed: this runs on failing rows only. It skips the sets that cannot be the answer, solves a set
in whole-number arithmetic when it has at most one answer and with scipy's milp (imported on first
use, with numpy) otherwise, and caches its result by the row's value pattern.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from itertools import combinations
from typing import Mapping, Sequence

from tthc_xl.core.layouts import Layout, Rule

MAX_EXTRA = 3  # beyond three cells changed at once (besides the ones that must), nothing useful is said

# Typing slips, as the reason a fix gives (the finding's `reason`).
SWAP = "hoán vị hai chữ số"
DIGIT = "gõ nhầm một chữ số"
DROPPED = "thiếu một chữ số"
DOUBLED = "lặp một chữ số"
SIGN = "thừa dấu trừ"


@dataclass(frozen=True)
class Location:
    suspects: tuple[int, ...] = ()  # columns in any smallest set, in layout order
    fix: dict[int, int] | None = None  # {column: value} when it is certain, or the only typing slip
    reasons: dict[int, str] = field(default_factory=dict)  # {column: slip} for fixed cells that are slips
    forced: tuple[int, ...] = ()  # columns that must change whatever the rules say (out of domain, or known otherwise)


def out_of_domain(value) -> bool:
    """Not a count: unreadable (None), negative or fractional."""
    return value is None or value < 0 or value != int(value)


def slip(written, meant: int) -> str | None:
    """The typing slip that turns `meant` into `written`, or None."""
    if written is None or written != int(written) or meant < 0:
        return None
    written = int(written)
    if written == meant:
        return None
    if written < 0:
        return SIGN if -written == meant else None
    a, b = str(meant), str(written)
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diff) == 1:
            return DIGIT
        if len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]:
            return SWAP
    if len(b) < len(a) and any(((a[:i] + a[i + 1 :]).lstrip("0") or "0") == b for i in range(len(a))):
        return DROPPED
    if len(b) == len(a) + 1 and any(a[:i] + a[i] + a[i:] == b for i in range(len(a))):
        return DOUBLED
    return None


def locate(
    written: Mapping[int, float | None], rules: Sequence[Rule], layout: Layout, known: Mapping[int, float] | None = None
) -> Location:
    """The suspects of a row, and the fix when it is certain or the only typing slip.

    `written`: the row's count cells by column (None: unreadable); `rules`: the rules among them;
    `known`: values known from outside the row, which pin their cells.
    """
    involved = tuple(n for n in layout.count_columns if n in written and any(n in r.columns for r in rules))
    pins = tuple((n, known[n]) for n in involved if known and n in known and not out_of_domain(known[n]))
    suspects, fix, reasons, forced = _locate_cached(tuple(rules), involved, tuple(written[n] for n in involved), pins)
    return Location(suspects, dict(fix) if fix is not None else None, dict(reasons), forced)


@lru_cache(maxsize=1 << 16)
def _locate_cached(rules: tuple[Rule, ...], involved: tuple[int, ...], values: tuple, pins: tuple):
    location = _locate(rules, involved, values, dict(pins))
    fix = tuple(location.fix.items()) if location.fix is not None else None
    return location.suspects, fix, tuple(location.reasons.items()), location.forced


def _locate(rules: tuple[Rule, ...], involved: tuple[int, ...], values: tuple, pins: dict[int, float]) -> Location:
    index = {n: i for i, n in enumerate(involved)}
    ordered = [r for r in rules if r.op == "="] + [r for r in rules if r.op != "="]
    rows_eq, rows_le = [], []
    for rule in ordered:
        coefficients = [0] * len(involved)
        coefficients[index[rule.left]] += 1
        for n in rule.right:
            coefficients[index[n]] -= 1
        (rows_eq if rule.op == "=" else rows_le).append(coefficients)
    written = list(values)
    bad = [i for i, v in enumerate(written) if out_of_domain(v)]  # free in every set
    pinned = {index[n]: v for n, v in pins.items()}
    moved = [i for i, v in pinned.items() if i not in bad and v != written[i]]  # known otherwise: set to the known value
    # The values the search starts from: known values where known, 0 in place of what is not a count (always free).
    current = [pinned.get(i, 0 if i in bad else v) for i, v in enumerate(written)]
    candidates = [i for i in range(len(involved)) if i not in bad and i not in pinned]
    # Sets that cannot be the answer, known without solving (the solver would say the same):
    # - a broken rule whose cells are all kept stays broken, so a set must touch every broken rule;
    # - a rule "a = b + c" that holds pins its only changed cell to the value it has, and a set
    #   whose solution keeps a cell unchanged is not a smallest set (_repair rejects it).
    support = [frozenset(i for i, a in enumerate(c) if a) for c in rows_eq + rows_le]
    judged = [(cells, rule) for cells, rule in zip(support, ordered) if not cells.intersection(bad)]
    start = {n: current[index[n]] for n in involved}
    broken = [cells for cells, rule in judged if not rule.holds(start)]
    holding = [cells for cells, rule in judged if rule.op == "=" and rule.holds(start)]
    forced = tuple(sorted(bad + moved))
    if not forced and not broken:
        # Every rule holds and no cell must change: no set of changed cells keeps every rule with
        # each of its cells changed (the nearest values are the ones written), and the search below
        # would find none, with the solver's import and a millisecond a set.
        return Location()
    for extra in range(0 if forced else 1, min(MAX_EXTRA, len(candidates)) + 1):
        solutions = []
        for chosen in combinations(candidates, extra):
            free = tuple(sorted(bad + list(chosen)))
            if not all(cells.intersection(free) for cells in broken):
                continue
            if any(len(cells.intersection(chosen)) == 1 and not cells.intersection(bad) for cells in holding):
                continue
            solved = _repair(current, free, set(bad), rows_eq, rows_le)
            if solved is not None:
                solutions.append((tuple(sorted(set(free) | set(moved))), *solved))
        if solutions:
            return _conclude(involved, written, solutions, set(moved), forced)
    return Location(tuple(involved[i] for i in forced), None, {}, tuple(involved[i] for i in forced))


def _conclude(involved, written, solutions, moved: set[int], forced: tuple[int, ...]) -> Location:
    """Suspects from every smallest set; the fix from the only set when certain, else from the only slip."""
    suspects = tuple(involved[i] for i in sorted({i for changed, *_ in solutions for i in changed}))
    forced_columns = tuple(involved[i] for i in forced)

    def slips(changed, solution) -> dict[int, str | None]:
        """Each changed cell that has a written number (not set to a known value): its slip, or None."""
        return {involved[i]: slip(written[i], round(solution[i])) for i in changed if i not in moved and written[i] is not None}

    if len(solutions) == 1:
        changed, solution, exact = solutions[0]
        # Certain: the rules determine the values, or one well-written cell moves to its nearest allowed value.
        if exact or (len(changed) == 1 and not forced):
            fix = {involved[i]: round(solution[i]) for i in changed}
            reasons = {n: reason for n, reason in slips(changed, solution).items() if reason}
            return Location(suspects, fix, reasons, forced_columns)
    # A candidate whose values the rules leave open might hold a slip too: then no candidate is the only one.
    typed, open_ = [], False
    for changed, solution, exact in solutions:
        found = slips(changed, solution)
        open_ = open_ or not exact
        if exact and found and all(found.values()):
            typed.append(({involved[i]: round(solution[i]) for i in changed}, found))
    if len(typed) == 1 and not open_:
        fix, reasons = typed[0]
        return Location(suspects, fix, reasons, forced_columns)
    return Location(suspects, None, {}, forced_columns)


def _repair(current, free, bad, rows_eq, rows_le):
    """(values, exact) for a set of free cells: whole values ≥ 0, nearest to what was written,
    satisfying every rule, each free cell changed (a bad cell is changed by being made a count);
    `exact` when the rules leave no other answer. None when the set cannot be the answer."""
    solved = _repair_exactly(current, free, bad, rows_eq, rows_le)
    if solved is _OUT_OF_REACH:
        solution = _repair_milp(current, free, bad, rows_eq, rows_le)
        return None if solution is None else (solution, False)
    return solved


_OUT_OF_REACH = object()


def _repair_exactly(current, free, bad, rows_eq, rows_le):
    """_repair in whole-number arithmetic, for the cases that have one answer at most: what the
    solver would return, without it (it takes a second to import and a millisecond a call).

    In reach: one cell is free or the rules that are equalities fix the free cells. Otherwise _OUT_OF_REACH.
    """
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
    exact = True
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
        near = written[free[0]]
        values = [max(low, near) if high is None else min(max(low, near), high)]
        exact = low == high
    else:
        return _OUT_OF_REACH  # a family of solutions: the solver picks the nearest
    for left, right in inequalities:
        if sum(a * v for a, v in zip(left, values)) > right:
            return None
    if any(v == written[i] for v, i in zip(values, free) if i not in bad):
        return None  # a "change" that keeps a cell's value is no change
    solution = list(current)
    for v, i in zip(values, free):
        solution[i] = v
    return solution, exact


def _repair_milp(current, free, bad, rows_eq, rows_le) -> list[float] | None:
    import numpy as np  # with scipy, a second to import: only when needed
    from scipy.optimize import Bounds, LinearConstraint, milp

    current = np.array(current, dtype=float)
    count = len(current)
    lower = current.copy()
    upper = current.copy()
    for i in free:
        lower[i], upper[i] = 0, np.inf
    # Variables: the row's cells, then one deviation per free cell (|x - current|) to minimize;
    # a cell that is not a count has no value to stay near.
    k = len(free)
    objective = np.concatenate([np.zeros(count), [0.0 if i in bad else 1.0 for i in free]])
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
    if any(abs(solution[i] - current[i]) < 0.5 for i in free if i not in bad):
        return None
    return solution.tolist()
