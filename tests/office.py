"""LibreOffice (headless) and poppler for tests: they must be installed; a missing tool fails the test.

Each call uses a private profile that recalculates every formula on load, so a test reading values
back proves the formulas compute them, not the values the writer cached.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

_RECALC_ALWAYS = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


def require(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.fail(f"{tool} is not installed: run `bash scripts/test`, which installs LibreOffice and poppler-utils")
    return path


def convert(source: Path, target_format: str, outdir: Path) -> Path:
    """`soffice --convert-to` with a fresh recalculating profile; returns the converted file."""
    soffice = require("soffice")
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lo-profile-") as profile:
        user = Path(profile) / "user"
        user.mkdir()
        (user / "registrymodifications.xcu").write_text(_RECALC_ALWAYS, encoding="utf-8")
        result = subprocess.run(
            [soffice, f"-env:UserInstallation={Path(profile).as_uri()}", "--headless", "--norestore",
             "--convert-to", target_format, "--outdir", str(outdir), str(source)],
            capture_output=True, text=True, timeout=180,
        )
    extension = target_format.split(":")[0]
    converted = outdir / f"{source.stem}.{extension}"
    assert converted.exists(), f"LibreOffice did not convert {source}: {result.stdout} {result.stderr}"
    return converted


def recalculated_values(workbook: Path, sheet: str, tmp: Path) -> list[list]:
    """The sheet's values after LibreOffice opened the file, recalculated it and saved it again."""
    import python_calamine

    converted = convert(workbook, "xlsx:Calc MS Excel 2007 XML", tmp / "recalculated")
    book = python_calamine.CalamineWorkbook.from_path(str(converted))
    return book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)


def pdf_text(pdf: Path) -> str:
    return subprocess.run([require("pdftotext"), "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
