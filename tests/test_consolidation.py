"""Consolidation beyond the happy path: groups, re-runs, the previous period, unit templates."""

import csv
import json
import os
import shutil
from pathlib import Path

import openpyxl
import pytest

import office
import soctrang

from tthc_xl.cli.app import main
from tthc_xl.core.layouts import load_layouts
from tthc_xl.files.read import read_file

SHEET = "Phụ lục I"
DISTRICTS = [  # (name, values for columns 3..14), consistent
    ("UBND thành phố Sóc Trăng", [120, 20, 100, 90, 50, 40, 0, 30, 30, 0, 0, 12]),
    ("UBND huyện Kế Sách", [80, 10, 70, 60, 30, 28, 2, 20, 19, 1, 1, 5]),
    ("UBND huyện Mỹ Tú", [45, 5, 40, 40, 20, 20, 0, 5, 5, 0, 0, 0]),
]


def write_units_csv(path, groups):
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["nhom", "ten", "bi_danh"])
        for group, names in groups:
            for name in names:
                writer.writerow([group, name, ""])
    return path


def write_unit_csv(path, name, values):
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["STT", "Đơn vị"] + [f"c{n}" for n in range(3, 15)])
        writer.writerow(soctrang.NUMBER_ROW[:1] + ["2", "3=(4+5)", "4", "5", "6=(7+8+9)", "7", "8", "9", "10=(11+12)", "11", "12", "13", "14"])
        writer.writerow(["1", name] + [str(v) for v in values])
    return path


@pytest.fixture
def two_levels(unit_folder, tmp_path):
    """The 16 Sóc Trăng departments (Cấp tỉnh) and three districts (Cấp huyện)."""
    sources = tmp_path / "don-vi"
    shutil.copytree(unit_folder, sources)
    for index, (name, values) in enumerate(DISTRICTS, start=20):
        write_unit_csv(sources / f"{index}_huyen.csv", name, values)
    units = write_units_csv(
        tmp_path / "don-vi.csv",
        [("Cấp tỉnh", [name for _, name, _ in soctrang.UNITS]), ("Cấp huyện", [name for name, _ in DISTRICTS])],
    )
    # The list's name for unit 9 is the full one; the file writes "Sở Nông nghiệp và PTNT".
    text = units.read_text(encoding="utf-8").replace("Sở Nông nghiệp và PTNT", "Sở Nông nghiệp và Phát triển nông thôn")
    units.write_text(text, encoding="utf-8")
    return sources, units


def test_two_levels_have_subtotal_formulas_that_add_up_to_the_total(two_levels, tmp_path):
    sources, units = two_levels
    master = tmp_path / "tong-hop.xlsx"
    out = tmp_path / "out.json"
    main(["consolidate", str(sources), "--units", str(units), "-o", str(master), "--json", str(out)])
    data = json.loads(out.read_text(encoding="utf-8"))
    province = {str(n): v for n, v in soctrang.COLUMN_SUMS.items()}
    district = {str(n): sum(v[n - 3] for _, v in DISTRICTS) for n in range(3, 15)}
    assert data["groups"] == {"Cấp tỉnh": province, "Cấp huyện": district}
    assert data["totals"] == {k: province[k] + district[k] for k in province}

    sheet = openpyxl.load_workbook(master)[SHEET]
    # Row 9: "I Cấp tỉnh" subtotal over rows 10–25; row 26: "II Cấp huyện" over 27–29; total row 30.
    assert (sheet["A9"].value, sheet["B9"].value, sheet["C9"].value) == ("I", "Cấp tỉnh", "=SUM(C10:C25)")
    assert (sheet["A26"].value, sheet["B26"].value, sheet["C26"].value) == ("II", "Cấp huyện", "=SUM(C27:C29)")
    assert (sheet["B30"].value, sheet["C30"].value) == ("Tổng cộng", "=C9+C26")
    recalculated = office.recalculated_values(master, SHEET, tmp_path)
    assert recalculated[29][2] == recalculated[8][2] + recalculated[25][2] == 5661 + 245


def test_rerun_is_identical_and_keeps_the_clerks_sheets_and_notes(unit_folder, tmp_path):
    master = tmp_path / "tong-hop.xlsx"
    args = ["consolidate", str(unit_folder), "--units", "soc-trang-so-nganh", "--period", "tháng 10 năm 2019", "-o", str(master)]
    main(args)
    book = openpyxl.load_workbook(master)
    book.create_sheet("Ghi chép").append(["Đã gọi Sở Nội vụ ngày 20/10"])
    book[SHEET]["B30"] = "Người lập biểu"
    book[SHEET]["P9"] = "ghi chú riêng"
    book.save(master)
    first = _cells(master)
    main(args)
    second = _cells(master)
    assert first == second
    book = openpyxl.load_workbook(master)
    assert book["Ghi chép"]["A1"].value == "Đã gọi Sở Nội vụ ngày 20/10"
    assert book[SHEET]["B30"].value == "Người lập biểu" and book[SHEET]["P9"].value == "ghi chú riêng"


def _cells(path):
    book = openpyxl.load_workbook(path)
    return {
        (sheet.title, cell.coordinate): (cell.value, cell.fill.fgColor.rgb, cell.comment.text if cell.comment else None)
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.value is not None or cell.comment
    }


def test_fixing_a_unit_file_clears_its_stale_mark(unit_folder, tmp_path):
    sources = tmp_path / "don-vi"
    shutil.copytree(unit_folder, sources)
    master = tmp_path / "tong-hop.xlsx"
    main(["consolidate", str(sources), "--units", "soc-trang-so-nganh", "-o", str(master)])
    assert openpyxl.load_workbook(master)[SHEET]["F16"].comment is not None  # Sở Nội vụ: 63 vs 2
    (sources / "08_so-noi-vu.xlsx").unlink()
    write_unit_csv(sources / "08_so-noi-vu.csv", "Sở Nội vụ", [68, 15, 53, 63, 2, 61, 0, 5, 5, 0, 0, 10])
    main(["consolidate", str(sources), "-o", str(master)])
    sheet = openpyxl.load_workbook(master)[SHEET]
    assert sheet["F16"].comment is None and sheet["F16"].value == "=G16+H16+I16"
    assert sheet["G16"].fill.fgColor.rgb.endswith("FFFFFF")
    assert sheet["F11"].comment is not None  # the others stay flagged


def test_missing_unknown_and_duplicate_units_are_findings(unit_folder, tmp_path):
    sources = tmp_path / "don-vi"
    shutil.copytree(unit_folder, sources)
    (sources / "16_cong-an-tinh.xlsx").unlink()
    write_unit_csv(sources / "30_la.csv", "Sở Ngoại vụ", [1, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0])
    write_unit_csv(sources / "31_trung.csv", "Sở Tư pháp", [1, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0])
    out = tmp_path / "out.json"
    master = tmp_path / "m.xlsx"
    assert main(["consolidate", str(sources), "--units", "soc-trang-so-nganh", "-o", str(master), "--json", str(out)]) == 1
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["missing"] == ["Công an tỉnh"]
    rules = {(f["rule"], f["unit"]) for f in data["findings"]}
    assert ("không có trong danh sách", "Sở Ngoại vụ") in rules
    duplicate = next(f for f in data["findings"] if f["rule"] == "trùng đơn vị")
    assert "12_so-tu-phap.xlsx" in duplicate["message"] and "31_trung.csv" in duplicate["message"]
    assert data["totals"]["3"] == soctrang.COLUMN_SUMS[3] - 144  # the first file's figures, not the second's
    check = openpyxl.load_workbook(master)["Kiểm tra"]
    texts = [c.value for row in check.iter_rows() for c in row if c.value]
    assert "Công an tỉnh" in texts and "chưa gửi báo cáo" in texts


def test_without_a_unit_list_the_rows_are_the_units_found(unit_folder, tmp_path):
    master = tmp_path / "m.xlsx"
    main(["consolidate", str(unit_folder), "-o", str(master)])
    (table,) = read_file(master, load_layouts()).tables
    names = [r.unit for r in table.rows if r.kind == "unit"]
    assert len(names) == 16 and names[0] == "Sở Thông tin Truyền thông"  # as the unit wrote it, in file order
    assert openpyxl.load_workbook(master)[SHEET]["A9"].value == 1


def test_previous_period_checks_carried_over_and_adds_the_change(unit_folder, tmp_path):
    previous = tmp_path / "thang-9.xlsx"
    september = tmp_path / "t9"
    september.mkdir()
    # September: Sở Tư pháp ended with 181 pending, as October carried over; Sở Y tế ended with 160, not 163.
    write_unit_csv(september / "tp.csv", "Sở Tư pháp", [800, 100, 700, 619, 600, 0, 19, 181, 170, 11, 0, 20])
    write_unit_csv(september / "yt.csv", "Sở Y tế", [300, 140, 160, 140, 140, 0, 0, 160, 160, 0, 0, 9])
    main(["consolidate", str(september), "--units", "soc-trang-so-nganh", "--period", "tháng 9 năm 2019", "-o", str(previous)])
    master = tmp_path / "thang-10.xlsx"
    out = tmp_path / "out.json"
    main(["consolidate", str(unit_folder), "-o", str(master), "--units", "soc-trang-so-nganh", "--previous", str(previous), "--json", str(out)])
    data = json.loads(out.read_text(encoding="utf-8"))
    carried = [f for f in data["findings"] if f["rule"] == "kỳ trước chuyển sang"]
    assert [(f["unit"], f["cell"], f["fix"]) for f in carried] == [("Sở Y tế", "D23", {"D23": 160})]
    assert data["previous"]["3"] == 1100
    sheet = openpyxl.load_workbook(master)[SHEET]
    assert sheet["B28"].value == "Tổng cộng kỳ trước" and sheet["C28"].value == 1100
    assert sheet["C29"].value == "=C25-C28"
    assert office.recalculated_values(master, SHEET, tmp_path)[28][2] == 5661 - 1100


def test_the_historys_previous_period_pins_carried_over_without_previous(tmp_path, capsys):
    # September, consolidated into the masters' folder, leaves its pending figures in the history:
    # Sở Tư pháp 181, Sở Y tế 160.
    september, october, masters = tmp_path / "t9", tmp_path / "t10", tmp_path / "tong-hop"
    for folder in (september, october, masters):
        folder.mkdir()
    write_unit_csv(september / "tp.csv", "Sở Tư pháp", [800, 100, 700, 619, 600, 0, 19, 181, 170, 11, 0, 20])
    write_unit_csv(september / "yt.csv", "Sở Y tế", [300, 140, 160, 140, 140, 0, 0, 160, 160, 0, 0, 9])
    main(["consolidate", str(september), "--units", "soc-trang-so-nganh", "--period", "tháng 9 năm 2019",
          "-o", str(masters / "tong-hop-9.xlsx")])
    assert (masters / "lich-su-tthc.sqlite").is_file()
    # October: Sở Tư pháp typed 150 carried over (3 = 4 + 5 breaks, 4 or 5 could be wrong, neither a
    # typing slip); Sở Y tế's row is consistent but carries over 163, not 160.
    write_unit_csv(october / "tp.csv", "Sở Tư pháp", [845, 150, 664, 617, 605, 0, 12, 228, 207, 21, 0, 23])
    write_unit_csv(october / "yt.csv", "Sở Y tế", [285, 163, 122, 171, 171, 0, 0, 114, 114, 0, 0, 9])

    def findings_of(master):
        out = master.with_suffix(".json")
        capsys.readouterr()
        assert main(["consolidate", str(october), "--units", "soc-trang-so-nganh", "--period", "tháng 10 năm 2019",
                     "-o", str(master), "--json", str(out)]) == 1
        data = json.loads(out.read_text(encoding="utf-8"))
        return [f for f in data["findings"] if f["unit"] in ("Sở Tư pháp", "Sở Y tế")], capsys.readouterr().out

    found, stdout = findings_of(masters / "tong-hop-10.xlsx")
    carried = [f for f in found if f["rule"] == "kỳ trước chuyển sang"]
    assert [(f["unit"], f["cell"], f["fix"]) for f in carried] == [("Sở Tư pháp", "D20", {"D20": 181}), ("Sở Y tế", "D23", {"D23": 160})]
    assert carried[1]["message"] == (
        "Sở Y tế: kỳ trước chuyển sang (cột 4) = 163 nhưng theo lịch sử các kỳ (tháng 9 năm 2019), cuối kỳ trước "
        "còn 160 hồ sơ đang giải quyết (cột 10). Ô nghi sai: D23; giá trị đúng có thể là 160."
    )
    (rule,) = [f for f in found if f["rule"] == "(3) = (4) + (5)"]
    assert (rule["cell"], rule["suspects"], rule["fix"]) == ("C20", ["D20"], {"D20": 181})  # pinned by the history
    assert "Đối chiếu “kỳ trước chuyển sang” của từng đơn vị với số đang giải quyết kỳ “tháng 9 năm 2019” trong lịch sử" in stdout
    # The report drafted from the master counts the same errors (the history's comparison included).
    capsys.readouterr()
    assert main(["report", str(masters / "tong-hop-10.xlsx"), "-o", str(tmp_path / "bao-cao.docx")]) == 0
    assert "bảng tổng hợp còn 3 lỗi số liệu" in capsys.readouterr().out
    # With no history beside the master: no comparison, and 4 or 5 stay equally suspect.
    (tmp_path / "khac").mkdir()
    found, stdout = findings_of(tmp_path / "khac" / "tong-hop-10.xlsx")
    assert [f for f in found if f["rule"] == "kỳ trước chuyển sang"] == []
    (rule,) = [f for f in found if f["rule"] == "(3) = (4) + (5)"]
    assert (rule["suspects"], rule["fix"]) == (["D20", "E20"], None)
    assert "Đối chiếu “kỳ trước chuyển sang”" not in stdout


def test_unit_templates_validate_inputs_and_read_back_exactly(tmp_path):
    path = tmp_path / "so-tu-phap.xlsx"
    assert main(["template", "--form", "mau-a", "--unit", "Sở Tư pháp", "--period", "tháng 10 năm 2019", "-o", str(path)]) == 0
    book = openpyxl.load_workbook(path)
    sheet = book["Báo cáo"]
    assert sheet["A3"].value == "Đơn vị: Sở Tư pháp" and sheet["A2"].value == "Kỳ báo cáo: tháng 10 năm 2019"
    assert sheet["B9"].value == "Sở Tư pháp"
    assert sheet["C9"].value == "=D9+E9" and sheet["F9"].value == "=G9+H9+I9"
    (validation,) = sheet.data_validations.dataValidation
    assert (validation.type, validation.operator, validation.formula1) == ("whole", "greaterThanOrEqual", "0")
    assert {str(r) for r in validation.sqref.ranges} == {"D9", "E9", "G9", "H9", "I9", "K9", "L9", "M9", "N9"}
    assert sheet.protection.sheet and not sheet["D9"].protection.locked and sheet["C9"].protection.locked
    # The unit fills it in; LibreOffice computes the derived cells; the reader reads exactly that.
    inputs = {"D9": 181, "E9": 664, "G9": 605, "H9": 0, "I9": 12, "K9": 207, "L9": 21, "M9": 0, "N9": 23}
    for ref, value in inputs.items():
        sheet[ref] = value
    book.save(path)
    filled = office.convert(path, "xlsx:Calc MS Excel 2007 XML", tmp_path / "filled")
    (table,) = read_file(filled, load_layouts()).tables
    (row,) = table.rows
    assert row.unit == "Sở Tư pháp"
    assert [row.cells[n].value for n in range(3, 15)] == [845, 181, 664, 617, 605, 0, 12, 228, 207, 21, 0, 23]


def test_templates_for_every_unit(tmp_path):
    folder = tmp_path / "mau"
    assert main(["template", "--form", "mau-b", "--all-units", "--units", "soc-trang-so-nganh", "-o", str(folder)]) == 0
    files = sorted(p.name for p in folder.iterdir())
    assert len(files) == 16 and "so-tu-phap.xlsx" in files
    (table,) = read_file(folder / "so-tu-phap.xlsx", load_layouts()).tables
    assert table.layout.name == "mau-b"


def test_new_master_has_a_row_per_unit_and_blank_inputs(tmp_path):
    master = tmp_path / "moi.xlsx"
    assert main(["new-master", "--form", "mau-a", "--units", "soc-trang-so-nganh", "--period", "tháng 11 năm 2019", "-o", str(master)]) == 0
    book = openpyxl.load_workbook(master)
    assert book.sheetnames[:3] == ["Phụ lục I", "Kiểm tra", "Cài đặt"]
    sheet = book[SHEET]
    assert sheet["A2"].value == "TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH THÁNG 11 NĂM 2019"
    assert [sheet.cell(r, 2).value for r in (9, 24, 25, 26)] == ["Sở Thông tin và Truyền thông", "Công an tỉnh", "Tổng cộng", "Tỷ lệ %"]
    # No unit has reported: each row says so, with no formula that would show zeros as data.
    assert sheet["C9"].value == "chưa gửi" and sheet["D9"].value is None and sheet["F9"].value is None
    assert sheet["C25"].value == "=SUM(C9:C24)"
    assert book["Kiểm tra"]["A1"].value.endswith("16 đơn vị chưa gửi báo cáo")
    assert book["Cài đặt"]["B3"].value == "tháng 11 năm 2019"


def test_a_master_kept_among_the_unit_files_is_not_read_as_one(unit_folder, tmp_path):
    sources = tmp_path / "don-vi"
    shutil.copytree(unit_folder, sources)
    master = sources / "tong-hop.xlsx"
    out = tmp_path / "out.json"
    for _ in range(2):
        main(["consolidate", str(sources), "--units", "soc-trang-so-nganh", "-o", str(master), "--json", str(out)])
    data = json.loads(out.read_text(encoding="utf-8"))
    assert len(data["sources"]) == 16 and not any(f["rule"] == "trùng đơn vị" for f in data["findings"])


def test_an_output_over_a_unit_file_is_refused_before_anything_is_written(unit_folder, tmp_path, capsys):
    sources = tmp_path / "don-vi"
    shutil.copytree(unit_folder, sources)
    before = {p.name: p.read_bytes() for p in sources.iterdir()}
    unit = sources / "12_so-tu-phap.xlsx"
    assert main(["consolidate", str(sources), "--units", "soc-trang-so-nganh", "-o", str(unit)]) == 2
    err = capsys.readouterr().err
    assert "là một tệp báo cáo trong thư mục báo cáo đơn vị" in err and "chưa có tệp nào bị thay đổi" in err
    assert main(["consolidate", str(unit), "-o", str(unit)]) == 2
    assert "chính là tệp đầu vào 12_so-tu-phap.xlsx" in capsys.readouterr().err
    assert main(["consolidate", str(unit), "-o", str(tmp_path / "m.xlsx"), "--json", str(unit)]) == 2
    assert {p.name: p.read_bytes() for p in sources.iterdir()} == before and not (tmp_path / "m.xlsx").exists()


def test_a_broken_master_gets_a_message_not_a_traceback(unit_folder, tmp_path, capsys):
    master = tmp_path / "tong-hop.xlsx"
    master.write_bytes(b"PK\x03\x04 broken")
    assert main(["consolidate", str(unit_folder), "-o", str(master)]) == 2
    assert "Không mở được bảng tổng hợp tong-hop.xlsx" in capsys.readouterr().err


def test_text_in_the_check_sheet_stays_text(tmp_path):
    sources = tmp_path / "don-vi"
    sources.mkdir()
    write_unit_csv(sources / "=1+1.csv", "Sở Tư pháp", [845, 181, 664, 617, 605, 0, 12, 228, 207, 21, 0, 23])
    master = tmp_path / "m.xlsx"
    main(["consolidate", str(sources), "-o", str(master)])
    cells = [c for row in openpyxl.load_workbook(master)["Kiểm tra"].iter_rows() for c in row if c.value == "=1+1.csv"]
    assert cells and all(c.data_type == "s" for c in cells)


def test_reading_in_one_worker_or_across_cores_gives_what_reading_in_this_process_gives(unit_folder, tmp_path, layouts, soc_trang_units, monkeypatch):
    from tthc_xl.files import sources as consolidate

    files = []
    for copy in range(4):  # 64 files: enough for two worker processes
        shutil.copytree(unit_folder, tmp_path / f"dot-{copy}")
        files += sorted((tmp_path / f"dot-{copy}").iterdir())
    assert len(files) >= 2 * consolidate.FILES_PER_WORKER
    here = [consolidate.read_file(path, layouts, None, soc_trang_units) for path in files]
    readers = tmp_path / "readers"
    readers.mkdir()
    read_file = consolidate.read_file

    def recorded(path, *args):  # which process read the file (workers are forked: they run this too)
        (readers / str(os.getpid())).touch()
        return read_file(path, *args)

    monkeypatch.setattr(consolidate, "read_file", recorded)
    monkeypatch.setenv("TTHC_XL_JOBS", "1")
    alone = consolidate.read_sources(files, layouts, None, soc_trang_units)
    worker = [p.name for p in readers.iterdir()]
    assert len(worker) == 1 and worker != [str(os.getpid())]  # one worker, never this process
    (readers / worker[0]).unlink()

    monkeypatch.setenv("TTHC_XL_JOBS", "2")
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)  # two cores, even on a one-core runner
    meanwhile = []
    shared = consolidate.read_sources(files, layouts, None, soc_trang_units, meanwhile=lambda: meanwhile.append(os.getpid()))
    workers = {p.name for p in readers.iterdir()}
    assert len(workers) == 2 and str(os.getpid()) not in workers
    assert meanwhile == [os.getpid()]
    assert shared == alone == here
    assert all(t.layout is layouts["mau-a"] for r in shared for t in r.tables)  # the caller's own layout objects
    assert sum(bool(r.error) for r in shared) == sum(bool(r.error) for r in here) and len(shared) == 64


def test_a_unit_files_own_total_is_checked_there_and_its_unit_rows_once_in_the_master(tmp_path):
    # A district's file with two communes and its own "Tổng cộng" row, which misadds column 3;
    # the second commune also breaks 3 = 4 + 5 (it is found once: in the master, not in the file too).
    sources = tmp_path / "don-vi"
    sources.mkdir()
    path = sources / "huyen-ke-sach.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["STT", "Đơn vị"] + [f"c{n}" for n in range(3, 15)])
        writer.writerow(["1", "2", "3=(4+5)", "4", "5", "6=(7+8+9)", "7", "8", "9", "10=(11+12)", "11", "12", "13", "14"])
        writer.writerow(["1", "UBND xã Phong Nẫm", "10", "2", "8", "6", "5", "1", "0", "4", "4", "0", "0", "1"])
        writer.writerow(["2", "UBND xã Nhơn Mỹ", "21", "5", "15", "12", "12", "0", "0", "8", "8", "0", "0", "2"])
        writer.writerow(["", "Tổng cộng", "33", "7", "23", "18", "17", "1", "0", "12", "12", "0", "0", "3"])
    out = tmp_path / "out.json"
    main(["consolidate", str(sources), "-o", str(tmp_path / "tong-hop.xlsx"), "--json", str(out)])
    findings = json.loads(out.read_text(encoding="utf-8"))["findings"]
    in_file = [(f["rule"], f["cell"], f["fix"]) for f in findings if f["file"] == str(path)]
    assert in_file == [("tổng cộng", "C5", {"C5": 31})]
    broken = [f for f in findings if f["rule"] == "(3) = (4) + (5)"]
    assert [(f["unit"], Path(f["file"]).name) for f in broken] == [("UBND xã Nhơn Mỹ", "tong-hop.xlsx")]
