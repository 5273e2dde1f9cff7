"""Write a real minimal Excel Binary Workbook (.xlsb, BIFF12) for tests: no tool on a test machine writes one.

LibreOffice reads .xlsb but cannot save it, so the fixtures are written here, record by record, from
[MS-XLSB] (Excel Binary File Format). A .xlsb is an OPC zip package like .xlsx whose parts are binary:

    [Content_Types].xml          the parts and their content types (XML)
    _rels/.rels                  the package's main part: xl/workbook.bin (XML)
    xl/workbook.bin              BrtBeginBook, BrtBeginBundleShs, one BrtBundleSh per sheet, BrtEndBundleShs, BrtEndBook
    xl/_rels/workbook.bin.rels   each sheet's part by relationship id, the styles and shared strings (XML)
    xl/worksheets/sheetN.bin     BrtBeginSheet, BrtWsDim, BrtBeginSheetData, per row BrtRowHdr and its cells,
                                 BrtEndSheetData, the merged ranges (BrtBeginMergeCells … BrtEndMergeCells), BrtEndSheet
    xl/styles.bin                one cell format (BrtXF, number format General), as Excel requires
    xl/sharedStrings.bin         BrtBeginSst, one BrtSSTItem per distinct text, BrtEndSst

A record is its type, its size and its body (2.1.4): the type is one or two bytes of 7 bits each (the
high bit says another byte follows), the size one to four such bytes, the body little-endian fields.
Every cell record starts with a Cell (2.5.9): the column (4 bytes) and the style index (3 bytes) with
flags (1 byte). The cells written:

    int (30 bits)     BrtCellRk (0x02)     an RkNumber: the value shifted left 2, fInt set
    float, big int    BrtCellReal (0x05)   an IEEE double
    str               BrtCellIsst (0x07)   an index into the shared strings; BrtCellSt (0x06) with inline_strings
    Error("#REF!")    BrtCellError (0x03)  the error code (BErr 2.5.97.2: #NULL! 0x00 … #N/A 0x2A)
    Formula(...)      BrtFmlaNum (0x09), BrtFmlaString (0x08), BrtFmlaError (0x0B): the cached result, then
                      the parsed formula (CellParsedFormula 2.5.97.1: cce, the Rgce in reverse Polish, cb = 0)

Formulas are written from a small infix text ("F5-H5-I5", "1/0", "#REF!+1", "(D5+E5)*2"): cell references
(PtgRef 0x24), integers (PtgInt 0x1E), the broken reference #REF! (PtgRefErr 0x2A), + - * / (PtgAdd 0x03 …
PtgDiv 0x06) and parentheses (PtgParen 0x15). The cached result is what the file says the formula gives;
a reader trusts it the way it trusts Excel's.

Usage:

    write_xlsb(path, {"Báo cáo": rows}, merges={"Báo cáo": ["A1:A3"]}, hidden_rows={"Báo cáo": {4}})

`rows` is a list of rows, each a list of values (None = no cell), from A1. python-calamine reads the
result (see tests/test_xlsb.py, which checks every kind of cell round trip).
"""

from __future__ import annotations

import re
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path

ERROR_CODES = {"#NULL!": 0x00, "#DIV/0!": 0x07, "#VALUE!": 0x0F, "#REF!": 0x17, "#NAME?": 0x1D, "#NUM!": 0x24, "#N/A": 0x2A}

# Record types [MS-XLSB] 2.3.2
BRT_ROW_HDR, BRT_CELL_RK, BRT_CELL_ERROR, BRT_CELL_REAL, BRT_CELL_ST, BRT_CELL_ISST = 0x00, 0x02, 0x03, 0x05, 0x06, 0x07
BRT_FMLA_STRING, BRT_FMLA_NUM, BRT_FMLA_ERROR = 0x08, 0x09, 0x0B
BRT_SST_ITEM, BRT_XF = 0x13, 0x2F
BRT_BEGIN_SHEET, BRT_END_SHEET, BRT_BEGIN_BOOK, BRT_END_BOOK = 0x81, 0x82, 0x83, 0x84
BRT_BEGIN_BUNDLE_SHS, BRT_END_BUNDLE_SHS, BRT_BEGIN_SHEET_DATA, BRT_END_SHEET_DATA = 0x8F, 0x90, 0x91, 0x92
BRT_WS_DIM, BRT_BUNDLE_SH, BRT_BEGIN_SST, BRT_END_SST = 0x94, 0x9C, 0x9F, 0xA0
BRT_MERGE_CELL, BRT_BEGIN_MERGE_CELLS, BRT_END_MERGE_CELLS = 0xB0, 0xB1, 0xB2
BRT_BEGIN_STYLE_SHEET, BRT_END_STYLE_SHEET = 0x0116, 0x0117
BRT_BEGIN_FMTS, BRT_END_FMTS, BRT_BEGIN_CELL_XFS, BRT_END_CELL_XFS = 0x0267, 0x0268, 0x0269, 0x026A


@dataclass(frozen=True)
class Error:
    """An error cell: "#REF!", "#DIV/0!", "#VALUE!", "#N/A", …"""

    text: str


@dataclass(frozen=True)
class Formula:
    """A formula cell: its text without "=" and the result the file stores (a number, a text or an Error)."""

    text: str
    result: float | int | str | Error


def record(kind: int, body: bytes = b"") -> bytes:
    """One record: its type and size in 7-bit groups (high bit: more follow), then its body (2.1.4)."""
    if kind >= 0x80:
        head = bytes([(kind & 0x7F) | 0x80, kind >> 7])
    else:
        head = bytes([kind])
    size, groups = len(body), []
    while True:
        groups.append((size & 0x7F) | (0x80 if size > 0x7F else 0))
        size >>= 7
        if not size:
            break
    assert len(groups) <= 4, "a record body is at most 2**28 - 1 bytes"
    return head + bytes(groups) + body


def wide(text: str) -> bytes:
    """XLWideString (2.5.168): the count of UTF-16 code units, then the UTF-16LE text."""
    encoded = text.encode("utf-16-le")
    return struct.pack("<I", len(encoded) // 2) + encoded


def _cell(col: int, style: int = 0) -> bytes:
    """Cell (2.5.9): column, then iStyleRef (24 bits) and flags (8 bits, none set)."""
    return struct.pack("<II", col, style & 0xFFFFFF)


_TOKEN = re.compile(r"\s*(?:(\$?)([A-Z]{1,3})(\$?)(\d+)|(\d+)|(#REF!)|([-+*/()]))")
_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2}
_OPERATOR = {"+": 0x03, "-": 0x04, "*": 0x05, "/": 0x06}


def _column(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number - 1


def rgce(text: str) -> bytes:
    """The parsed formula (Rgce, reverse Polish) of a small infix formula; see the module's docstring."""
    output: list[bytes] = []
    operators: list[str] = []
    pos, text = 0, text.strip().lstrip("=")
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match:
            raise ValueError(f"formula not supported by the fixture writer: {text!r} at {pos}")
        pos = match.end()
        if match[2]:
            row, col = int(match[4]) - 1, _column(match[2])
            flags = (0 if match[1] else 0x8000) | (0 if match[3] else 0x4000)  # relative column, relative row
            output.append(b"\x24" + struct.pack("<IH", row, col | flags))  # PtgRef
        elif match[5]:
            value = int(match[5])
            output.append(b"\x1e" + struct.pack("<H", value) if value < 0x10000 else b"\x1f" + struct.pack("<d", value))
        elif match[6]:
            output.append(b"\x2a" + bytes(6))  # PtgRefErr
        elif match[7] == "(":
            operators.append("(")
        elif match[7] == ")":
            while operators[-1] != "(":
                output.append(bytes([_OPERATOR[operators.pop()]]))
            operators.pop()
            output.append(b"\x15")  # PtgParen: Excel keeps the parentheses the clerk typed
        else:
            while operators and operators[-1] != "(" and _PRECEDENCE[operators[-1]] >= _PRECEDENCE[match[7]]:
                output.append(bytes([_OPERATOR[operators.pop()]]))
            operators.append(match[7])
    while operators:
        output.append(bytes([_OPERATOR[operators.pop()]]))
    return b"".join(output)


def _parsed_formula(text: str) -> bytes:
    """CellParsedFormula (2.5.97.1): cce, rgce, cb = 0 (no extra data)."""
    tokens = rgce(text)
    return struct.pack("<I", len(tokens)) + tokens + struct.pack("<I", 0)


class _Strings:
    def __init__(self):
        self.index: dict[str, int] = {}
        self.count = 0

    def add(self, text: str) -> int:
        self.count += 1
        return self.index.setdefault(text, len(self.index))


def _cell_record(col: int, value, strings: _Strings, inline_strings: bool) -> bytes:
    if isinstance(value, Error):
        return record(BRT_CELL_ERROR, _cell(col) + bytes([ERROR_CODES[value.text]]))
    if isinstance(value, Formula):
        result, formula = value.result, _parsed_formula(value.text)
        flags = struct.pack("<H", 0)  # grbitFlags: fShareFml, fAlwaysCalc … none set
        if isinstance(result, Error):
            return record(BRT_FMLA_ERROR, _cell(col) + bytes([ERROR_CODES[result.text]]) + flags + formula)
        if isinstance(result, str):
            return record(BRT_FMLA_STRING, _cell(col) + wide(result) + flags + formula)
        return record(BRT_FMLA_NUM, _cell(col) + struct.pack("<d", result) + flags + formula)
    if isinstance(value, str):
        if inline_strings:
            return record(BRT_CELL_ST, _cell(col) + wide(value))
        return record(BRT_CELL_ISST, _cell(col) + struct.pack("<I", strings.add(value)))
    if isinstance(value, bool):
        raise TypeError("booleans are not written by this fixture writer")
    if isinstance(value, int) and -(2**29) <= value < 2**29:
        return record(BRT_CELL_RK, _cell(col) + struct.pack("<i", (value << 2) | 0x2))  # RkNumber, fInt (2.5.121)
    if isinstance(value, (int, float)):
        return record(BRT_CELL_REAL, _cell(col) + struct.pack("<d", float(value)))
    raise TypeError(f"cannot write {value!r} as a cell")


def _row_header(row: int, hidden: bool) -> bytes:
    """BrtRowHdr (2.4.726): rw, ixfe, miyRw (height in twips), flags (fDyZero: hidden), fPhShow, ccolspan = 0."""
    flags = 0x10 if hidden else 0  # iOutLevel (3 bits), fCollapsed, fDyZero, fUnsynced, fGhostDirty, reserved
    return record(BRT_ROW_HDR, struct.pack("<IIHBBBI", row, 0, 300, 0, flags, 0, 0))


def _range(ref: str) -> tuple[int, int, int, int]:
    """(first row, last row, first column, last column), 0-based, of "A1:C3"."""
    first, _, last = ref.partition(":")
    (c1, r1), (c2, r2) = (re.fullmatch(r"([A-Z]+)(\d+)", part).groups() for part in (first, last or first))
    return int(r1) - 1, int(r2) - 1, _column(c1), _column(c2)


def sheet_part(rows: list[list], strings: _Strings, merges=(), hidden_rows=(), inline_strings=False) -> bytes:
    filled = [(r, c) for r, row in enumerate(rows) for c, v in enumerate(row) if v is not None]
    if filled:
        dimension = (min(r for r, _ in filled), max(r for r, _ in filled), min(c for _, c in filled), max(c for _, c in filled))
    else:
        dimension = (0, 0, 0, 0)
    parts = [record(BRT_BEGIN_SHEET), record(BRT_WS_DIM, struct.pack("<IIII", *dimension)), record(BRT_BEGIN_SHEET_DATA)]
    for r, row in enumerate(rows):
        if all(v is None for v in row) and r not in hidden_rows:
            continue
        parts.append(_row_header(r, r in hidden_rows))
        parts += [_cell_record(c, v, strings, inline_strings) for c, v in enumerate(row) if v is not None]
    parts.append(record(BRT_END_SHEET_DATA))
    if merges:
        parts.append(record(BRT_BEGIN_MERGE_CELLS, struct.pack("<I", len(merges))))
        parts += [record(BRT_MERGE_CELL, struct.pack("<IIII", *_range(ref))) for ref in merges]
        parts.append(record(BRT_END_MERGE_CELLS))
    parts.append(record(BRT_END_SHEET))
    return b"".join(parts)


def workbook_part(sheets: list[str], hidden=()) -> bytes:
    """BrtBundleSh (2.4.304): hsState (0 visible, 1 hidden), iTabID, strRelID, strName."""
    parts = [record(BRT_BEGIN_BOOK), record(BRT_BEGIN_BUNDLE_SHS)]
    for i, name in enumerate(sheets, start=1):
        state = 1 if name in hidden else 0
        parts.append(record(BRT_BUNDLE_SH, struct.pack("<II", state, i) + wide(f"rId{i}") + wide(name)))
    parts += [record(BRT_END_BUNDLE_SHS), record(BRT_END_BOOK)]
    return b"".join(parts)


def styles_part() -> bytes:
    """No custom number format; one cell format (BrtXF 2.4.812: ixfeParent, iFmt = 0 General, fonts, fills …)."""
    xf = struct.pack("<HHHHHBBHH", 0xFFFF, 0, 0, 0, 0, 0, 0, 0, 0)
    return b"".join([
        record(BRT_BEGIN_STYLE_SHEET),
        record(BRT_BEGIN_FMTS, struct.pack("<I", 0)), record(BRT_END_FMTS),
        record(BRT_BEGIN_CELL_XFS, struct.pack("<I", 1)), record(BRT_XF, xf), record(BRT_END_CELL_XFS),
        record(BRT_END_STYLE_SHEET),
    ])


def shared_strings_part(strings: _Strings) -> bytes:
    """BrtBeginSst (cstTotal, cstUnique), then BrtSSTItem (2.4.727: RichStr flags = 0, then the text)."""
    parts = [record(BRT_BEGIN_SST, struct.pack("<II", strings.count, len(strings.index)))]
    parts += [record(BRT_SST_ITEM, b"\x00" + wide(text)) for text in strings.index]
    parts.append(record(BRT_END_SST))
    return b"".join(parts)


_BIN = "application/vnd.ms-excel"
_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def write_xlsb(path: Path, sheets: dict[str, list[list]], merges: dict | None = None, hidden_rows: dict | None = None,
               hidden_sheets=(), inline_strings: bool = False) -> Path:
    """A .xlsb at `path` with the sheets in order: sheet name → rows of values (see the module's docstring)."""
    path = Path(path)
    strings = _Strings()
    names = list(sheets)
    sheet_parts = [
        sheet_part(rows, strings, (merges or {}).get(name, ()), (hidden_rows or {}).get(name, set()), inline_strings)
        for name, rows in sheets.items()
    ]
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.bin" ContentType="{_BIN}.worksheet"/>' for i in range(1, len(names) + 1)
    )
    content_types = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.bin" ContentType="{_BIN}.sheet.binary.macroEnabled.main"/>'
        f'{overrides}'
        f'<Override PartName="/xl/styles.bin" ContentType="{_BIN}.styles"/>'
        f'<Override PartName="/xl/sharedStrings.bin" ContentType="{_BIN}.sharedStrings"/>'
        '</Types>'
    )
    package_rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{_RELS}/officeDocument" Target="xl/workbook.bin"/>'
        '</Relationships>'
    )
    n = len(names)
    workbook_rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        + "".join(f'<Relationship Id="rId{i}" Type="{_RELS}/worksheet" Target="worksheets/sheet{i}.bin"/>' for i in range(1, n + 1))
        + f'<Relationship Id="rId{n + 1}" Type="{_RELS}/styles" Target="styles.bin"/>'
        + f'<Relationship Id="rId{n + 2}" Type="{_RELS}/sharedStrings" Target="sharedStrings.bin"/>'
        '</Relationships>'
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", content_types)
        package.writestr("_rels/.rels", package_rels)
        package.writestr("xl/workbook.bin", workbook_part(names, hidden_sheets))
        package.writestr("xl/_rels/workbook.bin.rels", workbook_rels)
        for i, part in enumerate(sheet_parts, start=1):
            package.writestr(f"xl/worksheets/sheet{i}.bin", part)
        package.writestr("xl/styles.bin", styles_part())
        package.writestr("xl/sharedStrings.bin", shared_strings_part(strings))
    return path
