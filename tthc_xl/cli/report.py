"""`tthc-xl report` and `tthc-xl check-report`: drafting a narrative report and checking one."""

from __future__ import annotations

import json
import sys
import zipfile
from pathlib import Path

from tthc_xl.cli.exits import EXIT_FINDINGS, EXIT_OK, EXIT_UNUSABLE
from tthc_xl.core.numbers import parse_number
from tthc_xl.report.check import check_report
from tthc_xl.report.narrative import (
    Figures, ReportError, _with_in_time, draft_report, figures_from_master, master_findings,
)


def add_commands(subparsers) -> None:
    """Register `report` and `check-report` on the `tthc-xl` command line."""
    report = subparsers.add_parser("report", help="soạn báo cáo (.docx) từ bảng tổng hợp")
    report.add_argument("master", help="bảng tổng hợp (.xlsx)")
    report.add_argument("--previous", help="bảng tổng hợp kỳ trước, để so sánh với kỳ trước")
    report.add_argument("-o", "--output", required=True, help="tệp báo cáo cần tạo (.docx)")
    report.add_argument("--template", help="mẫu báo cáo Word (.docx) dùng thay mẫu có sẵn")
    report.set_defaults(run=cmd_report)

    check = subparsers.add_parser("check-report", help="đối chiếu số liệu trong báo cáo (.docx) với bảng tổng hợp")
    check.add_argument("report", help="báo cáo (.docx)")
    check.add_argument("master", help="bảng tổng hợp (.xlsx)")
    check.add_argument("--previous", help="bảng tổng hợp kỳ trước")
    check.add_argument("--json", help="ghi kết quả ra tệp JSON")
    check.set_defaults(run=cmd_check_report)


def _layouts_of(args):
    from tthc_xl.core.layouts import load_layouts

    return load_layouts(getattr(args, "forms_dir", None) or ())


def cmd_report(args) -> int:
    output = Path(args.output)
    if output.suffix.lower() != ".docx":
        print(f"Tệp báo cáo phải có đuôi .docx (đã ghi {output.name}).", file=sys.stderr)
        return EXIT_UNUSABLE
    if args.template and not Path(args.template).is_file():
        print(f"Không tìm thấy mẫu báo cáo {args.template}.", file=sys.stderr)
        return EXIT_UNUSABLE
    layouts = _layouts_of(args)
    try:
        figures = figures_from_master(args.master, args.previous, layouts=layouts)
        errors = master_findings(args.master, layouts, args.previous)
    except ReportError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_UNUSABLE
    try:
        draft_report(figures, output, args.template)
    except OSError as exc:
        print(f"Không ghi được tệp {output}: {exc.strerror or exc}. Nếu tệp đang mở trong Word, hãy đóng lại rồi chạy lại.",
              file=sys.stderr)
        return EXIT_UNUSABLE
    print(f"Đã soạn báo cáo: {output.resolve()}")
    for note in figures.notes:
        print(f"  {note}")
    if errors:
        print(f"  Lưu ý: bảng tổng hợp còn {errors} lỗi số liệu (xem trang “Kiểm tra”); báo cáo trích đúng số liệu "
              "đang có trong bảng.")
    print("  Hãy điền các chỗ trong ngoặc vuông [ ] (nguyên nhân, lý do, nơi nhận…) trước khi trình ký.")
    return EXIT_OK


def split_findings(findings: list[dict], figures: Figures) -> tuple[list[dict], list[dict]]:
    """(contradictions, table_issues): a "sum" finding whose figure is the master's own total says
    the master contradicts itself (a unit's row breaks a rule, see its "Kiểm tra" sheet), not that
    the report misquotes it; such findings are table issues, everything else a contradiction."""
    totals = _with_in_time(figures.totals)
    contradictions, table_issues = [], []
    for finding in findings:
        quoted = finding["kind"] == "sum" and parse_number(finding["found"]) == totals.get(finding["quantity"])
        (table_issues if quoted else contradictions).append(finding)
    return contradictions, table_issues


def finding_lines(findings: list[dict], mark: str = "LỖI") -> list[str]:
    """Each finding as the clerk reads it: the message, then the clause it is in."""
    lines = []
    for finding in findings:
        lines.append(f"- [{mark}] Đoạn {finding['paragraph'] + 1}: {finding['message']}")
        lines.append(f"    «{finding['text']}»")
    return lines


def cmd_check_report(args) -> int:
    layouts = _layouts_of(args)
    try:
        figures = figures_from_master(args.master, args.previous, layouts=layouts)
    except ReportError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_UNUSABLE
    from docx.opc.exceptions import OpcError

    report = Path(args.report)
    try:
        findings = check_report(report, figures)
    except (OSError, zipfile.BadZipFile, KeyError, ValueError, OpcError) as exc:
        print(f"Không đọc được báo cáo {report.name} ({type(exc).__name__}): hãy mở bằng Word và lưu lại dạng .docx.",
              file=sys.stderr)
        return EXIT_UNUSABLE
    contradictions, table_issues = split_findings(findings, figures)
    master = Path(args.master).name
    for note in figures.notes:
        print(f"  {note}")
    if contradictions:
        print(f"Báo cáo {report.name} có {len(contradictions)} số liệu mâu thuẫn với bảng tổng hợp {master}:")
        print("\n".join(finding_lines(contradictions)))
    else:
        print(f"Báo cáo {report.name} khớp với bảng tổng hợp {master}: không có số liệu nào mâu thuẫn.")
    if table_issues:
        print(f"Các số liệu sau trích đúng bảng tổng hợp, nhưng chính bảng {master} chưa khớp (một số đơn vị báo cáo "
              "sai quy tắc, xem trang “Kiểm tra”); hãy sửa bảng rồi soạn lại báo cáo:")
        print("\n".join(finding_lines(table_issues, "Cảnh báo")))
    if args.json:
        data = {"report": str(report), "master": str(args.master), "findings": contradictions,
                "table_issues": table_issues, "notes": figures.notes}
        Path(args.json).write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    return EXIT_FINDINGS if contradictions else EXIT_OK
