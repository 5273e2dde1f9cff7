"""Reading Word and PDF reports at scale: N unit reports as .docx and as the PDF LibreOffice exports from them.

    python bench/documents.py            # N = 100
    python bench/documents.py --n 300

Each document is a unit's report (the narrative, then its one-row Phụ lục I as a Word table with the
merged header and the wrapped number row of tests/soctrang.py). It prints, for .docx and for .pdf:
the wall time of `tthc-xl check FOLDER` and `tthc-xl consolidate FOLDER -o master.xlsx` (subprocesses,
start-up included, reading on every core), the time per document read in this process (`read_file`,
median of the files), and the peak memory (PSS of the process tree, the larger of the two commands).
It also checks that every document was read with its unit's figures. Figures only, not a test.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import soctrang  # noqa: E402
from run import TTHC_XL, measure  # noqa: E402

from tthc_xl.core.layouts import load_layouts  # noqa: E402
from tthc_xl.core.model import UNIT  # noqa: E402
from tthc_xl.files.read import read_file  # noqa: E402


def write_documents(folder: Path, n: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        stt, name, values = soctrang.UNITS[i % len(soctrang.UNITS)]
        path = folder / f"{i:04d}_bao-cao.docx"
        soctrang.write_report_docx(path, tables=[("PHỤ LỤC I", soctrang.appendix_rows([(1, name, values)]))])
        paths.append(path)
    return paths


def to_pdf(documents: list[Path], folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [shutil.which("soffice"), f"-env:UserInstallation={Path(profile).as_uri()}", "--headless", "--norestore",
             "--convert-to", "pdf", "--outdir", str(folder), *map(str, documents)],
            capture_output=True, check=True, timeout=1800,
        )
    return sorted(folder.glob("*.pdf"))


def run(*words: str) -> tuple[float, float]:
    """(wall seconds, peak PSS MB of the process tree) of one `tthc-xl` command (run.measure)."""
    figures = measure([*TTHC_XL, *words])
    return figures["seconds"], figures["tree_mb"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=100)
    args = parser.parse_args()
    layouts = load_layouts()
    with tempfile.TemporaryDirectory(prefix="tthc-xl-bench-docs-") as work:
        work = Path(work)
        start = time.perf_counter()
        documents = write_documents(work / "docx", args.n)
        pdfs = to_pdf(documents, work / "pdf")
        print(f"{args.n} documents written in {time.perf_counter() - start:.1f} s (python-docx, then LibreOffice to PDF)")
        print(f"{'format':<6} {'check':>8} {'consolidate':>12} {'per document':>13} {'peak memory':>12} {'read right':>11}")
        for name, paths in (("docx", documents), ("pdf", pdfs)):
            check, peak = run("check", str(work / name))
            consolidate, peak_c = run("consolidate", str(work / name), "-o", str(work / f"{name}.xlsx"))
            times, right = [], 0
            for i, path in enumerate(paths):
                t = time.perf_counter()
                result = read_file(path, layouts)
                times.append(time.perf_counter() - t)
                _, unit, values = soctrang.UNITS[i % len(soctrang.UNITS)]
                rows = [r for table in result.tables for r in table.rows_of(UNIT)]
                right += len(rows) == 1 and [rows[0].cells[n].value for n in soctrang.COLUMNS] == values
            print(
                f"{name:<6} {check:>6.2f} s {consolidate:>10.2f} s {statistics.median(times) * 1000:>10.1f} ms "
                f"{max(peak, peak_c):>9.0f} MB {right:>6}/{len(paths)}"
            )

if __name__ == "__main__":
    main()
