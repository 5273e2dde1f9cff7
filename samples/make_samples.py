"""Write the bundled sample files from the test fixtures (the real Sóc Trăng appendix, Oct. 2019).

Run from the repository root: python samples/make_samples.py
"""

import sys
from pathlib import Path

here = Path(__file__).parent
sys.path.insert(0, str(here.parent / "tests"))

import soctrang  # noqa: E402

soctrang.write_appendix(here / "phu-luc-i-soc-trang-10-2019.xlsx")
units = here / "don-vi"
units.mkdir(exist_ok=True)
for old in units.iterdir():
    old.unlink()
for path in soctrang.write_unit_files(units):
    print(path)
