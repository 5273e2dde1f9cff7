"""The Excel buttons: the master model rendered onto an open workbook through xlwings.

`consolidate()`, `check()`, `clear_marks()`, `print_appendix()` and `draft_report()` are what the
VBA subs in macros/TthcXl.bas (desktop, `RunPython`) and the xlwings Server scripts
(tthc_xl/server.py, Office.js add-in) call. Each takes an `xlwings.Book`; on the desktop it
defaults to `xw.Book.caller()`.

The work is the core's (tthc_xl.files.sources, tthc_xl.core.master, tthc_xl.core.rules): this module
reads the workbook's values into `read.Grid`s and draws the same sheet plans as the command line
(tthc_xl.core.sheet_plan) through the xlwings writer (tthc_xl.excel.sheet_writer), which says what
each engine cannot do. PDF export and writing files on the clerk's computer (the report .docx)
are not possible through the remote engine: `print_appendix` prepares the page layout and asks
the clerk to print from Excel, `draft_report` says to use Excel on the desktop or `tthc-xl`.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from tthc_xl.core.errors import ClerkError
from tthc_xl.core import style
from tthc_xl.core.contract import (
    CHECK_SHEET, CONF_SHEET, CONTROL_SHEET, FOLDER_NAME, FORM_NAME, MASTER_SHEET, SETTINGS, SETTINGS_SHEET, TABLE_NAME, UNITS_NAME,
)
from tthc_xl.core.layouts import Layout, LayoutError, clerk_layout_dirs, load_layouts, resolve_form
from tthc_xl.core.marks import check_sheet, mark_plan
from tthc_xl.core.master import Master, Settings, derived_rules
from tthc_xl.core.model import ERROR, TOTAL, UNIT, Finding, Table
from tthc_xl.core.rules import check_table
from tthc_xl.core.sheet_plan import a1_rc, check_plan, draw, fitted_rows, master_plan, region_end, write_content, write_format
from tthc_xl.core.units import UnitList, UnitListError, is_unit_list_name, load_units
from tthc_xl.files.safe_open import ReadError, confined_file
from tthc_xl.excel.charts import draw_chart_sheet
from tthc_xl.excel.sheet_writer import (  # noqa: F401 - text_cell and set_protection, where callers found them
    PAGE_LAYOUT_CALLBACK, PROTECT_CALLBACK, XlwingsSheet, is_remote, set_protection, text_cell,
)
from tthc_xl.files.sources import expand_sources
from tthc_xl.files.read import Grid, read_grids_tables
from tthc_xl.files import history
from tthc_xl.files.sources import Consolidation, choose_form, consolidate_results, read_sources, units_from_table

TITLE = "tthc-xl"
STATUS_ROW = 2  # the status line, on the "Kiểm tra" sheet (A2)
MARK_FILLS = {style.ERROR_FILL, style.WARNING_FILL, style.SUSPECT_FILL}


class ButtonError(ClerkError):
    """A button cannot do its work; the message (Vietnamese) says why and what to do."""


# ----------------------------------------------------------------------------------------------
# The buttons
# ----------------------------------------------------------------------------------------------


def consolidate(book=None, root: Path | str | None = None) -> Consolidation | None:
    """Tổng hợp: the unit files of the settings' folder and the unit sheets pasted into the book.

    `root` (xlwings Server): unit files are read only under this folder; the workbook's
    "Thư mục báo cáo đơn vị" must then name one period's folder inside it (never blank).
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
    """Run a button; a clerk's problem (any ClerkError: a setting, a form file, a master) becomes a
    message, not a traceback."""
    try:
        return work()
    except ClerkError as exc:
        status(book, f"Không thực hiện được: {exc}", error=True)
        return None
    except Exception as exc:  # noqa: BLE001 - a fault of ours: a Vietnamese message, the traceback to the log
        unexpected(book, exc)
        return None


# ----------------------------------------------------------------------------------------------
# Unexpected errors: a message the clerk can act on, the traceback in a log
# ----------------------------------------------------------------------------------------------

log = logging.getLogger("tthc_xl")


def log_path() -> Path:
    """The desktop buttons' log: %LOCALAPPDATA%\\tthc-xl\\nhat-ky.log (elsewhere ~/.local/state/tthc-xl/)."""
    base = os.environ.get("LOCALAPPDATA") or os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state"
    return Path(base) / "tthc-xl" / "nhat-ky.log"


def unexpected(book, exc: Exception) -> None:
    """Tell the clerk in Vietnamese what happened and what to do; keep the traceback for whoever helps.

    Desktop: appended to log_path(), named in the message. Server: in the server's log (stderr)."""
    import traceback

    when = dt.datetime.now().strftime("%d/%m/%Y %H:%M:%S")
    details = "".join(traceback.format_exception(exc))
    if is_remote(book):
        log.error("tthc-xl: a button failed on %s (%s)\n%s", book.name, when, details)
        text = (
            f"Máy chủ gặp lỗi ngoài dự kiến ({type(exc).__name__}, lúc {when}) nên việc chưa làm xong. Hãy thử lại; "
            "nếu vẫn lỗi, báo quản trị viên máy chủ kèm thời điểm này (nhật ký của máy chủ ghi chi tiết)."
        )
    else:
        path = log_path()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "a", encoding="utf-8") as out:
                out.write(f"--- {when}, {book.fullname}\n{details}\n")
            where = f"Chi tiết lỗi đã ghi vào tệp nhật ký {path}"
        except OSError:
            where = f"Không ghi được tệp nhật ký {path}: {type(exc).__name__}: {exc}"
        text = (
            f"tthc-xl gặp lỗi ngoài dự kiến nên việc chưa làm xong. Hãy lưu tệp, đóng Excel rồi thử lại; nếu vẫn lỗi, "
            f"gửi tệp nhật ký cho người hỗ trợ. {where}."
        )
    try:
        status(book, text, error=True)
    except Exception:  # noqa: BLE001 - the book itself is what failed: the log has it all
        log.error("tthc-xl: could not show the message: %s", text)


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


# ----------------------------------------------------------------------------------------------
# The folder of unit files («Thư mục báo cáo đơn vị»)
# ----------------------------------------------------------------------------------------------

# A folder written with one of these endings is read with its subfolders ("Quy1-2025\**").
WITH_SUBFOLDERS = ("\\**", "/**")


def folder_setting(text: str) -> tuple[str, bool]:
    """The folder the clerk wrote and whether its subfolders are read too."""
    text = (text or "").strip()
    for ending in WITH_SUBFOLDERS:
        if text.endswith(ending):
            return text[: -len(ending)].rstrip("\\/") or ".", True
    return text, False


def unit_folder(text: str, book, root: Path | None) -> Path | None:
    """The folder of unit files: as the clerk wrote it (desktop), or one folder inside `root` (server).

    On the server a blank setting, or one naming the server's folder itself, is refused: that folder
    holds every period's folder, and reading it mixes the periods."""
    text, _ = folder_setting(text)
    if root is not None:
        base = root.resolve()
        target = (base / text.replace("\\", "/")).resolve() if text else base  # clerks type Windows paths
        if target != base and base not in target.parents:
            raise ButtonError(
                f"thư mục “{text}” nằm ngoài thư mục báo cáo của máy chủ. Trên máy chủ, ô «Thư mục báo cáo đơn vị» "
                f"chỉ ghi tên một thư mục con, thư mục của đúng một kỳ báo cáo{_offered(base)}."
            )
        if target == base:
            said = f"ghi “{text}”, tức là cả thư mục báo cáo của máy chủ" if text else "đang để trống"
            raise ButtonError(
                f"ô «Thư mục báo cáo đơn vị» {said}. Thư mục đó chứa báo cáo của mọi kỳ nên không được đọc cả; "
                f"hãy ghi tên thư mục của đúng một kỳ báo cáo{_offered(base)}."
            )
        if not target.is_dir():
            raise ButtonError(f"máy chủ không có thư mục báo cáo “{text}”{_offered(base)}.")
        return target
    if not text:
        return None
    path = Path(os.path.expandvars(os.path.expanduser(text)))
    if not path.is_absolute() and _book_folder(book):
        path = _book_folder(book) / path
    if not path.is_dir():
        raise ButtonError(f"không tìm thấy thư mục báo cáo đơn vị “{text}”: hãy kiểm tra ô «Thư mục báo cáo đơn vị».")
    return path


def _subfolders(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))


def _offered(base: Path, shown: int = 8) -> str:
    """", ví dụ “A” (các thư mục có trên máy chủ: A, B, …)" for a message, or ""."""
    names = _subfolders(base)
    if not names:
        return ""
    more = f" và {len(names) - shown} thư mục khác" if len(names) > shown else ""
    return f", ví dụ “{names[-1]}” (các thư mục có trên máy chủ: {', '.join(names[:shown])}{more})"


def unit_files_in(folder: Path, text: str, root: Path | None) -> list[Path]:
    """The readable files of the folder; those of its subfolders only when the setting asks for them.

    A folder whose readable files are all in subfolders is ambiguous (which period?) and refused."""
    text, nested = folder_setting(text)
    files = expand_sources([folder], recursive=True)  # all of them: a folder of subfolders only is refused below
    if root is not None:  # no link or junction leads outside the server's folder
        base = root.resolve()
        files = [f for f in files if base in f.resolve().parents]
    if nested:
        return files
    own = [f for f in files if f.parent == folder]
    if not own and files:
        inner = sorted({f.relative_to(folder).parts[0] for f in files})
        sep = "\\" if "\\" in text else "/"
        named = text.rstrip("\\/")
        raise ButtonError(
            f"thư mục “{text}” không có tệp báo cáo nào, chỉ có các thư mục con ({', '.join(inner[:8])}"
            f"{'…' if len(inner) > 8 else ''}). Hãy ghi tên thư mục của đúng một kỳ, ví dụ “{named}{sep}{inner[-1]}”, "
            f"hoặc ghi “{named}{sep}**” để đọc cả các thư mục con."
        )
    return own


# ----------------------------------------------------------------------------------------------
# Consolidate
# ----------------------------------------------------------------------------------------------


def _layouts(book) -> dict[str, Layout]:
    """The shipped layouts and the clerk's own (the per-user folder, the mau-bieu folder beside the workbook)."""
    folder = _book_folder(book)
    return load_layouts(clerk_layout_dirs(folder / "x.xlsx" if folder else None))


def _consolidate(book, root: Path | None) -> Consolidation:
    layouts = _layouts(book)
    conf = read_book_settings(book)
    try:  # a layout's name, or the path of a layout file (relative to the workbook's folder)
        form = resolve_form(conf.form, layouts, _book_folder(book))
    except LayoutError:
        raise ButtonError(f"không có mẫu biểu “{conf.form}” (ô {FORM_NAME}). Các mẫu có sẵn: {', '.join(layouts)}.") from None
    units = _units(conf.units, book, root)
    existing = master_table(book, layouts, form)
    if existing is not None:  # keep the master's own unit rows, as `tthc-xl consolidate` does
        if not form and existing.layout.inferred:
            layouts[existing.layout.name] = existing.layout
        form = form or existing.layout.name
        units = units or units_from_table(existing)
    folder = unit_folder(conf.folder, book, root)
    results = read_sources(unit_files_in(folder, conf.folder, root), layouts, form, units) if folder else []
    pasted = read_grids_tables(pasted_grids(book), Path(book.name), layouts, form, units)
    if pasted.tables:
        results.append(pasted)
    if not any(r.tables for r in results) and existing is None and form is None:
        where = f"thư mục {folder}" if folder else "ô «Thư mục báo cáo đơn vị» (đang để trống)"
        raise ButtonError(
            f"không tìm thấy bảng số liệu nào của đơn vị: {where} không có tệp báo cáo đọc được và không có trang tính nào "
            "chứa bảng (có hàng đánh số cột 1, 2, 3=(4+5), …)."
        )
    # The previous period and the history, as `tthc-xl consolidate` keeps them beside the master:
    # here beside the saved workbook (desktop) or in the server's folder.
    place = history_place(book, root)
    layout = layouts[form] if form else choose_form(results, None)
    previous = history.previous_table(place, conf.settings.period, layout) if place and layout and conf.settings.period else None
    outcome = consolidate_results(results, layouts, form, units, conf.settings, previous, output=book.name)
    master = outcome.master
    errors = sum(1 for f in outcome.findings if f.severity == ERROR)
    reported = len(master.rows_of(UNIT)) - len(master.missing)
    failed = sum(1 for s in outcome.sources if not s.ok)
    text = (
        f"Đã tổng hợp {reported}/{len(master.rows_of(UNIT))} đơn vị vào trang “{master.sheet}”: "
        f"{errors} lỗi, {len(outcome.findings) - errors} cảnh báo"
        + (f", {failed} tệp không dùng được" if failed else "")
        + (f", {len(master.missing)} đơn vị chưa gửi báo cáo" if master.missing else "")
        + f". Xem trang “{CHECK_SHEET}”."
    )
    render(outcome, book, text, error=bool(errors or failed))
    if not is_remote(book):  # see excel/charts.py: through xlwings Server the sheet stays as it was drawn
        draw_chart_sheet(book, history.chart_rows(place, outcome))
    if place:
        history.archive(place, outcome)
    return outcome


def history_place(book, root: Path | None) -> Path | None:
    """Where the history of this master lives: the file beside the saved workbook, or (server) the
    server's folder of unit reports; None for a workbook never saved."""
    folder = root if root is not None else _book_folder(book)
    return folder / Path(book.name).name if folder else None


# ----------------------------------------------------------------------------------------------
# Rendering the master onto the book: core.sheet_plan through the xlwings sheet writer
# ----------------------------------------------------------------------------------------------


def render(outcome: Consolidation, book, told: str = "", error: bool = False) -> None:
    """Write the master onto the book (the command line's sheet plans, the xlwings writer):
    values and merges, then the protection and the status `told`, then the formats, so a later
    action that fails leaves the table guarded and the clerk told."""
    master = outcome.master
    _ensure_settings(book, master.settings)
    sheet = _sheet(book, MASTER_SHEET)
    if sheet is None:
        control = _sheet(book, CONTROL_SHEET)
        sheet = book.sheets.add(MASTER_SHEET, after=control) if control else book.sheets.add(MASTER_SHEET, before=book.sheets[0])
        old = None
    else:
        old = _region(book)
    writer = XlwingsSheet(book, sheet)
    writer.unprotect()
    _clear(sheet, old, master)
    in_master = [f for f in outcome.findings if f.file == book.name and f.sheet == master.sheet]
    plan = master_plan(master, in_master)
    content = check_sheet(outcome.findings, master.missing, outcome.sources, outcome.notes, book.name, master.sheet)
    checks, checks_plan = _check_writer(book, master.sheet), check_plan(CHECK_SHEET, content)
    try:
        write_content(plan, writer)
        write_content(checks_plan, checks)
    finally:
        writer.protect(plan.unlocked())
        if told:
            status(book, told, error=error)
    write_format(plan, writer)
    write_format(checks_plan, checks)


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
    last_row = max(old[0] if old else 0, region_end(master))
    last_col = max(old[1] if old else 0, master.last_col)
    region = sheet.range((1, 1), (last_row, last_col))
    delete_notes(sheet, [a for a in note_addresses(sheet) if _inside(a, last_row, last_col)])
    region.unmerge()
    region.clear()


def _inside(address: str, last_row: int, last_col: int) -> bool:
    row, col = a1_rc(address)
    return row <= last_row and col <= last_col


def _check_writer(book, master_sheet: str) -> XlwingsSheet:
    """The "Kiểm tra" sheet, emptied (or added after the master sheet)."""
    sheet = _sheet(book, CHECK_SHEET)
    if sheet is None:
        sheet = book.sheets.add(CHECK_SHEET, after=_sheet(book, master_sheet))
    else:
        sheet.clear()
    return XlwingsSheet(book, sheet)


def write_check_sheet(book, master_sheet: str, findings, missing, sources, notes, output: str) -> None:
    """Rewrite "Kiểm tra" from its sheet plan."""
    content = check_sheet(findings, missing, sources, notes, output, master_sheet)
    draw(check_plan(CHECK_SHEET, content), _check_writer(book, master_sheet))


def status(book, text: str, error: bool = False) -> None:
    """Tell the clerk: "Kiểm tra"!A2 always (where the engine cannot show a message box), and an alert."""
    sheet = _sheet(book, CHECK_SHEET)
    if sheet is not None:
        sheet.range((STATUS_ROW, 1)).value = text_cell(text)
    try:
        book.app.alert(text, title=TITLE, mode="critical" if error else "info")
    except NotImplementedError:
        pass  # the status cell says it


def add_note(cell, text: str) -> None:
    try:
        cell.add_note(text)
    except NotImplementedError:
        pass  # an Excel without notes in its add-in API (ExcelApi < 1.18): "Kiểm tra" lists the finding


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
    return [a for a in note_addresses(sheet) if a1_rc(a)[0] >= table.first_row]


def delete_notes(sheet, addresses: list[str]) -> None:
    for address in addresses:
        note = sheet.range(address).note
        if note is not None:
            note.delete()


# ----------------------------------------------------------------------------------------------
# Check and clear
# ----------------------------------------------------------------------------------------------


def _master_or_fail(book) -> tuple[Table, dict[str, Layout]]:
    layouts = _layouts(book)
    conf = read_book_settings(book)
    try:
        form = resolve_form(conf.form, layouts, _book_folder(book))
    except LayoutError:
        form = None
    table = master_table(book, layouts, form)
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
    writer = XlwingsSheet(book, sheet)
    writer.unprotect()
    previous = marked_cells(book)
    plan = mark_plan(findings)
    fills = base_fill_of(table, previous - set(plan))
    fills.update({a1_rc(ref): colour for ref, (colour, _) in plan.items()})
    try:
        writer.paint(fills)
        delete_notes(sheet, body_notes(sheet, table))
        for ref, (_, notes) in plan.items():
            writer.note(ref, "\n\n".join(notes))
        note = f"Kiểm tra lại số liệu đang có trên trang “{MASTER_SHEET}” (không đọc lại tệp của đơn vị)."
        write_check_sheet(book, MASTER_SHEET, findings, missing, [], [note], book.name)
    finally:
        writer.protect([])
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
    where = {a1_rc(cell.ref): (row, n) for row in table.rows for n, cell in row.cells.items()}
    out: dict[tuple[int, int], str | None] = {}
    for ref in refs:
        rc = a1_rc(ref)
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
    writer = XlwingsSheet(book, sheet)
    writer.unprotect()
    try:
        writer.paint(base_fill_of(table, marked))
        delete_notes(sheet, body_notes(sheet, table))
    finally:
        writer.protect([])
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
    from tthc_xl.core.print_plan import print_settings

    master, _ = _master_model(book)
    sheet = _sheet(book, MASTER_SHEET)
    _clear_marks(book, announce=False)
    settings = print_settings(master)
    writer = XlwingsSheet(book, sheet)
    writer.widths(settings.column_widths)
    writer.heights(settings.row_heights, fitted_rows(master))
    writer.page_setup(settings)
    if is_remote(book):
        status(book, "Đã xóa đánh dấu và chuẩn bị trang in. Excel trên web/add-in không xuất được PDF: hãy bấm Tệp → In (Ctrl+P).")
        return None
    folder = _book_folder(book) or Path.home()
    pdf = folder / f"{Path(book.name).stem} - {MASTER_SHEET}.pdf"
    sheet.to_pdf(pdf)
    status(book, f"Đã xuất bản in (không có đánh dấu kiểm tra) ra {pdf}.")
    return pdf


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
    figures = report.figures_from_master(Path(book.fullname))  # a ReportError is the clerk's: told by _guarded
    out = report.draft_report(figures, folder / f"Báo cáo - {Path(book.name).stem}.docx")
    status(book, f"Đã soạn dự thảo báo cáo: {out}.")
    return out
