"""Dossiers (hồ sơ) one by one, as the one-stop software exports them: the column mapping of an
export shape, what each dossier's status means for the appendix, and the comparison of a unit's
reported figures with the figures its dossiers give.

Plain data. Reading exports and counting (DuckDB) live in `files/dossiers.py`; this module says
what the counts mean. Counts are keyed by the layouts' column meanings (`received`,
`resolved_late` …), so any layout whose columns carry those keys gets its rows from dossiers.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

from tthc_xl.core.layouts import Layout, LayoutError, read_toml, templates_dir
from tthc_xl.core.model import ERROR, WARNING, Finding, Table
from tthc_xl.core.numbers import format_number
from tthc_xl.core.text import fold

# What the software says of a dossier (a mapping's [statuses] values).
PENDING, SUPPLEMENT, RESOLVED, WITHDRAWN = "pending", "supplement", "resolved", "withdrawn"
EARLY, ON_TIME, LATE = "resolved_early", "resolved_on_time", "resolved_late"
IN_TIME, OVERDUE, RETURNED = "pending_in_time", "pending_overdue", "returned"
OUTCOMES = (EARLY, ON_TIME, LATE, IN_TIME, OVERDUE, RETURNED)  # what the dates say, for the period
STATUSES = (*OUTCOMES, PENDING, SUPPLEMENT, RESOLVED, WITHDRAWN)
CHANNELS = ("online", "direct", "postal")

STATUS_NAMES = {
    EARLY: "đã giải quyết trước hạn", ON_TIME: "đã giải quyết đúng hạn", LATE: "đã giải quyết quá hạn",
    IN_TIME: "đang giải quyết trong hạn", OVERDUE: "đang giải quyết quá hạn", RETURNED: "trả lại, rút hồ sơ",
    PENDING: "đang giải quyết", SUPPLEMENT: "chờ bổ sung", RESOLVED: "đã giải quyết", WITHDRAWN: "rút hồ sơ", "": "(không ghi)",
}

# The count keys a status or an outcome adds to (beside received and its phase/channel keys).
STATE_KEYS = {
    EARLY: {"resolved", EARLY}, ON_TIME: {"resolved", ON_TIME}, LATE: {"resolved", LATE},
    IN_TIME: {"pending", IN_TIME}, OVERDUE: {"pending", OVERDUE}, RETURNED: {"returned"},
    PENDING: {"pending"}, SUPPLEMENT: {"pending", IN_TIME}, RESOLVED: {"resolved"}, WITHDRAWN: {"returned"},
}

# Count keys dossiers determine. Phase (carried over / new) and channel come from the dates and the
# channel code; the rest from the outcome.
COUNT_KEYS = (
    "received", "carried_over", "received_new", "received_online", "received_direct", "received_postal",
    "resolved", EARLY, ON_TIME, LATE, "pending", IN_TIME, OVERDUE, "returned",
)

# The fields a mapping names (its [columns] keys); the first four are required.
FIELDS = (
    "code", "unit", "channel", "received", "field", "procedure", "due", "time_limit",
    "supplement_requested", "supplement_received", "finished", "rejected", "status",
)
REQUIRED = ("code", "unit", "channel", "received")
DATE_FIELDS = ("received", "due", "supplement_requested", "supplement_received", "finished", "rejected")
FIELD_NAMES = {
    "code": "mã hồ sơ", "unit": "đơn vị", "channel": "kênh nộp", "received": "ngày tiếp nhận", "field": "lĩnh vực",
    "procedure": "thủ tục", "due": "ngày hẹn trả", "time_limit": "thời hạn giải quyết", "supplement_requested": "ngày yêu cầu bổ sung",
    "supplement_received": "ngày nhận bổ sung", "finished": "ngày kết thúc xử lý", "rejected": "ngày từ chối", "status": "trạng thái",
}

RULE = "lệch với hồ sơ"
BAD_ROW = "hồ sơ không hợp lệ"

_TOKENS = [("yyyy", "%Y"), ("MM", "%m"), ("dd", "%d"), ("HH", "%H"), ("mm", "%M"), ("ss", "%S")]


def strptime_format(pattern: str) -> str:
    """`yyyyMMddHHmmss` → `%Y%m%d%H%M%S`; `dd/MM/yyyy HH:mm` → `%d/%m/%Y %H:%M`."""
    text = str(pattern)
    for token, code in _TOKENS:
        text = text.replace(token, code)
    if "%" not in text:
        raise LayoutError(f"Định dạng ngày “{pattern}” không có yyyy, MM, dd…")
    return text


@dataclass(frozen=True)
class Mapping:
    """How one export shape names its columns and codes."""

    name: str
    columns: dict[str, tuple[str, ...]]  # field → header names, first non-empty wins
    date_formats: tuple[str, ...]  # as written (yyyyMMddHHmmss)
    channels: dict[str, str]  # folded code → online / direct / postal
    statuses: dict[str, str]  # folded code → one of STATUSES
    units: dict[str, str] = field(default_factory=dict)  # folded unit code → unit name, for exports that carry codes
    description: str = ""
    source: str = ""

    @property
    def formats(self) -> tuple[str, ...]:
        return tuple(strptime_format(f) for f in self.date_formats)


def mapping_from_dict(data: dict, source: str) -> Mapping:
    try:
        columns = {}
        for key, names in data["columns"].items():
            if key not in FIELDS:
                raise LayoutError(f"mục “{key}” trong [columns] không có nghĩa (các mục dùng được: {', '.join(FIELDS)})")
            columns[key] = (names,) if isinstance(names, str) else tuple(str(n) for n in names)
        missing = [k for k in REQUIRED if k not in columns]
        if missing:
            raise LayoutError(f"thiếu cột bắt buộc {', '.join(missing)} trong [columns]")
        channels = {fold(k): str(v) for k, v in data.get("channels", {}).items()}
        statuses = {fold(k): str(v) for k, v in data.get("statuses", {}).items()}
        units = {fold(k): str(v) for k, v in data.get("units", {}).items()}
        wrong = sorted({v for v in channels.values() if v not in CHANNELS} | {v for v in statuses.values() if v not in STATUSES})
        if wrong:
            raise LayoutError(f"giá trị “{wrong[0]}” không có nghĩa (kênh: {', '.join(CHANNELS)}; trạng thái: {', '.join(STATUSES)})")
        formats = tuple(str(f) for f in data.get("date_formats", ["yyyyMMddHHmmss"]))
        for pattern in formats:
            strptime_format(pattern)
        return Mapping(str(data.get("name") or Path(source).stem), columns, formats, channels, statuses, units, str(data.get("description", "")), source)
    except LayoutError as exc:
        raise LayoutError(f"Tệp ánh xạ {source}: {exc}") from None
    except (KeyError, TypeError, AttributeError) as exc:
        raise LayoutError(f"Tệp ánh xạ {source} thiếu hoặc sai mục {exc}; hãy sửa theo mẫu trong templates/mappings/.") from None


def load_mapping(name_or_path: str | Path) -> Mapping:
    """A mapping file, by path or by the name of one in templates/mappings/."""
    path = Path(name_or_path)
    if not path.is_file():
        shipped = templates_dir() / "mappings" / f"{name_or_path}.toml"
        if not shipped.is_file():
            choices = ", ".join(sorted(p.stem for p in (templates_dir() / "mappings").glob("*.toml")))
            raise LayoutError(f"Không tìm thấy tệp ánh xạ “{name_or_path}”. Các tệp có sẵn: {choices}.")
        path = shipped
    return mapping_from_dict(read_toml(path, "tệp ánh xạ"), str(path))


def shipped_mappings() -> list[Mapping]:
    return [load_mapping(p) for p in sorted((templates_dir() / "mappings").glob("*.toml"))]


def choose_mapping(headers: list[str], mappings: list[Mapping]) -> Mapping | None:
    """The mapping whose required columns all appear among an export's headers (the most columns wins)."""
    folded = {fold(h) for h in headers}
    fitting = [m for m in mappings if all(any(fold(n) in folded for n in m.columns[k]) for k in REQUIRED)]
    return max(fitting, key=lambda m: sum(any(fold(n) in folded for n in names) for names in m.columns.values()), default=None)


# ------------------------------------------------------------------------------------------------
# Counts → appendix rows
# ------------------------------------------------------------------------------------------------


def derive_counts(parts: dict[str, int], layout: Layout) -> dict[str, int]:
    """All count keys from the per-dossier tallies (phase, channel, outcome).

    A layout without a `returned` column (Biểu II.06a: 3 = 7 + 11) counts returned and withdrawn
    dossiers as resolved on time, as the Government Office's form folds them in.
    """
    counts = {k: int(parts.get(k, 0)) for k in COUNT_KEYS}
    keys = {c.key for c in layout.columns}
    if "returned" not in keys:
        counts["resolved"] += counts["returned"]
        counts[ON_TIME] += counts["returned"]
        counts["returned"] = 0
    return counts


def layout_values(counts: dict[str, int], layout: Layout) -> dict[int, int]:
    """Values by layout column number for every count column whose meaning dossiers determine."""
    return {c.number: counts[c.key] for c in layout.columns if c.kind == "count" and c.key in counts}


def uncounted_columns(layout: Layout) -> list[int]:
    return [c.number for c in layout.columns if c.kind == "count" and c.key not in COUNT_KEYS]


# ------------------------------------------------------------------------------------------------
# Reported against recomputed
# ------------------------------------------------------------------------------------------------


@dataclass
class DossierView:
    """One dossier as the difference sheet shows it: its dates, both statuses."""

    file: str
    row: int
    code: str
    unit: str
    field: str
    channel: str
    received: dt.datetime | None
    due: dt.datetime | None  # the software's
    due_recomputed: dt.datetime | None  # in working time, supplements excluded, from the hand-over
    supplement_requested: dt.datetime | None
    supplement_received: dt.datetime | None
    finished: dt.datetime | None
    status: str  # the software's (a STATUSES key, "" when not given)
    outcome: str  # the dates' (an OUTCOMES key)
    phase: str = "new"  # "carried" (received before the period) or "new"

    def status_keys(self) -> set[str]:
        return STATE_KEYS.get(self.status, set())

    def outcome_keys(self) -> set[str]:
        return STATE_KEYS[self.outcome]

    def explains(self, key: str) -> bool:
        """Whether counting by the software's status instead of the dates moves the figure of `key`."""
        if not self.status:
            return False
        return (key in self.status_keys()) != (key in self.outcome_keys())


@dataclass
class Difference:
    """A unit cell whose reported figure differs from its dossiers'."""

    unit: str
    column: int
    key: str
    cell: str
    reported: float
    recomputed: int
    explained: int = 0  # dossiers whose software status moves this figure away from their dates
    dossiers: list[DossierView] = field(default_factory=list)  # those of them listed (at most a few hundred)

    @property
    def gap(self) -> float:
        return self.reported - self.recomputed


def compare(table: Table, recomputed: dict[str, dict[int, int]], explaining: dict[str, dict[str, int]], views: dict[str, list[DossierView]],
            file: str, layout: Layout) -> tuple[list[Difference], list[Finding]]:
    """Each reported unit cell against the dossiers' figure: a Difference and a finding where they differ.

    A difference the software's own statuses account for (it says late, the dates say on time…)
    is a warning: the unit copied the software's statistics. One nothing accounts for is an error.
    """
    differences, findings = [], []
    for row in table.rows:
        if row.kind != "unit" or row.blank or row.unit not in recomputed:
            continue
        figures = recomputed[row.unit]
        for number, cell in row.cells.items():
            if number not in figures or cell.value is None or cell.value == figures[number]:
                continue
            key = layout.column(number).key
            listed = [v for v in views.get(row.unit, []) if v.explains(key)]
            count = explaining.get(row.unit, {}).get(key, 0)
            difference = Difference(row.unit, number, key, cell.ref, cell.value, figures[number], max(count, len(listed)), listed)
            differences.append(difference)
            findings.append(_finding(difference, layout, file, table.sheet, cell.source))
    return differences, findings


def _finding(d: Difference, layout: Layout, file: str, sheet: str, source) -> Finding:
    name = layout.column(d.column).header[-1]
    gap = format_number(d.gap)
    text = (
        f"{d.unit}: cột {d.column} ({name}) báo cáo {format_number(d.reported)} hồ sơ, theo danh sách hồ sơ là "
        f"{format_number(d.recomputed)} (chênh lệch {'+' if d.gap > 0 else ''}{gap})."
    )
    if d.explained:
        text += (
            f" {format_number(d.explained)} hồ sơ có trạng thái trên phần mềm khác với ngày tháng của hồ sơ "
            f"(xem trang “Hồ sơ lệch”, ô {d.cell}): hãy kiểm tra lại trạng thái các hồ sơ này."
        )
    else:
        text += " Không hồ sơ nào giải thích chênh lệch này: hãy đề nghị đơn vị kiểm tra lại số liệu."
    return Finding(
        file, sheet, d.cell, d.unit, RULE, WARNING if d.explained else ERROR, text,
        suspects=[d.cell], fix={d.cell: d.recomputed}, column=d.column, source=source,
    )


def bad_row_finding(file: str, sheet: str, cell: str, unit: str, code: str, row: int, problem: str) -> Finding:
    who = f" (hồ sơ {code})" if code else ""
    return Finding(
        file, sheet, cell, unit, BAD_ROW, ERROR,
        f"Tệp {Path(file).name}, dòng {row}{who}: {problem}; hồ sơ này chưa được đếm. "
        "Hãy sửa trên phần mềm một cửa rồi xuất lại, hoặc sửa tệp ánh xạ nếu định dạng khác.",
    )


def period_bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The period as [start, end) instants: from the first day's 00:00 to the day after the last."""
    return dt.datetime.combine(start, dt.time()), dt.datetime.combine(end + dt.timedelta(days=1), dt.time())


_SPACES = re.compile(r"\s+")


def clean(value) -> str:
    return _SPACES.sub(" ", str(value)).strip() if value is not None else ""
