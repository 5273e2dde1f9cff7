"""Header paths are made once per header (every unit's file of a layout has the same one): a header that
differs in any cell, merge or position must still be read as itself."""

from tthc_xl.files.grid import Grid, find_number_rows
from tthc_xl.files.read import header_paths

TITLE = ["BÁO CÁO THÁNG 10/2019", "", "", "", ""]
GROUPS = ["STT", "Đơn vị", "Số hồ sơ nhận", "Trong đó", ""]
LEAVES = ["", "", "Tổng số", "Kỳ trước", "Mới tiếp nhận"]
NUMBERS = ["1", "2", "3=(4+5)", "4", "5"]
UNIT = [1, "Xã A", 10, 4, 6]


def grid(rows, merges=(), top=0, left=0) -> Grid:
    return Grid(sheet="Trang1", values=[list(r) for r in rows], top=top, left=left, merges=list(merges))


def paths(g: Grid) -> tuple[dict, int]:
    return header_paths(g, find_number_rows(g)[0])


def test_the_same_header_under_another_title_gives_the_same_paths():
    first = paths(grid([TITLE, GROUPS, LEAVES, NUMBERS, UNIT], [((1, 3), (1, 4))]))
    other = paths(grid([["Đơn vị: UBND xã B", "", "", "", ""], GROUPS, LEAVES, NUMBERS, UNIT], [((1, 3), (1, 4))]))
    assert first == other == (
        {1: ("STT",), 2: ("Đơn vị",), 3: ("Số hồ sơ nhận", "Tổng số"), 4: ("Trong đó", "Kỳ trước"), 5: ("Trong đó", "Mới tiếp nhận")},
        1,
    )


def test_a_merge_that_differs_gives_other_paths():
    merged = paths(grid([TITLE, GROUPS, LEAVES, NUMBERS, UNIT], [((1, 3), (1, 4))]))
    unmerged = paths(grid([TITLE, GROUPS, LEAVES, NUMBERS, UNIT]))
    merged_again = paths(grid([TITLE, GROUPS, LEAVES, NUMBERS, UNIT], [((1, 3), (1, 4))]))
    assert merged[0][5] == merged_again[0][5] == ("Trong đó", "Mới tiếp nhận")
    assert unmerged[0][5] == ("Mới tiếp nhận",)


def test_a_merge_from_above_the_header_brings_its_own_text():
    """A range merged down from a row above the header (its text is outside the header rows) is part of the key."""
    rows = [["", "", "Nhóm X", "", ""], GROUPS, LEAVES, NUMBERS, UNIT]
    x = paths(grid(rows, [((0, 2), (2, 2)), ((1, 3), (1, 4))]))
    rows[0][2] = "Nhóm Y"
    y = paths(grid(rows, [((0, 2), (2, 2)), ((1, 3), (1, 4))]))
    assert x[0][3][0] != y[0][3][0]
    assert {x[0][3][0], y[0][3][0]} == {"Nhóm X", "Nhóm Y"}


def test_one_header_cell_that_differs_gives_other_paths_and_a_header_at_another_place_its_own_rows():
    changed = list(LEAVES)
    changed[4] = "Tiếp nhận mới trong kỳ"
    a = paths(grid([TITLE, GROUPS, LEAVES, NUMBERS, UNIT], [((1, 3), (1, 4))]))
    b = paths(grid([TITLE, GROUPS, changed, NUMBERS, UNIT], [((1, 3), (1, 4))]))
    assert a[0][5][-1] == "Mới tiếp nhận" and b[0][5][-1] == "Tiếp nhận mới trong kỳ"
    lower = paths(grid([TITLE, GROUPS, LEAVES, NUMBERS, UNIT], [((3, 3), (3, 4))], top=2))
    assert lower[1] == 3  # the same cells two rows lower: the first header row is row 3
    assert lower[0][4] == ("Trong đó", "Kỳ trước")


def test_paths_handed_out_are_the_callers_own():
    a = paths(grid([TITLE, GROUPS, LEAVES, NUMBERS, UNIT], [((1, 3), (1, 4))]))
    a[0][3] = ("changed",)
    b = paths(grid([TITLE, GROUPS, LEAVES, NUMBERS, UNIT], [((1, 3), (1, 4))]))
    assert b[0][3] == ("Số hồ sơ nhận", "Tổng số")
