"""Excel Binary workbooks (.xlsb): read like .xlsx, and an error cell is a finding showing what it holds, never 0.

The files are written by tests/xlsb.py (nothing on a test machine saves .xlsb); the first tests check that
writer against python-calamine, which reads .xlsb for the project.
"""

import json
import os
import random
import shutil
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import python_calamine

import soctrang
import xlsb
from packages import with_parts_changed
from xlsb import Error, Formula

from tthc_xl.cli.app import main
from tthc_xl.core.layouts import load_layouts
from tthc_xl.core.units import load_units
from tthc_xl.files.read import hidden_row_findings, read_file, read_grids
from tthc_xl.files.safe_open import MAX_SHEET_ROWS, ReadError, open_workbook

ROOT = Path(__file__).resolve().parent.parent
TU_PHAP = 11  # soctrang.UNITS index of "Sở Tư pháp": columns 3..14 = 845 181 664 617 605 0 12 228 207 21 0 23


def unit_xlsb(path: Path, index: int) -> Path:
    """One unit's report in the shape of its .xlsx unit file (tests/soctrang.py: titles, offsets, spacer columns…), as .xlsb."""
    grid, merges = soctrang._unit_grid(index)
    shape = soctrang.UNIT_FILE_SHAPES[index]
    sheet = shape.sheet or "Sheet1"  # the CSV units' reports, as a workbook
    sheets = {"Hướng dẫn": [], sheet: grid} if shape.guide_sheet else {sheet: grid}  # an empty guide sheet first, as in the .xlsx
    return xlsb.write_xlsb(path, sheets, merges={sheet: merges})


def tu_phap_xlsb(path: Path, change=None) -> Path:
    """Sở Tư pháp's report with its table at A1 (header rows 1-3, number row 4, the unit's row 5: column n of the
    layout is sheet column n); `change(row)` alters the unit's row, a list whose item n-1 is column n."""
    row = [1, "Sở Tư pháp", *soctrang.UNITS[TU_PHAP][2]]
    if change:
        change(row)
    grid = [list(header) for header in soctrang.HEADER_ROWS] + [list(soctrang.NUMBER_ROW), row]
    return xlsb.write_xlsb(path, {"Báo cáo": grid}, merges={"Báo cáo": soctrang.MERGES})


# --------------------------------------------------------------------------------------
# The writer: python-calamine reads back what it wrote
# --------------------------------------------------------------------------------------


def test_records_encode_type_and_size_in_seven_bit_groups():
    assert xlsb.record(0x07, b"abc") == b"\x07\x03abc"
    assert xlsb.record(0x0269, b"") == bytes([0x69 | 0x80, 0x04, 0x00])  # two-byte type: 0x69 + (0x04 << 7)
    assert xlsb.record(0x02, bytes(200))[:3] == bytes([0x02, 200 & 0x7F | 0x80, 200 >> 7])


def test_formulas_are_written_in_reverse_polish():
    ref = lambda row, col: b"\x24" + struct.pack("<IH", row, col | 0xC000)  # noqa: E731 - PtgRef, relative
    assert xlsb.rgce("F5-H5-I5") == ref(4, 5) + ref(4, 7) + b"\x04" + ref(4, 8) + b"\x04"
    assert xlsb.rgce("1/0") == b"\x1e\x01\x00\x1e\x00\x00\x06"
    assert xlsb.rgce("(D5+E5)*2") == ref(4, 3) + ref(4, 4) + b"\x03\x15" + b"\x1e\x02\x00\x05"
    assert xlsb.rgce("#REF!+1") == b"\x2a" + bytes(6) + b"\x1e\x01\x00\x03"


def test_python_calamine_reads_back_every_kind_of_cell(tmp_path):
    rows = [
        ["Đơn vị", "Số hồ sơ", None, "Ghi chú"],
        [1, 2.5, 10**12, -7],
        [Error("#REF!"), Formula("A2+B2", 3.5), Formula("1/0", Error("#DIV/0!")), Formula("D1", "Ghi chú")],
        [],
        ["Đơn vị", None, None, "tiếng Việt có dấu"],
    ]
    path = xlsb.write_xlsb(tmp_path / "moi-loai-o.xlsb", {"Báo cáo": rows, "Ẩn": [["cũ"]]}, hidden_sheets={"Ẩn"})
    book = python_calamine.CalamineWorkbook.from_path(str(path))
    assert [(m.name, str(m.visible)) for m in book.sheets_metadata] == [
        ("Báo cáo", str(python_calamine.SheetVisibleEnum.Visible)), ("Ẩn", str(python_calamine.SheetVisibleEnum.Hidden)),
    ]
    assert book.get_sheet_by_name("Báo cáo").to_python() == [
        ["Đơn vị", "Số hồ sơ", "", "Ghi chú"],
        [1, 2.5, 1e12, -7],
        ["", 3.5, "", "Ghi chú"],  # calamine: an error cell is blank, a formula with an error result is skipped
        ["", "", "", ""],
        ["Đơn vị", "", "", "tiếng Việt có dấu"],
    ]
    inline = xlsb.write_xlsb(tmp_path / "chuoi-tai-cho.xlsb", {"S": rows}, inline_strings=True)
    assert python_calamine.CalamineWorkbook.from_path(str(inline)).get_sheet_by_name("S").to_python()[4][3] == "tiếng Việt có dấu"
    with zipfile.ZipFile(inline) as package:
        assert b"Vi\x00" not in package.read("xl/sharedStrings.bin")  # the texts are in the cells, not the shared strings


def test_the_sixteen_unit_files_as_xlsb_read_like_the_xlsx_ones(tmp_path):
    layouts, units = load_layouts(), load_units("soc-trang-so-nganh")
    expected = soctrang.unit_file_values()
    for index in range(len(soctrang.UNITS)):
        path = unit_xlsb(tmp_path / f"{soctrang._stem(index)}.xlsb", index)
        result = read_file(path, layouts, units=units)
        assert result.error == "" and result.notes == [], (path.name, result.error, result.notes)
        [row] = [row for table in result.tables for row in table.rows]
        name, values = expected[path.stem]
        assert row.unit == name and [row.cells[n].value for n in soctrang.COLUMNS] == values, path.name


# --------------------------------------------------------------------------------------
# Error cells: findings showing what the cell holds; the good files beside them still count
# --------------------------------------------------------------------------------------


def errors_in_tu_phap(row: list) -> None:
    row[2] = Formula("D5+E5", 845)  # column 3 = (4+5): a formula with its stored result
    row[7] = Formula("1/0", Error("#DIV/0!"))  # column 8: a formula whose result is an error
    row[8] = Error("#REF!")  # column 9: a plain error cell
    row[11] = Error("#N/A")  # column 12
    row[12] = Formula("D5*#REF!", Error("#VALUE!"))  # column 13


ERRORS = {8: ("H5", "#DIV/0!"), 9: ("I5", "#REF!"), 12: ("L5", "#N/A"), 13: ("M5", "#VALUE!")}


def test_error_cells_of_an_xlsb_are_unreadable_not_zero(tmp_path):
    path = tu_phap_xlsb(tmp_path / "so-tu-phap-loi.xlsb", errors_in_tu_phap)
    result = read_file(path, load_layouts())
    [row] = result.tables[0].rows
    for n, (ref, text) in ERRORS.items():
        assert (row.cells[n].value, row.cells[n].raw, row.cells[n].ref) == (None, text, ref)
    assert (row.cells[3].value, row.cells[3].ref) == (845, "C5")  # the formula's stored result
    assert [row.cells[n].value for n in (4, 5, 6, 7, 10, 11, 14)] == [181, 664, 617, 605, 228, 207, 23]


def test_safe_open_accepts_an_xlsb_and_still_screens_its_xml_parts(tmp_path):
    path = tu_phap_xlsb(tmp_path / "so-tu-phap.xlsb", errors_in_tu_phap)
    opened = open_workbook(path, path.read_bytes())
    assert opened.kind == "xlsb" and opened.data == path.read_bytes()
    assert opened.errors == {"Báo cáo": {(4, 7): "#DIV/0!", (4, 8): "#REF!", (4, 11): "#N/A", (4, 12): "#VALUE!"}}
    hostile = with_parts_changed(path, tmp_path / "thuc-the.xlsb", {
        "xl/_rels/workbook.bin.rels": lambda data: data.replace(b"?>", b'?><!DOCTYPE r [<!ENTITY a "aaaa">]>', 1)})
    try:
        read_grids(hostile)
    except ReadError as exc:
        assert "thuc-the.xlsb" in str(exc) and "DOCTYPE" in str(exc)
    else:
        raise AssertionError("an .xlsb whose XML declares an entity was parsed")


def test_a_hidden_row_of_an_xlsb_is_read_and_flagged(tmp_path, capsys, unit_folder):
    grid = [list(header) for header in soctrang.HEADER_ROWS] + [list(soctrang.NUMBER_ROW)]
    grid += [[1, "Sở Tư pháp", *soctrang.UNITS[TU_PHAP][2]], [2, "Công an tỉnh", *[1] * 12]]  # row 6: stale, hidden
    path = xlsb.write_xlsb(tmp_path / "so-tu-phap-dong-an.xlsb", {"Báo cáo": grid}, merges={"Báo cáo": soctrang.MERGES},
                           hidden_rows={"Báo cáo": {5}})
    result = read_file(path, load_layouts(), units=load_units("soc-trang-so-nganh"))
    rows = result.tables[0].rows
    assert [(r.unit, r.hidden) for r in rows] == [("Sở Tư pháp", False), ("Công an tỉnh", True)]
    [found] = hidden_row_findings(result.tables[0])
    assert (found.rule, found.unit, found.cell) == ("dòng bị ẩn", "Công an tỉnh", "B6")
    assert "dòng 6 “Công an tỉnh” đang bị ẩn" in found.message


def test_an_xlsb_cut_anywhere_is_read_or_refused_with_a_message(tmp_path):
    """Every length of a damaged sheet part: the scan of its records never fails where calamine would not."""
    path = tu_phap_xlsb(tmp_path / "so-tu-phap.xlsb", errors_in_tu_phap)
    with zipfile.ZipFile(path) as source:
        parts = {info.filename: source.read(info) for info in source.infolist()}
    sheet = parts["xl/worksheets/sheet1.bin"]
    outcomes = set()
    for length in range(len(sheet)):
        cut = tmp_path / "cat-cut.xlsb"
        with zipfile.ZipFile(cut, "w") as target:
            for part, data in parts.items():
                target.writestr(part, data[:length] if part == "xl/worksheets/sheet1.bin" else data)
        try:
            read_grids(cut)
            outcomes.add("read")
        except ReadError as exc:
            assert "cat-cut.xlsb" in str(exc) and "tệp hỏng" in str(exc), str(exc)
            outcomes.add("refused")
    assert outcomes == {"read", "refused"}


def folder_with_bad_tu_phap(tmp_path: Path, unit_folder: Path) -> tuple[Path, Path]:
    folder = tmp_path / "don-vi"
    folder.mkdir()
    for path in unit_folder.iterdir():
        if path.stem != soctrang._stem(TU_PHAP):
            shutil.copy2(path, folder / path.name)
    return folder, tu_phap_xlsb(folder / "12_so-tu-phap.xlsb", errors_in_tu_phap)


def expected_totals() -> dict[str, int]:
    """The column sums of the 16 units, Sở Tư pháp's unreadable cells left out (not added as 0 unseen: flagged)."""
    totals = {str(n): v for n, v in soctrang.COLUMN_SUMS.items()}
    tu_phap = dict(zip(soctrang.COLUMNS, soctrang.UNITS[TU_PHAP][2]))
    for n in ERRORS:
        totals[str(n)] -= tu_phap[n]
    return totals


def assert_error_findings(data: dict, bad: Path) -> None:
    findings = [f for f in data["findings"] if f["unit"] == "Sở Tư pháp" and f["rule"] == "số nguyên ≥ 0"]
    assert sorted((f["source"]["cell"], f["source"]["file"]) for f in findings) == sorted((ref, str(bad)) for ref, _ in ERRORS.values())
    for f in findings:
        ref = f["source"]["cell"]
        text = dict(ERRORS.values())[ref]
        assert f"“{text}”" in f["message"] and "không đọc được thành số hồ sơ" in f["message"], f["message"]


def test_consolidating_an_xlsb_with_error_cells_flags_each_and_keeps_the_totals(tmp_path, capsys, unit_folder):
    folder, bad = folder_with_bad_tu_phap(tmp_path, unit_folder)
    out = tmp_path / "out"
    out.mkdir()
    code = main(["consolidate", str(folder), "-o", str(out / "tong-hop.xlsx"), "--units", "soc-trang-so-nganh",
                 "--json", str(out / "ket-qua.json")])
    capsys.readouterr()
    data = json.loads((out / "ket-qua.json").read_text(encoding="utf-8"))
    assert code == 1
    [source] = [s for s in data["sources"] if Path(s["file"]).name == bad.name]
    assert source["status"] == "ok" and data["missing"] == []
    assert_error_findings(data, bad)
    assert data["totals"] == expected_totals()


# --------------------------------------------------------------------------------------
# End to end: the installed command on .xlsb files
# --------------------------------------------------------------------------------------


def cli(*args, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONIOENCODING": "utf-8"}
    return subprocess.run([sys.executable, "-m", "tthc_xl", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=300)


def test_check_and_consolidate_xlsb_files_from_the_command_line(tmp_path, unit_folder):
    folder, bad = folder_with_bad_tu_phap(tmp_path, unit_folder)
    good = tu_phap_xlsb(tmp_path / "so-tu-phap-dung.xlsb")

    done = cli("check", good, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stderr

    done = cli("check", bad, "--json", tmp_path / "kiem-tra.json", cwd=tmp_path)
    printed = done.stdout + done.stderr
    assert done.returncode == 1, printed
    for n, (ref, text) in ERRORS.items():
        assert f"Ô {ref} (Sở Tư pháp, cột {n}) ghi “{text}”, không đọc được thành số hồ sơ" in printed, printed
    assert "4 lỗi" in printed
    checked = json.loads((tmp_path / "kiem-tra.json").read_text(encoding="utf-8"))
    assert sorted((f["cell"], f["rule"]) for f in checked["findings"]) == sorted((r, "số nguyên ≥ 0") for r, _ in ERRORS.values())

    master, report = tmp_path / "tong-hop.xlsx", tmp_path / "ket-qua.json"
    done = cli("consolidate", folder, "-o", master, "--units", "soc-trang-so-nganh", "--json", report, cwd=tmp_path)
    printed = done.stdout + done.stderr
    assert done.returncode == 1 and "Traceback" not in printed, printed
    data = json.loads(report.read_text(encoding="utf-8"))
    assert_error_findings(data, bad)
    assert data["totals"] == expected_totals() and master.is_file()


FAR_CELLS = r"""
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (2**31, 2**31))  # calamine would allocate every cell up to the farthest one
from pathlib import Path
from tthc_xl.core.layouts import load_layouts
from tthc_xl.files.read import read_file
result = read_file(Path(sys.argv[1]), load_layouts())
[row] = result.tables[0].rows
print(row.unit, row.cells[3].value, row.cells[9].raw)
print(*result.notes, sep="\n")
"""


def test_cells_far_past_the_table_are_cut_before_calamine_allocates_them(tmp_path):
    """A value at XFD1048576 (a stray key press) would make calamine allocate 17 billion cells: the sheet is
    cut at MAX_SHEET_ROWS × MAX_SHEET_COLS, as .xlsx sheets are, and the clerk told."""
    row = [1, "Sở Tư pháp", *soctrang.UNITS[TU_PHAP][2]]
    row[8] = Error("#REF!")
    grid = [list(header) for header in soctrang.HEADER_ROWS] + [list(soctrang.NUMBER_ROW), row]
    for far_row, far_col in ((1_048_575, 16_383), (10, 200), (MAX_SHEET_ROWS + 5, 3)):
        rows = grid + [[] for _ in range(far_row - len(grid))] + [[None] * far_col + ["x"]]
        path = xlsb.write_xlsb(tmp_path / "o-xa.xlsb", {"Báo cáo": rows})
        done = subprocess.run([sys.executable, "-c", FAR_CELLS, str(path)], capture_output=True, text=True, timeout=120,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert done.returncode == 0, done.stderr[-2000:]
        lines = done.stdout.splitlines()
        assert lines[0] == "Sở Tư pháp 845 #REF!"
        assert lines[1:] == [
            "Trang “Báo cáo” trong tệp o-xa.xlsb có dữ liệu dài quá 20.000 dòng hoặc rộng quá 128 cột; phần thừa không được "
            "đọc (nên xóa các dòng, cột thừa cho tệp nhẹ hơn)."
        ]


def test_xlsb_files_damaged_inside_their_parts_give_messages_never_tracebacks(tmp_path, unit_folder):
    """Bytes flipped inside the binary parts (the package itself intact, so calamine parses them) and parts cut
    short, a fixed seed: each file is read or refused with a message naming it; the good files still count.
    calamine's .xlsb reader panics on many of them (index out of range): that is the file's message too."""
    rng = random.Random(20261201)
    folder, bad = folder_with_bad_tu_phap(tmp_path, unit_folder)
    with zipfile.ZipFile(bad) as source:
        parts = {info.filename: source.read(info) for info in source.infolist()}
    bad.unlink()
    binary = sorted(name for name in parts if name.endswith(".bin"))
    made = []
    for i in range(60):
        part = binary[i % len(binary)]
        data = bytearray(parts[part])
        if i % 3 == 2:
            data = data[: rng.randrange(1, len(data))]
        else:
            for _ in range(rng.randint(1, 4)):
                data[rng.randrange(len(data))] = rng.randrange(256)
        target = folder / f"zz-{i:02}-{Path(part).stem}.xlsb"
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as package:
            for name, content in parts.items():
                package.writestr(name, bytes(data) if name == part else content)
        made.append(target.name)
    report = tmp_path / "kq.json"
    done = cli("consolidate", folder, "-o", tmp_path / "tong-hop.xlsx", "--units", "soc-trang-so-nganh", "--json", report,
               cwd=tmp_path)
    assert done.returncode == 1 and "Traceback" not in done.stdout + done.stderr, done.stderr[-3000:]
    data = json.loads(report.read_text(encoding="utf-8"))
    outcomes = {}
    for source in data["sources"]:
        name = Path(source["file"]).name
        if name in made:
            assert source["status"] == "ok" or (name in source["error"] and "Traceback" not in source["error"]), source
            outcomes[name] = source["status"]
    assert set(outcomes) == set(made) and set(outcomes.values()) == {"ok", "lỗi"}
    good = {soctrang.CANONICAL_NAMES.get(n, n) for i, (_, n, _) in enumerate(soctrang.UNITS) if i != TU_PHAP}
    assert good <= {s["unit"] for s in data["sources"] if s["status"] == "ok" and not Path(s["file"]).name.startswith("zz-")}


def test_a_part_that_makes_calamine_panic_is_a_message_in_the_same_process(tmp_path):
    """A sheet entry whose relationship id claims 16 million characters: calamine's Rust code panics (pyo3 raises
    PanicException, a BaseException); the reader turns it into the file's message, as for any broken file."""
    path = tu_phap_xlsb(tmp_path / "so-tu-phap.xlsb")
    sheet = xlsb.record(xlsb.BRT_BUNDLE_SH, struct.pack("<III", 0, 1, 0x00FFFFFF) + "rId1".encode("utf-16-le"))
    workbook = b"".join([xlsb.record(xlsb.BRT_BEGIN_BOOK), xlsb.record(xlsb.BRT_BEGIN_BUNDLE_SHS), sheet,
                         xlsb.record(xlsb.BRT_END_BUNDLE_SHS), xlsb.record(xlsb.BRT_END_BOOK)])
    broken = with_parts_changed(path, tmp_path / "so-tu-phap-hong.xlsb", {"xl/workbook.bin": lambda data: workbook})
    with pytest.raises(ReadError) as refused:
        read_grids(broken)
    assert str(refused.value).startswith("Không mở được tệp so-tu-phap-hong.xlsb (PanicException): tệp hỏng")
