"""Render the master model onto an .xlsx/.xlsm with openpyxl (the CLI's and the tests' adapter).

The table region (title block to the previous-period rows) belongs to the tool and is rewritten on
every run; other sheets and everything outside the region stay as the clerk left them.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

from tthc_xl.files import openpyxl_without_numpy  # noqa: F401 - first: openpyxl without numpy
from openpyxl import Workbook, load_workbook
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
from tthc_xl.xlsx.sheet_writer import OpenpyxlSheet
from tthc_xl.xlsx.saving import write_atomically, write_in_chunks


def open_or_new(path: Path) -> Workbook:
    if path.exists():
        try:
            return load_workbook(path, keep_vba=path.suffix.lower() == ".xlsm", keep_links=True)
        except Exception as exc:  # openpyxl raises many kinds for a broken or encrypted file
            raise MasterError(
                f"Không mở được bảng tổng hợp {path.name} ({type(exc).__name__}): tệp hỏng hoặc có mật khẩu. "
                "Hãy lấy bản gần nhất trong thư mục .sao-luu cạnh tệp, hoặc ghi ra tệp mới (-o tên-khác.xlsx)."
            ) from None
    book = Workbook()
    book.remove(book.active)
    return book


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
        for row in sheet.iter_rows(min_row=1, max_row=last_row, max_col=last_col):
            for cell in row:
                cell.value = None
                cell.style = "Normal"
                cell.comment = None
                cell.hyperlink = None
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

    def fill(out) -> None:
        buffer = io.BytesIO()
        book.calculation.fullCalcOnLoad = True
        book.save(buffer)
        data = with_cached_values(buffer.getvalue(), cached)
        del buffer
        write_in_chunks(out, data)

    write_atomically(path, fill)


_FORMULA_CELL = re.compile(rb'<c r="([A-Z]+[0-9]+)"([^>]*)><f>([^<]*)</f>(?:<v\s*/>|<v></v>)')


def with_cached_values(data: bytes, cached: dict[str, dict[str, object]]) -> bytes:
    """Store each formula's computed value in the file, as Excel does when it saves.

    openpyxl writes formulas without results; readers that do not calculate (Protected View,
    calamine, pandas) would see empty cells. Excel and LibreOffice still recalculate on load.
    """
    source = zipfile.ZipFile(io.BytesIO(data))
    paths = _sheet_paths(source)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            values = next((cached[name] for name, p in paths.items() if p == item.filename and name in cached), None)
            if values:
                content = _FORMULA_CELL.sub(lambda m: _with_value(m, values), content)
            target.writestr(item, content)
    return out.getvalue()


def _with_value(match: re.Match, values: dict[str, object]) -> bytes:
    value = values.get(match[1].decode())
    if value is None:
        return match[0]
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return b'<c r="%s"%s><f>%s</f><v>%s</v>' % (match[1], match[2], match[3], str(value).encode())


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
