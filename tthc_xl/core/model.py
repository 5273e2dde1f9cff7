"""The core's plain data: tables read from unit files, their cells with provenance, findings.

A finding first exists as a violation: a named check (`Check`) failing at a row and column of
its table, with the positions most likely wrong; `messages` turns it into a `Finding` in words.
Nothing here knows about Excel or files; adapters render these onto workbooks, JSON, text.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from tthc_xl.core.a1 import parse_ref
from tthc_xl.core.layouts import Layout, Rule


UNIT, TOTAL, PERCENT, GROUP = "unit", "total", "percent", "group"
# Reports read as documents: a source "sheet" there is a table ("Bảng 2 (…)", "Trang 2–3, bảng 1"), not a sheet.
DOCUMENT_SUFFIXES = (".docx", ".docm", ".doc", ".odt", ".rtf", ".pdf")
ERROR, WARNING = "error", "warning"


@dataclass(slots=True)  # one per unit cell copied into a master
class Source:
    """Where a value came from: a unit's file, its sheet and cell."""

    file: str
    sheet: str
    cell: str


@dataclass(slots=True)  # a table of every commune holds 120 000 of them
class Cell:
    ref: str  # A1 address where the value sits (in the table being checked)
    value: float | int | None  # None: the cell could not be read as a number
    raw: object = None
    source: Source | None = None  # set when the value was copied from elsewhere (a unit file)


@dataclass(slots=True)  # one per row read: tens of thousands in a run
class Row:
    kind: str  # UNIT, TOTAL, PERCENT or GROUP
    label: str  # the text as written
    cells: dict[int, Cell]  # by layout column number
    unit: str = ""  # canonical unit name when matched against a unit list, else the label
    label_ref: str = ""
    group: str = ""
    hidden: bool = False  # the row is hidden in its sheet (by hand or by a filter): read, and said so

    @property
    def blank(self) -> bool:
        """Nothing written in any figure cell: a unit that has not reported."""
        return all(c.raw in (None, "") for c in self.cells.values())

    def values(self) -> dict[int, float]:
        """Readable values by column number (unreadable cells left out)."""
        return {n: c.value for n, c in self.cells.items() if c.value is not None}


@dataclass(slots=True)
class Table:
    file: str
    sheet: str
    layout: Layout
    rows: list[Row]
    first_row: int = 0  # 1-based sheet row of the first data row
    notes: list[str] = field(default_factory=list)  # what the reader noticed (Vietnamese)

    def rows_of(self, kind: str) -> list[Row]:
        return [r for r in self.rows if r.kind == kind]


@dataclass(slots=True)
class Finding:
    file: str
    sheet: str
    cell: str
    unit: str
    rule: str
    severity: str
    message: str
    suspects: list[str] = field(default_factory=list)
    fix: dict[str, float | int] | None = None
    column: int | None = None  # layout column number of `cell`, when it is a figure
    source: Source | None = None  # the unit file's cell, when the checked table is a master
    reason: str = ""  # the typing slip the fix undoes ("hoán vị hai chữ số"), when it is one

    @property
    def place(self) -> str:
        """Where `cell` is, in words (see `place`): "F12", or "dòng 12, cột (6)" in a Word or PDF table."""
        return place(self.file, self.cell, self.column)

    def as_json(self) -> dict:
        data = asdict(self)
        if self.place != self.cell:
            data["place"] = self.place  # a document's table has no A1 cell: its row and column
        data.pop("column")
        if self.source is None:
            data.pop("source")
        if not self.reason:
            data.pop("reason")
        return data


# Findings as data: what the checker finds, before any words ------------------------------


@dataclass(frozen=True)
class Check:
    """A named rule: what findings call it (`rule`), what it asks for, where it comes from."""

    name: str
    label: str
    origin: str


Position = tuple[int, "int | None"]  # (index in table.rows, layout column; None: the row's label)


@dataclass(frozen=True)
class Violation:
    """A check that fails at one position, with the positions most likely wrong and the fix, if known."""

    check: Check
    row: int
    column: int | None
    severity: str = ERROR
    suspects: tuple[Position, ...] = ()
    fix: dict[Position, float] | None = None
    reasons: dict[Position, str] = field(default_factory=dict)  # typing slips behind fixed cells


@dataclass(frozen=True)
class BadCell(Violation):
    """The cell is not a count: unreadable, negative or fractional. `rules`: those its fix restores."""

    rules: tuple[str, ...] = ()


@dataclass(frozen=True)
class BrokenRule(Violation):
    rule: Rule | None = None
    explained: bool = False  # the gap equals the rule's `explained_by` column (returned dossiers)


@dataclass(frozen=True)
class WrongSum(Violation):
    """A total or group row's cell against the sum of its member rows."""

    members: tuple[int, ...] = ()
    expected: float = 0


@dataclass(frozen=True)
class WrongShare(Violation):
    expected: float = 0


@dataclass(frozen=True)
class SecondRow(Violation):
    """A unit with a second row; `first` is the row kept."""

    first: int = 0


@dataclass(frozen=True)
class Known:
    """A cell's value known from outside its row, which pins it in localization."""

    value: float
    origin: str  # PREVIOUS_PENDING, HISTORY_PENDING or FILE_TOTAL
    column: int | None = None  # the column it was read from there (the previous period's "pending")
    period: str = ""  # HISTORY_PENDING: the period of the history it was read from ("tháng 9 năm 2019")


@dataclass(frozen=True)
class Disagreement(Violation):
    """The cell differs from the value known from elsewhere."""

    known: Known | None = None


PREVIOUS_PENDING, FILE_TOTAL = "previous-pending", "file-total"

HISTORY_PENDING = "history-pending"  # the previous period's pending as the history beside the master keeps it
CARRIED_ORIGINS = (PREVIOUS_PENDING, HISTORY_PENDING)  # what a unit's "carried over" must equal


SOURCE_OK, SOURCE_FAILED = "ok", "lỗi"


@dataclass(slots=True)  # one per file read
class SourceFile:
    """One file a run read, or one table of it: the unit it gave, or why it could not be used."""

    file: str
    sheet: str = ""
    unit: str = ""  # the unit of its one unit row ("" for none or several)
    status: str = SOURCE_OK  # SOURCE_OK or SOURCE_FAILED
    error: str = ""  # the Vietnamese message when it could not be used

    @property
    def ok(self) -> bool:
        return self.status == SOURCE_OK

    def as_json(self) -> dict:
        return asdict(self)


def place(file: str, ref: str, column: int | None = None, table: str = "") -> str:
    """Where a cell is, in the words a clerk finds it by: its A1 address in a workbook; in a Word or
    PDF table, which has no addresses, its row of the table and its column's number, "dòng 7, cột (6)"
    (the row alone for a row's label), after the table's name when given ("Bảng 1 (PHỤ LỤC I), dòng 7,
    cột (6)"). The data keep the A1 address, which links use."""
    if not ref or not in_document(file):
        return ref
    row = parse_ref(ref)[0] + 1
    words = f"dòng {row}" if column is None else f"dòng {row}, cột ({column})"
    return f"{table}, {words}" if table else words


def in_document(file) -> bool:
    """A Word or PDF report: its tables have rows and numbered columns, no A1 addresses."""
    return str(file or "").lower().endswith(DOCUMENT_SUFFIXES)
