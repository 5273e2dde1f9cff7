"""The history of consolidated periods, kept in an embedded SQLite file beside the masters.

Every `tthc-xl consolidate` archives the period it built into `lich-su-tthc.sqlite` in the
master's folder: the period (a sortable key parsed from the settings' period text), the form,
each unit's values and the totals, all keyed by meaning (`received`, `resolved_late`, ...).
Re-archiving a period replaces it. `previous_period()` and `same_period_last_year()` then give
the totals a report compares with ("so với tháng trước", "so với cùng kỳ năm trước") without
the clerk looking for old files.

Period keys: "2019-10" (tháng 10 năm 2019), "2019-Q3" (quý III năm 2019), "2020-H1" (6 tháng đầu
năm 2020), "2020-H2", "2020-9M" (9 tháng đầu năm), "2020" (năm 2020), "2019-09-16..2019-10-15"
(an explicit date range); a text that is none of these is stored under the text itself.

This module also reads a master workbook back (`read_master`): its table, settings and the
"Tổng cộng kỳ trước" row written under the table.
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from tthc_xl.core.errors import ClerkError
from tthc_xl.core.a1 import parse_ref
from tthc_xl.core.layouts import Layout, load_layouts
from tthc_xl.core.model import TOTAL, UNIT, Cell, Row, Table
from tthc_xl.core.numbers import NotANumber, parse_number
from tthc_xl.core.periods import MONTH, QUARTER, HALF, NINE_MONTHS, YEAR, RANGE, TEXT, Period, _as_period, dates_in, parse_period, year_earlier  # noqa: F401 - public here too
from tthc_xl.core.text import fold

DB_NAME = "lich-su-tthc.sqlite"
SCHEMA_VERSION = 1



class HistoryError(ClerkError, ValueError):
    """A master or history file that cannot be used; the message (Vietnamese) says what to do."""


# --------------------------------------------------------------------------------------------
# Reading a master workbook back
# --------------------------------------------------------------------------------------------


@dataclass
class MasterData:
    """What a master workbook holds, read back from the file."""

    path: Path
    table: Table
    settings: object  # tthc_xl.core.master.Settings
    previous: dict[str, int] | None = None  # the "Tổng cộng kỳ trước" row, by meaning key

    @property
    def layout(self) -> Layout:
        return self.table.layout

    def totals(self) -> dict[str, int]:
        """The TOTAL row by meaning key (the sum of the unit rows when the table has none)."""
        return totals_of(self.table)

    def units(self) -> list[tuple[str, dict[str, int]]]:
        """The units that reported, with their values by meaning key."""
        return [(row.unit or row.label, by_key(self.layout, row.values())) for row in self.table.rows_of(UNIT) if not row.blank]

    def missing(self) -> list[str]:
        """The units whose row is blank (the master says "chưa gửi"): not reported yet."""
        return [row.unit or row.label for row in self.table.rows_of(UNIT) if row.blank]


def _number(value):
    """An int when whole: 5661.0 → 5661."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def by_key(layout: Layout, values: dict[int, float]) -> dict[str, int]:
    """Count columns by meaning key, whole numbers as int."""
    counts = set(layout.count_columns)
    return {key: _number(v) for key, v in layout.by_key({n: v for n, v in values.items() if n in counts}).items()}


def totals_of(table: Table) -> dict[str, int]:
    layout = table.layout
    totals = table.rows_of(TOTAL)
    if totals:
        return by_key(layout, totals[0].values())
    sums: dict[int, float] = {}
    for row in table.rows_of(UNIT):
        for n, v in row.values().items():
            sums[n] = sums.get(n, 0) + v
    return by_key(layout, {n: sums.get(n, 0) for n in layout.count_columns})


def read_master(path, layouts: dict[str, Layout] | None = None) -> MasterData:
    """The appendix table of a master, its settings and its "Tổng cộng kỳ trước" row. Raises HistoryError."""
    from tthc_xl.files.sources import read_master_table
    from tthc_xl.files.read import ReadError, read_grids

    path = Path(path)
    if not path.is_file():
        raise HistoryError(f"Không tìm thấy bảng tổng hợp {path}.")
    table = read_master_table(path, layouts or load_layouts())
    if table is None:
        raise HistoryError(
            f"Không tìm thấy bảng số liệu trong tệp {path.name}: hãy chọn đúng tệp bảng tổng hợp "
            "(tệp có trang “Phụ lục I” do tthc-xl tạo)."
        )
    try:
        grid = next((g for g in read_grids(path) if g.sheet == table.sheet), None)
    except ReadError:
        grid = None
    settings = _read_settings(path)
    if grid is not None:
        _settings_from_title(settings, grid, table)
    previous = _previous_row(grid, table) if grid is not None else None
    return MasterData(path, table, settings, previous)


def not_a_master(path: Path, table: Table) -> str:
    """What a file read as a master really is, when it is not one ("" for a master): a unit's report
    or its blank template (one unit row, no "Tổng cộng"), or a master no unit has reported to yet."""
    name = Path(path).name
    units = table.rows_of(UNIT)
    choose = "hãy chọn tệp bảng tổng hợp (tệp có trang “Phụ lục I” với dòng “Tổng cộng”, do tthc-xl tạo)."
    if not table.rows_of(TOTAL) and len(units) <= 1:
        unit = f" ({units[0].unit or units[0].label})" if units and (units[0].unit or units[0].label) else ""
        if all(c.value in (None, 0) for row in units for c in row.cells.values()):
            return f"Tệp {name} là mẫu báo cáo trống của một đơn vị{unit}, chưa có số liệu, không phải bảng tổng hợp: {choose}"
        return f"Tệp {name} là báo cáo của một đơn vị{unit}, không phải bảng tổng hợp: {choose}"
    if units and all(row.blank for row in units):
        return (f"Bảng tổng hợp {name} chưa có số liệu của đơn vị nào (cả {len(units)} đơn vị “chưa gửi”): "
                "hãy tổng hợp báo cáo của các đơn vị (tthc-xl consolidate) rồi dùng lại.")
    return ""


def _read_settings(path: Path):
    from tthc_xl.core.master import Settings

    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        return Settings()
    from xml.etree.ElementTree import ParseError
    from zipfile import BadZipFile

    from tthc_xl.files import openpyxl_without_numpy  # noqa: F401 - first: openpyxl without numpy
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    from tthc_xl.files.master_book import read_settings

    try:
        book = load_workbook(path, data_only=True)
    except (OSError, BadZipFile, InvalidFileException, KeyError, ValueError, TypeError, ParseError):
        return Settings()  # a workbook openpyxl cannot open still has a table calamine read
    try:
        return read_settings(book)
    finally:
        book.close()


_ATTACHED = re.compile(r"Báo cáo số\s+(\S+)\s+ngày\s+(\S+)\s+của\s+(.+?)\)?\s*$", re.IGNORECASE)


def _settings_from_title(settings, grid, table: Table) -> None:
    """Fill what the settings lack from the title block (appendices not written by tthc-xl)."""
    for r in range(grid.top, max(grid.top, table.first_row - 1)):  # title block and header
        for c in range(grid.left, grid.right):
            value = grid.raw(r, c)
            if not isinstance(value, str):
                continue
            text = " ".join(value.split())
            if not settings.period and "THỦ TỤC HÀNH CHÍNH" in text.upper():
                rest = re.split(r"thủ tục hành chính", text, flags=re.IGNORECASE)[-1].strip()
                if rest and parse_period(rest.lower()).parsed:
                    settings.period = rest.lower()
            match = _ATTACHED.search(text)
            if match:
                number, date, issuer = match.groups()
                if not settings.report_number and "…" not in number:
                    settings.report_number = number
                if not settings.report_date and "…" not in date:
                    settings.report_date = date
                if not settings.issuer and "…" not in issuer:
                    settings.issuer = issuer.strip()


def _previous_row(grid, table: Table) -> dict[str, int] | None:
    """The "Tổng cộng kỳ trước" row written under the table (render_xlsx `_write_previous`)."""
    totals = table.rows_of(TOTAL)
    if not totals or not table.rows:
        return None
    columns = {n: parse_ref(cell.ref)[1] for n, cell in totals[0].cells.items()}
    last = max(parse_ref(cell.ref)[0] for row in table.rows for cell in row.cells.values())
    for r in range(last + 1, min(last + 8, grid.bottom)):
        labels = [fold(grid.raw(r, c)) for c in range(grid.left, min(grid.right, min(columns.values(), default=3)))]
        if not any(label.startswith("tong cong ky truoc") for label in labels):
            continue
        values = {}
        for n, c in columns.items():
            try:
                values[n] = parse_number(grid.raw(r, c))
            except NotANumber:
                return None
        return by_key(table.layout, values)
    return None


# --------------------------------------------------------------------------------------------
# Records and the database
# --------------------------------------------------------------------------------------------


@dataclass
class PeriodRecord:
    """One archived period: totals and each unit's values by meaning key."""

    period: Period
    form: str = ""
    totals: dict[str, int] = field(default_factory=dict)
    units: list[tuple[str, dict[str, int]]] = field(default_factory=list)
    groups: dict[str, str] = field(default_factory=dict)  # unit → its group ("Cấp tỉnh"…)
    master: str = ""
    archived_at: str = ""
    identity: str = ""  # the MaBangTongHop of the master it came from


@dataclass
class Archived:
    """What `archive()` did: where, under which key, and what to tell the clerk."""

    database: Path | None
    period: Period | None
    replaced: bool = False
    notes: list[str] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)  # what a re-run of the period changed, line by line

    @property
    def ok(self) -> bool:
        return self.database is not None and self.period is not None

    @property
    def message(self) -> str:
        """Vietnamese lines for the clerk."""
        lines = []
        if self.ok:
            if self.replaced:
                lines.append(f"Kỳ “{self.period.text}” đã có trong lịch sử; so với lần lưu trước: "
                             + ("không có số liệu nào thay đổi." if not self.changes else "đã thay đổi"))
                lines += [f"  {change}" for change in self.changes]
            verb = "Đã cập nhật" if self.replaced else "Đã lưu"
            lines.append(f"{verb} số liệu kỳ “{self.period.text}” vào lịch sử: {self.database}")
        return "\n".join(lines + self.notes)


def database_path(where) -> Path:
    """The history file for a folder, a master in it, or the .sqlite file itself."""
    where = Path(where)
    if where.suffix.lower() in (".sqlite", ".sqlite3", ".db"):
        return where
    if where.is_dir() or not where.suffix:
        return where / DB_NAME
    return where.parent / DB_NAME


_SCHEMA = """
CREATE TABLE IF NOT EXISTS periods (
    key TEXT PRIMARY KEY,      -- "2019-10", "2019-Q3", "2020-H1", "2020", "2019-09-16..2019-10-15", or the text
    kind TEXT NOT NULL,        -- month, quarter, half, nine_months, year, range, text
    text TEXT NOT NULL,        -- the period as the clerk wrote it
    start TEXT, end TEXT,      -- ISO dates, NULL for a text
    form TEXT NOT NULL,        -- layout name ("mau-a")
    master TEXT NOT NULL,      -- the master file archived
    archived_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS totals (
    period TEXT NOT NULL REFERENCES periods(key) ON DELETE CASCADE,
    key TEXT NOT NULL, value NUMERIC,
    PRIMARY KEY (period, key)
);
CREATE TABLE IF NOT EXISTS units (
    period TEXT NOT NULL REFERENCES periods(key) ON DELETE CASCADE,
    position INTEGER NOT NULL, unit TEXT NOT NULL, grp TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (period, unit)
);
CREATE TABLE IF NOT EXISTS owners (  -- the identity (MaBangTongHop) of the master each period came from
    period TEXT PRIMARY KEY REFERENCES periods(key) ON DELETE CASCADE,
    identity TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS written (  -- a master tthc-xl wrote whole, the file's digest then and what it was built from
    master TEXT PRIMARY KEY,   -- the master file (resolved path)
    sha256 TEXT NOT NULL,      -- of the bytes written
    facts TEXT NOT NULL        -- JSON: settings, form, units (name, group)
);
CREATE TABLE IF NOT EXISTS unit_values (
    period TEXT NOT NULL REFERENCES periods(key) ON DELETE CASCADE,
    unit TEXT NOT NULL, key TEXT NOT NULL, value NUMERIC,
    PRIMARY KEY (period, unit, key)
);
"""


def _connect(database: Path, write: bool) -> sqlite3.Connection | None:
    if not write:
        if not database.is_file():
            return None
        connection = sqlite3.connect(f"{database.resolve().as_uri()}?mode=ro", uri=True, timeout=10)
    else:
        connection = sqlite3.connect(database, timeout=10)
        connection.execute("PRAGMA foreign_keys = ON")
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            connection.close()
            raise HistoryError(f"Tệp lịch sử {database} do phiên bản tthc-xl mới hơn tạo: hãy cập nhật tthc-xl.")
        connection.executescript(_SCHEMA)
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    return connection


def record_of(source, master_path=None) -> PeriodRecord:
    """A PeriodRecord from a Consolidation, a Master, MasterData, or a master file's path."""
    from tthc_xl.core.master import Master

    master = getattr(source, "master", source)  # a Consolidation holds its Master
    if isinstance(master, Master):
        layout = master.layout
        keys = {n: layout.column(n).key for n in layout.count_columns}  # by_key, worked out once for every row
        units, groups = [], {}
        for row in master.rows_of(UNIT):
            values = {keys[n]: _number(s.value) for n, s in row.slots.items() if s.value is not None and n in keys} if row.reported else {}
            units.append((row.label, values))
            groups[row.label] = row.group
        return PeriodRecord(parse_period(master.settings.period), layout.name,
                            by_key(layout, master.totals()), units, groups, str(master_path or ""))
    data = source if isinstance(source, MasterData) else read_master(source)
    groups = {row.unit or row.label: row.group for row in data.table.rows_of(UNIT)}
    return PeriodRecord(parse_period(data.settings.period), data.layout.name, data.totals(),
                        data.units(), groups, str(master_path or data.path))


def archive(master_path, consolidation_or_master=None) -> Archived:
    """Store (or replace) the master's period in the history beside it. Never raises for the clerk.

    `consolidation_or_master`: the Consolidation just saved, a Master, or None to read the master
    file at `master_path`. The returned `Archived.message` says, in Vietnamese, what was stored,
    or why nothing was (a master without a period; a history file that cannot be written).
    """
    master_path = Path(master_path)
    database = database_path(master_path)
    try:
        record = record_of(consolidation_or_master if consolidation_or_master is not None else master_path,
                           master_path.resolve())
    except HistoryError as exc:
        return Archived(None, None, notes=[f"Chưa lưu vào lịch sử: {exc}"])
    period = record.period
    notes = []
    if not any(values for _, values in record.units):
        return Archived(None, None, notes=[
            "Chưa lưu vào lịch sử: chưa có báo cáo của đơn vị nào, nên kỳ này chưa có số liệu để lưu."])
    if not period.text:
        return Archived(None, None, notes=[
            "Chưa lưu vào lịch sử: bảng tổng hợp chưa ghi kỳ báo cáo. Hãy ghi ô “Kỳ báo cáo” trên trang "
            "“Cài đặt” (hoặc dùng --period, ví dụ “tháng 10 năm 2019”) rồi tổng hợp lại."])
    if not period.parsed:
        notes.append(
            f"Không nhận ra kỳ báo cáo “{period.text}” (ví dụ đúng: “tháng 10 năm 2019”, “quý III năm 2019”, "
            "“6 tháng đầu năm 2020”, “2019-09-16/2019-10-15”): số liệu được lưu theo đúng chữ đã ghi, "
            "nhưng báo cáo sẽ không tự so sánh được với kỳ trước và cùng kỳ năm trước."
        )
    record.archived_at = dt.datetime.now().isoformat(timespec="seconds")
    record.identity = _identity_of(consolidation_or_master, master_path)
    try:
        refused = claim(database, period, record.identity, master_path.resolve())
        if refused:
            return Archived(None, None, notes=[f"Chưa lưu vào lịch sử: {refused}"])
        before = load(database, period)
        replaced = store(database, record)
    except (sqlite3.Error, OSError, HistoryError) as exc:
        return Archived(None, period, notes=[f"Chưa lưu được lịch sử vào {database}: {exc}"])
    return Archived(database, period, replaced, notes, changes(before, record) if before else [])


def _identity_of(source, master_path: Path) -> str:
    master = getattr(source, "master", source)
    settings = getattr(master, "settings", None)
    if settings is None:
        settings = _read_settings(master_path)
    return getattr(settings, "identity", "") or ""


def claim(database, period: Period, identity: str, master: Path) -> str:
    """"" when `master` may store `period` in the history, else why not (Vietnamese).

    A period belongs to the master file that stored it: only that file replaces it. Another file
    (a copy of it, which carries the same identity, or a scratch master) is refused while that file
    exists; a master moved or renamed (the old path gone) takes the period over.
    """
    connection = _connect(database_path(database), write=False)
    if connection is None:
        return ""
    try:
        row = connection.execute(
            "SELECT p.master, o.identity FROM periods p LEFT JOIN owners o ON o.period = p.key WHERE p.key = ?", (period.key,)
        ).fetchone()
    finally:
        connection.close()
    if row is None or not row[0]:
        return ""
    owner, owner_identity = Path(row[0]), row[1] or ""
    if owner == master or not owner.exists():
        return ""
    if identity and owner_identity == identity:
        return (f"tệp {master.name} là một bản sao của bảng tổng hợp {owner.name}, bảng đã lưu kỳ “{period.text}” vào lịch "
                f"sử. Bản sao không ghi đè lịch sử; hãy tổng hợp vào {owner.name}, hoặc xóa kỳ này khỏi lịch sử trước "
                f"(tthc-xl history --remove \"{period.text}\").")
    return (f"kỳ “{period.text}” đã được lưu vào lịch sử từ bảng tổng hợp {owner.name}; tệp {master.name} là một bảng "
            f"tổng hợp khác nên không ghi đè. Nếu {master.name} mới là bảng chính thức của kỳ này, hãy xóa kỳ khỏi lịch sử "
            f"(tthc-xl history --remove \"{period.text}\") rồi tổng hợp lại.")


def changes(before: PeriodRecord, after: PeriodRecord) -> list[str]:
    """What a re-archived period changes, for the clerk: the totals and the units that differ."""
    from tthc_xl.core.numbers import format_number

    label = key_labels(after.form or before.form)
    lines = []
    for key in dict.fromkeys([*before.totals, *after.totals]):
        old, new = before.totals.get(key), after.totals.get(key)
        if old != new:
            lines.append(f"Tổng cộng, {label(key)}: {_shown(old, format_number)} → {_shown(new, format_number)}")
    old_units, new_units = ({name: v for name, v in r.units if v} for r in (before, after))
    sent = [name for name in new_units if name not in old_units]
    gone = [name for name in old_units if name not in new_units]
    changed = [name for name in new_units if name in old_units and new_units[name] != old_units[name]]
    for names, what in ((sent, "mới có số liệu"), (changed, "thay đổi số liệu"), (gone, "không còn số liệu")):
        if names:
            lines.append(f"{len(names)} đơn vị {what}: {', '.join(names)}")
    return lines


def _shown(value, format_number) -> str:
    return "(không có)" if value is None else format_number(value)


def key_labels(form: str):
    from tthc_xl.core.layouts import LayoutError

    try:
        layout = load_layouts().get(form)
    except (LayoutError, OSError):  # a broken forms folder: the keys themselves
        layout = None
    columns = {c.key: c for c in layout.columns if c.key} if layout else {}
    return lambda key: f"cột ({columns[key].number}) {columns[key].header[-1].lower()}" if key in columns else key


def remove(database, period) -> bool:
    """Remove one period from the history; True when it was there."""
    key = _as_period(period).key
    connection = _connect(database_path(database), write=False)
    if connection is None:
        return False
    connection.close()
    connection = _connect(database_path(database), write=True)
    try:
        with connection:
            return connection.execute("DELETE FROM periods WHERE key = ?", (key,)).rowcount > 0
    finally:
        connection.close()


def store(database, record: PeriodRecord) -> bool:
    """Write one record, replacing the period if it was archived before; True when it was."""
    database = database_path(database)
    connection = _connect(database, write=True)
    try:
        with connection:
            key = record.period.key
            replaced = connection.execute("SELECT 1 FROM periods WHERE key = ?", (key,)).fetchone() is not None
            connection.execute("DELETE FROM periods WHERE key = ?", (key,))  # cascades to the values
            period = record.period
            connection.execute(
                "INSERT INTO periods (key, kind, text, start, end, form, master, archived_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (key, period.kind, period.text, period.start and period.start.isoformat(),
                 period.end and period.end.isoformat(), record.form, record.master, record.archived_at),
            )
            if record.identity:
                connection.execute("INSERT INTO owners (period, identity) VALUES (?, ?)", (key, record.identity))
            connection.executemany("INSERT INTO totals (period, key, value) VALUES (?, ?, ?)",
                                   [(key, k, v) for k, v in record.totals.items()])
            connection.executemany(
                "INSERT OR REPLACE INTO units (period, position, unit, grp) VALUES (?, ?, ?, ?)",
                [(key, i, name, record.groups.get(name, "")) for i, (name, _) in enumerate(record.units)],
            )
            connection.executemany(
                "INSERT OR REPLACE INTO unit_values (period, unit, key, value) VALUES (?, ?, ?, ?)",
                [(key, name, k, v) for name, values in record.units for k, v in values.items()],
            )
        return replaced
    finally:
        connection.close()


def _load_records(connection: sqlite3.Connection, where: str = "", params=()) -> list[PeriodRecord]:
    rows = connection.execute(
        f"SELECT key, kind, text, start, end, form, master, archived_at FROM periods {where} ORDER BY start, key", params
    ).fetchall()
    records = []
    for key, kind, text, start, end, form, master, archived_at in rows:
        period = Period(text, key, kind, start and dt.date.fromisoformat(start), end and dt.date.fromisoformat(end))
        totals = {k: _number(v) for k, v in connection.execute("SELECT key, value FROM totals WHERE period = ?", (key,))}
        units, groups = [], {}
        for name, group in connection.execute("SELECT unit, grp FROM units WHERE period = ? ORDER BY position", (key,)):
            values = {k: _number(v) for k, v in connection.execute(
                "SELECT key, value FROM unit_values WHERE period = ? AND unit = ?", (key, name))}
            units.append((name, values))
            groups[name] = group
        records.append(PeriodRecord(period, form, totals, units, groups, master, archived_at))
    return records


def periods(folder, kind: str | None = None) -> list[PeriodRecord]:
    """Every archived period (of one kind, if given), oldest first; [] when there is no history."""
    connection = _connect(database_path(folder), write=False)
    if connection is None:
        return []
    try:
        if kind:
            return _load_records(connection, "WHERE kind = ?", (kind,))
        return _load_records(connection)
    finally:
        connection.close()


def load(folder, period) -> PeriodRecord | None:
    """The archived record of one period (text or Period), or None."""
    key = _as_period(period).key
    connection = _connect(database_path(folder), write=False)
    if connection is None:
        return None
    try:
        found = _load_records(connection, "WHERE key = ?", (key,))
        return found[0] if found else None
    finally:
        connection.close()


# A range's previous period ends at most this many days before it starts.
RANGE_GAP_DAYS = 7
# Last year's range may start and end this many days off the same dates (weekends, holidays).
RANGE_SLACK_DAYS = 3


def previous_record(folder, period) -> PeriodRecord | None:
    period = _as_period(period)
    if period.kind == RANGE:
        candidates = [r for r in periods(folder, RANGE)
                      if r.period.end < period.start and (period.start - r.period.end).days <= RANGE_GAP_DAYS]
        return max(candidates, key=lambda r: r.period.end, default=None)
    key = period.previous_key()
    return load(folder, key) if key else None


def previous_of(master_path, period) -> tuple[PeriodRecord | None, str]:
    """The history's record of the period before `period`, beside the master, and what to tell the clerk.

    (None, "") when there is no history or no previous period in it; (None, why) when the history
    cannot be read: the consolidation goes on without it.
    """
    if not _as_period(period).parsed:
        return None, ""
    database = database_path(master_path)
    try:
        record = previous_record(database, period)
    except (sqlite3.Error, HistoryError) as exc:
        return None, f"Không đọc được lịch sử {database}: {exc}; chưa đối chiếu “kỳ trước chuyển sang” với kỳ trước."
    if record is None or not any(values for _, values in record.units):
        return None, ""
    return record, (f"Đối chiếu “kỳ trước chuyển sang” của từng đơn vị với số đang giải quyết kỳ “{record.period.text}” "
                    f"trong lịch sử ({database}).")


def last_year_record(folder, period) -> PeriodRecord | None:
    period = _as_period(period)
    key = period.last_year_key()
    if key is None:
        return None
    if period.kind == RANGE:
        start, end = year_earlier(period.start), year_earlier(period.end)
        candidates = [r for r in periods(folder, RANGE)
                      if abs((r.period.start - start).days) <= RANGE_SLACK_DAYS
                      and abs((r.period.end - end).days) <= RANGE_SLACK_DAYS]
        return min(candidates, key=lambda r: abs((r.period.start - start).days), default=None)
    return load(folder, key)


def previous_period(folder, period) -> dict[str, int] | None:
    """Totals (by meaning key) of the period just before `period` ("tháng 10 năm 2019" → tháng 9)."""
    record = previous_record(folder, period)
    return dict(record.totals) if record else None


def same_period_last_year(folder, period) -> dict[str, int] | None:
    """Totals (by meaning key) of the same period one year earlier."""
    record = last_year_record(folder, period)
    return dict(record.totals) if record else None


def chart_rows(master_path, consolidation_or_master=None, limit: int = 12) -> list[PeriodRecord]:
    """The periods a chart sheet shows: up to `limit` archived periods of the same kind before the
    current one, oldest first, then the current one (from `consolidation_or_master`, else the file)."""
    current = record_of(consolidation_or_master if consolidation_or_master is not None else master_path, master_path)
    if not master_path or not current.period.parsed:
        return [current]
    try:
        earlier = [r for r in periods(master_path, current.period.kind)
                   if r.period.start < current.period.start and r.period.key != current.period.key]
    except sqlite3.Error:
        earlier = []
    return earlier[-(limit - 1):] + [current] if limit > 1 else [current]


def previous_table(where, period, layout: Layout) -> Table | None:
    """The period before `period` from the history at `where`, as the table `consolidate --previous`
    reads from the previous master (its unit rows and total, by layout column), or None."""
    try:
        record = previous_record(where, period)
    except sqlite3.Error:
        return None
    if record is None or record.form != layout.name:
        return None
    numbers = {layout.column(n).key: n for n in layout.count_columns}

    def row(kind: str, label: str, values: dict[str, int]) -> Row:
        return Row(kind, label, {numbers[k]: Cell("", v, v) for k, v in values.items() if k in numbers}, label, group=record.groups.get(label, ""))

    rows = [row(UNIT, unit, values) for unit, values in record.units] + [row(TOTAL, "Tổng cộng", record.totals)]
    return Table(record.master, "", layout, rows)


# --------------------------------------------------------------------------------------------
# What tthc-xl wrote into a master, so that a run into a master nobody has touched since writes it
# anew instead of parsing it to update it in place
# --------------------------------------------------------------------------------------------


@dataclass
class Written:
    """What a master written whole by tthc-xl was built from: everything an update reads back from it."""

    settings: object  # tthc_xl.core.master.Settings
    form: str  # the layout's name
    units: list[tuple[str, str]]  # (unit, group) in the master's order


def remember_written(master_path, digest: str | None, master) -> None:
    """Note that the master at `master_path`, whose bytes have `digest`, holds nothing but what
    `master` (a core Master) and the period's files gave it; or, without a digest (a master updated
    in place, which may hold the clerk's own work now), forget it. Never raises: without the note,
    the next run updates the master in place, which is slower but gives the same."""
    import json
    from dataclasses import asdict

    master_path = Path(master_path).resolve()
    database = database_path(master_path)
    if not digest and not database.is_file():
        return
    try:
        connection = _connect(database, write=True)
        with connection:
            connection.execute("DELETE FROM written WHERE master = ?", (str(master_path),))
            if digest and not master.layout.inferred:  # an inferred layout is found again from the master's header
                facts = {"settings": asdict(master.settings), "form": master.layout.name,
                         "units": [[row.label, row.group] for row in master.rows_of(UNIT)]}
                connection.execute("INSERT INTO written VALUES (?, ?, ?)", (str(master_path), digest, json.dumps(facts, ensure_ascii=False)))
        connection.close()
    except (sqlite3.Error, OSError, HistoryError):
        pass


def as_written(master_path) -> Written | None:
    """What the master was built from, when its bytes are still exactly those tthc-xl wrote; else None
    (edited or saved again in Excel, restored from a backup, a history that cannot be read)."""
    import hashlib
    import json

    from tthc_xl.core.master import Settings

    master_path = Path(master_path).resolve()
    try:
        connection = _connect(database_path(master_path), write=False)
        if connection is None:
            return None
        try:
            row = connection.execute("SELECT sha256, facts FROM written WHERE master = ?", (str(master_path),)).fetchone()
        finally:
            connection.close()
        if row is None:
            return None
        with open(master_path, "rb") as handle:
            if hashlib.file_digest(handle, "sha256").hexdigest() != row[0]:
                return None
        facts = json.loads(row[1])
        return Written(Settings(**facts["settings"]), facts["form"], [(name, group) for name, group in facts["units"]])
    except (sqlite3.Error, OSError, ValueError, TypeError, KeyError):
        return None
