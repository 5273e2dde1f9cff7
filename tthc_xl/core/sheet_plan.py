"""The sheet plan: everything the tool writes on a sheet, as plain data, and the one routine that
hands it to a sheet writer.

`master_plan(master, findings)` says what goes in which cell of the appendix sheet (value blocks,
formulas, looks, merges, marks and notes, widths, heights, frozen panes, print settings, the
table's defined name); `check_plan(content)` does the same for the "Kiểm tra" sheet. `draw(plan,
writer)` writes a plan through the SheetWriter interface, which the openpyxl adapter
(tthc_xl.xlsx.sheet_writer) and the xlwings adapter (tthc_xl.excel.sheet_writer) implement: the
command-line master and the button master are the same by construction. What an engine cannot do
is said in that engine's writer.

`draw` runs in two halves: `write_content` (values, merges) and `write_format` (looks, marks,
notes, sizes, page setup, names). A button protects the sheet and writes its status between them,
so a later formatting action that fails leaves the table guarded and the clerk told.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from tthc_xl.core import style
from tthc_xl.core.a1 import column_letters
from tthc_xl.core.contract import FOLDER_NAME, FORM_NAME, IDENTITY_NAME, SETTINGS, SETTINGS_SHEET, TABLE_NAME
from tthc_xl.core.marks import CHECK_FIRST_ROW, CHECK_HEADERS, CHECK_WRAPPED, CheckSheet, Link, mark_plan
from tthc_xl.core.master import DERIVED, INPUT, LABEL, RATIO, SUM, Master, Settings
from tthc_xl.core.model import GROUP, PERCENT, TOTAL, Finding
from tthc_xl.core.print_plan import PrintSettings, check_print_settings, print_settings, settings_print_settings

LINK_COLOUR = "0563C1"  # Excel's hyperlink blue
NOTE_SIZE = (360, 160)  # a note's box, points (openpyxl); Excel sizes its own


class Formula(str):
    """A cell formula ("=D9+E9"); any other text in a plan is written as text, even "=…"."""


@dataclass(frozen=True)
class Look:
    """How one cell looks; the defaults are a cleared cell's (but the font, always written)."""

    font: str = style.FONT
    size: int = style.TABLE_SIZE
    bold: bool = False
    italic: bool = False
    color: str | None = None  # the font's colour
    fill: str | None = None
    horizontal: str | None = None  # "left", "center", "right"
    vertical: str | None = None  # "top", "center"
    wrap: bool = False
    number_format: str = "General"
    border: bool = False  # thin lines on every side
    locked: bool = True  # when the sheet is protected


Rect = tuple[int, int, int, int]  # first row, first column, last row, last column (1-based)


@dataclass
class SheetPlan:
    name: str
    blocks: list[tuple[int, int, list[list]]] = field(default_factory=list)  # (row, column, 2D values)
    looks: dict[tuple[int, int], Look] = field(default_factory=dict)
    merges: list[Rect] = field(default_factory=list)
    marks: dict[str, tuple[str, list[str]]] = field(default_factory=dict)  # A1 → (fill, note paragraphs)
    widths: dict[int, float] = field(default_factory=dict)  # column → Excel character units
    heights: dict[int, float] = field(default_factory=dict)  # row → points
    fitted: tuple[int, int] | None = None  # rows whose height is only their own wrapped text (no merges)
    freeze: tuple[int, int] | None = None  # the first cell that scrolls
    print: PrintSettings | None = None
    names: dict[str, str] = field(default_factory=dict)  # defined name → "='Sheet'!$A$1:$N$26"
    protect: bool = False
    loose_fonts: bool = False  # the cells the plan leaves alone (empty ones) may take the sheet's font
    computed: dict[tuple[int, int], object] = field(default_factory=dict)  # each formula's value
    fills: dict[tuple[int, int], str] = field(default_factory=dict)  # cells painted without a look: they keep the book's font

    def unlocked(self) -> list[Rect]:
        """Rectangles covering the cells the clerk may type in when the sheet is protected."""
        rows_of: dict[int, list[int]] = {}  # column → its unlocked rows (no dict of the cells: a large table has 100 000s)
        for (row, col), look in self.looks.items():
            if not look.locked:
                rows_of.setdefault(col, []).append(row)
        return [r[:4] for r in _joined_runs(rows_of, _Unlocked())]


class _Unlocked(dict):
    """Every cell asked for: unlocked (the cells `SheetPlan.unlocked` lists, without a dict of them)."""

    def __missing__(self, key) -> bool:
        return True


class SheetWriter(Protocol):
    """What a rendering engine does to one sheet (1-based rows and columns)."""

    def write(self, row: int, col: int, values: list[list]) -> None: ...  # None: leave the cell; Formula; Link
    def merge(self, rects: list[Rect]) -> None: ...
    def style(self, looks: dict[tuple[int, int], Look], painted: set[tuple[int, int]], loose_fonts: bool) -> None: ...  # painted: marked after
    def paint(self, fills: dict[tuple[int, int], str | None]) -> None: ...
    def note(self, ref: str, text: str) -> None: ...
    def widths(self, widths: dict[int, float]) -> None: ...
    def heights(self, heights: dict[int, float], fitted: tuple[int, int] | None) -> None: ...  # fitted: may autofit
    def freeze(self, row: int, col: int) -> None: ...
    def page_setup(self, settings: PrintSettings) -> None: ...
    def define(self, name: str, refers_to: str) -> None: ...
    def protect(self, unlocked: list[Rect]) -> None: ...


def draw(plan: SheetPlan, writer: SheetWriter) -> None:
    write_content(plan, writer)
    if plan.protect:
        writer.protect(plan.unlocked())
    write_format(plan, writer)


def write_content(plan: SheetPlan, writer: SheetWriter) -> None:
    for row, col, values in plan.blocks:
        writer.write(row, col, values)
    if plan.merges:
        writer.merge(plan.merges)


def write_format(plan: SheetPlan, writer: SheetWriter) -> None:
    marks = {a1_rc(ref): colour for ref, (colour, _) in plan.marks.items()}
    writer.style(plan.looks, set(marks), plan.loose_fonts)
    if plan.fills or marks:
        writer.paint({**plan.fills, **marks})
    for ref, (_, notes) in plan.marks.items():
        writer.note(ref, "\n\n".join(notes))
    if plan.widths:
        writer.widths(plan.widths)
    if plan.heights:
        writer.heights(plan.heights, plan.fitted)
    if plan.freeze:
        writer.freeze(*plan.freeze)
    if plan.print:
        writer.page_setup(plan.print)
    for name, refers_to in plan.names.items():
        writer.define(name, refers_to)


# ----------------------------------------------------------------------------------------------
# The appendix sheet
# ----------------------------------------------------------------------------------------------

_FIGURE = {INPUT: (style.INPUT_FILL, False), DERIVED: (style.FORMULA_FILL, True), SUM: (style.FORMULA_FILL, True), RATIO: (style.FORMULA_FILL, True)}


def region_end(master: Master) -> int:
    """The last row the tool owns: the table, or the previous-period rows under it."""
    return master.last_row + (3 if master.previous else 0)


def table_name_target(master: Master) -> str:
    return f"='{master.sheet}'!$A$1:${column_letters(master.last_col - 1)}${region_end(master)}"


def master_plan(master: Master, findings: list[Finding]) -> SheetPlan:
    """The appendix sheet; `findings` are those marked on it (in its cells)."""
    last_col = master.last_col
    label_col, order_col = master.label_col, master.order_col
    plan = SheetPlan(master.sheet, marks=mark_plan(findings), protect=True)
    looks = plan.looks
    # Title block, each line merged across.
    titles = master.title_lines
    plan.blocks.append((1, 1, [[text] for text in titles]))
    for row in range(1, len(titles) + 1):
        look = Look(size=style.TITLE_SIZE, bold=row < len(titles), italic=row == len(titles), horizontal="center", vertical="center", wrap=True)
        looks.update({(row, col): look for col in range(1, last_col + 1)})
        plan.merges.append((row, 1, row, last_col))
    for row in range(len(titles) + 1, master.header_row):  # the blank row under the title, in the table's font
        looks.update({(row, col): Look() for col in range(1, last_col + 1)})
    # Header and number row.
    texts, merges = master.header_cells()
    texts.update({(master.number_row, n): text for n, text in master.number_row_texts().items()})
    rows = range(master.header_row, master.number_row + 1)
    plan.blocks.append((master.header_row, 1, [[texts.get((row, col)) for col in range(1, last_col + 1)] for row in rows]))
    for row in rows:
        look = Look(bold=row < master.number_row, italic=row == master.number_row, fill=style.HEADER_FILL,
                    horizontal="center", vertical="center", wrap=True, border=True)
        looks.update({(row, col): look for col in range(1, last_col + 1)})
    plan.merges += merges
    # Body: order, label (always text), each slot's formula or value.
    first = master.first_data_row
    body = [[None] * last_col for _ in range(master.last_row - first + 1)]
    kinds: dict[str, tuple[Look, Look, Look]] = {}  # each distinct look made once: a table has a few dozen
    figures: dict[tuple[bool, str], Look] = {}
    for mrow in master.rows:
        line = body[mrow.row - first]
        strong = mrow.kind in (GROUP, TOTAL, PERCENT)
        if mrow.kind not in kinds:
            centred = mrow.kind in (TOTAL, PERCENT)
            kinds[mrow.kind] = (
                Look(bold=strong, border=True),
                Look(bold=strong, border=True, horizontal="center", vertical="center"),
                Look(bold=strong, border=True, vertical="center", wrap=True, horizontal="center" if centred else "left"),
            )
        base, order, label = kinds[mrow.kind]
        row = mrow.row
        for col in range(1, last_col + 1):
            looks[(row, col)] = base
        line[order_col - 1] = mrow.order
        looks[(row, order_col)] = order
        line[label_col - 1] = mrow.label
        looks[(row, label_col)] = label
        for n, slot in mrow.slots.items():
            line[n - 1] = Formula(slot.formula) if slot.formula else slot.value
            if slot.formula:
                plan.computed[(row, n)] = slot.value
            look = figures.get((strong, slot.role))
            if look is None and slot.role == LABEL:  # "chưa gửi" of a unit not reported: reads across the empty cells to its right
                look = figures[(strong, slot.role)] = Look(bold=strong, italic=True, border=True, horizontal="left", vertical="center")
            elif look is None:
                fill, locked = _FIGURE.get(slot.role, (None, True))
                look = figures[(strong, slot.role)] = Look(
                    bold=strong, border=True, horizontal="right", vertical="center", fill=fill, locked=locked,
                    number_format=style.PERCENT_FORMAT if slot.role == RATIO else style.COUNT_FORMAT,
                )
            looks[(row, n)] = look
    plan.blocks.append((first, 1, body))
    if master.previous:
        _previous_rows(master, plan)
    settings = print_settings(master)
    plan.widths, plan.heights, plan.print = settings.column_widths, settings.row_heights, settings
    plan.fitted = fitted_rows(master)
    plan.freeze = (first, label_col + 1)
    plan.names = {TABLE_NAME: table_name_target(master)}
    return plan


def fitted_rows(master: Master) -> tuple[int, int]:
    """The table's body: each row as tall as its wrapped unit name, nothing merged."""
    return master.first_data_row, master.last_row


def _previous_rows(master: Master, plan: SheetPlan) -> None:
    """The previous period's totals and the change, two rows under the table, for the report."""
    total = master.total_row
    before, change = master.last_row + 2, master.last_row + 3
    label_col = master.label_col
    values = [[None] * master.last_col for _ in range(2)]
    for col in range(1, master.last_col + 1):
        plan.looks[(before, col)] = plan.looks[(change, col)] = Look()
    values[0][label_col - 1] = "Tổng cộng kỳ trước"
    values[1][label_col - 1] = "Tăng (+), giảm (-) so với kỳ trước"
    plan.looks[(before, label_col)] = plan.looks[(change, label_col)] = Look(italic=True)
    for n in master.layout.count_columns:
        letter = column_letters(n - 1)
        previous = master.previous.get(n, 0)
        values[0][n - 1] = previous
        values[1][n - 1] = Formula(f"={letter}{total.row}-{letter}{before}")
        plan.computed[(change, n)] = (total.slots[n].value or 0) - previous
        plan.looks[(before, n)] = Look(number_format=style.COUNT_FORMAT)
        plan.looks[(change, n)] = Look(number_format=style.CHANGE_FORMAT, fill=style.FORMULA_FILL)
    plan.blocks.append((before, 1, values))


# ----------------------------------------------------------------------------------------------
# The "Kiểm tra" sheet
# ----------------------------------------------------------------------------------------------


def check_plan(name: str, content: CheckSheet) -> SheetPlan:
    """The "Kiểm tra" sheet of marks.check_sheet: title, the findings' table, the lists under it."""
    width = len(CHECK_HEADERS)
    plan = SheetPlan(name, loose_fonts=True)
    plan.blocks.append((1, 1, [[content.title] + [None] * (width - 1), [None] * width] + content.rows))  # row 2: the status
    looks = plan.looks
    made: dict[tuple, Look] = {}  # each distinct look made once: the lists may run to thousands of rows

    def look(**attributes) -> Look:
        key = tuple(attributes.items())
        found = made.get(key)
        if found is None:
            found = made[key] = Look(**attributes)
        return found

    looks[(1, 1)] = look(size=style.TITLE_SIZE, bold=True)
    bold = set(content.bold)
    fills = {(row, col): colour for row, col, colour in content.fills}
    by_kind: dict[tuple, Look] = {}  # (part of the sheet, bold, column, link, fill) → its look, without building the look's key again
    for offset, values in enumerate(content.rows):
        row = CHECK_FIRST_ROW + offset
        part = 0 if row == CHECK_FIRST_ROW else 1 if row <= content.last_finding else 2
        strong = row in bold
        for col, value in enumerate(values, start=1):
            if part == 2 and value is None:  # the lists under the table: only the cells that say something
                continue
            link = LINK_COLOUR if isinstance(value, Link) else None
            fill = fills.get((row, col)) if fills else None
            key = (part, strong and col == 1, col, link, fill)
            found = by_kind.get(key)
            if found is None:
                if part == 0:
                    found = look(bold=True, fill=style.HEADER_FILL, border=True)
                elif part == 1:
                    found = look(border=True, vertical="top", wrap=col in CHECK_WRAPPED, color=link, fill=fill)
                else:
                    found = look(bold=strong and col == 1, vertical="top", wrap=col in CHECK_WRAPPED, color=link, fill=fill)
                by_kind[key] = found
            looks[(row, col)] = found
    for row in range(1, CHECK_FIRST_ROW):
        for col in range(1, width + 1):
            looks.setdefault((row, col), look())
    settings = check_print_settings(content)  # landscape, one page wide, rows as tall as their wrapped text
    plan.widths, plan.heights, plan.print = settings.column_widths, settings.row_heights, settings
    return plan


# ----------------------------------------------------------------------------------------------
# The "Cài đặt" sheet
# ----------------------------------------------------------------------------------------------

SETTINGS_TITLE = "CÀI ĐẶT BẢNG TỔNG HỢP"
SETTINGS_WIDTHS = {1: 28, 2: 60}
FOLDER_LABEL = "Thư mục báo cáo đơn vị"
FORM_LABEL = "Mẫu biểu"


def settings_plan(settings: Settings, form: str | None = None, name: str = SETTINGS_SHEET) -> SheetPlan:
    """The settings sheet of a new master: a label and a value cell (white: the clerk types there)
    per setting, each value a defined name the readers find; the unit files' folder; the layout
    (`form`, as `remembered_form` gives it), under the printed part. The master's identity is a
    named constant. A value left None leaves what the cell holds (a settings sheet the clerk kept)."""
    plan = SheetPlan(name, widths=dict(SETTINGS_WIDTHS))
    plan.blocks.append((1, 1, [[SETTINGS_TITLE]]))
    plan.looks[(1, 1)] = Look(size=style.TITLE_SIZE, bold=True)
    rows = [(key, label, getattr(settings, attribute) or None) for key, label, attribute in SETTINGS]
    rows.append((FOLDER_NAME, FOLDER_LABEL, None))
    sheet = quote_sheet(name)
    for index, (key, label, value) in enumerate(rows, start=3):
        plan.blocks.append((index, 1, [[label, value]]))
        plan.looks[(index, 1)] = Look(bold=True)
        plan.fills[(index, 2)] = style.INPUT_FILL
        plan.names[key] = f"={sheet}!$B${index}"
    last = 2 + len(rows)
    plan.print = settings_print_settings(last, plan.widths)
    if form is not None:
        plan.blocks.append((last + 1, 1, [[FORM_LABEL, form]]))
        plan.looks[(last + 1, 1)] = Look(bold=True)
        plan.names[FORM_NAME] = f"={sheet}!$B${last + 1}"
    if settings.identity:
        plan.names[IDENTITY_NAME] = f'="{settings.identity}"'
    return plan


def remembered_form(layout) -> str:
    """What the "Mẫu biểu" cell keeps of the layout: its name when it is a shipped one, its file's
    path when it is the clerk's, or what it was inferred from."""
    from pathlib import Path

    if layout.inferred:
        return layout.label
    if layout.source and Path(layout.source).parent.name == "forms" and Path(layout.source).parent.parent.name == "templates":
        return layout.name
    return str(Path(layout.source).resolve()) if layout.source else layout.name


def quote_sheet(name: str) -> str:
    """A sheet's name as a reference writes it, always quoted: 'Cài đặt'."""
    return "'" + name.replace("'", "''") + "'"


# ----------------------------------------------------------------------------------------------
# Shapes of cells
# ----------------------------------------------------------------------------------------------


def a1_rc(ref: str) -> tuple[int, int]:
    """1-based (row, column) of "F11" or "$F$11"."""
    ref = ref.replace("$", "")
    letters = ref.rstrip("0123456789")
    col = 0
    for ch in letters.upper():
        col = col * 26 + ord(ch) - 64
    return int(ref[len(letters):]), col


def a1_range(r1: int, c1: int, r2: int, c2: int) -> str:
    first, last = f"{column_letters(c1 - 1)}{r1}", f"{column_letters(c2 - 1)}{r2}"
    return first if first == last else f"{first}:{last}"


def runs(numbers) -> list[tuple[int, int]]:
    """Consecutive runs of integers as (first, last)."""
    out: list[tuple[int, int]] = []
    for n in sorted(numbers):
        if out and n == out[-1][1] + 1:
            out[-1] = (out[-1][0], n)
        else:
            out.append((n, n))
    return out


def rectangles(cells: dict[tuple[int, int], object], free: set[tuple[int, int]] = frozenset()) -> list[tuple[int, int, int, int, object]]:
    """Cover cells that share a value with few rectangles (r1, c1, r2, c2, value): vertical runs per
    column, then equal runs of neighbouring columns joined. A table of units gives a handful, however
    long it is. `free` cells may take any value (they are painted over later): each joins the run
    it sits in."""
    by_col: dict[int, list[int]] = {}
    for row, col in cells:
        by_col.setdefault(col, []).append(row)
    return _joined_runs(by_col, cells, free)


def _joined_runs(by_col: dict[int, list[int]], cells, free: set[tuple[int, int]] = frozenset()) -> list[tuple[int, int, int, int, object]]:
    """`rectangles` of the cells listed as column → rows, each cell's value `cells[(row, col)]`."""
    runs_of: dict[tuple[int, int, object], list[int]] = {}
    for col in sorted(by_col):
        rows = sorted(by_col[col])
        start = prev = rows[0]
        value = cells[(start, col)]
        for row in rows[1:] + [None]:
            if row is not None and row == prev + 1 and (cells[(row, col)] == value or (row, col) in free):
                prev = row
                continue
            runs_of.setdefault((start, prev, value), []).append(col)
            if row is not None:
                start = prev = row
                value = cells[(row, col)]
    out = []
    for (r1, r2, value), cols in runs_of.items():
        for c1, c2 in runs(cols):
            out.append((r1, c1, r2, c2, value))
    return sorted(out, key=lambda x: (x[1], x[0]))
