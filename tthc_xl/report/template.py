"""Build the Word template of the monthly report, `templates/reports/bao-cao-thang.docx`.

The template is generated so that it can be reproduced and reviewed as code; a clerk may still
open the generated file in Word and edit the wording around the Jinja tags ({{ ... }}).
Layout follows Nghị định 30/2020/NĐ-CP: A4, margins top/bottom 20 mm, left 30 mm, right 15 mm,
Times New Roman, heading block as a borderless two-column table, page numbers from page 2.

    python -m tthc_xl.report.template [PATH]
"""

from __future__ import annotations

import sys
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

FONT = "Times New Roman"
BODY_SIZE = Pt(14)
OUTPUT = Path(__file__).resolve().parents[2] / "templates" / "reports" / "bao-cao-thang.docx"

# Widths of the heading block's columns (text width is 210 - 30 - 15 = 165 mm).
LEFT_COL, RIGHT_COL = Mm(65), Mm(100)


def _set_font(style_or_run, size=None) -> None:
    """Times New Roman for every script (Latin, East Asian, complex)."""
    font = style_or_run.font
    font.name = FONT
    if size is not None:
        font.size = size
    rpr = style_or_run.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), FONT)


def _set_doc_defaults(document) -> None:
    """Times New Roman in the document defaults too, so every style inherits it."""
    styles = document.styles.element
    rpr_default = styles.find(qn("w:docDefaults")).find(qn("w:rPrDefault"))
    rpr = rpr_default.find(qn("w:rPr"))
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in list(fonts.attrib):
        if attr.endswith("Theme"):
            del fonts.attrib[attr]
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), FONT)
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:val"), "vi-VN")


def _para(container, text="", *, bold=False, italic=False, size=None, align=None,
          indent=True, space_after=Pt(6), keep_with_next=False):
    """A paragraph with one run; body paragraphs are justified with a first-line indent."""
    paragraph = container.add_paragraph()
    fmt = paragraph.paragraph_format
    fmt.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY if align is None else align
    fmt.first_line_indent = Mm(10) if indent and align is None else None
    fmt.space_before = Pt(0)
    fmt.space_after = space_after
    fmt.keep_with_next = keep_with_next
    if text:
        run = paragraph.add_run(text)
        run.bold = bold
        run.italic = italic
        if size is not None:
            run.font.size = size
    return paragraph


def _short_rule(container, width_mm: float, column_mm: float) -> None:
    """A short centred line: an empty tiny paragraph whose bottom border the indents narrow."""
    paragraph = _para(container, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=Pt(0))
    side = Mm(max(column_mm - width_mm, 0) / 2)
    paragraph.paragraph_format.left_indent = side
    paragraph.paragraph_format.right_indent = side
    paragraph.paragraph_format.line_spacing = Pt(2)
    mark = OxmlElement("w:rPr")  # the paragraph mark's size sets the empty line's height
    size = OxmlElement("w:sz")
    size.set(qn("w:val"), "4")
    mark.append(size)
    ppr = paragraph._p.get_or_add_pPr()
    ppr.append(mark)
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "000000")):
        bottom.set(qn(key), value)
    borders.append(bottom)
    # pBdr must come before spacing/ind/jc in pPr.
    anchor = next((ppr.find(qn(t)) for t in ("w:spacing", "w:ind", "w:jc") if ppr.find(qn(t)) is not None), None)
    if anchor is not None:
        anchor.addprevious(borders)
    else:
        ppr.append(borders)


def _borderless_table(document, rows: int, widths):
    table = document.add_table(rows=rows, cols=len(widths))
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    tbl_pr = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        element = OxmlElement(f"w:{edge}")
        element.set(qn("w:val"), "nil")
        borders.append(element)
    tbl_pr.append(borders)
    for column, width in zip(table.columns, widths):
        column.width = width
    for row in table.rows:
        for cell, width in zip(row.cells, widths):
            cell.width = width
            cell.paragraphs[0]._p.getparent().remove(cell.paragraphs[0]._p)
    return table


def _page_number_header(section) -> None:
    """Page number centred at the top, from the second page (NĐ 30)."""
    section.different_first_page_header_footer = True
    paragraph = section.header.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "2"
    run.append(text)
    field.append(run)
    paragraph._p.append(field)


def build_template(path) -> Path:
    """Write the report template to `path` and return it."""
    path = Path(path)
    document = Document()
    _set_doc_defaults(document)
    normal = document.styles["Normal"]
    _set_font(normal, BODY_SIZE)
    normal.paragraph_format.line_spacing = 1.15
    normal.paragraph_format.space_after = Pt(6)
    for name in ("Header", "Footer", "Table Grid"):
        if name in [s.name for s in document.styles]:
            _set_font(document.styles[name])

    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin = section.bottom_margin = Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)
    section.header_distance = section.footer_distance = Mm(10)
    _page_number_header(section)

    # Heading block: issuing body | national title; number | place and date.
    head = _borderless_table(document, 2, (LEFT_COL, RIGHT_COL))
    left, right = head.rows[0].cells
    center = WD_ALIGN_PARAGRAPH.CENTER
    _para(left, "{{ co_quan_chu_quan }}", size=Pt(13), align=center, space_after=Pt(0))
    _para(left, "{{ co_quan }}", bold=True, size=Pt(13), align=center, space_after=Pt(0))
    _short_rule(left, 25, 65)
    _para(right, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold=True, size=Pt(13), align=center,
          space_after=Pt(0))
    _para(right, "Độc lập - Tự do - Hạnh phúc", bold=True, size=Pt(14), align=center,
          space_after=Pt(0))
    _short_rule(right, 62, 100)
    number, place = head.rows[1].cells
    for cell, text, italic in ((number, "Số: {{ so }}", False),
                               (place, "{{ dia_danh }}, {{ ngay_thang }}", True)):
        line = _para(cell, text, italic=italic, size=Pt(13), align=center, space_after=Pt(0))
        line.paragraph_format.space_before = Pt(6)

    # Title.
    title = _para(document, "BÁO CÁO", bold=True, align=center, space_after=Pt(0))
    title.paragraph_format.space_before = Pt(18)
    _para(document, "Tình hình, kết quả giải quyết thủ tục hành chính {{ ky_bao_cao }}",
          bold=True, align=center, space_after=Pt(0))
    _short_rule(document, 40, 165)
    _para(document, "Kính gửi: {{ kinh_gui }}.", align=center,
          space_after=Pt(12)).paragraph_format.space_before = Pt(12)

    _para(document, "Thực hiện chế độ báo cáo định kỳ về tình hình, kết quả giải quyết thủ tục "
                    "hành chính, {{ chu_the }} báo cáo tình hình, kết quả giải quyết thủ tục hành "
                    "chính {{ ky_bao_cao }} (số liệu tính từ ngày {{ tu_ngay }} đến ngày "
                    "{{ den_ngay }}) như sau:")

    _para(document, "1. Tình hình, kết quả giải quyết TTHC", bold=True, keep_with_next=True)
    # docxtpl paragraph loop: one Word paragraph per generated paragraph of section 1.
    _para(document, "{%p for doan in muc_1 %}")
    _para(document, "{{ doan }}")
    _para(document, "{%p endfor %}")
    _para(document, "(Chi tiết theo Phụ lục I đính kèm).", italic=True)

    _para(document, "2. Khó khăn, vướng mắc", bold=True, keep_with_next=True)
    _para(document, "[Nêu khó khăn, vướng mắc trong tiếp nhận, giải quyết TTHC, nếu có.]")
    _para(document, "3. Đề xuất, kiến nghị", bold=True, keep_with_next=True)
    _para(document, "[Nêu đề xuất, kiến nghị, nếu có.]")
    _para(document, "Trên đây là báo cáo tình hình, kết quả giải quyết thủ tục hành chính "
                    "{{ ky_bao_cao }} của {{ chu_the }}./.", space_after=Pt(12))

    # Recipients | signature.
    sign = _borderless_table(document, 1, (Mm(80), Mm(85)))
    recipients, signer = sign.rows[0].cells
    left_align = WD_ALIGN_PARAGRAPH.LEFT
    _para(recipients, "Nơi nhận:", bold=True, italic=True, size=Pt(12), align=left_align,
          space_after=Pt(0))
    for line in ("- Như trên;", "- Lưu: VT."):
        _para(recipients, line, size=Pt(11), align=left_align, space_after=Pt(0))
    _para(signer, "{{ chuc_vu|upper }}", bold=True, align=center, space_after=Pt(0))
    for _ in range(4):  # room for the signature and seal
        _para(signer, align=center, space_after=Pt(0))
    _para(signer, "{{ nguoi_ky }}", bold=True, align=center, space_after=Pt(0))

    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(path))
    return path


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    path = build_template(Path(argv[0]) if argv else OUTPUT)
    print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
