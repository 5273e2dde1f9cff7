"""Which engine writes a master: XlsxWriter for a new one, openpyxl to update one in place.

XlsxWriter writes a whole new file in one pass (formula results included) and imports in a few
milliseconds; openpyxl reads the clerk's workbook and keeps everything the tool does not own
(other sheets, the clerk's own cells, macros). The dossier check's extra sheets (`outcome.sheets`)
are drawn with openpyxl, so a consolidation carrying them is written by openpyxl too. Both engines
draw the same sheet plans and give the same workbook (tests/test_xlsxwriter_engine.py).
"""

from __future__ import annotations

from pathlib import Path


def writes_new(outcome, path, book=None) -> bool:
    """True when the XlsxWriter engine writes this master: no master there yet, no extra sheets."""
    return book is None and not Path(path).exists() and not getattr(outcome, "sheets", ())


def save_master(outcome, path, book=None, chart_rows: list | None = None) -> None:
    """Write a consolidation into the master at `path` (or onto `book`, the master already opened
    with openpyxl). `chart_rows`: the periods of the "Biểu đồ" sheet (none: no chart sheet drawn)."""
    if writes_new(outcome, path, book):
        from tthc_xl.xlsx.xlsxwriter_book import save_new_master

        save_new_master(outcome, Path(path), chart_rows)
        return
    from tthc_xl.xlsx.render import save_master as update_master

    update_master(outcome, Path(path), book, chart_rows)


def engine_module(outcome_sheets: bool, path) -> str:
    """The module a consolidation into `path` will write with (imported while the workers read)."""
    if not outcome_sheets and not Path(path).exists():
        return "tthc_xl.xlsx.xlsxwriter_book"
    return "tthc_xl.xlsx.render"
