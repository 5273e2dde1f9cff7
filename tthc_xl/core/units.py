"""Unit lists and unit-name matching.

Units write their own name as they like: "Sở Nông nghiệp và PTNT", "Sở LĐ-TB&XH", "SO TAI CHINH".
Names are compared after folding case and diacritics, expanding the abbreviations listed in
`templates/units/viet-tat.csv` and ignoring the filler word "và".
"""

from __future__ import annotations

import csv
import difflib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from tthc_xl.core.layouts import templates_dir
from tthc_xl.core.text import fold

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


def name_key(name: str) -> str:
    """The form two spellings of one unit share."""
    words = f" {fold(name)} "
    for short, full in _abbreviations():
        words = words.replace(short, full)
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


def load_units(path: str | Path) -> UnitList:
    """A unit list CSV: columns `nhom` (group), `ten` (name), `bi_danh` (aliases, separated by ;)."""
    path = Path(path)
    if not path.exists() and not path.suffix:
        path = templates_dir() / "units" / f"{path}.csv"
    with open(path, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    units = [
        Unit(
            name=row["ten"].strip(),
            group=(row.get("nhom") or "").strip(),
            aliases=tuple(a.strip() for a in (row.get("bi_danh") or "").split(";") if a.strip()),
        )
        for row in rows
        if (row.get("ten") or "").strip()
    ]
    return UnitList(units, str(path))
