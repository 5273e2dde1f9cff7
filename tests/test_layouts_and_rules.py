"""Layouts as data, rules inferred from number rows, and the checker's other rules."""

import csv

import pytest

from tthc_xl.files.check import check_files
from tthc_xl.cli.app import main
from tthc_xl.core.layouts import LayoutError, layout_from_dict, load_layouts, parse_rule
from tthc_xl.files.read import read_file

# A 13-column layout nobody shipped: received = in person + online + postal + inter-agency,
# no "early" column, and returned in the last column.
UNSEEN_LAYOUT = """
name = "tinh-x-13-cot"
title = "Kết quả giải quyết TTHC (mẫu tỉnh X)"
identify = ["lien thong", "buu chinh"]

[[columns]]
number = 1
key = "order"
kind = "order"
header = ["STT"]
[[columns]]
number = 2
key = "unit"
kind = "label"
header = ["Cơ quan"]
[[columns]]
number = 3
key = "received"
header = ["Tiếp nhận", "Tổng"]
[[columns]]
number = 4
key = "received_direct"
header = ["Tiếp nhận", "Trực tiếp"]
[[columns]]
number = 5
key = "received_online"
header = ["Tiếp nhận", "Trực tuyến"]
[[columns]]
number = 6
key = "received_postal"
header = ["Tiếp nhận", "Bưu chính"]
[[columns]]
number = 7
key = "received_chain"
header = ["Tiếp nhận", "Liên thông"]
[[columns]]
number = 8
key = "resolved"
header = ["Đã giải quyết", "Tổng"]
[[columns]]
number = 9
key = "resolved_on_time"
header = ["Đã giải quyết", "Đúng hạn"]
[[columns]]
number = 10
key = "resolved_late"
header = ["Đã giải quyết", "Quá hạn"]
[[columns]]
number = 11
key = "pending"
header = ["Đang giải quyết"]
[[columns]]
number = 12
key = "pending_overdue"
header = ["Đang giải quyết quá hạn"]
[[columns]]
number = 13
key = "returned"
header = ["Trả lại"]

[[rules]]
rule = "3 = 4 + 5 + 6 + 7"
[[rules]]
rule = "8 = 9 + 10"
[[rules]]
rule = "3 = 8 + 11"
explained_by = 13
[[rules]]
rule = "12 <= 11"

[percent]
8 = 3
9 = 8
10 = 8
11 = 3
"""

HEADER = ["STT", "Cơ quan", "Tổng", "Trực tiếp", "Trực tuyến", "Bưu chính", "Liên thông", "Tổng", "Đúng hạn", "Quá hạn", "Đang giải quyết", "Đang quá hạn", "Trả lại"]
NUMBERS = [str(n) for n in range(1, 14)]


def write_csv(path, rows):
    with open(path, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def test_a_layout_file_written_by_a_clerk_works_without_code(tmp_path, capsys):
    forms = tmp_path / "forms"
    forms.mkdir()
    (forms / "tinh-x.toml").write_text(UNSEEN_LAYOUT, encoding="utf-8")
    table = write_csv(
        tmp_path / "bao-cao.csv",
        [
            ["BÁO CÁO KẾT QUẢ GIẢI QUYẾT TTHC"],
            HEADER,
            NUMBERS,
            ["1", "UBND huyện A", "100", "50", "30", "10", "10", "80", "78", "2", "20", "1", "0"],
            ["2", "UBND huyện B", "60", "30", "20", "5", "5", "40", "40", "0", "21", "0", "1"],  # 60 ≠ 40 + 21 by 1 = returned
            ["3", "UBND huyện C", "10", "4", "3", "2", "1", "9", "5", "3", "1", "2", "0"],  # 9 ≠ 5 + 3; 12 > 11
            ["", "Tổng cộng", "170", "84", "53", "17", "16", "129", "123", "5", "42", "3", "1"],
        ],
    )
    assert main(["--forms-dir", str(forms), "forms"]) == 0
    assert "tinh-x-13-cot\t13 cột" in capsys.readouterr().out

    layouts = load_layouts([forms])
    result = check_files([table], layouts)
    assert result.form == "tinh-x-13-cot"
    found = {(f.unit, f.rule, f.severity) for f in result.findings}
    assert found == {
        ("UBND huyện B", "(3) = (8) + (11)", "warning"),
        ("UBND huyện C", "(8) = (9) + (10)", "error"),
        ("UBND huyện C", "(12) ≤ (11)", "error"),
    }
    warning = next(f for f in result.findings if f.severity == "warning")
    assert "cột (13)" in warning.message and "trả lại" in warning.message
    # Huyện C breaks two independent rules, so every smallest repair changes two cells:
    # {9, 12}, {10, 12}, or {8, 11} (8 = 8 with 11 = 2 keeps 3 = 8 + 11 and 12 ≤ 11).
    error = next(f for f in result.findings if f.rule == "(8) = (9) + (10)")
    assert error.suspects == ["H6", "I6", "J6", "K6", "L6"]
    assert error.fix is None


def test_number_row_that_spells_its_rules_needs_no_layout_file(tmp_path):
    table = write_csv(
        tmp_path / "la.csv",
        [
            ["STT", "Đơn vị", "Tổng nhận", "Trực tuyến", "Trực tiếp", "Đã xong", "Đúng hạn", "Trễ hạn", "Ghi chú"],
            ["1", "2", "3=(4+5)", "4", "5", "6=(7+8)", "7", "8"],
            ["1", "Xã A", "10", "4", "6", "9", "9", "0", "ổn"],
            ["2", "Xã B", "12", "4", "6", "5", "5", "0", ""],
        ],
    )
    result = read_file(table, load_layouts())
    (read,) = result.tables
    assert read.layout.name == "theo-hang-so"
    assert [(r.left, r.right) for r in read.layout.rules] == [(3, (4, 5)), (6, (7, 8))]
    assert read.layout.percent == {3: 3, 4: 3, 5: 3, 6: 3, 7: 6, 8: 6}
    findings = check_files([table], load_layouts()).findings
    (finding,) = findings
    # Nothing else ties 3, 4 and 5 together, so each could be the wrong one.
    assert (finding.unit, finding.cell, finding.suspects, finding.fix) == ("Xã B", "C4", ["C4", "D4", "E4"], None)


def test_a_single_suspect_gets_a_fix():
    # Sở Tư pháp with its total received mistyped (854 for 845): 3 = 4 + 5 and 3 = 6 + 10 both
    # break, and column 3 is the one cell they share, so it is the only suspect and 845 the fix.
    from tthc_xl.core.locate import locate

    layout = load_layouts()["mau-a"]
    values = dict(zip(range(3, 15), [854, 181, 664, 617, 605, 0, 12, 228, 207, 21, 0, 23]))
    found = locate(values, list(layout.rules), layout)
    assert (list(found.suspects), found.fix) == ([3], {3: 845})
    # Carried over mistyped (118 for 181): only 3 = 4 + 5 breaks; 4 or 5 could be wrong, but only
    # 181 is a typing slip of what was written (727 for 664 is not), so it is the fix.
    values.update({3: 845, 4: 118})
    found = locate(values, list(layout.rules), layout)
    assert (list(found.suspects), found.fix, found.reasons) == ([4, 5], {4: 181}, {4: "hoán vị hai chữ số"})


def test_cells_that_are_not_counts_are_findings_never_zero(tmp_path):
    table = write_csv(
        tmp_path / "x.csv",
        [
            ["STT", "Đơn vị", "Tổng", "Kỳ trước", "Mới", "Đã", "Trước", "Đúng", "Quá", "Đang", "Còn", "Quá", "Trả", "TT"],
            ["1", "2", "3=(4+5)", "4", "5", "6=(7+8+9)", "7", "8", "9", "10=(11+12)", "11", "12", "13", "14"],
            ["1", "Sở Y tế", "285", "163", "122", "171", "171", "0", "0", "114", "114", "0", "0", "chín"],
            ["2", "Sở Xây dựng", "176", "71", "105", "97", "97", "0", "0", "79", "79", "0", "-1", "33"],
            ["3", "SỞ Y TẾ", "1", "1", "0", "0", "0", "0", "0", "1", "1", "0", "0", "0"],
        ],
    )
    findings = check_files([table], load_layouts()).findings
    messages = {f.cell: f.message for f in findings}
    assert "“chín”" in messages["N3"] and "số nguyên ≥ 0" in messages["N3"]
    assert "-1" in messages["M4"]
    duplicate = next(f for f in findings if f.rule == "trùng đơn vị")
    assert duplicate.cell == "B5" and "B3" in duplicate.message


def test_rules_parse_in_every_spelling():
    assert parse_rule("3=(4+5)").right == (4, 5)
    assert parse_rule("6 = 7 + 8 + 9").left == 6
    rule = parse_rule("5 >= 14")
    assert (rule.left, rule.op, rule.right) == (14, "<=", (5,))
    with pytest.raises(LayoutError, match="3 == 4"):
        parse_rule("3 == 4")


def test_a_broken_layout_file_names_the_file_and_the_problem():
    with pytest.raises(LayoutError, match=r"mau-sai\.toml.*cột \[15\]"):
        layout_from_dict(
            {"name": "x", "columns": [{"number": 3}, {"number": 4}], "rules": ["3 = 4 + 15"]},
            "mau-sai.toml",
        )


def test_shipped_layouts_are_a_and_b():
    layouts = load_layouts()
    assert len(layouts["mau-a"].columns) == 14
    assert len(layouts["mau-b"].columns) == 13
    assert {(r.left, r.right) for r in layouts["mau-b"].rules} == {(3, (4, 5, 6)), (7, (8, 9, 10)), (11, (12, 13)), (3, (7, 11))}


def test_a_spelled_rule_with_nothing_to_count_is_an_unknown_layout_not_a_crash(tmp_path):
    # Every numbered column is left of the unit-name column: order columns, no counts.
    table = write_csv(tmp_path / "la.csv", [["STT", "Mã", "Loại", "Đơn vị"], ["1", "2", "3", "4=(2+3)"], ["1", "x", "y", "Xã A"]])
    result = read_file(table, load_layouts())
    assert result.tables == []
    assert "la.csv" in result.error and "không khớp mẫu biểu nào" in result.error
