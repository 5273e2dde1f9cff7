"""The core's plans as plain data (no file, no engine): what goes in each cell of the appendix and
"Kiểm tra" sheets, how it looks, and how few rectangles cover it."""

from tthc_xl.core import style
from tthc_xl.core.frames import master_frame
from tthc_xl.core.marks import CHECK_FIRST_ROW, CheckSheet, Link
from tthc_xl.core.master import Settings, build_master
from tthc_xl.core.model import Cell, Row, UNIT
from tthc_xl.core.print_plan import print_settings
from tthc_xl.core.sheet_plan import Formula, Look, a1_range, a1_rc, check_plan, master_plan, rectangles, region_end, runs

# Two units of mau-a in two groups; Sở B's own total (6) disagrees with 7 + 8 + 9.
FIGURES = {
    "Sở A": [10, 4, 6, 8, 5, 2, 1, 2, 2, 0, 1, 3],
    "Huyện B": [20, 0, 20, 15, 10, 2, 1, 5, 5, 0, 0, 9],
}


def _master(layouts, previous=None):
    layout = layouts["mau-a"]
    reported = {}
    for name, values in FIGURES.items():
        cells = {n: Cell(f"X{n}", v, v) for n, v in zip(range(3, 15), values)}
        reported[name] = Row(UNIT, name, cells, name)
    groups = [("Cấp tỉnh", ["Sở A"]), ("Cấp huyện", ["Huyện B", "Huyện C"])]
    return build_master(layout, Settings(period="tháng 10 năm 2019"), groups, reported, previous)


def test_the_body_block_holds_orders_labels_values_and_formulas(layouts):
    master = _master(layouts)
    plan = master_plan(master, master.findings)
    row, col, body = plan.blocks[2]
    assert (row, col) == (master.first_data_row, 1) == (9, 1)
    assert [line[:3] for line in body[:4]] == [["I", "Cấp tỉnh", "=SUM(C10:C10)"], [1, "Sở A", "=D10+E10"],
                                                ["II", "Cấp huyện", "=SUM(C12:C13)"], [1, "Huyện B", "=D12+E12"]]
    assert isinstance(body[1][2], Formula) and not isinstance(body[1][1], Formula)
    assert body[3][5] == 15  # Huyện B's own 6, kept as written (10 + 1 + 2 = 13)
    assert body[4][:4] == [2, "Huyện C", "chưa gửi", None]  # sent nothing: the mark, no formula, blank inputs
    assert plan.computed[(10, 3)] == 10 and plan.computed[(master.total_row.row, 3)] == 30


def test_looks_follow_the_role_of_each_cell(layouts):
    master = _master(layouts)
    plan = master_plan(master, [])
    looks = plan.looks
    assert looks[(10, 4)] == Look(border=True, horizontal="right", vertical="center", fill=style.INPUT_FILL, locked=False,
                                  number_format=style.COUNT_FORMAT)
    assert looks[(10, 3)].fill == style.FORMULA_FILL and looks[(10, 3)].locked
    assert looks[(12, 6)].fill == style.INPUT_FILL  # a total kept as the unit wrote it is an input
    assert looks[(9, 2)].bold and looks[(9, 3)].fill == style.FORMULA_FILL  # the group's subtotal
    percent = master.rows_of("percent")[0].row
    assert looks[(percent, 7)].number_format == style.PERCENT_FORMAT
    assert looks[(1, 1)].size == style.TITLE_SIZE and looks[(3, 1)].italic
    assert (1, 1, 1, 14) in plan.merges and plan.freeze == (9, 3)


def test_marks_notes_widths_print_and_the_table_name(layouts):
    master = _master(layouts)
    plan = master_plan(master, master.findings)
    colour, notes = plan.marks["F12"]
    assert colour == style.ERROR_FILL and "Huyện B" in notes[0]
    assert plan.marks["G12"][0] == style.SUSPECT_FILL
    assert plan.widths == print_settings(master).column_widths and plan.print.area == (1, 1, master.last_row, 14)
    assert plan.names == {"TTHC_BANG": f"='Phụ lục I'!$A$1:$N${master.last_row}"}
    assert plan.fitted == (9, master.last_row) and plan.protect


def test_the_previous_period_adds_two_rows_and_extends_the_region(layouts):
    master = _master(layouts, previous={n: 1 for n in range(3, 15)})
    plan = master_plan(master, [])
    row, _, values = plan.blocks[-1]
    assert row == master.last_row + 2 and region_end(master) == master.last_row + 3
    assert values[0][1] == "Tổng cộng kỳ trước" and values[0][2] == 1
    assert values[1][2] == f"=C{master.total_row.row}-C{row}" and plan.computed[(row + 1, 3)] == 29
    assert plan.looks[(row + 1, 3)] == Look(number_format=style.CHANGE_FORMAT, fill=style.FORMULA_FILL)


def test_unlocked_cells_are_a_few_rectangles(layouts):
    plan = master_plan(_master(layouts), [])
    # Inputs of the two unit rows with data; F12 is Huyện B's own total, kept and typed over.
    assert [a1_range(*r) for r in plan.unlocked()] == ["D10:E10", "D12:E13", "F12", "G10:I10", "G12:I13", "K10:N10", "K12:N13"]


def test_rectangles_join_runs_and_let_painted_cells_join_their_neighbours():
    cells = {(r, c): "grey" for r in range(1, 6) for c in (1, 2)}
    cells[(3, 2)] = "white"
    assert rectangles(cells) == [(1, 1, 5, 1, "grey"), (1, 2, 2, 2, "grey"), (3, 2, 3, 2, "white"), (4, 2, 5, 2, "grey")]
    assert rectangles(cells, free={(3, 2)}) == [(1, 1, 5, 2, "grey")]
    assert runs([5, 1, 2, 3, 7]) == [(1, 3), (5, 5), (7, 7)]
    assert a1_rc("$AB$12") == (12, 28) and a1_range(1, 1, 1, 1) == "A1" and a1_range(2, 3, 4, 14) == "C2:N4"


def test_the_check_sheet_plan():
    rows = [["STT"] + [None] * 9, [1, "Lỗi", Link("F11", "#'Phụ lục I'!F11")] + [None] * 7, [None] * 10, ["ĐƠN VỊ CHƯA GỬI BÁO CÁO"] + [None] * 9]
    content = CheckSheet("KẾT QUẢ KIỂM TRA: 1 lỗi", rows, fills=[(4, 2, style.ERROR_FILL)], bold=[6], last_finding=4)
    plan = check_plan("Kiểm tra", content)
    (row, col, values), = plan.blocks  # one write: the title, the status row left blank, the rows from CHECK_FIRST_ROW
    assert (row, col) == (1, 1) and values[0][0] == "KẾT QUẢ KIỂM TRA: 1 lỗi" and values[1] == [None] * 10
    assert values[CHECK_FIRST_ROW - 1][0] == "STT" and values[CHECK_FIRST_ROW][2] == Link("F11", "#'Phụ lục I'!F11")
    assert plan.looks[(3, 1)] == Look(bold=True, fill=style.HEADER_FILL, border=True)
    assert plan.looks[(4, 2)].fill == style.ERROR_FILL and plan.looks[(4, 3)].color == "0563C1"
    assert plan.looks[(2, 5)] == Look()  # the status row too, in the table's font
    assert plan.looks[(6, 1)] == Look(bold=True, vertical="top")  # a heading under the table
    assert (5, 1) not in plan.looks and (6, 2) not in plan.looks  # under the table: only the cells that say something
    assert plan.widths[6] == 50 and not plan.protect  # the message column, wrapped on a landscape page


def test_a_pandas_view_of_the_master_for_analysts(layouts):
    master = _master(layouts)
    frame = master_frame(master)
    assert list(frame.index) == ["Sở A", "Huyện B", "Huyện C"]
    assert frame.loc["Huyện B", "group"] == "Cấp huyện" and not frame.loc["Huyện C", "reported"]
    totals = master.totals()
    layout = layouts["mau-a"]
    assert {k: frame[k].sum() for k in frame.columns[2:]} == {layout.column(n).key: totals[n] for n in layout.count_columns}
    assert frame.groupby("group")["received"].sum().to_dict() == {"Cấp huyện": 20, "Cấp tỉnh": 10}
