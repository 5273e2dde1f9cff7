"""Unit lists and unit-name matching.

Units write their own name as they like: "Sở Nông nghiệp và PTNT", "Sở LĐ-TB&XH", "SO TAI CHINH".
Names are compared after folding case and diacritics, expanding the abbreviations listed in
`templates/units/viet-tat.csv` and ignoring the filler word "và".
"""

from __future__ import annotations

import csv
import difflib
import io
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from tthc_xl.core.layouts import templates_dir
from tthc_xl.core.errors import ClerkError
from tthc_xl.core.text import fold, fold_text

_FILLER = {"va"}


@dataclass(frozen=True)
class Unit:
    name: str
    group: str = ""
    aliases: tuple[str, ...] = ()


@lru_cache(maxsize=1)
def _abbreviations() -> tuple[tuple[str, str], ...]:
    path = templates_dir() / "units" / "viet-tat.csv"
    if not path.exists():
        return ()
    with open(path, encoding="utf-8-sig", newline="") as handle:
        pairs = [(fold(row["viet_tat"]), fold(row["day_du"])) for row in csv.DictReader(handle)]
    # Longest first, so "nn ptnt" is expanded before "ptnt"; as whole words.
    return tuple((f" {short} ", f" {full} ") for short, full in sorted(pairs, key=lambda pair: -len(pair[0])))


@lru_cache(maxsize=1 << 16)  # a unit name comes back in the unit list, in its file and in the master
def name_key(name: str) -> str:
    """The form two spellings of one unit share."""
    words = f" {fold_text(name) if isinstance(name, str) else fold(name)} "  # kept here: not in fold's cache too
    for short, full in _abbreviations():
        words = words.replace(short, full)
    if "  " not in words and not any(f" {filler} " in words for filler in _FILLER):
        return words[1:-1]  # single spaces between the words and around them: the words as they are
    return " ".join(w for w in words.split() if w not in _FILLER)


@dataclass
class UnitList:
    units: list[Unit]
    source: str = ""
    _index: dict[str, Unit] = field(default_factory=dict, repr=False)

    def __post_init__(self):
        for unit in self.units:
            for spelling in (unit.name, *unit.aliases):
                self._index.setdefault(name_key(spelling), unit)

    def match(self, name: str) -> Unit | None:
        """The unit this spelling names, or None. Near misses never match: "Sở Ngoại vụ" is not "Sở Nội vụ"."""
        return self._index.get(name_key(name))

    def suggest(self, name: str) -> Unit | None:
        """The closest unit, to propose to the clerk when a name matches none."""
        close = difflib.get_close_matches(name_key(name), self._index, n=1, cutoff=0.75)
        return self._index[close[0]] if close else None

    @property
    def groups(self) -> list[str]:
        return list(dict.fromkeys(u.group for u in self.units))

    def names(self) -> list[str]:
        return [u.name for u in self.units]


class UnitListError(ClerkError):
    """A unit list that cannot be used; the message (Vietnamese) says which file and what to do."""


MAX_UNIT_LIST_BYTES = 4 * 2**20  # a list of every commune of the country is under 1 MB


def is_unit_list_name(text: str) -> bool:
    """`soc-trang-so-nganh`: a list kept with the program (templates/units/), named without folder or suffix."""
    return bool(text) and "/" not in text and "\\" not in text and not Path(text).suffix and (templates_dir() / "units" / f"{text}.csv").is_file()


def load_units(path: str | Path) -> UnitList:
    """A unit list CSV: columns `nhom` (group), `ten` (name), `bi_danh` (aliases, separated by ;).

    UTF-8 (with or without BOM), or Windows-1258 (Excel's "CSV" on a Vietnamese Windows)."""
    path = Path(path)
    try:  # a folder on the way that cannot be opened: PermissionError from exists() and is_file() too
        if not path.exists() and is_unit_list_name(str(path)):
            path = templates_dir() / "units" / f"{path}.csv"
        if not path.is_file():
            raise FileNotFoundError
        with open(path, "rb") as handle:
            data = handle.read(MAX_UNIT_LIST_BYTES + 1)
    except (OSError, ValueError) as exc:
        reason = "không tìm thấy tệp" if isinstance(exc, FileNotFoundError) else "không đọc được tệp"
        raise UnitListError(
            f"Danh sách đơn vị {path}: {reason}. Hãy kiểm tra đường dẫn trong --units (hoặc ô «Danh sách đơn vị») "
            "và quyền đọc tệp, rồi chạy lại."
        ) from None
    if len(data) > MAX_UNIT_LIST_BYTES:
        raise UnitListError(f"Danh sách đơn vị {path} quá lớn (hơn 4 MB), không phải một danh sách đơn vị: hãy kiểm tra lại tệp.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = unicodedata.normalize("NFC", data.decode("cp1258"))
        except UnicodeDecodeError:
            raise UnitListError(
                f"Danh sách đơn vị {path} không phải tệp CSV chữ Unicode (UTF-8) hay Windows-1258: hãy mở bằng Excel và "
                "lưu lại bằng kiểu “CSV UTF-8 (Comma delimited)”, rồi chạy lại."
            ) from None
    reader = csv.DictReader(io.StringIO(text.replace("\x00", "")))
    if "ten" not in (reader.fieldnames or []):
        raise UnitListError(
            f"Danh sách đơn vị {path} thiếu cột “ten” (tên đơn vị) ở dòng đầu: dòng đầu phải là nhom,ten,bi_danh "
            "(xem templates/units/soc-trang-so-nganh.csv)."
        )
    units = [
        Unit(
            name=row["ten"].strip(),
            group=(row.get("nhom") or "").strip(),
            aliases=tuple(a.strip() for a in (row.get("bi_danh") or "").split(";") if a.strip()),
        )
        for row in reader
        if (row.get("ten") or "").strip()
    ]
    return UnitList(units, str(path))


# Old font encodings: before Unicode, names were typed in TCVN3 (.VnTime fonts) or VNI (VNI-Times), and a
# file saved then still holds "Së T­ ph¸p" or "Sôû Tö phaùp" where Excel with the old font showed "Sở Tư pháp".
LEGACY_ENCODINGS = {"tcvn3": "TCVN3 (phông chữ .VnTime)", "vni": "VNI (phông chữ VNI-Times)"}


@lru_cache(maxsize=1)
def _legacy_tables() -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    """(encoding, (old spelling, Unicode letter) longest first) from templates/encodings/*.csv."""
    tables = []
    for code in LEGACY_ENCODINGS:
        path = templates_dir() / "encodings" / f"{code}.csv"
        if not path.is_file():
            continue
        with open(path, encoding="utf-8", newline="") as handle:
            pairs = [(row["ma_cu"], row["unicode"]) for row in csv.DictReader(handle) if row["ma_cu"]]
        tables.append((code, tuple(sorted(pairs, key=lambda pair: -len(pair[0])))))
    return tuple(tables)


def legacy_readings(text: str) -> list[tuple[str, str]]:
    """(encoding, the text read in it) for each old encoding that changes the text."""
    readings = []
    for code, pairs in _legacy_tables():
        out, i = [], 0
        while i < len(text):
            for old, new in pairs:
                if text.startswith(old, i):
                    out.append(new)
                    i += len(old)
                    break
            else:
                out.append(text[i])
                i += 1
        converted = "".join(out)
        if converted != text:
            readings.append((code, converted))
    return readings


_VISIBLE_SPACE = {" "}


def invisible_characters(text: str) -> list[str]:
    """The names of the characters in `text` a clerk cannot see or tell from a space: "ZERO WIDTH SPACE (U+200B)"."""
    found = []
    for ch in dict.fromkeys(text):
        category = unicodedata.category(ch)
        if ch not in _VISIBLE_SPACE and (category in ("Cf", "Cc", "Zl", "Zp") or (category == "Zs")):
            found.append(f"{unicodedata.name(ch, 'KÝ TỰ ĐIỀU KHIỂN')} (U+{ord(ch):04X})")
    return found
