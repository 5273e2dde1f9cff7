"""Tests of the Sóc Trăng fixture itself: the figures, and the files it writes."""

import csv
import shutil
import sys
from collections import Counter
from dataclasses import fields
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import openpyxl  # noqa: E402
import pytest  # noqa: E402
from python_calamine import CalamineWorkbook  # noqa: E402

import soctrang  # noqa: E402


def _col(values, col):
    return values[col - 3]


# ---- the figures ----------------------------------------------------------------------


def test_sixteen_units_as_printed():
    assert len(soctrang.UNITS) == 16
    assert [stt for stt, _, _ in soctrang.UNITS] == list(range(1, 17))
    assert all(len(values) == 12 for _, _, values in soctrang.UNITS)
    assert soctrang.UNITS[3] == (
        4, "Sở Giao thông vận tải", [2708, 543, 2165, 1583, 0, 0, 0, 1125, 1125, 0, 0, 84]
    )
    assert soctrang.UNITS[12][1] == "Sở Văn hóa, Thể thao và Du lịch"


def test_column_sums():
    assert soctrang.COLUMN_SUMS == {
        3: 5661, 4: 1194, 5: 4467, 6: 3892, 7: 1559, 8: 5,
        9: 12, 10: 1769, 11: 1747, 12: 22, 13: 4, 14: 578,
    }


def test_printed_totals_are_wrong_only_in_columns_7_and_8():
    wrong = {c: (soctrang.PRINTED_TOTAL[c], soctrang.COLUMN_SUMS[c])
             for c in soctrang.COLUMNS if soctrang.PRINTED_TOTAL[c] != soctrang.COLUMN_SUMS[c]}
    assert wrong == {7: (3794, 1559), 8: (86, 5)}


def test_printed_percent():
    p = soctrang.PRINTED_PERCENT
    assert (p[3], p[6], p[7], p[8], p[14]) == (100.00, 68.75, 97.48, 2.21, 10.21)
    # Columns 7 and 8 were computed from the wrong printed totals, over column 6.
    t = soctrang.PRINTED_TOTAL
    assert p[7] == round(t[7] / t[6] * 100, 2)
    assert p[8] == round(t[8] / t[6] * 100, 2)
    assert p[4] == round(t[4] / t[3] * 100, 2)


def test_exactly_seven_units_break_6_equals_7_8_9():
    broken = [name for _, name, v in soctrang.UNITS
              if _col(v, 6) != _col(v, 7) + _col(v, 8) + _col(v, 9)]
    assert broken == [
        "Sở Thông tin và Truyền thông",
        "Sở Công Thương",
        "Sở Giáo dục và Đào tạo",
        "Sở Giao thông vận tải",
        "Sở Kế hoạch và Đầu tư",
        "Sở Lao động - Thương binh và Xã hội",
        "Sở Nội vụ",
    ]


def test_other_row_rules_hold():
    for _, name, v in soctrang.UNITS:
        assert _col(v, 3) == _col(v, 4) + _col(v, 5), name
        assert _col(v, 10) == _col(v, 11) + _col(v, 12), name
        assert _col(v, 3) == _col(v, 6) + _col(v, 10), name
        assert _col(v, 14) <= _col(v, 5), name


def test_header_shape():
    assert all(len(row) == 14 for row in soctrang.HEADER_ROWS)
    assert len(soctrang.NUMBER_ROW) == 14
    assert len(soctrang.FLAT_HEADER) == 14
    assert soctrang.HEADER_ROWS[2][3:12] == [
        "Kỳ trước", "Số mới tiếp nhận", "Tổng số", "Trước hạn", "Đúng hạn", "Quá hạn",
        "Tổng số", "Còn hạn", "Quá hạn",
    ]
    assert len(soctrang.MERGES) == 10


# ---- the appendix files ---------------------------------------------------------------


def test_write_appendix_reads_back_with_merges(tmp_path):
    path = soctrang.write_appendix(tmp_path / "phu-luc-1.xlsx")
    assert path == tmp_path / "phu-luc-1.xlsx"
    ws = openpyxl.load_workbook(path).active

    assert {str(r) for r in ws.merged_cells.ranges} == set(soctrang.APPENDIX_MERGES)
    assert "A5:A7" in soctrang.APPENDIX_MERGES and "F5:L5" in soctrang.APPENDIX_MERGES
    assert ws["A1"].value == "PHỤ LỤC I"
    assert ws["A2"].value.startswith("TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT")
    assert "06/BC-TTHC ngày 24/10/2019" in ws["A3"].value

    h = soctrang.APPENDIX_HEADER_ROW
    assert ws.cell(h, 1).value == "STT"
    assert ws.cell(h, 3).value == "Số hồ sơ nhận giải quyết"
    assert ws.cell(h, 6).value == "Kết quả giải quyết"
    assert ws.cell(h + 1, 6).value == "Số hồ sơ đã giải quyết"
    assert ws.cell(h + 2, 7).value == "Trước hạn"
    assert ws.cell(h + 3, 3).value == "3=(4+5)"

    first = h + 4
    assert [ws.cell(first, c).value for c in range(1, 15)] == [
        1, "Sở Thông tin và Truyền thông", 10, 1, 9, 7, 0, 0, 0, 3, 3, 0, 0, 0
    ]
    assert ws.cell(first + 3, 3).value == 2708  # a real number, not "2.708"
    total = first + 16
    assert ws.cell(total, 2).value == "Tổng cộng"
    assert [ws.cell(total, c).value for c in range(3, 15)] == [
        soctrang.PRINTED_TOTAL[c] for c in soctrang.COLUMNS
    ]
    assert ws.cell(total + 1, 2).value == "Tỷ lệ %"
    assert ws.cell(total + 1, 3).value == "100,00"
    assert ws.cell(total + 1, 7).value == "97,48"
    assert ws.max_row == total + 1


def test_write_appendix_csv(tmp_path):
    path = soctrang.write_appendix_csv(tmp_path / "phu-luc-1.csv")
    rows = list(csv.reader(path.open(encoding="utf-8", newline="")))
    by_label = {row[1]: row for row in rows if len(row) > 1}
    assert by_label["Tổng cộng"][2:] == [
        "5.661", "1.194", "4.467", "3.892", "3.794", "86", "12", "1.769", "1.747", "22", "4", "578"
    ]
    assert by_label["Tỷ lệ %"][2:5] == ["100,00", "21,09", "78,91"]
    assert by_label["Sở Giao thông vận tải"][2] == "2.708"
    assert by_label["Sở Văn hóa, Thể thao và Du lịch"][0] == "13"


# ---- the unit files -------------------------------------------------------------------


@pytest.fixture(scope="module")
def unit_files(tmp_path_factory):
    return soctrang.write_unit_files(tmp_path_factory.mktemp("units"))


def _table_rows(path):
    """All rows of the sheet holding the table (the last sheet), as Python values."""
    if path.suffix == ".csv":
        return list(csv.reader(path.open(encoding="utf-8-sig", newline="")))
    wb = CalamineWorkbook.from_path(str(path))
    return wb.get_sheet_by_name(wb.sheet_names[-1]).to_python()


def _figure(cell):
    """Just enough of a reader to check the fixture: '1.194 ', '-', '00', '' -> ints."""
    if isinstance(cell, float):
        return int(cell)
    text = str(cell).strip()
    return 0 if text in ("", "-") else int(text.replace(".", ""))


def test_unit_files_written(unit_files):
    assert len(unit_files) == 16
    assert all(p.exists() for p in unit_files)
    assert unit_files[0].name == "01_so-thong-tin.xlsx"
    suffixes = Counter(p.suffix for p in unit_files)
    assert suffixes[".csv"] == 2
    assert suffixes[".xlsx"] >= 12
    if shutil.which("soffice"):
        assert suffixes[".ods"] == 2
    for p in unit_files:
        if p.suffix == ".csv":
            assert p.read_bytes().startswith(b"\xef\xbb\xbf")  # UTF-8 BOM


def test_unit_files_hold_the_intended_values(unit_files):
    expected = soctrang.unit_file_values()
    assert list(expected) == [p.stem for p in unit_files]
    for path, shape, (stt, printed, _) in zip(unit_files, soctrang.UNIT_FILE_SHAPES,
                                              soctrang.UNITS):
        canonical, values = expected[path.stem]
        name_in_file = soctrang.NAME_VARIANTS.get(printed, printed)
        row = next(r for r in _table_rows(path) if name_in_file in r)
        start = row.index(name_in_file) + 1 + (1 if shape.spacer else 0)
        assert [_figure(c) for c in row[start:start + 12]] == values, path.name
        assert canonical == soctrang.CANONICAL_NAMES.get(printed, printed)


def test_unit_file_shapes_differ(unit_files):
    shapes = soctrang.UNIT_FILE_SHAPES
    assert len(shapes) == 16 and len(set(shapes)) == 16
    # Every value of every field appears at least twice, but the one "Hướng dẫn" file.
    for f in fields(soctrang.UnitShape):
        if f.name == "guide_sheet":
            continue
        counts = Counter(getattr(s, f.name) for s in shapes)
        assert len(counts) >= 2 and min(counts.values()) >= 2, (f.name, counts)
    assert {s.header_cell for s in shapes} == {"A1", "A4", "C5", "C8"}
    assert sum(s.number_row == "plain" for s in shapes) == 2

    sheet_names = set()
    for path in unit_files:
        if path.suffix == ".xlsx":
            names = openpyxl.load_workbook(path).sheetnames
            sheet_names.add(names[-1])
            if names[0] == "Hướng dẫn":
                assert len(names) == 2
                guide = openpyxl.load_workbook(path)["Hướng dẫn"]
                assert guide.max_row == 1 and guide["A1"].value is None
    assert len(sheet_names) >= 4
    assert sheet_names <= {"Sheet1", "PL1", "Phụ lục", "Báo cáo T10"}


def test_unit_files_use_name_variants_and_real_merges(unit_files):
    texts = {p.stem: _table_rows(p) for p in unit_files}
    assert any("So Tai chinh" in row for row in texts["10_so-tai-chinh"])
    assert any("SỞ Y TẾ" in row for row in texts["15_so-y-te"])
    assert any("Sở LĐ-TB&XH" in row for row in texts["07_so-lao-dong"])
    assert any("Sở Thông tin Truyền thông" in row for row in texts["01_so-thong-tin"])

    # 04: titles + offset + spacer: header at C8, merges moved past the blank column.
    ws = openpyxl.load_workbook(unit_files[3]).active
    assert ws["C8"].value == "STT" and ws["E8"].value is None
    assert ws["F8"].value == "Số hồ sơ nhận giải quyết"
    assert "F8:H8" in {str(r) for r in ws.merged_cells.ranges}
    assert ws["F12"].value == "2.708"
