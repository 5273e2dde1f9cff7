"""Comparing two masters read back with openpyxl: a cell's look, the charts, and a whole workbook
cell for cell (tests/test_one_master.py: CLI against button; tests/test_xlsxwriter_engine.py:
XlsxWriter against openpyxl)."""

from __future__ import annotations

import openpyxl
from openpyxl.utils import column_index_from_string
from python_calamine import CalamineWorkbook


def _look(cell):
    font, align, border = cell.font, cell.alignment, cell.border
    return (
        cell.fill.fgColor.rgb[-6:] if cell.fill.fill_type else None,
        font.name, font.size, bool(font.bold), bool(font.italic),
        align.horizontal, align.vertical, bool(align.wrap_text),
        tuple(getattr(border, side).style for side in ("left", "right", "top", "bottom")),
        cell.protection.locked,
        cell.number_format if cell.value is not None else None,
    )


def _rgb(color) -> str | None:
    """A colour as written: its ARGB ("FFD9E1F2"), or its theme or index."""
    return None if color is None else f"{color.type}:{color.value}"


def full_look(cell) -> tuple:
    """Everything a cell's format says: font (name, size, bold, italic, underline, colour), fill,
    borders (style and colour of each side), alignment, protection, number format."""
    font, align, border, fill = cell.font, cell.alignment, cell.border, cell.fill
    sides = tuple((getattr(border, s).style, _rgb(getattr(border, s).color) if getattr(border, s).style else None)
                  for s in ("left", "right", "top", "bottom"))
    return (
        (font.name, font.size, bool(font.bold), bool(font.italic), font.underline, _rgb(font.color)),
        (fill.fill_type, _rgb(fill.fgColor) if fill.fill_type else None),
        sides,
        (align.horizontal, align.vertical, bool(align.wrap_text), align.indent, align.textRotation, bool(align.shrink_to_fit)),
        (cell.protection.locked, cell.protection.hidden),
        cell.number_format,
    )


def _text(title) -> str | None:
    if title is None or title.tx is None or title.tx.rich is None:
        return None
    return "".join(run.t for p in title.tx.rich.p for run in (p.r or []))


def _charts(sheet) -> list[tuple]:
    out = []
    for chart in sheet._charts:
        refs = [(s.tx.strRef.f if s.tx else None, s.val.numRef.f, s.cat.numRef.f if s.cat and s.cat.numRef else (s.cat.strRef.f if s.cat else None))
                for s in chart.series]
        out.append((chart.tagname, getattr(chart, "type", None), _text(chart.title), _text(chart.y_axis.title),
                    chart.y_axis.scaling.min, chart.y_axis.scaling.max, chart.x_axis.scaling.orientation, chart.legend is None, refs))
    return out


def _chart_details(sheet) -> list[tuple]:
    """Beyond `_charts`: the grouping, the legend's place, the value axis' number format, the
    markers, the gap between bars, and the cell at each chart's top left corner."""
    out = []
    for chart in sheet._charts:
        marker = [(s.marker.symbol if s.marker else None, bool(s.smooth)) for s in chart.series] if chart.tagname == "lineChart" else None
        anchor = chart.anchor._from
        out.append((getattr(chart, "grouping", None), chart.legend.position if chart.legend else None,
                    chart.y_axis.number_format if chart.y_axis.number_format else None, marker, getattr(chart, "gapWidth", None),
                    bool(chart.x_axis.delete), bool(chart.y_axis.delete), (anchor.row, anchor.col)))
    return out


def _link(cell) -> str | None:
    """Where a cell's hyperlink leads, its target and location together ("#'Phụ lục I'!F11")."""
    link = cell.hyperlink
    if link is None:
        return None
    return (link.target or "") + (f"#{link.location}" if link.location else "")


def _dimensions(dimensions) -> dict:
    """Column widths or row heights that are set, by column letter or row, each column of a range on its own."""
    out = {}
    for key, dimension in dimensions.items():
        if isinstance(key, str):
            if dimension.width and dimension.customWidth:
                first = dimension.min or column_index_from_string(key)  # a column set in code has no range yet
                for col in range(first, (dimension.max or first) + 1):
                    out[col] = dimension.width
        elif dimension.height is not None:
            out[key] = dimension.height
    return out


def column_width(sheet, letter: str) -> float | None:
    """The width a column is set to, also when the file describes it inside a range of equal columns."""
    return _dimensions(sheet.column_dimensions).get(column_index_from_string(letter))


def _page(sheet) -> tuple:
    setup, margins, options = sheet.page_setup, sheet.page_margins, sheet.print_options
    footer = sheet.oddFooter.center
    return (
        setup.orientation, setup.paperSize, setup.scale, setup.fitToWidth, setup.fitToHeight,
        bool(sheet.sheet_properties.pageSetUpPr and sheet.sheet_properties.pageSetUpPr.fitToPage),
        bool(options.horizontalCentered), bool(options.verticalCentered), bool(options.gridLines), bool(options.headings),
        (margins.left, margins.right, margins.top, margins.bottom, margins.header, margins.footer),
        sheet.print_title_rows, sheet.print_title_cols, sheet.print_area,
        (footer.text, footer.font, footer.size), sheet.oddHeader.center.text,
        [(b.id, b.min, b.max, b.man) for b in sheet.row_breaks.brk], [b.id for b in sheet.col_breaks.brk],
    )


_PROTECTION = ("sheet", "objects", "scenarios", "formatCells", "formatColumns", "formatRows", "insertColumns", "insertRows",
               "insertHyperlinks", "deleteColumns", "deleteRows", "selectLockedCells", "selectUnlockedCells", "sort", "autoFilter",
               "pivotTables", "password")


def assert_same_sheet(x, y, area: tuple[int, int] | None = None) -> None:
    """Two openpyxl sheets are the same cell for cell: every cell's value, formula, look, note and
    link, merges, widths, heights, frozen panes, page setup, protection, charts. With `area`
    (last row, last column), only the cells, merges, widths and heights inside rows 1..last row and
    columns 1..last column are compared: the rest of the sheet may hold what a clerk added."""
    where = x.title
    if area is None:
        assert (x.max_row, x.max_column) == (y.max_row, y.max_column), where
    last_row, last_col = area or (x.max_row, x.max_column)
    inside = lambda r: r.max_row <= last_row and r.max_col <= last_col  # noqa: E731
    assert sorted(str(r) for r in x.merged_cells.ranges if inside(r)) == sorted(str(r) for r in y.merged_cells.ranges if inside(r)), where
    for row in range(1, last_row + 1):
        for col in range(1, last_col + 1):
            p, q = x.cell(row, col), y.cell(row, col)
            at = (where, p.coordinate)
            assert (p.value, p.data_type if p.value is not None else None) == (q.value, q.data_type if q.value is not None else None), at
            assert full_look(p) == full_look(q), at
            assert ((p.comment.text, p.comment.author) if p.comment else None) == ((q.comment.text, q.comment.author) if q.comment else None), at
            assert _link(p) == _link(q), at
    widths = lambda s: {c: w for c, w in _dimensions(s.column_dimensions).items() if c <= last_col}  # noqa: E731
    heights = lambda s: {r: h for r, h in _dimensions(s.row_dimensions).items() if r <= last_row}  # noqa: E731
    assert widths(x) == widths(y), where
    assert heights(x) == heights(y), where
    assert x.freeze_panes == y.freeze_panes, where
    assert _page(x) == _page(y), where
    assert [getattr(x.protection, f) for f in _PROTECTION] == [getattr(y.protection, f) for f in _PROTECTION], where
    assert _charts(x) == _charts(y) and _chart_details(x) == _chart_details(y), where


def assert_same_books(ours, theirs) -> None:
    """The two workbooks at these paths are the same master cell for cell: sheets and their order,
    defined names, every sheet as assert_same_sheet compares it, and every cached result (openpyxl
    data_only and calamine)."""
    a, b = openpyxl.load_workbook(ours), openpyxl.load_workbook(theirs)
    assert a.sheetnames == b.sheetnames
    names = lambda book: {n: d.attr_text for n, d in book.defined_names.items()}  # noqa: E731
    assert names(a) == names(b)
    assert a.calculation.fullCalcOnLoad == b.calculation.fullCalcOnLoad == True  # noqa: E712 - the attribute as written
    for x, y in zip(a.worksheets, b.worksheets):
        assert_same_sheet(x, y)
    a, b = openpyxl.load_workbook(ours, data_only=True), openpyxl.load_workbook(theirs, data_only=True)
    for x, y in zip(a.worksheets, b.worksheets):
        assert [[c.value for c in r] for r in x.iter_rows()] == [[c.value for c in r] for r in y.iter_rows()], x.title
    a, b = CalamineWorkbook.from_path(str(ours)), CalamineWorkbook.from_path(str(theirs))
    assert a.sheet_names == b.sheet_names
    for name in a.sheet_names:
        assert a.get_sheet_by_name(name).to_python() == b.get_sheet_by_name(name).to_python(), name
