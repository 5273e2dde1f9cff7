"""The sheets a dossier check adds to the master (openpyxl): "Hồ sơ lệch", the dossiers behind
each unit cell that differs from its dossiers (both statuses side by side), and "Chỉ số", the
Quyết định 766/QĐ-TTg indicators from the appendix (approximate) and from the dossiers."""

from __future__ import annotations

from pathlib import Path

from tthc_xl.files import openpyxl_without_numpy  # noqa: F401 - first: openpyxl without numpy
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter, quote_sheetname

from tthc_xl.core import style
from tthc_xl.core.dossiers import STATUS_NAMES, Difference, DossierView
from tthc_xl.core.indicators import Indicator
from tthc_xl.core.numbers import format_number

DIFFERENCES_SHEET = "Hồ sơ lệch"
INDICATORS_SHEET = "Chỉ số"
MAX_LISTED = 500  # dossiers listed under one difference
MAX_ALL = 5_000  # dossiers listed in the section of every status disagreement
DATE_FORMAT = "dd/mm/yyyy hh:mm"
CHANNEL_NAMES = {"online": "trực tuyến", "direct": "trực tiếp", "postal": "bưu chính công ích", "": ""}
DOSSIER_HEADERS = [
    "STT", "Mã hồ sơ", "Đơn vị", "Lĩnh vực", "Kênh nộp", "Ngày tiếp nhận", "Hạn trả (phần mềm)", "Hạn tính lại",
    "Yêu cầu bổ sung", "Nhận bổ sung", "Ngày kết thúc", "Trạng thái trên phần mềm", "Trạng thái theo ngày tháng", "Tệp", "Dòng",
]
WIDTHS = (5, 16, 26, 12, 12, 16, 16, 16, 16, 16, 16, 24, 24, 18, 7)

_THIN = Side(style="thin", color="000000")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)


def _font(bold=False, size=style.TABLE_SIZE, italic=False):
    return Font(name=style.FONT, size=size, bold=bold, italic=italic)


def _fresh(book, name: str, after: str | None):
    if name in book.sheetnames:
        del book[name]
    position = book.sheetnames.index(after) + 1 if after in book.sheetnames else len(book.sheetnames)
    return book.create_sheet(name, position)


def _heading(sheet, title: str, note: str) -> None:
    """A sheet's title in A1, and in A2 the italic note on how its figures are found."""
    sheet["A1"] = title
    sheet["A1"].font = _font(True, style.TITLE_SIZE)
    sheet["A2"] = note
    sheet["A2"].font = _font(italic=True)


def write_differences(book, differences: list[Difference], views: dict[str, list[DossierView]], master_sheet: str, after: str | None = None) -> None:
    """One block per differing cell (a link back to it, then its dossiers), then every dossier whose two statuses disagree."""
    sheet = _fresh(book, DIFFERENCES_SHEET, after)
    _heading(sheet, "HỒ SƠ GIẢI THÍCH CHÊNH LỆCH GIỮA SỐ LIỆU BÁO CÁO VÀ DANH SÁCH HỒ SƠ",
             "“Trạng thái theo ngày tháng” được tính lại từ ngày tiếp nhận, thời hạn giải quyết (ngày làm việc, "
             "trừ thời gian chờ bổ sung, tính từ giờ chuyển hồ sơ) và ngày kết thúc.")
    row = 4
    for difference in differences:
        target = f"#{quote_sheetname(master_sheet)}!{difference.cell}"
        gap = difference.gap
        heading = sheet.cell(row, 1, f"{difference.unit} — ô {difference.cell} (cột {difference.column}): báo cáo {format_number(difference.reported)}, "
                                     f"theo hồ sơ {format_number(difference.recomputed)}, chênh lệch {'+' if gap > 0 else ''}{format_number(gap)}")
        heading.hyperlink = target
        heading.font = Font(name=style.FONT, size=style.TABLE_SIZE, bold=True, underline="single", color="0563C1")
        row += 1
        if not difference.explained:
            sheet.cell(row, 2, "Không hồ sơ nào có trạng thái khác với ngày tháng: đơn vị cần kiểm tra lại số liệu.").font = _font(italic=True)
            row += 2
            continue
        listed = difference.dossiers[:MAX_LISTED]
        row = _dossier_table(sheet, row, listed)
        if difference.explained > len(listed):
            sheet.cell(row, 2, f"… và {format_number(difference.explained - len(listed))} hồ sơ khác (xem danh sách hồ sơ trên phần mềm).").font = _font(italic=True)
            row += 1
        row += 1
    everything = [v for group in views.values() for v in group]
    sheet.cell(row, 1, f"TẤT CẢ HỒ SƠ CÓ TRẠNG THÁI TRÊN PHẦN MỀM KHÁC VỚI NGÀY THÁNG ({format_number(len(everything))} hồ sơ)").font = _font(True)
    row = _dossier_table(sheet, row + 1, everything[:MAX_ALL])
    if len(everything) > MAX_ALL:
        sheet.cell(row, 2, f"… và {format_number(len(everything) - MAX_ALL)} hồ sơ khác (xem tệp JSON).").font = _font(italic=True)
    for index, width in enumerate(WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A4"


def _dossier_table(sheet, row: int, dossiers: list[DossierView]) -> int:
    header_fill = PatternFill("solid", fgColor=style.HEADER_FILL)
    for col, text in enumerate(DOSSIER_HEADERS, start=1):
        cell = sheet.cell(row, col, text)
        cell.font, cell.fill, cell.border = _font(True), header_fill, _BORDER
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
    for index, view in enumerate(dossiers, start=1):
        row += 1
        values = [
            index, view.code, view.unit, view.field, CHANNEL_NAMES.get(view.channel, view.channel), view.received, view.due, view.due_recomputed,
            view.supplement_requested, view.supplement_received, view.finished, STATUS_NAMES.get(view.status, view.status),
            STATUS_NAMES[view.outcome] + (" (kỳ trước chuyển sang)" if view.phase == "carried" else ""), Path(view.file).name, view.row,
        ]
        for col, value in enumerate(values, start=1):
            cell = sheet.cell(row, col, value)
            cell.border, cell.font = _BORDER, _font()
            if col in (2, 3, 4, 14):
                cell.data_type = "s"  # a code such as "=1" stays text
            if 6 <= col <= 11:
                cell.number_format = DATE_FORMAT
    return row + 1


def write_indicators(book, appendix: list[Indicator], dossiers: list[Indicator], by_unit: list[tuple[str, list[Indicator], list[Indicator]]],
                     after: str | None = None, paragraph: str = "") -> None:
    """The indicators, both bases side by side, the report's sentence on them, then each unit's."""
    sheet = _fresh(book, INDICATORS_SHEET, after)
    _heading(sheet, "CHỈ SỐ ĐÁNH GIÁ THEO QUYẾT ĐỊNH 766/QĐ-TTg",
             "Cột “Theo phụ lục” là giá trị xấp xỉ tính từ số liệu các đơn vị báo cáo; điểm chính thức do Cổng Dịch vụ công "
             "quốc gia tính từ dữ liệu hồ sơ và có thể khác. Cột “Theo hồ sơ” tính từ ngày tháng của từng hồ sơ.")
    headers = ["Chỉ số", "Nội dung", "Theo phụ lục (xấp xỉ)", "Tử số", "Mẫu số", "Theo hồ sơ", "Tử số", "Mẫu số", "Cách tính"]
    fill = PatternFill("solid", fgColor=style.HEADER_FILL)
    for col, text in enumerate(headers, start=1):
        cell = sheet.cell(4, col, text)
        cell.font, cell.fill, cell.border = _font(True), fill, _BORDER
        cell.alignment = Alignment(wrap_text=True, horizontal="center", vertical="center")
    for row, (a, d) in enumerate(zip(appendix, dossiers), start=5):
        values = [a.code, a.name, _share(a), a.numerator, a.denominator, _share(d), d.numerator, d.denominator, a.formula]
        for col, value in enumerate(values, start=1):
            cell = sheet.cell(row, col, value)
            cell.border, cell.font = _BORDER, _font()
            cell.number_format = style.PERCENT_FORMAT if col in (3, 6) else style.COUNT_FORMAT
            cell.alignment = Alignment(wrap_text=col in (2, 9), vertical="top")
    row = 6 + len(appendix)
    if paragraph:
        sheet.cell(row, 1, "Đoạn văn cho báo cáo:").font = _font(True)
        sheet.cell(row + 1, 1, paragraph).alignment = Alignment(wrap_text=True, vertical="top")
        sheet.merge_cells(start_row=row + 1, start_column=1, end_row=row + 1, end_column=9)
        sheet.row_dimensions[row + 1].height = 60
        row += 3
    sheet.cell(row, 1, "THEO TỪNG ĐƠN VỊ").font = _font(True)
    row += 1
    codes = [i.code for i in appendix]
    unit_headers = ["STT", "Đơn vị"] + [f"{code} {basis}" for code in codes for basis in ("theo phụ lục", "theo hồ sơ")]
    for col, text in enumerate(unit_headers, start=1):
        cell = sheet.cell(row, col, text)
        cell.font, cell.fill, cell.border = _font(True), fill, _BORDER
        cell.alignment = Alignment(wrap_text=True, horizontal="center")
    for index, (unit, reported, counted) in enumerate(by_unit, start=1):
        row += 1
        values = [index, unit] + [_share(x) for pair in zip(reported, counted) for x in pair]
        for col, value in enumerate(values, start=1):
            cell = sheet.cell(row, col, value)
            cell.border, cell.font = _BORDER, _font()
            if col > 2:
                cell.number_format = style.PERCENT_FORMAT
    for col, width in zip("ABCDEFGHI", (8, 34, 14, 10, 10, 14, 10, 10, 50)):
        sheet.column_dimensions[col].width = width


def _share(indicator: Indicator | None):
    if indicator is None or indicator.value is None:
        return None
    return indicator.value / 100
