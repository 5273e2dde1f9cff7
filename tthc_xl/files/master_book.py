"""A master workbook opened with openpyxl, read back: the clerk's settings from its named cells.

Reading only; the openpyxl adapter (tthc_xl.xlsx.render) writes the same names.
"""

from __future__ import annotations

from tthc_xl.core.contract import SETTINGS
from tthc_xl.core.master import Settings


def read_settings(book) -> Settings:
    """The clerk's settings from the named cells, wherever they are (the "Cài đặt" sheet or the buttons sheet)."""
    settings = Settings()
    for name, _, attribute in SETTINGS:
        value = _named_value(book, name)
        if value not in (None, ""):
            setattr(settings, attribute, str(value).strip())
    return settings


def _named_value(book, name: str):
    if name not in book.defined_names:
        return None
    for sheet, ref in book.defined_names[name].destinations:
        if sheet in book.sheetnames:
            return book[sheet][ref.replace("$", "").split(":")[0]].value
    return None
