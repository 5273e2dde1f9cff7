"""Time reading .xlsb workbooks: `safe_open`'s scan of their records (error cells, hidden rows, cells past the
limits) beside calamine's own read of the same file, and beside the same table as .xlsx.

    python bench/xlsb.py [--rows 16 2000 19999] [--runs 5]

Each table is the 14-column layout with ROWS unit rows (every 50th cell an error, every 100th row hidden),
written by tests/xlsb.py and, for .xlsx, by openpyxl. Prints the median milliseconds per file of `open_workbook`
(the scan), of calamine reading every sheet, and of `read_grids` (both, and the grids).
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import python_calamine  # noqa: E402
from openpyxl import Workbook  # noqa: E402

import soctrang  # noqa: E402
import xlsb  # noqa: E402
from tthc_xl.files.read import read_grids  # noqa: E402
from tthc_xl.files.safe_open import open_workbook  # noqa: E402


def table(rows: int) -> tuple[list[list], set[int]]:
    grid = [list(header) for header in soctrang.HEADER_ROWS] + [list(soctrang.NUMBER_ROW)]
    for r in range(rows):
        values = [(r * 7 + c) % 900 for c in range(12)]
        grid.append([r + 1, f"Xã số {r + 1}", *values])
        if r % 4 == 0:
            grid[-1][3 + r % 12] = xlsb.Error("#REF!")  # 1 cell in 50 (14 a row, one row in 4)
    hidden = {len(soctrang.HEADER_ROWS) + 1 + r for r in range(0, rows, 100)}
    return grid, hidden


def write_xlsx(path: Path, grid: list[list]) -> Path:
    book = Workbook()
    sheet = book.active
    for row in grid:
        sheet.append([("#REF!" if isinstance(v, xlsb.Error) else v) for v in row])
    book.save(path)
    return path


def timed(function, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def calamine_read(data: bytes) -> None:
    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    for name in book.sheet_names:
        book.get_sheet_by_name(name).to_python(skip_empty_area=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[16, 2000, 19999])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    print(f"{'rows':>6} {'format':>6} {'bytes':>9} {'scan ms':>8} {'calamine ms':>12} {'read_grids ms':>14}")
    with tempfile.TemporaryDirectory() as folder:
        for rows in args.rows:
            grid, hidden = table(rows)
            files = {
                ".xlsb": xlsb.write_xlsb(Path(folder) / f"t{rows}.xlsb", {"Báo cáo": grid}, hidden_rows={"Báo cáo": hidden}),
                ".xlsx": write_xlsx(Path(folder) / f"t{rows}.xlsx", grid),
            }
            for suffix, path in files.items():
                data = path.read_bytes()
                opened = open_workbook(path, data)
                scan = timed(lambda: open_workbook(path, data), args.runs)
                parse = timed(lambda: calamine_read(opened.data), args.runs)
                whole = timed(lambda: read_grids(path), args.runs)
                print(f"{rows:>6} {suffix:>6} {len(data):>9} {scan:>8.1f} {parse:>12.1f} {whole:>14.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
