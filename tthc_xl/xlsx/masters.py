"""Which engine writes a master: XlsxWriter for a new one, openpyxl to update one in place.

XlsxWriter writes a whole new file in one pass (formula results included) and imports in a few
milliseconds; openpyxl reads the clerk's workbook and keeps everything the tool does not own
(other sheets, the clerk's own cells, macros). The dossier check's extra sheets (`outcome.sheets`)
are drawn with openpyxl, so a consolidation carrying them is written by openpyxl too. Both engines
draw the same sheet plans and give the same workbook (tests/test_xlsxwriter_engine.py).

A master whose bytes are still those XlsxWriter wrote (the history remembers their digest and what
they were built from: files.history.as_written) holds nothing of the clerk's: it is written whole
again, which gives what updating it in place would give (tests/test_rewrite.py) in a fraction of
the time.

wolfxl 2.0.21 (openpyxl's API over Rust, a modify mode that patches the package) was measured as
the update engine and not taken: its modify-mode save grows with the square of the cells restyled
(a 1 000-unit region takes over a minute against openpyxl's 0,3 s), and on a sheet added in that mode
a hyperlink fails the save and page setup, protection, freezing and print titles raise
(bench/update_in_place.py --engines).
"""

from __future__ import annotations

from pathlib import Path


def writes_new(path, book=None, rewrite: bool = False, extra_sheets: bool = False) -> bool:
    """True when the XlsxWriter engine writes this master: no master there yet (or one to `rewrite`
    whole: as tthc-xl wrote it, untouched since), none opened, no extra sheets."""
    return book is None and (rewrite or not Path(path).exists()) and not extra_sheets


def save_master(outcome, path, book=None, chart_rows: list | None = None, rewrite: bool = False) -> str | None:
    """Write a consolidation into the master at `path` (or onto `book`, the master already opened
    with openpyxl). `chart_rows`: the periods of the "Biểu đồ" sheet (none: no chart sheet drawn).
    Returns the SHA-256 of a master written whole (by XlsxWriter); None for one updated in place."""
    if writes_new(path, book, rewrite, bool(getattr(outcome, "sheets", ()))):
        from tthc_xl.xlsx.xlsxwriter_book import save_new_master

        return save_new_master(outcome, Path(path), chart_rows)
    from tthc_xl.xlsx.render import save_master as update_master

    update_master(outcome, Path(path), book, chart_rows)
    return None


def engine_module(outcome_sheets: bool, path, rewrite: bool = False) -> str:
    """The module a consolidation into `path` will write with (imported while the workers read)."""
    return "tthc_xl.xlsx.xlsxwriter_book" if writes_new(path, None, rewrite, outcome_sheets) else "tthc_xl.xlsx.render"
