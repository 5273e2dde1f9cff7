"""The openpyxl sheet writer: core.sheet_plan's SheetWriter on an openpyxl worksheet.

Each cell gets its whole look in one assignment, each distinct look computed once (`_Styles`).
What openpyxl does its own way: a cell's lock is part of its look (Excel's engine takes the
unlocked ranges when protecting); a link is a cell hyperlink (Excel's remote engine writes a
HYPERLINK formula); text is marked as text (`data_type = "s"`) rather than by a leading apostrophe;
every row gets its planned height (Excel does not fit rows when it opens a file).
"""

from __future__ import annotations

from functools import lru_cache

from tthc_xl.files import openpyxl_without_numpy  # noqa: F401 - first: openpyxl without numpy
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.styles.borders import DEFAULT_BORDER
from openpyxl.styles.cell_style import StyleArray
from openpyxl.workbook.defined_name import DefinedName

from tthc_xl.core.marks import Link
from tthc_xl.core.print_plan import PrintSettings
from tthc_xl.core.sheet_plan import NOTE_SIZE, Formula, Look, Rect
from tthc_xl.xlsx.printing import apply_print_setup, set_width

_THIN = Side(style="thin", color="FF000000")
BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)


def opaque(rgb: str | None) -> str | None:
    """"D9E1F2" as the opaque ARGB "FFD9E1F2", as Excel and XlsxWriter write colours (openpyxl
    would write "00D9E1F2"), so that both engines store the same colour."""
    return "FF" + rgb if rgb and len(rgb) == 6 else rgb


def fill_of(rgb: str | None) -> PatternFill:
    return PatternFill("solid", fgColor=opaque(rgb)) if rgb else PatternFill(fill_type=None)


class _Styles:
    """Style assignments exactly as openpyxl makes them, each distinct one computed once.

    openpyxl keeps a cell's look as an array of indexes into the workbook's shared lists (fonts,
    borders, fills…); `cell.font = f` hashes `f` to find its index, which is most of the time spent
    writing a large table. The array after an assignment depends only on the array before and on
    what is assigned, so each distinct (before, look) is assigned the ordinary way once and its
    result copied to later cells. One instance per sheet: the indexes belong to one workbook.
    """

    def __init__(self):
        self._after: dict[tuple, StyleArray] = {}

    def apply(self, cell, look: Look | str | None, assign) -> None:
        before = cell._style
        key = (before.tobytes() if before is not None else None, look)
        after = self._after.get(key)
        if after is None:
            assign(cell)
            self._after[key] = StyleArray(cell._style)
        else:
            cell._style = StyleArray(after)


@lru_cache(maxsize=256)
def _parts(look: Look) -> tuple:
    return (
        Font(name=look.font, size=look.size, bold=look.bold, italic=look.italic, color=opaque(look.color)),
        fill_of(look.fill),
        BORDER if look.border else DEFAULT_BORDER,
        Alignment(horizontal=look.horizontal, vertical=look.vertical, wrap_text=look.wrap or None),
        Protection(locked=look.locked),
    )


_SHARED: dict[Look, int] = {}


def _shared(look: Look) -> int:
    """A number for each distinct look (equal looks, one number), so the style cache stays small."""
    return _SHARED.setdefault(look, len(_SHARED))


def _assign(look: Look):
    font, fill, border, alignment, protection = _parts(look)

    def assign(cell) -> None:
        cell.font, cell.fill, cell.border, cell.alignment, cell.protection = font, fill, border, alignment, protection
        cell.number_format = look.number_format

    return assign


class OpenpyxlSheet:
    def __init__(self, book, sheet):
        self.book, self.sheet = book, sheet
        self._styles = _Styles()

    def _cell_at(self, row: int, col: int):
        """The cell at (row, col), made if there is none: most are there already (written, then
        styled), and a dictionary look-up costs a fraction of `sheet.cell`."""
        cell = self.sheet._cells.get((row, col))
        return cell if cell is not None else self.sheet.cell(row, col)

    def write(self, row: int, col: int, values: list[list]) -> None:
        cell_at = self.sheet.cell
        for i, line in enumerate(values):
            for j, value in enumerate(line):
                if value is None:
                    continue
                cell = cell_at(row + i, col + j)
                if isinstance(value, Link):
                    cell.value = value.text
                    cell.hyperlink = value.target
                    cell.style = "Hyperlink"
                    cell.data_type = "s"
                    continue
                cell.value = value
                if isinstance(value, str) and not isinstance(value, Formula):
                    cell.data_type = "s"  # text stays text, even "=…" typed by a unit

    def merge(self, rects: list[Rect]) -> None:
        for r1, c1, r2, c2 in rects:
            self.sheet.merge_cells(start_row=r1, start_column=c1, end_row=r2, end_column=c2)

    def style(self, looks: dict[tuple[int, int], Look], painted: set[tuple[int, int]], loose_fonts: bool = False) -> None:
        """A plan shares one Look object among the cells that look alike: keyed by its id (the
        looks stay alive in `looks`), a cell costs no hashing of its look."""
        cell_at, apply = self._cell_at, self._styles.apply
        assigns: dict[int, tuple] = {}
        for (row, col), look in looks.items():
            known = assigns.get(id(look))
            if known is None:
                known = assigns[id(look)] = (_assign(look), ("look", _shared(look)))
            apply(cell_at(row, col), known[1], known[0])

    def paint(self, fills: dict[tuple[int, int], str | None]) -> None:
        for (row, col), colour in fills.items():
            fill = fill_of(colour)
            self._styles.apply(self._cell_at(row, col), ("fill", colour), lambda cell: setattr(cell, "fill", fill))

    def note(self, ref: str, text: str) -> None:
        comment = Comment(text, "tthc-xl")
        comment.width, comment.height = NOTE_SIZE
        self.sheet[ref].comment = comment

    def widths(self, widths: dict[int, float]) -> None:
        for col, width in widths.items():
            set_width(self.sheet, col, width)

    def heights(self, heights: dict[int, float], fitted: tuple[int, int] | None = None) -> None:
        """Every height as planned: a file cannot ask Excel to fit its rows on opening."""
        for row, height in heights.items():
            self.sheet.row_dimensions[row].height = height

    def freeze(self, row: int, col: int) -> None:
        self.sheet.freeze_panes = self.sheet.cell(row, col)

    def page_setup(self, settings: PrintSettings) -> None:
        apply_print_setup(self.sheet, settings)

    def define(self, name: str, refers_to: str) -> None:
        self.book.defined_names[name] = DefinedName(name, attr_text=refers_to.lstrip("="))

    def protect(self, unlocked: list[Rect]) -> None:
        """No password: it guards formulas against slips, not against people. The unlocked cells
        are unlocked by their looks."""
        protection = self.sheet.protection
        protection.sheet = True
        protection.formatCells = protection.formatColumns = protection.formatRows = False
        protection.objects = False
