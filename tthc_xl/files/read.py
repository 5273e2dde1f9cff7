"""Find the report table in a unit's workbook or CSV and read it by layout column number.

A table is found by its number row (`1 2 3=(4+5) 4 5 …`, blank spacer columns allowed), with the
header rows above it and the unit, total and percentage rows below. Files are opened read-only.

Files are not trusted: `safe_open` decides from the bytes what a file is and refuses, with a message
for the clerk, what must not be parsed (zip bombs, XML entity declarations, encrypted packages,
PDFs or web pages named `.xls`), and trims sheets to MAX_SHEET_ROWS × MAX_SHEET_COLS before calamine
loads them. Cells calamine reads as blank although they are not — a formula saved without its
result, an error value such as `#REF!` — are reported as unreadable, never read as 0.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import re
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import python_calamine

from tthc_xl.core.a1 import cell_ref, column_letters, parse_ref
from tthc_xl.core.fit import Fit, best_fit
from tthc_xl.core.infer import columns_of, infer as infer_layout
from tthc_xl.core.layouts import Layout, missing_rule_columns
from tthc_xl.core.levels import level_findings, split_levels
from tthc_xl.core.model import DOCUMENT_SUFFIXES, ERROR, GROUP, PERCENT, TOTAL, UNIT, Cell, Finding, Row, Table
from tthc_xl.core.vocabulary import load_vocabulary
from tthc_xl.core.contract import NOT_SENT
from tthc_xl.core.numbers import NotANumber, format_number, parse_number
from tthc_xl.files.grid import Grid, NumberRow, _column_number, find_number_rows  # noqa: F401 - Grid, find_number_rows: public here too
from tthc_xl.files.safe_open import ReadError  # noqa: F401 - defined there, public here: `from tthc_xl.files.read import ReadError`
from tthc_xl.files.safe_open import MAX_SHEET_COLS, MAX_SHEET_ROWS, lock_file_message, open_workbook, password_message, read_bytes, sniff
from tthc_xl.core.text import fold
from tthc_xl.core.units import UnitList, name_key

SPREADSHEETS = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"}
WORD = {".docx", ".docm"}
CONVERTED = {".doc", ".odt", ".rtf"}  # read through LibreOffice, converted to .docx
DOCUMENTS = set(DOCUMENT_SUFFIXES)  # WORD, CONVERTED and .pdf
READABLE = SPREADSHEETS | {".csv"} | DOCUMENTS
MAX_ROWS = MAX_SHEET_ROWS  # rows below a table (a million blank rows) are not read
CSV_MAX_BYTES = 16 * 2**20  # a CSV is read up to here (far more than MAX_ROWS rows)
_ROMAN = re.compile(r"^(i{1,3}|iv|v|vi{0,3}|ix|x)\.?$")
_GROUP_WORDS = ("cap tinh", "cap huyen", "cap xa", "khoi ", "nhom ", "so, nganh", "so nganh", "ubnd cap xa", "ubnd cap huyen")
_FOOTER_WORDS = ("nguoi lap", "nguoi ky", "thu truong", "noi nhan", "ghi chu", "xac nhan", "giam doc", "chanh van phong")
_HEADER_MAX = 5
_NOT_SENT = fold(NOT_SENT)


class UncomputedFormula(str):
    """What a formula cell saved without its result says: the clerk must open and save the file in Excel."""

    def __new__(cls, formula: str):
        shown = f"={formula}" if formula else "công thức"
        text = f"{shown} (công thức chưa được tính: hãy mở tệp bằng Excel, bấm Lưu rồi gửi lại)"
        self = super().__new__(cls, text)
        self.formula = formula
        return self


class RecomputedFormula(str):
    """A formula cell whose stored result could not be trusted, computed here from the cells it names."""

    def __new__(cls, formula: str, value):
        self = super().__new__(cls, f"={formula}")
        self.formula, self.value = formula, value
        return self

    def __reduce__(self):
        return RecomputedFormula, (self.formula, self.value)


_FORMULA_TOKEN = re.compile(r"\s*(?:(SUM)\s*\(|(\$?[A-Z]{1,3}\$?\d+)(?::(\$?[A-Z]{1,3}\$?\d+))?|(\d+(?:\.\d+)?)|([-+*/(),]))", re.I)


def recompute(grid: Grid, where: tuple[int, int], depth: int = 0, filled: list | None = None):
    """The value of the formula at `where` when it is simple arithmetic over cells of the sheet
    (`D9+E9`, `F9-H9-I9`, `SUM(C9:C24)`, `2*C9`), the cells it names computed the same way; else None.
    `filled` gets an entry for each non-blank cell the formula reads in the end."""
    formula = grid.formulas.get(where)
    if formula is None or depth > 32:
        return None
    tokens = []
    pos = 0
    text = formula.strip().lstrip("=")
    while pos < len(text):
        match = _FORMULA_TOKEN.match(text, pos)
        if not match or match.end() == pos:
            return None
        tokens.append(match)
        pos = match.end()

    def cell(ref: str):
        r, c = parse_ref(ref)
        if (r, c) in grid.errors:
            raise ValueError(ref)
        if (r, c) in grid.formulas and (grid.recalc or grid.raw(r, c) is None):
            value = recompute(grid, (r, c), depth + 1, filled)
            if value is None:
                raise ValueError(ref)
            return value
        raw = grid.raw(r, c)
        if raw is not None and filled is not None:
            filled.append(raw)
        return parse_number(raw)

    def cells(first: str, last: str):
        (r1, c1), (r2, c2) = parse_ref(first), parse_ref(last)
        if (r2 - r1 + 1) * (c2 - c1 + 1) > 100_000:
            raise ValueError(first)
        return sum(cell(cell_ref(r, c)) for r in range(min(r1, r2), max(r1, r2) + 1) for c in range(min(c1, c2), max(c1, c2) + 1))

    index = 0

    def peek():
        return tokens[index] if index < len(tokens) else None

    def take():
        nonlocal index
        index += 1
        return tokens[index - 1]

    def atom():
        token = take()
        if token[1]:  # SUM(
            total = 0
            while True:
                following = peek()
                if following is not None and following[5] == ")":
                    take()
                    return total
                total += expression()
                separator = take()
                if separator[5] == ")":
                    return total
                if separator[5] != ",":
                    raise ValueError(formula)
        if token[2]:
            return cells(token[2], token[3]) if token[3] else cell(token[2])
        if token[4]:
            return float(token[4])
        if token[5] == "(":
            value = expression()
            if take()[5] != ")":
                raise ValueError(formula)
            return value
        if token[5] in "+-":
            return atom() if token[5] == "+" else -atom()
        raise ValueError(formula)

    def term():
        value = atom()
        while (following := peek()) is not None and following[5] in ("*", "/"):
            take()
            divisor = atom()
            value = value * divisor if following[5] == "*" else value / divisor
        return value

    def expression():
        value = term()
        while (following := peek()) is not None and following[5] in ("+", "-"):
            take()
            value = value + term() if following[5] == "+" else value - term()
        return value

    try:
        value = expression()
        if index != len(tokens):
            return None
    except (ValueError, IndexError, TypeError, ZeroDivisionError, NotANumber):
        return None
    value = round(value, 9)
    return int(value) if float(value).is_integer() else value


def _stores_results(grid: Grid) -> bool:
    """Whether a workbook that asks to be recalculated on load still stores real results: a formula's stored
    figure, not 0, equals what the cells it names give (XlsxWriter stores 0 for every formula)."""
    if grid.results_stored is None:
        grid.results_stored = False
        for (r, c) in grid.formulas:
            stored = grid.raw(r, c)
            if isinstance(stored, (int, float)) and not isinstance(stored, bool) and stored != 0:
                if recompute(grid, (r, c)) == stored:
                    grid.results_stored = True
                    break
    return grid.results_stored


def read_grids(path: Path) -> list[Grid]:
    """Every sheet of a workbook (or the one of a CSV) as a Grid. Raises ReadError.

    The file is opened read-only and examined before calamine parses it (see `safe_open`).
    """
    path = Path(path)
    name = path.name
    if name.startswith("~$"):
        raise ReadError(lock_file_message(name))
    if not path.is_file():
        raise ReadError(f"Không tìm thấy tệp {path}.")
    suffix = path.suffix.lower()
    if suffix not in READABLE:
        raise ReadError(
            f"Tệp {name} không phải bảng tính (.xlsx, .xls, .ods, .csv) hay văn bản (.docx, .doc, .odt, .rtf, .pdf): "
            "hãy đề nghị đơn vị gửi lại đúng định dạng."
        )
    try:
        data = read_bytes(path)
    except OSError as exc:
        reason = "không có quyền đọc" if isinstance(exc, PermissionError) else exc.strerror or exc
        raise ReadError(f"Không đọc được tệp {name} ({reason}): hãy kiểm tra quyền đọc tệp hoặc chép tệp sang thư mục khác rồi chạy lại.") from None
    if suffix in DOCUMENTS:
        return _document_grids(path, data)
    if suffix == ".csv" and sniff(data[:4096]) not in ("zip", "ole"):
        return [_read_csv(path, data)]
    opened = open_workbook(path, data)
    try:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(opened.data))
        grids = []
        for meta in book.sheets_metadata:
            sheet = book.get_sheet_by_name(meta.name)
            start = sheet.start or (0, 0)
            values, top, left, clipped = _within_limits(sheet.to_python(skip_empty_area=True, nrows=MAX_ROWS), *start)
            grids.append(
                Grid(
                    sheet=meta.name,
                    values=values,
                    top=top,
                    left=left,
                    merges=list(sheet.merged_cell_ranges or []),
                    hidden=str(meta.visible) != str(python_calamine.SheetVisibleEnum.Visible),
                    formulas=opened.formulas.get(meta.name, {}),
                    errors=opened.errors.get(meta.name, {}),
                    trimmed=meta.name in opened.trimmed or clipped,
                    hidden_rows=opened.hidden_rows.get(meta.name, set()),
                    recalc=opened.recalc,
                )
            )
        return grids
    except python_calamine.PasswordError:
        raise ReadError(password_message(name)) from None
    except BaseException as exc:  # calamine raises several types for broken files, and a panic of its Rust code
        if not isinstance(exc, Exception) and type(exc).__name__ != "PanicException":  # (pyo3's, a BaseException)
            raise
        raise ReadError(
            f"Không mở được tệp {name} ({type(exc).__name__}): tệp hỏng hoặc không đúng định dạng. "
            "Hãy mở thử bằng Excel, lưu lại thành .xlsx rồi chạy lại, hoặc đề nghị đơn vị gửi lại."
        ) from None


def _document_grids(path: Path, data: bytes) -> list[Grid]:
    """The tables of a Word, OpenDocument, RTF or PDF report (readers imported only when such a file comes)."""
    suffix = path.suffix.lower()
    if not data:
        raise ReadError(f"Tệp {path.name} rỗng (0 byte), không có nội dung: hãy đề nghị đơn vị gửi lại tệp báo cáo.")
    if suffix == ".pdf" or sniff(data[:4096]) == "pdf":
        from tthc_xl.files.pdf import read_pdf_grids

        return read_pdf_grids(path, data)
    from tthc_xl.files.word import read_word_grids

    if suffix in CONVERTED:
        from tthc_xl.files.convert import convert_with_libreoffice

        data = convert_with_libreoffice(path, data, "docx")
    return read_word_grids(path, data)


def _within_limits(values: list[list], top: int, left: int) -> tuple[list[list], int, int, bool]:
    """The block cut at MAX_SHEET_ROWS × MAX_SHEET_COLS, for small sheets safe_open let through unscanned."""
    rows, cols = MAX_SHEET_ROWS - top, MAX_SHEET_COLS - left
    if rows <= 0 or cols <= 0:
        return [], 0, 0, bool(values)
    if len(values) <= rows and max(map(len, values), default=0) <= cols:
        return values, top, left, False
    clipped = len(values) > rows or any(v != "" for row in values for v in row[cols:])
    return [row[:cols] for row in values[:rows]], top, left, clipped


def _read_csv(path: Path, data: bytes | None = None) -> Grid:
    """A CSV as one grid: UTF-8 (with or without BOM), UTF-16 (Excel's "Unicode Text") or Windows-1258."""
    if data is None:
        with open(path, "rb") as handle:
            data = handle.read(CSV_MAX_BYTES + 1)
    if len(data) > CSV_MAX_BYTES:
        data = data[: data.rfind(b"\n", 0, CSV_MAX_BYTES) + 1 or CSV_MAX_BYTES]
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = data.decode("utf-16", errors="replace")
    else:
        for encoding in ("utf-8-sig", "cp1258"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            text = data.decode("utf-8", errors="replace")
    text = text.replace("\x00", "")
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        rows = list(itertools.islice(csv.reader(io.StringIO(text), dialect), MAX_ROWS))
    except csv.Error as exc:
        raise ReadError(f"Tệp {path.name} không đọc được dạng CSV ({exc}): hãy mở bằng Excel, lưu thành .xlsx rồi chạy lại.") from None
    return Grid(sheet=path.stem, values=[[v.strip() for v in row] for row in rows])


def header_paths(grid: Grid, number_row: NumberRow) -> tuple[dict[int, tuple[str, ...]], int]:
    """Header text path of each numbered column, read upwards from the number row; and the first header row."""
    cols = number_row.columns
    top = number_row.row
    for row in range(number_row.row - 1, max(number_row.row - 1 - _HEADER_MAX, grid.top - 1), -1):
        values = grid.raw_row(row, cols.values())
        filled = len(values) - values.count(None)
        # A header row has two texts or more; or one, beside cells merged down from the rows above it
        # ("Trực tuyến" alone under "Trong đó"), which a title line never has.
        if filled < 2 and not (filled == 1 and any(r1 < row <= r2 for (r1, _), (r2, _) in grid.merges)):
            break
        top = row
    # Every unit's file of a layout has the same header: its paths are made once. The key is all they
    # are made of: the header rows, the merged ranges over them with their values, where they sit.
    key = (
        grid.top, grid.left, top, number_row.row, tuple(cols.items()),
        tuple(map(tuple, grid.values[top - grid.top : number_row.row - grid.top])),
        tuple((m, grid.raw(*m[0])) for m in grid.merges if m[0][0] < number_row.row and m[1][0] >= top),
    )
    paths = _HEADERS.get(key)
    if paths is None:
        if len(_HEADERS) > 256:
            _HEADERS.clear()  # as _MATCHES
        paths = _HEADERS[key] = _paths(grid, cols, top, number_row.row)
    return dict(paths), top


_HEADERS: dict[tuple, dict[int, tuple[str, ...]]] = {}


def _paths(grid: Grid, cols: dict[int, int], top: int, bottom: int) -> dict[int, tuple[str, ...]]:
    paths: dict[int, list[str]] = {n: [] for n in cols}
    for row in range(top, bottom):
        for path, value in zip(paths.values(), grid.at_row(row, cols.values())):
            if value is None:
                continue
            text = _squeezed(value) if type(value) is str else " ".join(str(value).split())
            if text and (not path or path[-1] != text):
                path.append(text)
    return {n: tuple(path) for n, path in paths.items()}


@lru_cache(maxsize=4096)  # header texts are the same in every unit's file
def _squeezed(text: str) -> str:
    return " ".join(text.split())


def match_layout(
    number_row: NumberRow, headers: dict[int, tuple[str, ...]], layouts: dict[str, Layout], infer: bool = True
) -> tuple[Layout | None, Fit | None]:
    """(layout, None): the layout whose columns fit, else one inferred from the number row or the header.

    (None, nearest): nothing fits and nothing can be inferred; `nearest` says column by column how the
    nearest layout differs. A layout is never chosen by its column count or a few shared words.
    """
    vocabulary = load_vocabulary()
    # Every unit's file of one layout has the same number row and header: each is matched once. The key holds
    # the layouts by identity, and the entry the layouts themselves, so an identity is not reused while cached.
    chosen = tuple(layouts.values())
    key = (
        tuple(map(id, chosen)), tuple(layouts), id(vocabulary), infer,
        tuple(number_row.columns), tuple(number_row.spelled.items()), tuple(headers.items()),
    )
    found = _MATCHES.get(key)
    if found is None:
        if len(_MATCHES) > 256:
            _MATCHES.clear()  # a clerk's files use a few layouts; clearing is safe beside the server's other threads
        found = _MATCHES[key] = (chosen, vocabulary, *_match(number_row, headers, layouts, infer, vocabulary))
    return found[2], found[3]


_MATCHES: dict[tuple, tuple] = {}


def _match(number_row: NumberRow, headers: dict[int, tuple[str, ...]], layouts: dict[str, Layout], infer: bool, vocabulary) -> tuple[Layout | None, Fit | None]:
    numbers = set(number_row.columns)
    layout, nearest = best_fit(layouts, numbers, number_row.spelled, headers, vocabulary)
    if layout is not None or not infer:
        return layout, nearest
    inferred = infer_layout(number_row.spelled, numbers, headers, vocabulary, _label_number(headers))
    return (inferred, None) if inferred is not None else (None, nearest)


def _label_number(headers: dict[int, tuple[str, ...]]) -> int | None:
    for n, path in headers.items():
        text = fold(" ".join(path))
        if any(w in text for w in ("don vi", "ten ", "linh vuc", "noi dung", "co quan")) or text == "ten":
            return n
    return 2 if 2 in headers else None


_TOTAL_START = re.compile(r"^(tong cong|tong so|tong|cong)(?!\w)(.*)$")


def classify(label: str, order) -> str:
    text = fold(label)
    if _is_total(text, order):
        return TOTAL
    if text.startswith("ty le") or text == "%":
        return PERCENT
    if _ROMAN.match(fold(order)) or text.startswith(_GROUP_WORDS):
        return GROUP
    return UNIT


def _is_total(text: str, order) -> bool:
    """"Tổng cộng", "Tổng số", "Cộng:", "TONG CONG (I+II)": the total words, whole, at the start of the folded label.

    A unit's name may start with the same letters: "Tổng công ty Điện lực …", "Tổng cục Thuế", "Công an tỉnh".
    "Tổng" or "Cộng" followed by a word, "tổng công ty", and a numbered row (STT 1, 2 …) are units."""
    match = _TOTAL_START.match(text)
    if not match:
        return False
    word, rest = match[1], match[2].strip()
    if word in ("tong", "cong") and rest[:1].isalpha():
        return False
    if word == "tong cong" and rest.split()[:1] == ["ty"]:
        return False
    return not (order and order.replace(".", "").isdigit())


def read_table(grid: Grid, number_row: NumberRow, layout: Layout, file: str, units: UnitList | None = None, end: int | None = None) -> Table:
    """The rows under the number row (up to row `end`, excluded), keyed by layout column, each cell with its address."""
    numbers = set(layout.numbers)
    cols = {n: c for n, c in number_row.columns.items() if n in numbers}
    label_number, order_number = layout.label_column, layout.order_column
    label_col = cols.get(label_number) if label_number else None
    order_col = cols.get(order_number) if order_number else None
    span = sorted(set(cols.values()))
    # (layout column, sheet column, its letters, its place in `span`) of each count column
    counts = [(n, cols[n], column_letters(cols[n]), span.index(cols[n])) for n in layout.count_columns if n in cols]
    unreadable = grid.errors.keys() | grid.formulas.keys()  # cells calamine reads as blank although they are not
    rows: list[Row] = []
    group = ""
    spacer = False  # a blank row seen since the last row read
    for r in range(number_row.row + 1, grid.bottom if end is None else min(end, grid.bottom)):
        values = grid.raw_row(r, span)
        if all(v is None for v in values) and not (unreadable and any((r, c) in unreadable for c in span)):
            if rows and rows[-1].kind in (TOTAL, PERCENT):
                break  # the table ends with its total
            spacer = bool(rows)  # a blank spacer row inside the table does not end it
            continue
        label = _text(grid.at(r, label_col)) if label_col is not None else ""
        order = _text(grid.at(r, order_col)) if order_col is not None else ""
        if not label and order and not order.replace(".", "").isdigit() and not _ROMAN.match(fold(order)):
            label, order = order, ""  # "Tổng cộng" merged over the STT and unit columns
        if fold(label).startswith(_FOOTER_WORDS):
            break
        kind = classify(label, order)
        if spacer and kind == UNIT and not (order and (order.replace(".", "").isdigit() or _ROMAN.match(fold(order)))):
            break  # after a blank row, a row with no STT that is no total: what follows the table (a note, a signature)
        spacer = False
        cells = {}
        number = str(r + 1)
        for n, c, column, i in counts:
            value, raw = _read_count(grid, r, c, values[i])
            # Interned: every unit's file has its figures in the same cells, and a worker's answer then
            # carries each address once (pickle sends an object it has sent before as a reference).
            cells[n] = Cell(sys.intern(column + number), value, raw)
        if kind == GROUP:
            group = label
        unit = " ".join(label.split())
        if unit == label:
            unit = label  # one string, not two alike
        if kind == UNIT and units is not None:
            matched = units.match(label)
            if matched:
                unit, group = matched.name, matched.group or group
        rows.append(Row(kind, label, cells, unit, sys.intern(cell_ref(r, label_col)) if label_col is not None else "", group, hidden=r in grid.hidden_rows))
        if kind == PERCENT:
            _as_percent(cells)
            break  # what follows the percentage row (previous period, signatures) is not the table
    return Table(file=file, sheet=grid.sheet, layout=layout, rows=rows, first_row=number_row.row + 2)


def hidden_row_findings(table: Table) -> list[Finding]:
    """Each hidden row of a table that holds figures: read and counted like the others, and said so (“dòng bị ẩn”)."""
    found = []
    for row in table.rows:
        if row.hidden and not row.blank:
            line = row.label_ref[1:].lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ") if row.label_ref else ""
            where = f"dòng {line}" if line else "một dòng"
            found.append(
                Finding(
                    table.file, table.sheet, row.label_ref, row.unit or row.label, "dòng bị ẩn", ERROR,
                    f"Tệp {Path(table.file).name} (trang “{table.sheet}”): {where} “{row.label}” đang bị ẩn (ẩn dòng hoặc bị lọc "
                    "bằng bộ lọc) nhưng vẫn có số liệu; số liệu này đã được đọc như các dòng khác. Nếu đó là số liệu cũ, hãy đề nghị "
                    "đơn vị xóa dòng đó; nếu đúng, hãy bỏ ẩn dòng rồi tổng hợp lại.",
                )
            )
    return found


def _read_count(grid: Grid, row: int, col: int, raw):
    """(value, raw) of a count cell whose `grid.raw` is `raw`; value None when it holds no number (the raw then says what it holds)."""
    if grid.errors or grid.formulas:
        where = (row, col)
        if where in grid.errors:
            return None, grid.errors[where]
        if where in grid.formulas and (raw is None or (grid.recalc and not _stores_results(grid))):
            filled: list = []
            value = recompute(grid, where, filled=filled)
            try:
                stored = None if raw is None else parse_number(raw)
            except NotANumber:
                stored = None
            if value is None:
                if stored:  # recalculated on load, but with real results stored (not XlsxWriter's 0): those are the figures
                    return stored, raw
                return None, UncomputedFormula(grid.formulas[where])
            if not filled:
                return value, None  # a formula over blank cells (a unit that has not reported): blank, as Excel shows it
            if stored == value:
                return value, raw  # the stored result was right
            return value, RecomputedFormula(grid.formulas[where], value)
    if type(raw) is str and _COMMA_GROUPS.match(raw.strip()):
        if grid.convention is None:
            grid.convention = _number_convention(grid)
        if grid.convention != "en":
            return None, raw.strip()  # "2,000": two thousand, or two with three decimals? As typed, for the clerk to say
        return int(raw.strip().replace(",", "")), raw
    try:
        return parse_number(raw), raw
    except NotANumber:
        if isinstance(raw, str) and fold(raw) == _NOT_SENT:
            return parse_number(None), None  # the master's own mark of a unit that has not reported: a blank cell
        return None, _shown(raw)


_COMMA_GROUPS = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+$")  # 2,000 / 1,234,567: English thousands, or a Vietnamese decimal
_EN_ONLY = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+\.\d+$|^[+-]?\d{1,3}(?:,\d{3}){2,}$")  # 1,234.5 / 1,234,567
_VI_ONLY = re.compile(r"^[+-]?\d{1,3}(?:\.\d{3})+(?:,\d+)?$|^[+-]?\d+,\d{1,2}$")  # 1.234 / 1.234,5 / 68,75


def _number_convention(grid: Grid) -> str:
    """"en" when the sheet's own figures write thousands with commas (1,234,567 or 1,234.5) and never the
    Vietnamese way (1.234, 68,75); else "vi". Only "en" settles what `2,000` means."""
    english = vietnamese = False
    for line in grid.values:
        for value in line:
            if type(value) is str and value[:1].isdigit() and len(value) < 24:
                text = value.strip()
                english = english or bool(_EN_ONLY.match(text))
                vietnamese = vietnamese or bool(_VI_ONLY.match(text))
    return "en" if english and not vietnamese else "vi"


def _shown(raw):
    """A value as the clerk sees it in Excel: dates as dd/mm/yyyy (a figure typed into a date-formatted cell)."""
    if isinstance(raw, dt.datetime):
        text = f"{raw:%d/%m/%Y %H:%M}" if (raw.hour, raw.minute) != (0, 0) else f"{raw:%d/%m/%Y}"
    elif isinstance(raw, dt.date):
        text = f"{raw:%d/%m/%Y}"
    elif isinstance(raw, dt.time):
        text = f"{raw:%H:%M:%S}"
    elif isinstance(raw, dt.timedelta):
        text = str(raw)
    else:
        return raw
    return f"{text} (ô đang định dạng ngày giờ)"


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


@dataclass(slots=True)  # one per file read: 20 000 of them for a large folder
class FileResult:
    """What reading one file gave: its tables, or an error message for the clerk."""

    file: str
    tables: list[Table] = field(default_factory=list)
    error: str = ""
    notes: list[str] = field(default_factory=list)
    level_tables: list[Table] = field(default_factory=list)  # a document's province/commune tables, checked against `tables`
    findings: list[Finding] = field(default_factory=list)  # what the file's tables say about each other (levels)


def read_file(path: str | Path, layouts: dict[str, Layout], form: str | None = None, units: UnitList | None = None) -> FileResult:
    """Every report table in a file. Never raises for a clerk's mistake: see `error`."""
    path = Path(path)
    try:
        grids = read_grids(path)
    except ReadError as exc:
        return FileResult(str(path), error=str(exc))
    return read_grids_tables(grids, path, layouts, form, units)


def read_grids_tables(grids: list[Grid], path: Path, layouts: dict[str, Layout], form: str | None = None, units: UnitList | None = None) -> FileResult:
    """Every report table in some sheets' values (from a file, or from an open workbook through xlwings).

    Hidden sheets are skipped (a note names those that hold a table). A sheet may hold several tables
    with the same numbered columns, one under the other (two units, or the header repeated at a page
    break): each is read up to the next one's header. When two tables of one sheet report the same
    unit (this period's and an old one), which one is the report is the clerk's call, not the tool's:
    the file is refused with a message saying so.
    """
    path = path if isinstance(path, Path) else Path(path)
    result = FileResult(str(path))
    choices = {form: layouts[form]} if form else layouts
    hidden_tables: list[str] = []
    unknown = ""
    refused: list[str] = []  # tables no layout fits, each with its message
    for grid in grids:
        numbered = find_number_rows(grid)
        if grid.hidden:
            if numbered:
                hidden_tables.append(grid.sheet)
                result.notes.append(
                    f"Bỏ qua trang ẩn “{grid.sheet}” trong tệp {path.name} (trang này có bảng số liệu, có thể là số liệu cũ): "
                    "nếu đó mới là báo cáo kỳ này, hãy bỏ ẩn trang rồi chạy lại."
                )
            continue
        if grid.trimmed:
            result.notes.append(
                f"Trang “{grid.sheet}” trong tệp {path.name} có dữ liệu dài quá {format_number(MAX_SHEET_ROWS)} dòng hoặc rộng quá "
                f"{MAX_SHEET_COLS} cột; phần thừa không được đọc (nên xóa các dòng, cột thừa cho tệp nhẹ hơn)."
            )
        stacks = _stacks(numbered)
        starts = [n for stack in stacks for n in stack]
        tables: list[tuple[NumberRow, Table]] = []
        for number_row in starts:
            headers, _ = header_paths(grid, number_row)
            layout, nearest = match_layout(number_row, headers, choices, infer=not form)
            if layout is None:
                refused.append(_unknown_layout(path, grid, number_row, choices, nearest))
                unknown = unknown or refused[-1]
                continue
            stack = next(s for s in stacks if number_row in s)
            below = stack.index(number_row) + 1
            end = header_paths(grid, stack[below])[1] if below < len(stack) else None
            table = read_table(grid, number_row, layout, result.file, units, end=end)
            if table.rows:
                _name_single_unit(table, grid, number_row, path, units)
                tables.append((number_row, table))
        if starts and not tables and not unknown:
            result.notes.append(f"Bảng trong tệp {path.name} (trang “{grid.sheet}”) chưa có dòng số liệu nào.")
        if len(tables) > 1:
            conflict = _same_unit_twice(tables, grid, path)
            if conflict:
                return FileResult(str(path), error=conflict, notes=result.notes)
            result.notes.append(
                f"Trang “{grid.sheet}” trong tệp {path.name} có {len(tables)} bảng số liệu (hàng đánh số cột ở dòng "
                f"{_rows(n for n, _ in tables)}), mỗi bảng của các đơn vị khác nhau: đã đọc cả {len(tables)} bảng."
            )
        result.tables += [table for _, table in tables]
    uncomputed = [
        f"{c.ref}" for t in result.tables for r in t.rows for c in r.cells.values() if isinstance(c.raw, UncomputedFormula)
    ]
    recomputed = [c.ref for t in result.tables for r in t.rows for c in r.cells.values() if isinstance(c.raw, RecomputedFormula)]
    if recomputed:
        shown = ", ".join(recomputed[:8]) + (", …" if len(recomputed) > 8 else "")
        result.notes.append(
            f"Tệp {path.name} có {len(recomputed)} ô công thức mà kết quả lưu trong tệp không tin được (tệp do một chương trình "
            f"không tính công thức ghi ra, hoặc thiếu kết quả): đã tính lại từ các ô của bảng ({shown})."
        )
    ambiguous = [
        f"{c.ref} “{c.raw}”" for t in result.tables for r in t.rows for c in r.cells.values()
        if c.value is None and type(c.raw) is str and _COMMA_GROUPS.match(c.raw)
    ]
    if ambiguous:
        shown = ", ".join(ambiguous[:8]) + (", …" if len(ambiguous) > 8 else "")
        result.notes.append(
            f"Tệp {path.name} ghi số có dấu phẩy ({shown}): không rõ là số nghìn theo kiểu nước ngoài (2,000 = hai nghìn) hay "
            "số lẻ (2,000 = hai), nên các ô này chưa được đọc. Hãy đề nghị đơn vị ghi số không có dấu phân cách hoặc theo kiểu "
            "Việt Nam (2.000)."
        )
    if uncomputed:
        shown = ", ".join(uncomputed[:8]) + (", …" if len(uncomputed) > 8 else "")
        result.notes.append(
            f"Tệp {path.name} có {len(uncomputed)} ô công thức chưa được tính ({shown}): tệp được lưu bởi một chương trình "
            "không tính công thức, nên các ô này không được đọc (không coi là 0). Hãy mở tệp bằng Excel, bấm Lưu rồi gửi lại."
        )
    _split_levels(result, path)
    if result.tables:
        result.error = ""
        result.notes += refused  # the file's other tables were read; these were not, and the clerk is told why
    elif unknown:
        result.error = unknown
    elif hidden_tables:
        result.error = (
            f"Tệp {path.name} chỉ có bảng số liệu ở trang ẩn ({', '.join(f'“{s}”' for s in hidden_tables)}): nếu đó là báo cáo "
            "kỳ này, hãy bỏ ẩn trang (nhấp chuột phải vào tên trang › Bỏ ẩn), lưu lại rồi chạy lại."
        )
    elif not grids and path.suffix.lower() in DOCUMENTS:
        result.error = (
            f"Văn bản {path.name} không có bảng nào: nếu đây là công văn gửi kèm, hãy để nó ngoài thư mục báo cáo; nếu là "
            "báo cáo, hãy đề nghị đơn vị gửi kèm phụ lục số liệu (bảng có hàng đánh số cột)."
        )
    else:
        result.error = (
            f"Không tìm thấy bảng số liệu trong tệp {path.name}: bảng cần có hàng đánh số cột "
            "(1, 2, 3=(4+5), 4, …) ngay dưới tiêu đề cột. Hãy đề nghị đơn vị dùng đúng mẫu biểu."
        )
    return result


def _stacks(numbered: list[NumberRow]) -> list[list[NumberRow]]:
    """The number rows by table column: tables one under the other number the same columns over the same
    sheet columns (each is read up to the next one's header); a table beside them is a stack of its own."""
    stacks: list[list[NumberRow]] = []
    for number_row in numbered:
        span = (min(number_row.columns.values()), max(number_row.columns.values()))
        for stack in stacks:
            first = stack[0]
            if set(first.columns) == set(number_row.columns) and min(first.columns.values()) <= span[1] and span[0] <= max(first.columns.values()):
                stack.append(number_row)
                break
        else:
            stacks.append([number_row])
    return stacks


def _split_levels(result: FileResult, path: Path) -> None:
    """A document with an all-units table and its level tables: the whole is read, the levels checked against it."""
    split = split_levels(result.tables)
    if split is None:
        return
    whole, levels = split
    result.tables, result.level_tables = [whole], levels
    result.findings += level_findings(whole, levels)
    result.notes.append(
        f"Tệp {path.name} có bảng toàn bộ các đơn vị ({whole.sheet}) và {len(levels)} bảng theo cấp "
        f"({', '.join(t.sheet for t in levels)}): đã tổng hợp bảng toàn bộ và đối chiếu từng dòng, dòng tổng của các cấp với nó."
    )


def _rows(number_rows) -> str:
    """"8 và 30", "8, 30 và 52": sheet rows (1-based) of number rows."""
    numbers = [str(n.row + 1) for n in number_rows]
    return numbers[0] if len(numbers) == 1 else f"{', '.join(numbers[:-1])} và {numbers[-1]}"


def _unknown_layout(path: Path, grid: Grid, number_row: NumberRow, choices: dict[str, Layout], nearest: Fit | None) -> str:
    """The clerk's message for a table no layout fits: the nearest layout, what differs, and how to write a layout file."""
    missing = missing_rule_columns(number_row.spelled)
    if missing:
        rule, column = missing[0]
        last = max(number_row.columns)
        return (
            f"Bảng trong tệp {path.name} (trang “{grid.sheet}”, hàng đánh số cột ở dòng {number_row.row + 1}) ghi quy tắc "
            f"“{rule}” nhưng hàng đánh số cột chỉ liền mạch từ 1 đến {last}, không có cột {column}: các cột sau cột {last} "
            "không đọc được. Hãy sửa hàng đánh số cột (các số liên tiếp 1, 2, 3=(4+5), 4, 5, …) rồi gửi lại; tệp chưa được tổng hợp."
        )
    known = ", ".join(f"{name}: {max(layout.numbers)} cột" for name, layout in choices.items())
    message = (
        f"Bảng trong tệp {path.name} (trang “{grid.sheet}”, hàng đánh số cột ở dòng {number_row.row + 1}) có "
        f"{max(number_row.columns)} cột đánh số, không khớp mẫu biểu nào đã biết ({known}) nên không được đọc "
        "(không đọc theo một mẫu sai)."
    )
    if nearest is not None:
        shown = nearest.differences[:8] + ([f"và {len(nearest.differences) - 8} cột khác"] if len(nearest.differences) > 8 else [])
        message += f" Mẫu gần nhất là {nearest.layout.name}, khác ở: " + "; ".join(shown) + "."
    return message + (
        " Hãy đề nghị đơn vị dùng đúng mẫu biểu. Nếu đây là mẫu mới: ghi quy tắc vào hàng đánh số cột (ví dụ 3=(4+5)), "
        f"hoặc tạo tệp mẫu bằng lệnh «tthc-xl forms --from \"{path}\" -o mau-moi.toml», sửa tệp đó cho đúng rồi chạy lại "
        "với --form mau-moi.toml (hoặc chép tệp vào thư mục mẫu biểu)."
    )


def _same_unit_twice(tables: list[tuple[NumberRow, Table]], grid: Grid, path: Path) -> str:
    """The clerk's message when two tables of one sheet report the same unit, else ""."""
    seen: dict[str, NumberRow] = {}
    for number_row, table in tables:
        for row in table.rows_of(UNIT):
            key = name_key(row.unit)
            if key in seen and seen[key] is not number_row:
                return (
                    f"Trang “{grid.sheet}” của tệp {path.name} có hai bảng số liệu (hàng đánh số cột ở dòng "
                    f"{_rows([seen[key], number_row])}) cùng ghi số liệu của {row.unit}: không rõ bảng nào là báo cáo kỳ này "
                    "nên tệp chưa được tổng hợp. Hãy xóa bảng cũ (hoặc chuyển nó sang một trang khác rồi ẩn trang đó), "
                    "lưu lại rồi chạy lại."
                )
            seen.setdefault(key, number_row)
    return ""


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


def layouts_in_file(path: str | Path, layouts: dict[str, Layout]) -> list[Layout]:
    """The layout of each table of a file: the one it fits, the one inferred from it, or (when neither) its
    columns with no rule, for `tthc-xl forms --from` to write as a file the clerk completes. Raises ReadError."""
    path = Path(path)
    found = []
    for grid in read_grids(path):
        if grid.hidden:
            continue
        for number_row in find_number_rows(grid):
            headers, _ = header_paths(grid, number_row)
            layout, _ = match_layout(number_row, headers, layouts)
            if layout is None:
                columns = columns_of(headers, number_row.columns, load_vocabulary(), _label_number(headers))
                layout = Layout(name="mau-moi", title="", columns=tuple(columns), rules=(), source="")
            if all(layout.signature != other.signature for other in found):
                found.append(layout)
    return found
