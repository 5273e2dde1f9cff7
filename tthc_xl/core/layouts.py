"""Report layouts (forms) as data: columns, rules and percentage bases read from TOML files.

A layout file lives in `templates/forms/`; a clerk adds one by copying a file, no code. A sheet
whose number row spells its rules (`3=(4+5)`, `6=(7+8+9)`) gets a layout inferred from it.
"""

from __future__ import annotations

import os
import re
import sys
import tomllib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from tthc_xl.core.text import fold

_RULE = re.compile(r"^\s*(\d+)\s*(<=|>=|=|≤|≥)\s*\(?\s*(\d+(?:\s*\+\s*\d+)*)\s*\)?\s*$")


class LayoutError(ValueError):
    """A layout file a clerk wrote that cannot be used; the message says which and why."""


@dataclass(frozen=True)
class Column:
    number: int
    key: str
    header: tuple[str, ...]
    kind: str = "count"  # "order" (STT), "label" (unit name) or "count"

    @property
    def name(self) -> str:
        return " - ".join(self.header)


@dataclass(frozen=True)
class Rule:
    """`left op sum(right)`; op is "=" or "<="."""

    left: int
    op: str
    right: tuple[int, ...]
    explained_by: int | None = None

    @property
    def text(self) -> str:
        return f"({self.left}) {'=' if self.op == '=' else '≤'} " + " + ".join(f"({n})" for n in self.right)

    @property
    def columns(self) -> tuple[int, ...]:
        return (self.left, *self.right)

    def holds(self, values: dict[int, float]) -> bool:
        total = sum(values[n] for n in self.right)
        if self.op == "=":
            return abs(values[self.left] - total) < 1e-9
        return values[self.left] <= total + 1e-9


def parse_rule(text: str, explained_by: int | None = None) -> Rule:
    """`3 = 4 + 5`, `3=(4+5)`, `14 <= 5`, `5 >= 14`."""
    match = _RULE.match(str(text).replace(" ", " "))
    if not match:
        raise LayoutError(f"Không hiểu quy tắc “{text}” (ví dụ đúng: 3 = 4 + 5 hoặc 14 <= 5).")
    left, op, right = int(match[1]), match[2], tuple(int(n) for n in re.findall(r"\d+", match[3]))
    if op in (">=", "≥"):
        if len(right) != 1:
            raise LayoutError(f"Quy tắc “{text}”: vế phải của ≥ chỉ được có một cột.")
        left, right = right[0], (left,)
    return Rule(left, "=" if op == "=" else "<=", right, explained_by)


@dataclass(frozen=True)
class Layout:
    name: str
    title: str
    columns: tuple[Column, ...]
    rules: tuple[Rule, ...]
    percent: dict[int, int] = field(default_factory=dict)  # column → the column it is a share of
    identify: tuple[str, ...] = ()
    description: str = ""
    source: str = ""  # the file it came from, or "hàng số thứ tự cột" when inferred

    def column(self, number: int) -> Column:
        return self._by_number[number]

    @cached_property
    def _by_number(self) -> dict[int, Column]:
        return {c.number: c for c in self.columns}

    # Asked for in every row of every table: computed once (a layout never changes).
    @cached_property
    def numbers(self) -> tuple[int, ...]:
        return tuple(c.number for c in self.columns)

    @cached_property
    def count_columns(self) -> tuple[int, ...]:
        return tuple(c.number for c in self.columns if c.kind == "count")

    @cached_property
    def label_column(self) -> int | None:
        return next((c.number for c in self.columns if c.kind == "label"), None)

    @cached_property
    def order_column(self) -> int | None:
        return next((c.number for c in self.columns if c.kind == "order"), None)

    def by_key(self, values: dict[int, float]) -> dict[str, float]:
        """Values keyed by meaning (`received`, `resolved`…) instead of column number."""
        return {self.column(n).key: v for n, v in values.items() if n in self._by_number}

    def sums(self) -> set[tuple[int, tuple[int, ...]]]:
        """The sum rules as (total, parts), to compare with what a number row spells."""
        return {(r.left, r.right) for r in self.rules if r.op == "="}


def layout_from_dict(data: dict, source: str) -> Layout:
    try:
        columns = tuple(
            Column(int(c["number"]), str(c.get("key") or f"c{c['number']}"), tuple(_as_list(c.get("header", []))), c.get("kind", "count"))
            for c in data["columns"]
        )
        known = {c.number for c in columns}
        rules = []
        for item in data.get("rules", []):
            item = {"rule": item} if isinstance(item, str) else item
            rule = parse_rule(item["rule"], item.get("explained_by"))
            unknown = [n for n in (*rule.columns, rule.explained_by) if n is not None and n not in known]
            if unknown:
                raise LayoutError(f"quy tắc “{item['rule']}” nhắc tới cột {unknown} không có trong mẫu")
            rules.append(rule)
        percent = {int(k): int(v) for k, v in data.get("percent", {}).items()}
        return Layout(
            name=str(data["name"]),
            title=str(data.get("title", "")),
            columns=columns,
            rules=tuple(rules),
            percent=percent,
            identify=tuple(fold(w) for w in data.get("identify", [])),
            description=str(data.get("description", "")),
            source=source,
        )
    except LayoutError as exc:
        raise LayoutError(f"Mẫu biểu {source}: {exc}") from None
    except (KeyError, TypeError, ValueError) as exc:
        raise LayoutError(f"Mẫu biểu {source} thiếu hoặc sai mục {exc}; hãy sửa theo mẫu trong templates/forms/.") from None


def _as_list(value) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def load_layout(path: Path) -> Layout:
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise LayoutError(f"Không đọc được mẫu biểu {path}: {exc}") from None
    return layout_from_dict(data, str(path))


def templates_dir() -> Path:
    """The `templates/` folder: $TTHC_XL_TEMPLATES, the source checkout, or the installed copy."""
    candidates = [
        os.environ.get("TTHC_XL_TEMPLATES"),
        Path(__file__).resolve().parents[2] / "templates",
        Path(sys.prefix) / "share" / "tthc-xl" / "templates",
    ]
    for candidate in candidates:
        if candidate and Path(candidate, "forms").is_dir():
            return Path(candidate)
    raise LayoutError("Không tìm thấy thư mục templates/ (mẫu biểu); hãy đặt biến TTHC_XL_TEMPLATES.")


def load_layouts(extra_dirs=()) -> dict[str, Layout]:
    """Every layout in templates/forms/ and in the extra folders (or files), by name."""
    layouts: dict[str, Layout] = {}
    for folder in [templates_dir() / "forms", *map(Path, extra_dirs)]:
        files = [folder] if folder.is_file() else sorted(folder.glob("*.toml"))
        for path in files:
            layout = load_layout(path)
            layouts[layout.name] = layout
    return layouts


def missing_rule_columns(spelled: dict[int, str]) -> list[tuple[str, int]]:
    """(rule as spelled, column) for each column a spelled rule names that the number row lacks: `3=(4+5)` in `1 2 3=(4+5) 4`."""
    missing = []
    for text in spelled.values():
        if "=" in str(text):
            try:
                rule = parse_rule(text)
            except LayoutError:
                continue
            missing += [(str(text).strip(), n) for n in (rule.left, *rule.right) if n not in spelled]
    return missing


def infer_layout(spelled: dict[int, str], headers: dict[int, tuple[str, ...]], label_column: int | None) -> Layout | None:
    """A layout from a number row that spells its rules (`3=(4+5)`); None when it spells none."""
    rules = []
    for text in spelled.values():
        if "=" in str(text):
            try:
                rules.append(parse_rule(text))
            except LayoutError:
                return None
    if not rules or missing_rule_columns(spelled):
        return None
    columns = []
    for number in sorted(spelled):
        kind = "count"
        if number == label_column:
            kind = "label"
        elif number < (label_column or 0):
            kind = "order"
        columns.append(Column(number, f"c{number}", headers.get(number) or (str(number),), kind))
    counts = [c.number for c in columns if c.kind == "count"]
    if not counts:
        return None  # every numbered column is the order or the name: nothing to add up
    part_of = {part: r.left for r in rules for part in r.right}
    grand_total = counts[0]
    percent = {n: part_of.get(n, grand_total) for n in counts}
    return Layout(
        name="theo-hang-so",
        title="",
        columns=tuple(columns),
        rules=tuple(rules),
        percent=percent,
        source="hàng số thứ tự cột",
        description="Mẫu suy ra từ hàng số thứ tự cột của bảng",
    )
