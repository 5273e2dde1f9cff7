"""A corpus of bad inputs, written in code: one function per case, each writing its file into a folder.

Every case is something a clerk really receives (an empty attachment, a PDF named `.xlsx`, a file
half downloaded, a password-protected workbook, an old `.xls`, a sheet formatted down to row one
million, Excel's `~$` lock file) or something hostile (a zip bomb, XML entity expansion, an
external entity, formula injection in a unit's name). `tests/test_bad_inputs.py` checks the
message and that the good Sóc Trăng unit files beside each one are still consolidated.

Run as a script to write them all:

    python tests/bad_inputs.py out/bad-inputs/

Each case function takes the folder and returns the path it wrote. `CASES` maps a case's name to
its function; `case.replaces` lists the Sóc Trăng units (indices into `soctrang.UNITS`) whose good
file the bad one stands in for, so a test can drop those from the folder.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zipfile
import zlib
from pathlib import Path

from openpyxl import Workbook

sys.path.insert(0, str(Path(__file__).parent))
import soctrang  # noqa: E402
from packages import with_parts_changed  # noqa: E402

CASES: dict = {}

TU_PHAP = 11  # index of "Sở Tư pháp" in soctrang.UNITS: a consistent row, used as the bad files' unit
TAI_NGUYEN = 10  # "Sở Tài nguyên và Môi trường"
ZIP_BOMB_UNPACKED = 3 * 2**30  # the zip bomb's sheet: 3 GiB of zeros (about 3 MB packed)
MILLION = 1_000_000
INJECTED_NAMES = ['=HYPERLINK("http://x","a")', "+1+1", "@SUM(A1)", "-1+2"]


def case(*, replaces: tuple[int, ...] = ()):
    def register(function):
        function.replaces = replaces
        CASES[function.__name__] = function
        return function

    return register


# --------------------------------------------------------------------------------------
# Helpers: a unit's table, raw zip entries, a compound file
# --------------------------------------------------------------------------------------

HEADER_TOP = 1  # the header's first row; the number row is 4, the unit row 5
NUMBER_ROW = HEADER_TOP + 3
UNIT_ROW = NUMBER_ROW + 1


def unit_values(index: int) -> tuple[str, list[int]]:
    _, name, values = soctrang.UNITS[index]
    return name, list(values)


def write_table(ws, rows: list[tuple[str, list]], top: int = HEADER_TOP) -> int:
    """The 14-column header (merged, 3 rows), the number row and one row per (unit, values) at `top`.

    Column n of the layout is sheet column n (A = STT, B = unit, C = column 3 …). Returns the first unit row.
    """
    for r, header in enumerate(soctrang.HEADER_ROWS):
        for c, text in enumerate(header, start=1):
            if text is not None:
                ws.cell(top + r, c, text)
    for ref in soctrang.MERGES:
        ws.merge_cells(soctrang._shift_range(ref, rows=top - 1))
    for c, text in enumerate(soctrang.NUMBER_ROW, start=1):
        if text is not None:
            ws.cell(top + 3, c, text)
    for i, (name, values) in enumerate(rows):
        ws.cell(top + 4 + i, 1, i + 1)
        ws.cell(top + 4 + i, 2, name)
        for c, value in enumerate(values, start=3):
            if value is not None:
                ws.cell(top + 4 + i, c, value)
    return top + 4


def unit_workbook(path: Path, index: int = TU_PHAP, change=None) -> Path:
    """One unit's file (its table at A1); `change(ws)` alters it before saving."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Báo cáo"
    write_table(ws, [unit_values(index)])
    if change:
        change(ws)
    wb.save(path)
    return path


def _raw_deflate(data: bytes) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    return packer.compress(data) + packer.flush()


def write_zip(path: Path, entries: list[tuple[str, bytes, int, int]]) -> Path:
    """A zip of pre-deflated entries: (name, raw deflate stream, crc32, unpacked size), sizes < 4 GiB."""
    out = io.BytesIO()
    central = []
    for name, packed, crc, size in entries:
        encoded = name.encode()
        offset = out.tell()
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(packed), size, len(encoded), 0))
        out.write(encoded)
        out.write(packed)
        central.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21, crc, len(packed), size,
                                   len(encoded), 0, 0, 0, 0, 0, offset) + encoded)
    start = out.tell()
    for record in central:
        out.write(record)
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central), out.tell() - start, start, 0))
    path.write_bytes(out.getvalue())
    return path


def _entry(name: str, data: bytes) -> tuple[str, bytes, int, int]:
    return name, _raw_deflate(data), zlib.crc32(data), len(data)


_CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    b'<Default Extension="xml" ContentType="application/xml"/>'
    b'<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    b'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    b"</Types>"
)
_ROOT_RELS = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    b"</Relationships>"
)
_WORKBOOK = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    b'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    b'<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    b"</Relationships>"
)


def _minimal_xlsx_parts() -> list[tuple[str, bytes, int, int]]:
    return [
        _entry("[Content_Types].xml", _CONTENT_TYPES),
        _entry("_rels/.rels", _ROOT_RELS),
        _entry("xl/workbook.xml", _WORKBOOK),
        _entry("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS),
    ]


def _crc32_combine(crc1: int, crc2: int, length2: int) -> int:
    """crc32(a + b) from crc32(a), crc32(b) and len(b) (zlib's crc32_combine, in GF(2))."""

    def times(matrix, vector):
        total, i = 0, 0
        while vector:
            if vector & 1:
                total ^= matrix[i]
            vector >>= 1
            i += 1
        return total

    def square(matrix):
        return [times(matrix, matrix[n]) for n in range(32)]

    if length2 <= 0:
        return crc1
    odd = [0xEDB88320] + [1 << n for n in range(31)]
    even = square(odd)
    odd = square(even)
    while True:
        even = square(odd)
        if length2 & 1:
            crc1 = times(even, crc1)
        length2 >>= 1
        if not length2:
            break
        odd = square(even)
        if length2 & 1:
            crc1 = times(odd, crc1)
        length2 >>= 1
        if not length2:
            break
    return crc1 ^ crc2


def _rewrite_sheet(source: Path, target: Path, write_rows, last_row: int) -> Path:
    """Copy an .xlsx, streaming extra rows (`write_rows(handle)`) into sheet1 just before </sheetData>."""
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as out:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename != "xl/worksheets/sheet1.xml":
                out.writestr(item.filename, data)
                continue
            head, tail = data.split(b"</sheetData>")
            head = re.sub(rb"<dimension [^>]*/>", b'<dimension ref="A1:N%d"/>' % last_row, head)
            with out.open(item.filename, "w", force_zip64=True) as handle:
                handle.write(head)
                write_rows(handle)
                handle.write(b"</sheetData>" + tail)
    return target


def _compound_file(streams: dict[str, bytes]) -> bytes:
    """A minimal compound file (CFB v3, 512-byte sectors) holding up to three streams of ≥ 4096 bytes each."""
    sector = 512
    end, free, fat_mark, none = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF
    names = sorted(streams, key=lambda n: (len(n), n.upper()))
    fat = [fat_mark, end]  # sector 0 holds the FAT, sector 1 the directory
    body = b""
    starts = {}
    for name in names:
        content = streams[name]
        assert len(content) >= 4096, "small streams would belong in the mini stream"
        count = -(-len(content) // sector)
        starts[name] = len(fat)
        fat += [len(fat) + i + 1 for i in range(count - 1)] + [end]
        body += content.ljust(count * sector, b"\0")
    assert len(fat) <= sector // 4
    fat += [free] * (sector // 4 - len(fat))

    def entry(name, kind, start, size, left=none, right=none, child=none):
        encoded = name.encode("utf-16-le") + b"\0\0" if name else b""
        return (
            encoded.ljust(64, b"\0")
            + struct.pack("<HBBIII", len(encoded), kind, 1, left, right, child)
            + bytes(16 + 4 + 16)
            + struct.pack("<IQ", start, size)
        )

    # A directory tree: the root's child is the last name, each name's left sibling the one before it.
    entries = [entry("Root Entry", 5, end, 0, child=len(names))]
    for i, name in enumerate(names, start=1):
        entries.append(entry(name, 2, starts[name], len(streams[name]), left=i - 1 if i > 1 else none))
    while len(entries) < 4:
        entries.append(entry("", 0, 0, 0))
    header = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(16)
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + bytes(6)
        + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, end, 0, end, 0)
        + struct.pack("<109I", 0, *([free] * 108))
    )
    return header + struct.pack(f"<{sector // 4}I", *fat) + b"".join(entries) + body


# --------------------------------------------------------------------------------------
# The cases
# --------------------------------------------------------------------------------------


@case()
def empty_file(folder: Path) -> Path:
    """An attachment that arrived empty."""
    path = folder / "rong.xlsx"
    path.write_bytes(b"")
    return path


@case()
def pdf_named_xlsx(folder: Path) -> Path:
    """The report printed to PDF and renamed `.xlsx`."""
    path = folder / "bao-cao-pdf.xlsx"
    path.write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
    return path


@case()
def text_named_xlsx(folder: Path) -> Path:
    """A note typed in Notepad and saved as `.xlsx`."""
    path = folder / "ghi-chu.xlsx"
    path.write_text("Báo cáo tháng 10: Sở Tư pháp tiếp nhận 845 hồ sơ.\n", encoding="utf-8")
    return path


@case()
def html_named_xls(folder: Path) -> Path:
    """A web page that a one-stop-shop software exports as `.xls`."""
    path = folder / "xuat-tu-phan-mem.xls"
    path.write_text("<html><head><meta charset='utf-8'></head><body><table><tr><td>Sở Tư pháp</td><td>845</td></tr></table></body></html>", encoding="utf-8")
    return path


@case()
def word_named_xlsx(folder: Path) -> Path:
    """A Word document renamed `.xlsx`."""
    path = folder / "van-ban-word.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types xmlns='http://schemas.openxmlformats.org/package/2006/content-types'/>")
        archive.writestr("_rels/.rels", _ROOT_RELS.replace(b"xl/workbook.xml", b"word/document.xml"))
        archive.writestr("word/document.xml", "<w:document xmlns:w='http://schemas.openxmlformats.org/wordprocessingml/2006/main'/>")
    return path


@case(replaces=(TU_PHAP,))
def truncated_zip(folder: Path) -> Path:
    """Sở Tư pháp's file, half downloaded."""
    with tempfile.TemporaryDirectory() as tmp:
        whole = unit_workbook(Path(tmp) / "x.xlsx").read_bytes()
    path = folder / "tai-do-dang.xlsx"
    path.write_bytes(whole[: len(whole) // 2])
    return path


@case()
def zip_bomb(folder: Path) -> Path:
    """A few MB that unpack to 3 GiB: the sheet XML holds gigabytes of zeros, deflated block by block."""
    head = b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>'
    tail = b"</t></is></c></row></sheetData></worksheet>"
    block = 16 * 2**20
    blocks = ZIP_BOMB_UNPACKED // block
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    packed_head = packer.compress(head) + packer.flush(zlib.Z_FULL_FLUSH)
    packed_block = packer.compress(bytes(block)) + packer.flush(zlib.Z_FULL_FLUSH)  # a full flush: every block packs alike
    packed_tail = packer.compress(tail) + packer.flush()
    zeros_crc, zeros_length = zlib.crc32(bytes(block)), block
    crc = zlib.crc32(head)
    count = blocks
    while count:  # crc of head + zeros, doubling the run of zeros (count is a power of two times 3 at most)
        if count & 1:
            crc = _crc32_combine(crc, zeros_crc, zeros_length)
        zeros_crc = _crc32_combine(zeros_crc, zeros_crc, zeros_length)
        zeros_length *= 2
        count >>= 1
    crc = _crc32_combine(crc, zlib.crc32(tail), len(tail))
    size = len(head) + blocks * block + len(tail)
    sheet = ("xl/worksheets/sheet1.xml", packed_head + packed_block * blocks + packed_tail, crc, size)
    return write_zip(folder / "bom-nen.xlsx", _minimal_xlsx_parts() + [sheet])


def _xlsx_with_sheet(path: Path, sheet_xml: bytes, shared_strings: bytes | None = None) -> Path:
    parts = _minimal_xlsx_parts()
    if shared_strings is not None:
        rels = _WORKBOOK_RELS.replace(
            b"</Relationships>",
            b'<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
        )
        parts[3] = _entry("xl/_rels/workbook.xml.rels", rels)
        parts.append(_entry("xl/sharedStrings.xml", shared_strings))
    return write_zip(path, parts + [_entry("xl/worksheets/sheet1.xml", sheet_xml)])


@case()
def billion_laughs(folder: Path) -> Path:
    """Entity expansion: ten levels of ten references, 10^10 "lol"s if a parser expanded them."""
    entities = b'<!ENTITY lol0 "lol">' + b"".join(
        b"<!ENTITY lol%d \"%s\">" % (i, b"".join(b"&lol%d;" % (i - 1) for _ in range(10))) for i in range(1, 10)
    )
    sheet = (
        b'<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE worksheet [' + entities + b"]>"
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        b'<row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData></worksheet>'
    )
    return _xlsx_with_sheet(folder / "thuc-the-long-nhau.xlsx", sheet)


@case()
def billion_laughs_utf16(folder: Path) -> Path:
    """The same entity expansion with every XML part in UTF-16 (two bytes a character): "<!DOCTYPE" is no ASCII run."""
    entities = '<!ENTITY lol0 "lol">' + "".join(
        f'<!ENTITY lol{i} "{"".join(f"&lol{i - 1};" for _ in range(10))}">' for i in range(1, 10)
    )
    sheet = (
        '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE worksheet [' + entities + "]>"
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        '<row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData></worksheet>'
    ).encode("utf-16")
    assert b"<!DOCTYPE" not in sheet
    return _xlsx_with_sheet(folder / "thuc-the-utf16.xlsx", sheet)


@case()
def external_entity(folder: Path) -> Path:
    """An external entity: a parser that resolved it would copy /etc/passwd into the unit's name."""
    strings = (
        b'<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE sst [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>&x;</t></si></sst>'
    )
    sheet = (
        b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b'<sheetData><row r="1"><c r="B1" t="s"><v>0</v></c></row></sheetData></worksheet>'
    )
    return _xlsx_with_sheet(folder / "thuc-the-ngoai.xlsx", sheet, strings)


@case()
def password_protected(folder: Path) -> Path:
    """A workbook encrypted with a password: an OLE compound file with EncryptionInfo and EncryptedPackage."""
    descriptor = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'
        b'<encryption xmlns="http://schemas.microsoft.com/office/2006/encryption">'
        b'<keyData saltSize="16" blockSize="16" keyBits="256" hashSize="64" cipherAlgorithm="AES" '
        b'cipherChaining="ChainingModeCBC" hashAlgorithm="SHA512" saltValue="AAAAAAAAAAAAAAAAAAAAAA=="/></encryption>'
    )
    info = struct.pack("<HHI", 4, 4, 0x40) + descriptor
    package = struct.pack("<Q", 8192) + bytes((i * 37 + 11) % 256 for i in range(8192))
    path = folder / "co-mat-khau.xlsx"
    path.write_bytes(_compound_file({"EncryptionInfo": info.ljust(4096, b" "), "EncryptedPackage": package}))
    return path


@case(replaces=(TU_PHAP,))
def old_xls(folder: Path) -> Path:
    """Sở Tư pháp's file saved as Excel 97-2003 (.xls) by LibreOffice: it must be read, not refused."""
    soffice = shutil.which("soffice")
    if soffice is None:
        raise RuntimeError("soffice (LibreOffice) is needed to write the .xls case: run `bash scripts/test`")
    with tempfile.TemporaryDirectory() as tmp, tempfile.TemporaryDirectory(prefix="lo-profile-") as profile:
        source = unit_workbook(Path(tmp) / "so-tu-phap-excel-2003.xlsx")
        subprocess.run(
            [soffice, f"-env:UserInstallation={Path(profile).as_uri()}", "--headless", "--norestore",
             "--convert-to", "xls:MS Excel 97", "--outdir", str(folder), str(source)],
            capture_output=True, timeout=180, check=True,
        )
    path = folder / "so-tu-phap-excel-2003.xls"
    assert path.exists() and path.read_bytes()[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "LibreOffice wrote no .xls"
    return path


@case()
def no_table(folder: Path) -> Path:
    """A sheet with a title and a sentence, no table."""
    wb = Workbook()
    ws = wb.active
    ws["A1"] = "BÁO CÁO TÌNH HÌNH GIẢI QUYẾT TTHC THÁNG 10/2019"
    ws["A3"] = "Trong tháng, đơn vị không phát sinh hồ sơ."
    path = folder / "khong-co-bang.xlsx"
    wb.save(path)
    return path


@case()
def unknown_layout(folder: Path) -> Path:
    """A table numbered 1 … 9 with no rules and headers no form knows."""
    wb = Workbook()
    ws = wb.active
    ws.append(["STT", "Đơn vị", "Cột A", "Cột B", "Cột C", "Cột D", "Cột E", "Cột F", "Cột G"])
    ws.append(list(range(1, 10)))
    ws.append([1, "Sở Tư pháp", 5, 4, 3, 2, 1, 0, 0])
    path = folder / "mau-la.xlsx"
    wb.save(path)
    return path


@case(replaces=(TU_PHAP,))
def decimals_and_negatives(folder: Path) -> Path:
    """Sở Tư pháp with 22.5 received online (column 14) and -3 returned (column 13)."""

    def change(ws):
        ws.cell(UNIT_ROW, 14, 22.5)
        ws.cell(UNIT_ROW, 13, -3)

    return unit_workbook(folder / "so-tu-phap-so-le-so-am.xlsx", change=change)


@case(replaces=(TU_PHAP,))
def date_in_a_count(folder: Path) -> Path:
    """Sở Tư pháp's "on time" count (column 8) typed into a date-formatted cell."""

    def change(ws):
        ws.cell(UNIT_ROW, 8, dt.date(2019, 10, 3))

    return unit_workbook(folder / "so-tu-phap-ngay-thang.xlsx", change=change)


@case(replaces=(TU_PHAP,))
def ref_error(folder: Path) -> Path:
    """Sở Tư pháp's "late" count (column 9) is a broken reference, `#REF!`."""

    def change(ws):
        ws.cell(UNIT_ROW, 9, "#REF!")  # openpyxl stores it as an error cell (t="e")

    return unit_workbook(folder / "so-tu-phap-loi-ref.xlsx", change=change)


@case(replaces=(TU_PHAP,))
def formula_without_result(folder: Path) -> Path:
    """Sở Tư pháp computes "early" (column 7) by formula; the file was written by a program (no stored result)."""

    def change(ws):
        ws.cell(UNIT_ROW, 7, f"=F{UNIT_ROW}-H{UNIT_ROW}-I{UNIT_ROW}")

    return unit_workbook(folder / "so-tu-phap-cong-thuc.xlsx", change=change)


@case()
def formula_injection(folder: Path) -> Path:
    """A CSV whose unit names start with =, +, - and @ (each a formula if pasted into a cell as is)."""
    path = folder / "ten-don-vi-la.csv"
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(soctrang.FLAT_HEADER)
        writer.writerow(["", *soctrang.NUMBER_ROW[1:]])
        for i, name in enumerate(INJECTED_NAMES, start=1):
            writer.writerow([i, name, 3, 1, 2, 2, 1, 1, 0, 1, 1, 0, 0, 1])
    return path


@case(replaces=(TU_PHAP,))
def million_rows(folder: Path) -> Path:
    """Sở Tư pháp's table, then a blank row, then a million rows with a value (the sheet XML written directly)."""

    def rows(handle):
        batch = []
        for r in range(UNIT_ROW + 2, UNIT_ROW + 2 + MILLION):
            batch.append(b'<row r="%d"><c r="B%d"><v>0</v></c></row>' % (r, r))
            if len(batch) == 20_000:
                handle.write(b"".join(batch))
                batch = []
        handle.write(b"".join(batch))

    with tempfile.TemporaryDirectory() as tmp:
        source = unit_workbook(Path(tmp) / "x.xlsx")
        return _rewrite_sheet(source, folder / "so-tu-phap-trieu-dong.xlsx", rows, UNIT_ROW + 1 + MILLION)


@case(replaces=(TU_PHAP,))
def hidden_sheet(folder: Path) -> Path:
    """A hidden sheet "T9" with last month's table (other figures), the visible sheet with this month's."""
    wb = Workbook()
    old = wb.active
    old.title = "T9"
    write_table(old, [("Sở Tư pháp", [700, 150, 550, 520, 500, 0, 20, 180, 170, 10, 0, 15])])
    old.sheet_state = "hidden"
    write_table(wb.create_sheet("T10"), [unit_values(TU_PHAP)])
    path = folder / "so-tu-phap-trang-an.xlsx"
    wb.save(path)
    return path


@case(replaces=(TU_PHAP,))
def two_tables_same_unit(folder: Path) -> Path:
    """One sheet: this month's table, and below it last month's, both for Sở Tư pháp."""
    wb = Workbook()
    ws = wb.active
    write_table(ws, [unit_values(TU_PHAP)])
    write_table(ws, [("Sở Tư pháp", [700, 150, 550, 520, 500, 0, 20, 180, 170, 10, 0, 15])], top=UNIT_ROW + 3)
    path = folder / "so-tu-phap-hai-bang.xlsx"
    wb.save(path)
    return path


@case(replaces=(TAI_NGUYEN, TU_PHAP))
def two_tables_two_units(folder: Path) -> Path:
    """One sheet: Sở Tài nguyên và Môi trường's table, and under it Sở Tư pháp's, each with its header."""
    wb = Workbook()
    ws = wb.active
    write_table(ws, [unit_values(TAI_NGUYEN)])
    write_table(ws, [unit_values(TU_PHAP)], top=UNIT_ROW + 3)
    path = folder / "hai-don-vi-mot-trang.xlsx"
    wb.save(path)
    return path


@case()
def lock_file(folder: Path) -> Path:
    """Excel's owner file, left beside a workbook open in Excel (165 bytes: the user's name, twice)."""
    user = "chuyenvien"
    data = bytes([len(user)]) + user.encode().ljust(53, b" ") + user.encode("utf-16-le").ljust(111, b" ")
    path = folder / "~$12_so-tu-phap.xlsx"
    path.write_bytes(data[:165].ljust(165, b"\0"))
    return path


@case()
def same_unit_twice(folder: Path) -> Path:
    """Sở Tư pháp sent its report twice (the second download got " (1)" in its name)."""
    return unit_workbook(folder / "12_so-tu-phap (1).xlsx")


# --------------------------------------------------------------------------------------
# Files that stop a native parser: an abort, an endless loop, a memory bomb
# --------------------------------------------------------------------------------------

_ODS_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8"?><office:document-content '
    b'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    b'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body><office:spreadsheet>'
)
ODS_END = b"</office:spreadsheet></office:body></office:document-content>"
_ODS_MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
    '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
    '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>'
)


def ods_cell(value) -> bytes:
    if isinstance(value, (int, float)):
        return f'<table:table-cell office:value-type="float" office:value="{value}"><text:p>{value}</text:p></table:table-cell>'.encode()
    return f'<table:table-cell office:value-type="string"><text:p>{value}</text:p></table:table-cell>'.encode()


def ods_table(index: int = TU_PHAP) -> bytes:
    """Sở Tư pháp's table as OpenDocument rows: header, number row, the unit row."""
    name, values = unit_values(index)
    rows = [[h or "" for h in header] for header in soctrang.HEADER_ROWS] + [[t or "" for t in soctrang.NUMBER_ROW], [1, name, *values]]
    return b"".join(b"<table:table-row>" + b"".join(ods_cell(v) for v in row) + b"</table:table-row>" for row in rows)


def write_ods(path: Path, body: bytes) -> Path:
    """An .ods package whose content.xml is the document head, `body`, as given (it closes what it opens)."""
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("META-INF/manifest.xml", _ODS_MANIFEST, zipfile.ZIP_DEFLATED)
        archive.writestr("content.xml", _ODS_HEAD + body, zipfile.ZIP_DEFLATED)
    return path


@case(replaces=(TU_PHAP,))
def shared_strings_count_abort(folder: Path) -> Path:
    """Sở Tư pháp's file (written by XlsxWriter, which keeps texts in a shared-strings part) whose part declares
    4 294 967 295 strings: calamine reserves memory for them first and aborts the whole process (SIGABRT)."""
    good = xlsxwriter_unit_file(Path(tempfile.mkdtemp()) / "good.xlsx")

    def declare_too_many(data: bytes) -> bytes:
        data = re.sub(rb'uniqueCount="\d+"', b'uniqueCount="4294967295"', data)
        assert b'uniqueCount="4294967295"' in data
        return data

    path = with_parts_changed(good, folder / "so-tu-phap-chuoi-ky-tu.xlsx", {"xl/sharedStrings.xml": declare_too_many})
    shutil.rmtree(good.parent)
    return path


def xlsxwriter_unit_file(path: Path, index: int = TU_PHAP, formulas: dict[int, str] | None = None) -> Path:
    """One unit's file written by XlsxWriter: texts in sharedStrings.xml; `formulas` (column → formula) stored with
    XlsxWriter's result 0 and fullCalcOnLoad, as that library does."""
    import xlsxwriter

    name, values = unit_values(index)
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Báo cáo")
    for r, header in enumerate(soctrang.HEADER_ROWS):
        for c, text in enumerate(header):
            if text is not None:
                sheet.write_string(HEADER_TOP - 1 + r, c, text)
    for c, text in enumerate(soctrang.NUMBER_ROW):
        if text is not None:
            sheet.write_string(NUMBER_ROW - 1, c, str(text))
    sheet.write_number(UNIT_ROW - 1, 0, 1)
    sheet.write_string(UNIT_ROW - 1, 1, name)
    for c, value in enumerate(values, start=2):
        formula = (formulas or {}).get(c + 1)
        if isinstance(formula, tuple):  # (formula, the result to store), as a program that computes would
            sheet.write_formula(UNIT_ROW - 1, c, formula[0], None, formula[1])
        elif formula:
            sheet.write_formula(UNIT_ROW - 1, c, formula)
        else:
            sheet.write_number(UNIT_ROW - 1, c, value)
    book.close()
    return path


@case(replaces=(TU_PHAP,))
def ods_table_never_closed(folder: Path) -> Path:
    """Sở Tư pháp's table in an .ods whose `</table:table>` is missing: calamine loops for ever."""
    return write_ods(folder / "so-tu-phap-thieu-ket-thuc.ods", '<table:table table:name="Báo cáo">'.encode() + ods_table() + ODS_END)


@case(replaces=(TU_PHAP,))
def ods_cut_short(folder: Path) -> Path:
    """Sở Tư pháp's .ods whose content.xml ends after a row of the table (a program stopped while saving)."""
    cut = ods_table().rsplit(b"<table:table-row>", 1)[0]
    return write_ods(folder / "so-tu-phap-cat-cut.ods", '<table:table table:name="Báo cáo">'.encode() + cut)


@case()
def ods_repeat_bomb(folder: Path) -> Path:
    """Under a kilobyte: one row of one cell, repeated 10 000 × 10 000 times (calamine would build 10^8 cells, 7 GB)."""
    body = (
        b'<table:table table:name="S"><table:table-row table:number-rows-repeated="10000">'
        b'<table:table-cell table:number-columns-repeated="10000" office:value-type="float" office:value="1"><text:p>1</text:p>'
        b"</table:table-cell></table:table-row></table:table>" + ODS_END
    )
    return write_ods(folder / "lap-lai.ods", body)


# --------------------------------------------------------------------------------------
# Files that would give a silently wrong total
# --------------------------------------------------------------------------------------

GIAO_THONG = 3  # "Sở Giao thông vận tải": figures over 1 000 (2708 = 543 + 2165)
CONG_AN = 15


@case(replaces=tuple(range(16)))
def spacer_row_in_appendix(folder: Path) -> Path:
    """The whole appendix in one file, with a blank spacer row after the 8th unit, then the others and the total row."""
    wb = Workbook()
    ws = wb.active
    first = write_table(ws, [unit_values(i) for i in range(8)])
    for i in range(8, 16):
        name, values = unit_values(i)
        row = first + i + 1  # one blank row between unit 8 and unit 9
        ws.cell(row, 1, i + 1)
        ws.cell(row, 2, name)
        for c, value in enumerate(values, start=3):
            ws.cell(row, c, value)
    ws.cell(first + 17, 2, "Tổng cộng")
    for c, n in enumerate(soctrang.COLUMNS, start=3):
        ws.cell(first + 17, c, soctrang.COLUMN_SUMS[n])
    path = folder / "phu-luc-dong-trong.xlsx"
    wb.save(path)
    return path


@case(replaces=(TU_PHAP,))
def hidden_stale_row(folder: Path) -> Path:
    """Sở Tư pháp's file with a hidden row below its own: last month's "Công an tỉnh" figures, left there."""

    def change(ws):
        ws.cell(UNIT_ROW + 1, 1, 2)
        ws.cell(UNIT_ROW + 1, 2, "Công an tỉnh")
        for c, value in enumerate([100, 50, 50, 60, 60, 0, 0, 40, 40, 0, 0, 0], start=3):
            ws.cell(UNIT_ROW + 1, c, value)
        ws.row_dimensions[UNIT_ROW + 1].hidden = True

    return unit_workbook(folder / "so-tu-phap-dong-an.xlsx", change=change)


@case(replaces=(TU_PHAP, TAI_NGUYEN))
def autofiltered_rows(folder: Path) -> Path:
    """Two units in one file, an autofilter showing only Sở Tài nguyên's row: Sở Tư pháp's row is filtered out."""
    wb = Workbook()
    ws = wb.active
    first = write_table(ws, [unit_values(TAI_NGUYEN), unit_values(TU_PHAP)])
    ws.auto_filter.ref = f"A{first - 1}:N{first + 1}"
    ws.auto_filter.add_filter_column(1, [unit_values(TAI_NGUYEN)[0]])
    ws.row_dimensions[first + 1].hidden = True
    path = folder / "hai-don-vi-bo-loc.xlsx"
    wb.save(path)
    return path


@case(replaces=(TU_PHAP,))
def xlsxwriter_formulas(folder: Path) -> Path:
    """Sở Tư pháp's file written by XlsxWriter with formulas in columns 3, 6 and 10: stored results 0, fullCalcOnLoad."""
    return xlsxwriter_unit_file(folder / "so-tu-phap-xlsxwriter.xlsx", formulas={3: "=D5+E5", 6: "=G5+H5+I5", 10: "=SUM(K5:L5)"})


@case(replaces=(TU_PHAP,))
def ods_formulas_without_results(folder: Path) -> Path:
    """Sở Tư pháp's .ods written by a program: columns 3 and 6 are formulas with no stored result."""
    name, values = unit_values(TU_PHAP)
    rows = [[h or "" for h in header] for header in soctrang.HEADER_ROWS] + [[t or "" for t in soctrang.NUMBER_ROW]]
    body = b"".join(b"<table:table-row>" + b"".join(ods_cell(v) for v in row) + b"</table:table-row>" for row in rows)
    cells = [ods_cell(1), ods_cell(name)]
    for n, value in zip(soctrang.COLUMNS, values):
        if n == 3:
            cells.append(b'<table:table-cell table:formula="of:=[.D5]+[.E5]"/>')
        elif n == 6:
            cells.append(b'<table:table-cell table:formula="of:=SUM([.G5:.I5])"/>')
        else:
            cells.append(ods_cell(value))
    body += b"<table:table-row>" + b"".join(cells) + b"</table:table-row>"
    return write_ods(folder / "so-tu-phap-cong-thuc.ods", '<table:table table:name="Báo cáo">'.encode() + body + b"</table:table>" + ODS_END)


@case(replaces=(GIAO_THONG,))
def ambiguous_number_text(folder: Path) -> Path:
    """Sở Giao thông vận tải typed "2,708", "2,165" and "1,583" (English thousands, or Vietnamese decimals?) and "(12)"."""

    def change(ws):
        for column, text in ((3, "2,708"), (5, "2,165"), (6, "1,583"), (14, "(84)")):
            ws.cell(UNIT_ROW, column, text)

    return unit_workbook(folder / "so-giao-thong-dau-phay.xlsx", index=GIAO_THONG, change=change)


@case(replaces=(TU_PHAP,))
def too_many_digits(folder: Path) -> Path:
    """Sở Tư pháp typed 400 digits as "received online" (column 14: as a number it is infinity) and
    thirty nines as "returned" (column 13: as a number it is 1000000000000000019884624838656)."""

    def change(ws):
        ws.cell(UNIT_ROW, 14, "1" + "0" * 400)
        ws.cell(UNIT_ROW, 13, "9" * 30)

    return unit_workbook(folder / "so-tu-phap-qua-nhieu-chu-so.xlsx", change=change)


@case(replaces=(TU_PHAP,))
def tcvn3_unit_name(folder: Path) -> Path:
    """Sở Tư pháp's name typed with the .VnTime font (TCVN3): the cell holds "Së T\xad ph¸p"."""
    return unit_workbook(folder / "so-tu-phap-vntime.xlsx", change=lambda ws: ws.cell(UNIT_ROW, 2, "Së T\xad ph¸p"))


@case(replaces=(TAI_NGUYEN,))
def vni_unit_name(folder: Path) -> Path:
    """Sở Tài nguyên và Môi trường's name typed with a VNI font: "Sôû Taøi nguyeân vaø Moâi tröôøng"."""
    return unit_workbook(
        folder / "so-tai-nguyen-vni.xlsx", index=TAI_NGUYEN, change=lambda ws: ws.cell(UNIT_ROW, 2, "Sôû Taøi nguyeân vaø Moâi tröôøng")
    )


@case(replaces=(CONG_AN,))
def invisible_characters_in_a_name(folder: Path) -> Path:
    """Công an tỉnh's name with a zero-width space inside a word (pasted from a web page)."""
    return unit_workbook(folder / "cong-an-ky-tu-an.xlsx", index=CONG_AN, change=lambda ws: ws.cell(UNIT_ROW, 2, "Công an t\u200bỉnh"))


def read_unscreened(path: Path, layouts, form=None, units=None):
    """`read_file` without `safe_open`'s screen: calamine parses the file as it is (to show what the workers bound)."""
    import python_calamine

    from tthc_xl.files.read import Grid, read_file, read_grids_tables

    if Path(path).suffix.lower() == ".csv":
        return read_file(path, layouts, form, units)
    book = python_calamine.CalamineWorkbook.from_path(str(path))
    grids = [Grid(name, book.get_sheet_by_name(name).to_python(skip_empty_area=False)) for name in book.sheet_names]
    return read_grids_tables(grids, Path(path), layouts, form, units)


def write_all(folder) -> list[Path]:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    return [make(folder) for make in CASES.values()]


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "bad-inputs")
    for written in write_all(target):
        print(f"{written.stat().st_size:>12,}  {written}")
