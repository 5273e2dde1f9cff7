"""The workbook adapter: renders the master model with openpyxl, saves atomically, sets up pages,
exports PDF through LibreOffice, draws charts, writes unit templates and builds the button workbook."""

import sys as _sys

if "openpyxl" not in _sys.modules and "numpy" not in _sys.modules:
    # openpyxl imports numpy (0,2 s, most of its import time) only to accept numpy scalars as cell
    # values; the tool writes plain ints, floats and strings, so openpyxl is imported without it.
    _sys.modules["numpy"] = None
    try:
        import openpyxl  # noqa: F401
    finally:
        del _sys.modules["numpy"]
