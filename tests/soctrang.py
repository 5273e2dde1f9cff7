"""Test fixtures built from a real report: Sóc Trăng, Phụ lục I, October 2019.

The figures come from the report of the Sóc Trăng Public Administration Service Center
(Trung tâm Phục vụ hành chính công tỉnh Sóc Trăng), no. 06/BC-TTHC of 24/10/2019,
appendix "Phụ lục I - Tình hình, kết quả giải quyết thủ tục hành chính tháng 10 năm 2019".
They are copied here as printed, so the tests never read anything outside the project.

The errors in the printed table are real and are kept on purpose, because finding them is
what the project is for:

* seven units have column 6 ≠ 7 + 8 + 9 (they left "Trước hạn/Đúng hạn/Quá hạn" at 0 or
  partly filled): Thông tin và Truyền thông, Công Thương, Giáo dục và Đào tạo,
  Giao thông vận tải, Kế hoạch và Đầu tư, Lao động - Thương binh và Xã hội, Nội vụ;
* the printed "Tổng cộng" of columns 7 and 8 (3.794 and 86) are not the column sums
  (1.559 and 5); the printed "Tỷ lệ %" of columns 7, 8, 9 were computed from those
  printed totals.

Layout A, 14 columns: 1 STT · 2 Đơn vị · 3=(4+5) received · 4 carried over · 5 new ·
6=(7+8+9) resolved · 7 early · 8 on time · 9 late · 10=(11+12) pending · 11 within deadline ·
12 overdue · 13 returned · 14 received online.

Public names:
    COLUMNS, UNITS, PRINTED_TOTAL, PRINTED_PERCENT, COLUMN_SUMS,
    TITLE_ROWS, HEADER_ROWS, MERGES, NUMBER_ROW, PLAIN_NUMBER_ROW, FLAT_HEADER,
    APPENDIX_HEADER_ROW, APPENDIX_MERGES, CANONICAL_NAMES, NAME_VARIANTS,
    UnitShape, UNIT_FILE_SHAPES,
    write_appendix(path), write_appendix_csv(path),
    write_unit_files(folder, ods=None), unit_file_values()
"""

from __future__ import annotations

import csv
import shutil
import subprocess
import tempfile
import unicodedata
import warnings
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.utils import get_column_letter, range_boundaries

# --------------------------------------------------------------------------------------
# The printed appendix
# --------------------------------------------------------------------------------------

COLUMNS = list(range(3, 15))

# (STT, unit name as printed, values of columns 3..14)
UNITS: list[tuple[int, str, list[int]]] = [
    (1, "Sở Thông tin và Truyền thông", [10, 1, 9, 7, 0, 0, 0, 3, 3, 0, 0, 0]),
    (2, "Sở Công Thương", [336, 10, 326, 326, 0, 0, 0, 10, 10, 0, 0, 197]),
    (3, "Sở Giáo dục và Đào tạo", [68, 10, 58, 40, 3, 0, 0, 28, 27, 1, 0, 20]),
    (4, "Sở Giao thông vận tải", [2708, 543, 2165, 1583, 0, 0, 0, 1125, 1125, 0, 0, 84]),
    (5, "Sở Kế hoạch và Đầu tư", [341, 6, 335, 315, 76, 0, 0, 26, 26, 0, 0, 63]),
    (6, "Sở Khoa học và Công nghệ", [1, 1, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0]),
    (7, "Sở Lao động - Thương binh và Xã hội", [83, 21, 62, 63, 0, 0, 0, 20, 20, 0, 1, 0]),
    (8, "Sở Nội vụ", [68, 15, 53, 63, 2, 0, 0, 5, 5, 0, 0, 10]),
    (9, "Sở Nông nghiệp và PTNT", [360, 47, 313, 335, 330, 5, 0, 25, 25, 0, 0, 40]),
    (10, "Sở Tài chính", [90, 13, 77, 71, 71, 0, 0, 19, 19, 0, 2, 56]),
    (11, "Sở Tài nguyên và Môi trường", [87, 43, 44, 43, 43, 0, 0, 44, 44, 0, 0, 5]),
    (12, "Sở Tư pháp", [845, 181, 664, 617, 605, 0, 12, 228, 207, 21, 0, 23]),
    (13, "Sở Văn hóa, Thể thao và Du lịch", [59, 3, 56, 56, 56, 0, 0, 3, 3, 0, 1, 38]),
    (14, "Sở Xây dựng", [176, 71, 105, 97, 97, 0, 0, 79, 79, 0, 0, 33]),
    (15, "Sở Y tế", [285, 163, 122, 171, 171, 0, 0, 114, 114, 0, 0, 9]),
    (16, "Công an tỉnh", [144, 66, 78, 105, 105, 0, 0, 39, 39, 0, 0, 0]),
]

# The "Tổng cộng" row as printed (columns 7 and 8 are wrong in the original).
PRINTED_TOTAL: dict[int, int] = dict(
    zip(COLUMNS, [5661, 1194, 4467, 3892, 3794, 86, 12, 1769, 1747, 22, 4, 578])
)

# The "Tỷ lệ %" row as printed.
PRINTED_PERCENT: dict[int, float] = dict(
    zip(COLUMNS, [100.00, 21.09, 78.91, 68.75, 97.48, 2.21, 0.31, 31.25, 98.76, 1.24, 0.07, 10.21])
)

# What the totals should have been: the sums of the 16 unit rows.
COLUMN_SUMS: dict[int, int] = {
    col: sum(values[i] for _, _, values in UNITS) for i, col in enumerate(COLUMNS)
}

# The name the project's unit list (templates/units/soc-trang-so-nganh.csv) uses, where it
# differs from the name printed in the appendix.
CANONICAL_NAMES: dict[str, str] = {
    "Sở Nông nghiệp và PTNT": "Sở Nông nghiệp và Phát triển nông thôn",
}

# Some unit files spell their own name differently; canonical name -> name in the file.
NAME_VARIANTS: dict[str, str] = {
    "Sở Thông tin và Truyền thông": "Sở Thông tin Truyền thông",
    "Sở Lao động - Thương binh và Xã hội": "Sở LĐ-TB&XH",
    "Sở Tài chính": "So Tai chinh",
    "Sở Y tế": "SỞ Y TẾ",
}

TITLE_ROWS = [
    "PHỤ LỤC I",
    "TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH THÁNG 10 NĂM 2019",
    "(Ban hành kèm theo Báo cáo số 06/BC-TTHC ngày 24/10/2019 "
    "của Trung tâm Phục vụ hành chính công)",
]

# The three header rows, 14 cells each; None where a cell is covered by a merge.
HEADER_ROWS: list[list[str | None]] = [
    ["STT", "Đơn vị", "Số hồ sơ nhận giải quyết", None, None,
     "Kết quả giải quyết", None, None, None, None, None, None,
     "Hồ sơ bị trả lại", "Hồ sơ nhận qua trực tuyến"],
    [None, None, "Tổng số", "Trong đó", None,
     "Số hồ sơ đã giải quyết", None, None, None, "Số hồ sơ đang giải quyết", None, None,
     None, None],
    [None, None, None, "Kỳ trước", "Số mới tiếp nhận",
     "Tổng số", "Trước hạn", "Đúng hạn", "Quá hạn", "Tổng số", "Còn hạn", "Quá hạn",
     None, None],
]

# Merged ranges of the header, with the header's first cell at A1.
MERGES = [
    "A1:A3",  # STT
    "B1:B3",  # Đơn vị
    "C1:E1",  # Số hồ sơ nhận giải quyết
    "F1:L1",  # Kết quả giải quyết
    "M1:M3",  # Hồ sơ bị trả lại
    "N1:N3",  # Hồ sơ nhận qua trực tuyến
    "C2:C3",  # Tổng số (received)
    "D2:E2",  # Trong đó
    "F2:I2",  # Số hồ sơ đã giải quyết
    "J2:L2",  # Số hồ sơ đang giải quyết
]

# The column-number row under the header, as printed (the STT cell is blank).
NUMBER_ROW: list[str | int | None] = [
    None, "2", "3=(4+5)", 4, 5, "6=(7+8+9)", 7, 8, 9, "10=(11+12)", 11, 12, 13, 14,
]
# The number row some units type instead.
PLAIN_NUMBER_ROW: list[int] = list(range(1, 15))

# The header flattened into one row, as some units type it.
FLAT_HEADER = [
    "STT", "Đơn vị",
    "Số hồ sơ nhận giải quyết - Tổng số", "Kỳ trước", "Số mới tiếp nhận",
    "Đã giải quyết - Tổng số", "Đã giải quyết - Trước hạn", "Đã giải quyết - Đúng hạn",
    "Đã giải quyết - Quá hạn",
    "Đang giải quyết - Tổng số", "Đang giải quyết - Còn hạn", "Đang giải quyết - Quá hạn",
    "Hồ sơ bị trả lại", "Hồ sơ nhận qua trực tuyến",
]

# In write_appendix: title rows 1-3, blank row 4, header rows 5-7, number row 8,
# units 9-24, "Tổng cộng" 25, "Tỷ lệ %" 26.
APPENDIX_HEADER_ROW = 5


def _shift_range(ref: str, rows: int = 0, cols: int = 0) -> str:
    """Move an A1-style range down by `rows` and right by `cols`."""
    min_col, min_row, max_col, max_row = range_boundaries(ref)
    return (
        f"{get_column_letter(min_col + cols)}{min_row + rows}:"
        f"{get_column_letter(max_col + cols)}{max_row + rows}"
    )


APPENDIX_MERGES = [f"A{r}:N{r}" for r in range(1, len(TITLE_ROWS) + 1)] + [
    _shift_range(ref, rows=APPENDIX_HEADER_ROW - 1) for ref in MERGES
]


def _vn(number: int) -> str:
    """An int the way a Vietnamese document prints it: 5661 -> '5.661'."""
    return f"{number:,}".replace(",", ".")


def _percent_text(value: float) -> str:
    """68.75 -> '68,75'."""
    return f"{value:.2f}".replace(".", ",")


def _as_text(value) -> str:
    """A cell as CSV text: None -> '', ints with Vietnamese thousands dots."""
    if value is None:
        return ""
    if isinstance(value, int):
        return _vn(value)
    return str(value)


def _appendix_grid() -> list[list]:
    """The whole appendix as rows of cells (None = empty), starting at A1."""
    grid: list[list] = [[title] + [None] * 13 for title in TITLE_ROWS]
    grid.append([None] * 14)
    grid += [list(row) for row in HEADER_ROWS]
    grid.append(list(NUMBER_ROW))
    grid += [[stt, name, *values] for stt, name, values in UNITS]
    grid.append([None, "Tổng cộng", *(PRINTED_TOTAL[c] for c in COLUMNS)])
    grid.append([None, "Tỷ lệ %", *(_percent_text(PRINTED_PERCENT[c]) for c in COLUMNS)])
    return grid


def _write_grid(ws, grid: list[list], merges: list[str]) -> None:
    for r, row in enumerate(grid, start=1):
        for c, value in enumerate(row, start=1):
            if value is not None:
                ws.cell(row=r, column=c, value=value)
    for ref in merges:
        ws.merge_cells(ref)


def _write_csv(path: Path, grid: list[list], encoding: str) -> None:
    with open(path, "w", encoding=encoding, newline="") as f:
        csv.writer(f).writerows([[_as_text(v) for v in row] for row in grid])


def write_appendix(path) -> Path:
    """Write the printed appendix to .xlsx: title block, merged 3-row header, number row,
    16 units, printed "Tổng cộng" (ints) and "Tỷ lệ %" (text such as "68,75")."""
    path = Path(path)
    wb = Workbook()
    ws = wb.active
    ws.title = "Phụ lục I"
    _write_grid(ws, _appendix_grid(), APPENDIX_MERGES)
    wb.save(path)
    return path


def write_appendix_csv(path) -> Path:
    """The same sheet as UTF-8 CSV, no merges, every number as printed text ("5.661")."""
    path = Path(path)
    _write_csv(path, _appendix_grid(), encoding="utf-8")
    return path


# --------------------------------------------------------------------------------------
# One file per unit, in the shapes units really send
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UnitShape:
    """How one unit file is laid out."""

    fmt: str  # "xlsx", "csv" or "ods" (ods falls back to xlsx without LibreOffice)
    sheet: str | None  # None for CSV
    titles: bool  # report title + "Đơn vị: ..." + blank row above the table
    offset: bool  # everything moved 4 rows down and 2 columns right
    spacer: bool  # a blank column between columns 2 and 3
    notes: bool  # a "Ghi chú" column after column 14
    numbers: str  # "int" (real numbers), "dots" ("2.708"), "spaces" ("1.194 ", " 63")
    zeros: str  # how 0 is written: "0", "-", "00" or "" (empty cell)
    header: str  # "merged" (3 rows; real merges in xlsx/ods) or "flat" (1 row)
    number_row: str  # "formula" ("3=(4+5)" ...) or "plain" (1..14)
    guide_sheet: bool = False  # an empty first sheet "Hướng dẫn", table on the second

    @property
    def header_cell(self) -> str:
        """Where the header's first cell ("STT") is."""
        row = 1 + (3 if self.titles else 0) + (4 if self.offset else 0)
        col = 1 + (2 if self.offset else 0)
        return f"{get_column_letter(col)}{row}"


# One shape per unit, in UNITS order. Each value of each field appears at least twice,
# except the single file with a "Hướng dẫn" sheet.
UNIT_FILE_SHAPES: list[UnitShape] = [
    UnitShape("xlsx", "Sheet1", False, False, False, False, "int", "0", "merged", "formula"),
    UnitShape("xlsx", "PL1", True, False, False, True, "int", "-", "merged", "formula"),
    UnitShape("csv", None, False, False, False, False, "dots", "0", "merged", "formula"),
    UnitShape("xlsx", "Phụ lục", True, True, True, False, "dots", "00", "merged", "formula"),
    UnitShape("ods", "Báo cáo T10", False, True, False, True, "int", "", "flat", "formula"),
    UnitShape("xlsx", "Sheet1", False, False, True, False, "spaces", "-", "flat", "plain"),
    UnitShape("xlsx", "PL1", True, False, False, False, "int", "", "merged", "formula",
              guide_sheet=True),
    UnitShape("xlsx", "Phụ lục", False, True, False, True, "spaces", "0", "merged", "formula"),
    UnitShape("xlsx", "Báo cáo T10", True, False, True, True, "dots", "-", "flat", "formula"),
    UnitShape("csv", None, True, False, True, False, "spaces", "", "flat", "formula"),
    UnitShape("ods", "PL1", True, False, False, False, "dots", "00", "merged", "formula"),
    UnitShape("xlsx", "Sheet1", False, True, False, False, "int", "00", "merged", "plain"),
    UnitShape("xlsx", "PL1", False, False, False, True, "dots", "", "flat", "formula"),
    UnitShape("xlsx", "Phụ lục", True, True, False, False, "int", "-", "flat", "formula"),
    UnitShape("xlsx", "Báo cáo T10", False, False, True, False, "spaces", "00", "merged",
              "formula"),
    UnitShape("xlsx", "Sheet1", True, True, True, True, "int", "0", "merged", "formula"),
]

_NOTES = [
    "Số liệu trích từ phần mềm một cửa điện tử",
    "Hồ sơ đang giải quyết chờ bổ sung",
    "Đã đối chiếu với Trung tâm PVHCC",
]


def _slug(name: str) -> str:
    """'Sở Thông tin và Truyền thông' -> 'so-thong-tin' (first three words, no diacritics)."""
    text = name.replace("đ", "d").replace("Đ", "D")
    text = unicodedata.normalize("NFD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    words = "".join(ch if ch.isalnum() else " " for ch in text).split()
    return "-".join(words[:3])


def _stem(index: int) -> str:
    stt, name, _ = UNITS[index]
    return f"{stt:02d}_{_slug(name)}"


def _cell(value: int, column: int, shape: UnitShape):
    """One figure written the way this unit writes it."""
    if value == 0:
        if shape.zeros == "0":
            return 0 if shape.numbers == "int" else "0"
        return shape.zeros or None
    if shape.numbers == "int":
        return value
    if shape.numbers == "dots":
        return _vn(value)
    # "spaces": a stray space after the figure in odd columns, before it in even ones
    return f"{_vn(value)} " if column % 2 else f" {_vn(value)}"


def _unit_grid(index: int) -> tuple[list[list], list[str]]:
    """The cells (None = empty) and merged ranges of one unit's file, starting at A1."""
    shape = UNIT_FILE_SHAPES[index]
    stt, printed_name, values = UNITS[index]
    name = NAME_VARIANTS.get(printed_name, printed_name)

    if shape.header == "merged":
        header = [list(row) for row in HEADER_ROWS]
        merges = list(MERGES)
    else:
        header = [list(FLAT_HEADER)]
        merges = []
    if shape.number_row == "plain":
        number_row = list(PLAIN_NUMBER_ROW)
    else:
        number_row = list(NUMBER_ROW)
        number_row[0] = 1 if stt % 2 else None  # some units number the STT column too
    unit_row = [stt, name] + [_cell(v, col, shape) for v, col in zip(values, COLUMNS)]
    table = header + [number_row, unit_row]

    if shape.notes:
        for row in table:
            row.append(None)
        table[0][-1] = "Ghi chú"
        table[-1][-1] = _NOTES[index % len(_NOTES)]
        if shape.header == "merged":
            merges.append("O1:O3")
    if shape.spacer:
        table = [row[:2] + [None] + row[2:] for row in table]
        merges = [_insert_spacer(ref) for ref in merges]

    top = [["BÁO CÁO TÌNH HÌNH GIẢI QUYẾT TTHC THÁNG 10/2019"], [f"Đơn vị: {name}"], []]
    grid = (top if shape.titles else []) + table
    rows, cols = (4, 2) if shape.offset else (0, 0)
    grid = [[] for _ in range(rows)] + [[None] * cols + row for row in grid]
    width = max(len(row) for row in grid)
    grid = [row + [None] * (width - len(row)) for row in grid]
    header_row = len(grid) - len(table)  # rows above the header
    merges = [_shift_range(ref, rows=header_row, cols=cols) for ref in merges]
    return grid, merges


def _insert_spacer(ref: str) -> str:
    """Move a header merge right by one if it lies in columns 3 and beyond."""
    min_col, _, _, _ = range_boundaries(ref)
    return _shift_range(ref, cols=1) if min_col >= 3 else ref


def _convert_to_ods(paths: list[Path]) -> list[Path]:
    """Convert .xlsx files to .ods next to them with LibreOffice; keep .xlsx on failure."""
    soffice = shutil.which("soffice")
    if not soffice or not paths:
        return paths
    with tempfile.TemporaryDirectory() as profile:
        # A private profile, so parallel runs do not fight over the user's one.
        result = subprocess.run(
            [soffice, f"-env:UserInstallation=file://{profile}", "--headless",
             "--convert-to", "ods", "--outdir", str(paths[0].parent), *map(str, paths)],
            capture_output=True, text=True, timeout=180,
        )
    converted = []
    for path in paths:
        ods = path.with_suffix(".ods")
        if ods.exists():
            path.unlink()
            converted.append(ods)
        else:
            warnings.warn(f"soffice did not convert {path.name}: {result.stderr.strip()}")
            converted.append(path)
    return converted


def write_unit_files(folder, ods: bool | None = None) -> list[Path]:
    """Write the 16 units as 16 files, one unit per file, in the shapes of UNIT_FILE_SHAPES.

    `ods=None` converts the two "ods" files with LibreOffice when `soffice` is on PATH;
    `ods=False` leaves them as .xlsx. Returns the paths in UNITS order.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    to_convert: list[Path] = []
    for index, shape in enumerate(UNIT_FILE_SHAPES):
        grid, merges = _unit_grid(index)
        if shape.fmt == "csv":
            path = folder / f"{_stem(index)}.csv"
            _write_csv(path, grid, encoding="utf-8-sig")
        else:
            path = folder / f"{_stem(index)}.xlsx"
            wb = Workbook()
            ws = wb.active
            if shape.guide_sheet:
                ws.title = "Hướng dẫn"
                ws = wb.create_sheet(shape.sheet)
            else:
                ws.title = shape.sheet
            _write_grid(ws, grid, merges)
            wb.save(path)
            if shape.fmt == "ods":
                to_convert.append(path)
        paths.append(path)
    if ods is None:
        ods = shutil.which("soffice") is not None
    if ods:
        converted = dict(zip(to_convert, _convert_to_ods(to_convert)))
        paths = [converted.get(p, p) for p in paths]
    return paths


def unit_file_values() -> dict[str, tuple[str, list[int]]]:
    """For each unit file, by file stem ("01_so-thong-tin"): the unit's canonical name
    and the int values of columns 3..14 a reader must find in it."""
    return {
        _stem(i): (CANONICAL_NAMES.get(name, name), list(values))
        for i, (_, name, values) in enumerate(UNITS)
    }


def write_grouped_units(path: Path) -> Path:
    """A unit list (nhom, ten, bi_danh) of the 16 units in two groups: the first ten "Cấp tỉnh", the rest "Cấp huyện"."""
    names = [name for name, _ in unit_file_values().values()]
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["nhom", "ten", "bi_danh"])
        for index, name in enumerate(names):
            writer.writerow(["Cấp tỉnh" if index < 10 else "Cấp huyện", name, ""])
    return path


# --------------------------------------------------------------------------------------
# The report as a Word document (narrative, then Phụ lục I as a Word table), and as PDF
# --------------------------------------------------------------------------------------

NARRATIVE = [
    "Số: 06 /BC-TTHC",
    "Sóc Trăng, ngày 24 tháng 10 năm 2019",
    "BÁO CÁO",
    "Tình hình kết quả giải quyết thủ tục hành chính tháng 10 năm 2019",
    "1. Tình hình kết quả giải quyết TTHC:",
    "- Trung tâm đã tiếp nhận 5.661 hồ sơ TTHC (tăng 96 hồ sơ so với tháng trước), trong đó:",
    "+ Kỳ trước chuyển sang: 1.194 hồ sơ, tiếp nhận mới: 4.467 hồ sơ;",
    "+ Đã giải quyết 3.892 hồ sơ (chiếm 68,75 % trên tổng số 5.661 hồ sơ); trong đó, trả hồ sơ trước hạn "
    "và đúng hạn là 3.880 hồ sơ, chiếm 99,69 % (tăng 0,06 % so với tháng trước);",
    "+ Đang giải quyết 1.769 hồ sơ (chiếm 31,25 % trên tổng số 5.661 hồ sơ);",
    "(Chi tiết theo Phụ lục I đính kèm).",
]

# The number row as typed into narrow Word cells: the rules broken over two lines.
WRAPPED_NUMBER_ROW: list[list[str]] = [
    [""], ["2"], ["3=(4", "+5)"], ["4"], ["5"], ["6=(7+8", "+9)"], ["7"], ["8"], ["9"], ["10=(11", "+12)"], ["11"], ["12"], ["13"], ["14"],
]


def _table_rows(units=UNITS, total=True, percent=True) -> list[list]:
    """Header, number row, unit rows, total and percentage rows of a Word appendix (figures as printed text)."""
    rows: list[list] = [list(row) for row in HEADER_ROWS]
    rows.append(list(WRAPPED_NUMBER_ROW))
    rows += [[str(stt), name, *(_vn(v) for v in values)] for stt, name, values in units]
    if total:
        sums = {c: sum(v[i] for *_, v in units) for i, c in enumerate(COLUMNS)} if units is not UNITS else PRINTED_TOTAL
        rows.append(["", "Tổng cộng", *(_vn(sums[c]) for c in COLUMNS)])
    if percent and units is UNITS:
        rows.append(["", "Tỷ lệ %", *(_percent_text(PRINTED_PERCENT[c]) for c in COLUMNS)])
    return rows


def add_word_table(document, rows: list[list], merges=MERGES) -> None:
    """A Word table with the appendix's merged header cells and narrow figure columns."""
    from docx.shared import Cm, Pt

    table = document.add_table(rows=len(rows), cols=14)
    table.style = "Table Grid"
    widths = [Cm(0.9), Cm(4.0)] + [Cm(1.55)] * 12
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            cell = table.cell(r, c)
            cell.width = widths[c]
            lines = value if isinstance(value, list) else ([] if value is None else [value])
            if lines:
                cell.text = lines[0]
                for line in lines[1:]:
                    cell.add_paragraph(line)
            for paragraph in cell.paragraphs:
                for run in paragraph.runs:
                    run.font.size = Pt(9)
    for ref in merges:
        min_col, min_row, max_col, max_row = range_boundaries(ref)
        table.cell(min_row - 1, min_col - 1).merge(table.cell(max_row - 1, max_col - 1))
    # The header and the number row repeat at the top of every page, as clerks set them.
    from docx.oxml import OxmlElement

    for row in table.rows[: len(HEADER_ROWS) + 1]:
        row._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))


def write_report_docx(path, tables: list[tuple[str, list[list]]] | None = None) -> Path:
    """The Sóc Trăng report as a real Word document: the narrative, then each appendix (title, table)."""
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.shared import Cm

    path = Path(path)
    document = Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Cm(29.7), Cm(21.0)
    section.left_margin = section.right_margin = Cm(1.5)
    for text in NARRATIVE:
        document.add_paragraph(text)
    for title, rows in tables or [(TITLE_ROWS[0], _table_rows())]:
        document.add_page_break()
        document.add_paragraph(title)
        document.add_paragraph(TITLE_ROWS[1])
        add_word_table(document, rows)
    document.save(path)
    return path


def appendix_rows(units=UNITS) -> list[list]:
    """The rows of a Word appendix of these units (with their own column sums as the total row)."""
    return _table_rows(units)


# --------------------------------------------------------------------------------------
# A province of two levels (since 1 July 2025): departments and communes, no districts
# --------------------------------------------------------------------------------------

TWO_LEVEL_UNITS = "tinh-hai-cap"  # templates/units/tinh-hai-cap.csv: groups "Sở, ngành" and "UBND cấp xã"


def two_level_rows() -> list[tuple[str, list[int]]]:
    """Each unit of the two-level list with a real Sóc Trăng row's figures (illustrative), in list order.

    The communes' one-stop centres write their commune's People's Committee name ("UBND xã Kế Sách"),
    which the list's aliases match."""
    from tthc_xl.core.units import load_units

    units = load_units(TWO_LEVEL_UNITS).units
    rows = []
    for index, unit in enumerate(units):
        name = unit.aliases[0] if unit.group == "UBND cấp xã" else unit.name
        rows.append((name, list(UNITS[index % len(UNITS)][2])))
    return rows


def write_two_level_unit_files(folder) -> list[Path]:
    """One CSV per unit of the two-level list, as a unit's clerk exports it: header, number row, its row."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index, (name, values) in enumerate(two_level_rows(), start=1):
        path = folder / f"{index:02d}_{_slug(name)}.csv"
        _write_csv(path, [FLAT_HEADER, [v for v in NUMBER_ROW], [1, name, *values]], encoding="utf-8-sig")
        paths.append(path)
    return paths

