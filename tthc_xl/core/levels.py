"""A document's level tables (province level, commune level) against its all-units table.

One report often carries Phụ lục 1 (every unit) and then a table per level. When one table's units
are exactly those of the others together, each shared by one level only, the others are its levels:
each unit's row must be the same in both, and the levels' totals must add up to the whole's.
"""

from __future__ import annotations

from tthc_xl.core.model import place
from tthc_xl.core.model import ERROR, TOTAL, UNIT, Finding, Table
from tthc_xl.core.numbers import format_number
from tthc_xl.core.units import name_key

RULE = "các cấp cộng lại bằng toàn bộ"


def split_levels(tables: list[Table]) -> tuple[Table, list[Table]] | None:
    """(the all-units table, its level tables) when `tables` are such a set, else None."""
    if len(tables) < 3:
        return None
    keyed = [(t, {name_key(r.unit) for r in t.rows_of(UNIT)}) for t in tables]
    for whole, units in keyed:
        others = [(t, u) for t, u in keyed if t is not whole]
        if any(t.layout.signature != whole.layout.signature or not u for t, u in others):
            continue
        union: set[str] = set()
        disjoint = True
        for _, u in others:
            disjoint = disjoint and not (union & u)
            union |= u
        if disjoint and union == units:
            return whole, [t for t, _ in others]
    return None


def level_findings(whole: Table, levels: list[Table]) -> list[Finding]:
    """Each unit's row in its level table against the all-units table, and the level totals against the whole's."""
    rows = {name_key(r.unit): r for r in whole.rows_of(UNIT)}
    found = []
    for level in levels:
        for row in level.rows_of(UNIT):
            other = rows[name_key(row.unit)]
            for n, cell in row.cells.items():
                there = other.cells.get(n)
                if cell.value is None or there is None or there.value is None or cell.value == there.value:
                    continue
                found.append(
                    Finding(
                        level.file, level.sheet, cell.ref, row.unit, RULE, ERROR,
                        f"{row.unit}, cột ({n}): {level.sheet} ô {place(level.file, cell.ref, n)} ghi {format_number(cell.value)} nhưng "
                        f"{whole.sheet} ô {place(whole.file, there.ref, n)} ghi {format_number(there.value)}. Hãy sửa cho hai bảng ghi cùng một số.",
                        suspects=[cell.ref], column=n,
                    )
                )
    totals = [t.rows_of(TOTAL) for t in (whole, *levels)]
    if all(totals):
        whole_total, level_totals = totals[0][0], [t[0] for t in totals[1:]]
        for n, cell in whole_total.cells.items():
            parts = [t.cells[n].value for t in level_totals if n in t.cells]
            if cell.value is None or None in parts or len(parts) != len(levels) or abs(cell.value - sum(parts)) < 1e-9:
                continue
            shown = " + ".join(format_number(v) for v in parts)
            found.append(
                Finding(
                    whole.file, whole.sheet, cell.ref, whole_total.label, RULE, ERROR,
                    f"Dòng {whole_total.label}, cột ({n}): {whole.sheet} ô {place(whole.file, cell.ref, n)} ghi {format_number(cell.value)} nhưng dòng "
                    f"tổng của các cấp ({', '.join(t.sheet for t in levels)}) cộng lại {shown} = {format_number(sum(parts))}.",
                    suspects=[cell.ref], column=n,
                )
            )
    return found
