"""A worksheet's <sheetData> as openpyxl writes it, byte for byte, in a fraction of the time, with
each formula's computed value stored in its cell.

openpyxl writes a cell through lxml's incremental writer, element by element: on a master that is
most of the time an update spends saving. The cells the tool writes (text, numbers, formulas) are
formatted here as plain strings; any other cell (a date, a boolean, rich text, an array formula…,
as a clerk may type outside the tool's region) is written by openpyxl's own cell writer. Either
way the side effects are openpyxl's, in its order: style indexes registered, notes and links
collected for the parts written after the cells (tests/test_update_in_place.py compares the bytes
with openpyxl's on every kind of cell).
"""

from __future__ import annotations

import io
from collections import defaultdict

from tthc_xl.files import openpyxl_without_numpy  # noqa: F401 - first: openpyxl without numpy
from openpyxl import LXML
from openpyxl.cell._writer import write_cell
from openpyxl.comments.comment_sheet import CommentRecord
from openpyxl.compat import safe_string
from openpyxl.utils import get_column_letter
from openpyxl.xml.functions import xmlfile

# The fast path mirrors lxml's output; without lxml openpyxl writes differently and does it alone.
FAST = LXML

_NUMBERS = (int, float)


def _text(value: str) -> str:
    """Escaped as libxml2 escapes text (non-ASCII characters become references on encoding)."""
    if "&" in value or "<" in value or ">" in value or "\r" in value:
        value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    return value


def _attribute(value: str) -> str:
    return _text(value).replace('"', "&quot;").replace("\n", "&#10;").replace("\t", "&#9;")


def _result(value) -> str:
    """A formula's computed value as it is stored: whole floats without their ".0"."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return _text(str(value))


def _by_openpyxl(ws, cell, styled: bool) -> str:
    out = io.BytesIO()
    with xmlfile(out) as xf:
        write_cell(xf, ws, cell, styled)
    return out.getvalue().decode("ascii")


def sheet_data(ws, computed: dict[str, object] | None = None) -> bytes:
    """The <sheetData> element of `ws` as openpyxl's WorksheetWriter.write_rows writes it, each
    formula cell holding its value from `computed` (A1 → value) when there is one."""
    computed = computed or {}
    rows: dict[int, list] = defaultdict(list)
    for (row, _), cell in sorted(ws._cells.items()):
        rows[row].append(cell)
    for row in ws.row_dimensions.keys() - rows.keys():  # rows with a height or a look and no cells
        rows[row] = []
    letters: dict[int, str] = {}
    dimensions = ws.row_dimensions
    out = ["<sheetData>"]
    for row_index, cells in sorted(rows.items()):
        attributes = {"r": f"{row_index}"}
        attributes.update(dimensions.get(row_index, {}))
        out.append("<row" + "".join(f' {k}="{_attribute(v)}"' for k, v in attributes.items()) + ">")
        for cell in cells:
            if cell._comment is not None:
                ws._comments.append(CommentRecord.from_cell(cell))
            styled = cell.has_style
            value = cell._value
            if value is None and not styled and not cell._comment:
                continue
            kind, plain = cell.data_type, type(value)
            if not (kind == "n" and (value is None or plain in _NUMBERS) or kind in ("s", "f") and (value is None or plain is str)):
                out.append(_by_openpyxl(ws, cell, styled))
                continue
            column = cell.column
            letter = letters.get(column) or letters.setdefault(column, get_column_letter(column))
            coordinate = f"{letter}{cell.row}"
            head = f'<c r="{coordinate}"' + (f' s="{cell.style_id}"' if styled else "")
            if kind == "s":
                head += ' t="inlineStr"'
            elif kind != "f":
                head += f' t="{kind}"'
            if cell.hyperlink:
                ws._hyperlinks.append(cell.hyperlink)
            if value is None or value == "":
                out.append(head + "></c>")
            elif kind == "f":
                result = computed.get(coordinate)
                out.append(f"{head}><f>{_text(value[1:])}</f><v>{'' if result is None else _result(result)}</v></c>")
            elif kind == "s":
                space = ' xml:space="preserve"' if value != value.strip() else ""
                out.append(f"{head}><is><t{space}>{_text(value)}</t></is></c>")
            else:
                out.append(f"{head}><v>{safe_string(value)}</v></c>")
        out.append("</row>")
    out.append("</sheetData>")
    return "".join(out).encode("ascii", "xmlcharrefreplace")
