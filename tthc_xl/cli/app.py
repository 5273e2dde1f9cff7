"""The `tthc-xl` command: the same core as the Excel buttons, for batch use and tests."""

from __future__ import annotations

import argparse
import gc
import importlib
import json
import os
import sys
from pathlib import Path

from tthc_xl.cli.exits import EXIT_FINDINGS, EXIT_OK, EXIT_UNUSABLE
from tthc_xl.core.layouts import LayoutError, load_layouts
from tthc_xl.core.model import ERROR
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
}
CORE_COMMANDS = ("forms", "check", "new-master", "consolidate")


def _layouts(args):
    return load_layouts(args.forms_dir or ())


def cmd_forms(args) -> int:
    for layout in _layouts(args).values():
        print(f"{layout.name}\t{len(layout.columns)} cột\t{layout.description}")
    return EXIT_OK


def cmd_check(args) -> int:
    from tthc_xl.files.check import check_files, skipped_subfolders_note

    layouts = _layouts(args)
    if args.form and args.form not in layouts:
        print(f"Không có mẫu biểu “{args.form}”. Các mẫu có sẵn: {', '.join(layouts)}.", file=sys.stderr)
        return EXIT_UNUSABLE
    units = load_units(args.units) if args.units else None
    result = check_files(args.files, layouts, args.form, units, recursive=args.recursive)
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


def cmd_new_master(args) -> int:
    from tthc_xl.files import history
    from tthc_xl.files.sources import consolidate
    from tthc_xl.xlsx.render import save_master

    layouts = _layouts(args)
    if args.form not in layouts:
        print(f"Không có mẫu biểu “{args.form}”. Các mẫu có sẵn: {', '.join(layouts)}.", file=sys.stderr)
        return EXIT_UNUSABLE
    units = load_units(args.units) if args.units else None
    outcome = consolidate([], layouts, args.form, units, _settings(args), output=str(args.output))
    save_master(outcome, Path(args.output), chart_rows=history.chart_rows(args.output, outcome))
    print(f"Đã tạo bảng tổng hợp {args.output} ({len(outcome.master.rows_of('unit'))} đơn vị, mẫu {args.form}).")
    return EXIT_OK


def cmd_consolidate(args) -> int:
    from tthc_xl.files import history
    from tthc_xl.files.check import skipped_subfolders_note
    from tthc_xl.files.sources import consolidate_results, read_master_table, read_sources, unit_files, units_from_table

    layouts = _layouts(args)
    output = Path(args.output)
    units = load_units(args.units) if args.units else None
    form = args.form
    settings = book = None
    if output.exists():
        from tthc_xl.xlsx.render import open_or_new, read_settings

        existing = read_master_table(output, layouts, form)
        if existing is not None:
            form = form or existing.layout.name
            units = units or units_from_table(existing)
        book = open_or_new(output)
        settings = read_settings(book)
    if form and form not in layouts:
        print(f"Không có mẫu biểu “{form}”. Các mẫu có sẵn: {', '.join(layouts)}.", file=sys.stderr)
        return EXIT_UNUSABLE
    previous = None
    if args.previous:
        previous = read_master_table(Path(args.previous), layouts, form)
        if previous is None:
            print(f"Không đọc được bảng tổng hợp kỳ trước {args.previous}.", file=sys.stderr)
            return EXIT_UNUSABLE
    # openpyxl (with numpy) takes a quarter of a second to import: done while the workers read.
    results = read_sources(unit_files(args.sources, str(output), args.recursive), layouts, form, units, meanwhile=_import_renderer)
    if results and not any(r.tables for r in results):
        for result in results:
            print(f"✗ {result.error}" if result.error else f"✗ {result.file}")
        print(
            f"\nKhông đọc được bảng số liệu nào từ {len(results)} tệp đã chọn nên chưa ghi bảng tổng hợp {output.name} "
            "(bảng tổng hợp cũ, nếu có, vẫn còn nguyên): hãy xem thông báo của từng tệp ở trên, sửa rồi chạy lại.",
            file=sys.stderr,
        )
        return EXIT_UNUSABLE
    outcome = consolidate_results(results, layouts, form, units, _settings(args, settings), previous, output=str(output))
    outcome.notes += skipped_subfolders_note(args.sources, args.recursive)
    from tthc_xl.xlsx.render import save_master

    save_master(outcome, output, book, chart_rows=history.chart_rows(output, outcome))
    print_summary(outcome)
    if args.json:
        write_json(args.json, outcome.as_json())
    print(history.archive(output, outcome).message)
    print(f"\nBảng tổng hợp: {output.resolve()}")
    failed = any(s["status"] != "ok" for s in outcome.sources)
    return EXIT_FINDINGS if outcome.has_errors or failed else EXIT_OK


class Refused(Exception):
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


def _import_renderer() -> None:
    importlib.import_module("tthc_xl.xlsx.render")


def print_summary(result) -> None:
    for source in result.sources:
        where = f"{source['file']}" + (f" [{source['sheet']}]" if source["sheet"] else "")
        if source["error"]:
            print(f"✗ {source['error']}")
        else:
            print(f"✓ {where}" + (f": {source['unit']}" if source["unit"] else ""))
    for note in result.notes:
        print(f"  {note}")
    errors = sum(1 for f in result.findings if f.severity == ERROR)
    warnings = len(result.findings) - errors
    form = getattr(result, "form", "") or result.as_json()["form"]
    print(f"\nMẫu biểu: {form or '(không xác định)'}. {errors} lỗi, {warnings} cảnh báo.")
    for finding in result.findings:
        mark = "LỖI" if finding.severity == ERROR else "Cảnh báo"
        print(f"- [{mark}] {Path(finding.file).name} [{finding.sheet}] {finding.cell}: {finding.message}")


def write_json(path: str, data: dict) -> None:
    Path(path).write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole command line, or (for a core `command`) the core commands only."""
    parser = argparse.ArgumentParser(prog="tthc-xl", description="Tổng hợp và kiểm tra phụ lục kết quả giải quyết TTHC.")
    parser.add_argument("--forms-dir", action="append", help="thư mục (hoặc tệp) mẫu biểu bổ sung")
    commands = parser.add_subparsers(dest="command", required=True)

    forms = commands.add_parser("forms", help="liệt kê các mẫu biểu")
    forms.set_defaults(run=cmd_forms)

    check = commands.add_parser("check", help="kiểm tra các tệp báo cáo")
    check.add_argument("files", nargs="+", help="tệp hoặc thư mục báo cáo")
    check.add_argument("--form", help="tên mẫu biểu (xem `tthc-xl forms`)")
    check.add_argument("--units", help="danh sách đơn vị (.csv)")
    check.add_argument("--json", help="ghi kết quả ra tệp JSON")
    check.add_argument("--recursive", action="store_true", help="đọc cả các thư mục con (mặc định: chỉ các tệp ngay trong thư mục)")
    check.set_defaults(run=cmd_check)

    new = commands.add_parser("new-master", help="tạo bảng tổng hợp trống cho một kỳ")
    new.add_argument("--form", required=True, help="tên mẫu biểu")
    new.add_argument("--units", help="danh sách đơn vị (.csv)")
    new.add_argument("--period", help="kỳ báo cáo, ví dụ “tháng 10 năm 2019”")
    new.add_argument("-o", "--output", required=True, help="tệp bảng tổng hợp (.xlsx)")
    new.set_defaults(run=cmd_new_master)

    cons = commands.add_parser("consolidate", help="tổng hợp báo cáo các đơn vị vào bảng tổng hợp")
    cons.add_argument("sources", nargs="*", help="tệp hoặc thư mục báo cáo đơn vị")
    cons.add_argument("-o", "--output", required=True, help="tệp bảng tổng hợp (.xlsx), tạo mới hoặc cập nhật")
    cons.add_argument("--form", help="tên mẫu biểu")
    cons.add_argument("--units", help="danh sách đơn vị (.csv)")
    cons.add_argument("--period", help="kỳ báo cáo")
    cons.add_argument("--previous", help="bảng tổng hợp kỳ trước")
    cons.add_argument("--json", help="ghi kết quả ra tệp JSON")
    cons.add_argument("--recursive", action="store_true", help="đọc cả các thư mục con (mặc định: chỉ các tệp ngay trong thư mục)")
    cons.set_defaults(run=cmd_consolidate)
    if command not in CORE_COMMANDS:
        for module in dict.fromkeys(COMMAND_MODULES.values()):
            importlib.import_module(module).add_commands(commands)
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

    from tthc_xl.core.units import UnitListError
    from tthc_xl.files.locking import MasterError, MasterNotWritable, check_master_writable, master_lock

    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser(_command(argv)).parse_args(argv)
    collecting = gc.isenabled()
    try:
        if args.command in ("consolidate", "new-master", "check"):
            refuse_before_writing(args)
        writes_master = args.command in ("consolidate", "new-master")
        # A second run into the same master waits for the first, and never writes over it while it writes.
        with master_lock(Path(args.output)) if writes_master else nullcontext():
            if writes_master:
                check_master_writable(Path(args.output))  # before reading any unit file, not after
            if args.command in CORE_COMMANDS:
                # A run builds a few hundred thousand objects that live until it ends; the cycle collector
                # would walk them again and again (a sixth of the time at 1 000 files, in the workers too).
                gc.disable()
            return args.run(args)
    except (LayoutError, MasterNotWritable, MasterError, UnitListError, Refused) as exc:
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
    finally:
        if collecting:
            gc.enable()


if __name__ == "__main__":
    sys.exit(main())
