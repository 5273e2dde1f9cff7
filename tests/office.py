"""LibreOffice (headless) and poppler for tests: they must be installed; a missing tool fails the test.

Each call uses a private profile that recalculates every formula on load, so a test reading values
back proves the formulas compute them, not the values the writer cached.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from xml.etree import ElementTree
from pathlib import Path

import pytest

_XHTML = "{http://www.w3.org/1999/xhtml}"

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


# Glyphs closer than this (times the line height) belong to one word. LibreOffice prints a letter
# that the font lacks (Liberation Serif 1.07 has no "ệ", "ố", "Ể"…) in a fallback font, and
# pdftotext starts a new word at every change of font ("Tỷ l ệ %"); real spaces are ~0.2 wide.
_SAME_WORD_GAP = 0.08


def _word_boxes(pdf: Path) -> list[list[list[dict]]]:
    """pdftotext -bbox-layout: for each page its lines in reading order, each a list of word boxes."""
    xhtml = subprocess.run([require("pdftotext"), "-bbox-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    root = ElementTree.fromstring(xhtml)
    pages = []
    for page in root.iter(f"{_XHTML}page"):
        pages.append([[{**{k: float(v) for k, v in word.attrib.items()}, "text": word.text or ""}
                       for word in line.iter(f"{_XHTML}word")]
                      for line in page.iter(f"{_XHTML}line")])
    return pages


def _joined(words: list[dict]) -> str:
    """The words of one line left to right, glyph runs that touch joined into one word."""
    text, previous = "", None
    for word in sorted(words, key=lambda w: w["xMin"]):
        if previous is not None:
            height = word["yMax"] - word["yMin"]
            text += "" if word["xMin"] - previous["xMax"] < _SAME_WORD_GAP * height else " "
        text, previous = text + word["text"], word
    return text


def pdf_reading_text(pdf: Path) -> str:
    """All text in reading order, whitespace as single spaces: a name wrapped inside its cell reads whole."""
    return " ".join(_joined(line) for page in _word_boxes(pdf) for line in page)


def pdf_text(pdf: Path) -> str:
    """The text of each page as printed, one physical line per line (words at one height), pages ended by \f."""
    out = []
    for page in _word_boxes(pdf):
        rows: list[list[dict]] = []
        for word in sorted((w for line in page for w in line), key=lambda w: (w["yMin"] + w["yMax"]) / 2):
            middle, height = (word["yMin"] + word["yMax"]) / 2, word["yMax"] - word["yMin"]
            if rows and abs(middle - (rows[-1][0]["yMin"] + rows[-1][0]["yMax"]) / 2) < height / 3:
                rows[-1].append(word)
            else:
                rows.append([word])
        out.append("\n".join(_joined(row) for row in rows) + "\n\f")
    return "".join(out)
