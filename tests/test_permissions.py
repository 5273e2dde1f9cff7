"""Outputs that cannot be written and a unit list that cannot be read, tested as an ordinary user.

`refuse_before_writing` and `check_master_writable` ask the system whether the user may write (os.access);
root may write anywhere, so when the tests run as root (CI does) each command runs as the user "nobody":
the interpreter starts as root, loads the program, then gives up root for good (setgroups, setgid, setuid)
before the command runs. The interpreter itself may live where nobody cannot read (a Python under /root),
which is why the user is changed inside the process rather than before it starts. As any other user the
command simply runs as that user. The folders are owned by the user that runs the command, so it is their
mode (0555, 0444, 0000) that refuses, as on a clerk's machine.

Each refusal: exit code 2, a Vietnamese message naming the file, and nothing written anywhere (no master,
no JSON, no history file, no lock; the test folder is listed before and after).
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

import soctrang

ROOT = Path(__file__).resolve().parent.parent
NOBODY = 65534
AS_ROOT = os.geteuid() == 0

# A command run as root, then the modules it loaded: those the commands load, pre-loaded below before root is given up.
# The unit files are read again in this process: the workers' own imports (a codec…) count too.
PROBE = r"""
import pathlib, sys
import tthc_xl.cli.app
from tthc_xl.core.layouts import load_layouts
from tthc_xl.files.read import read_file
code = tthc_xl.cli.app.main(sys.argv[1:])
for given in map(pathlib.Path, sys.argv[1:]):
    if given.is_dir():
        for path in sorted(given.iterdir()):
            read_file(path, load_layouts())
print("\n" + " ".join(sorted(sys.modules)))
"""

CHILD = r"""
import importlib, os, sys
modules = os.environ.pop("TTHC_XL_TEST_MODULES", "").split()
import tthc_xl.cli.app
for name in modules:
    try:
        importlib.import_module(name)
    except Exception:
        pass  # a module only importable as a side effect of another (six.moves…), or a platform's own
if os.getuid() == 0:
    os.setgroups([])
    os.setgid(%(user)d)
    os.setuid(%(user)d)
    assert os.getuid() == os.geteuid() == %(user)d and os.getgid() == %(user)d
sys.exit(tthc_xl.cli.app.main(sys.argv[1:]))
""" % {"user": NOBODY}


@pytest.fixture(scope="module")
def loaded_modules(unit_folder, tmp_path_factory) -> str:
    """The modules a consolidation with its JSON, a check and a read-only refusal load, as root (see CHILD)."""
    if not AS_ROOT:
        return ""
    out = tmp_path_factory.mktemp("probe")
    names = set()
    for args in (["consolidate", unit_folder, "-o", out / "tong-hop.xlsx", "--units", "soc-trang-so-nganh", "--json", out / "kq.json"],
                 ["consolidate", unit_folder, "-o", out / "tong-hop.xlsx"], ["check", unit_folder], ["doctor"]):
        done = subprocess.run([sys.executable, "-c", PROBE, *map(str, args)], capture_output=True, text=True, cwd=out,
                              env={**os.environ, "PYTHONPATH": str(ROOT), "PYTHONIOENCODING": "utf-8"}, timeout=300)
        assert done.stdout.strip(), done.stderr
        names |= set(done.stdout.strip().splitlines()[-1].split())
    return " ".join(sorted(names))


def own(path: Path, mode: int) -> None:
    """`path` belongs to the user that runs the commands, with `mode`."""
    if AS_ROOT:
        os.chown(path, NOBODY, NOBODY)
    os.chmod(path, mode)


@pytest.fixture
def place(unit_folder, loaded_modules, monkeypatch):
    """A folder every user can reach (pytest's own tmp folders are the runner's alone): HOME, the unit files."""
    top = Path(tempfile.mkdtemp(prefix="tthc-xl-quyen-"))
    os.chmod(top, 0o755)
    home = top / "home"
    home.mkdir()
    own(home, 0o755)
    units = top / "don-vi"
    shutil.copytree(unit_folder, units)
    for path in units.iterdir():
        own(path, 0o644)
    own(units, 0o755)
    monkeypatch.setenv("TTHC_XL_TEST_MODULES", loaded_modules)
    yield top
    for path in top.rglob("*"):  # give back the write bits taken for the test, so the folder can be removed
        if path.is_dir() and not path.is_symlink():
            os.chmod(path, 0o755)
    shutil.rmtree(top)


def run(place: Path, *args) -> tuple[int, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("XDG_")}
    env.update(HOME=str(place / "home"), PYTHONPATH=str(ROOT), PYTHONIOENCODING="utf-8", TTHC_XL_LOCK_SECONDS="2")
    if args[0] == "consolidate":
        args = (*args, "--period", "tháng 10 năm 2019")  # so that a run that went through would write the history too
    done = subprocess.run([sys.executable, "-c", CHILD, *map(str, args)], capture_output=True, text=True,
                          cwd=place / "home", env=env, timeout=300)
    return done.returncode, done.stdout + done.stderr


def listing(place: Path) -> dict[str, bytes | None]:
    """Every file and folder under `place` (hidden ones too), with the bytes of the files that can be read."""
    found = {}
    for path in sorted(place.rglob("*")):
        try:
            found[str(path)] = None if path.is_dir() else path.read_bytes()
        except PermissionError:
            found[str(path)] = b"(unreadable)"
    return found


def folder(place: Path, name: str, mode: int) -> Path:
    path = place / name
    path.mkdir()
    own(path, mode)
    return path


def assert_refused(place: Path, before: dict, code: int, printed: str, *words: str) -> None:
    assert code == 2, printed
    assert "Traceback" not in printed, printed
    for word in words:
        assert word in printed, printed
    assert listing(place) == before  # no master, no JSON, no history, no lock: nothing at all


def test_commands_run_as_that_user(place):
    """The set-up itself: as that user the command reads the unit files and writes where it may."""
    out = folder(place, "ket-qua", 0o755)
    code, printed = run(place, "consolidate", place / "don-vi", "-o", out / "tong-hop.xlsx", "--units", "soc-trang-so-nganh",
                        "--json", out / "kq.json")
    assert code == 1, printed  # the real Sóc Trăng errors
    data = json.loads((out / "kq.json").read_text(encoding="utf-8"))
    assert data["totals"] == {str(n): v for n, v in soctrang.COLUMN_SUMS.items()}
    assert (out / "tong-hop.xlsx").is_file() and (out / "lich-su-tthc.sqlite").is_file()
    if AS_ROOT:
        assert (out / "tong-hop.xlsx").stat().st_uid == NOBODY


def test_json_into_a_read_only_folder_is_refused_before_anything_is_written(place):
    out = folder(place, "ket-qua", 0o755)
    read_only = folder(place, "chi-doc", 0o555)
    before = listing(place)
    target = read_only / "kq.json"
    for command in (["consolidate", place / "don-vi", "-o", out / "tong-hop.xlsx"], ["check", place / "don-vi"]):
        code, printed = run(place, *command, "--json", target)
        assert_refused(place, before, code, printed, f"Không ghi được tệp kết quả --json {target} (không có quyền ghi)")


def test_json_onto_a_read_only_file_is_refused_and_the_file_kept(place):
    out = folder(place, "ket-qua", 0o755)
    target = out / "kq.json"
    target.write_text('{"cu": true}', encoding="utf-8")
    own(target, 0o444)
    before = listing(place)
    code, printed = run(place, "consolidate", place / "don-vi", "-o", out / "tong-hop.xlsx", "--json", target)
    assert_refused(place, before, code, printed, f"Không ghi được tệp kết quả --json {target} (không có quyền ghi)")
    assert target.read_text(encoding="utf-8") == '{"cu": true}'


def test_a_master_into_a_read_only_folder_is_refused(place):
    read_only = folder(place, "chi-doc", 0o555)
    out = folder(place, "ket-qua", 0o755)
    master = read_only / "tong-hop.xlsx"
    before = listing(place)
    code, printed = run(place, "consolidate", place / "don-vi", "-o", master, "--json", out / "kq.json")
    assert_refused(place, before, code, printed,
                   f"Không ghi được bảng tổng hợp tong-hop.xlsx vào thư mục {read_only} (không có quyền ghi)",
                   "Bảng tổng hợp cũ (nếu có) chưa bị thay đổi")


def test_a_read_only_master_is_refused_and_kept(place):
    out = folder(place, "ket-qua", 0o755)
    master = out / "tong-hop.xlsx"
    code, printed = run(place, "consolidate", place / "don-vi", "-o", master)
    assert code == 1 and master.is_file(), printed
    own(master, 0o444)
    before = listing(place)
    code, printed = run(place, "consolidate", place / "don-vi", "-o", master, "--json", out / "kq.json")
    assert_refused(place, before, code, printed, "tong-hop.xlsx")
    assert "chỉ đọc" in printed or "không có quyền ghi" in printed, printed


def test_a_unit_list_that_cannot_be_read_is_refused(place):
    out = folder(place, "ket-qua", 0o755)
    units = place / "danh-sach.csv"
    units.write_text("nhom,ten,bi_danh\nSở,Sở Tư pháp,\n", encoding="utf-8")
    own(units, 0o000)
    before = listing(place)
    for command in (["consolidate", place / "don-vi", "-o", out / "tong-hop.xlsx", "--json", out / "kq.json"],
                    ["check", place / "don-vi", "--json", out / "kq.json"]):
        code, printed = run(place, *command, "--units", units)
        assert_refused(place, before, code, printed, f"Danh sách đơn vị {units}: không đọc được tệp", "quyền đọc tệp")


def test_a_unit_list_in_a_folder_that_cannot_be_opened_is_unreadable_not_missing(place):
    out = folder(place, "ket-qua", 0o755)
    locked = folder(place, "rieng", 0o755)
    units = locked / "danh-sach.csv"
    units.write_text("nhom,ten,bi_danh\nSở,Sở Tư pháp,\n", encoding="utf-8")
    own(units, 0o644)
    own(locked, 0o000)
    before = listing(place)
    code, printed = run(place, "consolidate", place / "don-vi", "-o", out / "tong-hop.xlsx", "--units", units)
    assert_refused(place, before, code, printed, f"Danh sách đơn vị {units}: không đọc được tệp", "quyền đọc tệp")



def test_doctor_names_an_own_forms_folder_it_cannot_read(place):
    """Listing an unreadable folder gives nothing: without this check the clerk's forms would be "chưa có" (none)."""
    forms = place / "home" / ".config" / "tthc-xl" / "mau-bieu"
    forms.mkdir(parents=True)
    for path in (forms.parent.parent, forms.parent):
        own(path, 0o755)
    text = (ROOT / "templates" / "forms" / "mau-a-soc-trang.toml").read_text(encoding="utf-8")
    (forms / "mau-rieng.toml").write_text(text.replace('name = "mau-a"', 'name = "mau-rieng"', 1), encoding="utf-8")
    own(forms / "mau-rieng.toml", 0o644)
    own(forms, 0o755)
    code, printed = run(place, "doctor")
    assert code == 0 and f"✓ Mẫu biểu riêng ({forms}): mau-rieng;" in printed, printed
    own(forms, 0o000)
    code, printed = run(place, "doctor")
    assert code == 1 and "Traceback" not in printed, printed
    assert f"✗ Không đọc được thư mục mẫu biểu riêng {forms} (không có quyền đọc)" in printed and "cấp quyền đọc" in printed
    assert "Còn 1 mục cần sửa" in printed



def test_a_unit_file_that_cannot_be_read_costs_that_file_only(place):
    out = folder(place, "ket-qua", 0o755)
    own(place / "don-vi" / "12_so-tu-phap.xlsx", 0o000)
    code, printed = run(place, "consolidate", place / "don-vi", "-o", out / "tong-hop.xlsx", "--units", "soc-trang-so-nganh",
                        "--json", out / "kq.json")
    assert code == 1 and "Traceback" not in printed, printed
    message = ("Không đọc được tệp 12_so-tu-phap.xlsx (không có quyền đọc): hãy kiểm tra quyền đọc tệp hoặc chép tệp sang "
               "thư mục khác rồi chạy lại.")
    assert f"✗ {message}" in printed
    data = json.loads((out / "kq.json").read_text(encoding="utf-8"))
    [source] = [s for s in data["sources"] if s["file"].endswith("12_so-tu-phap.xlsx")]
    assert (source["status"], source["error"]) == ("lỗi", message)
    tu_phap = dict(zip(soctrang.COLUMNS, soctrang.UNITS[11][2]))
    assert data["totals"] == {str(n): v - tu_phap[n] for n, v in soctrang.COLUMN_SUMS.items()}


def test_a_folder_of_unit_files_that_cannot_be_opened_is_refused(place):
    out = folder(place, "ket-qua", 0o755)
    own(place / "don-vi", 0o000)
    before = listing(place)
    code, printed = run(place, "consolidate", place / "don-vi", "-o", out / "tong-hop.xlsx", "--json", out / "kq.json")
    assert_refused(place, before, code, printed, f"Không đọc hoặc ghi được tệp {place / 'don-vi'}", "không có quyền truy cập")
