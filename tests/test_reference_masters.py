"""Both adapters against reference masters saved by LibreOffice (tests/reference/, written by
tests/make_reference_masters.py): groups, previous period, marks, partial month.

Each case is rebuilt from the same unit files by `tthc-xl consolidate` (openpyxl) and by the
«Tổng hợp» button (xlwings' remote engine, applied back with openpyxl) and compared with the
committed file cell by cell (values and formulas, fills, fonts, alignment, number formats, locks,
borders, notes), merges, widths, row heights, print settings and defined names. The reference's
figures are LibreOffice's own results of the formulas: they must be the figures the master caches.
"""

import re

import openpyxl
import pytest

import reference_cases

from tthc_xl.core.contract import IDENTITY_NAME

SHEET = "Phụ lục I"


def _look(cell):
    return (
        cell.value,
        cell.fill.fgColor.rgb[-6:] if cell.fill.fill_type else None,
        cell.font.name, bool(cell.font.b), bool(cell.font.i),
        cell.alignment.horizontal or "general", bool(cell.alignment.wrap_text),  # LibreOffice names the default
        cell.number_format.replace("\\", "") if cell.value is not None else None,  # LibreOffice escapes "+" and "-"
        cell.protection.locked, cell.border.left.style, cell.border.top.style,
        cell.comment.text if cell.comment else None,
    )


def _width(sheet, col: int) -> float | None:
    """A column's width; LibreOffice saves equal neighbours as one range (min..max)."""
    for dimension in sheet.column_dimensions.values():
        if dimension.min and dimension.max and dimension.min <= col <= dimension.max:
            return dimension.width
    return None


@pytest.fixture(scope="module", params=reference_cases.CASES)
def case(request, tmp_path_factory):
    name = request.param
    root = tmp_path_factory.mktemp(name)
    made = {"command": reference_cases.by_command(name, root / "cli"), "button": reference_cases.by_button(name, root / "nut")}
    return name, made, openpyxl.load_workbook(reference_cases.REFERENCE / f"{name}.xlsx")


@pytest.mark.parametrize("adapter", ["command", "button"])
def test_the_appendix_is_the_reference_cell_for_cell(case, adapter):
    name, made, reference = case
    ours, theirs = openpyxl.load_workbook(made[adapter])[SHEET], reference[SHEET]
    assert (ours.max_row, ours.max_column) == (theirs.max_row, theirs.max_column), name
    assert {str(r) for r in ours.merged_cells.ranges} == {str(r) for r in theirs.merged_cells.ranges}
    for row in range(1, theirs.max_row + 1):
        for col in range(1, theirs.max_column + 1):
            assert _look(ours.cell(row, col)) == _look(theirs.cell(row, col)), (name, adapter, ours.cell(row, col).coordinate)
    assert ours.protection.sheet and theirs.protection.sheet


@pytest.mark.parametrize("adapter", ["command", "button"])
def test_widths_heights_print_settings_and_names_are_the_reference(case, adapter):
    name, made, reference = case
    book = openpyxl.load_workbook(made[adapter])
    ours, theirs = book[SHEET], reference[SHEET]
    for col in range(1, 15):
        assert _width(ours, col) == pytest.approx(_width(theirs, col), abs=0.01), (name, col)
    first_body = 9
    body_end = next(r for r in range(first_body, theirs.max_row + 1) if theirs.cell(r, 2).value == "Tỷ lệ %")
    for row in range(1, body_end + 1):
        if adapter == "button" and row >= first_body:
            assert ours.row_dimensions[row].height is None  # the button asks Excel to fit the body's rows
            continue
        height, planned = theirs.row_dimensions[row].height, ours.row_dimensions[row].height
        if planned is None:  # the blank row: LibreOffice writes its default height
            assert height is None or height <= 15, (name, row)
        else:
            assert planned == pytest.approx(height, abs=1.0), (name, row)  # LibreOffice rounds to its units
    assert ours.print_area == theirs.print_area and ours.print_title_rows == theirs.print_title_rows == "$5:$8"
    assert ours.page_setup.orientation == theirs.page_setup.orientation == "landscape"
    assert (ours.page_setup.fitToWidth, ours.page_setup.fitToHeight) == (theirs.page_setup.fitToWidth, theirs.page_setup.fitToHeight)
    for side in ("top", "bottom", "left", "right", "footer"):
        assert getattr(ours.page_margins, side) == pytest.approx(getattr(theirs.page_margins, side), abs=0.01), (name, side)
    names = lambda b: {n: d.attr_text.replace("'", "") for n, d in b.defined_names.items() if not n.startswith("_xlnm")}  # noqa: E731
    ours_names, their_names = names(book), names(reference)
    # Each master is given its own identity when it is made (the history beside it belongs to it).
    assert re.fullmatch(r'"[0-9a-f]{16}"', ours_names.pop(IDENTITY_NAME, "")) and IDENTITY_NAME in their_names
    their_names.pop(IDENTITY_NAME)
    assert ours_names == their_names


def test_the_cached_figures_are_what_libreoffice_computes(case):
    name, made, reference = case
    computed = openpyxl.load_workbook(reference_cases.REFERENCE / f"{name}.xlsx", data_only=True)[SHEET]
    cached = openpyxl.load_workbook(made["command"], data_only=True)[SHEET]
    formulas = reference[SHEET]
    checked = 0
    for row in formulas.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                theirs, ours = computed[cell.coordinate].value, cached[cell.coordinate].value
                if ours is None:  # a unit that sent nothing: no figure cached, LibreOffice computes 0
                    assert theirs == 0, (name, cell.coordinate, cell.value)
                    continue
                assert ours == pytest.approx(theirs), (name, cell.coordinate, cell.value)
                checked += 1
    assert checked > 50  # every formula of the table: derived columns, subtotals, totals, percentages


def test_the_cases_show_their_feature(case):
    name, _, reference = case
    sheet = reference[SHEET]
    labels = [sheet.cell(r, 2).value for r in range(9, sheet.max_row + 1)]
    if name == "nhom":
        assert labels[0] == "Cấp tỉnh" and "Cấp huyện" in labels and sheet["A9"].value == "I"
    if name == "ky-truoc":
        assert "Tổng cộng kỳ trước" in labels and "Tăng (+), giảm (-) so với kỳ trước" in labels
    if name == "danh-dau":
        assert sheet["F11"].fill.fgColor.rgb.endswith("FFC7CE") and "Sở Giáo dục" in sheet["F11"].comment.text
    if name == "thieu-don-vi":
        blank = [r for r in range(9, 25) if sheet.cell(r, 4).value is None]
        assert len(blank) == 3  # three units that sent nothing: their inputs stay blank
