"""Check unit files or appendix workbooks: read every table, confront it with its rules."""

from __future__ import annotations

from dataclasses import dataclass, field

from tthc_xl.core.layouts import Layout
from tthc_xl.core.model import ERROR, SOURCE_FAILED as FAILED, SOURCE_OK as OK, UNIT, Finding, SourceFile, Table  # noqa: F401 - OK, FAILED: the status words, public here too
from tthc_xl.files.read import FileResult, hidden_row_findings
from tthc_xl.files.sources import expand_sources, read_sources  # noqa: F401 - expand_sources: public here too
from tthc_xl.core.rules import check_table
from tthc_xl.core.units import UnitList



@dataclass
class CheckResult:
    form: str
    layout: Layout | None = None
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
        rules = [r.text for r in self.layout.rules] if self.layout else []
        return {"form": self.form, "form_rules": rules, "sources": [s.as_json() for s in self.sources],
                "findings": [f.as_json() for f in self.findings]}


def source_entries(result: FileResult) -> list[SourceFile]:
    if result.error:
        return [SourceFile(result.file, status=FAILED, error=result.error)]
    entries = []
    for table in result.tables + result.level_tables:
        units = [r.unit for r in table.rows_of(UNIT)]
        entries.append(SourceFile(result.file, table.sheet, units[0] if len(units) == 1 else ""))
    return entries


def check_files(sources, layouts: dict[str, Layout], form: str | None = None, units: UnitList | None = None, recursive: bool = False) -> CheckResult:
    result = CheckResult(form=form or "")
    forms: list[Layout] = []

    for read in read_sources(expand_sources(sources, recursive), layouts, form, units):
        result.sources += source_entries(read)
        result.notes += read.notes
        for table in read.tables + read.level_tables:
            result.tables.append(table)
            result.findings += check_table(table)
            result.findings += hidden_row_findings(table)
            forms.append(table.layout)
        result.findings += read.findings
    if forms:
        signatures = [layout.signature for layout in forms]
        result.layout = max(forms, key=lambda layout: signatures.count(layout.signature))
        result.form = result.layout.label
    return result
