"""`tthc-xl template`: blank unit report sheets."""

from __future__ import annotations

import sys
from pathlib import Path

from tthc_xl.cli.common import layouts_of
from tthc_xl.cli.exits import EXIT_OK, EXIT_UNUSABLE
from tthc_xl.core.units import load_units
from tthc_xl.xlsx.unit_template import file_name, write_unit_template


def cmd_template(args) -> int:
    layouts = layouts_of(args)
    if args.form not in layouts:
        print(f"Không có mẫu biểu “{args.form}”. Các mẫu có sẵn: {', '.join(layouts)}.", file=sys.stderr)
        return EXIT_UNUSABLE
    layout = layouts[args.form]
    output = Path(args.output)
    if args.all_units:
        if not args.units:
            print("Cần --units (danh sách đơn vị) khi dùng --all-units.", file=sys.stderr)
            return EXIT_UNUSABLE
        output.mkdir(parents=True, exist_ok=True)
        for unit in load_units(args.units).units:
            write_unit_template(layout, unit.name, args.period or "", output / file_name(unit.name))
        print(f"Đã tạo mẫu báo cáo cho từng đơn vị trong {output}.")
    elif args.unit:
        write_unit_template(layout, args.unit, args.period or "", output)
        print(f"Đã tạo mẫu báo cáo {output} cho {args.unit}.")
    else:
        print("Cần --unit TÊN_ĐƠN_VỊ hoặc --all-units.", file=sys.stderr)
        return EXIT_UNUSABLE
    return EXIT_OK


def add_commands(commands) -> None:
    template = commands.add_parser("template", help="tạo mẫu báo cáo trống cho đơn vị")
    template.add_argument("--form", required=True, help="tên mẫu biểu")
    template.add_argument("--unit", help="tên đơn vị")
    template.add_argument("--all-units", action="store_true", help="mỗi đơn vị trong danh sách một tệp")
    template.add_argument("--units", help="danh sách đơn vị (.csv)")
    template.add_argument("--period", help="kỳ báo cáo")
    template.add_argument("-o", "--output", required=True, help="tệp (hoặc thư mục với --all-units)")
    template.set_defaults(run=cmd_template)
