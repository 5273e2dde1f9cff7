"""How well the checker names the wrong cell and its fix, on rows with planted typing slips.

    python bench/localization.py [--rows 2000] [--seed 1]

For each shipped layout (templates/forms/*.toml), rows that satisfy every rule are generated
from the layout's rules (tests/rowgen.py); into each, one or two typing slips of one kind are
planted (digits swapped, one digit mistyped, a digit dropped or doubled, a stray minus), in the
cells an equality ties to others (a cell only bound by `14 <= 5`, or by nothing, can hold any
figure). Each row is then checked alone (`rules.check_table` on a one-row table) and the figures
are printed per layout, kind and number of slips:

  found        planted rows with a finding
  false        clean rows (the same rows before planting) with a finding
  suspects     planted rows whose planted cells are all among the suspects
  unique       one-slip rows where exactly one cell, changed alone, lets every rule hold
               (found by trying each cell, not by the checker), and how many got that exact fix
  by slip      one-slip rows with several such cells of which exactly one's repaired value is a
               slip of what was written (`rowgen.slips_of`), and how many got that exact fix
  fixed        rows given a fix; wrong: a fix that is not the values planted over, split into
               fixes of fewer cells than were planted (the two slips cancel into what one changed
               cell also explains: the fewest changes, by definition, cannot tell) and the others

Targets: found 100 %, false 0, unique exact ≥ 99 %, by slip exact ≥ 90 %, wrong (others) 0.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import rowgen  # noqa: E402

from tthc_xl.core.a1 import cell_ref  # noqa: E402
from tthc_xl.core.layouts import Layout, load_layouts  # noqa: E402
from tthc_xl.core.model import UNIT, Cell, Row, Table  # noqa: E402
from tthc_xl.core.rules import check_table  # noqa: E402

SHEET_ROW = 8  # 0-based sheet row of the checked row


def table_of(layout: Layout, values: dict[int, int]) -> Table:
    cells = {n: Cell(cell_ref(SHEET_ROW, n - 1), v, v) for n, v in values.items()}
    row = Row(UNIT, "Đơn vị thử", cells, "Đơn vị thử", cell_ref(SHEET_ROW, 1))
    return Table(file="sinh-ngau-nhien.xlsx", sheet="Phụ lục I", layout=layout, rows=[row], first_row=SHEET_ROW + 1)


def ref(n: int) -> str:
    return cell_ref(SHEET_ROW, n - 1)


def single_cell_repairs(layout: Layout, written: dict[int, int]) -> dict[int, int | None]:
    """Each cell that, changed alone to a whole number ≥ 0, lets every rule hold: its value (None: several)."""
    repairs: dict[int, int | None] = {}
    for n in layout.count_columns:
        if any(v < 0 for m, v in written.items() if m != n):
            continue  # another cell is not a count: changing n alone cannot be enough
        equal = [r for r in layout.rules if r.op == "=" and n in r.columns]
        if equal:
            rule = equal[0]
            others = sum(written[m] for m in rule.right if m != n)
            value = others if rule.left == n else written[rule.left] - others
            candidates = [value]
        else:  # bound by inequalities only: any value within them, when the other rules hold
            bound = [r for r in layout.rules if n in r.columns]
            if bound and all(r.holds(written) for r in layout.rules if n not in r.columns):
                if any(r.holds({**written, n: 0}) for r in bound) and not all(r.holds(written) for r in bound):
                    repairs[n] = None
            candidates = []
        for value in candidates:
            trial = {**written, n: value}
            if value >= 0 and value != written[n] and all(r.holds(trial) for r in layout.rules):
                repairs[n] = value
    return repairs


def measure(layout: Layout, kind: str, slips: int, rows: int, rng: random.Random) -> dict:
    draw = rng.randint
    tied = [n for n in layout.count_columns if any(r.op == "=" and n in r.columns for r in layout.rules)]
    figures = dict.fromkeys(["rows", "found", "false", "suspects", "unique", "unique_exact", "slip", "slip_exact", "fixed", "fewer", "wrong"], 0)
    while figures["rows"] < rows:
        truth = rowgen.consistent_row(layout, draw)
        if truth is None:
            continue
        cells = rng.sample(tied, slips)
        written = dict(truth)
        for n in cells:
            typed = rowgen.plant(truth[n], kind, draw)
            if typed is None:
                break
            written[n] = typed
        else:
            if all(r.holds(written) for r in layout.rules) and all(v >= 0 for v in written.values()):
                continue  # the slips cancel out: nothing to find
            figures["rows"] += 1
            figures["false"] += bool(check_table(table_of(layout, truth)))
            findings = check_table(table_of(layout, written))
            figures["found"] += bool(findings)
            suspects = {s for f in findings for s in f.suspects}
            figures["suspects"] += all(ref(n) in suspects for n in cells)
            fix = {k: v for f in findings if f.fix for k, v in f.fix.items()}
            expected = {ref(n): truth[n] for n in cells}
            exact = fix == expected
            figures["fixed"] += bool(fix)
            if fix and not exact:
                figures["fewer" if len(fix) < slips else "wrong"] += 1
            if slips == 1:
                repairs = single_cell_repairs(layout, written)
                if len(repairs) == 1:
                    figures["unique"] += 1
                    figures["unique_exact"] += exact
                else:
                    typed = [m for m, v in repairs.items() if v is not None and written[m] in rowgen.slips_of(v)]
                    if len(typed) == 1 and None not in repairs.values():
                        figures["slip"] += 1
                        figures["slip_exact"] += exact and typed == cells
    return figures


def percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f} %" if whole else "–"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2000, help="planted rows per layout, kind and number of slips")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    layouts = load_layouts()
    print(f"{args.rows} planted rows per line, seed {args.seed}")
    print(f"{'layout':7} {'kind':8} {'slips':>5} {'found':>8} {'false':>5} {'suspects':>9} {'unique':>7} {'exact':>8} {'by slip':>7} {'exact':>8} {'fixed':>6} {'wrong':>11}")
    started = time.perf_counter()
    for name in sorted(layouts):
        for slips in (1, 2):
            for kind in rowgen.KINDS:
                f = measure(layouts[name], kind, slips, args.rows, rng)
                n = f["rows"]
                print(
                    f"{name:7} {kind:8} {slips:>5} {percent(f['found'], n):>8} {f['false']:>5} {percent(f['suspects'], n):>9} "
                    + (f"{f['unique']:>7} {percent(f['unique_exact'], f['unique']):>8} {f['slip']:>7} {percent(f['slip_exact'], f['slip']):>8} " if slips == 1 else f"{'':>7} {'':>8} {'':>7} {'':>8} ")
                    + f"{f['fixed']:>6} {f['fewer']:>5} + {f['wrong']:<3}",
                    flush=True,
                )
    print(f"{time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
