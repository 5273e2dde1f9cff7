"""Speed at scale: tthc-xl against the peers a user would pick, side by side in one run.

    python bench/run.py                          # N = 16, 150, 1 000, 5 000; the 10 000-row appendix
    python bench/run.py --n 16 150 1000 5000 20000 --runs 3 --runs-large 1
    python bench/run.py --n 1000 --runs 5        # one size, more runs

For each N, on the same generated files (bench/make_units.py, cached in --data), the runs
interleave:
  (a)  `tthc-xl consolidate FOLDER -o master.xlsx` (a subprocess; a fresh master each run),
  (a') the same into the master (a) wrote, untouched since: written whole again (XlsxWriter),
  (a'') the same into a master a clerk opened and saved again: updated in place (openpyxl),
  (b)  the pandas loop a Python-savvy clerk writes, `pd.read_excel(engine="calamine")`,
  (b') the same loop on pandas' openpyxl engine,
  (c)  the floor pipeline (bench/floor_pipeline.py): list, read with calamine, find the table, check
       the rules, write the master with formulas, results, notes, protection, print settings,
  (d)  python-calamine reading every cell of every file, nothing else (one process; every core),
  (0)  `python -c pass`, the interpreter's own start.
It prints the median wall time of each, the ratios (a)/(b) and (a)/(c) run by run, the peak memory
of the whole process tree (PSS sampled from /proc, workers included) and of its largest process
(its high-water RSS, sampled likewise), and checks that (a), (b) and (c) found the column totals the generator wrote. Then it times
checking one appendix of 10 000 unit rows: `tthc-xl check` end to end, and `rules.check_table` in
process. Nothing is a timed test: figures are printed, to be compared within one run on one machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PYTHON = sys.executable
# The installed command beside this Python (a venv), else the module.
_SCRIPT = shutil.which("tthc-xl", path=str(Path(PYTHON).parent))
TTHC_XL = [_SCRIPT] if _SCRIPT else [PYTHON, "-m", "tthc_xl"]

sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))


# --------------------------------------------------------------------------------------
# Measuring one subprocess: wall time, peak RSS of its process tree and of its largest process
# --------------------------------------------------------------------------------------


def _tree_memory_kb(pid: int) -> tuple[int, int]:
    """Memory of a process and all its descendants, in KiB (Linux /proc): the sum of their PSS, so
    pages forked workers share with their parent count once (their RSS would count them twice), and
    the largest high-water RSS among them (VmHWM: per process since its exec; the rusage of wait4
    would carry over this bench's own RSS, which every child has for a moment between fork and exec)."""
    total, largest, stack = 0, 0, [pid]
    while stack:
        current = stack.pop()
        try:
            with open(f"/proc/{current}/smaps_rollup", "rb") as handle:
                for line in handle:
                    if line.startswith(b"Pss:"):
                        total += int(line.split()[1])
                        break
            with open(f"/proc/{current}/status", "rb") as handle:
                for line in handle:
                    if line.startswith(b"VmHWM:"):
                        largest = max(largest, int(line.split()[1]))
                        break
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children", "rb") as handle:
                    stack += [int(p) for p in handle.read().split()]
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return total, largest


def measure(command: list[str], stdout=subprocess.DEVNULL) -> dict:
    """Run `command`; wall seconds, exit code, peak memory of its tree (PSS, MB, sampled every 10 ms)
    and the peak RSS of its largest process (MB, VmHWM sampled likewise)."""
    peak = [0, 0]
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=stdout, stderr=subprocess.PIPE, cwd=ROOT)
    done = threading.Event()

    def sample():
        while not done.is_set():
            tree, largest = _tree_memory_kb(process.pid)
            peak[0], peak[1] = max(peak[0], tree), max(peak[1], largest)
            done.wait(0.01)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status, _ = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    done.set()
    sampler.join()
    process.returncode = os.waitstatus_to_exitcode(status)
    stderr = process.stderr.read().decode(errors="replace")
    process.stderr.close()
    return {
        "seconds": elapsed,
        "code": process.returncode,
        "tree_mb": peak[0] / 1024,
        "max_process_mb": peak[1] / 1024,
        "stderr": stderr[-2000:],
    }


# --------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------


def unit_folder(data: Path, count: int, seed: int, mix_b: float) -> Path:
    """The generated files for (count, seed, mix), made once and kept in `data`."""
    from make_units import make_units

    folder = data / f"units-{count}-seed{seed}-b{mix_b:g}"
    manifest = folder / "manifest.json"
    if manifest.exists():
        facts = json.loads(manifest.read_text(encoding="utf-8"))
        if facts["count"] == count and len(list(folder.glob("*.xlsx"))) == count:
            return folder
    started = time.perf_counter()
    make_units(folder, count, seed, mix_b)
    print(f"  generated {count} files in {time.perf_counter() - started:.1f} s ({folder})", flush=True)
    return folder


def expected_totals(folder: Path) -> tuple[dict[str, dict[str, int]], str]:
    """Column totals of the figures the generator wrote (words count 0) by layout; the commonest layout."""
    facts = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    totals: dict[str, dict[str, int]] = {}
    files: dict[str, int] = {}
    for entry in facts["files"]:
        layout = totals.setdefault(entry["layout"], {})
        files[entry["layout"]] = files.get(entry["layout"], 0) + 1
        for n, v in entry["values"].items():
            layout[n] = layout.get(n, 0) + (v if isinstance(v, int) else 0)
    return totals, max(files, key=files.get)


def master_totals(path: Path) -> dict[str, int]:
    """The "Tổng cộng" row of a master, from its stored formula results."""
    import python_calamine

    rows = python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Phụ lục I").to_python(skip_empty_area=False)
    total = next(r for r in rows if len(r) > 1 and r[1] == "Tổng cộng")
    return {str(n): int(total[n - 1]) for n in range(3, len(total) + 1) if total[n - 1] != ""}


# --------------------------------------------------------------------------------------
# The comparisons
# --------------------------------------------------------------------------------------


def bench_units(count: int, runs: int, args, out: Path) -> dict:
    folder = unit_folder(args.data, count, args.seed, args.mix_b)
    master, floor_master = out / f"master-{count}.xlsx", out / f"floor-{count}.xlsx"
    edited = out / f"edited-{count}.xlsx"
    commands = {
        "a": TTHC_XL + ["consolidate", str(folder), "-o", str(master)],
        "a_update": TTHC_XL + ["consolidate", str(folder), "-o", str(master)],
        "a_edited": TTHC_XL + ["consolidate", str(folder), "-o", str(edited)],
        "b": [PYTHON, str(HERE / "alternatives.py"), "clerk", str(folder)],
        "b_openpyxl": [PYTHON, str(HERE / "alternatives.py"), "clerk-openpyxl", str(folder)],
        "c": [PYTHON, str(HERE / "floor_pipeline.py"), str(folder), "-o", str(floor_master)],
        "d": [PYTHON, str(HERE / "alternatives.py"), "floor", str(folder)],
        "d2": [PYTHON, str(HERE / "alternatives.py"), "floor2", str(folder)],
        "python": [PYTHON, "-c", "pass"],
    }
    skip = {"b", "b_openpyxl"} if args.clerk_max is not None and count > args.clerk_max else set()
    if args.openpyxl_max is not None and count > args.openpyxl_max:
        skip.add("b_openpyxl")
    edited_master(commands["a"][:-1] + [str(edited)], edited)
    results: dict[str, list[dict]] = {k: [] for k in commands}
    printed = {k: out / f"{k}-{count}.json" for k in ("b", "c")}
    for run in range(runs):
        for key, command in commands.items():
            if key in skip:
                continue
            if key == "a":
                master.unlink(missing_ok=True)
            with open(printed[key], "w") if key in printed else open(os.devnull, "w") as sink:
                result = measure(command, stdout=sink)
            broken = result["code"] not in (0, 1) or (key == "a" and not master.exists()) or "Traceback" in result["stderr"]
            if broken:  # exit 1 is findings (the deliberate inconsistencies), not a failure
                raise SystemExit(f"{key} failed ({result['code']}): {' '.join(command)}\n{result['stderr']}")
            results[key].append(result)
            print(f"  N={count} run {run + 1}/{runs} ({key}) {result['seconds']:.2f} s, tree {result['tree_mb']:.0f} MB", flush=True)
    expected, main_layout = expected_totals(folder)
    checks = {"a": master_totals(master) == expected[main_layout]}
    for key in ("b", "c"):
        if key not in skip:
            found = json.loads(printed[key].read_text())
            checks[key] = sorted(sorted(t.items()) for t in found.values()) == sorted(sorted(t.items()) for t in expected.values())
    summary = {"n": count, "runs": runs, "checks": checks, "ratios": {}}
    for key, measured in results.items():
        if measured:
            summary[key] = {
                "median_s": statistics.median(m["seconds"] for m in measured),
                "all_s": [round(m["seconds"], 3) for m in measured],
                "tree_mb": max(m["tree_mb"] for m in measured),
                "max_process_mb": max(m["max_process_mb"] for m in measured),
            }
    # (a)/(b), (a)/(c) run by run; (a')/(a) and (a'')/(a), the updates against a fresh write
    for first, second in (("a", "b"), ("a", "c"), ("a_update", "a"), ("a_edited", "a")):
        if results[first] and results[second]:
            summary["ratios"][f"{first}/{second}"] = statistics.median(
                x["seconds"] / y["seconds"] for x, y in zip(results[first], results[second]))
    return summary


def edited_master(command: list[str], path: Path) -> None:
    """A master as a clerk leaves it after opening it in Excel and saving: written by tthc-xl, then
    saved again by another program (openpyxl here), so its bytes are no longer tthc-xl's. A run
    into it updates it in place, keeping whatever the clerk did; a master tthc-xl wrote and nobody
    touched since is written whole again, which (a') measures."""
    import openpyxl

    path.unlink(missing_ok=True)
    subprocess.run(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    book = openpyxl.load_workbook(path)
    book.save(path)


# Lifts the readers' row caps in a child Python (read.py: MAX_ROWS; safe_open.py: MAX_SHEET_ROWS, if there).
_LIFT_CAPS = (
    "import sys, importlib, tthc_xl.files.read as r\n"
    "try:\n    so = importlib.import_module('tthc_xl.files.safe_open')\nexcept ImportError:\n    so = r\n"
    "caps = (r.MAX_ROWS, getattr(so, 'MAX_SHEET_ROWS', 0))\n"
    "r.MAX_ROWS = so.MAX_SHEET_ROWS = 10**6\n"
)


def bench_appendix(rows: int, runs: int, args, out: Path) -> dict:
    """`tthc-xl check` on one appendix of `rows` unit rows, and rules.check_table in process."""
    from make_units import make_appendix

    path = args.data / f"phu-luc-{rows}-dong-seed{args.seed}.xlsx"
    if not path.exists():
        facts = make_appendix(path, rows, args.seed)
        print(f"  generated {path.name}: {facts}", flush=True)
    summary: dict = {"rows": rows}
    cli = TTHC_XL + ["check", str(path)]
    # The same command with the readers' row caps lifted (read.py MAX_ROWS, safe_open.py MAX_SHEET_ROWS).
    uncapped = [PYTHON, "-c", _LIFT_CAPS + "from tthc_xl.cli.app import main; sys.exit(main(sys.argv[1:]))", "check", str(path)]
    times: dict[str, list[dict]] = {"check": [], "check_uncapped": []}
    for _ in range(runs):
        times["check"].append(measure(cli))
        times["check_uncapped"].append(measure(uncapped))
    for key, measured in times.items():
        summary[key] = {"median_s": statistics.median(m["seconds"] for m in measured), "tree_mb": max(m["tree_mb"] for m in measured)}
    # In process: read once (cap lifted), then time the checker alone, its caches emptied each run.
    probe = (
        _LIFT_CAPS + "import json, time, statistics, tthc_xl.files.read as r, tthc_xl.core.rules as rules, tthc_xl.core.locate as locate\n"
        "from tthc_xl.core.layouts import load_layouts\n"
        "from tthc_xl.core.model import UNIT\n"
        "layouts = load_layouts()\n"
        "t = time.perf_counter(); (table,) = r.read_file(sys.argv[1], layouts).tables; read_s = time.perf_counter() - t\n"
        "times = []\n"
        "for _ in range(int(sys.argv[2])):\n"
        "    locate._locate_cached.cache_clear()\n"
        "    rules._name_key.cache_clear()\n"
        "    t = time.perf_counter(); findings = rules.check_table(table); times.append(time.perf_counter() - t)\n"
        "r.MAX_ROWS, so.MAX_SHEET_ROWS = caps\n"
        "(short,) = r.read_file(sys.argv[1], layouts).tables\n"
        "print(json.dumps({'read_s': read_s, 'check_table_s': statistics.median(times), 'all_s': times, 'findings': len(findings),\n"
        "    'unit_rows': len(table.rows_of(UNIT)), 'unit_rows_capped': len(short.rows_of(UNIT))}))\n"
    )
    result = subprocess.run([PYTHON, "-c", probe, str(path), str(max(runs, 3))], capture_output=True, text=True, cwd=ROOT)
    if result.returncode:
        raise SystemExit(result.stderr)
    summary["in_process"] = json.loads(result.stdout)
    return summary


# --------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------


def table(summaries: list[dict], appendix: dict | None) -> str:
    def seconds(s, key):
        return f"{s[key]['median_s']:.2f} s" if key in s else "–"

    def ratio(s, key):
        return f"{s['ratios'][key]:.2f}" if key in s["ratios"] else "–"

    lines = [
        "| N files | (a) tthc-xl | (a') rerun | (a'') update in place | (b) pandas + calamine | (b') pandas + openpyxl | (c) floor pipeline "
        "| (d) calamine read (1 core / all) | (0) python | (a)/(b) | (a)/(c) | (a')/(a) | (a'')/(a) | peak memory (a): all (PSS) / largest (RSS) | totals |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---|",
    ]
    for s in summaries:
        a = s["a"]
        lines.append(
            f"| {s['n']:,} | {seconds(s, 'a')} | {seconds(s, 'a_update')} | {seconds(s, 'a_edited')} | {seconds(s, 'b')} | {seconds(s, 'b_openpyxl')} "
            f"| {seconds(s, 'c')} | {s['d']['median_s']:.2f} s / {s['d2']['median_s']:.2f} s | {seconds(s, 'python')} "
            f"| {ratio(s, 'a/b')} | {ratio(s, 'a/c')} | {ratio(s, 'a_update/a')} | {ratio(s, 'a_edited/a')} "
            f"| {a['tree_mb']:.0f} MB / {a['max_process_mb']:.0f} MB "
            f"| {', '.join(f'{k} ' + ('ok' if v else 'WRONG') for k, v in s['checks'].items())} |"
        )
    text = "\n".join(lines)
    text += "\n\n(a) per file: " + ", ".join(f"N = {s['n']:,}: {1000 * s['a']['median_s'] / s['n']:.2f} ms" for s in summaries)
    if appendix:
        p = appendix["in_process"]
        text += (
            f"\n\nChecking one appendix of {appendix['rows']:,} unit rows: `tthc-xl check` {appendix['check']['median_s']:.2f} s "
            f"(reads only {p['unit_rows_capped']:,} rows: the readers' row caps), {appendix['check_uncapped']['median_s']:.2f} s with the caps lifted "
            f"({p['unit_rows']:,} rows, peak {appendix['check_uncapped']['tree_mb']:.0f} MB); "
            f"in process: reading {p['read_s']:.2f} s, `rules.check_table` {p['check_table_s']:.3f} s ({p['findings']} findings)."
        )
    return text


def compile_package() -> None:
    """Compile tthc-xl's modules where the measured Python imports them from, as `pip install` does.

    A checkout (an editable install) run with PYTHONDONTWRITEBYTECODE set would compile every module
    again on every start: a tenth of a second that an installed tthc-xl never pays."""
    where = subprocess.run([PYTHON, "-c", "import os, tthc_xl; print(os.path.dirname(tthc_xl.__file__))"],
                           capture_output=True, text=True, cwd=ROOT, check=True).stdout.strip()
    subprocess.run([PYTHON, "-m", "compileall", "-q", where], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, nargs="+", default=[16, 150, 1000, 5000], help="numbers of unit files")
    parser.add_argument("--runs", type=int, default=3, help="runs per N (median)")
    parser.add_argument("--runs-large", type=int, default=1, help="runs for N ≥ 5 000")
    parser.add_argument("--mix-b", type=float, default=0.0, help="share of unit files in layout mau-b")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--clerk-max", type=int, default=None, help="skip (b) and (b') above this N")
    parser.add_argument("--openpyxl-max", type=int, default=5000, help="skip (b') above this N (it takes minutes)")
    parser.add_argument("--appendix-rows", type=int, default=10000, help="rows of the appendix to check (0: skip)")
    parser.add_argument("--data", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "tthc-xl-bench", help="generated files (kept)")
    parser.add_argument("--json", type=Path, help="write every figure to this file")
    args = parser.parse_args(argv)
    args.data.mkdir(parents=True, exist_ok=True)
    out = args.data / "out"
    out.mkdir(exist_ok=True)
    cpus = len(os.sched_getaffinity(0))
    compile_package()
    print(f"# {platform.python_implementation()} {platform.python_version()}, {cpus} cores, {platform.platform()}", flush=True)
    summaries = []
    for count in args.n:
        runs = args.runs_large if count >= 5000 else args.runs
        summaries.append(bench_units(count, runs, args, out))
    appendix = bench_appendix(args.appendix_rows, args.runs, args, out) if args.appendix_rows else None
    print()
    print(table(summaries, appendix))
    print(f"\nCommand: python bench/run.py {' '.join(argv if argv is not None else sys.argv[1:])}".rstrip())
    if args.json:
        args.json.write_text(json.dumps({"units": summaries, "appendix": appendix}, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
