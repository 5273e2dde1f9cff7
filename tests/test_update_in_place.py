"""A master the clerk worked on is updated in place: the tool's sheets and region come out exactly as
a fresh write of the same consolidation gives them (XlsxWriter, tests/test_rewrite.py), and all the
clerk added stays: a sheet of their own with a formula, widths, print settings and a chart, a
defined name, validation and conditional formatting on the table, a signature with a note and a
merge under it, a cell beside it.

The update opens the old check sheet empty (it is drawn again), forgets the region by dropping its
cells and stores the formula results while openpyxl writes (tthc_xl/xlsx/render.py): what a clerk
or a reader would see must not change for it.
"""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import openpyxl
from openpyxl.chart import BarChart, Reference
from openpyxl.comments import Comment
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Font, PatternFill
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from python_calamine import CalamineWorkbook

from compare_books import assert_same_sheet

from tthc_xl.cli.app import main
from tthc_xl.core.contract import TABLE_NAME
from tthc_xl.files import history

PERIOD = "tháng 10 năm 2019"
OWN = "Sổ theo dõi"


def _written_whole(path: Path) -> bool:  # XlsxWriter keeps text in shared strings, openpyxl inline
    with zipfile.ZipFile(path) as package:
        return "xl/sharedStrings.xml" in package.namelist()


def _region(book) -> tuple[int, int]:
    (_, ref), = book.defined_names[TABLE_NAME].destinations
    last = ref.replace("$", "").split(":")[1]
    cell = book.active[last]
    return cell.row, cell.column


def _clerk_works_on(master: Path) -> int:
    """What a clerk does to a master in Excel before the next month; returns the signature's row."""
    book = openpyxl.load_workbook(master)
    sheet = book["Phụ lục I"]
    last_row, last_col = _region(book)
    signed = last_row + 3
    sheet.cell(signed, 8, "NGƯỜI LẬP BIỂU").font = Font(name="Times New Roman", bold=True, italic=True, color="FF1F4E79")
    sheet.cell(signed + 1, 8).comment = Comment("Ký, ghi rõ họ tên", "Văn thư")
    sheet.merge_cells(start_row=signed + 2, start_column=2, end_row=signed + 2, end_column=5)
    sheet.cell(signed + 2, 2, "Số liệu đã đối chiếu với Cổng dịch vụ công")
    sheet.cell(3, last_col + 3, "Đã gửi Sở Nội vụ").fill = PatternFill("solid", fgColor="FFFFFF00")
    rule = DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0", allow_blank=True)
    rule.add(f"C9:C{last_row}")
    sheet.add_data_validation(rule)
    sheet.conditional_formatting.add(f"F9:F{last_row}", CellIsRule(operator="greaterThan", formula=["1000"], fill=PatternFill("solid", fgColor="FFFFC7CE")))
    own = book.create_sheet(OWN)
    for row, (name, count) in enumerate((("Một cửa tỉnh", 12), ("Một cửa huyện", 30), ("Bưu điện", 7)), start=1):
        own.cell(row, 1, name)
        own.cell(row, 2, count)
    own["C1"] = "=SUM(B1:B3)"
    own.column_dimensions["A"].width = 28
    own.page_setup.orientation = "landscape"
    own.print_title_rows = "1:1"
    chart = BarChart()
    chart.add_data(Reference(own, min_col=2, min_row=1, max_row=3))
    own.add_chart(chart, "E2")
    book.defined_names["SoTheoDoi"] = DefinedName("SoTheoDoi", attr_text=f"'{OWN}'!$B$1:$B$3")
    book.save(master)
    return signed


def test_a_clerks_master_is_updated_in_place_as_a_fresh_write_with_the_clerks_work_kept(unit_folder, tmp_path):
    reports = Path(shutil.copytree(unit_folder, tmp_path / "bao-cao"))
    master = tmp_path / "tong-hop.xlsx"
    command = ["consolidate", str(reports), "--units", "soc-trang-so-nganh", "--period", PERIOD, "-o", str(master)]
    assert main(command) == 1
    start = {p: p.read_bytes() for p in (master, tmp_path / history.DB_NAME)}
    assert main(command) == 1  # untouched: written whole again, the reference
    assert _written_whole(master)
    fresh = Path(shutil.copy(master, tmp_path / "viet-moi.xlsx"))
    for path, data in start.items():  # the same run from the same start, on the clerk's master
        path.write_bytes(data)
    signed = _clerk_works_on(master)
    assert history.as_written(master) is None
    assert main(command) == 1
    assert not _written_whole(master)

    ours, theirs = openpyxl.load_workbook(master), openpyxl.load_workbook(fresh)
    assert ours.sheetnames == theirs.sheetnames + [OWN]
    names = lambda book: {n: d.attr_text for n, d in book.defined_names.items()}  # noqa: E731
    assert names(ours) == {**names(theirs), "SoTheoDoi": f"'{OWN}'!$B$1:$B$3"}
    region = _region(theirs)
    assert _region(ours) == region
    for name in theirs.sheetnames:
        assert_same_sheet(ours[name], theirs[name], region if name == "Phụ lục I" else None)
    values = lambda path: openpyxl.load_workbook(path, data_only=True)  # noqa: E731
    for x, y in zip(values(master).worksheets, values(fresh).worksheets):  # the stored formula results
        rows = region[0] if x.title == "Phụ lục I" else None
        assert [[c.value for c in r] for r in x.iter_rows(max_row=rows, max_col=region[1] if rows else None)] == \
            [[c.value for c in r] for r in y.iter_rows(max_row=rows, max_col=region[1] if rows else None)], x.title
    read = CalamineWorkbook.from_path(str(master)).get_sheet_by_name("Kiểm tra").to_python()
    assert read == CalamineWorkbook.from_path(str(fresh)).get_sheet_by_name("Kiểm tra").to_python()

    sheet = ours["Phụ lục I"]  # the clerk's own work
    assert sheet.cell(signed, 8).value == "NGƯỜI LẬP BIỂU"
    assert (sheet.cell(signed, 8).font.bold, sheet.cell(signed, 8).font.italic, sheet.cell(signed, 8).font.color.rgb) == (True, True, "FF1F4E79")
    assert (sheet.cell(signed + 1, 8).comment.text, sheet.cell(signed + 1, 8).comment.author) == ("Ký, ghi rõ họ tên", "Văn thư")
    assert f"B{signed + 2}:E{signed + 2}" in {str(r) for r in sheet.merged_cells.ranges}
    assert sheet.cell(signed + 2, 2).value == "Số liệu đã đối chiếu với Cổng dịch vụ công"
    beside = sheet.cell(3, region[1] + 3)
    assert (beside.value, beside.fill.fgColor.rgb) == ("Đã gửi Sở Nội vụ", "FFFFFF00")
    assert [(v.type, v.operator, v.formula1, str(v.sqref)) for v in sheet.data_validations.dataValidation] == \
        [("whole", "greaterThanOrEqual", "0", f"C9:C{region[0]}")]
    assert [(str(r.sqref), [(x.operator, x.formula) for x in r.rules]) for r in sheet.conditional_formatting] == \
        [(f"F9:F{region[0]}", [("greaterThan", ["1000"])])]
    own = ours[OWN]
    assert [[c.value for c in r] for r in own.iter_rows(max_col=3)] == [["Một cửa tỉnh", 12, "=SUM(B1:B3)"], ["Một cửa huyện", 30, None], ["Bưu điện", 7, None]]
    assert (own.column_dimensions["A"].width, own.page_setup.orientation, own.print_title_rows) == (28, "landscape", "$1:$1")
    assert [(c.tagname, c.series[0].val.numRef.f) for c in own._charts] == [("barChart", f"'{OWN}'!$B$1:$B$3")]


def test_the_old_check_sheet_is_not_read_and_leaves_nothing_behind(unit_folder, tmp_path):
    """A check sheet the clerk scribbled on (a note, a link, a merge, a print area, a hidden state)
    is drawn again from nothing; the sheets around it keep their print settings (bound by position)."""
    reports = Path(shutil.copytree(unit_folder, tmp_path / "bao-cao"))
    master = tmp_path / "tong-hop.xlsx"
    command = ["consolidate", str(reports), "--units", "soc-trang-so-nganh", "--period", PERIOD, "-o", str(master)]
    assert main(command) == 1
    start = {p: p.read_bytes() for p in (master, tmp_path / history.DB_NAME)}
    assert main(command) == 1
    fresh = Path(shutil.copy(master, tmp_path / "viet-moi.xlsx"))
    for path, data in start.items():
        path.write_bytes(data)
    book = openpyxl.load_workbook(master)
    checks = book["Kiểm tra"]
    checks["H40"] = "ghi tạm"
    checks["H41"].comment = Comment("xem lại", "Văn thư")
    checks["H42"].hyperlink = "https://dichvucong.gov.vn"
    checks.merge_cells("H43:J44")
    checks.print_area = "A1:J44"
    checks.sheet_state = "hidden"
    book.save(master)
    assert main(command) == 1
    ours, theirs = openpyxl.load_workbook(master), openpyxl.load_workbook(fresh)
    assert ours.sheetnames == theirs.sheetnames
    for name in theirs.sheetnames:
        assert_same_sheet(ours[name], theirs[name])
    assert ours["Kiểm tra"].sheet_state == "visible"


def _every_kind_of_cell():
    """A workbook with every kind of cell a clerk can leave in a master, as openpyxl holds them."""
    import datetime
    import math

    from openpyxl.cell.rich_text import CellRichText, TextBlock
    from openpyxl.cell.text import InlineFont
    from openpyxl.styles import Alignment, Border, Side
    from openpyxl.worksheet.formula import ArrayFormula

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Đủ loại & <ô>"
    rows = [
        ["Văn bản", "  khoảng trắng  ", "a & b < c > d", "dòng\r\nmới\tthẻ", "😀 ngoài BMP", "", "=không phải công thức"],
        [0, -17, 2**53 + 1, 10**20, 0.1, 1e-300, math.nan],
        [True, False, datetime.date(2026, 12, 1), datetime.datetime(2026, 12, 1, 9, 30), datetime.time(7, 15), datetime.timedelta(hours=36), "#N/A"],
        ["=SUM(A2:C2)", '=IF(A2>0,"có & <không>","")', "='Đủ loại & <ô>'!A1", None, None, None, None],
    ]
    for r, values in enumerate(rows, start=1):
        for c, value in enumerate(values, start=1):
            if value is not None:
                sheet.cell(r, c, value)
    sheet["G1"].data_type = "s"
    sheet["G3"].data_type = "e"
    sheet["D4"] = ArrayFormula("D4:D5", "=A2:A3*2")
    sheet["E4"] = CellRichText(["đậm ", TextBlock(InlineFont(b=True), "chữ"), " thường"])
    sheet["F4"].font = Font(bold=True)  # a look, no value
    sheet["G4"].comment = Comment("ghi chú trên ô trống", "Văn thư")
    sheet["A6"].hyperlink = "https://dichvucong.gov.vn/?a=1&b=2"
    sheet["B6"] = "liên kết"
    sheet["B6"].hyperlink = "#'Đủ loại & <ô>'!A1"
    sheet["C6"].comment = Comment("ghi chú", "A & B")
    sheet["C6"] = 5
    thin = Side(style="thin")
    sheet["A8"] = "gộp"
    sheet["A8"].border = Border(left=thin, top=thin)
    sheet["A8"].alignment = Alignment(horizontal="center", wrap_text=True)
    sheet.merge_cells("A8:C9")
    sheet.row_dimensions[12].height = 30  # a row with a height and no cells
    sheet.row_dimensions[13].hidden = True
    sheet.cell(13, 2, "ẩn")
    sheet.row_dimensions[14].outlineLevel = 1
    return book


def test_the_rows_are_written_as_openpyxl_writes_them(tmp_path, unit_folder):
    """sheet_data's bytes are openpyxl's on every kind of cell, on a fresh master and on a clerk's
    master updated in place, and it collects the same notes and links in the same order."""
    from openpyxl.worksheet._writer import WorksheetWriter

    from tthc_xl.xlsx.render import _SheetWriter

    def written(sheet, ours: bool) -> tuple:
        writer = _SheetWriter(sheet, None) if ours else WorksheetWriter(sheet)
        writer.write()
        data = writer.read()
        writer.cleanup()
        if ours:
            assert data.count(b"<sheetData></sheetData>") == 1
            data = data.replace(b"<sheetData></sheetData>", writer.rows)
        return data, [c.ref for c in sheet._comments], [(h.ref, h.target, h.location) for h in sheet._hyperlinks]

    expected, found = written(_every_kind_of_cell().active, False), written(_every_kind_of_cell().active, True)
    assert found == expected  # in memory: rich text, dates, times, durations, array formulas as objects
    assert len(expected[1]) == 2 and len(expected[2]) == 2 and b'<f t="array"' in expected[0] and b'<rPr><b val="1"/>' in expected[0]
    kinds = tmp_path / "du-loai.xlsx"
    _every_kind_of_cell().save(kinds)
    reports = Path(shutil.copytree(unit_folder, tmp_path / "bao-cao"))
    master = tmp_path / "tong-hop.xlsx"
    command = ["consolidate", str(reports), "--units", "soc-trang-so-nganh", "--period", PERIOD, "-o", str(master)]
    assert main(command) == 1
    fresh = Path(shutil.copy(master, tmp_path / "viet-moi.xlsx"))
    _clerk_works_on(master)
    assert main(command) == 1
    for path in (kinds, fresh, master):
        theirs, ours = openpyxl.load_workbook(path), openpyxl.load_workbook(path)  # writing changes a sheet: one copy each
        for x, y in zip(theirs.worksheets, ours.worksheets):
            expected, found = written(x, False), written(y, True)
            assert found == expected, (path.name, x.title)


def test_a_macro_master_keeps_its_macros_and_buttons_through_updates(unit_folder, tmp_path):
    """The .xlsm master with its buttons (workbook_build), consolidated into twice: the second run
    opens the first run's check sheet empty; the macros and the buttons' parts come through both."""
    from tthc_xl.xlsx import workbook_build

    master = workbook_build.build_workbook(tmp_path / "tong-hop.xlsm")
    with zipfile.ZipFile(master) as package:
        kept = {n: package.read(n) for n in package.namelist() if n.startswith(("xl/vba", "xl/ctrlProps", "xl/drawings/vmlDrawing"))}
    assert "xl/vbaProject.bin" in kept
    reports = Path(shutil.copytree(unit_folder, tmp_path / "bao-cao"))
    command = ["consolidate", str(reports), "--units", "soc-trang-so-nganh", "--period", PERIOD, "-o", str(master)]
    assert main(command) == 1
    first = Path(shutil.copy(master, tmp_path / "lan-1.xlsm"))
    assert main(command) == 1
    for path in (first, master):
        with zipfile.ZipFile(path) as package:
            assert {n: package.read(n) for n in kept} == kept, path.name
    ours, theirs = openpyxl.load_workbook(master, keep_vba=True), openpyxl.load_workbook(first, keep_vba=True)
    assert ours.sheetnames == theirs.sheetnames and "Kiểm tra" in ours.sheetnames
    for name in theirs.sheetnames:
        assert_same_sheet(ours[name], theirs[name])
