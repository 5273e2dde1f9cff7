"""Write the reference masters: `python tests/make_reference_masters.py` (by hand, then commit).

Each case of tests/reference_cases.py is consolidated by `tthc-xl consolidate`, then opened and
saved by LibreOffice (recalculating every formula) into tests/reference/<case>.xlsx.
"""

import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path[:0] = [str(Path(__file__).parent), str(Path(__file__).parent.parent)]
os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")

import office  # noqa: E402
import reference_cases  # noqa: E402


def main() -> None:
    reference_cases.REFERENCE.mkdir(exist_ok=True)
    for case in reference_cases.CASES:
        with tempfile.TemporaryDirectory() as work:
            master = reference_cases.by_command(case, Path(work) / "case")
            saved = office.convert(master, "xlsx:Calc MS Excel 2007 XML", Path(work) / "saved")
            shutil.copy(saved, reference_cases.REFERENCE / f"{case}.xlsx")
            print(reference_cases.REFERENCE / f"{case}.xlsx")


if __name__ == "__main__":
    main()
