"""Whether the master may be written now: not open in Excel, not read-only, in a folder that takes files.

Light on purpose (no openpyxl): the CLI asks before reading a single unit file, and `save_atomically`
asks again just before writing. Excel, while it has `tong-hop.xlsx` open, keeps an owner file
`~$tong-hop.xlsx` beside it (LibreOffice: `.~lock.tong-hop.xlsx#`); on Windows Excel also denies
other programs the right to write the file. Either way the master is left alone and the clerk is told.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from tthc_xl.core.errors import ClerkError


class MasterNotWritable(ClerkError):
    """The master cannot be written now; the message (Vietnamese) says why and what to do. Nothing was changed."""


class MasterError(ClerkError):
    """The master at the output path cannot be opened; the message (Vietnamese) says what to do."""


def open_in_excel_message(path: Path) -> str:
    return (
        f"Bảng tổng hợp {path.name} đang mở trong Excel: hãy đóng tệp rồi chạy lại. (Nếu Excel đã đóng mà vẫn gặp "
        f"thông báo này, hãy xóa tệp ~${path.name} trong cùng thư mục.) Bảng tổng hợp chưa bị thay đổi."
    )


def open_in_libreoffice_message(path: Path) -> str:
    return (
        f"Bảng tổng hợp {path.name} đang mở trong LibreOffice: hãy đóng tệp rồi chạy lại. (Nếu LibreOffice đã đóng mà vẫn "
        f"gặp thông báo này, hãy xóa tệp .~lock.{path.name}# trong cùng thư mục.) Bảng tổng hợp chưa bị thay đổi."
    )


def read_only_message(path: Path) -> str:
    return (
        f"Bảng tổng hợp {path.name} đang đặt chế độ chỉ đọc (Read-only) nên không ghi được: hãy bỏ chế độ chỉ đọc "
        "(nhấp chuột phải vào tệp › Properties, bỏ chọn Read-only) hoặc ghi sang tệp khác bằng -o, rồi chạy lại."
    )


def folder_message(path: Path, reason: str = "không có quyền ghi") -> str:
    return (
        f"Không ghi được bảng tổng hợp {path.name} vào thư mục {path.parent} ({reason}): hãy chọn thư mục khác bằng -o "
        "hoặc xin quyền ghi vào thư mục này, rồi chạy lại. Bảng tổng hợp cũ (nếu có) chưa bị thay đổi."
    )


def write_failed_message(path: Path, reason: str) -> str:
    return (
        f"Không ghi được bảng tổng hợp {path.name} ({reason}); bảng tổng hợp cũ vẫn còn nguyên. Hãy kiểm tra chỗ trống "
        "trên ổ đĩa và quyền ghi thư mục, đóng các chương trình đang mở tệp, rồi chạy lại."
    )


def owner_files(path: Path) -> list[Path]:
    """The lock files an office program keeps beside `path` while it has it open."""
    return [path.with_name(f"~${path.name}"), path.with_name(f".~lock.{path.name}#")]


def check_master_writable(path) -> None:
    """Raise MasterNotWritable when the master at `path` cannot be replaced now. Writes nothing."""
    path = Path(path)
    excel, libreoffice = owner_files(path)
    if excel.exists():
        raise MasterNotWritable(open_in_excel_message(path))
    if libreoffice.exists():
        raise MasterNotWritable(open_in_libreoffice_message(path))
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise MasterNotWritable(folder_message(path, "thư mục này không tồn tại"))
    if not os.access(folder, os.W_OK | os.X_OK):
        raise MasterNotWritable(folder_message(path))
    if not path.exists():
        return
    if path.is_dir():
        raise MasterNotWritable(folder_message(path, f"{path.name} là một thư mục"))
    mode = path.stat().st_mode
    if not os.access(path, os.W_OK) or not mode & stat.S_IWUSR:  # the owner's write bit: Windows' Read-only attribute
        raise MasterNotWritable(read_only_message(path))
    try:  # Windows: a file Excel holds open cannot be opened for writing (this writes nothing)
        with open(path, "r+b"):
            pass
    except PermissionError:
        raise MasterNotWritable(open_in_excel_message(path)) from None
    except OSError:
        pass  # not a question of locks: the write itself will tell
