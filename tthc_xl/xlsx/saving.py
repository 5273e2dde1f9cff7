"""Saving a master atomically, whichever engine writes it: a temporary file beside the master, fsync,
backups in `.sao-luu/`, rename. No openpyxl here: the XlsxWriter engine saves through it too."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO


def write_atomically(path: Path, fill: Callable[[BinaryIO], None]) -> str:
    """Write the master at `path` through `fill(out)`, which writes the whole file into `out`, a
    temporary file beside the master, then rename: a crash leaves the old master whole.

    In order: refuse (MasterNotWritable, nothing changed) when the master is open in Excel, read-only
    or its folder takes no files; remove the temporary files of runs that died; create the temporary
    file `.{stem}-{pid}-….xlsx` beside the master, fill it, flush and fsync it; keep the previous master
    as `.sao-luu/{stem}-{yyyy-mm-ddThhmm}{suffix}` (the time it was last saved; identical copies are not
    kept twice, the last BACKUPS are); rename the temporary file over the master; fsync the folder.
    A process killed at any point leaves either the old master or the new one, never a torn file.
    Both engines write through here (tthc_xl.xlsx.render for openpyxl, tthc_xl.xlsx.xlsxwriter_book).
    Returns the SHA-256 of the bytes written.
    """
    import hashlib

    from tthc_xl.files.locking import MasterNotWritable, check_master_writable, folder_message, open_in_excel_message, write_failed_message

    path = Path(path)
    check_master_writable(path)
    remove_stale_temporaries(path)
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.stem}-{os.getpid()}-", suffix=path.suffix, dir=path.parent)
    except PermissionError:
        raise MasterNotWritable(folder_message(path)) from None
    except OSError as exc:
        raise MasterNotWritable(write_failed_message(path, exc.strerror or str(exc))) from None
    try:
        with os.fdopen(handle, "wb") as out:
            fill(out)
            out.flush()
            os.fsync(out.fileno())
        with open(temporary, "rb") as written:
            digest = hashlib.file_digest(written, "sha256").hexdigest()
        _keep_mode(path, Path(temporary))
        back_up(path)
        os.replace(temporary, path)
    except PermissionError:  # Windows: Excel opened the master meanwhile
        Path(temporary).unlink(missing_ok=True)
        raise MasterNotWritable(open_in_excel_message(path)) from None
    except OSError as exc:  # a full disk, a share gone away: the old master is still whole
        Path(temporary).unlink(missing_ok=True)
        raise MasterNotWritable(write_failed_message(path, exc.strerror or str(exc))) from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    _fsync_folder(path.parent)
    prune_backups(path)
    return digest


BACKUP_FOLDER = ".sao-luu"
BACKUPS = 10  # backups kept per master
_STALE_AFTER = 3600  # seconds; where a process cannot be asked whether it lives (Windows)


def backup_pattern(path: Path) -> re.Pattern:
    """`{stem}-2026-11-23T0905{suffix}`, or `…T0905-2{suffix}` for a second version saved in the same minute."""
    return re.compile(rf"^{re.escape(path.stem)}-(\d{{4}}-\d{{2}}-\d{{2}}T\d{{4}})(?:-(\d+))?{re.escape(path.suffix)}$")


def backups(path: Path) -> list[Path]:
    """The master's backups in `.sao-luu/` beside it, oldest first."""
    folder = Path(path).parent / BACKUP_FOLDER
    if not folder.is_dir():
        return []
    pattern = backup_pattern(Path(path))
    found = []
    for item in folder.iterdir():
        match = pattern.match(item.name)
        if match and item.is_file():
            found.append(((match[1], int(match[2] or 1)), item))
    return [item for _, item in sorted(found)]


def back_up(path: Path) -> Path | None:
    """Keep the master about to be replaced in `.sao-luu/`, named by the time it was last saved.

    A copy (never a hard link: a program saving the master in place would change the backup too),
    completed and fsynced under a temporary name, then renamed, so a backup is never half written.
    Nothing is kept when the newest backup already holds the same bytes.
    """
    import datetime as dt
    import filecmp
    import shutil

    path = Path(path)
    if not path.is_file():
        return None
    existing = backups(path)
    if existing and filecmp.cmp(existing[-1], path, shallow=False):
        return existing[-1]
    folder = path.parent / BACKUP_FOLDER
    folder.mkdir(exist_ok=True)
    stamp = dt.datetime.fromtimestamp(path.stat().st_mtime).strftime("%Y-%m-%dT%H%M")
    target = folder / f"{path.stem}-{stamp}{path.suffix}"
    count = 1
    while target.exists():
        count += 1
        target = folder / f"{path.stem}-{stamp}-{count}{path.suffix}"
    handle, partial = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(handle, "wb") as out, open(path, "rb") as source:
            shutil.copyfileobj(source, out)
            out.flush()
            os.fsync(out.fileno())
        shutil.copystat(path, partial)
        os.replace(partial, target)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
    return target


def prune_backups(path: Path, keep: int = BACKUPS) -> None:
    """Remove all but the newest `keep` backups of the master (never anything else in the folder)."""
    for old in backups(path)[:-keep] if keep else backups(path):
        try:
            old.unlink()
        except OSError:
            pass  # a backup someone has open stays; the next run tries again


def remove_stale_temporaries(path: Path) -> list[Path]:
    """Temporary files `.{stem}-{pid}-….{suffix}` left beside the master by runs that died; removed, and returned."""
    import time

    path = Path(path)
    pattern = re.compile(rf"^\.{re.escape(path.stem)}-(\d+)-[A-Za-z0-9_]+{re.escape(path.suffix)}$")
    removed = []
    for item in path.parent.glob(f".{glob_escape(path.stem)}-*{glob_escape(path.suffix)}"):
        match = pattern.match(item.name)
        if not match or int(match[1]) == os.getpid():
            continue
        try:
            if _process_alive(int(match[1])) and time.time() - item.stat().st_mtime < _STALE_AFTER:
                continue
            item.unlink()
            removed.append(item)
        except OSError:
            continue
    return removed


def glob_escape(text: str) -> str:
    import glob

    return glob.escape(text)


def _process_alive(pid: int) -> bool:
    if os.name != "posix":
        return True  # Windows cannot be asked safely (os.kill would end the process): age decides
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _keep_mode(path: Path, temporary: Path) -> None:
    """The new master gets the old one's permissions (mkstemp makes files only their owner can read)."""
    import stat

    try:
        if path.exists():
            os.chmod(temporary, stat.S_IMODE(path.stat().st_mode))
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(temporary, 0o666 & ~umask)
    except OSError:
        pass


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX); Windows has no directory handles for this."""
    if os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
