"""Find the report table in a unit's workbook or CSV and read it by layout column number.

A table is found by its number row (`1 2 3=(4+5) 4 5 …`, blank spacer columns allowed), with the
header rows above it and the unit, total and percentage rows below. Files are opened read-only.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import python_calamine

from .layouts import Layout, infer_layout
from .model import GROUP, PERCENT, TOTAL, UNIT, Cell, Row, Table
from .numbers import NotANumber, parse_number
from .text import fold
from .units import UnitList

SPREADSHEETS = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"}
READABLE = SPREADSHEETS | {".csv"}
MAX_ROWS = 5000  # a report table is never longer; rows below it (a million blank rows) are not read
_TOKEN = re.compile(r"^\(?\s*(\d{1,2})\s*\)?\s*(=.*)?$")
_ROMAN = re.compile(r"^(i{1,3}|iv|v|vi{0,3}|ix|x)\.?$")
_GROUP_WORDS = ("cap tinh", "cap huyen", "cap xa", "khoi ", "nhom ")
_FOOTER_WORDS = ("nguoi lap", "nguoi ky", "thu truong", "noi nhan", "ghi chu", "xac nhan", "giam doc", "chanh van phong")
_HEADER_MAX = 5


class ReadError(Exception):
    """A file that cannot be used; the message (Vietnamese) names the file and what to do."""


@dataclass
class Grid:
    """One sheet's values as a block, with where the block starts (0-based) and its merges."""

    sheet: str
    values: list[list]
    top: int = 0
    left: int = 0
    merges: list[tuple[tuple[int, int], tuple[int, int]]] = field(default_factory=list)
    hidden: bool = False

    def at(self, row: int, col: int):
        """Value at absolute (row, col), reading a merged cell's value from its top-left cell."""
        for (r1, c1), (r2, c2) in self.merges:
            if r1 <= row <= r2 and c1 <= col <= c2:
                row, col = r1, c1
                break
        return self.raw(row, col)

    def raw(self, row: int, col: int):
        r, c = row - self.top, col - self.left
        if 0 <= r < len(self.values) and 0 <= c < len(self.values[r]):
            value = self.values[r][c]
            return None if value == "" else value
        return None

    @property
    def bottom(self) -> int:
        return self.top + len(self.values)

    @property
    def right(self) -> int:
        return self.left + max((len(r) for r in self.values), default=0)


def cell_ref(row: int, col: int) -> str:
    """A1 address of 0-based (row, col)."""
    letters = ""
    col += 1
    while col:
        col, rest = divmod(col - 1, 26)
        letters = chr(65 + rest) + letters
    return f"{letters}{row + 1}"


def read_grids(path: Path) -> list[Grid]:
    """Every sheet of a workbook (or the one of a CSV) as a Grid. Raises ReadError."""
    name = path.name
    if not path.is_file():
        raise ReadError(f"Không tìm thấy tệp {path}.")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return [_read_csv(path)]
    if suffix not in SPREADSHEETS:
        raise ReadError(f"Tệp {name} không phải bảng tính (.xlsx, .xls, .ods, .csv): hãy đề nghị đơn vị gửi lại đúng định dạng.")
    try:
        book = python_calamine.CalamineWorkbook.from_path(str(path))
        grids = []
        for meta in book.sheets_metadata:
            sheet = book.get_sheet_by_name(meta.name)
            start = sheet.start or (0, 0)
            grids.append(
                Grid(
                    sheet=meta.name,
                    values=sheet.to_python(skip_empty_area=True, nrows=MAX_ROWS),
                    top=start[0],
                    left=start[1],
                    merges=list(sheet.merged_cell_ranges or []),
                    hidden=str(meta.visible) != str(python_calamine.SheetVisibleEnum.Visible),
                )
            )
        return grids
    except python_calamine.PasswordError:
        raise ReadError(f"Tệp {name} có đặt mật khẩu: hãy đề nghị đơn vị gửi bản không đặt mật khẩu.") from None
    except Exception as exc:  # calamine raises several types for broken files
        raise ReadError(
            f"Không mở được tệp {name} ({type(exc).__name__}): tệp hỏng hoặc không đúng định dạng. "
            "Hãy mở thử bằng Excel, lưu lại thành .xlsx rồi chạy lại, hoặc đề nghị đơn vị gửi lại."
        ) from None


def _read_csv(path: Path) -> Grid:
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "cp1258"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = list(csv.reader(io.StringIO(text), dialect))[:MAX_ROWS]
    return Grid(sheet=path.stem, values=[[v.strip() for v in row] for row in rows])


@dataclass
class NumberRow:
    row: int
    columns: dict[int, int]  # layout column number → sheet column (0-based)
    spelled: dict[int, str]  # layout column number → the text in the number row


def _token(value) -> tuple[int, str] | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if float(value).is_integer() and 1 <= value <= 99:
            return int(value), str(int(value))
        return None
    match = _TOKEN.match(str(value).strip().replace(" ", ""))
    return (int(match[1]), str(value).strip()) if match else None


def find_number_rows(grid: Grid) -> list[NumberRow]:
    """Rows that number the table's columns consecutively (the longest run in each row)."""
    found = []
    for r, values in enumerate(grid.values):
        chain: list[tuple[int, int, str]] = []
        best: list[tuple[int, int, str]] = []
        for c, value in enumerate(values):
            if value in ("", None):
                continue
            token = _token(value)
            if token and chain and token[0] == chain[-1][1] + 1:
                chain.append((c, *token))
            else:
                chain = [(c, *token)] if token else []
            if len(chain) > len(best):
                best = list(chain)
        if len(best) >= 4:
            columns = {n: grid.left + c for c, n, _ in best}
            spelled = {n: text for _, n, text in best}
            # An unnumbered first column (STT left blank in the number row).
            first_col, first_n = grid.left + best[0][0], best[0][1]
            for n in range(first_n - 1, 0, -1):
                first_col -= 1
                if first_col < 0:
                    break
                columns[n] = first_col
            found.append(NumberRow(grid.top + r, dict(sorted(columns.items())), spelled))
    return found


def header_paths(grid: Grid, number_row: NumberRow) -> tuple[dict[int, tuple[str, ...]], int]:
    """Header text path of each numbered column, read upwards from the number row; and the first header row."""
    cols = number_row.columns
    top = number_row.row
    for row in range(number_row.row - 1, max(number_row.row - 1 - _HEADER_MAX, grid.top - 1), -1):
        filled = sum(1 for c in cols.values() if grid.raw(row, c) is not None)
        if filled < 2:
            break
        top = row
    paths = {}
    for n, c in cols.items():
        path: list[str] = []
        for row in range(top, number_row.row):
            value = grid.at(row, c)
            text = " ".join(str(value).split()) if value is not None else ""
            if text and (not path or path[-1] != text):
                path.append(text)
        paths[n] = tuple(path)
    return paths, top


def match_layout(number_row: NumberRow, headers: dict[int, tuple[str, ...]], layouts: dict[str, Layout]) -> Layout | None:
    """The layout whose columns, spelled rules and header words fit best; else one inferred from the row."""
    sheet_numbers = set(number_row.columns)
    spelled = set()
    for n, text in number_row.spelled.items():
        if "=" in text:
            parts = tuple(int(p) for p in re.findall(r"\d+", text.split("=", 1)[1]))
            spelled.add((n, parts))
    header_text = " ".join(fold(" ".join(p)) for p in headers.values())
    best, best_score = None, 0.0
    for layout in layouts.values():
        numbers = set(layout.numbers)
        if max(numbers) != max(sheet_numbers) or not set(layout.count_columns) <= sheet_numbers:
            continue
        if not spelled <= layout.sums():
            continue
        words = sum(1 for w in layout.identify if w in header_text)
        leaves = sum(1 for c in layout.columns if c.header and fold(c.header[-1]) and fold(c.header[-1]) in header_text)
        score = 1 + words + leaves / max(len(layout.columns), 1) + len(spelled)
        if score > best_score:
            best, best_score = layout, score
    if best is not None:
        return best
    label = _label_number(headers)
    return infer_layout(number_row.spelled, headers, label)


def _label_number(headers: dict[int, tuple[str, ...]]) -> int | None:
    for n, path in headers.items():
        text = fold(" ".join(path))
        if any(w in text for w in ("don vi", "ten ", "linh vuc", "noi dung", "co quan")) or text == "ten":
            return n
    return 2 if 2 in headers else None


def classify(label: str, order) -> str:
    text = fold(label)
    if text in ("tong", "cong") or text.startswith(("tong cong", "tong so")):
        return TOTAL
    if text.startswith("ty le") or text == "%":
        return PERCENT
    if _ROMAN.match(fold(order)) or text.startswith(_GROUP_WORDS):
        return GROUP
    return UNIT


def read_table(grid: Grid, number_row: NumberRow, layout: Layout, file: str, units: UnitList | None = None) -> Table:
    """The rows under the number row, keyed by layout column, each cell with its address."""
    cols = {n: c for n, c in number_row.columns.items() if n in layout.numbers}
    label_col = cols.get(layout.label_column) if layout.label_column else None
    order_col = cols.get(layout.order_column) if layout.order_column else None
    span = sorted(set(cols.values()))
    rows: list[Row] = []
    group = ""
    for r in range(number_row.row + 1, grid.bottom):
        if all(grid.raw(r, c) is None for c in span):
            if rows:
                break
            continue
        label = _text(grid.at(r, label_col)) if label_col is not None else ""
        order = _text(grid.at(r, order_col)) if order_col is not None else ""
        if not label and order and not order.replace(".", "").isdigit() and not _ROMAN.match(fold(order)):
            label, order = order, ""  # "Tổng cộng" merged over the STT and unit columns
        if fold(label).startswith(_FOOTER_WORDS):
            break
        kind = classify(label, order)
        cells = {}
        for n in layout.count_columns:
            if n not in cols:
                continue
            raw = grid.raw(r, cols[n])
            try:
                value = parse_number(raw)
            except NotANumber:
                value = None
            cells[n] = Cell(cell_ref(r, cols[n]), value, raw)
        if kind == GROUP:
            group = label
        unit = " ".join(label.split())
        if kind == UNIT and units is not None:
            matched = units.match(label)
            if matched:
                unit, group = matched.name, matched.group or group
        rows.append(Row(kind, label, cells, unit, cell_ref(r, label_col) if label_col is not None else "", group))
        if kind == PERCENT:
            _as_percent(cells)
            break  # what follows the percentage row (previous period, signatures) is not the table
    return Table(file=file, sheet=grid.sheet, layout=layout, rows=rows, first_row=number_row.row + 2)


def _as_percent(cells: dict[int, Cell]) -> None:
    """A percentage row stored as fractions with a % format (0,6875 shown as 68,75 %) reads as 68.75."""
    values = [c.value for c in cells.values() if c.value is not None]
    if values and all(0 <= v <= 1 for v in values) and any(isinstance(c.raw, float) for c in cells.values()):
        for cell in cells.values():
            if cell.value is not None:
                cell.value = round(cell.value * 100, 6)


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split())


@dataclass
class FileResult:
    """What reading one file gave: its tables, or an error message for the clerk."""

    file: str
    tables: list[Table] = field(default_factory=list)
    error: str = ""
    notes: list[str] = field(default_factory=list)


def read_file(path: str | Path, layouts: dict[str, Layout], form: str | None = None, units: UnitList | None = None) -> FileResult:
    """Every report table in a file. Never raises for a clerk's mistake: see `error`."""
    path = Path(path)
    try:
        grids = read_grids(path)
    except ReadError as exc:
        return FileResult(str(path), error=str(exc))
    return read_grids_tables(grids, path, layouts, form, units)


def read_grids_tables(grids: list[Grid], path: Path, layouts: dict[str, Layout], form: str | None = None, units: UnitList | None = None) -> FileResult:
    """Every report table in some sheets' values (from a file, or from an open workbook through xlwings)."""
    result = FileResult(str(path))
    choices = {form: layouts[form]} if form else layouts
    for grid in grids:
        if grid.hidden:
            result.notes.append(f"Bỏ qua trang ẩn “{grid.sheet}” trong tệp {path.name}.")
            continue
        for number_row in find_number_rows(grid)[:1]:
            headers, _ = header_paths(grid, number_row)
            layout = match_layout(number_row, headers, choices)
            if layout is None:
                result.error = (
                    f"Bảng trong tệp {path.name} (trang “{grid.sheet}”) không khớp mẫu biểu nào "
                    f"({', '.join(choices)}): hãy chọn mẫu bằng --form hoặc thêm tệp mẫu vào templates/forms/."
                )
                continue
            table = read_table(grid, number_row, layout, str(path), units)
            if not table.rows:
                result.notes.append(f"Bảng trong tệp {path.name} (trang “{grid.sheet}”) chưa có dòng số liệu nào.")
                continue
            _name_single_unit(table, grid, number_row, path, units)
            result.tables.append(table)
    if result.tables:
        result.error = ""
    elif not result.error:
        result.error = (
            f"Không tìm thấy bảng số liệu trong tệp {path.name}: bảng cần có hàng đánh số cột "
            "(1, 2, 3=(4+5), 4, …) ngay dưới tiêu đề cột. Hãy đề nghị đơn vị dùng đúng mẫu biểu."
        )
    return result


def _name_single_unit(table: Table, grid: Grid, number_row: NumberRow, path: Path, units: UnitList | None) -> None:
    """A unit's own file may leave the unit column blank: take the name from "Đơn vị: …" or the file name."""
    unit_rows = table.rows_of(UNIT)
    if len(unit_rows) != 1 or unit_rows[0].label:
        return
    name = path.stem
    for r in range(grid.top, number_row.row):
        for c in range(grid.left, grid.right):
            text = _text(grid.raw(r, c))
            if fold(text).startswith(("don vi", "co quan")) and ":" in text:
                name = text.split(":", 1)[1].strip()
    row = unit_rows[0]
    row.label = row.unit = name
    if units is not None and (matched := units.match(name)):
        row.unit, row.group = matched.name, matched.group
