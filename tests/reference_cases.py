"""The reference masters' cases (groups, previous period, marks, partial month), built in code.

`tests/make_reference_masters.py` (run by hand) writes each case's master with `tthc-xl
consolidate` and has LibreOffice open and save it into `tests/reference/<case>.xlsx`; the
committed files are what both adapters are held against (tests/test_reference_masters.py).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import soctrang
import xlwings_payload as xp

from tthc_xl.cli.app import main

REFERENCE = Path(__file__).parent / "reference"
CASES = ("nhom", "ky-truoc", "danh-dau", "thieu-don-vi")  # groups, previous period, marks, partial month
PERIOD, BEFORE = "tháng 10 năm 2019", "tháng 9 năm 2019"
UNITS = "soc-trang-so-nganh"


def prepare(case: str, root: Path) -> tuple[Path, list[str], str]:
    """The case's folder of unit files under `root`, the `consolidate` options, the unit list."""
    reports = root / "bao-cao"
    soctrang.write_unit_files(reports, ods=True)
    units = UNITS
    if case == "nhom":
        units = str(soctrang.write_grouped_units(root / "don-vi.csv"))
    if case == "thieu-don-vi":
        for path in sorted(reports.iterdir())[-3:]:  # three units have not sent their report yet
            path.unlink()
    extra = []
    if case == "ky-truoc":
        september = root / "t9.xlsx"
        assert main(["new-master", "--form", "mau-a", "--units", units, "--period", BEFORE, "-o", str(september)]) == 0
        assert main(["consolidate", str(reports), "-o", str(september)]) == 1
        extra = ["--previous", str(september)]
    return reports, extra, units


def by_command(case: str, root: Path) -> Path:
    reports, extra, units = prepare(case, root)
    master = root / f"{case}.xlsx"
    assert main(["new-master", "--form", "mau-a", "--units", units, "--period", PERIOD, "-o", str(master)]) == 0
    assert main(["consolidate", str(reports), "-o", str(master), *extra]) == 1
    return master


def by_button(case: str, root: Path) -> Path:
    """The same case through the «Tổng hợp» button (xlwings' remote engine, served from `root`)."""
    from tthc_xl.excel import buttons as excel

    reports, extra, units = prepare(case, root)
    master = root / f"{case}.xlsx"
    assert main(["new-master", "--form", "mau-a", "--units", units, "--period", PERIOD, "-o", str(master)]) == 0
    outcome, _, _ = xp.run_button(excel.consolidate, master, edit=lambda data: xp.set_name(data, "ThuMucBaoCao", reports.name), root=root)
    assert outcome is not None
    return master


def copy_reference(case: str, target: Path) -> Path:
    return Path(shutil.copy(REFERENCE / f"{case}.xlsx", target))
