"""Render page 1 of the Sóc Trăng appendix, as `tthc-xl print` prints it, for the README.

Run from the repository root: python docs/make_screenshots.py
Needs LibreOffice and poppler-utils (pdftoppm), as the tests do.
"""

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

here = Path(__file__).parent
sys.path.insert(0, str(here.parent / "tests"))

import soctrang  # noqa: E402

from tthc_xl.files.sources import consolidate  # noqa: E402
from tthc_xl.core.layouts import load_layouts  # noqa: E402
from tthc_xl.core.master import Settings  # noqa: E402
from tthc_xl.xlsx.printing import export_pdf  # noqa: E402
from tthc_xl.xlsx.masters import save_master  # noqa: E402
from tthc_xl.core.units import load_units  # noqa: E402

DPI = 110
SETTINGS = Settings(  # as in the real report no. 06/BC-TTHC
    period="tháng 10 năm 2019",
    report_number="06/BC-TTHC",
    report_date="24/10/2019",
    issuer="Trung tâm Phục vụ hành chính công",
)

with tempfile.TemporaryDirectory() as work:
    work = Path(work)
    soctrang.write_unit_files(work / "don-vi")
    master = work / "tong-hop.xlsx"
    outcome = consolidate([work / "don-vi"], load_layouts(), None, load_units("soc-trang-so-nganh"), SETTINGS, output=str(master))
    save_master(outcome, master)
    pdf = export_pdf(master)
    target = here / "phu-luc-i-trang-1"
    pdftoppm = shutil.which("pdftoppm") or sys.exit("pdftoppm is missing: apt-get install poppler-utils")
    subprocess.run([pdftoppm, "-r", str(DPI), "-f", "1", "-l", "1", "-singlefile", "-png", str(pdf), str(target)], check=True)
    print(target.with_suffix(".png"))
