"""The master workbook: consolidation of the 16 Sóc Trăng unit files, live formulas, flags in place."""

import hashlib
import json

import openpyxl
import pytest

import office
import soctrang

from tthc_xl.cli.app import main

SHEET = "Phụ lục I"
TOTAL_ROW, PERCENT_ROW = 25, 26  # 3 title rows, a blank, 3 header rows, the number row, 16 units


@pytest.fixture(scope="module")
def master(unit_folder, tmp_path_factory):
    out = tmp_path_factory.mktemp("master")
    path = out / "tong-hop.xlsx"
    code = main(["consolidate", str(unit_folder), "--units", "soc-trang-so-nganh", "--period", "tháng 10 năm 2019",
                 "-o", str(path), "--json", str(out / "ket-qua.json")])
    assert code == 1  # the seven inconsistent units are errors
    return path, json.loads((out / "ket-qua.json").read_text(encoding="utf-8"))


def test_totals_are_the_column_sums_of_the_unit_rows(master):
    _, data = master
    assert data["totals"] == {str(n): v for n, v in soctrang.COLUMN_SUMS.items()}
    assert data["totals"]["3"] == 5661 and data["totals"]["7"] == 1559 and data["totals"]["8"] == 5
    assert data["missing"] == []
    assert data["groups"] == {}


def test_derived_totals_and_percentages_are_formulas(master):
    path, _ = master
    sheet = openpyxl.load_workbook(path)[SHEET]
    # Sở Tư pháp (row 20) is consistent: its derived columns are formulas.
    assert sheet["C20"].value == "=D20+E20"
    assert sheet["F20"].value == "=G20+H20+I20"
    assert sheet["J20"].value == "=K20+L20"
    assert sheet["D20"].value == 181  # an input, as the unit wrote it
    assert sheet["C25"].value == "=SUM(C9:C24)"
    assert sheet["G26"].value == "=IF(F25=0,0,G25/F25)"
    assert sheet["G26"].number_format == "[$-42A]0.00%_)"
    # Sở Giáo dục và Đào tạo (row 11) reported 40 resolved but 3 + 0 + 0: kept as reported.
    assert sheet["F11"].value == 40
    assert sheet.cell(8, 3).value == "3=(4+5)" and sheet.cell(8, 6).value == "6=(7+8+9)"


def test_inconsistent_rows_are_flagged_in_place_with_notes(master):
    path, data = master
    sheet = openpyxl.load_workbook(path)[SHEET]
    flagged = {f["cell"] for f in data["findings"]}
    assert flagged == {"F9", "F10", "F11", "F12", "F13", "F15", "F16"}
    assert sheet["F11"].fill.fgColor.rgb.endswith("FFC7CE")
    assert sheet["G11"].fill.fgColor.rgb.endswith("F8CBAD")  # a suspect
    note = sheet["F11"].comment.text
    assert "Sở Giáo dục và Đào tạo" in note and "(6) phải bằng (7) + (8) + (9)" in note
    assert "G11, H11, I11" in note and "03_so-giao-duc.csv" in note
    assert sheet["F20"].comment is None and sheet["F20"].fill.fgColor.rgb.endswith("EDEDED")


def test_check_sheet_lists_findings_with_links(master):
    path, _ = master
    sheet = openpyxl.load_workbook(path)["Kiểm tra"]
    assert sheet["A1"].value == "KẾT QUẢ KIỂM TRA: 7 lỗi, 0 cảnh báo, 0 đơn vị chưa gửi báo cáo"
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=4, max_row=10)]
    assert [r[2] for r in rows] == ["F9", "F10", "F11", "F12", "F13", "F15", "F16"]
    assert sheet["C6"].hyperlink.location == "'Phụ lục I'!F11" or sheet["C6"].hyperlink.target == "#'Phụ lục I'!F11"
    assert sheet["I6"].value == "03_so-giao-duc.csv"
    assert sheet["I6"].hyperlink.target.startswith("file:///")


def test_libreoffice_recalculates_the_same_totals_and_percentages(master, tmp_path):
    path, data = master
    values = office.recalculated_values(path, SHEET, tmp_path)
    total = values[TOTAL_ROW - 1]
    percent = values[PERCENT_ROW - 1]
    assert {n: total[n - 1] for n in range(3, 15)} == {n: float(v) for n, v in soctrang.COLUMN_SUMS.items()}
    # Each percentage as its column over its base, from the recalculated totals.
    assert percent[3 - 1] == pytest.approx(1.0)
    assert percent[6 - 1] == pytest.approx(3892 / 5661)
    assert percent[7 - 1] == pytest.approx(1559 / 3892)
    assert percent[14 - 1] == pytest.approx(578 / 5661)


def test_formula_results_are_stored_for_readers_that_do_not_calculate(master):
    import python_calamine

    path, _ = master
    values = python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_name(SHEET).to_python(skip_empty_area=False)
    assert values[TOTAL_ROW - 1][2] == 5661
    assert values[PERCENT_ROW - 1][5] == pytest.approx(3892 / 5661)


def test_unit_files_are_never_modified(unit_folder, tmp_path):
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in unit_folder.iterdir()}
    main(["consolidate", str(unit_folder), "-o", str(tmp_path / "m.xlsx")])
    after = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in unit_folder.iterdir()}
    assert before == after
