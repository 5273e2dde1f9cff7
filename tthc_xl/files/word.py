"""The tables of a Word report (.docx) as grids: one grid per table, merged cells kept as merges.

Units paste their appendix into Word: merged header cells (a horizontal span or a vertical merge),
text wrapped or broken over lines inside narrow cells (`6=(7+8` / `+9)`), several tables in one
document (all units, province level, commune level). The package is screened like a workbook
(sizes, ratio, no DTD) before python-docx parses it; python-docx never resolves entities.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

from tthc_xl.core.text import fold
from tthc_xl.files.grid import Grid
from tthc_xl.files.safe_open import (
    MAX_ENTRIES, MAX_PART_BYTES, MAX_RATIO, MAX_SHEET_COLS, MAX_SHEET_ROWS, MAX_UNPACKED_BYTES, RATIO_FLOOR, ReadError,
    is_encrypted_package, password_message, sniff,
)

HEADINGS = ("phu luc", "bieu", "bang ")  # how an appendix title above a table begins (folded)
MAX_TABLES = 200  # tables read from one document; a report has a handful
_NUMERIC_LINE = re.compile(r"^[\d.,+=()\s%-]*$")
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_AGAIN = "hãy mở tệp bằng Word, lưu lại (Save As) thành .docx rồi chạy lại, hoặc đề nghị đơn vị gửi lại"


def join_lines(text: str) -> str:
    """A cell's lines as one text: figures and number-row rules wrapped in a narrow cell join without a space
    (`6=(7+8` + `+9)` → `6=(7+8+9)`, `1.58` + `3` → `1.583`), words with one."""
    lines = [line.strip() for line in str(text).replace("\r", "\n").replace("\v", "\n").split("\n")]
    lines = [line for line in lines if line]
    if len(lines) > 1 and all(_NUMERIC_LINE.match(line) for line in lines):
        return "".join(lines)
    return " ".join(" ".join(lines).split())


def read_word_grids(path: Path, data: bytes) -> list[Grid]:
    """Every table of the document as a Grid named "Bảng 1", "Bảng 2" … Raises ReadError."""
    name = path.name
    kind = sniff(data[:4096])
    if kind == "ole":
        raise ReadError(password_message(name) if is_encrypted_package(data) else (
            f"Tệp {name} là tệp Word cũ (.doc) mang đuôi {path.suffix}: hãy mở bằng Word, lưu thành .docx rồi chạy lại."
        ))
    if kind != "zip":
        raise ReadError(f"Tệp {name} không phải tệp Word (.docx) hoặc đã bị hỏng: {_AGAIN}.")
    document_xml = _screen_package(name, data)
    # python-docx's own XML classes (its parser never resolves entities), on the document part alone:
    # the package's object graph is never built (its reference cycles would outlive a run without the
    # cycle collector, a few MB per document).
    from docx.oxml.parser import parse_xml

    try:
        body = parse_xml(document_xml).find(f"{_W}body")
    except Exception as exc:  # lxml raises XMLSyntaxError and others for a damaged part
        raise ReadError(f"Không mở được tệp Word {name} ({type(exc).__name__}): tệp hỏng hoặc không đúng định dạng; {_AGAIN}.") from None
    if body is None:
        raise ReadError(f"Tệp {name} không có nội dung văn bản Word: {_AGAIN}.")
    grids = []
    heading = ""
    for node in _content(body):
        if node.tag == f"{_W}p":
            text = " ".join(_paragraph_text(node).split())
            if fold(text).startswith(HEADINGS):
                heading = text
        elif node.tag == f"{_W}tbl" and len(grids) < MAX_TABLES:
            # "Bảng 2 (Phụ lục 2 - Cấp tỉnh)": the table's number in the document and the appendix title above it.
            name = f"Bảng {len(grids) + 1}" + (f" ({heading[:60]})" if heading else "")
            grids.append(_table_grid(node, name))
            heading = ""
    return grids


def _screen_package(name: str, data: bytes) -> bytes:
    """The document part, after refusing zip bombs and XML with a DTD (before anything is parsed)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        raise ReadError(f"Tệp {name} bị hỏng hoặc chưa tải về hết (tệp bị cắt cụt): {_AGAIN}.") from None
    if any(info.flag_bits & 0x1 for info in infos):
        raise ReadError(password_message(name))
    unpacked = sum(info.file_size for info in infos)
    ratio_bad = any(info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1) for info in infos)
    if len(infos) > MAX_ENTRIES or unpacked > MAX_UNPACKED_BYTES or ratio_bad:
        raise ReadError(f"Tệp {name} giải nén ra quá lớn so với một báo cáo (có thể là tệp độc hại) nên không được mở: {_AGAIN}.")
    document = next((info for info in infos if info.filename == "word/document.xml"), None)
    if document is None:
        raise ReadError(f"Tệp {name} không phải văn bản Word (.docx): {_AGAIN}.")
    if document.file_size > MAX_PART_BYTES:
        raise ReadError(f"Tệp {name} có phần nội dung quá lớn so với một báo cáo (giải nén ra hơn {MAX_PART_BYTES // 2**20} MB): {_AGAIN}.")
    try:
        content = archive.read("word/document.xml")
    except Exception as exc:  # a damaged entry: bad CRC, unknown compression
        raise ReadError(f"Tệp {name} bị hỏng ({type(exc).__name__}): {_AGAIN}.") from None
    if re.search(rb"<!(?:DOCTYPE|ENTITY)", content[:65536], re.I):
        raise ReadError(f"Tệp {name} có khai báo XML không được phép (DOCTYPE/ENTITY) nên không được mở: {_AGAIN}.")
    return content


def _table_grid(tbl, sheet: str) -> Grid:
    """A Word table's cells on their layout grid: gridSpan and vMerge become merged ranges."""
    values: list[list] = []
    merges: list[list[int]] = []  # [r1, c1, r2, c2]
    open_merges: dict[int, list[int]] = {}  # first grid column → the vertical merge it continues
    for r, tr in enumerate([tr for tr in _content(tbl) if tr.tag == f"{_W}tr"][:MAX_SHEET_ROWS]):
        row: list = []
        col = _grid_before(tr)
        row += [None] * col
        for tc in (tc for tc in _content(tr) if tc.tag == f"{_W}tc"):
            span = max(tc.grid_span, 1)
            merge = tc.vMerge
            if merge == "continue" and col in open_merges:
                open_merges[col][2] = r
                row += [None] * span
            else:
                text = join_lines("\n".join(_paragraph_text(p) for p in tc.findall(f"{_W}p")))
                row += [text or None] + [None] * (span - 1)
                entry = [r, col, r, col + span - 1]
                if merge == "restart":
                    open_merges[col] = entry
                else:
                    open_merges.pop(col, None)
                if span > 1 or merge == "restart":
                    merges.append(entry)
            col += span
        values.append(row[:MAX_SHEET_COLS])
    width = max((len(row) for row in values), default=0)
    values = [row + [None] * (width - len(row)) for row in values]
    return Grid(sheet=sheet, values=values, merges=[((r1, c1), (r2, c2)) for r1, c1, r2, c2 in merges if (r1, c1) != (r2, c2)])


def _content(element):
    """An element's children, with those of content controls (`w:sdt`, as templates wrap rows and cells) in their place."""
    for child in element.iterchildren():
        if child.tag == f"{_W}sdt":
            content = child.find(f"{_W}sdtContent")
            if content is not None:
                yield from _content(content)
        else:
            yield child


def _grid_before(tr) -> int:
    pr = tr.find(f"{_W}trPr")
    before = pr.find(f"{_W}gridBefore") if pr is not None else None
    try:
        return int(before.get(f"{_W}val")) if before is not None else 0
    except (TypeError, ValueError):
        return 0


def _paragraph_text(p) -> str:
    """A paragraph's text, its line breaks (Shift+Enter) as new lines."""
    parts = []
    for node in p.iter(f"{_W}t", f"{_W}br", f"{_W}cr", f"{_W}tab"):
        if node.tag == f"{_W}t":
            parts.append(node.text or "")
        elif node.tag == f"{_W}tab":
            parts.append(" ")
        else:
            parts.append("\n")
    return "".join(parts)
