"""A master workbook opened with openpyxl, read back: the clerk's settings from its named cells and
its appendix table, so a run that updates a master parses it once.

Reading only; the openpyxl adapter (tthc_xl.xlsx.render) writes the same names.
"""

from __future__ import annotations

from pathlib import Path

from tthc_xl.core.contract import IDENTITY_NAME, MASTER_SHEET, SETTINGS, TABLE_NAME
from tthc_xl.core.layouts import Layout
from tthc_xl.core.master import Settings
from tthc_xl.core.model import Table
from tthc_xl.files.read import Grid, read_grids_tables


def master_table(book, path, layouts: dict[str, Layout], form: str | None = None) -> Table | None:
    """The appendix table on the sheet the tool wrote (the TTHC_BANG name, else "Phụ lục I") of a
    master opened for writing: its layout, units and groups. Formula cells hold their formulas
    there, not figures: use it for what the table is, not for its numbers."""
    sheets = [s for s, _ in book.defined_names[TABLE_NAME].destinations] if TABLE_NAME in book.defined_names else []
    name = next((s for s in sheets + [MASTER_SHEET] if s in book.sheetnames), None)
    if name is None:
        return None
    # Formula cells read as blank: the figures are not wanted here, and computing them again would
    # cost more than the rest of the update. The grid from the cells the sheet holds (iter_rows would
    # make an empty cell object for every blank of the rectangle first).
    sheet = book[name]
    width = sheet.max_column  # computed from every cell: once
    values = [[""] * width for _ in range(sheet.max_row)]
    for (row, col), cell in sheet._cells.items():
        if cell.value is not None and cell.data_type != "f":
            values[row - 1][col - 1] = cell.value
    result = read_grids_tables([Grid(name, values)], Path(path), layouts, form)
    return result.tables[0] if result.tables else None


def read_settings(book) -> Settings:
    """The clerk's settings from the named cells, wherever they are (the "Cài đặt" sheet or the buttons sheet)."""
    settings = Settings()
    for name, _, attribute in SETTINGS:
        value = named_value(book, name)
        if value not in (None, ""):
            setattr(settings, attribute, str(value).strip())
    if IDENTITY_NAME in book.defined_names:  # the master's identity: the history beside it belongs to this master
        settings.identity = (book.defined_names[IDENTITY_NAME].attr_text or "").strip('"')
    return settings


def named_value(book, name: str):
    """The value of the cell a defined name points at, or None."""
    if name not in book.defined_names:
        return None
    for sheet, ref in book.defined_names[name].destinations:
        if sheet in book.sheetnames:
            return book[sheet][ref.replace("$", "").split(":")[0]].value
    return None
