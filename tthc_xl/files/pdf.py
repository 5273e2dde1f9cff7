"""The ruled tables of a PDF report with a text layer (exported from Word or Excel, or signed) as grids.

pdfplumber finds each table from its ruling lines; a cell spanning several columns or rows becomes a
merged range, and text wrapped over lines inside a cell is joined (`Sở Lao động -` / `Thương binh và`
/ `Xã hội`; `6=(7+8` / `+9)`). Figures stay as printed (`5.661`), read later as Vietnamese numbers.
A table that runs over several pages, its header repeated on each, is one table. A scanned PDF
(no text layer) is refused with a message saying so: reading scans is not done.
"""

from __future__ import annotations

import gc
import io
import logging
import re
import time
from pathlib import Path

from tthc_xl.core.text import fold
from tthc_xl.files.grid import Grid, find_number_rows
from tthc_xl.files.safe_open import MAX_SHEET_COLS, MAX_SHEET_ROWS, ReadError
from tthc_xl.files.word import HEADINGS, join_lines

MAX_PAGES = 300  # pages read from one document; an appendix has a few
MAX_SECONDS = 60  # reading one PDF stops past this (a page takes a few tens of milliseconds)
_AGAIN = "hãy đề nghị đơn vị gửi tệp Word hoặc Excel của báo cáo"
_NUMBER = re.compile(r"^[\d.,\s%()+=-]+$")
_SETTINGS = {"vertical_strategy": "lines", "horizontal_strategy": "lines", "snap_tolerance": 3, "join_tolerance": 3}


def read_pdf_grids(path: Path, data: bytes) -> list[Grid]:
    """Every table of the PDF as a Grid named "Trang 2, bảng 1" (or "Trang 2–3, bảng 1" over pages). Raises ReadError."""
    name = path.name
    import pdfplumber  # imported on first use: spreadsheets never need it

    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    try:
        pdf = pdfplumber.open(io.BytesIO(data))
    except Exception as exc:  # pdfminer raises many types for damaged or encrypted files
        if "password" in str(exc).lower() or type(exc).__name__ in ("PDFPasswordIncorrect", "PDFEncryptionError"):
            raise ReadError(f"Tệp {name} là PDF có mật khẩu nên không đọc được: {_AGAIN}, hoặc tệp PDF không đặt mật khẩu.") from None
        raise ReadError(f"Không mở được tệp PDF {name} ({type(exc).__name__}): tệp hỏng hoặc chưa tải về hết; {_AGAIN}.") from None
    try:
        pieces: list[tuple] = []  # (page number, values, merges, opens its page, the appendix title above it)
        has_text = False
        started = time.monotonic()
        for number, page in enumerate(pdf.pages[:MAX_PAGES], start=1):
            if time.monotonic() - started > MAX_SECONDS:
                raise ReadError(
                    f"Tệp PDF {name} quá phức tạp: đọc {number - 1} trang đã quá {MAX_SECONDS} giây nên dừng lại. "
                    f"Hãy tách riêng các trang phụ lục ra một tệp PDF, hoặc {_AGAIN}."
                )
            if page.chars:
                has_text = True
            previous_bottom = 0.0  # where the page's previous table ends
            for table in page.find_tables(_SETTINGS):
                values, merges = _table_values(table)
                if values:
                    # Only a table opening its page (nothing but a page number above it) may continue the previous page's.
                    above = _text_between(page, previous_bottom, table.bbox[1])
                    first = previous_bottom == 0.0
                    pieces.append((number, values, merges, first and not _title_above(above), _heading(above)))
                previous_bottom = table.bbox[3]
            page.flush_cache()
    except ReadError:
        raise
    except Exception as exc:
        raise ReadError(f"Không đọc được tệp PDF {name} ({type(exc).__name__}): tệp hỏng; {_AGAIN}.") from None
    finally:
        pdf.close()
        del pdf
        if not gc.isenabled():
            gc.collect(0)  # pdfminer's objects hold cycles: a run without the cycle collector would keep them all (the youngest generation holds only this document's)
    if not has_text:
        raise ReadError(
            f"Tệp {name} là bản quét (ảnh chụp các trang), không có lớp chữ nên chưa đọc được số liệu: {_AGAIN}, "
            "hoặc bản PDF xuất trực tiếp từ Word/Excel (không phải bản scan)."
        )
    if not pieces:
        raise ReadError(
            f"Tệp PDF {name} có chữ nhưng không có bảng kẻ viền ô nào, nên không tìm được bảng số liệu: {_AGAIN}, "
            "hoặc bản PDF xuất từ bảng có kẻ viền ô (Borders → All Borders)."
        )
    return _joined_over_pages(pieces)


def _table_values(table) -> tuple[list[list], list]:
    """The table's text on the grid of its cells' edges, and the merged ranges of cells that span several."""
    cells = table.cells
    if not cells:
        return [], []
    xs = sorted({round(c[0], 1) for c in cells})
    tops = sorted({round(c[1], 1) for c in cells})
    texts = table.extract()
    values = [[None] * len(xs) for _ in tops]
    merges = []
    for r, (row, row_texts) in enumerate(zip(table.rows, texts)):
        for c, (cell, text) in enumerate(zip(row.cells, row_texts)):
            if cell is None:
                continue
            values[r][c] = (join_lines(text) or None) if text is not None else None
            x1, bottom = round(cell[2], 1), round(cell[3], 1)
            c2 = max(c, max((j for j, x in enumerate(xs) if x < x1 - 0.5), default=c))
            r2 = max(r, max((j for j, y in enumerate(tops) if y < bottom - 0.5), default=r))
            if (r2, c2) != (r, c):
                merges.append(((r, c), (r2, c2)))
    return [row[:MAX_SHEET_COLS] for row in values[:MAX_SHEET_ROWS]], merges


def _text_between(page, top: float, bottom: float) -> str:
    """The page's text between two heights (above a table: from the page top or the previous table)."""
    if bottom - top < 1:
        return ""
    return page.within_bbox((0, max(top, 0), page.width, min(bottom, page.height))).extract_text() or ""


def _title_above(text: str) -> bool:
    """Words other than a page number ("2", "- 2 -", "Trang 2/3"): a title, so the table below is a new one."""
    return bool(re.sub(r"\btrang\b|\d+", " ", fold(text)).strip())


def _heading(text: str) -> str:
    """The appendix title among the lines above a table ("PHỤ LỤC 3 - CẤP XÃ"), else ""."""
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return next((line for line in reversed(lines) if fold(line).startswith(HEADINGS)), "")


def _joined_over_pages(pieces: list[tuple]) -> list[Grid]:
    """Tables as grids; a table opening a page that continues the previous page's last one (same columns,
    header repeated or none) is joined to it."""
    joined: list[list] = []  # [first page, last page, values, merges, header rows (to the number row), title]
    for page, values, merges, opens_page, title in pieces:
        header = _header_rows(values)
        last = joined[-1] if joined else None
        if opens_page and last and last[1] == page - 1 and len(values[0]) == len(last[2][0]) and last[4] is not None:
            repeated = header is not None and _same_rows(values[: header], last[2][: last[4]])
            if repeated or header is None:
                skip = header if repeated else 0
                if skip < len(values) and _row_broken_at_page_end(values[skip]):
                    last[2][-1] = [_joined_text(a, b) for a, b in zip(last[2][-1], values[skip])]
                    skip += 1
                offset = len(last[2]) - skip
                last[2] += values[skip:]
                last[3] += [((r1 + offset, c1), (r2 + offset, c2)) for (r1, c1), (r2, c2) in merges if r1 >= skip]
                last[1] = page
                continue
        joined.append([page, page, values, list(merges), header, title])
    grids = []
    counts: dict[int, int] = {}
    for first, last, values, merges, _, title in joined:
        counts[first] = counts.get(first, 0) + 1
        pages = f"Trang {first}" if first == last else f"Trang {first}–{last}"
        name = f"{pages}, bảng {counts[first]}" + (f" ({title[:60]})" if title else "")
        grids.append(Grid(sheet=name, values=values, merges=merges))
    return grids


def _row_broken_at_page_end(row: list) -> bool:
    """The first row of a page piece is the rest of the previous page's last row (Word lets a row break across
    pages): no order number, no figure, only the rest of some texts ("chính" of "Sở Tài / chính")."""
    filled = [v for v in row if v not in (None, "")]
    if not filled or row[0] not in (None, ""):
        return False
    if any(_NUMBER.match(str(v)) for v in filled):
        return False
    return not any(fold(v).startswith(("tong", "cong", "ty le", "cap ", "khoi ", "nhom ")) for v in filled)


def _joined_text(a, b):
    if b in (None, ""):
        return a
    return b if a in (None, "") else f"{a} {b}"


def _header_rows(values: list[list]) -> int | None:
    """How many rows, up to and including the number row, head this piece of a table; None without a number row."""
    rows = find_number_rows(Grid(sheet="", values=values))
    return rows[0].row + 1 if rows else None


def _same_rows(a: list[list], b: list[list]) -> bool:
    return len(a) == len(b) and all([fold(v) for v in x] == [fold(v) for v in y] for x, y in zip(a, b))
