"""How long `check-report` takes on a narrative report alone, by format and by length.

    python bench/check_report.py               # the Lạng Sơn + Trà Cú texts, 1 and 20 copies
    python bench/check_report.py --copies 1 50

For each length it writes the report (the texts of tests/reports_text.py, repeated) as .txt, .docx
and .pdf (LibreOffice's export of the .docx), then times, in process, reading the document
(`files.text_docs.read_document`) and checking it (`report.check.check_text`), median of --runs.
Figures are printed, to be compared within one run on one machine.
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
sys.path.insert(0, str(HERE.parent / "tests"))
sys.path.insert(0, str(HERE.parent))

from reports_text import LANG_SON, TRA_CU  # noqa: E402

from tthc_xl.core.layouts import load_layouts  # noqa: E402
from tthc_xl.files.text_docs import read_document  # noqa: E402
from tthc_xl.report.check import check_text  # noqa: E402


def write(paragraphs: list[str], folder: Path) -> dict[str, Path]:
    import docx

    txt = folder / "bao-cao.txt"
    txt.write_text("\n\n".join(paragraphs), encoding="utf-8")
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    source = folder / "bao-cao.docx"
    document.save(str(source))
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    subprocess.run([soffice, f"-env:UserInstallation={(folder / 'profile').as_uri()}", "--headless",
                    "--convert-to", "pdf", "--outdir", str(folder), str(source)], capture_output=True, timeout=300)
    return {"txt": txt, "docx": source, "pdf": folder / "bao-cao.pdf"}


def timed(function, runs: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, nargs="+", default=[1, 20])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    layouts = load_layouts()
    print(f"{'copies':>6} {'paragraphs':>10} {'format':>6} {'read ms':>9} {'check ms':>9} {'figures':>8}")
    for copies in args.copies:
        paragraphs = (LANG_SON + TRA_CU) * copies
        with tempfile.TemporaryDirectory(prefix="tthc-xl-bench-report-") as work:
            for kind, path in write(paragraphs, Path(work)).items():
                read_s, document = timed(lambda: read_document(path), args.runs)
                check_s, result = timed(lambda: check_text(document.paragraphs, layouts=layouts), args.runs)
                print(f"{copies:>6} {len(document.paragraphs):>10} {kind:>6} {read_s * 1000:>9.1f} "
                      f"{check_s * 1000:>9.1f} {len(result.figures):>8}")


if __name__ == "__main__":
    main()
