"""`tthc-xl workbook -o FOLDER`: the button workbook shipped with tthc-xl, copied where the clerk works.

The workbook (workbook/tthc-xl-master.xlsm, built by `python -m tthc_xl.xlsx.workbook_build`) is
installed with the package as a data file (setup.cfg, share/tthc-xl/workbook/); it is found in the
source checkout, else through the installed distribution's file list, which knows where pip put
it whatever the install scheme (a venv, `--user`, `--prefix`).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from tthc_xl.cli.exits import EXIT_OK, EXIT_UNUSABLE
from tthc_xl.resources import shipped

WORKBOOK = "tthc-xl-master.xlsm"


def shipped_workbook() -> Path | None:
    """The button workbook of this tthc-xl: the checkout's, or the installed data file."""
    found = shipped("workbook", WORKBOOK)
    return found if found and found.is_file() else None


def cmd_workbook(args) -> int:
    source = shipped_workbook()
    if source is None:
        print(f"Không tìm thấy tệp {WORKBOOK} đi kèm tthc-xl; hãy cài lại: pip install --force-reinstall tthc-xl.", file=sys.stderr)
        return EXIT_UNUSABLE
    folder = Path(args.output)
    target = folder / WORKBOOK
    if folder.exists() and not folder.is_dir():
        print(f"{folder} là một tệp, không phải thư mục: -o cần một thư mục.", file=sys.stderr)
        return EXIT_UNUSABLE
    if target.exists() and not args.replace:
        print(
            f"Đã có {target}: tệp này có thể đang chứa bảng tổng hợp của bạn nên không bị ghi đè. Chọn thư mục khác, "
            "hoặc thêm --replace nếu muốn thay bằng tệp mới.",
            file=sys.stderr,
        )
        return EXIT_UNUSABLE
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    print(f"Đã ghi {target}. Mở tệp bằng Excel, bấm «Enable Content», rồi làm theo hướng dẫn trên trang «Điều khiển».")
    print(f"Kiểm tra máy: tthc-xl doctor --workbook \"{target}\"")
    return EXIT_OK


def add_commands(commands) -> None:
    workbook = commands.add_parser("workbook", help=f"ghi tệp Excel có các nút ({WORKBOOK}) vào một thư mục")
    workbook.add_argument("-o", "--output", required=True, help="thư mục để ghi tệp")
    workbook.add_argument("--replace", action="store_true", help="thay tệp cùng tên đã có trong thư mục")
    workbook.set_defaults(run=cmd_workbook)
