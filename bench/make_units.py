"""Generate realistic unit report workbooks (layouts mau-a and mau-b) for the benchmarks.

    python bench/make_units.py OUT_DIR -n 1000 [--seed 1] [--mix-b 0.0] [--jobs 2]
    python bench/make_units.py OUT_DIR --appendix 10000 [--seed 1]

One unit per file, in the shapes units really send (as tests/soctrang.py): a title block or none,
the table moved down and right, a blank spacer column, a "Ghi chú" column, numbers as text with
thousands dots or stray spaces, zeros written "0", "-", "00" or left blank, a merged 3-row header
or a flat one, a number row that spells its rules ("3=(4+5)") or plain 1..14, sometimes a "Hướng
dẫn" sheet first, a blank unit cell with "Đơn vị: …" above, a "Tổng cộng" row. Figures satisfy the
layout's rules except in about 3 % of the files (a typo, a breakdown left at 0, a gap equal to the
returned dossiers, a total row that disagrees, a word instead of a figure).

File i depends only on (seed, i, mix): the first 100 files of a 5 000-file set are the 100 files
of a 100-file set. `--appendix ROWS` writes one consolidated appendix instead: ROWS commune rows
under province group rows, the "Tổng cộng" and "Tỷ lệ %" rows (the whole country in one sheet).
Files are written with XlsxWriter (about 5 KB each).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import random
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

import xlsxwriter

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import soctrang  # noqa: E402  # the shapes units write figures in, shared with the test fixtures

from tthc_xl.core.layouts import Layout, load_layouts  # noqa: E402
from tthc_xl.core.master import Master, Settings, derived_rules  # noqa: E402
from tthc_xl.core.text import fold  # noqa: E402

# --------------------------------------------------------------------------------------
# Unit names: unique (also after folding case and diacritics), stable for a seed
# --------------------------------------------------------------------------------------

_SYLLABLES = [
    "An", "Bình", "Tân", "Phú", "Long", "Hòa", "Mỹ", "Thạnh", "Vĩnh", "Phước", "Thuận", "Hưng",
    "Đông", "Tây", "Nam", "Bắc", "Trung", "Xuân", "Thới", "Lộc", "Khánh", "Hiệp", "Lợi", "Định",
    "Thành", "Quới", "Hậu", "Điền", "Mới", "Giang", "Sơn", "Lâm", "Hải", "Châu", "Kiến", "Ngọc",
    "Quang", "Tiến", "Thắng", "Hội",
]
_COMMUNE_KINDS = ["xã"] * 8 + ["phường", "thị trấn"]
_DISTRICT_KINDS = ["huyện"] * 6 + ["thị xã", "thành phố"]
_PROVINCES = [
    "An Giang", "Bà Rịa - Vũng Tàu", "Bạc Liêu", "Bắc Giang", "Bắc Kạn", "Bắc Ninh", "Bến Tre",
    "Bình Dương", "Bình Định", "Bình Phước", "Bình Thuận", "Cà Mau", "Cao Bằng", "Cần Thơ",
    "Đà Nẵng", "Đắk Lắk", "Đắk Nông", "Điện Biên", "Đồng Nai", "Đồng Tháp", "Gia Lai", "Hà Giang",
    "Hà Nam", "Hà Nội", "Hà Tĩnh", "Hải Dương", "Hải Phòng", "Hậu Giang", "Hòa Bình", "Hưng Yên",
    "Khánh Hòa", "Kiên Giang", "Kon Tum", "Lai Châu", "Lạng Sơn", "Lào Cai", "Lâm Đồng", "Long An",
    "Nam Định", "Nghệ An", "Ninh Bình", "Ninh Thuận", "Phú Thọ", "Phú Yên", "Quảng Bình",
    "Quảng Nam", "Quảng Ngãi", "Quảng Ninh", "Quảng Trị", "Sóc Trăng", "Sơn La", "Tây Ninh",
    "Thái Bình", "Thái Nguyên", "Thanh Hóa", "Thừa Thiên Huế", "Tiền Giang", "TP. Hồ Chí Minh",
    "Trà Vinh", "Tuyên Quang", "Vĩnh Long", "Vĩnh Phúc", "Yên Bái",
]
_DEPARTMENTS = [
    "Tư pháp", "Tài chính", "Xây dựng", "Y tế", "Nội vụ", "Công Thương", "Giáo dục và Đào tạo",
    "Giao thông vận tải", "Kế hoạch và Đầu tư", "Khoa học và Công nghệ", "Tài nguyên và Môi trường",
    "Thông tin và Truyền thông", "Văn hóa, Thể thao và Du lịch", "Lao động - Thương binh và Xã hội",
    "Nông nghiệp và Phát triển nông thôn", "Ngoại vụ",
]
SO_SHARE = 0.05  # share of province departments among the units


class _Names:
    """Unique (name, is_department) pairs drawn in one stable sequence per seed."""

    def __init__(self, seed: int):
        self.rng = random.Random(f"names-{seed}")
        self.departments = [f"Sở {d} tỉnh {p}" for p in _PROVINCES for d in _DEPARTMENTS]
        self.rng.shuffle(self.departments)
        self.names: list[tuple[str, bool]] = []
        self.seen: set[str] = set()

    def extend(self, count: int) -> None:
        rng = self.rng
        while len(self.names) < count:
            if self.departments and rng.random() < SO_SHARE:
                name, department = self.departments.pop(), True
            else:
                a, b, c, d = (rng.choice(_SYLLABLES) for _ in range(4))
                if a == b or c == d:
                    continue
                name, department = f"UBND {rng.choice(_COMMUNE_KINDS)} {a} {b}, {rng.choice(_DISTRICT_KINDS)} {c} {d}", False
            key = fold(name)
            if key not in self.seen:
                self.seen.add(key)
                self.names.append((name, department))


_NAMES: dict[int, _Names] = {}


def unit_names(count: int, seed: int) -> list[tuple[str, bool]]:
    """The first `count` unique (name, is_department) pairs for `seed`: the same for any larger count."""
    names = _NAMES.setdefault(seed, _Names(seed))
    names.extend(count)
    return names.names[:count]


def unit_name(index: int, seed: int) -> tuple[str, bool]:
    names = _NAMES.setdefault(seed, _Names(seed))
    names.extend(index + 1)
    return names.names[index]


# --------------------------------------------------------------------------------------
# Figures that satisfy the layouts' rules
# --------------------------------------------------------------------------------------


def figures_a(rng: random.Random, big: bool) -> dict[int, int]:
    """mau-a: 3 = 4 + 5, 6 = 7 + 8 + 9, 10 = 11 + 12, 3 = 6 + 10, 14 <= 5."""
    scale = 3000 if big else 250
    carried = int(rng.random() ** 2 * scale * 0.2)
    new = int(rng.random() ** 1.5 * scale) if rng.random() > 0.08 else 0
    received = carried + new
    resolved = int(received * rng.uniform(0.55, 1.0))
    early = int(resolved * rng.uniform(0.6, 1.0))
    late = int((resolved - early) * rng.random() * 0.3) if rng.random() < 0.2 else 0
    on_time = resolved - early - late
    pending = received - resolved
    overdue = int(pending * rng.random() * 0.2) if rng.random() < 0.15 else 0
    returned = int(rng.random() * 3) if rng.random() < 0.1 else 0
    online = int(new * rng.uniform(0, 0.8))
    values = [received, carried, new, resolved, early, on_time, late, pending, pending - overdue, overdue, returned, online]
    return dict(zip(range(3, 15), values))


def figures_b(rng: random.Random, big: bool) -> dict[int, int]:
    """mau-b: 3 = 4 + 5 + 6, 7 = 8 + 9 + 10, 11 = 12 + 13, 3 = 7 + 11."""
    a = figures_a(rng, big)
    online = a[14]
    direct = a[5] - online
    values = [a[3], online, direct, a[4], a[6], a[7], a[8], a[9], a[10], a[11], a[12]]
    return dict(zip(range(3, 14), values))


# Deliberate inconsistencies: (kind, share of files).
FLAWS = [("typo", 0.012), ("partial", 0.008), ("returned", 0.004), ("bad_total", 0.004), ("word", 0.002)]


def add_flaw(rng: random.Random, values: dict[int, int | str], layout: Layout, kind: str | None = None) -> str:
    """Spoil the figures of some files, as units do; returns the kind of flaw or ""."""
    if kind is None:
        draw, kind = rng.random(), ""
        for name, share in FLAWS:
            if draw < share:
                kind = name
                break
            draw -= share
    inputs = [n for n in layout.count_columns if n not in derived_rules(layout)]
    if kind == "typo":  # one figure mistyped: a digit dropped, doubled or two digits swapped
        n = rng.choice(inputs)
        value = int(values[n])
        text = str(value)
        choice = rng.random()
        if len(text) >= 2 and choice < 0.5:
            i = rng.randrange(len(text) - 1)
            text = text[:i] + text[i + 1] + text[i] + text[i + 2 :]
        elif choice < 0.75:
            text = text + text[-1]
        else:
            text = text[:-1] or "1"
        values[n] = int(text) if int(text) != value else value + 10
    elif kind == "partial":  # the breakdown of "resolved" left at 0 (Sóc Trăng's seven units)
        total, parts = next((t, p) for t, p in derived_rules(layout).items() if len(p) == 3)
        if values[total]:
            for n in parts:
                values[n] = 0
        else:
            kind = ""
    elif kind == "returned":  # received counts the returned dossiers too: a warning, not an error
        last = max(layout.count_columns)
        if layout.name == "mau-a" and last == 14:
            values[13] = values[13] or 2
            values[3] += values[13]
            values[5] += values[13]
        else:
            kind = ""
    elif kind == "word":
        values[rng.choice(inputs)] = rng.choice(["chín", "không", "N/A"])
    return kind


# --------------------------------------------------------------------------------------
# Shapes
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Shape:
    titles: bool
    offset: bool
    spacer: bool
    notes: bool
    numbers: str  # "int", "dots", "spaces"
    zeros: str  # "0", "-", "00", ""
    header: str  # "merged", "flat"
    number_row: str  # "formula", "plain"
    guide_sheet: bool
    sheet: str
    blank_unit: bool  # unit cell left blank, the name on a "Đơn vị: …" line above
    total_row: bool  # a "Tổng cộng" row under the unit row


def draw_shape(rng: random.Random) -> Shape:
    titles = rng.random() < 0.6
    return Shape(
        titles=titles,
        offset=rng.random() < 0.25,
        spacer=rng.random() < 0.2,
        notes=rng.random() < 0.25,
        numbers=rng.choices(["int", "dots", "spaces"], [0.6, 0.3, 0.1])[0],
        zeros=rng.choices(["0", "-", "00", ""], [0.5, 0.2, 0.1, 0.2])[0],
        header=rng.choices(["merged", "flat"], [0.7, 0.3])[0],
        number_row=rng.choices(["formula", "plain"], [0.7, 0.3])[0],
        guide_sheet=rng.random() < 0.05,
        sheet=rng.choice(["Sheet1", "PL1", "Phụ lục", "Báo cáo T10", "Biểu 06a"]),
        blank_unit=titles and rng.random() < 0.05,
        total_row=rng.random() < 0.15,
    )


def written(value, column: int, shape: Shape):
    """One figure as this unit writes it (a flaw planted as text stays as it is)."""
    return value if isinstance(value, str) else soctrang._cell(value, column, shape)


def header_block(layout: Layout) -> tuple[dict[tuple[int, int], str], tuple[tuple[int, int, int, int], ...], int]:
    """The layout's merged header, relative to its first row: texts, merges, depth (the master's own rules)."""
    return _header_block(layout.name)


@lru_cache(maxsize=8)
def _header_block(name: str):
    master = Master(_layouts()[name], Settings(), [])
    texts, merges = master.header_cells()
    top = master.header_row
    return (
        {(r - top, c): t for (r, c), t in texts.items()},
        tuple((r1 - top, c1, r2 - top, c2) for r1, c1, r2, c2 in merges),
        master.header_depth,
    )


def number_row_texts(layout: Layout, style: str, stt_blank: bool) -> dict[int, object]:
    """The number row: `3=(4+5)` … ("formula") or the numbers 1, 2, 3 … ("plain")."""
    derived = derived_rules(layout)
    row: dict[int, object] = {}
    for n in layout.numbers:
        if style == "formula" and n in derived:
            row[n] = f"{n}=({'+'.join(map(str, derived[n]))})"
        else:
            row[n] = n if style == "plain" else str(n)
    if stt_blank:
        row[1] = None
    return row


def unit_sheet(index: int, seed: int, mix_b: float, layouts: dict[str, Layout]) -> dict:
    """Everything one unit file holds: cells {(row, col): value} (0-based), merges, sheet names, facts."""
    rng = random.Random(f"unit-{seed}-{index}")
    layout = layouts["mau-b" if rng.random() < mix_b else "mau-a"]
    name, department = unit_name(index, seed)
    shape = draw_shape(rng)
    values: dict[int, object] = (figures_b if layout.name == "mau-b" else figures_a)(rng, department)
    flaw = add_flaw(rng, values, layout)
    last = max(layout.numbers)
    # Sheet column of each layout column (0-based, before the offset).
    col_of = {n: n - 1 + (1 if shape.spacer and n >= 3 else 0) for n in layout.numbers}
    notes_col = col_of[last] + 1 if shape.notes else None
    cells: dict[tuple[int, int], object] = {}
    merges: list[tuple[int, int, int, int]] = []
    top = 0
    if shape.titles:
        cells[(0, 0)] = "BÁO CÁO TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT TTHC THÁNG 10/2019" + (" (Biểu II.06a/VPCP/KSTT)" if layout.name == "mau-b" else "")
        cells[(1, 0)] = f"Đơn vị: {name}"
        top = 3
    texts, header_merges, depth = header_block(layout)
    if shape.header == "merged":
        for (r, n), text in texts.items():
            cells[(top + r, col_of[n])] = text
        for r1, c1, r2, c2 in header_merges:
            merges.append((top + r1, col_of[c1], top + r2, col_of[c2]))
        if notes_col is not None:
            cells[(top, notes_col)] = "Ghi chú"
            merges.append((top, notes_col, top + depth - 1, notes_col))
        top += depth
    else:
        for column in layout.columns:
            cells[(top, col_of[column.number])] = " - ".join(column.header)
        if notes_col is not None:
            cells[(top, notes_col)] = "Ghi chú"
        top += 1
    for n, text in number_row_texts(layout, shape.number_row, stt_blank=rng.random() < 0.5).items():
        if text is not None:
            cells[(top, col_of[n])] = text
    top += 1
    unit_row = top
    cells[(unit_row, col_of[1])] = 1
    if not shape.blank_unit:
        cells[(unit_row, col_of[2])] = name
    for n in layout.count_columns:
        cells[(unit_row, col_of[n])] = written(values[n], n, shape)
    if notes_col is not None:
        cells[(unit_row, notes_col)] = rng.choice(["Số liệu trích từ phần mềm một cửa", "Đã đối chiếu", "Chờ bổ sung hồ sơ"])
    if shape.total_row or flaw == "bad_total":
        cells[(unit_row + 1, col_of[2])] = "Tổng cộng"
        for n in layout.count_columns:
            value = values[n]
            if flaw == "bad_total" and n == layout.count_columns[-2]:
                value = (value if isinstance(value, int) else 0) + 7
            cells[(unit_row + 1, col_of[n])] = written(value, n, shape)
    dy, dx = (4, 2) if shape.offset else (0, 0)
    cells = {(r + dy, c + dx): v for (r, c), v in cells.items()}
    merges = [(r1 + dy, c1 + dx, r2 + dy, c2 + dx) for r1, c1, r2, c2 in merges]
    return {
        "index": index,
        "name": name,
        "layout": layout.name,
        "flaw": flaw,
        "shape": shape,
        "values": values,
        "sheets": (["Hướng dẫn"] if shape.guide_sheet else []) + [shape.sheet],
        "cells": cells,
        "merges": merges,
    }


def file_name(index: int, name: str) -> str:
    slug = "-".join(fold(name).split()[:6])
    return f"{index + 1:05d}_{slug}.xlsx"


_CREATED = datetime.datetime(2019, 10, 24, 8, 0, 0)


def write_workbook(path: Path, sheets: list[str], cells: dict, merges: list) -> None:
    book = xlsxwriter.Workbook(str(path), {"in_memory": True})
    book.set_properties({"created": _CREATED})  # byte-identical files for a seed
    header = book.add_format({"bold": True, "border": 1, "align": "center", "valign": "vcenter", "text_wrap": True})
    sheet = None
    for title in sheets:
        sheet = book.add_worksheet(title)
    merged_cells = set()
    for r1, c1, r2, c2 in merges:
        sheet.merge_range(r1, c1, r2, c2, cells.get((r1, c1)), header)
        merged_cells.update((r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1))
    for (r, c), value in cells.items():
        if (r, c) in merged_cells or value is None:
            continue
        if isinstance(value, str):
            sheet.write_string(r, c, value)
        else:
            sheet.write_number(r, c, value)
    sheet.set_column(1 + (2 if any(c >= 2 for _, c in cells) else 0), 1, 30)
    book.close()


def write_unit(args: tuple[Path, int, int, float]) -> dict:
    folder, index, seed, mix_b = args
    sheet = unit_sheet(index, seed, mix_b, _layouts())
    path = folder / file_name(index, sheet["name"])
    write_workbook(path, sheet["sheets"], sheet["cells"], sheet["merges"])
    return {
        "file": path.name,
        "unit": sheet["name"],
        "layout": sheet["layout"],
        "flaw": sheet["flaw"],
        "shape": asdict(sheet["shape"]),
        "values": {str(n): v for n, v in sheet["values"].items()},
    }


@lru_cache(maxsize=1)
def _layouts() -> dict[str, Layout]:
    return load_layouts()


def make_units(folder: Path, count: int, seed: int = 1, mix_b: float = 0.0, jobs: int | None = None) -> list[dict]:
    """Write `count` unit files into `folder` (emptied of .xlsx first); returns what each file holds."""
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.xlsx"):
        old.unlink()
    unit_names(count, seed)  # once, before forking
    tasks = [(folder, i, seed, mix_b) for i in range(count)]
    jobs = jobs or os.cpu_count() or 1
    if jobs > 1 and count >= 200:
        with ProcessPoolExecutor(jobs) as pool:
            facts = list(pool.map(write_unit, tasks, chunksize=64))
    else:
        facts = [write_unit(task) for task in tasks]
    (folder / "manifest.json").write_text(
        json.dumps({"count": count, "seed": seed, "mix_b": mix_b, "files": facts}, ensure_ascii=False), encoding="utf-8"
    )
    return facts


# --------------------------------------------------------------------------------------
# The whole country in one appendix
# --------------------------------------------------------------------------------------


def make_appendix(path: Path, rows: int, seed: int = 1, flawed: float = 0.02) -> dict:
    """One mau-a appendix: title, merged header, number row, `rows` communes under province group rows,
    "Tổng cộng" and "Tỷ lệ %". About `flawed` of the unit rows break a rule."""
    layout = _layouts()["mau-a"]
    rng = random.Random(f"appendix-{seed}")
    names = [n for n, department in unit_names(rows + rows // 10 + 100, seed) if not department][:rows]
    cells: dict[tuple[int, int], object] = {}
    merges: list[tuple[int, int, int, int]] = []
    last = max(layout.numbers)
    settings = Settings(period="tháng 10 năm 2019", report_number="06/BC-TTHC", report_date="24/10/2019", issuer="Văn phòng Chính phủ")
    for r, line in enumerate(settings.title_lines):
        cells[(r, 0)] = line
        merges.append((r, 0, r, last - 1))
    texts, header_merges, depth = header_block(layout)
    top = 4
    for (r, n), text in texts.items():
        cells[(top + r, n - 1)] = text
    for r1, c1, r2, c2 in header_merges:
        merges.append((top + r1, c1 - 1, top + r2, c2 - 1))
    top += depth
    for n, text in number_row_texts(layout, "formula", stt_blank=True).items():
        if text is not None:
            cells[(top, n - 1)] = text
    row = top + 1
    per_province = -(-rows // len(_PROVINCES))
    totals = dict.fromkeys(layout.count_columns, 0)
    flaws = 0
    for p, start in enumerate(range(0, rows, per_province)):
        members = names[start : start + per_province]
        group_row = row
        cells[(group_row, 1)] = f"Cấp xã - tỉnh {_PROVINCES[p % len(_PROVINCES)]}"
        group = dict.fromkeys(layout.count_columns, 0)
        row += 1
        for k, name in enumerate(members, start=1):
            values = figures_a(rng, False)
            if rng.random() < flawed and add_flaw(rng, values, layout, rng.choice(["typo", "partial", "returned"])):
                flaws += 1
            for n in layout.count_columns:  # subtotals add up what the rows say, flawed or not
                group[n] += values[n]
            cells[(row, 0)] = k
            cells[(row, 1)] = name
            for n in layout.count_columns:
                cells[(row, n - 1)] = values[n]
            row += 1
        for n in layout.count_columns:
            cells[(group_row, n - 1)] = group[n]
            totals[n] += group[n]
    cells[(row, 1)] = "Tổng cộng"
    for n in layout.count_columns:
        cells[(row, n - 1)] = totals[n]
    cells[(row + 1, 1)] = "Tỷ lệ %"
    for n, base in layout.percent.items():
        cells[(row + 1, n - 1)] = round(100 * totals[n] / totals[base], 2) if totals[base] else 0
    path.parent.mkdir(parents=True, exist_ok=True)
    write_workbook(path, ["Phụ lục I"], cells, merges)
    return {"file": str(path), "rows": rows, "groups": -(-rows // per_province), "flawed": flaws}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("-n", "--count", type=int, default=100, help="number of unit files")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--mix-b", type=float, default=0.0, help="share of files in layout mau-b (the rest mau-a)")
    parser.add_argument("--jobs", type=int, default=None, help="processes (default: all cores)")
    parser.add_argument("--appendix", type=int, metavar="ROWS", help="write one appendix with ROWS unit rows instead")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    if args.appendix:
        facts = make_appendix(args.folder / f"phu-luc-{args.appendix}-dong.xlsx", args.appendix, args.seed)
        print(json.dumps(facts, ensure_ascii=False))
    else:
        facts = make_units(args.folder, args.count, args.seed, args.mix_b, args.jobs)
        flaws = sum(1 for f in facts if f["flaw"])
        size = sum((args.folder / f["file"]).stat().st_size for f in facts)
        print(f"{len(facts)} files in {args.folder} ({size / len(facts) / 1024:.1f} KB each, {flaws} with a deliberate flaw)")
    print(f"{time.perf_counter() - started:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
