"""`tthc-xl report` and `tthc-xl check-report`: drafting a narrative report and checking one."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tthc_xl.cli.common import layouts_of
from tthc_xl.cli.exits import EXIT_FINDINGS, EXIT_OK, EXIT_UNUSABLE
from tthc_xl.core.model import ERROR
from tthc_xl.report.narrative import (
    ReportError, _with_in_time, draft_report, figures_from_master, master_findings,
)


def add_commands(subparsers) -> None:
    """Register `report` and `check-report` on the `tthc-xl` command line."""
    report = subparsers.add_parser("report", help="soạn báo cáo (.docx) từ bảng tổng hợp")
    report.add_argument("master", help="bảng tổng hợp (.xlsx)")
    report.add_argument("--previous", help="bảng tổng hợp kỳ trước, để so sánh với kỳ trước")
    report.add_argument("-o", "--output", required=True, help="tệp báo cáo cần tạo (.docx)")
    report.add_argument("--template", help="mẫu báo cáo Word (.docx) dùng thay mẫu có sẵn")
    report.set_defaults(run=cmd_report)

    check = subparsers.add_parser(
        "check-report", help="kiểm tra số liệu trong báo cáo (.docx, .doc, .odt, .rtf, .pdf, .txt): tổng, thành phần, "
        "tỷ lệ, và đối chiếu với bảng tổng hợp nếu có")
    check.add_argument("report", help="báo cáo (.docx, .doc, .odt, .rtf, .pdf có chữ, .txt)")
    check.add_argument("master", nargs="?", help="bảng tổng hợp (.xlsx), nếu có")
    check.add_argument("--previous", help="bảng tổng hợp kỳ trước, để đối chiếu các số so với kỳ trước")
    check.add_argument("--json", help="ghi kết quả ra tệp JSON")
    check.set_defaults(run=cmd_check_report)


def cmd_report(args) -> int:
    output = Path(args.output)
    if output.suffix.lower() != ".docx":
        print(f"Tệp báo cáo phải có đuôi .docx (đã ghi {output.name}).", file=sys.stderr)
        return EXIT_UNUSABLE
    if args.template and not Path(args.template).is_file():
        print(f"Không tìm thấy mẫu báo cáo {args.template}.", file=sys.stderr)
        return EXIT_UNUSABLE
    layouts = layouts_of(args, Path(args.master) if getattr(args, 'master', None) else None)
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


VERDICT_ORDER = {"sai": 0, "cảnh báo": 1, "đúng": 2, "bỏ qua": 3}


def finding_lines(findings: list[dict]) -> list[str]:
    """Each finding as the clerk reads it: the message, then the clause it is in (paragraphs from 1)."""
    lines = []
    for finding in findings:
        mark = "LỖI" if finding["severity"] == ERROR else "Cảnh báo"
        lines.append(f"- [{mark}] Đoạn {finding['paragraph']}: {finding['message']}")
        lines.append(f"    «{finding['text']}»")
    return lines


def figure_line(figure) -> str:
    meaning = _label(figure.meaning) if figure.meaning else "không rõ chỉ tiêu"
    if figure.unit:
        meaning += f" của {figure.unit}"
    checked = [c.removeprefix("báo cáo: ") for c in figure.checked]
    against = f" (đối chiếu: {'; '.join(checked)})" if checked else ""
    note = f": {figure.note}" if figure.note and figure.verdict in ("đúng", "bỏ qua") else ""
    return f"  Đoạn {figure.paragraph}: {figure.written}, {meaning}: {figure.verdict}{against}{note}"


def figure_data(figure) -> dict:
    return {"paragraph": figure.paragraph, "text": figure.clause, "written": figure.written, "kind": figure.kind,
            "meaning": figure.meaning, "label": _label(figure.meaning) if figure.meaning else None,
            "value": figure.value, "readings": list(figure.readings), "unit": figure.unit or None,
            "checked_against": figure.checked, "verdict": figure.verdict, "note": figure.note}


def _label(key: str) -> str:
    from tthc_xl.report.reading import load_vocabulary

    return load_vocabulary().label(key)


def cmd_check_report(args) -> int:
    from tthc_xl.files.text_docs import DocumentError, read_document
    from tthc_xl.report.check import check_text, figures_from_tables
    from tthc_xl.report.reading import VocabularyError, load_vocabulary

    layouts = layouts_of(args, Path(args.master) if getattr(args, 'master', None) else None)
    report = Path(args.report)
    master_name = Path(args.master).name if args.master else ""
    try:
        document = read_document(report)
    except DocumentError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_UNUSABLE
    figures, previous = None, None
    try:
        if args.master:
            figures = figures_from_master(args.master, args.previous, layouts=layouts)
        elif args.previous:
            previous = _with_in_time(figures_from_master(args.previous, layouts=layouts).totals)
    except ReportError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_UNUSABLE
    try:
        vocabulary = load_vocabulary()
    except VocabularyError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_UNUSABLE
    tables = figures_from_tables(document.tables, layouts, report.name)
    result = check_text(document.paragraphs, figures, tables, previous, layouts, master_name or "bảng tổng hợp",
                        f"kỳ trước ({Path(args.previous).name})" if args.previous else "kỳ trước", vocabulary)
    against_master = [f for f in result.findings if args.master and f["against"] == master_name]
    own = [f for f in result.findings if not any(f is m for m in against_master)]
    own.sort(key=lambda f: (f["severity"] != ERROR, f["paragraph"]))

    for note in figures.notes if figures else []:
        print(f"  {note}")
    if not result.figures:
        print(f"Không tìm thấy số liệu nào về hồ sơ trong báo cáo {report.name} (đã đọc {len(document.paragraphs)} "
              "đoạn văn): hãy kiểm tra tệp có đúng là báo cáo không.")
    if args.master:
        if against_master:
            print(f"Báo cáo {report.name} có {len(against_master)} số liệu mâu thuẫn với bảng tổng hợp {master_name}:")
            print("\n".join(finding_lines(against_master)))
        else:
            print(f"Báo cáo {report.name} khớp với bảng tổng hợp {master_name}: không có số liệu nào mâu thuẫn.")
    errors = sum(1 for f in own if f["severity"] == ERROR)
    if own:
        print(f"Đối chiếu các số liệu trong chính báo cáo {report.name}: {errors} lỗi, {len(own) - errors} cảnh báo:")
        print("\n".join(finding_lines(own)))
    elif result.figures and not result.table_issues:  # with table issues, the text repeats the table's own gaps
        print(f"Các số liệu trong chính báo cáo {report.name} khớp nhau (tổng, thành phần, tỷ lệ).")
    if result.table_issues:
        print(f"Các số liệu sau trích đúng bảng tổng hợp, nhưng chính bảng {master_name} chưa khớp (một số đơn vị báo cáo "
              "sai quy tắc, xem trang “Kiểm tra”); hãy sửa bảng rồi soạn lại báo cáo:")
        print("\n".join(finding_lines(result.table_issues)))
    if result.figures:
        count = {v: sum(1 for f in result.figures if f.verdict == v) for v in VERDICT_ORDER}
        print(f"Đã đọc {len(result.figures)} số liệu: {count['đúng']} đúng, {count['sai']} sai, "
              f"{count['cảnh báo']} cảnh báo, {count['bỏ qua']} bỏ qua (không đối chiếu được):")
        unchecked_changes = [f for f in result.figures if f.kind in ("change", "rate_change") and not f.checked]
        for figure in sorted(result.figures, key=lambda f: VERDICT_ORDER[f.verdict]):
            if figure not in unchecked_changes:
                print(figure_line(figure))
        if unchecked_changes:
            where = ", ".join(dict.fromkeys(str(f.paragraph) for f in unchecked_changes))
            print(f"  {len(unchecked_changes)} số so sánh với kỳ trước hoặc cùng kỳ năm trước (đoạn {where}): bỏ qua, vì "
                  "không có số liệu của kỳ đó (ghi bảng tổng hợp kỳ trước sau --previous; cùng kỳ năm trước lấy từ lịch "
                  "sử các kỳ cạnh bảng tổng hợp).")
    if args.json:
        data = {"report": str(report), "master": str(args.master) if args.master else None,
                "findings": result.findings, "table_issues": result.table_issues,
                "figures": [figure_data(f) for f in result.figures], "notes": figures.notes if figures else []}
        try:
            Path(args.json).write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
        except OSError as exc:
            print(f"Không ghi được tệp {args.json}: {exc.strerror or 'lỗi ghi tệp'}.", file=sys.stderr)
            return EXIT_UNUSABLE
    return EXIT_FINDINGS if any(f["severity"] == ERROR for f in result.findings) else EXIT_OK
