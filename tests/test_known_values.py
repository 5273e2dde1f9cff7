"""Figures known from elsewhere take part in locating the wrong cell of a consolidated row:
the previous period's pending (for "carried over"), and the unit file's own total row."""

import csv
import json

from tthc_xl.cli.app import main

HEADER = ["STT", "Đơn vị"] + [f"c{n}" for n in range(3, 15)]
NUMBERS = ["1", "2", "3=(4+5)", "4", "5", "6=(7+8+9)", "7", "8", "9", "10=(11+12)", "11", "12", "13", "14"]
TU_PHAP = [845, 181, 664, 617, 605, 0, 12, 228, 207, 21, 0, 23]  # Sóc Trăng, October 2019: consistent


def write_unit(path, name, values, total=None):
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerows([HEADER, NUMBERS, ["1", name] + [str(v) for v in values]])
        if total is not None:
            writer.writerow(["", "Tổng cộng"] + [str(v) for v in total])
    return path


def consolidate(tmp_path, folder, *extra) -> list[dict]:
    out = tmp_path / f"{folder.name}.json"
    main(["consolidate", str(folder), "-o", str(tmp_path / f"{folder.name}.xlsx"), "--json", str(out), *extra])
    return json.loads(out.read_text(encoding="utf-8"))["findings"]


def test_the_previous_periods_pending_pins_the_carried_over_cell_in_the_master(tmp_path):
    september, october = tmp_path / "t9", tmp_path / "t10"
    september.mkdir()
    october.mkdir()
    write_unit(september / "tp.csv", "Sở Tư pháp", [800, 100, 700, 619, 600, 0, 19, 181, 170, 11, 0, 20])
    consolidate(tmp_path, september)
    # October carries over 150, not 181: 3 = 4 + 5 breaks, and 4 or 5 could be wrong.
    write_unit(october / "tp.csv", "Sở Tư pháp", [845, 150, 664] + TU_PHAP[3:])
    (alone,) = [f for f in consolidate(tmp_path, october) if f["rule"] == "(3) = (4) + (5)"]
    assert [s[0] for s in alone["suspects"]] == ["D", "E"] and alone["fix"] is None
    findings = consolidate(tmp_path, october, "--previous", str(tmp_path / "t9.xlsx"))
    (pinned,) = [f for f in findings if f["rule"] == "(3) = (4) + (5)"]
    (carried,) = pinned["suspects"]
    assert carried.startswith("D") and pinned["fix"] == {carried: 181}
    assert "giá trị đúng có thể là 181 (ô đang ghi 150)" in pinned["message"]
    # The comparison with the previous period is still its own finding, and they agree.
    assert [(f["cell"], f["fix"]) for f in findings if f["rule"] == "kỳ trước chuyển sang"] == [(carried, {carried: 181})]


def test_a_unit_files_own_total_row_pins_its_unit_row_in_the_master(tmp_path):
    folder = tmp_path / "don-vi"
    folder.mkdir()
    # Pending within deadline typed 27 for 207 (a dropped 0): 10 = 11 + 12 breaks, and 21 for 201
    # in column 12 would be a dropped 0 as well, so alone the row names two suspects and no fix…
    typed = TU_PHAP[:8] + [27] + TU_PHAP[9:]
    write_unit(folder / "tp.csv", "Sở Tư pháp", typed)
    (alone,) = consolidate(tmp_path, folder)
    assert [s[0] for s in alone["suspects"]] == ["K", "L"] and alone["fix"] is None
    # …while the file's own "Tổng cộng" row holds 207: the unit row is the one to fix, not the total.
    write_unit(folder / "tp.csv", "Sở Tư pháp", typed, total=TU_PHAP)
    (pinned,) = consolidate(tmp_path, folder)
    (within,) = pinned["suspects"]
    assert pinned["rule"] == "(10) = (11) + (12)" and within.startswith("K") and pinned["fix"] == {within: 207}


def test_consolidating_leaves_the_tables_read_as_they_were(tmp_path):
    import copy

    from tthc_xl.core.layouts import load_layouts
    from tthc_xl.files.read import read_file
    from tthc_xl.files.sources import consolidate_results

    path = write_unit(tmp_path / "tp.csv", "Sở Tư pháp", TU_PHAP, total=TU_PHAP)
    result = read_file(path, load_layouts())
    before = copy.deepcopy(result.tables)
    outcome = consolidate_results([result], load_layouts())
    assert result.tables == before
    (row,) = [r for r in outcome.master.rows if r.kind == "unit"]
    assert row.slots[3].source.file == str(path) and row.slots[3].source.cell == "C3"
