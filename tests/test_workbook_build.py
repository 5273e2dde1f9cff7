"""Tests of the master workbook build (tthc_xl.xlsx.workbook_build).

The LibreOffice tests need ``soffice`` on PATH and FAIL (never skip) when it
is missing: they are the only independent reader that also resolves the
buttons to their macros.
"""

from __future__ import annotations

import random
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook
from oletools.olevba import VBA_Parser, decompress_stream
from packages import with_parts_changed

from tthc_xl.xlsx import workbook_build as wb_build

REPO_ROOT = Path(__file__).resolve().parent.parent
XLWINGS_DIR = wb_build._xlwings_dir()

EXPECTED_MODULES = {"ThisWorkbook", "Sheet1", "Sheet2", "TthcXl", "xlwings", "Dictionary"}
EXPECTED_BUTTONS = [  # in the order of the work; «Xóa đánh dấu» last, only to start over
    ("Tổng hợp", "TongHop"),
    ("Kiểm tra", "KiemTra"),
    ("In phụ lục", "InPhuLuc"),
    ("Soạn báo cáo", "SoanBaoCao"),
    ("Xóa đánh dấu", "XoaDanhDau"),
]
EXPECTED_RUNPYTHON = {
    "TongHop": 'RunPython "import tthc_xl.excel as x; x.consolidate()"',
    "KiemTra": 'RunPython "import tthc_xl.excel as x; x.check()"',
    "XoaDanhDau": 'RunPython "import tthc_xl.excel as x; x.clear_marks()"',
    "InPhuLuc": 'RunPython "import tthc_xl.excel as x; x.print_appendix()"',
    "SoanBaoCao": 'RunPython "import tthc_xl.excel as x; x.draft_report()"',
}
EXPECTED_NAMES = {
    "ThuMucBaoCao": "Thư mục báo cáo đơn vị",
    "KyBaoCao": "Kỳ báo cáo",
    "SoBaoCao": "Số báo cáo",
    "NgayBaoCao": "Ngày báo cáo",
    "CoQuanBanHanh": "Cơ quan ban hành",
    "DuongDanPython": "Python (python.exe)",
}

VML_NS = {
    "v": "urn:schemas-microsoft-com:vml",
    "x": "urn:schemas-microsoft-com:office:excel",
}


def crlf_lines(text: str) -> list[str]:
    return text.replace("\r\n", "\n").rstrip("\n").split("\n")


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    return wb_build.build_workbook(tmp_path_factory.mktemp("build") / "master.xlsm")


@pytest.fixture(scope="module")
def vba_code(built) -> dict[str, str]:
    parser = VBA_Parser(str(built))
    try:
        assert parser.detect_vba_macros()
        return {stream.split("/")[-1]: code
                for _, stream, _, code in parser.extract_all_macros()}
    finally:
        parser.close()


# --------------------------------------------------------------------------
# Determinism and --check
# --------------------------------------------------------------------------


def test_build_is_byte_identical_twice(tmp_path):
    first = wb_build.build_workbook(tmp_path / "a.xlsm").read_bytes()
    second = wb_build.build_workbook(tmp_path / "b.xlsm").read_bytes()
    assert first == second


def test_build_leaves_no_files_in_cwd(tmp_path, monkeypatch):
    # ms-ovba writes scratch files into the current directory.
    monkeypatch.chdir(tmp_path)
    wb_build.build_workbook(tmp_path / "out" / "master.xlsm")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert Path.cwd() == tmp_path


def test_committed_workbook_is_up_to_date(capsys):
    assert wb_build.main(["--check"]) == 0, capsys.readouterr().err


def test_check_reports_a_stale_workbook(tmp_path, built, capsys):
    stale = with_parts_changed(built, tmp_path / "stale.xlsm", {"xl/vbaProject.bin": lambda data: data[:-1] + bytes([data[-1] ^ 0xFF])})
    assert wb_build.main(["--check", "-o", str(stale)]) == 1
    err = capsys.readouterr().err
    assert "xl/vbaProject.bin: content differs" in err
    assert "python -m tthc_xl.xlsx.workbook_build" in err


def test_check_reports_a_missing_workbook(tmp_path, capsys):
    assert wb_build.main(["--check", "-o", str(tmp_path / "nope.xlsm")]) == 1
    assert "does not exist" in capsys.readouterr().err


def test_ovba_compress_round_trips_through_olevba():
    rng = random.Random(7)
    samples = [b"", b"a", b"#aaabcdefaaaaghijaaaaaklaaamnopqaaaaaaaaaaaarstuvwxyzaaa",
               b" " * 10000, bytes(rng.randrange(256) for _ in range(8192))]
    samples += [bytes(rng.choice(b"ab \r\n") for _ in range(n)) for n in (4095, 4096, 4097, 12345)]
    for data in samples:
        assert decompress_stream(bytearray(wb_build.ovba_compress(data))) == data


# --------------------------------------------------------------------------
# VBA project, read back with olevba
# --------------------------------------------------------------------------


def test_olevba_lists_every_module(vba_code):
    assert set(vba_code) == EXPECTED_MODULES


def test_tthcxl_module_matches_source(vba_code):
    source = (REPO_ROOT / "macros" / "TthcXl.bas").read_text(encoding="ascii")
    assert crlf_lines(vba_code["TthcXl"]) == crlf_lines(source)
    for macro, line in EXPECTED_RUNPYTHON.items():
        assert re.search(rf"Sub {macro}\(\)\r?\n    {re.escape(line)}\r?\nEnd Sub", vba_code["TthcXl"])


def test_xlwings_module_is_the_installed_one(vba_code):
    source = (XLWINGS_DIR / "xlwings.bas").read_text(encoding="cp1252")
    assert crlf_lines(vba_code["xlwings"]) == crlf_lines(source)
    assert "Public Function RunPython(" in vba_code["xlwings"]


def test_dictionary_class_is_the_installed_one(vba_code):
    cls = crlf_lines((XLWINGS_DIR / "addin" / "Dictionary.cls").read_text(encoding="cp1252"))
    body = cls[cls.index("END") + 1:]
    added = {'Attribute VB_Base = "0{FCFB3D2A-A0FA-1068-A738-08002B3371B5}"',
             "Attribute VB_TemplateDerived = False", "Attribute VB_Customizable = False"}
    code = crlf_lines(vba_code["Dictionary"])
    assert added <= set(code)
    assert [line for line in code if line not in added] == body


def test_project_stream_declares_module_kinds(built):
    import olefile

    with zipfile.ZipFile(built) as zf:
        ole = olefile.OleFileIO(zf.read("xl/vbaProject.bin"))
    project = ole.openstream("PROJECT").read().decode("cp1252").splitlines()
    assert "Class=Dictionary" in project
    assert {"Module=TthcXl", "Module=xlwings"} <= set(project)
    assert {"Document=ThisWorkbook/&H00000000", "Document=Sheet1/&H00000000",
            "Document=Sheet2/&H00000000"} <= set(project)


# --------------------------------------------------------------------------
# Workbook content
# --------------------------------------------------------------------------


def read_buttons(path: Path) -> list[tuple[str, str]]:
    """(caption, macro) of every form button in the VML drawings."""
    buttons = []
    with zipfile.ZipFile(path) as zf:
        for name in sorted(n for n in zf.namelist() if re.fullmatch(r"xl/drawings/vmlDrawing\d+\.vml", n)):
            root = ET.fromstring(zf.read(name))
            for shape in root.iter(f"{{{VML_NS['v']}}}shape"):
                data = shape.find("x:ClientData", VML_NS)
                if data is None or data.get("ObjectType") != "Button":
                    continue
                caption = "".join(shape.find("v:textbox", VML_NS).itertext()).strip()
                buttons.append((caption, data.findtext("x:FmlaMacro", namespaces=VML_NS)))
    return buttons


def test_buttons_have_captions_and_macros(built):
    assert read_buttons(built) == [(caption, f"[0]!{macro}") for caption, macro in EXPECTED_BUTTONS]


def test_buttons_sit_on_the_control_sheet(built):
    book = load_workbook(built, keep_vba=True)
    assert book.sheetnames[0] == "Điều khiển"
    with zipfile.ZipFile(built) as zf:
        rels = zf.read("xl/worksheets/_rels/sheet1.xml.rels").decode()
        sheet = zf.read("xl/worksheets/sheet1.xml").decode()
    assert "vmlDrawing1.vml" in rels
    assert "<legacyDrawing" in sheet


def test_defined_names_point_at_labelled_input_cells(built):
    book = load_workbook(built, keep_vba=True)
    control = book["Điều khiển"]
    for name, label in EXPECTED_NAMES.items():
        ((sheet, ref),) = book.defined_names[name].destinations
        assert sheet == "Điều khiển"
        cell = control[ref.replace("$", "")]
        assert cell.column_letter == "B"
        assert control.cell(row=cell.row, column=1).value == label
    assert control[book.defined_names["NgayBaoCao"].attr_text.split("!")[1].replace("$", "")].number_format == "dd/mm/yyyy"


def test_xlwings_config_sheet(built):
    book = load_workbook(built, keep_vba=True)
    conf = book["xlwings.conf"]
    assert conf.sheet_state == "hidden"
    settings = {}
    for row in conf.iter_rows(min_row=1, max_col=2, values_only=True):
        if row[0] is None:
            break  # xlwings stops at the first empty row
        settings[row[0]] = row[1]
    assert settings == {"Use UDF Server": False, "Show Console": False, "Interpreter": '=IF(DuongDanPython="","python",DuongDanPython)'}
    # The VBA module reads the sheet named PROJECT_NAME & ".conf".
    assert 'PROJECT_NAME As String = "xlwings"' in (XLWINGS_DIR / "xlwings.bas").read_text(encoding="cp1252")


def test_code_names_match_the_document_modules(built):
    book = load_workbook(built, keep_vba=True)
    assert book.code_name == "ThisWorkbook"
    assert [ws.sheet_properties.codeName for ws in book.worksheets] == ["Sheet1", "Sheet2"]


# --------------------------------------------------------------------------
# LibreOffice
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ods(built, tmp_path_factory) -> zipfile.ZipFile:
    soffice = shutil.which("soffice")
    assert soffice, "LibreOffice (soffice) is required for these tests: apt-get install libreoffice-calc"
    work = tmp_path_factory.mktemp("lo")
    # A private profile per run, so parallel runs don't share a lock.
    result = subprocess.run(
        [soffice, f"-env:UserInstallation={(work / 'profile').as_uri()}",
         "--headless", "--norestore", "--convert-to", "ods", "--outdir", str(work), str(built)],
        capture_output=True, text=True, timeout=300)
    out = work / (built.stem + ".ods")
    assert out.exists(), f"soffice failed ({result.returncode}): {result.stdout}{result.stderr}"
    with zipfile.ZipFile(out) as zf:
        yield zf


def test_libreoffice_lists_the_same_basic_modules(ods):
    library = ET.fromstring(ods.read("Basic/VBAProject/script-lb.xml"))
    ns = "{http://openoffice.org/2000/library}"
    names = {el.get(f"{ns}name") for el in library.iter(f"{ns}element")}
    assert names == EXPECTED_MODULES
    module = ET.fromstring(ods.read("Basic/VBAProject/Dictionary.xml"))
    assert module.get("{http://openoffice.org/2000/script}moduleType") == "class"


def test_libreoffice_reads_the_tthcxl_code(ods):
    code = ET.fromstring(ods.read("Basic/VBAProject/TthcXl.xml")).text
    for line in EXPECTED_RUNPYTHON.values():
        assert line in code


def test_libreoffice_binds_buttons_to_macros(ods):
    content = ods.read("content.xml").decode()
    labels = re.findall(r'<form:button [^>]*form:label="([^"]*)"', content)
    targets = re.findall(r'xlink:href="vnd\.sun\.star\.script:VBAProject\.TthcXl\.(\w+)\?', content)
    assert labels == [caption for caption, _ in EXPECTED_BUTTONS]
    assert targets == [macro for _, macro in EXPECTED_BUTTONS]


# --------------------------------------------------------------------------
# What the control sheet tells the clerk
# --------------------------------------------------------------------------


def control_texts(path: Path) -> list[str]:
    sheet = load_workbook(path)["Điều khiển"]
    return [str(v) for row in sheet.iter_rows(values_only=True) for v in row if v is not None]


def test_the_control_sheet_tells_the_order_of_the_work(built):
    texts = control_texts(built)
    steps = [t for t in texts if t[:2] in ("1.", "2.", "3.", "4.")]
    assert steps[2] == "3. Bấm «Tổng hợp», sửa các ô bị tô màu trên bảng phụ lục, rồi bấm «Kiểm tra»; lặp lại đến khi hết lỗi."
    assert steps[3] == "4. Bấm «In phụ lục» hoặc «Soạn báo cáo»."
    assert "«Xóa đánh dấu» chỉ dùng khi muốn làm lại từ đầu: nút này xóa hết màu và ghi chú đánh dấu lỗi." in texts
    assert not [t for t in texts if "lần lượt từ trên xuống" in t]
    descriptions = texts[texts.index("Thao tác") + 1:]
    assert [d.split(".")[0] for d in descriptions[:4]] == ["Bước 1", "Bước 2", "Bước 3", "Bước 3"]
    assert descriptions[4].startswith("Chỉ khi muốn làm lại từ đầu")


def test_the_python_cell_on_the_control_sheet_sets_the_interpreter(built, tmp_path):
    """xlwings reads the hidden sheet's Interpreter row: LibreOffice computes it from the cell."""
    import office
    import python_calamine

    typed = tmp_path / "python.xlsm"
    book = load_workbook(built, keep_vba=True)
    ((_, ref),) = book.defined_names["DuongDanPython"].destinations
    book["Điều khiển"][ref.replace("$", "")] = r"C:\Python311\python.exe"
    book.save(typed)
    for path, expected in ((built, "python"), (typed, r"C:\Python311\python.exe")):
        converted = office.convert(path, "xlsx:Calc MS Excel 2007 XML", tmp_path / path.stem)
        rows = python_calamine.CalamineWorkbook.from_path(str(converted)).get_sheet_by_name("xlwings.conf").to_python()
        assert rows[2][:2] == ["Interpreter", expected]


def test_libreoffice_lock_files_are_ignored():
    assert ".~lock.*#" in (REPO_ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
