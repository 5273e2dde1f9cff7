"""Files shipped with tthc-xl (templates/, addin/, the button workbook), wherever pip put them.

In a source checkout they sit beside the package; installed, they are data files under
`share/tthc-xl/`, which is `sys.prefix/share/tthc-xl` in a venv but elsewhere for `--user` or
`--prefix` installs, so the installed distribution's own file list is asked as the last resort.
"""

from __future__ import annotations

import sys
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[1]
DATA = ("share", "tthc-xl")


def shipped(*parts: str) -> Path | None:
    """The shipped file or folder `parts` (e.g. "templates"; "workbook", "tthc-xl-master.xlsm"), or None."""
    for candidate in (CHECKOUT.joinpath(*parts), Path(sys.prefix, *DATA, *parts)):
        if candidate.exists():
            return candidate
    import importlib.metadata  # a tenth of the start-up time: only for installs that keep files elsewhere

    try:
        files = importlib.metadata.distribution("tthc-xl").files or []
    except importlib.metadata.PackageNotFoundError:
        return None
    wanted = (*DATA, *parts)
    for file in files:
        names = file.parts
        for i in range(len(names) - len(wanted) + 1):
            if names[i:i + len(wanted)] == wanted:
                located = Path(file.locate()).resolve()
                below = len(names) - i - len(wanted)  # how far the listed file sits under what is wanted
                found = located.parents[below - 1] if below else located
                if found.exists():
                    return found
    return None
