"""The Excel buttons: the master model rendered onto an open workbook through xlwings.

`consolidate()`, `check()`, `clear_marks()`, `print_appendix()` and `draft_report()` are what the
VBA subs in macros/TthcXl.bas (desktop, `RunPython`) and the xlwings Server scripts
(tthc_xl/server.py, Office.js add-in) call. Each takes an `xlwings.Book`; on the desktop it
defaults to `xw.Book.caller()`.

The work is the core's (tthc_xl.files.sources, tthc_xl.core.master, tthc_xl.core.rules): this module only
reads the workbook's values into `read.Grid`s and renders a `Consolidation`/`Master` onto the
book, with few calls: one value write per block (the whole table body with its formulas in one
`range.value = 2D list`), base fills as rectangles, marks per flagged cell. On the remote engine
(xlwings Server) every call becomes one action in `book.json()["actions"]`, so the number of
actions depends on the number of flagged cells, not on the size of the table.

What the remote engine (Office.js) cannot do, and what happens instead:
* sheet protection: done by the add-in's JavaScript callback `tthcProtectSheet` (addin/tthc.js),
  called through `app.macro(...)` (the `runMacro` action);
* page layout other than the print area (orientation, margins, repeated rows, footer): done by
  the add-in's callback `tthcPageLayout` (ExcelApi 1.9);
* PDF export and writing files on the clerk's computer (print to PDF, the report .docx): not
  possible; `print_appendix` prepares the page layout and asks the clerk to print from Excel,
  `draft_report` says to use Excel on the desktop or the `tthc-xl` command.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from tthc_xl.core import style
from tthc_xl.files.check import expand_sources
from tthc_xl.files.sources import Consolidation, consolidate_results, read_sources, units_from_table
from tthc_xl.core.layouts import Layout, LayoutError, load_layouts
from tthc_xl.core.master import DERIVED, INPUT, RATIO, SUM, Master, Settings, derived_rules
from tthc_xl.core.model import ERROR, GROUP, PERCENT, TOTAL, UNIT, Finding, Table
from tthc_xl.core.a1 import cell_ref, column_letters
from tthc_xl.files.read import Grid, read_grids_tables
from tthc_xl.core.marks import CHECK_WIDTHS, Link, check_sheet, mark_plan
from tthc_xl.core.contract import (
    CHECK_SHEET, CONF_SHEET, CONTROL_SHEET, FOLDER_NAME, FORM_NAME, MASTER_SHEET, SETTINGS, SETTINGS_SHEET, TABLE_NAME, UNITS_NAME,
)
from tthc_xl.core.rules import check_table
from tthc_xl.core.units import UnitList, UnitListError, is_unit_list_name, load_units
from tthc_xl.files.safe_open import ReadError, confined_file

TITLE = "tthc-xl"
STATUS_ROW = 2  # the status line, on the "Kiểm tra" sheet (A2)
MARK_FILLS = {style.ERROR_FILL, style.WARNING_FILL, style.SUSPECT_FILL}
# JavaScript callbacks of the Office.js add-in (addin/tthc.js), run through the `runMacro` action.
PROTECT_CALLBACK = "tthcProtectSheet"
PAGE_LAYOUT_CALLBACK = "tthcPageLayout"
_LINK = "0563C1"  # Excel's hyperlink blue


class ButtonError(Exception):
    """A button cannot do its work; the message (Vietnamese) says why and what to do."""


# ----------------------------------------------------------------------------------------------
# The buttons
# ----------------------------------------------------------------------------------------------


def consolidate(book=None, root: Path | str | None = None) -> Consolidation | None:
    """Tổng hợp: the unit files of the settings' folder and the unit sheets pasted into the book.

    `root` (xlwings Server): unit files are read only under this folder; the workbook's
    "Thư mục báo cáo đơn vị" is then a folder inside it (blank: the root itself).
    """
    book = _caller(book)
    return _guarded(book, lambda: _consolidate(book, Path(root) if root else None))


def check(book=None) -> list[Finding] | None:
    """Kiểm tra: re-check the master's current values (the clerk's corrections) and mark them."""
    book = _caller(book)
    return _guarded(book, lambda: _check(book))


def clear_marks(book=None) -> int | None:
    """Xóa đánh dấu: every marked cell back to its own fill, the tool's notes deleted."""
    book = _caller(book)
    return _guarded(book, lambda: _clear_marks(book, announce=True))


def print_appendix(book=None) -> Path | None:
    """In phụ lục: clear the marks, apply the print settings, export a PDF (desktop Excel)."""
    book = _caller(book)
    return _guarded(book, lambda: _print_appendix(book))


def draft_report(book=None) -> Path | None:
    """Soạn báo cáo: the report .docx from the master's figures, beside the workbook."""
    book = _caller(book)
    return _guarded(book, lambda: _draft_report(book))


def _caller(book):
    if book is not None:
        return book
    import xlwings as xw

    return xw.Book.caller()


def _guarded(book, work):
    """Run a button; a clerk's problem (ButtonError, a bad form file) becomes a message, not a traceback."""
    try:
        return work()
    except (ButtonError, LayoutError) as exc:
        status(book, f"Không thực hiện được: {exc}", error=True)
        return None


# ----------------------------------------------------------------------------------------------
# Reading the workbook
# ----------------------------------------------------------------------------------------------


@dataclass
class BookSettings:
    settings: Settings
    folder: str = ""
    form: str | None = None
    units: str | None = None
    found: set[str] = field(default_factory=set)  # defined names present in the book


def read_book_settings(book) -> BookSettings:
    """The clerk's settings from the defined names (same names as the openpyxl adapter)."""
    out = BookSettings(Settings())
    for name, _, attribute in SETTINGS:
        value = named_value(book, name)
        if value is not None:
            out.found.add(name)
        if value not in (None, ""):
            setattr(out.settings, attribute, _setting_text(value))
    for name, attribute in ((FOLDER_NAME, "folder"), (FORM_NAME, "form"), (UNITS_NAME, "units")):
        value = named_value(book, name)
        if value is not None:
            out.found.add(name)
        if value not in (None, ""):
            setattr(out, attribute, _setting_text(value))
    return out


def named_value(book, name: str):
    """The value of the first cell a workbook-scoped defined name refers to; None without the name."""
    try:
        target = book.names[name].refers_to_range
    except Exception:  # no such name, or a name that is not a range (each engine raises its own)
        return None
    if target is None:
        return None
    value = target[0, 0].value
    return "" if value is None else value


def _setting_text(value) -> str:
    if isinstance(value, dt.datetime | dt.date):
        return value.strftime("%d/%m/%Y")  # a date typed in "Ngày báo cáo"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def sheet_grid(sheet) -> Grid:
    """A sheet's values as a read.Grid, at their place on the sheet (0-based top/left)."""
    used = sheet.used_range
    values = used.options(ndim=2).value or [[]]
    values = [["" if v is None else v for v in row] for row in values]
    return Grid(sheet=sheet.name, values=values, top=used.row - 1, left=used.column - 1, hidden=not sheet.visible)


def _own_sheets(book) -> set[str]:
    names = {MASTER_SHEET, CHECK_SHEET, SETTINGS_SHEET, CONTROL_SHEET, CONF_SHEET}
    return {n.casefold() for n in names}


def pasted_grids(book) -> list[Grid]:
    """Sheets other than the tool's own, as candidates for unit tables pasted into the workbook."""
    own = _own_sheets(book)
    return [sheet_grid(s) for s in book.sheets if s.name.casefold() not in own and not s.name.startswith("_")]


def _sheet(book, name: str):
    for sheet in book.sheets:
        if sheet.name.casefold() == name.casefold():
            return sheet
    return None


def master_table(book, layouts: dict[str, Layout], form: str | None = None) -> Table | None:
    """The appendix table on the master sheet, read from its current values, with sheet addresses."""
    sheet = _sheet(book, MASTER_SHEET)
    if sheet is None:
        return None
    result = read_grids_tables([sheet_grid(sheet)], Path(book.name), layouts, form)
    if not result.tables:
        return None
    table = result.tables[0]
    table.file = book.name
    return table


def _units(setting: str | None, book, root: Path | None = None) -> UnitList | None:
    if not setting:
        return None
    if root is not None:  # server: a list kept with the program (no suffix), or a file inside the folder
        try:
            return load_units(setting if is_unit_list_name(setting) else confined_file(root, setting, "Danh sách đơn vị"))
        except (ReadError, UnitListError) as exc:
            raise ButtonError(str(exc)) from None
        except (OSError, KeyError, ValueError) as exc:
            raise ButtonError(f"không đọc được danh sách đơn vị “{setting}” (ô {UNITS_NAME}): {exc}") from None
    path = Path(setting)
    if not path.is_absolute() and path.suffix and _book_folder(book):
        path = _book_folder(book) / path
    try:
        return load_units(path if path.suffix else setting)
    except UnitListError as exc:
        raise ButtonError(str(exc)) from None
    except (OSError, KeyError) as exc:
        raise ButtonError(f"không đọc được danh sách đơn vị “{setting}” (ô {UNITS_NAME}): {exc}") from None


def _book_folder(book) -> Path | None:
    try:
        full = Path(book.fullname)
    except Exception:  # the remote engine has no path
        return None
    return full.parent if full.is_absolute() and full.parent.is_dir() else None


def unit_folder(text: str, book, root: Path | None) -> Path | None:
    """The folder of unit files: as the clerk wrote it (desktop), or inside `root` (server)."""
    if root is not None:
        base = root.resolve()
        target = (base / text).resolve() if text else base
        if target != base and base not in target.parents:
            raise ButtonError(
                f"thư mục “{text}” nằm ngoài thư mục báo cáo của máy chủ. Trên máy chủ, ô «Thư mục báo cáo đơn vị» "
                "chỉ ghi tên một thư mục con (ví dụ Thang10-2019) hoặc để trống."
            )
        if not target.is_dir():
            raise ButtonError(f"máy chủ không có thư mục báo cáo “{text or '.'}”.")
        return target
    if not text:
        return None
    path = Path(os.path.expandvars(os.path.expanduser(text)))
    if not path.is_absolute() and _book_folder(book):
        path = _book_folder(book) / path
    if not path.is_dir():
        raise ButtonError(f"không tìm thấy thư mục báo cáo đơn vị “{text}”: hãy kiểm tra ô «Thư mục báo cáo đơn vị».")
    return path


def _files_under(folder: Path, root: Path | None) -> list[Path]:
    files = expand_sources([folder])
    if root is not None:  # no link or junction leads outside the server's folder
        base = root.resolve()
        files = [f for f in files if base in f.resolve().parents]
    return files


# ----------------------------------------------------------------------------------------------
# Consolidate
# ----------------------------------------------------------------------------------------------


def _consolidate(book, root: Path | None) -> Consolidation:
    layouts = load_layouts()
    conf = read_book_settings(book)
    form = conf.form
    if form and form not in layouts:
        raise ButtonError(f"không có mẫu biểu “{form}” (ô {FORM_NAME}). Các mẫu có sẵn: {', '.join(layouts)}.")
    units = _units(conf.units, book, root)
    existing = master_table(book, layouts, form)
    if existing is not None:  # keep the master's own unit rows, as `tthc-xl consolidate` does
        form = form or existing.layout.name
        units = units or units_from_table(existing)
    folder = unit_folder(conf.folder, book, root)
    results = read_sources(_files_under(folder, root), layouts, form, units) if folder else []
    pasted = read_grids_tables(pasted_grids(book), Path(book.name), layouts, form, units)
    if pasted.tables:
        results.append(pasted)
    if not any(r.tables for r in results) and existing is None and form is None:
        where = f"thư mục {folder}" if folder else "ô «Thư mục báo cáo đơn vị» (đang để trống)"
        raise ButtonError(
            f"không tìm thấy bảng số liệu nào của đơn vị: {where} không có tệp báo cáo đọc được và không có trang tính nào "
            "chứa bảng (có hàng đánh số cột 1, 2, 3=(4+5), …)."
        )
    outcome = consolidate_results(results, layouts, form, units, conf.settings, None, output=book.name)
    render(outcome, book)
    master = outcome.master
    errors = sum(1 for f in outcome.findings if f.severity == ERROR)
    reported = len(master.rows_of(UNIT)) - len(master.missing)
    failed = sum(1 for s in outcome.sources if s["status"] != "ok")
    text = (
        f"Đã tổng hợp {reported}/{len(master.rows_of(UNIT))} đơn vị vào trang “{master.sheet}”: "
        f"{errors} lỗi, {len(outcome.findings) - errors} cảnh báo"
        + (f", {failed} tệp không dùng được" if failed else "")
        + (f", {len(master.missing)} đơn vị chưa gửi báo cáo" if master.missing else "")
        + f". Xem trang “{CHECK_SHEET}”."
    )
    status(book, text, error=bool(errors or failed))
    return outcome


# ----------------------------------------------------------------------------------------------
# Rendering the master onto the book
# ----------------------------------------------------------------------------------------------


def is_remote(book) -> bool:
    return book.app.engine.name == "remote"


def render(outcome: Consolidation, book) -> None:
    """Write the master onto the book: table, marks, "Kiểm tra", the table's defined name, print area."""
    master = outcome.master
    _ensure_settings(book, master.settings)
    sheet = _sheet(book, MASTER_SHEET)
    if sheet is None:
        control = _sheet(book, CONTROL_SHEET)
        sheet = book.sheets.add(MASTER_SHEET, after=control) if control else book.sheets.add(MASTER_SHEET, before=book.sheets[0])
        old = None
    else:
        old = _region(book)
    set_protection(book, sheet, False)
    _clear(sheet, old, master)
    write_table(master, sheet)
    in_master = [f for f in outcome.findings if f.file == book.name and f.sheet == master.sheet]
    mark(sheet, in_master)
    write_check_sheet(book, master.sheet, outcome.findings, master.missing, outcome.sources, outcome.notes, book.name)
    _set_table_name(book, master)
    _prepare_print(book, sheet, master)
    set_protection(book, sheet, True, input_ranges(master))


def _ensure_settings(book, settings: Settings) -> None:
    """A workbook without the setting names gets a "Cài đặt" sheet with them (values as read)."""
    names = [n for n, _, _ in SETTINGS] + [FOLDER_NAME]
    if all(_has_name(book, n) for n in names):
        return
    sheet = _sheet(book, SETTINGS_SHEET) or book.sheets.add(SETTINGS_SHEET, after=book.sheets[len(book.sheets) - 1])
    rows = [[label, text_cell(getattr(settings, attribute) or None)] for _, label, attribute in SETTINGS]
    rows.append(["Thư mục báo cáo đơn vị", None])
    sheet.range("A1").value = "CÀI ĐẶT BẢNG TỔNG HỢP"
    sheet.range("A1").font.bold = True
    sheet.range((3, 1), (2 + len(rows), 2)).value = rows
    for index, name in enumerate(names, start=3):
        if not _has_name(book, name):
            book.names.add(name, f"='{SETTINGS_SHEET}'!$B${index}")


def _has_name(book, name: str) -> bool:
    try:
        book.names[name]
        return True
    except Exception:
        return False


def _region(book) -> tuple[int, int] | None:
    """(last row, last column) of the region the previous run wrote (the TTHC_BANG name)."""
    try:
        target = book.names[TABLE_NAME].refers_to_range
    except Exception:
        return None
    return target.last_cell.row, target.last_cell.column


def _clear(sheet, old: tuple[int, int] | None, master: Master) -> None:
    """Forget what the previous run wrote (values, formats, merges, notes) in the old and new region."""
    last_row = max(old[0] if old else 0, _region_end(master))
    last_col = max(old[1] if old else 0, master.last_col)
    region = sheet.range((1, 1), (last_row, last_col))
    delete_notes(sheet, [a for a in note_addresses(sheet) if _inside(a, last_row, last_col)])
    region.unmerge()
    region.clear()


def _region_end(master: Master) -> int:
    return master.last_row + (3 if master.previous else 0)


def _inside(address: str, last_row: int, last_col: int) -> bool:
    row, col = _rc(address)
    return row <= last_row and col <= last_col


def write_table(master: Master, sheet) -> None:
    """Values and formulas in three blocks (title, header, body), then formats in ranges."""
    layout = master.layout
    last_col = master.last_col
    rng = lambda r1, c1, r2, c2: sheet.range((r1, c1), (r2, c2))  # noqa: E731
    # Title block: one write, each row merged across.
    titles = master.title_lines
    rng(1, 1, len(titles), 1).value = [[text_cell(t)] for t in titles]
    title = rng(1, 1, len(titles), last_col)
    title.merge(across=True)
    title.font.size = style.TITLE_SIZE
    title.horizontal_alignment = "center"
    title.vertical_alignment = "center"
    title.wrap_text = True
    rng(1, 1, len(titles) - 1, 1).font.bold = True
    rng(len(titles), 1, len(titles), 1).font.italic = True
    # Header and number row: one write, then the merges.
    texts, merges = master.header_cells()
    texts.update({(master.number_row, n): t for n, t in master.number_row_texts().items()})
    header = [[text_cell(texts.get((row, col))) for col in range(1, last_col + 1)] for row in range(master.header_row, master.number_row + 1)]
    head = rng(master.header_row, 1, master.number_row, last_col)
    head.value = header
    for row1, col1, row2, col2 in merges:
        rng(row1, col1, row2, col2).merge()
    head.color = style.HEADER_FILL
    head.horizontal_alignment = "center"
    head.vertical_alignment = "center"
    head.wrap_text = True
    rng(master.header_row, 1, master.number_row - 1, last_col).font.bold = True
    rng(master.number_row, 1, master.number_row, last_col).font.italic = True
    # Body: every row of the table, formulas as "=…", in one write.
    label_col = layout.label_column or 2
    order_col = layout.order_column or 1
    first, last = master.first_data_row, master.last_row
    body = rng(first, 1, last, last_col)
    body.value = table_values(master)
    for r1, c1, r2, c2, colour in rectangles(base_fills(master)):
        if colour:
            rng(r1, c1, r2, c2).color = colour
    counts = sorted(layout.count_columns)
    for c1, c2 in _runs(counts):
        rng(first, c1, last, c2).number_format = style.COUNT_FORMAT
        rng(first, c1, last, c2).horizontal_alignment = "right"
    for row in master.rows:
        ratios = sorted(n for n, s in row.slots.items() if s.role == RATIO)
        for c1, c2 in _runs(ratios):
            rng(row.row, c1, row.row, c2).number_format = style.PERCENT_FORMAT
    for r1, r2 in _runs([r.row for r in master.rows if r.kind in (GROUP, TOTAL, PERCENT)]):
        rng(r1, 1, r2, last_col).font.bold = True
    body.vertical_alignment = "center"
    rng(first, order_col, last, order_col).horizontal_alignment = "center"
    labels = rng(first, label_col, last, label_col)
    labels.wrap_text = True
    labels.horizontal_alignment = "left"
    for r1, r2 in _runs([r.row for r in master.rows if r.kind in (TOTAL, PERCENT)]):
        rng(r1, label_col, r2, label_col).horizontal_alignment = "center"
    grid = rng(master.header_row, 1, last, last_col)
    grid.borders.line_style = "continuous"
    if master.previous:
        _write_previous(master, sheet)
    title.font.name = style.FONT
    table = rng(master.header_row, 1, _region_end(master), last_col)
    table.font.name = style.FONT
    table.font.size = style.TABLE_SIZE
    # Column widths (characters, as the openpyxl adapter) and frozen header.
    set_column_width(sheet, order_col, order_col, 6)
    set_column_width(sheet, label_col, label_col, 34)
    for c1, c2 in _runs(counts):
        set_column_width(sheet, c1, c2, 10)
    try:
        sheet.freeze_panes.freeze_at(rng(1, 1, master.number_row, label_col))
    except NotImplementedError:
        pass  # an engine without frozen panes: the table works without them


def table_values(master: Master) -> list[list]:
    """The table body as a 2D list: order, label (always text), each slot's formula or value."""
    layout = master.layout
    label_col = layout.label_column or 2
    order_col = layout.order_column or 1
    first = master.first_data_row
    values = [[None] * master.last_col for _ in range(master.last_row - first + 1)]
    for mrow in master.rows:
        line = values[mrow.row - first]
        line[order_col - 1] = mrow.order
        line[label_col - 1] = text_cell(mrow.label)
        for n, slot in mrow.slots.items():
            line[n - 1] = slot.formula if slot.formula else slot.value
    return values


def _write_previous(master: Master, sheet) -> None:
    """The previous period's totals and the change, two rows under the table (as render_xlsx)."""
    total = master.total_row
    before, change = master.last_row + 2, master.last_row + 3
    label_col = master.layout.label_column or 2
    values = [[None] * master.last_col for _ in range(2)]
    values[0][label_col - 1] = "Tổng cộng kỳ trước"
    values[1][label_col - 1] = "Tăng (+), giảm (-) so với kỳ trước"
    for n in master.layout.count_columns:
        letter = column_letters(n - 1)
        values[0][n - 1] = master.previous.get(n, 0)
        values[1][n - 1] = f"={letter}{total.row}-{letter}{before}"
    sheet.range((before, 1), (change, master.last_col)).value = values
    for c1, c2 in _runs(sorted(master.layout.count_columns)):
        sheet.range((before, c1), (before, c2)).number_format = style.COUNT_FORMAT
        sheet.range((change, c1), (change, c2)).number_format = style.CHANGE_FORMAT
        sheet.range((change, c1), (change, c2)).color = style.FORMULA_FILL
    sheet.range((before, label_col), (change, label_col)).font.italic = True


def base_fills(master: Master) -> dict[tuple[int, int], str | None]:
    """The fill of every body cell by its role: inputs white, formulas grey, the rest none."""
    fills: dict[tuple[int, int], str | None] = {}
    for mrow in master.rows:
        for col in range(1, master.last_col + 1):
            slot = mrow.slots.get(col)
            if slot is None:
                fills[(mrow.row, col)] = None
            elif slot.role == INPUT:
                fills[(mrow.row, col)] = style.INPUT_FILL
            elif slot.role in (DERIVED, SUM, RATIO):
                fills[(mrow.row, col)] = style.FORMULA_FILL
            else:
                fills[(mrow.row, col)] = None
    return fills


def input_ranges(master: Master) -> list[str]:
    """A1 ranges of the cells the clerk may type in (unlocked when the sheet is protected)."""
    fills = {k: v for k, v in base_fills(master).items() if v == style.INPUT_FILL}
    return [_address(r1, c1, r2, c2) for r1, c1, r2, c2, _ in rectangles(fills)]


def rectangles(cells: dict[tuple[int, int], object]) -> list[tuple[int, int, int, int, object]]:
    """Cover cells that share a value with few rectangles: vertical runs per column, then equal
    runs of neighbouring columns joined. A table of units gives a handful, however long it is."""
    runs: dict[tuple[int, int, object], list[int]] = {}
    for col in sorted({c for _, c in cells}):
        rows = sorted(r for r, c in cells if c == col)
        start = prev = rows[0]
        for row in rows[1:] + [None]:
            if row is not None and row == prev + 1 and cells[(row, col)] == cells[(start, col)]:
                prev = row
                continue
            runs.setdefault((start, prev, cells[(start, col)]), []).append(col)
            if row is not None:
                start = prev = row
    out = []
    for (r1, r2, value), cols in runs.items():
        for c1, c2 in _runs(cols):
            out.append((r1, c1, r2, c2, value))
    return sorted(out, key=lambda x: (x[1], x[0]))


def _runs(numbers: list[int]) -> list[tuple[int, int]]:
    """Consecutive runs of sorted integers as (first, last)."""
    out: list[tuple[int, int]] = []
    for n in sorted(numbers):
        if out and n == out[-1][1] + 1:
            out[-1] = (out[-1][0], n)
        else:
            out.append((n, n))
    return out


def set_column_width(sheet, col1: int, col2: int, characters: float) -> None:
    """Column width in characters; the remote engine takes points (a digit ~ 7 px, 5 px margin)."""
    width = (characters * 7 + 5) * 0.75 if is_remote(sheet.book) else characters
    sheet.range((1, col1), (1, col2)).column_width = width


# ----------------------------------------------------------------------------------------------
# Marks
# ----------------------------------------------------------------------------------------------


def mark(sheet, findings: list[Finding]) -> list[str]:
    """Colour each flagged cell (neighbours of one colour in one call) and note it; returns the cells."""
    plan = mark_plan(findings)
    paint(sheet, {_rc(ref): colour for ref, (colour, _) in plan.items()})
    for ref, (_, notes) in plan.items():
        add_note(sheet.range(ref), "\n\n".join(notes))
    return list(plan)


def add_note(cell, text: str) -> None:
    try:
        cell.add_note(text)
    except NotImplementedError:
        pass  # an Excel without notes in its add-in API (ExcelApi < 1.18): "Kiểm tra" lists the finding


def paint(sheet, colours: dict[tuple[int, int], str | None]) -> None:
    """Fill cells, one call per horizontal run of one colour in a row."""
    by_row: dict[tuple[int, str | None], list[int]] = {}
    for (row, col), colour in colours.items():
        by_row.setdefault((row, colour), []).append(col)
    for (row, colour), cols in sorted(by_row.items(), key=lambda x: (x[0][0], x[1])):
        for c1, c2 in _runs(cols):
            sheet.range((row, c1), (row, c2)).color = colour


def note_addresses(sheet) -> list[str]:
    """A1 addresses of the cells of a sheet that have a note."""
    if is_remote(sheet.book):  # the Office.js client sends which cells have a note
        return [n["address"].replace("$", "") for n in sheet.api.get("notes") or []]
    out = []
    for note in sheet.notes:
        try:
            out.append(note.location.address.replace("$", ""))
        except (AttributeError, NotImplementedError):
            pass
    return out


def body_notes(sheet, table: Table) -> list[str]:
    """Notes in the table's rows: the tool's own (the region belongs to the tool)."""
    return [a for a in note_addresses(sheet) if _rc(a)[0] >= table.first_row]


def delete_notes(sheet, addresses: list[str]) -> None:
    for address in addresses:
        note = sheet.range(address).note
        if note is not None:
            note.delete()


def _rc(ref: str) -> tuple[int, int]:
    """1-based (row, column) of an A1 address ("F11", "$F$11", "Sheet!F11")."""
    match = re.fullmatch(r"\$?([A-Z]+)\$?(\d+)", ref.split("!")[-1].split(":")[0].strip().upper())
    if not match:
        raise ValueError(ref)
    col = 0
    for letter in match[1]:
        col = col * 26 + ord(letter) - 64
    return int(match[2]), col


def _address(r1: int, c1: int, r2: int, c2: int) -> str:
    first, last = cell_ref(r1 - 1, c1 - 1), cell_ref(r2 - 1, c2 - 1)
    return first if first == last else f"{first}:{last}"


# ----------------------------------------------------------------------------------------------
# Text cells
# ----------------------------------------------------------------------------------------------

_NUMERIC = re.compile(r"^[\s\d.,/:%()+\-]*\d[\s\d.,/:%()+\-]*$")


def text_cell(value):
    """A text as Excel keeps it as text: a leading apostrophe where Excel would read a formula
    ("=", "+", "-", "@"), a number or a date ("1", "24/10/2019"), or TRUE/FALSE; None stays None."""
    if value is None or not isinstance(value, str):
        return value
    if value[:1] in ("=", "+", "-", "@", "'") or _NUMERIC.match(value) or value.strip().upper() in ("TRUE", "FALSE"):
        return "'" + value
    return value


# ----------------------------------------------------------------------------------------------
# The "Kiểm tra" sheet
# ----------------------------------------------------------------------------------------------


def _hyperlink(target: str, text: str) -> str:
    def quote(s: str) -> str:
        return '"' + s.replace('"', '""') + '"'

    return f"=HYPERLINK({quote(target)},{quote(text)})"


def write_check_sheet(book, master_sheet: str, findings, missing, sources, notes, output: str) -> None:
    """Rewrite "Kiểm tra": the title and the whole list in two value writes, formats in ranges."""
    sheet = _sheet(book, CHECK_SHEET)
    if sheet is None:
        sheet = book.sheets.add(CHECK_SHEET, after=_sheet(book, master_sheet))
    else:
        sheet.clear()
    content = check_sheet(findings, missing, sources, notes, output, master_sheet)
    rows, last_finding = content.rows, content.last_finding
    sheet.range("A1").value = content.title
    values = [[_hyperlink(v.target, v.text) if isinstance(v, Link) else text_cell(v) for v in row] for row in rows]
    sheet.range((3, 1), (2 + len(rows), 10)).value = values
    sheet.range((1, 1), (2 + len(rows), 10)).font.name = style.FONT
    sheet.range("A1").font.size = 13
    sheet.range("A1").font.bold = True
    head = sheet.range((3, 1), (3, 10))
    head.font.bold = True
    head.color = style.HEADER_FILL
    sheet.range((3, 1), (last_finding, 10)).borders.line_style = "continuous"
    sheet.range((4, 1), (last_finding, 10)).vertical_alignment = "top"
    sheet.range((4, 6), (max(last_finding, 4), 6)).wrap_text = True
    for row in content.bold:
        sheet.range((row, 1)).font.bold = True
    paint(sheet, {(r, c): colour for r, c, colour in content.fills})
    for col in (3, 9):  # the link columns
        sheet.range((4, col), (2 + len(rows), col)).font.color = _LINK
    for col, width in enumerate(CHECK_WIDTHS, start=1):
        set_column_width(sheet, col, col, width)


def status(book, text: str, error: bool = False) -> None:
    """Tell the clerk: "Kiểm tra"!A2 always (where the engine cannot show a message box), and an alert."""
    sheet = _sheet(book, CHECK_SHEET)
    if sheet is not None:
        sheet.range((STATUS_ROW, 1)).value = text_cell(text)
    try:
        book.app.alert(text, title=TITLE, mode="critical" if error else "info")
    except NotImplementedError:
        pass  # the status cell says it


def _prepare_print(book, sheet, master: Master) -> None:
    """The page setup of printing.print_settings (print area, paper, margins, repeated header);
    widths and row heights only when printing (`print_appendix`), so a run's calls stay few."""
    from tthc_xl.xlsx.printing import print_settings

    apply_print_settings(book, sheet, print_settings(master), sizes=False)


def _set_table_name(book, master: Master) -> None:
    refers_to = f"='{master.sheet}'!$A$1:${column_letters(master.last_col - 1)}${_region_end(master)}"
    if _has_name(book, TABLE_NAME):
        book.names[TABLE_NAME].refers_to = refers_to
    else:
        book.names.add(TABLE_NAME, refers_to)


# ----------------------------------------------------------------------------------------------
# Protection (the openpyxl adapter protects the master sheet, without a password)
# ----------------------------------------------------------------------------------------------


def set_protection(book, sheet, protect: bool, unlocked: list[str] | None = None) -> None:
    """Unprotect before writing, protect again after, input cells unlocked (formulas guarded
    against slips, not against people). Remote: the add-in's JavaScript callback does it."""
    if is_remote(book):
        book.app.macro(PROTECT_CALLBACK)(sheet.name, protect, ",".join(unlocked or []))
        return
    if sys.platform.startswith("win"):
        api = sheet.api
        if not protect:
            api.Unprotect()
            return
        for address in unlocked or []:
            sheet.range(address).api.Locked = False
        api.Protect(DrawingObjects=False, Contents=True, AllowFormattingCells=True, AllowFormattingColumns=True, AllowFormattingRows=True)
        return
    if not protect:  # Excel for Mac (appscript): unprotect a sheet protected without a password
        try:
            sheet.api.unprotect()
        except Exception:  # noqa: BLE001 - an unprotected sheet or an older Excel: nothing to undo
            pass


# ----------------------------------------------------------------------------------------------
# Check and clear
# ----------------------------------------------------------------------------------------------


def _master_or_fail(book) -> tuple[Table, dict[str, Layout]]:
    layouts = load_layouts()
    conf = read_book_settings(book)
    table = master_table(book, layouts, conf.form if conf.form in layouts else None)
    if table is None:
        raise ButtonError(f"chưa có bảng tổng hợp trên trang “{MASTER_SHEET}”: hãy bấm «Tổng hợp» trước.")
    return table, layouts


def missing_units(table: Table) -> list[str]:
    """Unit rows whose input columns are all blank (their unit sent nothing)."""
    derived = derived_rules(table.layout)
    out = []
    for row in table.rows_of(UNIT):
        inputs = [c for n, c in row.cells.items() if n not in derived]
        if inputs and all(c.raw in (None, "") for c in inputs):
            out.append(row.unit)
    return out


def _check(book) -> list[Finding]:
    table, _ = _master_or_fail(book)
    missing = missing_units(table)
    table.rows = [r for r in table.rows if not (r.kind == UNIT and r.unit in missing)]
    findings = check_table(table)
    for finding in findings:
        finding.file, finding.sheet = book.name, MASTER_SHEET
    sheet = _sheet(book, MASTER_SHEET)
    set_protection(book, sheet, False)
    previous = marked_cells(book)
    plan = mark_plan(findings)
    fills = base_fill_of(table, previous - set(plan))
    fills.update({_rc(ref): colour for ref, (colour, _) in plan.items()})
    paint(sheet, fills)
    delete_notes(sheet, body_notes(sheet, table))
    for ref, (_, notes) in plan.items():
        add_note(sheet.range(ref), "\n\n".join(notes))
    note = f"Kiểm tra lại số liệu đang có trên trang “{MASTER_SHEET}” (không đọc lại tệp của đơn vị)."
    write_check_sheet(book, MASTER_SHEET, findings, missing, [], [note], book.name)
    set_protection(book, sheet, True)
    errors = sum(1 for f in findings if f.severity == ERROR)
    status(book, f"Đã kiểm tra trang “{MASTER_SHEET}”: {errors} lỗi, {len(findings) - errors} cảnh báo. Xem trang “{CHECK_SHEET}”.", error=bool(errors))
    return findings


def marked_cells(book) -> set[str]:
    """The cells the last run marked on the master: "Ô" and "Ô nghi sai" of the "Kiểm tra" list."""
    sheet = _sheet(book, CHECK_SHEET)
    if sheet is None:
        return set()
    grid = sheet_grid(sheet)
    cells: set[str] = set()
    row = 3  # 0-based row 3 = sheet row 4, the first finding
    while isinstance(grid.raw(row, 0), int | float):
        ref = grid.raw(row, 2)
        if ref:  # a finding on the master (blank: a finding in a unit's file)
            cells.add(str(ref).strip())
            suspects = grid.raw(row, 6)
            if suspects:
                cells.update(s.strip() for s in str(suspects).split(",") if s.strip())
        row += 1
    return {c for c in cells if re.fullmatch(r"[A-Z]{1,3}\d+", c)}


def base_fill_of(table: Table, refs: set[str]) -> dict[tuple[int, int], str | None]:
    """The own fill of master cells, as rendered: formulas grey, inputs white, others none.

    A unit's derived total is a formula when it equals the sum of its parts (the master keeps a
    total that disagrees as the unit wrote it, an input)."""
    derived = derived_rules(table.layout)
    where = {_rc(cell.ref): (row, n) for row in table.rows for n, cell in row.cells.items()}
    out: dict[tuple[int, int], str | None] = {}
    for ref in refs:
        rc = _rc(ref)
        row, n = where.get(rc, (None, None))
        if row is None:
            out[rc] = None
        elif row.kind != UNIT:
            out[rc] = style.FORMULA_FILL
        elif n in derived:
            values, parts = row.values(), derived[n]
            blank = all(row.cells[p].raw in (None, "") for p in parts if p in row.cells)
            adds_up = n in values and all(p in values for p in parts) and abs(values[n] - sum(values[p] for p in parts)) < 1e-9
            out[rc] = style.FORMULA_FILL if adds_up or blank else style.INPUT_FILL
        else:
            out[rc] = style.INPUT_FILL
    return out


def _clear_marks(book, announce: bool) -> int:
    table, _ = _master_or_fail(book)
    sheet = _sheet(book, MASTER_SHEET)
    marked = marked_cells(book)
    set_protection(book, sheet, False)
    paint(sheet, base_fill_of(table, marked))
    delete_notes(sheet, body_notes(sheet, table))
    set_protection(book, sheet, True)
    if announce:
        status(book, f"Đã xóa đánh dấu của {len(marked)} ô trên trang “{MASTER_SHEET}”.")
    return len(marked)


# ----------------------------------------------------------------------------------------------
# Print and report
# ----------------------------------------------------------------------------------------------


def _master_model(book) -> tuple[Master, Table]:
    """A master model for the book's current table (for print settings and report figures)."""
    from tthc_xl.files.sources import _groups  # the unit groups of a unit list, as consolidation plans rows
    from tthc_xl.core.master import build_master

    table, _ = _master_or_fail(book)
    settings = read_book_settings(book).settings
    units = units_from_table(table)
    reported = {r.unit: r for r in table.rows_of(UNIT) if r.unit not in missing_units(table)}
    master = build_master(table.layout, settings, _groups(units) if units else [], reported)
    return master, table


def _print_appendix(book) -> Path | None:
    from tthc_xl.xlsx.printing import print_settings

    master, _ = _master_model(book)
    sheet = _sheet(book, MASTER_SHEET)
    _clear_marks(book, announce=False)
    settings = print_settings(master)
    apply_print_settings(book, sheet, settings)
    if is_remote(book):
        status(book, "Đã xóa đánh dấu và chuẩn bị trang in. Excel trên web/add-in không xuất được PDF: hãy bấm Tệp → In (Ctrl+P).")
        return None
    folder = _book_folder(book) or Path.home()
    pdf = folder / f"{Path(book.name).stem} - {MASTER_SHEET}.pdf"
    sheet.to_pdf(pdf)
    status(book, f"Đã xuất bản in (không có đánh dấu kiểm tra) ra {pdf}.")
    return pdf


def apply_print_settings(book, sheet, settings, sizes: bool = True) -> None:
    """printing.PrintSettings on an xlwings sheet: the print area everywhere; the page setup
    through COM (Windows) or the add-in's callback (Office.js); widths and row heights."""
    row1, col1, row2, col2 = settings.area
    sheet.page_setup.print_area = _address(row1, col1, row2, col2)
    if sizes:
        for width, cols in _group(settings.column_widths).items():
            for c1, c2 in _runs(cols):
                set_column_width(sheet, c1, c2, width)
        for height, rows in _group(settings.row_heights).items():
            for r1, r2 in _runs(rows):
                sheet.range((r1, 1), (r2, 1)).row_height = height
    m = settings.margins
    if is_remote(book):
        import json

        layout = {
            "orientation": "Landscape" if settings.landscape else "Portrait",
            "paperSize": settings.paper,
            "titleRows": settings.title_rows_ref,
            "margins": {k: round(getattr(m, k) * 72 / 25.4, 2) for k in ("top", "bottom", "left", "right", "header", "footer")},
            "centerHorizontally": settings.center_horizontally,
            "fitWidth": settings.fit_width,
            "fitHeight": settings.fit_height,
            "footer": f'&"{settings.font},Regular"&{settings.font_size}{settings.footer}',
        }
        book.app.macro(PAGE_LAYOUT_CALLBACK)(sheet.name, json.dumps(layout))
    elif sys.platform.startswith("win"):
        setup = sheet.api.PageSetup
        points = lambda mm: mm * 72 / 25.4  # noqa: E731
        setup.PaperSize = 9  # xlPaperA4
        setup.Orientation = 2 if settings.landscape else 1
        setup.Zoom = False
        setup.FitToPagesWide = settings.fit_width
        setup.FitToPagesTall = settings.fit_height or False
        setup.CenterHorizontally = settings.center_horizontally
        setup.TopMargin, setup.BottomMargin = points(m.top), points(m.bottom)
        setup.LeftMargin, setup.RightMargin = points(m.left), points(m.right)
        setup.HeaderMargin, setup.FooterMargin = points(m.header), points(m.footer)
        setup.PrintTitleRows = settings.title_rows_ref
        setup.CenterFooter = f'&"{settings.font},Regular"&{settings.font_size}{settings.footer}'
    # Excel for Mac: the print area, widths and heights above; the page setup stays as it is.


def _group(sizes: dict[int, float]) -> dict[float, list[int]]:
    out: dict[float, list[int]] = {}
    for index, size in sizes.items():
        out.setdefault(size, []).append(index)
    return out


def figures_from_table(table: Table, settings: Settings):
    """report.Figures from the master's current values (an open book, nothing saved): totals and
    units by layout key, the template fields from the settings. No previous period."""
    from tthc_xl.report.narrative import Figures

    layout = table.layout
    totals_row = table.rows_of(TOTAL)
    units = [r for r in table.rows_of(UNIT) if r.unit not in missing_units(table)]
    as_int = lambda values: {k: int(round(v)) for k, v in layout.by_key(values).items() if k in _count_keys(layout)}  # noqa: E731
    if totals_row:
        totals = as_int(totals_row[0].values())
    else:
        totals = as_int({n: sum(r.values().get(n, 0) for r in units) for n in layout.count_columns})
    from tthc_xl.report.narrative import DEFAULT_META, meta_from_settings

    meta = {**DEFAULT_META, **meta_from_settings(settings)}
    return Figures(totals=totals, units=[(r.unit, as_int(r.values())) for r in units], meta=meta)


def _count_keys(layout: Layout) -> set[str]:
    return {layout.column(n).key for n in layout.count_columns}


def _draft_report(book) -> Path | None:
    """Desktop: save the workbook, then report.figures_from_master reads it (with the previous
    period and the history beside it) and report.draft_report writes the .docx beside it."""
    from tthc_xl.report import narrative as report

    _master_or_fail(book)
    if is_remote(book):
        status(book, "Excel trên web/add-in không ghi được tệp Word về máy: hãy bấm «Soạn báo cáo» trong Excel trên máy tính "
               "hoặc dùng lệnh tthc-xl.")
        return None
    folder = _book_folder(book)
    if folder is None:
        raise ButtonError("hãy lưu bảng tổng hợp (File → Save) trước khi soạn báo cáo.")
    book.save()
    try:
        figures = report.figures_from_master(Path(book.fullname))
    except report.ReportError as exc:
        raise ButtonError(str(exc)) from None
    out = report.draft_report(figures, folder / f"Báo cáo - {Path(book.name).stem}.docx")
    status(book, f"Đã soạn dự thảo báo cáo: {out}.")
    return out
