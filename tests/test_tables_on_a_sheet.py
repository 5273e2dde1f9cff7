"""Every table on a sheet is read: two units' tables pasted side by side, and a table of another
layout under the first, are each found (before, only the longest number row of a row counted, and a
table numbering other columns than the first was dropped without a word)."""

import openpyxl

import soctrang

from tthc_xl.cli.app import main
from tthc_xl.files.read import read_file

SIDE = 16  # the second table starts at column P, a blank column after the first


def write_side_by_side(path, left, right) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    for offset, (stt, name, values) in ((0, left), (SIDE - 1, right)):
        for row, line in enumerate([soctrang.FLAT_HEADER, soctrang.NUMBER_ROW, [stt, name, *values]], start=1):
            for col, value in enumerate(line, start=1 + offset):
                if value is not None:
                    sheet.cell(row, col, value)
    book.save(path)


def test_two_tables_side_by_side_are_both_read(tmp_path, layouts):
    left, right = soctrang.UNITS[0], soctrang.UNITS[3]  # Sở Thông tin và Truyền thông, Sở Giao thông vận tải
    path = tmp_path / "hai-bang.xlsx"
    write_side_by_side(path, left, right)
    result = read_file(path, layouts)
    assert result.error == ""
    read = {t.rows_of("unit")[0].label: [t.rows_of("unit")[0].cells[n].value for n in soctrang.COLUMNS] for t in result.tables}
    assert read == {left[1]: left[2], right[1]: right[2]}
    assert [t.rows_of("unit")[0].cells[3].ref for t in result.tables] == ["C3", "R3"]


def test_consolidating_a_sheet_of_two_tables_takes_both_units(tmp_path, capsys):
    folder = tmp_path / "don-vi"
    folder.mkdir()
    left, right = soctrang.UNITS[0], soctrang.UNITS[3]
    write_side_by_side(folder / "hai-bang.xlsx", left, right)
    master = tmp_path / "tong-hop.xlsx"
    assert main(["consolidate", str(folder), "--units", "soc-trang-so-nganh", "-o", str(master), "--period", "tháng 10 năm 2019"]) == 1
    out = capsys.readouterr().out
    assert "16 đơn vị" not in out and "có 2 bảng số liệu" in out
    sheet = openpyxl.load_workbook(master, data_only=True)["Phụ lục I"]
    total = next(r for r in range(9, sheet.max_row + 1) if sheet.cell(r, 2).value == "Tổng cộng")
    assert sheet.cell(total, 3).value == left[2][0] + right[2][0] == 2718  # 10 + 2.708: both units are in the sum
