"""A real month: 3 of the 16 Sóc Trăng units have reported, the other 13 are late.

Every place that counts errors (the console, the JSON, the "Kiểm tra" sheet, `check` of the master,
`report`) gives the same count; the master shows the late units as "chưa gửi", never as zeros.
"""

from __future__ import annotations

import json
import re
import shutil
import zipfile

import openpyxl
import pytest

import soctrang

from tthc_xl.cli import app as cli
from tthc_xl.core.units import load_units

SHEET = "Phụ lục I"
REPORTED = (0, 2, 4)  # Sở Thông tin và Truyền thông, Sở Giáo dục và Đào tạo, Sở Kế hoạch và Đầu tư: one error each


def tthc(*argv) -> int:
    return cli.main([str(a) for a in argv])


def error_count(console: str) -> int:
    return int(re.search(r"(\d+) lỗi, \d+ cảnh báo", console)[1])


@pytest.fixture(scope="module")
def month(tmp_path_factory):
    """The folder of the month: three unit files, the master consolidated from them."""
    everything = tmp_path_factory.mktemp("du")
    paths = soctrang.write_unit_files(everything, ods=False)
    root = tmp_path_factory.mktemp("thang-10")
    (root / "don-vi").mkdir()
    for index in REPORTED:
        shutil.copy(paths[index], root / "don-vi")
    return root


@pytest.fixture(scope="module")
def consolidated(month):
    master = month / "tong-hop.xlsx"
    import contextlib
    import io

    console = io.StringIO()
    with contextlib.redirect_stdout(console):
        code = tthc("consolidate", month / "don-vi", "--units", "soc-trang-so-nganh", "--period", "tháng 10 năm 2019",
                    "-o", master, "--json", month / "ket-qua.json")
    return master, code, console.getvalue()


def test_late_units_say_not_sent_and_hold_no_formula(consolidated):
    master, _, _ = consolidated
    sheet = openpyxl.load_workbook(master)[SHEET]
    names = [u.name for u in load_units("soc-trang-so-nganh").units]
    for offset, name in enumerate(names):
        row = 9 + offset
        assert sheet.cell(row, 2).value == name
        figures = [sheet.cell(row, col).value for col in range(3, 15)]
        if offset in REPORTED:
            assert figures[0] == f"=D{row}+E{row}"
        else:
            assert figures == ["chưa gửi"] + [None] * 11, name  # not zeros that read as figures
    # The total adds up the three units that reported.
    assert sheet["C25"].value == "=SUM(C9:C24)"


def test_every_formula_of_the_master_carries_its_value(consolidated):
    master, _, _ = consolidated
    with zipfile.ZipFile(master) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml").decode()
    formulas = re.findall(r"<c r=\"([A-Z]+\d+)\"[^>]*>(<f>[^<]*</f>(?:<v>[^<]*</v>)?)", xml)
    # Columns 3 and 10 of each unit row (their column 6 breaks its rule and stays as typed), 12 totals, 12 percentages.
    assert len(formulas) == 3 * 2 + 12 + 12
    empty = [ref for ref, cell in formulas if not re.search(r"<v>[^<]+</v>", cell)]
    assert empty == []
    # The total of column 3: the three units' received dossiers (10 + 68 + 341).
    assert re.search(r'<c r="C25"[^>]*><f>SUM\(C9:C24\)</f><v>419</v>', xml)


def test_every_error_count_agrees(consolidated, month, capsys):
    master, code, console = consolidated
    assert code == 1
    errors = error_count(console)
    assert errors == 3  # one inconsistent resolved total in each of the three files
    data = json.loads((month / "ket-qua.json").read_text(encoding="utf-8"))
    assert sum(1 for f in data["findings"] if f["severity"] == "error") == errors
    assert len(data["missing"]) == 13
    title = openpyxl.load_workbook(master)["Kiểm tra"]["A1"].value
    assert title == f"KẾT QUẢ KIỂM TRA: {errors} lỗi, 0 cảnh báo, 13 đơn vị chưa gửi báo cáo"
    capsys.readouterr()
    assert tthc("check", master) == 1
    out = capsys.readouterr().out
    assert error_count(out) == errors and "chưa được tính" not in out
    assert tthc("report", master, "-o", month / "bao-cao.docx") == 0
    assert f"bảng tổng hợp còn {errors} lỗi số liệu" in capsys.readouterr().out
