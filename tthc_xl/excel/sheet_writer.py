"""The xlwings sheet writer: core.sheet_plan's SheetWriter on an open workbook's sheet.

Few calls, because on xlwings Server every call is one action the Office.js client runs: one value
write per block; each look attribute set once per rectangle of equal values (a fill under a cell
marked later joins its neighbours' rectangle); marks one fill per run in a row; borders per block;
consecutive one-row merges of the same columns in one `merge(across=True)`; widths and heights per
run of equal sizes.

What this engine does its own way, or cannot do:
* text is written with a leading apostrophe where Excel would read a formula, number or date;
  links are HYPERLINK formulas;
* cell locks: set by the protection call on the unlocked ranges; remote, the add-in's JavaScript
  callback `tthcProtectSheet` (addin/tthc.js) protects the sheet (Office.js has no xlwings call
  for it); Excel for Mac keeps its protection as it is;
* page layout other than the print area (orientation, margins, repeated rows, footer): remote, the
  add-in's callback `tthcPageLayout` (ExcelApi 1.9); Windows through COM; Mac: print area only;
* notes on an Excel without notes in its add-in API (ExcelApi < 1.18): none ("Kiểm tra" lists the
  findings); frozen panes on an engine without them: none;
* column widths: the remote engine takes points (a digit ~ 7 px, 5 px margin), desktop characters;
* row heights: the body's rows are fitted by Excel (one call), where a file (openpyxl) must carry
  the heights the print plan measured; titles and headers, merged, get the planned heights.
"""

from __future__ import annotations

import json
import sys
from dataclasses import fields

from tthc_xl.core.marks import Link
from tthc_xl.core.print_plan import PrintSettings
from tthc_xl.core.sheet_plan import Formula, Look, Rect, a1_range, rectangles, runs

PROTECT_CALLBACK = "tthcProtectSheet"
PAGE_LAYOUT_CALLBACK = "tthcPageLayout"

# Look attribute → (how xlwings sets it on a range, the value of a cleared cell: None = always set).
_ATTRIBUTES = {
    "font": (lambda r, v: setattr(r.font, "name", v), None),
    "size": (lambda r, v: setattr(r.font, "size", v), None),
    "bold": (lambda r, v: setattr(r.font, "bold", v), False),
    "italic": (lambda r, v: setattr(r.font, "italic", v), False),
    "color": (lambda r, v: setattr(r.font, "color", v), None),
    "fill": (lambda r, v: setattr(r, "color", v), None),
    "number_format": (lambda r, v: setattr(r, "number_format", v), "General"),
    "horizontal": (lambda r, v: setattr(r, "horizontal_alignment", v), None),
    "vertical": (lambda r, v: setattr(r, "vertical_alignment", v), None),
    "wrap": (lambda r, v: setattr(r, "wrap_text", v), False),
    "border": (lambda r, v: setattr(r.borders, "line_style", "continuous"), False),
}
_ALWAYS = {"font", "size"}
_WRITABLE_CLEARED = {"font", "size", "bold", "italic", "fill", "number_format", "wrap"}  # a cleared value can be set back
assert set(_ATTRIBUTES) == {f.name for f in fields(Look)} - {"locked"}  # every look attribute is written


def is_remote(book) -> bool:
    return book.app.engine.name == "remote"


def excel_value(value):
    """A plan value as Excel takes it typed into a cell: formulas as they are, text kept as text."""
    if isinstance(value, Link):
        return hyperlink(value.target, value.text)
    if isinstance(value, Formula):
        return str(value)
    return text_cell(value)


_NUMERIC = __import__("re").compile(r"^[\s\d.,/:%()+\-]*\d[\s\d.,/:%()+\-]*$")


def text_cell(value):
    """A text as Excel keeps it as text: a leading apostrophe where Excel would read a formula
    ("=", "+", "-", "@"), a number or a date ("1", "24/10/2019"), or TRUE/FALSE; None stays None."""
    if value is None or not isinstance(value, str):
        return value
    if value[:1] in ("=", "+", "-", "@", "'") or _NUMERIC.match(value) or value.strip().upper() in ("TRUE", "FALSE"):
        return "'" + value
    return value


def hyperlink(target: str, text: str) -> str:
    def quote(s: str) -> str:
        return '"' + s.replace('"', '""') + '"'

    return f"=HYPERLINK({quote(target)},{quote(text)})"


class XlwingsSheet:
    def __init__(self, book, sheet):
        self.book, self.sheet = book, sheet
        self.remote = is_remote(book)

    def _range(self, r1: int, c1: int, r2: int, c2: int):
        return self.sheet.range((r1, c1), (r2, c2))

    def write(self, row: int, col: int, values: list[list]) -> None:
        width = max(len(line) for line in values)
        self._range(row, col, row + len(values) - 1, col + width - 1).value = [
            [excel_value(v) for v in line] + [None] * (width - len(line)) for line in values
        ]

    def merge(self, rects: list[Rect]) -> None:
        """Consecutive one-row merges over the same columns become one `merge(across=True)`."""
        across: dict[tuple[int, int], list[int]] = {}
        for r1, c1, r2, c2 in rects:
            if r1 == r2:
                across.setdefault((c1, c2), []).append(r1)
            else:
                self._range(r1, c1, r2, c2).merge()
        for (c1, c2), rows in across.items():
            for first, last in runs(rows):
                self._range(first, c1, last, c2).merge(across=True)

    def style(self, looks: dict[tuple[int, int], Look], painted: set[tuple[int, int]], loose_fonts: bool = False) -> None:
        for name, (assign, cleared) in _ATTRIBUTES.items():
            every = {rc: getattr(look, name) for rc, look in looks.items()}
            cells = every if name in _ALWAYS else {rc: v for rc, v in every.items() if v != cleared}
            if not cells:
                continue
            free = painted if name == "fill" else frozenset()
            gaps = loose_fonts and name in _ALWAYS  # an empty cell's font: whatever takes fewer calls
            for r1, c1, r2, c2, value in _fewest(cells, every, free, name in _WRITABLE_CLEARED, cleared, gaps):
                assign(self._range(r1, c1, r2, c2), value)

    def paint(self, fills: dict[tuple[int, int], str | None]) -> None:
        """Fill cells, one call per horizontal run of one colour in a row."""
        by_row: dict[tuple[int, str | None], list[int]] = {}
        for (row, col), colour in fills.items():
            by_row.setdefault((row, colour), []).append(col)
        for (row, colour), cols in sorted(by_row.items(), key=lambda x: (x[0][0], str(x[0][1]))):
            for c1, c2 in runs(cols):
                self._range(row, c1, row, c2).color = colour

    def note(self, ref: str, text: str) -> None:
        try:
            self.sheet.range(ref).add_note(text)
        except NotImplementedError:
            pass  # an Excel without notes in its add-in API: "Kiểm tra" lists the finding

    def widths(self, widths: dict[int, float]) -> None:
        points = (lambda w: (w * 7 + 5) * 0.75) if self.remote else (lambda w: w)  # noqa: E731
        for c1, c2, width in _commonest_first(widths):
            self._range(1, c1, 1, c2).column_width = points(width)

    def heights(self, heights: dict[int, float], fitted: tuple[int, int] | None = None) -> None:
        """Planned heights, but the `fitted` rows (the body: wrapped names, no merges) are fitted by
        Excel itself in one call rather than one call per wrapped name."""
        if fitted:
            first, last = fitted
            heights = {row: height for row, height in heights.items() if not first <= row <= last}
        for r1, r2, height in _commonest_first(heights):
            self._range(r1, 1, r2, 1).row_height = height
        if fitted:
            self._range(fitted[0], 1, fitted[1], 1).rows.autofit()

    def freeze(self, row: int, col: int) -> None:
        try:
            self.sheet.freeze_panes.freeze_at(self._range(1, 1, row - 1, col - 1))
        except NotImplementedError:
            pass  # an engine without frozen panes: the table works without them

    def page_setup(self, settings: PrintSettings) -> None:
        row1, col1, row2, col2 = settings.area
        self.sheet.page_setup.print_area = a1_range(row1, col1, row2, col2)
        m = settings.margins
        footer = f'&"{settings.font},Regular"&{settings.font_size}{settings.footer}'
        if self.remote:
            layout = {
                "orientation": "Landscape" if settings.landscape else "Portrait",
                "paperSize": settings.paper,
                "titleRows": settings.title_rows_ref,
                "margins": {k: round(getattr(m, k) * 72 / 25.4, 2) for k in ("top", "bottom", "left", "right", "header", "footer")},
                "centerHorizontally": settings.center_horizontally,
                "fitWidth": settings.fit_width,
                "fitHeight": settings.fit_height,
                "footer": footer,
            }
            self.book.app.macro(PAGE_LAYOUT_CALLBACK)(self.sheet.name, json.dumps(layout))
        elif sys.platform.startswith("win"):
            setup = self.sheet.api.PageSetup
            points = lambda mm: mm * 72 / 25.4  # noqa: E731
            setup.PaperSize = 9  # xlPaperA4
            setup.Orientation = 2 if settings.landscape else 1
            setup.Zoom = False
            setup.FitToPagesWide = settings.fit_width
            setup.FitToPagesTall = settings.fit_height or False
            setup.CenterHorizontally = settings.center_horizontally
            setup.TopMargin, setup.BottomMargin = points(m.top), points(m.bottom)
            setup.LeftMargin, setup.RightMargin = points(m.left), points(m.right)
            setup.HeaderMargin, setup.FooterMargin = points(m.header), points(m.footer)
            setup.PrintTitleRows = settings.title_rows_ref
            setup.CenterFooter = footer
        # Excel for Mac: the print area above; the page setup stays as it is.

    def define(self, name: str, refers_to: str) -> None:
        try:
            self.book.names[name].refers_to = refers_to
        except Exception:  # no such name yet (each engine raises its own)
            self.book.names.add(name, refers_to)

    def protect(self, unlocked: list[Rect]) -> None:
        set_protection(self.book, self.sheet, True, [a1_range(*r) for r in unlocked])

    def unprotect(self) -> None:
        set_protection(self.book, self.sheet, False)


def set_protection(book, sheet, protect: bool, unlocked: list[str] | None = None) -> None:
    """Unprotect before writing, protect again after, input cells unlocked (formulas guarded
    against slips, not against people). Remote: the add-in's JavaScript callback does it."""
    if is_remote(book):
        book.app.macro(PROTECT_CALLBACK)(sheet.name, protect, ",".join(unlocked or []))
        return
    if sys.platform.startswith("win"):
        api = sheet.api
        if not protect:
            api.Unprotect()
            return
        for address in unlocked or []:
            sheet.range(address).api.Locked = False
        api.Protect(DrawingObjects=False, Contents=True, AllowFormattingCells=True, AllowFormattingColumns=True, AllowFormattingRows=True)
        return
    if not protect:  # Excel for Mac (appscript): unprotect a sheet protected without a password
        try:
            sheet.api.unprotect()
        except Exception:  # noqa: BLE001 - an unprotected sheet or an older Excel: nothing to undo
            pass


def _fewest(cells: dict, every: dict, free, writable: bool, cleared, gaps: bool = False) -> list[tuple[int, int, int, int, object]]:
    """The fewer calls of two covers: rectangles of equal values, or (where every cell of the values'
    bounding box is planned) the box in its commonest value, then rectangles of the other values.
    `writable`: whether the `cleared` value can be written back; `gaps`: whether a cell of the box
    the plan leaves alone may take the box's value."""
    plain = rectangles(cells, free)
    rows, cols = [r for r, _ in cells], [c for _, c in cells]
    r1, r2, c1, c2 = min(rows), max(rows), min(cols), max(cols)
    box = [(r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)]
    if gaps:
        free = set(free) | {rc for rc in box if rc not in every}
    elif len(plain) < 3 or any(rc not in every for rc in box):
        return plain
    if len(plain) < 2:
        return plain
    counts: dict[object, int] = {}
    for rc in box:
        if rc not in free:
            counts[every[rc]] = counts.get(every[rc], 0) + 1
    common = max(counts, key=counts.get)
    rest = {rc: every[rc] for rc in box if rc not in free and every[rc] != common}
    if not writable and cleared in rest.values():
        return plain  # a cleared value this engine cannot set back (no alignment, no border)
    for rc in box:  # box is in row order: a painted cell continues the run above it
        if rc in free and (rc[0] - 1, rc[1]) in rest:
            rest[rc] = rest[(rc[0] - 1, rc[1])]
    layered = [(r1, c1, r2, c2, common)] + (rectangles(rest, free) if rest else [])
    return layered if len(layered) < len(plain) else plain


def _commonest_first(sizes: dict[int, float]) -> list[tuple[int, int, float]]:
    """(first, last, size) calls: each run of listed rows or columns gets its commonest size in
    one call, then the other sizes per run."""
    calls = []
    for first, last in runs(sizes):
        by_size: dict[float, list[int]] = {}
        for index in range(first, last + 1):
            by_size.setdefault(sizes[index], []).append(index)
        common = max(by_size, key=lambda size: len(by_size[size]))
        calls.append((first, last, common))
        calls += [(a, b, size) for size, indexes in by_size.items() if size != common for a, b in runs(indexes)]
    return calls
