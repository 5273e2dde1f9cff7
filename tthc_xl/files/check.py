"""Check unit files or appendix workbooks: read every table, confront it with its rules."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tthc_xl.core.layouts import Layout
from tthc_xl.core.model import ERROR, UNIT, Finding, Table
from tthc_xl.files.read import READABLE, FileResult, hidden_row_findings
from tthc_xl.core.rules import check_table
from tthc_xl.core.units import UnitList

OK, FAILED = "ok", "lỗi"


@dataclass
class CheckResult:
    form: str
    sources: list[dict] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def unusable(self) -> bool:
        return any(s["status"] != OK for s in self.sources)

    @property
    def has_errors(self) -> bool:
        return any(f.severity == ERROR for f in self.findings)

    def as_json(self) -> dict:
        return {"form": self.form, "sources": self.sources, "findings": [f.as_json() for f in self.findings]}


def expand_sources(sources, recursive: bool = False) -> list[Path]:
    """Files as given; folders as the readable files inside them, each file once, in name order.

    A folder is read one level deep: its subfolders (last month's "0 - Tháng 9/", a copy) are not read
    unless `recursive` (`--recursive`).

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
                subfolders[:] = [d for d in subfolders if not d.startswith(".")] if recursive else []
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


def skipped_subfolders_note(sources, recursive: bool) -> list[str]:
    """A note naming the subfolders of the folders given that hold report files and were not read (without --recursive)."""
    if recursive:
        return []
    skipped = [
        folder for source in map(Path, sources) if source.is_dir()
        for folder in sorted(source.iterdir())
        if folder.is_dir() and not folder.name.startswith(".")
        and any(f.suffix.lower() in READABLE and not f.name.startswith((".", "~$")) for f in folder.iterdir())
    ]
    if not skipped:
        return []
    names = ", ".join(f"“{f.name}”" for f in skipped[:8]) + (", …" if len(skipped) > 8 else "")
    return [f"Không đọc các thư mục con {names} (có thể là báo cáo kỳ khác); nếu cần đọc cả thư mục con, hãy chạy lại với --recursive."]


def source_entries(result: FileResult) -> list[dict]:
    if result.error:
        return [{"file": result.file, "sheet": "", "unit": "", "status": FAILED, "error": result.error}]
    entries = []
    for table in result.tables:
        units = [r.unit for r in table.rows_of(UNIT)]
        entries.append({"file": result.file, "sheet": table.sheet, "unit": units[0] if len(units) == 1 else "", "status": OK, "error": ""})
    return entries


def check_files(sources, layouts: dict[str, Layout], form: str | None = None, units: UnitList | None = None, recursive: bool = False) -> CheckResult:
    from tthc_xl.files.sources import read_sources  # each file in a worker process (sources imports this module)

    result = CheckResult(form=form or "")
    forms = []
    for read in read_sources(expand_sources(sources, recursive), layouts, form, units):
        result.sources += source_entries(read)
        result.notes += read.notes
        for table in read.tables:
            result.tables.append(table)
            result.findings += check_table(table)
            result.findings += hidden_row_findings(table)
            forms.append(table.layout.name)
    if not form and forms:
        result.form = max(set(forms), key=forms.count)
    return result
