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

from tthc_xl.core.errors import ClerkError
from tthc_xl.core.text import fold
from tthc_xl.resources import CHECKOUT, shipped

_RULE = re.compile(r"^\s*(\d+)\s*(<=|>=|=|≤|≥)\s*\(?\s*(\d+(?:\s*\+\s*\d+)*)\s*\)?\s*$")


INFERRED_SOURCES = ("hàng số thứ tự cột", "tiêu đề cột")
INFERRED_NAMES = ("theo-hang-so", "suy-ra-tieu-de-cot")  # from a number row's spelled rules; from the header


class LayoutError(ClerkError, ValueError):
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

    @cached_property
    def signature(self) -> tuple:
        """What makes two layouts the same for consolidation: columns, their meanings, the rules."""
        return (
            tuple((c.number, c.kind, c.key) for c in self.columns),
            tuple(sorted((r.left, r.op, r.right, r.explained_by or 0) for r in self.rules)),
        )

    @property
    def inferred(self) -> bool:
        """Inferred from a table (its number row or its header), not written in a file."""
        return self.source in INFERRED_SOURCES

    @property
    def label(self) -> str:
        """The layout as every output names it; an inferred one with what it was inferred from and its rules."""
        if not self.inferred:
            return self.name
        return f"{self.name} ({self.description}: {'; '.join(r.text for r in self.rules)})"

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


def read_toml(path, what: str, error: type[Exception] = LayoutError) -> dict:
    """A TOML file a clerk keeps (a layout, a mapping, a calendar, a vocabulary); `error` ("Không đọc
    được {what} {path}: …") when it cannot be opened or parsed."""
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise error(f"Không đọc được {what} {path}: {exc}") from None


def load_layout(path: Path) -> Layout:
    return layout_from_dict(read_toml(path, "mẫu biểu"), str(path))


def templates_dir() -> Path:
    """The `templates/` folder: $TTHC_XL_TEMPLATES, the source checkout, or the installed copy (any install scheme)."""
    for candidate in (os.environ.get("TTHC_XL_TEMPLATES"), CHECKOUT / "templates", shipped("templates")):
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
        name=INFERRED_NAMES[0],
        title="",
        columns=tuple(columns),
        rules=tuple(rules),
        percent=percent,
        source="hàng số thứ tự cột",
        description="Mẫu suy ra từ hàng số thứ tự cột của bảng",
    )


FORMS_FOLDER = "mau-bieu"  # a clerk's own layout files: beside the master, and in the per-user folder


def user_layout_dir() -> Path:
    """The clerk's own folder of layout files: %APPDATA%\\tthc-xl\\mau-bieu on Windows, ~/.config/tthc-xl/mau-bieu elsewhere."""
    if sys.platform.startswith("win") and os.environ.get("APPDATA"):
        return Path(os.environ["APPDATA"]) / "tthc-xl" / FORMS_FOLDER
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "tthc-xl" / FORMS_FOLDER


def clerk_layout_dirs(master: Path | None = None) -> list[Path]:
    """The clerk's layout folders that exist: the per-user one, then the one beside the master (it wins)."""
    folders = [user_layout_dir()] + ([Path(master).resolve().parent / FORMS_FOLDER] if master else [])
    return [folder for folder in folders if folder.is_dir()]


def is_layout_path(form: str) -> bool:
    return str(form).lower().endswith(".toml") or os.sep in str(form) or "/" in str(form)


def resolve_form(form: str | None, layouts: dict[str, Layout], base: Path | None = None) -> str | None:
    """The name of the layout `--form` names: a layout's name, or a path to a .toml (loaded into `layouts`).

    A relative path is looked for from the current folder, then from `base` (the master's folder).
    Raises LayoutError when it names nothing.
    """
    if not form or form in layouts:
        return form
    if form.split(" ", 1)[0] in INFERRED_NAMES:
        return None  # remembered from a master whose layout was inferred: inferred again from its header
    if is_layout_path(form):
        candidates = [Path(form)] + ([Path(base) / form] if base and not Path(form).is_absolute() else [])
        path = next((p for p in candidates if p.is_file()), None)
        if path is None:
            raise LayoutError(f"Không tìm thấy tệp mẫu biểu {form}: hãy kiểm tra đường dẫn (ví dụ --form mau-bieu/mau-moi.toml).")
        layout = load_layout(path)
        layouts[layout.name] = layout
        return layout.name
    raise LayoutError(f"Không có mẫu biểu “{form}”. Các mẫu có sẵn: {', '.join(layouts)}; hoặc ghi đường dẫn tới tệp .toml.")


def _toml_text(value: str) -> str:
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def layout_to_toml(layout: Layout, name: str | None = None, origin: str = "") -> str:
    """A layout file for `layout` (read or inferred), for the clerk to check, edit and keep; loads back equal."""
    lines = []
    if origin:
        lines.append(f"# Mẫu biểu lấy từ bảng trong tệp {origin}" + (f" ({layout.description})." if layout.inferred else "."))
    lines += [
        "# Hãy kiểm tra tên, tiêu đề và ý nghĩa (key) của từng cột và các quy tắc rồi lưu lại; không cần lập trình.",
        "# Quy tắc viết dạng “3 = 4 + 5” (cột tổng bằng tổng các cột thành phần) hoặc “14 <= 5”.",
        f"name = {_toml_text(name or layout.name)}",
        f"title = {_toml_text(layout.title)}",
        f"description = {_toml_text(layout.description if not layout.inferred else 'Mẫu của đơn vị (lấy từ bảng đã đọc)')}",
    ]
    if layout.identify:
        lines.append("identify = [" + ", ".join(map(_toml_text, layout.identify)) + "]")
    for column in layout.columns:
        lines += ["", "[[columns]]", f"number = {column.number}", f"key = {_toml_text(column.key)}"]
        if column.kind != "count":
            lines.append(f"kind = {_toml_text(column.kind)}")
        lines.append("header = [" + ", ".join(map(_toml_text, column.header)) + "]")
    if not layout.rules:
        lines += ["", "# Chưa có quy tắc nào: hãy thêm, ví dụ:", "# [[rules]]", '# rule = "3 = 4 + 5"']
    for rule in layout.rules:
        sign = "=" if rule.op == "=" else "<="
        lines += ["", "[[rules]]", f"rule = \"{rule.left} {sign} {' + '.join(map(str, rule.right))}\""]
        if rule.explained_by:
            lines.append(f"explained_by = {rule.explained_by}")
    if layout.percent:
        lines += ["", "[percent]"] + [f"{n} = {base}" for n, base in sorted(layout.percent.items())]
    return "\n".join(lines) + "\n"
