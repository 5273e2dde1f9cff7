"""Check unit files or appendix workbooks: read every table, confront it with its rules."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .layouts import Layout
from .model import ERROR, UNIT, Finding, Table
from .read import READABLE, FileResult, read_file
from .rules import check_table
from .units import UnitList

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


def expand_sources(sources) -> list[Path]:
    """Files as given; folders as the readable files inside them (not Excel's `~$` lock files)."""
    files: list[Path] = []
    for source in map(Path, sources):
        if source.is_dir():
            files += sorted(p for p in source.rglob("*") if p.is_file() and p.suffix.lower() in READABLE and not p.name.startswith("~$"))
        else:
            files.append(source)
    return files


def source_entries(result: FileResult) -> list[dict]:
    if result.error:
        return [{"file": result.file, "sheet": "", "unit": "", "status": FAILED, "error": result.error}]
    entries = []
    for table in result.tables:
        units = [r.unit for r in table.rows_of(UNIT)]
        entries.append({"file": result.file, "sheet": table.sheet, "unit": units[0] if len(units) == 1 else "", "status": OK, "error": ""})
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
