"""Findings in words: the one place a violation becomes the Vietnamese sentence a clerk reads.

A violation names positions in its table (row, column); here they become cell addresses, and the
figures are printed Vietnamese style (`5.661`; a negative term of a sum as `(−631)`). Every
sentence that names a fix says what was written, and why it is the likely fix when it is a
typing slip ("có thể gõ nhầm 1.207 thành 1.027").
"""

from __future__ import annotations

from tthc_xl.core.model import (  # noqa: F401 - place, in_document: public here too
    HISTORY_PENDING, BadCell, BrokenRule, Disagreement, Finding, Position, SecondRow, Table, Violation, WrongShare, WrongSum, in_document, place,
)
from tthc_xl.core.numbers import format_number, format_percent


def finding(table: Table, violation: Violation) -> Finding:
    """The finding a clerk sees: the violation's positions as cell addresses, and its message."""
    row = table.rows[violation.row]
    cell = row.cells.get(violation.column) if violation.column is not None else None
    fix = {address(table, p): value for p, value in violation.fix.items()} if violation.fix else None
    reasons = [violation.reasons[p] for p in violation.fix or {} if p in violation.reasons]
    return Finding(
        table.file, table.sheet, address(table, (violation.row, violation.column)), row.unit or row.label,
        violation.check.name, violation.severity, message(table, violation),
        suspects=[address(table, p) for p in violation.suspects], fix=fix, column=violation.column,
        source=cell.source if cell is not None else None, reason="; ".join(dict.fromkeys(reasons)),
    )


def address(table: Table, position: Position) -> str:
    row, column = position
    return table.rows[row].label_ref if column is None else table.rows[row].cells[column].ref


def _at(table: Table, position: Position) -> str:
    """A position of the table in words (see place)."""
    return place(table.file, address(table, position), position[1])


def _places(table: Table, positions) -> str:
    """Several positions in words: "G19, H19, I19"; in a document, "dòng 7, cột (7), (8), (9)"."""
    positions = list(positions)
    rows = {row for row, _ in positions}
    if not in_document(table.file):
        return ", ".join(_at(table, p) for p in positions)
    if len(rows) == 1 and None not in {c for _, c in positions}:
        line = place(table.file, address(table, positions[0]))
        return f"{line}, cột " + ", ".join(f"({column})" for _, column in positions)
    return "; ".join(_at(table, p) for p in positions)


def message(table: Table, v: Violation) -> str:
    row = table.rows[v.row]
    if isinstance(v, BadCell):
        cell = row.cells[v.column]
        where = f"Ô {_at(table, (v.row, v.column))} ({row.unit}{'' if in_document(table.file) else f', cột {v.column}'})"
        if cell.value is None:
            text = f"{where} ghi “{cell.raw}”, không đọc được thành số hồ sơ: hãy sửa thành số nguyên ≥ 0."
        else:
            text = f"{where} ghi {_written(cell.value)}: số hồ sơ phải là số nguyên ≥ 0."
        if v.fix:
            by = f"quy tắc {', '.join(v.rules)}" if v.rules else "các quy tắc của dòng"
            own = (v.row, v.column)
            value, reason = v.fix[own], v.reasons.get(own)
            text += f" Theo {by}, giá trị đúng có thể là {format_number(value)}"
            text += f" (có thể gõ nhầm {format_number(value)} thành {_written(cell.value)}: {reason})" if reason else ""
            others = [f"{_at(table, p)} = {_fixed(table, p, x, v.reasons.get(p))}" for p, x in v.fix.items() if p != own]
            text += f", cùng với {'; '.join(others)}." if others else "."
        return text
    if isinstance(v, BrokenRule):
        rule = v.rule
        values = row.values()
        total = sum(values[n] for n in rule.right)
        relation = "bằng" if rule.op == "=" else "không lớn hơn"
        text = (
            f"{row.unit}: cột ({rule.left}) phải {relation} {' + '.join(f'({n})' for n in rule.right)}, "
            f"nhưng ô {_at(table, (v.row, rule.left))} = {format_number(values[rule.left])} còn "
            f"{' + '.join(_term(values[n]) for n in rule.right)} = {format_number(total)}."
        )
        text += _suspects(table, v)
        if v.explained:
            gap = abs(values[rule.left] - total)
            text += (
                f" Chênh lệch {format_number(gap)} đúng bằng số hồ sơ ở cột ({rule.explained_by}) (trả lại, rút hồ sơ): "
                "hãy xác nhận với đơn vị."
            )
        return text
    if isinstance(v, WrongSum):
        cell, at = row.cells[v.column], _at(table, (v.row, v.column))
        shown = format_number(v.expected)
        return (
            f"Dòng {row.label}, cột ({v.column}): ô {at} ghi {format_number(cell.value)} nhưng cộng {len(v.members)} dòng "
            f"được {shown}. Ô nghi sai: {at}; giá trị đúng có thể là {shown}."
        )
    if isinstance(v, WrongShare):
        cell, at = row.cells[v.column], _at(table, (v.row, v.column))
        shown = format_percent(v.expected)
        return (
            f"Dòng {row.label}, cột ({v.column}): ô {at} ghi {format_percent(cell.value)} nhưng cột ({v.column}) / "
            f"cột ({table.layout.percent[v.column]}) của dòng tổng cộng là {shown} %. Ô nghi sai: {at}; giá trị đúng có thể là {shown}."
        )
    if isinstance(v, Disagreement):
        cell = row.cells[v.column]
        then = format_number(v.known.value)
        source = f"theo lịch sử các kỳ ({v.known.period}), " if v.known.origin == HISTORY_PENDING else ""
        return (
            f"{row.unit}: kỳ trước chuyển sang (cột {v.column}) = {format_number(cell.value)} nhưng {source}cuối kỳ trước còn "
            f"{then} hồ sơ đang giải quyết (cột {v.known.column}). Ô nghi sai: {_at(table, (v.row, v.column))}; giá trị đúng có thể là {then}."
        )
    if isinstance(v, SecondRow):
        return f"Đơn vị {row.unit} có hai dòng: {_at(table, (v.first, None))} và {_at(table, (v.row, None))}. Hãy giữ một dòng."
    raise TypeError(f"no words for {type(v).__name__}")


def _suspects(table: Table, v: Violation) -> str:
    """Which cells are suspect and, when known, what they should hold and what they hold."""
    if not v.suspects:
        return ""
    suspects = _places(table, v.suspects)
    if not v.fix:
        return f" Ô nghi sai (một trong số): {suspects}."
    fixes = [(_at(table, p), _fixed(table, p, value, v.reasons.get(p))) for p, value in v.fix.items()]
    if set(v.fix) == set(v.suspects):  # the only repair
        if len(fixes) == 1:
            return f" Ô nghi sai: {suspects}; giá trị đúng có thể là {fixes[0][1]}."
        return f" Ô nghi sai: {suspects}; giá trị đúng có thể là " + "; ".join(f"{ref} = {text}" for ref, text in fixes) + "."
    # One candidate among several, chosen because it undoes a typing slip.
    return (
        f" Ô nghi sai (một trong số): {suspects}; nhiều khả năng là {_places(table, list(v.fix))}: giá trị đúng có thể là "
        + "; ".join(f"{ref} = {text}" if len(fixes) > 1 else text for ref, text in fixes) + "."
    )


def _fixed(table: Table, position: Position, value, reason: str | None) -> str:
    """`1.207 (có thể gõ nhầm 1.207 thành 1.027: hoán vị hai chữ số)`, or `845 (ô đang ghi 854)`."""
    row, column = position
    cell = table.rows[row].cells[column]
    shown = format_number(value)
    written = _written(cell.value) if cell.value is not None else f"“{cell.raw}”"
    if reason:
        return f"{shown} (có thể gõ nhầm {shown} thành {written}: {reason})"
    return f"{shown} (ô đang ghi {written})"


def _written(value) -> str:
    """A figure as the cell holds it: `5.661`, `-3`, `-0,5`."""
    return format_number(value, 2).rstrip("0").rstrip(",")


def _term(value) -> str:
    """A term of a sum: a negative one in brackets, with a true minus sign: `(−631)`."""
    return f"(−{format_number(-value)})" if value < 0 else format_number(value)
