"""Every bad input of tests/bad_inputs.py gives a clear message, and the good files beside it still count.

Each test puts one bad file beside the 16 good Sóc Trăng unit files (without the good file of the
unit it stands in for) and runs `tthc-xl consolidate FOLDER -o tong-hop.xlsx --units
soc-trang-so-nganh --json ket-qua.json`: the bad file's source entry has status "lỗi" and a message
naming it and saying what to do (or, for a bad cell, a finding says so), and the totals are the
good units' sums.
"""

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import python_calamine
import pytest

import bad_inputs
import soctrang

from tthc_xl.cli.app import main
from tthc_xl.core.layouts import load_layouts
from tthc_xl.files.read import read_file
from tthc_xl.core.units import load_units
from tthc_xl.core.numbers import format_number
from tthc_xl.files.safe_open import MAX_SHEET_ROWS

TU_PHAP = "Sở Tư pháp"
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """The whole corpus, written by running tests/bad_inputs.py as a script."""
    folder = tmp_path_factory.mktemp("bad-inputs")
    done = subprocess.run([sys.executable, str(ROOT / "tests" / "bad_inputs.py"), str(folder)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return folder


def written(corpus: Path, name: str) -> Path:
    """The file the case `name` wrote into the corpus folder."""
    with_name = {
        "empty_file": "rong.xlsx", "pdf_named_xlsx": "bao-cao-pdf.xlsx", "text_named_xlsx": "ghi-chu.xlsx",
        "html_named_xls": "xuat-tu-phan-mem.xls", "word_named_xlsx": "van-ban-word.xlsx", "truncated_zip": "tai-do-dang.xlsx",
        "zip_bomb": "bom-nen.xlsx", "billion_laughs": "thuc-the-long-nhau.xlsx", "external_entity": "thuc-the-ngoai.xlsx",
        "password_protected": "co-mat-khau.xlsx", "old_xls": "so-tu-phap-excel-2003.xls", "no_table": "khong-co-bang.xlsx",
        "unknown_layout": "mau-la.xlsx", "decimals_and_negatives": "so-tu-phap-so-le-so-am.xlsx",
        "date_in_a_count": "so-tu-phap-ngay-thang.xlsx", "ref_error": "so-tu-phap-loi-ref.xlsx",
        "formula_without_result": "so-tu-phap-cong-thuc.xlsx", "formula_injection": "ten-don-vi-la.csv",
        "million_rows": "so-tu-phap-trieu-dong.xlsx", "hidden_sheet": "so-tu-phap-trang-an.xlsx",
        "two_tables_same_unit": "so-tu-phap-hai-bang.xlsx", "two_tables_two_units": "hai-don-vi-mot-trang.xlsx",
        "lock_file": "~$12_so-tu-phap.xlsx", "same_unit_twice": "12_so-tu-phap (1).xlsx",
        "shared_strings_count_abort": "so-tu-phap-chuoi-ky-tu.xlsx", "ods_table_never_closed": "so-tu-phap-thieu-ket-thuc.ods",
        "ods_cut_short": "so-tu-phap-cat-cut.ods", "ods_repeat_bomb": "lap-lai.ods",
        "spacer_row_in_appendix": "phu-luc-dong-trong.xlsx", "hidden_stale_row": "so-tu-phap-dong-an.xlsx",
        "autofiltered_rows": "hai-don-vi-bo-loc.xlsx", "xlsxwriter_formulas": "so-tu-phap-xlsxwriter.xlsx",
        "ods_formulas_without_results": "so-tu-phap-cong-thuc.ods", "billion_laughs_utf16": "thuc-the-utf16.xlsx",
        "tcvn3_unit_name": "so-tu-phap-vntime.xlsx", "vni_unit_name": "so-tai-nguyen-vni.xlsx",
        "invisible_characters_in_a_name": "cong-an-ky-tu-an.xlsx", "ambiguous_number_text": "so-giao-thong-dau-phay.xlsx",
        "too_many_digits": "so-tu-phap-qua-nhieu-chu-so.xlsx",
    }
    assert set(with_name) == set(bad_inputs.CASES), "a case was added: name its file here"
    path = corpus / with_name[name]
    assert path.is_file()
    return path


def folder_with(tmp_path: Path, unit_folder: Path, corpus: Path, name: str) -> tuple[Path, Path]:
    """The good unit files (without those the case stands in for) and the case's bad file."""
    folder = tmp_path / "don-vi"
    folder.mkdir()
    replaced = {soctrang._stem(i) for i in bad_inputs.CASES[name].replaces}
    for path in unit_folder.iterdir():
        if path.stem not in replaced:
            shutil.copy2(path, folder / path.name)
    bad = written(corpus, name)
    shutil.copy2(bad, folder / bad.name)
    return folder, folder / bad.name


def consolidate(tmp_path: Path, capsys, *sources, units=True):
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    args = ["consolidate", *map(str, sources), "-o", str(out / "tong-hop.xlsx"), "--json", str(out / "ket-qua.json")]
    if units:
        args += ["--units", "soc-trang-so-nganh"]
    code = main(args)
    printed = capsys.readouterr()
    data = json.loads((out / "ket-qua.json").read_text(encoding="utf-8"))
    return code, data, printed.out + printed.err


def sums_without(*names: str, **changes) -> dict[str, float]:
    """The column sums of the good units, without some units, with some columns changed ("c7": -605)."""
    values = {str(n): v for n, v in soctrang.COLUMN_SUMS.items()}
    for _, name, row in soctrang.UNITS:
        if name in names:
            for n, v in zip(soctrang.COLUMNS, row):
                values[str(n)] -= v
    for key, delta in changes.items():
        values[key[1:]] += delta
    return values


def entry(data: dict, path: Path) -> dict:
    matches = [s for s in data["sources"] if Path(s["file"]).name == path.name]
    assert len(matches) == 1, data["sources"]
    return matches[0]


def refused(data: dict, path: Path, *words: str) -> str:
    """The bad file's entry is "lỗi"; its message names the file and has the words."""
    source = entry(data, path)
    assert source["status"] == "lỗi"
    for word in (path.name, *words):
        assert word in source["error"], (word, source["error"])
    return source["error"]


def run_refused(tmp_path, capsys, unit_folder, corpus, name, *words):
    folder, bad = folder_with(tmp_path, unit_folder, corpus, name)
    code, data, printed = consolidate(tmp_path, capsys, folder)
    assert code == 1 and "Traceback" not in printed
    message = refused(data, bad, *words)
    assert message in printed
    expected_missing = [soctrang.CANONICAL_NAMES.get(soctrang.UNITS[i][1], soctrang.UNITS[i][1]) for i in bad_inputs.CASES[name].replaces]
    assert data["missing"] == expected_missing
    assert data["totals"] == sums_without(*[soctrang.UNITS[i][1] for i in bad_inputs.CASES[name].replaces])
    return data, message


# --------------------------------------------------------------------------------------
# Not a spreadsheet
# --------------------------------------------------------------------------------------


def test_empty_file(tmp_path, capsys, unit_folder, corpus):
    run_refused(tmp_path, capsys, unit_folder, corpus, "empty_file", "rỗng (0 byte)", "gửi lại")


def test_pdf_named_xlsx(tmp_path, capsys, unit_folder, corpus):
    run_refused(tmp_path, capsys, unit_folder, corpus, "pdf_named_xlsx", "là tệp PDF", "gửi tệp Excel (.xlsx)")


def test_text_named_xlsx(tmp_path, capsys, unit_folder, corpus):
    run_refused(tmp_path, capsys, unit_folder, corpus, "text_named_xlsx", "là tệp văn bản", "đổi đuôi tệp thành .csv")


def test_web_page_named_xls(tmp_path, capsys, unit_folder, corpus):
    run_refused(tmp_path, capsys, unit_folder, corpus, "html_named_xls", "trang web (HTML)", "Lưu thành (Save As)", ".xlsx")


def test_word_document_named_xlsx(tmp_path, capsys, unit_folder, corpus):
    run_refused(tmp_path, capsys, unit_folder, corpus, "word_named_xlsx", "văn bản Word", "gửi tệp Excel")


def test_truncated_zip(tmp_path, capsys, unit_folder, corpus):
    run_refused(tmp_path, capsys, unit_folder, corpus, "truncated_zip", "chưa tải về hết", "tải lại tệp")


# --------------------------------------------------------------------------------------
# Hostile files: refused before any parser unpacks or expands them
# --------------------------------------------------------------------------------------


def test_zip_bomb_is_refused_from_its_declared_sizes(tmp_path, capsys, unit_folder, corpus):
    bomb = written(corpus, "zip_bomb")
    with zipfile.ZipFile(bomb) as archive:
        assert sum(i.file_size for i in archive.infolist()) > 3 * 10**9 and bomb.stat().st_size < 5 * 10**6
    start = time.perf_counter()
    result = read_file(bomb, load_layouts())
    assert time.perf_counter() - start < 0.5
    assert "bom nén" in result.error and "3,0 GB" in result.error
    run_refused(tmp_path, capsys, unit_folder, corpus, "zip_bomb", "bất thường", "bom nén", "độc hại", "gửi lại")


def test_entity_expansion_is_refused(tmp_path, capsys, unit_folder, corpus):
    run_refused(tmp_path, capsys, unit_folder, corpus, "billion_laughs", "DOCTYPE/ENTITY", "độc hại", "lưu thành tệp mới")


def test_entity_expansion_in_a_utf16_part_is_refused(tmp_path, capsys, unit_folder, corpus):
    run_refused(tmp_path, capsys, unit_folder, corpus, "billion_laughs_utf16", "DOCTYPE/ENTITY", "độc hại")


def test_external_entity_is_refused_and_nothing_is_read_from_the_disk(tmp_path, capsys, unit_folder, corpus):
    run_refused(tmp_path, capsys, unit_folder, corpus, "external_entity", "DOCTYPE/ENTITY", "độc hại")
    outputs = [(tmp_path / "out" / "ket-qua.json").read_bytes()]
    with zipfile.ZipFile(tmp_path / "out" / "tong-hop.xlsx") as archive:
        outputs += [archive.read(n) for n in archive.namelist()]
    assert not any(b"root:" in data for data in outputs)


def test_password_protected_workbook(tmp_path, capsys, unit_folder, corpus):
    locked = written(corpus, "password_protected")
    with pytest.raises(python_calamine.PasswordError):  # calamine agrees it is an encrypted workbook
        python_calamine.CalamineWorkbook.from_path(str(locked))
    run_refused(tmp_path, capsys, unit_folder, corpus, "password_protected", "có đặt mật khẩu", "gỡ mật khẩu")


# --------------------------------------------------------------------------------------
# Workbooks that are fine, or nearly
# --------------------------------------------------------------------------------------


def test_old_binary_xls_is_read(tmp_path, capsys, unit_folder, corpus):
    folder, xls = folder_with(tmp_path, unit_folder, corpus, "old_xls")
    code, data, printed = consolidate(tmp_path, capsys, folder)
    assert entry(data, xls) == {"file": str(xls), "sheet": "Báo cáo", "unit": TU_PHAP, "status": "ok", "error": ""}
    assert data["totals"] == sums_without() and data["missing"] == []


def test_sheet_without_a_table(tmp_path, capsys, unit_folder, corpus):
    run_refused(tmp_path, capsys, unit_folder, corpus, "no_table", "Không tìm thấy bảng số liệu", "hàng đánh số cột", "đúng mẫu biểu")


def test_table_of_an_unknown_layout(tmp_path, capsys, unit_folder, corpus):
    run_refused(tmp_path, capsys, unit_folder, corpus, "unknown_layout", "9 cột đánh số", "không khớp mẫu biểu nào", "mau-a: 14 cột", "đúng mẫu biểu")


def finding(data: dict, rule: str, column_text: str) -> dict:
    found = [f for f in data["findings"] if f["rule"] == rule and column_text in f["message"] and f["unit"] == TU_PHAP]
    assert len(found) == 1, [f["message"] for f in data["findings"]]
    return found[0]


def test_decimals_and_negatives_are_findings(tmp_path, capsys, unit_folder, corpus):
    folder, bad = folder_with(tmp_path, unit_folder, corpus, "decimals_and_negatives")
    code, data, _ = consolidate(tmp_path, capsys, folder)
    assert entry(data, bad)["status"] == "ok"
    online, returned = finding(data, "số nguyên ≥ 0", "cột 14"), finding(data, "số nguyên ≥ 0", "cột 13")
    assert "N20" in online["message"] and "M20" in returned["message"]  # the master's cells, traced to the unit's
    assert online["source"] == {"file": str(bad), "sheet": "Báo cáo", "cell": "N5"}
    assert returned["source"] == {"file": str(bad), "sheet": "Báo cáo", "cell": "M5"}
    assert data["totals"] == sums_without(c14=-0.5, c13=-3)


def test_a_date_in_a_count_cell_is_a_finding_not_a_number(tmp_path, capsys, unit_folder, corpus):
    folder, bad = folder_with(tmp_path, unit_folder, corpus, "date_in_a_count")
    _, data, _ = consolidate(tmp_path, capsys, folder)
    found = finding(data, "số nguyên ≥ 0", "cột 8")
    assert "03/10/2019" in found["message"] and "ngày giờ" in found["message"] and "không đọc được" in found["message"]
    assert found["source"]["cell"] == "H5" and Path(found["source"]["file"]).name == bad.name


def test_ref_error_is_a_finding_not_zero(tmp_path, capsys, unit_folder, corpus):
    folder, bad = folder_with(tmp_path, unit_folder, corpus, "ref_error")
    _, data, _ = consolidate(tmp_path, capsys, folder)
    found = finding(data, "số nguyên ≥ 0", "cột 9")
    assert "“#REF!”" in found["message"] and found["source"]["cell"] == "I5"
    assert data["totals"]["9"] == soctrang.COLUMN_SUMS[9] - 12  # left out, not added as 0 silently: flagged


def test_formula_without_a_stored_result_is_recomputed_from_the_table(tmp_path, capsys, unit_folder, corpus):
    folder, bad = folder_with(tmp_path, unit_folder, corpus, "formula_without_result")
    _, data, printed = consolidate(tmp_path, capsys, folder)
    assert f"Tệp {bad.name} có 1 ô công thức mà kết quả lưu trong tệp không tin được" in printed and "đã tính lại" in printed
    assert data["totals"] == sums_without()  # =F5-H5-I5 = 617 - 0 - 12 = 605, Sở Tư pháp's own figure
    checked = read_file(bad, load_layouts(), units=load_units("soc-trang-so-nganh"))
    cell = checked.tables[0].rows[0].cells[7]
    assert cell.value == 605 and cell.raw.formula == "F5-H5-I5"


def test_a_formula_that_cannot_be_recomputed_is_a_finding_to_save_in_excel(tmp_path, capsys, unit_folder):
    def change(ws):
        ws.cell(bad_inputs.UNIT_ROW, 7, f"=VLOOKUP(B{bad_inputs.UNIT_ROW},'T9'!A1:N20,7,0)")

    folder = tmp_path / "don-vi"
    shutil.copytree(unit_folder, folder)
    (folder / "12_so-tu-phap.xlsx").unlink()
    bad = bad_inputs.unit_workbook(folder / "so-tu-phap-vlookup.xlsx", change=change)
    _, data, printed = consolidate(tmp_path, capsys, folder)
    found = finding(data, "số nguyên ≥ 0", "cột 7")
    assert "=VLOOKUP(" in found["message"] and "chưa được tính" in found["message"]
    assert "mở tệp bằng Excel, bấm Lưu" in found["message"] and found["source"]["cell"] == "G5"
    assert f"Tệp {bad.name} có 1 ô công thức chưa được tính (G5)" in printed
    assert data["totals"]["7"] == soctrang.COLUMN_SUMS[7] - 605


def test_unit_names_that_look_like_formulas_are_reported_as_text(tmp_path, capsys, unit_folder, corpus):
    folder, bad = folder_with(tmp_path, unit_folder, corpus, "formula_injection")
    _, data, _ = consolidate(tmp_path, capsys, folder)
    unknown = [f for f in data["findings"] if f["rule"] == "không có trong danh sách"]
    assert [f["unit"] for f in unknown] == bad_inputs.INJECTED_NAMES
    assert all(bad.name in f["message"] and "bi_danh" in f["message"] for f in unknown)
    assert data["totals"] == sums_without()


def test_million_rows_below_the_table_in_bounded_time_and_memory(tmp_path, unit_folder, corpus):
    folder, bad = folder_with(tmp_path, unit_folder, corpus, "million_rows")
    out = tmp_path / "out"
    out.mkdir()
    probe = (
        "import json, resource, sys, time\n"
        "from tthc_xl.cli.app import main\n"
        "start = time.perf_counter()\n"
        f"code = main(['consolidate', {str(folder)!r}, '-o', {str(out / 'tong-hop.xlsx')!r}, '--units', 'soc-trang-so-nganh', "
        f"'--json', {str(out / 'ket-qua.json')!r}])\n"
        "print(json.dumps({'code': code, 'seconds': time.perf_counter() - start, "
        "'peak_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}), file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, cwd=ROOT)
    measured = json.loads(done.stderr.strip().splitlines()[-1])
    assert measured["seconds"] < 15 and measured["peak_mb"] < 400, measured
    data = json.loads((out / "ket-qua.json").read_text(encoding="utf-8"))
    assert entry(data, bad)["status"] == "ok" and entry(data, bad)["unit"] == TU_PHAP
    assert data["totals"] == sums_without() and data["missing"] == []
    assert f"dài quá {format_number(MAX_SHEET_ROWS)} dòng" in done.stdout


def test_hidden_sheet_with_an_old_table_is_skipped_with_a_note(tmp_path, capsys, unit_folder, corpus):
    folder, bad = folder_with(tmp_path, unit_folder, corpus, "hidden_sheet")
    _, data, printed = consolidate(tmp_path, capsys, folder)
    assert entry(data, bad)["sheet"] == "T10" and entry(data, bad)["status"] == "ok"
    assert data["totals"] == sums_without()  # this month's figures, not the hidden sheet's
    assert f"Bỏ qua trang ẩn “T9” trong tệp {bad.name}" in printed and "bỏ ẩn trang" in printed


def test_two_tables_of_one_unit_in_a_sheet_are_refused(tmp_path, capsys, unit_folder, corpus):
    run_refused(tmp_path, capsys, unit_folder, corpus, "two_tables_same_unit", "hai bảng số liệu", "dòng 4 và 11", TU_PHAP, "xóa bảng cũ")


def test_two_tables_of_two_units_in_a_sheet_are_both_read(tmp_path, capsys, unit_folder, corpus):
    folder, bad = folder_with(tmp_path, unit_folder, corpus, "two_tables_two_units")
    _, data, printed = consolidate(tmp_path, capsys, folder)
    entries = [s for s in data["sources"] if Path(s["file"]).name == bad.name]
    assert [(s["unit"], s["status"]) for s in entries] == [("Sở Tài nguyên và Môi trường", "ok"), (TU_PHAP, "ok")]
    assert data["totals"] == sums_without() and data["missing"] == []
    assert "có 2 bảng số liệu (hàng đánh số cột ở dòng 4 và 11)" in printed


def test_excel_lock_file_is_skipped_in_a_folder_and_named_when_given(tmp_path, capsys, unit_folder, corpus):
    folder, lock = folder_with(tmp_path, unit_folder, corpus, "lock_file")
    assert lock.stat().st_size == 165
    code, data, printed = consolidate(tmp_path, capsys, folder)
    assert not any("~$" in s["file"] for s in data["sources"]) and "~$" not in printed
    assert data["totals"] == sums_without()
    code, data, printed = consolidate(tmp_path, capsys, folder, lock)
    message = refused(data, lock, "tệp khóa của Excel", "12_so-tu-phap.xlsx")
    assert message in printed and data["totals"] == sums_without()


def test_the_same_unit_in_two_files(tmp_path, capsys, unit_folder, corpus):
    folder, copy = folder_with(tmp_path, unit_folder, corpus, "same_unit_twice")
    _, data, _ = consolidate(tmp_path, capsys, folder)
    twice = [f for f in data["findings"] if f["rule"] == "trùng đơn vị"]
    assert len(twice) == 1 and copy.name in twice[0]["message"] and "12_so-tu-phap.xlsx" in twice[0]["message"]
    assert data["totals"] == sums_without()


# --------------------------------------------------------------------------------------
# The whole corpus at once
# --------------------------------------------------------------------------------------


def fingerprints(folder: Path) -> dict[str, tuple[str, int]]:
    return {p.name: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns) for p in folder.iterdir() if p.is_file()}


def test_whole_corpus_beside_the_good_files_no_traceback_and_no_file_touched(tmp_path, unit_folder, corpus):
    folder = tmp_path / "tat-ca"
    shutil.copytree(unit_folder, folder)
    for path in corpus.iterdir():
        shutil.copy2(path, folder / path.name)
    before = fingerprints(folder)
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "tthc_xl.cli.app", "consolidate", str(folder), "-o", str(tmp_path / "tong-hop.xlsx"),
         "--units", "soc-trang-so-nganh", "--json", str(tmp_path / "ket-qua.json")],
        capture_output=True, text=True, timeout=120, cwd=ROOT,
    )
    assert time.perf_counter() - start < 30
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert fingerprints(folder) == before  # unit files are only ever read
    data = json.loads((tmp_path / "ket-qua.json").read_text(encoding="utf-8"))
    names = {Path(s["file"]).name for s in data["sources"]}
    assert names == {p.name for p in folder.iterdir()} - {"~$12_so-tu-phap.xlsx"}
    refused_files = {Path(s["file"]).name for s in data["sources"] if s["status"] == "lỗi"}
    assert refused_files == {
        "rong.xlsx", "bao-cao-pdf.xlsx", "ghi-chu.xlsx", "xuat-tu-phan-mem.xls", "van-ban-word.xlsx", "tai-do-dang.xlsx",
        "bom-nen.xlsx", "thuc-the-long-nhau.xlsx", "thuc-the-ngoai.xlsx", "co-mat-khau.xlsx", "khong-co-bang.xlsx",
        "mau-la.xlsx", "so-tu-phap-hai-bang.xlsx", "so-tu-phap-chuoi-ky-tu.xlsx", "so-tu-phap-thieu-ket-thuc.ods",
        "so-tu-phap-cat-cut.ods", "lap-lai.ods", "thuc-the-utf16.xlsx",
    }
    assert all(re.search(r"[ạảãáàâấầẩẫậăắằẳẵặẹẻẽéèêếềểễệịỉĩíìọỏõóòôốồổỗộơớờởỡợụủũúùưứừửữựỵỷỹýỳđ]", s["error"]) for s in data["sources"] if s["error"])
    assert data["totals"]["3"] >= soctrang.COLUMN_SUMS[3]  # the good units are all there


def test_unit_files_are_never_opened_for_writing(tmp_path, unit_folder, corpus, monkeypatch):
    """Reading the corpus opens every file read-only (the reader's own `open` calls, watched)."""
    import builtins

    modes = []
    real_open = builtins.open

    def watching(file, mode="r", *args, **kwargs):
        if str(file).startswith(str(corpus)):
            modes.append((Path(file).name, mode))
        return real_open(file, mode, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", watching)
    layouts = load_layouts()
    for path in sorted(corpus.iterdir()):
        read_file(path, layouts)
    assert modes and all(mode in ("r", "rb") for _, mode in modes), modes
    assert os.access(corpus, os.R_OK)


def test_error_values_in_xls_and_ods_files_are_findings_not_zero(tmp_path):
    """calamine reads error cells of every format as blank; the reader finds them in .xls and .ods too."""
    import office

    def change(ws):
        ws.cell(bad_inputs.UNIT_ROW, 8, "#REF!")
        ws.cell(bad_inputs.UNIT_ROW, 9, "=1/0")

    source = bad_inputs.unit_workbook(tmp_path / "so-tu-phap-loi.xlsx", change=change)
    layouts = load_layouts()
    for target in ("xls:MS Excel 97", "ods"):
        converted = office.convert(source, target, tmp_path / target.split(":")[0])
        result = read_file(converted, layouts)
        [row] = result.tables[0].rows
        assert (row.cells[8].value, row.cells[8].raw, row.cells[8].ref) == (None, "#REF!", "H5"), converted.name
        assert (row.cells[9].value, row.cells[9].raw, row.cells[9].ref) == (None, "#DIV/0!", "I5"), converted.name
        assert row.cells[7].value == 605


# --------------------------------------------------------------------------------------
# Files that stop a native parser: refused from the bytes, and bounded by the worker if not
# --------------------------------------------------------------------------------------

CALAMINE = "import python_calamine, resource, sys\n" \
    "resource.setrlimit(resource.RLIMIT_AS, (2**31, 2**31))\n" \
    "book = python_calamine.CalamineWorkbook.from_path(sys.argv[1])\n" \
    "[book.get_sheet_by_name(n).to_python() for n in book.sheet_names]\n"


def calamine_alone(path: Path, seconds: float = 5):
    """What calamine does with the file in a process of its own: its return code, or "loops"."""
    try:
        done = subprocess.run([sys.executable, "-c", CALAMINE, str(path)], capture_output=True, timeout=seconds)
    except subprocess.TimeoutExpired:
        return "loops"
    return done.returncode


@pytest.mark.parametrize("name, calamine, words", [
    ("shared_strings_count_abort", -6, ("4.294.967.295 chuỗi ký tự", "độc hại", "gửi lại")),
    ("ods_table_never_closed", "loops", ("cắt cụt hoặc thiếu phần kết thúc", "gửi lại")),
    ("ods_cut_short", "loops", ("cắt cụt hoặc thiếu phần kết thúc", "gửi lại")),
    ("ods_repeat_bomb", -6, ("100.000.000 ô", "độc hại", "xóa các dòng")),
])
def test_a_file_that_stops_calamine_costs_that_file_only(tmp_path, capsys, unit_folder, corpus, name, calamine, words):
    assert calamine_alone(written(corpus, name), 5 if calamine == "loops" else 60) == calamine  # the case is real: abort (SIGABRT) or endless loop
    start = time.perf_counter()
    run_refused(tmp_path, capsys, unit_folder, corpus, name, *words)
    assert time.perf_counter() - start < 10


def test_workers_bound_what_the_screen_does_not_know(tmp_path, unit_folder, corpus, layouts, monkeypatch):
    """Without safe_open's screen, the abort, the loop and the bomb each cost their file; the good files are read,
    in this thread and from a server's worker thread alike (workers then start from a clean fork server)."""
    import threading

    from tthc_xl.files.workers import read_isolated

    monkeypatch.setenv("TTHC_XL_FILE_SECONDS", "3")
    monkeypatch.setenv("TTHC_XL_MEMORY_MB", "1024")
    bad = [written(corpus, n) for n in ("shared_strings_count_abort", "ods_table_never_closed", "ods_repeat_bomb")]
    good = sorted(unit_folder.iterdir())
    files = good[:5] + bad[:1] + good[5:10] + bad[1:] + good[10:]
    outcomes = {}

    def read(where):
        start = time.perf_counter()
        outcomes[where] = (read_isolated(files, layouts, None, None, jobs=2, reader=bad_inputs.read_unscreened), time.perf_counter() - start)

    read("main")
    thread = threading.Thread(target=read, args=("thread",))
    thread.start()
    thread.join(60)
    for where, (results, seconds) in outcomes.items():
        by_name = {Path(r.file).name: r for r in results}
        assert [Path(r.file).name for r in results] == [f.name for f in files]
        assert "dừng đột ngột" in by_name[bad[0].name].error and "dừng đột ngột" in by_name[bad[2].name].error
        assert "đọc quá 3 giây" in by_name[bad[1].name].error
        assert all(not by_name[f.name].error and by_name[f.name].tables for f in good), where
        assert seconds < 20, where
    assert set(outcomes) == {"main", "thread"}


def slow_reader(path, layouts, form, units):
    """read_file, a quarter of a second a file; a file named treo.xlsx never ends (a reader stuck in native code)."""
    time.sleep(0.25)
    while path.name == "treo.xlsx":
        time.sleep(1)
    return read_file(path, layouts, form, units)


def test_in_a_batch_each_file_has_its_own_time_limit_and_a_stuck_file_costs_only_itself(tmp_path, unit_folder, layouts, monkeypatch):
    """A worker answers a whole batch at once: the time limit still counts from the start of each file (16 files
    of 0,25 s in one batch do not overrun 1 s), the file it is stuck on is the one refused, and the files of
    the batch read before it but not yet answered are read again."""
    from tthc_xl.files.workers import read_isolated

    monkeypatch.setenv("TTHC_XL_FILE_SECONDS", "1")
    good = sorted(unit_folder.iterdir())
    stuck = tmp_path / "treo.xlsx"
    shutil.copy(good[0], stuck)
    files = good[:6] + [stuck] + good[6:]
    results = read_isolated(files, layouts, None, None, jobs=1, reader=slow_reader)
    assert [Path(r.file).name for r in results] == [f.name for f in files]
    assert "đọc quá 1 giây" in results[6].error and results[6].tables == []
    assert all(not r.error and r.tables for i, r in enumerate(results) if i != 6)
    assert results[:6] + results[7:] == [read_file(f, layouts) for f in good]


# --------------------------------------------------------------------------------------
# Never a silently wrong total
# --------------------------------------------------------------------------------------

GOOD_SUMS = {str(n): v for n, v in soctrang.COLUMN_SUMS.items()}


def run_case(tmp_path, capsys, unit_folder, corpus, name, units=True):
    folder, bad = folder_with(tmp_path, unit_folder, corpus, name)
    code, data, printed = consolidate(tmp_path, capsys, folder, units=units)
    assert "Traceback" not in printed
    return code, data, printed, bad


def test_a_blank_spacer_row_does_not_end_the_table(tmp_path, capsys, unit_folder, corpus):
    code, data, printed, bad = run_case(tmp_path, capsys, unit_folder, corpus, "spacer_row_in_appendix")
    assert data["missing"] == [] and data["totals"] == GOOD_SUMS and data["totals"]["3"] == 5661
    assert entry(data, bad)["status"] == "ok"
    assert not [f for f in data["findings"] if f["rule"] == "tổng cộng"]  # the file's own total row was read and agrees


def test_units_named_tong_cong_ty_are_units_not_total_rows(tmp_path, capsys):
    folder = tmp_path / "don-vi"
    folder.mkdir()
    path = folder / "doanh-nghiep.xlsx"
    wb = bad_inputs.Workbook()
    ws = wb.active
    rows = [("Tổng công ty Điện lực TP.HCM (EVNHCMC)", [30, 10, 20, 25, 20, 5, 0, 5, 5, 0, 0, 12]),
            ("Tổng công ty Cấp nước Sài Gòn (SAWACO)", [12, 2, 10, 10, 10, 0, 0, 2, 2, 0, 0, 6]),
            ("Tổng cục Thuế", [1, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0, 1])]
    first = bad_inputs.write_table(ws, rows)
    ws.cell(first + 3, 2, "Tổng cộng")
    for c in range(3, 15):
        ws.cell(first + 3, c, sum(values[c - 3] for _, values in rows))
    wb.save(path)
    code, data, printed = consolidate(tmp_path, capsys, folder, units=False)
    assert data["totals"]["3"] == 43 and data["totals"]["14"] == 19  # all three units counted, the total row not
    assert [s["unit"] for s in data["sources"]] == [""]  # three units in the one file
    assert not [f for f in data["findings"] if f["rule"] == "tổng cộng"]  # the file's own total agrees with its three units


def test_hidden_rows_are_read_and_flagged(tmp_path, capsys, unit_folder, corpus):
    code, data, printed, bad = run_case(tmp_path, capsys, unit_folder, corpus, "hidden_stale_row")
    hidden = [f for f in data["findings"] if f["rule"] == "dòng bị ẩn"]
    assert len(hidden) == 1 and hidden[0]["cell"] == "B6" and "Công an tỉnh" in hidden[0]["message"]
    assert "đang bị ẩn" in hidden[0]["message"] and bad.name in hidden[0]["message"] and code == 1
    # the hidden row is not dropped: it is a second report of Công an tỉnh, and said so
    assert any(f["rule"] == "trùng đơn vị" and f["unit"] == "Công an tỉnh" for f in data["findings"])


def test_rows_hidden_by_an_autofilter_are_read_and_flagged(tmp_path, capsys, unit_folder, corpus):
    code, data, printed, bad = run_case(tmp_path, capsys, unit_folder, corpus, "autofiltered_rows")
    assert data["totals"] == GOOD_SUMS and data["missing"] == []  # the filtered-out row is not dropped
    hidden = [f for f in data["findings"] if f["rule"] == "dòng bị ẩn"]
    assert [(f["unit"], f["cell"]) for f in hidden] == [("Sở Tư pháp", "B6")]


def test_formula_results_stored_as_zero_are_recomputed(tmp_path, capsys, unit_folder, corpus):
    written_file = written(corpus, "xlsxwriter_formulas")
    cells = read_file(written_file, load_layouts()).tables  # what calamine alone reads: 0
    import python_calamine

    raw = python_calamine.CalamineWorkbook.from_path(str(written_file)).get_sheet_by_index(0).to_python()
    assert raw[bad_inputs.UNIT_ROW - 1][2] == 0  # XlsxWriter stored 0 as the result of =D5+E5
    assert cells[0].rows[0].cells[3].value == 845 and cells[0].rows[0].cells[6].value == 617 and cells[0].rows[0].cells[10].value == 228
    code, data, printed, bad = run_case(tmp_path, capsys, unit_folder, corpus, "xlsxwriter_formulas")
    assert data["totals"] == GOOD_SUMS
    assert f"Tệp {bad.name} có 3 ô công thức mà kết quả lưu trong tệp không tin được" in printed


def test_ods_formulas_without_results_are_recomputed(tmp_path, capsys, unit_folder, corpus):
    code, data, printed, bad = run_case(tmp_path, capsys, unit_folder, corpus, "ods_formulas_without_results")
    assert data["totals"] == GOOD_SUMS
    assert f"Tệp {bad.name} có 2 ô công thức" in printed


def test_ambiguous_number_text_is_a_finding_showing_what_was_typed(tmp_path, capsys, unit_folder, corpus):
    code, data, printed, bad = run_case(tmp_path, capsys, unit_folder, corpus, "ambiguous_number_text")
    unreadable = {f["cell"]: f["message"] for f in data["findings"] if f["rule"] == "số nguyên ≥ 0" and "Giao thông" in f["unit"]}
    for typed in ("“2,165”", "“(84)”"):
        assert any(typed in m for m in unreadable.values()), (typed, unreadable)
    assert "2,71" not in printed.replace("2,708", "")
    assert "ghi số có dấu phẩy (C5 “2,708”, E5 “2,165”, F5 “1,583”)" in printed and "không rõ là số nghìn theo kiểu nước ngoài" in printed
    for n, typed in ((5, 2165), (14, 84)):
        assert data["totals"][str(n)] == soctrang.COLUMN_SUMS[n] - typed  # not 2 or 0: left out, and said so
    assert data["totals"]["3"] == soctrang.COLUMN_SUMS[3] - 2165  # the master's 3 = 4 + 5


def test_a_figure_with_more_digits_than_a_number_holds_is_a_finding_showing_what_was_typed(tmp_path, capsys, unit_folder, corpus):
    folder, bad = folder_with(tmp_path, unit_folder, corpus, "too_many_digits")
    code, data, printed = consolidate(tmp_path, capsys, folder)
    assert code == 1 and "Traceback" not in printed and entry(data, bad)["status"] == "ok"
    online, returned = finding(data, "số nguyên ≥ 0", "cột 14"), finding(data, "số nguyên ≥ 0", "cột 13")
    assert "“1" + "0" * 400 + "”" in online["message"] and "“" + "9" * 30 + "”" in returned["message"]
    assert "không đọc được" in online["message"] and online["source"]["cell"] == "N5"
    assert data["totals"] == sums_without(c14=-23)  # Sở Tư pháp's two cells left out (its 13 was 0), and said so


# --------------------------------------------------------------------------------------
# Names typed in old font encodings, and characters nobody can see
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name, typed, unit, encoding", [
    ("tcvn3_unit_name", "Së T\xad ph¸p", "Sở Tư pháp", "TCVN3 (phông chữ .VnTime)"),
    ("vni_unit_name", "Sôû Taøi nguyeân vaø Moâi tröôøng", "Sở Tài nguyên và Môi trường", "VNI (phông chữ VNI-Times)"),
])
def test_names_in_old_font_encodings_are_recognised_and_said_so(tmp_path, capsys, unit_folder, corpus, name, typed, unit, encoding):
    code, data, printed, bad = run_case(tmp_path, capsys, unit_folder, corpus, name)
    assert data["missing"] == [] and data["totals"] == GOOD_SUMS
    [old] = [f for f in data["findings"] if f["rule"] == "bảng mã cũ"]
    assert old["unit"] == unit and f"“{typed}”" in old["message"] and encoding in old["message"] and bad.name in old["message"]
    assert old["severity"] == "warning" and entry(data, bad)["unit"] == unit


def test_invisible_characters_in_a_name_are_named(tmp_path, capsys, unit_folder, corpus):
    code, data, printed, bad = run_case(tmp_path, capsys, unit_folder, corpus, "invisible_characters_in_a_name")
    [unknown] = [f for f in data["findings"] if f["rule"] == "không có trong danh sách"]
    assert "ZERO WIDTH SPACE (U+200B)" in unknown["message"] and "hãy gõ lại tên" in unknown["message"]
    assert data["missing"] == ["Công an tỉnh"] and code == 1


def test_stored_results_are_kept_when_the_writer_stores_real_ones(tmp_path, layouts):
    """fullCalcOnLoad with real results stored (a program that computes): a formula beyond simple arithmetic keeps its figure."""
    path = bad_inputs.xlsxwriter_unit_file(tmp_path / "tinh-san.xlsx", formulas={
        3: ("=D5+E5", 845), 7: ("=VLOOKUP(B5,'T9'!A1:N20,7,0)", 605)})
    [row] = read_file(path, layouts).tables[0].rows
    assert (row.cells[3].value, row.cells[7].value) == (845, 605)
    zeros = bad_inputs.xlsxwriter_unit_file(tmp_path / "so-0.xlsx", formulas={3: "=D5+E5", 7: "=VLOOKUP(B5,'T9'!A1:N20,7,0)"})
    [row] = read_file(zeros, layouts).tables[0].rows
    assert row.cells[3].value == 845 and row.cells[7].value is None and "chưa được tính" in row.cells[7].raw


def test_a_sheet_that_writes_english_thousands_settles_what_2_000_means(tmp_path, layouts):
    """A file whose own figures are written 1,234,567 (and never 1.234 or 68,75) writes thousands with commas."""
    def change(ws):
        ws.cell(bad_inputs.UNIT_ROW, 3, "2,708")
        ws.cell(bad_inputs.UNIT_ROW, 5, "2,165")
        ws.cell(bad_inputs.UNIT_ROW + 2, 2, "Dân số: 1,234,567")
        ws.cell(bad_inputs.UNIT_ROW + 2, 3, "1,234,567")

    path = bad_inputs.unit_workbook(tmp_path / "so-giao-thong-en.xlsx", index=bad_inputs.GIAO_THONG, change=change)
    [row] = read_file(path, layouts).tables[0].rows  # the line under the table, after a blank row, is not a unit
    assert (row.cells[3].value, row.cells[5].value) == (2708, 2165)
