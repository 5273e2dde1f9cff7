"""Open a unit's file without trusting it, before calamine parses a byte of it.

Files arrive by e-mail and chat: some are not what their name says (a PDF or a web page called
`.xls`, a Word file, a half-downloaded zip), some are hostile (a zip bomb, XML entity tricks), and
some are merely huge (a sheet formatted down to row 1 048 576). This module decides from the bytes
what a file is, refuses what must not be parsed with a message for the clerk (Vietnamese, naming
the file and what to do), and hands calamine a package it can read in bounded time and memory:

* a zip package is refused from its central directory alone when it declares too much unpacked
  data, or a compression ratio no spreadsheet has — nothing is inflated first. The directory of a
  plain package (no comment, zip64 or extra fields, ASCII names) is read here, entry by entry as
  zipfile reads it; any other goes through zipfile, which words what is wrong with it;
* only the parts calamine reads are inflated: the workbook, its relationships, styles, shared strings
  and sheets (of an .ods: content.xml and the manifest). Each is inflated once, whole, and must have
  its declared size and CRC (calamine checks neither: a flipped digit in a stored sheet would read as
  another figure), and is refused if its prolog declares a DOCTYPE or an ENTITY (Excel never writes
  one). Parts calamine never opens (docProps/, the theme, [Content_Types].xml; an .ods's styles,
  settings and meta) have only their local header checked: nothing of them is inflated, as nothing
  of them can reach a figure;
* worksheets are streamed once: rows past MAX_SHEET_ROWS and columns past MAX_SHEET_COLS are cut
  before calamine loads the sheet (calamine allocates the whole used rectangle), and the cells that
  calamine would read as blank although they are not — a formula with no stored result, an error
  value such as `#REF!` — are collected so the reader can report them instead of reading 0.
* an Excel Binary workbook's (.xlsb) sheets are walked record by record for the same: error cells, hidden
  rows, and cells past the limits (cut, since calamine allocates every cell up to the farthest one).

Pure standard library; nothing here writes to the file it examines.
"""

from __future__ import annotations

import functools
import html
import io
import operator
import os
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from tthc_xl.core.errors import ClerkError

MAX_FILE_BYTES = 64 * 2**20  # a unit's report is a few hundred KB
MAX_ENTRIES = 10_000  # parts in a package
MAX_SHEET_PART_BYTES = 256 * 2**20  # one worksheet's XML, unpacked (streamed, never held whole)
MAX_PART_BYTES = 64 * 2**20  # any other part, unpacked (calamine holds it whole)
MAX_UNPACKED_BYTES = 512 * 2**20  # the whole package, unpacked
MAX_RATIO = 200  # unpacked / packed of a part above RATIO_FLOOR; spreadsheet XML packs 5-50 times
RATIO_FLOOR = 2**20
MAX_SHEET_ROWS = 20_000  # rows of a sheet handed to calamine; more than the country's communes (about 10 000)
MAX_SHEET_COLS = 128  # columns of a sheet handed to calamine (column DX)
_CHUNK = 2**20
_PROLOG_MAX = 2**20

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")


class ReadError(ClerkError):
    """A file that cannot be used; the message (Vietnamese) names the file and what to do."""


@dataclass
class Opened:
    """What calamine may read, and what it would not tell."""

    data: bytes  # the package (possibly with trimmed sheets) or the workbook file's bytes
    kind: str  # "xlsx", "xlsb", "ods" or "xls"
    formulas: dict[str, dict[tuple[int, int], str]] = field(default_factory=dict)  # sheet → (row, col) → formula with no result
    errors: dict[str, dict[tuple[int, int], str]] = field(default_factory=dict)  # sheet → (row, col) → "#REF!"…
    trimmed: list[str] = field(default_factory=list)  # sheets cut at MAX_SHEET_ROWS / MAX_SHEET_COLS
    hidden_rows: dict[str, set[int]] = field(default_factory=dict)  # sheet → rows hidden (by hand or by a filter)
    recalc: bool = False  # the workbook asks to be recalculated when opened: stored formula results are not to be trusted


# --------------------------------------------------------------------------------------
# Messages
# --------------------------------------------------------------------------------------


def _size(count: int) -> str:
    """`4,0 GB`, `12 MB`, `165 byte`, the way the clerk's Windows shows sizes (decimal comma)."""
    for unit, scale in (("GB", 2**30), ("MB", 2**20), ("KB", 2**10)):
        if count >= scale:
            value = count / scale
            text = f"{value:.1f}".replace(".", ",") if value < 10 else f"{value:.0f}"
            return f"{text} {unit}"
    return f"{count} byte"


_AGAIN = "hãy đề nghị đơn vị gửi lại tệp báo cáo"


def lock_file_message(name: str) -> str:
    original = name[2:] or name
    return (
        f"Tệp {name} là tệp khóa của Excel (Excel tự tạo khi đang mở tệp {original}), không phải báo cáo: "
        f"hãy bỏ tệp này ra khỏi lệnh và chọn tệp {original}."
    )


def password_message(name: str) -> str:
    return (
        f"Tệp {name} có đặt mật khẩu nên không đọc được: hãy đề nghị đơn vị gỡ mật khẩu "
        "(trong Excel: Tệp › Thông tin › Bảo vệ sổ làm việc › Mã hóa bằng mật khẩu, xóa mật khẩu rồi lưu) và gửi lại."
    )


def broken_message(name: str, detail: str = "") -> str:
    detail = f" ({detail})" if detail else ""
    return (
        f"Không mở được tệp {name}{detail}: tệp hỏng hoặc không đúng định dạng. "
        "Hãy mở thử bằng Excel, lưu lại thành .xlsx rồi chạy lại, hoặc đề nghị đơn vị gửi lại."
    )


# --------------------------------------------------------------------------------------
# What the bytes are
# --------------------------------------------------------------------------------------


def sniff(head: bytes) -> str:
    """"zip", "ole", "pdf", "html", "xml2003", "xml", "text", "empty" or "binary", from a file's first bytes."""
    if not head:
        return "empty"
    if head.startswith(_ZIP):
        return "zip"
    if head.startswith(_OLE):
        return "ole"
    if head.startswith(b"%PDF"):
        return "pdf"
    text = _as_text(head)
    if text is None:
        return "binary"
    start = text.lstrip("\ufeff \t\r\n").lower()
    if start.startswith("<"):
        if "urn:schemas-microsoft-com:office:spreadsheet" in start:
            return "xml2003"
        if start.startswith(("<html", "<!doctype html", "<table", "<meta", "<head", "<body")) or "<html" in start[:2048]:
            return "html"
        return "xml"
    return "text"


def _as_text(head: bytes) -> str | None:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return head[: len(head) // 2 * 2].decode("utf-16")
        except UnicodeDecodeError:
            return None
    if b"\x00" in head:
        return None
    try:
        return head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 3:  # a character cut by the sample's end
            return head[: exc.start].decode("utf-8")
    try:
        text = head.decode("cp1258")
    except UnicodeDecodeError:
        return None
    printable = sum(1 for ch in text if ch.isprintable() or ch in "\r\n\t")
    return text if printable >= 0.95 * len(text) else None


def refuse_non_spreadsheet(kind: str, name: str, suffix: str) -> None:
    """Raise the clerk's message for a file that is not a workbook at all."""
    if kind == "empty":
        raise ReadError(f"Tệp {name} rỗng (0 byte), không có nội dung: {_AGAIN}.")
    if kind == "pdf":
        raise ReadError(
            f"Tệp {name} là tệp PDF (chỉ mang đuôi {suffix}), không phải bảng tính nên không đọc được số liệu: "
            "hãy đề nghị đơn vị gửi tệp Excel (.xlsx) của báo cáo."
        )
    if kind == "html":
        raise ReadError(
            f"Tệp {name} là trang web (HTML) mang đuôi {suffix}, thường do phần mềm xuất ra: hãy mở tệp bằng Excel, "
            "chọn Lưu thành (Save As) kiểu “Excel Workbook (*.xlsx)” rồi chạy lại với tệp .xlsx đó."
        )
    if kind == "xml2003":
        raise ReadError(
            f"Tệp {name} là bảng tính “XML Spreadsheet 2003”, chưa đọc được: hãy mở tệp bằng Excel, "
            "lưu thành .xlsx rồi chạy lại."
        )
    if kind in ("text", "xml"):
        raise ReadError(
            f"Tệp {name} là tệp văn bản, không phải bảng tính {suffix}: nếu đây là bảng số liệu dạng CSV, hãy đổi "
            f"đuôi tệp thành .csv rồi chạy lại; nếu không, {_AGAIN} bằng tệp Excel."
        )
    raise ReadError(
        f"Tệp {name} không phải bảng tính (.xlsx, .xls, .ods, .csv) hoặc đã bị hỏng: hãy mở thử bằng Excel; "
        f"nếu Excel cũng không mở được, {_AGAIN}."
    )


def read_bytes(path: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """The file's bytes, refusing a file far larger than any report (opened read-only)."""
    name = path.name
    size = path.stat().st_size
    if size > limit:
        raise ReadError(
            f"Tệp {name} quá lớn ({_size(size)}), không phải một báo cáo thông thường (vài trăm KB): hãy kiểm tra lại "
            "tệp (xóa các dòng, cột, hình ảnh thừa rồi lưu lại) hoặc đề nghị đơn vị gửi lại."
        )
    with open(path, "rb") as handle:
        # read(limit + 1) would allocate the whole limit first; a file grown since stat() still stops at limit + 1.
        data = handle.read(size + 1)
        if len(data) > size:
            data += handle.read(limit - size)
        return data


def confined_file(root: Path, text: str, what: str, limit: int = 2**20) -> Path:
    """The regular file `text` names inside `root` (a server's folder), at most `limit` bytes; else ReadError.

    A link leading outside, a device (/dev/zero), a folder or a file far larger than `what` ever is are refused."""
    import os
    import stat

    base = Path(root).resolve()
    try:
        target = (base / text).resolve()
    except (OSError, ValueError):
        target = base
    try:
        info = target.stat()
    except (OSError, ValueError):
        info = None
    if base not in target.parents:
        raise ReadError(
            f"{what} “{text}” nằm ngoài thư mục báo cáo của máy chủ: trên máy chủ chỉ ghi tên một tệp trong "
            "thư mục đó (ví dụ danh-sach-don-vi.csv)."
        )
    if info is None or not stat.S_ISREG(info.st_mode):
        raise ReadError(f"{what} “{text}” không phải một tệp trong thư mục báo cáo của máy chủ: hãy kiểm tra lại tên tệp.")
    if info.st_size > limit:
        raise ReadError(f"{what} “{text}” quá lớn ({_size(info.st_size)}; tối đa {_size(limit)}): hãy kiểm tra lại tệp.")
    if not os.access(target, os.R_OK):
        raise ReadError(f"Máy chủ không có quyền đọc {what.lower()} “{text}”.")
    return target


# --------------------------------------------------------------------------------------
# Workbooks
# --------------------------------------------------------------------------------------


def open_workbook(path: Path, data: bytes) -> Opened:
    """A workbook file's bytes made safe for calamine, or ReadError. `data` is the whole file."""
    name = path.name
    kind = sniff(data[:4096])
    if kind == "ole":
        if is_encrypted_package(data):
            raise ReadError(password_message(name))
        opened = Opened(data, "xls")
        try:
            opened.errors = biff_errors(data)
        except Exception:  # the scan only adds findings; calamine decides whether the file is readable
            opened.errors = {}
        return opened
    if kind != "zip":
        refuse_non_spreadsheet(kind, name, path.suffix.lower() or "(không có đuôi)")
    try:
        return _open_package(name, data)
    except ReadError:
        raise
    except Exception as exc:  # damage zipfile trips over outside the checks (a bad offset, an unknown zip version)
        raise ReadError(broken_message(name, type(exc).__name__)) from None


def _open_package(name: str, data: bytes) -> Opened:
    listed = _central_directory(data)  # None: zipfile reads the directory, and says what is wrong with it
    archive = None
    if listed is None:
        archive, infos, start_dir = _zip_archive(name, data)
    else:
        infos, start_dir = listed
    _check_sizes(name, infos, len(data))
    if sum(info.file_size for info in infos) <= _IN_MEMORY_BYTES:
        try:
            return _examine(name, data, infos, _InMemory(data, infos, start_dir))
        except _Irregular:
            pass  # zipfile reads it again and reports what is wrong in the words it always has
    if archive is None:
        archive, infos, _ = _zip_archive(name, data)
    return _examine(name, data, infos, _Zipped(archive, infos))


def _zip_archive(name: str, data: bytes) -> tuple[zipfile.ZipFile, list[zipfile.ZipInfo], int]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        return archive, archive.infolist(), archive.start_dir
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError, struct.error):
        raise ReadError(
            f"Tệp {name} bị hỏng hoặc chưa tải về hết (tệp bị cắt cụt): hãy tải lại tệp từ thư điện tử hoặc tin nhắn, "
            "hoặc đề nghị đơn vị gửi lại."
        ) from None


_END = struct.Struct("<4s4H2LH")  # end of central directory: signature, disks, entries, size, offset, comment length
_ENTRY = struct.Struct(zipfile.structCentralDir)  # a central directory entry, as zipfile reads it


def _central_directory(data: bytes) -> tuple[list[_Entry], int] | None:
    """The entries zipfile lists and where its directory starts, for the plain packages spreadsheet programs
    write: no archive comment, no zip64, no bytes before the package, no extra fields, every entry whole,
    plain names. Anything else is None, and zipfile reads the package (its directory parsing costs a fifth
    of screening a small unit file)."""
    if len(data) < 64 or data[-22:-18] != b"PK\x05\x06" or data[-2:] != b"\x00\x00" or data[-42:-38] == b"PK\x06\x07":
        return None
    size, offset = _END.unpack_from(data, len(data) - 22)[5:7]
    if offset + size != len(data) - 22:
        return None
    entries = []
    pos, end = offset, offset + size
    while pos < end:
        if pos + 46 > end:
            return None
        fields = _ENTRY.unpack_from(data, pos)
        name_length, extra_length, comment_length = fields[12:15]
        name_end = pos + 46 + name_length
        following = name_end + extra_length + comment_length
        if fields[0] != b"PK\x01\x02" or extra_length or following > end or fields[3] > zipfile.MAX_EXTRACT_VERSION:
            return None
        raw = data[pos + 46 : name_end]
        if not raw.isascii() or b"\x00" in raw or (os.sep != "/" and os.sep.encode() in raw):
            return None  # names zipfile decodes or rewrites (cp437, UTF-8, a NUL, a backslash on Windows)
        entries.append(_Entry(raw.decode("ascii"), data[name_end:following], fields))
        pos = following
    return entries, offset


class _Entry:
    """An entry of the central directory with the fields a zipfile.ZipInfo takes from it, by the same names."""

    __slots__ = ("filename", "orig_filename", "extra", "comment", "create_version", "create_system", "extract_version",
                 "reserved", "flag_bits", "compress_type", "_raw_time", "_raw_date", "CRC", "compress_size", "file_size",
                 "volume", "internal_attr", "external_attr", "header_offset")

    def __init__(self, filename: str, comment: bytes, fields: tuple):
        self.filename = self.orig_filename = filename
        self.extra, self.comment = b"", comment
        (_, self.create_version, self.create_system, self.extract_version, self.reserved, self.flag_bits, self.compress_type,
         self._raw_time, self._raw_date, self.CRC, self.compress_size, self.file_size, _, _, _,
         self.volume, self.internal_attr, self.external_attr, self.header_offset) = fields

    @property
    def date_time(self) -> tuple[int, ...]:
        d, t = self._raw_date, self._raw_time
        return (d >> 9) + 1980, (d >> 5) & 0xF, d & 0x1F, t >> 11, (t >> 5) & 0x3F, (t & 0x1F) * 2


def _examine(name: str, data: bytes, infos: list[zipfile.ZipInfo], package: _Zipped | _InMemory) -> Opened:
    """What the package is, then its XML checked and its sheets scanned; `infos` already passed _check_sizes."""
    names = package.sizes
    if any(info.flag_bits & 0x1 for info in infos):
        raise ReadError(password_message(name))
    main = _office_document(package)
    mimetype = package.read("mimetype")[:100] if "mimetype" in names and names["mimetype"] < 1000 else b""
    if "xl/workbook.xml" in names or (main.lower().endswith(".xml") and "workbook" in main.lower()):
        kind = "xlsx"
    elif "xl/workbook.bin" in names:
        kind = "xlsb"
    elif "content.xml" in names and (not mimetype or b"spreadsheet" in mimetype):
        kind = "ods"
    elif "content.xml" in names:
        raise ReadError(
            f"Tệp {name} là văn bản OpenDocument (LibreOffice Writer), không phải bảng tính: "
            "hãy đề nghị đơn vị gửi tệp bảng tính (.xlsx hoặc .ods) của báo cáo."
        )
    elif any(n.startswith("word/") for n in names):
        raise ReadError(f"Tệp {name} là văn bản Word (chỉ mang đuôi bảng tính), không phải bảng tính: hãy đề nghị đơn vị gửi tệp Excel của báo cáo.")
    elif any(n.startswith("ppt/") for n in names):
        raise ReadError(f"Tệp {name} là tệp PowerPoint (chỉ mang đuôi bảng tính), không phải bảng tính: hãy đề nghị đơn vị gửi tệp Excel của báo cáo.")
    else:
        raise ReadError(
            f"Tệp {name} là tệp nén (zip), không phải bảng tính: hãy giải nén và chọn tệp báo cáo bên trong, "
            "hoặc đề nghị đơn vị gửi lại."
        )
    try:
        for info in infos:
            if info.filename.lower().endswith((".xml", ".rels")):
                if _parsed(kind, info.filename):
                    package.check_prolog(name, info)
                else:
                    package.check_header(info)
        opened = Opened(data, kind)
        if kind == "xlsx":
            _check_shared_strings(name, package)
            opened.recalc = _recalculates_on_load(package, main)
            _scan_worksheets(name, package, main, opened)
        elif kind == "ods":
            _scan_ods(name, package, opened)
        elif kind == "xlsb":
            _scan_xlsb(name, package, main, opened)
        return opened
    except ReadError:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as exc:
        raise ReadError(broken_message(name, f"dữ liệu nén hỏng: {exc}")) from None


_UNPARSED = {  # XML parts calamine never opens (tried part by part): their prolog and CRC cannot reach a figure
    "xlsx": re.compile(r"^(?:\[Content_Types\]\.xml|docProps/.*|xl/theme/.*)$", re.I),
    "ods": re.compile(r"^(?:styles|settings|meta)\.xml$"),
}
_UNPARSED["xlsb"] = _UNPARSED["xlsx"]


@functools.lru_cache(maxsize=1024)  # packages name the same few parts
def _parsed(kind: str, part: str) -> bool:
    """Whether calamine (or this module) reads `part` of a `kind` package: such a part is inflated whole and its
    CRC and prolog checked; any other part only has its local header checked, nothing of it is inflated."""
    return not _UNPARSED[kind].match(part)


def _check_sizes(name: str, infos: list[zipfile.ZipInfo], packed: int) -> None:
    """Refuse from the central directory alone: too many parts, too much unpacked data, impossible ratios."""
    declared = sum(info.file_size for info in infos)
    if len(infos) > MAX_ENTRIES:
        raise ReadError(_bomb(name, declared, packed))
    for info in infos:
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > RATIO_FLOOR and ratio > MAX_RATIO:
            raise ReadError(_bomb(name, declared, packed))
        big = "/worksheets/" in info.filename or info.filename == "content.xml"
        if info.file_size > (MAX_SHEET_PART_BYTES if big else MAX_PART_BYTES):
            raise ReadError(_too_big(name, declared))
        # Deflate never grows data by more than a few bytes per block: a packed size far above the declared
        # unpacked size means the declared size lies (and would not bound what an unpacker produces).
        if info.compress_type != zipfile.ZIP_STORED and info.compress_size > info.file_size + info.file_size // 100 + 1024:
            raise ReadError(broken_message(name, f"phần {info.filename} khai sai kích thước"))
    if declared > MAX_UNPACKED_BYTES:
        raise ReadError(_bomb(name, declared, packed) if declared / max(packed, 1) > MAX_RATIO else _too_big(name, declared))


def _bomb(name: str, unpacked: int, packed: int) -> str:
    return (
        f"Tệp {name} bất thường: chỉ {_size(packed)} nhưng khi giải nén lên tới {_size(unpacked)} "
        f"(gấp {_thousands(unpacked / max(packed, 1))} lần) — có thể là tệp độc hại (“bom nén”) — nên không được đọc. "
        "Hãy xóa tệp này và đề nghị đơn vị gửi lại tệp báo cáo bình thường."
    )


def _thousands(value: float) -> str:
    return f"{value:,.0f}".replace(",", ".")


def _too_big(name: str, unpacked: int) -> str:
    return (
        f"Tệp {name} quá lớn khi giải nén ({_size(unpacked)}), trong khi một báo cáo chỉ vài trăm KB: có thể trang tính "
        "có hàng triệu dòng hoặc hình ảnh thừa. Hãy xóa phần thừa, lưu lại rồi chạy lại, hoặc đề nghị đơn vị gửi lại."
    )


def _unsafe_xml(name: str) -> str:
    return (
        f"Tệp {name} chứa khai báo XML (DOCTYPE/ENTITY) mà tệp Excel bình thường không bao giờ có — có thể là tệp độc hại — "
        "nên không được đọc. Hãy đề nghị đơn vị mở báo cáo bằng Excel, lưu thành tệp mới rồi gửi lại."
    )


_ROOT_START = re.compile(rb"<[A-Za-z_]")
_DECLARATIONS = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.I)


_WIDE_STARTS = (  # how a part in UTF-32 or UTF-16 starts: a byte-order mark, or "<" and zero bytes
    (b"\xff\xfe\x00\x00", "utf-32-le"), (b"\x00\x00\xfe\xff", "utf-32-be"), (b"<\x00\x00\x00", "utf-32-le"), (b"\x00\x00\x00<", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"), (b"<\x00", "utf-16-le"), (b"\x00<", "utf-16-be"),
)


def _wide_encoding(head: bytes) -> str | None:
    """The encoding of a part written two or four bytes a character (the XML declaration then says UTF-16), or None."""
    if head[:1] == b"<" and head[1:2] not in (b"\x00", b""):
        return None  # "<?xml", "<worksheet": every wide start beginning with "<" has a zero byte next
    return next((codec for start, codec in _WIDE_STARTS if head.startswith(start)), None)


def _check_prolog(name: str, stream) -> None:
    """No DOCTYPE or ENTITY before the root element (they could only serve entity expansion or file reads),
    in whatever encoding the part is written: a UTF-16 part is read as UTF-16, not as ASCII bytes."""
    head = raw = b""
    codec = None
    while True:
        chunk = stream.read(65536)
        raw += chunk
        if codec is None and len(raw) >= 4:
            codec = _wide_encoding(raw) or ""
        head = raw.decode(codec, "replace").encode("utf-8", "replace") if codec else raw
        root = _ROOT_START.search(head)
        prolog = head[: root.start()] if root else head
        if _DECLARATIONS.search(prolog):
            raise ReadError(_unsafe_xml(name))
        if root or not chunk:
            return
        if len(raw) > _PROLOG_MAX * (4 if codec else 1):
            raise ReadError(_unsafe_xml(name))


def _check_prolog_of(name: str, content: bytes) -> None:
    """_check_prolog on a part held whole, without copying it."""
    if _wide_encoding(content[:4]):
        return _check_prolog(name, io.BytesIO(content[:_PROLOG_MAX * 4]))
    root = _ROOT_START.search(content, 0, _PROLOG_MAX)
    if root is None and len(content) > _PROLOG_MAX:
        return _check_prolog(name, io.BytesIO(content))  # a root past the first MB or none: the streamed verdict
    if _DECLARATIONS.search(content, 0, root.start() if root else len(content)):
        raise ReadError(_unsafe_xml(name))


_RELATIONSHIP = re.compile(rb"<(?:\w+:)?Relationship\b([^>]*)>")
_SHEET = re.compile(rb"<(?:\w+:)?sheet\b([^>]*)>")


def _office_document(package: _Zipped | _InMemory) -> str:
    """The main part named by `_rels/.rels` ("xl/workbook.xml"), or ""."""
    size = package.sizes.get("_rels/.rels")
    if size is None or size > MAX_PART_BYTES:
        return ""
    rels = package.read("_rels/.rels")
    for attrs in _RELATIONSHIP.findall(rels):
        if attrs.rstrip(b"/").find(b"/officeDocument") != -1:
            target = _attribute(attrs, b"Target")
            if target is not None:
                return target.lstrip("/")
    return ""


_ATTRIBUTES: dict[bytes, re.Pattern] = {}  # key → its pattern: re's own cache costs a microsecond a look-up
_QUOTED = rb"""\s*=\s*(?:"([^"]*)"|'([^']*)')"""


def _attribute(attrs: bytes, key: bytes) -> str | None:
    pattern = _ATTRIBUTES.get(key)
    if pattern is None:
        if re.fullmatch(rb"[\w:.-]+", key):  # a plain name: `(?:^|\s)name` with the name first, so re skips to it
            name = re.escape(key)
            pattern = re.compile(name + rb"(?:(?<=^" + name + rb")|(?<=\s" + name + rb"))" + _QUOTED)
        else:
            pattern = re.compile(rb"(?:^|\s)" + key + _QUOTED)
        _ATTRIBUTES[key] = pattern
    match = pattern.search(attrs)
    if not match:
        return None
    return html.unescape((match[1] if match[1] is not None else match[2]).decode("utf-8", "replace"))


def _worksheet_parts(package: _Zipped | _InMemory, main: str) -> dict[str, str]:
    """Sheet name → its XML part, from the workbook part (`main`, from _office_document) and its relationships."""
    names = package.sizes
    main = main or "xl/workbook.xml"
    if main not in names:
        return {}
    folder, rels_name = _relationships_of(main)
    if rels_name not in names:
        return {}
    for part in (main, rels_name):
        if names[part] > MAX_PART_BYTES:
            return {}
    targets = {}
    for attrs in _RELATIONSHIP.findall(package.read(rels_name)):
        rid, target = _attribute(attrs, b"Id"), _attribute(attrs, b"Target")
        if rid and target:
            targets[rid] = _target_part(folder, target)
    parts = {}
    for attrs in _SHEET.findall(package.read(main)):
        sheet = _attribute(attrs, b"name")
        rid = _attribute(attrs, b"r:id") or _attribute(attrs, rb"\w+:id")
        if sheet is not None and rid in targets:
            parts[sheet] = targets[rid]
    return parts


# Packages name the same few parts over and over; pathlib takes microseconds per join.
@functools.lru_cache(maxsize=256)
def _relationships_of(main: str) -> tuple[PurePosixPath, str]:
    """The folder of a part and the name of its relationships part."""
    folder = PurePosixPath(main).parent
    return folder, str(folder / "_rels" / (PurePosixPath(main).name + ".rels"))


@functools.lru_cache(maxsize=1024)
def _target_part(folder: PurePosixPath, target: str) -> str:
    """The part a relationship's target names, from the folder of the part that holds it."""
    return _normalize(target.lstrip("/") if target.startswith("/") else str(PurePosixPath(folder, target)))


def _normalize(path: str) -> str:
    parts: list[str] = []
    for piece in path.split("/"):
        if piece == "..":
            if parts:
                parts.pop()
        elif piece not in ("", "."):
            parts.append(piece)
    return "/".join(parts)


def _scan_worksheets(name: str, package: _Zipped | _InMemory, main: str, opened: Opened) -> None:
    names = package.sizes
    parts = _worksheet_parts(package, main)
    by_part = {part: sheet for sheet, part in parts.items()}
    sheet_parts = set(parts.values()) or {n for n in names if re.match(r"^xl/worksheets/[^/]+\.xml$", n)}
    replaced: dict[str, bytes] = {}
    for part in sorted(sheet_parts & names.keys()):
        if names[part] <= _FAST_SHEET_BYTES and _plain_small_sheet(package.read(part)):
            continue
        with package.open(part) as stream:
            scan = scan_sheet(name, stream, every_formula=opened.recalc)
        sheet = by_part.get(part, part)
        if scan.hidden_rows:
            opened.hidden_rows[sheet] = scan.hidden_rows
        if scan.formulas:
            opened.formulas[sheet] = scan.formulas
        if scan.errors:
            opened.errors[sheet] = scan.errors
        if scan.data is not None:
            replaced[part] = scan.data
            opened.trimmed.append(sheet)
    if replaced:
        opened.data = package.repack(replaced)


_FAST_SHEET_BYTES = 8 * 2**20  # a sheet this small cannot strain memory through its XML (an appendix of every commune: 4 MB)
# Patterns that start with a literal let re jump from one occurrence to the next; the look-behinds check
# the whitespace (or "<", ":") that the plain forms, such as `\sr\s*=…`, would try at every byte. Same matches.
_FORMULA_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s/>]")
_FORMULA_HINT = re.compile(rb"f(?<=[<:]f)[\s/>]")  # in every match of _FORMULA_TAG, found much quicker
_ERROR_TYPE = re.compile(rb"t(?<=\st)\s*=\s*[\"']e[\"']")
_ANY_CELL = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c[\s/>]")
_UNPREFIXED_CELL = re.compile(rb"<c[\s/>]")  # _ANY_CELL where no ":c" occurs
_ANY_REF = re.compile(rb"""r(?<=\sr)\s*=\s*["']\$?([A-Za-z]{0,3})\$?(\d+)["']""")
_FIRST, _SECOND = operator.itemgetter(0), operator.itemgetter(1)
_HIDDEN_ROW = re.compile(rb"""<(?:[A-Za-z_][\w.-]*:)?row\b[^>]*\shidden\s*=\s*["'](?:1|true)["']""")
_HIDDEN = re.compile(rb"""\shidden\s*=\s*["'](?:1|true)["']""")


def _plain_small_sheet(data: bytes) -> bool:
    """A sheet (of at most _FAST_SHEET_BYTES) with no formula, no error cell and no cell past the limits: nothing to find or cut.

    Most unit files are such sheets; a few C-level searches replace the scan in Python. A cell
    far away (XFD1048576) still goes through the scan: calamine would allocate the whole block.
    """
    if (_FORMULA_HINT.search(data) and _FORMULA_TAG.search(data)) or _ERROR_TYPE.search(data):
        return False
    if b"hidden" in data and _HIDDEN_ROW.search(data):
        return False
    refs = _ANY_REF.findall(data)
    rows = set(map(_SECOND, refs))
    columns = list(map(_FIRST, refs))
    if max(map(len, rows), default=0) <= 9:  # int() cannot fail: the verdict does not depend on the order
        if max(map(int, rows), default=0) > MAX_SHEET_ROWS or max(map(_column_number, set(columns)), default=0) > MAX_SHEET_COLS:
            return False
    else:  # a row number long enough for int() to refuse: whether it is reached first depends on the order
        for letters, row in refs:
            if int(row) > MAX_SHEET_ROWS or (letters and _column_number(letters) > MAX_SHEET_COLS):
                return False
    cells = _ANY_CELL if b":c" in data else _UNPREFIXED_CELL  # the second, without a prefix to try at every "<", is quicker
    return len(cells.findall(data)) <= len(columns) - columns.count(b"")  # a cell without its address: the scan places it


def _repack(archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo], replaced: dict[str, bytes]) -> bytes:
    """The package with some parts replaced, stored uncompressed (it only lives in memory for calamine)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as target:
        for info in infos:
            if info.is_dir():
                continue
            content = replaced[info.filename] if info.filename in replaced else archive.read(info)
            target.writestr(info.filename, content)
    return out.getvalue()


# --------------------------------------------------------------------------------------
# A package's parts: through zipfile, or from memory for small plain packages
# --------------------------------------------------------------------------------------

_WHOLE_PART_BYTES = 2**16  # a part read through zipfile is read whole up to this size, streamed beyond
_IN_MEMORY_BYTES = 4 * 2**20  # a package declaring no more unpacked data is inflated part by part in memory


class _Zipped:
    """Parts read through zipfile: any package it opens, sheets streamed."""

    def __init__(self, archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo]):
        self.archive, self.infos = archive, infos
        self.sizes = {info.filename: info.file_size for info in infos}  # a repeated name: the last entry, as zipfile reads it

    def read(self, part: str) -> bytes:
        return self.archive.read(part)

    def open(self, part: str):
        return self.archive.open(part)

    def check_prolog(self, name: str, info: zipfile.ZipInfo) -> None:
        if info.file_size <= _WHOLE_PART_BYTES:  # read whole, as _InMemory reads it: its size must be the declared one
            content = self.archive.read(info)
            if len(content) != info.file_size:
                raise ReadError(broken_message(name, f"phần {info.filename} khai sai kích thước"))
            return _check_prolog_of(name, content)
        with self.archive.open(info) as stream:
            _check_prolog(name, stream)

    def check_header(self, info: zipfile.ZipInfo) -> None:
        self.archive.open(info).close()  # the local header, its name, its compression: nothing inflated

    def repack(self, replaced: dict[str, bytes]) -> bytes:
        return _repack(self.archive, self.infos, replaced)


class _Irregular(Exception):
    """Something in a package _InMemory leaves to _Zipped, so that the clerk reads the message zipfile's error gives."""


class _InMemory:
    """Parts of a small package inflated from the file's bytes, each once.

    zipfile re-reads and re-inflates a part at every look, which costs several times calamine's
    own parse of a small unit file. A part is used only if it is exactly what its entry declares
    (local header, size, CRC): then zipfile would read the same bytes without error. Anything
    else (and parts that share bytes or names) raises _Irregular and the whole package goes
    through _Zipped, as before.
    """

    def __init__(self, data: bytes, infos: list[zipfile.ZipInfo], directory_start: int):
        self.data = data
        self.infos = {info.filename: info for info in infos}
        self.sizes = {info.filename: info.file_size for info in infos}
        self.parts: dict[str, bytes] = {}  # at most _IN_MEMORY_BYTES
        self.ends: dict[str, int] = {}  # where the bytes of the part that follows (or the directory) start
        following = directory_start
        for info in sorted(infos, key=lambda info: info.header_offset, reverse=True):
            if info.header_offset >= following or info.filename in self.ends:
                raise _Irregular
            self.ends[info.filename], following = following, info.header_offset

    def read(self, part: str) -> bytes:
        content = self.parts.get(part)
        if content is None:
            content = self.parts[part] = _inflate(self.data, self.infos[part], self.ends[part])
        return content

    def open(self, part: str):
        return io.BytesIO(self.read(part))

    def check_prolog(self, name: str, info: zipfile.ZipInfo) -> None:
        _check_prolog_of(name, self.read(info.filename))

    def check_header(self, info: zipfile.ZipInfo) -> None:
        _payload(self.data, info, self.ends[info.filename])

    def repack(self, replaced: dict[str, bytes]) -> bytes:
        raise _Irregular  # a sheet cut at the limits (rare): _Zipped copies the other parts, whatever they hold


_LOCAL_HEADER = struct.Struct("<4s2xH18xHH")  # signature, flags, name and extra lengths


def _inflate(data: bytes, info: zipfile.ZipInfo, end: int) -> bytes:
    """A part's bytes (which end before `end`), if they are exactly what its entry declares; else _Irregular.
    Never unpacks more than declared + 1."""
    begin, stop = _payload(data, info, end)
    if info.compress_type == zipfile.ZIP_DEFLATED:
        inflater = zlib.decompressobj(-15)
        try:
            content = inflater.decompress(data[begin:stop], info.file_size + 1)
        except zlib.error:
            raise _Irregular from None
        if not inflater.eof:
            raise _Irregular
    else:
        content = data[begin:stop]
    if len(content) != info.file_size or zlib.crc32(content) != info.CRC:
        raise _Irregular
    return content


def _payload(data: bytes, info: zipfile.ZipInfo, end: int) -> tuple[int, int]:
    """Where a part's packed bytes start and stop, if its local header is what zipfile accepts when it opens
    the part (signature, name, flags, a method it unpacks); else _Irregular."""
    start = info.header_offset
    if start < 0 or start + _LOCAL_HEADER.size > end or info.flag_bits & 0x61:  # encrypted, patched, strong encryption
        raise _Irregular
    signature, flags, name_length, extra_length = _LOCAL_HEADER.unpack_from(data, start)
    name_end = start + _LOCAL_HEADER.size + name_length
    begin = name_end + extra_length
    stop = begin + info.compress_size
    if signature != b"PK\x03\x04" or stop > end or (flags ^ info.flag_bits) & 0x800:
        raise _Irregular
    local_name = data[name_end - name_length : name_end].decode("utf-8" if flags & 0x800 else "cp437", "replace")
    if local_name != info.orig_filename:
        raise _Irregular  # zipfile refuses a part whose two names differ: let it say so
    if info.compress_type not in (zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED):
        raise _Irregular
    return begin, stop


# --------------------------------------------------------------------------------------
# One worksheet's XML, streamed
# --------------------------------------------------------------------------------------

_P = rb"(?:[A-Za-z_][\w.-]*:)?"  # an optional namespace prefix
_SHEETDATA = re.compile(rb"<" + _P + rb"sheetData(?=[\s/>])[^>]*?(/?)>")
_NEXT = re.compile(rb"<" + _P + rb"row(?=[\s/>])|</" + _P + rb"sheetData\s*>")
_ROW_CLOSE = re.compile(rb"</" + _P + rb"row\s*>")
_SHEETDATA_END = re.compile(rb"</" + _P + rb"sheetData\s*>")
_CELL = re.compile(rb"<" + _P + rb"c(?=[\s/>])([^>]*?)(?:/>|>(.*?)</" + _P + rb"c\s*>)", re.S)
_FORMULA = re.compile(rb"<" + _P + rb"f(?=[\s/>])[^>]*?(?:/>|>(.*?)</" + _P + rb"f\s*>)", re.S)
_VALUE = re.compile(rb"<" + _P + rb"v(?=[\s/>])[^>]*?(?:/>|>(.*?)</" + _P + rb"v\s*>)", re.S)
_DIMENSION = re.compile(rb"<" + _P + rb"dimension(?=[\s/>])[^>]*>")
_SPANS = re.compile(rb"""\sspans\s*=\s*(?:"[^"]*"|'[^']*')""")
_ROW_NUMBER = re.compile(rb"""(?:^|\s)r\s*=\s*["'](\d+)["']""")
_CELL_REF = re.compile(rb"""(?:^|\s)r\s*=\s*["']\$?([A-Za-z]{1,3})\$?(\d+)["']""")
_CELL_TYPE = re.compile(rb"""(?:^|\s)t\s*=\s*["'](\w+)["']""")


@dataclass
class SheetScan:
    formulas: dict[tuple[int, int], str] = field(default_factory=dict)
    errors: dict[tuple[int, int], str] = field(default_factory=dict)
    data: bytes | None = None  # the trimmed part, when rows or columns were cut
    hidden_rows: set[int] = field(default_factory=set)  # 0-based rows with hidden="1"
    every_formula: bool = False  # record formulas with a stored result too (the workbook recalculates on load)


class _Stream:
    """Decompressed chunks of a part, refusing to unpack more than the part limit."""

    def __init__(self, name: str, stream, limit: int):
        self.name, self.stream, self.limit, self.count = name, stream, limit, 0

    def read(self) -> bytes:
        chunk = self.stream.read(_CHUNK)
        self.count += len(chunk)
        if self.count > self.limit:
            raise ReadError(_too_big(self.name, self.count))
        return chunk


def scan_sheet(name: str, raw_stream, limit: int = MAX_SHEET_PART_BYTES, every_formula: bool = False) -> SheetScan:
    """Stream a worksheet part: collect formula-without-result (or every formula), error cells and hidden rows,
    cut what lies past the limits."""
    stream = _Stream(name, raw_stream, limit)
    scan = SheetScan(every_formula=every_formula)
    out: list[bytes] = []
    buf = bytearray()
    cut = False
    # The prolog, up to <sheetData>.
    searched = 0
    while True:
        match = _SHEETDATA.search(buf, max(0, searched - 64))
        if match:
            break
        root = _ROOT_START.search(buf)
        if _DECLARATIONS.search(buf[: root.start()] if root else buf):
            raise ReadError(_unsafe_xml(name))
        if len(buf) > _PROLOG_MAX * 16:  # columns and views never take megabytes: not a sheet Excel wrote
            raise ReadError(broken_message(name, "trang tính không đúng cấu trúc"))
        searched = len(buf)
        chunk = stream.read()
        if not chunk:
            return scan  # no sheet data: nothing to scan or cut
        buf += chunk
    if _DECLARATIONS.search(buf[: (_ROOT_START.search(buf) or match).start()]):
        raise ReadError(_unsafe_xml(name))
    out.append(_DIMENSION.sub(b"", bytes(buf[: match.end()])))
    if match[1] == b"/":
        return scan
    del buf[: match.end()]
    pos = 0
    close_from = 0  # where to resume looking for the current row's end after reading more
    row_number = 0
    while True:
        found = _NEXT.search(buf, pos)
        if found and found[0].startswith(b"</"):
            break
        if found:
            tag_end = buf.find(b">", found.end())
            complete = False
            if tag_end != -1:
                if buf[tag_end - 1] == 0x2F:  # "<row …/>": a row without cells
                    closing = end = tag_end + 1
                    complete = True
                else:
                    close = _ROW_CLOSE.search(buf, max(tag_end + 1, close_from))
                    if close:
                        closing, end = close.start(), close.end()
                        complete = True
            if complete:
                close_from = 0
                start_tag = bytes(buf[found.start() : tag_end + 1])
                number = _ROW_NUMBER.search(start_tag)
                row_number = int(number[1]) if number else row_number + 1
                if row_number > MAX_SHEET_ROWS:
                    cut = True
                    break
                if b"hidden" in start_tag and _HIDDEN.search(start_tag):
                    scan.hidden_rows.add(row_number - 1)
                kept, dropped = _scan_row(bytes(buf[tag_end + 1 : closing]), row_number, scan)
                if dropped:
                    cut = True
                    out.append(_SPANS.sub(b"", start_tag) + kept + bytes(buf[closing:end]))
                else:
                    out.append(bytes(buf[found.start() : end]))
                pos = end
                continue
            pos = found.start()  # an unfinished row: keep it, read on
            close_from = max(0, len(buf) - 16) - pos if tag_end != -1 else 0
        else:
            pos = max(pos, len(buf) - 64)  # nothing but text between rows: keep a tail for a tag cut in two
        # Need more data: drop what is processed, read on.
        del buf[:pos]
        pos = 0
        chunk = stream.read()
        if not chunk:
            break  # a truncated part: hand calamine what there is, it will say the file is broken
        buf += chunk
    if not cut:
        return scan
    # Skip the rows past the limit without parsing them, up to </sheetData>; keep the rest.
    del buf[:pos]
    while True:
        end_tag = _SHEETDATA_END.search(buf)
        if end_tag:
            out.append(bytes(buf[end_tag.start() :]))
            break
        keep = bytes(buf[-64:])
        buf = bytearray(keep)
        chunk = stream.read()
        if not chunk:
            out.append(b"</sheetData></worksheet>")
            break
        buf += chunk
    if end_tag:
        while chunk := stream.read():
            out.append(chunk)
    scan.data = b"".join(out)
    return scan


def _scan_row(body: bytes, row_number: int, scan: SheetScan) -> tuple[bytes, bool]:
    """Record the row's formula-without-result and error cells; the row without cells past MAX_SHEET_COLS."""
    column = 0
    kept: list[bytes] = []
    dropped = False
    for cell in _CELL.finditer(body):
        attrs, content = cell[1], cell[2]
        ref = _CELL_REF.search(attrs)
        column = _column_number(ref[1]) if ref else column + 1
        if column > MAX_SHEET_COLS:
            dropped = True
            continue
        kept.append(cell[0])
        if not content:
            continue
        kind = _CELL_TYPE.search(attrs)
        kind = kind[1] if kind else b"n"
        value = _VALUE.search(content)
        where = (row_number - 1, column - 1)
        if kind == b"e":
            scan.errors[where] = _xml_text(value[1]) if value and value[1] else "#N/A"
            continue
        formula = _FORMULA.search(content)
        if formula and kind != b"str" and (scan.every_formula or value is None or not (value[1] or b"").strip()):
            scan.formulas[where] = _xml_text(formula[1] or b"")
    return b"".join(kept), dropped


@functools.lru_cache(maxsize=4096)
def _column_number(letters: bytes) -> int:
    number = 0
    for ch in letters.upper():
        number = number * 26 + ch - 64
    return number


def _xml_text(value: bytes) -> str:
    return html.unescape(re.sub(rb"<[^>]*>", b"", value).decode("utf-8", "replace")).strip()


# --------------------------------------------------------------------------------------
# OpenDocument: error cells (calamine reads them as blank)
# --------------------------------------------------------------------------------------

_ODS_TOKEN = re.compile(
    rb"<table:table-row(?=[\s/>])([^>]*?)(/?)>"
    rb"|<table:(?:covered-)?table-cell(?=[\s/>])([^>]*?)(/?)>"
    rb"|<table:table(?=[\s>])([^>]*)>"
)
_ODS_TEXT = re.compile(rb"<text:p\b[^>]*>(.*?)</text:p>", re.S)


def _scan_ods(name: str, package: _Zipped | _InMemory, opened: Opened) -> None:
    """Error cells of content.xml; and refuse what would make calamine loop or expand without bound:
    a table never closed, repeat attributes that spread a few bytes over more than MAX_ODS_CELLS cells."""
    if package.sizes["content.xml"] > MAX_PART_BYTES:
        return  # such a part is not scanned: the worker's limits bound it
    content = package.read("content.xml")
    if content.count(b"</table:table>") < len(_ODS_TABLE_START.findall(content)):
        raise ReadError(broken_message(name, "bảng tính bị cắt cụt hoặc thiếu phần kết thúc"))
    sheet = None
    row = next_row = 0
    column = 0
    row_repeat = filled = 0  # the current row's repeat, and cells with content so far (repeats multiplied out)
    for token in _ODS_TOKEN.finditer(content):
        if token[5] is not None:  # a table
            sheet = _attribute(token[5], b"table:name") or ""
            row = next_row = 0
        elif token[1] is not None:  # a row
            row = next_row
            row_repeat = _repeat(token[1], b"table:number-rows-repeated")
            next_row += row_repeat
            column = 0
            if sheet is not None and b"table:visibility" in token[1] and row < MAX_SHEET_ROWS:
                if _attribute(token[1], b"table:visibility") in ("collapse", "filter"):
                    opened.hidden_rows.setdefault(sheet, set()).update(range(row, min(next_row, MAX_SHEET_ROWS)))
        elif token[3] is not None:  # a cell
            repeat = _repeat(token[3], b"table:number-columns-repeated")
            if not token[4] or b"value-type" in token[3]:  # not an empty `<table:table-cell …/>`
                filled += repeat * max(row_repeat, 1)
                if filled > MAX_ODS_CELLS:
                    raise ReadError(_repeated_cells(name, filled))
            if sheet is not None and b"table:formula" in token[3] and b"office:value" not in token[3].replace(b"office:value-type", b"") \
                    and b'value-type="string"' not in token[3] and b'calcext:value-type="error"' not in token[3] and row < MAX_SHEET_ROWS:
                formula = _attribute(token[3], b"table:formula") or ""
                for offset in range(min(repeat, MAX_SHEET_COLS)):
                    opened.formulas.setdefault(sheet, {})[(row, column + offset)] = _ods_formula(formula)
            if sheet is not None and b'calcext:value-type="error"' in token[3] and row < MAX_SHEET_ROWS:
                text = b""
                if not token[4]:
                    close = content.find(b"</table:table-cell>", token.end())
                    found = _ODS_TEXT.search(content, token.end(), close if close != -1 else len(content))
                    text = found[1] if found else b""
                for offset in range(min(repeat, MAX_SHEET_COLS)):
                    opened.errors.setdefault(sheet, {})[(row, column + offset)] = _xml_text(text) or "#N/A"
            column += repeat


_ODS_TABLE_START = re.compile(rb"<table:table[\s>]")
MAX_ODS_CELLS = MAX_SHEET_ROWS * MAX_SHEET_COLS  # cells with content, repeats multiplied out


def _repeated_cells(name: str, cells: int) -> str:
    return (
        f"Tệp {name} bất thường: vài dòng trong tệp được lặp lại thành hơn {_thousands(cells)} ô có dữ liệu (một báo cáo chỉ "
        "vài nghìn ô) — có thể là tệp độc hại — nên không được đọc. Hãy mở tệp bằng LibreOffice hoặc Excel, xóa các dòng, "
        "cột thừa, lưu lại rồi chạy lại, hoặc đề nghị đơn vị gửi lại."
    )


_FULL_CALC = re.compile(rb"""<(?:\w+:)?calcPr\b[^>]*\sfullCalcOnLoad\s*=\s*["'](?:1|true)["']""")


def _recalculates_on_load(package: _Zipped | _InMemory, main: str) -> bool:
    """`<calcPr fullCalcOnLoad="1"/>`: written by programs that store no real formula results (XlsxWriter stores 0)."""
    main = main or "xl/workbook.xml"
    size = package.sizes.get(main)
    return size is not None and size <= MAX_PART_BYTES and bool(_FULL_CALC.search(package.read(main)))


_SST = re.compile(rb"<(?:\w+:)?sst\b([^>]*)>")


def _check_shared_strings(name: str, package: _Zipped | _InMemory) -> None:
    """The shared-strings part's declared count of strings against its size: each string takes at least
    `<si/>`; calamine reserves memory for the declared count first (4 294 967 295 aborts the process)."""
    part = next((n for n in package.sizes if n.lower().endswith("sharedstrings.xml")), None)
    if part is None:
        return
    size = package.sizes[part]
    with package.open(part) as stream:
        head = stream.read(4096)
    match = _SST.search(head)
    if not match:
        return
    declared = _attribute(match[1], b"uniqueCount")
    try:
        count = int(declared) if declared is not None else 0
    except ValueError:
        raise ReadError(broken_message(name, "danh sách chuỗi ký tự khai sai số lượng")) from None
    if count > size // 5 + 1:
        raise ReadError(
            f"Tệp {name} bất thường: tệp khai có {_thousands(count)} chuỗi ký tự trong khi phần chứa chúng chỉ "
            f"{_size(size)} — có thể là tệp độc hại hoặc do phần mềm lạ ghi sai — nên không được đọc. Hãy mở tệp bằng Excel, "
            "lưu lại thành .xlsx mới rồi chạy lại, hoặc đề nghị đơn vị gửi lại."
        )


def _ods_formula(formula: str) -> str:
    """`of:=[.D9]+[.E9]`, `of:=SUM([.C9:.C24])` as A1 formulas (`D9+E9`, `SUM(C9:C24)`)."""
    text = re.sub(r"^(?:\w+:)?=", "", formula)
    text = re.sub(r"\[\$?'?[^\].:]*'?\.(\$?[A-Z]+\$?\d+)(?::\.(\$?[A-Z]+\$?\d+))?\]", lambda m: m[1] + (":" + m[2] if m[2] else ""), text)
    return text.replace(";", ",")


def _repeat(attrs: bytes, key: bytes) -> int:
    value = _attribute(attrs, key)
    try:
        return max(1, int(value)) if value else 1
    except ValueError:
        return 1


# --------------------------------------------------------------------------------------
# Excel 97-2003 (.xls): error cells (calamine reads them as blank)
# --------------------------------------------------------------------------------------

_BIFF_ERRORS = {0x00: "#NULL!", 0x07: "#DIV/0!", 0x0F: "#VALUE!", 0x17: "#REF!", 0x1D: "#NAME?", 0x24: "#NUM!", 0x2A: "#N/A"}


def biff_errors(data: bytes) -> dict[str, dict[tuple[int, int], str]]:
    """Sheet → (row, col) → error text, from the FORMULA and BOOLERR records of a BIFF8 workbook stream."""
    stream = CompoundFile(data).stream(("Workbook", "Book"))
    if stream is None:
        return {}
    sheets: list[tuple[str, int]] = []
    pos = 0
    # Globals: BOUNDSHEET8 records give each sheet's name and where its substream starts.
    while pos + 4 <= len(stream):
        kind, length = struct.unpack_from("<HH", stream, pos)
        body = stream[pos + 4 : pos + 4 + length]
        if kind == 0x0809 and pos == 0 and struct.unpack_from("<H", body, 0)[0] != 0x0600:
            return {}  # not BIFF8
        if kind == 0x0085 and len(body) >= 8:
            offset, _, sheet_type, count, flags = struct.unpack_from("<IBBBB", body, 0)
            raw = body[8 : 8 + (count * 2 if flags & 1 else count)]
            sheet = raw.decode("utf-16-le" if flags & 1 else "latin-1", "replace")
            if sheet_type == 0:
                sheets.append((sheet, offset))
        if kind == 0x000A:
            break
        pos += 4 + length
    found: dict[str, dict[tuple[int, int], str]] = {}
    for sheet, offset in sheets:
        pos = offset
        while pos + 4 <= len(stream):
            kind, length = struct.unpack_from("<HH", stream, pos)
            body = stream[pos + 4 : pos + 4 + length]
            code = None
            if kind == 0x0006 and len(body) >= 14 and body[12:14] == b"\xff\xff" and body[6] == 0x02:
                code = body[8]
            elif kind == 0x0205 and len(body) >= 8 and body[7] == 1:
                code = body[6]
            if code is not None:
                row, col = struct.unpack_from("<HH", body, 0)
                if row < MAX_SHEET_ROWS:
                    found.setdefault(sheet, {})[(row, col)] = _BIFF_ERRORS.get(code, "#N/A")
            if kind == 0x000A:
                break
            pos += 4 + length
    return found


class CompoundFile:
    """The directory and streams of a compound file (OLE2: .xls, encrypted OOXML). Bounds-checked; raises ValueError."""

    def __init__(self, data: bytes):
        if len(data) < 512 or not data.startswith(_OLE):
            raise ValueError("not a compound file")
        shift, mini_shift = struct.unpack_from("<HH", data, 0x1E)
        if shift not in (9, 12) or mini_shift != 6:
            raise ValueError("unknown sector size")
        self.data, self.size = data, 1 << shift
        fat_count, first_dir = struct.unpack_from("<II", data, 0x2C)
        self.cutoff, self.first_minifat, self.minifat_count, first_difat, difat_count = struct.unpack_from("<IIIII", data, 0x38)
        self.sectors = (len(data) - self.size) // self.size
        fat_sectors = [s for s in struct.unpack_from("<109I", data, 0x4C) if s < self.sectors]
        difat = first_difat
        for _ in range(min(difat_count, self.sectors)):
            if difat >= self.sectors:
                break
            entries = struct.unpack(f"<{self.size // 4}I", self.sector(difat))
            fat_sectors += [s for s in entries[:-1] if s < self.sectors]
            difat = entries[-1]
        self.fat: list[int] = []
        for index in fat_sectors[:fat_count]:
            self.fat += struct.unpack(f"<{self.size // 4}I", self.sector(index))
        directory = b"".join(self.sector(i) for i in self.chain(first_dir, self.fat, self.sectors))
        self.entries: list[tuple[str, int, int, int]] = []  # (name, type: 1 storage 2 stream 5 root, start, size)
        for offset in range(0, len(directory) - 127, 128):
            entry = directory[offset : offset + 128]
            length = struct.unpack_from("<H", entry, 64)[0]
            name = entry[: max(0, min(length, 64) - 2)].decode("utf-16-le", "replace")
            start, stream_size = struct.unpack_from("<IQ", entry, 116)
            self.entries.append((name, entry[66], start, stream_size & 0xFFFFFFFF))
        if not self.entries:
            raise ValueError("no directory")

    @property
    def names(self) -> set[str]:
        return {name for name, kind, _, _ in self.entries if kind in (1, 2)}

    def sector(self, index: int) -> bytes:
        if index >= self.sectors:
            raise ValueError("sector out of range")
        return self.data[(index + 1) * self.size : (index + 2) * self.size]

    @staticmethod
    def chain(start: int, table: list[int], limit: int) -> list[int]:
        out = []
        while start < len(table) and len(out) < limit:
            out.append(start)
            start = table[start]
        return out

    def stream(self, names) -> bytes | None:
        """The first stream named one of `names`, or None."""
        root_start, root_size = self.entries[0][2], self.entries[0][3]
        for name, kind, start, stream_size in self.entries:
            if kind != 2 or name not in names:
                continue
            if stream_size >= self.cutoff:
                return b"".join(self.sector(i) for i in self.chain(start, self.fat, self.sectors))[:stream_size]
            minifat: list[int] = []
            for index in self.chain(self.first_minifat, self.fat, self.sectors)[: self.minifat_count]:
                minifat += struct.unpack(f"<{self.size // 4}I", self.sector(index))
            mini_stream = b"".join(self.sector(i) for i in self.chain(root_start, self.fat, self.sectors))[:root_size]
            pieces = [mini_stream[i * 64 : (i + 1) * 64] for i in self.chain(start, minifat, len(mini_stream) // 64 + 1)]
            return b"".join(pieces)[:stream_size]
        return None


def is_encrypted_package(data: bytes) -> bool:
    """An OOXML workbook encrypted with a password: a compound file holding an "EncryptedPackage" stream."""
    try:
        return "EncryptedPackage" in CompoundFile(data).names
    except (ValueError, struct.error):
        return _ENCRYPTED_PACKAGE in data[:65536]  # a damaged directory: the name in the first sectors is enough


# --------------------------------------------------------------------------------------
# Excel Binary (.xlsb): error cells, hidden rows, cells past the limits
# --------------------------------------------------------------------------------------

_BRT_ROW_HDR, _BRT_CELL_ERROR, _BRT_FMLA_ERROR, _BRT_END_SHEET_DATA, _BRT_BUNDLE_SH = 0x00, 0x03, 0x0B, 0x92, 0x9C
_BRT_CELLS = range(0x02, 0x0C)  # BrtCellRk … BrtFmlaError: the cell records calamine reads (BrtCellBlank, 0x01, it skips)


def _scan_xlsb(name: str, package: _Zipped | _InMemory, main: str, opened: Opened) -> None:
    """Each sheet of a BIFF12 workbook [MS-XLSB]: its error cells (BrtCellError, and BrtFmlaError, a formula whose
    result is an error, which calamine skips), its hidden rows (BrtRowHdr.fDyZero), and its cells past
    MAX_SHEET_ROWS × MAX_SHEET_COLS, cut (calamine allocates the rectangle up to the farthest cell)."""
    names = package.sizes
    main = main if main in names else "xl/workbook.bin"
    folder, rels_name = _relationships_of(main)
    if names.get(main, MAX_PART_BYTES + 1) > MAX_PART_BYTES or names.get(rels_name, MAX_PART_BYTES + 1) > MAX_PART_BYTES:
        return
    targets = {}
    for attrs in _RELATIONSHIP.findall(package.read(rels_name)):
        rid, target = _attribute(attrs, b"Id"), _attribute(attrs, b"Target")
        if rid and target:
            targets[rid] = _target_part(folder, target)
    replaced: dict[str, bytes] = {}
    for _, body, _ in _biff12_records(package.read(main), {_BRT_BUNDLE_SH}):
        try:  # BrtBundleSh: hsState, iTabID, strRelID (XLNullableWideString), strName (XLWideString)
            count = struct.unpack_from("<I", body, 8)[0]
            rid = body[12 : 12 + 2 * count].decode("utf-16-le")
            sheet = body[16 + 2 * count : 16 + 2 * count + 2 * struct.unpack_from("<I", body, 12 + 2 * count)[0]].decode("utf-16-le")
        except (struct.error, UnicodeDecodeError):
            continue
        part = targets.get(rid)
        if part not in names:
            continue
        with package.open(part) as stream:
            chunks = _Stream(name, stream, MAX_SHEET_PART_BYTES)
            data = b"".join(iter(chunks.read, b""))
        errors, hidden, beyond = _xlsb_sheet_cells(data)
        if errors:
            opened.errors[sheet] = errors
        if hidden:
            opened.hidden_rows[sheet] = hidden
        if beyond:
            replaced[part] = _trimmed_xlsb_sheet(data)
            opened.trimmed.append(sheet)
    if replaced:
        opened.data = package.repack(replaced)


def _xlsb_sheet_cells(data: bytes) -> tuple[dict[tuple[int, int], str], set[int], bool]:
    """(error cells, hidden rows, whether a cell lies past the limits) of a sheet part. One pass over the records,
    written out by hand: a sheet of 20 000 rows holds 300 000 of them. A part cut short ends the pass."""
    errors, hidden, beyond = {}, set(), False
    pos, end, row, far = 0, len(data), 0, False
    try:
        while pos < end:
            kind = data[pos]  # the type: 1 or 2 bytes of 7 bits, the high bit saying another follows
            pos += 1
            if kind & 0x80:
                kind = (kind & 0x7F) | ((data[pos] & 0x7F) << 7)
                pos += 1
            size = data[pos]  # the size: 1 to 4 such bytes
            pos += 1
            if size & 0x80:
                size &= 0x7F
                for shift in (7, 14, 21):
                    byte = data[pos]
                    pos += 1
                    size |= (byte & 0x7F) << shift
                    if not byte & 0x80:
                        break
            if 0x02 <= kind <= 0x0B:  # a cell: its column first
                col = int.from_bytes(data[pos : pos + 4], "little")
                if far or col >= MAX_SHEET_COLS:
                    beyond = True
                elif kind == _BRT_CELL_ERROR or kind == _BRT_FMLA_ERROR:
                    errors[(row, col)] = _BIFF_ERRORS.get(data[pos + 8], "#N/A")
            elif kind == _BRT_ROW_HDR:
                row = int.from_bytes(data[pos : pos + 4], "little")
                far = row >= MAX_SHEET_ROWS
                if data[pos + 11] & 0x10 and not far:
                    hidden.add(row)
            elif kind == _BRT_END_SHEET_DATA:
                break
            pos += size
    except IndexError:
        pass  # calamine says what is wrong with the part
    return errors, hidden, beyond


def _trimmed_xlsb_sheet(data: bytes) -> bytes:
    """The sheet part without its row headers and cells past MAX_SHEET_ROWS × MAX_SHEET_COLS, the rest as it was."""
    kept, row, in_data = [], 0, True
    for kind, body, whole in _biff12_records(data):
        if in_data and kind == _BRT_ROW_HDR:
            row = int.from_bytes(body[:4], "little")
            if row >= MAX_SHEET_ROWS:
                continue
        elif in_data and kind in _BRT_CELLS and (row >= MAX_SHEET_ROWS or int.from_bytes(body[:4], "little") >= MAX_SHEET_COLS):
            continue
        elif kind == _BRT_END_SHEET_DATA:
            in_data = False
        kept.append(whole)
    return b"".join(kept)


def _biff12_records(data: bytes, wanted: set[int] | None = None):
    """(type, body, the whole record) of each record of a BIFF12 part (those whose type is in `wanted`, if given);
    see _xlsb_sheet_cells for the encoding. A part cut short ends the records."""
    pos, end = 0, len(data)
    while pos < end:
        start = pos
        try:
            kind = data[pos]
            pos += 1
            if kind & 0x80:
                kind = (kind & 0x7F) | ((data[pos] & 0x7F) << 7)
                pos += 1
            size = shift = 0
            for shift in (0, 7, 14, 21):
                byte = data[pos]
                pos += 1
                size |= (byte & 0x7F) << shift
                if not byte & 0x80:
                    break
        except IndexError:
            return
        if pos + size > end:
            return
        if wanted is None or kind in wanted:
            yield kind, data[pos : pos + size], data[start : pos + size]
        pos += size
