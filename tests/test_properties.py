"""Property tests (hypothesis): the checker, the reader and the sheet trimming, on generated tables.

* consistent layout-A tables (parts drawn, totals derived by the layout's rules) give no findings;
* changing one cell that a rule involves gives a finding whose suspects include that cell;
* a table written with openpyxl, its figures in the styles units use, reads back exactly;
* cells of a sheet written directly as XML read back exactly within the trimming limits, and
  nothing beyond them is loaded.
"""

import io
import tempfile
import zipfile
from pathlib import Path

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

import soctrang

from tthc_xl.core.layouts import load_layouts
from tthc_xl.core.model import PERCENT, TOTAL, UNIT, Cell, Row, Table
from tthc_xl.files.read import cell_ref, read_file, read_grids
from tthc_xl.core.rules import check_row, check_table, column_sums, percentages
from tthc_xl.files.read import MAX_ROWS
from tthc_xl.files.safe_open import MAX_SHEET_COLS, MAX_SHEET_ROWS

LAYOUTS = load_layouts()
LAYOUT = LAYOUTS["mau-a"]
BOUNDED = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
EQUALITIES = sorted({n for rule in LAYOUT.rules if rule.op == "=" for n in rule.columns})
INEQUALITY_ONLY = sorted({n for rule in LAYOUT.rules for n in rule.columns} - set(EQUALITIES))
FIRST_ROW = 8  # 0-based sheet row of the first unit row in the generated tables

count = st.integers(min_value=0, max_value=3000)


@st.composite
def consistent_values(draw) -> dict[int, int]:
    """A unit's figures: the parts drawn, every total derived by the layout's sum rules, all ≥ 0."""
    early, on_time, late, within, overdue = (draw(count) for _ in range(5))
    resolved, pending = early + on_time + late, within + overdue
    received = resolved + pending  # 3 = 6 + 10
    carried = draw(st.integers(0, received))
    new = received - carried  # 3 = 4 + 5
    values = {3: received, 4: carried, 5: new, 6: resolved, 7: early, 8: on_time, 9: late, 10: pending, 11: within,
              12: overdue, 13: draw(count), 14: draw(st.integers(0, new))}
    assert all(rule.holds(values) for rule in LAYOUT.rules)
    return values


def table_of(units: list[dict[int, int]], with_totals: bool = True) -> Table:
    rows = []
    for i, values in enumerate(units):
        r = FIRST_ROW + i
        cells = {n: Cell(cell_ref(r, n - 1), v, v) for n, v in values.items()}
        rows.append(Row(UNIT, f"Đơn vị {i + 1}", cells, f"Đơn vị {i + 1}", cell_ref(r, 1)))
    if with_totals:
        unit_rows = list(rows)
        sums = column_sums(unit_rows, LAYOUT)
        r = FIRST_ROW + len(units)
        rows.append(Row(TOTAL, "Tổng cộng", {n: Cell(cell_ref(r, n - 1), v, v) for n, v in sums.items()}, "Tổng cộng", cell_ref(r, 1)))
        shares = percentages(sums, LAYOUT)
        rows.append(Row(PERCENT, "Tỷ lệ %", {n: Cell(cell_ref(r + 1, n - 1), v, v) for n, v in shares.items()}, "Tỷ lệ %", cell_ref(r + 1, 1)))
    return Table(file="sinh-ngau-nhien.xlsx", sheet="Phụ lục I", layout=LAYOUT, rows=rows, first_row=FIRST_ROW + 1)


@BOUNDED
@given(st.lists(consistent_values(), min_size=1, max_size=6))
def test_consistent_tables_give_no_findings(units):
    assert check_table(table_of(units)) == []


@st.composite
def one_cell_changed(draw):
    values = draw(consistent_values())
    column = draw(st.sampled_from(EQUALITIES + INEQUALITY_ONLY))
    if column in EQUALITIES:  # any other value breaks an equality
        new = draw(st.integers(0, 10_000).filter(lambda v: v != values[column]))
    else:  # 14 ≤ 5 only notices values above column 5
        new = values[5] + draw(st.integers(1, 5000))
    return values, column, new


@BOUNDED
@given(one_cell_changed())
def test_one_changed_cell_is_among_the_suspects(case):
    values, column, new = case
    changed = {**values, column: new}
    assume(any(not rule.holds(changed) for rule in LAYOUT.rules))
    table = table_of([changed], with_totals=False)
    row = table.rows[0]
    findings = check_row(table, row)
    assert findings
    ref = row.cells[column].ref
    assert all(ref in f.suspects for f in findings), (ref, [(f.rule, f.suspects) for f in findings])


# --------------------------------------------------------------------------------------
# Reading back what a writer wrote
# --------------------------------------------------------------------------------------


def styled(value: int, style: str):
    """A figure the way some unit types it."""
    if style == "int":
        return value
    if style == "float":
        return float(value)
    if style == "dots":
        return f"{value:,}".replace(",", ".")
    if style == "spaces":
        return f" {value:,} ".replace(",", ".")
    if style == "zero-dash":
        return "-" if value == 0 else value
    if style == "zero-blank":
        return None if value == 0 else value
    return "00" if value == 0 else str(value)  # "zero-00"


STYLES = ["int", "float", "dots", "spaces", "zero-dash", "zero-blank", "zero-00"]


@st.composite
def written_rows(draw):
    units = draw(st.lists(st.sampled_from([name for _, name, _ in soctrang.UNITS]), min_size=1, max_size=4, unique=True))
    rows = []
    for name in units:
        values = {n: draw(st.one_of(st.just(0), st.integers(0, 999_999))) for n in LAYOUT.count_columns}
        styles = {n: draw(st.sampled_from(STYLES)) for n in LAYOUT.count_columns}
        rows.append((name, values, styles))
    return rows, draw(st.booleans())


@BOUNDED
@given(written_rows())
def test_a_table_written_in_any_style_reads_back_exactly(case):
    rows, plain_number_row = case
    wb = Workbook()
    ws = wb.active
    for r, header in enumerate(soctrang.HEADER_ROWS, start=1):
        for c, text in enumerate(header, start=1):
            if text is not None:
                ws.cell(r, c, text)
    for ref in soctrang.MERGES:
        ws.merge_cells(ref)
    number_row = soctrang.PLAIN_NUMBER_ROW if plain_number_row else soctrang.NUMBER_ROW
    for c, text in enumerate(number_row, start=1):
        if text is not None:
            ws.cell(4, c, text)
    for i, (name, values, styles) in enumerate(rows):
        ws.cell(5 + i, 1, i + 1)
        ws.cell(5 + i, 2, name)
        for n, value in values.items():
            ws.cell(5 + i, n, styled(value, styles[n]))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "don-vi.xlsx"
        wb.save(path)
        result = read_file(path, LAYOUTS)
    assert result.error == ""
    [table] = result.tables
    assert [(row.unit, row.values()) for row in table.rows] == [(name, values) for name, values, _ in rows]


# --------------------------------------------------------------------------------------
# Trimming a sheet written directly as XML
# --------------------------------------------------------------------------------------

ROWS_NEAR_LIMIT = st.one_of(st.integers(1, 40), st.integers(MAX_SHEET_ROWS - 3, MAX_SHEET_ROWS + 3), st.integers(MAX_SHEET_ROWS, 1_048_576))
COLS_NEAR_LIMIT = st.one_of(st.integers(1, 20), st.integers(MAX_SHEET_COLS - 2, MAX_SHEET_COLS + 2), st.integers(MAX_SHEET_COLS, 16_384))


def column_letters(number: int) -> str:
    return cell_ref(0, number - 1)[:-1]


@BOUNDED
@given(st.dictionaries(st.tuples(ROWS_NEAR_LIMIT, COLS_NEAR_LIMIT), st.integers(0, 10**6), min_size=1, max_size=30))
def test_cells_within_the_limits_read_back_exactly_and_nothing_beyond_is_loaded(cells):
    rows: dict[int, list[tuple[int, int]]] = {}
    for (r, c), value in sorted(cells.items()):
        rows.setdefault(r, []).append((c, value))
    sheet = b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    for r, items in rows.items():
        sheet += b'<row r="%d">' % r + b"".join(b'<c r="%s%d"><v>%d</v></c>' % (column_letters(c).encode(), r, v) for c, v in items) + b"</row>"
    sheet += b"</sheetData></worksheet>"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types xmlns='http://schemas.openxmlformats.org/package/2006/content-types'/>")
        archive.writestr("_rels/.rels", "<Relationships xmlns='http://schemas.openxmlformats.org/package/2006/relationships'><Relationship Id='rId1' Type='http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument' Target='xl/workbook.xml'/></Relationships>")
        archive.writestr("xl/workbook.xml", "<workbook xmlns='http://schemas.openxmlformats.org/spreadsheetml/2006/main' xmlns:r='http://schemas.openxmlformats.org/officeDocument/2006/relationships'><sheets><sheet name='Trang 1' sheetId='1' r:id='rId1'/></sheets></workbook>")
        archive.writestr("xl/_rels/workbook.xml.rels", "<Relationships xmlns='http://schemas.openxmlformats.org/package/2006/relationships'><Relationship Id='rId1' Type='http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet' Target='worksheets/sheet1.xml'/></Relationships>")
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "thua.xlsx"
        path.write_bytes(buffer.getvalue())
        [grid] = read_grids(path)
    inside = {(r - 1, c - 1): v for (r, c), v in cells.items() if r <= MAX_SHEET_ROWS and c <= MAX_SHEET_COLS}
    read = {
        (grid.top + i, grid.left + j): value
        for i, row in enumerate(grid.values)
        for j, value in enumerate(row)
        if value != ""
    }
    assert read == {k: float(v) for k, v in inside.items() if k[0] - grid.top < MAX_ROWS}
    assert grid.bottom <= MAX_SHEET_ROWS and grid.right <= MAX_SHEET_COLS
    assert grid.trimmed == (len(inside) < len(cells))


@st.composite
def sheet_xml(draw) -> bytes:
    """A worksheet part with plain, formula-without-result and error cells, rows near the limits, odd spacing."""
    rows = draw(st.lists(st.integers(1, MAX_SHEET_ROWS + 5), min_size=1, max_size=12, unique=True))
    prefix = draw(st.sampled_from([b"", b"x:"]))
    parts = [b'<?xml version="1.0"?><' + prefix + b'worksheet xmlns' + (b":x" if prefix else b"") +
             b'="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><' + prefix + b'dimension ref="A1:B2"/><' + prefix + b"sheetData>"]
    for r in sorted(rows):
        cells = []
        for c in sorted(draw(st.lists(st.integers(1, MAX_SHEET_COLS + 3), max_size=5, unique=True))):
            ref = b"%s%d" % (column_letters(c).encode(), r)
            kind = draw(st.sampled_from(["value", "formula", "error", "string", "empty"]))
            cells.append({
                "value": b'<%sc r="%s"><%sv>7</%sv></%sc>' % (prefix, ref, prefix, prefix, prefix),
                "formula": b'<%sc r="%s"><%sf>A1+1</%sf><%sv></%sv></%sc>' % (prefix, ref, prefix, prefix, prefix, prefix, prefix),
                "error": b'<%sc r="%s" t="e"><%sv>#REF!</%sv></%sc>' % (prefix, ref, prefix, prefix, prefix),
                "string": b'<%sc r="%s" t="inlineStr"><%sis><%st>a &lt;row&gt; b</%st></%sis></%sc>' % ((prefix, ref) + (prefix,) * 5),
                "empty": b'<%sc r="%s" s="1"/>' % (prefix, ref),
            }[kind])
        spacing = draw(st.sampled_from([b"", b"\n  ", b" " * 100]))
        parts.append(spacing + b'<%srow r="%d" spans="1:3">' % (prefix, r) + spacing.join(cells) + b"</%srow>" % prefix)
    parts.append(b"</%ssheetData><%smergeCells count=\"0\"/></%sworksheet>" % (prefix, prefix, prefix))
    return b"".join(parts)


@BOUNDED
@given(sheet_xml(), st.integers(1, 64))
def test_scanning_a_sheet_does_not_depend_on_where_the_stream_cuts_it(xml, chunk):
    from tthc_xl.files import safe_open

    whole = safe_open.scan_sheet("x.xlsx", io.BytesIO(xml))
    original = safe_open._CHUNK
    safe_open._CHUNK = chunk
    try:
        pieces = safe_open.scan_sheet("x.xlsx", io.BytesIO(xml))
    finally:
        safe_open._CHUNK = original
    assert (pieces.formulas, pieces.errors, pieces.data) == (whole.formulas, whole.errors, whole.data)
    assert all(r < MAX_SHEET_ROWS and c < MAX_SHEET_COLS for r, c in {**whole.formulas, **whole.errors})
    if whole.data is not None:  # the trimmed part is still well-formed XML, without the old dimension
        import xml.etree.ElementTree as ElementTree

        root = ElementTree.fromstring(whole.data)
        assert not [e for e in root.iter() if e.tag.endswith("}dimension")]
        rows = [int(e.get("r")) for e in root.iter() if e.tag.endswith("}row")]
        assert all(r <= MAX_SHEET_ROWS for r in rows)
