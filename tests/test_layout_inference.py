"""A layout is chosen by its columns' headers, inferred from the header when no file describes it, never guessed."""

import json

from openpyxl import Workbook

from tthc_xl.cli.app import main
from tthc_xl.core.model import ERROR, TOTAL, UNIT
from tthc_xl.files.check import check_files
from tthc_xl.files.read import read_file

# Another province's 13-column appendix: an inter-agency column, no "early" column, a (1) … (13)
# number row, and its columns in another order than Biểu II.06a (mau-b, also 13 columns).
HEADER_13 = [
    ["STT", "Tên đơn vị", "Số hồ sơ nhận giải quyết", None, None, None, None,
     "Số hồ sơ đã giải quyết", None, None, "Số hồ sơ đang giải quyết", None, None],
    [None, None, "Tổng số", "Trong đó", None, None, None, "Tổng số", "Trong đó", None, "Tổng số", "Trong đó", None],
    [None, None, None, "Kỳ trước\nchuyển sang", "Tiếp nhận trực tuyến", "Tiếp nhận trực tiếp", "Tiếp nhận liên thông",
     None, "Đúng hạn", "Quá hạn", None, "Trong hạn", "Quá hạn"],
]
MERGES_13 = ["A1:A3", "B1:B3", "C1:G1", "H1:J1", "K1:M1", "C2:C3", "D2:G2", "H2:H3", "I2:J2", "K2:K3", "L2:M2"]
# (unit, columns 3..13): 3 = 4+5+6+7, 8 = 9+10, 11 = 12+13, 3 = 8+11
UNITS_13 = [
    ("UBND xã An Hòa", [145, 20, 80, 40, 5, 120, 118, 2, 25, 25, 0]),
    ("UBND xã Bình Minh", [60, 10, 30, 18, 2, 51, 50, 1, 9, 8, 1]),
    ("UBND phường Châu Thành", [1210, 110, 800, 290, 10, 1000, 990, 10, 210, 205, 5]),
]


def write_13(path, units=UNITS_13, header=HEADER_13, merges=MERGES_13):
    book = Workbook()
    sheet = book.active
    sheet.title = "Phụ lục"
    sheet.append(["BÁO CÁO KẾT QUẢ GIẢI QUYẾT TTHC QUÝ III NĂM 2025"])
    sheet.append([])
    for row in header:
        sheet.append(row)
    sheet.append([f"({n})" for n in range(1, 14)])
    for index, (name, values) in enumerate(units, start=1):
        sheet.append([index, name, *values])
    sheet.append([None, "Tổng cộng", *(sum(v[i] for _, v in units) for i in range(11))])
    for ref in merges:
        first, last = ref.split(":")
        sheet.merge_cells(f"{first[0]}{int(first[1:]) + 2}:{last[0]}{int(last[1:]) + 2}")
    book.save(path)
    return path


def test_an_unseen_13_column_layout_is_inferred_from_its_header(tmp_path, layouts):
    table_file = write_13(tmp_path / "xa.xlsx")
    result = read_file(table_file, layouts)
    assert result.error == ""
    (table,) = result.tables
    layout = table.layout
    assert layout.name == "suy-ra-tieu-de-cot" and layout.description == "mẫu suy ra từ tiêu đề cột"
    assert {(r.left, r.right) for r in layout.rules} == {(3, (4, 5, 6, 7)), (8, (9, 10)), (11, (12, 13)), (3, (8, 11))}
    assert [c.key for c in layout.columns] == [
        "order", "unit", "received", "carried_over", "received_online", "received_direct", "received_interagency",
        "resolved", "resolved_on_time", "resolved_late", "pending", "pending_in_time", "pending_overdue",
    ]
    assert [r.unit for r in table.rows_of(UNIT)] == [name for name, _ in UNITS_13]
    checked = check_files([table_file], layouts)
    assert checked.findings == []
    assert "mẫu suy ra từ tiêu đề cột" in checked.form


def test_the_inferred_layout_consolidates_to_the_right_totals_and_says_what_it_is(tmp_path, capsys):
    folder = tmp_path / "don-vi"
    folder.mkdir()
    for index, unit in enumerate(UNITS_13):
        write_13(folder / f"{index}.xlsx", units=[unit])
    out = tmp_path / "ket-qua.json"
    code = main(["consolidate", str(folder), "-o", str(tmp_path / "tong-hop.xlsx"), "--json", str(out)])
    printed = capsys.readouterr().out
    assert code == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["findings"] == []
    assert data["totals"] == {str(n): sum(v[n - 3] for _, v in UNITS_13) for n in range(3, 14)}
    assert "mẫu suy ra từ tiêu đề cột" in printed and "(3) = (4) + (5) + (6) + (7)" in printed
    assert data["form_rules"][:1] == ["(3) = (4) + (5) + (6) + (7)"]


def test_a_digit_swap_in_the_inferred_layout_is_found(tmp_path, layouts):
    swapped = [("UBND xã An Hòa", [154, 20, 80, 40, 5, 120, 118, 2, 25, 25, 0])] + UNITS_13[1:]
    result = check_files([write_13(tmp_path / "xa.xlsx", units=swapped)], layouts)
    errors = [(f.unit, f.rule, f.cell) for f in result.findings if f.severity == ERROR]
    assert ("UBND xã An Hòa", "(3) = (4) + (5) + (6) + (7)", "C7") in errors
    assert ("UBND xã An Hòa", "(3) = (8) + (11)", "C7") in errors
    # The swapped cell is the one both broken rules share.
    row = next(f for f in result.findings if f.rule == "(3) = (4) + (5) + (6) + (7)")
    assert row.suspects == ["C7"] and row.fix == {"C7": 145}


def test_a_table_no_layout_fits_is_refused_column_by_column(tmp_path, layouts):
    header = [["STT", "Đơn vị", "Mức độ hài lòng", None, None, None, None, None, "Hình thức đánh giá", None, None, None, None],
              [None, None, "Rất hài lòng", "Hài lòng", "Bình thường", "Không hài lòng", "Rất không hài lòng", "Khác",
               "Qua ứng dụng", "Qua phiếu", "Qua điện thoại", "Trực tiếp tại quầy", "Khác"]]
    book = Workbook()
    sheet = book.active
    for row in header:
        sheet.append(row)
    sheet.append(list(range(1, 14)))
    sheet.append([1, "UBND xã An Hòa", 5, 4, 3, 2, 1, 0, 6, 4, 3, 2, 0])
    path = tmp_path / "danh-gia.xlsx"
    book.save(path)
    result = read_file(path, layouts)
    assert result.tables == []
    assert "không khớp mẫu biểu nào" in result.error and "không được đọc" in result.error
    assert "Mẫu gần nhất là mau-b" in result.error
    assert "cột 3: bảng ghi “Mức độ hài lòng - Rất hài lòng”, mẫu ghi “Số hồ sơ nhận giải quyết - Tổng số”" in result.error
    assert f"tthc-xl forms --from \"{path}\" -o mau-moi.toml" in result.error


def test_mau_b_is_not_taken_for_a_13_column_table_with_two_words_in_common(tmp_path, layouts):
    result = read_file(write_13(tmp_path / "xa.xlsx"), {"mau-b": layouts["mau-b"]}, form="mau-b")
    assert result.tables == []
    assert "cột 4: bảng ghi “Số hồ sơ nhận giải quyết - Trong đó - Kỳ trước chuyển sang”" in result.error


def test_small_wording_differences_still_fit_the_layout(tmp_path, layouts):
    # "Kỳ trước" for "Kỳ trước chuyển sang", "Hồ sơ bị trả lại" for "Hồ sơ bị trả lại, rút hồ sơ", line breaks, no diacritics.
    header = ["STT", "Don vi", "So ho so nhan giai quyet - Tong so", "Kỳ trước", "Số mới\ntiếp nhận", "Đã giải quyết - Tổng số",
              "Đã giải quyết - Trước hạn", "ĐÃ GIẢI QUYẾT - ĐÚNG HẠN", "Đã giải quyết - Quá hạn", "Đang giải quyết - Tổng số",
              "Đang giải quyết - Còn hạn", "Đang giải quyết - Quá hạn", "Hồ sơ bị trả lại", "Hồ sơ nhận qua trực tuyến"]
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    sheet.append(list(range(1, 15)))
    sheet.append([1, "Sở Tư pháp", 845, 181, 664, 617, 605, 0, 12, 228, 207, 21, 0, 23])
    path = tmp_path / "tp.xlsx"
    book.save(path)
    (table,) = read_file(path, layouts).tables
    assert table.layout.name == "mau-a"
    assert table.rows_of(TOTAL) == []


def test_the_report_quotes_a_master_built_with_an_inferred_layout(tmp_path, capsys):
    from docx import Document

    folder = tmp_path / "don-vi"
    folder.mkdir()
    for index, unit in enumerate(UNITS_13):
        write_13(folder / f"{index}.xlsx", units=[unit])
    master = tmp_path / "th.xlsx"
    assert main(["consolidate", str(folder), "-o", str(master), "--period", "tháng 10 năm 2025"]) == 0
    assert main(["report", str(master), "-o", str(tmp_path / "bc.docx")]) == 0
    text = "\n".join(p.text for p in Document(tmp_path / "bc.docx").paragraphs)
    assert "đã tiếp nhận 1.415 hồ sơ TTHC" in text and "Kỳ trước chuyển sang: 140 hồ sơ" in text
    assert "Đã giải quyết 1.171 hồ sơ (chiếm 82,76 % trên tổng số 1.415 hồ sơ)" in text
    assert "Có 910 hồ sơ tiếp nhận qua hình thức trực tuyến" in text


def test_a_total_column_followed_by_its_trong_do_group_adds_them_up(tmp_path, layouts):
    header = [["STT", "Đơn vị", "Tổng số hồ sơ tiếp nhận", "Trong đó", None, "Đã giải quyết", None, None, "Đang giải quyết", None, None],
              [None, None, None, "Kỳ trước chuyển sang", "Tiếp nhận mới", "Tổng số", "Đúng hạn", "Quá hạn", "Tổng số", "Trong hạn", "Quá hạn"]]
    book = Workbook()
    sheet = book.active
    for row in header:
        sheet.append(row)
    sheet.append([f"({n})" for n in range(1, 12)])
    sheet.append([1, "UBND xã An Hòa", 100, 30, 70, 80, 79, 1, 20, 20, 0])
    sheet.append([2, "UBND xã Bình Minh", 50, 10, 41, 40, 40, 0, 10, 9, 1])  # 50 ≠ 10 + 41
    for ref in ("A1:A2", "B1:B2", "C1:C2", "D1:E1", "F1:H1", "I1:K1"):
        sheet.merge_cells(ref)
    book.save(tmp_path / "xa.xlsx")
    result = check_files([tmp_path / "xa.xlsx"], layouts)
    (table,) = result.tables
    assert {(r.left, r.right) for r in table.layout.rules} == {(3, (4, 5)), (6, (7, 8)), (9, (10, 11)), (3, (6, 9))}
    assert [(f.unit, f.rule) for f in result.findings] == [("UBND xã Bình Minh", "(3) = (4) + (5)")]


def test_a_trong_do_of_one_column_is_a_part_at_most_its_total_not_the_whole(tmp_path, layouts):
    header = [["STT", "Đơn vị", "Số hồ sơ nhận giải quyết", None, "Số hồ sơ đã giải quyết", None, None],
              [None, None, "Tổng số", "Trong đó", "Tổng số", "Đúng hạn", "Quá hạn"],
              [None, None, None, "Trực tuyến", None, None, None]]
    book = Workbook()
    sheet = book.active
    for row in header:
        sheet.append(row)
    sheet.append(list(range(1, 8)))
    sheet.append([1, "UBND xã An Hòa", 100, 60, 80, 79, 1])  # 60 of the 100 online: no error
    sheet.append([2, "UBND xã Bình Minh", 50, 51, 40, 40, 0])  # 51 online of 50 received
    for ref in ("A1:A3", "B1:B3", "C1:D1", "E1:G1", "C2:C3", "E2:E3", "F2:F3", "G2:G3"):
        sheet.merge_cells(ref)
    book.save(tmp_path / "xa.xlsx")
    result = check_files([tmp_path / "xa.xlsx"], layouts)
    (table,) = result.tables
    assert {(r.left, r.op, r.right) for r in table.layout.rules} == {(4, "<=", (3,)), (5, "=", (6, 7))}
    assert table.layout.percent[4] == 3
    assert [(f.unit, f.rule) for f in result.findings] == [("UBND xã Bình Minh", "(4) ≤ (3)")]


def test_a_trong_do_naming_only_some_channels_raises_no_error_on_clean_figures(tmp_path, layouts):
    header = [["STT", "Đơn vị", "Số hồ sơ nhận giải quyết", None, None, "Số hồ sơ đã giải quyết", None, None],
              [None, None, "Tổng số", "Trong đó", None, "Tổng số", "Đúng hạn", "Quá hạn"],
              [None, None, None, "Trực tuyến", "Liên thông", None, None, None]]
    book = Workbook()
    sheet = book.active
    for row in header:
        sheet.append(row)
    sheet.append(list(range(1, 9)))
    sheet.append([1, "UBND xã An Hòa", 100, 40, 10, 80, 79, 1])  # in person (not a column) makes up the rest
    sheet.append([2, "UBND xã Bình Minh", 50, 20, 60, 40, 40, 0])  # 60 inter-agency of 50 received
    for ref in ("A1:A3", "B1:B3", "C1:E1", "F1:H1", "C2:C3", "D2:E2", "F2:F3", "G2:G3", "H2:H3"):
        sheet.merge_cells(ref)
    book.save(tmp_path / "xa.xlsx")
    result = check_files([tmp_path / "xa.xlsx"], layouts)
    (table,) = result.tables
    assert {(r.left, r.op, r.right) for r in table.layout.rules} == {(4, "<=", (3,)), (5, "<=", (3,)), (6, "=", (7, 8))}
    assert [(f.unit, f.rule) for f in result.findings] == [("UBND xã Bình Minh", "(5) ≤ (3)")]
