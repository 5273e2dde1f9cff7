"""Every sheet of a 40-unit master printed through LibreOffice, the PDF pages rendered and measured.

The appendix and "Kiểm tra" print landscape, "Cài đặt" on one portrait page, "Biểu đồ" at a
legible size; no word lies beyond its page or over another word; the clean copy has no colour
outside the charts; every page's footer counts the printed pages.
"""

from __future__ import annotations

import csv
import re
import subprocess
from collections import Counter
from itertools import combinations

import office
import pytest
import soctrang

from tthc_xl.cli import app as cli

SHEETS = ["Phụ lục I", "Kiểm tra", "Cài đặt", "Biểu đồ"]
TITLES = {"PHỤ LỤC I": "Phụ lục I", "KẾT QUẢ KIỂM TRA": "Kiểm tra", "CÀI ĐẶT BẢNG TỔNG HỢP": "Cài đặt", "BIỂU ĐỒ TÌNH HÌNH": "Biểu đồ"}
COMMUNES = ["phường Sóc Trăng", "phường Phú Lợi", "phường Mỹ Xuyên", "xã Kế Sách", "xã Long Phú", "xã Cù Lao Dung"]


def file_name(index: int) -> str:
    return f"{index:02d}_bao-cao-thang-10-cua-don-vi-so-{index:02d}-gui-trung-tam.csv"


@pytest.fixture(scope="module")
def printed(tmp_path_factory):
    """A master of 16 departments and 24 commune centres (the real rows again, their errors too), all sheets printed."""
    folder = tmp_path_factory.mktemp("bon-muoi")
    sources = folder / "don-vi"
    sources.mkdir()
    units = [("Sở, ngành", soctrang.CANONICAL_NAMES.get(name, name), values) for _, name, values in soctrang.UNITS]
    for k in range(24):
        units.append(("UBND cấp xã", f"Trung tâm Phục vụ hành chính công {COMMUNES[k % 6]} (điểm {k // 6 + 1})", soctrang.UNITS[k % 16][2]))
    with open(folder / "don-vi.csv", "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([["nhom", "ten", "bi_danh"], *([g, n, ""] for g, n, _ in units)])
    for index, (_, name, values) in enumerate(units, start=1):
        with open(sources / file_name(index), "w", encoding="utf-8", newline="") as handle:
            csv.writer(handle).writerows([soctrang.FLAT_HEADER, ["" if v is None else v for v in soctrang.NUMBER_ROW], [index, name, *values]])
    master = folder / "tong-hop.xlsx"
    assert cli.main(["consolidate", str(sources), "--units", str(folder / "don-vi.csv"), "--period", "tháng 10 năm 2025",
                     "-o", str(master)]) == 1
    pdf = folder / "tat-ca.pdf"
    assert cli.main(["print", str(master), "--sheets", *SHEETS, "-o", str(pdf)]) == 0
    return pdf, folder


def page_words(pdf) -> list[tuple[float, float, list[dict]]]:
    """(width, height, words) of every page, from pdftotext -bbox."""
    from xml.etree import ElementTree

    xhtml = subprocess.run([office.require("pdftotext"), "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    ns = "{http://www.w3.org/1999/xhtml}"
    return [(float(page.get("width")), float(page.get("height")),
             [{**{k: float(v) for k, v in w.attrib.items()}, "text": w.text or ""} for w in page.iter(f"{ns}word")])
            for page in ElementTree.fromstring(xhtml).iter(f"{ns}page")]


def sheet_of_pages(pdf) -> list[str]:
    """The sheet each page belongs to: the sheet whose title opened the latest page."""
    owners, current = [], None
    for text in office.pdf_text(pdf).split("\f")[:-1]:
        first = next((line for line in text.splitlines() if line.strip()), "")
        current = next((sheet for title, sheet in TITLES.items() if first.startswith(title)), current)
        owners.append(current)
    return owners


def test_pages_orientation_and_count_per_sheet(printed):
    pdf, _ = printed
    owners = sheet_of_pages(pdf)
    counts = Counter(owners)
    assert list(dict.fromkeys(owners)) == SHEETS
    assert counts["Cài đặt"] == 1  # labels and values on one page
    assert counts["Phụ lục I"] >= 2 and counts["Kiểm tra"] >= 2
    for (width, height, _), sheet in zip(page_words(pdf), owners):
        landscape = width > height
        assert landscape == (sheet in ("Phụ lục I", "Kiểm tra")), sheet


def test_every_footer_counts_the_printed_pages(printed):
    pdf, _ = printed
    texts = office.pdf_text(pdf).split("\f")[:-1]
    assert [re.findall(r"Trang (\d+)/(\d+)", t)[-1] for t in texts] == [(str(k), str(len(texts))) for k in range(1, len(texts) + 1)]


def test_no_text_beyond_the_page_nor_over_other_text(printed):
    pdf, _ = printed
    owners = sheet_of_pages(pdf)
    for number, ((width, height, words), sheet) in enumerate(zip(page_words(pdf), owners), start=1):
        assert words
        for w in words:
            assert 0 <= w["xMin"] and w["xMax"] <= width and 0 <= w["yMin"] and w["yMax"] <= height, (number, w["text"])
        if sheet == "Biểu đồ":
            continue  # a chart draws its labels over its own area
        boxes = [w for w in words if w["text"].strip()]
        for a, b in combinations(boxes, 2):
            across = min(a["xMax"], b["xMax"]) - max(a["xMin"], b["xMin"])
            down = min(a["yMax"], b["yMax"]) - max(a["yMin"], b["yMin"])
            # Glyph runs of one word touch (a fallback font's letter): overlap is a real collision only
            # when two words cover each other by more than a sliver both ways.
            assert not (across > 1.5 and down > 3), (number, sheet, a["text"], b["text"])


def test_full_file_and_unit_names_print_on_the_check_sheet(printed):
    pdf, _ = printed
    text = office.pdf_reading_text(pdf).replace(" ", "")
    for index in range(1, 41):
        assert file_name(index) in text
    assert "TrungtâmPhụcvụhànhchínhcôngxãCùLaoDung(điểm4)" in text


def test_clean_copy_has_no_colour_outside_the_charts(printed, tmp_path):
    pdf, _ = printed
    owners = sheet_of_pages(pdf)
    for number, sheet in enumerate(owners, start=1):
        if sheet == "Biểu đồ":
            continue
        root = tmp_path / f"trang-{number}"
        subprocess.run([office.require("pdftoppm"), "-r", "30", "-f", str(number), "-l", str(number), "-singlefile", str(pdf), str(root)], check=True)
        _, _, _, _, data = root.with_suffix(".ppm").read_bytes().split(maxsplit=4)
        coloured = sum(1 for i in range(0, len(data) - 2, 3) if max(data[i:i + 3]) - min(data[i:i + 3]) > 24)
        assert coloured == 0, (number, sheet)


def test_chart_sheet_prints_at_a_legible_size(printed):
    pdf, _ = printed
    owners = sheet_of_pages(pdf)
    heights = [w["yMax"] - w["yMin"] for (_, _, words), sheet in zip(page_words(pdf), owners) if sheet == "Biểu đồ"
               for w in words if re.fullmatch(r"\d{1,3}(\.\d{3})*", w["text"])]
    assert heights and min(heights) >= 9  # the tables' figures: about 10 pt, not shrunk to a third
