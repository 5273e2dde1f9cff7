"""A new master written by XlsxWriter is the master openpyxl writes, cell for cell.

Each case runs `tthc-xl consolidate` (or `new-master`) into a new master twice in the same folder:
once as the command does (XlsxWriter, tthc_xl.xlsx.xlsxwriter_book), once with the routing turned to
openpyxl (render onto a new Workbook, then save_atomically), the master's identity fixed so both
carry the same. tests/compare_books.assert_same_books then holds every sheet, name, cell (value,
formula, cached result read by openpyxl and by calamine, look, note, link), merge, width, height,
frozen pane, page setup, protection flag and chart of one against the other. Then: the fresh path
imports neither openpyxl nor numpy, the update path imports openpyxl without numpy.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import uuid
import zipfile
from pathlib import Path

import openpyxl

import soctrang
from compare_books import assert_same_books
from test_layout_inference import UNITS_13, write_13

from tthc_xl.cli.app import main
from tthc_xl.xlsx import masters

ROOT = Path(__file__).resolve().parent.parent
PERIOD, BEFORE = "tháng 10 năm 2019", "tháng 9 năm 2019"
UNITS = "soc-trang-so-nganh"


def _both(root: Path, command: list[str], monkeypatch) -> tuple[Path, Path, int]:
    """The master of `command` (its `-o` is root/tong-hop.xlsx) by each engine: (XlsxWriter, openpyxl, exit code)."""
    monkeypatch.setattr(uuid, "uuid4", lambda: uuid.UUID(int=2019))  # the master's identity: the same for both
    master = root / "tong-hop.xlsx"
    code = main([*command, "-o", str(master)])
    by_xlsxwriter = Path(shutil.move(master, root / "xlsxwriter.xlsx"))
    monkeypatch.setattr(masters, "writes_new", lambda *args: False)
    assert main([*command, "-o", str(master)]) == code
    by_openpyxl = Path(shutil.move(master, root / "openpyxl.xlsx"))
    monkeypatch.undo()
    with zipfile.ZipFile(by_xlsxwriter) as a, zipfile.ZipFile(by_openpyxl) as b:  # each engine wrote its own file
        assert "xl/sharedStrings.xml" in a.namelist() and "xl/sharedStrings.xml" not in b.namelist()
    return by_xlsxwriter, by_openpyxl, code


def _reports(unit_folder, root: Path, drop: int = 0, broken: bool = False) -> Path:
    reports = Path(shutil.copytree(unit_folder, root / "bao-cao"))
    for path in sorted(reports.iterdir())[len(list(reports.iterdir())) - drop:]:  # units that have not sent their report yet
        path.unlink()
    if broken:
        (reports / "17_hong.xlsx").write_bytes(b"PK\x03\x04 not a workbook")
    return reports


def test_marks_notes_links_and_the_percentage_row(unit_folder, tmp_path, monkeypatch):
    reports = _reports(unit_folder, tmp_path)
    ours, theirs, code = _both(tmp_path, ["consolidate", str(reports), "--units", UNITS, "--period", PERIOD], monkeypatch)
    assert code == 1
    assert_same_books(ours, theirs)
    book = openpyxl.load_workbook(ours)
    sheet, checks = book["Phụ lục I"], book["Kiểm tra"]
    assert book.sheetnames == ["Phụ lục I", "Kiểm tra", "Cài đặt", "Biểu đồ"]
    assert sheet["F16"].comment is not None and sheet["F16"].fill.fgColor.rgb.endswith("FFC7CE")  # Sở Nội vụ's wrong total
    assert "Tỷ lệ %" in [sheet.cell(r, 2).value for r in range(9, sheet.max_row + 1)]
    links = [c.hyperlink.target for row in checks.iter_rows() for c in row if c.hyperlink is not None]
    assert any(t.startswith("#'Phụ lục I'!") for t in links) and any(t.startswith("file:///") for t in links)
    total = next(r for r in range(9, sheet.max_row + 1) if sheet.cell(r, 2).value == "Tổng cộng")
    assert str(sheet.cell(total, 3).value).startswith("=")  # a formula, its result stored beside it
    assert openpyxl.load_workbook(ours, data_only=True)["Phụ lục I"].cell(total, 3).value == 5661


def test_groups(unit_folder, tmp_path, monkeypatch):
    reports = _reports(unit_folder, tmp_path)
    units = str(soctrang.write_grouped_units(tmp_path / "don-vi.csv"))
    ours, theirs, _ = _both(tmp_path, ["consolidate", str(reports), "--units", units, "--period", PERIOD], monkeypatch)
    assert_same_books(ours, theirs)
    sheet = openpyxl.load_workbook(ours)["Phụ lục I"]
    assert sheet["B9"].value == "Cấp tỉnh" and sheet["A9"].value == "I"


def test_units_not_sent_and_a_file_that_cannot_be_read(unit_folder, tmp_path, monkeypatch):
    reports = _reports(unit_folder, tmp_path, drop=3, broken=True)
    ours, theirs, _ = _both(tmp_path, ["consolidate", str(reports), "--units", UNITS, "--period", PERIOD], monkeypatch)
    assert_same_books(ours, theirs)
    sheet = openpyxl.load_workbook(ours)["Phụ lục I"]
    assert [sheet.cell(r, 3).value for r in range(9, 25)].count("chưa gửi") == 3
    assert "17_hong.xlsx" in " ".join(str(c.value) for row in openpyxl.load_workbook(ours)["Kiểm tra"].iter_rows() for c in row)


def test_the_previous_period_and_the_chart_sheet_with_history(unit_folder, tmp_path, monkeypatch):
    reports = _reports(unit_folder, tmp_path)
    september = tmp_path / "t9.xlsx"
    assert main(["new-master", "--form", "mau-a", "--units", UNITS, "--period", BEFORE, "-o", str(september)]) == 0
    assert main(["consolidate", str(reports), "-o", str(september)]) == 1  # September in the history beside the masters
    ours, theirs, _ = _both(tmp_path, ["consolidate", str(reports), "--units", UNITS, "--period", PERIOD, "--previous", str(september)],
                            monkeypatch)
    assert_same_books(ours, theirs)
    book = openpyxl.load_workbook(ours)
    labels = [book["Phụ lục I"].cell(r, 2).value for r in range(9, book["Phụ lục I"].max_row + 1)]
    assert "Tổng cộng kỳ trước" in labels and "Tăng (+), giảm (-) so với kỳ trước" in labels
    charts = book["Biểu đồ"]
    assert str(charts["A5"].value).startswith("T9") and str(charts["A6"].value).startswith("T10") and len(charts._charts) == 3


def test_an_inferred_layout(tmp_path, monkeypatch):
    folder = tmp_path / "don-vi"
    folder.mkdir()
    for index, unit in enumerate(UNITS_13):
        write_13(folder / f"{index}.xlsx", units=[unit])
    ours, theirs, code = _both(tmp_path, ["consolidate", str(folder), "--period", PERIOD], monkeypatch)
    assert code == 0
    assert_same_books(ours, theirs)
    book = openpyxl.load_workbook(ours)
    form = book.defined_names["MauBieu"].attr_text
    assert form == "'Cài đặt'!$B$8" and "suy ra" in book["Cài đặt"]["B8"].value


def test_a_new_master_without_unit_files(tmp_path, monkeypatch):
    units = str(soctrang.write_grouped_units(tmp_path / "don-vi.csv"))
    ours, theirs, code = _both(tmp_path, ["new-master", "--form", "mau-a", "--units", units, "--period", PERIOD],
                               monkeypatch)
    assert code == 0
    assert_same_books(ours, theirs)
    settings = openpyxl.load_workbook(ours)["Cài đặt"]
    assert (settings["A3"].value, settings["B3"].value, settings["B3"].fill.fgColor.rgb[-6:]) == ("Kỳ báo cáo", PERIOD, "FFFFFF")


def _modules_after(arguments: list[str], cwd: Path) -> dict:
    code = ("import json, sys\nfrom tthc_xl.cli import main\n"
            f"code = main({arguments!r})\n"
            "print(json.dumps({'code': code, 'modules': sorted(sys.modules)}))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=cwd, check=True,
                          env={**__import__("os").environ, "PYTHONPATH": str(ROOT)})
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_new_master_imports_neither_openpyxl_nor_numpy_and_an_update_openpyxl_without_numpy(unit_folder, tmp_path):
    reports = _reports(unit_folder, tmp_path)
    master = tmp_path / "tong-hop.xlsx"
    fresh = _modules_after(["consolidate", str(reports), "--period", PERIOD, "-o", str(master)], tmp_path)
    assert fresh["code"] == 1 and master.is_file()
    assert "xlsxwriter" in fresh["modules"]
    assert [m for m in fresh["modules"] if m.split(".")[0] in ("openpyxl", "numpy")] == []
    rerun = _modules_after(["consolidate", str(reports), "-o", str(master)], tmp_path)  # untouched: written whole again
    assert rerun["code"] == 1
    assert [m for m in rerun["modules"] if m.split(".")[0] in ("openpyxl", "numpy")] == []
    assert openpyxl.load_workbook(master)["Cài đặt"]["B3"].value == PERIOD  # the settings kept
    book = openpyxl.load_workbook(master)  # the clerk saves it again: now it is updated in place
    book.save(master)
    update = _modules_after(["consolidate", str(reports), "-o", str(master)], tmp_path)
    assert update["code"] == 1
    assert "openpyxl" in update["modules"] and "numpy" not in update["modules"]
    assert openpyxl.load_workbook(master)["Cài đặt"]["B3"].value == PERIOD  # updated in place, the settings kept


def test_a_full_disk_while_a_new_master_is_written_is_a_message_and_leaves_no_file(unit_folder, tmp_path, monkeypatch, capsys):
    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(zipfile.ZipFile, "write", full)  # XlsxWriter packs every part with it (from its file of the part)
    monkeypatch.setattr(zipfile.ZipFile, "writestr", full)  # (or from memory)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))  # where the parts' files go
    master = tmp_path / "tong-hop.xlsx"
    assert main(["consolidate", str(unit_folder), "-o", str(master)]) == 2
    err = capsys.readouterr().err
    assert "Không ghi được bảng tổng hợp tong-hop.xlsx (No space left on device)" in err and "Traceback" not in err
    assert not master.exists() and sorted(tmp_path.glob(".tong-hop-*")) == []
    assert list(scratch.iterdir()) == []  # nor the parts' files
