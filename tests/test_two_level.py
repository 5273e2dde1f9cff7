"""Two levels of local government (since 1 July 2025): a province's departments and its communes' centres."""

import json
import re
from pathlib import Path

import openpyxl
import soctrang

from tthc_xl.cli import app as cli
from tthc_xl.core.units import load_units

SAMPLES = Path(__file__).parent.parent / "samples" / "tinh-hai-cap"


def test_bundled_two_level_list_has_departments_and_commune_centres():
    units = load_units("tinh-hai-cap")
    assert units.groups == ["Sở, ngành", "UBND cấp xã"]
    communes = [u for u in units.units if u.group == "UBND cấp xã"]
    assert communes and all(u.name.startswith("Trung tâm Phục vụ hành chính công ") for u in communes)
    assert not any("huyện" in u.name for u in units.units)
    assert units.match("UBND xã Kế Sách").name == "Trung tâm Phục vụ hành chính công xã Kế Sách"
    assert units.match("Phường Sóc Trăng").name == "Trung tâm Phục vụ hành chính công phường Sóc Trăng"


def test_bundled_samples_are_what_the_fixtures_write(tmp_path):
    written = soctrang.write_two_level_unit_files(tmp_path)
    assert [p.name for p in written] == sorted(p.name for p in SAMPLES.iterdir())
    for path in written:
        assert path.read_bytes() == (SAMPLES / path.name).read_bytes(), f"{path.name}: run python samples/make_samples.py"


def test_a_two_level_province_consolidates_with_its_groups(tmp_path, capsys):
    folder = tmp_path / "don-vi"
    soctrang.write_two_level_unit_files(folder)
    master = tmp_path / "tong-hop.xlsx"
    code = cli.main(["consolidate", str(folder), "--units", "tinh-hai-cap", "--period", "tháng 10 năm 2025",
                     "-o", str(master), "--json", str(tmp_path / "kq.json")])
    assert code == 1
    data = json.loads((tmp_path / "kq.json").read_text(encoding="utf-8"))
    assert data["missing"] == [] and len(data["sources"]) == 22
    assert list(data["groups"]) == ["Sở, ngành", "UBND cấp xã"]
    sheet = openpyxl.load_workbook(master)["Phụ lục I"]
    assert [sheet["A9"].value, sheet["B9"].value] == ["I", "Sở, ngành"]
    assert [sheet["A24"].value, sheet["B24"].value] == ["II", "UBND cấp xã"]
    assert sheet["B25"].value == "Trung tâm Phục vụ hành chính công phường Sóc Trăng"
    assert sheet["C9"].value == "=SUM(C10:C23)" and sheet["C33"].value == "=C9+C24"
    errors = sum(1 for f in data["findings"] if f["severity"] == "error")
    capsys.readouterr()
    assert cli.main(["check", str(master)]) == 1  # the group rows read back as groups: the same errors
    assert int(re.search(r"(\d+) lỗi", capsys.readouterr().out)[1]) == errors
