"""Dossier lists in, appendix rows out: counts known by construction, lateness in working time,
reported figures set against the dossiers', bad rows as findings, the 766 indicators."""

import csv
import datetime as dt
import json
from pathlib import Path

import openpyxl
import pytest

from tthc_xl.cli.app import main
from tthc_xl.core import dossiers as ds
from tthc_xl.core.calendars import load_calendar
from tthc_xl.core.indicators import APPENDIX, indicators
from tthc_xl.core.layouts import LayoutError, load_layouts
from tthc_xl.core.style import ERROR_FILL
from tthc_xl.files.dossiers import DossierStore
from tthc_xl.files.read import read_file

S1, S2 = "Sở Tư pháp", "Sở Xây dựng"
OCTOBER = (dt.date(2026, 10, 1), dt.date(2026, 10, 31))

# A test calendar for 2026: two public holidays (Mon 12 and Tue 13 October) and a make-up working
# Saturday (17 October); hours 07:30–11:30, 13:30–17:30; hand-over cut-offs 10:30 and 16:30.
CALENDAR = """
year = 2026
weekend = [6, 7]
hours = [["07:30", "11:30"], ["13:30", "17:30"]]
handover = ["10:30", "16:30"]
holidays = ["2026-10-12", "2026-10-13"]
workdays = ["2026-10-17"]
"""


def t(text):
    return dt.datetime.strptime(text, "%d/%m %H:%M").replace(year=2026) if text else None


# Each dossier: (code, unit, channel, received, limit in working days, software's due, supplement
# requested, supplement received, finished, rejected, software status, outcome by its dates).
# The outcome is worked out by hand in the comment, never by the code under test.
DOSSIERS = [
    # Mon 08:00 + 1 day = Tue 08:00; finished Monday → early.
    ("A01", S1, "online", "05/10 08:00", 1, "06/10 08:00", "", "", "05/10 15:00", "", ds.EARLY, ds.EARLY),
    # due Tue 08:00, finished Tue 07:50 (the due day) → on time.
    ("A02", S1, "direct", "05/10 08:00", 1, "06/10 08:00", "", "", "06/10 07:50", "", ds.ON_TIME, ds.ON_TIME),
    # The 10:30 cut-off: received 10:40, the clock starts at 13:30 → due Tue 13:30; finished Tue 11:00
    # → on time. The software counted from 10:40 (due Tue 10:40) and says late.
    ("A03", S1, "direct", "05/10 10:40", 1, "06/10 10:40", "", "", "06/10 11:00", "", ds.LATE, ds.ON_TIME),
    # Holidays: Fri 09:00 + 2 working days, Mon 12 and Tue 13 off → Thu 15 09:00; finished Wed → early.
    ("A04", S1, "online", "09/10 09:00", 2, "15/10 09:00", "", "", "14/10 16:00", "", ds.EARLY, ds.EARLY),
    # Supplement: Thu 01 08:00 + 3 days = Tue 06 08:00; waiting Fri 02 08:00 → Wed 07 08:00 is
    # 450 + 480 + 480 + 30 = 1 440 working minutes = 3 days → due Fri 09 08:00; finished Fri 07:45
    # → on time. The software did not stop the clock and says late.
    ("A05", S1, "direct", "01/10 08:00", 3, "06/10 08:00", "02/10 08:00", "07/10 08:00", "09/10 07:45", "", ds.LATE, ds.ON_TIME),
    # due Tue 08:00, finished Wed → late.
    ("A06", S1, "direct", "05/10 08:00", 1, "06/10 08:00", "", "", "07/10 09:00", "", ds.LATE, ds.LATE),
    # Carried over: Tue 29/9 + 5 days = Tue 06/10 08:00; finished Mon 05/10 → early (online, but not new).
    ("A07", S1, "online", "29/09 08:00", 5, "06/10 08:00", "", "", "05/10 09:00", "", ds.EARLY, ds.EARLY),
    # Mon 26 + 5 days = Mon 02/11 08:00; open at the end of October → pending in time.
    ("A08", S1, "online", "26/10 08:00", 5, "02/11 08:00", "", "", "", "", ds.IN_TIME, ds.IN_TIME),
    # Thu 15 + 3 days with the make-up Saturday: Fri 16, Sat 17, Mon 19 08:00; open → overdue.
    # The software says in time.
    ("A09", S1, "direct", "15/10 08:00", 3, "20/10 08:00", "", "", "", "", ds.IN_TIME, ds.OVERDUE),
    # Make-up Saturday: Thu 15 09:00 + 2 days = Sat 17 09:00; finished Mon 19 08:00 → late.
    # Without the make-up day the due would be Mon 19 09:00; the software says on time.
    ("A10", S1, "direct", "15/10 09:00", 2, "19/10 09:00", "", "", "19/10 08:00", "", ds.ON_TIME, ds.LATE),
    # Returned to the applicant on Wed 07.
    ("A11", S1, "direct", "06/10 08:00", 3, "09/10 08:00", "", "", "", "07/10 10:00", ds.RETURNED, ds.RETURNED),
    # Due Wed 21 08:00, but waiting for the applicant's supplement since Tue 20 → pending in time.
    ("A12", S1, "online", "19/10 08:00", 2, "21/10 08:00", "20/10 09:00", "", "", "", ds.SUPPLEMENT, ds.IN_TIME),
    # Finished before the period: not counted.
    ("A13", S1, "direct", "01/09 08:00", 5, "08/09 08:00", "", "", "15/09 08:00", "", ds.LATE, None),
    # Received after the period: not counted.
    ("A14", S1, "direct", "02/11 08:00", 5, "09/11 08:00", "", "", "", "", ds.PENDING, None),
    # Carried over, still open, 30 days → pending in time.
    ("A15", S1, "direct", "28/09 08:00", 30, "10/11 08:00", "", "", "", "", ds.PENDING, ds.IN_TIME),
    # Sở Xây dựng: Thu 01 + 2 days = Mon 05 08:00, finished Fri 02 → early.
    ("B01", S2, "online", "01/10 08:00", 2, "05/10 08:00", "", "", "02/10 10:00", "", ds.EARLY, ds.EARLY),
    # Thu 01 + 1 day = Fri 02 08:00, finished Fri 15:00 → late.
    ("B02", S2, "direct", "01/10 08:00", 1, "02/10 08:00", "", "", "02/10 15:00", "", ds.LATE, ds.LATE),
]

# By construction from the list above (layout A columns 3..14).
EXPECTED_A = {
    S1: {3: 13, 4: 2, 5: 11, 6: 8, 7: 3, 8: 3, 9: 2, 10: 4, 11: 3, 12: 1, 13: 1, 14: 4},
    S2: {3: 2, 4: 0, 5: 2, 6: 2, 7: 1, 8: 0, 9: 1, 10: 0, 11: 0, 12: 0, 13: 0, 14: 1},
}
# Layout B (3..13): online / direct / carried over; the returned dossier counts as resolved on time.
EXPECTED_B = {
    S1: {3: 13, 4: 4, 5: 7, 6: 2, 7: 9, 8: 3, 9: 4, 10: 2, 11: 4, 12: 3, 13: 1},
    S2: {3: 2, 4: 1, 5: 1, 6: 0, 7: 2, 8: 1, 9: 0, 10: 1, 11: 0, 12: 0, 13: 0},
}
# What a unit copying the software's statuses reports (Sở Tư pháp), and a unit's own slip (Sở Xây dựng: early 2, late 0).
REPORTED_A = {
    S1: [13, 2, 11, 8, 3, 2, 3, 4, 4, 0, 1, 4],
    S2: [2, 0, 2, 2, 2, 0, 0, 0, 0, 0, 0, 1],
}

ONE_STOP_HEADERS = ["MaHoSo", "TenDonVi", "MaLinhVuc", "MaTTHC", "KenhThucHien", "NgayTiepNhan", "NgayHenTra", "SoNgayGiaiQuyet",
                    "NgayYeuCauBoSung", "NgayNhanBoSung", "NgayKetThucXuLy", "NgayTra", "NgayTuChoi", "TrangThaiHoSo"]
ONE_STOP_CHANNEL = {"direct": "1", "online": "2", "postal": "3"}
ONE_STOP_STATUS = {ds.PENDING: "1", ds.IN_TIME: "2", ds.SUPPLEMENT: "3", ds.OVERDUE: "4", ds.EARLY: "5", ds.ON_TIME: "6", ds.LATE: "7", ds.RETURNED: "8"}
PORTAL_CHANNEL = {"direct": "Trực tiếp", "online": "Trực tuyến", "postal": "Bưu chính công ích"}
PORTAL_STATUS = {ds.PENDING: "Đang xử lý", ds.IN_TIME: "Đang xử lý trong hạn", ds.SUPPLEMENT: "Chờ bổ sung", ds.OVERDUE: "Đang xử lý quá hạn",
                 ds.EARLY: "Đã trả kết quả trước hạn", ds.ON_TIME: "Đã trả kết quả đúng hạn", ds.LATE: "Đã trả kết quả quá hạn", ds.RETURNED: "Trả lại"}


def one_stop_rows(dossiers=DOSSIERS):
    """The province's one-stop export: yyyyMMddHHmmss dates, numeric codes."""
    stamp = lambda text: t(text).strftime("%Y%m%d%H%M%S") if text else ""  # noqa: E731
    rows = [ONE_STOP_HEADERS]
    for code, unit, channel, received, limit, due, s_req, s_recv, finished, rejected, status, _ in dossiers:
        rows.append([code, unit, field_of(code), "TT01", ONE_STOP_CHANNEL[channel], stamp(received), stamp(due), str(limit), stamp(s_req), stamp(s_recv),
                     stamp(finished), stamp(finished), stamp(rejected), ONE_STOP_STATUS[status]])
    return rows


def field_of(code):
    """Sở Tư pháp's dossiers in two fields: A01–A07 civil status, A08–A15 certification."""
    if code.startswith("B"):
        return "Xây dựng"
    return "Hộ tịch" if code <= "A07" else "Chứng thực"


def write_csv(path, rows):
    with open(path, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def write_portal_xlsx(path):
    """The portal's export shape: Vietnamese headers under a title row, dd/MM/yyyy HH:mm, words for codes,
    no time limit (the software's due date is used, moved by the supplement time)."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["DANH SÁCH HỒ SƠ THÁNG 10/2026"])
    sheet.append(["Mã hồ sơ", "Đơn vị xử lý", "Lĩnh vực", "Tên thủ tục", "Hình thức nộp", "Ngày tiếp nhận", "Ngày hẹn trả",
                  "Ngày yêu cầu bổ sung", "Ngày nhận bổ sung", "Ngày có kết quả", "Ngày từ chối", "Trạng thái"])
    text = lambda value: t(value).strftime("%d/%m/%Y %H:%M") if value else None  # noqa: E731
    for code, unit, channel, received, limit, due, s_req, s_recv, finished, rejected, status, _ in DOSSIERS:
        # The portal's due dates are right (working days, from the hand-over) before supplements.
        right_due = {"A03": "06/10 13:30", "A04": "15/10 09:00", "A05": "06/10 08:00", "A09": "19/10 08:00", "A10": "17/10 09:00"}.get(code, due)
        sheet.append([code, unit, "Hộ tịch", "Đăng ký khai sinh", PORTAL_CHANNEL[channel], text(received), text(right_due), text(s_req), text(s_recv),
                      t(finished) if finished else None, text(rejected), PORTAL_STATUS[status]])
    book.save(path)
    return path


@pytest.fixture
def calendars(tmp_path):
    folder = tmp_path / "lich"
    folder.mkdir()
    (folder / "2026.toml").write_text(CALENDAR, encoding="utf-8")
    return folder


@pytest.fixture
def export(tmp_path):
    return write_csv(tmp_path / "ho-so-mot-cua.csv", one_stop_rows())


def count(paths, calendars, form="mau-a", mapping=None):
    layout = load_layouts()[form]
    store = DossierStore(calendars=calendars)
    for path in paths:
        loaded = store.add(path, ds.load_mapping(mapping) if mapping else None, ds.shipped_mappings())
        assert loaded.error == ""
    counted = store.count(*OCTOBER, layout)
    rows = {unit: ds.layout_values(ds.derive_counts(parts, layout), layout) for unit, parts in counted.parts.items()}
    return counted, rows


def test_recomputed_appendix_row_equals_the_counts_known_by_construction(export, calendars):
    counted, rows = count([export], calendars, mapping="mot-cua-tinh")
    for unit, expected in EXPECTED_A.items():
        for column, value in expected.items():
            assert rows[unit][column] == value, (unit, column)
    assert counted.counted == 15 and counted.rejected == 0 and counted.findings == []


def test_every_dossier_gets_the_outcome_worked_out_by_hand(export, calendars):
    counted, _ = count([export], calendars)
    expected = {}
    for item in DOSSIERS:
        if item[-1]:
            expected[item[-1]] = expected.get(item[-1], 0) + 1
    assert counted.outcomes == {o: expected.get(o, 0) for o in ds.OUTCOMES}


def test_layout_b_counts_channels_and_folds_returned_into_on_time(export, calendars):
    _, rows = count([export], calendars, form="mau-b")
    assert rows == EXPECTED_B


def test_second_export_shape_from_xlsx_gives_the_same_row(tmp_path, calendars):
    path = write_portal_xlsx(tmp_path / "ho-so-cong-dvc.xlsx")
    counted, rows = count([path], calendars)  # mapping recognised from the headers
    assert counted.findings == []
    assert rows == EXPECTED_A


def test_status_disagreements_are_kept_beside_the_recomputed_status(export, calendars):
    counted, _ = count([export], calendars)
    shown = {v.code: (v.status, v.outcome) for v in counted.views[S1]}
    assert shown == {
        "A03": (ds.LATE, ds.ON_TIME), "A05": (ds.LATE, ds.ON_TIME), "A09": (ds.IN_TIME, ds.OVERDUE), "A10": (ds.ON_TIME, ds.LATE),
    }
    a03 = next(v for v in counted.views[S1] if v.code == "A03")
    assert a03.due == dt.datetime(2026, 10, 6, 10, 40)  # the software's
    assert a03.due_recomputed == dt.datetime(2026, 10, 6, 13, 30)  # from the 13:30 hand-over
    a05 = next(v for v in counted.views[S1] if v.code == "A05")
    assert a05.due_recomputed == dt.datetime(2026, 10, 9, 8, 0)  # three days of waiting added
    assert S2 not in counted.views


def test_bad_rows_are_findings_naming_file_row_and_cell_and_are_not_counted(tmp_path, calendars):
    rows = one_stop_rows()
    rows.append(["C01", S1, "LV01", "TT01", "1", "20261345080000", "", "1", "", "", "", "", "", "1"])  # month 13
    rows.append(["C02", S1, "LV01", "TT01", "1", "20261010080000", "", "1", "", "", "20261009080000", "", "", "6"])  # finished before received
    rows.append(["C03", S1, "LV01", "TT01", "1", "20261010080000", "", "1", "", "", "", "", "", "42"])  # unknown status
    rows.append(["A01", S1, "LV01", "TT01", "2", "20261005080000", "", "1", "", "", "", "", "", "1"])  # a second copy of A01
    path = write_csv(tmp_path / "xuat.csv", rows)
    counted, recomputed = count([path], calendars)
    assert recomputed == EXPECTED_A
    assert counted.rejected == 4
    found = {(Path(f.file).name, f.cell): f for f in counted.findings}
    assert set(found) == {("xuat.csv", "F19"), ("xuat.csv", "K20"), ("xuat.csv", "N21"), ("xuat.csv", "A22")}
    assert all(f.severity == "error" and f.rule == ds.BAD_ROW for f in counted.findings)
    assert "dòng 19 (hồ sơ C01): ngày tiếp nhận “20261345080000” không đọc được theo định dạng yyyyMMddHHmmss" in found[("xuat.csv", "F19")].message
    assert "dòng 20 (hồ sơ C02): ngày kết thúc xử lý “20261009080000” trước ngày tiếp nhận" in found[("xuat.csv", "K20")].message
    assert "mã trạng thái “42” không có trong tệp ánh xạ" in found[("xuat.csv", "N21")].message
    assert "hồ sơ trùng" in found[("xuat.csv", "A22")].message


def write_unit_csv(path, name, values):
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["STT", "Đơn vị"] + [f"c{n}" for n in range(3, 15)])
        writer.writerow(["1", "2", "3=(4+5)", "4", "5", "6=(7+8+9)", "7", "8", "9", "10=(11+12)", "11", "12", "13", "14"])
        writer.writerow(["1", name] + [str(v) for v in values])
    return path


@pytest.fixture
def master(tmp_path):
    folder = tmp_path / "don-vi"
    folder.mkdir()
    for index, (unit, values) in enumerate(REPORTED_A.items(), start=1):
        write_unit_csv(folder / f"{index:02d}.csv", unit, values)
    path = tmp_path / "tong-hop.xlsx"
    assert main(["consolidate", str(folder), "-o", str(path), "--form", "mau-a", "--period", "tháng 10 năm 2026"]) == 0
    return path


def test_a_unit_reporting_other_figures_is_marked_with_the_dossiers_that_explain_it(master, export, calendars, tmp_path):
    report = tmp_path / "ket-qua.json"
    code = main(["ho-so", str(export), "-o", str(master), "--calendars", str(calendars), "--json", str(report)])
    assert code == 1  # Sở Xây dựng's slip is an error
    data = json.loads(report.read_text(encoding="utf-8"))
    differing = {(f["cell"], f["severity"]): f for f in data["findings"] if f["rule"] == "lệch với hồ sơ"}
    # Sở Tư pháp (row 9) copied the software: on time 2 (3 by the dates), late 3 (2), in time 4 (3), overdue 0 (1).
    # Sở Xây dựng (row 10): early 2 (1), late 0 (1), nothing explains it.
    assert set(differing) == {("H9", "warning"), ("I9", "warning"), ("K9", "warning"), ("L9", "warning"), ("G10", "error"), ("I10", "error")}
    assert differing[("H9", "warning")]["fix"] == {"H9": 3}
    assert "báo cáo 2 hồ sơ, theo danh sách hồ sơ là 3 (chênh lệch -1)" in differing[("H9", "warning")]["message"]
    by_cell = {d["cell"]: d for d in data["dossiers"]["differences"]}
    assert sorted(by_cell["H9"]["dossiers"]) == ["A03", "A05", "A10"]
    assert by_cell["K9"]["dossiers"] == ["A09"]
    assert by_cell["G10"]["dossiers"] == []
    assert data["dossiers"]["recomputed"][S1] == {str(k): v for k, v in EXPECTED_A[S1].items()}

    book = openpyxl.load_workbook(master)
    sheet = book["Phụ lục I"]
    # H9 is also a suspect of the returned-dossiers note on C9, and keeps that colour; G10 is an error.
    assert sheet["G10"].fill.fgColor.rgb.endswith(ERROR_FILL) and sheet["I10"].fill.fgColor.rgb.endswith(ERROR_FILL)
    assert "Không hồ sơ nào giải thích chênh lệch này" in sheet["G10"].comment.text
    assert "theo danh sách hồ sơ là 3" in sheet["H9"].comment.text
    assert sheet["H9"].value == 2  # the unit's figure is never replaced
    listing = book["Hồ sơ lệch"]
    cells = [[c.value for c in row] for row in listing.iter_rows()]
    heading = next(i for i, row in enumerate(cells) if row[0] and str(row[0]).startswith(f"{S1} — ô H9"))
    assert listing.cell(heading + 1, 1).hyperlink.target == "#'Phụ lục I'!H9"
    block = []
    for row in cells[heading + 2:]:
        if row[0] is None:
            break
        block.append((row[1], row[11], row[12]))
    assert sorted(block) == [
        ("A03", "đã giải quyết quá hạn", "đã giải quyết đúng hạn"),
        ("A05", "đã giải quyết quá hạn", "đã giải quyết đúng hạn"),
        ("A10", "đã giải quyết đúng hạn", "đã giải quyết quá hạn"),
    ]
    check = [[c.value for c in row] for row in book["Kiểm tra"].iter_rows()]
    assert sum(1 for row in check if row[4] == "lệch với hồ sơ") == 6
    assert check[0][0].startswith("KẾT QUẢ KIỂM TRA: 2 lỗi, 5 cảnh báo")


def test_indicators_sheet_from_the_appendix_and_from_the_dossiers(master, export, calendars):
    assert main(["ho-so", str(export), "-o", str(master), "--calendars", str(calendars)]) == 1
    sheet = openpyxl.load_workbook(master)["Chỉ số"]
    rows = {row[0].value: [c.value for c in row] for row in sheet.iter_rows(min_row=5, max_row=7)}
    # Appendix (reported): (3+2+4 + 2+0+0) ÷ (8+4 + 2+0) = 11/14; dossiers: (3+3+3 + 1) ÷ (12 + 2) = 10/14.
    assert rows["2.1"][2] == pytest.approx(11 / 14) and rows["2.1"][5] == pytest.approx(10 / 14)
    assert rows["2.1"][6:8] == [10, 14]
    # Online share: reported 4 + 1 of 11 + 2 new; the dossiers say the same.
    assert rows["3.3"][2] == pytest.approx(5 / 13) and rows["3.3"][5] == pytest.approx(5 / 13)
    # Overdue: reported late 3 + 0, overdue 0 + 0 → 3/14; dossiers late 2 + 1, overdue 1 → 4/14.
    assert rows["5.4"][2] == pytest.approx(3 / 14) and rows["5.4"][5] == pytest.approx(4 / 14)
    assert "xấp xỉ" in sheet["C4"].value
    assert "chỉ số 2.1 (tỷ lệ hồ sơ giải quyết đúng hạn) ước đạt 78,57% (theo dữ liệu hồ sơ: 71,43%)" in sheet["A10"].value
    units = {row[1].value: [c.value for c in row] for row in sheet.iter_rows(min_row=14) if row[1].value}
    assert units[S1][2] == pytest.approx(9 / 12) and units[S1][3] == pytest.approx(9 / 12)  # 2.1: reported, dossiers
    assert units[S2][2] == pytest.approx(1.0) and units[S2][3] == pytest.approx(0.5)


def test_a_new_master_holds_the_dossiers_figures(tmp_path, export, calendars):
    path = tmp_path / "moi.xlsx"
    assert main(["ho-so", str(export), "--period", "tháng 10 năm 2026", "-o", str(path), "--calendars", str(calendars)]) == 0
    table = read_file(path, load_layouts()).tables[0]
    got = {row.unit: {n: c.value for n, c in row.cells.items()} for row in table.rows if row.kind == "unit"}
    assert got == EXPECTED_A


def test_unreadable_period_is_unusable_input(export, capsys):
    assert main(["ho-so", str(export), "--period", "kỳ này"]) == 2
    assert "Không nhận ra kỳ báo cáo “kỳ này”" in capsys.readouterr().err


def test_hand_over_cut_offs_start_the_clock_at_the_next_session(calendars):
    calendar = load_calendar(dt.date(2026, 10, 1), dt.date(2026, 10, 31), calendars)
    monday = dt.datetime(2026, 10, 5)
    at = lambda h, m: monday.replace(hour=h, minute=m)  # noqa: E731
    assert calendar.start_minutes(at(10, 20)) == calendar.minutes(at(10, 20))
    assert calendar.moment(calendar.start_minutes(at(10, 40))) == at(13, 30)
    assert calendar.start_minutes(at(16, 40)) == calendar.minutes(dt.datetime(2026, 10, 6, 7, 30))
    # Friday 16:40 before the two holidays: the clock starts on Wednesday morning, one working day
    # (480 minutes) after Friday 07:30.
    friday = dt.datetime(2026, 10, 9, 7, 30)
    assert calendar.start_minutes(dt.datetime(2026, 10, 9, 16, 40)) == calendar.minutes(dt.datetime(2026, 10, 14, 7, 30))
    assert calendar.minutes(dt.datetime(2026, 10, 14, 7, 30)) - calendar.minutes(friday) == 480
    assert calendar.working(dt.date(2026, 10, 17)) and not calendar.working(dt.date(2026, 10, 12))


def test_shipped_calendars_know_tet_and_make_up_days():
    c2019 = load_calendar(dt.date(2019, 1, 1), dt.date(2019, 12, 31))
    february = [dt.date(2019, 2, d) for d in range(1, 29)]
    assert sum(map(c2019.working, february)) == 15  # 20 weekdays less the five of Tết Kỷ Hợi
    assert c2019.working(dt.date(2019, 5, 4)) and not c2019.working(dt.date(2019, 4, 29))
    c2025 = load_calendar(dt.date(2025, 1, 1), dt.date(2026, 12, 31))
    assert not any(c2025.working(dt.date(2025, 1, d)) for d in range(27, 32))
    assert not any(c2025.working(dt.date(2026, 2, d)) for d in range(16, 21))
    assert c2025.missing == [] and c2019.missing == []


def test_a_year_without_a_calendar_file_is_said(tmp_path, export):
    counted, _ = count([export], tmp_path)  # no calendar file at all
    assert any("Năm 2026 chưa có tệp lịch làm việc" in f.message and f.severity == "warning" for f in counted.findings)


def test_indicators_from_an_appendix_are_marked_approximate():
    found = {i.code: i for i in indicators({"resolved": 90, "resolved_early": 50, "resolved_on_time": 30, "resolved_late": 10,
                                            "pending": 10, "pending_in_time": 8, "pending_overdue": 2,
                                            "received_new": 80, "received_online": 20}, APPENDIX)}
    assert found["2.1"].value == pytest.approx(88.0) and found["2.1"].approximate
    assert found["3.3"].value == pytest.approx(25.0)
    assert found["5.4"].value == pytest.approx(12.0)


def test_a_mapping_with_a_meaningless_status_is_refused(tmp_path):
    path = tmp_path / "sai.toml"
    path.write_text('[columns]\ncode = "Ma"\nunit = "DV"\nchannel = "K"\nreceived = "N"\n[statuses]\n"1" = "xong"\n', encoding="utf-8")
    with pytest.raises(LayoutError, match="giá trị “xong” không có nghĩa"):
        ds.load_mapping(path)


def test_consolidating_with_dossier_lists_marks_the_cells_and_keeps_the_unit_files(tmp_path, export, calendars):
    folder = tmp_path / "don-vi"
    folder.mkdir()
    for index, (unit, values) in enumerate(REPORTED_A.items(), start=1):
        write_unit_csv(folder / f"{index:02d}.csv", unit, values)
    path, report = tmp_path / "tong-hop.xlsx", tmp_path / "ket-qua.json"
    code = main(["consolidate", str(folder), "-o", str(path), "--form", "mau-a", "--period", "tháng 10 năm 2026",
                 "--ho-so", str(export), "--calendars", str(calendars), "--json", str(report)])
    assert code == 1
    findings = [f for f in json.loads(report.read_text(encoding="utf-8"))["findings"] if f["rule"] == "lệch với hồ sơ"]
    assert sorted(f["cell"] for f in findings) == ["G10", "H9", "I10", "I9", "K9", "L9"]
    g10 = next(f for f in findings if f["cell"] == "G10")
    assert Path(g10["source"]["file"]).name == "02.csv" and g10["source"]["cell"] == "G3"  # the unit's own cell
    book = openpyxl.load_workbook(path)
    assert {"Phụ lục I", "Kiểm tra", "Hồ sơ lệch", "Chỉ số"} <= set(book.sheetnames)
    assert book["Chỉ số"]["F5"].value == pytest.approx(10 / 14)


def test_rows_per_field_instead_of_per_unit(export, calendars, tmp_path):
    report = tmp_path / "linh-vuc.json"
    assert main(["ho-so", str(export), "--period", "tháng 10 năm 2026", "--theo", "linh-vuc", "--calendars", str(calendars), "--json", str(report)]) == 0
    rows = json.loads(report.read_text(encoding="utf-8"))["recomputed"]
    # By hand from the list: civil status A01–A07, certification A08–A12 and A15 (A13, A14 outside the period).
    assert rows["Hộ tịch"] == {"3": 7, "4": 1, "5": 6, "6": 7, "7": 3, "8": 3, "9": 1, "10": 0, "11": 0, "12": 0, "13": 0, "14": 2}
    assert rows["Chứng thực"] == {"3": 6, "4": 1, "5": 5, "6": 1, "7": 0, "8": 0, "9": 1, "10": 4, "11": 3, "12": 1, "13": 1, "14": 2}
    assert rows["Xây dựng"] == {str(k): v for k, v in EXPECTED_A[S2].items()}


def test_rows_per_field_are_not_set_against_a_master_of_units(master, export, calendars, capsys):
    assert main(["ho-so", str(export), "--theo", "linh-vuc", "-o", str(master), "--calendars", str(calendars)]) == 2
    assert "chỉ đối chiếu được theo đơn vị" in capsys.readouterr().err


def test_an_unreadable_export_costs_that_file_only(tmp_path, export, calendars, capsys):
    broken = tmp_path / "hong.xlsx"
    broken.write_bytes(b"PK\x03\x04 cut short")
    web = tmp_path / "danh-sach.xls"  # what many one-stop systems export: a web page named .xls
    web.write_text("<html><body><table><tr><td>MaHoSo</td></tr></table></body></html>", encoding="utf-8")
    other = write_csv(tmp_path / "la.csv", [["Số", "Tên"], ["1", "x"]])
    report = tmp_path / "r.json"
    code = main(["ho-so", str(broken), str(web), str(other), str(export), "--period", "tháng 10 năm 2026", "--calendars", str(calendars), "--json", str(report)])
    out = capsys.readouterr().out
    assert "✗ Không mở được tệp hong.xlsx" in out
    assert "✗ Tệp danh-sach.xls là trang web (HTML) mang đuôi .xls" in out
    assert "✗ Tệp la.csv: không tệp ánh xạ nào khớp tên cột của tệp" in out
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["recomputed"][S1] == {str(k): v for k, v in EXPECTED_A[S1].items()}
    assert [f["status"] for f in data["files"]] == ["lỗi", "lỗi", "lỗi", "ok"]  # the status words of every JSON the tool writes
    assert code == 1


def test_a_bad_row_of_an_xlsx_export_names_its_own_cell(tmp_path, calendars):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet["B3"] = "MaHoSo"  # the table starts in column B, under two empty rows
    for col, header in enumerate(ONE_STOP_HEADERS[1:], start=3):
        sheet.cell(3, col, header)
    for row, values in enumerate(one_stop_rows()[1:3], start=4):
        for col, value in enumerate(values, start=2):
            sheet.cell(row, col, value)
    sheet.cell(5, 7, "05/10/2026")  # NgayTiepNhan of A02, not yyyyMMddHHmmss
    path = tmp_path / "xuat.xlsx"
    book.save(path)
    counted, rows = count([path], calendars, mapping="mot-cua-tinh")
    assert [(f.cell, f.sheet) for f in counted.findings] == [("G5", "Sheet")]
    assert "dòng 5 (hồ sơ A02): ngày tiếp nhận “05/10/2026” không đọc được" in counted.findings[0].message
    assert rows[S1][3] == 1


def test_dates_without_a_time_mean_the_whole_day(tmp_path, calendars):
    rows = [["Mã hồ sơ", "Đơn vị", "Hình thức nộp", "Ngày tiếp nhận", "Ngày hẹn trả", "Ngày có kết quả", "Trạng thái"]]
    for code, finished in (("D1", "05/10/2026"), ("D2", "06/10/2026"), ("D3", "07/10/2026")):
        rows.append([code, S1, "Trực tiếp", "02/10/2026 09:00", "06/10/2026", finished, "Đã có kết quả"])
    counted, _ = count([write_csv(tmp_path / "ngay.csv", rows)], calendars, mapping="dvc-bao-cao")
    # Due "06/10/2026": by the end of Tuesday. Monday → early, Tuesday → on time, Wednesday → late.
    assert (counted.outcomes[ds.EARLY], counted.outcomes[ds.ON_TIME], counted.outcomes[ds.LATE]) == (1, 1, 1)
    assert counted.views == {}  # "Đã có kết quả" (resolved) agrees with all three


def test_unit_codes_in_an_export_are_named_by_the_mapping(tmp_path, calendars):
    shipped = Path(ds.load_mapping("mot-cua-tinh").source).read_text(encoding="utf-8")
    mapping = tmp_path / "ma-don-vi.toml"
    mapping.write_text(shipped.replace('# "000.00.13.H55" = "Sở Tư pháp"', '"000.00.13.H55" = "Sở Tư pháp"\n"000.00.20.H55" = "Sở Xây dựng"'), encoding="utf-8")
    rows = one_stop_rows()
    for row in rows[1:]:
        row[1] = {S1: "000.00.13.H55", S2: "000.00.20.H55"}[row[1]]
    counted, recomputed = count([write_csv(tmp_path / "ma.csv", rows)], calendars, mapping=str(mapping))
    assert recomputed == EXPECTED_A


def test_a_zip_bomb_named_xlsx_is_refused_before_parsing(tmp_path, calendars):
    import zipfile

    bomb = tmp_path / "bom.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("xl/worksheets/sheet1.xml", b"\0" * (20 * 2**20))  # 20 MB packing to about 20 KB
    store = DossierStore(calendars=calendars)
    loaded = store.add(bomb, ds.load_mapping("mot-cua-tinh"))
    assert loaded.rows == 0 and "khai báo 20 MB dữ liệu khi giải nén, quá lớn hoặc bất thường đối với một danh sách hồ sơ" in loaded.error


def test_dossiers_explaining_a_figure_are_counted_exactly(export, calendars):
    counted, _ = count([export], calendars)
    # By hand: the software counts A03, A05 as late and A10 as on time; A09 in time, the dates overdue.
    assert counted.explaining[S1] == {"resolved_on_time": 3, "resolved_late": 3, "pending_in_time": 1, "pending_overdue": 1}
    assert S2 not in counted.explaining


def windows_1258(text):
    """Text as Windows-1258 stores Vietnamese: letters with their own code, tone marks combining after them."""
    import unicodedata

    tones = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
    out = []
    for ch in text:
        try:
            out.append(ch.encode("cp1258"))
            continue
        except UnicodeEncodeError:
            pass
        parts = unicodedata.normalize("NFD", ch)
        letter = unicodedata.normalize("NFC", parts[0] + "".join(m for m in parts[1:] if m not in tones))
        out.append(letter.encode("cp1258") + "".join(m for m in parts[1:] if m in tones).encode("cp1258"))
    return b"".join(out)


@pytest.mark.parametrize("encoding, delimiter", [("cp1258", ";"), ("utf-16", "\t"), ("utf-8-sig", ";")])
def test_csv_exports_in_other_encodings_and_delimiters_give_the_same_rows(tmp_path, calendars, encoding, delimiter):
    import io

    out = io.StringIO()
    csv.writer(out, delimiter=delimiter).writerows(one_stop_rows())
    path = tmp_path / "xuat.csv"
    path.write_bytes(windows_1258(out.getvalue()) if encoding == "cp1258" else out.getvalue().encode(encoding))
    counted, rows = count([path], calendars, mapping="mot-cua-tinh")
    assert rows == EXPECTED_A  # unit names with decomposed tones group with the composed ones
    assert counted.findings == []
