"""The "Biểu đồ" sheet with openpyxl: core.chart_plan's tables through the openpyxl sheet writer,
and native Excel charts (openpyxl.chart) for its chart specs. The sheet belongs to the tool: it is
drawn again on every consolidation.
"""

from __future__ import annotations

from tthc_xl.files import openpyxl_without_numpy  # noqa: F401 - first: openpyxl without numpy
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet

from tthc_xl.core import style
from tthc_xl.core.chart_plan import MAX_UNITS, RATE_FORMAT, SHEET, TITLE, ChartSpec, chart_plan, online_rate, on_time_rate  # noqa: F401 - public here too
from tthc_xl.core.sheet_plan import draw
from tthc_xl.xlsx.sheet_writer import OpenpyxlSheet


def _chart(sheet: Worksheet, spec: ChartSpec):
    r1, c1, r2, c2 = spec.data
    chart = LineChart() if spec.kind == "line" else BarChart()
    if spec.kind != "line":
        chart.type, chart.grouping = ("bar" if spec.kind == "bar" else "col"), "clustered"
    chart.title = spec.title
    chart.y_axis.title = spec.y_title
    chart.style = 10
    chart.height, chart.width = spec.height_cm, spec.width_cm
    chart.legend.position = "b"
    # openpyxl ≥ 3.1 leaves the axes' "delete" flag unset, which Excel reads as hidden axes.
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    for col in range(c1, c2 + 1):
        chart.add_data(Reference(sheet, min_col=col, min_row=r1, max_row=r2), titles_from_data=True)
    k1, kc, k2, _ = spec.categories
    chart.set_categories(Reference(sheet, min_col=kc, min_row=k1, max_row=k2))
    chart.y_axis.scaling.min = 0
    if spec.kind == "line":
        chart.y_axis.number_format = "[$-42A]0%"
        chart.y_axis.scaling.max = 1
        for series in chart.series:
            series.marker.symbol = "circle"
            series.smooth = False
    else:
        chart.y_axis.number_format = style.COUNT_FORMAT
    if spec.kind == "bar":
        chart.y_axis.scaling.min = None
        chart.x_axis.scaling.orientation = "maxMin"  # first unit at the top, as in the table
        chart.legend = None
        chart.gapWidth = 40
    row, col = spec.anchor
    sheet.add_chart(chart, sheet.cell(row, col).coordinate)


def add_chart_sheet(book, history_rows, sheet_name: str = SHEET) -> Worksheet | None:
    """Draw (or draw again) the chart sheet from `history_rows`, oldest first, the current last.

    `history_rows`: `tthc_xl.files.history.PeriodRecord`s, as `history.chart_rows()` returns them.
    Returns the sheet, or None (and no sheet) when there are no rows.
    """
    index = None
    if sheet_name in book.sheetnames:
        index = book.sheetnames.index(sheet_name)
        del book[sheet_name]
    plan = chart_plan(history_rows)
    if plan is None:
        return None
    sheet = book.create_sheet(sheet_name, index)
    draw(plan.sheet, OpenpyxlSheet(book, sheet))
    for spec in plan.charts:
        _chart(sheet, spec)
    for row in plan.page_breaks:
        sheet.row_breaks.append(Break(id=row))
    sheet.print_area = f"A1:E{plan.last_row}"  # the tables' width: a chart's frame a hair wider adds no page
    # Portrait at a fixed scale (the tables are about 17 cm wide): no fitting, so that the page breaks
    # hold (LibreOffice ignores manual breaks when it fits a sheet to pages).
    sheet.page_setup.orientation = "portrait"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.scale = 80  # room for wider stand-in fonts of a machine without Calibri
    sheet.sheet_properties.pageSetUpPr.fitToPage = False
    sheet.page_margins = PageMargins(left=round(20 / 25.4, 4), right=round(12 / 25.4, 4), top=round(20 / 25.4, 4),
                                     bottom=round(20 / 25.4, 4), header=round(10 / 25.4, 4), footer=round(10 / 25.4, 4))
    sheet.oddFooter.center.text = "Trang &P/&N"
    sheet.oddFooter.center.font = f"{style.FONT},Regular"
    return sheet
