"""Render the master model onto an .xlsx/.xlsm with openpyxl (the CLI's and the tests' adapter).

The table region (title block to the previous-period rows) belongs to the tool and is rewritten on
every run; other sheets and everything outside the region stay as the clerk left them.
"""

from __future__ import annotations

import io
import os
import re
import tempfile
import zipfile
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook.defined_name import DefinedName

from . import style
from .master import DERIVED, INPUT, RATIO, SUM, Master, Settings
from .model import ERROR, GROUP, PERCENT, TOTAL, Finding

TABLE_NAME = "TTHC_BANG"  # defined name holding the table region, so a re-run knows what it owns
CHECK_SHEET = "Kiểm tra"
SETTINGS_SHEET = "Cài đặt"
SETTINGS = [  # (defined name, label, Settings attribute)
    ("KyBaoCao", "Kỳ báo cáo", "period"),
    ("SoBaoCao", "Số báo cáo", "report_number"),
    ("NgayBaoCao", "Ngày báo cáo", "report_date"),
    ("CoQuanBanHanh", "Cơ quan ban hành", "issuer"),
]
FOLDER_NAME = "ThuMucBaoCao"

_THIN = Side(style="thin", color="000000")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)


def _fill(rgb: str | None) -> PatternFill:
    return PatternFill("solid", fgColor=rgb) if rgb else PatternFill(fill_type=None)


def _font(size=style.TABLE_SIZE, bold=False, italic=False) -> Font:
    return Font(name=style.FONT, size=size, bold=bold, italic=italic)


def open_or_new(path: Path) -> Workbook:
    if path.exists():
        return load_workbook(path, keep_vba=path.suffix.lower() == ".xlsm", keep_links=True)
    book = Workbook()
    book.remove(book.active)
    return book


def read_settings(book: Workbook) -> Settings:
    """The clerk's settings from the named cells, wherever they are (the "Cài đặt" sheet or the buttons sheet)."""
    settings = Settings()
    for name, _, attribute in SETTINGS:
        value = _named_value(book, name)
        if value not in (None, ""):
            setattr(settings, attribute, str(value).strip())
    return settings


def _named_value(book: Workbook, name: str):
    if name not in book.defined_names:
        return None
    for sheet, ref in book.defined_names[name].destinations:
        if sheet in book.sheetnames:
            return book[sheet][ref.replace("$", "").split(":")[0]].value
    return None


def write_settings(book: Workbook, settings: Settings) -> None:
    """Named cells for the settings; created on a "Cài đặt" sheet when the workbook has none."""
    if all(name in book.defined_names for name, _, _ in SETTINGS):
        for name, _, attribute in SETTINGS:
            value = getattr(settings, attribute)
            for sheet, ref in book.defined_names[name].destinations:
                if value and sheet in book.sheetnames:
                    book[sheet][ref.replace("$", "")].value = value
        return
    sheet = book[SETTINGS_SHEET] if SETTINGS_SHEET in book.sheetnames else book.create_sheet(SETTINGS_SHEET)
    sheet["A1"] = "CÀI ĐẶT BẢNG TỔNG HỢP"
    sheet["A1"].font = _font(13, bold=True)
    rows = [(name, label, getattr(settings, attribute)) for name, label, attribute in SETTINGS]
    rows.append((FOLDER_NAME, "Thư mục báo cáo đơn vị", ""))
    for index, (name, label, value) in enumerate(rows, start=3):
        sheet.cell(index, 1, label).font = _font(bold=True)
        cell = sheet.cell(index, 2)
        if value or cell.value is None:
            cell.value = value or None
        cell.fill = _fill(style.INPUT_FILL)
        book.defined_names[name] = DefinedName(name, attr_text=f"{quote_sheetname(SETTINGS_SHEET)}!$B${index}")
    sheet.column_dimensions["A"].width = 28
    sheet.column_dimensions["B"].width = 60


def save_master(outcome, path: Path) -> None:
    """Write a consolidation into the master at `path`, creating it or updating it in place."""
    book = open_or_new(path)
    cached = render(outcome, book, str(path))
    save_atomically(book, path, cached)


def render(outcome, book: Workbook, output: str) -> dict[str, dict[str, object]]:
    """Write the master onto the workbook; returns the computed value of every formula cell by sheet."""
    master = outcome.master
    write_settings(book, master.settings)
    if master.sheet in book.sheetnames:
        sheet = book[master.sheet]
        _clear_region(book, sheet)
    else:
        sheet = book.create_sheet(master.sheet, 0 if "Điều khiển" not in book.sheetnames else 1)
    cached = write_table(master, sheet)
    in_master = [f for f in outcome.findings if f.file == output and f.sheet == master.sheet]
    mark(sheet, in_master)
    write_check_sheet(book, master, outcome.findings, outcome.sources, outcome.notes, output)
    book.defined_names[TABLE_NAME] = DefinedName(
        TABLE_NAME, attr_text=f"{quote_sheetname(master.sheet)}!$A$1:${get_column_letter(master.last_col)}${_region_end(master)}"
    )
    return {master.sheet: cached}


def _region_end(master: Master) -> int:
    return master.last_row + (3 if master.previous else 0)


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
    layout = master.layout
    last_col = master.last_col
    cached: dict[str, object] = {}
    # Title block.
    for index, text in enumerate(master.settings.title_lines, start=1):
        cell = sheet.cell(index, 1, text)
        cell.font = _font(style.TITLE_SIZE, bold=index < 3, italic=index == 3)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        sheet.merge_cells(start_row=index, start_column=1, end_row=index, end_column=last_col)
    # Header and number row.
    texts, merges = master.header_cells()
    for row in range(master.header_row, master.number_row + 1):
        for col in range(1, last_col + 1):
            cell = sheet.cell(row, col)
            cell.border = _BORDER
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
            cell.font = _font(bold=row < master.number_row, italic=row == master.number_row)
            cell.fill = _fill(style.HEADER_FILL)
    for (row, col), text in texts.items():
        sheet.cell(row, col, text)
    for row1, col1, row2, col2 in merges:
        sheet.merge_cells(start_row=row1, start_column=col1, end_row=row2, end_column=col2)
    for n, text in master.number_row_texts().items():
        sheet.cell(master.number_row, n, text)
    # Rows.
    label_col = layout.label_column or 2
    order_col = layout.order_column or 1
    for mrow in master.rows:
        strong = mrow.kind in (GROUP, TOTAL, PERCENT)
        for col in range(1, last_col + 1):
            cell = sheet.cell(mrow.row, col)
            cell.border = _BORDER
            cell.font = _font(bold=strong)
            cell.protection = Protection(locked=True)
        order = sheet.cell(mrow.row, order_col, mrow.order)
        order.alignment = Alignment(horizontal="center", vertical="center")
        label = sheet.cell(mrow.row, label_col, mrow.label)
        label.data_type = "s"  # text stays text, even "=…" typed by a unit
        label.alignment = Alignment(vertical="center", wrap_text=True, horizontal="center" if mrow.kind in (TOTAL, PERCENT) else "left")
        for n, slot in mrow.slots.items():
            cell = sheet.cell(mrow.row, n)
            cell.value = slot.formula if slot.formula else slot.value
            if slot.formula:
                cached[cell.coordinate] = slot.value
            cell.number_format = style.PERCENT_FORMAT if slot.role == RATIO else style.COUNT_FORMAT
            cell.alignment = Alignment(horizontal="right", vertical="center")
            if slot.role == INPUT:
                cell.fill = _fill(style.INPUT_FILL)
                cell.protection = Protection(locked=False)
            elif slot.role in (DERIVED, SUM, RATIO):
                cell.fill = _fill(style.FORMULA_FILL)
    if master.previous:
        _write_previous(master, sheet, cached)
    # Column widths: unit names wrap rather than being cut.
    sheet.column_dimensions[get_column_letter(order_col)].width = 6
    sheet.column_dimensions[get_column_letter(label_col)].width = 34
    for n in layout.count_columns:
        sheet.column_dimensions[get_column_letter(n)].width = 10
    sheet.freeze_panes = sheet.cell(master.first_data_row, label_col + 1)
    protection = sheet.protection
    protection.sheet = True  # no password: it guards formulas against slips, not against people
    protection.formatCells = protection.formatColumns = protection.formatRows = False
    protection.objects = False
    return cached


def _write_previous(master: Master, sheet, cached: dict[str, object]) -> None:
    """The previous period's totals and the change, two rows under the table, for the report."""
    total = master.total_row
    before, change = master.last_row + 2, master.last_row + 3
    sheet.cell(before, master.layout.label_column or 2, "Tổng cộng kỳ trước").font = _font(italic=True)
    sheet.cell(change, master.layout.label_column or 2, "Tăng (+), giảm (-) so với kỳ trước").font = _font(italic=True)
    for n in master.layout.count_columns:
        letter = get_column_letter(n)
        previous = master.previous.get(n, 0)
        sheet.cell(before, n, previous).number_format = style.COUNT_FORMAT
        cell = sheet.cell(change, n, f"={letter}{total.row}-{letter}{before}")
        cell.number_format = style.CHANGE_FORMAT
        cell.fill = _fill(style.FORMULA_FILL)
        cached[cell.coordinate] = (total.slots[n].value or 0) - previous


def mark(sheet, findings: list[Finding]) -> None:
    """Colour each finding's cell by severity, its suspects in their own colour, and note them."""
    notes: dict[str, list[str]] = {}
    colours: dict[str, str] = {}
    for finding in findings:
        colours[finding.cell] = style.ERROR_FILL if finding.severity == ERROR else colours.get(finding.cell, style.WARNING_FILL)
        notes.setdefault(finding.cell, []).append(note_text(finding))
        for suspect in finding.suspects:
            if suspect != finding.cell:
                colours.setdefault(suspect, style.SUSPECT_FILL)
                notes.setdefault(suspect, []).append(f"Ô nghi sai theo quy tắc {finding.rule} (xem {finding.cell}).")
    for ref, colour in colours.items():
        sheet[ref].fill = _fill(colour)
        comment = Comment("\n\n".join(notes[ref]), "tthc-xl")
        comment.width, comment.height = 360, 160
        sheet[ref].comment = comment


def note_text(finding: Finding) -> str:
    text = finding.message
    if finding.source:
        text += f"\nNguồn: {Path(finding.source.file).name}, trang {finding.source.sheet}, ô {finding.source.cell}."
    return text


def write_check_sheet(book: Workbook, master: Master, findings: list[Finding], sources: list[dict], notes: list[str], output: str) -> None:
    """The list of findings, each with a link to its cell and to the unit file it came from."""
    if CHECK_SHEET in book.sheetnames:
        del book[CHECK_SHEET]
    sheet = book.create_sheet(CHECK_SHEET, book.sheetnames.index(master.sheet) + 1)
    errors = sum(1 for f in findings if f.severity == ERROR)
    sheet["A1"] = f"KẾT QUẢ KIỂM TRA: {errors} lỗi, {len(findings) - errors} cảnh báo, {len(master.missing)} đơn vị chưa gửi báo cáo"
    sheet["A1"].font = _font(13, bold=True)
    headers = ["STT", "Mức độ", "Ô", "Đơn vị", "Quy tắc", "Nội dung", "Ô nghi sai", "Giá trị gợi ý", "Tệp nguồn", "Ô nguồn"]
    for col, text in enumerate(headers, start=1):
        cell = sheet.cell(3, col, text)
        cell.font = _font(bold=True)
        cell.fill = _fill(style.HEADER_FILL)
        cell.border = _BORDER
    row = 4
    for index, finding in enumerate(findings, start=1):
        in_master = finding.file == output and finding.sheet == master.sheet
        # Where the figure came from: the unit file behind a master cell, or the unit file itself.
        origin = finding.source or (None if in_master else finding)
        values = [
            index,
            "Lỗi" if finding.severity == ERROR else "Cảnh báo",
            finding.cell if in_master else "",
            finding.unit,
            finding.rule,
            finding.message,
            ", ".join(finding.suspects),
            ", ".join(f"{ref} = {value}" for ref, value in (finding.fix or {}).items()),
            Path(origin.file).name if origin else "",
            origin.cell if origin else "",
        ]
        for col, value in enumerate(values, start=1):
            cell = sheet.cell(row, col, value)
            cell.data_type = "n" if isinstance(value, int) else "s"
            cell.border = _BORDER
            cell.alignment = Alignment(vertical="top", wrap_text=col == 6)
            cell.font = _font()
        sheet.cell(row, 2).fill = _fill(style.ERROR_FILL if finding.severity == ERROR else style.WARNING_FILL)
        if in_master:
            sheet.cell(row, 3).hyperlink = f"#{quote_sheetname(master.sheet)}!{finding.cell}"
            sheet.cell(row, 3).style = "Hyperlink"
        if origin:
            _link_file(sheet.cell(row, 9), origin.file, origin.sheet, origin.cell)
        row += 1
    row += 1
    sheet.cell(row, 1, "ĐƠN VỊ CHƯA GỬI BÁO CÁO").font = _font(bold=True)
    for unit in master.missing:
        row += 1
        sheet.cell(row, 2, unit).data_type = "s"
        sheet.cell(row, 6, "chưa gửi báo cáo")
    row += 2
    sheet.cell(row, 1, "TỆP ĐÃ ĐỌC").font = _font(bold=True)
    for source in sources:
        row += 1
        name = sheet.cell(row, 2, Path(source["file"]).name)
        _link_file(name, source["file"], source["sheet"], "A1")
        sheet.cell(row, 3, source["sheet"])
        sheet.cell(row, 4, source["unit"]).data_type = "s"
        sheet.cell(row, 6, source["error"] or "đã tổng hợp")
        if source["error"]:
            sheet.cell(row, 6).fill = _fill(style.ERROR_FILL)
    for note in notes:
        row += 1
        sheet.cell(row, 6, note)
    for col, width in zip("ABCDEFGHIJ", (5, 9, 7, 30, 16, 80, 14, 14, 26, 9)):
        sheet.column_dimensions[col].width = width


def _link_file(cell, path: str, sheet: str, ref: str) -> None:
    """A link to a local unit file (never anything else), opened at the cell the figure came from."""
    target = Path(path).resolve()
    if not target.is_file():
        return
    cell.hyperlink = f"{target.as_uri()}#{quote_sheetname(sheet)}!{ref}" if sheet else target.as_uri()
    cell.style = "Hyperlink"


def save_atomically(book: Workbook, path: Path, cached: dict[str, dict[str, object]]) -> None:
    """Write to a temporary file beside the master, then rename: a crash leaves the old master whole."""
    buffer = io.BytesIO()
    book.calculation.fullCalcOnLoad = True
    book.save(buffer)
    data = with_cached_values(buffer.getvalue(), cached)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=path.suffix, dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


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
