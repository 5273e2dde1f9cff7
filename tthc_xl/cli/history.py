"""`tthc-xl history`: list, show and remove the periods kept in `lich-su-tthc.sqlite`."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

from tthc_xl.cli.exits import EXIT_OK, EXIT_UNUSABLE
from tthc_xl.core.numbers import format_number


def add_commands(subparsers) -> None:
    history = subparsers.add_parser(
        "history", help="xem, xóa các kỳ đã lưu trong lịch sử",
        description="Liệt kê các kỳ đã lưu trong lịch sử (lich-su-tthc.sqlite), xem số liệu một kỳ hoặc xóa một kỳ.",
    )
    history.add_argument("where", nargs="?", default=".", help="thư mục, bảng tổng hợp hoặc tệp lịch sử (mặc định: thư mục hiện tại)")
    action = history.add_mutually_exclusive_group()
    action.add_argument("--show", metavar="KỲ", help="xem số liệu một kỳ, ví dụ “tháng 10 năm 2019”")
    action.add_argument("--remove", metavar="KỲ", help="xóa một kỳ khỏi lịch sử")
    history.set_defaults(run=cmd_history)


def cmd_history(args) -> int:
    from tthc_xl.files import history

    database = history.database_path(args.where)
    if not database.is_file():
        print(f"Chưa có lịch sử {database}: lịch sử được ghi khi tổng hợp (tthc-xl consolidate) có kỳ báo cáo.", file=sys.stderr)
        return EXIT_UNUSABLE
    try:
        if args.remove:
            return _remove(history, database, args.remove)
        if args.show:
            return _show(history, database, args.show)
        return _list(history, database)
    except (sqlite3.Error, history.HistoryError) as exc:
        print(f"Không đọc được lịch sử {database}: {exc}", file=sys.stderr)
        return EXIT_UNUSABLE


def _list(history, database: Path) -> int:
    records = history.periods(database)
    print(f"Lịch sử {database}: {len(records)} kỳ.")
    for record in records:
        reported = sum(1 for _, values in record.units if values)
        received = record.totals.get("received")
        print(f"- {record.period.text} ({record.period.key}): {reported}/{len(record.units)} đơn vị, "
              f"tiếp nhận {format_number(received) if received is not None else '?'} hồ sơ; "
              f"từ {Path(record.master).name}, lưu lúc {record.archived_at}")
    return EXIT_OK


def _show(history, database: Path, period: str) -> int:
    record = history.load(database, period)
    if record is None:
        return _not_there(history, database, period)
    label = history.key_labels(record.form)
    print(f"Kỳ “{record.period.text}” ({record.period.key}), mẫu {record.form}, từ {record.master}, lưu lúc {record.archived_at}.")
    print("Tổng cộng:")
    for key, value in record.totals.items():
        print(f"  {label(key)}: {format_number(value)}")
    missing = [name for name, values in record.units if not values]
    print(f"Đơn vị đã gửi báo cáo: {len(record.units) - len(missing)}/{len(record.units)}"
          + (f"; chưa gửi: {', '.join(missing)}" if missing else ""))
    return EXIT_OK


def _remove(history, database: Path, period: str) -> int:
    if not history.remove(database, period):
        return _not_there(history, database, period)
    print(f"Đã xóa kỳ “{period}” khỏi lịch sử {database}.")
    return EXIT_OK


def _not_there(history, database: Path, period: str) -> int:
    known = ", ".join(f"“{r.period.text}”" for r in history.periods(database)) or "không có kỳ nào"
    print(f"Lịch sử {database} không có kỳ “{period}”. Các kỳ đã lưu: {known}.", file=sys.stderr)
    return EXIT_UNUSABLE
