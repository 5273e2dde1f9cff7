"""Drafting and checking the narrative report (báo cáo) from the consolidated figures."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
import zipfile
from pathlib import Path

import docx
import pytest

import office

from tthc_xl.report.check import check_paragraphs, check_report, read_paragraphs
from tthc_xl.report.narrative import (
    DEFAULT_TEMPLATE,
    Figures,
    draft_report,
    jinja_env,
    report_context,
    report_text,
)
from tthc_xl.report.template import build_template

META = {
    "co_quan_chu_quan": "UBND TỈNH SÓC TRĂNG",
    "co_quan": "TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG",
    "so": "06/BC-TTHC",
    "dia_danh": "Sóc Trăng",
    "ngay": "24/10/2019",
    "ky_bao_cao": "tháng 10 năm 2019",
    "tu_ngay": "16/9/2019",
    "den_ngay": "15/10/2019",
    "kinh_gui": "Ủy ban nhân dân tỉnh Sóc Trăng",
    "nguoi_ky": "Nguyễn Văn A",
    "chuc_vu": "Giám đốc",
}

SOC_TRANG = Figures(
    totals={
        "received": 5661, "carried_over": 1194, "received_new": 4467,
        "resolved": 3892, "resolved_early": 3794, "resolved_on_time": 86, "resolved_late": 12,
        "pending": 1769, "pending_in_time": 1747, "pending_overdue": 22,
        "returned": 4, "received_online": 578,
    },
    units=[
        ("Sở Tư pháp", {"resolved_late": 12, "pending_overdue": 21}),
        ("Sở Giáo dục và Đào tạo", {"pending_overdue": 1}),
        ("Sở Lao động - Thương binh và Xã hội", {"returned": 1}),
        ("Sở Tài chính", {"returned": 2}),
        ("Sở Văn hóa, Thể thao và Du lịch", {"returned": 1}),
    ],
    previous={"received": 5565, "resolved_late": 16, "returned": 0},
    meta=META,
)

# A fuller previous month, chosen so that the share changes match the real report
# (early + on time 99,63 % → 99,69 %: "tăng 0,06 điểm phần trăm"; online 7,10 % → 10,21 %: "tăng 3,11 điểm phần trăm").
FULL_PREVIOUS = dataclasses.replace(SOC_TRANG, previous={
    "received": 5565, "resolved": 4324, "resolved_early": 4200, "resolved_on_time": 108,
    "resolved_late": 16, "returned": 0, "received_online": 395,
})

# Section 1 of the real Sóc Trăng report (October 2019), typed as one paragraph.
REAL_TEXT = (
    "- Trung tâm đã tiếp nhận 5.661 hồ sơ TTHC (tăng 96 hồ sơ so với tháng trước), trong đó: "
    "+ Kỳ trước chuyển sang: 1.194 hồ sơ, tiếp nhận mới: 4.467 hồ sơ; + Đã giải quyết 3.892 hồ "
    "sơ (chiếm 68,75 % trên tổng số 5.661 hồ sơ); trong đó, trả hồ sơ trước hạn và đúng hạn là "
    "3.880 hồ sơ, chiếm 99,69 % (tăng 0,06 % so với tháng trước); số hồ sơ đã giải quyết trễ hạn "
    "12 hồ sơ (chiếm 0,31 %, giảm 04 hồ sơ so với tháng trước); nguyên nhân … + Đang giải quyết "
    "1.769 hồ sơ (chiếm 31,25 % trên tổng số 5.661 hồ sơ); trong đó, đang giải quyết còn hạn là "
    "1.747 hồ sơ (chiếm 98,76 %); đang giải quyết quá hạn là 22 hồ sơ (chiếm 1,24 %); nguyên nhân "
    "… + Có 04 hồ sơ bị trả lại (chiếm 0,07 %, tăng 04 hồ sơ so với tháng trước) … - Có 578 hồ sơ "
    "tiếp nhận qua hình thức trực tuyến (chiếm 10,21 % trên tổng số 5.661 hồ sơ, tăng 3,11 % so "
    "với tháng trước)."
)

EXPECTED_IN_TEXT = [
    "5.661", "1.194", "4.467", "3.892 hồ sơ (chiếm 68,75 %", "1.769 hồ sơ (chiếm 31,25 %",
    "578 hồ sơ", "10,21 %", "tăng 96 hồ sơ", "3.880 hồ sơ, chiếm 99,69 %", "giảm 04 hồ sơ",
]


# ---------------------------------------------------------------------------- text and context


def test_text_quotes_the_figures_in_vietnamese_style():
    text = report_text(SOC_TRANG)
    for expected in EXPECTED_IN_TEXT:
        assert expected in text, expected
    assert text.splitlines()[0] == (
        "- Trung tâm đã tiếp nhận 5.661 hồ sơ TTHC (tăng 96 hồ sơ so với tháng trước), trong đó:"
    )
    assert "+ Kỳ trước chuyển sang: 1.194 hồ sơ, tiếp nhận mới: 4.467 hồ sơ;" in text
    assert "đang giải quyết còn hạn là 1.747 hồ sơ (chiếm 98,76 %)" in text
    assert "đang giải quyết quá hạn là 22 hồ sơ (chiếm 1,24 %)" in text
    assert "+ Có 04 hồ sơ bị trả lại (chiếm 0,07 %, tăng 04 hồ sơ so với tháng trước)" in text
    assert "(chiếm 10,21 % trên tổng số 5.661 hồ sơ)." in text


def test_text_names_units_and_leaves_placeholders_for_causes():
    text = report_text(SOC_TRANG)
    assert "giảm 04 hồ sơ so với tháng trước) thuộc Sở Tư pháp; nguyên nhân: [Nêu nguyên nhân]" in text
    assert "thuộc Sở Tư pháp (21 hồ sơ), Sở Giáo dục và Đào tạo (01 hồ sơ); nguyên nhân: [Nêu nguyên nhân]" in text
    assert ("thuộc Sở Tài chính (02 hồ sơ), Sở Lao động - Thương binh và Xã hội (01 hồ sơ), "
            "Sở Văn hóa, Thể thao và Du lịch (01 hồ sơ); lý do: [Nêu lý do trả lại hồ sơ].") in text


def test_text_with_full_previous_month_reads_like_the_real_report():
    text = report_text(FULL_PREVIOUS)
    assert "trả hồ sơ trước hạn và đúng hạn là 3.880 hồ sơ, chiếm 99,69 % (tăng 0,06 điểm phần trăm so với tháng trước)" in text
    assert "(chiếm 10,21 % trên tổng số 5.661 hồ sơ, tăng 3,11 điểm phần trăm so với tháng trước)." in text


def test_context_is_preformatted():
    context = report_context(FULL_PREVIOUS)
    assert context["ngay_thang"] == "ngày 24 tháng 10 năm 2019"
    assert context["chu_the"] == "Trung tâm"
    assert context["ky_truoc"] == "tháng trước"
    assert context["tong"]["resolved_in_time"] == 3880
    assert context["so_lieu"]["received"] == "5.661"
    assert context["so_lieu"]["returned"] == "04"
    assert context["ty_le"]["resolved"] == "68,75"
    assert context["ty_le"]["pending"] == "31,25"
    assert context["ty_le"]["resolved_in_time"] == "99,69"
    assert context["ty_le"]["resolved_late"] == "0,31"
    assert context["ty_le"]["received_online"] == "10,21"
    assert context["ty_le"]["returned"] == "0,07"
    assert context["thay_doi"]["received"] == "tăng 96 hồ sơ"
    assert context["thay_doi"]["resolved_late"] == "giảm 04 hồ sơ"
    assert context["thay_doi"]["returned"] == "tăng 04 hồ sơ"
    assert context["thay_doi_ty_le"]["resolved_in_time"] == "tăng 0,06 điểm phần trăm"
    assert context["thay_doi_ty_le"]["received_online"] == "tăng 3,11 điểm phần trăm"
    assert context["so_sanh"]["received"] == "tăng 96 hồ sơ so với tháng trước"
    assert context["don_vi"]["resolved_late"] == "Sở Tư pháp"


def test_unchanged_and_same_period_last_year():
    figures = dataclasses.replace(
        SOC_TRANG, previous={"received": 5661}, same_period_last_year={"received": 5000},
    )
    context = report_context(figures)
    assert context["thay_doi"]["received"] == "không đổi"
    assert context["so_sanh"]["received"] == (
        "không đổi so với tháng trước, tăng 661 hồ sơ so với cùng kỳ năm trước"
    )
    assert "(không đổi so với tháng trước, tăng 661 hồ sơ so với cùng kỳ năm trước)" in report_text(figures)


def test_padding_is_a_jinja_filter():
    env = jinja_env()
    assert env.from_string("{{ n|so }} hồ sơ").render(n=4) == "04 hồ sơ"
    assert env.from_string("{{ n|so(0) }} hồ sơ").render(n=4) == "4 hồ sơ"
    assert env.from_string("{{ n|so }}").render(n=5661) == "5.661"
    assert env.from_string("{{ p|phan_tram }} %").render(p=68.751) == "68,75 %"


def test_missing_keys_drop_their_phrases():
    totals = dict(SOC_TRANG.totals)
    for key in ("resolved_early", "carried_over", "returned", "received_online"):
        del totals[key]
    totals["resolved_on_time"] = 3880
    figures = Figures(totals=totals, meta=META)
    text = report_text(figures)
    assert "trả hồ sơ đúng hạn là 3.880 hồ sơ" in text
    assert "trước hạn" not in text
    assert "Kỳ trước" not in text
    assert "+ Tiếp nhận mới: 4.467 hồ sơ;" in text
    assert "trả lại" not in text
    assert "trực tuyến" not in text
    assert "so với" not in text  # no previous period given


def test_zero_late_and_overdue_need_no_cause():
    totals = dict(SOC_TRANG.totals, resolved_late=0, resolved_on_time=98, pending_overdue=0,
                  pending_in_time=1769, returned=0)
    text = report_text(Figures(totals=totals, previous={"resolved_late": 16}, meta=META))
    assert "không có hồ sơ giải quyết trễ hạn (giảm 16 hồ sơ so với tháng trước)" in text
    assert "không có hồ sơ đang giải quyết quá hạn" in text
    assert "+ Không có hồ sơ bị trả lại." in text
    assert "[Nêu nguyên nhân]" not in text


def test_indicators_the_columns_do_not_determine_are_left_out():
    totals = {k: v for k, v in SOC_TRANG.totals.items() if k not in ("pending_in_time", "received_online")}
    text = report_text(Figures(totals=totals, meta=META))
    assert "chỉ số 5.4 (tỷ lệ hồ sơ quá hạn, phần quá hạn của chỉ số 5.4) ước đạt 0,60%." in text  # 34 / 5.661
    assert "chỉ số 2.1" not in text and "chỉ số 3.3" not in text
    no_pending = {k: v for k, v in totals.items() if not k.startswith("pending")}
    assert "766/QĐ-TTg" not in report_text(Figures(totals=no_pending, meta=META))


def test_direct_and_postal_column_is_reported_when_present():
    figures = Figures(totals=dict(SOC_TRANG.totals, received_direct=4467 - 578), meta=META)
    assert "- Có 3.889 hồ sơ tiếp nhận trực tiếp và qua dịch vụ bưu chính công ích (chiếm 68,70 %" in report_text(figures)


# ---------------------------------------------------------------------------- the .docx


@pytest.fixture(scope="module")
def drafted(tmp_path_factory) -> Path:
    return draft_report(SOC_TRANG, tmp_path_factory.mktemp("report") / "bao-cao.docx")


def test_docx_contains_section_1_and_the_heading(drafted):
    paragraphs = read_paragraphs(drafted)
    text = "\n".join(paragraphs)
    for line in report_text(SOC_TRANG).splitlines():
        assert line in paragraphs
    for expected in (
        "UBND TỈNH SÓC TRĂNG", "TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG", "Số: 06/BC-TTHC",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
        "Sóc Trăng, ngày 24 tháng 10 năm 2019", "BÁO CÁO",
        "Tình hình, kết quả giải quyết thủ tục hành chính tháng 10 năm 2019",
        "Kính gửi: Ủy ban nhân dân tỉnh Sóc Trăng.", "từ ngày 16/9/2019 đến ngày 15/10/2019",
        "1. Tình hình, kết quả giải quyết TTHC", "(Chi tiết theo Phụ lục I đính kèm).",
        "Nơi nhận:", "GIÁM ĐỐC", "Nguyễn Văn A",
    ):
        assert expected in text, expected
    assert "{{" not in text and "{%" not in text


def test_docx_is_a4_with_administrative_margins_and_times_new_roman(drafted):
    document = docx.Document(str(drafted))
    section = document.sections[0]
    assert round(section.page_width.mm) == 210 and round(section.page_height.mm) == 297
    assert round(section.top_margin.mm) == 20 and round(section.bottom_margin.mm) == 20
    assert round(section.left_margin.mm) == 30 and round(section.right_margin.mm) == 15
    normal = document.styles["Normal"].font
    assert normal.name == "Times New Roman"
    assert 13 <= normal.size.pt <= 14
    with zipfile.ZipFile(drafted) as archive:
        styles = archive.read("word/styles.xml").decode("utf-8")
        body = archive.read("word/document.xml").decode("utf-8")
    assert 'w:ascii="Times New Roman"' in styles and 'w:eastAsia="Times New Roman"' in styles
    assert 'w:w="11906"' in body or 'w:w="11905"' in body  # A4 width in twips


def test_heading_block_is_a_borderless_two_column_table(drafted):
    document = docx.Document(str(drafted))
    head = document.tables[0]
    assert len(head.columns) == 2
    assert "{{" not in head.cell(0, 0).text
    borders = head._tbl.tblPr.xml
    assert 'w:val="nil"' in borders
    org = head.cell(0, 0).paragraphs[1]
    assert org.text == "TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG" and org.runs[0].bold
    place = [p for p in head.cell(1, 1).paragraphs if p.text][0]
    assert place.runs[0].italic


def test_special_characters_in_unit_names_are_escaped(tmp_path):
    figures = dataclasses.replace(SOC_TRANG, units=[("Sở Xây dựng & Giao thông <tỉnh>", {"resolved_late": 12})])
    path = draft_report(figures, tmp_path / "r.docx")
    assert any("thuộc Sở Xây dựng & Giao thông <tỉnh>;" in p for p in read_paragraphs(path))


def test_committed_template_is_what_the_builder_writes(tmp_path):
    fresh = build_template(tmp_path / "t.docx")
    for part in ("word/document.xml", "word/styles.xml", "word/header1.xml"):
        with zipfile.ZipFile(fresh) as a, zipfile.ZipFile(DEFAULT_TEMPLATE) as b:
            assert a.read(part) == b.read(part), f"{part}: run python -m tthc_xl.report.template"


# ---------------------------------------------------------------------------- LibreOffice → PDF


def _require(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.fail(f"{tool} is required (apt-get install libreoffice-writer poppler-utils)")
    return path


@pytest.fixture(scope="module")
def pdf(drafted, tmp_path_factory) -> Path:
    soffice = _require("soffice")
    out = tmp_path_factory.mktemp("pdf")
    profile = tmp_path_factory.mktemp("lo-profile")
    result = subprocess.run(
        [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless",
         "--convert-to", "pdf", "--outdir", str(out), str(drafted)],
        capture_output=True, text=True, timeout=180,
    )
    path = out / (drafted.stem + ".pdf")
    assert path.exists(), result.stdout + result.stderr
    return path


def test_libreoffice_renders_the_figures(pdf):
    _require("pdftotext")
    text = office.pdf_reading_text(pdf)
    for expected in EXPECTED_IN_TEXT:
        assert expected in text, expected
    assert "BÁO CÁO" in text and "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text
    assert "Sóc Trăng, ngày 24 tháng 10 năm 2019" in text


def test_pdf_page_is_a4(pdf):
    pdfinfo = _require("pdfinfo")
    info = subprocess.run([pdfinfo, str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "(A4)" in info


# ---------------------------------------------------------------------------- checking a report


def _plant(source: Path, target: Path, old: str, new: str, where: str) -> int:
    """Replace `old` by `new` in the paragraph containing `where`; return its index."""
    document = docx.Document(str(source))
    for paragraph in document.paragraphs:
        if where in paragraph.text:
            for run in paragraph.runs:
                if old in run.text:
                    run.text = run.text.replace(old, new, 1)
                    document.save(str(target))
                    return read_paragraphs(target).index(paragraph.text)
    raise AssertionError(f"{old!r} not found")


def test_check_passes_the_drafted_report(drafted):
    assert check_report(drafted, SOC_TRANG) == []


def test_check_passes_the_real_report_text():
    assert check_paragraphs([REAL_TEXT], FULL_PREVIOUS) == []


def test_check_flags_a_planted_received_total(drafted, tmp_path):
    planted = tmp_path / "sai.docx"
    index = _plant(drafted, planted, "tiếp nhận 5.661", "tiếp nhận 5.616", "đã tiếp nhận")
    findings = check_report(planted, SOC_TRANG)
    assert len(findings) == 1
    finding = findings[0]
    assert finding["paragraph"] == index
    assert (finding["quantity"], finding["found"], finding["expected"]) == ("received", "5.616", "5.661")
    assert "5.616" in finding["text"] and finding["text"].startswith("Trung tâm đã tiếp nhận")
    assert finding["message"] == "Tổng số hồ sơ tiếp nhận ghi 5.616, theo số liệu là 5.661."


def test_check_flags_a_planted_percentage(drafted, tmp_path):
    planted = tmp_path / "sai.docx"
    _plant(drafted, planted, "68,75", "68,57", "Đã giải quyết")
    findings = check_report(planted, SOC_TRANG)
    assert [(f["quantity"], f["kind"], f["found"], f["expected"]) for f in findings] == [
        ("resolved", "percent", "68,57 %", "68,75 %")
    ]


def test_check_flags_wrong_counts_changes_and_rates_in_typed_text():
    wrong = (REAL_TEXT.replace("1.194 hồ sơ", "1.149 hồ sơ")
             .replace("quá hạn là 22", "quá hạn là 2")
             .replace("giảm 04 hồ sơ", "giảm 05 hồ sơ")
             .replace("tăng 3,11 %", "tăng 1,31 %")
             .replace("trên tổng số 5.661 hồ sơ); trong đó, đang", "trên tổng số 5.166 hồ sơ); trong đó, đang"))
    found = {(f["quantity"], f["kind"], f["found"], f["expected"]) for f in check_paragraphs([wrong], FULL_PREVIOUS)}
    assert found == {
        ("carried_over", "count", "1.149", "1.194"),
        ("pending_overdue", "count", "2", "22"),
        ("resolved_late", "change", "giảm 05 hồ sơ", "giảm 04 hồ sơ"),
        ("received_online", "rate_change", "tăng 1,31 %", "tăng 3,11 điểm phần trăm"),
        ("received", "count", "5.166", "5.661"),
    }


def test_check_reads_unchanged():
    figures = dataclasses.replace(SOC_TRANG, previous={"received": 5661, "resolved_late": 16})
    assert check_paragraphs(["Trung tâm đã tiếp nhận 5.661 hồ sơ (không đổi so với tháng trước)."], figures) == []
    findings = check_paragraphs(
        ["Số hồ sơ đã giải quyết trễ hạn 12 hồ sơ (không thay đổi so với tháng trước)."], figures)
    assert [(f["quantity"], f["kind"], f["found"], f["expected"]) for f in findings] == [
        ("resolved_late", "change", "không thay đổi", "giảm 04 hồ sơ")
    ]


def test_check_flags_a_total_that_contradicts_its_parts(tmp_path):
    # The example: 2.099 received, while resolved + pending is 2.063.
    totals = {"received": 2099, "resolved": 1900, "pending": 163, "resolved_late": 0,
              "resolved_on_time": 1900, "pending_in_time": 163, "pending_overdue": 0}
    figures = Figures(totals=totals, meta=META)
    findings = check_report(draft_report(figures, tmp_path / "r.docx"), figures)
    assert [(f["quantity"], f["kind"], f["found"], f["expected"]) for f in findings] == [
        ("received", "sum", "2.099", "2.063")
    ]
    assert "2.063" in findings[0]["message"]

    # Same text, but the table's total is right: the typed 2.099 contradicts the figures.
    fixed = Figures(totals=dict(totals, received=2063), meta=META)
    findings = check_paragraphs(["- Trung tâm đã tiếp nhận 2.099 hồ sơ TTHC, trong đó:"], fixed)
    assert [(f["found"], f["expected"]) for f in findings] == [("2.099", "2.063")]


def test_returned_dossiers_explain_a_gap_in_the_total():
    # received = resolved + pending + returned is how some units count: not a contradiction.
    figures = Figures(totals={"received": 104, "resolved": 90, "pending": 10, "returned": 4})
    assert check_paragraphs(["Tổng số hồ sơ tiếp nhận là 104 hồ sơ."], figures) == []
