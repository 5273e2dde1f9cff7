"""`tthc-xl check-report` on a report alone: the text's own arithmetic, in every format, even OCR'd.

The reports are the real Lạng Sơn (July 2019) and Trà Cú (quarter I 2023) texts (tests/reports_text.py),
written here as .docx (python-docx), .pdf (LibreOffice's export of that .docx), .odt and .txt.
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import docx
import pytest

import office
from packages import with_parts_changed
from reports_text import LANG_SON, TRA_CU

from tthc_xl.cli import app as cli

TEN_TRA_CU_FIGURES = ["26.199", "03", "26.188", "14", "5.621", "20.567", "21,5 %", "78,5 %", "4.049", "15,5 %"]
EXCEPTION_NAME = re.compile(r"\b[A-Z][a-zA-Z]*(Error|Exception)\b")


def write_docx(paragraphs: list[str], path: Path, tables: list[list[list]] = ()) -> Path:
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    for rows in tables:
        table = document.add_table(rows=len(rows), cols=max(len(r) for r in rows))
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                table.cell(r, c).text = str(value)
    document.save(str(path))
    return path


def write_report(paragraphs: list[str], kind: str, folder: Path, stem: str = "bao-cao") -> Path:
    """The report as a unit would send it: .docx, .txt (UTF-8), .pdf or .odt exported by LibreOffice."""
    folder.mkdir(parents=True, exist_ok=True)
    if kind == "txt":
        path = folder / f"{stem}.txt"
        path.write_text("\n\n".join(paragraphs) + "\n", encoding="utf-8")
        return path
    source = write_docx(paragraphs, folder / f"{stem}.docx")
    if kind == "docx":
        return source
    return office.convert(source, kind, folder / kind)


@pytest.fixture
def tthc(capsys, tmp_path):
    """Run `tthc-xl check-report … --json`; returns (exit code, stdout, stderr, the JSON or None)."""

    def run(*argv):
        capsys.readouterr()
        out = tmp_path / "ket-qua.json"
        out.unlink(missing_ok=True)
        code = cli.main(["check-report", *map(str, argv), "--json", str(out)])
        captured = capsys.readouterr()
        data = json.loads(out.read_text(encoding="utf-8")) if out.exists() else None
        return code, captured.out, captured.err, data

    return run


def verdicts(data: dict) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for figure in data["figures"]:
        out.setdefault(figure["written"], []).append(figure["verdict"])
    return out


def strip_diacritics(text: str) -> str:
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in text if not unicodedata.combining(ch))


# ------------------------------------------------------------------------------------ Lạng Sơn


@pytest.mark.parametrize("kind", ["docx", "pdf", "txt"])
def test_lang_son_conservation_gap_is_a_warning_with_both_sides(kind, tthc, tmp_path):
    report = write_report(LANG_SON, kind, tmp_path)
    code, stdout, stderr, data = tthc(report)
    assert code == 0, stdout + stderr  # a warning is not an error
    assert [f["severity"] for f in data["findings"]] == ["warning"]
    warning = data["findings"][0]
    assert warning["kind"] == "conservation" and warning["quantity"] == "received"
    for shown in ("2.099", "1.501", "562", "2.063", "36 hồ sơ"):
        assert shown in warning["message"], shown
    assert warning["paragraph"] == 7
    assert f"[Cảnh báo] Đoạn 7: {warning['message']}" in stdout
    assert stdout.index("[Cảnh báo]") < stdout.index("Đã đọc")  # findings before the list of figures
    found = verdicts(data)
    for figure in ("2.099", "1.501", "562"):
        assert found[figure] == ["cảnh báo"], figure
    # its percentages pass, at the precision they are written with (399 / 1.501 = 26,58 → 26,6)
    for percent in ("26,6 %", "72,8 %", "0,6 %", "95,3 %", "4,7 %"):
        assert found[percent] == ["đúng"], percent
    for count in ("554", "1.545", "531", "991", "23", "399", "1.093", "09", "556", "06", "786", "749", "37"):
        assert found[count] == ["đúng"], count
    # the fields' figures ("Giao thông vận tải 617 hồ sơ") say nothing the text can check
    assert found["617"] == ["bỏ qua"] and found["100 %"] == ["bỏ qua"]
    assert not any(f["verdict"] == "sai" for f in data["figures"])
    meanings = {f["written"]: f["meaning"] for f in data["figures"]}
    assert meanings["23"] == "received_postal" and meanings["749"] == "very_satisfied"
    assert meanings["06"] == "pending_overdue" and meanings["09"] == "resolved_late"


def test_figure_lists_what_it_was_checked_against(tthc, tmp_path):
    code, _, _, data = tthc(write_report(LANG_SON, "txt", tmp_path))
    percent = next(f for f in data["figures"] if f["written"] == "26,6 %")
    assert percent == {
        "paragraph": 7, "text": "chiếm 26,6%", "written": "26,6 %", "kind": "percent",
        "meaning": "resolved_early", "label": "số hồ sơ giải quyết trước hạn", "value": 26.6, "readings": [],
        "unit": None, "checked_against": ["báo cáo: 399 / 1.501"], "verdict": "đúng",
        "note": "",
    }
    total = next(f for f in data["figures"] if f["written"] == "2.099")
    assert total["checked_against"] == ["báo cáo: 2.099 = 554 + 1.545", "báo cáo: 2.099 ≠ 1.501 + 562",
                                        "báo cáo: 2.099 = 531 + 1.014 + 554"]


# ------------------------------------------------------------------------------------ Trà Cú


@pytest.mark.parametrize("kind", ["docx", "pdf", "txt", "odt"])
def test_tra_cu_passes_clean_with_its_ten_figures_checked(kind, tthc, tmp_path):
    code, stdout, stderr, data = tthc(write_report(TRA_CU, kind, tmp_path))
    assert code == 0, stdout + stderr
    assert data["findings"] == [] and "[LỖI]" not in stdout and "[Cảnh báo]" not in stdout
    found = verdicts(data)
    for figure in TEN_TRA_CU_FIGURES:
        assert "đúng" in found[figure], figure
    assert {v for vs in found.values() for v in vs} == {"đúng"}
    # the counts of procedures ("270 TTHC", "00" assessed procedures) are not dossier figures
    assert "270" not in found and "424" not in found and "313" not in found
    assert "khớp nhau" in stdout


def test_tra_cu_percentages_use_the_base_the_sentence_names(tthc, tmp_path):
    # "đạt 15,5% so với tổng số hồ sơ đã tiếp nhận": 4.049 of 26.199 + 03 = 26.202 received
    code, _, _, data = tthc(write_report(TRA_CU, "txt", tmp_path))
    online = next(f for f in data["figures"] if f["written"] == "15,5 %")
    assert online["meaning"] == "received_online" and online["verdict"] == "đúng"
    planted = [p.replace("đạt 15,5% so với", "đạt 15,3% so với") for p in TRA_CU]
    code, stdout, _, data = tthc(write_report(planted, "txt", tmp_path / "sai"))
    assert code == 1
    [error] = data["findings"]
    assert error["message"] == ("Tỷ lệ số hồ sơ tiếp nhận trực tuyến ghi 15,3 %, nhưng 4.049 / 26.202 "
                                "(tổng số hồ sơ tiếp nhận) = 15,5 %.")


# ------------------------------------------------------------------------------------ planted errors


def planted_tra_cu() -> list[str]:
    """A wrong percentage (78,5 → 87,5) and a wrong part (pending within deadline 14 → 41)."""
    out = []
    for text in TRA_CU:
        text = text.replace("đúng hạn: 20.567, đạt 78,5%", "đúng hạn: 20.567, đạt 87,5%")
        text = text.replace("trong hạn: 14,", "trong hạn: 41,")
        out.append(text)
    assert out != TRA_CU
    return out


@pytest.mark.parametrize("kind", ["docx", "pdf", "txt", "odt", "rtf", "doc"])
def test_planted_wrong_percentage_and_wrong_sum_are_errors(kind, tthc, tmp_path):
    code, stdout, _, data = tthc(write_report(planted_tra_cu(), kind, tmp_path))
    assert code == 1
    errors = sorted((f["kind"], f["found"], f["expected"]) for f in data["findings"] if f["severity"] == "error")
    assert errors == [("percent", "87,5 %", "78,5 %"), ("sum", "14", "41")]
    assert [f["severity"] for f in data["findings"]] == ["error", "error"]
    assert "Tỷ lệ số hồ sơ giải quyết đúng hạn ghi 87,5 %, nhưng 20.567 / 26.188 (số hồ sơ đã giải quyết) = 78,5 %." in stdout
    assert ("Số hồ sơ đang giải quyết còn hạn (41) + số hồ sơ đang giải quyết quá hạn (0) = 41, không bằng số hồ sơ "
            "đang giải quyết (14).") in stdout
    assert "0 cảnh báo" in stdout and "2 lỗi" in stdout
    found = verdicts(data)
    assert found["87,5 %"] == ["sai"] and found["41"] == ["sai"]
    assert found["21,5 %"] == ["đúng"] and found["5.621"] == ["đúng"]


def test_an_impossible_percentage_is_an_error(tthc, tmp_path):
    text = [p.replace("đạt 21,5%", "đạt 121,5%") for p in TRA_CU]
    code, _, _, data = tthc(write_report(text, "txt", tmp_path))
    assert code == 1
    assert [f["message"] for f in data["findings"]] == [
        "Tỷ lệ số hồ sơ giải quyết trước hạn ghi 121,5 %: tỷ lệ không thể quá 100 %."
    ]


def test_a_base_quoted_wrongly_and_more_pending_than_received_are_errors(tthc, tmp_path):
    text = ["- Trung tâm đã tiếp nhận 5.661 hồ sơ, trong đó: kỳ trước chuyển sang: 1.194 hồ sơ, tiếp nhận mới: "
            "4.467 hồ sơ; đã giải quyết 3.892 hồ sơ (chiếm 68,75 % trên tổng số 5.166 hồ sơ); đang giải quyết "
            "1.869 hồ sơ."]
    code, _, _, data = tthc(write_report(text, "txt", tmp_path))
    assert code == 1
    assert [(f["kind"], f["severity"], f["message"]) for f in data["findings"]] == [
        ("repeat", "error", "Tổng số hồ sơ tiếp nhận ghi 5.166, nhưng trước đó ghi 5.661."),
        ("sum", "error", "Số hồ sơ đã giải quyết (3.892) + số hồ sơ đang giải quyết (1.869) = 5.761, không bằng "
                         "tổng số hồ sơ tiếp nhận (5.661)."),
    ]
    assert verdicts(data)["68,75 %"] == ["đúng"]  # 3.892 / 5.661, the received total the text states first


# ------------------------------------------------------------------------------------ OCR


def ocr_damaged(paragraphs: list[str], damage: dict[str, str]) -> list[str]:
    """Diacritics stripped, then the numbers damaged as OCR does."""
    out = [strip_diacritics(p) for p in paragraphs]
    for old, new in damage.items():
        assert any(old in p for p in out), old
        out = [p.replace(old, new) for p in out]
    return out


@pytest.mark.parametrize("kind", ["txt", "docx"])
def test_ocr_damaged_tra_cu_gives_no_error_and_checks_what_reads(kind, tthc, tmp_path):
    damaged = ocr_damaged(TRA_CU, {
        "da giai quyet: 26.188": "da giai quyet: 26 188",  # a thousands dot turned into a space
        "dat 21,5%": "dat 215%",  # a decimal comma dropped
        "dung han: 20.567": "dung han: s20.567",  # a letter glued to the number
        "truoc han: 5.621": "truoc han: 5.62l",  # l for 1
    })
    code, stdout, stderr, data = tthc(write_report(damaged, kind, tmp_path))
    assert code == 0, stdout + stderr
    assert data["findings"] == []
    found = verdicts(data)
    # the damaged figures are confirmed by one of their readings, and say which
    resolved = next(f for f in data["figures"] if f["written"] == "26 188")
    assert resolved["value"] is None and resolved["readings"] == [26188, 188] and resolved["verdict"] == "đúng"
    rate = next(f for f in data["figures"] if f["written"] == "215 %")
    assert rate["verdict"] == "đúng" and rate["note"] == "đọc là 21,5 %"
    # the readable ones are still checked
    for figure in ("26.199", "4.049", "15,5 %", "78,5 %", "14", "03"):
        assert "đúng" in found[figure], figure
    early = next(f for f in data["figures"] if f["written"] == "5.62l")
    assert (early["value"], early["readings"], early["verdict"]) == (None, [5621], "đúng")


def test_ocr_damage_that_no_reading_explains_is_skipped_not_an_error(tthc, tmp_path):
    damaged = ocr_damaged(LANG_SON, {
        "1.093 ho so dung han": "1 093 ho so dung han",
        "chiem 72,8%": "chiem 782%",  # no reading gives 72,8: skipped, never an error
        "chuyen sang la 554": "chuyen sang la s6554",
        "tiep nhan moi la 1.545": "tiep nhan moi la 1,545",  # the thousands dot read as a comma
    })
    code, stdout, stderr, data = tthc(write_report(damaged, "txt", tmp_path))
    assert code == 0, stdout + stderr
    assert [f["kind"] for f in data["findings"]] == ["conservation"]  # the real gap is still told
    figures = {f["written"]: f for f in data["figures"]}
    assert figures["782 %"]["verdict"] == "bỏ qua" and figures["782 %"]["readings"] == [7.82, 78.2]
    assert figures["1 093"]["verdict"] == "đúng" and figures["6554"]["verdict"] == "đúng"
    assert figures["1,545"]["readings"] == [1545] and figures["1,545"]["verdict"] == "đúng"
    assert figures["26,6 %"]["verdict"] == "đúng" and figures["95,3 %"]["verdict"] == "đúng"
    assert "Đoạn 7: 782 %, số hồ sơ giải quyết đúng hạn: bỏ qua: không đọc chắc chắn được" in stdout


# ------------------------------------------------------------------------------------ formats


def cp1258_bytes(text: str) -> bytes:
    """Windows-1258 as old editors save Vietnamese: base letters with ^ ˘ ' precomposed, tone marks apart."""
    tones = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
    out = []
    for ch in unicodedata.normalize("NFC", text):
        parts = unicodedata.normalize("NFD", ch)
        out.append(unicodedata.normalize("NFC", "".join(c for c in parts if c not in tones))
                   + "".join(c for c in parts if c in tones))
    return "".join(out).encode("cp1258")


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8-sig", "cp1258"])
def test_text_files_in_other_encodings_read_alike(encoding, tthc, tmp_path):
    text = "\r\n".join(TRA_CU)
    data = cp1258_bytes(text) if encoding == "cp1258" else text.encode(encoding)
    path = tmp_path / "bao-cao.txt"
    path.write_bytes(data)
    code, _, _, result = tthc(path)
    assert code == 0 and result["findings"] == []
    assert sorted(f["written"] for f in result["figures"]) == sorted(
        f["written"] for f in tthc(write_report(TRA_CU, "txt", tmp_path / "utf8"))[3]["figures"])


def test_pdfs_read_alike_without_poppler(tthc, tmp_path, monkeypatch):
    """pdftotext where poppler is installed, pdfplumber on a clerk's Windows machine: the same figures."""
    from tthc_xl.files import text_docs

    pdf = write_report(LANG_SON, "pdf", tmp_path)
    with_poppler = tthc(pdf)[3]
    monkeypatch.setattr(text_docs, "_pdftotext_path", lambda: None)
    without = tthc(pdf)[3]
    assert [(f["paragraph"], f["written"], f["verdict"]) for f in without["figures"]] == [
        (f["paragraph"], f["written"], f["verdict"]) for f in with_poppler["figures"]]
    assert len(without["figures"]) == 25 and without["findings"] == with_poppler["findings"]


@pytest.mark.parametrize("poppler", [True, False])
def test_a_scanned_pdf_says_it_has_no_text(poppler, tthc, tmp_path, monkeypatch):
    from tthc_xl.files import text_docs

    if not poppler:
        monkeypatch.setattr(text_docs, "_pdftotext_path", lambda: None)
    from PIL import Image

    scan = tmp_path / "ban-quet.pdf"
    Image.new("RGB", (620, 877), "white").save(scan)
    code, stdout, stderr, data = tthc(scan)
    assert code == 2 and data is None
    assert "ban-quet.pdf là bản quét" in stderr and "OCR" in stderr
    assert not EXCEPTION_NAME.search(stderr)


@pytest.mark.parametrize("poppler", [True, False])
@pytest.mark.parametrize("name, content, expected", [
    ("bao-cao.docx", b"khong phai tep Word", "bao-cao.docx: tệp bị hỏng"),
    ("bao-cao.pdf", b"%PDF-1.4\n\x00\x01 hong", "bao-cao.pdf: tệp PDF bị hỏng"),
    ("bao-cao.doc", b"{\\rtf1 ", "LibreOffice không mở được tệp"),
    ("bao-cao.docx", b"PK\x03\x04" + b"\x00" * 40, "bao-cao.docx: tệp bị hỏng"),
])
def test_broken_reports_are_named_without_an_exception(name, content, expected, poppler, tthc, tmp_path, monkeypatch):
    from tthc_xl.files import text_docs

    if not poppler:
        monkeypatch.setattr(text_docs, "_pdftotext_path", lambda: None)
    path = tmp_path / name
    path.write_bytes(content)
    code, _, stderr, data = tthc(path)
    assert code == 2 and data is None
    assert expected in stderr
    assert not EXCEPTION_NAME.search(stderr)


def test_a_missing_report_and_a_spreadsheet_are_refused(tthc, tmp_path):
    code, _, stderr, _ = tthc(tmp_path / "khong-co.docx")
    assert code == 2 and "Không tìm thấy tệp báo cáo" in stderr
    import openpyxl

    book = openpyxl.Workbook()
    book.save(tmp_path / "bang.xlsx")
    code, _, stderr, _ = tthc(tmp_path / "bang.xlsx")
    assert code == 2 and "đây là bảng tính, không phải văn bản báo cáo" in stderr


# ------------------------------------------------------------------------------------ the document's own table


APPENDIX = [  # layout A, as a report's appendix table: header, number row, two units, total
    ["STT", "Đơn vị", "Tổng số", "Kỳ trước chuyển sang", "Số mới tiếp nhận", "Tổng số", "Trước hạn", "Đúng hạn",
     "Quá hạn", "Tổng số", "Còn hạn", "Quá hạn", "Hồ sơ bị trả lại, rút hồ sơ", "Hồ sơ nhận qua trực tuyến"],
    [str(n) for n in range(1, 15)],
    ["1", "Sở Tư pháp", "120", "20", "100", "100", "60", "28", "12", "20", "18", "2", "0", "30"],
    ["2", "Sở Tài chính", "80", "10", "70", "70", "50", "20", "0", "10", "10", "0", "0", "5"],
    ["", "Tổng cộng", "200", "30", "170", "170", "110", "48", "12", "30", "28", "2", "0", "35"],
]


def test_text_is_checked_against_the_documents_own_table_and_its_units(tthc, tmp_path):
    text = [
        "Trung tâm đã tiếp nhận 200 hồ sơ, trong đó: kỳ trước chuyển sang 30 hồ sơ, tiếp nhận mới 170 hồ sơ; "
        "đã giải quyết 170 hồ sơ (chiếm 85 % trên tổng số 200 hồ sơ); đang giải quyết 30 hồ sơ.",
        "Có 12 trường hợp giải quyết quá hạn của Sở Tư pháp; có 3 hồ sơ đang giải quyết quá hạn của Sở Tư pháp.",
    ]
    report = write_docx(text, tmp_path / "bao-cao.docx", [APPENDIX])
    code, stdout, _, data = tthc(report)
    assert code == 1
    [error] = data["findings"]
    assert error["message"] == "Số hồ sơ đang giải quyết quá hạn của Sở Tư pháp ghi 3, theo số liệu là 2."
    assert error["against"] == "bảng 1 trong báo cáo" and error["paragraph"] == 2
    figures = {(f["paragraph"], f["written"]): f for f in data["figures"]}
    assert figures[(2, "12")]["unit"] == "Sở Tư pháp" and figures[(2, "12")]["verdict"] == "đúng"
    assert figures[(2, "12")]["checked_against"] == ["dòng Sở Tư pháp của bảng 1 trong báo cáo"]
    assert "bảng 1 trong báo cáo" in figures[(1, "200")]["checked_against"]
    assert figures[(1, "85 %")]["verdict"] == "đúng"


def test_a_word_file_with_damaged_text_is_named_without_an_exception(tthc, tmp_path):
    good = write_docx(TRA_CU, tmp_path / "tot.docx")
    damaged = with_parts_changed(good, tmp_path / "bao-cao.docx", {"word/document.xml": lambda data: data[: len(data) // 2]})
    code, _, stderr, data = tthc(damaged)
    assert code == 2 and data is None
    assert "Không đọc được báo cáo bao-cao.docx: tệp Word bị hỏng" in stderr
    assert not EXCEPTION_NAME.search(stderr)


def test_a_share_whose_sentence_names_no_base_may_be_of_the_newly_received():
    from tthc_xl.core.layouts import load_layouts
    from tthc_xl.report.check import check_text

    text = [p.replace("tiếp nhận trực tuyến 531 hồ sơ", "tiếp nhận trực tuyến 531 hồ sơ (chiếm 34,4%)") for p in LANG_SON]
    result = check_text(text, layouts=load_layouts())
    online = next(f for f in result.figures if f.written == "34,4 %")
    assert (online.verdict, online.checked) == ("đúng", ["báo cáo: 531 / 1.545"])  # of 1.545 new, not 2.099
    named = [p.replace("(chiếm 34,4%)", "(chiếm 34,4% trên tổng số hồ sơ tiếp nhận)") for p in text]
    result = check_text(named, layouts=load_layouts())
    assert [f["message"] for f in result.errors] == [
        "Tỷ lệ số hồ sơ tiếp nhận trực tuyến ghi 34,4 %, nhưng 531 / 2.099 (tổng số hồ sơ tiếp nhận) = 25,3 %."
    ]


def test_a_broken_vocabulary_file_is_named(tmp_path):
    from tthc_xl.report.reading import VocabularyError, load_vocabulary

    broken = tmp_path / "tu-vung.toml"
    broken.write_text('count_nouns = ["ho so"]\n[[meaning]]\nkey = "received"\n', encoding="utf-8")
    with pytest.raises(VocabularyError, match=r"tu-vung.toml thiếu hoặc sai mục 'label'"):
        load_vocabulary(broken)


def test_levels_stated_one_after_the_other_are_checked_each_on_its_own(tthc, tmp_path):
    # Two levels, each consistent: the province's total is never summed with the district's parts.
    text = [
        "- Cấp tỉnh: tiếp nhận 1.000 hồ sơ, trong đó kỳ trước chuyển sang 100 hồ sơ, tiếp nhận mới 900 hồ sơ; "
        "đã giải quyết 900 hồ sơ (chiếm 90%).",
        "- Cấp huyện: tiếp nhận 500 hồ sơ, trong đó kỳ trước chuyển sang 50 hồ sơ, tiếp nhận mới 450 hồ sơ; "
        "đã giải quyết 450 hồ sơ (chiếm 90%); đang giải quyết 50 hồ sơ.",
        "- Cấp xã: tiếp nhận 300 hồ sơ, trong đó kỳ trước chuyển sang 30 hồ sơ, tiếp nhận mới 207 hồ sơ.",
    ]
    code, _, _, data = tthc(write_report(text, "txt", tmp_path))
    assert [(f["paragraph"], f["message"]) for f in data["findings"]] == [
        (3, "Số hồ sơ kỳ trước chuyển sang (30) + số hồ sơ tiếp nhận mới (207) = 237, không bằng tổng số hồ sơ "
            "tiếp nhận (300).")
    ]
    assert code == 1
    found = {(f["paragraph"], f["written"]): f["verdict"] for f in data["figures"]}
    assert found[(2, "50")] == "đúng" and found[(1, "90 %")] == "đúng" and found[(2, "90 %")] == "đúng"


def test_a_rate_with_no_count_and_its_comparison_are_read():
    from tthc_xl.report.reading import read_figures

    figures = read_figures(["Tỷ lệ hồ sơ giải quyết đúng hạn đạt 99,09%, tăng 0,5% so với cùng kỳ năm trước; "
                            "lệ phí thu được 1.200.000 đồng, Trung tâm có 25 cán bộ, 12 quầy."])
    assert [(f.kind, f.written, f.meaning, f.value, f.against) for f in figures] == [
        ("percent", "99,09 %", "resolved_on_time", 99.09, ""),
        ("rate_change", "tăng 0,5 %", "resolved_on_time", 0.5, "last_year"),
    ]


def test_a_gap_the_returned_dossiers_explain_is_no_warning(tthc, tmp_path):
    text = [p.replace("06 hồ sơ quá hạn.", "06 hồ sơ quá hạn; có 36 hồ sơ bị trả lại.") for p in LANG_SON]
    code, stdout, _, data = tthc(write_report(text, "txt", tmp_path))
    assert code == 0 and data["findings"] == []
    returned = next(f for f in data["figures"] if f["written"] == "36")
    assert returned["meaning"] == "returned" and returned["verdict"] == "đúng"
    received = next(f for f in data["figures"] if f["written"] == "2.099")
    assert received["verdict"] == "đúng" and received["note"] == "chênh lệch 36 là số hồ sơ bị trả lại, rút hồ sơ"


def test_a_report_typed_inside_a_layout_table_is_read(tthc, tmp_path):
    document = docx.Document()
    document.add_paragraph("BÁO CÁO")
    cell = document.add_table(rows=1, cols=1).cell(0, 0)
    cell.text = TRA_CU[0]
    for text in TRA_CU[1:]:
        cell.add_paragraph(text)
    report = tmp_path / "bao-cao.docx"
    document.save(str(report))
    code, _, _, data = tthc(report)
    assert code == 0 and data["findings"] == []
    found = verdicts(data)
    for figure in TEN_TRA_CU_FIGURES:
        assert "đúng" in found[figure], figure
    assert {v for vs in found.values() for v in vs} == {"đúng"}


def test_the_issues_ocr_damage_is_read_as_readings_never_as_values():
    from tthc_xl.report.reading import read_figures

    figures = read_figures(["Da giai quyet 6 635 ho so, chiem 4323 % tren tong so ho so tiep nhan; "
                            "dang giai quyet s68.311 ho so."])
    assert [(f.written, f.meaning, f.value, f.readings) for f in figures] == [
        ("6 635", "resolved", None, (6635, 635)),
        ("4323 %", "resolved", None, (43.23,)),
        ("68.311", "pending", None, (68311, 8311)),
    ]
