"""Printing the appendix: A4 landscape, one page wide, header on every page, a clean copy (no marks).

The masters are built from the real Sóc Trăng unit files, printed with `tthc-xl print` through
LibreOffice, and the PDF is read back with poppler (pdftotext, pdftoppm, pdfinfo).
"""

import csv
import hashlib
import json
import re
import struct
import subprocess
from collections import Counter
from pathlib import Path

import openpyxl
import pytest

import office
import soctrang

from tthc_xl.cli import app as cli
from tthc_xl.core import style
from tthc_xl.core.layouts import layout_from_dict, load_layouts
from tthc_xl.core.master import Settings, build_master
from tthc_xl.core.numbers import format_percent
from tthc_xl.xlsx.printing import PRINT_PERCENT_FORMAT, clean_copy, print_settings
from tthc_xl.core.units import load_units

SHEET = "Phụ lục I"
PERCENT_ROW = 26  # 3 title rows, a blank, 3 header rows, the number row, 16 units, the total
NUMBER_ROW = re.compile(r"\b1\s+2\s+3=\(4\+5\)\s+4\s+5\s+6=\(7\+8\+9\)\s+7\s+8\s+9\s+10=\(11\+12\)\s+11\s+12\s+13\s+14\b")
MARKS = {"error": style.ERROR_FILL, "warning": style.WARNING_FILL, "suspect": style.SUSPECT_FILL, "header": style.HEADER_FILL}


def tthc(*argv) -> int:
    """`tthc-xl …` in this process; its exit code."""
    return cli.main([str(a) for a in argv])


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def pages(pdf: Path) -> list[str]:
    """The text of each page, laid out as printed."""
    return office.pdf_text(pdf).split("\f")[:-1]


def plain_text(pdf: Path) -> str:
    """The text in reading order with all whitespace as single spaces: a wrapped name reads whole."""
    return office.pdf_reading_text(pdf)


def page_sizes(pdf: Path) -> list[tuple[float, float]]:
    info = subprocess.run([office.require("pdfinfo"), "-f", "1", "-l", "999", str(pdf)], capture_output=True, text=True, check=True).stdout
    return [(float(w), float(h)) for w, h in re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+) pts", info)]


def png_pages(pdf: Path, folder: Path) -> list[tuple[int, int]]:
    """Every page as a PNG (pdftoppm); the width and height of each from its IHDR chunk."""
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run([office.require("pdftoppm"), "-r", "40", "-png", str(pdf), str(folder / "trang")], check=True)
    return [struct.unpack(">II", png.read_bytes()[16:24]) for png in sorted(folder.glob("trang-*.png"))]


def first_page_pixels(pdf: Path, folder: Path, dpi: int = 50) -> tuple[int, int, list[bytes]]:
    folder.mkdir(parents=True, exist_ok=True)
    root = folder / "trang-1"
    subprocess.run([office.require("pdftoppm"), "-r", str(dpi), "-f", "1", "-l", "1", "-singlefile", str(pdf), str(root)], check=True)
    _, width, height, _, data = root.with_suffix(".ppm").read_bytes().split(maxsplit=4)
    return int(width), int(height), [data[i : i + 3] for i in range(0, len(data), 3)]


def colour_counts(pixels: list[bytes]) -> dict[str, int]:
    counts = Counter(pixels)
    return {name: counts[bytes.fromhex(rgb)] for name, rgb in {**MARKS, "formula": style.FORMULA_FILL}.items()}


def line_of(page: str, label: str) -> list[str]:
    """The cells printed on the line that starts with `label` (after the STT)."""
    line = next(line for line in page.splitlines() if line.strip().startswith(label))
    return line.split(label, 1)[1].split()


def expected_percent_row() -> list[str]:
    layout = load_layouts()["mau-a"]
    sums = soctrang.COLUMN_SUMS
    return [format_percent(sums[n] / sums[layout.percent[n]] * 100) for n in range(3, 15)]


# ----------------------------------------------------------------------------------------------
# The 16 Sóc Trăng units (with the previous period's rows, which must not print)
# ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def soc_trang(unit_folder, appendix, tmp_path_factory):
    out = tmp_path_factory.mktemp("in")
    master = out / "tong-hop.xlsx"
    code = tthc("consolidate", unit_folder, "--units", "soc-trang-so-nganh", "--period", "tháng 10 năm 2019",
                "--previous", appendix, "-o", master)
    assert code == 1  # the seven inconsistent units are errors, flagged in the master
    before = sha256(master)
    code = tthc("print", master)  # default output: the master's name with .pdf
    assert code == 0
    return master, master.with_suffix(".pdf"), before


def test_print_writes_the_pdf_next_to_the_master_and_never_touches_the_master(soc_trang):
    master, pdf, before = soc_trang
    assert pdf.exists() and pdf.read_bytes().startswith(b"%PDF")
    assert sha256(master) == before
    # The master keeps its marks and notes.
    sheet = openpyxl.load_workbook(master)[SHEET]
    assert sheet["F11"].fill.fgColor.rgb.endswith(style.ERROR_FILL)
    assert sheet["G11"].fill.fgColor.rgb.endswith(style.SUSPECT_FILL)
    assert "(6) phải bằng (7) + (8) + (9)" in sheet["F11"].comment.text


def test_every_letter_prints_in_the_table_font(soc_trang):
    """Liberation Serif (Times New Roman's stand-in) carries every Vietnamese letter: none is set in a
    fallback font (Liberation 1.07 lacks ệ, ố…, and LibreOffice then prints those letters in DejaVu)."""
    _, pdf, _ = soc_trang
    listing = subprocess.run([office.require("pdffonts"), str(pdf)], capture_output=True, text=True, check=True).stdout
    fonts = {line.split()[0].split("+")[-1] for line in listing.splitlines()[2:] if line.strip()}
    assert fonts and all(font.startswith("LiberationSerif") for font in fonts), fonts


def test_pages_are_a4_landscape(soc_trang, tmp_path):
    _, pdf, _ = soc_trang
    sizes = page_sizes(pdf)
    assert len(sizes) == 1
    assert sizes[0] == (pytest.approx(841.9, abs=1), pytest.approx(595.3, abs=1))
    assert all(width > height for width, height in png_pages(pdf, tmp_path))


def test_all_fourteen_columns_fit_on_page_one(soc_trang):
    _, pdf, _ = soc_trang
    page = pages(pdf)[0]
    assert NUMBER_ROW.search(page)
    assert "trực" in page and "tuyến" in page  # the last column's header: "Hồ sơ nhận qua trực tuyến"
    assert line_of(page, "Tổng cộng")[-1] == "578"  # column 14 of the total row


def test_title_block_and_footer(soc_trang):
    _, pdf, _ = soc_trang
    page = pages(pdf)[0]
    lines = [line.strip() for line in page.splitlines() if line.strip()]
    assert lines[:3] == [
        "PHỤ LỤC I",
        "TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH THÁNG 10 NĂM 2019",
        "(Ban hành kèm theo Báo cáo số …/BC-… ngày …/…/… của …)",
    ]
    assert lines[-1] == "Trang 1/1"


def test_figures_print_in_vietnamese_style(soc_trang):
    _, pdf, _ = soc_trang
    page = pages(pdf)[0]
    total = [soctrang.COLUMN_SUMS[n] for n in range(3, 15)]
    assert line_of(page, "Tổng cộng") == [f"{v:,}".replace(",", ".") for v in total]
    assert line_of(page, "Tổng cộng")[0] == "5.661"
    percent = line_of(page, "Tỷ lệ %")
    assert percent == expected_percent_row()
    assert percent[6 - 3] == "68,75"
    assert "5,661" not in page and "68,75%" not in page and "68.75" not in page


def test_every_unit_name_prints_in_full(soc_trang):
    _, pdf, _ = soc_trang
    text = plain_text(pdf)
    for unit in load_units("soc-trang-so-nganh").units:
        assert unit.name in text


def test_print_area_ends_at_the_percentage_row(soc_trang):
    master, pdf, _ = soc_trang
    sheet = openpyxl.load_workbook(master)[SHEET]
    assert sheet["B28"].value == "Tổng cộng kỳ trước"  # in the master, under the table
    text = plain_text(pdf)
    assert "Tổng cộng kỳ trước" not in text and "Tăng (+), giảm (-)" not in text


def test_clean_copy_has_no_marks_fills_or_notes(soc_trang, tmp_path):
    master, _, before = soc_trang
    copy = tmp_path / "ban-in.xlsx"
    assert clean_copy(master, copy) == [SHEET]
    book = openpyxl.load_workbook(copy)
    assert book.sheetnames == [SHEET]
    sheet = book[SHEET]
    cells = [c for row in sheet.iter_rows() for c in row]
    assert [c.coordinate for c in cells if c.fill.fill_type is not None] == []
    assert [c.coordinate for c in cells if c.comment is not None] == []
    # The percentage row prints "68,75": the fraction times 100, without the % sign.
    assert sheet.cell(PERCENT_ROW, 7).value == "=100*(IF(F25=0,0,G25/F25))"
    assert sheet.cell(PERCENT_ROW, 7).number_format == PRINT_PERCENT_FORMAT
    assert "%" not in PRINT_PERCENT_FORMAT
    assert sha256(master) == before


def test_printed_page_shows_no_fill_while_the_raw_master_would(soc_trang, tmp_path):
    master, pdf, _ = soc_trang
    raw = office.convert(master, "pdf", tmp_path / "tho")  # the master as it is, marks and all
    _, _, raw_pixels = first_page_pixels(raw, tmp_path / "tho")
    _, _, clean_pixels = first_page_pixels(pdf, tmp_path / "sach")
    raw_counts, clean_counts = colour_counts(raw_pixels), colour_counts(clean_pixels)
    assert raw_counts["error"] > 500 and raw_counts["suspect"] > 500 and raw_counts["header"] > 5000
    assert {name: clean_counts[name] for name in MARKS} == {name: 0 for name in MARKS}
    assert clean_counts["formula"] < raw_counts["formula"] / 20  # grey shading gone (a few anti-aliased pixels stay)


def test_table_borders_print_on_every_column_edge(soc_trang, tmp_path):
    _, pdf, _ = soc_trang
    width, height, pixels = first_page_pixels(pdf, tmp_path, dpi=96)
    dark = [sum(1 for y in range(height) if max(pixels[y * width + x]) < 128) for x in range(width)]
    edges = [x for x in range(width) if dark[x] > height / 3 and (x == 0 or dark[x - 1] <= height / 3)]
    assert len(edges) == 15  # 14 columns: 15 vertical rules from the first row to the last


def test_print_setup_is_saved_in_the_master(soc_trang):
    master, _, _ = soc_trang
    sheet = openpyxl.load_workbook(master)[SHEET]
    setup = sheet.page_setup
    assert setup.orientation == "landscape" and int(setup.paperSize) == 9  # A4
    assert int(setup.fitToWidth) == 1 and int(setup.fitToHeight) == 0
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.print_title_rows == "$5:$8"
    assert sheet.print_area == "'Phụ lục I'!$A$1:$N$26"
    margins = sheet.page_margins
    assert (margins.top, margins.bottom, margins.left, margins.right) == (
        pytest.approx(30 / 25.4, abs=1e-3), pytest.approx(20 / 25.4, abs=1e-3),
        pytest.approx(20 / 25.4, abs=1e-3), pytest.approx(20 / 25.4, abs=1e-3),
    )
    assert sheet.oddFooter.center.text == "Trang &P/&N"
    assert sheet.oddFooter.center.font.startswith("Times New Roman")
    assert sheet.print_options.horizontalCentered
    # Unit names fit: the longest on one line; the wrapped header rows are taller than a line.
    assert sheet.column_dimensions["B"].width >= 34
    assert sheet.row_dimensions[7].height >= 3 * style.TABLE_SIZE


def test_print_settings_are_plain_data_from_the_master_model(tmp_path):
    layout = load_layouts()["mau-a"]
    master = build_master(layout, Settings(period="tháng 10 năm 2019"), [("", ["Sở Tư pháp", "Sở Y tế"])], {})
    settings = print_settings(master)
    assert settings.landscape and settings.paper == "A4"
    assert (settings.fit_width, settings.fit_height) == (1, 0)
    assert settings.title_rows == (5, 8) and settings.title_rows_ref == "$5:$8"
    assert settings.area == (1, 1, 12, 14) and settings.area_ref == "$A$1:$N$12"  # through "Tỷ lệ %"
    assert (settings.margins.top, settings.margins.left) == (30, 20)
    assert settings.font == "Times New Roman" and "&P" in settings.footer and "&N" in settings.footer
    # A narrow table prints portrait, with the decree's portrait margins.
    narrow = layout_from_dict(
        {"name": "hep", "columns": [{"number": 1, "kind": "order", "header": "STT"}, {"number": 2, "kind": "label", "header": "Đơn vị"},
                                    {"number": 3, "header": "Tổng số"}, {"number": 4, "header": "Trễ hạn"}]},
        "hep.toml",
    )
    small = print_settings(build_master(narrow, Settings(), [("", ["Sở Tư pháp"])], {}))
    assert not small.landscape
    assert (small.margins.top, small.margins.bottom, small.margins.left, small.margins.right) == (20, 20, 30, 15)


# ----------------------------------------------------------------------------------------------
# A long list: 60 units, two groups; the table runs over several pages
# ----------------------------------------------------------------------------------------------

DISTRICTS = ["thành phố Sóc Trăng", "huyện Châu Thành", "huyện Kế Sách", "huyện Mỹ Tú", "huyện Cù Lao Dung", "huyện Long Phú",
             "huyện Mỹ Xuyên", "thị xã Ngã Năm", "huyện Thạnh Trị", "thị xã Vĩnh Châu", "huyện Trần Đề"]


@pytest.fixture(scope="module")
def long_list(tmp_path_factory):
    """The 16 departments, then 44 district offices carrying the departments' figures again."""
    folder = tmp_path_factory.mktemp("dai")
    sources = folder / "don-vi"
    sources.mkdir()
    units = [("Cấp tỉnh", soctrang.CANONICAL_NAMES.get(name, name), values) for _, name, values in soctrang.UNITS]
    for k in range(44):
        name = f"Văn phòng Ủy ban nhân dân {DISTRICTS[k % 11]} (Bộ phận một cửa số {k // 11 + 1})"
        units.append(("Cấp huyện", name, soctrang.UNITS[k % 16][2]))
    with open(folder / "don-vi.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["nhom", "ten", "bi_danh"])
        writer.writerows([group, name, ""] for group, name, _ in units)
    for index, (_, name, values) in enumerate(units, start=1):
        with open(sources / f"{index:02d}.csv", "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(soctrang.FLAT_HEADER)
            writer.writerow(["" if v is None else v for v in soctrang.NUMBER_ROW])
            writer.writerow([index, name, *values])
    master, pdf = folder / "tong-hop.xlsx", folder / "ban-in" / "phu-luc.pdf"
    tthc("consolidate", sources, "--units", folder / "don-vi.csv", "--period", "tháng 10 năm 2019", "-o", master,
         "--json", folder / "ket-qua.json")
    assert json.loads((folder / "ket-qua.json").read_text(encoding="utf-8"))["missing"] == []
    assert tthc("print", master, "-o", pdf) == 0
    return [name for _, name, _ in units], pdf


def test_long_table_repeats_the_header_on_every_page(long_list, tmp_path):
    names, pdf = long_list
    texts = pages(pdf)
    assert len(texts) >= 3
    for number, page in enumerate(texts, start=1):
        assert NUMBER_ROW.search(page), f"trang {number}"
        assert "Số hồ sơ nhận giải quyết" in page and "Kết quả giải quyết" in page
        assert page.strip().endswith(f"Trang {number}/{len(texts)}")
    assert "PHỤ LỤC I" in texts[0] and "PHỤ LỤC I" not in texts[1]  # the title block prints once
    assert all(width > height for width, height in png_pages(pdf, tmp_path))


def test_long_unit_names_wrap_and_print_in_full(long_list):
    names, pdf = long_list
    text = plain_text(pdf)
    for name in names:
        assert name in text
    wrapped = [n for n in names if n not in office.pdf_text(pdf)]  # split over two lines in the layout text
    assert wrapped, "the district offices' long names wrap inside their cells"


# ----------------------------------------------------------------------------------------------
# Choosing sheets; errors
# ----------------------------------------------------------------------------------------------


def test_sheets_option_prints_the_named_sheet(soc_trang, tmp_path):
    master, _, _ = soc_trang
    pdf = tmp_path / "kiem-tra.pdf"
    assert tthc("print", master, "--sheets", "Kiểm tra", "-o", pdf) == 0
    text = office.pdf_text(pdf)
    assert "KẾT QUẢ KIỂM TRA" in text and "PHỤ LỤC I" not in text


def test_unknown_sheet_is_a_clear_error(soc_trang, tmp_path, capsys):
    master, _, _ = soc_trang
    assert tthc("print", master, "--sheets", "Phụ lục II", "-o", tmp_path / "x.pdf") == 2
    assert "không có trang tính “Phụ lục II”" in capsys.readouterr().err
    assert not (tmp_path / "x.pdf").exists()


def test_missing_libreoffice_is_a_clear_error(soc_trang, tmp_path, monkeypatch, capsys):
    master, _, _ = soc_trang
    monkeypatch.setenv("PATH", str(tmp_path))  # neither soffice nor libreoffice
    assert tthc("print", master, "-o", tmp_path / "x.pdf") == 2
    err = capsys.readouterr().err
    assert "Không tìm thấy LibreOffice" in err and "apt-get install libreoffice-calc" in err


def test_unreadable_file_is_a_clear_error(tmp_path, capsys):
    broken = tmp_path / "hong.xlsx"
    broken.write_bytes(b"day khong phai bang tinh")
    assert tthc("print", broken) == 2
    assert "Không đọc được tệp hong.xlsx" in capsys.readouterr().err
    assert tthc("print", tmp_path / "khong-co.xlsx") == 2
    assert "Không tìm thấy tệp" in capsys.readouterr().err
