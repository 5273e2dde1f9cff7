"""The Excel buttons through xlwings' remote engine (xlwings Server), on real workbooks.

Each test builds the payload the Office.js client would send from a real .xlsx (tests/xlwings_payload.py),
runs a button on `xw.Book(json=payload)`, checks the returned actions, applies them back to the
file with openpyxl and checks the workbook the clerk would see. No Excel, no mocks.
"""

import csv
import re
import shutil
from collections import Counter
from pathlib import Path

import openpyxl
import pytest
import python_calamine
import xlwings as xw

import office
import soctrang
import xlwings_payload as xp

from tthc_xl.excel import buttons as excel
from tthc_xl.core import style
from tthc_xl.cli.app import main

SHEET = "Phụ lục I"
FLAGGED = {"F9", "F10", "F11", "F12", "F13", "F15", "F16"}  # the seven inconsistent units (6 ≠ 7 + 8 + 9)
MARK_RGB = {style.ERROR_FILL, style.WARNING_FILL, style.SUSPECT_FILL}


def fill(cell):
    return cell.fill.fgColor.rgb[-6:] if cell.fill.fill_type else None


def hyperlink_text(value):
    """The text a HYPERLINK formula shows, or the value itself."""
    match = re.fullmatch(r'=HYPERLINK\("(?:[^"]|"")*","((?:[^"]|"")*)"\)', value) if isinstance(value, str) else None
    return match[1].replace('""', '"') if match else value


def folder_setting(folder):
    return lambda data: xp.set_name(data, "ThuMucBaoCao", str(folder))


def new_master(path: Path, units="soc-trang-so-nganh") -> Path:
    assert main(["new-master", "--form", "mau-a", "--units", str(units), "--period", "tháng 10 năm 2019", "-o", str(path)]) == 0
    return path


@pytest.fixture(scope="module")
def pair(unit_folder, tmp_path_factory):
    """The same new master consolidated by `tthc-xl consolidate` and by the Excel button (remote)."""
    out = tmp_path_factory.mktemp("pair")
    blank = new_master(out / "moi.xlsx")
    by_cli, by_button = out / "cli.xlsx", out / "nut.xlsx"
    shutil.copy(blank, by_cli)
    shutil.copy(blank, by_button)
    assert main(["consolidate", str(unit_folder), "-o", str(by_cli)]) == 1
    outcome, actions, alerts = xp.run_button(excel.consolidate, by_button, edit=folder_setting(unit_folder))
    return by_cli, by_button, outcome, actions, alerts


def test_consolidate_gives_the_same_sheet_as_the_command_line(pair):
    by_cli, by_button, outcome, _, _ = pair
    a = openpyxl.load_workbook(by_cli)[SHEET]
    b = openpyxl.load_workbook(by_button)[SHEET]
    assert {str(r) for r in a.merged_cells.ranges} == {str(r) for r in b.merged_cells.ranges}
    assert (a.max_row, a.max_column) == (b.max_row, b.max_column) == (26, 14)
    for row in range(1, 27):
        for col in range(1, 15):
            x, y = a.cell(row, col), b.cell(row, col)
            where = x.coordinate
            assert x.value == y.value, where  # values and formulas ("=D20+E20", "=SUM(C9:C24)")
            assert fill(x) == fill(y), where
            assert (x.comment.text if x.comment else None) == (y.comment.text if y.comment else None), where
            if x.value is not None:
                assert x.number_format == y.number_format, where
            assert bool(x.font.bold) == bool(y.font.bold), where
            assert x.protection.locked == y.protection.locked, where
            assert x.border.left.style == y.border.left.style, where
    flagged = {c.coordinate for r in b.iter_rows() for c in r if fill(c) in MARK_RGB}
    assert flagged == {c.coordinate for r in a.iter_rows() for c in r if fill(c) in MARK_RGB}
    assert {c.coordinate for r in b.iter_rows() for c in r if fill(c) == style.ERROR_FILL} == FLAGGED
    assert b.protection.sheet and a.protection.sheet
    assert b.freeze_panes == a.freeze_panes == "C9"
    assert outcome.master.totals() == {n: v for n, v in soctrang.COLUMN_SUMS.items()}


def test_the_table_is_written_in_blocks_with_formulas_as_text(pair):
    _, _, _, actions, _ = pair
    writes = [a for a in actions if a["func"] == "setValues" and a["sheet_position"] == 0]
    assert len(writes) == 3  # title, header, body
    body = next(a for a in writes if a["start_row"] == 8)
    assert (body["row_count"], body["column_count"]) == (18, 14)
    rows = body["values"]
    tu_phap = rows[20 - 9]
    assert tu_phap[:6] == [12, "Sở Tư pháp", "=D20+E20", 181, 664, "=G20+H20+I20"]
    assert rows[25 - 9][2] == "=SUM(C9:C24)" and rows[26 - 9][6] == "=IF(F25=0,0,G25/F25)"
    assert rows[11 - 9][5] == 40  # a unit's own total that disagrees is kept, as the unit wrote it
    header = next(a for a in writes if a["start_row"] == 4)
    assert header["values"][3][:3] == ["'1", "'2", "3=(4+5)"]  # the number row stays text
    # Fills: a few rectangles for the base colours, one call per run of flagged cells.
    colours = Counter(a["args"][0] for a in actions if a["func"] == "setRangeColor" and a["sheet_position"] == 0)
    assert colours["#FFC7CE"] == 7 and colours["#F8CBAD"] == 7
    assert colours["#FFFFFF"] + colours["#EDEDED"] <= 5 + len(FLAGGED)  # totals kept as written split a column
    assert sum(1 for a in actions if a["func"] == "addNote") == 28


def test_the_check_sheet_lists_findings_with_links(pair):
    by_cli, by_button, _, _, alerts = pair
    a = openpyxl.load_workbook(by_cli)["Kiểm tra"]
    b = openpyxl.load_workbook(by_button)["Kiểm tra"]
    assert b["A1"].value == a["A1"].value == "KẾT QUẢ KIỂM TRA: 7 lỗi, 0 cảnh báo, 0 đơn vị chưa gửi báo cáo"
    for row in range(3, a.max_row + 1):
        assert [hyperlink_text(b.cell(row, c).value) for c in range(1, 11)] == [a.cell(row, c).value for c in range(1, 11)], row
    assert b["C6"].value == '=HYPERLINK("#\'Phụ lục I\'!F11","F11")'
    assert b["I6"].value.startswith('=HYPERLINK("file:///') and "03_so-giao-duc" in b["I6"].value
    assert b["B6"].fill.fgColor.rgb.endswith(style.ERROR_FILL)
    assert b["A2"].value == alerts[0]["prompt"] == "Đã tổng hợp 16/16 đơn vị vào trang “Phụ lục I”: 7 lỗi, 0 cảnh báo. Xem trang “Kiểm tra”."
    assert alerts[0]["mode"] == "critical"


def test_libreoffice_computes_the_written_formulas(pair, tmp_path):
    _, by_button, _, _, _ = pair
    values = office.recalculated_values(by_button, SHEET, tmp_path)
    assert {n: values[24][n - 1] for n in range(3, 15)} == {n: float(v) for n, v in soctrang.COLUMN_SUMS.items()}
    assert values[25][6 - 1] == pytest.approx(3892 / 5661)


def test_check_sees_the_clerks_correction_and_clear_marks_restores_the_fills(pair, tmp_path):
    _, by_button, _, _, _ = pair
    path = tmp_path / "sua.xlsx"
    book = openpyxl.load_workbook(by_button)
    book[SHEET]["H11"] = 37  # Sở Giáo dục: 40 = 3 + 37 + 0 now
    book.save(path)
    values = office.convert(path, "xlsx:Calc MS Excel 2007 XML", tmp_path / "tinh")
    findings, actions, alerts = xp.run_button(excel.check, path, values_from=values)
    assert {f.cell for f in findings} == FLAGGED - {"F11"}
    assert alerts[0]["prompt"].startswith("Đã kiểm tra trang “Phụ lục I”: 6 lỗi")
    sheet = openpyxl.load_workbook(path)[SHEET]
    assert fill(sheet["F11"]) == style.FORMULA_FILL and fill(sheet["G11"]) == style.INPUT_FILL
    assert sheet["F11"].comment is None and sheet["G11"].comment is None
    assert fill(sheet["F12"]) == style.ERROR_FILL and "Sở Giao thông vận tải" in sheet["F12"].comment.text
    assert sheet["H11"].value == 37 and sheet["C11"].value == "=D11+E11"  # check writes no value on the table
    assert not [a for a in actions if a["func"] == "setValues" and a["sheet_position"] == 0]
    check_sheet = openpyxl.load_workbook(path)["Kiểm tra"]
    assert check_sheet["A1"].value == "KẾT QUẢ KIỂM TRA: 6 lỗi, 0 cảnh báo, 0 đơn vị chưa gửi báo cáo"

    values = office.convert(path, "xlsx:Calc MS Excel 2007 XML", tmp_path / "tinh2")
    cleared, actions, _ = xp.run_button(excel.clear_marks, path, values_from=values)
    assert cleared == 24  # 6 findings and their 18 suspects
    book = openpyxl.load_workbook(path)
    sheet = book[SHEET]
    assert not [c.coordinate for r in sheet.iter_rows() for c in r if c.comment is not None]
    assert not [c.coordinate for r in sheet.iter_rows() for c in r if fill(c) in MARK_RGB]
    assert fill(sheet["F12"]) == style.INPUT_FILL and fill(sheet["G12"]) == style.INPUT_FILL and fill(sheet["F20"]) == style.FORMULA_FILL
    assert sheet.protection.sheet
    assert Counter(a["func"] for a in actions)["setRangeColor"] <= 12


def test_text_stays_text():
    assert excel.text_cell("=SUM(A1)") == "'=SUM(A1)"
    assert excel.text_cell("+84 Sở") == "'+84 Sở" and excel.text_cell("-") == "'-" and excel.text_cell("@x") == "'@x"
    assert excel.text_cell("24/10/2019") == "'24/10/2019" and excel.text_cell("1") == "'1" and excel.text_cell("true") == "'true"
    assert excel.text_cell("Sở Tư pháp") == "Sở Tư pháp" and excel.text_cell("3=(4+5)") == "3=(4+5)" and excel.text_cell(5) == 5


def _pasted_book(tmp_path, unit_folder, label=None) -> Path:
    """A new master (no unit list) with one unit's table pasted into a sheet of its own."""
    path = tmp_path / "dan.xlsx"
    new_master(path)
    book = openpyxl.load_workbook(path)
    source = next(p for p in sorted(unit_folder.iterdir()) if p.name.startswith("12_"))
    grid = python_calamine.CalamineWorkbook.from_path(str(source))
    values = grid.get_sheet_by_index(len(grid.sheet_names) - 1).to_python(skip_empty_area=False)
    sheet = book.create_sheet("Dán Tư pháp")
    for r, row in enumerate(values, start=1):
        for c, value in enumerate(row, start=1):
            if value != "":
                sheet.cell(r, c, label if label and value == "Sở Tư pháp" else value).data_type = "s" if isinstance(value, str) else "n"
    book.save(path)
    return path


def test_unit_sheets_pasted_into_the_workbook_are_consolidated(tmp_path, unit_folder):
    path = _pasted_book(tmp_path, unit_folder)
    outcome, actions, alerts = xp.run_button(excel.consolidate, path)
    assert [s.file for s in outcome.sources] == ["dan.xlsx"] and outcome.sources[0].sheet == "Dán Tư pháp"
    sheet = openpyxl.load_workbook(path)[SHEET]
    assert [sheet.cell(20, c).value for c in range(2, 6)] == ["Sở Tư pháp", "=D20+E20", 181, 664]
    assert alerts[0]["prompt"].startswith("Đã tổng hợp 1/16 đơn vị") and "15 đơn vị chưa gửi báo cáo" in alerts[0]["prompt"]
    check_sheet = openpyxl.load_workbook(path)["Kiểm tra"]
    link = next(c.value for r in check_sheet.iter_rows() for c in r if isinstance(c.value, str) and "Dán Tư pháp" in c.value and "HYPERLINK" in c.value)
    assert link == '=HYPERLINK("#\'Dán Tư pháp\'!A1","dan.xlsx")'


def test_a_unit_name_that_looks_like_a_formula_is_written_as_text(tmp_path, unit_folder):
    path = _pasted_book(tmp_path, unit_folder, label="=Sở Tư pháp")
    book = openpyxl.load_workbook(path)
    del book.defined_names["TTHC_BANG"]
    del book[SHEET]  # no master yet, no unit list: the names come from the table itself
    book.save(path)
    _, actions, _ = xp.run_button(excel.consolidate, path)
    body = next(a for a in actions if a["func"] == "setValues" and a["start_row"] == 8)
    assert body["values"][0][1] == "'=Sở Tư pháp"
    sheet = openpyxl.load_workbook(path)[SHEET]
    assert sheet["B9"].value == "=Sở Tư pháp" and sheet["B9"].data_type == "s"


def test_the_macro_workbook_gets_its_appendix_after_the_buttons_sheet(tmp_path, unit_folder):
    path = tmp_path / "tthc-xl-master.xlsm"
    shutil.copy(Path(__file__).parent.parent / "workbook" / "tthc-xl-master.xlsm", path)
    outcome, actions, _ = xp.run_button(excel.consolidate, path, edit=folder_setting(unit_folder))
    book = openpyxl.load_workbook(path, keep_vba=True)
    assert book.sheetnames == ["Điều khiển", SHEET, "Kiểm tra", "xlwings.conf"]
    assert book[SHEET]["C25"].value == "=SUM(C9:C24)" and len(outcome.master.missing) == 0
    assert not [a for a in actions if a["func"] == "namesAdd" and a["args"][0] != "TTHC_BANG"]  # settings names exist


def test_problems_are_told_in_vietnamese_not_raised(tmp_path):
    path = new_master(tmp_path / "m.xlsx")
    result, _, alerts = xp.run_button(excel.consolidate, path, edit=folder_setting(tmp_path / "khong-co"))
    assert result is None and alerts[0]["mode"] == "critical"
    assert alerts[0]["prompt"].startswith("Không thực hiện được: không tìm thấy thư mục báo cáo đơn vị")
    result, _, alerts = xp.run_button(excel.consolidate, path, edit=folder_setting("../.."), root=tmp_path)
    assert result is None and "nằm ngoài thư mục báo cáo của máy chủ" in alerts[0]["prompt"]
    empty = tmp_path / "trong.xlsx"
    openpyxl.Workbook().save(empty)
    result, _, alerts = xp.run_button(excel.check, empty)
    assert result is None and "hãy bấm «Tổng hợp» trước" in alerts[0]["prompt"]


def test_print_appendix_clears_marks_and_sets_up_the_page(pair, tmp_path):
    _, by_button, _, _, _ = pair
    path = tmp_path / "in.xlsx"
    shutil.copy(by_button, path)
    values = office.convert(path, "xlsx:Calc MS Excel 2007 XML", tmp_path / "tinh")
    result, actions, alerts = xp.run_button(excel.print_appendix, path, values_from=values)
    assert result is None and "Tệp → In" in alerts[0]["prompt"]  # no PDF export on the remote engine
    layout = next(a for a in actions if a["func"] == "runMacro" and a["args"][0] == "tthcPageLayout")
    assert '"orientation": "Landscape"' in layout["args"][2] and '"titleRows": "$5:$8"' in layout["args"][2]
    sheet = openpyxl.load_workbook(path)[SHEET]
    assert sheet.print_area == "'Phụ lục I'!$A$1:$N$26"
    assert not [c for r in sheet.iter_rows() for c in r if fill(c) in MARK_RGB or c.comment]


def test_report_figures_come_from_the_master_by_layout_key(pair, tmp_path):
    _, by_button, _, _, _ = pair
    values = office.convert(by_button, "xlsx:Calc MS Excel 2007 XML", tmp_path / "tinh")
    book = xw.Book(json=xp.payload(by_button, values))
    try:
        table = excel.master_table(book, __import__("tthc_xl.core.layouts").core.layouts.load_layouts())
        figures = excel.figures_from_table(table, excel.read_book_settings(book).settings)
        assert excel.draft_report(book) is None  # no .docx on the clerk's computer from a server
        alert = book.json()["actions"][-1]
    finally:
        book.close()
    assert figures.totals["received"] == 5661 and figures.totals["resolved_early"] == 1559 and figures.totals["received_online"] == 578
    assert figures.meta["ky_bao_cao"] == "tháng 10 năm 2019" and figures.meta["co_quan"] == "[CƠ QUAN BÁO CÁO]"
    assert dict(figures.units)["Sở Tư pháp"]["received"] == 845
    assert alert["func"] == "alert" and "Soạn báo cáo" in alert["args"][0]


# ----------------------------------------------------------------------------------------------
# Actions grow with the flagged cells, not with the table
# ----------------------------------------------------------------------------------------------


def _big_case(folder: Path, units: int, inconsistent: int) -> tuple[Path, Path]:
    """A unit list of `units` units in two groups, a new master, and one file with every unit's row."""
    folder.mkdir(parents=True)
    names = [f"Xã {i:03d}" for i in range(1, units + 1)]
    with open(folder / "don-vi.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["nhom", "ten", "bi_danh"])
        for i, name in enumerate(names):
            writer.writerow(["Cấp huyện" if i < units // 2 else "Cấp xã", name, ""])
    master = new_master(folder / "tong-hop.xlsx", folder / "don-vi.csv")
    reports = folder / "bao-cao"
    reports.mkdir()
    rows = [
        ["BÁO CÁO TÌNH HÌNH GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH"],
        ["STT", "Đơn vị", "Tổng số", "Kỳ trước chuyển sang", "Số mới tiếp nhận", "Tổng số", "Trước hạn", "Đúng hạn", "Quá hạn",
         "Tổng số", "Còn hạn", "Quá hạn", "Trả lại", "Trực tuyến"],
        ["1", "2", "3=(4+5)", "4", "5", "6=(7+8+9)", "7", "8", "9", "10=(11+12)", "11", "12", "13", "14"],
    ]
    for i, name in enumerate(names):
        carried, new = 10 + i % 7, 40 + i % 11
        received = carried + new
        early, on_time, late = 20 + i % 5, 5, 1
        # Three units report a total resolved (6) that is not 7 + 8 + 9; every other rule holds.
        bad = 5 if i % (units // inconsistent) == 0 and i // (units // inconsistent) < inconsistent else 0
        resolved = early + on_time + late + bad
        pending = received - resolved
        overdue = i % 2
        rows.append([i + 1, name, received, carried, new, resolved, early, on_time, late, pending, pending - overdue, overdue, 0, new // 2])
    with open(reports / "tong-hop-xa.csv", "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return master, reports


def test_actions_grow_with_flagged_cells_not_with_units(tmp_path):
    counts = {}
    for units in (30, 300):
        master, reports = _big_case(tmp_path / str(units), units, inconsistent=3)
        outcome, actions, _ = xp.run_button(excel.consolidate, master, edit=folder_setting(reports))
        in_master = [f for f in outcome.findings if f.sheet == SHEET]
        flagged = len(excel.mark_plan(in_master))
        assert len(in_master) == 3 and flagged == 12  # 3 totals, 9 suspects
        assert len(actions) <= 110 + 4 * flagged, Counter(a["func"] for a in actions)
        counts[units] = len(actions)
        sheet = openpyxl.load_workbook(master)[SHEET]
        assert sheet.cell(9, 2).value == "Cấp huyện" and sheet.cell(10, 2).value == "Xã 001"
        assert sum(1 for r in sheet.iter_rows() for c in r if c.comment is not None) == flagged
    assert abs(counts[30] - counts[300]) <= 2, counts
    print(f"actions: 30 units → {counts[30]}, 300 units → {counts[300]} (12 flagged cells)")
