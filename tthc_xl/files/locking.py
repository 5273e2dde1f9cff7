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


LOCK_SECONDS = 120.0  # how long a second run into the same master waits for the first (TTHC_XL_LOCK_SECONDS)


def lock_file(path: Path) -> Path:
    """The lock beside a master (hidden, so folders of unit files skip it), there only while a run writes."""
    return path.with_name(f".{path.name}.tthc-xl-lock")


def busy_message(path: Path, seconds: float) -> str:
    shown = f"{seconds:g}".replace(".", ",")
    return (
        f"Bảng tổng hợp {path.name} đang được một lần tổng hợp khác ghi (trên máy này hoặc máy khác dùng chung thư mục); "
        f"đã chờ {shown} giây mà chưa xong. Hãy đợi lần đó xong rồi chạy lại. Bảng tổng hợp chưa bị thay đổi."
    )


class master_lock:
    """Hold the master's lock for one run: a second run waits for the first (up to TTHC_XL_LOCK_SECONDS),
    then gives up with MasterNotWritable; it never writes over the first run's master while that one writes."""

    def __init__(self, path, seconds: float | None = None):
        self.path = Path(path)
        if seconds is None:
            try:
                seconds = float(os.environ.get("TTHC_XL_LOCK_SECONDS") or LOCK_SECONDS)
            except ValueError:
                seconds = LOCK_SECONDS
        self.seconds = seconds
        self.handle = None

    def __enter__(self) -> "master_lock":
        import time

        target = lock_file(self.path)
        deadline = time.monotonic() + self.seconds
        while True:
            try:
                handle = open(target, "a+b")
            except OSError:
                return self  # a folder we cannot write: check_master_writable says so in the clerk's words
            if _try_lock(handle):
                if _same_file(handle, target):
                    self.handle = handle
                    return self
                # the run before removed the file while we waited on it: lock the one now at that name
            handle.close()
            if time.monotonic() >= deadline:
                raise MasterNotWritable(busy_message(self.path, self.seconds))
            time.sleep(0.1)

    def __exit__(self, *exc) -> None:
        if self.handle is not None:
            try:  # removed while still held, so a run waiting on it sees a new file and starts over
                os.unlink(lock_file(self.path))
            except OSError:
                pass  # Windows keeps an open file; it stays, hidden, and is reused
            _unlock(self.handle)
            self.handle.close()
            self.handle = None


def _same_file(handle, path: Path) -> bool:
    try:
        return os.path.samestat(os.fstat(handle.fileno()), os.stat(path))
    except OSError:
        return False


def _try_lock(handle) -> bool:
    try:
        if os.name == "nt":
            import msvcrt

            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False


def _unlock(handle) -> None:
    try:
        if os.name == "nt":
            import msvcrt

            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
        else:
            import fcntl

            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    except OSError:
        pass
