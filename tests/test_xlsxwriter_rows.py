"""The XlsxWriter engine's own rows are XlsxWriter's, byte for byte.

XlsxWriterSheet writes the plain cells of a sheet (texts, numbers, the master's formulas with their
results, formatted blanks) as row XML of its own, and only the others (links, truth values, long
texts, other formulas) through XlsxWriter's table. With `keep_table` every cell goes through
XlsxWriter's public write_* and XlsxWriter writes the sheet itself. The same plan, drawn both ways,
must give the same file part for part (in memory and through files); then the fast one, read back
with openpyxl (and its XML), holds what the plan says. The engine's shared strings part is the one
XlsxWriter's own packager writes for the same texts.
"""

from __future__ import annotations

import re
import zipfile

import openpyxl
import pytest

from tthc_xl.core.marks import Link
from tthc_xl.core.sheet_plan import Formula, Look, SheetPlan, draw
from tthc_xl.xlsx import xlsxwriter_book as engine

TRICKY = '  <b>Sở "A" & B</b>  '  # XML's special characters, spaces kept at both ends
LONG = "x" * 20000  # longer than the 16 383 characters under which a text fits a cell whatever its UTF-16 length
ROWS = 120  # rows 10…129: eight blocks of 16 rows, each with its own "spans"


def _plan() -> SheetPlan:
    plan = SheetPlan("Phụ lục I", protect=True)
    plain, framed = Look(), Look(border=True, number_format="#,##0")
    unlocked = Look(border=True, locked=False, fill="FFFFFF")
    plan.blocks.append((1, 1, [[TRICKY, "", 0, -2.5, 10**17, 1e-7, True, LONG, None, 1 / 3]]))
    plan.looks.update({(1, 1): plain, (1, 2): framed, (1, 3): framed, (1, 9): framed})  # B1 "" and I1 None: formatted blanks
    plan.blocks.append((3, 1, [["Tổng", Formula("=C4+D4"), Formula("=IF(C4<0,0,C4)"), Formula("=C4/D4"), Formula("=ROUND(C4,0)"),
                                 Formula("=C4"), Link("đến ô", "#'Phụ lục I'!C4"), 7]]))
    plan.computed.update({(3, 2): 12.0, (3, 3): 0, (3, 4): 0.3333333333333333, (3, 5): 5, (3, 6): None})
    plan.looks.update({(3, col): framed for col in range(1, 9)})
    plan.blocks.append((4, 3, [[5, 15]]))
    plan.looks.update({(4, 3): unlocked, (4, 4): unlocked})
    plan.merges.append((6, 1, 6, 4))
    plan.blocks.append((6, 1, [["gộp"]]))
    plan.looks.update({(6, col): framed for col in range(1, 5)})
    plan.marks["D4"] = ("FFC7CE", ["Ô nghi sai.", "Sửa thành 14."])
    plan.fills[(8, 2)] = "FFFFFF"  # a cell painted, nothing else
    for offset in range(ROWS):
        row = 10 + offset
        width = 12 if row == 47 else 3  # its block (rows 33-48) reaches column L
        plan.blocks.append((row, 1, [[f"đơn vị {offset}", offset, Formula(f"=B{row}*2")] + [None] * (width - 3)]))
        plan.computed[(row, 3)] = offset * 2
        plan.looks.update({(row, col): framed for col in range(1, width + 1)})
    plan.heights = {1: 30.0, 2: 48.1, 5: 15.0, **{10 + n: 16.5 for n in range(ROWS)}, 140: 20.0}  # rows 2, 5, 140: a height only
    plan.widths = {1: 30, 2: 12}
    plan.freeze = (10, 2)
    return plan


def _book(path, keep_table: bool, note_only_row: bool = True, parts=None) -> dict[str, bytes]:
    book = engine.new_book(str(path), str(parts) if parts else None)
    formats = engine._Formats(book)
    plan = _plan()
    sheet = engine.XlsxWriterSheet(book, book.add_worksheet(plan.name, worksheet_class=engine._Sheet), formats, plan.computed,
                                   keep_table=keep_table)
    draw(plan, sheet)
    if note_only_row:
        sheet.note("K200", "Một ghi chú trên một hàng không có ô nào.")
    sheet.flush()
    book.close()
    with zipfile.ZipFile(path) as done:
        return {name: done.read(name) for name in done.namelist() if name != "docProps/core.xml"}


@pytest.mark.parametrize("in_files", [False, True])  # a small book is written in memory, a large one through files
def test_the_rows_written_by_the_engine_are_those_xlsxwriter_writes_from_its_table(tmp_path, in_files):
    parts = tmp_path / "parts" if in_files else None
    if parts:
        parts.mkdir()
    fast, table = _book(tmp_path / "fast.xlsx", keep_table=False, parts=parts), _book(tmp_path / "table.xlsx", keep_table=True)
    assert fast.keys() == table.keys()
    for name in fast:
        assert fast[name] == table[name], name
    sheet = fast["xl/worksheets/sheet1.xml"].decode()
    spans = re.findall(r'<row r="(\d+)" spans="([\d:]+)"', sheet)
    assert [span for row, span in spans if 32 <= int(row) <= 49] == ["1:3"] + ["1:12"] * 16 + ["1:3"]  # rows 33-48: a block reaching L
    assert '<row r="200" spans="11:11"/>' in sheet  # the note's own row
    assert '<row r="140" spans="1:3" ht="20" customHeight="1"/>' in sheet and '<row r="2" spans="1:10" ht="48.1" customHeight="1"/>' in sheet
    assert '<c r="C3" s="2"><f>IF(C4&lt;0,0,C4)</f><v>0</v></c>' in sheet  # a formula escaped, its cached result
    assert '<c r="F3" s="2"><f>C4</f><v></v></c>' in sheet  # a formula without a result
    assert re.search(r'<c r="B1" s="\d+"/>', sheet) and re.search(r'<c r="C1" s="\d+"><v>0</v></c>', sheet)
    strings = fast["xl/sharedStrings.xml"].decode()
    assert '<t xml:space="preserve">  &lt;b&gt;Sở "A" &amp; B&lt;/b&gt;  </t>' in strings


def test_the_engine_s_rows_read_back_as_planned(tmp_path):
    _book(tmp_path / "fast.xlsx", keep_table=False)
    book = openpyxl.load_workbook(tmp_path / "fast.xlsx")
    sheet = book["Phụ lục I"]
    assert [sheet.cell(1, col).value for col in range(1, 11)] == [TRICKY, None, 0, -2.5, 10**17, 1e-7, True, LONG, None, 1 / 3]
    assert sheet["B1"].border.left.style == "thin" and sheet["I1"].border.left.style == "thin"  # the blanks keep their looks
    assert [sheet.cell(3, col).value for col in range(2, 7)] == ["=C4+D4", "=IF(C4<0,0,C4)", "=C4/D4", "=ROUND(C4,0)", "=C4"]
    assert sheet["G3"].value == "đến ô" and sheet["G3"].hyperlink.target == "#'Phụ lục I'!C4" and sheet["H3"].value == 7
    assert (sheet["C4"].protection.locked, sheet["D4"].protection.locked, sheet["C3"].protection.locked) == (False, False, True)
    assert sheet.protection.sheet
    assert sheet["D4"].comment.text == "Ô nghi sai.\n\nSửa thành 14." and sheet["D4"].comment.author == "tthc-xl"
    assert sheet["D4"].fill.fgColor.rgb.endswith("FFC7CE") and sheet["B8"].fill.fgColor.rgb.endswith("FFFFFF")
    assert sheet["K200"].comment.text == "Một ghi chú trên một hàng không có ô nào." and sheet["K200"].value is None
    assert [str(r) for r in sheet.merged_cells.ranges] == ["A6:D6"] and sheet["A6"].value == "gộp"
    assert [sheet.cell(row, 1).value for row in (10, 129)] == ["đơn vị 0", f"đơn vị {ROWS - 1}"] and sheet.max_row == 200
    assert sheet.row_dimensions[2].height == 48.1 and sheet.row_dimensions[129].height == 16.5
    assert sheet.column_dimensions["A"].width == 30 and sheet.freeze_panes == "B10"
    results = openpyxl.load_workbook(tmp_path / "fast.xlsx", data_only=True)["Phụ lục I"]
    assert [results.cell(3, col).value for col in range(2, 7)] == [12, 0, 0.3333333333333333, 5, None]
    assert [results.cell(row, 3).value for row in (10, 11, 129)] == [0, 2, (ROWS - 1) * 2]


STRINGS = ["Sở Nội vụ", TRICKY, " a", "a ", "a\n", "\ta", "a\tb", "dòng 1\ndòng 2", 'nói "có"', "A & B", "1 < 2", "x > y",
           "_x0041_", "_xzz", "a\x07b", "\x1f", "ký tự \u00a0cuối\u00a0", "😀", "=SUM(A1)", ""]


def test_the_shared_strings_are_those_xlsxwriter_writes(tmp_path):
    """The engine writes most shared strings itself (engine._SharedStrings): the part must be the one
    XlsxWriter's own packager writes for the same texts."""
    written = {}
    for name, book in (("ours", engine.new_book(str(tmp_path / "ours.xlsx"))),
                       ("xlsxwriter", __import__("xlsxwriter").Workbook(str(tmp_path / "xlsxwriter.xlsx")))):
        sheet = book.add_worksheet()
        texts = STRINGS + [f"{n} {text}" for n in range(3000) for text in STRINGS[:8]]  # more than one batch of the engine's
        for row, text in enumerate(texts):
            sheet.write_string(row, 0, text)
        book.close()
        with zipfile.ZipFile(tmp_path / f"{name}.xlsx") as done:
            written[name] = done.read("xl/sharedStrings.xml")
    assert written["ours"] == written["xlsxwriter"]
    assert b'<si><t xml:space="preserve">a\n</t></si>' in written["ours"] and "<si><t>dòng 1\ndòng 2</t></si>".encode() in written["ours"]
    assert b"<si><t>_x005F_x0041_</t></si>" in written["ours"] and b"<si><t>a_x0007_b</t></si>" in written["ours"]


def test_a_text_shaped_like_rich_text_is_written_as_a_text(tmp_path):
    """XlsxWriter writes a text "<r>…</r>" into the shared strings as it is, as rich text's XML; a cell
    of a unit file holding such a text (a name, what was typed in a figure's cell) would then turn into
    XML in the master, which Excel repairs or refuses. The engine writes it as a text."""
    texts = ["<r>đậm</r>", "<r><t>Xã A</t></r>", "<r></t></si><si><t>x</r>", " <r>x</r>"]
    book = engine.new_book(str(tmp_path / "ours.xlsx"))
    sheet = book.add_worksheet()
    for row, text in enumerate(texts):
        sheet.write_string(row, 0, text)
    book.close()
    with zipfile.ZipFile(tmp_path / "ours.xlsx") as done:
        strings = done.read("xl/sharedStrings.xml").decode()
    assert "<si><t>&lt;r&gt;đậm&lt;/r&gt;</t></si>" in strings and "<si><r>" not in strings
    assert [c.value for c in openpyxl.load_workbook(tmp_path / "ours.xlsx").active["A"]] == texts



def test_links_past_excel_s_limit_keep_their_text(tmp_path, recwarn, monkeypatch):
    """A sheet holds at most 65 530 links (a check sheet of more than about 60 000 files): XlsxWriter drops
    the cells past that, text and all, with a warning; the engine keeps their texts, without a link."""
    bare = __import__("xlsxwriter").Workbook(str(tmp_path / "bare.xlsx")).add_worksheet()
    answers = [bare.write_url(n, 0, f"internal:A{n + 1}", string="x") for n in range(engine.MAX_LINKS + 1)]
    assert answers[-2:] == [0, -4] and recwarn.pop(UserWarning)  # the limit is XlsxWriter's own
    monkeypatch.setattr(engine, "MAX_LINKS", 3)  # then the engine's behaviour past it, on a small sheet
    plan = SheetPlan("Kiểm tra")
    plan.blocks.append((1, 1, [[Link(f"tệp {n}", f"#'Kiểm tra'!B{n + 1}")] for n in range(5)]))
    book = engine.new_book(str(tmp_path / "links.xlsx"))
    sheet = engine.XlsxWriterSheet(book, book.add_worksheet(plan.name, worksheet_class=engine._Sheet), engine._Formats(book), plan.computed)
    draw(plan, sheet)
    sheet.flush()
    book.close()
    read = openpyxl.load_workbook(tmp_path / "links.xlsx")["Kiểm tra"]
    assert [read.cell(row, 1).value for row in range(1, 6)] == [f"tệp {n}" for n in range(5)]
    assert [read.cell(row, 1).hyperlink is not None for row in range(1, 6)] == [True, True, True, False, False]
