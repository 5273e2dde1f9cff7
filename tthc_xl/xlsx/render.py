"""Render the master model onto an .xlsx/.xlsm with openpyxl (the CLI's and the tests' adapter).

The table region (title block to the previous-period rows) belongs to the tool and is rewritten on
every run; other sheets and everything outside the region stay as the clerk left them.
"""

from __future__ import annotations

import io
import os
import re
import tempfile
import zipfile
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook.defined_name import DefinedName

from tthc_xl.core import style
from tthc_xl.core.contract import CHECK_SHEET, CONTROL_SHEET, FOLDER_NAME, FORM_NAME, IDENTITY_NAME, SETTINGS, SETTINGS_SHEET, TABLE_NAME
from tthc_xl.core.marks import check_sheet
from tthc_xl.core.master import Master, Settings
from tthc_xl.core.model import Finding
from tthc_xl.core.sheet_plan import check_plan, draw, master_plan
from tthc_xl.files.master_book import named_value, read_settings  # noqa: F401 - read_settings: where the CLI found it
from tthc_xl.files.locking import MasterError  # noqa: F401 - raised here, defined where the CLI can catch it without openpyxl
from tthc_xl.xlsx.charts import add_chart_sheet
from tthc_xl.xlsx.sheet_writer import OpenpyxlSheet, fill_of as _fill
from tthc_xl.xlsx.printing import apply_print_setup, settings_print_settings


def _font(size=style.TABLE_SIZE, bold=False, italic=False) -> Font:
    return Font(name=style.FONT, size=size, bold=bold, italic=italic)


def open_or_new(path: Path) -> Workbook:
    if path.exists():
        try:
            return load_workbook(path, keep_vba=path.suffix.lower() == ".xlsm", keep_links=True)
        except Exception as exc:  # openpyxl raises many kinds for a broken or encrypted file
            raise MasterError(
                f"Không mở được bảng tổng hợp {path.name} ({type(exc).__name__}): tệp hỏng hoặc có mật khẩu. "
                "Hãy lấy bản gần nhất trong thư mục .sao-luu cạnh tệp, hoặc ghi ra tệp mới (-o tên-khác.xlsx)."
            ) from None
    book = Workbook()
    book.remove(book.active)
    return book


def write_settings(book: Workbook, settings: Settings) -> None:
    """Named cells for the settings; created on a "Cài đặt" sheet when the workbook has none."""
    if settings.identity:
        book.defined_names[IDENTITY_NAME] = DefinedName(IDENTITY_NAME, attr_text=f'"{settings.identity}"')
    if all(name in book.defined_names for name, _, _ in SETTINGS):
        for name, _, attribute in SETTINGS:
            value = getattr(settings, attribute)
            for sheet, ref in book.defined_names[name].destinations:
                if value and sheet in book.sheetnames:
                    book[sheet][ref.replace("$", "")].value = value
        return
    sheet = book[SETTINGS_SHEET] if SETTINGS_SHEET in book.sheetnames else book.create_sheet(SETTINGS_SHEET)
    sheet["A1"] = "CÀI ĐẶT BẢNG TỔNG HỢP"
    sheet["A1"].font = _font(13, bold=True)
    rows = [(name, label, getattr(settings, attribute)) for name, label, attribute in SETTINGS]
    rows.append((FOLDER_NAME, "Thư mục báo cáo đơn vị", ""))
    for index, (name, label, value) in enumerate(rows, start=3):
        sheet.cell(index, 1, label).font = _font(bold=True)
        cell = sheet.cell(index, 2)
        if value or cell.value is None:
            cell.value = value or None
        cell.fill = _fill(style.INPUT_FILL)
        book.defined_names[name] = DefinedName(name, attr_text=f"{quote_sheetname(SETTINGS_SHEET)}!$B${index}")
    sheet.column_dimensions["A"].width = 28
    sheet.column_dimensions["B"].width = 60
    apply_print_setup(sheet, settings_print_settings(2 + len(rows), {1: 28, 2: 60}))


def save_master(outcome, path: Path, book: Workbook | None = None, chart_rows: list | None = None) -> None:
    """Write a consolidation into the master at `path` (or onto `book`, the master already opened).

    `chart_rows` are the periods the "Biểu đồ" sheet shows (the history's, passed in by the command:
    the writer never reads storage); without them the chart sheet is left as it is."""
    book = book or open_or_new(path)
    cached = render(outcome, book, str(path), chart_rows)
    save_atomically(book, path, cached)


def read_form(book: Workbook) -> str:
    """The layout the master was built with, as its "Mẫu biểu" cell names it (a name or a layout file's path)."""
    value = named_value(book, FORM_NAME)
    return str(value).strip() if value not in (None, "") else ""


def write_form(book: Workbook, layout) -> None:
    """Remember the layout on the settings sheet: its name, its file when it is not a shipped one, or what it was inferred from."""
    if layout.inferred:
        value = layout.label
    elif layout.source and Path(layout.source).parent.name == "forms" and Path(layout.source).parent.parent.name == "templates":
        value = layout.name
    else:
        value = str(Path(layout.source).resolve()) if layout.source else layout.name
    if FORM_NAME in book.defined_names:
        for sheet, ref in book.defined_names[FORM_NAME].destinations:
            if sheet in book.sheetnames:
                book[sheet][ref.replace("$", "")].value = value
        return
    if SETTINGS_SHEET not in book.sheetnames:
        return
    sheet = book[SETTINGS_SHEET]
    row = sheet.max_row + 1
    sheet.cell(row, 1, "Mẫu biểu").font = _font(bold=True)
    sheet.cell(row, 2, value)
    book.defined_names[FORM_NAME] = DefinedName(FORM_NAME, attr_text=f"{quote_sheetname(SETTINGS_SHEET)}!$B${row}")


def render(outcome, book: Workbook, output: str, chart_rows: list | None = None) -> dict[str, dict[str, object]]:
    """Write the master onto the workbook; returns the computed value of every formula cell by sheet."""
    master = outcome.master
    write_settings(book, master.settings)
    write_form(book, master.layout)
    if master.sheet in book.sheetnames:
        sheet = book[master.sheet]
        _clear_region(book, sheet)
    else:
        sheet = book.create_sheet(master.sheet, 0 if CONTROL_SHEET not in book.sheetnames else 1)
    in_master = [f for f in outcome.findings if f.file == output and f.sheet == master.sheet]
    plan = master_plan(master, in_master)
    draw(plan, OpenpyxlSheet(book, sheet))
    write_check_sheet(book, master, outcome.findings, outcome.sources, outcome.notes, output)
    for write_sheet in getattr(outcome, "sheets", ()):  # e.g. the dossier check's "Hồ sơ lệch", "Chỉ số"
        write_sheet(book)
    if chart_rows is not None:
        add_chart_sheet(book, chart_rows)
    return {master.sheet: _by_coordinate(plan.computed)}


def _by_coordinate(computed: dict[tuple[int, int], object]) -> dict[str, object]:
    return {f"{get_column_letter(col)}{row}": value for (row, col), value in computed.items()}


def _clear_region(book: Workbook, sheet) -> None:
    """Forget what the previous run wrote: values, styles, merges, notes in the tool's region."""
    if TABLE_NAME not in book.defined_names:
        return
    for _, ref in book.defined_names[TABLE_NAME].destinations:
        ref = ref.replace("$", "")
        first, last = ref.split(":")
        last_row = int(re.sub(r"[A-Z]+", "", last))
        last_col = sheet[last].column
        for merged in list(sheet.merged_cells.ranges):
            if merged.min_row <= last_row and merged.min_col <= last_col:
                sheet.unmerge_cells(str(merged))
        for row in sheet.iter_rows(min_row=1, max_row=last_row, max_col=last_col):
            for cell in row:
                cell.value = None
                cell.style = "Normal"
                cell.comment = None
                cell.hyperlink = None
    sheet.protection.sheet = False


def write_table(master: Master, sheet) -> dict[str, object]:
    """The master's table alone on `sheet` (a unit's template): the sheet plan without marks or names."""
    plan = master_plan(master, [])
    plan.names = {}
    draw(plan, OpenpyxlSheet(sheet.parent, sheet))
    return _by_coordinate(plan.computed)


def write_check_sheet(book: Workbook, master: Master, findings: list[Finding], sources: list[dict], notes: list[str], output: str) -> None:
    """The "Kiểm tra" sheet of marks.check_sheet, its links as cell hyperlinks."""
    if CHECK_SHEET in book.sheetnames:
        del book[CHECK_SHEET]
    sheet = book.create_sheet(CHECK_SHEET, book.sheetnames.index(master.sheet) + 1)
    content = check_sheet(findings, master.missing, sources, notes, output, master.sheet)
    draw(check_plan(CHECK_SHEET, content), OpenpyxlSheet(book, sheet))


def save_atomically(book: Workbook, path: Path, cached: dict[str, dict[str, object]]) -> None:
    """Write to a temporary file beside the master, then rename: a crash leaves the old master whole.

    In order: refuse (MasterNotWritable, nothing changed) when the master is open in Excel, read-only
    or its folder takes no files; remove the temporary files of runs that died; create the temporary
    file `.{stem}-{pid}-….xlsx` beside the master, fill it, flush and fsync it; keep the previous master
    as `.sao-luu/{stem}-{yyyy-mm-ddThhmm}{suffix}` (the time it was last saved; identical copies are not
    kept twice, the last BACKUPS are); rename the temporary file over the master; fsync the folder.
    A process killed at any point leaves either the old master or the new one, never a torn file.
    """
    from tthc_xl.files.locking import MasterNotWritable, check_master_writable, folder_message, open_in_excel_message, write_failed_message

    path = Path(path)
    check_master_writable(path)
    remove_stale_temporaries(path)
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.stem}-{os.getpid()}-", suffix=path.suffix, dir=path.parent)
    except PermissionError:
        raise MasterNotWritable(folder_message(path)) from None
    except OSError as exc:
        raise MasterNotWritable(write_failed_message(path, exc.strerror or str(exc))) from None
    try:
        with os.fdopen(handle, "wb") as out:
            buffer = io.BytesIO()
            book.calculation.fullCalcOnLoad = True
            book.save(buffer)
            data = with_cached_values(buffer.getvalue(), cached)
            del buffer
            for start in range(0, len(data), _WRITE_CHUNK):
                out.write(data[start : start + _WRITE_CHUNK])
            out.flush()
            os.fsync(out.fileno())
        _keep_mode(path, Path(temporary))
        back_up(path)
        os.replace(temporary, path)
    except PermissionError:  # Windows: Excel opened the master meanwhile
        Path(temporary).unlink(missing_ok=True)
        raise MasterNotWritable(open_in_excel_message(path)) from None
    except OSError as exc:  # a full disk, a share gone away: the old master is still whole
        Path(temporary).unlink(missing_ok=True)
        raise MasterNotWritable(write_failed_message(path, exc.strerror or str(exc))) from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    _fsync_folder(path.parent)
    prune_backups(path)


BACKUP_FOLDER = ".sao-luu"
BACKUPS = 10  # backups kept per master
_WRITE_CHUNK = 2**20
_STALE_AFTER = 3600  # seconds; where a process cannot be asked whether it lives (Windows)


def backup_pattern(path: Path) -> re.Pattern:
    """`{stem}-2026-11-23T0905{suffix}`, or `…T0905-2{suffix}` for a second version saved in the same minute."""
    return re.compile(rf"^{re.escape(path.stem)}-(\d{{4}}-\d{{2}}-\d{{2}}T\d{{4}})(?:-(\d+))?{re.escape(path.suffix)}$")


def backups(path: Path) -> list[Path]:
    """The master's backups in `.sao-luu/` beside it, oldest first."""
    folder = Path(path).parent / BACKUP_FOLDER
    if not folder.is_dir():
        return []
    pattern = backup_pattern(Path(path))
    found = []
    for item in folder.iterdir():
        match = pattern.match(item.name)
        if match and item.is_file():
            found.append(((match[1], int(match[2] or 1)), item))
    return [item for _, item in sorted(found)]


def back_up(path: Path) -> Path | None:
    """Keep the master about to be replaced in `.sao-luu/`, named by the time it was last saved.

    A copy (never a hard link: a program saving the master in place would change the backup too),
    completed and fsynced under a temporary name, then renamed, so a backup is never half written.
    Nothing is kept when the newest backup already holds the same bytes.
    """
    import datetime as dt
    import filecmp
    import shutil

    path = Path(path)
    if not path.is_file():
        return None
    existing = backups(path)
    if existing and filecmp.cmp(existing[-1], path, shallow=False):
        return existing[-1]
    folder = path.parent / BACKUP_FOLDER
    folder.mkdir(exist_ok=True)
    stamp = dt.datetime.fromtimestamp(path.stat().st_mtime).strftime("%Y-%m-%dT%H%M")
    target = folder / f"{path.stem}-{stamp}{path.suffix}"
    count = 1
    while target.exists():
        count += 1
        target = folder / f"{path.stem}-{stamp}-{count}{path.suffix}"
    handle, partial = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(handle, "wb") as out, open(path, "rb") as source:
            shutil.copyfileobj(source, out)
            out.flush()
            os.fsync(out.fileno())
        shutil.copystat(path, partial)
        os.replace(partial, target)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
    return target


def prune_backups(path: Path, keep: int = BACKUPS) -> None:
    """Remove all but the newest `keep` backups of the master (never anything else in the folder)."""
    for old in backups(path)[:-keep] if keep else backups(path):
        try:
            old.unlink()
        except OSError:
            pass  # a backup someone has open stays; the next run tries again


def remove_stale_temporaries(path: Path) -> list[Path]:
    """Temporary files `.{stem}-{pid}-….{suffix}` left beside the master by runs that died; removed, and returned."""
    import time

    path = Path(path)
    pattern = re.compile(rf"^\.{re.escape(path.stem)}-(\d+)-[A-Za-z0-9_]+{re.escape(path.suffix)}$")
    removed = []
    for item in path.parent.glob(f".{glob_escape(path.stem)}-*{glob_escape(path.suffix)}"):
        match = pattern.match(item.name)
        if not match or int(match[1]) == os.getpid():
            continue
        try:
            if _process_alive(int(match[1])) and time.time() - item.stat().st_mtime < _STALE_AFTER:
                continue
            item.unlink()
            removed.append(item)
        except OSError:
            continue
    return removed


def glob_escape(text: str) -> str:
    import glob

    return glob.escape(text)


def _process_alive(pid: int) -> bool:
    if os.name != "posix":
        return True  # Windows cannot be asked safely (os.kill would end the process): age decides
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _keep_mode(path: Path, temporary: Path) -> None:
    """The new master gets the old one's permissions (mkstemp makes files only their owner can read)."""
    import stat

    try:
        if path.exists():
            os.chmod(temporary, stat.S_IMODE(path.stat().st_mode))
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(temporary, 0o666 & ~umask)
    except OSError:
        pass


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX); Windows has no directory handles for this."""
    if os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


_FORMULA_CELL = re.compile(rb'<c r="([A-Z]+[0-9]+)"([^>]*)><f>([^<]*)</f>(?:<v\s*/>|<v></v>)')


def with_cached_values(data: bytes, cached: dict[str, dict[str, object]]) -> bytes:
    """Store each formula's computed value in the file, as Excel does when it saves.

    openpyxl writes formulas without results; readers that do not calculate (Protected View,
    calamine, pandas) would see empty cells. Excel and LibreOffice still recalculate on load.
    """
    source = zipfile.ZipFile(io.BytesIO(data))
    paths = _sheet_paths(source)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            values = next((cached[name] for name, p in paths.items() if p == item.filename and name in cached), None)
            if values:
                content = _FORMULA_CELL.sub(lambda m: _with_value(m, values), content)
            target.writestr(item, content)
    return out.getvalue()


def _with_value(match: re.Match, values: dict[str, object]) -> bytes:
    value = values.get(match[1].decode())
    if value is None:
        return match[0]
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return b'<c r="%s"%s><f>%s</f><v>%s</v>' % (match[1], match[2], match[3], str(value).encode())


def _sheet_paths(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name → its XML part inside the package."""
    workbook = archive.read("xl/workbook.xml").decode()
    rels = archive.read("xl/_rels/workbook.xml.rels").decode()
    targets = dict(re.findall(r'<Relationship[^>]*Id="([^"]+)"[^>]*Target="([^"]+)"', rels))
    targets.update({rid: target for target, rid in re.findall(r'<Relationship[^>]*Target="([^"]+)"[^>]*Id="([^"]+)"', rels)})
    paths = {}
    for name, rid in re.findall(r'<sheet[^>]*name="([^"]+)"[^>]*r:id="([^"]+)"', workbook):
        target = targets[rid].lstrip("/")
        paths[_unescape(name)] = target if target.startswith("xl/") else f"xl/{target}"
    return paths


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&apos;", "'").replace("&amp;", "&")
