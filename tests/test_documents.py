"""Word and PDF reports: the Sóc Trăng report as a real Word document and as the PDF LibreOffice exports from it."""

import json
import subprocess
from pathlib import Path

import office
import pytest
import soctrang
from packages import with_parts_changed

from tthc_xl.cli.app import main
from tthc_xl.core.model import ERROR, PERCENT, TOTAL, UNIT
from tthc_xl.files.check import check_files
from tthc_xl.files.read import read_file


@pytest.fixture(scope="session")
def report_docx(tmp_path_factory):
    return soctrang.write_report_docx(tmp_path_factory.mktemp("word") / "bao-cao-06-BC-TTHC.docx")


@pytest.fixture(scope="session")
def report_pdf(report_docx, tmp_path_factory):
    return office.convert(report_docx, "pdf", tmp_path_factory.mktemp("pdf"))


def found(findings):
    """What a finding says, wherever its cell is: unit, rule, column, severity and the fixing values."""
    return sorted((f.unit, f.rule, f.column, f.severity, tuple(sorted((f.fix or {}).values()))) for f in findings)


def test_the_word_appendix_is_read_with_its_merged_header_and_wrapped_number_row(report_docx, layouts):
    result = read_file(report_docx, layouts)
    assert result.error == ""
    (table,) = result.tables
    assert table.layout.name == "mau-a" and table.sheet == "Bảng 1 (PHỤ LỤC I)"
    units = table.rows_of(UNIT)
    assert [r.label for r in units] == [name for _, name, _ in soctrang.UNITS]
    assert [[r.cells[n].value for n in soctrang.COLUMNS] for r in units] == [v for *_, v in soctrang.UNITS]
    (total,) = table.rows_of(TOTAL)
    assert {n: c.value for n, c in total.cells.items()} == soctrang.PRINTED_TOTAL
    (percent,) = table.rows_of(PERCENT)
    assert {n: c.value for n, c in percent.cells.items()} == soctrang.PRINTED_PERCENT


def test_check_of_the_word_and_pdf_reports_gives_exactly_the_findings_of_the_xlsx_appendix(appendix, report_docx, report_pdf, layouts):
    expected = found(check_files([appendix], layouts).findings)
    assert len(expected) == 9
    for document in (report_docx, report_pdf):
        result = check_files([document], layouts)
        assert result.form == "mau-a"
        assert found(result.findings) == expected, document.name


def test_the_pdf_table_over_two_pages_with_its_header_repeated_is_one_table(report_pdf, layouts):
    text = office.pdf_text(report_pdf)
    assert text.count("Số hồ sơ nhận giải quyết") == 2  # the header printed on both pages
    result = read_file(report_pdf, layouts)
    (table,) = result.tables
    assert table.sheet == "Trang 2–3, bảng 1 (PHỤ LỤC I)"
    units = table.rows_of(UNIT)
    # Names wrapped over several lines are joined; "Sở Tài / chính" broken by the page end is one row.
    assert [r.label for r in units] == [name for _, name, _ in soctrang.UNITS]
    gtvt = units[3]
    assert (gtvt.cells[3].raw, gtvt.cells[3].value) == ("2.708", 2708)  # Vietnamese thousands dots kept
    assert [[r.cells[n].value for n in soctrang.COLUMNS] for r in units] == [v for *_, v in soctrang.UNITS]


def test_consolidating_the_word_and_pdf_reports_gives_the_findings_of_the_xlsx_and_the_column_sums(appendix, report_docx, report_pdf, tmp_path, capsys):
    def consolidated(source, name):
        out = tmp_path / f"{name}.json"
        code = main(["consolidate", str(source), "--units", "soc-trang-so-nganh", "-o", str(tmp_path / f"{name}.xlsx"), "--json", str(out)])
        data = json.loads(out.read_text(encoding="utf-8"))
        return code, data, sorted((f["unit"], f["rule"], f["severity"], tuple(sorted((f["fix"] or {}).values()))) for f in data["findings"])

    code, data, expected = consolidated(appendix, "xlsx")
    assert code == 1 and len(expected) == 9
    for source, name in ((report_docx, "docx"), (report_pdf, "pdf")):
        code, data, findings = consolidated(source, name)
        assert code == 1
        assert findings == expected
        assert data["totals"] == {str(n): v for n, v in soctrang.COLUMN_SUMS.items()}
        assert [s["status"] for s in data["sources"]] == ["ok"]
    # Provenance names the document, the page and table, and the cell of the row.
    tu_phap = next(f for f in data["findings"] if f["unit"] == "Sở Giáo dục và Đào tạo")
    assert tu_phap["source"]["file"].endswith(".pdf") and tu_phap["source"]["sheet"] == "Trang 2–3, bảng 1 (PHỤ LỤC I)"
    assert tu_phap["source"]["cell"] == "F7"  # 3 header rows, the number row, then the units: the third is row 7


def test_a_document_of_three_appendix_tables_whose_levels_do_not_add_up_names_the_row(tmp_path, layouts, capsys):
    province = [u for u in soctrang.UNITS if u[0] in (6, 9, 10, 11, 12, 13, 14, 15, 16)]
    communes = [(1, "UBND xã An Hiệp", [50, 10, 40, 30, 5, 20, 5, 20, 18, 2, 0, 3]),
                (2, "UBND xã Phú Tâm", [20, 2, 18, 15, 0, 15, 0, 5, 5, 0, 1, 6]),
                (3, "UBND phường 1", [100, 30, 70, 80, 10, 68, 2, 20, 19, 1, 0, 10])]
    whole = province + [(len(province) + i, name, values) for i, name, values in communes]
    planted = [c if c[1] != "UBND xã Phú Tâm" else (2, "UBND xã Phú Tâm", [21, 2, 19, 15, 0, 15, 0, 6, 6, 0, 1, 6]) for c in communes]
    document = soctrang.write_report_docx(tmp_path / "ba-phu-luc.docx", tables=[
        ("PHỤ LỤC 1 - TOÀN TỈNH", soctrang.appendix_rows(whole)),
        ("PHỤ LỤC 2 - CẤP TỈNH", soctrang.appendix_rows(province)),
        ("PHỤ LỤC 3 - CẤP XÃ", soctrang.appendix_rows(planted)),
    ])
    result = check_files([document], layouts)
    levels = [f for f in result.findings if f.rule == "các cấp cộng lại bằng toàn bộ"]
    rows = {(f.unit, f.sheet, f.cell) for f in levels if f.unit == "UBND xã Phú Tâm"}
    assert rows == {("UBND xã Phú Tâm", "Bảng 3 (PHỤ LỤC 3 - CẤP XÃ)", ref) for ref in ("C6", "E6", "J6", "K6")}
    message = next(f.message for f in levels if f.cell == "C6")
    assert "UBND xã Phú Tâm, cột (3)" in message and "ghi 21" in message and "ghi 20" in message
    totals = {f.cell for f in levels if f.unit == "Tổng cộng"}
    assert totals == {"C17", "E17", "J17", "K17"}  # the whole's total row against the levels' totals
    assert all(f.severity == ERROR for f in levels)
    # Consolidated, the document counts its all-units table once, not its levels again.
    out = tmp_path / "kq.json"
    main(["consolidate", str(document), "-o", str(tmp_path / "th.xlsx"), "--json", str(out)])
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["totals"]["3"] == sum(v[0] for *_, v in whole)
    assert not [f for f in data["findings"] if f["rule"] == "trùng đơn vị"]


def test_odt_and_rtf_reports_are_read_through_libreoffice(report_docx, tmp_path, layouts):
    expected = found(check_files([report_docx], layouts).findings)
    odt = office.convert(report_docx, "odt", tmp_path / "odt")
    rtf = office.convert(report_docx, "rtf", tmp_path / "rtf")
    doc = office.convert(odt, "doc:MS Word 97", tmp_path / "doc")  # LibreOffice writes this table to .doc from .odt only
    for converted in (odt, rtf, doc):
        before = converted.read_bytes()
        result = check_files([converted], layouts)
        assert found(result.findings) == expected, converted.name
        assert converted.read_bytes() == before  # the unit's file is only read


def test_a_scanned_pdf_without_text_gets_a_clear_message(report_pdf, tmp_path, capsys):
    from PIL import Image

    subprocess.run([office.require("pdftoppm"), "-r", "40", "-png", "-f", "2", "-l", "2", str(report_pdf), str(tmp_path / "trang")], check=True)
    (png,) = tmp_path.glob("trang*.png")
    scan = tmp_path / "ban-quet.pdf"
    Image.open(png).convert("RGB").save(scan)
    assert main(["check", str(scan)]) == 2
    out = capsys.readouterr().out
    assert "ban-quet.pdf là bản quét" in out and "không có lớp chữ" in out and "gửi tệp Word hoặc Excel" in out


def test_a_cover_letter_without_tables_is_named_as_such(tmp_path, layouts):
    from docx import Document

    letter = Document()
    for text in soctrang.NARRATIVE:
        letter.add_paragraph(text)
    letter.save(tmp_path / "cong-van.docx")
    result = read_file(tmp_path / "cong-van.docx", layouts)
    assert result.tables == [] and "Văn bản cong-van.docx không có bảng nào" in result.error


def test_a_pdf_without_ruled_tables_says_so(appendix, tmp_path, capsys):
    # The appendix as openpyxl writes it has no cell borders: its PDF has text but no ruled table.
    pdf = office.convert(appendix, "pdf", tmp_path)
    assert main(["check", str(pdf)]) == 2
    assert f"Tệp PDF {pdf.name} có chữ nhưng không có bảng kẻ viền ô nào" in capsys.readouterr().out


def test_a_broken_document_costs_that_file_only(report_docx, unit_folder, tmp_path, capsys):
    import shutil

    folder = tmp_path / "don-vi"
    shutil.copytree(unit_folder, folder)
    (folder / "hong.docx").write_bytes(report_docx.read_bytes()[:3000])
    (folder / "hong.pdf").write_bytes(b"%PDF-1.7\n" + b"\x00" * 200)
    code = main(["consolidate", str(folder), "--units", "soc-trang-so-nganh", "-o", str(tmp_path / "th.xlsx"), "--json", str(tmp_path / "kq.json")])
    out = capsys.readouterr().out
    assert code == 1
    assert "hong.docx bị hỏng" in out and "Không mở được tệp PDF hong.pdf" in out
    data = json.loads((tmp_path / "kq.json").read_text(encoding="utf-8"))
    assert data["totals"]["3"] == soctrang.COLUMN_SUMS[3]


def test_the_bundled_word_and_pdf_samples_give_the_appendix_findings(appendix, layouts):
    from pathlib import Path

    folder = Path(__file__).resolve().parents[1] / "samples" / "bao-cao"
    documents = sorted(p.suffix for p in folder.iterdir())
    assert documents == [".docx", ".pdf"]
    expected = found(check_files([appendix], layouts).findings)
    for path in folder.iterdir():
        assert found(check_files([path], layouts).findings) == expected, path.name


def test_a_document_listing_a_units_sub_units_is_consolidated_like_a_file_per_unit(unit_folder, tmp_path):
    import shutil

    folder = tmp_path / "don-vi"
    shutil.copytree(unit_folder, folder)
    communes = [(1, "UBND xã An Hiệp", [50, 10, 40, 30, 5, 20, 5, 20, 18, 2, 0, 3]),
                (2, "UBND xã Phú Tâm", [20, 2, 18, 15, 0, 15, 1, 5, 5, 0, 1, 6])]  # 15 ≠ 0 + 15 + 1
    soctrang.write_report_docx(folder / "ubnd-huyen-chau-thanh.docx", tables=[("PHỤ LỤC I", soctrang.appendix_rows(communes))])
    out = tmp_path / "kq.json"
    assert main(["consolidate", str(folder), "-o", str(tmp_path / "th.xlsx"), "--json", str(out)]) == 1
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["totals"] == {str(n): v + sum(c[2][n - 3] for c in communes) for n, v in soctrang.COLUMN_SUMS.items()}
    (source,) = [s for s in data["sources"] if s["file"].endswith(".docx")]
    assert source["status"] == "ok" and source["sheet"] == "Bảng 1 (PHỤ LỤC I)"
    # Provenance of the commune's figure: the document, its table, the cell of the commune's row (row 6 of the table).
    (finding,) = [f for f in data["findings"] if f["unit"] == "UBND xã Phú Tâm"]
    assert finding["rule"] == "(6) = (7) + (8) + (9)"
    assert (Path(finding["source"]["file"]).name, finding["source"]["sheet"], finding["source"]["cell"]) == (
        "ubnd-huyen-chau-thanh.docx", "Bảng 1 (PHỤ LỤC I)", "F6")


def test_the_masters_printed_pdf_beside_it_is_not_read_as_a_unit_report(report_pdf, unit_folder, tmp_path):
    import shutil

    folder = tmp_path / "don-vi"
    shutil.copytree(unit_folder, folder)
    shutil.copy(report_pdf, folder / "tong-hop.pdf")  # as `tthc-xl print folder/tong-hop.xlsx` leaves it
    out = tmp_path / "kq.json"
    main(["consolidate", str(folder), "--units", "soc-trang-so-nganh", "-o", str(folder / "tong-hop.xlsx"), "--json", str(out)])
    data = json.loads(out.read_text(encoding="utf-8"))
    assert not any(s["file"].endswith(".pdf") for s in data["sources"])
    assert not [f for f in data["findings"] if f["rule"] == "trùng đơn vị"]


def test_a_word_package_with_a_dtd_or_no_document_is_refused_before_parsing(report_docx, appendix, tmp_path, layouts):
    declared = with_parts_changed(report_docx, tmp_path / "thuc-the.docx", {
        "word/document.xml": lambda data: data.replace(b"?>", b'?><!DOCTYPE w [<!ENTITY a "aaaaaaaaaa">]>', 1)})
    result = read_file(declared, layouts)
    assert result.tables == [] and "thuc-the.docx có khai báo XML không được phép (DOCTYPE/ENTITY)" in result.error
    workbook = tmp_path / "bang-tinh.docx"
    workbook.write_bytes(appendix.read_bytes())  # a workbook renamed .docx
    result = read_file(workbook, layouts)
    assert "bang-tinh.docx không phải văn bản Word (.docx)" in result.error


def test_reading_word_and_pdf_reports_never_writes_them(report_docx, report_pdf, layouts):
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in (report_docx, report_pdf)}
    check_files([report_docx, report_pdf], layouts)
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in before} == before


def test_three_appendix_tables_exported_to_pdf_stay_three_tables(tmp_path, layouts):
    province = [u for u in soctrang.UNITS if u[0] in (6, 9, 10)]
    communes = [(1, "UBND xã An Hiệp", [50, 10, 40, 30, 5, 20, 5, 20, 18, 2, 0, 3])]
    whole = province + [(4, "UBND xã An Hiệp", communes[0][2])]
    planted = [(1, "UBND xã An Hiệp", [50, 10, 40, 30, 5, 20, 5, 20, 17, 3, 0, 3])]  # 18 / 2 in the whole
    document = soctrang.write_report_docx(tmp_path / "ba-phu-luc.docx", tables=[
        ("PHỤ LỤC 1 - TOÀN TỈNH", soctrang.appendix_rows(whole)),
        ("PHỤ LỤC 2 - CẤP TỈNH", soctrang.appendix_rows(province)),
        ("PHỤ LỤC 3 - CẤP XÃ", soctrang.appendix_rows(planted)),
    ])
    pdf = office.convert(document, "pdf", tmp_path / "pdf")
    result = read_file(pdf, layouts)
    assert [t.sheet for t in result.tables + result.level_tables] == [
        "Trang 2, bảng 1 (PHỤ LỤC 1 - TOÀN TỈNH)", "Trang 3, bảng 1 (PHỤ LỤC 2 - CẤP TỈNH)", "Trang 4, bảng 1 (PHỤ LỤC 3 - CẤP XÃ)"]
    levels = {(f.unit, f.sheet, f.cell) for f in result.findings}
    assert levels == {("UBND xã An Hiệp", "Trang 4, bảng 1 (PHỤ LỤC 3 - CẤP XÃ)", "K5"), ("UBND xã An Hiệp", "Trang 4, bảng 1 (PHỤ LỤC 3 - CẤP XÃ)", "L5"),
                      ("Tổng cộng", "Trang 2, bảng 1 (PHỤ LỤC 1 - TOÀN TỈNH)", "K9"), ("Tổng cộng", "Trang 2, bảng 1 (PHỤ LỤC 1 - TOÀN TỈNH)", "L9")}


def test_the_masters_notes_and_links_name_a_documents_table_and_open_the_document(report_pdf, tmp_path):
    import openpyxl

    master = tmp_path / "th.xlsx"
    main(["consolidate", str(report_pdf), "--units", "soc-trang-so-nganh", "-o", str(master)])
    book = openpyxl.load_workbook(master)
    note = book["Phụ lục I"]["F11"].comment.text  # Sở Giáo dục và Đào tạo, row 11 of the master
    assert f"Nguồn: {report_pdf.name}, Trang 2–3, bảng 1 (PHỤ LỤC I), ô F7." in note
    links = {c.hyperlink.target for row in book["Kiểm tra"].iter_rows() for c in row if c.hyperlink and report_pdf.name in c.hyperlink.target}
    assert links == {report_pdf.resolve().as_uri()}


def test_findings_in_word_and_pdf_tables_name_the_row_and_column_not_an_a1_cell(appendix, report_docx, report_pdf, tmp_path, capsys):
    # A Word or PDF table has no "F7": the words name its row and numbered column; the data keep A1.
    for document, table in ((report_docx, "Bảng 1 (PHỤ LỤC I)"), (report_pdf, "Trang 2–3, bảng 1 (PHỤ LỤC I)")):
        out = tmp_path / f"{document.suffix[1:]}.json"
        capsys.readouterr()
        assert main(["check", str(document), "--json", str(out)]) == 1
        stdout = capsys.readouterr().out
        findings = json.loads(out.read_text(encoding="utf-8"))["findings"]
        education = next(f for f in findings if f["unit"] == "Sở Giáo dục và Đào tạo")
        assert (education["sheet"], education["cell"], education["suspects"]) == (table, "F7", ["G7", "H7", "I7"])
        assert education["place"] == "dòng 7, cột (6)"
        assert education["message"] == (
            "Sở Giáo dục và Đào tạo: cột (6) phải bằng (7) + (8) + (9), nhưng ô dòng 7, cột (6) = 40 còn 3 + 0 + 0 = 3. "
            "Ô nghi sai (một trong số): dòng 7, cột (7), (8), (9).")
        assert f"- [LỖI] {document.name} [{table}] dòng 7, cột (6): Sở Giáo dục và Đào tạo: cột (6)" in stdout
        early = next(f for f in findings if f["unit"] == "Tổng cộng" and f["cell"] == "G21")
        assert early["place"] == "dòng 21, cột (7)" and early["fix"] == {"G21": 1559}
        assert early["message"].endswith("Ô nghi sai: dòng 21, cột (7); giá trị đúng có thể là 1.559.")
        assert not any(ref in f["message"] for f in findings for ref in ("F7", "G7", "G21", "H21"))
    # The same table in a workbook keeps its A1 cells, in words and data.
    out = tmp_path / "xlsx.json"
    main(["check", str(appendix), "--json", str(out)])
    findings = json.loads(out.read_text(encoding="utf-8"))["findings"]
    education = next(f for f in findings if f["unit"] == "Sở Giáo dục và Đào tạo")
    assert "place" not in education and f"nhưng ô {education['cell']} = 40" in education["message"]


def test_the_check_sheet_names_a_documents_table_row_and_column_and_still_links_the_document(report_pdf, tmp_path):
    import openpyxl

    master = tmp_path / "th.xlsx"
    main(["consolidate", str(report_pdf), "--units", "soc-trang-so-nganh", "-o", str(master)])
    sheet = openpyxl.load_workbook(master)["Kiểm tra"]
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=4, max_col=10)]
    education = next(r for r in rows if r[3] == "Sở Giáo dục và Đào tạo")
    assert education[2] == "F11"  # the master's own cell
    assert education[8] == report_pdf.name and education[9] == "Trang 2–3, bảng 1 (PHỤ LỤC I), dòng 7, cột (6)"


def test_level_findings_name_the_rows_of_both_tables(tmp_path, layouts):
    province = [u for u in soctrang.UNITS if u[0] in (6, 9, 10)]
    commune = (1, "UBND xã An Hiệp", [50, 10, 40, 30, 5, 20, 5, 20, 18, 2, 0, 3])
    planted = [(1, "UBND xã An Hiệp", [50, 10, 40, 30, 5, 20, 5, 20, 17, 3, 0, 3])]
    document = soctrang.write_report_docx(tmp_path / "ba-phu-luc.docx", tables=[
        ("PHỤ LỤC 1 - TOÀN TỈNH", soctrang.appendix_rows(province + [(4, commune[1], commune[2])])),
        ("PHỤ LỤC 2 - CẤP TỈNH", soctrang.appendix_rows(province)),
        ("PHỤ LỤC 3 - CẤP XÃ", soctrang.appendix_rows(planted)),
    ])
    result = check_files([document], layouts)
    (in_time,) = [f for f in result.findings if f.unit == "UBND xã An Hiệp" and f.column == 11]
    assert in_time.cell == "K5" and in_time.place == "dòng 5, cột (11)"
    assert in_time.message == ("UBND xã An Hiệp, cột (11): Bảng 3 (PHỤ LỤC 3 - CẤP XÃ) ô dòng 5, cột (11) ghi 17 nhưng "
                               "Bảng 1 (PHỤ LỤC 1 - TOÀN TỈNH) ô dòng 8, cột (11) ghi 18. Hãy sửa cho hai bảng ghi cùng một số.")
