"""The print plan: how an appendix sheet prints, as plain data every writer applies.

`print_settings(master)` is a pure function from the master model to millimetres, points, row and
column numbers and strings: paper, orientation, margins (Nghị định 30/2020/NĐ-CP), the repeated
header, the print area, and the column widths and row heights measured with Times New Roman's
font metrics (so wrapped unit names and merged headers get rows tall enough).
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from tthc_xl.core import style
from tthc_xl.core.a1 import column_letters
from tthc_xl.core.master import TITLE_ROWS, Master
from tthc_xl.core.model import PERCENT, UNIT
from tthc_xl.core.numbers import format_number

# Paper and margins, millimetres. Nghị định 30/2020/NĐ-CP, Phụ lục I: top and bottom 20–25 mm,
# left 30–35 mm (the binding edge), right 15–20 mm, for a portrait A4 page.
A4 = (210.0, 297.0)
PORTRAIT_MARGINS = (20.0, 20.0, 30.0, 15.0)  # top, bottom, left, right
# A landscape appendix is bound into the portrait report with its top edge at the binding (the
# reader turns the document clockwise), so the binding margin moves to the top: top 30 mm,
# bottom 20 mm (the portrait right margin, at the top of its range to leave room for the page
# number), left and right 20 mm (the portrait top and bottom margins).
LANDSCAPE_MARGINS = (30.0, 20.0, 20.0, 20.0)
HEADER_FOOTER_MM = 10.0  # distance of the footer (page number) from the paper's edge
FOOTER = "Trang &P/&N"  # Excel header/footer codes: page number / number of pages

# Column widths in Excel's units: the width of a digit of the workbook's default font (7 pixels
# for Calibri 11, which Excel uses; the clean copy LibreOffice prints uses Times New Roman 11).
ORDER_WIDTH = 6
LABEL_WIDTH = (24, 40)  # the unit-name column: at least, at most; longer names wrap
COUNT_WIDTH = 9  # at least, for a figure column: room for "Trước hạn", "Số mới tiếp nhận"

_LINE = 1.25  # line height as a multiple of the font size (points)
_ROW_PADDING = 4.0  # points above and below the text of a row
_CELL_PADDING_PX = 8  # pixels left and right of a cell's text


@dataclass(frozen=True)
class Margins:
    """Millimetres from the paper's edges; `footer` is where the page number sits."""

    top: float
    bottom: float
    left: float
    right: float
    header: float = HEADER_FOOTER_MM
    footer: float = HEADER_FOOTER_MM


@dataclass
class PrintSettings:
    """How one appendix sheet prints, as plain data both adapters apply."""

    landscape: bool
    title_rows: tuple[int, int] | None  # first and last sheet row repeated on every page (None: no such rows)
    area: tuple[int, int, int, int]  # first row, first column, last row, last column (1-based)
    margins: Margins
    column_widths: dict[int, float] = field(default_factory=dict)  # column → Excel character units
    row_heights: dict[int, float] = field(default_factory=dict)  # row → points; rows not listed fit their text
    paper: str = "A4"
    fit_width: int = 1  # pages wide
    fit_height: int = 0  # pages tall; 0 = as many as needed
    center_horizontally: bool = True
    footer: str = FOOTER  # centre of the footer, Excel codes
    font: str = style.FONT
    font_size: int = style.TABLE_SIZE

    @property
    def title_rows_ref(self) -> str:
        """`$5:$8`, as Excel's PageSetup.PrintTitleRows takes it."""
        return f"${self.title_rows[0]}:${self.title_rows[1]}" if self.title_rows else ""

    @property
    def area_ref(self) -> str:
        """`$A$1:$N$26`, as Excel's PageSetup.PrintArea takes it."""
        row1, col1, row2, col2 = self.area
        return f"${column_letters(col1 - 1)}${row1}:${column_letters(col2 - 1)}${row2}"


# ----------------------------------------------------------------------------------------------
# Settings from the master model (pure)
# ----------------------------------------------------------------------------------------------


def print_settings(master: Master) -> PrintSettings:
    """Paper, orientation, repeated header, print area, margins, widths and heights of the appendix."""
    widths = column_widths(master)
    table_mm = sum(_width_px(w) for w in widths.values()) * 25.4 / 96
    _, _, left, right = PORTRAIT_MARGINS
    landscape = table_mm > A4[0] - left - right
    margins = Margins(*(LANDSCAPE_MARGINS if landscape else PORTRAIT_MARGINS))
    percent = master.rows_of(PERCENT)
    last = percent[0].row if percent else master.last_row
    return PrintSettings(
        landscape=landscape,
        title_rows=(master.header_row, master.number_row),
        area=(1, 1, last, master.last_col),
        margins=margins,
        column_widths=widths,
        row_heights=row_heights(master, widths),
    )


def check_print_settings(content) -> PrintSettings:
    """The "Kiểm tra" sheet (a marks.CheckSheet): landscape, one page wide, its header row on every
    page, each row as tall as its wrapped text so that no two rows overlap."""
    from tthc_xl.core.marks import CHECK_FIRST_ROW, CHECK_WIDTHS, CHECK_WRAPPED

    widths = dict(enumerate(CHECK_WIDTHS, start=1))
    size = style.TABLE_SIZE
    heights = {1: _height(1, style.TITLE_SIZE)}
    for offset, values in enumerate(content.rows):
        row = CHECK_FIRST_ROW + offset
        face = "bold" if row == CHECK_FIRST_ROW or row in content.bold else "regular"
        lines = [_lines(_text_of(value), widths[col], size, face) for col, value in enumerate(values, start=1)
                 if value is not None and col in CHECK_WRAPPED]
        heights[row] = _height(max(lines, default=1), size)
    last = CHECK_FIRST_ROW + len(content.rows) - 1
    return PrintSettings(landscape=True, title_rows=(CHECK_FIRST_ROW, CHECK_FIRST_ROW), area=(1, 1, last, len(CHECK_WIDTHS)),
                         margins=Margins(*LANDSCAPE_MARGINS), column_widths=widths, row_heights=heights)


def settings_print_settings(last_row: int, widths: dict[int, float]) -> PrintSettings:
    """The "Cài đặt" sheet: its labels and values on one portrait page."""
    return PrintSettings(landscape=False, title_rows=None, area=(1, 1, last_row, len(widths)), margins=Margins(*PORTRAIT_MARGINS),
                         column_widths=widths, fit_height=1, center_horizontally=False)


def _text_of(value) -> str:
    return str(getattr(value, "text", value))


def column_widths(master: Master) -> dict[int, float]:
    """Room for the widest figure and number-row text; the unit-name column fits the longest name
    on one line up to a bound, longer names wrap."""
    layout = master.layout
    label_col, order_col = master.label_col, master.order_col
    widths: dict[int, float] = {order_col: ORDER_WIDTH}
    longest = max((_one_line_width(r.label, style.TABLE_SIZE, _face(r)) for r in master.rows), default=0)
    widths[label_col] = min(max(longest, LABEL_WIDTH[0]), LABEL_WIDTH[1])
    numbers = master.number_row_texts()
    distinct: dict[int, set] = {n: set() for n in layout.count_columns}  # (percentage?, value): a column of 5 000 rows holds a few hundred
    for r in master.rows:  # one pass over the rows for all the columns
        percent = r.kind == PERCENT
        for n, s in r.slots.items():
            if n in distinct and isinstance(s.value, (int, float)):
                distinct[n].add((percent, s.value))
    for n in layout.count_columns:
        shown = distinct[n]
        figures = [format_number(value * 100, decimals=2) if percent else format_number(value) for percent, value in shown]
        widths[n] = max(
            COUNT_WIDTH,
            _one_line_width(numbers.get(n, ""), style.TABLE_SIZE, "italic"),
            *(_one_line_width(f, style.TABLE_SIZE, "bold") for f in figures),
        )
    return widths


def row_heights(master: Master, widths: dict[int, float]) -> dict[int, float]:
    """Points for every row of the print area but the blank one, tall enough for its wrapped text.

    Merged cells do not grow their rows (in Excel or LibreOffice), and Excel does not always grow
    a row on opening a file, so the heights are computed; a cell merged down several rows gets
    the rows' heights together.
    """
    size = style.TABLE_SIZE
    heights: dict[int, float] = {}
    span = lambda c1, c2: sum(widths.get(c, COUNT_WIDTH) for c in range(c1, c2 + 1))  # noqa: E731
    for row, text in enumerate(master.title_lines, start=1):
        lines = _lines(text, span(1, master.last_col), style.TITLE_SIZE, "bold" if row < TITLE_ROWS else "italic")
        heights[row] = _height(lines, style.TITLE_SIZE)
    texts, merges = master.header_cells()
    texts.update({(master.number_row, n): t for n, t in master.number_row_texts().items()})
    merged = {(r1, c1): (r2, c2) for r1, c1, r2, c2 in merges}
    for row in range(master.header_row, master.number_row + 1):
        heights[row] = _height(1, size)
    tall = []  # (first row, last row, points) of cells merged down
    for (row, col), text in texts.items():
        last_row, last_col = merged.get((row, col), (row, col))
        face = "bold" if row < master.number_row else "italic"
        need = _height(_lines(text, span(col, last_col), size, face), size)
        if last_row == row:
            heights[row] = max(heights[row], need)
        else:
            tall.append((row, last_row, need))
    for first, last, need in tall:
        short = need - sum(heights[r] for r in range(first, last + 1))
        if short > 0:
            heights[last] = round(heights[last] + short, 1)
    label_col = master.label_col
    for mrow in master.rows:
        heights[mrow.row] = _height(_lines(mrow.label, widths[label_col], size, _face(mrow)), size)
    return heights


def _face(mrow) -> str:
    """Unit rows are regular, group, total and percentage rows bold (as the sheet plan draws them)."""
    return "regular" if mrow.kind == UNIT else "bold"


def _width_px(width: float) -> float:
    """Pixels at 96 dpi of a column `width` units wide (a unit is a 7-pixel digit, plus 5 pixels)."""
    return width * 7 + 5


# Advance widths of Times New Roman (the same in Liberation Serif, its metric twin) for the
# characters " " to "~", in thousandths of an em; a Vietnamese letter is as wide as its base
# letter, the horn of ơ and ư adds a little.
_METRICS = {
    face: [int(w) for w in widths.split()]
    for face, widths in {
        "regular": "250 333 408 500 500 833 778 180 333 333 500 564 250 333 250 278 500 500 500 500 500 500 500 500 "
        "500 500 278 278 564 564 564 444 921 722 667 667 722 611 556 722 722 333 389 722 611 889 722 722 556 722 667 "
        "556 611 722 722 944 722 722 611 333 278 333 469 500 333 444 500 444 500 444 333 500 500 278 278 500 278 778 "
        "500 500 500 500 333 389 278 500 500 722 500 500 444 480 200 480 541",
        "bold": "250 333 555 500 500 1000 833 278 333 333 500 570 250 333 250 278 500 500 500 500 500 500 500 500 500 "
        "500 333 333 570 570 570 500 930 722 667 722 722 667 611 778 778 389 500 778 667 944 722 778 611 778 722 556 "
        "667 722 722 1000 722 722 667 333 278 333 581 500 333 500 556 444 556 444 333 500 556 278 333 556 278 833 556 "
        "500 556 556 444 389 333 556 500 722 500 500 444 394 220 394 520",
        "italic": "250 333 420 500 500 833 778 214 333 333 500 675 250 333 250 278 500 500 500 500 500 500 500 500 "
        "500 500 333 333 675 675 675 500 920 611 611 667 722 611 611 722 722 333 444 667 556 833 667 722 611 722 611 "
        "500 556 722 611 833 611 556 556 389 278 389 422 500 333 500 500 444 500 444 278 500 500 278 278 444 278 722 "
        "500 500 500 500 389 389 278 500 444 667 444 444 389 400 275 400 541",
    }.items()
}
_SAFETY = 1.03  # kerning and rounding: a computed width is never short


_OTHER = {"đ": 500, "Đ": 722, "–": 500, "—": 1000, "…": 1000}  # thousandths of an em


@lru_cache(maxsize=65536)  # words repeat: the check sheet's messages use a few thousand distinct ones
def _text_px(text: str, size: float, face: str = "regular") -> float:
    """Width at 96 dpi of `text` set in Times New Roman of `size` points (face: regular, bold, italic)."""
    return sum(map(_WIDTHS[face].__getitem__, text)) / 1000 * size * 96 / 72 * _SAFETY


def _char_width(char: str, face: str) -> int:
    """Thousandths of an em (a master measures some 100 000 characters, of a few dozen kinds: each
    is measured once, by _WIDTHS)."""
    base = unicodedata.normalize("NFD", char)
    if char in _OTHER:
        return _OTHER[char]
    if " " <= base[0] <= "~":
        return _METRICS[face][ord(base[0]) - 32] + (40 if "\u031b" in base else 0)  # the horn of ơ, ư
    return 1000  # a character not measured: wide, so a width is never short


class _FaceWidths(dict):
    """Character → `_char_width` in one face, each character measured once."""

    def __init__(self, face: str):
        super().__init__()
        self.face = face

    def __missing__(self, char: str) -> int:
        found = self[char] = _char_width(char, self.face)
        return found


_WIDTHS = {face: _FaceWidths(face) for face in _METRICS}


@lru_cache(maxsize=65536)  # figures repeat: a thousand rows hold a few hundred distinct ones per column
def _one_line_width(text: str, size: float, face: str = "regular") -> float:
    """The column width (units) that holds `text` on one line."""
    return math.ceil((_text_px(text, size, face) + _CELL_PADDING_PX - 5) / 7)


@lru_cache(maxsize=65536)  # texts repeat: the check sheet's "đã tổng hợp" on every file's row
def _lines(text: str, width: float, size: float, face: str = "regular") -> int:
    """Lines `text` wraps into, word by word, in a cell `width` units wide."""
    room = _width_px(width) - _CELL_PADDING_PX
    space = _text_px(" ", size, face)
    lines, used = 1, 0.0
    for word in text.split():
        length = _text_px(word, size, face)
        if used and used + space + length > room:
            lines, used = lines + 1, length
        else:
            used += (space if used else 0.0) + length
        while used > room:  # a word longer than the cell breaks inside
            lines, used = lines + 1, used - room
    return lines


def _height(lines: int, size: float) -> float:
    return round(lines * size * _LINE + _ROW_PADDING, 1)
