"""Consolidate unit files into the master model: match units, keep provenance, check across periods."""

from __future__ import annotations

import copyreg
import io
import multiprocessing
import os
import pickle
import sys
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

from tthc_xl.files.check import FAILED, OK, expand_sources
from tthc_xl.core.layouts import Layout
from tthc_xl.core.master import Master, Settings, build_master
from tthc_xl.core.model import ERROR, TOTAL, UNIT, Cell, Finding, Row, Source, Table
from tthc_xl.files.read import FileResult, read_file
from tthc_xl.core.rules import check_table, known_from_previous, known_from_record, known_from_total
from tthc_xl.core.units import Unit, UnitList


@dataclass
class Consolidation:
    master: Master
    sources: list[dict] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)  # about sources and the master, all of them
    notes: list[str] = field(default_factory=list)
    sheets: list[Callable] = field(default_factory=list)  # more sheets to write into the master: f(workbook)

    @property
    def has_errors(self) -> bool:
        return any(f.severity == ERROR for f in self.findings)

    def as_json(self) -> dict:
        master = self.master
        return {
            "form": master.layout.name,
            "form_description": master.layout.label,
            "form_rules": [r.text for r in master.layout.rules],
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
    """Every file read, in input order: one by one, or across the cores when there are many.

    Workers return exactly what `read_file` returns (a file's tables keep the very layout objects of
    `layouts`); any failure of the pool itself falls back to reading one by one. TTHC_XL_JOBS=1
    reads in this process only. `meanwhile` runs in this process while workers read (the CLI
    imports the renderer then), or after reading when there are none.
    """
    files = list(files)
    jobs, context = _reading_plan(len(files))
    if jobs > 1:
        size = max(8, min(256, len(files) // (jobs * 4)))
        chunks = [files[i : i + size] for i in range(0, len(files), size)]
        try:
            with ProcessPoolExecutor(jobs, mp_context=context, initializer=_start_reader, initargs=(layouts, form, units)) as pool:
                pending = pool.map(_read_chunk, chunks)
                if meanwhile:
                    meanwhile()
                    meanwhile = None
                results: list[FileResult] = []
                for data in pending:
                    results += _LayoutUnpickler(io.BytesIO(data), layouts).load()
                return results
        except (BrokenProcessPool, OSError, pickle.PickleError, AttributeError, EOFError, RuntimeError):
            pass  # no worker processes here (a sandbox, an embedded Python): read one by one
    results = [read_file(path, layouts, form, units) for path in files]
    if meanwhile:
        meanwhile()
    return results


PARALLEL_MIN_FILES = 48  # below this, starting workers costs more than it saves


def _reading_plan(count: int) -> tuple[int, multiprocessing.context.BaseContext | None]:
    """How many worker processes to read `count` files with (1: none), and how to start them."""
    try:
        jobs = int(os.environ.get("TTHC_XL_JOBS") or 0)
    except ValueError:
        jobs = 0
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    jobs = min(jobs or cores, cores, max(count // 16, 1))
    if threading.active_count() > 1 or threading.current_thread() is not threading.main_thread():
        return 1, None  # a server (xlwings Server) or an embedded interpreter: stay in this process
    # Forking is fast (workers inherit the imported modules) and safe here (Linux, one thread);
    # elsewhere workers start afresh and import everything, which only pays off for many files.
    if sys.platform.startswith("linux"):
        context, minimum = multiprocessing.get_context("fork"), PARALLEL_MIN_FILES
    else:
        context, minimum = multiprocessing.get_context("spawn"), 10 * PARALLEL_MIN_FILES
    if jobs < 2 or count < minimum:
        return 1, None
    return jobs, context


_reader: tuple = ()


def _start_reader(layouts: dict[str, Layout], form: str | None, units: UnitList | None) -> None:
    global _reader
    _reader = (layouts, form, units)


def _read_chunk(paths: list[Path]) -> bytes:
    layouts, form, units = _reader
    results = [read_file(path, layouts, form, units) for path in paths]
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    # A layout from the shared set travels as its name and comes back as the caller's own object.
    known = {id(layout): name for name, layout in layouts.items()}
    pickler.dispatch_table = copyreg.dispatch_table.copy()
    pickler.dispatch_table[Layout] = lambda layout: (
        (_known_layout, (known[id(layout)],)) if id(layout) in known else layout.__reduce_ex__(pickle.HIGHEST_PROTOCOL)
    )
    pickler.dump(results)
    return buffer.getvalue()


def _known_layout(name: str) -> Layout:  # never called: _LayoutUnpickler resolves it
    raise pickle.UnpicklingError(name)


class _LayoutUnpickler(pickle.Unpickler):
    def __init__(self, file, layouts: dict[str, Layout]):
        super().__init__(file)
        self.layouts = layouts

    def find_class(self, module: str, name: str):
        if module == __name__ and name == "_known_layout":
            return self.layouts.__getitem__
        return super().find_class(module, name)


def choose_form(results: list[FileResult], form: str | None) -> Layout | None:
    tables = [t for r in results for t in r.tables]
    if form:
        return next((t.layout for t in tables if t.layout.name == form), None)
    signatures = [t.layout.signature for t in tables]
    if not signatures:
        return None
    best = max(dict.fromkeys(signatures), key=signatures.count)
    return next(t.layout for t in tables if t.layout.signature == best)


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


def unit_files(sources, output: str = "") -> list[Path]:
    """The files named or found in the folders named; a master kept among the unit files is not one of them,
    nor its printed copy (`tthc-xl print` writes tong-hop.pdf beside tong-hop.xlsx)."""
    master = Path(output).resolve() if output else None
    own = {master, master.with_suffix(".pdf")} if master else set()
    return [f for f in expand_sources(sources) if f.resolve() not in own]


def consolidate_results(
    results: list[FileResult],
    layouts: dict[str, Layout],
    form: str | None = None,
    units: UnitList | None = None,
    settings: Settings | None = None,
    previous: Table | None = None,
    output: str = "",
    history=None,  # without `previous`: the history's record of the previous period (files.history.PeriodRecord)
) -> Consolidation:
    """The master from tables already read (from files, or from sheets of an open workbook)."""
    layout = layouts[form] if form else choose_form(results, None)
    if layout is None:
        layout = next(iter(layouts.values()))
    outcome = Consolidation(master=None)  # type: ignore[arg-type]
    reported: dict[str, Row] = {}
    found_units: list[Unit] = []
    known = known_from_previous(previous, layout) if previous is not None else known_from_record(history, layout) if history else {}
    for result in results:
        outcome.notes += result.notes
        outcome.findings += result.findings
        if result.error:
            outcome.sources.append({"file": result.file, "sheet": "", "unit": "", "status": FAILED, "error": result.error})
            continue
        for table in result.tables:
            entry = {"file": result.file, "sheet": table.sheet, "unit": "", "status": OK, "error": ""}
            outcome.sources.append(entry)
            if table.layout.signature != layout.signature:
                entry.update(status=FAILED, error=_other_layout(result.file, table, layout))
                continue
            outcome.findings += check_table(table, aggregates_only=True)  # its unit rows are checked in the master
            from_total = known_from_total(table)
            names = []
            for row in table.rows_of(UNIT):
                name = _accept(row, table, units, reported, outcome.findings)
                if name:
                    names.append(name)
                    known[name] = {**known.get(name, {}), **from_total.get(row.unit, {})}
                    if units is None:
                        found_units.append(Unit(name))
            entry["unit"] = names[0] if len(names) == 1 else ""
    unit_list = units or UnitList(found_units)
    groups = _groups(unit_list)
    master = build_master(layout, settings or Settings(), groups, reported, known=known)
    for finding in master.findings:
        finding.file = output
    outcome.master = master
    outcome.findings += master.findings
    if previous is not None:
        master.previous = _previous_totals(previous, layout)
    for unit in master.missing:
        outcome.notes.append(f"{unit}: chưa gửi báo cáo.")
    return outcome


def _accept(row: Row, table: Table, units: UnitList | None, reported: dict[str, Row], findings: list[Finding]) -> str:
    """The unit a source row belongs to, or "" (with a finding) when it has no place or is a second copy.

    The row kept is a copy whose cells name where they came from; the table read is left as it was.
    """
    name = row.unit
    if units is not None and units.match(row.label) is None:
        findings.append(
            Finding(
                table.file, table.sheet, row.label_ref, row.label, "không có trong danh sách", ERROR,
                f"Tệp {Path(table.file).name}: đơn vị “{row.label}” không có trong danh sách đơn vị; số liệu chưa được tổng hợp. "
                + (f"Có phải là “{near.name}”? " if (near := units.suggest(row.label)) else "")
                + "Hãy sửa tên đơn vị trong tệp hoặc thêm tên này vào cột bi_danh của danh sách.",
            )
        )
        return ""
    if name in reported:
        first = next(iter(reported[name].cells.values())).source
        used, other = _where(first.file, first.sheet), _where(table.file, table.sheet)
        if first.file != table.file:
            used, other = Path(first.file).name, Path(table.file).name
        findings.append(
            Finding(
                table.file, table.sheet, row.label_ref, name, "trùng đơn vị", ERROR,
                f"{name} có hai báo cáo: {used} và {other}. Đã dùng số liệu của {used}; hãy xóa hoặc sửa báo cáo còn lại rồi tổng hợp lại.",
            )
        )
        return ""
    cells = {n: Cell(c.ref, c.value, c.raw, Source(table.file, table.sheet, c.ref)) for n, c in row.cells.items()}
    reported[name] = replace(row, cells=cells)
    return name


def _where(file: str, sheet: str) -> str:
    return f"{Path(file).name} (trang “{sheet}”)"


def _other_layout(file: str, table: Table, layout: Layout) -> str:
    return (
        f"Tệp {Path(file).name} (trang “{table.sheet}”) dùng mẫu {table.layout.label}, khác mẫu {layout.label} của bảng tổng hợp: "
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


def units_from_table(table: Table) -> UnitList | None:
    """The unit rows an existing master already has, with their groups, in order."""
    rows = table.rows_of(UNIT)
    return UnitList([Unit(r.unit, r.group) for r in rows], table.file) if rows else None


def read_master_table(path: Path, layouts: dict[str, Layout], form: str | None = None) -> Table | None:
    """The appendix table of a master (or any appendix workbook), or None."""
    result = read_file(path, layouts, form)
    return result.tables[0] if result.tables else None
