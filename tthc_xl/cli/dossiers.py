"""`tthc-xl ho-so`: the appendix recomputed from the one-stop software's dossier lists, set against
what the units reported, with the Quyết định 766/QĐ-TTg indicators."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

from tthc_xl.cli.common import layouts_of, print_summary, write_json
from tthc_xl.cli.exits import EXIT_FINDINGS, EXIT_OK, EXIT_UNUSABLE
from tthc_xl.core import dossiers as ds
from tthc_xl.core.contract import CHECK_SHEET
from tthc_xl.core.indicators import APPENDIX, DOSSIERS, indicators, paragraph
from tthc_xl.core.model import ERROR, UNIT, WARNING, Cell, Finding, Row, SourceFile
from tthc_xl.core.numbers import format_number, format_percent
from tthc_xl.core.periods import parse_period
from tthc_xl.core.units import Unit, UnitList, load_units

BY = {"don-vi": "unit", "linh-vuc": "field", "thu-tuc": "procedure"}


@dataclass
class DossierCheck:
    """What a dossier check adds to a consolidation: the recomputed rows, differences, indicators."""

    counted: object  # files.dossiers.Counted
    recomputed: dict[str, dict[int, int]]  # unit → layout column → count
    parts: dict[str, dict[str, int]] = field(default_factory=dict)  # unit (canonical name) → count key → count
    explaining: dict[str, dict[str, int]] = field(default_factory=dict)  # unit → count key → dossiers whose two statuses move it
    differences: list[ds.Difference] = field(default_factory=list)
    views: dict[str, list[ds.DossierView]] = field(default_factory=dict)
    appendix: list = field(default_factory=list)  # Indicator, from the master's totals
    dossiers: list = field(default_factory=list)  # Indicator, from the dossiers
    by_unit: list = field(default_factory=list)  # (unit, appendix indicators, dossier indicators)
    files: list[dict] = field(default_factory=list)

    def as_json(self) -> dict:
        counted = self.counted
        return {
            "period": {"start": counted.start.isoformat(), "end": counted.end.isoformat()},
            "by": counted.by,
            "files": self.files,
            "counted": counted.counted,
            "rows_left_out": counted.rejected,
            "recomputed": {u: {str(n): v for n, v in row.items()} for u, row in self.recomputed.items()},
            "counts": counted.parts,
            "outcomes": counted.outcomes,
            "differences": [
                {"unit": d.unit, "cell": d.cell, "column": d.column, "key": d.key, "reported": d.reported, "recomputed": d.recomputed,
                 "explained": d.explained, "dossiers": [v.code for v in d.dossiers]} for d in self.differences
            ],
            "status_differences": sum(len(v) for v in self.views.values()),
            "indicators": {"appendix": [i.as_json() for i in self.appendix], "dossiers": [i.as_json() for i in self.dossiers],
                           "paragraph": paragraph(self.appendix, self.dossiers) if self.appendix else ""},
        }


def add_commands(subparsers) -> None:
    cmd = subparsers.add_parser(
        "ho-so",
        help="tính lại phụ lục từ danh sách hồ sơ xuất từ phần mềm một cửa và đối chiếu với số liệu đơn vị báo cáo",
        description=(
            "Đọc danh sách hồ sơ (xlsx, csv) xuất từ phần mềm một cửa, tính lại từng cột của phụ lục cho kỳ báo cáo "
            "(quá hạn tính theo ngày làm việc, trừ thời gian chờ bổ sung), đánh dấu ô đơn vị báo cáo lệch với hồ sơ "
            "và tính các chỉ số theo Quyết định 766/QĐ-TTg."
        ),
    )
    cmd.add_argument("files", nargs="+", metavar="TỆP", help="tệp hoặc thư mục danh sách hồ sơ (.xlsx, .csv)")
    cmd.add_argument("--period", help="kỳ báo cáo, ví dụ “tháng 10 năm 2019” hoặc “16/9/2019 - 15/10/2019” (mặc định: kỳ của bảng tổng hợp)")
    cmd.add_argument("--mapping", help="tệp ánh xạ cột (.toml) hoặc tên một tệp trong templates/mappings/ (mặc định: tự nhận theo tên cột)")
    cmd.add_argument("--form", help="mẫu biểu khi tạo bảng mới (mặc định mau-a)")
    cmd.add_argument("--units", help="danh sách đơn vị (.csv)")
    cmd.add_argument("--theo", choices=sorted(BY), default="don-vi", help="mỗi dòng của phụ lục là một đơn vị, lĩnh vực hay thủ tục")
    cmd.add_argument("--calendars", help="thư mục lịch làm việc (mặc định templates/calendars/)")
    cmd.add_argument("-o", "--output", help="bảng tổng hợp (.xlsx): có sẵn thì đối chiếu và đánh dấu, chưa có thì tạo từ hồ sơ")
    cmd.add_argument("--json", help="ghi kết quả ra tệp JSON")
    cmd.set_defaults(run=cmd_dossiers)


def cmd_dossiers(args) -> int:
    from tthc_xl.files.history import HistoryError, read_master
    from tthc_xl.files.locking import check_master_writable

    layouts = layouts_of(args)
    output = Path(args.output) if args.output else None
    existing = None
    if output is not None:
        check_master_writable(output)  # before reading a million dossiers, not after
        if output.exists():
            try:
                existing = read_master(output, layouts)
            except HistoryError as exc:
                print(str(exc), file=sys.stderr)
                return EXIT_UNUSABLE
    if existing and BY[args.theo] != "unit":
        print("Bảng tổng hợp có mỗi dòng một đơn vị: chỉ đối chiếu được theo đơn vị (bỏ --theo, hoặc ghi ra tệp mới với -o).", file=sys.stderr)
        return EXIT_UNUSABLE
    period_text = args.period or (existing.settings.period if existing else "")
    if not parse_period(period_text).parsed:
        print(f"Không nhận ra kỳ báo cáo “{period_text}”: hãy ghi --period, ví dụ “tháng 10 năm 2019” hoặc “16/9/2019 - 15/10/2019”.", file=sys.stderr)
        return EXIT_UNUSABLE
    if existing:
        layout = existing.table.layout
    else:
        form = args.form or "mau-a"
        if form not in layouts:
            print(f"Không có mẫu biểu “{form}”. Các mẫu có sẵn: {', '.join(layouts)}.", file=sys.stderr)
            return EXIT_UNUSABLE
        layout = layouts[form]
    units = load_units(args.units) if args.units else None
    if existing and units is None:
        from tthc_xl.files.sources import units_from_table

        units = units_from_table(existing.table)
    check = count_exports(args.files, period_text, layout, units, args.mapping, args.calendars, BY[args.theo])
    if check is None:
        return EXIT_UNUSABLE
    counted = check.counted
    if output is None:
        print_counts(check, layout)
        if args.json:
            write_json(args.json, {"form": layout.name, "findings": [f.as_json() for f in counted.findings], **check.as_json()})
        failed = any(f["error"] for f in check.files)
        return EXIT_FINDINGS if failed or any(f.severity == ERROR for f in counted.findings) else EXIT_OK
    if existing:
        outcome = _from_master(existing, layouts, layout, units, period_text, output)
    else:
        outcome = _new_master(check, layouts, layout, units, period_text, output)
    set_against(check, outcome, str(output), compare_reported=existing is not None)
    from tthc_xl.xlsx.masters import save_master

    save_master(outcome, output)
    print_summary(outcome)
    print_indicators(check)
    if args.json:
        write_json(args.json, {**outcome.as_json(), "dossiers": check.as_json()})
    print(f"\nBảng tổng hợp: {output.resolve()}")
    failed = any(f["error"] for f in check.files)
    return EXIT_FINDINGS if outcome.has_errors or failed else EXIT_OK


def count_exports(files, period_text: str, layout, units: UnitList | None, mapping_name=None, calendars=None, by: str = "unit") -> DossierCheck | None:
    """Read the exports and count the period; None (with a message) when no export could be read."""
    from tthc_xl.files.sources import expand_sources
    from tthc_xl.files.dossiers import DossierStore

    period = parse_period(period_text)
    mapping = ds.load_mapping(mapping_name) if mapping_name else None
    choices = ds.shipped_mappings() if mapping is None else None
    store = DossierStore(calendars=Path(calendars) if calendars else None)
    for path in expand_sources(files):
        loaded = store.add(path, mapping, choices)
        print(f"✗ {loaded.error}" if loaded.error else f"✓ {path.name}: {format_number(loaded.rows)} hồ sơ (ánh xạ {loaded.mapping})")
    if not any(not f.error for f in store.files):
        print("Không đọc được danh sách hồ sơ nào; chưa ghi gì.", file=sys.stderr)
        return None
    counted = store.count(period.start, period.end, layout, by)
    return dossier_check(counted, layout, units, store.summary())


def add_to_consolidation(outcome, args) -> bool:
    """`consolidate --ho-so`: the dossiers' figures set against the units' files just read; False when unusable."""

    master = outcome.master
    period_text = master.settings.period
    if not parse_period(period_text).parsed:
        print(f"Không nhận ra kỳ báo cáo “{period_text}” để đối chiếu với danh sách hồ sơ: hãy ghi --period, ví dụ “tháng 10 năm 2019”.", file=sys.stderr)
        return False
    units = UnitList([Unit(r.label, r.group) for r in master.rows_of(UNIT)])
    check = count_exports(args.dossiers, period_text, master.layout, units, args.mapping, args.calendars)
    if check is None:
        return False
    set_against(check, outcome, args.output, compare_reported=True)
    return True


def dossier_check(counted, layout, units: UnitList | None, files: list[dict]) -> DossierCheck:
    from tthc_xl.files.dossiers import match_groups

    parts, views, explaining, unknown = match_groups(counted, units)
    check = DossierCheck(counted, {}, parts, explaining, views=views, files=files)
    for name, tally in parts.items():
        check.recomputed[name] = ds.layout_values(ds.derive_counts(tally, layout), layout)
    for name in unknown:
        counted.findings.append(Finding(
            "", "", "", name, ds.RULE, WARNING,
            f"Danh sách hồ sơ có đơn vị “{name}” ({format_number(counted.parts[name]['received'])} hồ sơ) không có trong bảng tổng hợp: "
            "chưa đối chiếu. Hãy thêm tên này vào cột bi_danh của danh sách đơn vị nếu là cùng một đơn vị.",
        ))
    total = dict.fromkeys(ds.COUNT_KEYS, 0)
    for tally in counted.parts.values():
        for key, value in tally.items():
            total[key] += value
    check.dossiers = indicators(total, DOSSIERS)
    missing = ds.uncounted_columns(layout)
    if missing:
        counted.notes.append(f"Mẫu {layout.name}: cột {', '.join(map(str, missing))} không tính được từ danh sách hồ sơ, chưa đối chiếu.")
    return check


def _from_master(existing, layouts, layout, units, period_text: str, output: Path):
    """The consolidation of an existing master's own unit rows (the record of what each unit sent)."""
    from tthc_xl.files.read import FileResult
    from tthc_xl.files.sources import consolidate_results

    settings = existing.settings
    settings.period = settings.period or period_text
    outcome = consolidate_results([FileResult(str(output), [existing.table])], layouts, layout.name, units, settings, output=str(output))
    outcome.sources = [s for s in outcome.sources if s.file != str(output)]
    _forget_sources(outcome, str(output))
    if existing.previous:
        outcome.master.previous = {c.number: existing.previous[c.key] for c in layout.columns if c.key in existing.previous}
    return outcome


def set_against(check: DossierCheck, outcome, output: str, compare_reported: bool) -> None:
    """Each reported unit cell against its dossiers (a "lệch với hồ sơ" finding where they differ), the
    bad rows, the indicators; the "Hồ sơ lệch" and "Chỉ số" sheets joined to what the master writes."""
    counted = check.counted
    master = outcome.master
    layout = master.layout
    if compare_reported:
        table = master.table()
        check.differences, found = ds.compare(table, check.recomputed, check.explaining, check.views, output, layout)
        outcome.findings += found
        reported = {r.unit for r in table.rows if not r.blank}
        for unit in sorted(reported - set(check.recomputed)):
            outcome.notes.append(f"{unit}: không có hồ sơ nào trong danh sách hồ sơ, chưa đối chiếu.")
    outcome.findings += counted.findings
    outcome.notes += counted.notes
    outcome.sources += [SourceFile(f["file"], f["sheet"], f["unit"], f["status"], f["error"]) for f in check.files]
    check.appendix = indicators(layout.by_key(master.totals()), APPENDIX)
    for mrow in master.rows_of(UNIT):
        if mrow.label in check.recomputed:
            reported = layout.by_key({n: s.value or 0 for n, s in mrow.slots.items()})
            check.by_unit.append((mrow.label, indicators(reported, APPENDIX), indicators(check.parts[mrow.label], DOSSIERS)))

    def write_sheets(book) -> None:
        from tthc_xl.xlsx.dossier_sheets import write_differences, write_indicators

        write_differences(book, check.differences, check.views, master.sheet, after=CHECK_SHEET)
        write_indicators(book, check.appendix, check.dossiers, check.by_unit, after="Hồ sơ lệch", paragraph=paragraph(check.appendix, check.dossiers))

    outcome.sheets.append(write_sheets)


def _new_master(check: DossierCheck, layouts, layout, units: UnitList | None, period_text: str, output: Path):
    """A master whose unit rows hold the dossiers' figures."""
    from tthc_xl.core.master import Settings
    from tthc_xl.core.model import Table
    from tthc_xl.files.read import FileResult
    from tthc_xl.files.sources import consolidate_results

    names = units.names() if units else sorted(check.recomputed)
    rows = []
    for name in names:
        values = check.recomputed.get(name)
        if values is None:
            continue
        cells = {n: Cell("", v, v) for n, v in values.items()}
        rows.append(Row(UNIT, name, cells, name))
    table = Table("", "hồ sơ", layout, rows)
    outcome = consolidate_results([FileResult("", [table])], layouts, layout.name, units, Settings(period=period_text), output=str(output))
    outcome.sources = []
    _forget_sources(outcome, "")
    return outcome


def _forget_sources(outcome, file: str) -> None:
    """Figures taken from the master itself (or from dossiers) have no unit file behind them."""
    for mrow in outcome.master.rows:
        for slot in mrow.slots.values():
            if slot.source is not None and slot.source.file == file:
                slot.source = None
    for finding in outcome.findings:
        if finding.source is not None and finding.source.file == file:
            finding.source = None


def print_counts(check: DossierCheck, layout) -> None:
    counted = check.counted
    print(f"\nKỳ {counted.start:%d/%m/%Y} – {counted.end:%d/%m/%Y}: {format_number(counted.counted)} hồ sơ; "
          f"{format_number(counted.rejected)} dòng không hợp lệ chưa đếm.")
    numbers = [n for n in layout.count_columns if any(n in r for r in check.recomputed.values())]
    print("Đơn vị\t" + "\t".join(f"({n})" for n in numbers))
    for unit, values in check.recomputed.items():
        print(unit + "\t" + "\t".join(format_number(values[n]) for n in numbers))
    for finding in counted.findings:
        print(f"- [{'LỖI' if finding.severity == ERROR else 'Cảnh báo'}] {finding.message}")
    print_indicators(check)


def print_indicators(check: DossierCheck) -> None:
    print("\nChỉ số (Quyết định 766/QĐ-TTg):")
    appendix = {i.code: i for i in check.appendix}
    for indicator in check.dossiers:
        value = f"{format_percent(indicator.value)} %" if indicator.value is not None else "—"
        line = f"  {indicator.code} {indicator.name}: theo hồ sơ {value}"
        if indicator.code in appendix and appendix[indicator.code].value is not None:
            line += f"; theo phụ lục (xấp xỉ) {format_percent(appendix[indicator.code].value)} %"
        print(line)
