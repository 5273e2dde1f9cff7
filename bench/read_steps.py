"""Where the time of reading one unit file goes, step by step, in one process (no workers).

    python bench/read_steps.py [FOLDER] [--rounds 4] [--profile]

FOLDER defaults to the 1 000 generated files bench/run.py caches (/tmp/tthc-xl-bench/units-1000-seed1-b0).
Each file goes through the steps the workers take, timed one by one: listing the folder
(`unit_files`), reading the bytes, `safe_open.open_workbook` (what the package is, its checks),
calamine (open, each sheet's cells and merges), the grids (`read_grids`, which repeats the three
steps before it: the glue is the rest), the tables (`read_grids_tables`), and the answer a worker
pickles. It prints microseconds of CPU per file (process time: other processes on this shared machine
do not count), the best of `--rounds` rounds (the files come from the page cache after the first).
`--profile` adds cProfile's list of `read_file` over the folder.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pickle
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import python_calamine  # noqa: E402

from tthc_xl.core.layouts import load_layouts  # noqa: E402
from tthc_xl.files import read  # noqa: E402
from tthc_xl.files.safe_open import open_workbook, read_bytes  # noqa: E402
from tthc_xl.files.sources import unit_files  # noqa: E402
from tthc_xl.files.workers import answer_table  # noqa: E402

STEPS = ("list", "bytes", "safe_open", "calamine", "grid glue", "tables", "answer")


def one_round(folder: Path, layouts) -> tuple[dict[str, float], int, int]:
    spent = dict.fromkeys(STEPS, 0.0)
    started = time.process_time()
    files = unit_files([folder])
    spent["list"] = time.process_time() - started
    table = answer_table(layouts)
    size = 0
    for path in files:
        a = time.process_time()
        data = read_bytes(path)
        b = time.process_time()
        opened = open_workbook(path, data)
        c = time.process_time()
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(opened.data))
        for meta in book.sheets_metadata:
            sheet = book.get_sheet_by_name(meta.name)
            sheet.to_python(skip_empty_area=True, nrows=read.MAX_ROWS)
            sheet.merged_cell_ranges  # noqa: B018 - read as read_grids reads it
        d = time.process_time()
        grids = read.read_grids(path)
        e = time.process_time()
        result = read.read_grids_tables(grids, path, layouts)
        f = time.process_time()
        buffer = io.BytesIO()
        pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
        pickler.dispatch_table = table
        pickler.dump(result)
        g = time.process_time()
        size += buffer.tell()
        spent["bytes"] += b - a
        spent["safe_open"] += c - b
        spent["calamine"] += d - c
        spent["grid glue"] += (e - d) - (d - a)  # read_grids less the bytes, safe_open and calamine it repeats
        spent["tables"] += f - e
        spent["answer"] += g - f
    return spent, len(files), size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path,
                        default=Path(os.environ.get("TMPDIR", "/tmp")) / "tthc-xl-bench" / "units-1000-seed1-b0")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args(argv)
    layouts = load_layouts()
    best: dict[str, float] = {}
    for _ in range(args.rounds):
        spent, count, size = one_round(args.folder, layouts)
        best = {step: min(spent[step], best.get(step, spent[step])) for step in STEPS}
    print(f"{count} files in {args.folder}, µs per file (best of {args.rounds} rounds):")
    for step in STEPS:
        print(f"  {step:<10} {best[step] / count * 1e6:8.1f}")
    print(f"  {'total':<10} {sum(best.values()) / count * 1e6:8.1f}")
    print(f"  answer pickled: {size / count:.0f} bytes a file")
    if args.profile:
        files = unit_files([args.folder])
        profile = cProfile.Profile()
        profile.enable()
        for path in files:
            read.read_file(path, layouts)
        profile.disable()
        pstats.Stats(profile).sort_stats("tottime").print_stats(30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
