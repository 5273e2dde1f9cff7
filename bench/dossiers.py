"""Benchmark: count a province-year of generated dossiers (1 million by default) with `tthc-xl ho-so`'s engine.

    python bench/dossiers.py [--n 1000000] [--units 150] [--keep FOLDER [--reuse]] [--memory 500MB]

Writes a one-stop export (CSV, the `mot-cua-tinh` mapping), then, in a fresh process, reads it
into DuckDB and counts the year 2026 for layout A; prints the time of each step and the counting
process's peak memory. A figure to read, not a test.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

HEADERS = ["MaHoSo", "TenDonVi", "MaLinhVuc", "MaTTHC", "KenhThucHien", "NgayTiepNhan", "NgayHenTra", "SoNgayGiaiQuyet",
           "NgayYeuCauBoSung", "NgayNhanBoSung", "NgayKetThucXuLy", "NgayTra", "NgayTuChoi", "TrangThaiHoSo"]


def generate(path: Path, n: int, units: int, seed: int = 19) -> None:
    """Dossiers received from December 2025 to December 2026, a tenth with supplements, a few late or returned."""
    rng = random.Random(seed)
    start = dt.datetime(2025, 12, 1, 7, 30)
    span = (dt.datetime(2026, 12, 31, 17, 0) - start).total_seconds()
    stamp = "%Y%m%d%H%M%S"
    names = [f"UBND xã số {i + 1}" for i in range(units)]
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADERS)
        for index in range(n):
            received = start + dt.timedelta(seconds=rng.random() * span)
            limit = rng.choice((1, 3, 5, 7, 10, 15))
            due = received + dt.timedelta(days=limit * 1.4)
            s_req = s_recv = ""
            if rng.random() < 0.1:
                asked = received + dt.timedelta(days=rng.random() * limit)
                s_req = asked.strftime(stamp)
                s_recv = (asked + dt.timedelta(days=rng.random() * 5)).strftime(stamp) if rng.random() < 0.8 else ""
            finished = rejected = ""
            roll = rng.random()
            status = "2"
            if roll < 0.02:
                rejected = (received + dt.timedelta(days=1)).strftime(stamp)
                status = "8"
            elif roll < 0.9:
                end = received + dt.timedelta(days=rng.random() * limit * 1.6)
                finished = end.strftime(stamp)
                status = "5" if end < due - dt.timedelta(days=1) else ("6" if end <= due else "7")
            writer.writerow([f"HS{index:08d}", names[index % units], f"LV{index % 40:02d}", f"TT{index % 400:03d}", rng.choice("1222223"),
                             received.strftime(stamp), due.strftime(stamp), limit, s_req, s_recv, finished, finished, rejected, status])


def count(path: Path) -> None:
    """Runs in its own process: read, count, print the figures."""
    from tthc_xl.core.dossiers import load_mapping
    from tthc_xl.core.layouts import load_layouts
    from tthc_xl.files.dossiers import DossierStore

    layout = load_layouts()["mau-a"]
    began = time.perf_counter()
    store = DossierStore()
    loaded = store.add(path, load_mapping("mot-cua-tinh"))
    read = time.perf_counter()
    counted = store.count(dt.date(2026, 1, 1), dt.date(2026, 12, 31), layout)
    done = time.perf_counter()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    peak = usage.ru_maxrss / 1024
    print(f"rows read: {loaded.rows:,}; dossiers of 2026: {counted.counted:,}; units: {len(counted.parts)}; "
          f"listed for the difference sheet (at most 500 a unit): {sum(len(v) for v in counted.views.values()):,}; bad rows: {counted.rejected:,}")
    print(f"read into DuckDB: {read - began:.2f} s; parse, check, classify, count: {done - read:.2f} s; total {done - began:.2f} s "
          f"(CPU time of the process, all threads: {usage.ru_utime + usage.ru_stime:.1f} s; load average {os.getloadavg()[0]:.1f})")
    limit = os.environ.get("TTHC_XL_DUCKDB_MEMORY")
    print(f"peak memory of the counting process: {peak:.0f} MB" + (f" (DuckDB memory limit {limit})" if limit else ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--units", type=int, default=150)
    parser.add_argument("--keep", help="folder to keep the generated export in")
    parser.add_argument("--reuse", action="store_true", help="count the export already in --keep instead of generating one")
    parser.add_argument("--memory", help="bound DuckDB's memory (TTHC_XL_DUCKDB_MEMORY), e.g. 500MB; it spills to disk beyond")
    parser.add_argument("--count", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.count:
        count(Path(args.count))
        return
    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="tthc-ho-so-"))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "ho-so.csv"
    if not (args.reuse and path.is_file()):
        began = time.perf_counter()
        generate(path, args.n, args.units)
        print(f"generated {args.n:,} dossiers ({path.stat().st_size / 2**20:.0f} MB CSV) in {time.perf_counter() - began:.1f} s")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    if args.memory:
        env["TTHC_XL_DUCKDB_MEMORY"] = args.memory
    subprocess.run([sys.executable, __file__, "--count", str(path)], check=True, env=env)
    if not args.keep:
        path.unlink()
        folder.rmdir()


if __name__ == "__main__":
    main()
