"""Updating a clerk's master in place against writing a fresh one, and the engines that could update.

    python bench/update_in_place.py --n 1000 5000 --runs 5
    python bench/update_in_place.py --n 1000 --engines --wolfxl-path DIR   # + the engine comparison

For each N, on the generated files of bench/run.py (cached in --data), the runs interleave:
  (fresh)  `tthc-xl consolidate FOLDER -o master.xlsx`, no master there: written by XlsxWriter;
  (update) the same into a copy of a master a clerk opened and saved again (run.edited_master):
           read, redrawn and saved in place by openpyxl.
It prints the median wall and CPU time of each (CPU: user + system of the command and its workers,
the steadier figure on a shared machine) and the ratios update/fresh run by run (the target: ≤ 1,1).

`--engines` then times, in process, what an update asks of the engine on that clerk-saved master:
load it, rewrite every cell of the appendix region (a value and a look: font, fill, border,
alignment, number format), save it. With openpyxl, and with wolfxl's modify mode when wolfxl can be
imported (`--wolfxl-path` puts an unpacked wheel first on sys.path), each in its own process, so
that neither pays the other's import. Each also times the 14 columns × 100…R rows sweep to show how
the save grows with the number of cells rewritten.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import PYTHON, ROOT, TTHC_XL, edited_master, unit_folder  # noqa: E402

# One process per engine: load, rewrite `rows` × 14 cells from row 9 (value and look), save.
_ENGINE = r"""
import json, sys, time
engine, path, out, rows, extra = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
if extra:
    sys.path.insert(0, extra)
started = time.perf_counter()
if engine == "wolfxl":
    import wolfxl as lib
    from wolfxl.styles import Alignment, Border, Font, PatternFill, Side
    load = lambda p: lib.load_workbook(p, modify=True)
else:
    sys.modules["numpy"] = None  # as tthc_xl.files.openpyxl_without_numpy
    import openpyxl as lib
    del sys.modules["numpy"]
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    load = lib.load_workbook
imported = time.perf_counter()
book = load(path)
sheet = book["Phụ lục I"]
loaded = time.perf_counter()
thin = Side(style="thin", color="FF000000")
font, fill = Font(name="Times New Roman", size=11), PatternFill("solid", fgColor="FFD9E1F2")
border, alignment = Border(left=thin, right=thin, top=thin, bottom=thin), Alignment(horizontal="center", wrap_text=True)
for row in range(9, 9 + rows):
    for col in range(1, 15):
        cell = sheet.cell(row, col)
        cell.value = row * col
        cell.font, cell.fill, cell.border, cell.alignment, cell.number_format = font, fill, border, alignment, "#,##0"
edited = time.perf_counter()
book.save(out)
saved = time.perf_counter()
print(json.dumps({"import": imported - started, "load": loaded - imported, "edit": edited - loaded, "save": saved - edited}))
"""


def measure(command: list[str]) -> dict:
    """Wall seconds and CPU seconds (user + system, the process and the workers it waited for): on a
    shared machine the CPU time is the steadier figure."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"seconds": wall, "cpu": cpu, "code": done.returncode, "stderr": done.stderr[-2000:]}


def bench_update(count: int, runs: int, args, work: Path) -> dict:
    folder = unit_folder(args.data, count, args.seed, args.mix_b)
    fresh, clerk, updated = work / f"fresh-{count}.xlsx", work / f"clerk-{count}.xlsx", work / f"updated-{count}.xlsx"
    edited_master(TTHC_XL + ["consolidate", str(folder), "-o", str(clerk)], clerk)
    times: dict[str, list[dict]] = {"fresh": [], "update": []}
    for run in range(runs):
        fresh.unlink(missing_ok=True)
        shutil.copyfile(clerk, updated)
        for key, target in (("fresh", fresh), ("update", updated)):
            result = measure(TTHC_XL + ["consolidate", str(folder), "-o", str(target)])
            if result["code"] not in (0, 1) or "Traceback" in result["stderr"]:
                raise SystemExit(f"{key} failed ({result['code']}):\n{result['stderr']}")
            times[key].append(result)
        print(f"  N={count} run {run + 1}/{runs}: " + ", ".join(
            f"{key} {times[key][-1]['seconds']:.2f} s (CPU {times[key][-1]['cpu']:.2f} s)" for key in times), flush=True)
    summary: dict = {}
    for measure_ in ("seconds", "cpu"):
        for key, results in times.items():
            summary[f"{key}_{measure_}"] = statistics.median(r[measure_] for r in results)
        summary[f"ratio_{measure_}"] = statistics.median(u[measure_] / f[measure_] for u, f in zip(times["update"], times["fresh"]))
    summary["all"] = {key: [(round(r["seconds"], 3), round(r["cpu"], 3)) for r in results] for key, results in times.items()}
    if args.engines:
        summary["engines"] = bench_engines(clerk, count, args, work)
    return summary


def bench_engines(clerk: Path, count: int, args, work: Path) -> dict:
    engines = {"openpyxl": ""}
    probe = [PYTHON, "-c", f"import sys; sys.path.insert(0, {args.wolfxl_path or ''!r}); import wolfxl"]
    if subprocess.run(probe, capture_output=True).returncode == 0:
        engines["wolfxl"] = args.wolfxl_path or ""
    else:
        print("  wolfxl cannot be imported: openpyxl alone", flush=True)
    found: dict = {}
    for rows in sorted({100, 200, 400, 800, count}):
        for engine, extra in engines.items():
            out = work / f"engine-{engine}-{rows}.xlsx"
            command = [PYTHON, "-c", _ENGINE, engine, str(clerk), str(out), str(rows), extra]
            try:
                done = subprocess.run(command, capture_output=True, text=True, timeout=args.engine_timeout)
            except subprocess.TimeoutExpired:
                found.setdefault(engine, {})[rows] = f"over {args.engine_timeout} s"
                print(f"  {engine}, {rows * 14} cells: over {args.engine_timeout} s", flush=True)
                continue
            if done.returncode:
                found.setdefault(engine, {})[rows] = done.stderr.strip().splitlines()[-1]
                print(f"  {engine}, {rows * 14} cells: {found[engine][rows]}", flush=True)
                continue
            phases = json.loads(done.stdout)
            found.setdefault(engine, {})[rows] = {k: round(v, 3) for k, v in phases.items()}
            print(f"  {engine}, {rows * 14} cells: " + ", ".join(f"{k} {v:.3f} s" for k, v in phases.items()), flush=True)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--mix-b", type=float, default=0.0)
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "tthc-xl-bench")
    parser.add_argument("--engines", action="store_true", help="also time load + region rewrite + save per engine")
    parser.add_argument("--wolfxl-path", default=None, help="a directory holding an unpacked wolfxl wheel")
    parser.add_argument("--engine-timeout", type=float, default=120)
    args = parser.parse_args()
    args.data.mkdir(parents=True, exist_ok=True)
    results = []
    with tempfile.TemporaryDirectory() as temporary:
        for count in args.n:
            work = Path(temporary) / str(count)
            work.mkdir()
            results.append((count, bench_update(count, args.runs, args, work)))
    print("\n   N   fresh s  update s  update/fresh   fresh CPU s  update CPU s  update/fresh CPU")
    for count, s in results:
        print(f"{count:>5}  {s['fresh_seconds']:7.2f}  {s['update_seconds']:8.2f}  {s['ratio_seconds']:12.2f}"
              f"   {s['fresh_cpu']:11.2f}  {s['update_cpu']:12.2f}  {s['ratio_cpu']:16.2f}")
    print(json.dumps({str(count): summary for count, summary in results}, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
