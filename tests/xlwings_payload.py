"""xlwings Server payloads from real .xlsx files, and the returned actions applied back with openpyxl.

`payload(path)` builds the JSON the xlwings Office.js client (xlwings Server 1.20, xlwings 0.37.8)
POSTs for a workbook: `client`, `version`, `book` (name, active sheet, selection), `names` (each
with its sheet index and unqualified address), and for every sheet its values from A1 to the last
used cell (formula results, as Excel computed them: read with calamine from the cached values),
the addresses of its notes, its print area and used range. `values_from` reads the values from
another file (a copy LibreOffice recalculated) while everything else comes from `path`.

`apply_actions(book, actions)` does to an openpyxl workbook what the Office.js client does to the
open workbook for each action kind the tthc-xl buttons emit; an unknown kind fails the test.
Values typed through `setValues` are read the way Excel reads typed input: "=…" is a formula, a
leading apostrophe keeps text, and text that looks like a number, a date or TRUE/FALSE becomes one.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import openpyxl
import python_calamine
import xlwings as xw
from openpyxl.cell.cell import MergedCell
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter, range_boundaries
from openpyxl.workbook.defined_name import DefinedName


def _address(ref: str) -> str:
    return ref.replace("$", "").split("!")[-1]


def _used(values: list[list]) -> tuple[int, int, int, int] | None:
    cells = [(r, c) for r, row in enumerate(values) for c, v in enumerate(row) if v not in ("", None)]
    if not cells:
        return None
    return min(r for r, _ in cells), min(c for _, c in cells), max(r for r, _ in cells), max(c for _, c in cells)


def _js_value(value):
    if isinstance(value, dt.datetime | dt.date):  # the client sends date cells as ISO strings
        value = value if isinstance(value, dt.datetime) else dt.datetime(value.year, value.month, value.day)
        return value.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    if value is None:
        return ""
    return value


def payload(path: Path, values_from: Path | None = None, active: int = 0) -> dict:
    """The Office.js client's request body for the workbook at `path`."""
    path = Path(path)
    book = openpyxl.load_workbook(path, keep_vba=path.suffix == ".xlsm")
    cal = python_calamine.CalamineWorkbook.from_path(str(values_from or path))
    names = []
    for name, defined in book.defined_names.items():
        for sheet, ref in defined.destinations:
            names.append({
                "name": name, "refers_to": "=" + defined.attr_text, "type": "Range",
                "sheet_index": book.sheetnames.index(sheet), "address": _address(ref),
                "scope_sheet_name": None, "scope_sheet_index": None, "book_scope": True,
            })
    sheets = []
    for ws in book.worksheets:
        values = [[_js_value(v) for v in row] for row in cal.get_sheet_by_name(ws.title).to_python(skip_empty_area=False)]
        used = _used(values)
        if used is None:
            values = [[""]]
        else:
            values = [row[: used[3] + 1] + [""] * (used[3] + 1 - len(row)) for row in values[: used[2] + 1]]
        notes = [{"address": cell.coordinate} for row in ws.iter_rows() for cell in row if cell.comment is not None]
        area = ws.print_area
        sheets.append({
            "name": ws.title,
            "visibility": {"visible": "Visible", "hidden": "Hidden"}.get(ws.sheet_state, "VeryHidden"),
            "show_gridlines": ws.sheet_view.showGridLines is not False,
            "print_area": _address(area) if isinstance(area, str) else None,
            "notes": notes,
            "notes_supported": True,
            "used_range_address": (f"{get_column_letter(used[1] + 1)}{used[0] + 1}:{get_column_letter(used[3] + 1)}{used[2] + 1}" if used else None),
            "used_range_row_count": used[2] - used[0] + 1 if used else 0,
            "used_range_column_count": used[3] - used[1] + 1 if used else 0,
            "values": values,
            "pictures": [], "shapes": [], "charts": [], "tables": [], "pivot_tables": [],
        })
    return {
        "client": "Office.js",
        "version": xw.__version__,
        "book": {"name": path.name, "active_sheet_index": active, "selection": "A1", "calculation": "Automatic"},
        "names": names,
        "sheets": sheets,
    }


def set_cell(payload_: dict, sheet: str, ref: str, value) -> None:
    """Put a value in a payload, as if the clerk had typed it before pressing the button."""
    values = next(s for s in payload_["sheets"] if s["name"] == sheet)["values"]
    col, row = range_boundaries(ref)[:2]
    while len(values) < row:
        values.append([""] * len(values[0]))
    for line in values:
        line.extend([""] * (col - len(line)))
    values[row - 1][col - 1] = value


def set_name(payload_: dict, name: str, value) -> None:
    """Type a value into the cell a defined name refers to (the settings: ThuMucBaoCao, …)."""
    entry = next(n for n in payload_["names"] if n["name"] == name)
    set_cell(payload_, payload_["sheets"][entry["sheet_index"]]["name"], entry["address"].split(":")[0], value)


# ----------------------------------------------------------------------------------------------
# Applying actions
# ----------------------------------------------------------------------------------------------

_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_THIN = Side(style="thin", color="000000")
_SIDES = {"edge_top": "top", "edge_bottom": "bottom", "edge_left": "left", "edge_right": "right"}


def typed(value):
    """What Excel stores when `value` is written to a cell's values."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        return value
    if value.startswith("'"):
        return value[1:]
    if value.startswith("="):
        return value
    text = value.strip()
    if _NUMBER.match(text):
        number = float(text)
        return int(number) if number.is_integer() and "." not in text else number
    if (date := _DATE.match(text)) is not None:
        return dt.datetime(int(date[3]), int(date[2]), int(date[1]))
    if text.upper() in ("TRUE", "FALSE"):
        return text.upper() == "TRUE"
    return value


def _cells(ws, action):
    r0, c0 = action["start_row"] + 1, action["start_column"] + 1
    for r in range(r0, r0 + action["row_count"]):
        for c in range(c0, c0 + action["column_count"]):
            yield ws.cell(r, c)


def _bounds(action) -> tuple[int, int, int, int]:
    r0, c0 = action["start_row"] + 1, action["start_column"] + 1
    return r0, c0, r0 + action["row_count"] - 1, c0 + action["column_count"] - 1


def _unmerge(ws, r1, c1, r2, c2) -> None:
    for merged in list(ws.merged_cells.ranges):
        if merged.min_row <= r2 and merged.max_row >= r1 and merged.min_col <= c2 and merged.max_col >= c1:
            ws.unmerge_cells(str(merged))


def _reset(cell) -> None:
    cell.value = None
    cell.style = "Normal"
    cell.comment = None
    cell.hyperlink = None


def _font(cell, **changes) -> None:
    font = cell.font
    values = {"name": font.name, "size": font.size, "bold": font.bold, "italic": font.italic, "color": font.color, "underline": font.underline}
    values.update(changes)
    cell.font = Font(**values)


def _protect(book, sheet_name: str, protect: bool, unlocked: str) -> None:
    ws = book[sheet_name]
    ws.protection.sheet = bool(protect)
    if protect:
        ws.protection.formatCells = ws.protection.formatColumns = ws.protection.formatRows = False
        ws.protection.objects = False
        for address in filter(None, unlocked.split(",")):
            for row in ws[address] if ":" in address else [[ws[address]]]:
                for cell in row:
                    cell.protection = Protection(locked=False)


def _page_layout(book, sheet_name: str, layout_json: str) -> None:
    """What addin/tthc.js `tthcPageLayout` sets, line for line."""
    ws = book[sheet_name]
    layout = json.loads(layout_json)
    ws.page_setup.orientation = layout["orientation"].lower()
    ws.page_setup.paperSize = ws.PAPERSIZE_A4 if layout["paperSize"] == "A4" else layout["paperSize"]
    ws.print_title_rows = layout["titleRows"].replace("$", "")
    for side, points in layout["margins"].items():
        setattr(ws.page_margins, side, round(points / 72, 4))
    ws.print_options.horizontalCentered = layout["centerHorizontally"]
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = layout["fitWidth"], layout["fitHeight"]
    font, rest = re.fullmatch(r'&"([^"]+)"(.*)', layout["footer"]).groups()
    size, text = re.fullmatch(r"&(\d+)(.*)", rest).groups()
    ws.oddFooter.center.text, ws.oddFooter.center.font, ws.oddFooter.center.size = text, font, int(size)


_CHART_TYPES = {"ColumnClustered": ("col", BarChart), "BarClustered": ("bar", BarChart), "LineMarkers": (None, LineChart)}


def _add_chart(ws, name: str, kind: str, sheet_name: str, address: str) -> None:
    """What Excel draws for `sheet.charts.add()` + `set_source_data`: each column a series named by its first row."""
    direction, make = _CHART_TYPES[kind]
    chart = make()
    if direction:
        chart.type, chart.grouping = direction, "clustered"
    c1, r1, c2, r2 = range_boundaries(address.replace("$", ""))
    for col in range(c1, c2 + 1):
        chart.add_data(Reference(ws, min_col=col, min_row=r1, max_row=r2), titles_from_data=True)
    ws.add_chart(chart, "A1")


def _set_chart(ws, chart, func: str, args: list) -> None:
    if func == "setChartXAxisValues":
        c1, r1, _, r2 = range_boundaries(args[1].replace("$", ""))
        chart.set_categories(Reference(ws, min_col=c1, min_row=r1, max_row=r2))
    elif func == "setChartTitle":
        chart.title = args[0]
    elif func == "setChartAxis":
        axis, changes = (chart.y_axis if args[0] == "value" else chart.x_axis), args[1]
        if "title" in changes:
            axis.title = changes["title"]
        if "minimum_scale" in changes:
            axis.scaling.min = changes["minimum_scale"]
        if "maximum_scale" in changes:
            axis.scaling.max = changes["maximum_scale"]
        if changes.get("reverse_order"):
            axis.scaling.orientation = "maxMin"
    elif args[0] == "position":
        chart.legend.position = {"Bottom": "b", "Top": "t", "Left": "l", "Right": "r"}[args[1]]
    elif args[0] == "visible" and not args[1]:
        chart.legend = None


def apply_actions(book: openpyxl.Workbook, actions: list[dict]) -> list[dict]:
    """Apply the actions to `book` in order; returns the alerts they would show."""
    alerts = []
    for action in actions:
        func, args = action["func"], action["args"]
        ws = book.worksheets[action["sheet_position"]] if action.get("sheet_position") is not None else None
        if func == "setValues":
            r0, c0 = action["start_row"] + 1, action["start_column"] + 1
            for i, row in enumerate(action["values"]):
                for j, value in enumerate(row):
                    cell = ws.cell(r0 + i, c0 + j)
                    if isinstance(cell, MergedCell):
                        assert typed(value) is None, f"value written into a merged cell {cell.coordinate}"
                        continue
                    cell.value = typed(value)
                    if isinstance(value, str) and value.startswith("'"):
                        cell.data_type = "s"  # text, even "=…" (openpyxl would write a formula)
        elif func == "rangeClear":
            _unmerge(ws, *_bounds(action))
            for cell in _cells(ws, action):
                _reset(cell)
        elif func == "sheetClear":
            for merged in list(ws.merged_cells.ranges):
                ws.unmerge_cells(str(merged))
            for row in ws.iter_rows():
                for cell in row:
                    _reset(cell)
        elif func == "rangeUnmerge":
            _unmerge(ws, *_bounds(action))
        elif func == "rangeMerge":
            r1, c1, r2, c2 = _bounds(action)
            rows = [(r, r) for r in range(r1, r2 + 1)] if args[0] else [(r1, r2)]
            for a, b in rows:
                if (a, c1) != (b, c2):
                    ws.merge_cells(start_row=a, start_column=c1, end_row=b, end_column=c2)
        elif func == "setRangeColor":
            fill = PatternFill("solid", fgColor=args[0].lstrip("#").upper()) if args[0] else PatternFill(fill_type=None)
            for cell in _cells(ws, action):
                cell.fill = fill
        elif func == "setNumberFormat":
            for cell in _cells(ws, action):
                cell.number_format = args[0]
        elif func == "setFontProperty":
            name, value = args
            if name == "color":
                value = value.lstrip("#").upper()
            for cell in _cells(ws, action):
                if not isinstance(cell, MergedCell):
                    _font(cell, **{name: value})
        elif func == "setBorderProperty":
            side, attribute, value = args
            assert attribute == "line_style" and value == "continuous", action
            r1, c1, r2, c2 = _bounds(action)
            for cell in _cells(ws, action):
                if isinstance(cell, MergedCell):
                    continue
                border = cell.border
                sides = {k: getattr(border, k) for k in ("left", "right", "top", "bottom")}
                if side in _SIDES:
                    edge = _SIDES[side]
                    on_edge = {"top": cell.row == r1, "bottom": cell.row == r2, "left": cell.column == c1, "right": cell.column == c2}[edge]
                    if on_edge:
                        sides[edge] = _THIN
                elif side == "inside_horizontal":
                    if cell.row > r1:
                        sides["top"] = _THIN
                    if cell.row < r2:
                        sides["bottom"] = _THIN
                elif side == "inside_vertical":
                    if cell.column > c1:
                        sides["left"] = _THIN
                    if cell.column < c2:
                        sides["right"] = _THIN
                cell.border = Border(**sides)
        elif func in ("setHorizontalAlignment", "setVerticalAlignment", "setWrapText"):
            for cell in _cells(ws, action):
                if isinstance(cell, MergedCell):
                    continue
                a = cell.alignment
                values = {"horizontal": a.horizontal, "vertical": a.vertical, "wrap_text": a.wrap_text}
                if func == "setWrapText":
                    values["wrap_text"] = bool(args[0])
                else:
                    values["horizontal" if func == "setHorizontalAlignment" else "vertical"] = args[0].lower()
                cell.alignment = Alignment(**values)
        elif func == "setColumnWidth":
            r1, c1, r2, c2 = _bounds(action)
            for c in range(c1, c2 + 1):
                ws.column_dimensions[get_column_letter(c)].width = round((args[0] / 0.75 - 5) / 7, 2)
        elif func == "setRowHeight":
            r1, _, r2, _ = _bounds(action)
            for r in range(r1, r2 + 1):
                ws.row_dimensions[r].height = args[0]
        elif func == "setAutofit":
            assert args == ["rows"], action  # columns keep their planned widths
            r1, _, r2, _ = _bounds(action)
            for r in range(r1, r2 + 1):
                ws.row_dimensions[r].height = None  # Excel fits the row to its text; a file leaves it to the reader
        elif func == "addNote":
            comment = Comment(args[1], "tthc-xl")
            comment.width, comment.height = 360, 160
            ws[_address(args[0])].comment = comment
        elif func == "deleteNote":
            ws[_address(args[0])].comment = None
        elif func == "addHyperlink":
            cell = next(_cells(ws, action))
            cell.hyperlink = args[0]
        elif func == "sheetDelete":
            del book[book.worksheets[action["sheet_position"]].title]
        elif func == "addChart":
            _add_chart(ws, *args[:4])
        elif func in ("setChartXAxisValues", "setChartTitle", "setChartAxis", "setChartLegend"):
            _set_chart(ws, ws._charts[args[0]], func, args[1:])
        elif func == "addSheet":
            book.create_sheet(args[1], args[0])
        elif func == "activateSheet":
            book.active = args[0]
        elif func == "namesAdd":
            assert action["sheet_position"] is None
            book.defined_names[args[0]] = DefinedName(args[0], attr_text=args[1].lstrip("="))
        elif func == "setNameRefersTo":
            book.defined_names[args[0]] = DefinedName(args[0], attr_text=args[3].lstrip("="))
        elif func == "setPrintArea":
            ws.print_area = args[0]
        elif func == "freezePaneAtRange":
            _, _, c2, r2 = range_boundaries(args[0])
            ws.freeze_panes = ws.cell(r2 + 1, c2 + 1)
        elif func == "alert":
            alerts.append({"prompt": args[0], "title": args[1], "mode": args[3]})
        elif func == "runMacro":
            if args[0] == "tthcProtectSheet":
                _protect(book, *args[1:])
            elif args[0] == "tthcPageLayout":
                _page_layout(book, *args[1:])
            else:
                raise AssertionError(f"unknown add-in callback {args[0]}")
        else:
            raise AssertionError(f"action {func} is not applied by this test helper: {action}")
    return alerts


def run_button(function, path: Path, values_from: Path | None = None, edit=None, save_to: Path | None = None, **kwargs):
    """Press a button on the workbook at `path` through xlwings' remote engine; apply the actions.

    `edit(payload)` changes the payload first (what the clerk typed); the result is saved to
    `save_to` (default: in place). Returns (the function's result, the actions, the alerts).
    """
    data = payload(path, values_from)
    if edit:
        edit(data)
    book = xw.Book(json=data)
    try:
        result = function(book, **kwargs)
        actions = book.json()["actions"]
    finally:
        book.close()
    workbook = openpyxl.load_workbook(path, keep_vba=Path(path).suffix == ".xlsm")
    alerts = apply_actions(workbook, actions)
    workbook.save(save_to or path)
    return result, actions, alerts
