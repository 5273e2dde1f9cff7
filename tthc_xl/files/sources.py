"""Consolidate unit files into the master model: match units, keep provenance, check across periods."""

from __future__ import annotations

import os
import pickle
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from tthc_xl.files.check import FAILED, OK, expand_sources
from tthc_xl.core.layouts import Layout
from tthc_xl.core.master import Master, Settings, build_master
from tthc_xl.core.model import ERROR, TOTAL, UNIT, WARNING, Finding, Row, Source, Table
from tthc_xl.core.numbers import format_number
from tthc_xl.files.read import FileResult, hidden_row_findings, read_file
from tthc_xl.files.workers import read_isolated
from tthc_xl.core.rules import check_table
from tthc_xl.core.units import LEGACY_ENCODINGS, Unit, UnitList, invisible_characters, legacy_readings


@dataclass
class Consolidation:
    master: Master
    sources: list[dict] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)  # about sources and the master, all of them
    notes: list[str] = field(default_factory=list)

    @property
    def has_errors(self) -> bool:
        return any(f.severity == ERROR for f in self.findings)

    def as_json(self) -> dict:
        master = self.master
        return {
            "form": master.layout.name,
            "sources": self.sources,
            "findings": [f.as_json() for f in self.findings],
            "missing": master.missing,
            "totals": {str(n): v for n, v in master.totals().items()},
            "groups": {g: {str(n): v for n, v in t.items()} for g, t in master.group_totals().items()},
            "previous": {str(n): v for n, v in master.previous.items()} if master.previous else None,
        }


def read_sources(
    files: list[Path], layouts: dict[str, Layout], form: str | None, units: UnitList | None, meanwhile: Callable[[], object] | None = None
) -> list[FileResult]:
    """Every file read, in input order, each in a worker process (`workers`): a file that crashes, hangs or
    swells its reader costs that file only. Several workers when there are many files.

    Results are exactly what `read_file` returns (a file's tables keep the very layout objects of
    `layouts`). TTHC_XL_JOBS caps the workers; where no process can be started (a sandbox, an
    embedded Python) files are read in this process. `meanwhile` runs in this process while
    workers read (the CLI imports the renderer then).
    """
    files = list(files)
    if files:
        try:
            return read_isolated(files, layouts, form, units, _jobs(len(files)), meanwhile, reader=read_file)
        except (OSError, pickle.PickleError, AttributeError, EOFError, RuntimeError):
            pass  # no worker processes here: read one by one
    results = [read_file(path, layouts, form, units) for path in files]
    if meanwhile:
        meanwhile()
    return results


FILES_PER_WORKER = 24  # below this many files per worker, starting one more costs more than it saves


def _jobs(count: int) -> int:
    """How many worker processes read `count` files."""
    try:
        jobs = int(os.environ.get("TTHC_XL_JOBS") or 0)
    except ValueError:
        jobs = 0
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(jobs or cores, cores, count // FILES_PER_WORKER or 1))


def choose_form(results: list[FileResult], form: str | None) -> Layout | None:
    tables = [t for r in results for t in r.tables]
    if form:
        return next((t.layout for t in tables if t.layout.name == form), None)
    names = [t.layout.name for t in tables]
    if not names:
        return None
    best = max(dict.fromkeys(names), key=names.count)
    return next(t.layout for t in tables if t.layout.name == best)


def consolidate(
    sources,
    layouts: dict[str, Layout],
    form: str | None = None,
    units: UnitList | None = None,
    settings: Settings | None = None,
    previous: Table | None = None,
    output: str = "",
) -> Consolidation:
    """Read every source, put each unit's row in its place, build and check the master."""
    results = read_sources(unit_files(sources, output), layouts, form, units)
    return consolidate_results(results, layouts, form, units, settings, previous, output)


def unit_files(sources, output: str = "", recursive: bool = False) -> list[Path]:
    """The files named or found in the folders named; a master kept among the unit files is not one of them."""
    master = Path(output).resolve() if output else None
    return [f for f in expand_sources(sources, recursive) if master is None or f.resolve() != master]


def consolidate_results(
    results: list[FileResult],
    layouts: dict[str, Layout],
    form: str | None = None,
    units: UnitList | None = None,
    settings: Settings | None = None,
    previous: Table | None = None,
    output: str = "",
) -> Consolidation:
    """The master from tables already read (from files, or from sheets of an open workbook)."""
    layout = layouts[form] if form else choose_form(results, None)
    if layout is None:
        layout = next(iter(layouts.values()))
    outcome = Consolidation(master=None)  # type: ignore[arg-type]
    reported: dict[str, Row] = {}
    found_units: list[Unit] = []
    for result in results:
        outcome.notes += result.notes
        if result.error:
            outcome.sources.append({"file": result.file, "sheet": "", "unit": "", "status": FAILED, "error": result.error})
            continue
        for table in result.tables:
            entry = {"file": result.file, "sheet": table.sheet, "unit": "", "status": OK, "error": ""}
            outcome.sources.append(entry)
            if table.layout.name != layout.name:
                entry.update(status=FAILED, error=_other_layout(result.file, table, layout))
                continue
            outcome.findings += check_table(table, aggregates_only=True)  # its unit rows are checked in the master
            outcome.findings += hidden_row_findings(table)
            names = []
            for row in table.rows_of(UNIT):
                name = _accept(row, table, units, reported, outcome.findings)
                if name:
                    names.append(name)
                    if units is None:
                        found_units.append(Unit(name))
            entry["unit"] = names[0] if len(names) == 1 else ""
    unit_list = units or UnitList(found_units)
    groups = _groups(unit_list)
    master = build_master(layout, settings or Settings(), groups, reported)
    for finding in master.findings:
        finding.file = output
    outcome.master = master
    outcome.findings += master.findings
    if previous is not None:
        master.previous = _previous_totals(previous, layout)
        outcome.findings += carried_over_findings(master, previous, output)
    for unit in master.missing:
        outcome.notes.append(f"{unit}: chưa gửi báo cáo.")
    return outcome


def _accept(row: Row, table: Table, units: UnitList | None, reported: dict[str, Row], findings: list[Finding]) -> str:
    """The unit a source row belongs to, or "" (with a finding) when it has no place or is a second copy."""
    for cell in row.cells.values():
        cell.source = Source(table.file, table.sheet, cell.ref)
    name = row.unit
    if units is not None and units.match(row.label) is None:
        legacy = next(((code, units.match(text)) for code, text in legacy_readings(row.label) if units.match(text)), None)
        if legacy is None:
            hidden = invisible_characters(row.label)
            findings.append(
                Finding(
                    table.file, table.sheet, row.label_ref, row.label, "không có trong danh sách", ERROR,
                    f"Tệp {Path(table.file).name}: đơn vị “{row.label}” không có trong danh sách đơn vị; số liệu chưa được tổng hợp. "
                    + (f"Tên này có ký tự không nhìn thấy: {', '.join(hidden)}; hãy gõ lại tên. " if hidden else "")
                    + (f"Có phải là “{near.name}”? " if (near := units.suggest(row.label)) else "")
                    + "Hãy sửa tên đơn vị trong tệp hoặc thêm tên này vào cột bi_danh của danh sách.",
                )
            )
            return ""
        code, unit = legacy
        name = row.unit = unit.name
        row.group = unit.group or row.group
        findings.append(
            Finding(
                table.file, table.sheet, row.label_ref, unit.name, "bảng mã cũ", WARNING,
                f"Tệp {Path(table.file).name}: tên đơn vị “{row.label}” được gõ bằng bảng mã cũ {LEGACY_ENCODINGS[code]}, "
                f"đã hiểu là “{unit.name}” và tổng hợp. Nên đề nghị đơn vị chuyển tệp sang chữ Unicode (Unikey: công cụ "
                "chuyển mã) để tên hiển thị đúng.",
            )
        )
    if name in reported:
        first = next(iter(reported[name].cells.values())).source
        used, other = _where(first.file, first.sheet), _where(table.file, table.sheet)
        if first.file != table.file:
            used, other = _distinct_names(first.file, table.file)
        findings.append(
            Finding(
                table.file, table.sheet, row.label_ref, name, "trùng đơn vị", ERROR,
                f"{name} có hai báo cáo: {used} và {other}. Đã dùng số liệu của {used}; hãy xóa hoặc sửa báo cáo còn lại rồi tổng hợp lại.",
            )
        )
        return ""
    reported[name] = row
    return name


def _distinct_names(first: str, second: str) -> tuple[str, str]:
    """Two files as the clerk can tell them apart: their names, or their paths from the folder they share."""
    a, b = Path(first), Path(second)
    if a.name != b.name:
        return a.name, b.name
    try:
        common = Path(os.path.commonpath([a.absolute(), b.absolute()]))
        return str(a.absolute().relative_to(common.parent)), str(b.absolute().relative_to(common.parent))
    except ValueError:  # different drives
        return str(a), str(b)


def _where(file: str, sheet: str) -> str:
    return f"{Path(file).name} (trang “{sheet}”)"


def _other_layout(file: str, table: Table, layout: Layout) -> str:
    return (
        f"Tệp {Path(file).name} (trang “{table.sheet}”) dùng mẫu {table.layout.name}, khác mẫu {layout.name} của bảng tổng hợp: "
        "hãy đề nghị đơn vị báo cáo đúng mẫu."
    )


def _groups(units: UnitList) -> list[tuple[str, list[str]]]:
    groups: dict[str, list[str]] = {}
    for unit in units.units:
        groups.setdefault(unit.group, []).append(unit.name)
    return list(groups.items())


def _previous_totals(previous: Table, layout: Layout) -> dict[int, float]:
    totals = previous.rows_of(TOTAL)
    if totals:
        return {n: c.value or 0 for n, c in totals[0].cells.items() if n in layout.count_columns}
    return {n: sum(r.values().get(n, 0) for r in previous.rows_of(UNIT)) for n in layout.count_columns}


def carried_over_findings(master: Master, previous: Table, output: str) -> list[Finding]:
    """Each unit's carried-over figure against its pending figure at the end of the previous period."""
    layout = master.layout
    keys = {c.key: c.number for c in layout.columns}
    if "carried_over" not in keys or "pending" not in keys:
        return []
    carried, pending = keys["carried_over"], keys["pending"]
    before = {r.unit: r.values().get(pending) for r in previous.rows_of(UNIT) if not r.blank}
    found = []
    for row in master.table().rows:
        if row.unit not in before or before[row.unit] is None or carried not in row.values():
            continue
        now, then = row.values()[carried], before[row.unit]
        if now == then:
            continue
        cell = row.cells[carried]
        found.append(
            Finding(
                output, master.sheet, cell.ref, row.unit, "kỳ trước chuyển sang", ERROR,
                f"{row.unit}: kỳ trước chuyển sang (cột {carried}) = {format_number(now)} nhưng cuối kỳ trước còn "
                f"{format_number(then)} hồ sơ đang giải quyết (cột {pending}). Ô nghi sai: {cell.ref}; giá trị đúng có thể là {format_number(then)}.",
                suspects=[cell.ref], fix={cell.ref: then}, column=carried, source=cell.source,
            )
        )
    return found


def units_from_table(table: Table) -> UnitList | None:
    """The unit rows an existing master already has, with their groups, in order."""
    rows = table.rows_of(UNIT)
    return UnitList([Unit(r.unit, r.group) for r in rows], table.file) if rows else None


def read_master_table(path: Path, layouts: dict[str, Layout], form: str | None = None) -> Table | None:
    """The appendix table of a master (or any appendix workbook), or None."""
    result = read_file(path, layouts, form)
    return result.tables[0] if result.tables else None
