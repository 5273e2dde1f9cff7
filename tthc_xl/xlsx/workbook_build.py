"""Build the macro-enabled master workbook ``workbook/tthc-xl-master.xlsm``.

The workbook is generated, never edited by hand:

* ``vbaProject.bin`` is compiled from VBA *source* with the ``ms-ovba``
  package: our own module ``macros/TthcXl.bas`` plus the standalone xlwings
  VBA code (``xlwings.bas`` and the ``Dictionary`` class) taken from the
  installed xlwings package at build time, as ``xlwings quickstart
  --standalone`` / ``xlwings release`` would embed them.
* XlsxWriter writes the .xlsm: the "Điều khiển" control sheet with the five
  buttons, the input cells with their defined names, and a hidden
  ``xlwings.conf`` sheet (the standalone xlwings configuration).

The output is byte-for-byte reproducible (fixed document dates, fixed zip
timestamps, fixed VBA project id and a seeded random source for the
project's obfuscated CMG/DPB/GC fields).

Usage::

    python -m tthc_xl.xlsx.workbook_build                # write workbook/tthc-xl-master.xlsm
    python -m tthc_xl.xlsx.workbook_build -o other.xlsm
    python -m tthc_xl.xlsx.workbook_build --check        # exit 1 if the committed file is stale
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import os
import random
import sys
import tempfile
import uuid
import zipfile
from pathlib import Path

from tthc_xl.core.contract import PYTHON_NAME

REPO_ROOT = Path(__file__).resolve().parents[2]
MACROS_DIR = REPO_ROOT / "macros"
DEFAULT_OUTPUT = REPO_ROOT / "workbook" / "tthc-xl-master.xlsm"

# Fixed values that keep the build reproducible.
BUILD_DATE = dt.datetime(2025, 1, 1, 0, 0, 0)
VBA_PROJECT_ID = "{6C2F1E0A-7B3D-4E59-9A1C-54D3B2E8F017}"
VBA_RANDOM_SEED = 20250101

# VBA source is stored in the project's code page (Windows-1252).
VBA_CODEPAGE = "cp1252"

# VB_Base type GUIDs of Excel document modules and of plain class modules.
WORKBOOK_BASE = "{00020819-0000-0000-C000-000000000046}"
WORKSHEET_BASE = "{00020820-0000-0000-C000-000000000046}"
CLASS_BASE = "{FCFB3D2A-A0FA-1068-A738-08002B3371B5}"

CONTROL_SHEET = "Điều khiển"
CONTROL_CODENAME = "Sheet1"
CONF_SHEET = "xlwings.conf"  # name the xlwings VBA module looks for
CONF_CODENAME = "Sheet2"

# (macro, caption, what it does) of the buttons on the control sheet, in the order of the work.
BUTTONS = [
    ("TongHop", "Tổng hợp", "Bước 1. Gộp số liệu các file báo cáo đơn vị vào bảng phụ lục; ô sai được tô màu, kèm ghi chú."),
    ("KiemTra", "Kiểm tra", "Bước 2. Sau khi sửa số liệu trên bảng phụ lục: kiểm tra lại (làm lại đến khi hết lỗi)."),
    ("InPhuLuc", "In phụ lục", "Bước 3. In bảng phụ lục (bỏ các đánh dấu trước khi in)."),
    ("SoanBaoCao", "Soạn báo cáo", "Bước 3. Soạn văn bản báo cáo từ bảng phụ lục."),
    ("XoaDanhDau", "Xóa đánh dấu", "Chỉ khi muốn làm lại từ đầu: bỏ hết màu và ghi chú của lần kiểm tra trước."),
]

STEPS = [
    "1. Ghi thư mục của kỳ báo cáo vào ô «Thư mục báo cáo đơn vị» (chỉ đọc các tệp nằm ngay trong thư mục; "
    "thêm \\** ở cuối để đọc cả các thư mục con).",
    "2. Điền các ô trong phần «Cài đặt» (kỳ báo cáo, số, ngày, cơ quan ban hành).",
    "3. Bấm «Tổng hợp», sửa các ô bị tô màu trên bảng phụ lục, rồi bấm «Kiểm tra»; lặp lại đến khi hết lỗi.",
    "4. Bấm «In phụ lục» hoặc «Soạn báo cáo».",
    "«Xóa đánh dấu» chỉ dùng khi muốn làm lại từ đầu: nút này xóa hết màu và ghi chú đánh dấu lỗi.",
    "Lưu ý: khi mở file, bấm «Enable Content» (Bật nội dung) để cho phép macro chạy.",
]

# Defined names of the input cells: (name, label, example).
SETTINGS = [
    ("KyBaoCao", "Kỳ báo cáo", "Ví dụ: Quý I năm 2025"),
    ("SoBaoCao", "Số báo cáo", "Ví dụ: 15/BC-UBND"),
    ("NgayBaoCao", "Ngày báo cáo", "Ngày/tháng/năm, ví dụ: 31/03/2025"),
    ("CoQuanBanHanh", "Cơ quan ban hành", "Ví dụ: UBND huyện Mỹ Xuyên"),
]
PYTHON_LABEL = "Python (python.exe)"
PYTHON_EXAMPLE = r"Để trống nếu máy chỉ có một bản Python. Ví dụ: C:\Users\‹tên›\AppData\Local\Programs\Python\Python311\python.exe"

# Settings of the standalone xlwings module (hidden "xlwings.conf" sheet). A key present on the
# sheet wins over every other layer, so the interpreter is set through the legacy "Interpreter"
# key, which xlwings reads only after "Interpreter_Win"/"Interpreter_Mac" from every layer
# ("xlwings.conf" next to the workbook, then %USERPROFILE%\.xlwings\xlwings.conf): its value
# is the control sheet's python.exe cell, or "python" (the one on PATH) while that is blank.
XLWINGS_CONFIG = [
    ("Use UDF Server", False),  # plain RunPython via cmd.exe, no xlwings DLL
    ("Show Console", False),
]
INTERPRETER_KEY = "Interpreter"
INTERPRETER_FORMULA = f'=IF({PYTHON_NAME}="","python",{PYTHON_NAME})'


# --------------------------------------------------------------------------
# VBA project
# --------------------------------------------------------------------------


def _xlwings_dir() -> Path:
    import xlwings

    return Path(xlwings.__file__).resolve().parent


def xlwings_version() -> str:
    import xlwings

    return xlwings.__version__


def _lines(text: str) -> list[str]:
    """Split VBA source into lines, whatever its line endings."""
    return text.replace("\r\n", "\n").replace("\r", "\n").rstrip("\n").split("\n")


def _document_module_source(name: str, base: str) -> str:
    """Source of an (empty) ThisWorkbook/SheetN document module."""
    return "\n".join([
        f'Attribute VB_Name = "{name}"',
        f'Attribute VB_Base = "0{base}"',
        "Attribute VB_GlobalNameSpace = False",
        "Attribute VB_Creatable = False",
        "Attribute VB_PredeclaredId = True",
        "Attribute VB_Exposed = True",
        "Attribute VB_TemplateDerived = False",
        "Attribute VB_Customizable = True",
    ])


def _class_module_source(cls_text: str) -> str:
    """Turn an exported .cls file into the source stored in a VBA project.

    Drops the ``VERSION/BEGIN ... END`` export header and adds the attributes
    the VBA editor stores for class modules (VB_Base, VB_TemplateDerived,
    VB_Customizable), as in xlwings' own standalone quickstart workbook.
    """
    lines = _lines(cls_text)
    out: list[str] = []
    for line in lines[lines.index("END") + 1:]:
        out.append(line)
        if line.startswith("Attribute VB_Name "):
            out.append(f'Attribute VB_Base = "0{CLASS_BASE}"')
        elif line.startswith("Attribute VB_Exposed "):
            out += ["Attribute VB_TemplateDerived = False",
                    "Attribute VB_Customizable = False"]
    return "\n".join(out)


def vba_modules() -> list[tuple[str, str, str]]:
    """All modules of the project as (kind, name, source) in project order.

    kind is "document", "module" or "class".
    """
    xlwings_dir = _xlwings_dir()
    return [
        ("document", "ThisWorkbook", _document_module_source("ThisWorkbook", WORKBOOK_BASE)),
        ("document", CONTROL_CODENAME, _document_module_source(CONTROL_CODENAME, WORKSHEET_BASE)),
        ("document", CONF_CODENAME, _document_module_source(CONF_CODENAME, WORKSHEET_BASE)),
        ("module", "TthcXl", (MACROS_DIR / "TthcXl.bas").read_text(encoding="ascii")),
        ("module", "xlwings", (xlwings_dir / "xlwings.bas").read_text(encoding=VBA_CODEPAGE)),
        ("class", "Dictionary",
         _class_module_source((xlwings_dir / "addin" / "Dictionary.cls").read_text(encoding=VBA_CODEPAGE))),
    ]


def ovba_compress(data: bytes) -> bytes:
    """MS-OVBA 2.4.1 compression (the container format of VBA streams).

    ms-ovba 0.0.1's own compressor corrupts streams longer than one 4 KiB
    chunk (it never caps a copy token's length) and is quadratic, so we
    compress with this straightforward implementation of the spec instead.
    """
    out = bytearray(b"\x01")  # container signature
    for start in range(0, len(data), 4096):
        chunk = data[start:start + 4096]
        body = _ovba_compress_chunk(chunk)
        if len(body) <= 4096:
            out += (0xB000 | (len(body) - 1)).to_bytes(2, "little") + body
        elif len(chunk) == 4096:  # incompressible: store the chunk raw
            out += (0x3000 | 4095).to_bytes(2, "little") + chunk
        else:  # a short raw chunk would decompress with NUL padding
            raise ValueError("incompressible data cannot end in a short raw chunk")
    return bytes(out)


def _ovba_compress_chunk(chunk: bytes, max_candidates: int = 64) -> bytes:
    """Compress one chunk (<= 4096 bytes) into a sequence of token groups."""
    out = bytearray()
    seen: dict[bytes, list[int]] = {}  # 3-byte prefix -> earlier positions
    pos = 0
    while pos < len(chunk):
        flags, tokens = 0, bytearray()
        for bit in range(8):
            if pos >= len(chunk):
                break
            # Copy token layout depends on how far into the chunk we are.
            bit_count = max((pos - 1).bit_length(), 4)
            max_length = (0xFFFF >> bit_count) + 3
            limit = min(max_length, len(chunk) - pos)
            best_len, best_pos = 0, 0
            for cand in reversed(seen.get(chunk[pos:pos + 3], [])[-max_candidates:]):
                length = 0
                while length < limit and chunk[cand + length] == chunk[pos + length]:
                    length += 1
                if length > best_len:
                    best_len, best_pos = length, cand
            step = best_len if best_len >= 3 else 1
            if step > 1:
                token = ((pos - best_pos - 1) << (16 - bit_count)) | (best_len - 3)
                tokens += token.to_bytes(2, "little")
                flags |= 1 << bit
            else:
                tokens.append(chunk[pos])
            for p in range(pos, pos + step):
                seen.setdefault(chunk[p:p + 3], []).append(p)
            pos += step
        out.append(flags)
        out += tokens
    return bytes(out)


@contextlib.contextmanager
def _patched_ms_ovba(seed: int):
    """Patch ms-ovba for the duration of one build.

    * its CMG/DPB/GC obfuscation draws seed bytes from the global ``random``
      module: give it a private generator with a fixed seed (reproducible
      output; ms-cfb still uses the global one, for scratch file names only);
    * its compressor is broken: use ``ovba_compress``.
    """
    import ms_ovba_crypto.ms_ovba_crypto as ovba_crypto
    from ms_ovba_compression.ms_ovba import MsOvba

    saved_random, saved_compress = ovba_crypto.random, MsOvba.compress
    ovba_crypto.random = random.Random(seed)
    MsOvba.compress = lambda self, data: ovba_compress(data)
    try:
        yield
    finally:
        ovba_crypto.random, MsOvba.compress = saved_random, saved_compress


def build_vba_project() -> bytes:
    """Compile the VBA sources into the bytes of a vbaProject.bin."""
    from ms_ovba.Models.Entities.doc_module import DocModule
    from ms_ovba.Models.Entities.reference import Reference
    from ms_ovba.Models.Entities.reference_registered import ReferenceRegistered
    from ms_ovba.Models.Entities.std_module import StdModule
    from ms_ovba.Models.Fields.libid_reference import LibidReference
    from ms_ovba.Views.project_ole_file import ProjectOleFile
    from ms_ovba.vbaProject import VbaProject

    class ClassModule(DocModule):
        # ms-ovba 0.0.1 has no class module type. A DocModule already gets the
        # right dir-stream type record (0x0022: document *or class* module);
        # only the PROJECT stream line differs.
        def to_project_module_string(self) -> str:
            return "Class=" + self.name

    project = VbaProject()
    project.project_id = VBA_PROJECT_ID
    project.include_projectwm()
    project.add_reference(Reference(ReferenceRegistered(LibidReference(
        uuid.UUID("00020430-0000-0000-C000-000000000046"), "2.0", "0",
        "C:\\Windows\\System32\\stdole2.tlb", "OLE Automation")), "stdole"))
    project.add_reference(Reference(ReferenceRegistered(LibidReference(
        uuid.UUID("2DF8D04C-5BFA-101B-BDE5-00AA0044DE52"), "2.0", "0",
        "C:\\Program Files\\Common Files\\Microsoft Shared\\OFFICE16\\MSO.DLL",
        "Microsoft Office 16.0 Object Library")), "Office"))

    module_types = {"document": DocModule, "module": StdModule, "class": ClassModule}
    # ms-ovba writes its intermediate files into the current directory and
    # next to each source file (appending to some), so work in a fresh
    # temporary directory.
    with tempfile.TemporaryDirectory(prefix="tthc-xl-vba-") as tmp, \
            contextlib.chdir(tmp), _patched_ms_ovba(VBA_RANDOM_SEED):
        for kind, name, source in vba_modules():
            stem = os.path.join(tmp, name)
            # "<stem>.new" is the normalized source ms-ovba compresses.
            data = "\r\n".join(_lines(source)).encode(VBA_CODEPAGE) + b"\r\n"
            Path(stem + ".new").write_bytes(data)
            module = module_types[kind](name)
            module.add_file(stem)
            project.add_module(module)
        ProjectOleFile.write_file(project)
        return Path(tmp, "vbaProject.bin").read_bytes()


# --------------------------------------------------------------------------
# Workbook
# --------------------------------------------------------------------------


def _write_control_sheet(wb, ws) -> None:
    title = wb.add_format({"bold": True, "font_size": 14})
    bold = wb.add_format({"bold": True, "valign": "vcenter"})
    section = wb.add_format({"bold": True, "font_size": 12, "bottom": 1})
    text_input = wb.add_format({"border": 1, "bg_color": "#FFF2CC", "num_format": "@"})
    date_input = wb.add_format({"border": 1, "bg_color": "#FFF2CC", "num_format": "dd/mm/yyyy",
                                "align": "left"})
    hint = wb.add_format({"italic": True, "font_color": "#7F7F7F"})
    middle = wb.add_format({"valign": "vcenter"})

    ws.set_column(0, 0, 28)
    ws.set_column(1, 1, 48)
    ws.set_column(2, 2, 40)
    ws.set_landscape()
    ws.fit_to_pages(1, 0)

    def heading(row: int, text: str) -> None:
        ws.write(row, 0, text, section)
        ws.write_blank(row, 1, None, section)
        ws.write_blank(row, 2, None, section)

    def input_cell(row: int, name: str, label: str, fmt, example: str) -> None:
        ws.write(row, 0, label, bold)
        ws.write_blank(row, 1, None, fmt)
        ws.write(row, 2, example, hint)
        wb.define_name(name, f"='{CONTROL_SHEET}'!$B${row + 1}")

    ws.write(0, 0, "Tổng hợp phụ lục thủ tục hành chính (tthc-xl)", title)

    heading(2, "Hướng dẫn")
    for i, step in enumerate(STEPS):
        ws.write(3 + i, 0, step)
    row = 4 + len(STEPS)

    heading(row, "Thư mục báo cáo")
    folder_row = row + 1
    input_cell(folder_row, "ThuMucBaoCao", "Thư mục báo cáo đơn vị", text_input, r"Ví dụ: D:\BaoCao\Quy1-2025")
    row += 3

    heading(row, "Cài đặt")
    for i, (name, label, example) in enumerate(SETTINGS):
        fmt = date_input if name == "NgayBaoCao" else text_input
        input_cell(row + 1 + i, name, label, fmt, example)
    input_cell(row + 1 + len(SETTINGS), PYTHON_NAME, PYTHON_LABEL, text_input, PYTHON_EXAMPLE)
    row += len(SETTINGS) + 3

    # One button per row in column A, its description beside it. Each button
    # stays inside its own cell, so Excel and LibreOffice place it alike.
    heading(row, "Thao tác")
    for i, (macro, caption, description) in enumerate(BUTTONS):
        button_row = row + 1 + i
        ws.set_row(button_row, 30)
        ws.insert_button(button_row, 0, {
            "macro": macro,
            "caption": caption,
            "width": 170,
            "height": 32,
            "x_offset": 4,
            "y_offset": 4,
        })
        ws.write(button_row, 1, description, middle)

    ws.activate()
    ws.set_selection(folder_row, 1, folder_row, 1)


def _write_conf_sheet(wb, ws) -> None:
    note = wb.add_format({"italic": True, "font_color": "#7F7F7F"})
    ws.set_column(0, 0, 20)
    ws.set_column(1, 1, 40)
    # xlwings reads key/value pairs from A1 down to the first empty row.
    for row, (key, value) in enumerate(XLWINGS_CONFIG):
        ws.write_string(row, 0, key)
        ws.write(row, 1, value)
    ws.write_string(len(XLWINGS_CONFIG), 0, INTERPRETER_KEY)
    ws.write_formula(len(XLWINGS_CONFIG), 1, INTERPRETER_FORMULA, None, "python")
    notes = [
        f"Cấu hình xlwings {xlwings_version()} (bản độc lập, không cần add-in). Không cần sửa trang này.",
        f"Python dùng cho các nút: dòng INTERPRETER_WIN của %USERPROFILE%\\.xlwings\\xlwings.conf nếu có, "
        f"nếu không thì ô «{PYTHON_LABEL}» trên trang «{CONTROL_SHEET}», ô đó để trống thì lệnh python trong PATH.",
    ]
    for i, text in enumerate(notes):
        ws.write(len(XLWINGS_CONFIG) + 3 + i, 0, text, note)
    ws.hide()


def build_workbook(out_path: Path) -> Path:
    """Build the master .xlsm at out_path and return that path."""
    import xlsxwriter

    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    vba_bin = build_vba_project()

    # in_memory: XlsxWriter then stamps every zip member with 1980-01-01.
    wb = xlsxwriter.Workbook(str(out_path), {"in_memory": True})
    wb.set_properties({
        "title": "tthc-xl: tổng hợp phụ lục thủ tục hành chính",
        "author": "tthc-xl",
        "comments": f"Generated by python -m tthc_xl.xlsx.workbook_build; xlwings {xlwings_version()}",
        "created": BUILD_DATE,  # also used for the "modified" date
    })
    wb.set_vba_name("ThisWorkbook")
    wb.add_vba_project(io.BytesIO(vba_bin), is_stream=True)

    control = wb.add_worksheet(CONTROL_SHEET)
    control.set_vba_name(CONTROL_CODENAME)
    conf = wb.add_worksheet(CONF_SHEET)
    conf.set_vba_name(CONF_CODENAME)

    _write_control_sheet(wb, control)
    _write_conf_sheet(wb, conf)
    wb.close()
    return out_path


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------


def _zip_members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def check_workbook(committed: Path) -> list[str]:
    """Rebuild into a temp file; return the problems found (empty = up to date)."""
    if not committed.exists():
        return [f"{committed} does not exist"]
    with tempfile.TemporaryDirectory(prefix="tthc-xl-check-") as tmp:
        fresh = build_workbook(Path(tmp) / committed.name)
        if fresh.read_bytes() == committed.read_bytes():
            return []
        try:
            old = _zip_members(committed)
        except zipfile.BadZipFile:
            return [f"{committed} is not a valid .xlsm (zip) file"]
        new = _zip_members(fresh)
    problems = [f"{name}: missing in rebuilt workbook" for name in sorted(old.keys() - new.keys())]
    problems += [f"{name}: missing in committed workbook" for name in sorted(new.keys() - old.keys())]
    problems += [f"{name}: content differs" for name in sorted(old.keys() & new.keys())
                 if old[name] != new[name]]
    # Same parts but different bytes means only the zip compression differs
    # (another zlib build): the workbook itself is up to date.
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tthc_xl.xlsx.workbook_build",
        description="Build the macro-enabled master workbook of tthc-xl.")
    parser.add_argument("-o", "--output", type=Path, default=DEFAULT_OUTPUT,
                        help="output .xlsm (default: %(default)s)")
    parser.add_argument("--check", action="store_true",
                        help="rebuild into a temp file and exit 1 if OUTPUT differs")
    args = parser.parse_args(argv)

    if args.check:
        problems = check_workbook(args.output)
        if problems:
            print(f"{args.output} is out of date with macros/*.bas, this build script "
                  f"or the installed xlwings ({xlwings_version()}):", file=sys.stderr)
            for problem in problems:
                print(f"  {problem}", file=sys.stderr)
            print("Rebuild it with: python -m tthc_xl.xlsx.workbook_build", file=sys.stderr)
            return 1
        print(f"{args.output} is up to date.")
        return 0

    path = build_workbook(args.output)
    print(f"Wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
