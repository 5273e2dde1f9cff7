"""Convert a document with LibreOffice (headless, a private profile, bounded in time): .doc, .odt, .rtf → .docx.

The unit's file is never written: LibreOffice reads a copy in a private temporary folder and writes
the converted file there; the caller reads it from memory and the folder goes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from tthc_xl.files.safe_open import ReadError

CONVERT_SECONDS = 120


def find_soffice() -> str | None:
    """LibreOffice's command: on the PATH, or where its Windows installer puts it."""
    found = next((path for name in ("soffice", "libreoffice") if (path := shutil.which(name))), None)
    if found or not sys.platform.startswith("win"):
        return found
    bases = (os.environ.get("ProgramFiles"), os.environ.get("ProgramFiles(x86)"))
    return next((str(p) for base in bases if base and (p := Path(base, "LibreOffice", "program", "soffice.exe")).is_file()), None)


def convert_with_libreoffice(path: Path, data: bytes, target: str, seconds: int = CONVERT_SECONDS) -> bytes:
    """The bytes of `data` (the file at `path`) converted to `target` ("docx", "pdf"…). Raises ReadError."""
    name = path.name
    soffice = find_soffice()
    if soffice is None:
        raise ReadError(
            f"Tệp {name} cần LibreOffice để đọc (chuyển sang .{target}) nhưng máy chưa cài LibreOffice: hãy cài LibreOffice, "
            f"hoặc mở tệp bằng Word, lưu thành .{target} rồi chạy lại."
        )
    with tempfile.TemporaryDirectory(prefix="tthc-xl-chuyen-") as work:
        work = Path(work)
        source = work / f"ban-sao{path.suffix.lower()}"
        source.write_bytes(data)
        profile = work / "profile"
        command = [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
                   "--convert-to", target, "--outdir", str(work / "ra"), str(source)]
        try:
            subprocess.run(command, capture_output=True, text=True, timeout=seconds, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise ReadError(
                f"LibreOffice không chuyển xong tệp {name} sau {seconds} giây (tệp quá lớn hoặc hỏng): hãy mở tệp bằng Word, "
                f"lưu thành .{target} rồi chạy lại."
            ) from None
        except OSError as exc:
            raise ReadError(f"Không chạy được LibreOffice để đọc tệp {name} ({exc}): hãy mở tệp bằng Word, lưu thành .{target} rồi chạy lại.") from None
        produced = work / "ra" / f"ban-sao.{target}"
        if not produced.is_file():
            raise ReadError(
                f"LibreOffice không mở được tệp {name} (tệp hỏng, có mật khẩu hoặc không phải văn bản): hãy mở tệp bằng Word, "
                f"lưu thành .{target} rồi chạy lại, hoặc đề nghị đơn vị gửi lại."
            )
        return produced.read_bytes()
