"""A layout inferred from a table's own header, when no layout file fits and the number row spells no rule.

Rules come from the header's shape and words: a total column ("Tổng số", "Tổng", "Cộng") equals
the sum of its siblings under the same heading (a sibling group with a total of its own counts by
that total; a group without one, such as "Trong đó", by its columns); with a one-row header, the
total's parts are the columns of its stage right after it. The received total equals the resolved
plus the pending total when the header names all three. Each column's meaning (its key) comes from
the vocabulary. An inferred layout is named "mẫu suy ra từ tiêu đề cột" wherever it is shown.
"""

from __future__ import annotations

from tthc_xl.core.layouts import INFERRED_NAMES, Column, Layout, Rule, infer_layout
from tthc_xl.core.text import fold
from tthc_xl.core.vocabulary import Vocabulary, split_path

INFERRED_NAME = INFERRED_NAMES[1]
INFERRED = "mẫu suy ra từ tiêu đề cột"


def columns_of(headers: dict[int, tuple[str, ...]], numbers, vocabulary: Vocabulary, label: int | None) -> list[Column]:
    """The table's columns: order, label, then counts keyed by their meaning (`c<n>` when unknown or taken)."""
    keys = vocabulary.meanings_of(headers, sorted(numbers))
    columns, used = [], set()
    for n in sorted(numbers):
        path = headers.get(n) or (str(n),)
        if n == label:
            columns.append(Column(n, "unit", path, "label"))
        elif label is not None and n < label:
            columns.append(Column(n, "order", path, "order"))
        else:
            key = keys.get(n)
            key = key if key and key not in used else f"c{n}"
            used.add(key)
            columns.append(Column(n, key, path, "count"))
    return columns


def infer_from_header(headers: dict[int, tuple[str, ...]], numbers, vocabulary: Vocabulary, label: int | None) -> Layout | None:
    """The layout the header describes, or None when it gives no rule or a count column means nothing known."""
    columns = columns_of(headers, numbers, vocabulary, label)
    counts = [c for c in columns if c.kind == "count"]
    if not counts or any(c.key.startswith("c") and c.key[1:].isdigit() for c in counts):
        return None
    paths = {c.number: split_path(c.header) for c in counts}
    keys = {c.number: c.key for c in counts}
    sums = _sum_rules(paths, vocabulary) or _flat_sum_rules(counts, paths, headers, vocabulary)
    rules = [rule for total, parts in sums for rule in _breakdown(total, parts, keys, vocabulary)]
    if not rules:
        return None
    rules += _conservation(counts, rules)
    return _layout(columns, rules, INFERRED_NAME, "tiêu đề cột", INFERRED)


def with_meanings(layout: Layout, headers: dict[int, tuple[str, ...]], vocabulary: Vocabulary) -> Layout:
    """A layout inferred from a number row, its columns keyed by meaning (reports and history use keys)."""
    columns = columns_of(headers, layout.numbers, vocabulary, layout.label_column)
    rules = list(layout.rules)
    rules += _conservation([c for c in columns if c.kind == "count"], rules)
    return _layout(columns, rules, layout.name, layout.source, layout.description)


def _layout(columns: list[Column], rules: list[Rule], name: str, source: str, description: str) -> Layout:
    keys = {c.key: c.number for c in columns}
    grand = keys.get("received") or next(c.number for c in columns if c.kind == "count")
    part_of: dict[int, int] = {}
    for rule in rules:
        if rule.op == "=":
            for part in rule.right:
                part_of.setdefault(part, rule.left)
        elif len(rule.right) == 1:  # a part at most its total: a share of it
            part_of.setdefault(rule.left, rule.right[0])
    percent = {c.number: part_of.get(c.number, grand) for c in columns if c.kind == "count"}
    return Layout(name=name, title="", columns=tuple(columns), rules=tuple(rules), percent=percent, source=source, description=description)


def _breakdown(total: int, parts: list[int], keys: dict[int, str], vocabulary: Vocabulary) -> list[Rule]:
    """`total = sum(parts)` when the parts are a whole breakdown of the total's stage (the vocabulary's
    `complete` sets: kỳ trước + mới, trực tuyến + trực tiếp, đúng hạn + quá hạn…); else each part ≤ the
    total ("Trong đó: trực tuyến, liên thông" names some of the channels, not all)."""
    if len(parts) == 1:
        return [Rule(parts[0], "<=", (total,))]
    sets = vocabulary.complete.get(keys.get(total, ""))
    if sets is None or any(set(whole) <= {keys.get(p) for p in parts} for whole in sets):
        return [Rule(total, "=", tuple(parts))]
    return [Rule(part, "<=", (total,)) for part in parts]


def _sum_rules(paths: dict[int, tuple[str, ...]], vocabulary: Vocabulary) -> list[tuple[int, list[int]]]:
    """Each total column = its siblings under the same (non-empty) heading, or = the "Trong đó" group right after it."""
    rules = []
    numbers = sorted(paths)
    for i, n in enumerate(numbers):
        path = paths[n]
        if len(path) >= 2 and vocabulary.is_total(path[-1]):
            parts = _parts(path[:-1], n, paths, vocabulary)
        elif i + 1 < len(numbers) and _opens_parts(path, paths[numbers[i + 1]], vocabulary):
            # "Tổng số hồ sơ tiếp nhận" | "Trong đó": "Kỳ trước", "Tiếp nhận mới"
            parts = _parts(paths[numbers[i + 1]][: len(path)], n, paths, vocabulary)
        else:
            continue
        if parts:
            rules.append((n, parts))
    return rules


def _opens_parts(path: tuple[str, ...], following: tuple[str, ...], vocabulary: Vocabulary) -> bool:
    """A total-like column ("Tổng …") whose right neighbour starts a "Trong đó" group at the same level."""
    depth = len(path)
    leaf = fold(path[-1]) if path else ""
    if len(following) <= depth or not any(leaf == w or leaf.startswith(w + " ") for w in vocabulary.total):
        return False
    return tuple(map(fold, following[: depth - 1])) == tuple(map(fold, path[:-1])) and vocabulary.is_parts(following[depth - 1])


def _parts(heading: tuple[str, ...], total: int, paths: dict[int, tuple[str, ...]], vocabulary: Vocabulary) -> list[int]:
    """The columns that add up to the total under `heading`: a subgroup counts by its own total if it has one."""
    depth = len(heading)
    key = tuple(map(fold, heading))
    under = [n for n, p in paths.items() if n != total and len(p) > depth and tuple(map(fold, p[:depth])) == key]
    parts: list[int] = []
    seen: set[str] = set()
    for n in under:
        child = fold(paths[n][depth])
        if child in seen:
            continue
        seen.add(child)
        members = [m for m in under if fold(paths[m][depth]) == child]
        if len(members) == 1 and len(paths[members[0]]) == depth + 1:
            parts.append(members[0])
            continue
        sub_total = next((m for m in members if len(paths[m]) == depth + 2 and vocabulary.is_total(paths[m][-1])), None)
        if sub_total is not None:
            parts.append(sub_total)
        else:
            parts += _parts(paths[members[0]][: depth + 1], -1, {m: paths[m] for m in members}, vocabulary)
    return parts


def _flat_sum_rules(counts: list[Column], paths: dict[int, tuple[str, ...]], headers, vocabulary: Vocabulary) -> list[tuple[int, list[int]]]:
    """A one-row header: a total of a stage is the columns of that stage right after it, up to the next total."""
    stages = {}
    stage = None
    for column in counts:
        _, stage = vocabulary.meaning(headers.get(column.number, ()), stage)
        stages[column.number] = stage
    rules = []
    for i, column in enumerate(counts):
        path = paths[column.number]
        if not path or not (vocabulary.is_total(path[-1]) or column.key == stages[column.number]):
            continue
        parts = []
        for other in counts[i + 1 :]:
            other_path = paths[other.number]
            if stages[other.number] != stages[column.number] or vocabulary.is_total(other_path[-1]) or other.key == stages[other.number]:
                break
            parts.append(other.number)
        if parts:
            rules.append((column.number, parts))
    return rules


def _conservation(counts: list[Column], rules: list) -> list[Rule]:
    """received = resolved + pending, when the header names all three (a gap equal to returned is explained)."""
    keys = {c.key: c.number for c in counts}
    if not {"received", "resolved", "pending"} <= keys.keys():
        return []
    rule = Rule(keys["received"], "=", (keys["resolved"], keys["pending"]), keys.get("returned"))
    if any(r.left == rule.left and r.right == rule.right for r in rules):
        return []
    return [rule]


def infer(
    spelled: dict[int, str], numbers, headers: dict[int, tuple[str, ...]], vocabulary: Vocabulary, label: int | None
) -> Layout | None:
    """A layout from the number row's spelled rules, else from the header; None when neither describes the table."""
    layout = infer_layout(spelled, headers, label)
    if layout is not None:
        return with_meanings(layout, headers, vocabulary)
    if any("=" in str(t) for t in spelled.values()):
        return None  # rules spelled but not understood: not guessed from the header
    return infer_from_header(headers, numbers, vocabulary, label)
