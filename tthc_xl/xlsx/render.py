"""Render the master model onto an .xlsx/.xlsm with openpyxl (the CLI's and the tests' adapter).

The table region (title block to the previous-period rows) belongs to the tool and is rewritten on
every run; other sheets and everything outside the region stay as the clerk left them.
"""

from __future__ import annotations

import datetime
import io
import re
import zipfile
from pathlib import Path

from tthc_xl.files import openpyxl_without_numpy  # noqa: F401 - first: openpyxl without numpy
from openpyxl import Workbook
from openpyxl.packaging.relationship import get_rels_path
from openpyxl.reader.excel import ExcelReader
from openpyxl.drawing.spreadsheet_drawing import SpreadsheetDrawing
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.writer.excel import ExcelWriter
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook.defined_name import DefinedName

from tthc_xl.core import style
from tthc_xl.core.contract import CHECK_SHEET, CONTROL_SHEET, FORM_NAME, IDENTITY_NAME, SETTINGS, SETTINGS_SHEET, TABLE_NAME
from tthc_xl.core.marks import check_sheet
from tthc_xl.core.master import Master, Settings
from tthc_xl.core.model import Finding
from tthc_xl.core.sheet_plan import FORM_LABEL, check_plan, draw, master_plan, remembered_form, settings_plan
from tthc_xl.files.master_book import named_value, read_settings  # noqa: F401 - read_settings: where the CLI found it
from tthc_xl.files.locking import MasterError  # noqa: F401 - raised here, defined where the CLI can catch it without openpyxl
from tthc_xl.xlsx.charts import add_chart_sheet
from tthc_xl.xlsx.sheet_data import FAST, sheet_data
from tthc_xl.xlsx.sheet_writer import OpenpyxlSheet
from tthc_xl.xlsx.saving import write_atomically


def open_or_new(path: Path) -> Workbook:
    """The master at `path` opened for an update (a new empty workbook if there is none). The check
    sheet, which every update deletes and draws again, is opened empty rather than parsed: on a large
    master it holds as many cells and links as the table."""
    if path.exists():
        try:
            return _load(path, redrawn={CHECK_SHEET})
        except Exception as exc:  # openpyxl raises many kinds for a broken or encrypted file
            raise MasterError(
                f"Không mở được bảng tổng hợp {path.name} ({type(exc).__name__}): tệp hỏng hoặc có mật khẩu. "
                "Hãy lấy bản gần nhất trong thư mục .sao-luu cạnh tệp, hoặc ghi ra tệp mới (-o tên-khác.xlsx)."
            ) from None
    book = Workbook()
    book.remove(book.active)
    return book


_EMPTY_SHEET = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData/></worksheet>'


def _load(path: Path, redrawn: set[str]) -> Workbook:
    """openpyxl's load_workbook, the sheets named in `redrawn` read as empty sheets (kept in their
    place: the print areas and titles of the others are bound to sheets by position)."""
    reader = ExcelReader(path, keep_vba=path.suffix.lower() == ".xlsm", keep_links=True)
    try:
        parts = {part for name, part in _sheet_paths(reader.archive).items() if name in redrawn}
    except (KeyError, UnicodeDecodeError):  # an unusual package: every sheet parsed, as openpyxl would
        parts = set()
    if parts:
        archive, opened = reader.archive, reader.archive.open
        archive.open = lambda name, *args, **kwargs: io.BytesIO(_EMPTY_SHEET) if name in parts else opened(name, *args, **kwargs)
        skipped = {get_rels_path(part) for part in parts}  # its links, notes, drawings
        reader.valid_files = [name for name in reader.valid_files if name not in skipped]
    reader.read()
    return reader.wb


def write_settings(book: Workbook, settings: Settings, form: str | None = None) -> None:
    """Named cells for the settings, and the layout (`form`) in the "Mẫu biểu" cell. A book without
    them gets core.sheet_plan's settings sheet (the one the XlsxWriter engine draws too); a book
    that has them gets the values typed into the named cells."""
    if settings.identity:
        book.defined_names[IDENTITY_NAME] = DefinedName(IDENTITY_NAME, attr_text=f'"{settings.identity}"')
    if all(name in book.defined_names for name, _, _ in SETTINGS):
        for name, _, attribute in SETTINGS:
            value = getattr(settings, attribute)
            for sheet, ref in book.defined_names[name].destinations:
                if value and sheet in book.sheetnames:
                    book[sheet][ref.replace("$", "")].value = value
    else:
        kept = SETTINGS_SHEET in book.sheetnames  # a settings sheet without its names: drawn over, its values kept
        sheet = book[SETTINGS_SHEET] if kept else book.create_sheet(SETTINGS_SHEET)
        draw(settings_plan(settings, None if kept or form is None or FORM_NAME in book.defined_names else form), OpenpyxlSheet(book, sheet))
    if form is not None:
        write_form(book, form)


def save_master(outcome, path: Path, book: Workbook | None = None, chart_rows: list | None = None) -> None:
    """Write a consolidation into the master at `path` (or onto `book`, the master already opened).

    `chart_rows` are the periods the "Biểu đồ" sheet shows (the history's, passed in by the command:
    the writer never reads storage); without them the chart sheet is left as it is."""
    book = book or open_or_new(path)
    cached = render(outcome, book, str(path), chart_rows)
    save_atomically(book, path, cached)


def read_form(book: Workbook) -> str:
    """The layout the master was built with, as its "Mẫu biểu" cell names it (a name or a layout file's path)."""
    value = named_value(book, FORM_NAME)
    return str(value).strip() if value not in (None, "") else ""


def write_form(book: Workbook, value: str) -> None:
    """Remember the layout (sheet_plan.remembered_form) in the "Mẫu biểu" cell, under the settings."""
    if FORM_NAME in book.defined_names:
        for sheet, ref in book.defined_names[FORM_NAME].destinations:
            if sheet in book.sheetnames:
                book[sheet][ref.replace("$", "")].value = value
        return
    if SETTINGS_SHEET not in book.sheetnames:
        return
    sheet = book[SETTINGS_SHEET]
    row = sheet.max_row + 1
    sheet.cell(row, 1, FORM_LABEL).font = Font(name=style.FONT, size=style.TABLE_SIZE, bold=True)
    sheet.cell(row, 2, value)
    book.defined_names[FORM_NAME] = DefinedName(FORM_NAME, attr_text=f"{quote_sheetname(SETTINGS_SHEET)}!$B${row}")


def render(outcome, book: Workbook, output: str, chart_rows: list | None = None) -> dict[str, dict[str, object]]:
    """Write the master onto the workbook; returns the computed value of every formula cell by sheet."""
    master = outcome.master
    write_settings(book, master.settings, remembered_form(master.layout))
    if master.sheet in book.sheetnames:
        sheet = book[master.sheet]
        _clear_region(book, sheet)
    else:
        sheet = book.create_sheet(master.sheet, 0 if CONTROL_SHEET not in book.sheetnames else 1)
    in_master = [f for f in outcome.findings if f.file == output and f.sheet == master.sheet]
    plan = master_plan(master, in_master)
    draw(plan, OpenpyxlSheet(book, sheet))
    write_check_sheet(book, master, outcome.findings, outcome.sources, outcome.notes, output)
    for write_sheet in getattr(outcome, "sheets", ()):  # e.g. the dossier check's "Hồ sơ lệch", "Chỉ số"
        write_sheet(book)
    if chart_rows is not None:
        add_chart_sheet(book, chart_rows)
    return {master.sheet: _by_coordinate(plan.computed)}


def _by_coordinate(computed: dict[tuple[int, int], object]) -> dict[str, object]:
    return {f"{get_column_letter(col)}{row}": value for (row, col), value in computed.items()}


def _clear_region(book: Workbook, sheet) -> None:
    """Forget what the previous run wrote: values, styles, merges, notes in the tool's region."""
    if TABLE_NAME not in book.defined_names:
        return
    for _, ref in book.defined_names[TABLE_NAME].destinations:
        ref = ref.replace("$", "")
        first, last = ref.split(":")
        last_row = int(re.sub(r"[A-Z]+", "", last))
        last_col = sheet[last].column
        for merged in list(sheet.merged_cells.ranges):
            if merged.min_row <= last_row and merged.min_col <= last_col:
                sheet.unmerge_cells(str(merged))
        # A cell's value, look, note and link all live on its cell object (openpyxl collects the
        # notes and links from the cells when it saves): dropping the objects forgets them all, and
        # the plan draws fresh cells.
        cells = sheet._cells
        for key in [key for key in cells if key[0] <= last_row and key[1] <= last_col]:
            del cells[key]
    sheet.protection.sheet = False


def write_table(master: Master, sheet) -> dict[str, object]:
    """The master's table alone on `sheet` (a unit's template): the sheet plan without marks or names."""
    plan = master_plan(master, [])
    plan.names = {}
    draw(plan, OpenpyxlSheet(sheet.parent, sheet))
    return _by_coordinate(plan.computed)


def write_check_sheet(book: Workbook, master: Master, findings: list[Finding], sources: list[dict], notes: list[str], output: str) -> None:
    """The "Kiểm tra" sheet of marks.check_sheet, its links as cell hyperlinks."""
    if CHECK_SHEET in book.sheetnames:
        del book[CHECK_SHEET]
    sheet = book.create_sheet(CHECK_SHEET, book.sheetnames.index(master.sheet) + 1)
    content = check_sheet(findings, master.missing, sources, notes, output, master.sheet)
    draw(check_plan(CHECK_SHEET, content), OpenpyxlSheet(book, sheet))


def save_atomically(book: Workbook, path: Path, cached: dict[str, dict[str, object]]) -> None:
    """Save the openpyxl workbook at `path` atomically (saving.write_atomically), each formula's
    computed value stored in the file (`cached`: sheet → A1 → value)."""

    def fill(out) -> None:  # the package written straight into the temporary file, not built in memory first
        book.calculation.fullCalcOnLoad = True
        book.properties.modified = datetime.datetime.now(tz=datetime.UTC).replace(tzinfo=None)  # as Workbook.save
        _WriterWithCachedValues(book, out, cached).save()

    write_atomically(path, fill)


class _WriterWithCachedValues(ExcelWriter):
    """openpyxl's package writer, each formula's computed value stored in its sheet, as Excel does
    when it saves: openpyxl writes formulas without results, and readers that do not calculate
    (Protected View, calamine, pandas) would see empty cells; Excel and LibreOffice still
    recalculate on load. The cells go in through sheet_data (openpyxl's bytes, faster)."""

    def __init__(self, book: Workbook, out, cached: dict[str, dict[str, object]]):
        super().__init__(book, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, allowZip64=True))
        self._cached = cached

    def write_worksheet(self, ws):  # ExcelWriter.write_worksheet (never a write-only book here), the rows spliced in
        ws._drawing = SpreadsheetDrawing()
        ws._drawing.charts = ws._charts
        ws._drawing.images = ws._images
        writer = _SheetWriter(ws, self._cached.get(ws.title))
        writer.write()
        ws._rels = writer._rels
        self._archive.writestr(ws.path[1:], writer.read().replace(_EMPTY_ROWS, writer.rows, 1))
        self.manifest.append(ws)
        writer.cleanup()


_EMPTY_ROWS = b"<sheetData></sheetData>"


class _SheetWriter(WorksheetWriter):
    """openpyxl's worksheet writer with an empty <sheetData>: its rows are made by sheet_data, at the
    moment openpyxl would write them (the notes and links they collect are written after them)."""

    def __init__(self, ws, computed: dict[str, object] | None):
        super().__init__(ws)
        self.computed, self.rows = computed, b""

    def write_rows(self):
        if not FAST:
            return super().write_rows()  # formula results then stored by _with_values
        xf = self.xf.send(True)
        with xf.element("sheetData"):
            pass
        self.xf.send(None)
        self.rows = sheet_data(self.ws, self.computed)

    def read(self) -> bytes:
        data = super().read()
        return data if FAST or not self.computed else _with_values(data, self.computed)


_FORMULA_CELL = re.compile(rb'<c r="([A-Z]+[0-9]+)"([^>]*)><f>([^<]*)</f>(?:<v\s*/>|<v></v>)')


def _with_values(data: bytes, computed: dict[str, object]) -> bytes:
    """Without lxml (openpyxl's own rows): the computed values put into the formula cells written."""

    def value(match: re.Match) -> bytes:
        found = computed.get(match[1].decode())
        if found is None:
            return match[0]
        if isinstance(found, float) and found.is_integer():
            found = int(found)
        return b'<c r="%s"%s><f>%s</f><v>%s</v>' % (match[1], match[2], match[3], str(found).encode())

    return _FORMULA_CELL.sub(value, data)


def _sheet_paths(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name → its XML part inside the package."""
    workbook = archive.read("xl/workbook.xml").decode()
    rels = archive.read("xl/_rels/workbook.xml.rels").decode()
    targets = dict(re.findall(r'<Relationship[^>]*Id="([^"]+)"[^>]*Target="([^"]+)"', rels))
    targets.update({rid: target for target, rid in re.findall(r'<Relationship[^>]*Target="([^"]+)"[^>]*Id="([^"]+)"', rels)})
    paths = {}
    for name, rid in re.findall(r'<sheet[^>]*name="([^"]+)"[^>]*r:id="([^"]+)"', workbook):
        target = targets[rid].lstrip("/")
        paths[_unescape(name)] = target if target.startswith("xl/") else f"xl/{target}"
    return paths


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&apos;", "'").replace("&amp;", "&")
