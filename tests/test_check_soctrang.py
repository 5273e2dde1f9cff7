"""The foundation's acceptance: the real Sóc Trăng appendix and its real errors."""

import json

import soctrang

from tthc_xl.files.check import check_files
from tthc_xl.cli.app import main
from tthc_xl.core.model import ERROR, PERCENT, TOTAL, UNIT
from tthc_xl.files.read import read_file

INCONSISTENT = {
    "Sở Thông tin và Truyền thông",
    "Sở Công Thương",
    "Sở Giáo dục và Đào tạo",
    "Sở Giao thông vận tải",
    "Sở Kế hoạch và Đầu tư",
    "Sở Lao động - Thương binh và Xã hội",
    "Sở Nội vụ",
}


def test_appendix_is_read_with_its_total_and_percentage_rows_apart(appendix, layouts):
    result = read_file(appendix, layouts)
    assert result.error == ""
    (table,) = result.tables
    assert table.layout.name == "mau-a"
    units = table.rows_of(UNIT)
    assert [r.label for r in units] == [name for _, name, _ in soctrang.UNITS]
    assert [[r.cells[n].value for n in soctrang.COLUMNS] for r in units] == [values for *_, values in soctrang.UNITS]
    (total,) = table.rows_of(TOTAL)
    assert {n: c.value for n, c in total.cells.items()} == soctrang.PRINTED_TOTAL
    (percent,) = table.rows_of(PERCENT)
    assert {n: c.value for n, c in percent.cells.items()} == soctrang.PRINTED_PERCENT
    # Provenance: Sở Giao thông vận tải's carried-over 543 sits in D12 of the sheet.
    gtvt = units[3]
    assert (gtvt.cells[4].ref, gtvt.cells[4].value) == ("D12", 543)


def test_appendix_findings_are_exactly_the_real_errors(appendix, layouts):
    result = check_files([appendix], layouts)
    assert result.form == "mau-a"
    by_unit = {f.unit for f in result.findings if f.rule == "(6) = (7) + (8) + (9)"}
    assert by_unit == INCONSISTENT
    totals = [(f.cell, f.fix) for f in result.findings if f.rule == "tổng cộng"]
    assert totals == [("G25", {"G25": 1559}), ("H25", {"H25": 5})]
    assert len(result.findings) == 9
    assert all(f.severity == ERROR for f in result.findings)


def test_suspects_follow_the_rule_that_still_holds(appendix, layouts):
    # Sở Giáo dục và Đào tạo: 6 = 40 but 7+8+9 = 3; 3 = 6 + 10 holds (68 = 40 + 28), so column 6 is
    # probably right and the suspects are among columns 7–9 (G, H, I), with no single fix.
    result = check_files([appendix], layouts)
    (finding,) = [f for f in result.findings if f.unit == "Sở Giáo dục và Đào tạo"]
    assert finding.cell == "F11"
    assert finding.suspects == ["G11", "H11", "I11"]
    assert finding.fix is None
    assert "40" in finding.message and "3 + 0 + 0 = 3" in finding.message


def test_unit_files_in_varied_shapes_give_the_same_findings(unit_folder, layouts, soc_trang_units):
    result = check_files([unit_folder], layouts, units=soc_trang_units)
    assert [s.status for s in result.sources] == ["ok"] * 16
    expected = soctrang.unit_file_values()
    got = {}
    for table in result.tables:
        (row,) = table.rows_of(UNIT)
        got[__import__("pathlib").Path(table.file).stem] = (row.unit, [row.cells[n].value for n in soctrang.COLUMNS])
    assert got == expected
    assert {f.unit for f in result.findings} == INCONSISTENT
    assert len(result.findings) == 7
    for finding in result.findings:
        assert len(finding.suspects) == 3  # early, on time, late: column 6 is never the suspect


def test_cli_check_writes_json_and_exits_1_on_errors(appendix, tmp_path, capsys):
    out = tmp_path / "out.json"
    code = main(["check", str(appendix), "--json", str(out)])
    assert code == 1
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["form"] == "mau-a"
    assert data["sources"] == [{"file": str(appendix), "sheet": "Phụ lục I", "unit": "", "status": "ok", "error": ""}]
    first = data["findings"][0]
    assert set(first) == {"file", "sheet", "cell", "unit", "rule", "severity", "message", "suspects", "fix"}
    assert first["cell"] == "F9" and first["suspects"] == ["G9", "H9", "I9"]
    text = capsys.readouterr().out
    assert "9 lỗi" in text and "G25" in text


def test_cli_check_exits_2_on_unreadable_file_and_names_it(tmp_path, capsys):
    bad = tmp_path / "so-tu-phap.xlsx"
    bad.write_bytes(b"not a zip")
    assert main(["check", str(bad)]) == 2
    assert "so-tu-phap.xlsx" in capsys.readouterr().out


def test_cli_check_exits_0_on_a_consistent_table(tmp_path):
    good = tmp_path / "tot.csv"
    good.write_text(
        "STT,Đơn vị,Tổng,Kỳ trước,Mới,Đã GQ,Trước hạn,Đúng hạn,Quá hạn,Đang GQ,Còn hạn,Quá hạn,Trả lại,Trực tuyến\n"
        "1,2,3=(4+5),4,5,6=(7+8+9),7,8,9,10=(11+12),11,12,13,14\n"
        "1,Sở Tư pháp,845,181,664,617,605,0,12,228,207,21,0,23\n",
        encoding="utf-8",
    )
    assert main(["check", str(good)]) == 0
