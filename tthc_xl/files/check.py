"""Check unit files or appendix workbooks: read every table, confront it with its rules."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tthc_xl.core.layouts import Layout
from tthc_xl.core.model import ERROR, SOURCE_FAILED as FAILED, SOURCE_OK as OK, UNIT, Finding, SourceFile, Table  # noqa: F401 - OK, FAILED: the status words, public here too
from tthc_xl.files.read import READABLE, FileResult, read_file
from tthc_xl.core.rules import check_table
from tthc_xl.core.units import UnitList



@dataclass
class CheckResult:
    form: str
    sources: list[SourceFile] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def unusable(self) -> bool:
        return any(not s.ok for s in self.sources)

    @property
    def has_errors(self) -> bool:
        return any(f.severity == ERROR for f in self.findings)

    def as_json(self) -> dict:
        return {"form": self.form, "sources": [s.as_json() for s in self.sources], "findings": [f.as_json() for f in self.findings]}


def expand_sources(sources) -> list[Path]:
    """Files as given; folders as the readable files inside them, each file once, in name order.

    Inside a folder, skipped without a word: Excel's `~$` lock files, and hidden files and folders
    (`.…`: the master's backups in `.sao-luu/`, its unfinished writes `.tong-hop-….xlsx`, macOS's
    `._…` copies). A lock file named on the command line is kept, so the reader can say what it is.
    """
    import os

    files: list[Path] = []
    seen: set[str] = set()
    for source in map(Path, sources):
        if source.is_dir():
            found = []
            for folder, subfolders, names in os.walk(source):
                subfolders[:] = [d for d in subfolders if not d.startswith(".")]
                found += [
                    Path(folder, name)
                    for name in names
                    if not name.startswith((".", "~$")) and Path(name).suffix.lower() in READABLE and Path(folder, name).is_file()
                ]
            found.sort()
        else:
            found = [source]
        for path in found:
            key = os.path.normcase(str(path.resolve()))
            if key not in seen:
                seen.add(key)
                files.append(path)
    return files


def source_entries(result: FileResult) -> list[SourceFile]:
    if result.error:
        return [SourceFile(result.file, status=FAILED, error=result.error)]
    entries = []
    for table in result.tables:
        units = [r.unit for r in table.rows_of(UNIT)]
        entries.append(SourceFile(result.file, table.sheet, units[0] if len(units) == 1 else ""))
    return entries


def check_files(sources, layouts: dict[str, Layout], form: str | None = None, units: UnitList | None = None) -> CheckResult:
    result = CheckResult(form=form or "")
    forms = []
    for path in expand_sources(sources):
        read = read_file(path, layouts, form, units)
        result.sources += source_entries(read)
        result.notes += read.notes
        for table in read.tables:
            result.tables.append(table)
            result.findings += check_table(table)
            forms.append(table.layout.name)
    if not form and forms:
        result.form = max(set(forms), key=forms.count)
    return result
