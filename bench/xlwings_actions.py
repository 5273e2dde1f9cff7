"""The Excel "Tổng hợp" button through xlwings' remote engine at scale: actions and payload sizes.

    python bench/xlwings_actions.py                 # 30, 300 and 3 000 units
    python bench/xlwings_actions.py --units 30 300

For each size: a unit list and a new master for that many units (`tthc-xl new-master`), one
generated file per unit (bench/make_units.py), the request the Office.js client would POST for the
master (tests/xlwings_payload.py), then `tthc_xl.excel.buttons.consolidate(xw.Book(json=payload))`. Prints
the size of the request, the number of actions returned (by kind), the size of the response and
the time the button took. What grows with the units should be the data, not the number of calls.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
import os
import sys
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(HERE), str(ROOT), str(ROOT / "tests")]
os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")  # as the tests do (tests/conftest.py)


def prepare(units: int, data: Path, seed: int) -> tuple[Path, Path]:
    """A new master for `units` units (two groups) and a folder with one file per unit."""
    from make_units import make_units

    from tthc_xl.cli.app import main

    folder = data / f"xlwings-{units}"
    reports = folder / "bao-cao"
    facts = make_units(reports, units, seed)
    unit_list = folder / "don-vi.csv"
    with open(unit_list, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["nhom", "ten", "bi_danh"])
        for fact in facts:
            writer.writerow(["Cấp tỉnh" if fact["unit"].startswith("Sở") else "Cấp xã", fact["unit"], ""])
    master = folder / "tong-hop.xlsx"
    master.unlink(missing_ok=True)
    with contextlib.redirect_stdout(io.StringIO()):
        code = main(["new-master", "--form", "mau-a", "--units", str(unit_list), "--period", "tháng 10 năm 2019", "-o", str(master)])
    if code != 0:
        raise SystemExit(f"new-master failed ({code})")
    return master, reports


def press(master: Path, reports: Path) -> dict:
    import xlwings as xw
    import xlwings_payload as xp

    from tthc_xl.excel import buttons as excel

    payload = xp.payload(master)
    xp.set_name(payload, "ThuMucBaoCao", str(reports))
    request = len(json.dumps(payload, ensure_ascii=False).encode())
    book = xw.Book(json=payload)
    try:
        started = time.perf_counter()
        outcome = excel.consolidate(book)
        seconds = time.perf_counter() - started
        response = book.json()
    finally:
        book.close()
    if outcome is None:
        raise SystemExit("the button reported a problem: " + json.dumps(response["actions"][-3:], ensure_ascii=False)[:2000])
    actions = response["actions"]
    return {
        "request_bytes": request,
        "actions": len(actions),
        "by_kind": dict(Counter(a["func"] for a in actions).most_common()),
        "response_bytes": len(json.dumps(response, ensure_ascii=False).encode()),
        "seconds": seconds,
        "findings": len(outcome.findings),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--units", type=int, nargs="+", default=[30, 300, 3000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--data", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "tthc-xl-bench")
    args = parser.parse_args(argv)
    rows = []
    for units in args.units:
        master, reports = prepare(units, args.data, args.seed)
        result = press(master, reports)
        rows.append((units, result))
        print(f"  {units} units: {result['actions']} actions, {result['seconds']:.2f} s", flush=True)
    print()
    print("| units | request (payload) | actions | response | button time | actions by kind |")
    print("|---:|---:|---:|---:|---:|:---|")
    for units, r in rows:
        kinds = ", ".join(f"{k} {v}" for k, v in r["by_kind"].items())
        print(f"| {units:,} | {r['request_bytes'] / 1024:,.0f} KB | {r['actions']} | {r['response_bytes'] / 1024:,.0f} KB | {r['seconds']:.2f} s | {kinds} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
