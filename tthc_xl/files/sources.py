"""Consolidate unit files into the master model: match units, keep provenance, check across periods."""

from __future__ import annotations

import gc
import os
import pickle
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

from tthc_xl.core.layouts import Layout
from tthc_xl.core.master import Master, Settings, build_master
from tthc_xl.core.model import ERROR, SOURCE_FAILED as FAILED, TOTAL, UNIT, WARNING, Finding, Row, SourceFile, Table
from tthc_xl.files.read import READABLE, FileResult, hidden_row_findings, read_file
from tthc_xl.files.workers import read_isolated
from tthc_xl.core.rules import check_unit_table, known_from_previous, known_from_record
from tthc_xl.core.units import LEGACY_ENCODINGS, Unit, UnitList, invisible_characters, legacy_readings


@dataclass
class Consolidation:
    master: Master
    sources: list[SourceFile] = field(default_factory=list)
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
            "sources": [s.as_json() for s in self.sources],
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
            with without_cycle_collection():
                return read_isolated(files, layouts, form, units, _jobs(len(files)), meanwhile, reader=read_file)
        except (OSError, pickle.PickleError, AttributeError, EOFError, RuntimeError):
            pass  # no worker processes here: read one by one
    results = [read_file(path, layouts, form, units) for path in files]
    if meanwhile:
        meanwhile()
    return results


@contextmanager
def without_cycle_collection():
    """Reading, consolidating and writing make hundreds of thousands of small objects (cells, rows, findings)
    that are never cyclic garbage; the cyclic collector would walk over all of them again and again (half the
    time at 5 000 files). They are still freed as soon as they are not used; the collector runs again afterwards
    (as it was: a run within a run leaves it off)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


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
    return consolidate_results(results, layouts, form, units, settings, previous, output, consume=True)


def expand_sources(sources, recursive: bool = False) -> list[Path]:
    """Files as given; folders as the readable files inside them, each file once, in name order.

    A folder is read one level deep: its subfolders (last month's "0 - Tháng 9/", a copy) are not read
    unless `recursive` (`--recursive`).

    Inside a folder, skipped without a word: Excel's `~$` lock files, and hidden files and folders
    (`.…`: the master's backups in `.sao-luu/`, its unfinished writes `.tong-hop-….xlsx`, macOS's
    `._…` copies). A lock file named on the command line is kept, so the reader can say what it is.
    """
    return [path for path, _ in _expand(sources, recursive)]


def _expand(sources, recursive: bool) -> list[tuple[Path, str]]:
    """(path, where it really is) of each file of `expand_sources`. A folder is listed with os.scandir and
    resolved once: a file in it is the resolved folder and its name, unless the file is a link (resolved itself)."""
    files: list[tuple[Path, str]] = []
    seen: set[str] = set()
    for source in map(Path, sources):
        if source.is_dir():
            found: list[tuple[tuple[str, ...], Path, str]] = []
            _list_folder(source, str(source.resolve()), (), recursive, found)
            found.sort(key=lambda item: item[0])  # as the paths sort: part by part
            listed = [(path, real) for _, path, real in found]
        else:
            listed = [(source, str(source.resolve()))]
        for path, real in listed:
            key = os.path.normcase(real)
            if key not in seen:
                seen.add(key)
                files.append((path, real))
    return files


def _list_folder(folder: Path, real: str, parts: tuple[str, ...], recursive: bool, found: list) -> None:
    """The readable files of `folder` (whose resolved path is `real`) as (sort key, path, resolved path), and of its
    subfolders when `recursive` (not hidden ones, not links to folders, as os.walk)."""
    try:
        with os.scandir(folder) as listing:
            entries = list(listing)
    except OSError:
        if not parts:
            raise  # a folder named on the command line that cannot be listed: the run is refused, not empty
        return  # an unreadable subfolder lists nothing, as os.walk
    for entry in entries:
        name = entry.name
        if _is_dir(entry):
            if recursive and not name.startswith(".") and not entry.is_symlink():
                _list_folder(folder / name, os.path.join(real, name), (*parts, name), recursive, found)
            continue
        if not _is_report_name(name):
            continue
        try:
            if not entry.is_file():
                continue
            link = entry.is_symlink()
        except OSError:
            continue
        path = folder / name
        found.append(((*parts, name), path, str(path.resolve()) if link else os.path.join(real, name)))


def _subfolders_with_reports(folder) -> list[str]:
    """Names of the subfolders of `folder` (not hidden ones) that hold a report file; os.scandir: the folder's
    thousands of files are told from its few subfolders without a stat each."""
    try:
        with os.scandir(folder) as listing:
            subfolders = [entry.path for entry in listing if not entry.name.startswith(".") and _is_dir(entry)]
    except OSError:
        return []
    found = []
    for subfolder in subfolders:
        try:
            with os.scandir(subfolder) as listing:
                if any(_is_report_name(e.name) for e in listing):
                    found.append(os.path.basename(subfolder))
        except OSError:
            continue
    return found


def _is_report_name(name: str) -> bool:
    """A name a unit's report may have: a readable suffix, not hidden, not Excel's lock file."""
    return not name.startswith((".", "~$")) and os.path.splitext(name)[1].lower() in READABLE


def _is_dir(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def skipped_subfolders_note(sources, recursive: bool) -> list[str]:
    """A note naming the subfolders of the folders given that hold report files and were not read (without --recursive)."""
    if recursive:
        return []
    skipped = [name for source in sources if os.path.isdir(source) for name in sorted(_subfolders_with_reports(source))]
    if not skipped:
        return []
    names = ", ".join(f"“{name}”" for name in skipped[:8]) + (", …" if len(skipped) > 8 else "")
    return [f"Không đọc các thư mục con {names} (có thể là báo cáo kỳ khác); nếu cần đọc cả thư mục con, hãy chạy lại với --recursive."]


def unit_files(sources, output: str = "", recursive: bool = False) -> list[Path]:
    """The files named or found in the folders named; a master kept among the unit files is not one of them,
    nor its printed copy (`tthc-xl print` writes tong-hop.pdf beside tong-hop.xlsx)."""
    master = Path(output).resolve() if output else None
    own = {str(master), str(master.with_suffix(".pdf"))} if master else set()
    return [path for path, real in _expand(sources, recursive) if real not in own]


def consolidate_results(
    results: list[FileResult],
    layouts: dict[str, Layout],
    form: str | None = None,
    units: UnitList | None = None,
    settings: Settings | None = None,
    previous: Table | None = None,
    output: str = "",
    history=None,  # without `previous`: the history's record of the previous period (files.history.PeriodRecord)
    consume: bool = False,
) -> Consolidation:
    """The master from tables already read (from files, or from sheets of an open workbook).

    `consume`: the caller hands `results` over; each is let go as soon as it is used and the list is left
    empty, so that what the files held is freed while the master is built."""
    with without_cycle_collection():
        return _consolidate_results(results, layouts, form, units, settings, previous, output, history, consume)


def _consolidate_results(results, layouts, form, units, settings, previous, output, history, consume) -> Consolidation:
    layout = layouts[form] if form else choose_form(results, None)
    if layout is None:
        layout = next(iter(layouts.values()))
    outcome = Consolidation(master=None)  # type: ignore[arg-type]
    notes, findings, sources = outcome.notes, outcome.findings, outcome.sources
    reported: dict[str, Row] = {}
    origins: dict[str, tuple[str, str]] = {}  # the file and sheet of each reported row
    found: list[str] = []  # without a unit list: the units found, in file order
    known = known_from_previous(previous, layout) if previous is not None else known_from_record(history, layout) if history else {}
    for index in range(len(results)):
        result = results[index]
        if consume:
            results[index] = None  # what the master needs of it is kept below
        notes += result.notes
        findings += result.findings
        if result.error:
            sources.append(SourceFile(result.file, status=FAILED, error=result.error))
            continue
        for table in result.tables:
            entry = SourceFile(result.file, table.sheet)
            sources.append(entry)
            if table.layout is not layout and table.layout.signature != layout.signature:
                entry.status, entry.error = FAILED, _other_layout(result.file, table, layout)
                continue
            aggregates, from_total = check_unit_table(table)  # its unit rows are checked in the master
            findings += aggregates
            findings += hidden_row_findings(table)
            names = []
            for row in table.rows:
                if row.kind != UNIT:
                    continue
                name = _accept(row, table, units, reported, origins, findings)
                if name:
                    names.append(name)
                    if row.unit in from_total:
                        known[name] = {**known.get(name, {}), **from_total[row.unit]}
            if units is None:
                found += names
            entry.unit = names[0] if len(names) == 1 else ""
    if consume:
        results.clear()
    groups = _groups(units) if units else [("", found)] if found else []  # the units found are in one group
    master = build_master(layout, settings or Settings(), groups, reported, known=known, origins=origins)
    del reported
    for finding in master.findings:
        finding.file = output
    outcome.master = master
    outcome.findings += master.findings
    if previous is not None:
        master.previous = _previous_totals(previous, layout)
    for unit in master.missing:
        outcome.notes.append(f"{unit}: chưa gửi báo cáo.")
    return outcome


def _accept(
    row: Row, table: Table, units: UnitList | None, reported: dict[str, Row], origins: dict[str, tuple[str, str]], findings: list[Finding]
) -> str:
    """The unit a source row belongs to, or "" (with a finding) when it has no place or is a second copy.

    The row kept is the row read (a copy when it is named or grouped otherwise), and its file and sheet in
    `origins`; the table read is left as it was.
    """
    name, group = row.unit, row.group
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
        name, group = unit.name, unit.group or row.group
        findings.append(
            Finding(
                table.file, table.sheet, row.label_ref, unit.name, "bảng mã cũ", WARNING,
                f"Tệp {Path(table.file).name}: tên đơn vị “{row.label}” được gõ bằng bảng mã cũ {LEGACY_ENCODINGS[code]}, "
                f"đã hiểu là “{unit.name}” và tổng hợp. Nên đề nghị đơn vị chuyển tệp sang chữ Unicode (Unikey: công cụ "
                "chuyển mã) để tên hiển thị đúng.",
            )
        )
    if name in reported:
        first_file, first_sheet = origins[name]
        used, other = _where(first_file, first_sheet), _where(table.file, table.sheet)
        if first_file != table.file:
            used, other = _distinct_names(first_file, table.file)
        findings.append(
            Finding(
                table.file, table.sheet, row.label_ref, name, "trùng đơn vị", ERROR,
                f"{name} có hai báo cáo: {used} và {other}. Đã dùng số liệu của {used}; hãy xóa hoặc sửa báo cáo còn lại rồi tổng hợp lại.",
            )
        )
        return ""
    reported[name] = row if row.unit == name and row.group == group else replace(row, unit=name, group=group)
    origins[name] = (table.file, table.sheet)
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
