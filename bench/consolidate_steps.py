"""Time and memory of the consolidation step alone (`files.sources.consolidate_results` and `history.record_of`),
side by side for two checkouts of tthc-xl on the same unit files.

    python bench/consolidate_steps.py [--n 1000 5000 20000] [--runs 3] [--code OTHER_CHECKOUT ...]

Each checkout runs in its own processes: it reads the folder once (`read_sources`, cached as a pickle under
$TMPDIR/tthc-xl-bench/consolidate-cache, one per checkout and N); then each figure comes from a fresh process
that unpickles the results and runs `consolidate_results` once, as `tthc-xl consolidate` calls it (results
handed over where the checkout can take them): the time (the best of --runs), the time of a run that also
imports what it needs (localization imports scipy.optimize, about 0.6 s and 60 MB, for its hardest rows),
`history.record_of` on the outcome, the RSS the step adds and its peak (VmHWM), and the tracemalloc peak at
1 000 files. Every checkout must give the same master cells, findings and notes (a digest of them).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CACHE = Path(tempfile.gettempdir()) / "tthc-xl-bench" / "consolidate-cache"


def folder_of(n: int) -> Path:
    folder = Path(tempfile.gettempdir()) / "tthc-xl-bench" / f"units-{n}-seed1-b0"
    if not folder.is_dir():
        subprocess.run([sys.executable, str(HERE / "make_units.py"), str(folder), "-n", str(n), "--seed", "1"], check=True)
    return folder


def child(code: str, n: int, runs: int, mode: str) -> dict:
    """Run in the checkout `code`: the figures of one N."""
    import gc
    import pickle
    import time

    sys.path.insert(0, code)
    from tthc_xl.core.layouts import load_layouts
    from tthc_xl.files import history, sources
    from tthc_xl.core.master import Settings

    layouts = load_layouts()
    model = b"".join((Path(code) / "tthc_xl" / part).read_bytes() for part in ("core/model.py", "files/read.py", "core/layouts.py"))
    key = hashlib.sha1(code.encode() + model).hexdigest()[:10]  # read again when what the results are made of changes
    cache = CACHE / f"{key}-{n}.pickle"
    if not cache.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        results = sources.read_sources(sources.unit_files([folder_of(n)]), layouts, None, None)
        cache.write_bytes(pickle.dumps((layouts, results), protocol=pickle.HIGHEST_PROTOCOL))
    data = cache.read_bytes()

    def rss() -> float:
        return int(open("/proc/self/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20

    import inspect

    hand_over = "consume" in inspect.signature(sources.consolidate_results).parameters

    def run(results, layouts):
        """As `tthc-xl consolidate` calls it: the results handed over where the checkout can take them."""
        more = {"consume": True} if hand_over else {}
        return sources.consolidate_results(results, layouts, None, None, Settings(period="tháng 10 năm 2019"), output="master.xlsx", **more)

    def status(field: str) -> float:
        line = next(line for line in open("/proc/self/status") if line.startswith(field + ":"))
        return int(line.split()[1]) / 1024

    figures: dict = {}
    if mode in ("time", "cold"):  # one run in this fresh process: every cache as cold as in a clerk's run
        if mode == "time":
            import scipy.optimize  # noqa: F401 - what localization imports for its hardest rows, imported before the clock
        layouts, results = pickle.loads(data)
        del data
        gc.collect()
        start = time.process_time()
        outcome = run(results, layouts)
        figures["consolidate_s"] = time.process_time() - start
        figures["scipy"] = "scipy" in sys.modules
        del results
        with sources.without_cycle_collection():
            start = time.process_time()
            history.record_of(outcome)
            figures["record_of_s"] = time.process_time() - start
        figures["digest"] = digest(outcome)
    elif mode == "rss":
        import scipy.optimize  # noqa: F401 - as for "time"

        layouts, results = pickle.loads(data)
        del data
        gc.collect()
        before = rss()
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")  # the peak RSS (VmHWM) starts again from here
        with sources.without_cycle_collection():
            outcome = run(results, layouts)
            del results  # as cmd_consolidate does
        figures["rss_before_mb"] = before
        figures["rss_added_mb"] = rss() - before
        figures["rss_peak_added_mb"] = status("VmHWM") - before
    elif mode == "trace":
        import tracemalloc

        layouts, results = pickle.loads(data)
        gc.collect()
        tracemalloc.start()
        outcome = run(results, layouts)
        del results
        current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        figures["alive_mb"], figures["peak_mb"] = current / 2**20, peak / 2**20
    return figures


def digest(outcome) -> str:
    """What a clerk sees of a consolidation: every master cell, every finding, note and source."""
    master = outcome.master
    cells = [(r.kind, r.label, r.row, r.order, r.group, r.reported, sorted((n, repr(s.value), s.formula, s.role, repr(s.source), repr(s.raw)) for n, s in r.slots.items())) for r in master.rows]
    text = json.dumps([cells, outcome.as_json(), outcome.notes, master.missing], ensure_ascii=False, default=repr, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, nargs="+", default=[1000, 5000, 20000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--code", nargs="+", default=[], help="other checkouts to compare with this one")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        code, n, runs, mode = args.child
        print(json.dumps(child(code, int(n), int(runs), mode)))
        return
    codes = [*args.code, str(ROOT)]
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPATH")}
    print("consolidate s: the best of --runs, each in a fresh process with scipy.optimize imported before; cold s: one run\n"
          "importing what it needs (*: it imported scipy.optimize, for localization's hardest rows); RSS with scipy imported before.")
    print(f"{'checkout':<28} {'N':>6} {'consolidate s':>14} {'cold s':>8} {'record_of s':>12} {'RSS before':>11} {'RSS added':>10} {'peak added':>11} {'trace peak':>11} {'alive':>7}  digest")
    for n in args.n:
        folder_of(n)
        for code in codes:
            subprocess.run([sys.executable, "-m", "compileall", "-q", str(Path(code) / "tthc_xl")], check=True, env=env)

            def ask(mode: str, count: int = n) -> dict:
                out = subprocess.run([sys.executable, __file__, "--child", code, str(count), str(args.runs), mode],
                                     check=True, env=env, capture_output=True, text=True, cwd=tempfile.gettempdir())
                return json.loads(out.stdout.strip().splitlines()[-1])

            runs = [ask("time") for _ in range(args.runs)]
            timed = min(runs, key=lambda run: run["consolidate_s"])
            cold = ask("cold")
            memory = ask("rss")
            trace = ask("trace", 1000) if n == args.n[0] else {}
            print(f"{Path(code).name:<28} {n:>6} {timed['consolidate_s']:>14.3f} {cold['consolidate_s']:>7.3f}{'*' if cold['scipy'] else ' '} {timed['record_of_s']:>12.3f} "
                  f"{memory['rss_before_mb']:>10.0f}M {memory['rss_added_mb']:>9.0f}M {memory['rss_peak_added_mb']:>10.0f}M "
                  f"{trace.get('peak_mb', float('nan')):>10.1f}M {trace.get('alive_mb', float('nan')):>6.1f}M  {timed['digest']}", flush=True)


if __name__ == "__main__":
    main()
