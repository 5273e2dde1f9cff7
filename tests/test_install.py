"""The desktop install in one step: the wheel carries the button workbook, `tthc-xl workbook -o DIR`
writes it byte for byte, and `doctor --workbook` checks it without a traceback.

The wheel is built offline from a copy of the source (pip wheel --no-deps --no-build-isolation) and
installed with --prefix into a folder of its own, so the installed copy is used, not this checkout.
"""

import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from tthc_xl.cli.app import main
from tthc_xl.cli import workbook

ROOT = Path(__file__).resolve().parent.parent
COMMITTED = ROOT / "workbook" / "tthc-xl-master.xlsm"
RUN_CLI = "import sys; from tthc_xl.cli import main; sys.exit(main(sys.argv[1:]))"


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(the wheel, the site-packages folder it was installed into) from a copy of this source."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "src"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", "out"))
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q", ".", "-w", str(work / "dist")],
        cwd=source, capture_output=True, text=True, timeout=600,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = (work / "dist").glob("tthc_xl-*.whl")
    prefix = work / "prefix"
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--ignore-installed", "-q", "--prefix", str(prefix), str(wheel)],  # leaves the tested install alone
        capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stderr
    site = Path(sysconfig.get_path("purelib", vars={"base": str(prefix), "platbase": str(prefix)}))
    assert (site / "tthc_xl" / "cli" / "workbook.py").is_file()
    return wheel, site


def run_installed(site: Path, cwd: Path, *args) -> subprocess.CompletedProcess:
    """`tthc-xl ARGS` with the installed copy first on the path (the checkout is not on it): a
    --prefix install, whose templates are not under sys.prefix, finds them through its file list."""
    env = {"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin", "HOME": str(cwd), "XLWINGS_LICENSE_KEY": "noncommercial"}
    return subprocess.run([sys.executable, "-X", "dev", "-c", RUN_CLI, *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


def test_the_wheel_carries_the_committed_workbook(installed):
    wheel, _ = installed
    with zipfile.ZipFile(wheel) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith("/tthc-xl-master.xlsm")]
        assert name == "tthc_xl-0.1.0.data/data/share/tthc-xl/workbook/tthc-xl-master.xlsm"
        assert archive.read(name) == COMMITTED.read_bytes()


def test_the_installed_command_writes_the_workbook_and_doctor_checks_it_cleanly(installed, tmp_path):
    _, site = installed
    probe = subprocess.run([sys.executable, "-c", "import tthc_xl.cli.workbook as w; print(w.__file__); print(w.shipped_workbook())"],
                           cwd=tmp_path, env={"PYTHONPATH": str(site)}, capture_output=True, text=True, timeout=120)
    module, shipped = probe.stdout.split()
    assert Path(module).is_relative_to(site) and not Path(shipped).is_relative_to(ROOT)  # the installed data file

    result = run_installed(site, tmp_path, "workbook", "-o", "may-tinh")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"Đã ghi {Path('may-tinh') / 'tthc-xl-master.xlsm'}.")
    written = tmp_path / "may-tinh" / "tthc-xl-master.xlsm"
    assert written.read_bytes() == COMMITTED.read_bytes()

    result = run_installed(site, tmp_path, "doctor", "--workbook", str(written))
    assert result.stderr == ""  # no "Exception ignored … ZipFile.__del__", no warning
    assert "✓ tthc-xl-master.xlsm có macro (các nút gọi Python)" in result.stdout
    assert "✓ tthc-xl-master.xlsm, trang xlwings.conf: INTERPRETER=python" in result.stdout


def test_workbook_refuses_to_replace_a_clerks_file(tmp_path, capsys):
    assert workbook.shipped_workbook() == COMMITTED  # in the checkout: the committed file
    assert main(["workbook", "-o", str(tmp_path)]) == 0
    target = tmp_path / "tthc-xl-master.xlsm"
    assert target.read_bytes() == COMMITTED.read_bytes()
    target.write_bytes(b"bang tong hop cua chuyen vien")
    capsys.readouterr()
    assert main(["workbook", "-o", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert f"Đã có {target}: tệp này có thể đang chứa bảng tổng hợp của bạn nên không bị ghi đè" in err and "--replace" in err
    assert target.read_bytes() == b"bang tong hop cua chuyen vien"
    assert main(["workbook", "-o", str(tmp_path), "--replace"]) == 0
    assert target.read_bytes() == COMMITTED.read_bytes()
    assert main(["workbook", "-o", str(target)]) == 2
    assert "là một tệp, không phải thư mục" in capsys.readouterr().err


def test_a_prefix_install_finds_its_own_templates(installed, tmp_path):
    _, site = installed
    prefix = site.parents[2]
    result = run_installed(site, tmp_path, "forms")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0].startswith("mau-a\t14 cột")
    probe = subprocess.run([sys.executable, "-c", "from tthc_xl.core.layouts import templates_dir; print(templates_dir())"],
                           cwd=tmp_path, env={"PYTHONPATH": str(site)}, capture_output=True, text=True, timeout=120)
    assert Path(probe.stdout.strip()) == (prefix / "share" / "tthc-xl" / "templates").resolve()
