"""(c) The floor pipeline: the least a consolidation must do, written plainly for speed.

    python bench/floor_pipeline.py FOLDER -o master.xlsx

It lists the folder, reads each workbook with python-calamine, finds the table by its number row
(1, 2, 3=(4+5) …), takes the unit row under it, checks the layout's rules (3 = 4 + 5 …; read from
the layout files by column count), and writes a master with XlsxWriter: one row per unit, the
derived columns and the total row as formulas with their results stored, a note on each cell that
breaks a rule, the sheet protected, A4 landscape one page wide with repeated header rows. It prints
the column totals by table width as JSON, like the pandas loop, so bench/run.py can check that all
three found the same figures. It has none of tthc-xl's guarantees (no unit matching, no bad-file
screening, no localization, no update in place): it is a floor to measure against, not a tool.
"""

from __future__ import annotations

import json
import os
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_RULE = re.compile(r"^\s*(\d+)\s*=\s*(\d+(?:\s*\+\s*\d+)*)\s*$")


def layouts_by_width() -> dict[int, list[tuple[int, list[int]]]]:
    """Sum rules (total, parts) of each shipped layout, keyed by its column count."""
    found = {}
    for path in sorted((ROOT / "templates" / "forms").glob("*.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        rules = []
        for rule in data.get("rules", []):
            match = _RULE.match(rule["rule"])
            if match:
                rules.append((int(match.group(1)), [int(p) for p in match.group(2).split("+")]))
        found[len(data["columns"])] = rules
    return found


def number(value) -> int | None:
    """A count as units type it: 2708, "2.708", " 12 ", "-", "00", blank; None for words."""
    if isinstance(value, (int, float)):
        return int(value)
    text = str(value).strip().replace(".", "").replace(" ", "")
    if text in ("", "-"):
        return 0
    return int(text) if text.isdigit() else None


def column_number(value) -> int | None:
    text = str(value).split("=")[0].strip()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return int(text) if text.isdigit() else None


def unit_row(path: str) -> tuple[str, list[int | None]] | None:
    """(unit name, figures of columns 3…N) of the first table in the workbook."""
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(path)
    for name in book.sheet_names:
        rows = book.get_sheet_by_name(name).to_python()
        for i, row in enumerate(rows[:-1]):
            columns = {}
            for j, value in enumerate(row):
                if value != "" and (n := column_number(value)) is not None:
                    columns.setdefault(n, j)
            if all(n in columns for n in range(3, 13)):
                width = max(columns)
                below = rows[i + 1]
                label = str(below[columns[2]]) if 2 in columns and columns[2] < len(below) else ""
                return label or Path(path).stem, [number(below[columns[n]]) if columns[n] < len(below) else 0
                                                  for n in range(3, width + 1)]
    return None


def letter(col: int) -> str:
    letters = ""
    col += 1
    while col:
        col, rest = divmod(col - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def write_master(path: Path, rows: list[tuple[str, list[int | None]]], rules: list[tuple[int, list[int]]], width: int) -> None:
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Phụ lục I")
    bold = book.add_format({"bold": True, "border": 1, "align": "center", "text_wrap": True})
    cell = book.add_format({"border": 1, "num_format": "#,##0", "locked": False})
    formula = book.add_format({"border": 1, "num_format": "#,##0", "bg_color": "#F2F2F2"})
    flagged = book.add_format({"border": 1, "num_format": "#,##0", "bg_color": "#F4CCCC", "locked": False})
    derived = {total: parts for total, parts in rules}
    sheet.write_row(0, 0, ["STT", "Đơn vị"] + [f"({n})" for n in range(3, width + 1)], bold)
    first = 1
    for r, (unit, values) in enumerate(rows, start=first):
        sheet.write_number(r, 0, r)
        sheet.write_string(r, 1, unit)
        figures = {n: v for n, v in zip(range(3, width + 1), values)}
        broken = {total for total, parts in rules
                  if None not in (figures[total], *(figures[p] for p in parts))
                  and figures[total] != sum(figures[p] for p in parts)}
        for n, value in figures.items():
            col = n - 1
            if n in derived and n not in broken and value is not None:
                parts = "+".join(f"{letter(p - 1)}{r + 1}" for p in derived[n])
                sheet.write_formula(r, col, f"={parts}", formula, value)
            elif value is None:
                sheet.write_string(r, col, "?", flagged)
                sheet.write_comment(r, col, "Không đọc được số liệu.")
            else:
                sheet.write_number(r, col, value, flagged if n in broken else cell)
                if n in broken:
                    sheet.write_comment(r, col, f"Cột ({n}) phải bằng " + " + ".join(f"({p})" for p in derived[n]) + ".")
    total_row = first + len(rows)
    sheet.write_string(total_row, 1, "Tổng cộng", bold)
    for n in range(3, width + 1):
        col = n - 1
        column_sum = sum(v or 0 for _, values in rows for v in values[n - 3:n - 2])
        sheet.write_formula(total_row, col, f"=SUM({letter(col)}{first + 1}:{letter(col)}{total_row})", formula, column_sum)
    sheet.protect()
    sheet.set_landscape()
    sheet.set_paper(9)
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(0)
    sheet.set_column(1, 1, 40)
    book.close()


def main(argv: list[str]) -> int:
    folder, output = Path(argv[0]), Path(argv[argv.index("-o") + 1])
    rules_of = layouts_by_width()
    by_width: dict[int, list[tuple[str, list[int | None]]]] = {}
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        if entry.name.endswith(".xlsx") and entry.is_file():
            found = unit_row(entry.path)
            if found:
                by_width.setdefault(len(found[1]) + 2, []).append(found)
    main_width = max(by_width, key=lambda w: len(by_width[w]))
    write_master(output, by_width[main_width], rules_of.get(main_width, []), main_width)
    totals = {str(w): {str(n): sum(v or 0 for _, values in rows for v in values[n - 3:n - 2]) for n in range(3, w + 1)}
              for w, rows in by_width.items()}
    print(json.dumps(totals))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
