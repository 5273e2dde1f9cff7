"""Reporting periods: the clerk's text ("tháng 10 năm 2019", "quý III năm 2019", a date range)
parsed into a key that sorts in time within its kind.

Keys: "2019-10" (tháng 10 năm 2019), "2019-Q3" (quý III năm 2019), "2020-H1" (6 tháng đầu năm
2020), "2020-H2", "2020-9M" (9 tháng đầu năm), "2020" (năm 2020), "2019-09-16..2019-10-15" (an
explicit date range); a text that is none of these is kept under the text itself.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from tthc_xl.core.text import fold

MONTH, QUARTER, HALF, NINE_MONTHS, YEAR, RANGE, TEXT = (
    "month", "quarter", "half", "nine_months", "year", "range", "text")
ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}
ROMAN_OUT = {1: "I", 2: "II", 3: "III", 4: "IV"}




@dataclass(frozen=True)
class Period:
    """A reporting period: the clerk's text and a key that sorts in time within its kind."""

    text: str
    key: str
    kind: str
    start: dt.date | None = None
    end: dt.date | None = None

    @property
    def parsed(self) -> bool:
        return self.kind != TEXT

    @property
    def year(self) -> int | None:
        return self.start.year if self.start else None

    @property
    def label(self) -> str:
        """Short label for tables and charts: "T10/2019", "Quý III/2019", "6 tháng đầu 2020"."""
        if self.kind == MONTH:
            return f"T{self.start.month}/{self.start.year}"
        if self.kind == QUARTER:
            return f"Quý {ROMAN_OUT[(self.start.month + 2) // 3]}/{self.start.year}"
        if self.kind == HALF:
            return f"6 tháng {'đầu' if self.start.month == 1 else 'cuối'} {self.start.year}"
        if self.kind == NINE_MONTHS:
            return f"9 tháng {self.start.year}"
        if self.kind == YEAR:
            return str(self.start.year)
        if self.kind == RANGE:
            return f"{self.start:%d/%m}–{self.end:%d/%m/%Y}"
        return self.text

    def previous_key(self) -> str | None:
        """The key of the period just before (None for a range or a text: searched instead)."""
        if self.kind == MONTH:
            year, month = (self.start.year, self.start.month - 1) if self.start.month > 1 else (self.start.year - 1, 12)
            return f"{year:04d}-{month:02d}"
        if self.kind == QUARTER:
            quarter = (self.start.month + 2) // 3
            return f"{self.start.year}-Q{quarter - 1}" if quarter > 1 else f"{self.start.year - 1}-Q4"
        if self.kind == HALF:
            return f"{self.start.year}-H1" if self.start.month == 7 else f"{self.start.year - 1}-H2"
        if self.kind == YEAR:
            return str(self.start.year - 1)
        return None  # "9 tháng" has no period just before of its kind

    def last_year_key(self) -> str | None:
        if self.kind == TEXT:
            return None
        if self.kind == RANGE:
            return _range_key(year_earlier(self.start), year_earlier(self.end))
        return f"{self.start.year - 1}{self.key[4:]}"


def _range_key(start: dt.date, end: dt.date) -> str:
    return f"{start.isoformat()}..{end.isoformat()}"


def year_earlier(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


_ISO_DATE = re.compile(r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)")
_VN_DATE = re.compile(r"(?<![\d/.-])(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?!\d)")
# Matched on the folded text (lower case, no diacritics, punctuation as spaces).
_PATTERNS = [
    (HALF, re.compile(r"\b(?:6|sau) thang (dau|cuoi) nam (\d{4})\b")),
    (NINE_MONTHS, re.compile(r"\b(?:9|chin) thang (?:dau )?nam (\d{4})\b")),
    (QUARTER, re.compile(r"\bquy (iv|i{1,3}|[1-4]) (?:nam )?(\d{4})\b")),
    (MONTH, re.compile(r"\b(?:thang|t) ?(\d{1,2}) (?:nam )?(\d{4})\b")),
    (YEAR, re.compile(r"^(?:ca )?nam (\d{4})$")),
]


def dates_in(text) -> list[dt.date]:
    """The dates written in a text, ISO ("2019-09-16") or Vietnamese ("16/9/2019"), in order."""
    text = str(text or "")
    found = []
    for match in sorted([*_ISO_DATE.finditer(text), *_VN_DATE.finditer(text)], key=lambda m: m.start()):
        a, b, c = (int(g) for g in match.groups())
        try:
            found.append(dt.date(a, b, c) if len(match.group(1)) == 4 else dt.date(c, b, a))
        except ValueError:
            continue
    return found


def parse_period(text) -> Period:
    """The period a clerk wrote: "tháng 10 năm 2019" → key "2019-10"; unknown text → kind "text".

    Accepted: "tháng 10 năm 2019", "Tháng 10/2019", "T10/2019"; "quý III năm 2019", "quý 3/2019";
    "6 tháng đầu năm 2020", "6 tháng cuối năm 2020"; "9 tháng đầu năm 2020"; "năm 2020"; an
    explicit date range: "2019-09-16/2019-10-15", "từ ngày 16/9/2019 đến ngày 15/10/2019".
    A named period wins over dates written beside it ("tháng 10 năm 2019 (16/9 - 15/10/2019)").
    """
    original = " ".join(unicodedata.normalize("NFC", str(text or "")).split())
    folded = fold(original)
    for kind, pattern in _PATTERNS:
        match = pattern.search(folded)
        if not match:
            continue
        try:
            return _period(kind, match.groups(), original)
        except ValueError:  # tháng 13
            continue
    dates = dates_in(original)
    if len(dates) == 2 and dates[0] <= dates[1]:
        return Period(original, _range_key(*dates), RANGE, *dates)
    return Period(original, original, TEXT)


def _period(kind: str, groups, text: str) -> Period:
    if kind == HALF:
        year = int(groups[1])
        first = groups[0] == "dau"
        start, end = (dt.date(year, 1, 1), dt.date(year, 6, 30)) if first else (dt.date(year, 7, 1), dt.date(year, 12, 31))
        return Period(text, f"{year}-H{1 if first else 2}", HALF, start, end)
    if kind == NINE_MONTHS:
        year = int(groups[0])
        return Period(text, f"{year}-9M", NINE_MONTHS, dt.date(year, 1, 1), dt.date(year, 9, 30))
    if kind == QUARTER:
        quarter = ROMAN.get(groups[0]) or int(groups[0])
        year = int(groups[1])
        start = dt.date(year, 3 * quarter - 2, 1)
        end_month = 3 * quarter
        end = dt.date(year, end_month, calendar.monthrange(year, end_month)[1])
        return Period(text, f"{year}-Q{quarter}", QUARTER, start, end)
    if kind == MONTH:
        month, year = int(groups[0]), int(groups[1])
        start = dt.date(year, month, 1)
        end = dt.date(year, month, calendar.monthrange(year, month)[1])
        return Period(text, f"{year:04d}-{month:02d}", MONTH, start, end)
    year = int(groups[0])
    return Period(text, str(year), YEAR, dt.date(year, 1, 1), dt.date(year, 12, 31))


def _as_period(period) -> Period:
    return period if isinstance(period, Period) else parse_period(period)
