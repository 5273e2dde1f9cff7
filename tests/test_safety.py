"""Nothing lost, text stays text: the master survives a killed run, an open Excel, a read-only file; the
previous master is kept as a dated backup; unit names never become formulas; links point only home."""

import csv
import hashlib
import html
import io
import json
import os
import re
import signal
import subprocess
import struct
import sys
import time
import zipfile
from pathlib import Path
from urllib.parse import unquote, urlparse

import openpyxl
import pytest

import bad_inputs
import soctrang

from tthc_xl.xlsx import render as render_xlsx
from tthc_xl.xlsx import saving
from tthc_xl.files import safe_open
from tthc_xl.files.sources import expand_sources
from tthc_xl.cli.app import main
from tthc_xl.core.layouts import load_layouts
from tthc_xl.files.locking import MasterNotWritable, check_master_writable
from tthc_xl.files.read import read_file

ROOT = Path(__file__).resolve().parent.parent
SHEET = "Phụ lục I"
BIG = 600  # units in the master a killed run writes (3 000 work too; rendering them takes 11-30 s)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def consolidate(sources, master: Path, *extra) -> int:
    return main(["consolidate", *map(str, sources), "-o", str(master), *extra])


@pytest.fixture
def master(unit_folder, tmp_path):
    """A master of the 16 Sóc Trăng units for September, in its own folder."""
    path = tmp_path / "out" / "tong-hop.xlsx"
    path.parent.mkdir()
    assert consolidate([unit_folder], path, "--units", "soc-trang-so-nganh", "--period", "tháng 9 năm 2019") == 1
    return path


def title(path: Path) -> str:
    return openpyxl.load_workbook(path)[SHEET]["A2"].value


def leftovers(folder: Path) -> list[Path]:
    return sorted(folder.glob(".tong-hop-*.xlsx"))


# --------------------------------------------------------------------------------------
# Backups
# --------------------------------------------------------------------------------------


def test_previous_master_is_kept_as_a_dated_backup(unit_folder, master):
    before = master.read_bytes()
    saved_at = time.strftime("%Y-%m-%dT%H%M", time.localtime(master.stat().st_mtime))
    assert consolidate([unit_folder], master, "--period", "tháng 10 năm 2019") == 1
    assert "THÁNG 10 NĂM 2019" in title(master)
    kept = saving.backups(master)
    assert [p.name for p in kept] == [f"tong-hop-{saved_at}.xlsx"]
    assert kept[0].parent == master.parent / ".sao-luu" and kept[0].read_bytes() == before
    assert "THÁNG 9 NĂM 2019" in title(kept[0])
    # The backups folder and the backups are never read as unit reports.
    assert expand_sources([master.parent]) == [master]


def test_backups_keep_the_last_ten_and_never_the_same_bytes_twice(tmp_path):
    path = tmp_path / "tong-hop.xlsx"
    for day in range(1, 13):
        path.write_bytes(f"version {day}".encode())
        stamp = time.mktime((2026, 11, day, 9, 5, 0, 0, 0, -1))
        os.utime(path, (stamp, stamp))
        saving.back_up(path)
    assert saving.back_up(path) == saving.backups(path)[-1]  # unchanged: not kept twice
    (path.parent / ".sao-luu" / "ghi-chu-cua-chuyen-vien.txt").write_text("giữ lại", encoding="utf-8")
    saving.prune_backups(path)
    kept = saving.backups(path)
    assert [p.name for p in kept] == [f"tong-hop-2026-11-{day:02d}T0905.xlsx" for day in range(3, 13)]
    assert [p.read_text() for p in kept] == [f"version {day}" for day in range(3, 13)]
    assert (path.parent / ".sao-luu" / "ghi-chu-cua-chuyen-vien.txt").exists()  # only backups are pruned
    # Two versions saved in the same minute: the second gets "-2" and sorts after the first.
    path.write_bytes(b"version 12 bis")
    os.utime(path, (stamp, stamp))
    second = saving.back_up(path)
    assert second.name == "tong-hop-2026-11-12T0905-2.xlsx" and saving.backups(path)[-1] == second


def test_the_new_master_keeps_the_old_ones_permissions(unit_folder, master):
    os.chmod(master, 0o640)
    consolidate([unit_folder], master)
    assert master.stat().st_mode & 0o777 == 0o640


# --------------------------------------------------------------------------------------
# A run killed while writing
# --------------------------------------------------------------------------------------


def write_big_appendix(folder: Path) -> tuple[Path, Path]:
    """A CSV appendix of BIG consistent units, and the unit list naming them."""
    appendix, units = folder / "phu-luc-lon.csv", folder / "don-vi-lon.csv"
    with open(appendix, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(soctrang.FLAT_HEADER)
        writer.writerow(["", *soctrang.NUMBER_ROW[1:]])
        for i in range(1, BIG + 1):
            early, late, within, overdue = i % 7, i % 3, i % 5, i % 2
            resolved, pending = early + late, within + overdue
            received = resolved + pending
            carried = received // 2
            writer.writerow([i, f"Đơn vị thử {i:04d}", received, carried, received - carried, resolved, early, 0, late,
                             pending, within, overdue, 0, 0])
    with open(units, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["nhom", "ten", "bi_danh"])
        writer.writerows([["Cấp xã", f"Đơn vị thử {i:04d}", ""] for i in range(1, BIG + 1)])
    return appendix, units


def test_a_run_killed_while_writing_leaves_the_old_master_whole(unit_folder, master, tmp_path):
    old = digest(master)
    appendix, units = write_big_appendix(tmp_path)
    script = (
        "from tthc_xl.cli.app import main\n"
        f"main(['consolidate', {str(appendix)!r}, '--units', {str(units)!r}, '--period', 'tháng 10 năm 2019', '-o', {str(master)!r}])\n"
    )
    process = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 180
    caught = []
    while process.poll() is None and time.monotonic() < deadline:
        caught = leftovers(master.parent)
        if caught:
            os.kill(process.pid, signal.SIGKILL)
            break
        time.sleep(0.002)
    process.wait(timeout=30)
    assert caught, f"the run ended before writing: {process.stderr.read().decode()}"
    assert process.returncode == -signal.SIGKILL
    # The master is the September one, byte for byte, and opens.
    assert digest(master) == old
    book = openpyxl.load_workbook(master)
    assert "THÁNG 9 NĂM 2019" in book[SHEET]["A2"].value
    assert book[SHEET]["B9"].value == "Sở Thông tin và Truyền thông"
    # The unfinished temporary file is never taken for a unit report …
    assert leftovers(master.parent) and not set(leftovers(master.parent)) & set(expand_sources([master.parent]))
    # … and the next run removes it (its process is dead) and writes the master.
    assert consolidate([unit_folder], master, "--period", "tháng 10 năm 2019") == 1
    assert leftovers(master.parent) == []
    assert "THÁNG 10 NĂM 2019" in title(master)
    assert [title(p) for p in saving.backups(master)] == [book[SHEET]["A2"].value]


def test_a_temporary_file_of_a_live_run_is_left_alone(master):
    live = master.parent / f".tong-hop-{os.getppid()}-abcd1234.xlsx"
    dead_pid = max(int(p) for p in os.listdir("/proc") if p.isdigit()) + 10_000
    dead = master.parent / f".tong-hop-{dead_pid}-abcd1234.xlsx"
    clerks = master.parent / ".tong-hop-ban-nhap.xlsx"  # not one of ours: no process id
    for path in (live, dead, clerks):
        path.write_bytes(b"")
    assert saving.remove_stale_temporaries(master) == [dead]
    assert live.exists() and clerks.exists() and not dead.exists()


# --------------------------------------------------------------------------------------
# A master that cannot be written now
# --------------------------------------------------------------------------------------


def run_cli(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tthc_xl.cli.app", *map(str, args)], capture_output=True, text=True, timeout=120, cwd=ROOT)


def untouched(master: Path):
    return digest(master), master.stat().st_mtime_ns, sorted(p.name for p in master.parent.iterdir())


def test_master_open_in_excel_is_refused_with_a_message(unit_folder, master):
    (master.parent / "~$tong-hop.xlsx").write_bytes(b"\x0achuyenvien".ljust(165, b" "))
    before = untouched(master)
    done = run_cli("consolidate", unit_folder, "-o", master, "--units", "soc-trang-so-nganh")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "Bảng tổng hợp tong-hop.xlsx đang mở trong Excel: hãy đóng tệp rồi chạy lại." in done.stderr
    assert untouched(master) == before  # no temporary file, no backup, nothing rewritten
    done = run_cli("new-master", "--form", "mau-a", "-o", master)
    assert done.returncode == 2 and "đang mở trong Excel" in done.stderr and untouched(master) == before


def test_read_only_master_is_refused_with_a_message(unit_folder, master):
    os.chmod(master, 0o444)
    before = untouched(master)
    done = run_cli("consolidate", unit_folder, "-o", master)
    os.chmod(master, 0o644)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "Bảng tổng hợp tong-hop.xlsx đang đặt chế độ chỉ đọc (Read-only)" in done.stderr
    assert untouched(master) == before


def test_folder_that_refuses_files_is_a_message(unit_folder, master, monkeypatch, capsys):
    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    before = untouched(master)
    monkeypatch.setattr(saving.tempfile, "mkstemp", refuse)
    assert consolidate([unit_folder], master) == 2
    err = capsys.readouterr().err
    assert "Không ghi được bảng tổng hợp tong-hop.xlsx vào thư mục" in err and "không có quyền ghi" in err
    assert untouched(master) == before


def test_master_locked_between_check_and_rename_is_a_message(unit_folder, master, monkeypatch, capsys):
    """Windows: Excel opens the master while the run writes; the rename is refused and the old master stays."""

    def locked(*args, **kwargs):
        raise PermissionError(13, "The process cannot access the file because it is being used by another process")

    before = digest(master)
    monkeypatch.setattr(saving.os, "replace", locked)
    assert consolidate([unit_folder], master) == 2
    assert "đang mở trong Excel: hãy đóng tệp rồi chạy lại" in capsys.readouterr().err
    assert digest(master) == before and leftovers(master.parent) == []


def test_a_full_disk_leaves_the_old_master_and_no_temporary_file(unit_folder, master, monkeypatch, capsys):
    def full(fd):
        raise OSError(28, "No space left on device")

    before = digest(master)
    monkeypatch.setattr(saving.os, "fsync", full)
    assert consolidate([unit_folder], master) == 2
    err = capsys.readouterr().err
    assert "Không ghi được bảng tổng hợp tong-hop.xlsx (No space left on device); bảng tổng hợp cũ vẫn còn nguyên" in err
    assert digest(master) == before and leftovers(master.parent) == []


def test_missing_folder_is_a_message(unit_folder, tmp_path):
    with pytest.raises(MasterNotWritable, match="thư mục này không tồn tại"):
        check_master_writable(tmp_path / "khong-co" / "tong-hop.xlsx")


# --------------------------------------------------------------------------------------
# Text stays text; links point home
# --------------------------------------------------------------------------------------


def package_cells(path: Path) -> dict[str, dict[str, tuple[str, str | None, str | None]]]:
    """Sheet name → cell → (type, formula, text or value), read from the package's XML."""
    with zipfile.ZipFile(path) as archive:
        strings = [
            html.unescape("".join(re.findall(r"<t[^>]*>([^<]*)</t>", si)))
            for si in re.findall(r"<si>(.*?)</si>", archive.read("xl/sharedStrings.xml").decode(), re.S)
        ] if "xl/sharedStrings.xml" in archive.namelist() else []
        parts = render_xlsx._sheet_paths(archive)
        cells = {}
        for sheet, part in parts.items():
            found = {}
            for ref, attrs, body in re.findall(r'<c r="([A-Z]+\d+)"([^>]*?)(?:/>|>(.*?)</c>)', archive.read(part).decode(), re.S):
                kind = (re.search(r'\bt="(\w+)"', attrs) or [None, "n"])[1]
                formula = re.search(r"<f[^>]*>(.*?)</f>", body or "", re.S)
                value = re.search(r"<v>(.*?)</v>", body or "", re.S)
                inline = re.findall(r"<t[^>]*>([^<]*)</t>", body or "")
                text = strings[int(value[1])] if kind == "s" and value else html.unescape("".join(inline)) if inline else (value[1] if value else None)
                found[ref] = (kind, html.unescape(formula[1]) if formula else None, text)
            cells[sheet] = found
        return cells


def assert_literal_text(path: Path, names: list[str]) -> None:
    cells = package_cells(path)
    formulas = {f for sheet in cells.values() for _, f, _ in sheet.values() if f is not None}
    for name in names:
        where = [(sheet, ref, kind) for sheet, found in cells.items() for ref, (kind, f, text) in found.items() if text == name]
        assert where and all(kind in ("s", "inlineStr", "str") for _, _, kind in where), (name, where)
        assert name[1:] not in formulas and name not in formulas


def test_unit_names_that_look_like_formulas_stay_text_in_the_master_and_the_json(unit_folder, tmp_path, capsys):
    folder = tmp_path / "don-vi"
    folder.mkdir()
    bad_inputs.formula_injection(folder)
    master = tmp_path / "out" / "tong-hop.xlsx"
    master.parent.mkdir()
    # Without a unit list the names become the master's rows; run twice (the second run updates the master).
    for _ in range(2):
        assert consolidate([folder], master, "--json", str(tmp_path / "out" / "ket-qua.json")) == 0
        assert_literal_text(master, bad_inputs.INJECTED_NAMES)
    labels = [openpyxl.load_workbook(master)[SHEET].cell(r, 2) for r in range(9, 13)]
    assert [(c.value, c.data_type) for c in labels] == [(n, "s") for n in bad_inputs.INJECTED_NAMES]
    data = json.loads((tmp_path / "out" / "ket-qua.json").read_text(encoding="utf-8"))
    assert [s["unit"] for s in data["sources"]] == [""]  # four units in one file
    # With the Sóc Trăng list they are unknown units: named, as text, on the "Kiểm tra" sheet.
    both = tmp_path / "ca-hai"
    both.mkdir()
    for path in list(unit_folder.iterdir()) + list(folder.iterdir()):
        (both / path.name).write_bytes(path.read_bytes())
    second = tmp_path / "out2" / "tong-hop.xlsx"
    second.parent.mkdir()
    assert consolidate([both], second, "--units", "soc-trang-so-nganh", "--json", str(second.parent / "ket-qua.json")) == 1
    assert_literal_text(second, bad_inputs.INJECTED_NAMES)
    findings = json.loads((second.parent / "ket-qua.json").read_text(encoding="utf-8"))["findings"]
    assert [f["unit"] for f in findings if f["rule"] == "không có trong danh sách"] == bad_inputs.INJECTED_NAMES


def hyperlinks(path: Path) -> list[tuple[str, str, str]]:
    """(sheet, cell, target) of every hyperlink: targets of external ones, "#location" for internal ones."""
    found = []
    with zipfile.ZipFile(path) as archive:
        for sheet, part in render_xlsx._sheet_paths(archive).items():
            rels_part = part.replace("worksheets/", "worksheets/_rels/") + ".rels"
            rels = {}
            if rels_part in archive.namelist():
                for attrs in re.findall(r"<Relationship ([^>]*)/>", archive.read(rels_part).decode()):
                    fields = dict(re.findall(r'(\w+)="([^"]*)"', attrs))
                    rels[fields["Id"]] = html.unescape(fields["Target"])
            for attrs in re.findall(r"<hyperlink ([^>]*)/>", archive.read(part).decode()):
                fields = dict(re.findall(r'([\w:]+)="([^"]*)"', attrs))
                target = rels[fields["r:id"]] if "r:id" in fields else "#" + html.unescape(fields["location"])
                found.append((sheet, fields["ref"], target))
    return found


def test_every_link_in_the_master_points_at_its_own_cells_or_a_source_file(unit_folder, tmp_path):
    master = tmp_path / "tong-hop.xlsx"
    assert consolidate([unit_folder], master, "--units", "soc-trang-so-nganh", "--json", str(tmp_path / "k.json")) == 1
    sources = {Path(s["file"]).resolve() for s in json.loads((tmp_path / "k.json").read_text(encoding="utf-8"))["sources"]}
    sheets = openpyxl.load_workbook(master).sheetnames
    links = hyperlinks(master)
    assert len(links) >= 7 + 16  # a link per finding's cell and per finding's source, one per file read
    for sheet, ref, target in links:
        if target.startswith("#"):
            match = re.fullmatch(r"#'?(.+?)'?!\$?[A-Z]{1,3}\$?\d+", target)
            assert match and match[1].replace("''", "'") in sheets, target
        else:
            url = urlparse(target)
            assert url.scheme == "file" and url.netloc == "", target
            assert Path(unquote(url.path)).resolve() in sources, target


# --------------------------------------------------------------------------------------
# Packages read from memory: the same outcome as through zipfile, damaged or not
# --------------------------------------------------------------------------------------


def outcome(read, path: Path, data: bytes):
    try:
        opened = read(path, data)
    except Exception as exc:  # ReadError, and the few errors zipfile lets through
        return type(exc).__name__, str(exc)
    return opened.kind, opened.formulas, opened.errors, opened.trimmed, hashlib.sha256(opened.data).hexdigest()


def through_zipfile(path: Path, data: bytes) -> safe_open.Opened:
    archive = zipfile.ZipFile(io.BytesIO(data))
    infos = archive.infolist()
    safe_open._check_sizes(path.name, infos, len(data))
    return safe_open._examine(path.name, data, infos, safe_open._Zipped(archive, infos))


def open_package(path: Path, data: bytes) -> safe_open.Opened:
    """The route open_workbook takes for a zip package, before it words stray errors as broken-file messages."""
    return safe_open._open_package(path.name, data)


def in_memory(path: Path, data: bytes) -> safe_open.Opened:
    archive = zipfile.ZipFile(io.BytesIO(data))
    infos = archive.infolist()
    return safe_open._examine(path.name, data, infos, safe_open._InMemory(data, infos, archive.start_dir))


def rezipped(data: bytes, **options) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", **options) as target:
        for info in source.infolist():
            target.writestr(info.filename, source.read(info))
    return out.getvalue()


def test_unit_files_are_read_in_memory_as_zipfile_reads_them(unit_folder, tmp_path):
    for make in (bad_inputs.formula_without_result, bad_inputs.ref_error, bad_inputs.hidden_sheet, bad_inputs.external_entity):
        make(tmp_path)
    paths = [p for p in [*unit_folder.iterdir(), *tmp_path.iterdir()] if p.suffix in (".xlsx", ".ods")]
    assert len(paths) >= 14
    for path in paths:
        data = path.read_bytes()
        for variant in (data, rezipped(data, compression=zipfile.ZIP_STORED)):
            assert outcome(in_memory, path, variant) == outcome(through_zipfile, path, variant), path.name
            assert outcome(open_package, path, variant) == outcome(through_zipfile, path, variant), path.name


def test_a_damaged_part_gives_the_message_zipfile_gives(unit_folder):
    path = unit_folder / "12_so-tu-phap.xlsx"
    data = path.read_bytes()
    end = len(data) - 22
    size, offset = struct.unpack_from("<LL", data, end + 12)
    damaged = []
    pos = offset
    while pos < offset + size:
        name_length, extra_length, comment_length = struct.unpack_from("<HHH", data, pos + 28)
        header, packed = struct.unpack_from("<L", data, pos + 42)[0], struct.unpack_from("<L", data, pos + 20)[0]
        for at, flip in ((pos + 16, 1), (pos + 24, 1), (header, 1), (header + 30, 1), (header + 30 + name_length + packed // 2, 0x55)):
            if at < 4:
                continue  # the first bytes say what the file is: not a zip any more
            copy = bytearray(data)
            copy[at] ^= flip  # CRC, unpacked size, local signature, local name, deflate data
            damaged.append(bytes(copy))
        pos += 46 + name_length + extra_length + comment_length
    assert len(damaged) >= 40
    refused = 0
    for copy in damaged:
        expected = outcome(through_zipfile, path, copy)
        assert outcome(open_package, path, copy) == expected
        refused += expected[0] != "xlsx"
    assert refused >= 30  # most damage is caught, and worded as before


def test_any_damage_to_the_zip_directory_is_a_message_never_a_crash(unit_folder, tmp_path):
    path = unit_folder / "12_so-tu-phap.xlsx"
    data = path.read_bytes()
    offset = struct.unpack_from("<L", data, len(data) - 22 + 16)[0]
    layouts = load_layouts()
    target = tmp_path / path.name
    outcomes = set()
    for at in range(offset, len(data) - 22):  # every byte of the central directory, turned to 0xFF
        copy = bytearray(data)
        copy[at] = 0xFF
        target.write_bytes(bytes(copy))
        result = read_file(target, layouts)  # raises nothing
        assert result.tables or (path.name in result.error and result.error.endswith(".")), result.error
        outcomes.add("đọc được" if result.tables else result.error.split("(")[0])
    assert len(outcomes) >= 3  # read, refused as broken, refused for other reasons


ZIPINFO_FIELDS = ("filename", "orig_filename", "extra", "comment", "header_offset", "create_version", "create_system",
                  "extract_version", "reserved", "flag_bits", "compress_type", "CRC", "compress_size", "file_size",
                  "volume", "internal_attr", "external_attr", "date_time", "_raw_time")


def directory_by_zipfile(data: bytes):
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except Exception as exc:  # noqa: BLE001 - whatever zipfile raises, the quick reading must have left it to zipfile
        return type(exc).__name__
    return [tuple(getattr(i, f) for f in ZIPINFO_FIELDS) for i in archive.infolist()], archive.start_dir


def test_the_central_directory_read_without_zipfile_is_zipfiles_or_left_to_zipfile(unit_folder, tmp_path):
    """safe_open reads a plain package's directory itself: every entry as zipfile builds it, or (for any
    directory that is not plain, damaged or not) nothing, and zipfile reads it."""
    import random

    bad_inputs.xlsxwriter_unit_file(tmp_path / "xlsxwriter.xlsx", index=bad_inputs.TU_PHAP)
    paths = [p for p in [*unit_folder.iterdir(), *tmp_path.iterdir()] if p.suffix in (".xlsx", ".ods")]
    rng = random.Random(20261201)
    read_quickly = 0
    for path in paths:
        data = path.read_bytes()
        offset = struct.unpack_from("<L", data, len(data) - 22 + 16)[0]
        variants = [data, rezipped(data, compression=zipfile.ZIP_STORED), data + b"\x00", b"junk" + data]
        for _ in range(150):  # bytes of the directory and of its end record changed, one to three at a time
            copy = bytearray(data)
            for _ in range(rng.randint(1, 3)):
                copy[rng.randrange(offset, len(copy))] = rng.randrange(256)
            variants.append(bytes(copy))
        for variant in variants:
            listed = safe_open._central_directory(variant)
            if listed is None:
                continue
            read_quickly += 1
            infos, start = listed
            assert ([tuple(getattr(i, f) for f in ZIPINFO_FIELDS) for i in infos], start) == directory_by_zipfile(variant), path.name
    assert read_quickly >= len(paths) * 30  # the plain packages (and damage zipfile accepts) are read without it
