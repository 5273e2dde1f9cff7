"""`tthc-xl print`: the clean-copy PDF of a master."""

from __future__ import annotations

import sys

from tthc_xl.cli.exits import EXIT_OK, EXIT_UNUSABLE
from tthc_xl.xlsx.printing import PrintError, export_pdf


def cmd_print(args) -> int:
    try:
        pdf = export_pdf(args.master, args.output, args.sheets)
    except PrintError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_UNUSABLE
    print(f"Đã xuất bản in (bản sạch, không có đánh dấu kiểm tra) ra {pdf.resolve()}")
    return EXIT_OK


def add_commands(subparsers) -> None:
    command = subparsers.add_parser("print", help="in phụ lục ra PDF (bản sạch, không có tô màu và ghi chú kiểm tra)")
    command.add_argument("master", help="tệp bảng tổng hợp (.xlsx, .xlsm)")
    command.add_argument("-o", "--output", help="tệp PDF (mặc định: cùng tên với bảng tổng hợp, đuôi .pdf)")
    command.add_argument("--sheets", nargs="+", metavar="TÊN", help="chỉ in các trang tính này (mặc định: các trang phụ lục)")
    command.set_defaults(run=cmd_print)
