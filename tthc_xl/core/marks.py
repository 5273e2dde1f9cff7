"""How findings show on the sheet, for every adapter: the fill and the note of each marked cell,
and the rows of the "Kiểm tra" sheet."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from tthc_xl.core import style
from tthc_xl.core.model import place
from tthc_xl.core.model import DOCUMENT_SUFFIXES, ERROR, Finding, SourceFile

CHECK_HEADERS = ["STT", "Mức độ", "Ô", "Đơn vị", "Quy tắc", "Nội dung", "Ô nghi sai", "Giá trị gợi ý", "Tệp nguồn", "Ô nguồn"]
# Widths (Excel character units) that print on one landscape A4 page across, at a legible size;
# the text of the wrapped columns (unit, rule, message, suspects, fix, file) wraps, never cut.
CHECK_WIDTHS = (5, 8, 7, 22, 12, 50, 11, 11, 24, 7)
CHECK_WRAPPED = (4, 5, 6, 7, 8, 9)


def note_text(finding: Finding) -> str:
    text = finding.message
    if finding.source:
        source = finding.source
        where = source.sheet if source.file.lower().endswith(DOCUMENT_SUFFIXES) else f"trang {source.sheet}"
        text += f"\nNguồn: {Path(source.file).name}, {where}, ô {source.cell}."
    return text


def mark_plan(findings: list[Finding]) -> dict[str, tuple[str, list[str]]]:
    """Cell → (fill, note paragraphs): a finding's cell by severity, its suspects in their own colour."""
    notes: dict[str, list[str]] = {}
    colours: dict[str, str] = {}
    for finding in findings:
        colours[finding.cell] = style.ERROR_FILL if finding.severity == ERROR else colours.get(finding.cell, style.WARNING_FILL)
        notes.setdefault(finding.cell, []).append(note_text(finding))
        for suspect in finding.suspects:
            if suspect != finding.cell:
                colours.setdefault(suspect, style.SUSPECT_FILL)
                notes.setdefault(suspect, []).append(f"Ô nghi sai theo quy tắc {finding.rule} (xem {finding.cell}).")
    return {ref: (colour, notes[ref]) for ref, colour in colours.items()}


# ----------------------------------------------------------------------------------------------
# The "Kiểm tra" sheet, as plain data: each adapter writes it its own way (openpyxl cell links,
# HYPERLINK formulas through xlwings)
# ----------------------------------------------------------------------------------------------

CHECK_FIRST_ROW = 3  # the headers; findings start under them


@dataclass(frozen=True)
class Link:
    """A cell showing `text` that opens `target`: `#'Phụ lục I'!F11`, or a local unit file `file:///…#'Trang'!C9`."""

    text: str
    target: str


@dataclass
class CheckSheet:
    title: str
    rows: list[list] = field(default_factory=list)  # from CHECK_FIRST_ROW, 10 cells each: None, int, str or Link
    fills: list[tuple[int, int, str]] = field(default_factory=list)  # (row, column, colour)
    bold: list[int] = field(default_factory=list)  # rows of the section headings
    last_finding: int = CHECK_FIRST_ROW  # the findings' table ends here (its borders)


def check_sheet(findings: list[Finding], missing: list[str], sources: list[SourceFile], notes: list[str], book: str, master_sheet: str) -> CheckSheet:
    """The findings, each with links to its cell and to the unit file it came from; the units that
    sent nothing; the files read. `book` is how findings name the master (its path, or its name in Excel)."""
    errors = sum(1 for f in findings if f.severity == ERROR)
    sheet = CheckSheet(f"KẾT QUẢ KIỂM TRA: {errors} lỗi, {len(findings) - errors} cảnh báo, {len(missing)} đơn vị chưa gửi báo cáo")
    rows = sheet.rows
    rows.append(list(CHECK_HEADERS))
    for index, finding in enumerate(findings, start=1):
        in_master = finding.file == book and finding.sheet == master_sheet
        # Where the figure came from: the unit file behind a master cell, or the unit file itself.
        origin = finding.source or (None if in_master else finding)
        name = os.path.basename(origin.file) if origin else ""
        target = _place(origin.file, origin.sheet, origin.cell, book) if origin else None
        sheet.fills.append((CHECK_FIRST_ROW + len(rows), 2, style.ERROR_FILL if finding.severity == ERROR else style.WARNING_FILL))
        rows.append([
            index,
            "Lỗi" if finding.severity == ERROR else "Cảnh báo",
            Link(finding.cell, _in_sheet(master_sheet, finding.cell)) if in_master else None,
            finding.unit,
            finding.rule,
            finding.message,
            ", ".join(finding.suspects),
            ", ".join(f"{ref} = {value}" for ref, value in (finding.fix or {}).items()),
            Link(name, target) if target else name,
            place(origin.file, origin.cell, finding.column, origin.sheet) if origin else "",
        ])
    sheet.last_finding = CHECK_FIRST_ROW + len(rows) - 1
    rows.append([None] * 10)
    sheet.bold.append(CHECK_FIRST_ROW + len(rows))
    rows.append(["ĐƠN VỊ CHƯA GỬI BÁO CÁO"] + [None] * 9)
    for unit in missing:  # in the wrapped columns: a long name or file name wraps, never cut
        rows.append([None, None, None, unit, None, "chưa gửi báo cáo", None, None, None, None])
    rows.append([None] * 10)
    sheet.bold.append(CHECK_FIRST_ROW + len(rows))
    rows.append(["TỆP ĐÃ ĐỌC"] + [None] * 9)
    for source in sources:
        name = os.path.basename(source.file)  # os.path, not Path: a master lists thousands of files
        target = _place(source.file, source.sheet, "A1", book)
        if source.error:
            sheet.fills.append((CHECK_FIRST_ROW + len(rows), 6, style.ERROR_FILL))
        sheet_name = source.sheet if os.path.splitext(name)[1].lower() != ".csv" else None  # a CSV's one "sheet" is its name again
        rows.append([None, None, None, source.unit, sheet_name, source.error or "đã tổng hợp", None, None,
                     Link(name, target) if target else name, None])
    for note in notes:
        rows.append([None] * 5 + [note] + [None] * 4)
    return sheet


def _in_sheet(sheet: str, ref: str) -> str:
    return "#'" + sheet.replace("'", "''") + f"'!{ref}"


def _place(path: str, sheet: str, ref: str, book: str) -> str | None:
    """Where a source cell is: a sheet of this workbook, or a local unit file (never anything else)."""
    if path == book:
        return _in_sheet(sheet, ref) if sheet else None
    target = os.path.abspath(path)  # no resolve(): a link works through symlinks, and it costs a stat per folder
    if not os.path.isfile(target):
        return None
    uri = Path(target).as_uri()
    if not sheet or path.lower().endswith(DOCUMENT_SUFFIXES):  # Word and PDF readers know no sheet!cell address
        return uri
    return f"{uri}{_in_sheet(sheet, ref)}"
