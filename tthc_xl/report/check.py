"""`check-report`: every figure of a narrative report, checked against the report's own other
figures, against its appendix tables, and against a master when there is one.

The figures come from `reading.read_figures` (what each counts, from its sentence). Three checks:

* the text's own arithmetic: the layouts' identities (`3 = 4 + 5`, `6 = 7 + 8 + 9`, received =
  resolved + pending…, read by meaning from `templates/forms/`) and the report vocabulary's own,
  among the text's figures alone, and each percentage against the figures it is a share of, at the
  precision it is written with. A sum that does not add up, an impossible or wrong percentage is
  an error; received ≠ resolved + pending (which returned dossiers may explain) is a warning that
  shows both sides;
* against tables (a master, the document's own appendix table): each total, percentage, a unit's
  figure against the unit's row, and comparisons with the previous period;
* a figure that does not read for certain (OCR) may be confirmed by one of its readings, never
  reported wrong: it is listed as skipped.

Every figure ends with a verdict ("đúng", "sai", "cảnh báo", "bỏ qua") and what it was checked
against; findings (errors and warnings) say why, in Vietnamese.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path

from tthc_xl.core.model import ERROR, WARNING
from tthc_xl.core.numbers import format_number, format_percent
from tthc_xl.core.units import name_key
from tthc_xl.report.narrative import (
    SHARE_BASE, Figures, _with_in_time, change_phrase, rate_change_phrase, shares, so,
)
from tthc_xl.report.reading import (
    CHANGE, COUNT, PERCENT, RATE_CHANGE, RIGHT, SKIPPED, WARNED, WRONG, Figure, Vocabulary, load_vocabulary,
    read_figures,
)

LEVEL_TOTALS = ("received", "received_new", "resolved", "pending")  # restated with another value: another level
OWN = "báo cáo"  # checked against the report's own other figures: "báo cáo: 2.099 = 554 + 1.545"


@dataclass
class ReportCheck:
    """What `check_text` found: every figure with its verdict, the findings (errors and warnings;
    `paragraph` 1-based like the figures'), and table issues (the master contradicts itself)."""

    figures: list[Figure]
    findings: list[dict] = field(default_factory=list)
    table_issues: list[dict] = field(default_factory=list)

    @property
    def errors(self) -> list[dict]:
        return [f for f in self.findings if f["severity"] == ERROR]

    @property
    def warnings(self) -> list[dict]:
        return [f for f in self.findings if f["severity"] == WARNING]


def read_paragraphs(docx_path) -> list[str]:
    """The text of every paragraph of a .docx, body and table cells, in document order."""
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    document = docx.Document(str(docx_path))
    out: list[str] = []

    def walk(parent, element):
        for child in element.iterchildren():
            tag = child.tag.rsplit("}", 1)[-1]
            if tag == "p":
                out.append(Paragraph(child, parent).text)
            elif tag == "tbl":
                seen = []  # merged cells repeat; keep the elements so identity is stable
                for row in Table(child, parent).rows:
                    for cell in row.cells:
                        if any(cell._tc is tc for tc in seen):
                            continue
                        seen.append(cell._tc)
                        walk(cell, cell._tc)

    walk(document, document.element.body)
    return out


def check_text(paragraphs: list[str], master: Figures | None = None, tables=(), previous: dict | None = None,
               layouts=None, master_name: str = "bảng tổng hợp", previous_name: str = "kỳ trước",
               vocabulary: Vocabulary | None = None) -> ReportCheck:
    """Check every figure of `paragraphs` (see the module's docstring).

    `master`: a master's figures (totals, units, previous period); `tables`: (name, Figures) of the
    document's own appendix tables; `previous`: the previous period's totals, when there is no master.
    """
    vocab = vocabulary or load_vocabulary()
    figures = read_figures(paragraphs, vocab)
    result = ReportCheck(figures)
    agreeing: set[int] = set()  # figures a table confirms: the text's own sums over them are the table's
    for name, table in ([(master_name, master)] if master is not None else []) + list(tables):
        findings = _against_table(figures, table, name, vocab, agreeing)
        for finding in findings:
            (result.table_issues if finding.pop("table_issue", False) else result.findings).append(finding)
    if layouts is None:
        from tthc_xl.core.layouts import load_layouts

        layouts = load_layouts()
    own = _own_arithmetic(figures, vocab, layouts, previous if master is None else None)
    for finding, involved, verdict, note, *formula in own:
        if finding is not None and all(id(f) in agreeing for f in involved):
            continue  # the table says the same; its own inconsistency is a table issue, reported there
        against = previous_name if involved[0].kind in (CHANGE, RATE_CHANGE) else ": ".join([OWN, *formula])
        for figure in involved:
            figure.decide(verdict, against, note)
        if finding is not None:
            finding["against"] = against
            result.findings.append(finding)
    for figure in figures:
        if figure.verdict == SKIPPED and not figure.note:
            figure.note = "báo cáo không có số liệu nào khác để đối chiếu"
    return result


# ------------------------------------------------------------------------------- the text's own sums


def _identities(layouts: dict, vocab: Vocabulary) -> list[tuple[str, tuple[str, ...], str, str | None]]:
    """(total, parts, op, explained_by) by meaning: every layout's rules and the vocabulary's. A rule
    one layout explains (received = resolved + pending, but for the returned) is explained in all."""
    found: dict[tuple, str | None] = {}
    for layout in layouts.values():
        keys = {c.number: c.key for c in layout.columns}
        for rule in layout.rules:
            if all(n in keys for n in rule.columns):
                item = (keys[rule.left], tuple(keys[n] for n in rule.right), rule.op)
                found[item] = found.get(item) or (keys.get(rule.explained_by) if rule.explained_by else None)
    for total, parts in vocab.identities:
        found.setdefault((total, parts, "="), None)
    return [(*item, explained) for item, explained in found.items()]


@dataclass
class _Known:
    values: tuple[float, ...]  # one value when certain, else the readings
    figures: list[Figure]  # the figures it stands on
    derived_by: tuple | None = None  # the identity it was summed by
    certain: bool = True

    def shown(self) -> str:
        return " hoặc ".join(format_number(v) for v in self.values) if self.values else "?"


def _own_arithmetic(figures: list[Figure], vocab: Vocabulary, layouts: dict, previous: dict | None):
    """(finding or None, figures involved, verdict, note[, formula]) for each check among the text's figures.

    The text's figure for a quantity is its first statement. When the text states one quantity with
    two different values (the province, then each level: "cấp tỉnh tiếp nhận…, cấp huyện tiếp
    nhận…"), each paragraph is checked on its own, never one level's total with another's parts. A
    part stated twice ("22 quá hạn", then "21 trường hợp" of them) is a detail, not another level.
    """
    counts = [f for f in figures if f.kind == COUNT and f.meaning and not f.unit and not f.repeats]
    stated: dict[str, set] = {}
    for figure in counts:
        if figure.certain:
            stated.setdefault(figure.meaning, set()).add(figure.value)
    if any(len(stated.get(total, ())) > 1 for total in LEVEL_TOTALS):
        scopes = [[f for f in figures if f.paragraph == n] for n in dict.fromkeys(f.paragraph for f in figures)]
    else:
        scopes = [figures]
    identities = _identities(layouts, vocab)
    outcomes = []
    for scope in scopes:
        outcomes += _scope_checks(scope, identities, vocab, previous)
    for figure in figures:
        if figure.kind == COUNT and figure.meaning is None:
            figure.note = figure.note or "không rõ số liệu này nói về chỉ tiêu nào"
        elif figure.kind == COUNT and figure.unit and not figure.checked:
            figure.note = figure.note or f"số của {figure.unit}: không có bảng số liệu của đơn vị để đối chiếu"
    return [o for o in outcomes if o]


def _scope_checks(figures: list[Figure], identities, vocab: Vocabulary, previous: dict | None):
    outcomes = []
    known: dict[str, _Known] = {}
    counts = [f for f in figures if f.kind == COUNT and f.meaning and not f.unit]
    for figure in counts:  # the first statement of each quantity is the text's figure for it
        if figure.meaning not in known and (figure.certain or figure.readings) and not figure.repeats:
            known[figure.meaning] = _Known(figure.values, [figure], certain=figure.certain)
    for figure in counts:
        first = known.get(figure.meaning)
        if first is not None and figure is not first.figures[0]:
            outcomes.append(_restated(figure, first, vocab))
    _derive(known, identities)
    outcomes += [_check_identity(identity, known, vocab) for identity in identities]
    for figure in figures:
        if figure.kind == PERCENT:
            outcomes.append(_check_percent(figure, known, vocab))
        elif figure.kind in (CHANGE, RATE_CHANGE):
            outcomes.append(_check_text_change(figure, known, previous, vocab))
    return outcomes


def _restated(figure: Figure, first: _Known, vocab: Vocabulary):
    original = first.figures[0]
    label = vocab.label(figure.meaning)
    if figure.certain and first.certain and figure.value != first.values[0]:
        if not figure.repeats:  # another statement of the quantity, maybe of a part or a unit: not a verdict
            return None, [figure], SKIPPED, (f"khác số {original.written} ở đoạn {original.paragraph}: có thể là số "
                                             "của một phần hoặc một đơn vị")
        where = "trước đó" if original.paragraph == figure.paragraph else f"đoạn {original.paragraph}"
        message = f"{label.capitalize()} ghi {figure.written}, nhưng {where} ghi {original.written}."
        return (_finding(figure, ERROR, "repeat", figure.written, original.written, message), [figure], WRONG,
                f"khác {original.written} ở đoạn {original.paragraph}")
    if set(figure.values) & set(first.values):
        return None, [figure], RIGHT, f"bằng số ở đoạn {original.paragraph}"
    return None, [figure], SKIPPED, "không đọc chắc chắn được"


def _derive(known: dict[str, _Known], identities) -> None:
    """Totals the text does not state but whose parts it does (received = carried over + new)."""
    changed = True
    while changed:
        changed = False
        for identity in identities:
            total, parts, op, explained = identity
            if op != "=" or explained or total in known or not all(p in known for p in parts):
                continue
            if all(known[p].certain for p in parts):
                value = sum(known[p].values[0] for p in parts)
                known[total] = _Known((value,), [f for p in parts for f in known[p].figures], identity)
                changed = True


def _check_identity(identity, known: dict[str, _Known], vocab: Vocabulary):
    total, parts, op, explained = identity
    if total not in known or known[total].derived_by == identity:
        return None
    whole = known[total]
    present = [p for p in parts if p in known]
    if not present or any(known[p].derived_by and set(known[p].derived_by[1]) & {total} for p in present):
        return None
    involved = list(dict.fromkeys(f for key in [total, *present] for f in known[key].figures))
    certain = whole.certain and all(known[p].certain for p in present)
    sides = f"{vocab.label(total)} ({whole.shown()})"
    parts_text = " + ".join(f"{vocab.label(p)} ({known[p].shown()})" for p in present)
    combos = list(itertools.product(whole.values, *(known[p].values for p in present)))
    formula = f"{whole.shown()} {'≤' if op == '<=' else '='} {' + '.join(known[p].shown() for p in present)}"
    if op == "<=":
        if any(t <= sum(rest) for t, *rest in combos):
            return None, involved, RIGHT, "", formula
        if not certain:
            return None, involved, SKIPPED, "không đọc chắc chắn được", formula
        message = f"{vocab.label(total).capitalize()} ({whole.shown()}) lớn hơn {parts_text}."
        finding = _finding(whole.figures[0], ERROR, "exceeds", whole.shown(), parts_text, message, involved)
        return finding, involved, WRONG, message, formula.replace(" ≤ ", " > ", 1)
    if len(present) < len(parts):  # parts the text does not give: only "the parts exceed the total" can be told
        if all(known[p].derived_by for p in present):
            return None  # 1.250 = 1.250 (new, summed from online + direct) says nothing
        if any(t == sum(rest) for t, *rest in combos):
            return None, involved, RIGHT, "", formula
        if certain and all(t < sum(rest) for t, *rest in combos):
            message = _capital(f"{parts_text} = {format_number(sum(combos[0][1:]))}, lớn hơn {sides}.")
            return (_finding(whole.figures[0], ERROR, "sum", whole.shown(), format_number(sum(combos[0][1:])),
                             message, involved), involved, WRONG, message, formula.replace(" = ", " < ", 1))
        return None
    if any(t == sum(rest) for t, *rest in combos):
        return None, involved, RIGHT, "", formula
    if not certain:
        return None, involved, SKIPPED, "không đọc chắc chắn được", formula
    expected = sum(combos[0][1:])
    gap = whole.values[0] - expected
    if explained and gap > 0:  # returned dossiers may explain received > resolved + pending, never less
        if explained in known and known[explained].certain and known[explained].values[0] == gap:
            involved += known[explained].figures
            return None, involved, RIGHT, f"chênh lệch {format_number(gap)} là {vocab.label(explained)}", formula
        message = (f"{vocab.label(total).capitalize()} {whole.shown()} khác {parts_text} = {format_number(expected)}: "
                   f"chênh {format_number(abs(gap))} hồ sơ mà báo cáo không giải thích (có thể là hồ sơ bị trả lại, "
                   "rút hồ sơ); hãy hỏi lại đơn vị.")
        return (_finding(whole.figures[0], WARNING, "conservation", whole.shown(), format_number(expected), message,
                         involved), involved, WARNED, message, formula.replace(" = ", " ≠ ", 1))
    message = _capital(f"{parts_text} = {format_number(expected)}, không bằng {sides}.")
    return (_finding(whole.figures[0], ERROR, "sum", whole.shown(), format_number(expected), message, involved),
            involved, WRONG, message, formula.replace(" = ", " ≠ ", 1))


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _decimals(written: str) -> int:
    number = written.replace("%", "").strip()
    return len(number.split(",")[1]) if "," in number else 0


def _places(value: float) -> int:
    """Decimals a reading has: 21.5 → 1, 43.23 → 2."""
    return len(f"{value:.6f}".rstrip("0").split(".")[1])


def _close(found: float, expected: float, decimals: int) -> bool:
    """Equal at the precision the number was written with ("68,8" matches 68,7511)."""
    return abs(found - expected) <= 0.5 * 10 ** -decimals + 1e-9


def _check_percent(figure: Figure, known: dict[str, _Known], vocab: Vocabulary):
    label = vocab.label(figure.meaning) if figure.meaning else ""
    if figure.certain and figure.value > 100:
        message = f"Tỷ lệ {label or 'trong câu'} ghi {figure.written}: tỷ lệ không thể quá 100 %."
        return _finding(figure, ERROR, "percent", figure.written, "≤ 100 %", message), [figure], WRONG, message
    if figure.meaning is None:
        return None, [figure], SKIPPED, "không rõ là tỷ lệ của số liệu nào"
    numerator = _Known(figure.of.values, [figure.of], certain=figure.of.certain) if figure.of else known.get(figure.meaning)
    # The base the sentence names; else the usual one, or the total received (new) some units divide by.
    bases = [figure.base] if figure.base_named else [figure.base, "received", "received_new"]
    bases = [b for b in dict.fromkeys(bases) if b and b in known and b != figure.meaning]
    if numerator is None or not numerator.values or not bases:
        missing = vocab.label(figure.base) if figure.base else "tổng"
        return None, [figure], SKIPPED, f"báo cáo không ghi {missing} để tính tỷ lệ"
    decimals = _decimals(figure.written)
    readings = [(figure.value, decimals)] if figure.certain else [(r, _places(r)) for r in figure.readings]
    for key in bases:
        base = known[key]
        for (value, places), top, bottom in itertools.product(readings, numerator.values, base.values):
            if bottom and _close(value, top * 100 / bottom, places):
                note = "" if figure.certain else f"đọc là {format_number(value, places)} %"
                return None, [figure], RIGHT, note, f"{format_number(top)} / {format_number(bottom)}"
    base = known[bases[0]]
    if not (figure.certain and numerator.certain and all(known[b].certain for b in bases)):
        return None, [figure], SKIPPED, "không đọc chắc chắn được"
    top, bottom = numerator.values[0], base.values[0]
    if not bottom:
        return None, [figure], SKIPPED, f"{vocab.label(bases[0])} bằng 0"
    expected = format_number(top * 100 / bottom, decimals)
    message = (f"Tỷ lệ {label} ghi {figure.written}, nhưng {format_number(top)} / {format_number(bottom)} "
               f"({vocab.label(bases[0])}) = {expected} %.")
    involved = [figure, *numerator.figures, *base.figures]
    finding = _finding(figure, ERROR, "percent", figure.written, f"{expected} %", message, involved)
    return finding, [figure], WRONG, message, f"{format_number(top)} / {format_number(bottom)}"


def _check_text_change(figure: Figure, known: dict[str, _Known], previous: dict | None, vocab: Vocabulary):
    if figure.against != "previous":
        return None, [figure], SKIPPED, "không có số liệu cùng kỳ năm trước để so sánh"
    if previous is None:
        return None, [figure], SKIPPED, "không có số liệu kỳ trước để so sánh (--previous)"
    now = {k: v.values[0] for k, v in known.items() if v.certain}
    return _change_outcome(figure, now, _with_in_time(previous), "kỳ trước", vocab)


def _change_outcome(figure: Figure, now: dict, then: dict, where: str, vocab: Vocabulary):
    """A comparison with another period: the difference the figures give, or skipped."""
    quantity = figure.meaning
    count_diff = now[quantity] - then[quantity] if quantity in now and quantity in then else None
    now_share, then_share = shares(now), shares(then)
    rate_diff = (round(now_share[quantity], 2) - round(then_share[quantity], 2)
                 if quantity in now_share and quantity in then_share else None)
    unchanged = figure.written.lower().startswith("không")
    is_rate = figure.kind == RATE_CHANGE or (unchanged and count_diff is None)
    diff = rate_diff if is_rate else count_diff
    if unchanged:
        diffs = [d for d in (count_diff, rate_diff) if d is not None]
        if not diffs:
            return None, [figure], SKIPPED, f"không có {vocab.label(quantity or '')} của {where}"
        if any(round(d, 2) == 0 for d in diffs):
            return None, [figure], RIGHT, ""
    elif diff is None:
        return None, [figure], SKIPPED, f"không có {vocab.label(quantity or '')} của {where}"
    elif not figure.certain:
        ok = any(_close(r, diff, 2) if is_rate else r == diff for r in figure.readings)
        return None, [figure], RIGHT if ok else SKIPPED, "" if ok else "không đọc chắc chắn được"
    elif (_close(figure.value, diff, _decimals(figure.written)) if is_rate else figure.value == diff):
        return None, [figure], RIGHT, ""
    expected = rate_change_phrase(diff) if is_rate else change_phrase(diff)
    message = f"So với {where}, {vocab.label(quantity)} ghi “{figure.written}”, theo số liệu là “{expected}”."
    kind = "rate_change" if is_rate else "change"
    return _finding(figure, ERROR, kind, figure.written, expected, message), [figure], WRONG, message


def _finding(figure: Figure, severity: str, kind: str, found: str, expected: str, message: str,
             involved: list[Figure] = (), against: str = OWN) -> dict:
    shown = list(dict.fromkeys(f.written for f in involved)) or [figure.written]
    return {"paragraph": figure.paragraph, "text": figure.clause, "found": found, "expected": expected,
            "quantity": figure.meaning, "kind": kind, "severity": severity, "against": against,
            "figures": shown, "message": message}


# ------------------------------------------------------------------------------- against a table


def _against_table(figures: list[Figure], table: Figures, name: str, vocab: Vocabulary, agreeing: set) -> list[dict]:
    """Each figure against a table's totals, its units' rows and its previous period; the figures a
    total or a share of the table confirms go into `agreeing`."""
    check = _TableCheck(table, name, vocab, agreeing)
    for figure in figures:
        if figure.meaning is None:
            continue
        if figure.kind == COUNT and figure.unit:
            check.unit_count(figure)
        elif figure.kind == COUNT:
            check.count(figure)
        elif figure.kind == PERCENT:
            check.percent(figure)
        else:
            check.change(figure)
    return check.findings


class _TableCheck:
    """One table (a master, a document's appendix) and the findings against it."""

    def __init__(self, table: Figures, name: str, vocab: Vocabulary, agreeing: set):
        self.table = table
        self.totals = _with_in_time(table.totals)
        self.share = shares(self.totals)
        self.units = {name_key(unit): _with_in_time(values) for unit, values in table.units}
        self.periods = {"previous": table.previous, "last_year": table.same_period_last_year}
        self.name, self.vocab, self.agreeing = name, vocab, agreeing
        self.findings: list[dict] = []
        self._seen = set()

    def flag(self, figure, found, expected, kind, message, table_issue=False):
        key = (figure.paragraph, figure.meaning, kind, found, expected)
        if key in self._seen:
            return
        self._seen.add(key)
        finding = _finding(figure, WARNING if table_issue else ERROR, kind, found, expected, message, against=self.name)
        if table_issue:
            finding["table_issue"] = True
        self.findings.append(finding)

    def unit_count(self, figure: Figure) -> None:
        row = _unit_row(self.units, figure.unit)
        if row is None or figure.meaning not in row:
            return
        against = f"dòng {figure.unit} của {self.name}"
        if figure.certain and figure.value != row[figure.meaning]:
            expected = so(row[figure.meaning], pad=0)
            message = (f"{self.vocab.label(figure.meaning).capitalize()} của {figure.unit} ghi {figure.written}, "
                       f"theo số liệu là {expected}.")
            self.flag(figure, figure.written, expected, "unit", message)
            figure.decide(WRONG, against, message)
        elif row[figure.meaning] in figure.values:
            figure.decide(RIGHT, against)

    def count(self, figure: Figure) -> None:
        quantity, label = figure.meaning, self.vocab.label(figure.meaning)
        if quantity not in self.totals:
            return
        total = self.totals[quantity]
        if not figure.certain:  # a damaged figure may be confirmed, never contradicted
            if total in figure.readings:
                figure.decide(RIGHT, self.name, f"đọc là {format_number(total)}")
                self.agreeing.add(id(figure))
            return
        if figure.value != total:
            expected = so(total, pad=0)
            message = f"{label.capitalize()} ghi {figure.written}, theo số liệu là {expected}."
            self.flag(figure, figure.written, expected, "count", message)
            figure.decide(WRONG, self.name, message)
            return
        self.agreeing.add(id(figure))
        figure.decide(RIGHT, self.name)
        if figure.repeats:
            return
        for parts_message, expected_sum in _sum_checks(quantity, self.totals, self.vocab):
            returned = self.totals.get("returned", -1)
            if figure.value != expected_sum and not (quantity == "received" and figure.value == expected_sum + returned):
                expected = so(expected_sum, pad=0)
                message = f"{label.capitalize()} ghi {figure.written}, nhưng {parts_message} = {expected}."
                self.flag(figure, figure.written, expected, "sum", message, table_issue=True)

    def percent(self, figure: Figure) -> None:
        quantity = figure.meaning
        if quantity not in self.share or figure.unit or (figure.of and figure.of.meaning != quantity):
            return
        candidates = [self.share[quantity]]
        if SHARE_BASE.get(quantity) != "received" and self.totals.get("received"):
            candidates.append(self.totals[quantity] * 100 / self.totals["received"])
        readings = [(figure.value, _decimals(figure.written))] if figure.certain else [(r, _places(r)) for r in figure.readings]
        if any(_close(r, c, places) for r, places in readings for c in candidates):
            figure.decide(RIGHT, self.name)
            self.agreeing.add(id(figure))
        elif figure.certain:
            expected = format_percent(self.share[quantity])
            message = f"Tỷ lệ {self.vocab.label(quantity)} ghi {figure.written}, theo số liệu là {expected} %."
            self.flag(figure, figure.written, f"{expected} %", "percent", message)
            figure.decide(WRONG, self.name, message)

    def change(self, figure: Figure) -> None:
        other = self.periods.get(figure.against)
        if self.mixed(figure) or other is None:
            return
        where = "cùng kỳ năm trước" if figure.against == "last_year" else "kỳ trước"
        finding, _, verdict, note = _change_outcome(figure, self.totals, _with_in_time(other), where, self.vocab)
        if verdict == SKIPPED:
            return
        figure.decide(verdict, f"{where} ({self.name})", note)
        if finding is not None:
            self.flag(figure, finding["found"], finding["expected"], finding["kind"], finding["message"])


    def mixed(self, figure: Figure) -> bool:
        """Flag a change "so với kỳ trước" quoted while units are missing, when it compares this period's
        reporting units with all of the previous period's (or when no comparison on the same units exists)."""
        table = self.table
        if figure.against != "previous" or not table.missing or table.previous_all is None:
            return False
        if table.previous is not None:  # a comparison on the same units exists: is this one against all?
            quantity, whole = figure.meaning, _with_in_time(table.previous_all)
            if figure.kind != CHANGE or not figure.certain or quantity not in self.totals or quantity not in whole:
                return False
            if figure.value != self.totals[quantity] - whole[quantity] or \
                    figure.value == self.totals[quantity] - _with_in_time(table.previous).get(quantity):
                return False
        message = (f"“{figure.written}” so sánh số liệu của {table.reported_count}/{table.unit_count} đơn vị đã gửi báo cáo "
                   "kỳ này với số liệu của tất cả đơn vị kỳ trước: hãy so sánh trên cùng các đơn vị (xem báo cáo do "
                   "tthc-xl soạn) hoặc bỏ so sánh.")
        self.flag(figure, figure.written, "", "mixed_comparison", message)
        figure.decide(WRONG, f"kỳ trước ({self.name})", message)
        return True


def _unit_row(units: dict[str, dict], name: str) -> dict | None:
    key = name_key(name)
    if key in units:
        return units[key]
    hits = [row for unit, row in units.items() if unit.startswith(key) or key.startswith(unit)]
    return hits[0] if len(hits) == 1 else None


def _sum_checks(quantity: str, totals: dict[str, int], vocab: Vocabulary):
    """(description, sum of parts) for a total whose parts are all in the figures."""
    sums = {
        "received": [("resolved", "pending"), ("carried_over", "received_new")],
        "resolved": [("resolved_in_time", "resolved_late")],
        "pending": [("pending_in_time", "pending_overdue")],
    }
    for parts in sums.get(quantity, []):
        if all(p in totals for p in parts):
            described = " cộng ".join(f"{vocab.label(p)} ({so(totals[p], pad=0)})" for p in parts)
            yield described, sum(totals[p] for p in parts)


# ------------------------------------------------------------------------------- the earlier interface


def check_paragraphs(paragraphs: list[str], figures: Figures) -> list[dict]:
    """Flag every figure in `paragraphs` that contradicts `figures` (a master's): each finding
    {"paragraph": 0-based index in `paragraphs`, "text", "found", "expected", "quantity", "kind":
    "count" | "sum" | "percent" | "change" | "rate_change" | "unit", "message"}."""
    vocab = load_vocabulary()
    found = _against_table(read_figures(paragraphs, vocab), figures, "bảng tổng hợp", vocab, set())
    keep = ("paragraph", "text", "found", "expected", "quantity", "kind", "message")
    return [dict({k: f[k] for k in keep}, paragraph=f["paragraph"] - 1) for f in found]


def check_report(docx_path, figures: Figures) -> list[dict]:
    """`check_paragraphs` over a .docx's paragraphs (`read_paragraphs`)."""
    return check_paragraphs(read_paragraphs(docx_path), figures)


def figures_from_tables(tables: list[list[list[str]]], layouts: dict, name: str) -> list[tuple[str, Figures]]:
    """The document's own appendix tables (rows of cell texts) as figures: totals from the total
    row, units from the unit rows. Tables without a number row (the heading block) are left out."""
    from tthc_xl.core.model import TOTAL, UNIT
    from tthc_xl.files.read import Grid, read_grids_tables

    out = []
    for index, rows in enumerate(tables, start=1):
        width = max((len(r) for r in rows), default=0)
        values = [[cell if cell != "" else None for cell in row] + [None] * (width - len(row)) for row in rows]
        result = read_grids_tables([Grid(sheet=f"Bảng {index}", values=values)], Path(name), layouts)
        for table in result.tables:
            totals = [r for r in table.rows if r.kind == TOTAL]
            unit_rows = [r for r in table.rows if r.kind == UNIT]
            if totals:
                data = table.layout.by_key(totals[0].values())
            else:  # no total row: the units' sum
                data = {}
                for row in unit_rows:
                    for key, value in table.layout.by_key(row.values()).items():
                        data[key] = data.get(key, 0) + value
            units = [(r.unit or r.label, table.layout.by_key(r.values())) for r in unit_rows]
            out.append((f"bảng {index} trong báo cáo", Figures(totals={k: v for k, v in data.items()
                                                                      if k not in ("order", "unit")}, units=units)))
    return out
