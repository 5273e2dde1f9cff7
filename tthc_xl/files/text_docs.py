"""The text of a narrative report as a unit sends it: .docx, .doc/.odt/.rtf, a text PDF, or .txt.

What a file is comes from its bytes, not its name (a .doc that is really a .docx is read as one).
Word-processor formats other than .docx go through LibreOffice (headless, a private profile,
bounded in time) into a .docx; PDFs are read with poppler's pdftotext where it is installed, else
with pdfplumber, which needs nothing beside Python (a clerk's Windows machine).
Every failure is a `DocumentError` whose message (Vietnamese) names the file and what to do.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import tempfile
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from tthc_xl.files.convert import convert_with_libreoffice
from tthc_xl.files.safe_open import ReadError

from tthc_xl.files.safe_open import MAX_UNPACKED_BYTES, read_bytes

CONVERT_SECONDS = 120
PROSE_WORDS = 8  # a table cell's paragraph of this many words is prose, read with the text
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods", ".csv"}
_SAVE_AS = "hãy mở bằng Word và lưu lại dạng .docx, hoặc đề nghị đơn vị gửi lại"


class DocumentError(Exception):
    """A report that cannot be read; the message (Vietnamese) names the file and what to do."""


@dataclass
class TextDocument:
    """The paragraphs of a report's body text in reading order (empty ones dropped), and its tables
    (.docx and converted formats only) as rows of cell texts."""

    paragraphs: list[str]
    tables: list[list[list[str]]] = field(default_factory=list)
    kind: str = ""  # "docx", "odt", "doc", "rtf", "pdf" or "txt"


def read_document(path) -> TextDocument:
    """Read any report format; raises DocumentError."""
    path = Path(path)
    name = path.name
    try:
        data = read_bytes(path)
    except FileNotFoundError:
        raise DocumentError(f"Không tìm thấy tệp báo cáo {path}.") from None
    except IsADirectoryError:
        raise DocumentError(f"{path} là một thư mục, không phải tệp báo cáo.") from None
    except ReadError as exc:
        raise DocumentError(str(exc)) from None
    except OSError as exc:
        raise DocumentError(f"Không mở được tệp báo cáo {name} ({exc.strerror or 'lỗi đọc tệp'}).") from None
    kind = _sniff(data, path.suffix.lower())
    if kind == "spreadsheet":
        raise DocumentError(
            f"Không đọc được báo cáo {name}: đây là bảng tính, không phải văn bản báo cáo. Báo cáo cần là tệp "
            ".docx, .doc, .odt, .rtf, .pdf hoặc .txt; bảng tổng hợp ghi sau tên báo cáo."
        )
    if kind == "broken":
        raise DocumentError(f"Không đọc được báo cáo {name}: tệp bị hỏng hoặc không phải văn bản; {_SAVE_AS}.")
    if kind == "docx":
        return _read_docx(name, data, "docx")
    if kind in ("doc", "odt", "rtf"):
        return _read_docx(name, _convert_to_docx(path, kind), kind)
    if kind == "pdf":
        return _read_pdf(name, data)
    text = decode_text(data)
    if text.count("\ufffd") + text.count("\x00") > len(text) // 20:
        raise DocumentError(f"Không đọc được báo cáo {name}: tệp không phải văn bản; {_SAVE_AS}.")
    return TextDocument(_text_paragraphs(text), kind="txt")


def _sniff(data: bytes, suffix: str) -> str:
    head = data[:8]
    if head.startswith(b"%PDF"):
        return "pdf"
    if head.startswith(b"{\\rtf"):
        return "rtf"
    if head.startswith(_OLE):
        return "spreadsheet" if suffix in _SPREADSHEET_SUFFIXES else "doc"
    if head.startswith(b"PK"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = set(archive.namelist())
                mimetype = archive.read("mimetype")[:80] if "mimetype" in names else b""
        except (zipfile.BadZipFile, OSError, ValueError):
            return "broken"
        if "word/document.xml" in names:
            return "docx"
        if b"opendocument.text" in mimetype:
            return "odt"
        return "spreadsheet" if "xl/workbook.xml" in names or b"spreadsheet" in mimetype else "broken"
    if suffix in (".docx", ".doc", ".odt", ".rtf", ".pdf"):
        return "broken"  # named as a document, but its bytes are not one
    return "txt"


def _utf16_bom(data: bytes) -> bool:
    return data[:2] in (b"\xff\xfe", b"\xfe\xff")


# ------------------------------------------------------------------------------------------ .docx


def _read_docx(name: str, data: bytes, kind: str) -> TextDocument:
    import docx
    from docx.opc.exceptions import OpcError
    from docx.table import Table

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        if sum(info.file_size for info in archive.infolist()) > MAX_UNPACKED_BYTES:
            raise DocumentError(f"Không đọc được báo cáo {name}: tệp giải nén ra quá lớn, không phải một báo cáo "
                                f"thông thường; {_SAVE_AS}.")
    try:
        document = docx.Document(io.BytesIO(data))
    except (OpcError, KeyError, ValueError, zipfile.BadZipFile, OSError, SyntaxError):  # lxml's errors are SyntaxErrors
        raise DocumentError(f"Không đọc được báo cáo {name}: tệp Word bị hỏng; {_SAVE_AS}.") from None
    paragraphs: list[str] = []
    tables: list[list[list[str]]] = []
    for block in document.iter_inner_content():  # paragraphs and tables in document order
        if isinstance(block, Table):
            tables.append([[_clean(cell.text) for cell in row.cells] for row in block.rows])  # merged cells repeat
            paragraphs += _prose_in(block)
        else:
            paragraphs.append(_clean(block.text))
    return TextDocument([p for p in paragraphs if p], tables, kind)


def _prose_in(table) -> list[str]:
    """The paragraphs of a table's cells that are prose (a report typed inside a layout table), not
    the short cells of a figures table."""
    out, seen = [], set()  # the cells' elements, held so that a merged cell is read once
    for row in table.rows:
        for cell in row.cells:
            if cell._tc in seen:
                continue
            seen.add(cell._tc)
            out += [_clean(p.text) for p in cell.paragraphs if len(p.text.split()) >= PROSE_WORDS]
    return out


def _convert_to_docx(path: Path, kind: str) -> bytes:
    """A .doc/.odt/.rtf converted by LibreOffice; the unit's file is only read."""
    try:
        return convert_with_libreoffice(path, path.read_bytes(), "docx")
    except ReadError as exc:
        raise DocumentError(str(exc)) from None


# ------------------------------------------------------------------------------------------ .pdf


def _read_pdf(name: str, data: bytes) -> TextDocument:
    pdftotext = _pdftotext_path()
    lines = _pdftotext_lines(pdftotext, name, data) if pdftotext else _pdfplumber_lines(name, data)
    paragraphs = _pdf_paragraphs(lines)
    if not any(re.search(r"\w", p) for p in paragraphs):
        raise DocumentError(
            f"Báo cáo {name} là bản quét (PDF chỉ có hình ảnh, không có lớp chữ) nên không đọc được số liệu: hãy "
            "nhận dạng chữ (OCR) rồi lưu thành .docx, .txt hoặc PDF có chữ, hoặc đề nghị đơn vị gửi bản Word."
        )
    return TextDocument(paragraphs, kind="pdf")


def _unreadable_pdf(name: str, detail: str) -> DocumentError:
    encrypted = "password" in detail.lower() or "encrypt" in detail.lower()
    why = "tệp PDF đặt mật khẩu" if encrypted else "tệp PDF bị hỏng"
    return DocumentError(f"Không đọc được báo cáo {name}: {why}; hãy đề nghị đơn vị gửi lại bản Word hoặc PDF "
                         "không đặt mật khẩu.")


def _pdftotext_path() -> str | None:
    return shutil.which("pdftotext")


def _pdftotext_lines(pdftotext: str, name: str, data: bytes) -> list[str]:
    """poppler's pdftotext (fast) where it is installed; a form feed ends each page."""
    with tempfile.TemporaryDirectory(prefix="tthc-xl-pdf-") as work:
        source = Path(work) / "bao-cao.pdf"
        source.write_bytes(data)
        try:
            done = subprocess.run([pdftotext, "-enc", "UTF-8", str(source), "-"], capture_output=True,
                                  timeout=CONVERT_SECONDS)
        except subprocess.TimeoutExpired:
            raise DocumentError(f"Đọc tệp PDF {name} quá {CONVERT_SECONDS} giây; {_SAVE_AS}.") from None
    if done.returncode != 0:
        raise _unreadable_pdf(name, done.stderr.decode("utf-8", "replace"))
    return done.stdout.decode("utf-8", "replace").replace("\f", "\n\n").splitlines()


def _pdfplumber_lines(name: str, data: bytes) -> list[str]:
    """pdfplumber (pure Python) where poppler is not installed, as on most clerks' Windows machines."""
    import pdfplumber

    lines: list[str] = []
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            for page in pdf.pages:
                lines += (page.extract_text() or "").splitlines()
                lines.append("")
    except Exception as exc:  # pdfminer raises many kinds on damaged or encrypted files
        raise _unreadable_pdf(name, f"{type(exc).__name__} {exc}") from None
    return lines


def _pdf_paragraphs(lines: list[str]) -> list[str]:
    """Wrapped lines joined back into paragraphs: a paragraph ends at a line clearly shorter than
    the text width (its last line), or at an empty line."""
    lines = [_clean(line) for line in lines]
    lengths = sorted(len(line) for line in lines if line)
    width = lengths[int(len(lengths) * 0.9)] if lengths else 0
    paragraphs, current = [], []
    for line in lines:
        if current and _BULLET.match(line) and current[-1].endswith((".", ";", ":")):
            paragraphs.append(" ".join(current))  # "2. …", "- …" after a finished sentence
            current = []
        if not line:
            if current and _is_last_line(current[-1], width):
                paragraphs.append(" ".join(current))
                current = []
            continue
        current.append(line)
        if _is_last_line(line, width):
            paragraphs.append(" ".join(current))
            current = []
    if current:
        paragraphs.append(" ".join(current))
    return paragraphs


_BULLET = re.compile(r"(?:\d{1,2}\.|[IVX]{1,4}\.|[-+•])\s")


def _is_last_line(line: str, width: int) -> bool:
    return len(line) < 0.8 * width


# ------------------------------------------------------------------------------------------ .txt


def decode_text(data: bytes) -> str:
    """Text in UTF-8 (with or without BOM), UTF-16 (BOM, or the zero bytes of Latin text), or the
    Windows Vietnamese code page 1258 that old editors save."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if _utf16_bom(data):
        return data.decode("utf-16", errors="replace")
    head = data[:4096]
    if head.count(b"\x00") > len(head) // 4:
        even_zeros = head[0::2].count(b"\x00") > head[1::2].count(b"\x00")
        return data.decode("utf-16-be" if even_zeros else "utf-16-le", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1258", errors="replace")


def _text_paragraphs(text: str) -> list[str]:
    """One paragraph per line, as editors save them (a blank line between paragraphs is dropped)."""
    return [p for p in (_clean(line) for line in text.splitlines()) if p]


def _clean(text: str) -> str:
    """NFC (cp1258 and some PDFs give decomposed marks), one space between words."""
    return " ".join(unicodedata.normalize("NFC", text).split())
