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
from tthc_xl.core import style
from tthc_xl.core.units import load_units
from tthc_xl.files import history

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


# ------------------------------------------------------------------------------------- the report


def section_1(docx_path) -> str:
    from tthc_xl.report.check import read_paragraphs

    paragraphs = read_paragraphs(docx_path)
    start = paragraphs.index("1. Tình hình, kết quả giải quyết TTHC")
    return "\n".join(paragraphs[start + 1 : start + 9])


@pytest.fixture(scope="module")
def september(tmp_path_factory):
    """A whole previous month (16 units) in its own folder; Sở Thông tin và Truyền thông received 2 fewer."""
    folder = tmp_path_factory.mktemp("thang-9")
    appendix = soctrang.write_appendix(folder / "phu-luc-9-2019.xlsx")
    book = openpyxl.load_workbook(appendix)
    sheet = book[SHEET]
    assert sheet["B9"].value == "Sở Thông tin và Truyền thông"
    for ref, value in {"C9": 8, "E9": 7, "J9": 1, "K9": 1}.items():  # 8 = 1 + 7 and 8 = 7 + 1 still hold
        sheet[ref] = value
    for col in range(3, 15):
        sheet.cell(25, col, sum(sheet.cell(row, col).value for row in range(9, 25)))
    book.save(appendix)
    master = folder / "tong-hop-9-2019.xlsx"
    assert tthc("consolidate", appendix, "--units", "soc-trang-so-nganh", "--period", "tháng 9 năm 2019", "-o", master) == 1
    return master


def test_report_says_how_many_units_reported_and_names_the_missing(consolidated, month):
    master, _, _ = consolidated
    assert tthc("report", master, "-o", month / "bao-cao-1.docx") == 0
    text = section_1(month / "bao-cao-1.docx")
    first = text.splitlines()[0]
    assert "3/16 đơn vị đã gửi báo cáo" in first and "còn 13 đơn vị chưa gửi báo cáo" in first
    for name in ("Sở Công Thương", "Sở Y tế", "Công an tỉnh"):
        assert name in first
    assert "Sở Giáo dục và Đào tạo" not in first
    assert "đã tiếp nhận 419 hồ sơ TTHC," in text  # the three units' figures, and no comparison


def test_comparison_with_a_whole_previous_month_is_made_on_the_same_units(consolidated, september, month, capsys):
    master, _, _ = consolidated
    report = month / "bao-cao-2.docx"
    capsys.readouterr()
    assert tthc("report", master, "--previous", september, "-o", report) == 0
    assert "trên cùng 3 đơn vị đã gửi báo cáo ở cả hai kỳ" in capsys.readouterr().out
    text = section_1(report)
    # September's 16 units received 5.659; its three units that reported in October received 417.
    assert "đã tiếp nhận 419 hồ sơ TTHC (tăng 02 hồ sơ so với tháng trước)" in text
    assert "Các so sánh với kỳ trước tính trên cùng 3 đơn vị đã gửi báo cáo ở cả hai kỳ." in text
    assert "5.240" not in text
    # check-report accepts the drafted report and flags a comparison of 3 units with 16.
    assert tthc("check-report", report, master, "--previous", september, "--json", month / "kt-1.json") == 0
    planted = month / "bao-cao-sai.docx"
    replace_in_docx(report, planted, "(tăng 02 hồ sơ so với tháng trước)", "(giảm 5.240 hồ sơ so với tháng trước)")
    assert tthc("check-report", planted, master, "--previous", september, "--json", month / "kt-2.json") == 1
    findings = json.loads((month / "kt-2.json").read_text(encoding="utf-8"))["findings"]
    assert [(f["quantity"], f["kind"], f["found"]) for f in findings] == [("received", "mixed_comparison", "giảm 5.240 hồ sơ")]
    assert "3/16 đơn vị" in findings[0]["message"]


def test_no_comparison_when_only_the_previous_totals_are_known(month, september, capsys):
    """Consolidated with --previous, the master keeps only September's totals: nothing to compare on the same units."""
    master = month / "tong-hop-co-ky-truoc.xlsx"
    capsys.readouterr()
    assert tthc("consolidate", month / "don-vi", "--units", "soc-trang-so-nganh", "--period", "tháng 10 năm 2019",
                "--previous", september, "-o", master, "--json", month / "kq-ky-truoc.json") == 1
    # Two of the three units carried over other figures than they had pending in September: 3 + 2 errors.
    errors = error_count(capsys.readouterr().out)
    assert errors == 5
    data = json.loads((month / "kq-ky-truoc.json").read_text(encoding="utf-8"))
    assert sum(1 for f in data["findings"] if f["severity"] == "error") == errors
    assert openpyxl.load_workbook(master)["Kiểm tra"]["A1"].value.startswith(f"KẾT QUẢ KIỂM TRA: {errors} lỗi")
    assert tthc("report", master, "--previous", september, "-o", month / "bao-cao-4.docx") == 0
    assert f"bảng tổng hợp còn {errors} lỗi số liệu" in capsys.readouterr().out
    report = month / "bao-cao-3.docx"
    assert tthc("report", master, "-o", report) == 0
    text = section_1(report)
    assert "Chưa so sánh với kỳ trước vì hai kỳ không có cùng các đơn vị gửi báo cáo." in text
    assert "so với tháng trước" not in text
    planted = month / "bao-cao-sai-3.docx"
    replace_in_docx(report, planted, "đã tiếp nhận 419 hồ sơ TTHC,", "đã tiếp nhận 419 hồ sơ TTHC (giảm 5.240 hồ sơ so với tháng trước),")
    capsys.readouterr()
    assert tthc("check-report", planted, master) == 1
    assert "so sánh số liệu của 3/16 đơn vị đã gửi báo cáo kỳ này" in capsys.readouterr().out


def replace_in_docx(source, target, old: str, new: str) -> None:
    import docx

    document = docx.Document(str(source))
    done = 0
    for paragraph in document.paragraphs:
        if old in paragraph.text:
            text = paragraph.text.replace(old, new)
            for run in paragraph.runs[1:]:
                run.text = ""
            paragraph.runs[0].text = text
            done += 1
    assert done == 1
    document.save(str(target))


# --------------------------------------------------------------------- wrong input, a trusted history


def sqlite_rows(database) -> list[tuple]:
    import sqlite3

    with sqlite3.connect(database) as connection:
        return connection.execute("SELECT key, master FROM periods ORDER BY key").fetchall() + \
            connection.execute("SELECT period, key, value FROM totals ORDER BY period, key").fetchall()


def test_a_mistyped_folder_writes_nothing(tmp_path, capsys):
    assert tthc("consolidate", tmp_path / "khong-co-thu-muc", "-o", tmp_path / "c2.xlsx", "--period", "tháng 12 năm 2031") == 2
    err = capsys.readouterr().err
    assert "Không tìm thấy thư mục hoặc tệp “" in err and "khong-co-thu-muc" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no master, no history


def test_a_run_that_read_no_unit_stores_no_period(tmp_path, capsys):
    (tmp_path / "trong").mkdir()
    assert tthc("consolidate", tmp_path / "trong", "--units", "soc-trang-so-nganh", "-o", tmp_path / "m.xlsx",
                "--period", "tháng 12 năm 2031") == 0
    assert "Chưa lưu vào lịch sử: chưa có báo cáo của đơn vị nào" in capsys.readouterr().out
    assert history.periods(tmp_path) == []


def test_output_must_be_an_excel_workbook(month, tmp_path, capsys):
    for command in (["consolidate", month / "don-vi"], ["new-master", "--form", "mau-a", "--units", "soc-trang-so-nganh"]):
        assert tthc(*command, "-o", tmp_path / "m3.csv") == 2
        assert "phải có đuôi .xlsx hoặc .xlsm (đã ghi “m3.csv”)" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_new_master_asks_for_the_units_or_an_explicit_empty_master(tmp_path, capsys):
    assert tthc("new-master", "--form", "mau-a", "-o", tmp_path / "m.xlsx") == 2
    err = capsys.readouterr().err
    assert "cần danh sách đơn vị: dùng --units" in err and "soc-trang-so-nganh" in err and "--empty" in err
    assert not (tmp_path / "m.xlsx").exists()
    assert tthc("new-master", "--form", "mau-a", "--empty", "-o", tmp_path / "m.xlsx") == 0
    assert "(0 đơn vị, mẫu mau-a)" in capsys.readouterr().out


def test_a_blank_unit_template_is_not_a_master(consolidated, tmp_path, capsys):
    master, _, _ = consolidated
    template = tmp_path / "so-tu-phap.xlsx"
    assert tthc("template", "--form", "mau-a", "--unit", "Sở Tư pháp", "--period", "tháng 10 năm 2019", "-o", template) == 0
    capsys.readouterr()
    assert tthc("report", template, "-o", tmp_path / "r.docx") == 2
    err = capsys.readouterr().err
    assert "Tệp so-tu-phap.xlsx là mẫu báo cáo trống của một đơn vị (Sở Tư pháp), chưa có số liệu, không phải bảng tổng hợp" in err
    assert tthc("report", master, "--previous", template, "-o", tmp_path / "r.docx") == 2
    assert "là mẫu báo cáo trống của một đơn vị (Sở Tư pháp)" in capsys.readouterr().err
    assert not (tmp_path / "r.docx").exists()
    assert tthc("consolidate", master.parent / "don-vi", "--previous", template, "-o", tmp_path / "m.xlsx") == 2
    assert "--previous: Tệp so-tu-phap.xlsx là mẫu báo cáo trống của một đơn vị" in capsys.readouterr().err
    assert not (tmp_path / "m.xlsx").exists()


def test_a_copy_of_the_master_leaves_the_history_untouched(month, capsys):
    master = month / "tong-hop.xlsx"
    database = month / "lich-su-tthc.sqlite"
    assert tthc("consolidate", month / "don-vi", "-o", master) == 1  # the master itself: replaces its own period
    before = sqlite_rows(database)
    assert before[0] == ("2019-10", str(master.resolve()))
    copy = month / "nhap.xlsx"
    shutil.copy(master, copy)
    one_unit = month / "mot-don-vi"
    one_unit.mkdir()
    shutil.copy(min((month / "don-vi").iterdir()), one_unit)
    capsys.readouterr()
    assert tthc("consolidate", one_unit, "-o", copy) == 1
    out = capsys.readouterr().out
    assert "Chưa lưu vào lịch sử: tệp nhap.xlsx là một bản sao của bảng tổng hợp tong-hop.xlsx" in out
    # A scratch master made from nothing, for the same period, is refused too.
    assert tthc("consolidate", one_unit, "--units", "soc-trang-so-nganh", "--period", "tháng 10 năm 2019",
                "-o", month / "thu.xlsx") == 1
    assert "đã được lưu vào lịch sử từ bảng tổng hợp tong-hop.xlsx; tệp thu.xlsx là một bảng tổng hợp khác" in capsys.readouterr().out
    assert sqlite_rows(database) == before


def test_history_command_lists_shows_and_removes_periods(tmp_path, capsys):
    everything = tmp_path / "du"
    soctrang.write_unit_files(everything, ods=False)
    master = tmp_path / "tong-hop.xlsx"
    assert tthc("consolidate", everything, "--units", "soc-trang-so-nganh", "--period", "tháng 10 năm 2019", "-o", master) == 1
    capsys.readouterr()
    assert tthc("history", tmp_path) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"Lịch sử {tmp_path / 'lich-su-tthc.sqlite'}: 1 kỳ."
    assert out[1].startswith("- tháng 10 năm 2019 (2019-10): 16/16 đơn vị, tiếp nhận 5.661 hồ sơ; từ tong-hop.xlsx, lưu lúc ")
    assert tthc("history", master, "--show", "Tháng 10/2019") == 0
    out = capsys.readouterr().out
    assert "  cột (3) tổng số: 5.661" in out.splitlines() and "Đơn vị đã gửi báo cáo: 16/16" in out
    assert tthc("history", tmp_path, "--remove", "tháng 9 năm 2019") == 2
    assert "không có kỳ “tháng 9 năm 2019”. Các kỳ đã lưu: “tháng 10 năm 2019”." in capsys.readouterr().err
    assert tthc("history", tmp_path, "--remove", "tháng 10 năm 2019") == 0
    assert tthc("history", tmp_path) == 0
    assert capsys.readouterr().out.splitlines()[-1].endswith(": 0 kỳ.")
    assert tthc("history", tmp_path / "du") == 2
    assert "Chưa có lịch sử" in capsys.readouterr().err


def test_suspects_are_input_cells_never_a_formula_of_the_master(tmp_path):
    """Sở Tư pháp received 10 (= 4 + 6), resolved 5 and has 3 pending: 3 = 6 + 10 breaks. Columns 3, 6 and 10
    are formulas in the master; the clerk is sent to the cells typed into instead."""
    sources = tmp_path / "don-vi"
    sources.mkdir()
    import csv

    with open(sources / "tu-phap.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerows([soctrang.FLAT_HEADER, ["" if v is None else v for v in soctrang.NUMBER_ROW],
                          [1, "Sở Tư pháp", 10, 4, 6, 5, 5, 0, 0, 3, 3, 0, 0, 0]])
    master = tmp_path / "m.xlsx"
    assert tthc("consolidate", sources, "--units", "soc-trang-so-nganh", "-o", master, "--json", tmp_path / "kq.json") == 1
    (finding,) = json.loads((tmp_path / "kq.json").read_text(encoding="utf-8"))["findings"]
    sheet = openpyxl.load_workbook(master)[SHEET]
    assert [sheet[ref].value for ref in ("C20", "F20", "J20")] == ["=D20+E20", "=G20+H20+I20", "=K20+L20"]
    assert finding["cell"] == "C20" and finding["rule"] == "(3) = (6) + (10)"
    assert finding["suspects"] == ["D20", "E20", "G20", "H20", "I20", "K20", "L20"]
    assert not any(str(sheet[ref].value).startswith("=") for ref in finding["suspects"])
    assert finding["message"].endswith("Ô nghi sai (một trong số): D20, E20, G20, H20, I20, K20, L20.")
    assert sheet["D20"].fill.fgColor.rgb.endswith(style.SUSPECT_FILL) and not sheet["C20"].fill.fgColor.rgb.endswith(style.SUSPECT_FILL)


def test_the_printed_appendix_says_not_sent_in_full(consolidated, tmp_path):
    import office

    master, _, _ = consolidated
    pdf = tmp_path / "phu-luc.pdf"
    assert tthc("print", master, "-o", pdf) == 0
    lines = office.pdf_text(pdf).splitlines()
    names = [u.name for u in load_units("soc-trang-so-nganh").units]
    late = [name for offset, name in enumerate(names) if offset not in REPORTED]
    for offset, name in enumerate(names, start=1):
        line = next(line for line in lines if line.startswith(f"{offset} {name}"))
        rest = line[len(f"{offset} {name}"):].split()
        assert (rest == ["chưa", "gửi"]) == (name in late), line


def test_the_chart_sheet_marks_a_partial_month(consolidated):
    master, _, _ = consolidated
    sheet = openpyxl.load_workbook(master)["Biểu đồ"]
    assert [c.value for c in sheet[5][:2]] == ["T10/2019 (3/16 đơn vị)", 419]
