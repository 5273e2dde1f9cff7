"""A sheet's cells as a block (a Grid, from a workbook, a CSV, a Word or PDF table) and the rows
that number its columns (1, 2, 3=(4+5) …), by which every reader finds a table."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from functools import lru_cache

_TOKEN = re.compile(r"^\(?\s*(\d{1,2})\s*\)?\s*(=.*)?$")


@dataclass
class Grid:
    """One sheet's values as a block, with where the block starts (0-based) and its merges."""

    sheet: str
    values: list[list]
    top: int = 0
    left: int = 0
    merges: list[tuple[tuple[int, int], tuple[int, int]]] = field(default_factory=list)
    hidden: bool = False
    formulas: dict[tuple[int, int], str] = field(default_factory=dict)  # (row, col) → a formula saved without its result
    errors: dict[tuple[int, int], str] = field(default_factory=dict)  # (row, col) → an error value ("#REF!")
    trimmed: bool = False  # rows or columns past MAX_SHEET_ROWS × MAX_SHEET_COLS were not read
    hidden_rows: set[int] = field(default_factory=set)  # rows hidden in the sheet (by hand or by an autofilter)
    recalc: bool = False  # stored formula results are not to be trusted (the workbook recalculates on load)
    results_stored: bool | None = None  # under `recalc`: whether stored results are real after all (found when needed)
    convention: str | None = None  # how the sheet writes thousands ("vi", "en"), found when a figure needs it
    _merges_by_row: dict = field(default_factory=dict, init=False, repr=False, compare=False)  # filled by `_merges_across`

    def at(self, row: int, col: int):
        """Value at absolute (row, col), reading a merged cell's value from its top-left cell."""
        for c1, c2, value in self._merges_across(row):
            if c1 <= col <= c2:
                return value
        return self.raw(row, col)

    def _merges_across(self, row: int) -> list[tuple[int, int, object]]:
        """(first column, last column, value) of the merged ranges over `row`, in order.

        Listed on the row's first look and kept: `at` then looks through a row's few ranges, not the sheet's.
        `values` and `merges` are not changed after reading.
        """
        merges = self._merges_by_row.get(row)
        if merges is None:
            merges = [(c1, c2, self.raw(r1, c1)) for (r1, c1), (r2, c2) in self.merges if r1 <= row <= r2]
            self._merges_by_row[row] = merges
        return merges

    def raw(self, row: int, col: int):
        r, c = row - self.top, col - self.left
        if 0 <= r < len(self.values) and 0 <= c < len(self.values[r]):
            value = self.values[r][c]
            return None if value == "" else value
        return None

    def raw_row(self, row: int, cols: Collection[int]) -> list:
        """`raw(row, c)` for each column c of `cols`, finding the row once."""
        r = row - self.top
        line = self.values[r] if 0 <= r < len(self.values) else []
        width, left = len(line), self.left
        values = []
        for col in cols:
            c = col - left
            value = line[c] if 0 <= c < width else None
            values.append(None if value == "" else value)
        return values

    def at_row(self, row: int, cols: Collection[int]) -> list:
        """`at(row, c)` for each column c of `cols`, finding the row and the merged ranges over it once."""
        values = self.raw_row(row, cols)
        merges = self._merges_across(row)
        if merges:
            for i, col in enumerate(cols):
                for c1, c2, value in merges:
                    if c1 <= col <= c2:
                        values[i] = value
                        break
        return values

    @property
    def bottom(self) -> int:
        return self.top + len(self.values)

    @property
    def right(self) -> int:
        return self.left + max((len(r) for r in self.values), default=0)


@dataclass
class NumberRow:
    row: int
    columns: dict[int, int]  # layout column number → sheet column (0-based)
    spelled: dict[int, str]  # layout column number → the text in the number row


def _column_number(value) -> int | None:
    """The column number a number-row cell holds (3, "3", "(3)", "3=(4+5)"), else None."""
    if type(value) is str:
        return _text_column_number(value)
    if type(value) is float:  # the other common case, without the checks below
        return int(value) if value.is_integer() and 1 <= value <= 99 else None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return int(value) if float(value).is_integer() and 1 <= value <= 99 else None
    return _text_column_number(str(value))


@lru_cache(maxsize=4096)  # the header and number rows hold the same texts in every unit's file
def _text_column_number(text: str) -> int | None:
    match = _TOKEN.match(text.strip().replace(" ", ""))
    return int(match[1]) if match else None


def _spelled(value) -> str:
    """A number-row cell as written: "3" (also for 3.0), "3=(4+5)"."""
    if type(value) is str:
        return value.strip()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(int(value))
    return str(value).strip()


def find_number_rows(grid: Grid) -> list[NumberRow]:
    """Rows that number a table's columns consecutively: in each row the longest run, and beside it
    every other run that numbers a table of its own from 1 (or from 2, STT left blank), in column order."""
    found = []
    for r, values in enumerate(grid.values):
        if len(values) - values.count("") - values.count(None) < 4:
            continue  # too few filled cells to number a table: blank rows, most of a title block
        taken: list[tuple[int, int]] = []
        for run in _numbering_runs(tuple(values), tuple(map(type, values))):  # types: True == 1, but is no column number
            number_row = _number_row(grid, r, values, run)
            span = (min(number_row.columns.values()), max(number_row.columns.values()))
            if any(span[0] <= b and a <= span[1] for a, b in taken):
                continue  # overlaps a table already found (a column numbered twice): the same table
            taken.append(span)
            found.append(number_row)
    return found


@lru_cache(maxsize=4096)  # the title, header and number rows are the same in every unit's file
def _numbering_runs(values: tuple, types: tuple) -> tuple[tuple[tuple[int, int], ...], ...]:
    """The runs of consecutive column numbers of a row that may number a table, as ((column, number), …), in
    column order: the longest run of at least 4, and the others of at least 4 that start from 1 or 2."""
    runs: list[list[tuple[int, int]]] = []  # (column, number) of each run, left to right
    chain: list[tuple[int, int]] = []
    for c, value in enumerate(values):
        if value == "" or value is None:
            continue
        n = _column_number(value)
        if n is None:
            chain = []
        elif chain and n == chain[-1][1] + 1:
            chain.append((c, n))
        else:
            chain = [(c, n)]
            runs.append(chain)
    best = max(runs, key=len, default=[])
    if len(best) < 4:
        return ()
    # A second table beside the first (two units' sheets pasted side by side) numbers its own columns.
    beside = [run for run in runs if run is not best and len(run) >= 4 and run[0][1] <= 2]
    return tuple(tuple(run) for run in sorted([best, *beside], key=lambda run: run[0][0]))


def _number_row(grid: Grid, r: int, values: list, run: list[tuple[int, int]]) -> NumberRow:
    columns = {n: grid.left + c for c, n in run}
    spelled = {n: _spelled(values[c]) for c, n in run}
    # An unnumbered first column (STT left blank in the number row).
    first_col, first_n = grid.left + run[0][0], run[0][1]
    for n in range(first_n - 1, 0, -1):
        first_col -= 1
        if first_col < 0:
            break
        columns[n] = first_col
    return NumberRow(grid.top + r, dict(sorted(columns.items())), spelled)
