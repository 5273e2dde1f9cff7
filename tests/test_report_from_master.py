"""`tthc-xl report` and `tthc-xl check-report` on the consolidated Sóc Trăng master (October 2019)."""

from __future__ import annotations

import json
from pathlib import Path

import docx
import openpyxl
import pytest

import office
import soctrang

from tthc_xl.cli import app as cli
from tthc_xl.files.history import read_master
from tthc_xl.report.check import read_paragraphs
from tthc_xl.report.narrative import figures_from_master

UNITS = "soc-trang-so-nganh"
SEPTEMBER_POLICE = [48, 30, 18, 9, 9, 0, 0, 39, 39, 0, 0, 0]  # Công an tỉnh, columns 3..14: 96 fewer received

# What the October table says, formatted as the report prints it. Column 7 is the sum of the unit
# rows (1.559, not the printed 3.794), so "trước hạn và đúng hạn" is 1.559 + 5 = 1.564.
EXPECTED = [
    "đã tiếp nhận 5.661 hồ sơ TTHC",
    "+ Kỳ trước chuyển sang: 1.194 hồ sơ, tiếp nhận mới: 4.467 hồ sơ;",
    "+ Đã giải quyết 3.892 hồ sơ (chiếm 68,75 % trên tổng số 5.661 hồ sơ)",
    "trả hồ sơ trước hạn và đúng hạn là 1.564 hồ sơ, chiếm 40,18 %",
    "+ Đang giải quyết 1.769 hồ sơ (chiếm 31,25 % trên tổng số 5.661 hồ sơ)",
    "- Có 578 hồ sơ tiếp nhận qua hình thức trực tuyến (chiếm 10,21 % trên tổng số 5.661 hồ sơ",
]


def consolidate(source: Path, master: Path, period: str, *extra) -> Path:
    master.parent.mkdir(parents=True, exist_ok=True)
    code = cli.main(["consolidate", str(source), "--units", UNITS, "--period", period, "-o", str(master), *map(str, extra)])
    assert code == 1  # the seven inconsistent units of the real table are errors
    return master


def write_september_appendix(path: Path) -> Path:
    """The real appendix with Công an tỉnh receiving 96 fewer dossiers: 5.565 in total."""
    path.parent.mkdir(parents=True, exist_ok=True)
    soctrang.write_appendix(path)
    book = openpyxl.load_workbook(path)
    sheet = book["Phụ lục I"]
    assert sheet.cell(24, 2).value == "Công an tỉnh"
    for col, value in zip(range(3, 15), SEPTEMBER_POLICE):
        sheet.cell(24, col, value)
    for col in range(3, 15):  # the printed total, right this time
        sheet.cell(25, col, sum(sheet.cell(row, col).value for row in range(9, 25)))
    sheet["A2"] = sheet["A2"].value.replace("THÁNG 10", "THÁNG 9")
    book.save(path)
    return path


def september_master(folder: Path) -> Path:
    appendix = write_september_appendix(folder / "phu-luc-9-2019.xlsx")
    return consolidate(appendix, folder / "tong-hop-9-2019.xlsx", "tháng 9 năm 2019")


@pytest.fixture(scope="module")
def masters(unit_folder, tmp_path_factory):
    """October alone, September alone, and October consolidated with --previous September: each in its own folder."""
    root = tmp_path_factory.mktemp("masters")
    october = consolidate(unit_folder, root / "thang-10" / "tong-hop-10-2019.xlsx", "tháng 10 năm 2019")
    september = september_master(root / "thang-9")
    with_previous = consolidate(unit_folder, root / "thang-10-co-ky-truoc" / "tong-hop-10-2019.xlsx",
                                "tháng 10 năm 2019", "--previous", september)
    return {"october": october, "september": september, "with_previous": with_previous}


def with_report_commands(argv) -> int:
    """`tthc-xl …` in this process; its exit code."""
    return cli.main([str(a) for a in argv])


@pytest.fixture
def tthc(capsys):
    """Run `tthc-xl …`; returns (exit code, stdout, stderr)."""

    def run(*argv):
        capsys.readouterr()
        code = with_report_commands(argv)
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


def text_of(path: Path) -> str:
    return "\n".join(read_paragraphs(path))


def plant(source: Path, target: Path, old: str, new: str) -> None:
    """Replace `old` by `new` in the first run containing it (as a clerk typing in Word)."""
    document = docx.Document(str(source))
    for paragraph in document.paragraphs:
        for run in paragraph.runs:
            if old in run.text:
                run.text = run.text.replace(old, new, 1)
                document.save(str(target))
                return
    raise AssertionError(f"{old!r} not found in {source}")


@pytest.fixture(scope="module")
def drafted(masters, tmp_path_factory):
    """The report drafted from October with --previous September (the module's main document)."""
    out = tmp_path_factory.mktemp("report") / "bao-cao-10-2019.docx"
    code = with_report_commands(["report", masters["october"], "--previous", masters["september"], "-o", out])
    assert code == 0
    return out


# ---------------------------------------------------------------------------- the figures


def test_previous_master_totals_5565(masters):
    assert read_master(masters["september"]).totals()["received"] == 5565


def test_figures_are_the_tables_by_meaning_key(masters):
    figures = figures_from_master(masters["october"])
    assert figures.totals == {
        "received": 5661, "carried_over": 1194, "received_new": 4467, "resolved": 3892,
        "resolved_early": 1559, "resolved_on_time": 5, "resolved_late": 12, "pending": 1769,
        "pending_in_time": 1747, "pending_overdue": 22, "returned": 4, "received_online": 578,
    }
    assert len(figures.units) == 16
    assert dict(figures.units)["Sở Tư pháp"]["resolved_late"] == 12
    assert figures.meta["ky_bao_cao"] == "tháng 10 năm 2019"
    assert figures.previous is None and figures.same_period_last_year is None
    assert any("Chưa có số liệu kỳ trước" in note for note in figures.notes)


def test_meta_overrides_settings_and_defaults(masters):
    figures = figures_from_master(masters["october"], meta={"dia_danh": "Sóc Trăng", "ngay": "24/10/2019"})
    assert figures.meta["dia_danh"] == "Sóc Trăng" and figures.meta["ngay"] == "24/10/2019"
    assert figures.meta["kinh_gui"] == "[Nơi nhận báo cáo]"  # a default the clerk replaces


# ---------------------------------------------------------------------------- tthc-xl report


def test_report_states_the_table_figures(masters, tthc, tmp_path):
    out = tmp_path / "bao-cao.docx"
    code, stdout, _ = tthc("report", masters["october"], "-o", out)
    assert code == 0
    assert f"Đã soạn báo cáo: {out.resolve()}" in stdout
    assert "Chưa có số liệu kỳ trước" in stdout and "còn 7 lỗi số liệu" in stdout
    text = text_of(out)
    for expected in EXPECTED:
        assert expected in text, expected
    assert "- Cơ quan đã tiếp nhận 5.661 hồ sơ TTHC, trong đó:" in text
    assert "Tình hình, kết quả giải quyết thủ tục hành chính tháng 10 năm 2019" in text
    assert "so với" not in text  # nothing to compare with


def test_report_compares_with_the_previous_master(drafted):
    text = text_of(drafted)
    for expected in EXPECTED:
        assert expected in text, expected
    assert "- Cơ quan đã tiếp nhận 5.661 hồ sơ TTHC (tăng 96 hồ sơ so với tháng trước), trong đó:" in text


def _percent(numerator: int, denominator: int) -> str:
    return f"{100 * numerator / denominator:.2f}".replace(".", ",")


def test_report_states_the_766_indicators_from_the_column_sums(drafted):
    """Section 1 quotes the indicators of Quyết định 766/QĐ-TTg from the table's column sums
    (3 received, 5 new, 6 resolved, 7 early, 8 on time, 9 late, 10 pending, 11 in time, 12 overdue,
    14 online), marked as approximations, after the resolution figures."""
    s = soctrang.COLUMN_SUMS
    handled = s[6] + s[10]
    on_time = _percent(s[7] + s[8] + s[11], handled)  # 3.311 / 5.661
    online = _percent(s[14], s[5])  # 578 / 4.467
    overdue = _percent(s[9] + s[12], handled)  # 34 / 5.661
    assert (on_time, online, overdue) == ("58,49", "12,94", "0,60")
    sentence = ("- Theo Bộ chỉ số ban hành kèm theo Quyết định số 766/QĐ-TTg, tính gần đúng từ số liệu tổng hợp: "
                f"chỉ số 2.1 (tỷ lệ hồ sơ giải quyết đúng hạn) ước đạt {on_time}%; "
                f"chỉ số 3.3 (tỷ lệ hồ sơ nộp trực tuyến) ước đạt {online}%; "
                f"chỉ số 5.4 (tỷ lệ hồ sơ quá hạn, phần quá hạn của chỉ số 5.4) ước đạt {overdue}%. "
                "Điểm chính thức do Cổng Dịch vụ công quốc gia tính từ dữ liệu hồ sơ.")
    paragraphs = read_paragraphs(drafted)
    assert sentence in paragraphs
    at = paragraphs.index(sentence)
    assert paragraphs[at - 1].startswith("+ Có 04 hồ sơ bị trả lại")  # after the resolution figures
    assert paragraphs[at + 1].startswith("- Có 578 hồ sơ tiếp nhận qua hình thức trực tuyến")


def test_report_uses_the_masters_own_previous_row(masters, tthc, tmp_path):
    out = tmp_path / "bao-cao.docx"
    code, stdout, _ = tthc("report", masters["with_previous"], "-o", out)
    assert code == 0
    assert "dòng “Tổng cộng kỳ trước”" in stdout
    assert "(tăng 96 hồ sơ so với tháng trước)" in text_of(out)


def test_previous_master_of_another_period_is_noticed(masters, tthc, tmp_path):
    code, stdout, _ = tthc("report", masters["october"], "--previous", masters["with_previous"], "-o", tmp_path / "r.docx")
    assert code == 0
    assert "không phải kỳ liền trước" in stdout


def test_unusable_inputs_exit_2(masters, tthc, tmp_path):
    broken = tmp_path / "hong.xlsx"
    broken.write_text("không phải bảng tính", encoding="utf-8")
    code, _, stderr = tthc("report", broken, "-o", tmp_path / "r.docx")
    assert code == 2 and "hong.xlsx" in stderr
    code, _, stderr = tthc("report", masters["october"], "-o", tmp_path / "r.doc")
    assert code == 2 and ".docx" in stderr
    code, _, stderr = tthc("check-report", masters["october"], masters["october"])
    assert code == 2 and "Không đọc được báo cáo" in stderr


# ---------------------------------------------------------------------------- LibreOffice → PDF


def test_libreoffice_renders_the_figures(drafted, tmp_path):
    pdf = office.convert(drafted, "pdf", tmp_path)
    text = " ".join(office.pdf_text(pdf).split())
    for expected in ("5.661", "1.194", "4.467", "3.892 hồ sơ (chiếm 68,75 %", "1.769 hồ sơ (chiếm 31,25 %",
                     "578 hồ sơ", "10,21 %", "tăng 96 hồ sơ so với tháng trước", "1.564 hồ sơ"):
        assert expected in text, expected


# ---------------------------------------------------------------------------- tthc-xl check-report


def test_check_report_passes_the_drafted_report(drafted, masters, tthc, tmp_path):
    result = tmp_path / "ket-qua.json"
    code, stdout, _ = tthc("check-report", drafted, masters["october"], "--previous", masters["september"],
                           "--json", result)
    assert code == 0
    assert "không có số liệu nào mâu thuẫn" in stdout and "[LỖI]" not in stdout
    # The table's own inconsistency (column 6 ≠ 7 + 8 + 9 in seven units) is a warning about the table.
    assert "[Cảnh báo]" in stdout and "= 1.576" in stdout
    data = json.loads(result.read_text(encoding="utf-8"))
    assert data["findings"] == [] and [f["quantity"] for f in data["table_issues"]] == ["resolved"]


def test_check_report_flags_a_planted_total(drafted, masters, tthc, tmp_path):
    planted = tmp_path / "sai.docx"
    plant(drafted, planted, "tiếp nhận 5.661", "tiếp nhận 5.616")
    code, stdout, _ = tthc("check-report", planted, masters["october"], "--previous", masters["september"])
    assert code == 1
    assert "có 1 số liệu mâu thuẫn" in stdout
    assert "Tổng số hồ sơ tiếp nhận ghi 5.616, theo số liệu là 5.661." in stdout


def test_check_report_flags_a_planted_change_and_percentage(drafted, masters, tthc, tmp_path):
    planted, twice = tmp_path / "sai.docx", tmp_path / "sai-2.docx"
    plant(drafted, planted, "tăng 96 hồ sơ", "tăng 69 hồ sơ")
    plant(planted, twice, "31,25", "32,15")
    code, stdout, _ = tthc("check-report", twice, masters["october"], "--previous", masters["september"])
    assert code == 1
    assert "So với kỳ trước, tổng số hồ sơ tiếp nhận ghi “tăng 69 hồ sơ”, theo số liệu là “tăng 96 hồ sơ”." in stdout
    assert "Tỷ lệ số hồ sơ đang giải quyết ghi 32,15 %, theo số liệu là 31,25 %." in stdout
    # Without the previous period the change cannot be checked, the percentage still is.
    code, stdout, _ = tthc("check-report", twice, masters["october"])
    assert code == 1 and "32,15" in stdout and "tăng 69" not in stdout


def test_check_report_without_master_compares_the_text_with_the_previous_period(drafted, masters, tthc, tmp_path):
    result = tmp_path / "ket-qua.json"
    code, stdout, _ = tthc("check-report", drafted, "--previous", masters["september"], "--json", result)
    data = json.loads(result.read_text(encoding="utf-8"))
    change = next(f for f in data["figures"] if f["written"] == "tăng 96 hồ sơ")
    assert change["verdict"] == "đúng" and change["checked_against"] == [f"kỳ trước ({masters['september'].name})"]
    # Alone, the text shows the table's own inconsistency: 3.892 resolved, but 1.564 + 12 = 1.576.
    assert code == 1
    assert [(f["kind"], f["found"], f["expected"]) for f in data["findings"]] == [("sum", "3.892", "1.576")]
    planted = tmp_path / "sai.docx"
    plant(drafted, planted, "tăng 96 hồ sơ", "tăng 69 hồ sơ")
    code, stdout, _ = tthc("check-report", planted, "--previous", masters["september"], "--json", result)
    data = json.loads(result.read_text(encoding="utf-8"))
    assert code == 1
    assert "So với kỳ trước, tổng số hồ sơ tiếp nhận ghi “tăng 69 hồ sơ”, theo số liệu là “tăng 96 hồ sơ”." in stdout
    assert {f["kind"] for f in data["findings"]} == {"sum", "change"}


def test_check_report_holds_a_units_figure_against_its_row(drafted, masters, tthc, tmp_path):
    document = docx.Document(str(drafted))
    document.add_paragraph("Trong kỳ có 12 trường hợp giải quyết quá hạn của Sở Tư pháp; có 03 hồ sơ bị trả lại "
                           "của Sở Tài chính.")
    report = tmp_path / "bao-cao-don-vi.docx"
    document.save(str(report))
    result = tmp_path / "ket-qua.json"
    code, stdout, _ = tthc("check-report", report, masters["october"], "--json", result)
    assert code == 1
    assert "Số hồ sơ bị trả lại, rút hồ sơ của Sở Tài chính ghi 03, theo số liệu là 2." in stdout
    figures = {f["written"]: f for f in json.loads(result.read_text(encoding="utf-8"))["figures"] if f["unit"]}
    assert figures["12"]["verdict"] == "đúng" and figures["12"]["unit"] == "Sở Tư pháp"
    assert figures["12"]["checked_against"] == [f"dòng Sở Tư pháp của {masters['october'].name}"]
    assert figures["03"]["verdict"] == "sai"
