"""Dossier exports (xlsx through calamine, csv) streamed into an embedded DuckDB store, and the
appendix counts of a period computed there with SQL.

Rows are read in batches (memory stays bounded by the batch, not the export) and stored as text;
DuckDB parses the dates with the mapping's formats, maps the codes, and classifies each dossier in
working time: the due date is the hand-over instant plus the procedure's time limit in working days
(or the software's due date when the export has no limit), moved later by the working time spent
waiting for the applicant's supplements. A row that cannot be counted for certain (an unreadable
date, finished before received, an unknown code, a second copy of a dossier) is a finding naming
its file, row and cell, and is left out of the counts, never silently.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import itertools
import os
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas
import python_calamine

from tthc_xl.core import dossiers as ds
from tthc_xl.core.a1 import column_letters
from tthc_xl.core.calendars import Calendar, load_calendar
from tthc_xl.core.layouts import Layout
from tthc_xl.core.model import ERROR, SOURCE_FAILED, SOURCE_OK, WARNING, Finding
from tthc_xl.core.numbers import format_number
from tthc_xl.core.text import fold
from tthc_xl.core.units import UnitList

BATCH = 50_000  # rows held in Python at once while reading an export
HEADER_SEARCH = 30  # rows under which the header row is looked for
MAX_ROW_FINDINGS = 200  # bad rows listed one by one, per kind of problem; the rest are counted
MAX_VIEWS = 100_000  # dossiers whose two statuses disagree kept for the difference sheet, over all groups
MAX_VIEWS_PER_GROUP = 500
ISO_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d")  # dates calamine read as dates


class ExportError(Exception):
    """An export that cannot be read at all; the message (Vietnamese) names the file and what to do."""


@dataclass
class Loaded:
    """One export file as read."""

    file: str
    sheet: str = ""
    mapping: str = ""
    rows: int = 0
    error: str = ""


@dataclass
class Counted:
    """The appendix counts of one period from every dossier stored."""

    start: dt.date
    end: dt.date
    by: str  # "unit", "field" or "procedure"
    parts: dict[str, dict[str, int]]  # group (as written in the export) → count key → count
    views: dict[str, list[ds.DossierView]]  # group → dossiers whose two statuses disagree (the first few hundred)
    explaining: dict[str, dict[str, int]]  # group → count key → dossiers whose software status moves that count
    outcomes: dict[str, int]  # over all dossiers of the period: outcome → count
    findings: list[Finding] = field(default_factory=list)  # bad rows
    notes: list[str] = field(default_factory=list)
    counted: int = 0  # dossiers handled in the period
    rejected: int = 0  # rows left out (each a finding, or counted in a summary finding)
    calendar: Calendar | None = None


_FOLD_SQL = "trim(regexp_replace(lower(strip_accents(replace(replace({x}, 'đ', 'd'), 'Đ', 'D'))), '[^0-9a-z%]+', ' ', 'g'))"


class DossierStore:
    """Exports read into one DuckDB database (in memory, or a file for very large sets)."""

    def __init__(self, database: str = ":memory:", calendars: Path | None = None, memory_limit: str | None = None):
        self.db = duckdb.connect(database)
        # Beyond a few million dossiers: bound DuckDB's memory (e.g. "1GB") and let it spill to disk.
        memory_limit = memory_limit or os.environ.get("TTHC_XL_DUCKDB_MEMORY")
        if memory_limit:
            self._spill = tempfile.TemporaryDirectory(prefix="tthc-xl-duckdb-")
            self.db.execute(f"SET memory_limit = '{memory_limit.replace(chr(39), '')}'")
            self.db.execute(f"SET temp_directory = '{self._spill.name}'")
        self.db.execute(f"CREATE OR REPLACE MACRO fold(x) AS {_FOLD_SQL.format(x='x')}")
        self._create_raw()
        self._has_parsed = False
        self.db.execute("CREATE TABLE codes (mapping INTEGER, kind VARCHAR, code VARCHAR, value VARCHAR)")
        self.files: list[Loaded] = []
        self.mappings: list[ds.Mapping] = []
        self.cells: list[dict[str, int]] = []  # per file: field → 0-based column of its (first) header
        self.calendars = calendars
        self._parsed = False

    def _create_raw(self) -> None:
        """The staging table: rows read and not yet parsed, as text."""
        columns = ", ".join(f"{f} VARCHAR" for f in ds.FIELDS)
        self.db.execute(f"CREATE TABLE raw (file INTEGER, mapping INTEGER, row INTEGER, {columns})")

    # -- reading -------------------------------------------------------------------------------

    def add(self, path: str | Path, mapping: ds.Mapping | None = None, choices: list[ds.Mapping] | None = None) -> Loaded:
        """Read one export (its first sheet whose header row the mapping fits). Never raises for a clerk's file."""
        path = Path(path)
        loaded = Loaded(str(path))
        self.files.append(loaded)
        self.cells.append({})
        try:
            sheet, rows, dialect, left = _rows_of(path)
            header_at, headers = _header(rows, mapping, choices or [], path)
            if mapping is None:
                mapping = ds.choose_mapping(headers, choices or [])
            loaded.sheet, loaded.mapping = sheet, mapping.name
            index = self._mapping_index(mapping)
            positions = _positions(headers, mapping)
            self.cells[-1] = {k: v[0] + left for k, v in positions.items()}  # for the findings' cell addresses
            number = header_at + 1  # 1-based sheet row of the header
            file_id = len(self.files) - 1
            if dialect is not None and dialect[0] == "utf-8-sig":
                rows.close()  # DuckDB reads a UTF-8 CSV itself, ten times faster than row by row
                loaded.rows = self._insert_csv(path, dialect[1], file_id, index, number, len(headers), positions)
                rows = iter(())
            while True:
                batch = list(itertools.islice(rows, BATCH))
                if not batch:
                    break
                loaded.rows += self._insert(file_id, index, number + 1, batch, positions)
                number += len(batch)
        except ExportError as exc:
            loaded.error = str(exc)
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            loaded.error = f"Không đọc được tệp {path.name} ({exc}): hãy mở bằng Excel, lưu lại thành .xlsx hoặc .csv (UTF-8) rồi chạy lại."
        self._parsed = False
        return loaded

    def _mapping_index(self, mapping: ds.Mapping) -> int:
        for index, known in enumerate(self.mappings):
            if known is mapping:
                return index
        self.mappings.append(mapping)
        index = len(self.mappings) - 1
        codes = [(index, kind, k, v) for kind, table in (("channel", mapping.channels), ("status", mapping.statuses), ("unit", mapping.units)) for k, v in table.items()]
        if codes:
            self.db.executemany("INSERT INTO codes VALUES (?, ?, ?, ?)", codes)
        return index

    def _insert(self, file_id: int, mapping: int, first_row: int, batch: list, positions: dict[str, list[int]]) -> int:
        width = max(len(r) for r in batch)
        columns = list(zip(*(list(r) + [""] * (width - len(r)) for r in batch)))
        data = {"file": [file_id] * len(batch), "mapping": [mapping] * len(batch), "row": range(first_row, first_row + len(batch))}
        for name in ds.FIELDS:
            where = positions.get(name)
            if not where:
                data[name] = [None] * len(batch)
                continue
            values = [_text_column(columns[i]) if i < width else [""] * len(batch) for i in where]
            merged = values[0]
            for more in values[1:]:
                merged = [a or b for a, b in zip(merged, more)]
            data[name] = merged
        frame = pandas.DataFrame(data)
        self.db.register("batch", frame)
        self.db.execute("INSERT INTO raw SELECT * FROM batch")
        self.db.unregister("batch")
        return len(batch)

    def _insert_csv(self, path: Path, delimiter: str, file_id: int, mapping: int, header_row: int, width: int, positions: dict[str, list[int]]) -> int:
        columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(width)) + "}"
        try:
            self.db.execute(
                f"CREATE OR REPLACE TEMP TABLE export AS SELECT * FROM read_csv(?, delim = ?, quote = '\"', escape = '\"', header = false, "
                f"skip = ?, auto_detect = false, columns = {columns}, null_padding = true, strict_mode = false)",
                [str(path), delimiter, header_row],
            )
        except duckdb.Error as exc:
            raise ExportError(f"Tệp {path.name} không đọc được dạng CSV ({str(exc).splitlines()[0]}): hãy mở bằng Excel, lưu thành .xlsx rồi chạy lại.") from None
        values = []
        for name in ds.FIELDS:
            where = positions.get(name)
            values.append(f"coalesce({', '.join(f'nullif(c{i}, {chr(39)}{chr(39)})' for i in where)})" if where else "NULL")
        self.db.execute(f"INSERT INTO raw SELECT {file_id}, {mapping}, (rowid + {header_row + 1})::INTEGER, {', '.join(values)} FROM export ORDER BY rowid")
        count = self.db.execute("SELECT count(*) FROM export").fetchall()[0][0]
        self.db.execute("DROP TABLE export")
        return count

    # -- parsing and checking --------------------------------------------------------------------

    def _parse(self) -> None:
        """`dossiers`: the rows that can be counted, typed; `problems`: the rows that cannot, and why."""
        if self._parsed:
            return
        def date(name: str) -> str:
            cases = " ".join(
                f"WHEN {i} THEN try_strptime(NULLIF(trim(r.{name}), ''), {_sql_list([*m.formats, *ISO_FORMATS])})" for i, m in enumerate(self.mappings)
            )
            return f"CASE r.mapping {cases} END" if cases else "NULL::TIMESTAMP"

        dates = ",\n".join(f"{date(n)} AS {n}_t" for n in ds.DATE_FIELDS)
        for kind, column in (("channel", "channel"), ("status", "status"), ("unit", "unit")):  # fold each distinct code once, not each row
            self.db.execute(f"""
                CREATE OR REPLACE TEMP TABLE {kind}_codes AS
                SELECT r.mapping, coalesce(r.{column}, '') AS raw, c.value FROM (SELECT DISTINCT mapping, {column} FROM raw) r
                LEFT JOIN codes c ON c.mapping = r.mapping AND c.kind = '{kind}' AND c.code = fold(r.{column})
            """)
        # Staged rows move into `parsed` (text kept for the findings, typed beside it); staging empties.
        verb = "INSERT INTO parsed" if self._has_parsed else "CREATE TABLE parsed AS"
        self.db.execute(f"""
            {verb}
            SELECT *, (rejected_t IS NOT NULL OR status_key IN ('returned', 'withdrawn')) AS is_returned,
                   CASE WHEN rejected_t IS NOT NULL OR status_key IN ('returned', 'withdrawn') THEN coalesce(rejected_t, finished_t) ELSE finished_t END AS closed_t
            FROM (SELECT * REPLACE (
                -- A date without a time: a due date means the end of that day, a finishing date its middle
                -- (so that finishing on the due date is on time, and on an earlier day early).
                CASE WHEN due_t = date_trunc('day', due_t) THEN due_t + INTERVAL 86399 SECOND ELSE due_t END AS due_t,
                CASE WHEN finished_t = date_trunc('day', finished_t) THEN finished_t + INTERVAL 12 HOUR ELSE finished_t END AS finished_t,
                CASE WHEN rejected_t = date_trunc('day', rejected_t) THEN rejected_t + INTERVAL 12 HOUR ELSE rejected_t END AS rejected_t)
            FROM (
                SELECT r.* REPLACE (nfc_normalize(coalesce(un.value, r.unit)) AS unit, nfc_normalize(r.field) AS field,
                                    nfc_normalize(r.procedure) AS procedure), {dates},
                       TRY_CAST(replace(trim(r.time_limit), ',', '.') AS DOUBLE) AS limit_days,
                       ch.value AS channel_key, st.value AS status_key
                FROM raw r
                LEFT JOIN channel_codes ch ON ch.mapping = r.mapping AND ch.raw = coalesce(r.channel, '')
                LEFT JOIN status_codes st ON st.mapping = r.mapping AND st.raw = coalesce(r.status, '')
                LEFT JOIN unit_codes un ON un.mapping = r.mapping AND un.raw = coalesce(r.unit, '')
            ))
        """)
        self._has_parsed = True
        self.db.execute("DROP TABLE raw")
        self._create_raw()
        checks = []
        for name in ds.REQUIRED:
            checks.append(f"SELECT file, row, code, unit, '{name}' AS field, {name} AS raw, 'missing' AS kind FROM parsed WHERE NULLIF(trim({name}), '') IS NULL")
        for name in ds.DATE_FIELDS:
            checks.append(f"SELECT file, row, code, unit, '{name}', {name}, 'date' FROM parsed WHERE NULLIF(trim({name}), '') IS NOT NULL AND {name}_t IS NULL")
        checks += [
            "SELECT file, row, code, unit, 'finished', finished, 'before' FROM parsed WHERE finished_t < received_t",
            "SELECT file, row, code, unit, 'rejected', rejected, 'before' FROM parsed WHERE rejected_t < received_t",
            "SELECT file, row, code, unit, 'supplement_received', supplement_received, 'supplement' FROM parsed WHERE supplement_received_t < supplement_requested_t",
            "SELECT file, row, code, unit, 'channel', channel, 'code' FROM parsed WHERE NULLIF(trim(channel), '') IS NOT NULL AND channel_key IS NULL",
            "SELECT file, row, code, unit, 'status', status, 'code' FROM parsed WHERE NULLIF(trim(status), '') IS NOT NULL AND status_key IS NULL",
            "SELECT file, row, code, unit, 'time_limit', time_limit, 'limit' FROM parsed WHERE NULLIF(trim(time_limit), '') IS NOT NULL AND (limit_days IS NULL OR limit_days < 0)",
            "SELECT file, row, code, unit, 'due', due, 'no_due' FROM parsed WHERE NOT is_returned AND due_t IS NULL AND limit_days IS NULL AND NULLIF(trim(due), '') IS NULL AND NULLIF(trim(time_limit), '') IS NULL",
            "SELECT file, row, code, unit, 'status', status, 'returned_undated' FROM parsed WHERE is_returned AND closed_t IS NULL",
            """SELECT file, row, code, unit, 'code', code, 'duplicate' FROM (
                   SELECT *, row_number() OVER (PARTITION BY trim(code) ORDER BY file, row) AS copy FROM parsed
                   WHERE trim(code) IN (SELECT trim(code) FROM parsed WHERE nullif(trim(code), '') IS NOT NULL GROUP BY trim(code) HAVING count(*) > 1))
               WHERE copy > 1""",
        ]
        self.db.execute("CREATE OR REPLACE TABLE problems AS " + " UNION ALL ".join(checks))
        self.db.execute("""
            CREATE OR REPLACE VIEW dossiers AS
            SELECT p.* FROM parsed p ANTI JOIN (SELECT DISTINCT file, row FROM problems) b ON p.file = b.file AND p.row = b.row
        """)
        self._parsed = True

    def bad_rows(self) -> tuple[list[Finding], int]:
        """A finding per bad row (the first MAX_ROW_FINDINGS of each kind, then one that counts the rest), and how many rows are left out."""
        self._parse()
        left_out = self.db.execute("SELECT count(DISTINCT (file, row)) FROM problems").fetchall()[0][0]
        rows = self.db.execute("""
            SELECT file, row, code, unit, field, raw, kind, n FROM (
                SELECT *, row_number() OVER (PARTITION BY kind ORDER BY file, row) AS n FROM problems)
            WHERE n <= ? ORDER BY file, row
        """, [MAX_ROW_FINDINGS]).fetchall()
        findings = [self._bad_row(*r[:7]) for r in rows]
        for kind, count in self.db.execute("SELECT kind, count(*) FROM problems GROUP BY kind HAVING count(*) > ? ORDER BY kind", [MAX_ROW_FINDINGS]).fetchall():
            findings.append(Finding("", "", "", "", ds.BAD_ROW, ERROR,
                                    f"Còn {format_number(count - MAX_ROW_FINDINGS)} dòng khác cùng lỗi “{_PROBLEMS[kind].split(':')[0]}” không liệt kê ở đây; các hồ sơ này chưa được đếm."))
        return findings, left_out

    def _bad_row(self, file: int, row: int, code, unit, name: str, raw, kind: str) -> Finding:
        loaded = self.files[file]
        mapping = self.mappings[[m.name for m in self.mappings].index(loaded.mapping)] if loaded.mapping else None
        column = self.cells[file].get(name)
        cell = f"{column_letters(column)}{row}" if column is not None else ""
        header = mapping.columns[name][0] if mapping and name in mapping.columns else ds.FIELD_NAMES[name]
        problem = _PROBLEMS[kind].format(field=ds.FIELD_NAMES[name], header=header, raw=ds.clean(raw),
                                         formats=", ".join(mapping.date_formats) if mapping else "")
        return ds.bad_row_finding(loaded.file, loaded.sheet, cell, ds.clean(unit), ds.clean(code), row, problem)

    # -- counting ------------------------------------------------------------------------------

    def count(self, start: dt.date, end: dt.date, layout: Layout, by: str = "unit") -> Counted:
        """Every count key per unit (or field, procedure) for the period start..end (whole days)."""
        self._parse()
        findings, left_out = self.bad_rows()
        begin, stop = ds.period_bounds(start, end)
        lowest, highest = self.db.execute(
            "SELECT least(min(received_t), min(supplement_requested_t)), greatest(max(received_t), max(due_t), max(finished_t), max(rejected_t), max(supplement_received_t)) FROM dossiers"
        ).fetchall()[0]
        first = min(lowest.date() if lowest else start, start)
        last = max(highest.date() if highest else end, stop.date())
        calendar = load_calendar(first, last, self.calendars)
        notes: list[str] = []
        for year in calendar.missing:
            findings.append(Finding("", "", "", "", "lịch làm việc", WARNING,
                                    f"Năm {year} chưa có tệp lịch làm việc (templates/calendars/{year}.toml): chỉ trừ thứ Bảy, Chủ nhật, chưa trừ ngày lễ, Tết."))
        days = pandas.DataFrame(calendar.days(), columns=["day", "before", "working"])
        self.db.register("days", days)
        self.db.execute("CREATE OR REPLACE TABLE cal AS SELECT day::DATE AS day, before::DOUBLE AS before, working FROM days")
        self.db.unregister("days")
        group = {"unit": "d.unit", "field": "d.field", "procedure": "d.procedure"}[by]
        day = calendar.day_minutes
        self.db.execute(_classify_sql(calendar, group), {"S": begin, "E": stop, "M": day})
        parts: dict[str, dict[str, int]] = {}
        outcomes = dict.fromkeys(ds.OUTCOMES, 0)
        tallies = self.db.execute("""
            SELECT grp, count(*) AS received,
                   count(*) FILTER (WHERE phase = 'carried') AS carried_over,
                   count(*) FILTER (WHERE phase = 'new') AS received_new,
                   count(*) FILTER (WHERE phase = 'new' AND channel_key = 'online') AS received_online,
                   count(*) FILTER (WHERE phase = 'new' AND channel_key IN ('direct', 'postal')) AS received_direct,
                   count(*) FILTER (WHERE phase = 'new' AND channel_key = 'postal') AS received_postal,
                   """ + ",\n".join(f"count(*) FILTER (WHERE outcome = '{o}') AS {o}" for o in ds.OUTCOMES) + """
            FROM classified GROUP BY grp ORDER BY grp
        """)
        names = [d[0] for d in tallies.description]
        for values in tallies.fetchall():
            row = dict(zip(names, values))
            key = ds.clean(row.pop("grp")) or "(không ghi)"
            row["resolved"] = row[ds.EARLY] + row[ds.ON_TIME] + row[ds.LATE]
            row["pending"] = row[ds.IN_TIME] + row[ds.OVERDUE]
            target = parts.setdefault(key, dict.fromkeys(ds.COUNT_KEYS, 0))
            for name, value in row.items():
                target[name] += value
            for outcome in ds.OUTCOMES:
                outcomes[outcome] += row[outcome]
        views = self._views(calendar, len(parts))
        counted = sum(p["received"] for p in parts.values())
        return Counted(start, end, by, parts, views, self._explaining(), outcomes, findings, notes, counted, left_out, calendar)

    def _explaining(self) -> dict[str, dict[str, int]]:
        """Per group and count key, the dossiers counted under that key by one of their two statuses and not by the other."""
        pairs = [(state, key) for state, keys in ds.STATE_KEYS.items() for key in keys]
        self.db.execute("CREATE OR REPLACE TEMP TABLE state_keys (state VARCHAR, key VARCHAR)")
        self.db.executemany("INSERT INTO state_keys VALUES (?, ?)", pairs)
        rows = self.db.execute(f"""
            WITH moved AS (
                SELECT c.grp, k.key FROM (SELECT * FROM classified WHERE {_DISAGREE}) c JOIN state_keys k ON k.state = c.status_key
                WHERE NOT EXISTS (SELECT 1 FROM state_keys o WHERE o.state = c.outcome AND o.key = k.key)
                UNION ALL
                SELECT c.grp, k.key FROM (SELECT * FROM classified WHERE {_DISAGREE}) c JOIN state_keys k ON k.state = c.outcome
                WHERE NOT EXISTS (SELECT 1 FROM state_keys s WHERE s.state = c.status_key AND s.key = k.key)
            )
            SELECT grp, key, count(*) FROM moved GROUP BY grp, key
        """).fetchall()
        explaining: dict[str, dict[str, int]] = {}
        for grp, key, count in rows:
            explaining.setdefault(ds.clean(grp) or "(không ghi)", {})[key] = count
        return explaining

    def _views(self, calendar: Calendar, groups: int) -> dict[str, list[ds.DossierView]]:
        rows = self.db.execute(f"""
            SELECT file, row, code, grp, field, channel_key, received_t, due_t, due_w, supplement_requested_t, supplement_received_t, closed_t,
                   status_key, outcome, phase
            FROM classified WHERE {_DISAGREE}
            QUALIFY row_number() OVER (PARTITION BY grp ORDER BY file, row) <= {max(20, min(MAX_VIEWS_PER_GROUP, MAX_VIEWS // max(groups, 1)))}
            ORDER BY grp, file, row
        """).fetchall()
        views: dict[str, list[ds.DossierView]] = {}
        for (file, row, code, grp, fld, channel, received, due, due_w, s_req, s_recv, closed, status, outcome, phase) in rows:
            views.setdefault(ds.clean(grp) or "(không ghi)", []).append(ds.DossierView(
                self.files[file].file, row, ds.clean(code), ds.clean(grp), ds.clean(fld), channel or "", received, due,
                calendar.moment(due_w) if due_w is not None else None, s_req, s_recv, closed, status, outcome, phase))
        return views

    def summary(self) -> list[dict]:
        return [{"file": f.file, "sheet": f.sheet, "unit": "", "status": SOURCE_FAILED if f.error else SOURCE_OK, "error": f.error,
                 "mapping": f.mapping, "rows": f.rows} for f in self.files]


# A dossier whose software status says something its dates do not: a generic status ("đang giải
# quyết", "đã có kết quả") agrees with every outcome of its kind.
_AGREEING = {ds.PENDING: (ds.IN_TIME, ds.OVERDUE), ds.SUPPLEMENT: (ds.IN_TIME,), ds.RESOLVED: (ds.EARLY, ds.ON_TIME, ds.LATE), ds.WITHDRAWN: (ds.RETURNED,)}
_DISAGREE = "status_key IS NOT NULL AND status_key <> outcome AND NOT (" + " OR ".join(
    f"(status_key = '{status}' AND outcome IN ({', '.join(repr(o) for o in outcomes)}))" for status, outcomes in _AGREEING.items()
) + ")"

_PROBLEMS = {
    "missing": "thiếu {field} (cột “{header}”)",
    "date": "{field} “{raw}” không đọc được theo định dạng {formats}",
    "before": "{field} “{raw}” trước ngày tiếp nhận",
    "supplement": "ngày nhận bổ sung “{raw}” trước ngày yêu cầu bổ sung",
    "code": "mã {field} “{raw}” không có trong tệp ánh xạ",
    "limit": "thời hạn giải quyết “{raw}” không phải số ngày",
    "no_due": "không có ngày hẹn trả, cũng không có thời hạn giải quyết",
    "returned_undated": "hồ sơ trả lại (“{raw}”) nhưng không có ngày trả lại hay ngày kết thúc",
    "duplicate": "mã hồ sơ “{raw}” đã có ở dòng trước (hồ sơ trùng)",
}


def _sql_list(items) -> str:
    return "[" + ", ".join("'" + i.replace("'", "''") + "'" for i in items) + "]"


def _working_sql(calendar: Calendar, alias: str, moment: str, start: bool = False) -> str:
    """Working minutes from the calendar's start to `moment` (SQL), `alias` being its day in `cal`.

    With `start`, the minute the clock starts for a dossier received at `moment` (hand-over cut-offs).
    """
    of_day = f"(hour({moment}) * 60 + minute({moment}) + second({moment}) / 60.0)"
    within = " + ".join(f"greatest(0, least({of_day}, {e}) - {s})" for s, e in calendar.hours)
    expression = within
    if start:
        cases, done = [], 0
        hours = calendar.hours
        for index, ((s, e), cutoff) in enumerate(zip(hours, calendar.handover)):
            following = hours[index + 1][0] if index + 1 < len(hours) else 24 * 60
            cases.append(f"WHEN {of_day} > {cutoff} AND {of_day} < {following} THEN {done + e - s}")
            done += e - s
        expression = f"CASE {' '.join(cases)} ELSE {within} END"
    return f"({alias}.before + CASE WHEN {alias}.working THEN {expression} ELSE 0 END)"


def _classify_sql(calendar: Calendar, group: str) -> str:
    """`classified`: each dossier handled in [S, E) with its phase, due (working minutes) and outcome."""
    w = lambda alias, moment, start=False: _working_sql(calendar, alias, moment, start)  # noqa: E731
    return f"""
        CREATE OR REPLACE TEMP TABLE classified AS
        WITH base AS (
            SELECT d.file, d.row, d.code, d.field, d.channel_key, d.status_key, d.received_t, d.due_t, d.limit_days,
                   d.supplement_requested_t, d.supplement_received_t, d.closed_t, d.is_returned, {group} AS grp,
                   (d.closed_t IS NOT NULL AND d.closed_t < $E) AS closed_in,
                   CASE WHEN d.closed_t IS NOT NULL AND d.closed_t < $E THEN d.closed_t ELSE $E END AS asof
            FROM dossiers d
            WHERE d.received_t < $E AND (d.closed_t IS NULL OR d.closed_t >= $S)
        ), timed AS (
            SELECT b.*,
                   CASE WHEN b.limit_days IS NOT NULL THEN {w('cr', 'b.received_t', True)} + b.limit_days * $M ELSE {w('cd', 'b.due_t')} END
                   + CASE WHEN b.supplement_requested_t IS NOT NULL AND b.supplement_requested_t < b.asof
                          THEN {w('cb', 'least(coalesce(b.supplement_received_t, b.asof), b.asof)')} - {w('cq', 'b.supplement_requested_t')}
                          ELSE 0 END AS due_w,
                   {w('cc', 'b.closed_t')} AS closed_w,
                   (NOT b.closed_in AND b.supplement_requested_t < $E AND (b.supplement_received_t IS NULL OR b.supplement_received_t >= $E)) AS waiting
            FROM base b
            LEFT JOIN cal cr ON cr.day = CAST(b.received_t AS DATE)
            LEFT JOIN cal cd ON cd.day = CAST(b.due_t AS DATE)
            LEFT JOIN cal cb ON cb.day = CAST(least(coalesce(b.supplement_received_t, b.asof), b.asof) AS DATE)
            LEFT JOIN cal cq ON cq.day = CAST(b.supplement_requested_t AS DATE)
            LEFT JOIN cal cc ON cc.day = CAST(b.closed_t AS DATE)
        )
        SELECT t.*,
               CASE WHEN t.received_t < $S THEN 'carried' ELSE 'new' END AS phase,
               CASE WHEN t.closed_in AND t.is_returned THEN 'returned'
                    WHEN t.closed_in AND t.closed_w > t.due_w THEN 'resolved_late'
                    WHEN t.closed_in AND t.closed_w <= (ceil(t.due_w / $M) - 1) * $M THEN 'resolved_early'
                    WHEN t.closed_in THEN 'resolved_on_time'
                    WHEN t.waiting OR {w('ce', '$E')} <= t.due_w THEN 'pending_in_time'
                    ELSE 'pending_overdue' END AS outcome
        FROM timed t
        LEFT JOIN cal ce ON ce.day = CAST($E AS DATE)
    """


# ------------------------------------------------------------------------------------------------
# Streaming rows out of an export
# ------------------------------------------------------------------------------------------------


def _rows_of(path: Path):
    """(sheet name, iterator of rows, CSV (encoding, delimiter) or None, first column) of the export's first sheet, or its CSV lines."""
    if not path.is_file():
        raise ExportError(f"Không tìm thấy tệp {path}.")
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt"):
        return ("", *_csv_rows(path), 0)
    if suffix not in (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"):
        raise ExportError(f"Tệp {path.name} không phải danh sách hồ sơ dạng .xlsx, .xls, .ods hay .csv.")
    _screen(path, suffix)
    try:
        book = python_calamine.CalamineWorkbook.from_path(str(path))
        name = book.sheet_names[0]
        sheet = book.get_sheet_by_name(name)
        # calamine's rows start at the sheet's first row, its columns at the first used column.
        return name, iter(sheet.iter_rows()), None, (sheet.start or (0, 0))[1]
    except python_calamine.PasswordError:
        raise ExportError(f"Tệp {path.name} có mật khẩu: hãy xuất lại danh sách hồ sơ không đặt mật khẩu.") from None
    except Exception as exc:  # calamine raises several types for broken files
        raise ExportError(f"Không mở được tệp {path.name} ({type(exc).__name__}): tệp hỏng hoặc không đúng định dạng. Hãy xuất lại từ phần mềm.") from None


MAX_UNPACKED = 8 * 2**30  # an export of a few million dossiers unpacks to a few GB at most
MAX_RATIO = 200  # unpacked / packed of a large part; spreadsheet XML packs 5–50 times


def _screen(path: Path, suffix: str) -> None:
    """Refuse, before calamine parses it, a file that is not a workbook (a web page saved as .xls, a
    PDF) or a package that declares more than any export unpacks to (a zip bomb)."""
    from tthc_xl.files.safe_open import ReadError, refuse_non_spreadsheet, sniff

    with open(path, "rb") as handle:
        kind = sniff(handle.read(4096))
    if kind not in ("zip", "ole"):
        try:
            refuse_non_spreadsheet(kind, path.name, suffix)
        except ReadError as exc:
            raise ExportError(str(exc)) from None
    if kind == "zip":
        try:
            with zipfile.ZipFile(path) as package:
                parts = package.infolist()
        except (zipfile.BadZipFile, OSError) as exc:
            raise ExportError(f"Không mở được tệp {path.name} ({exc}): tệp hỏng hoặc tải về chưa hết. Hãy xuất lại từ phần mềm.") from None
        unpacked = sum(p.file_size for p in parts)
        if unpacked > MAX_UNPACKED or any(p.file_size > 2**20 and p.file_size > MAX_RATIO * max(p.compress_size, 1) for p in parts):
            raise ExportError(f"Tệp {path.name} khai báo {format_number(unpacked / 2**20)} MB dữ liệu khi giải nén, quá lớn hoặc bất thường đối với một danh sách hồ sơ: không đọc.")


def _csv_rows(path: Path):
    with open(path, "rb") as probe:
        head = probe.read(65536)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    else:
        try:
            head.decode("utf-8-sig") if len(head) < 65536 else head[: head.rfind(b"\n") + 1].decode("utf-8-sig")
            encoding = "utf-8-sig"
        except UnicodeDecodeError:
            encoding = "cp1258"
    text = head.decode(encoding, errors="replace")
    first_line = text.splitlines()[0] if text else ""
    delimiter = max(",;\t", key=first_line.count)
    handle = open(path, encoding=encoding, newline="")
    reader = csv.reader(handle, delimiter=delimiter)

    def rows():
        with handle:
            yield from reader

    return rows(), (encoding, delimiter)


def _header(rows, mapping: ds.Mapping | None, choices: list[ds.Mapping], path: Path) -> tuple[int, list[str]]:
    """The 0-based row of the header and its texts: the first row (within HEADER_SEARCH) naming the required columns."""
    for index in range(HEADER_SEARCH):
        row = next(rows, None)
        if row is None:
            break
        headers = [ds.clean(v) for v in row]
        if mapping is not None:
            folded = {fold(h) for h in headers}
            if all(any(fold(n) in folded for n in mapping.columns[k]) for k in ds.REQUIRED):
                return index, headers
        elif ds.choose_mapping(headers, choices) is not None:
            return index, headers
    if mapping is not None:
        needed = ", ".join(f"“{mapping.columns[k][0]}”" for k in ds.REQUIRED)
        raise ExportError(f"Tệp {path.name}: không tìm thấy hàng tiêu đề có các cột {needed} của tệp ánh xạ {mapping.name}. Hãy chọn đúng tệp ánh xạ (--mapping).")
    raise ExportError(f"Tệp {path.name}: không tệp ánh xạ nào khớp tên cột của tệp; hãy viết một tệp ánh xạ (xem templates/mappings/) và dùng --mapping.")


def _positions(headers: list[str], mapping: ds.Mapping) -> dict[str, list[int]]:
    """Each mapped field's columns in the export, in the mapping's order of preference."""
    folded = [fold(h) for h in headers]
    positions = {}
    for name, candidates in mapping.columns.items():
        where = [folded.index(fold(c)) for c in candidates if fold(c) in folded]
        if where:
            positions[name] = where
    return positions


def _text_column(values) -> list:
    """A column as text: numbers without a trailing .0, dates in ISO form (calamine types xlsx cells)."""
    if all(type(v) is str for v in values):
        return list(values)
    return [_text(v) for v in values]


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def match_groups(counted: Counted, units: UnitList | None):
    """Counts, views and explaining counts under each unit's canonical name (spellings merged); the groups no unit matches."""
    if units is None or counted.by != "unit":
        return counted.parts, counted.views, counted.explaining, []
    parts: dict[str, dict[str, int]] = {}
    views: dict[str, list[ds.DossierView]] = {}
    explaining: dict[str, dict[str, int]] = {}
    unknown = []
    for name, tally in counted.parts.items():
        unit = units.match(name)
        if unit is None:
            unknown.append(name)
            continue
        target = parts.setdefault(unit.name, dict.fromkeys(ds.COUNT_KEYS, 0))
        for key, value in tally.items():
            target[key] += value
        views.setdefault(unit.name, []).extend(counted.views.get(name, []))
        moved = explaining.setdefault(unit.name, {})
        for key, value in counted.explaining.get(name, {}).items():
            moved[key] = moved.get(key, 0) + value
    return parts, views, explaining, unknown

