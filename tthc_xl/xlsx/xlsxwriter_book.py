"""New masters written by XlsxWriter: the same sheet plans as the openpyxl engine (tthc_xl.xlsx.render),
drawn in one pass, without openpyxl.

XlsxWriter attaches a cell's format when the cell is written, so `XlsxWriterSheet` (core.sheet_plan's
SheetWriter) keeps the plan's values, looks, fills and notes and writes every cell once at the end,
one Format per distinct look; the plain cells as their row's XML straight away (a large master's
time went into XlsxWriter's per-cell table and its writing out), the rest through XlsxWriter.
Formulas are written with their computed value (`plan.computed`), so the file carries its results
without a second pass over the zip. What this engine does its own way,
each checked against the openpyxl engine by tests/test_xlsxwriter_engine.py:
- a link cell keeps the look the plan gives it but not openpyxl's "Hyperlink" cell style name;
- text is a shared string (openpyxl: inline strings);
- a chart sits in a two-cell anchor of its planned size (openpyxl: a one-cell anchor).
Updating a master the clerk already has stays with openpyxl, which keeps everything else in the book.
"""

from __future__ import annotations

import io
import re
import shutil
import tempfile
import zipfile
from contextlib import nullcontext
from math import isfinite
from pathlib import Path

import xlsxwriter
import xlsxwriter.workbook
from xlsxwriter.exceptions import FileCreateError
from xlsxwriter.packager import Packager
from xlsxwriter.sharedstrings import SharedStrings, _preserve_whitespace
from xlsxwriter.url import Url, UrlTypes
from xlsxwriter.worksheet import CellStringTuple, Worksheet

from tthc_xl.core import style
from tthc_xl.core.a1 import column_letters
from tthc_xl.core.chart_plan import ChartPlan, ChartSpec, chart_plan
from tthc_xl.core.contract import CHECK_SHEET
from tthc_xl.core.marks import Link, check_sheet
from tthc_xl.core.print_plan import PrintSettings
from tthc_xl.core.sheet_plan import NOTE_SIZE, Formula, Look, Rect, a1_rc, check_plan, draw, master_plan, quote_sheet, remembered_form, settings_plan
from tthc_xl.xlsx.saving import write_atomically

AUTHOR = "tthc-xl"
MAX_LINKS = 65530  # links a sheet may hold (Excel's limit, which XlsxWriter keeps)
LARGE_BOOK = 2000  # rows in the master from which a new master's parts are packed from files, not memory
PAPER_A4 = 9
_EMU_PER_CM = 360000
_EMU_PER_PIXEL = 9525
_DIGIT_PX = 7  # a column-width unit in pixels (the default font's digit), as XlsxWriter counts
_FUNCTION = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*\(")
_PLAIN_FUNCTIONS = {"SUM(", "IF("}  # core.master's; Excel-2007 functions XlsxWriter leaves as they are


def _plain(formula: str) -> bool:
    """Whether a formula calls no function XlsxWriter renames (a formula without a bracket calls none)."""
    return "(" not in formula or set(_FUNCTION.findall(formula)) <= _PLAIN_FUNCTIONS


class _Sheet(Worksheet):
    """XlsxWriter's worksheet with two changes. Its <pageSetup> names its fit as openpyxl writes
    it, fitToWidth="1" and fitToHeight="1" too (XlsxWriter leaves out what equals the default), so
    that a reader taking the attributes literally sees the same page setup from both engines. And
    the master's own formulas skip XlsxWriter's renaming of newer functions."""

    def _write_page_setup(self) -> None:
        if not self.page_setup_changed:
            return
        attributes = [("paperSize", self.paper_size)] if self.paper_size else []
        if self.print_scale != 100:
            attributes.append(("scale", self.print_scale))
        if self.fit_page:
            attributes += [("fitToWidth", self.fit_width), ("fitToHeight", self.fit_height)]
        attributes.append(("orientation", "portrait" if self.orientation else "landscape"))
        self._xml_empty_tag("pageSetup", attributes)

    def _prepare_formula(self, formula, expand_future_functions=False):
        """The master's formulas (sums, differences, IF for the ratios) use no function XlsxWriter
        renames (`_xlfn.` prefixes), so they skip its 30 substitutions a formula: a third of the
        write of a large table. Any other formula goes the ordinary way."""
        if _plain(formula):
            return formula[1:] if formula.startswith("=") else formula
        return super()._prepare_formula(formula, expand_future_functions)

    fast_rows: _SheetRows | None = None  # the rows XlsxWriterSheet.flush made, written here instead of from the table

    def _write_sheet_data(self) -> None:
        if self.fast_rows is None or self.dim_rowmin is None:
            super()._write_sheet_data()
            return
        self._xml_start_tag("sheetData")
        self.fast_rows.write()
        self._xml_end_tag("sheetData")


class _SheetRows:
    """A sheet's <sheetData> rows as XlsxWriter's _write_rows writes them from its table, made by
    `fill` from the cells `XlsxWriterSheet` buffered, straight into a temporary file in the
    book's folder of parts (a large master's rows are not all held in memory), or into memory for
    a book written in memory; `_Sheet._write_sheet_data` copies them into the sheet."""

    def __init__(self, sheet: _Sheet, book, keep_table: bool = False):
        """`keep_table`: every cell into XlsxWriter's table (through its write_*), none into the file,
        which XlsxWriter then writes itself."""
        self.sheet, self.keep_table = sheet, keep_table
        if keep_table:
            self.file = None
        elif book.in_memory:
            self.file = io.StringIO()
        else:  # write-only: a text file open for reading too resets its decoder at every write
            self.file = tempfile.TemporaryFile("w", encoding="utf-8", newline="", dir=book.tmpdir)

    def fill(self, lines: dict[int, list[tuple[int, list]]], styled: dict[int, tuple[list[int], list]], painted: dict[int, dict],
             writer: XlsxWriterSheet) -> _SheetRows:
        """The rows of the cells in `lines` (a row's values, by first column), `styled` (a row's
        columns with a look, and their looks) and `painted` (a row's fills by column); the sheet's
        notes and row heights are already there (they make rows of their own, and notes count in the spans)."""
        sheet, formats, computed, keep_table = self.sheet, writer.formats, writer.computed, self.keep_table
        shared = sheet.str_table._get_shared_string_index
        table, comments, row_info = sheet.table, sheet.comments, sheet.row_info
        styles: dict[object, str] = {None: ""}  # a Format's s="…", in the order XlsxWriter numbers them (row by row)
        by_look: dict[int, tuple] = {id(None): (None, "")}  # (Format, s="…") of a look: a plan shares one Look among alike cells
        letters = {}
        low_col = high_col = low_row = high_row = None
        block: list[tuple[int, int | None, int | None, list]] = []  # the rows of one span block: (row, first, last, cells)
        saved = sheet.fh
        if not keep_table:
            sheet.fh = self.file  # XlsxWriter's own _write_row and _write_cell write here too
        try:
            for row in sorted(lines.keys() | styled.keys() | painted.keys() | {r + 1 for r in comments} | {r + 1 for r in row_info}):
                if block and (row - 1) >> 4 != block[0][0] >> 4:
                    if not keep_table:
                        self._write_block(block)
                    block = []
                found = lines.pop(row, ())
                if len(found) == 1:
                    line = {col: value for col, value in enumerate(found[0][1], start=found[0][0]) if value is not None}
                else:
                    line = {}
                    for first, values in found:
                        line.update((col, value) for col, value in enumerate(values, start=first) if value is not None)
                number = str(row)
                out: list = []
                special = False
                first = last = None
                cols, looks = styled.pop(row, _NONE)
                row_looks = dict(zip(cols, looks))
                fills = painted.pop(row, _NO_FILLS)
                for col in sorted(line.keys() | row_looks.keys() | fills.keys()):
                    value = line.get(col)
                    look = row_looks.get(col)
                    if col in fills:
                        cell_format = formats.get(look, fills[col])
                        style = styles.get(cell_format)
                        if style is None:
                            style = styles[cell_format] = f' s="{cell_format._get_xf_index()}"'
                    else:
                        found = by_look.get(id(look))
                        if found is None:
                            cell_format = formats.get(look, False)
                            style = styles.get(cell_format)
                            if style is None:
                                style = styles[cell_format] = f' s="{cell_format._get_xf_index()}"'
                            found = by_look[id(look)] = (cell_format, style)
                        cell_format, style = found
                    ref = letters.get(col)
                    if ref is None:
                        ref = letters[col] = column_letters(col - 1)
                    ref += number
                    kind = type(value)
                    if keep_table:
                        element = None
                    elif value is None or (kind is str and not value):  # an empty text is an empty cell, as openpyxl reads its own
                        if cell_format is None:
                            continue
                        element = f'<c r="{ref}"{style}/>'
                    elif kind is int or (kind is float and isfinite(value)):
                        element = f'<c r="{ref}"{style}><v>{value:.16G}</v></c>'
                    elif kind is str and len(value) <= _SHORT_TEXT:
                        element = f'<c r="{ref}"{style} t="s"><v>{shared(value)}</v></c>'
                    elif kind is Formula:
                        element = _formula_element(ref, style, value, computed.get((row, col)))
                    else:
                        element = None
                    if element is None:  # XlsxWriter's own write_*, into its table, and its _write_cell in its place
                        writer.write_special(row - 1, col - 1, value, cell_format)
                        written = table[row - 1].get(col - 1)
                        if written is None:
                            continue
                        if written.format is not cell_format and written.format is not None:  # a link's default format
                            written.format._get_xf_index()
                        if written.__class__ is CellStringTuple and written.format is not None:  # a link's text: as _write_cell writes it
                            element = f'<c r="{ref}" s="{written.format._get_xf_index()}" t="s"><v>{written.string}</v></c>'
                        else:
                            element, special = col - 1, True
                    out.append(element)
                    if first is None:
                        first = col - 1
                    last = col - 1
                block.append((row - 1, first, last, out if special else "".join(out)))
                if first is not None:
                    low_col = first if low_col is None else min(low_col, first)
                    high_col = last if high_col is None else max(high_col, last)
                    low_row = row - 1 if low_row is None else low_row
                    high_row = row - 1
            if block and not keep_table:
                self._write_block(block)
        finally:
            sheet.fh = saved
        if low_row is not None:  # the cells' extent, as XlsxWriter's write_* records it cell by cell
            sheet._check_dimensions(low_row, low_col)
            sheet._check_dimensions(high_row, high_col)
        return self

    def _write_block(self, block: list[tuple[int, int | None, int | None, list]]) -> None:
        """Rows of one block of 16, which share their "spans" (the first and last column of their cells and notes)."""
        sheet = self.sheet
        comments, row_info, table = sheet.comments, sheet.row_info, sheet.table
        low = high = None
        for row, first, last, _ in block:
            noted = comments.get(row)
            if noted:
                first = min(noted) if first is None else min(first, min(noted))
                last = max(noted) if last is None else max(last, max(noted))
            if first is not None:
                low = first if low is None else min(low, first)
                high = last if high is None else max(high, last)
        span = None if low is None else f"{low + 1}:{high + 1}"
        spans = "" if span is None else f' spans="{span}"'
        out: list[str] = []  # the block's XML, written at once
        default, original = sheet.default_row_height, sheet.original_row_height
        plain_heights = sheet.excel_version != 2010  # else every row by XlsxWriter's _write_row (dyDescent)
        for row, _, _, cells in block:
            empty = not cells
            info = row_info.get(row)
            if plain_heights and (info is None or not (info.row_format or info.hidden or info.level or info.collapsed)):
                height = default if info is None or info.height is None else info.height
                tag = f'<row r="{row + 1}"{spans}'
                if height != original or height != default:
                    tag += f' ht="{height * 0.75:.16g}" customHeight="1"'
                out.append(tag + ("/>" if empty else ">"))
            else:
                self.file.write("".join(out))
                out = []
                sheet._write_row(row, span, info, empty)
            if empty:
                continue
            if cells.__class__ is str:
                out.append(cells)
            else:
                self.file.write("".join(out))
                out = []
                for part in cells:
                    if part.__class__ is str:
                        self.file.write(part)
                    else:
                        sheet._write_cell(row, part, table[row][part])
            out.append("</row>")
        self.file.write("".join(out))

    def write(self) -> None:
        """The rows into the sheet's own file."""
        if isinstance(self.file, io.StringIO):
            self.sheet.fh.write(self.file.getvalue())
        else:
            self.file.flush()
            with open(self.file.fileno(), encoding="utf-8", newline="", closefd=False) as rows:
                rows.seek(0)
                shutil.copyfileobj(rows, self.sheet.fh, 1 << 20)
        self.file.close()


_NONE: tuple[list, list] = ([], [])
_NO_FILLS: dict = {}
_SHORT_TEXT = 16383  # characters: a text this short fits a cell whatever its UTF-16 length (XlsxWriter checks longer ones)


def _formula_element(ref: str, style: str, formula: Formula, computed) -> str | None:
    """A formula of the master (its functions left as they are) with its result, as XlsxWriter's
    _write_cell writes it; None for any other formula or result (XlsxWriter's write_formula then)."""
    if formula.startswith("{") or not _plain(formula):
        return None
    result = _result(computed)
    kind = type(result)
    if not (kind is int or kind is float or result == ""):
        return None
    text = formula[1:] if formula.startswith("=") else formula
    if "&" in text or "<" in text or ">" in text:
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f'<c r="{ref}"{style}><f>{text}</f><v>{result}</v></c>'


def save_new_master(outcome, path: Path, chart_rows: list | None = None) -> str:
    """Write the consolidation as a new master at `path`, atomically; the SHA-256 of the file."""
    return write_atomically(Path(path), lambda out: write_book(outcome, out, str(path), chart_rows))


def write_book(outcome, out, output: str, chart_rows: list | None = None) -> None:
    """The whole master into `out` (a path or a binary file): the appendix, "Kiểm tra", "Cài đặt",
    then "Biểu đồ" when `chart_rows` are given; the order openpyxl's engine gives a new book."""
    # A large book's parts are each written to a file of its own in a temporary folder and packed
    # from there a block at a time, rather than built whole in memory (twice: as text, then as
    # bytes); a small one's in memory, without the files' cost (Windows scans each new file).
    # (Windows cannot remove a file still open when a write fails half-way: the folder then stays.)
    large = len(outcome.master.rows) >= LARGE_BOOK
    with tempfile.TemporaryDirectory(prefix="tthc-xl-", ignore_cleanup_errors=True) if large else nullcontext() as parts:
        book = new_book(out, parts)
        formats = _Formats(book)
        charts = chart_plan(chart_rows) if chart_rows is not None else None
        for plan in _plans(outcome, output, charts):
            charted = charts is not None and plan is charts.sheet  # its charts read their data from XlsxWriter's table
            sheet = draw_sheet(book, formats, plan, keep_table=charted)
            if charted:
                _chart_sheet(book, sheet, charts)
            del plan, sheet  # before the next plan is made: a large master's plans need not all live at once
        try:
            book.close()
        except FileCreateError as exc:  # a full disk, a share gone away: the OSError, which saving turns into a message
            raise exc.args[0] from None


class _Book(xlsxwriter.Workbook):
    """XlsxWriter's workbook, its zip packed at zlib's level 1 instead of 6: at 20 000 units the
    parts' 26 MB of XML pack in 0,09 s instead of 0,43 s, into 3,9 MB instead of 3,0 MB. XlsxWriter
    makes its ZipFile itself, so its module's name for the class is turned for that moment."""

    def _store_workbook(self) -> None:
        made = xlsxwriter.workbook.ZipFile
        xlsxwriter.workbook.ZipFile = _FastZip
        try:
            super()._store_workbook()
        finally:
            xlsxwriter.workbook.ZipFile = made

    def _get_packager(self) -> Packager:
        return _Packager()


class _FastZip(zipfile.ZipFile):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, compresslevel=1, **kwargs)


class _Packager(Packager):
    """XlsxWriter's packager, its shared strings written by `_SharedStrings`."""

    def _write_shared_strings_file(self) -> None:
        if not self.workbook.str_table.count:
            return
        strings = _SharedStrings()
        strings.string_table = self.workbook.str_table
        strings._set_xml_writer(self._filename("xl/sharedStrings.xml"))
        strings._assemble_xml_file()


class _SharedStrings(SharedStrings):
    """A text that XlsxWriter writes as it is (no character to escape, no control character, no
    space at either end, nothing that looks like an escape or rich text) is written here as it
    would write it, a few thousand at a time; any other by XlsxWriter's own _write_si."""

    def _write_sst_strings(self) -> None:
        out: list[str] = []
        for string in self.string_table.string_array:
            if _AS_IT_IS.search(string) is None:
                out.append(f"<si><t>{string}</t></si>")
                if len(out) == 4096:
                    self.fh.write("".join(out))
                    out = []
            else:
                self.fh.write("".join(out))
                out = []
                self._write_si(string)
        self.fh.write("".join(out))

    def _write_si(self, string) -> None:
        """XlsxWriter's, except that a text shaped like rich text ("<r>…</r>") is a text too: the
        master never writes rich text, and a unit file's cell holding such a text must not become XML."""
        if string.startswith("<r>") and string.endswith("</r>"):
            string = self._escape_control_characters(string)
            self._xml_si_element(string, [("xml:space", "preserve")] if _preserve_whitespace(string) else [])
            return
        super()._write_si(string)


_AS_IT_IS = re.compile(r"[\x00-\x08\x0b-\x1f&<>]|_x|^\s|\s$")  # what makes XlsxWriter's _write_si do more than write a text


def new_book(out, parts: str | None = None):
    """An XlsxWriter workbook writing into `out`, its parts' files in the folder `parts` (None: in memory)."""
    return _Book(out, {"in_memory": parts is None, "tmpdir": parts, "strings_to_numbers": False, "strings_to_formulas": False,
                                     "strings_to_urls": False})


def draw_sheet(book, formats: _Formats, plan, keep_table: bool = False) -> _Sheet:
    """The sheet of `plan`, added to `book` and written (its cells through XlsxWriter's own table
    and serialization with `keep_table`)."""
    sheet = XlsxWriterSheet(book, book.add_worksheet(plan.name, worksheet_class=_Sheet), formats, plan.computed, keep_table=keep_table)
    draw(plan, sheet)
    sheet.flush()
    return sheet.sheet


def _plans(outcome, output: str, charts: ChartPlan | None):
    """The sheets' plans in the workbook's order, each made when the one before is drawn."""
    master = outcome.master
    yield master_plan(master, [f for f in outcome.findings if f.file == output and f.sheet == master.sheet])
    yield check_plan(CHECK_SHEET, check_sheet(outcome.findings, master.missing, outcome.sources, outcome.notes, output, master.sheet))
    yield settings_plan(master.settings, remembered_form(master.layout))
    if charts is not None:
        yield charts.sheet


class _Formats:
    """One XlsxWriter Format per distinct (look, fill), made when first asked for."""

    def __init__(self, book):
        self.book = book
        self._made: dict[tuple, object] = {}

    def get(self, look: Look | None, fill: str | None | bool):
        """`fill`: a colour or None painted over the look's, or False (the look's own)."""
        key = (look, fill)
        found = self._made.get(key)
        if found is None:
            found = self._made[key] = self._make(look, fill)
        return found

    def _make(self, look: Look | None, fill):
        colour = (look.fill if look else None) if fill is False else fill
        properties: dict = {}
        if look is not None:
            properties.update(font_name=look.font, font_size=look.size, bold=look.bold, italic=look.italic, font_family=0)
            if look.color:
                properties["font_color"] = "#" + look.color
            if look.horizontal:
                properties["align"] = look.horizontal
            if look.vertical:
                properties["valign"] = "vcenter" if look.vertical == "center" else look.vertical
            if look.wrap:
                properties["text_wrap"] = True
            if look.number_format != "General":
                properties["num_format"] = look.number_format
            if look.border:
                properties.update(border=1, border_color="#000000")
            if not look.locked:
                properties["locked"] = False
        if colour:
            properties.update(pattern=1, bg_color="#" + colour)
        made = self.book.add_format(properties)
        if look is not None and not look.color:
            made.set_theme(-1)  # no colour element, as openpyxl writes a font without a colour
        return made


class XlsxWriterSheet:
    """core.sheet_plan's SheetWriter on an XlsxWriter worksheet: buffers, then `flush()` writes.

    The plan's values, looks and fills are kept as the plan gives them (not copied). `flush()` walks
    the cells row by row and turns each plain one (a number, a text, a formula of the master with
    its result, a formatted blank) into its <c> element at once, in the words XlsxWriter's
    `_write_cell` uses, its text in the workbook's shared strings and its format given its style
    index in the same order as XlsxWriter gives them, its row into a temporary file that `_Sheet`
    copies as its sheet data. Any other cell (a link, a truth value, a text too long for a cell,
    another formula or result) goes through XlsxWriter's own write_* into its table, and its
    _write_cell writes it in its place. With `keep_table` (a sheet whose charts read their data
    from XlsxWriter's table) every cell goes through write_* and XlsxWriter writes the sheet itself:
    tests/test_xlsxwriter_rows.py holds the two ways to the same bytes."""

    def __init__(self, book, sheet, formats: _Formats, computed: dict[tuple[int, int], object], keep_table: bool = False):
        self.book, self.sheet, self.formats, self.computed, self.keep_table = book, sheet, formats, computed, keep_table
        self.blocks: list[tuple[int, int, list[list]]] = []
        self.looks: dict[tuple[int, int], Look] = {}
        self.fills: dict[tuple[int, int], str | None] = {}
        self.notes: dict[tuple[int, int], str] = {}
        self.merges: list[Rect] = []

    def write(self, row: int, col: int, values: list[list]) -> None:
        self.blocks.append((row, col, values))

    def merge(self, rects: list[Rect]) -> None:
        self.merges += rects

    def style(self, looks: dict[tuple[int, int], Look], painted: set[tuple[int, int]], loose_fonts: bool = False) -> None:
        self.looks = {**self.looks, **looks} if self.looks else looks

    def paint(self, fills: dict[tuple[int, int], str | None]) -> None:
        self.fills = {**self.fills, **fills} if self.fills else fills

    def note(self, ref: str, text: str) -> None:
        self.notes[a1_rc(ref)] = text

    def widths(self, widths: dict[int, float]) -> None:
        # In pixels: XlsxWriter then stores the planned width itself (exact to 1/256 of a digit; the
        # plans' widths are whole), where set_column would add its 5 pixels of padding to it.
        for col, width in widths.items():
            self.sheet.set_column_pixels(col - 1, col - 1, width * _DIGIT_PX)

    def heights(self, heights: dict[int, float], fitted: tuple[int, int] | None = None) -> None:
        """Every height as planned (as openpyxl's engine: a file cannot ask Excel to fit rows). The
        first row of each height through XlsxWriter's set_row_pixels; the others share what it
        stored (XlsxWriter only reads it), their rows counted into the sheet's extent as it counts them."""
        sheet = self.sheet
        made: dict[float, tuple] = {}
        for row, height in heights.items():
            found = made.get(height)
            if found is None:
                sheet.set_row_pixels(row - 1, _RowPixels(height))
                made[height] = (sheet.row_info[row - 1], sheet.row_sizes[row - 1])
            else:
                sheet.row_info[row - 1], sheet.row_sizes[row - 1] = found
        if heights:
            sheet._check_dimensions(min(heights) - 1, sheet.dim_colmin)
            sheet._check_dimensions(max(heights) - 1, sheet.dim_colmin)

    def freeze(self, row: int, col: int) -> None:
        self.sheet.freeze_panes(row - 1, col - 1)

    def page_setup(self, settings: PrintSettings) -> None:
        sheet = self.sheet
        sheet.set_paper(PAPER_A4)
        sheet.set_landscape() if settings.landscape else sheet.set_portrait()
        sheet.fit_to_pages(settings.fit_width, settings.fit_height)
        if settings.center_horizontally:
            sheet.center_horizontally()
        margins(sheet, settings.margins.left, settings.margins.right, settings.margins.top, settings.margins.bottom,
                settings.margins.header, settings.margins.footer, footer(settings.footer, settings.font, settings.font_size))
        if settings.title_rows:
            sheet.repeat_rows(settings.title_rows[0] - 1, settings.title_rows[1] - 1)
        row1, col1, row2, col2 = settings.area
        sheet.print_area(row1 - 1, col1 - 1, row2 - 1, col2 - 1)
        self.widths(settings.column_widths)

    def define(self, name: str, refers_to: str) -> None:
        self.book.define_name(name, refers_to)

    def protect(self, unlocked: list[Rect]) -> None:
        """No password, as openpyxl's engine: the clerk may format cells, columns and rows, edit
        objects and scenarios, select any cell; the unlocked cells are unlocked by their looks."""
        self.sheet.protect("", {"objects": True, "scenarios": True, "format_cells": True, "format_columns": True, "format_rows": True,
                                "select_locked_cells": True, "select_unlocked_cells": True})

    def flush(self) -> None:
        """The notes, then every cell once, with its format, row by row."""
        sheet = self.sheet
        for r1, c1, r2, c2 in self.merges:  # the range first: the cells written below replace its blanks
            sheet.merge_range(r1 - 1, c1 - 1, r2 - 1, c2 - 1, None)
        lines: dict[int, list[tuple[int, list]]] = {}  # row → its lines of values in the blocks: (first column, values)
        for row, col, values in self.blocks:
            for i, line in enumerate(values, start=row):
                found = lines.get(i)
                if found is None:
                    lines[i] = [(col, line)]
                else:
                    found.append((col, line))
        styled: dict[int, tuple[list[int], list]] = {}  # row → its columns with a look or a fill, and their looks (None: a fill only)
        last = None
        for (row, col), look in self.looks.items():
            if row != last:
                last, found = row, styled.get(row)
                if found is None:
                    found = styled[row] = ([], [])
                cols, looks = found
            cols.append(col)
            looks.append(look)
        painted: dict[int, dict[int, str | None]] = {}  # row → column → fill
        for (row, col), fill in self.fills.items():
            painted.setdefault(row, {})[col] = fill
        self.blocks = []
        width, height = NOTE_SIZE
        for (row, col), text in self.notes.items():  # first: a note makes a row of its own and counts in its block's span
            sheet.write_comment(row - 1, col - 1, text, {"author": AUTHOR, "width": width, "height": height})
        rows = _SheetRows(sheet, self.book, self.keep_table).fill(lines, styled, painted, self)
        sheet.fast_rows = None if self.keep_table else rows
        self.looks, self.fills = {}, {}

    def write_special(self, row: int, col: int, value, cell_format) -> None:
        """One cell through XlsxWriter's own write_* (0-based), into its table."""
        sheet = self.sheet
        if value is None or value == "":  # an empty text is an empty cell, as openpyxl reads its own
            sheet.write_blank(row, col, None, cell_format)
        elif isinstance(value, Link):
            if sheet.hlink_count < MAX_LINKS:
                sheet.write_url(row, col, _Target(value), cell_format)
            else:  # XlsxWriter would drop the cell, its text too: the text stays, without its link
                sheet.write_string(row, col, value.text, cell_format)
        elif isinstance(value, Formula):
            sheet.write_formula(row, col, value, cell_format, _result(self.computed.get((row + 1, col + 1))))
        elif isinstance(value, str):
            sheet.write_string(row, col, value, cell_format)
        elif isinstance(value, bool):
            sheet.write_boolean(row, col, value, cell_format)
        else:
            sheet.write_number(row, col, value, cell_format)


class _RowPixels(float):
    """A row height in pixels that XlsxWriter turns back into exactly the planned points: it writes
    `pixels * 0.75`, which for some heights (48.1) is a hair off (48.09999999999999). And a planned
    height is always written, as openpyxl writes it, even one equal to the default (15 points):
    XlsxWriter leaves out a height it finds equal to its default, so this one equals nothing."""

    points: float

    def __new__(cls, points: float):
        made = super().__new__(cls, points / 0.75)
        made.points = points
        return made

    def __mul__(self, other):
        return self.points if other == 0.75 else float(self) * other

    def __eq__(self, other) -> bool:
        return False

    def __ne__(self, other) -> bool:
        return True

    __hash__ = float.__hash__


class _Target(Url):
    """A link as openpyxl writes a cell's hyperlink: one external relation whose target is the
    whole of `Link.target` ("#'Phụ lục I'!F11", "file:///…/01.xlsx#'Trang'!C9"), as it is. (XlsxWriter
    would split the location off, turn a file URL's slashes into backslashes and escape the rest.)"""

    def __init__(self, link: Link):
        super().__init__(link.target)
        self._text = link.text

    def _parse_url(self) -> None:
        self._link_type = UrlTypes.URL
        self._relationship_link = self._link

    def _escape_strings(self) -> None:
        pass


def _result(value) -> object:
    """A formula's cached result as openpyxl's engine stores it: a whole float as an integer, and
    no result ("") for a formula without one (a unit that sent nothing)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def footer(text: str, font: str, size: int | None = None) -> str:
    """The centre footer with Excel's codes, as openpyxl writes it: &C&"Times New Roman,Regular"&11 Trang &P/&N."""
    return f'&C&"{font},Regular"' + (f"&{size} " if size else "") + text


def margins(sheet, left: float, right: float, top: float, bottom: float, header: float, footer_mm: float, footer_text: str) -> None:
    """Margins given in millimetres, written in inches rounded as openpyxl's engine rounds them."""
    inch = lambda mm: round(mm / 25.4, 4)  # noqa: E731
    sheet.set_margins(left=inch(left), right=inch(right), top=inch(top), bottom=inch(bottom))
    sheet.set_header("", {"margin": inch(header)})
    sheet.set_footer(footer_text, {"margin": inch(footer_mm)})


# ----------------------------------------------------------------------------------------------
# The "Biểu đồ" sheet's charts and page (as tthc_xl.xlsx.charts draws them with openpyxl)
# ----------------------------------------------------------------------------------------------


def _chart_sheet(book, sheet, plan: ChartPlan) -> None:
    name = plan.sheet.name
    for spec in plan.charts:
        row, col = spec.anchor
        sheet.insert_chart(row - 1, col - 1, _chart(book, name, spec), {"object_position": 1})
    sheet.set_h_pagebreaks(plan.page_breaks)
    sheet.print_area(0, 0, plan.last_row - 1, 4)  # the tables' width: a chart's frame a hair wider adds no page
    sheet.set_portrait()
    sheet.set_paper(PAPER_A4)
    sheet.set_print_scale(80)
    margins(sheet, 20, 12, 20, 20, 10, 10, footer("Trang &P/&N", style.FONT))


def _chart(book, sheet_name: str, spec: ChartSpec):
    kind = {"column": "column", "line": "line", "bar": "bar"}[spec.kind]
    chart = book.add_chart({"type": kind})
    r1, c1, r2, c2 = spec.data
    k1, kc, k2, _ = spec.categories
    for col in range(c1, c2 + 1):
        series = {
            "name": f"={quote_sheet(sheet_name)}!{column_letters(col - 1)}{r1}",  # relative, as openpyxl's Reference writes it
            "values": [sheet_name, r1, col - 1, r2 - 1, col - 1],
            "categories": [sheet_name, k1 - 1, kc - 1, k2 - 1, kc - 1],
        }
        if spec.kind == "line":
            series.update(marker={"type": "circle"}, smooth=False)
        if spec.kind == "bar":
            series["gap"] = 40
        chart.add_series(series)
    chart.set_title({"name": spec.title})
    chart.set_style(10)
    values = {"name": spec.y_title, "num_format": style.COUNT_FORMAT}
    if spec.kind == "line":
        values.update(num_format="[$-42A]0%", min=0, max=1)
    elif spec.kind == "column":
        values["min"] = 0
    if spec.kind == "bar":  # the value axis is XlsxWriter's x axis; the first unit at the top, as in the table
        chart.set_x_axis(values)
        chart.set_y_axis({"reverse": True})
        chart.set_legend({"none": True})
    else:
        chart.set_y_axis(values)
        chart.set_legend({"position": "bottom"})
    chart.set_size({"width": spec.width_cm * _EMU_PER_CM / _EMU_PER_PIXEL, "height": spec.height_cm * _EMU_PER_CM / _EMU_PER_PIXEL})
    return chart
