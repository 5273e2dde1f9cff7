"""Rows that satisfy a layout's rules, and the typing slips a clerk makes in them.

Shared by the property tests (`draw` from hypothesis) and `bench/localization.py` (`draw` from
random). Works from the layout's rules alone, for any layout: totals are added up from parts
drawn, a total already known is split among its remaining parts, `a <= b` draws a within b.

Public names: KINDS, consistent_row(layout, draw), plant(value, kind, draw), slips_of(value).
"""

from __future__ import annotations

from typing import Callable

from tthc_xl.core.layouts import Layout

Draw = Callable[[int, int], int]  # a whole number in [low, high]
KINDS = ("swap", "digit", "dropped", "doubled", "sign")


def _figure(draw: Draw) -> int:
    """A count the size units report: often 0 or a few, sometimes thousands."""
    return draw(0, (0, 9, 99, 999, 9999)[draw(0, 4)])


def consistent_row(layout: Layout, draw: Draw) -> dict[int, int] | None:
    """Values for every count column satisfying every rule; None when a draw cannot be completed."""
    values: dict[int, int] = {}
    sums = [r for r in layout.rules if r.op == "="]
    while True:
        progress = False
        for rule in sums:
            unknown = [n for n in rule.right if n not in values]
            if rule.left not in values and not unknown:
                values[rule.left] = sum(values[n] for n in rule.right)
                progress = True
            elif rule.left in values and unknown:
                rest = values[rule.left] - sum(values[n] for n in rule.right if n in values)
                if rest < 0:
                    return None
                cuts = sorted(draw(0, rest) for _ in unknown[1:])
                for n, low, high in zip(unknown, [0, *cuts], [*cuts, rest]):
                    values[n] = high - low
                progress = True
        if progress:
            continue
        leaf = next((n for rule in sums if rule.left not in values for n in rule.right if n not in values), None)
        if leaf is None:
            break
        values[leaf] = _figure(draw)
    for rule in layout.rules:
        if rule.op != "=" and rule.left not in values:
            values[rule.left] = draw(0, sum(values.get(n, 0) for n in rule.right))
    for n in layout.count_columns:
        values.setdefault(n, _figure(draw))
    if not all(rule.holds(values) for rule in layout.rules):
        return None
    return values


def plant(value: int, kind: str, draw: Draw) -> int | None:
    """What a clerk types for `value` with one slip of this kind; None when the value allows none."""
    digits = str(value)
    if kind == "sign":
        return -value if value > 0 else None
    if kind == "swap":
        places = [i for i in range(len(digits) - 1) if digits[i] != digits[i + 1] and not (i == 0 and digits[1] == "0")]
        if not places:
            return None
        i = places[draw(0, len(places) - 1)]
        return int(digits[:i] + digits[i + 1] + digits[i] + digits[i + 2 :])
    if kind == "digit":
        i = draw(0, len(digits) - 1)
        choices = [d for d in "0123456789" if d != digits[i] and not (i == 0 and d == "0" and len(digits) > 1)]
        return int(digits[:i] + choices[draw(0, len(choices) - 1)] + digits[i + 1 :])
    if kind == "dropped":
        if len(digits) < 2:
            return None
        i = draw(0, len(digits) - 1)
        return int(digits[:i] + digits[i + 1 :])
    if kind == "doubled":
        i = draw(0, len(digits) - 1)
        if digits == "0":
            return None
        return int(digits[:i] + digits[i] + digits[i:])
    raise ValueError(kind)


def slips_of(value: int) -> set[int]:
    """Every figure one slip away from `value` (written from the value, not read back from a figure)."""
    digits = str(value)
    found = {-value} if value > 0 else set()
    for i in range(len(digits)):
        for d in "0123456789":
            found.add(int(digits[:i] + d + digits[i + 1 :]))
        if len(digits) > 1:
            found.add(int(digits[:i] + digits[i + 1 :]))
        found.add(int(digits[:i] + digits[i] + digits[i:]))
        if i + 1 < len(digits):
            found.add(int(digits[:i] + digits[i + 1] + digits[i] + digits[i + 2 :]))
    found.discard(value)
    return found
