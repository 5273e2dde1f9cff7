"""The "Biểu đồ" sheet of a master: a small data table and native Excel charts (openpyxl.chart).

Charts: received and resolved by period (bars), the on-time rate and the online rate by period
(lines, %), and received by unit for the current period (bars). The periods come from the
history (`tthc_xl.files.history.chart_rows`), the last one being the period just consolidated. The
sheet belongs to the tool: it is drawn again on every consolidation.
"""

from __future__ import annotations

import math

from functools import lru_cache

from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet

from tthc_xl.core import style

SHEET = "Biểu đồ"
TITLE = "BIỂU ĐỒ TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH"
RATE_FORMAT = style.PERCENT_FORMAT
MAX_UNITS = 30  # bars in the by-unit chart
ROW_CM = 15 / 72 * 2.54  # a default row: 15 points

_THIN = Side(style="thin", color="000000")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEADER_FILL = PatternFill("solid", fgColor=style.HEADER_FILL)


@lru_cache(maxsize=None)  # one Font object per look: openpyxl hashes every style it is given
def _font(bold=False, italic=False, size=style.TABLE_SIZE) -> Font:
    return Font(name=style.FONT, size=size, bold=bold, italic=italic)


def on_time_rate(totals: dict) -> float | None:
    """Resolved early or on time, as a fraction of resolved; None without the figures."""
    resolved = totals.get("resolved")
    if not resolved:
        return None
    if "resolved_early" in totals or "resolved_on_time" in totals:
        return (totals.get("resolved_early", 0) + totals.get("resolved_on_time", 0)) / resolved
    if "resolved_late" in totals:
        return (resolved - totals["resolved_late"]) / resolved
    return None


def online_rate(totals: dict) -> float | None:
    """Received online, as a fraction of received; None without the figures."""
    received = totals.get("received")
    if not received or "received_online" not in totals:
        return None
    return totals["received_online"] / received


def _header(sheet: Worksheet, row: int, texts: list[str]) -> None:
    sheet.row_dimensions[row].height = 30
    for col, text in enumerate(texts, start=1):
        cell = sheet.cell(row, col, text)
        cell.font = _font(bold=True)
        cell.fill = _HEADER_FILL
        cell.border = _BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)


def _value(sheet: Worksheet, row: int, col: int, value, number_format: str | None = None) -> None:
    cell = sheet.cell(row, col, value)
    cell.border = _BORDER
    cell.font = _font()
    if number_format:
        cell.number_format = number_format


def _chart_common(chart, title: str, y_title: str) -> None:
    chart.title = title
    chart.y_axis.title = y_title
    chart.style = 10
    chart.height, chart.width = 7.5, 16
    chart.legend.position = "b"
    # openpyxl ≥ 3.1 leaves the axes' "delete" flag unset, which Excel reads as hidden axes.
    chart.x_axis.delete = False
    chart.y_axis.delete = False


def _period_label(record) -> str:
    """"T10/2025", or "T10/2025 (3/16 đơn vị)" for a period whose figures miss some units."""
    label = record.period.label or "(chưa ghi kỳ)"
    reported = sum(1 for _, values in record.units if values)
    return f"{label} ({reported}/{len(record.units)} đơn vị)" if reported < len(record.units) else label


def add_chart_sheet(book, history_rows, sheet_name: str = SHEET) -> Worksheet | None:
    """Draw (or draw again) the chart sheet from `history_rows`, oldest first, the current last.

    `history_rows`: `tthc_xl.files.history.PeriodRecord`s (`.period.label`, `.period.text`, `.totals`,
    `.units`), as `history.chart_rows()` returns them. Returns the sheet, or None (and no sheet)
    when there are no rows.
    """
    index = None
    if sheet_name in book.sheetnames:
        index = book.sheetnames.index(sheet_name)
        del book[sheet_name]
    rows = list(history_rows or [])
    if not rows:
        return None
    sheet = book.create_sheet(sheet_name, index)
    current = rows[-1]
    months = all(r.period.kind == "month" for r in rows)
    by = "theo tháng" if months else "theo kỳ"

    sheet["A1"] = TITLE
    sheet["A1"].font = _font(bold=True, size=style.TITLE_SIZE)
    sheet["A2"] = (f"Kỳ hiện tại: {current.period.text or '(chưa ghi kỳ báo cáo)'}. Số liệu các kỳ trước lấy từ lịch sử "
                   "tổng hợp (lich-su-tthc.sqlite); trang này được vẽ lại mỗi lần tổng hợp.")
    sheet["A2"].font = _font(italic=True)

    # The data table by period.
    head = 4
    _header(sheet, head, ["Kỳ", "Tiếp nhận", "Đã giải quyết", "Tỷ lệ giải quyết đúng hạn", "Tỷ lệ tiếp nhận trực tuyến"])
    for offset, record in enumerate(rows, start=1):
        r = head + offset
        _value(sheet, r, 1, _period_label(record))
        _value(sheet, r, 2, record.totals.get("received"), style.COUNT_FORMAT)
        _value(sheet, r, 3, record.totals.get("resolved"), style.COUNT_FORMAT)
        _value(sheet, r, 4, on_time_rate(record.totals), RATE_FORMAT)
        _value(sheet, r, 5, online_rate(record.totals), RATE_FORMAT)
    last = head + len(rows)
    categories = Reference(sheet, min_col=1, min_row=head + 1, max_row=last)

    counts = BarChart()
    counts.type, counts.grouping = "col", "clustered"
    _chart_common(counts, f"Hồ sơ tiếp nhận và đã giải quyết {by}", "Hồ sơ")
    counts.add_data(Reference(sheet, min_col=2, max_col=3, min_row=head, max_row=last), titles_from_data=True)
    counts.set_categories(categories)
    counts.y_axis.number_format = style.COUNT_FORMAT
    counts.y_axis.scaling.min = 0
    charts = [counts]

    rate_cols = [c for c, rate in ((4, on_time_rate), (5, online_rate)) if any(rate(r.totals) is not None for r in rows)]
    if rate_cols:
        rates = LineChart()
        _chart_common(rates, f"Tỷ lệ giải quyết đúng hạn và tỷ lệ tiếp nhận trực tuyến {by} (%)", "Tỷ lệ (%)")
        for col in rate_cols:
            rates.add_data(Reference(sheet, min_col=col, min_row=head, max_row=last), titles_from_data=True)
        rates.set_categories(categories)
        rates.y_axis.number_format = "[$-42A]0%"
        rates.y_axis.scaling.min = 0
        rates.y_axis.scaling.max = 1
        for series in rates.series:
            series.marker.symbol = "circle"
            series.smooth = False
        charts.append(rates)

    # Received by unit, current period.
    unit_head = last + 3
    sheet.cell(unit_head - 1, 1, f"Hồ sơ tiếp nhận theo đơn vị, {current.period.text or 'kỳ hiện tại'}").font = _font(bold=True)
    _header(sheet, unit_head, ["Đơn vị", "Tiếp nhận"])
    units = [(name, values.get("received")) for name, values in current.units if values.get("received") is not None]
    if len(units) > MAX_UNITS:  # a bar per commune would be unreadable: the units that received most
        units = sorted(units, key=lambda unit: -unit[1])[:MAX_UNITS]
        sheet.cell(unit_head - 1, 1).value += f" ({MAX_UNITS} đơn vị tiếp nhận nhiều nhất)"
    for offset, (name, received) in enumerate(units, start=1):
        _value(sheet, unit_head + offset, 1, name)
        sheet.cell(unit_head + offset, 1).data_type = "s"
        _value(sheet, unit_head + offset, 2, received, style.COUNT_FORMAT)
    if units:
        by_unit = BarChart()
        by_unit.type, by_unit.grouping = "bar", "clustered"
        _chart_common(by_unit, f"Hồ sơ tiếp nhận theo đơn vị, {current.period.text or 'kỳ hiện tại'}", "Hồ sơ")
        by_unit.height = max(15.5, 0.55 * len(units) + 3)
        by_unit.add_data(Reference(sheet, min_col=2, min_row=unit_head, max_row=unit_head + len(units)), titles_from_data=True)
        by_unit.set_categories(Reference(sheet, min_col=1, min_row=unit_head + 1, max_row=unit_head + len(units)))
        by_unit.x_axis.scaling.orientation = "maxMin"  # first unit at the top, as in the table
        by_unit.legend = None
        by_unit.y_axis.number_format = style.COUNT_FORMAT
        by_unit.gapWidth = 40
        charts.append(by_unit)

    # The charts under the tables, one after another, as wide as the tables: the sheet prints one
    # page wide at its own size (side by side, the whole sheet shrank to an unreadable page).
    # A chart never straddles two pages: the two period charts start a page, the units' chart another.
    row = unit_head + len(units) + 2
    for index, chart in enumerate(charts):
        if index != 1:
            sheet.row_breaks.append(Break(id=row - 1))
            row += 1  # a blank row under the break: a chart touching it would draw on the page before too
        sheet.add_chart(chart, f"A{row}")
        row += math.ceil(chart.height / ROW_CM) + 1
    sheet.print_area = f"A1:E{row}"  # the tables' width: a chart's frame a hair wider adds no page
    sheet.column_dimensions["A"].width = 34
    for col in "BCDE":
        sheet.column_dimensions[col].width = 14
    # Portrait at a fixed scale (the tables are about 17 cm wide): no fitting, so that the page breaks
    # above hold (LibreOffice ignores manual breaks when it fits a sheet to pages).
    sheet.page_setup.orientation = "portrait"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.scale = 80  # room for wider stand-in fonts of a machine without Calibri
    sheet.sheet_properties.pageSetUpPr.fitToPage = False
    sheet.page_margins = PageMargins(left=round(20 / 25.4, 4), right=round(12 / 25.4, 4), top=round(20 / 25.4, 4),
                                     bottom=round(20 / 25.4, 4), header=round(10 / 25.4, 4), footer=round(10 / 25.4, 4))
    sheet.oddFooter.center.text = "Trang &P/&N"
    sheet.oddFooter.center.font = f"{style.FONT},Regular"
    return sheet
