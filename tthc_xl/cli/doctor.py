"""`tthc-xl doctor`: is this computer ready for the Excel buttons? (Windows, macOS, Linux)

Prints one Vietnamese line per check, ✓ or ✗, and hints; exits 0 when everything the buttons
need is there (optional parts, such as LibreOffice for `tthc-xl print` or the server packages,
never fail it; `--server` makes the server packages and the add-in's client required).
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import os
import platform
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from tthc_xl.files.convert import find_soffice
from tthc_xl.files.master_book import named_value as value_of

MIN_PYTHON = (3, 11)
CONF_KEYS = ("INTERPRETER_WIN", "INTERPRETER_MAC", "INTERPRETER", "PYTHONPATH", "LICENSE_KEY")
ON_PATH = ("python", "pythonw")  # xlwings runs the first python of PATH


@dataclass
class Check:
    ok: bool
    text: str
    required: bool = True
    hint: str = ""

    def line(self) -> str:
        mark = "✓" if self.ok else "✗"
        note = "" if self.required or self.ok else " (không bắt buộc)"
        return f"{mark} {self.text}{note}" + (f"\n    → {self.hint}" if self.hint and not self.ok else "")


def read_conf_file(path: Path) -> dict[str, str]:
    """xlwings' config file: lines `"KEY","value"`."""
    values = {}
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        found = re.findall(r'"([^"]*)"', line)
        if len(found) >= 2:
            values[found[0].upper()] = found[1]
    return values


def read_conf_sheet(workbook: Path) -> dict[str, str] | None:
    """The `xlwings.conf` sheet of a workbook (column A keys, column B values), or None.

    A value that is a formula on the workbook's python.exe cell (the button workbook's
    `Interpreter` row) is taken as Excel shows it: that cell, or "python" while it is blank."""
    from tthc_xl.core.contract import PYTHON_NAME

    with _opened(workbook) as book:
        if "xlwings.conf" not in book.sheetnames:
            return None
        values = {}
        for key, value, *_ in book["xlwings.conf"].iter_rows(max_col=2, values_only=True):
            if key is None:
                break  # xlwings reads the block down to the first blank row
            if isinstance(value, str) and value.startswith("=") and PYTHON_NAME in value:
                value = named_value(book, PYTHON_NAME) or "python"
            values[str(key).strip().upper()] = "" if value is None else str(value)
        return values


@contextlib.contextmanager
def _opened(workbook: Path):
    """The workbook (values, formulas as text), closed afterwards: nothing is left for the
    garbage collector to close at exit (no "Exception ignored in ZipFile.__del__")."""
    from tthc_xl.files import openpyxl_without_numpy  # noqa: F401 - first: openpyxl without numpy
    from openpyxl import load_workbook

    book = load_workbook(workbook)
    try:
        yield book
    finally:
        book.close()


def named_value(book, name: str) -> str:
    """The text in the cell a defined name refers to ("" when blank or absent)."""
    value = value_of(book, name)
    return str(value).strip() if value is not None else ""


def _interpreter_checks(config: dict[str, str], where: str) -> list[Check]:
    checks = []
    key = "INTERPRETER_WIN" if sys.platform.startswith("win") else "INTERPRETER_MAC"
    interpreter = config.get(key) or config.get("INTERPRETER")
    if interpreter in ON_PATH:
        found = shutil.which(interpreter) or shutil.which("python")
        checks.append(Check(bool(found), f"{where}: lệnh python trong PATH{': ' + found if found else ''}",
                            hint="cài Python và đánh dấu «Add python.exe to PATH», hoặc ghi đường dẫn python.exe vào ô "
                                 "«Python (python.exe)» trên trang «Điều khiển»."))
    elif interpreter:
        path = Path(os.path.expandvars(interpreter))
        checks.append(Check(path.is_file(), f"{where}: {key} = {interpreter}",
                            hint="đường dẫn này không có python.exe; hãy sửa cho đúng (xem “where python” trong cmd)."))
    for folder in filter(None, (config.get("PYTHONPATH") or "").split(";")):
        checks.append(Check(Path(os.path.expandvars(folder)).is_dir(), f"{where}: PYTHONPATH có {folder}",
                            hint="thư mục này không tồn tại; hãy sửa hoặc xóa dòng PYTHONPATH."))
    return checks


def run_checks(workbook: Path | None = None, home: Path | None = None, server: bool = False) -> list[Check]:
    """The checks, in order; `server`: the xlwings Server packages are required too (tthc-xl serve)."""
    checks: list[Check] = []
    version = sys.version_info
    checks.append(Check(version >= MIN_PYTHON, f"Python {platform.python_version()} ({sys.executable})",
                        hint=f"cần Python {MIN_PYTHON[0]}.{MIN_PYTHON[1]} trở lên: tải tại https://www.python.org/downloads/"))
    try:
        import tthc_xl

        checks.append(Check(True, f"tthc_xl {tthc_xl.__version__} ({Path(tthc_xl.__file__).parent})"))
    except ImportError as exc:  # pragma: no cover - doctor runs from the package itself
        checks.append(Check(False, f"tthc_xl không nhập được: {exc}", hint="chạy “pip install tthc-xl”."))
    try:
        import xlwings

        checks.append(Check(True, f"xlwings {xlwings.__version__}"))
    except ImportError as exc:
        xlwings = None
        checks.append(Check(False, f"xlwings chưa cài được: {exc}", hint="chạy “pip install xlwings”."))
    if sys.platform.startswith("win"):
        found = importlib.util.find_spec("win32com") is not None
        checks.append(Check(found, "pywin32 (để Python điều khiển Excel)", hint="chạy “pip install pywin32”."))
    elif sys.platform == "darwin":
        found = importlib.util.find_spec("appscript") is not None
        checks.append(Check(found, "appscript (để Python điều khiển Excel)", hint="chạy “pip install appscript psutil”."))
    # xlwings configuration: the user's file, and the workbook's sheet or neighbouring file.
    home = home or Path.home()
    user_conf = home / ".xlwings" / "xlwings.conf"
    if user_conf.is_file():
        config = read_conf_file(user_conf)
        shown = ", ".join(f"{k}={config[k]}" for k in CONF_KEYS if k in config and k != "LICENSE_KEY") or "không có INTERPRETER/PYTHONPATH"
        checks.append(Check(True, f"Cấu hình xlwings {user_conf}: {shown}"))
        checks += _interpreter_checks(config, str(user_conf))
    else:
        checks.append(Check(True, f"Không có {user_conf}: xlwings dùng lệnh python trong PATH (hoặc cấu hình trong tệp Excel)"))
    if workbook is not None:
        checks += _workbook_checks(Path(workbook))
    # What the buttons read: templates (forms, unit lists).
    try:
        from tthc_xl.core.layouts import load_layouts, templates_dir

        folder = templates_dir()
        forms = load_layouts()
        units = sorted(p.stem for p in (folder / "units").glob("*.csv") if p.stem != "viet-tat")
        checks.append(Check(True, f"Mẫu biểu ({folder}): {', '.join(forms)}; danh sách đơn vị: {', '.join(units) or 'không có'}"))
        from tthc_xl.core.layouts import clerk_layout_dirs, load_layouts as load_all, user_layout_dir
        from tthc_xl.core.vocabulary import load_vocabulary

        load_vocabulary()
        own = [name for name in load_all(clerk_layout_dirs()) if name not in forms]
        mine = user_layout_dir()
        if mine.is_dir() and not os.access(mine, os.R_OK | os.X_OK):  # listed as empty, its forms silently unused
            checks.append(Check(False, f"Không đọc được thư mục mẫu biểu riêng {mine} (không có quyền đọc)",
                                hint="cấp quyền đọc thư mục này cho người dùng đang chạy tthc-xl, rồi chạy lại."))
        else:
            checks.append(Check(True, f"Mẫu biểu riêng ({mine}): {', '.join(own) or 'chưa có'}; từ điển tiêu đề cột: {folder / 'vocabulary.toml'}"))
    except Exception as exc:  # noqa: BLE001 - LayoutError or a broken form file: show it
        checks.append(Check(False, f"Không đọc được mẫu biểu: {exc}", hint="cài lại tthc-xl hoặc đặt biến TTHC_XL_TEMPLATES."))
    documents = all(importlib.util.find_spec(m) is not None for m in ("docx", "pdfplumber"))
    checks.append(Check(documents, "Gói đọc báo cáo Word và PDF (python-docx, pdfplumber)", required=False,
                        hint="cài lại tthc-xl: pip install --upgrade tthc-xl."))
    soffice = find_soffice()
    checks.append(Check(bool(soffice), f"LibreOffice (để in phụ lục bằng lệnh tthc-xl print và đọc tệp .doc, .odt, .rtf){': ' + soffice if soffice else ''}",
                        required=False, hint="tải tại https://vi.libreoffice.org/download/ (nút «In phụ lục» trong Excel không cần)."))
    checks += _server_checks(required=server)
    return checks


def _server_checks(required: bool) -> list[Check]:
    """What `tthc-xl serve` needs: the web packages and an xlwings-server client that knows every action."""
    from tthc_xl.excel.client import MIN_VERSION, PACKAGE, client_status, installed_static_dir

    install = "pip install “tthc-xl[server]”" + ("" if required else " (chỉ cần cho máy chủ add-in)")
    web = all(importlib.util.find_spec(m) is not None for m in ("fastapi", "uvicorn"))
    client = client_status(installed_static_dir())
    return [
        Check(web, "Gói máy chủ (fastapi, uvicorn) cho tthc-xl serve", required=required, hint=install + "."),
        Check(client.ok, f"{PACKAGE} {client.version or '(chưa cài)'}: phần chạy trong Excel của add-in, cần bản {MIN_VERSION} trở lên",
              required=required, hint=client.message(show_folder=True) or install + "."),
    ]


def _workbook_checks(workbook: Path) -> list[Check]:
    if not workbook.is_file():
        return [Check(False, f"Không tìm thấy tệp {workbook}")]
    checks = []
    try:
        sheet = read_conf_sheet(workbook)
    except Exception as exc:  # noqa: BLE001 - not a workbook openpyxl can read
        return [Check(False, f"Không mở được {workbook.name}: {exc}")]
    if sheet is None:
        checks.append(Check(True, f"{workbook.name}: không có trang xlwings.conf (dùng cấu hình của máy)"))
    else:
        shown = ", ".join(f"{k}={v}" for k, v in sheet.items() if k in CONF_KEYS and k != "LICENSE_KEY") or "không có INTERPRETER/PYTHONPATH"
        checks.append(Check(True, f"{workbook.name}, trang xlwings.conf: {shown}"))
        checks += _interpreter_checks(sheet, f"{workbook.name} (trang xlwings.conf)")
    beside = workbook.parent / "xlwings.conf"
    if beside.is_file():
        checks += _interpreter_checks(read_conf_file(beside), str(beside))
    if workbook.suffix.lower() == ".xlsm":
        from zipfile import ZipFile

        with ZipFile(workbook) as archive:
            has_vba = "xl/vbaProject.bin" in archive.namelist()
        checks.append(Check(has_vba, f"{workbook.name} có macro (các nút gọi Python)", hint="hãy lấy tệp có các nút bằng lệnh “tthc-xl workbook -o THƯ_MỤC”."))
    folder = _folder_setting(workbook)
    if folder:
        path = Path(folder) if Path(folder).is_absolute() else workbook.parent / folder
        checks.append(Check(path.is_dir(), f"Thư mục báo cáo đơn vị: {folder}", hint="ô «Thư mục báo cáo đơn vị» ghi một thư mục không có trên máy này."))
    return checks


def _folder_setting(workbook: Path) -> str:
    from tthc_xl.core.contract import FOLDER_NAME

    with _opened(workbook) as book:
        return named_value(book, FOLDER_NAME)


HINTS = [
    "Trong Excel: File → Options → Trust Center → Trust Center Settings → Macro Settings: chọn «Enable all macros» "
    "(hoặc «Disable all macros with notification» rồi bấm «Enable Content» khi mở tệp), hoặc đặt thư mục chứa tệp "
    "vào Trusted Locations. Không cần bật «Trust access to the VBA project object model».",
    "Tệp tải từ mạng hoặc thư điện tử bị Windows chặn macro: bấm chuột phải vào tệp → Properties → đánh dấu «Unblock».",
]


def cmd_doctor(args) -> int:
    try:
        sys.stdout.reconfigure(encoding="utf-8", errors="replace")  # a Windows console in cp1252
    except (AttributeError, ValueError):
        pass
    checks = run_checks(Path(args.workbook) if args.workbook else None, server=getattr(args, "server", False))
    for check in checks:
        print(check.line())
    for hint in HINTS:
        print(f"• {hint}")
    missing = [c for c in checks if c.required and not c.ok]
    print("\nMáy đã sẵn sàng cho các nút trong Excel." if not missing else f"\nCòn {len(missing)} mục cần sửa (dấu ✗ ở trên).")
    return 0 if not missing else 1


def add_commands(subparsers) -> None:
    doctor = subparsers.add_parser("doctor", help="kiểm tra cài đặt trên máy (Python, xlwings, cấu hình, mẫu biểu)")
    doctor.add_argument("--workbook", help="tệp bảng tổng hợp (.xlsm) để kiểm tra cấu hình xlwings và thư mục báo cáo trong đó")
    doctor.add_argument("--server", action="store_true",
                        help="kiểm tra cả máy chủ add-in (tthc-xl serve): fastapi, uvicorn và xlwings-server đủ mới")
    doctor.set_defaults(run=cmd_doctor)
