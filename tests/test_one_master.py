"""The command line and the Excel button write the same master: one sheet plan, two writers.

October is consolidated twice from the same unit files, after September was consolidated by the
command line into the same folder (so its history holds September): by `tthc-xl consolidate
--previous` (openpyxl) and by the «Tổng hợp» button through xlwings' remote engine, its actions
applied back with openpyxl (tests/xlwings_payload.py). Both masters are then compared cell by
cell: values, formulas, fills, fonts, alignment, borders, locks, notes, merges, column widths,
frozen panes, defined names, protection and the page setup.
"""

import shutil


import openpyxl
import pytest
import xlwings as xw

import xlwings_payload as xp
from compare_books import _charts, _look, column_width

from tthc_xl.cli.app import main
from tthc_xl.excel import buttons as excel
from tthc_xl.excel.charts import draw_chart_sheet
from tthc_xl.files import history

SHEET = "Phụ lục I"
ROOT = {}


def _new_master(path, period):
    assert main(["new-master", "--form", "mau-a", "--units", "soc-trang-so-nganh", "--period", period, "-o", str(path)]) == 0


@pytest.fixture(scope="module")
def both(unit_folder, tmp_path_factory):
    root = ROOT["root"] = tmp_path_factory.mktemp("one-master")
    reports = root / "thang-10"
    shutil.copytree(unit_folder, reports)
    september = root / "t9.xlsx"
    _new_master(september, "tháng 9 năm 2019")
    assert main(["consolidate", str(reports), "-o", str(september)]) == 1
    by_cli, by_button = root / "cli.xlsx", root / "nut.xlsx"
    _new_master(by_cli, "tháng 10 năm 2019")
    shutil.copy(by_cli, by_button)
    assert main(["consolidate", str(reports), "-o", str(by_cli), "--previous", str(september)]) == 1
    outcome, actions, _ = xp.run_button(
        excel.consolidate, by_button, edit=lambda data: xp.set_name(data, "ThuMucBaoCao", "thang-10"), root=root
    )
    assert outcome is not None
    return openpyxl.load_workbook(by_cli), openpyxl.load_workbook(by_button), outcome, actions


def test_the_previous_period_comes_from_the_history_on_the_button_path(both):
    cli, button, outcome, _ = both
    assert outcome.master.previous  # September's totals, from lich-su-tthc.sqlite beside the masters
    a, b = cli[SHEET], button[SHEET]
    last = outcome.master.last_row
    assert b.cell(last + 2, 2).value == a.cell(last + 2, 2).value == "Tổng cộng kỳ trước"
    assert b.cell(last + 3, 3).value == a.cell(last + 3, 3).value == f"=C{outcome.master.total_row.row}-C{last + 2}"
    carried = [f for f in outcome.findings if f.rule == "kỳ trước chuyển sang"]
    assert carried  # September's pending against October's carried-over, as `--previous` checks


def test_every_cell_of_the_appendix_is_the_same(both):
    cli, button, outcome, _ = both
    a, b = cli[SHEET], button[SHEET]
    assert (a.max_row, a.max_column) == (b.max_row, b.max_column) == (outcome.master.last_row + 3, 14)
    assert {str(r) for r in a.merged_cells.ranges} == {str(r) for r in b.merged_cells.ranges}
    for row in range(1, a.max_row + 1):
        for col in range(1, a.max_column + 1):
            x, y = a.cell(row, col), b.cell(row, col)
            assert x.value == y.value, x.coordinate
            assert _look(x) == _look(y), x.coordinate
            assert (x.comment.text if x.comment else None) == (y.comment.text if y.comment else None), x.coordinate
    assert a.freeze_panes == b.freeze_panes == "C9"
    assert a.protection.sheet and b.protection.sheet


def test_widths_heights_and_page_setup_are_the_same(both):
    cli, button, outcome, _ = both
    a, b = cli[SHEET], button[SHEET]
    for col in "ABCDEFGHIJKLMN":
        assert column_width(a, col) == pytest.approx(column_width(b, col), abs=0.01), col
    assert column_width(a, "B") >= 24  # the unit names' column, measured
    master = outcome.master
    for row in range(1, master.number_row + 1):  # titles and headers, merged: the measured heights
        assert a.row_dimensions[row].height == b.row_dimensions[row].height, row
    # The body's rows: measured in the file, fitted by Excel itself through the button (one call).
    assert all(a.row_dimensions[r].height for r in range(master.first_data_row, master.last_row + 1))
    assert all(b.row_dimensions[r].height is None for r in range(master.first_data_row, master.last_row + 1))
    assert a.print_area == b.print_area == "'Phụ lục I'!$A$1:$N$26"
    assert a.print_title_rows == b.print_title_rows == "$5:$8"
    assert a.page_setup.orientation == b.page_setup.orientation == "landscape"
    assert a.page_setup.paperSize == b.page_setup.paperSize
    assert (a.page_setup.fitToWidth, a.page_setup.fitToHeight) == (b.page_setup.fitToWidth, b.page_setup.fitToHeight) == (1, 0)
    assert a.print_options.horizontalCentered and b.print_options.horizontalCentered
    for side in ("top", "bottom", "left", "right", "header", "footer"):
        assert getattr(a.page_margins, side) == pytest.approx(getattr(b.page_margins, side), abs=1e-3), side
    assert a.oddFooter.center.text == b.oddFooter.center.text == "Trang &P/&N"


def test_names_and_the_check_sheet_are_the_same(both):
    cli, button, _, _ = both
    names = lambda book: {n: d.attr_text.replace("'", "") for n, d in book.defined_names.items()}  # noqa: E731
    assert names(cli) == names(button)
    assert names(cli)["TTHC_BANG"] == "Phụ lục I!$A$1:$N$29"
    a, b = cli["Kiểm tra"], button["Kiểm tra"]
    assert a.max_row == b.max_row
    for row in range(1, a.max_row + 1):
        if row == 2:
            continue  # the button's status line
        for col in range(1, 11):
            x, y = a.cell(row, col), b.cell(row, col)
            shown = y.value
            if isinstance(shown, str) and shown.startswith("=HYPERLINK("):
                shown = shown.rsplit(',"', 1)[1][:-2].replace('""', '"')
                assert x.hyperlink is not None, x.coordinate
            assert x.value == shown, x.coordinate
            if x.value is not None:  # an empty cell's font is nobody's business
                assert _look(x)[:5] == _look(y)[:5], x.coordinate  # fill and font (a link keeps its own style in a file)
    for col in "ABCDEFGHIJ":
        assert column_width(a, col) == column_width(b, col), col


def test_the_chart_sheet_is_the_same(both, tmp_path):
    cli, button, outcome, actions = both
    assert "addChart" not in [a["func"] for a in actions]  # not through the remote engine's consolidate (excel/charts.py)
    # The chart writer itself, through the remote engine, with the history's rows as the button passes them.
    path = tmp_path / "nut.xlsx"
    button.save(path)
    data = xp.payload(path)
    book = xw.Book(json=data)
    try:
        draw_chart_sheet(book, history.chart_rows(ROOT["root"] / "nut.xlsx", outcome))
        chart_actions = book.json()["actions"]
    finally:
        book.close()
    button = openpyxl.load_workbook(path)
    xp.apply_actions(button, chart_actions)
    a, b = cli["Biểu đồ"], button["Biểu đồ"]
    assert cli.sheetnames == button.sheetnames and cli.sheetnames[-1] == "Biểu đồ"
    assert a["B5"].value == 5661 and str(a["A5"].value).startswith("T9") and str(a["A6"].value).startswith("T10")  # September, then October
    assert (a.max_row, a.max_column) == (b.max_row, b.max_column)
    for row in range(1, a.max_row + 1):
        for col in range(1, a.max_column + 1):
            x, y = a.cell(row, col), b.cell(row, col)
            value = pytest.approx(y.value, rel=1e-12) if isinstance(y.value, float) else y.value  # a file keeps 15 digits
            assert (x.value, _look(x)) == (value, _look(y)), x.coordinate
    for col in "ABCDE":
        assert column_width(a, col) == column_width(b, col)
    assert len(_charts(a)) == 3 and _charts(a) == _charts(b)
    assert [a["func"] for a in chart_actions].count("addChart") == 3


def test_a_master_opened_for_writing_gives_its_table_without_a_second_parse(both, layouts, tmp_path):
    from tthc_xl.files.master_book import master_table, read_settings
    from tthc_xl.files.sources import read_master_table, units_from_table

    path = ROOT["root"] / "cli.xlsx"
    book = openpyxl.load_workbook(path)  # as `consolidate` opens the master it updates
    table, again = master_table(book, path, layouts), read_master_table(path, layouts)
    assert table.layout.name == again.layout.name == "mau-a"
    assert units_from_table(table).units == units_from_table(again).units and len(units_from_table(table).units) == 16
    assert read_settings(book).period == "tháng 10 năm 2019"
