"""The "Biểu đồ" sheet through xlwings: core.chart_plan's tables through the xlwings sheet writer,
and Excel charts (`sheet.charts.add`) for its chart specs.

What this engine does its own way: a chart is placed in points, computed from the planned column
widths and row heights (a digit ~ 7 px, 5 px margin; rows 15 points unless planned); the sheet's
page setup (one landscape page) is left as Excel has it. A button on the desktop draws the sheet
on every «Tổng hợp»; through xlwings Server (the remote engine) it does not: there every call is
a round trip and the sheet with its three charts costs some 50, a third of a whole consolidation,
so the sheet stays as `tthc-xl consolidate` or the desktop button last drew it.
"""

from __future__ import annotations

from tthc_xl.core.chart_plan import SHEET, ChartSpec, chart_plan
from tthc_xl.core.sheet_plan import draw
from tthc_xl.excel.sheet_writer import XlwingsSheet

_TYPES = {"column": "column_clustered", "line": "line_markers", "bar": "bar_clustered"}
_ROW_POINTS = 15.0
_CM = 72 / 2.54


def _sheet(book, name: str):
    return next((s for s in book.sheets if s.name.casefold() == name.casefold()), None)


def draw_chart_sheet(book, history_rows) -> object | None:
    """Draw (or draw again, in its place) the chart sheet from `history_rows` (as
    `history.chart_rows()` gives them); a new one goes last."""
    old = _sheet(book, SHEET)
    names = [s.name for s in book.sheets]
    following = names[names.index(old.name) + 1] if old is not None and old.name != names[-1] else None
    plan = chart_plan(history_rows)
    if old is not None:
        old.delete()
    if plan is None:
        return None
    if following is not None:
        sheet = book.sheets.add(SHEET, before=book.sheets[following])
    else:
        sheet = book.sheets.add(SHEET, after=book.sheets[len(book.sheets) - 1])
    draw(plan.sheet, XlwingsSheet(book, sheet))
    for spec in plan.charts:
        _chart(sheet, spec, plan.sheet.widths, plan.sheet.heights)
    return sheet


def _chart(sheet, spec: ChartSpec, widths: dict[int, float], heights: dict[int, float]) -> None:
    row, col = spec.anchor
    left = sum((widths.get(c, 8.43) * 7 + 5) * 0.75 for c in range(1, col))
    top = sum(heights.get(r, _ROW_POINTS) for r in range(1, row))
    chart = sheet.charts.add(left, top, spec.width_cm * _CM, spec.height_cm * _CM)
    chart.chart_type = _TYPES[spec.kind]
    r1, c1, r2, c2 = spec.data
    k1, kc, k2, _ = spec.categories
    chart.set_source_data(sheet.range((r1, c1), (r2, c2)))
    chart.set_x_axis_values(sheet.range((k1, kc), (k2, kc)))
    chart.title = spec.title
    if spec.kind == "line":
        chart.value_axis.set(title=spec.y_title, minimum_scale=0, maximum_scale=1)
    else:
        chart.value_axis.set(title=spec.y_title, minimum_scale=0 if spec.kind == "column" else None)
    if spec.kind == "bar":
        chart.category_axis.reverse_order = True  # first unit at the top, as in the table
        chart.legend.visible = False
    else:
        chart.legend.position = "bottom"
