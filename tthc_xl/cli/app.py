"""The `tthc-xl` command: the same core as the Excel buttons, for batch use and tests."""

from __future__ import annotations

import argparse
import contextlib
import csv
import functools
import importlib
import os
import sys
from pathlib import Path

from tthc_xl.cli.common import layouts_of, print_summary, write_json
from tthc_xl.cli.exits import EXIT_FINDINGS, EXIT_OK, EXIT_UNUSABLE
from tthc_xl.core.errors import ClerkError
from tthc_xl.core.layouts import LayoutError, layout_to_toml, resolve_form, user_layout_dir
from tthc_xl.core.units import load_units


# Sub-commands defined by their own modules (each has `add_commands(subparsers)`), imported only
# when one of them runs or help is asked for: `check` and `consolidate` start without openpyxl.
COMMAND_MODULES: dict[str, str] = {
    "template": "tthc_xl.cli.template",
    "report": "tthc_xl.cli.report",
    "check-report": "tthc_xl.cli.report",
    "serve": "tthc_xl.cli.serve",
    "doctor": "tthc_xl.cli.doctor",
    "print": "tthc_xl.cli.printing",
    "workbook": "tthc_xl.cli.workbook",
    "ho-so": "tthc_xl.cli.dossiers",
    "history": "tthc_xl.cli.history",
}
CORE_COMMANDS = ("forms", "check", "new-master", "consolidate")


def cmd_forms(args) -> int:
    layouts = layouts_of(args)
    if args.source:
        return _write_layout(args, layouts)
    for layout in layouts.values():
        print(f"{layout.name}\t{len(layout.columns)} cột\t{layout.description}\t{layout.source}")
    return EXIT_OK


def _write_layout(args, layouts) -> int:
    """`forms --from FILE -o LAYOUT.toml`: the layout of the file's table (read or inferred) as a file to keep."""
    from tthc_xl.files.read import ReadError, layouts_in_file

    if args.output and not args.output.lower().endswith(".toml"):
        print("Hãy ghi tên tệp mẫu biểu cần tạo, đuôi .toml: tthc-xl forms --from bao-cao.docx -o mau-moi.toml", file=sys.stderr)
        return EXIT_UNUSABLE
    try:
        found = layouts_in_file(args.source, layouts)
    except ReadError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_UNUSABLE
    if not found:
        print(f"Không tìm thấy bảng số liệu (có hàng đánh số cột) trong tệp {Path(args.source).name}.", file=sys.stderr)
        return EXIT_UNUSABLE
    if not args.output:  # a preview: each table's layout, its columns' meanings and its rules
        for layout in found:
            rules = "; ".join(r.text for r in layout.rules) or "chưa có quy tắc"
            print(f"{layout.label if layout.rules else layout.name}\t{len(layout.columns)} cột\tquy tắc: {rules}")
            for column in layout.columns:
                print(f"  ({column.number}) {column.key}: {' - '.join(column.header)}")
        print("Ghi thành tệp mẫu biểu: thêm -o mau-moi.toml")
        return EXIT_OK
    layout = found[0]
    output = Path(args.output)
    name = args.name or output.stem
    output.write_text(layout_to_toml(layout, name, Path(args.source).name), encoding="utf-8")
    rules = "; ".join(r.text for r in layout.rules) or "chưa có quy tắc nào, hãy thêm vào tệp"
    print(f"Đã ghi mẫu biểu {output} (tên {name}, {len(layout.columns)} cột; quy tắc: {rules}).")
    if len(found) > 1:
        print(f"Tệp có {len(found)} bảng khác mẫu nhau; đã ghi mẫu của bảng thứ nhất.")
    print(f"Hãy mở tệp kiểm tra lại, rồi dùng: tthc-xl check --form {output} …, hoặc chép tệp vào thư mục {user_layout_dir()}.")
    return EXIT_OK


def cmd_check(args) -> int:
    from tthc_xl.files.check import check_files
    from tthc_xl.files.sources import skipped_subfolders_note

    layouts = layouts_of(args)
    form = resolve_form(args.form, layouts)
    units = load_units(args.units) if args.units else None
    result = check_files(args.files, layouts, form, units, recursive=args.recursive)
    result.notes += skipped_subfolders_note(args.files, args.recursive)
    print_summary(result)
    if args.json:
        write_json(args.json, result.as_json())
    if result.unusable:
        return EXIT_UNUSABLE
    return EXIT_FINDINGS if result.has_errors else EXIT_OK


def _settings(args, existing=None):
    from tthc_xl.core.master import Settings

    settings = existing or Settings()
    if getattr(args, "period", None):
        settings.period = args.period
    return settings


MASTER_SUFFIXES = (".xlsx", ".xlsm")


def refused_output(output: Path) -> str:
    """Why `-o` cannot be a master ("" when it can): a master is an Excel workbook."""
    if output.suffix.lower() in MASTER_SUFFIXES:
        return ""
    return (f"Tệp bảng tổng hợp phải có đuôi .xlsx hoặc .xlsm (đã ghi “{output.name}”): ví dụ -o tong-hop.xlsx. "
            "Chưa ghi gì.")


def refused_sources(sources: list[str]) -> str:
    """Why the named unit files or folders cannot be read ("" when they all exist)."""
    absent = [s for s in sources if not Path(s).exists()]
    if not absent:
        return ""
    return (f"Không tìm thấy {'thư mục hoặc tệp' if len(absent) == 1 else 'các thư mục hoặc tệp'} "
            f"{', '.join(f'“{a}”' for a in absent)}: hãy kiểm tra lại tên và đường dẫn. Chưa ghi gì "
            "(không tạo bảng tổng hợp, không ghi lịch sử).")


def _unit_lists() -> str:
    from tthc_xl.core.layouts import templates_dir

    return ", ".join(sorted(p.stem for p in (templates_dir() / "units").glob("*.csv") if p.stem != "viet-tat"))


def save(outcome, output: Path, book=None, rewrite: bool = False) -> str | None:
    """Write the master; the digest of a master written whole (history.remember_written)."""
    from tthc_xl.files import history
    from tthc_xl.xlsx.masters import save_master

    return save_master(outcome, output, book, chart_rows=history.chart_rows(output, outcome), rewrite=rewrite)


def cmd_new_master(args) -> int:
    from tthc_xl.files import history
    from tthc_xl.files.sources import consolidate

    layouts = layouts_of(args, Path(args.output))
    form = resolve_form(args.form, layouts, Path(args.output).resolve().parent)
    if not args.units and not args.empty:
        print("Bảng tổng hợp cần danh sách đơn vị: dùng --units TỆP.csv (cột nhom, ten, bi_danh) hoặc tên một danh sách "
              f"có sẵn ({_unit_lists()}). Nếu muốn tạo bảng chưa có đơn vị nào, hãy thêm --empty. Chưa ghi gì.",
              file=sys.stderr)
        return EXIT_UNUSABLE
    units = load_units(args.units) if args.units else None
    outcome = consolidate([], layouts, form, units, _settings(args).with_identity(), output=str(args.output))
    history.remember_written(args.output, save(outcome, Path(args.output)), outcome.master)
    print(f"Đã tạo bảng tổng hợp {args.output} ({len(outcome.master.rows_of('unit'))} đơn vị, mẫu {form}).")
    return EXIT_OK


def cmd_consolidate(args) -> int:
    from tthc_xl.files import history
    from tthc_xl.files.sources import skipped_subfolders_note
    from tthc_xl.files.sources import consolidate_results, read_master_table, read_sources, unit_files, units_from_table

    output = Path(args.output)
    refused = refused_sources(args.sources)
    if refused:
        print(refused, file=sys.stderr)
        return EXIT_UNUSABLE
    layouts = layouts_of(args, output)
    units = load_units(args.units) if args.units else None
    form = resolve_form(args.form, layouts, output.resolve().parent)
    settings = book = None
    # A master as tthc-xl last wrote it is written whole again from what it was built from; any
    # other is read and updated in place (history.as_written, xlsx/masters).
    written = history.as_written(output) if output.exists() and not args.dossiers else None
    if written is not None and (form or written.form) in layouts:
        from tthc_xl.core.units import Unit, UnitList

        settings, form = written.settings, form or written.form
        units = units or UnitList([Unit(name, group) for name, group in written.units], str(output))
    elif output.exists():
        written = None  # also when the layout it was built with is no longer there
        from tthc_xl.files.master_book import master_table, read_settings
        from tthc_xl.xlsx.render import open_or_new, read_form

        book = open_or_new(output)  # parsed once: its settings, its layout, its table and then the update
        settings = read_settings(book)
        form = form or _remembered_form(read_form(book), layouts, output)
        existing = master_table(book, output, layouts, form) or read_master_table(output, layouts, form)
        if existing is not None:
            if not form and existing.layout.inferred:
                layouts[existing.layout.name] = existing.layout  # inferred when the master was built: the same again
            form = form or existing.layout.name
            units = units or units_from_table(existing)
    previous, before, note = None, None, ""
    if not args.previous:  # the history beside the master may hold the previous period
        before, note = history.previous_of(output, _settings(args, settings).period)
    else:
        previous = read_master_table(Path(args.previous), layouts, form)
        if previous is None:
            print(f"Không đọc được bảng tổng hợp kỳ trước {args.previous}.", file=sys.stderr)
            return EXIT_UNUSABLE
        refused = history.not_a_master(Path(args.previous), previous)
        if refused:
            print(f"--previous: {refused}", file=sys.stderr)
            return EXIT_UNUSABLE
    # The engine that will write the master (openpyxl for an update, XlsxWriter for a new master) is
    # imported while the workers read.
    from tthc_xl.xlsx.masters import engine_module

    engine = engine_module(bool(args.dossiers), output, rewrite=written is not None)
    results = read_sources(unit_files(args.sources, str(output), args.recursive), layouts, form, units,
                           meanwhile=lambda: importlib.import_module(engine))
    if results and not any(r.tables for r in results):
        for result in results:
            print(f"✗ {result.error}" if result.error else f"✗ {result.file}")
        print(
            f"\nKhông đọc được bảng số liệu nào từ {len(results)} tệp đã chọn nên chưa ghi bảng tổng hợp {output.name} "
            "(bảng tổng hợp cũ, nếu có, vẫn còn nguyên): hãy xem thông báo của từng tệp ở trên, sửa rồi chạy lại.",
            file=sys.stderr,
        )
        return EXIT_UNUSABLE
    # Handed over: each file's tables are let go as the master takes what it needs of them.
    outcome = consolidate_results(results, layouts, form, units, _settings(args, settings).with_identity(), previous,
                                  output=str(output), history=before, consume=True)
    if note:
        outcome.notes.insert(0, note)
    outcome.notes += skipped_subfolders_note(args.sources, args.recursive)
    if args.dossiers:
        from tthc_xl.cli.dossiers import add_to_consolidation

        if not add_to_consolidation(outcome, args):
            return EXIT_UNUSABLE
    digest = save(outcome, output, book, rewrite=written is not None)
    print_summary(outcome)
    if args.json:
        write_json(args.json, outcome.as_json())
    print(history.archive(output, outcome).message)
    history.remember_written(output, digest, outcome.master)  # once the history is there
    print(f"\nBảng tổng hợp: {output.resolve()}")
    failed = any(not s.ok for s in outcome.sources)
    return EXIT_FINDINGS if outcome.has_errors or failed else EXIT_OK


def _remembered_form(remembered: str, layouts, output: Path) -> str | None:
    """The layout the master was built with (a name or a layout file's path), when it can still be found."""
    if not remembered:
        return None
    try:
        return resolve_form(remembered, layouts, output.resolve().parent)
    except LayoutError:
        return None  # a layout file since moved: the layout is found again from the master's own header


class Refused(ClerkError):
    """A run that must not start: the message (Vietnamese) says why; nothing was read or written."""


def refuse_before_writing(args) -> None:
    """Raise Refused when an output would overwrite an input or land among the unit files, or cannot be written."""
    sources = [Path(s) for s in (getattr(args, "sources", None) or getattr(args, "files", None) or [])]
    inputs = [s.resolve() for s in sources]
    if getattr(args, "previous", None):
        inputs.append(Path(args.previous).resolve())
    for option, value in (("-o", getattr(args, "output", None)), ("--json", getattr(args, "json", None))):
        if not value:
            continue
        target = Path(value).resolve()
        for source, given in zip(inputs, [*sources, Path(getattr(args, "previous", "") or ".")]):
            if target == source:
                raise Refused(
                    f"Tệp ghi ra ({option} {value}) chính là tệp đầu vào {given.name}: tệp của đơn vị không bao giờ bị ghi đè. "
                    f"Hãy chọn một tệp khác cho {option} rồi chạy lại; chưa có tệp nào bị thay đổi."
                )
            if source.is_dir() and source in target.parents and option == "-o" and target.exists() and not _is_master(target):
                raise Refused(
                    f"Tệp ghi ra (-o {value}) là một tệp báo cáo trong thư mục báo cáo đơn vị {given}, không phải bảng tổng hợp: "
                    "tệp của đơn vị không bao giờ bị ghi đè. Hãy chọn tên khác cho bảng tổng hợp (tốt nhất là ngoài thư mục đó) "
                    "rồi chạy lại; chưa có tệp nào bị thay đổi."
                )
    if getattr(args, "json", None):
        target = Path(args.json)
        folder = target.parent if str(target.parent) else Path(".")
        reason = ""
        if target.is_dir():
            reason = f"{target.name} là một thư mục"
        elif not folder.is_dir():
            reason = f"không có thư mục {folder}"
        elif not os.access(folder, os.W_OK | os.X_OK) or (target.exists() and not os.access(target, os.W_OK)):
            reason = "không có quyền ghi"
        if reason:
            raise Refused(f"Không ghi được tệp kết quả --json {args.json} ({reason}): hãy chọn tệp trong một thư mục ghi được rồi chạy lại.")


def _is_master(path: Path) -> bool:
    """A workbook tthc-xl wrote (its table's defined name is in the workbook part): a master kept among the unit files."""
    import zipfile

    from tthc_xl.core.contract import TABLE_NAME

    try:
        with zipfile.ZipFile(path) as archive:
            info = archive.getinfo("xl/workbook.xml")
            return info.file_size < 2**20 and TABLE_NAME.encode() in archive.read(info)
    except (OSError, KeyError, zipfile.BadZipFile, ValueError):
        return False


@functools.lru_cache(maxsize=1)
def _vietnamese() -> tuple[dict[str, str], dict[str, str]]:
    """(argparse's own sentences, argument names) in Vietnamese, from templates/cli/tieng-viet.csv."""
    from tthc_xl.core.layouts import templates_dir

    sentences: dict[str, str] = {}
    names: dict[str, str] = {}
    path = templates_dir() / "cli" / "tieng-viet.csv"
    if path.exists():
        with open(path, encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                table = sentences if row["loai"] == "cau" else names
                table[row["goc"].replace("\\n", "\n")] = row["tieng_viet"].replace("\\n", "\n")
    return sentences, names


@contextlib.contextmanager
def _in_vietnamese():
    """argparse speaks through its module's gettext functions: Vietnamese while our parser talks."""
    sentences, _ = _vietnamese()
    saved = argparse._, argparse.ngettext
    argparse._ = lambda text: sentences.get(text, text)
    argparse.ngettext = lambda one, many, n: sentences.get(one if n == 1 else many, one if n == 1 else many)
    try:
        yield
    finally:
        argparse._, argparse.ngettext = saved


class VietnameseParser(argparse.ArgumentParser):
    """An ArgumentParser whose usage, help and errors are in Vietnamese."""

    def __init__(self, *args, **kwargs):
        with _in_vietnamese():  # the -h help and the group titles are made here
            super().__init__(*args, **kwargs)

    def parse_args(self, args=None, namespace=None):
        with _in_vietnamese():
            return super().parse_args(args, namespace)

    def parse_known_args(self, args=None, namespace=None):
        with _in_vietnamese():
            return super().parse_known_args(args, namespace)

    def format_usage(self):
        with _in_vietnamese():
            return super().format_usage()

    def format_help(self):
        with _in_vietnamese():
            return super().format_help()

    def error(self, message):
        with _in_vietnamese():
            self.print_usage(sys.stderr)
            command = f" {self.prog.split(' ', 1)[1]}" if " " in self.prog else ""
            self.exit(EXIT_UNUSABLE, f"{self.prog}: lỗi: {message}\nXem hướng dẫn: tthc-xl{command} -h\n")


GUIDE = """tthc-xl: tổng hợp, kiểm tra và in phụ lục kết quả giải quyết thủ tục hành chính.

Việc thường làm mỗi kỳ:
  tthc-xl consolidate THƯ_MỤC_BÁO_CÁO --units DANH_SÁCH --period "tháng 10 năm 2025" -o tong-hop.xlsx
                                    tổng hợp báo cáo các đơn vị vào bảng tổng hợp, đánh dấu lỗi
  tthc-xl check TỆP…                kiểm tra báo cáo của đơn vị (hoặc bảng tổng hợp)
  tthc-xl print tong-hop.xlsx       in phụ lục ra PDF (bản sạch)
  tthc-xl report tong-hop.xlsx -o bao-cao.docx
                                    soạn báo cáo từ bảng tổng hợp
  tthc-xl check-report bao-cao.docx tong-hop.xlsx
                                    đối chiếu số liệu trong báo cáo với bảng tổng hợp
  tthc-xl history                   xem các kỳ đã lưu trong lịch sử

Khác: new-master (bảng tổng hợp trống), template (mẫu báo cáo cho đơn vị), forms (các mẫu biểu),
doctor (kiểm tra cài đặt), serve (máy chủ cho Excel).
Hướng dẫn chi tiết một lệnh: tthc-xl LỆNH -h
"""


def _vietnamese_names(parser: argparse.ArgumentParser) -> None:
    """Argument placeholders in Vietnamese (TỆP, KỲ…) and each sub-command's description from its help."""
    _, names = _vietnamese()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {choice.dest: choice.help for choice in action._choices_actions}
            for name, sub in action.choices.items():
                if not sub.description and helps.get(name):
                    sub.description = helps[name][0].upper() + helps[name][1:] + "."
                _vietnamese_names(sub)
        elif action.metavar is None and action.dest in names and (action.option_strings or action.nargs != 0):
            action.metavar = names[action.dest]


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole command line, or (for a core `command`) the core commands only."""
    parser = VietnameseParser(prog="tthc-xl", description="Tổng hợp và kiểm tra phụ lục kết quả giải quyết TTHC.")
    parser.add_argument("--forms-dir", action="append", help="thư mục (hoặc tệp) mẫu biểu bổ sung")
    commands = parser.add_subparsers(dest="command", required=True, metavar="LỆNH", title="các lệnh")

    forms = commands.add_parser("forms", help="liệt kê các mẫu biểu; --from: ghi mẫu biểu của bảng trong một tệp")
    forms.add_argument("--from", dest="source", help="tệp báo cáo có bảng cần lấy mẫu (.xlsx, .docx, .pdf…)")
    forms.add_argument("-o", "--output", help="tệp mẫu biểu cần ghi (.toml)")
    forms.add_argument("--name", help="tên mẫu biểu (mặc định: tên tệp)")
    forms.set_defaults(run=cmd_forms)

    check = commands.add_parser("check", help="kiểm tra các tệp báo cáo")
    check.add_argument("files", nargs="+", help="tệp hoặc thư mục báo cáo")
    check.add_argument("--form", help="tên mẫu biểu (xem `tthc-xl forms`) hoặc đường dẫn tới tệp mẫu .toml")
    check.add_argument("--units", help="danh sách đơn vị (.csv)")
    check.add_argument("--json", help="ghi kết quả ra tệp JSON")
    check.add_argument("--recursive", action="store_true", help="đọc cả các thư mục con (mặc định: chỉ các tệp ngay trong thư mục)")
    check.set_defaults(run=cmd_check)

    new = commands.add_parser("new-master", help="tạo bảng tổng hợp trống cho một kỳ")
    new.add_argument("--form", required=True, help="tên mẫu biểu hoặc đường dẫn tới tệp mẫu .toml")
    new.add_argument("--units", help="danh sách đơn vị (.csv, hoặc tên danh sách có sẵn)")
    new.add_argument("--empty", action="store_true", help="tạo bảng chưa có đơn vị nào (cố ý, không dùng --units)")
    new.add_argument("--period", help="kỳ báo cáo, ví dụ “tháng 10 năm 2019”")
    new.add_argument("-o", "--output", required=True, help="tệp bảng tổng hợp (.xlsx)")
    new.set_defaults(run=cmd_new_master)

    cons = commands.add_parser("consolidate", help="tổng hợp báo cáo các đơn vị vào bảng tổng hợp")
    cons.add_argument("sources", nargs="*", help="tệp hoặc thư mục báo cáo đơn vị")
    cons.add_argument("-o", "--output", required=True, help="tệp bảng tổng hợp (.xlsx), tạo mới hoặc cập nhật")
    cons.add_argument("--form", help="tên mẫu biểu hoặc đường dẫn tới tệp mẫu .toml (mặc định: mẫu bảng tổng hợp đã dùng)")
    cons.add_argument("--units", help="danh sách đơn vị (.csv)")
    cons.add_argument("--period", help="kỳ báo cáo")
    cons.add_argument("--previous", help="bảng tổng hợp kỳ trước")
    cons.add_argument("--json", help="ghi kết quả ra tệp JSON")
    cons.add_argument("--ho-so", dest="dossiers", nargs="+", metavar="TỆP", help="danh sách hồ sơ xuất từ phần mềm một cửa để đối chiếu (xem `tthc-xl ho-so`)")
    cons.add_argument("--mapping", help="tệp ánh xạ cột của danh sách hồ sơ")
    cons.add_argument("--calendars", help="thư mục lịch làm việc")
    cons.add_argument("--recursive", action="store_true", help="đọc cả các thư mục con (mặc định: chỉ các tệp ngay trong thư mục)")
    cons.set_defaults(run=cmd_consolidate)
    if command not in CORE_COMMANDS:
        for module in dict.fromkeys(COMMAND_MODULES.values()):
            importlib.import_module(module).add_commands(commands)
    _vietnamese_names(parser)
    return parser


def _command(argv: list[str]) -> str | None:
    """The sub-command named in `argv` (the first word not an option or an option's value)."""
    words = iter(argv)
    for word in words:
        if word == "--forms-dir":
            next(words, None)
        elif not word.startswith("-"):
            return word
    return None


def main(argv=None) -> int:
    from contextlib import nullcontext

    from tthc_xl.files.locking import check_master_writable, master_lock

    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv:
        print(GUIDE, end="")
        return EXIT_OK
    args = build_parser(_command(argv)).parse_args(argv)
    try:
        if args.command in ("consolidate", "new-master"):
            refused = refused_output(Path(args.output))
            if refused:
                print(refused, file=sys.stderr)
                return EXIT_UNUSABLE
        if args.command in ("consolidate", "new-master", "check"):
            refuse_before_writing(args)
        writes_master = args.command in ("consolidate", "new-master")
        # A second run into the same master waits for the first, and never writes over it while it writes.
        with master_lock(Path(args.output)) if writes_master else nullcontext():
            if writes_master:
                check_master_writable(Path(args.output))  # before reading any unit file, not after
            if args.command not in CORE_COMMANDS:
                return args.run(args)
            from tthc_xl.files.sources import without_cycle_collection

            # A run builds a few hundred thousand objects that live until it ends (in the workers too).
            with without_cycle_collection():
                return args.run(args)
    except ClerkError as exc:  # a layout file, a master open in Excel, a broken master, any command's own
        print(str(exc), file=sys.stderr)
        return EXIT_UNUSABLE
    except PermissionError as exc:
        where = f" {exc.filename}" if exc.filename else ""
        print(
            f"Không đọc hoặc ghi được tệp{where}: tệp đang mở trong một chương trình khác hoặc không có quyền truy cập. "
            "Hãy đóng tệp (hoặc xin quyền truy cập) rồi chạy lại.",
            file=sys.stderr,
        )
        return EXIT_UNUSABLE


if __name__ == "__main__":
    sys.exit(main())
