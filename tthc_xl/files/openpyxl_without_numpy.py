"""Import this before openpyxl: openpyxl is then imported without numpy.

openpyxl imports numpy (0,2 s, most of its import time) only to accept numpy scalars as cell values
(openpyxl.compat.numbers); the tool writes plain ints, floats and strings. Every module of the
package that uses openpyxl imports this first, so that whichever imports openpyxl first does it
without numpy; a process that has numpy already (pandas) keeps it.
"""

import sys

if "openpyxl" not in sys.modules and "numpy" not in sys.modules:
    sys.modules["numpy"] = None  # `import numpy` raises ImportError: openpyxl goes on without it
    try:
        import openpyxl  # noqa: F401
    finally:
        del sys.modules["numpy"]
