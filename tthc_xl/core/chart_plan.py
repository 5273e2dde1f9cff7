"""The "Biểu đồ" sheet as plain data: its data tables (a sheet plan) and the charts drawn from them.

Charts: received and resolved by period (columns), the on-time rate and the online rate by period
(lines, %), and received by unit for the current period (bars). The periods are the history's
(`tthc_xl.files.history.chart_rows`: `.period.label`, `.period.text`, `.period.kind`, `.totals`,
`.units`), the last one being the period just consolidated. The openpyxl adapter
(tthc_xl.xlsx.charts) and the xlwings adapter (tthc_xl.excel.charts) draw the same plan.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from tthc_xl.core import style
from tthc_xl.core.sheet_plan import Look, Rect, SheetPlan

SHEET = "Biểu đồ"
TITLE = "BIỂU ĐỒ TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH"
RATE_FORMAT = style.PERCENT_FORMAT
MAX_UNITS = 30  # bars in the by-unit chart
HEADER_HEIGHT = 30  # points: the tables' two-line headers
WIDTHS = {1: 34, 2: 14, 3: 14, 4: 14, 5: 14}
ROW_CM = 15 / 72 * 2.54  # a default row: 15 points


@dataclass
class ChartSpec:
    kind: str  # "column", "line" (percentages, 0–1) or "bar" (one series, first category on top)
    title: str
    y_title: str
    data: Rect  # the series, each column's first row its name
    categories: Rect
    anchor: tuple[int, int]  # the cell (row, column) at the chart's top left corner
    height_cm: float = 7.5
    width_cm: float = 16


@dataclass
class ChartPlan:
    sheet: SheetPlan
    charts: list[ChartSpec] = field(default_factory=list)
    page_breaks: list[int] = field(default_factory=list)  # rows a new printed page starts after
    last_row: int = 0  # the print area ends here (the tables' width, the charts' height)


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


_HEADER = Look(bold=True, fill=style.HEADER_FILL, border=True, horizontal="center", vertical="center", wrap=True)


def _table(plan: SheetPlan, head: int, headers: list[str], rows: list[list], formats: list[str | None]) -> None:
    plan.blocks.append((head, 1, [headers] + rows))
    plan.heights[head] = HEADER_HEIGHT
    for col in range(1, len(headers) + 1):
        plan.looks[(head, col)] = _HEADER
        for row in range(head + 1, head + len(rows) + 1):
            plan.looks[(row, col)] = Look(border=True, number_format=formats[col - 1] or "General")


def period_label(record) -> str:
    """"T10/2025", or "T10/2025 (3/16 đơn vị)" for a period whose figures miss some units."""
    label = record.period.label or "(chưa ghi kỳ)"
    reported = sum(1 for _, values in record.units if values)
    return f"{label} ({reported}/{len(record.units)} đơn vị)" if reported < len(record.units) else label


def chart_plan(history_rows) -> ChartPlan | None:
    """The sheet for `history_rows`, oldest first; None (no sheet) without rows."""
    rows = list(history_rows or [])
    if not rows:
        return None
    current = rows[-1]
    by = "theo tháng" if all(r.period.kind == "month" for r in rows) else "theo kỳ"
    plan = ChartPlan(SheetPlan(SHEET, widths=dict(WIDTHS)))
    sheet = plan.sheet
    note = (f"Kỳ hiện tại: {current.period.text or '(chưa ghi kỳ báo cáo)'}. Số liệu các kỳ trước lấy từ lịch sử "
            "tổng hợp (lich-su-tthc.sqlite); trang này được vẽ lại mỗi lần tổng hợp.")
    sheet.blocks.append((1, 1, [[TITLE], [note]]))
    sheet.looks[(1, 1)], sheet.looks[(2, 1)] = Look(size=style.TITLE_SIZE, bold=True), Look(italic=True)
    # The data table by period.
    head = 4
    periods = [[period_label(r), r.totals.get("received"), r.totals.get("resolved"), on_time_rate(r.totals), online_rate(r.totals)]
               for r in rows]
    _table(sheet, head, ["Kỳ", "Tiếp nhận", "Đã giải quyết", "Tỷ lệ giải quyết đúng hạn", "Tỷ lệ tiếp nhận trực tuyến"], periods,
           [None, style.COUNT_FORMAT, style.COUNT_FORMAT, RATE_FORMAT, RATE_FORMAT])
    last = head + len(rows)
    categories = (head + 1, 1, last, 1)
    plan.charts.append(ChartSpec("column", f"Hồ sơ tiếp nhận và đã giải quyết {by}", "Hồ sơ", (head, 2, last, 3), categories, (0, 1)))
    rate_cols = [c for c in (4, 5) if any(line[c - 1] is not None for line in periods)]
    if rate_cols:
        plan.charts.append(ChartSpec("line", f"Tỷ lệ giải quyết đúng hạn và tỷ lệ tiếp nhận trực tuyến {by} (%)", "Tỷ lệ (%)",
                                     (head, rate_cols[0], last, rate_cols[-1]), categories, (0, 1)))
    # Received by unit, current period.
    unit_head = last + 3
    caption = f"Hồ sơ tiếp nhận theo đơn vị, {current.period.text or 'kỳ hiện tại'}"
    units = [[name, values.get("received")] for name, values in current.units if values.get("received") is not None]
    heading = caption
    if len(units) > MAX_UNITS:  # a bar per commune would be unreadable: the units that received most
        units = sorted(units, key=lambda unit: -unit[1])[:MAX_UNITS]
        heading += f" ({MAX_UNITS} đơn vị tiếp nhận nhiều nhất)"
    sheet.blocks.append((unit_head - 1, 1, [[heading]]))
    sheet.looks[(unit_head - 1, 1)] = Look(bold=True)
    _table(sheet, unit_head, ["Đơn vị", "Tiếp nhận"], units, [None, style.COUNT_FORMAT])
    if units:
        plan.charts.append(ChartSpec("bar", caption, "Hồ sơ", (unit_head, 2, unit_head + len(units), 2),
                                     (unit_head + 1, 1, unit_head + len(units), 1), (0, 1), height_cm=max(15.5, 0.55 * len(units) + 3)))
    # The charts under the tables, one after another, as wide as the tables: the sheet prints one
    # page wide at its own size (side by side, the whole sheet shrank to an unreadable page). A
    # chart never straddles two pages: the two period charts start a page, the units' chart another.
    row = unit_head + len(units) + 2
    for index, spec in enumerate(plan.charts):
        if index != 1:
            plan.page_breaks.append(row - 1)
            row += 1  # a blank row under the break: a chart touching it would draw on the page before too
        spec.anchor = (row, 1)
        row += math.ceil(spec.height_cm / ROW_CM) + 1
    plan.last_row = row
    return plan
