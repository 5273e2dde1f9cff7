"""Which layout a table is in: by its columns' headers or the rules its number row spells, never by count.

A layout fits a table when every count column's header agrees with the layout's (the same meaning
in the vocabulary, or the same words once case, diacritics, line breaks and dashes are set aside:
"Kỳ trước" agrees with "Kỳ trước chuyển sang"), or, for a column with no header text, when the
number row spells the layout's rules. When none fits, `nearest` says, column by column, what differs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tthc_xl.core.layouts import Layout
from tthc_xl.core.text import fold
from tthc_xl.core.vocabulary import Vocabulary, split_path

_DIGITS = re.compile(r"\d+")


@dataclass
class Fit:
    layout: Layout
    differences: list[str] = field(default_factory=list)  # one Vietnamese line per differing column
    agreed: int = 0  # count columns whose headers agree

    @property
    def fits(self) -> bool:
        return not self.differences


def spelled_sums(spelled: dict[int, str]) -> set[tuple[int, tuple[int, ...]]]:
    """The sum rules a number row spells: `6=(7+8+9)` → (6, (7, 8, 9))."""
    sums = set()
    for n, text in spelled.items():
        if "=" in text:
            sums.add((n, tuple(int(p) for p in _DIGITS.findall(text.split("=", 1)[1]))))
    return sums


def header_text(path: tuple[str, ...]) -> str:
    """A header path as the clerk reads it: "Số hồ sơ đã giải quyết - Quá hạn"."""
    return " - ".join(split_path(path)) or "(để trống)"


def fit(layout: Layout, numbers: set[int], spelled: dict[int, str], headers: dict[int, tuple[str, ...]], vocabulary: Vocabulary) -> Fit:
    """How `layout` fits a table numbered `numbers`, whose number row spells `spelled` and whose columns read `headers`."""
    result = Fit(layout)
    if max(layout.numbers) != max(numbers) or not set(layout.count_columns) <= numbers:
        result.differences.append(f"số cột: mẫu có {max(layout.numbers)} cột, bảng có {max(numbers)} cột")
        return result
    sums = spelled_sums(spelled)
    for total, parts in sorted(sums - layout.sums()):
        rule = next((r for r in layout.rules if r.op == "=" and r.left == total), None)
        expected = rule.text if rule else f"cột ({total}) không phải cột tổng"
        result.differences.append(f"cột {total}: bảng ghi quy tắc “{spelled[total]}”, mẫu: {expected}")
    layout_sums = layout.sums()
    # The number row spells the same rules: one of the layout's sums for each of its total columns.
    same_rules = bool(sums) and sums <= layout_sums and {t for t, _ in sums} == {t for t, _ in layout_sums}
    sheet_keys = vocabulary.meanings_of(headers, sorted(numbers))
    layout_keys = vocabulary.meanings_of({c.number: c.header for c in layout.columns}, layout.numbers)
    known = vocabulary.keys
    for n in layout.count_columns:
        column = layout.column(n)
        path = headers.get(n, ())
        expected = column.key if column.key in known else layout_keys.get(n)
        found = sheet_keys.get(n) if split_path(path) else None
        if expected and found:
            agrees = expected == found  # two known meanings: never overruled
        elif same_rules or (sums and sums <= layout_sums and not split_path(path)):
            agrees = True
        else:
            agrees = _same_words(path, column.header, vocabulary)
        if agrees:
            result.agreed += 1
        elif not split_path(path):
            result.differences.append(f"cột {n}: bảng không ghi tiêu đề, mẫu ghi “{header_text(column.header)}”")
        else:
            result.differences.append(f"cột {n}: bảng ghi “{header_text(path)}”, mẫu ghi “{header_text(column.header)}”")
    return result


def _same_words(path: tuple[str, ...], expected: tuple[str, ...], vocabulary: Vocabulary) -> bool:
    """The column's own texts agree (one holds the other's words), and so do their stages when both name one."""
    ours, theirs = split_path(path), split_path(expected)
    if not ours or not theirs or not _contains(fold(ours[-1]), fold(theirs[-1])):
        return False
    stage = lambda segments: next((s for s in map(vocabulary.stage_of, reversed(segments)) if s), None)  # noqa: E731
    a, b = stage(ours), stage(theirs)
    return a is None or b is None or a == b


def _contains(a: str, b: str) -> bool:
    return f" {a} " in f" {b} " or f" {b} " in f" {a} "


def best_fit(
    layouts: dict[str, Layout], numbers: set[int], spelled: dict[int, str], headers: dict[int, tuple[str, ...]], vocabulary: Vocabulary
) -> tuple[Layout | None, Fit | None]:
    """(the layout that fits best, None) or (None, the nearest layout's fit) when none fits."""
    fits = [fit(layout, numbers, spelled, headers, vocabulary) for layout in layouts.values()]
    fitting = [f for f in fits if f.fits]
    if fitting:
        # Among layouts that fit: the most columns agreeing, then the most of its `identify` words in the
        # header; on a tie the layout loaded last (a clerk's own file is loaded after the shipped ones).
        words = f" {fold(' '.join(' '.join(p) for p in headers.values()))} "
        return max(reversed(fitting), key=lambda f: (f.agreed, sum(f" {w} " in words for w in f.layout.identify))).layout, None
    if not fits:
        return None, None
    # A layout with the table's number of columns is nearer than any other, whatever else differs.
    return None, min(fits, key=lambda f: (f.differences[0].startswith("số cột"), len(f.differences), -f.agreed))
