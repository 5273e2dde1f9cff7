"""The master model: which cell of the appendix sheet holds which value or formula.

Plain data, no Excel: the openpyxl and xlwings adapters render the same model. Sheet column n
holds layout column n (A = 1 STT, B = 2 unit, C = 3 …).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tthc_xl.core.contract import MASTER_SHEET, NOT_SENT
from tthc_xl.core.layouts import Layout
from tthc_xl.core.model import GROUP, PERCENT, TOTAL, UNIT, Cell, Finding, Known, Row, Source, Table
from tthc_xl.core.a1 import column_letters, parse_ref
from tthc_xl.core.rules import check_table, rows_to_check

_A1 = re.compile(r"([A-Z]+)([0-9]+)")
ROMAN = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X"]
TITLE_ROWS = 3  # "PHỤ LỤC I", the title with the period, "(Ban hành kèm theo …)"

# Roles decide how a cell looks and whether the clerk may type in it.
INPUT, DERIVED, SUM, RATIO, LABEL = "input", "derived", "sum", "ratio", "label"


class Slot:
    """One cell of the table: its value (computed in Python) and its formula, if any; for a unit's
    figure, where it came from (`source`) and what the unit wrote (`raw`, as written).

    A master of 20 000 units has 240 000 of them: a figure's source may be given as its row's
    (file, sheet), shared by the row, and the cell's address; the Source is made when asked for."""

    __slots__ = ("value", "formula", "role", "raw", "_source", "_origin", "_ref")

    def __init__(self, value: object, formula: str | None = None, role: str = LABEL, source: Source | None = None, raw: object = None,
                 origin: tuple[str, str] | None = None, ref: str = ""):
        self.value, self.formula, self.role, self.raw = value, formula, role, raw
        self._source, self._origin, self._ref = source, origin, ref

    @property
    def source(self) -> Source | None:
        if self._origin is not None:
            self._source, self._origin = Source(self._origin[0], self._origin[1], self._ref), None
        return self._source

    @source.setter
    def source(self, source: Source | None) -> None:
        self._source, self._origin = source, None

    def _fields(self) -> tuple:
        return self.value, self.formula, self.role, self.source, self.raw

    def __eq__(self, other):
        return self._fields() == other._fields() if other.__class__ is self.__class__ else NotImplemented

    __hash__ = None  # type: ignore[assignment]  # compared by value, as a dataclass

    def __repr__(self) -> str:
        return "Slot(value={!r}, formula={!r}, role={!r}, source={!r}, raw={!r})".format(*self._fields())


@dataclass(slots=True)  # one per unit of the master
class MasterRow:
    kind: str
    label: str
    row: int  # 1-based sheet row
    order: object = None  # STT: 1, 2 … for units, I, II … for groups
    group: str = ""
    slots: dict[int, Slot] = field(default_factory=dict)
    members: list[int] = field(default_factory=list)  # sheet rows this subtotal or total adds up
    reported: bool = False  # a unit row whose unit sent its figures


@dataclass
class Settings:
    """What the clerk sets once per period; kept on the master's "Cài đặt" sheet."""

    period: str = ""  # "tháng 10 năm 2019"
    appendix: str = "PHỤ LỤC I"
    report_number: str = ""  # "06/BC-TTHC"
    report_date: str = ""  # "24/10/2019"
    issuer: str = ""  # "Trung tâm Phục vụ hành chính công"
    identity: str = ""  # the master's own id (a named constant), given when it is first written

    def with_identity(self) -> Settings:
        """These settings, with a new identity if they have none."""
        if not self.identity:
            import uuid

            self.identity = uuid.uuid4().hex[:16]
        return self

    @property
    def title_lines(self) -> list[str]:
        title = "TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH"
        if self.period:
            title += " " + self.period.upper()
        attached = "(Ban hành kèm theo Báo cáo số {} ngày {} của {})".format(
            self.report_number or "…/BC-…", self.report_date or "…/…/…", self.issuer or "…"
        )
        return [self.appendix, title, attached]


@dataclass
class Master:
    layout: Layout
    settings: Settings
    rows: list[MasterRow]
    sheet: str = MASTER_SHEET
    missing: list[str] = field(default_factory=list)  # units that sent nothing
    findings: list[Finding] = field(default_factory=list)
    previous: dict[int, float] | None = None  # the previous period's grand totals, by column
    title: list[str] | None = None  # the title block; the appendix's own by default

    @property
    def title_lines(self) -> list[str]:
        return self.title or self.settings.title_lines

    @property
    def header_depth(self) -> int:
        return max(len(c.header) for c in self.layout.columns)

    @property
    def header_row(self) -> int:
        return TITLE_ROWS + 2

    @property
    def number_row(self) -> int:
        return self.header_row + self.header_depth

    @property
    def first_data_row(self) -> int:
        return self.number_row + 1

    @property
    def last_row(self) -> int:
        return self.rows[-1].row if self.rows else self.number_row

    @property
    def last_col(self) -> int:
        return max(self.layout.numbers)

    @property
    def label_col(self) -> int:
        """The sheet column of the unit names (the layout's, B when it names none)."""
        return self.layout.label_column or 2

    @property
    def order_col(self) -> int:
        """The sheet column of the row numbers (STT)."""
        return self.layout.order_column or 1

    def rows_of(self, kind: str) -> list[MasterRow]:
        return [r for r in self.rows if r.kind == kind]

    def unit_row(self, unit: str) -> MasterRow | None:
        return next((r for r in self.rows if r.kind == UNIT and r.label == unit), None)

    @property
    def total_row(self) -> MasterRow:
        return self.rows_of(TOTAL)[0]

    def totals(self) -> dict[int, float]:
        return {n: s.value for n, s in self.total_row.slots.items()}

    def group_totals(self) -> dict[str, dict[int, float]]:
        return {g.label: {n: s.value for n, s in g.slots.items()} for g in self.rows_of(GROUP)}

    def table(self, only: list[MasterRow] | None = None) -> Table:
        """The master as the checker sees it: unit rows with master addresses and their sources.

        `only`: just these reported unit rows, in their order (those `rules.rows_to_check` picks)."""
        rows = []
        label = _letter(self.label_col)
        for mrow in self.rows if only is None else only:
            if mrow.kind != UNIT or not mrow.reported:
                continue
            cells = {n: Cell(f"{_letter(n)}{mrow.row}", s.value, s.raw, s.source) for n, s in mrow.slots.items()}
            rows.append(Row(UNIT, mrow.label, cells, mrow.label, f"{label}{mrow.row}", mrow.group))
        return Table(file="", sheet=self.sheet, layout=self.layout, rows=rows, first_row=self.first_data_row)

    def header_cells(self) -> tuple[dict[tuple[int, int], str], list[tuple[int, int, int, int]]]:
        """Header texts by (row, col) and merges (row1, col1, row2, col2), from the layout's header paths.

        Equal neighbours on one level merge across; a path shorter than the header merges down.
        """
        depth, top = self.header_depth, self.header_row
        texts: dict[tuple[int, int], str] = {}
        merges = []
        columns = sorted(self.layout.columns, key=lambda c: c.number)
        for level in range(depth):
            start = 0
            while start < len(columns):
                column = columns[start]
                if level >= len(column.header):
                    start += 1
                    continue
                prefix = column.header[: level + 1]
                end = start
                while end + 1 < len(columns) and columns[end + 1].header[: level + 1] == prefix and columns[end + 1].number == columns[end].number + 1:
                    end += 1
                last_level = level == len(column.header) - 1
                bottom = top + (depth - 1 if last_level and all(len(c.header) == level + 1 for c in columns[start : end + 1]) else level)
                texts[(top + level, column.number)] = column.header[level]
                if end > start or bottom > top + level:
                    merges.append((top + level, column.number, bottom, columns[end].number))
                start = end + 1
        return texts, merges

    def number_row_texts(self) -> dict[int, str]:
        """`3=(4+5)` for each column a formula derives, the plain number otherwise."""
        derived = derived_rules(self.layout)
        return {n: (f"{n}=({'+'.join(map(str, derived[n]))})" if n in derived else str(n)) for n in self.layout.numbers}


def derived_rules(layout: Layout) -> dict[int, tuple[int, ...]]:
    """Columns the master computes by formula: totals of a sum rule whose parts are not themselves totals.

    `3 = 6 + 10` (conservation) joins two totals and stays a check; `3 = 4 + 5` becomes `=D9+E9`.
    """
    sums = [r for r in layout.rules if r.op == "="]
    derived: dict[int, tuple[int, ...]] = {}
    for rule in sums:
        if rule.left in derived or any(n in {r.left for r in sums} for n in rule.right):
            continue
        derived[rule.left] = rule.right
    return derived


def plan_rows(layout: Layout, groups: list[tuple[str, list[str]]], first_row: int, totals: bool = True) -> list[MasterRow]:
    """Rows for units in groups (a group with a name gets a subtotal row), the total and the percentage row."""
    rows: list[MasterRow] = []
    row = first_row
    named_groups = [g for g, _ in groups if g]
    use_groups = len(named_groups) > 1
    group_rows: list[MasterRow] = []
    order = 0
    for index, (group, units) in enumerate(groups):
        group_row = None
        if use_groups:
            group_row = MasterRow(GROUP, group or "Khác", row, ROMAN[index] if index < len(ROMAN) else str(index + 1))
            rows.append(group_row)
            group_rows.append(group_row)
            row += 1
            order = 0
        for unit in units:
            order += 1
            rows.append(MasterRow(UNIT, unit, row, order, group))
            if group_row:
                group_row.members.append(row)
            row += 1
    if not totals:  # a unit's own sheet: its row and nothing else
        return rows
    total = MasterRow(TOTAL, "Tổng cộng", row)
    total.members = [g.row for g in group_rows] if use_groups else [r.row for r in rows if r.kind == UNIT]
    rows.append(total)
    rows.append(MasterRow(PERCENT, "Tỷ lệ %", row + 1))
    return rows


def fill(master: Master, reported: dict[str, Row], mark_not_sent: bool = True, origins: dict[str, tuple[str, str]] | None = None) -> None:
    """Put each unit's reported figures in its row, then formulas and computed values everywhere.

    A unit not in `reported` shows "chưa gửi" (`mark_not_sent`, a master) or blank inputs under
    its formulas (a blank sheet for the unit to fill). `origins`: by unit, the (file, sheet) its row
    was read from; each of its cells' source is then that file and sheet at the cell's address
    (else the cell's own `source`)."""
    layout = master.layout
    derived = derived_rules(layout)
    columns = layout.count_columns
    formulas = {total: "=" + "+".join(f"{_letter(p)}{{0}}" for p in parts) for total, parts in derived.items()}  # "=D{0}+E{0}"
    addresses: dict[str, str] = {}
    for mrow in master.rows:
        if mrow.kind != UNIT:
            continue
        row = reported.get(mrow.label)
        mrow.reported = row is not None
        if row is None and mark_not_sent:
            _fill_not_sent(mrow, layout, derived)
            continue
        slots = mrow.slots
        if row is None:
            for n in columns:
                slots[n] = Slot(None, None, INPUT)
        else:
            cells = row.cells
            origin = origins.get(mrow.label) if origins else None
            for n in columns:
                cell = cells.get(n)
                if cell is None:
                    slots[n] = Slot(None, None, INPUT)
                elif origin is None:
                    slots[n] = Slot(cell.value, None, INPUT, cell.source, cell.raw)
                else:  # "C3" of every unit file is kept once
                    slots[n] = Slot(cell.value, None, INPUT, None, cell.raw, origin, addresses.setdefault(cell.ref, cell.ref))
        for total, parts in derived.items():
            computed = 0
            for p in parts:  # inputs, never derived themselves
                computed += slots[p].value or 0
            slot = slots[total]
            # A unit's own total that disagrees with its parts is kept as reported, and flagged:
            # the master never silently replaces what a unit wrote.
            if row is None or slot.value is None or slot.value == computed:
                slots[total] = Slot(computed if row else None, formulas[total].format(mrow.row), DERIVED, slot._source, None, slot._origin, slot._ref)
    by_row = {r.row: r for r in master.rows}
    for mrow in master.rows:
        if mrow.kind in (GROUP, TOTAL):
            members = [by_row[r].slots for r in mrow.members]
            formula = _sum_formula(mrow.members)
            for n in columns:
                values = [slots[n].value for slots in members]
                try:
                    value = sum(values)  # the values are numbers (int, float), or None and "chưa gửi", which sum refuses
                except TypeError:  # only the numbers count; a sum of the numbers alone is the same sum
                    value = sum([v for v in values if isinstance(v, (int, float))])
                mrow.slots[n] = Slot(value, formula.format(_letter(n)), SUM)
    if not master.rows_of(TOTAL):
        return
    total = master.total_row
    percent = master.rows_of(PERCENT)[0]
    for n, base in layout.percent.items():
        part, whole = total.slots[n].value, total.slots[base].value
        value = part / whole if whole else 0
        ref = f"{_letter(n)}{total.row}"
        base_ref = f"{_letter(base)}{total.row}"
        formula = f"=IF({base_ref}=0,0,{ref}/{base_ref})"
        percent.slots[n] = Slot(value, formula, RATIO)


def _fill_not_sent(mrow: MasterRow, layout: Layout, derived: dict[int, tuple[int, ...]]) -> None:
    """A unit that sent nothing: "chưa gửi" in its first figure cell, empty input cells, no formulas.

    No formula means no cell whose value a reader must compute: the row holds nothing to count.
    """
    columns = layout.count_columns
    for n in columns:
        mrow.slots[n] = Slot(None, None, DERIVED if n in derived else INPUT)
    if columns:
        mrow.slots[columns[0]] = Slot(NOT_SENT, None, LABEL)


def _letter(n: int) -> str:
    """The sheet column letters of layout column n (the master puts column n in sheet column n)."""
    return column_letters(n - 1)


def _sum_formula(members: list[int]) -> str:
    """The formula adding up the sheet rows `members` of a column, its letters left as {0}."""
    if not members:
        return "=0"
    if members == list(range(members[0], members[-1] + 1)):
        return f"=SUM({{0}}{members[0]}:{{0}}{members[-1]})"
    return "=" + "+".join(f"{{0}}{r}" for r in members)


def build_master(
    layout: Layout,
    settings: Settings,
    groups: list[tuple[str, list[str]]],
    reported: dict[str, Row],
    previous: dict[int, float] | None = None,
    known: dict[str, dict[int, Known]] | None = None,
    origins: dict[str, tuple[str, str]] | None = None,
) -> Master:
    """The whole appendix for one period; `reported` maps each unit to the row it sent.

    `known`: figures known from elsewhere, by unit (rules.check_table), for the check.
    `origins`: by unit, the (file, sheet) its row was read from (see `fill`).
    """
    master = Master(layout, settings, [], previous=previous)
    master.rows = plan_rows(layout, groups, master.first_data_row)
    fill(master, reported, origins=origins)
    master.missing = [r.label for r in master.rows_of(UNIT) if not r.reported]
    reported_rows = [r for r in master.rows if r.kind == UNIT and r.reported]
    checked = rows_to_check([(r.label, r.slots) for r in reported_rows], layout, known)  # the others have nothing to find
    master.findings = suspects_behind_formulas(master, check_table(master.table([reported_rows[i] for i in checked]), known=known))
    return master


def suspects_behind_formulas(master: Master, findings: list[Finding]) -> list[Finding]:
    """Findings whose suspects name the cells a clerk can type: a formula cell of a unit row (=D9+E9)
    is replaced by the input cells behind it, and a fix for it (which no one can type) is dropped."""
    derived = derived_rules(master.layout)
    units = {r.row: r for r in master.rows if r.kind == UNIT} if findings and derived else {}
    behind: dict[str, list[str]] = {}  # of the cells the findings suspect, the unit rows' formula cells: the inputs behind each
    for ref in {ref for finding in findings for ref in (*finding.suspects, *(finding.fix or ()))}:
        found = _A1.fullmatch(ref)
        mrow = units.get(int(found[2])) if found else None
        n = parse_ref(ref)[1] + 1 if mrow else None
        slot = mrow.slots.get(n) if n in derived else None
        if slot is not None and slot.formula and ref == f"{_letter(n)}{mrow.row}":
            behind[ref] = [f"{_letter(p)}{mrow.row}" for p in derived[n]]
    for finding in findings:
        if not any(ref in behind for ref in finding.suspects):
            continue
        inputs = list(dict.fromkeys(ref for suspect in finding.suspects for ref in behind.get(suspect, [suspect])))
        sentence = f" Ô nghi sai (một trong số): {', '.join(inputs)}."
        if finding.fix and any(ref in behind for ref in finding.fix):
            finding.message = re.sub(r" Ô nghi sai: [A-Z]+\d+; giá trị đúng có thể là [^.]*(?:\.\d+)*[^ ]*\.", sentence, finding.message, count=1)
            finding.fix = None
        else:
            finding.message = finding.message.replace(f" Ô nghi sai (một trong số): {', '.join(finding.suspects)}.", sentence)
        finding.suspects = inputs
    return findings

