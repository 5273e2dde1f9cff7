"""Error localization that knows how people mistype: the domain, typing slips, values known from
elsewhere, two-cell repairs, and the words of the findings. Data-level: tables built in code.

Properties (hypothesis), for every shipped layout: a consistent row has no finding; one typing
slip is always among the suspects; a fix, when one is given, makes the row consistent.
"""

import copy
from pathlib import Path
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rowgen

from tthc_xl.core.a1 import cell_ref
from tthc_xl.core.layouts import load_layouts
from tthc_xl.core.locate import Location, locate, slip
from tthc_xl.core.model import FILE_TOTAL, PREVIOUS_PENDING, TOTAL, UNIT, BrokenRule, Cell, Known, Row, Table
from tthc_xl.core.rules import check_table, violations

LAYOUTS = load_layouts()
A, B = LAYOUTS["mau-a"], LAYOUTS["mau-b"]
ROW = 18  # 0-based: the unit row sits in sheet row 19
TU_PHAP = dict(zip(range(3, 15), [845, 181, 664, 617, 605, 0, 12, 228, 207, 21, 0, 23]))  # Sóc Trăng, consistent
# Layout B: 7 = 8 + 9 + 10 and nothing else ties 8, 9, 10, so any of them could absorb an error in one.
FIELD = {3: 1560, 4: 900, 5: 600, 6: 60, 7: 1354, 8: 1207, 9: 116, 10: 31, 11: 206, 12: 200, 13: 6}


def table_of(layout, values, unit="Sở Tư pháp", total=None) -> Table:
    def row(kind, label, r, figures):
        return Row(kind, label, {n: Cell(cell_ref(r, n - 1), v, v) for n, v in figures.items()}, label, cell_ref(r, 1))

    rows = [row(UNIT, unit, ROW, values)]
    if total is not None:
        rows.append(row(TOTAL, "Tổng cộng", ROW + 1, total))
    return Table(file="bao-cao.xlsx", sheet="Báo cáo", layout=layout, rows=rows, first_row=ROW + 1)


def test_typing_slips_are_named():
    assert [slip(1027, 1207), slip(4467, 4476), slip(1207, 1237), slip(127, 1207), slip(12207, 1207), slip(-203, 203)] == [
        "hoán vị hai chữ số", "hoán vị hai chữ số", "gõ nhầm một chữ số", "thiếu một chữ số", "lặp một chữ số", "thừa dấu trừ",
    ]
    assert [slip(1207, 1207), slip(1720, 1207), slip(300, 203), slip(0.5, 5)] == [None, None, None, None]


def test_a_sign_flip_gets_its_unique_fix_in_one_finding_that_names_the_cell_once():
    # G19 = -605: 6 = 7 + 8 + 9 breaks too, but the negative cell must change and, changed alone,
    # the rules give its value.
    (finding,) = check_table(table_of(A, {**TU_PHAP, 7: -605}))
    assert (finding.rule, finding.cell, finding.suspects, finding.fix, finding.reason) == (
        "số nguyên ≥ 0", "G19", ["G19"], {"G19": 605}, "thừa dấu trừ",
    )
    assert finding.message == (
        "Ô G19 (Sở Tư pháp, cột 7) ghi -605: số hồ sơ phải là số nguyên ≥ 0. Theo quy tắc (6) = (7) + (8) + (9), "
        "giá trị đúng có thể là 605 (có thể gõ nhầm 605 thành -605: thừa dấu trừ)."
    )


def test_an_unreadable_cell_gets_the_value_the_rules_determine():
    table = table_of(A, TU_PHAP)
    table.rows[0].cells[7] = Cell("G19", None, "#REF!")
    (finding,) = check_table(table)
    assert (finding.rule, finding.fix, finding.reason) == ("số nguyên ≥ 0", {"G19": 605}, "")
    assert "“#REF!”" in finding.message and "giá trị đúng có thể là 605." in finding.message


def test_swapped_digits_in_an_under_determined_row_get_the_slip_fix_with_its_reason():
    (finding,) = check_table(table_of(B, {**FIELD, 8: 1027}))
    assert (finding.rule, finding.suspects, finding.fix, finding.reason) == (
        "(7) = (8) + (9) + (10)", ["H19", "I19", "J19"], {"H19": 1207}, "hoán vị hai chữ số",
    )
    assert finding.message == (
        "Sở Tư pháp: cột (7) phải bằng (8) + (9) + (10), nhưng ô G19 = 1.354 còn 1.027 + 116 + 31 = 1.174. "
        "Ô nghi sai (một trong số): H19, I19, J19; nhiều khả năng là H19: giá trị đúng có thể là 1.207 "
        "(có thể gõ nhầm 1.207 thành 1.027: hoán vị hai chữ số)."
    )
    data = json.loads(json.dumps(finding.as_json()))
    assert data["reason"] == "hoán vị hai chữ số" and data["fix"] == {"H19": 1207}


def test_two_slip_candidates_give_no_fix():
    # 9 holds 20 where 200 would also repair the row, and 200 → 20 is a dropped digit too.
    values = {**FIELD, 9: 20, 7: 1207 + 20 + 31, 3: 1258 + 206, 4: 1464 - 660, 8: 1027}
    (finding,) = check_table(table_of(B, values))
    assert (finding.suspects, finding.fix, finding.reason) == (["H19", "I19", "J19"], None, "")
    assert "reason" not in finding.as_json()
    assert finding.message.endswith("Ô nghi sai (một trong số): H19, I19, J19.")


def test_the_previous_periods_pending_pins_the_carried_over_cell():
    # Carried over written 150 where the previous period ended with 181 pending: 3 = 4 + 5 breaks
    # and 4 or 5 could be wrong, neither a typing slip; the previous period tells which.
    table = table_of(A, {**TU_PHAP, 4: 150})
    (alone,) = check_table(table)
    assert (alone.suspects, alone.fix) == (["D19", "E19"], None)
    pinned, carried = check_table(table, known={"Sở Tư pháp": {4: Known(181, PREVIOUS_PENDING, 10)}})
    assert (pinned.rule, pinned.suspects, pinned.fix) == ("(3) = (4) + (5)", ["D19"], {"D19": 181})
    assert "giá trị đúng có thể là 181 (ô đang ghi 150)" in pinned.message
    # The comparison with the previous period is a finding of its own, and says the same.
    assert (carried.rule, carried.cell, carried.fix) == ("kỳ trước chuyển sang", "D19", {"D19": 181})
    assert carried.message == (
        "Sở Tư pháp: kỳ trước chuyển sang (cột 4) = 150 nhưng cuối kỳ trước còn 181 hồ sơ đang giải quyết (cột 10). "
        "Ô nghi sai: D19; giá trị đúng có thể là 181."
    )
    # When the previous period agrees with the carried-over figure, the new dossiers are the suspect.
    (kept,) = check_table(table, known={"Sở Tư pháp": {4: Known(150, PREVIOUS_PENDING, 10)}})
    assert (kept.suspects, kept.fix) == (["E19"], {"E19": 695})


def test_a_unit_files_own_total_row_pins_its_unit_row_and_is_not_blamed():
    # The row of test_two_slip_candidates_give_no_fix, under a total row that holds the true figures.
    truth = {**FIELD, 9: 20, 7: 1258, 3: 1464, 4: 804}
    table = table_of(B, {**truth, 8: 1027}, total=truth)
    (finding,) = check_table(table)
    assert (finding.rule, finding.cell, finding.fix) == ("(7) = (8) + (9) + (10)", "G19", {"H19": 1207})
    # In a consolidation the unit row is checked in the master: the file's aggregates alone say nothing.
    assert check_table(table, aggregates_only=True) == []
    # A total row that breaks a rule itself is no second copy: it is the suspect, as before.
    broken_total = {**truth, 3: 1465}
    findings = check_table(table_of(B, truth, total=broken_total))
    assert [(f.rule, f.cell, f.fix) for f in findings] == [("tổng cộng", "C20", {"C20": 1464})]


def test_a_two_cell_error_with_a_unique_repair_gets_both_values():
    findings = check_table(table_of(A, {**TU_PHAP, 3: 854, 6: 671}))
    assert [f.rule for f in findings] == ["(3) = (4) + (5)", "(6) = (7) + (8) + (9)", "(3) = (6) + (10)"]
    assert all(f.fix == {"C19": 845, "F19": 617} for f in findings)
    first = findings[0]
    assert first.suspects == ["C19", "F19"] and first.reason == "hoán vị hai chữ số"
    assert first.message.endswith(
        "Ô nghi sai: C19, F19; giá trị đúng có thể là C19 = 845 (có thể gõ nhầm 845 thành 854: hoán vị hai chữ số); "
        "F19 = 617 (có thể gõ nhầm 617 thành 671: hoán vị hai chữ số)."
    )


def test_a_unique_fix_that_is_no_slip_says_what_was_written():
    # Pending within deadline 250 for 207: only 10 = 11 + 12 breaks, and 10 is held by 3 = 6 + 10.
    (finding,) = check_table(table_of(A, {**TU_PHAP, 11: 250}))
    assert finding.fix == {"K19": 207} and finding.reason == ""
    assert finding.message.endswith("Ô nghi sai: K19; giá trị đúng có thể là 207 (ô đang ghi 250).")


def test_negative_terms_of_a_sum_print_in_brackets():
    values = {**TU_PHAP, 6: 700, 7: 1207, 8: 116, 9: -631}
    rule = next(f for f in check_table(table_of(A, values)) if f.rule == "(6) = (7) + (8) + (9)")
    assert "còn 1.207 + 116 + (−631) = 692." in rule.message


def test_violations_are_data_on_positions_of_the_table_and_the_table_is_left_as_it_was():
    table = table_of(A, {**TU_PHAP, 11: 250})
    before = copy.deepcopy(table)
    (violation,) = violations(table)
    assert isinstance(violation, BrokenRule)
    assert (violation.row, violation.column, violation.suspects, violation.fix) == (0, 10, ((0, 11),), {(0, 11): 207})
    assert (violation.check.name, violation.check.origin) == ("(10) = (11) + (12)", A.source)
    check_table(table, known={"Sở Tư pháp": {4: Known(181, FILE_TOTAL)}})
    assert table == before


def test_locate_reports_the_cells_that_must_change():
    found = locate({**TU_PHAP, 7: -605}, A.rules, A)
    assert (found.suspects, found.fix, found.forced) == ((7,), {7: 605}, (7,))


# ----------------------------------------------------------------------------------------------
# Properties, for every shipped layout
# ----------------------------------------------------------------------------------------------

BOUNDED = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


def drawing(data):
    return lambda low, high: data.draw(st.integers(low, high))


def tied(layout):
    return [n for n in layout.count_columns if any(r.op == "=" and n in r.columns for r in layout.rules)]


@st.composite
def planted(draw, slips: int):
    layout = draw(st.sampled_from([A, B]))
    data = draw(st.data())
    truth = rowgen.consistent_row(layout, drawing(data))
    if truth is None:
        truth = {n: 0 for n in layout.count_columns}
    kind = draw(st.sampled_from(rowgen.KINDS))
    cells = draw(st.lists(st.sampled_from(tied(layout)), min_size=slips, max_size=slips, unique=True))
    written = dict(truth)
    for n in cells:
        typed = rowgen.plant(truth[n], kind, drawing(data))
        written[n] = typed if typed is not None else truth[n] + 1
    return layout, truth, written, cells


@BOUNDED
@given(st.data())
def test_a_consistent_row_has_no_finding(data):
    layout = data.draw(st.sampled_from([A, B]))
    truth = rowgen.consistent_row(layout, drawing(data))
    if truth is not None:
        assert check_table(table_of(layout, truth)) == []


@BOUNDED
@given(planted(1))
def test_a_single_slip_is_always_among_the_suspects(case):
    layout, truth, written, (n,) = case
    findings = check_table(table_of(layout, written))
    assert findings, written
    assert all(cell_ref(ROW, n - 1) in f.suspects for f in findings), [(f.rule, f.suspects) for f in findings]


@BOUNDED
@given(st.one_of(planted(1), planted(2)))
def test_a_given_fix_makes_the_row_consistent(case):
    layout, truth, written, cells = case
    table = table_of(layout, written)
    by_ref = {c.ref: n for n, c in table.rows[0].cells.items()}
    for finding in check_table(table):
        if finding.fix:
            repaired = {**written, **{by_ref[ref]: value for ref, value in finding.fix.items()}}
            assert all(v >= 0 and v == int(v) for v in repaired.values())
            assert all(rule.holds(repaired) for rule in layout.rules), (written, finding.fix)


@BOUNDED
@given(st.data())
def test_a_slip_in_the_carried_over_cell_is_fixed_when_the_previous_period_knows_it(data):
    layout = data.draw(st.sampled_from([A, B]))
    carried = next(c.number for c in layout.columns if c.key == "carried_over")
    truth = rowgen.consistent_row(layout, drawing(data))
    typed = rowgen.plant(truth[carried], data.draw(st.sampled_from(rowgen.KINDS)), drawing(data)) if truth else None
    if typed is None:
        return
    table = table_of(layout, {**truth, carried: typed})
    findings = check_table(table, known={"Sở Tư pháp": {carried: Known(truth[carried], PREVIOUS_PENDING, 10)}})
    ref = cell_ref(ROW, carried - 1)
    assert findings and all(f.fix == {ref: truth[carried]} for f in findings), [(f.rule, f.fix) for f in findings]


def test_a_consistent_row_with_its_known_values_is_located_without_a_solver():
    """A row whose rules all hold and whose known values are the ones written has nothing to locate:
    no suspect, and the solver (scipy, a second and 60 MB to import) is never imported for it."""
    import subprocess
    import sys

    probe = (
        "import random, sys\n"
        "sys.path.insert(0, 'tests')\n"
        "import rowgen\n"
        "from tthc_xl.core.layouts import load_layouts\n"
        "from tthc_xl.core.locate import Location, locate\n"
        "rng = random.Random(7)\n"
        "for layout in load_layouts().values():\n"
        "    for _ in range(300):\n"
        "        row = rowgen.consistent_row(layout, rng.randint)\n"
        "        if row is None:\n"
        "            continue\n"
        "        known = {n: row[n] for n in rng.sample(sorted(row), 2)}\n"
        "        assert locate(row, layout.rules, layout, known) == Location(), row\n"
        "print('scipy' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=str(Path(__file__).parent.parent))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
    assert locate(TU_PHAP, A.rules, A, {3: 845, 4: 181}) == Location()
