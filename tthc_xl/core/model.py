"""The core's plain data: tables read from unit files, their cells with provenance, findings.

Nothing here knows about Excel or files; adapters render these onto workbooks, JSON, text.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from tthc_xl.core.layouts import Layout

UNIT, TOTAL, PERCENT, GROUP = "unit", "total", "percent", "group"
ERROR, WARNING = "error", "warning"


@dataclass
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


@dataclass
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


@dataclass
class Table:
    file: str
    sheet: str
    layout: Layout
    rows: list[Row]
    first_row: int = 0  # 1-based sheet row of the first data row
    notes: list[str] = field(default_factory=list)  # what the reader noticed (Vietnamese)

    def rows_of(self, kind: str) -> list[Row]:
        return [r for r in self.rows if r.kind == kind]


@dataclass
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

    def as_json(self) -> dict:
        data = asdict(self)
        data.pop("column")
        if self.source is None:
            data.pop("source")
        return data
