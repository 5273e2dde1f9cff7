"""Write the bundled sample files from the test fixtures.

- `phu-luc-i-soc-trang-10-2019.xlsx` and `don-vi/`: the real Sóc Trăng appendix (Oct. 2019), one file
  per department, in the shapes units send;
- `tinh-hai-cap/`: a province of two levels (since 1 July 2025), its departments and the one-stop
  centres of its communes and wards (unit list `tinh-hai-cap`), with illustrative figures.

Run from the repository root: python samples/make_samples.py
"""

import sys
from pathlib import Path

here = Path(__file__).parent
sys.path.insert(0, str(here.parent / "tests"))
sys.path.insert(0, str(here.parent))

import soctrang  # noqa: E402

soctrang.write_appendix(here / "phu-luc-i-soc-trang-10-2019.xlsx")
for name, write in (("don-vi", soctrang.write_unit_files), ("tinh-hai-cap", soctrang.write_two_level_unit_files)):
    folder = here / name
    folder.mkdir(exist_ok=True)
    for old in folder.iterdir():
        old.unlink()
    for path in write(folder):
        print(path)

# The same report as units send it: a Word document (narrative, then Phụ lục I as a Word table)
# and the PDF LibreOffice exports from it (`tthc-xl check samples/bao-cao/`).
from tthc_xl.files.convert import convert_with_libreoffice  # noqa: E402

reports = here / "bao-cao"
reports.mkdir(exist_ok=True)
word = soctrang.write_report_docx(reports / "bao-cao-06-BC-TTHC-soc-trang-10-2019.docx")
word.with_suffix(".pdf").write_bytes(convert_with_libreoffice(word, word.read_bytes(), "pdf"))
print(word, word.with_suffix(".pdf"), sep="\n")
