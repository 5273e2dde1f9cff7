"""Print-ready appendix sheets and their PDF (`tthc-xl print`).

The settings themselves are plain data (tthc_xl.core.print_plan); `apply_print_setup` puts them on
an openpyxl worksheet. `export_pdf()` prints a clean copy of the master with LibreOffice: the
checker's marks, the notes and every fill are left out; the master itself is only read.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import zipfile
from copy import copy
from pathlib import Path

from tthc_xl.files import openpyxl_without_numpy  # noqa: F401 - first: openpyxl without numpy
from openpyxl import load_workbook
from openpyxl.cell.cell import MergedCell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.page import PageMargins

from tthc_xl.core.errors import ClerkError
from tthc_xl.core import style
from tthc_xl.files.convert import find_soffice
from tthc_xl.core.print_plan import (  # noqa: F401 - the print plan's names, where callers found them before
    A4, COUNT_WIDTH, FOOTER, HEADER_FOOTER_MM, LABEL_WIDTH, LANDSCAPE_MARGINS, ORDER_WIDTH, PORTRAIT_MARGINS,
    Margins, PrintSettings, check_print_settings, column_widths, print_settings, row_heights, settings_print_settings,
)

# The percentage row prints as the Vietnamese sample does: "68,75" under a "Tỷ lệ %" label.
PRINT_PERCENT_FORMAT = style.PERCENT_FORMAT.replace("%", "")

# ----------------------------------------------------------------------------------------------
# openpyxl adapter
# ----------------------------------------------------------------------------------------------


def apply_print_setup(sheet, settings: PrintSettings) -> None:
    """Put the settings on an openpyxl worksheet (page setup, repeated rows, widths, heights)."""
    setup = sheet.page_setup
    setup.paperSize = sheet.PAPERSIZE_A4
    setup.orientation = sheet.ORIENTATION_LANDSCAPE if settings.landscape else sheet.ORIENTATION_PORTRAIT
    setup.fitToWidth = settings.fit_width
    setup.fitToHeight = settings.fit_height
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_options.horizontalCentered = settings.center_horizontally
    sheet.print_options.gridLines = False
    m = settings.margins
    inch = lambda mm: round(mm / 25.4, 4)  # noqa: E731
    sheet.page_margins = PageMargins(
        left=inch(m.left), right=inch(m.right), top=inch(m.top), bottom=inch(m.bottom),
        header=inch(m.header), footer=inch(m.footer),
    )
    footer = sheet.oddFooter.center
    footer.text = settings.footer
    footer.font = f"{settings.font},Regular"
    footer.size = settings.font_size
    if settings.title_rows:
        sheet.print_title_rows = f"{settings.title_rows[0]}:{settings.title_rows[1]}"
    row1, col1, row2, col2 = settings.area
    sheet.print_area = f"{get_column_letter(col1)}{row1}:{get_column_letter(col2)}{row2}"
    for col, width in settings.column_widths.items():
        set_width(sheet, col, width)
    for row in range(row1, row2 + 1):  # rows not listed fit their text (and forget older heights)
        sheet.row_dimensions[row].height = settings.row_heights.get(row)


def set_width(sheet, col: int, width: float) -> None:
    """Column `col`'s width. A workbook saved by Excel or XlsxWriter describes equal neighbouring
    columns as one range (`<col min="3" max="5">`), which openpyxl keeps under its first letter:
    the range is split into its columns first, or the file would describe column 4 twice, which
    Excel repairs as a damaged file."""
    dimensions = sheet.column_dimensions
    for key, dimension in list(dimensions.items()):
        if dimension.min is not None and dimension.max is not None and dimension.min < dimension.max and dimension.min <= col <= dimension.max:
            del dimensions[key]
            for index in range(dimension.min, dimension.max + 1):
                single = copy(dimension)
                single.index, single.min, single.max = get_column_letter(index), index, index
                dimensions[single.index] = single
    dimensions[get_column_letter(col)].width = width


# ----------------------------------------------------------------------------------------------
# The clean copy and its PDF
# ----------------------------------------------------------------------------------------------


class PrintError(ClerkError):
    """Printing cannot go on; the message (Vietnamese) says why and what to do."""


def soffice_for_printing() -> str:
    """LibreOffice's command, or a PrintError that says how to install it."""
    found = find_soffice()
    if found:
        return found
    raise PrintError(
        "Không tìm thấy LibreOffice (lệnh soffice hoặc libreoffice) để xuất PDF. Hãy cài LibreOffice: "
        "trên Debian/Ubuntu chạy “sudo apt-get install libreoffice-calc fonts-liberation2”, "
        "trên Windows tải tại https://vi.libreoffice.org/download/ rồi chạy lại lệnh."
    )


def appendix_sheets(book) -> list[str]:
    """The sheets holding a table the tool wrote (its region is a defined name), in workbook order."""
    from tthc_xl.core.contract import TABLE_NAME

    if TABLE_NAME not in book.defined_names:
        return []
    names = {sheet for sheet, _ in book.defined_names[TABLE_NAME].destinations}
    return [name for name in book.sheetnames if name in names]


def clean_copy(master_path, target, sheets: list[str] | None = None) -> list[str]:
    """Write at `target` a copy of the master holding only the sheets to print, without marks.

    In the appendix sheets every fill (the checker's marks, input and formula shading, the header
    tint) and every note goes, and the percentage row prints as "68,75" (the fraction times 100,
    without the % sign). Returns the names of the sheets kept.
    """
    master_path = Path(master_path)
    if not master_path.is_file():
        raise PrintError(f"Không tìm thấy tệp {master_path}.")
    try:
        book = load_workbook(master_path)
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        raise PrintError(f"Không đọc được tệp {master_path.name} (không phải bảng tổng hợp .xlsx/.xlsm hợp lệ): {exc}") from exc
    tables = appendix_sheets(book)
    if sheets:
        unknown = [name for name in sheets if name not in book.sheetnames]
        if unknown:
            raise PrintError(
                f"Tệp {master_path.name} không có trang tính {', '.join(f'“{n}”' for n in unknown)}. "
                f"Các trang tính có: {', '.join(book.sheetnames)}."
            )
        keep = [name for name in book.sheetnames if name in sheets]
    else:
        keep = tables
        if not keep:
            raise PrintError(f"Tệp {master_path.name} không có bảng phụ lục do tthc-xl tổng hợp; hãy chọn trang tính cần in bằng --sheets.")
    for name in book.sheetnames:
        if name not in keep:
            del book[name]
    for name, defined in list(book.defined_names.items()):
        if any(sheet not in keep for sheet, _ in defined.destinations):
            del book.defined_names[name]
    book.active = 0
    # Column widths are counted in digits of the workbook's default font; Calibri is missing on
    # many Linux machines and its stand-in (DejaVu Sans) is much wider, which would shrink the
    # printed table. The document's own font keeps the widths print_settings() planned.
    if "Normal" in book.named_styles:
        book._named_styles["Normal"].font = Font(name=style.FONT, size=style.TABLE_SIZE)
    for name in keep:
        _strip_marks(book[name], appendix=name in tables)
    target = Path(target)
    book.save(target)
    return keep


def _strip_marks(sheet, appendix: bool) -> None:
    """No fill, no note. An appendix: percentages as the figure the sample prints (68,75 for 0,6875);
    another sheet of the clean copy (Kiểm tra, Cài đặt…): links in plain black."""
    plain = PatternFill(fill_type=None)
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell, MergedCell):
                continue
            cell.fill = plain
            cell.comment = None
            if not appendix:
                if cell.hyperlink is not None:
                    cell.hyperlink = None
                    cell.font = Font(name=style.FONT, size=cell.font.size or style.TABLE_SIZE)
                continue
            if "%" not in cell.number_format:
                continue
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.value = f"=100*({cell.value[1:]})"
            elif isinstance(cell.value, int | float):
                cell.value = cell.value * 100
            else:
                continue
            cell.number_format = PRINT_PERCENT_FORMAT


# Recalculate every formula on load: the clean copy, saved by openpyxl, keeps formulas only.
_PROFILE = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


def export_pdf(master_path, out_pdf=None, sheets: list[str] | None = None) -> Path:
    """Print the master's appendix sheets (or `sheets`) to PDF from a clean copy; returns the PDF."""
    master_path = Path(master_path)
    out_pdf = Path(out_pdf) if out_pdf else master_path.with_suffix(".pdf")
    soffice = soffice_for_printing()
    with tempfile.TemporaryDirectory(prefix="tthc-xl-in-") as work:
        work = Path(work)
        copy = work / "ban-in.xlsx"
        clean_copy(master_path, copy, sheets)
        profile = work / "profile"
        (profile / "user").mkdir(parents=True)
        (profile / "user" / "registrymodifications.xcu").write_text(_PROFILE, encoding="utf-8")
        try:
            result = subprocess.run(
                [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
                 "--convert-to", "pdf", "--outdir", str(work), str(copy)],
                capture_output=True, text=True, timeout=300,
            )
        except subprocess.TimeoutExpired as exc:
            raise PrintError("LibreOffice không xuất xong PDF sau 5 phút; hãy thử lại.") from exc
        produced = work / "ban-in.pdf"
        if not produced.exists():
            raise PrintError(f"LibreOffice không xuất được PDF từ {master_path.name}: {(result.stderr or result.stdout).strip()}")
        try:
            out_pdf.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(produced), out_pdf)
        except OSError as exc:
            raise PrintError(f"Không ghi được tệp {out_pdf} (tệp có đang mở trong trình đọc PDF không?): {exc}") from exc
    return out_pdf


# ----------------------------------------------------------------------------------------------
# Command line
# ----------------------------------------------------------------------------------------------
