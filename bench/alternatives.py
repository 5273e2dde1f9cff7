"""The alternatives tthc-xl is measured against, run by bench/run.py as subprocesses.

    python bench/alternatives.py clerk FOLDER           # (b) what a Python-savvy clerk writes: pandas, calamine engine
    python bench/alternatives.py clerk-openpyxl FOLDER  # (b') the same loop on pandas' default openpyxl engine
    python bench/alternatives.py floor FOLDER           # (d) python-calamine reads every cell, nothing else
    python bench/alternatives.py floor2 FOLDER          # (d) on every core, for reference

The floor pipeline (c), which also checks and writes a master, is bench/floor_pipeline.py.

`clerk` prints the column totals as JSON ({"14": {"3": …}} by table width), so the run can check
that it found the same figures as tthc-xl; `floor` prints the number of cells it read.
"""

import json
import sys
from pathlib import Path


def clerk(folder: str, engine: str = "calamine") -> dict:
    # The way a clerk who knows some Python does it: open each file with pandas, find the row that
    # numbers the columns (1, 2, 3=(4+5), 4 …), take the unit's row under it, add up the columns.
    import pandas as pd

    def column_number(value):
        try:
            return int(float(str(value).split("=")[0]))
        except ValueError:
            return None

    def to_number(value):
        if pd.isna(value):
            return 0
        if isinstance(value, (int, float)):
            return value
        text = str(value).strip().replace(".", "")  # "2.708" is 2708
        if text in ("", "-"):
            return 0
        try:
            return int(text)
        except ValueError:  # "chín": nothing sensible to add
            return 0

    totals: dict[int, dict[int, float]] = {}
    for path in sorted(Path(folder).glob("*.xlsx")):
        sheets = pd.read_excel(path, sheet_name=None, header=None, engine=engine)
        for df in sheets.values():
            found = False
            for i in range(len(df) - 1):
                numbers = {}
                for j, value in enumerate(df.iloc[i]):
                    if pd.notna(value) and column_number(value) is not None:
                        numbers[column_number(value)] = j
                if all(n in numbers for n in range(3, 13)):
                    unit_row = df.iloc[i + 1]
                    width = max(numbers)
                    form = totals.setdefault(width, {n: 0 for n in range(3, width + 1)})
                    for n in range(3, width + 1):
                        form[n] += to_number(unit_row.iloc[numbers[n]])
                    found = True
                    break
            if found:
                break
    return totals


def _read_all(paths: list[str]) -> int:
    from python_calamine import CalamineWorkbook

    cells = 0
    for path in paths:
        book = CalamineWorkbook.from_path(path)
        for name in book.sheet_names:
            rows = book.get_sheet_by_name(name).to_python()
            cells += sum(len(row) for row in rows)
    return cells


def floor(folder: str, processes: int = 1) -> int:
    paths = sorted(str(p) for p in Path(folder).glob("*.xlsx"))
    if processes == 1:
        return _read_all(paths)
    from concurrent.futures import ProcessPoolExecutor

    chunks = [paths[i :: processes] for i in range(processes)]
    with ProcessPoolExecutor(processes) as pool:
        return sum(pool.map(_read_all, chunks))


def main(argv: list[str]) -> int:
    what, folder = argv
    if what in ("clerk", "clerk-openpyxl"):
        totals = clerk(folder, "openpyxl" if what == "clerk-openpyxl" else "calamine")
        print(json.dumps({str(w): {str(n): v for n, v in t.items()} for w, t in totals.items()}))
    elif what == "floor":
        print(floor(folder))
    elif what == "floor2":
        import os

        print(floor(folder, len(os.sched_getaffinity(0))))
    else:
        raise SystemExit(f"unknown: {what}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
