"""What the consolidation's shortcuts must leave as it was: the rows the quick screening passes, the master
rows checked (only those that can have a finding), the unit rows kept as read (not copied), the results
let go as they are used, and the same error counts in the master, the JSON and the summary."""

from __future__ import annotations

import copy
import csv
import json
import random
import re

import openpyxl
import pytest

import rowgen
import soctrang

from tthc_xl.cli.app import main
from tthc_xl.core.layouts import load_layouts
from tthc_xl.core.master import Master, Settings, build_master, fill, plan_rows, suspects_behind_formulas
from tthc_xl.core.model import ERROR, HISTORY_PENDING, PREVIOUS_PENDING, TOTAL, UNIT, Cell, Known, Row, Source, Table
from tthc_xl.core.rules import _row_needs_check, _rules_of, check_table
from tthc_xl.core.units import _abbreviations, _FILLER, name_key
from tthc_xl.core.text import fold
from tthc_xl.files.read import FileResult
from tthc_xl.files.sources import consolidate_results

LAYOUTS = load_layouts()
MAU_A = LAYOUTS["mau-a"]
CONSISTENT = [120, 20, 100, 90, 50, 40, 0, 30, 30, 0, 0, 12]  # columns 3..14 of mẫu A, every rule holding


def _needs_check_by_the_rules(row: Row, layout) -> bool:
    """The screening as its definition says: a cell that is not a whole count ≥ 0, or a rule whose cells are all there and that fails."""
    values = {n: c.value for n, c in row.cells.items()}
    if any(v is None or v < 0 or v != int(v) for v in values.values()):
        return True
    return any(all(n in values for n in rule.columns) and not rule.holds(values) for rule in layout.rules)


def test_the_quick_screening_agrees_with_the_layouts_rules_on_every_kind_of_row():
    rnd = random.Random(18)

    def draw(low: int, high: int) -> int:
        return rnd.randint(low, high)

    checked = failing = 0
    for layout in LAYOUTS.values():
        screen = _rules_of(layout.rules)
        for _ in range(1500):
            values = rowgen.consistent_row(layout, draw)
            if values is None:
                continue
            cells = {n: Cell(f"C{n}", v, str(v)) for n, v in values.items()}
            n = rnd.choice(sorted(cells))
            change = rnd.randrange(7)
            if change == 1:  # a typing slip
                slipped = rowgen.plant(values[n], rnd.choice(rowgen.KINDS), draw)
                if slipped is None:
                    continue
                cells[n] = Cell(f"C{n}", slipped, str(slipped))
            elif change == 2:  # unreadable
                cells[n] = Cell(f"C{n}", None, "abc")
            elif change == 3:  # a fraction
                cells[n] = Cell(f"C{n}", values[n] + 0.5, f"{values[n]},5")
            elif change == 4:  # a cell not there: its rules are not judged
                del cells[n]
            elif change == 5:  # a whole number written as a float
                cells[n] = Cell(f"C{n}", float(values[n]), f"{values[n]}.0")
            elif change == 6:  # a hair off a whole number: not a count
                cells[n] = Cell(f"C{n}", values[n] + rnd.choice([1e-6, 1e-12]), "")
            row = Row(UNIT, "Sở Tư pháp", cells)
            expected = _needs_check_by_the_rules(row, layout)
            assert _row_needs_check(row, screen) == expected, (layout.name, {k: c.value for k, c in cells.items()})
            checked += 1
            failing += expected
    assert checked > 2000 and 500 < failing < checked - 500


def _reference_name_key(name: str) -> str:
    words = f" {fold(name)} "
    for short, full in _abbreviations():
        words = words.replace(short, full)
    return " ".join(w for w in words.split() if w not in _FILLER)


def test_unit_name_keys_are_the_same_as_the_plain_definition():
    shorts = [s.strip() for s, _ in _abbreviations()] + [f.strip() for _, f in _abbreviations()]
    words = ["Sở", "UBND", "và", "xã", "Tư pháp", "TP.", "Sóc Trăng", "NN&PTNT", "LĐ-TB&XH", "  ", "\u00a0", "-", "Đ"]
    rnd = random.Random(5)
    names = [" ".join(rnd.choice(words + shorts) for _ in range(rnd.randint(0, 6))) for _ in range(3000)]
    names += ["", " ", "va", "Sở Nông nghiệp và PTNT", "SO NN&PTNT", "Sở VH-TT&DL", "Sở  Tư   pháp"]
    assert [name_key(n) for n in names] == [_reference_name_key(n) for n in names]


def _row(label: str, values: dict[int, float | None], raw: dict[int, object] | None = None, row: int = 3) -> Row:
    raw = raw or {}
    cells = {n: Cell(f"{chr(64 + n)}{row}", v, raw.get(n, v)) for n, v in values.items()}
    return Row(UNIT, label, cells, label, f"B{row}")


def _consistent(scale: int = 1) -> dict[int, int]:
    return {n: v * scale for n, v in zip(range(3, 15), CONSISTENT)}


def _checked_in_full(layout, groups, reported, known, origins=None):
    """build_master's findings as they were found before: the whole master table checked."""
    master = Master(layout, Settings(), [])
    master.rows = plan_rows(layout, groups, master.first_data_row)
    fill(master, reported, origins=origins)
    return suspects_behind_formulas(master, check_table(master.table(), known=known))


def test_the_master_finds_in_the_rows_it_checks_what_checking_every_row_finds():
    rnd = random.Random(3)
    reported: dict[str, Row] = {}
    for i in range(120):
        values = _consistent(rnd.randint(1, 9))
        if i % 7 == 0:  # a typing slip
            values[rnd.choice([4, 5, 7, 8, 11])] += rnd.randint(1, 90)
        reported[f"UBND xã {i}"] = _row(f"UBND xã {i}", values)
    no_input = _consistent()
    del no_input[5]  # its file's row has no (5): there it passes, in the master (5) is empty and (3) = (4) + (5) fails
    reported["UBND xã thiếu ô"] = _row("UBND xã thiếu ô", no_input)
    assert not _row_needs_check(reported["UBND xã thiếu ô"], _rules_of(MAU_A.rules))
    reported["UBND xã chữ"] = _row("UBND xã chữ", {**_consistent(), 7: None}, {7: "năm mươi"})
    reported["Sở Tư pháp"] = _row("Sở Tư pháp", _consistent(2))
    reported["SỞ TƯ PHÁP"] = _row("SỞ TƯ PHÁP", _consistent(3))  # consistent, and the same unit again
    reported["Sở Y tế"] = _row("Sở Y tế", _consistent(2))  # consistent; the previous period left another pending figure
    reported["Sở Xây dựng"] = _row("Sở Xây dựng", _consistent(2))  # consistent and as the previous period left it
    reported["UBND xã có ghim"] = _row("UBND xã có ghim", {**_consistent(), 5: 999})
    known = {
        "Sở Y tế": {4: Known(7, PREVIOUS_PENDING, 10)},
        "Sở Xây dựng": {4: Known(40, HISTORY_PENDING, 10, "tháng 9 năm 2019")},
        "UBND xã có ghim": {4: Known(20, PREVIOUS_PENDING, 10)},
    }
    names = list(reported)
    groups = [("", names[:60]), ("Sở, ngành", names[60:])]
    for group in (groups, [("", names)]):
        expected = _checked_in_full(MAU_A, group, reported, known)
        master = build_master(MAU_A, Settings(), group, reported, known=known)
        assert [f.as_json() for f in master.findings] == [f.as_json() for f in expected]
    found = {(f.unit, f.rule) for f in master.findings}
    assert ("SỞ TƯ PHÁP", "trùng đơn vị") in found
    assert ("Sở Y tế", "kỳ trước chuyển sang") in found
    assert not any(f.unit == "Sở Xây dựng" for f in master.findings)
    assert any(f.unit == "UBND xã thiếu ô" for f in master.findings)
    unreadable = next(f for f in master.findings if f.unit == "UBND xã chữ")
    assert "“năm mươi”" in unreadable.message
    assert len({f.unit for f in master.findings}) >= 120 // 7 + 5


def _table(file: str, rows: list[Row], sheet: str = "PL1") -> Table:
    return Table(file, sheet, MAU_A, rows, first_row=3)


def _results() -> list[FileResult]:
    """Files of every kind a consolidation meets: consistent, a slip, a total row that pins the wrong cell,
    an unreadable cell, a second report of a unit (same name, other folder), an unreadable file, another layout."""
    slipped = _consistent()
    slipped[11] = 92  # (10) = (11) + (12) fails
    total = Row(TOTAL, "Tổng cộng", {n: Cell(f"{chr(64 + n)}4", v) for n, v in _consistent().items()}, label_ref="B4")
    results = [
        FileResult("/don-vi/01_tu-phap.xlsx", [_table("/don-vi/01_tu-phap.xlsx", [_row("Sở Tư pháp", _consistent())])]),
        FileResult("/don-vi/02_y-te.xlsx", [_table("/don-vi/02_y-te.xlsx", [_row("Sở Y tế", slipped), total])], notes=["một ghi chú"]),
        FileResult("/don-vi/03_xay-dung.csv", [_table("/don-vi/03_xay-dung.csv", [_row("Sở Xây dựng", {**_consistent(), 7: None}, {7: "abc"})])]),
        FileResult("/don-vi/cu/01_tu-phap.xlsx", [_table("/don-vi/cu/01_tu-phap.xlsx", [_row("Sở Tư pháp", _consistent(2))])]),
        FileResult("/don-vi/04_hong.xlsx", error="Tệp 04_hong.xlsx không mở được."),
        FileResult("/don-vi/05_mau-b.xlsx", [Table("/don-vi/05_mau-b.xlsx", "PL", LAYOUTS["mau-b"], [])]),
        FileResult("/don-vi/06_cong-an.xlsx", [_table("/don-vi/06_cong-an.xlsx", [_row("Công an tỉnh", _consistent(3)), copy.deepcopy(total)])]),
    ]
    return results


def _seen(outcome) -> tuple:
    master = outcome.master
    cells = [(r.kind, r.label, r.row, r.reported, [(n, s.value, s.formula, s.role, s.source, s.raw) for n, s in r.slots.items()]) for r in master.rows]
    return cells, outcome.as_json(), outcome.notes


def test_results_handed_over_are_let_go_and_give_the_same_master():
    kept = _results()
    before = copy.deepcopy(kept)
    outcome = consolidate_results(kept, LAYOUTS, "mau-a", output="/m.xlsx")
    assert kept == before  # the caller's results are left as they were
    handed = _results()
    taken = consolidate_results(handed, LAYOUTS, "mau-a", output="/m.xlsx", consume=True)
    assert handed == []
    assert _seen(taken) == _seen(outcome)
    data = outcome.as_json()
    duplicate = next(f for f in data["findings"] if f["rule"] == "trùng đơn vị")
    assert "hai báo cáo: don-vi/01_tu-phap.xlsx và don-vi/cu/01_tu-phap.xlsx. Đã dùng số liệu của don-vi/01_tu-phap.xlsx" in duplicate["message"]
    unreadable = next(f for f in outcome.findings if f.unit == "Sở Xây dựng")
    assert "“abc”" in unreadable.message and unreadable.source == Source("/don-vi/03_xay-dung.csv", "PL1", "G3")
    pinned = next(f for f in outcome.findings if f.unit == "Sở Y tế")
    assert pinned.fix == {"K10": 30}  # the file's own total row says (11) should be 30
    row = outcome.master.unit_row("Sở Y tế")
    assert row.slots[11].source == Source("/don-vi/02_y-te.xlsx", "PL1", "K3") and row.slots[11].raw == 92
    assert [s.status for s in outcome.sources] == ["ok", "ok", "ok", "ok", "lỗi", "lỗi", "ok"]
    assert outcome.notes[0] == "một ghi chú"


def _write_unit(path, name, values, raw=None):
    raw = raw or {}
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["STT", "Đơn vị"] + [f"c{n}" for n in range(3, 15)])
        writer.writerow(soctrang.NUMBER_ROW[:1] + ["2", "3=(4+5)", "4", "5", "6=(7+8+9)", "7", "8", "9", "10=(11+12)", "11", "12", "13", "14"])
        writer.writerow(["1", name] + [str(raw.get(n, v)) for n, v in zip(range(3, 15), values)])


@pytest.mark.parametrize("units", [None, "list"])
def test_the_error_counts_agree_in_the_master_the_json_and_the_summary(tmp_path, capsys, units):
    folder = tmp_path / "don-vi"
    folder.mkdir()
    slipped = list(CONSISTENT)
    slipped[8] = 92
    _write_unit(folder / "01.csv", "Sở Tư pháp", CONSISTENT)
    _write_unit(folder / "02.csv", "Sở Y tế", slipped)
    _write_unit(folder / "03.csv", "Sở Xây dựng", CONSISTENT, {7: "abc"})
    _write_unit(folder / "04.csv", "Sở Tư pháp", [2 * v for v in CONSISTENT])
    _write_unit(folder / "05.csv", "Sở Nội vụ", [v + 1 for v in CONSISTENT])
    args = ["consolidate", str(folder), "-o", str(tmp_path / "m.xlsx"), "--json", str(tmp_path / "m.json")]
    if units:
        listed = tmp_path / "units.csv"
        listed.write_text("nhom,ten,bi_danh\n,Sở Tư pháp,\n,Sở Y tế,\n,Sở Xây dựng,\n,Sở Nội vụ,\n,Công an tỉnh,\n", encoding="utf-8")
        args += ["--units", str(listed)]
    assert main(args) == 1
    printed = capsys.readouterr().out
    data = json.loads((tmp_path / "m.json").read_text(encoding="utf-8"))
    errors = sum(f["severity"] == ERROR for f in data["findings"])
    warnings = len(data["findings"]) - errors
    assert errors >= 4
    assert f"{errors} lỗi, {warnings} cảnh báo." in printed
    assert len(re.findall(r"^- \[(?:LỖI|Cảnh báo)\]", printed, re.M)) == len(data["findings"])
    check = openpyxl.load_workbook(tmp_path / "m.xlsx")["Kiểm tra"]
    assert check["A1"].value.startswith(f"KẾT QUẢ KIỂM TRA: {errors} lỗi, {warnings} cảnh báo, {len(data['missing'])} đơn vị")
    rules = sorted((f["rule"], f["unit"]) for f in data["findings"])
    assert ("trùng đơn vị", "Sở Tư pháp") in rules and any(unit == "Sở Nội vụ" for _, unit in rules)


def test_totals_add_up_the_units_that_reported_and_skip_those_that_did_not():
    reported = {"Sở Tư pháp": _row("Sở Tư pháp", _consistent(2)), "Sở Y tế": _row("Sở Y tế", {**_consistent(), 7: None}, {7: "abc"}),
                "UBND xã A": _row("UBND xã A", {n: v + 0.5 if n == 14 else v for n, v in _consistent().items()})}
    groups = [("Sở, ngành", ["Sở Tư pháp", "Sở Y tế", "Sở Nội vụ"]), ("UBND cấp xã", ["UBND xã A", "UBND xã B"])]
    master = build_master(MAU_A, Settings(), groups, reported)
    assert master.missing == ["Sở Nội vụ", "UBND xã B"]
    assert master.unit_row("Sở Nội vụ").slots[3].value == "chưa gửi"
    departments, communes = master.rows_of("group")
    assert departments.slots[3].value == 3 * 120 and departments.slots[3].formula == "=SUM(C10:C12)"
    assert departments.slots[7].value == 2 * 50 + 0  # the unreadable (7) counts 0, the unit not sent nothing
    assert communes.slots[14].value == 12.5 and communes.slots[14].formula == "=SUM(N14:N15)"
    total = master.total_row
    assert total.slots[3].value == 4 * 120 and total.slots[3].formula == "=C9+C13"
    assert total.slots[14].value == 2 * 12 + 12 + 12.5
