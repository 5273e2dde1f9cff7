"""Runs that must not start are refused before anything is read or written: exit 2, a Vietnamese message,
no traceback; two runs into one master never both write it."""

import csv
import json
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import soctrang

from tthc_xl.cli.app import main
from tthc_xl.files.locking import lock_file, master_lock

ROOT = Path(__file__).resolve().parent.parent


def run(capsys, *args) -> tuple[int, str]:
    code = main(list(map(str, args)))
    printed = capsys.readouterr()
    return code, printed.out + printed.err


def test_json_that_cannot_be_written_is_refused_before_reading(unit_folder, tmp_path, capsys):
    master = tmp_path / "tong-hop.xlsx"
    for target, words in ((tmp_path / "khong-co" / "kq.json", "không có thư mục"), (tmp_path, "là một thư mục")):
        for command in (["consolidate", unit_folder, "-o", master], ["check", unit_folder]):
            code, printed = run(capsys, *command, "--json", target)
            assert code == 2 and words in printed and "Traceback" not in printed, printed
    assert not master.exists()


def test_a_unit_list_that_cannot_be_read_is_refused_clearly(unit_folder, tmp_path, capsys):
    master = tmp_path / "tong-hop.xlsx"
    missing = tmp_path / "khong-co.csv"
    no_name = tmp_path / "thieu-cot.csv"
    no_name.write_text("nhom,don_vi\nSở,Sở Tư pháp\n", encoding="utf-8")
    for units, words in ((missing, "không tìm thấy tệp"), (no_name, "thiếu cột “ten”"), (tmp_path, "không tìm thấy tệp")):
        code, printed = run(capsys, "consolidate", unit_folder, "-o", master, "--units", units)
        assert code == 2 and words in printed and str(units.name) in printed and "Traceback" not in printed, printed
    assert not master.exists()


def test_a_windows_1258_unit_list_is_read(unit_folder, tmp_path, capsys):
    """Excel's "CSV (Comma delimited)" on a Vietnamese Windows writes Windows-1258: tone marks as combining characters."""
    units = tmp_path / "danh-sach.csv"
    rows = [("Sở, ngành", name) for _, name, _ in soctrang.UNITS]
    text = "nhom,ten,bi_danh\n" + "".join(f'"{group}","{soctrang.CANONICAL_NAMES.get(name, name)}",\n' for group, name in rows)
    units.write_bytes(windows_1258(text))
    with pytest.raises(UnicodeDecodeError):
        units.read_bytes().decode("utf-8")
    out = tmp_path / "kq.json"
    code, printed = run(capsys, "consolidate", unit_folder, "-o", tmp_path / "tong-hop.xlsx", "--units", units, "--json", out)
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["missing"] == [] and data["totals"] == {str(n): v for n, v in soctrang.COLUMN_SUMS.items()}
    assert not any(f["rule"] == "không có trong danh sách" for f in data["findings"])


def windows_1258(text: str) -> bytes:
    """Text as Windows-1258 stores it: letters with a circumflex, breve or horn precomposed, tone marks combining."""
    import unicodedata

    out = b""
    for ch in unicodedata.normalize("NFC", text):
        try:
            out += ch.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        base, *marks = unicodedata.normalize("NFD", ch)
        for mark in list(marks):  # the circumflex, breve or horn joins the letter; the tone stays combining
            joined = unicodedata.normalize("NFC", base + mark)
            if len(joined) == 1 and joined.encode("cp1258", "replace") != b"?":
                base = joined
                marks.remove(mark)
        out += (base + "".join(marks)).encode("cp1258")
    return out


def write_csv(path: Path, number_row: list[str], values: list) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["STT", "Đơn vị"] + [f"c{n}" for n in range(3, len(number_row) + 1)])
        writer.writerow(number_row)
        writer.writerow(values)
    return path


def test_a_spelled_rule_naming_a_missing_column_is_refused_not_a_crash(tmp_path, capsys):
    folder = tmp_path / "don-vi"
    folder.mkdir()
    # `1 2 3=(4+5) 4` then 6 7 8: the run of numbers stops at 4, the rule names 5
    path = write_csv(folder / "so-tu-phap.csv", ["1", "2", "3=(4+5)", "4", "6", "7", "8"], ["1", "Sở Tư pháp", "10", "4", "6", "1", "2"])
    code, printed = run(capsys, "check", path)
    assert code == 2 and "Traceback" not in printed
    assert "ghi quy tắc “3=(4+5)”" in printed and "không có cột 5" in printed and "0 lỗi" in printed
    master = tmp_path / "tong-hop.xlsx"
    code, printed = run(capsys, "consolidate", folder, "-o", master)
    assert code == 2 and "không có cột 5" in printed and "chưa ghi bảng tổng hợp" in printed
    assert not master.exists()


def test_folders_are_read_one_level_deep_unless_asked(unit_folder, tmp_path, capsys):
    """Last month's files in "0 - Tháng 9/" are not this month's reports."""
    folder = tmp_path / "Tháng 10"
    shutil.copytree(unit_folder, folder)
    shutil.copytree(unit_folder, folder / "0 - Tháng 9")
    (folder / "Ảnh chụp").mkdir()  # no report in it: not named
    (folder / "Ảnh chụp" / "bien-ban.jpg").write_bytes(b"\xff\xd8\xff")
    (folder / ".sao-luu").mkdir()  # hidden: not named
    shutil.copy(next(unit_folder.glob("*.xlsx")), folder / ".sao-luu")
    out = tmp_path / "kq.json"
    code, printed = run(capsys, "consolidate", folder, "-o", tmp_path / "tong-hop.xlsx", "--units", "soc-trang-so-nganh", "--json", out)
    data = json.loads(out.read_text(encoding="utf-8"))
    assert {Path(s["file"]).parent.name for s in data["sources"]} == {"Tháng 10"} and len(data["sources"]) == 16
    assert "Không đọc các thư mục con “0 - Tháng 9” (có thể là báo cáo kỳ khác)" in printed and "--recursive" in printed
    assert "Ảnh chụp" not in printed and "sao-luu" not in printed
    assert not any(f["rule"] == "trùng đơn vị" for f in data["findings"])
    run(capsys, "consolidate", folder, "-o", tmp_path / "tong-hop-2.xlsx", "--units", "soc-trang-so-nganh", "--json", out, "--recursive")
    data = json.loads(out.read_text(encoding="utf-8"))
    twice = [f["message"] for f in data["findings"] if f["rule"] == "trùng đơn vị"]
    assert len(data["sources"]) == 32 and len(twice) == 16
    # the two copies are told apart by their folders, not named twice alike
    first = next(m for m in twice if m.startswith("Sở Tư pháp"))
    assert "Tháng 10/0 - Tháng 9/12_so-tu-phap.xlsx" in first and "Tháng 10/12_so-tu-phap.xlsx" in first


def test_a_second_run_into_a_master_being_written_waits_then_refuses(unit_folder, tmp_path, capsys, monkeypatch):
    master = tmp_path / "tong-hop.xlsx"
    monkeypatch.setenv("TTHC_XL_LOCK_SECONDS", "1")
    with master_lock(master):  # another run holds the master
        code, printed = run(capsys, "consolidate", unit_folder, "-o", master, "--units", "soc-trang-so-nganh")
    assert code == 2 and "đang được một lần tổng hợp khác ghi" in printed and not master.exists()
    monkeypatch.setenv("TTHC_XL_LOCK_SECONDS", "60")
    holder = master_lock(master).__enter__()
    threading.Timer(1.5, holder.__exit__, (None, None, None)).start()
    started = time.monotonic()
    code, printed = run(capsys, "consolidate", unit_folder, "-o", master, "--units", "soc-trang-so-nganh")
    assert code == 1 and time.monotonic() - started >= 1.4 and master.exists()  # waited, then wrote (1: the real errors)
    assert lock_file(master).name.startswith(".") and not lock_file(master).exists()  # hidden while there, gone after


def test_two_runs_at_once_into_one_master_both_finish_one_after_the_other(unit_folder, tmp_path):
    master = tmp_path / "tong-hop.xlsx"
    runs = [
        subprocess.Popen([sys.executable, "-m", "tthc_xl.cli.app", "consolidate", str(unit_folder), "-o", str(master),
                          "--units", "soc-trang-so-nganh", "--json", str(tmp_path / f"kq-{i}.json")],
                         cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for i in range(2)
    ]
    outcomes = [r.communicate(timeout=120) for r in runs]
    assert [r.returncode for r in runs] == [1, 1], outcomes
    assert all("Traceback" not in err for _, err in outcomes)
    backups = list((tmp_path / ".sao-luu").glob("*.xlsx")) if (tmp_path / ".sao-luu").is_dir() else []
    assert len(backups) == 1  # the second run found the first's master and kept a copy of it: nothing lost
    for i in range(2):
        data = json.loads((tmp_path / f"kq-{i}.json").read_text(encoding="utf-8"))
        assert data["totals"] == {str(n): v for n, v in soctrang.COLUMN_SUMS.items()}
