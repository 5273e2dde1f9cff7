"""A run into a master nobody has touched since tthc-xl wrote it writes the master whole again
(XlsxWriter), and that gives exactly what updating it in place (openpyxl) gives; a master the clerk
has changed is updated in place, the clerk's work kept.

Which engine wrote a file shows in its package: XlsxWriter keeps text in xl/sharedStrings.xml,
openpyxl writes it inline.
"""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

import openpyxl

from compare_books import assert_same_books

from tthc_xl.cli.app import main
from tthc_xl.files import history

BEFORE, PERIOD = "tháng 9 năm 2019", "tháng 10 năm 2019"
UNITS = "soc-trang-so-nganh"


def _written_whole(path: Path) -> bool:
    with zipfile.ZipFile(path) as package:
        return "xl/sharedStrings.xml" in package.namelist()


def _month(unit_folder, root: Path) -> tuple[Path, Path]:
    """September's master from every unit's file; then October's folder, one unit's file not sent yet."""
    reports = Path(shutil.copytree(unit_folder, root / "bao-cao"))
    master = root / "tong-hop.xlsx"
    assert main(["consolidate", str(reports), "--units", UNITS, "--period", BEFORE, "-o", str(master)]) == 1
    assert _written_whole(master) and history.as_written(master).settings.period == BEFORE
    late = sorted(reports.iterdir())[-1]
    late.unlink()
    return reports, master


def test_an_untouched_master_is_written_whole_and_equals_the_update_in_place(unit_folder, tmp_path, monkeypatch):
    reports, master = _month(unit_folder, tmp_path)
    saved = {p.name: p.read_bytes() for p in (master, tmp_path / history.DB_NAME)}
    # October: no --units (the master's own units, the late one among them), a new period.
    command = ["consolidate", str(reports), "--period", PERIOD, "-o", str(master)]
    assert main(command) == 1
    rewritten = Path(shutil.copy(master, tmp_path / "viet-lai.xlsx"))
    assert _written_whole(rewritten)
    for name, data in saved.items():  # the same run again from the same start, updating in place
        (tmp_path / name).write_bytes(data)
    monkeypatch.setattr(history, "as_written", lambda path: None)
    assert main(command) == 1
    assert not _written_whole(master)
    assert_same_books(rewritten, master)
    sheet = openpyxl.load_workbook(rewritten)["Phụ lục I"]
    assert PERIOD.upper() in sheet["A2"].value  # the title: the new period over the settings remembered
    assert "chưa gửi" in [sheet.cell(row, 3).value for row in range(1, sheet.max_row + 1)]  # the late unit kept its row


def test_a_master_the_clerk_changed_is_updated_in_place_and_keeps_the_change(unit_folder, tmp_path):
    reports, master = _month(unit_folder, tmp_path)
    book = openpyxl.load_workbook(master)  # the clerk signs under the table and saves
    sheet = book["Phụ lục I"]
    signed = sheet.max_row + 3
    sheet.cell(signed, 8, "NGƯỜI LẬP BIỂU")
    book.save(master)
    assert history.as_written(master) is None
    assert main(["consolidate", str(reports), "--period", PERIOD, "-o", str(master)]) == 1
    assert not _written_whole(master)
    assert openpyxl.load_workbook(master)["Phụ lục I"].cell(signed, 8).value == "NGƯỜI LẬP BIỂU"
    with zipfile.ZipFile(master) as package:  # each column described once (XlsxWriter wrote ranges of equal ones)
        for part in (n for n in package.namelist() if n.startswith("xl/worksheets/sheet")):
            columns = [c for lo, hi in re.findall(rb'<col [^>]*min="(\d+)" max="(\d+)"', package.read(part)) for c in range(int(lo), int(hi) + 1)]
            assert len(columns) == len(set(columns)), part
    # Updated in place, the master may hold the clerk's work: the next run updates it in place too.
    assert history.as_written(master) is None
    assert main(["consolidate", str(reports), "--period", PERIOD, "-o", str(master)]) == 1
    assert not _written_whole(master)
    assert openpyxl.load_workbook(master)["Phụ lục I"].cell(signed, 8).value == "NGƯỜI LẬP BIỂU"


def test_a_master_restored_from_its_backup_is_updated_in_place(unit_folder, tmp_path):
    reports, master = _month(unit_folder, tmp_path)
    first = master.read_bytes()
    assert main(["consolidate", str(reports), "--period", PERIOD, "-o", str(master)]) == 1
    assert _written_whole(master)
    master.write_bytes(first)  # September's master put back: not the bytes the history remembers
    assert history.as_written(master) is None
    assert main(["consolidate", str(reports), "--period", PERIOD, "-o", str(master)]) == 1
    assert not _written_whole(master)
