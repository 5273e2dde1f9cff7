"""Working-day calendars as data: weekends, public holidays (Tết included), make-up working days,
working hours and the hand-over cut-offs, one TOML file per year in `templates/calendars/`.

Deadlines are counted in working time. `Calendar.minutes(t)` is the number of working minutes from
the calendar's first day up to `t`: it is flat outside working hours, so comparing two instants in
working time is comparing two numbers, and adding N working days is adding N × `day_minutes`.
"""

from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from tthc_xl.core.layouts import LayoutError, read_toml, templates_dir

DEFAULT_HOURS = ((450, 690), (810, 1050))  # 07:30–11:30, 13:30–17:30
DEFAULT_HANDOVER = (630, 990)  # 10:30, 16:30


class CalendarError(LayoutError):
    """A calendar file a clerk wrote that cannot be used; the message says which and why."""


@dataclass(frozen=True)
class Year:
    year: int
    weekend: frozenset[int]  # ISO weekdays, Monday = 1
    holidays: frozenset[dt.date]
    workdays: frozenset[dt.date]  # make-up working days that fall on a weekend
    hours: tuple[tuple[int, int], ...]  # working sessions, minutes after midnight
    handover: tuple[int, ...]  # per session: received after this, counted from the next session
    source: str = ""


@dataclass
class Calendar:
    """Working time over `first`..`last` (whole days), from one Year per calendar year."""

    first: dt.date
    last: dt.date
    years: dict[int, Year]
    missing: list[int] = field(default_factory=list)  # years with no file: weekends only
    _before: list[int] = field(default_factory=list, repr=False)

    def __post_init__(self):
        total = 0
        for offset in range((self.last - self.first).days + 1):
            self._before.append(total)
            if self.working(self.first + dt.timedelta(offset)):
                total += self.day_minutes
        self._before.append(total)

    @property
    def hours(self) -> tuple[tuple[int, int], ...]:
        return self._year(self.last.year).hours

    @property
    def handover(self) -> tuple[int, ...]:
        return self._year(self.last.year).handover

    @property
    def day_minutes(self) -> int:
        return sum(end - start for start, end in self.hours)

    def _year(self, year: int) -> Year:
        if year in self.years:
            return self.years[year]
        known = self.years.get(min(self.years, key=lambda y: abs(y - year))) if self.years else None
        return Year(year, frozenset({6, 7}), frozenset(), frozenset(), known.hours if known else DEFAULT_HOURS, known.handover if known else DEFAULT_HANDOVER)

    def working(self, day: dt.date) -> bool:
        year = self._year(day.year)
        if day in year.workdays:
            return True
        return day.isoweekday() not in year.weekend and day not in year.holidays

    def days(self) -> list[tuple[dt.date, int, bool]]:
        """Each day with the working minutes before it and whether it is a working day (for SQL)."""
        return [(self.first + dt.timedelta(i), self._before[i], self.working(self.first + dt.timedelta(i))) for i in range(len(self._before) - 1)]

    def minutes(self, moment: dt.datetime) -> float:
        """Working minutes from the calendar's start to `moment`."""
        index = (moment.date() - self.first).days
        before = self._before[index]
        if not self.working(moment.date()):
            return before
        return before + within_day(self.hours, moment.hour * 60 + moment.minute + moment.second / 60)

    def start_minutes(self, received: dt.datetime) -> float:
        """When the clock of a dossier received at `received` starts: after a session's hand-over
        cut-off (10:30, 16:30), at the start of the next session."""
        before = self._before[(received.date() - self.first).days]
        if not self.working(received.date()):
            return before
        of_day = received.hour * 60 + received.minute + received.second / 60
        return before + _handover_within(self.hours, self.handover, of_day)

    def moment(self, minutes: float) -> dt.datetime:
        """The instant (within working hours) at which `minutes` working minutes have passed."""
        index = max(bisect.bisect_left(self._before, minutes) - 1, 0)
        while index + 1 < len(self._before) - 1 and self._before[index + 1] < minutes:
            index += 1
        day = self.first + dt.timedelta(index)
        left = minutes - self._before[index]
        last = len(self.hours) - 1
        for session, (start, end) in enumerate(self.hours):
            # The end of a morning session is shown as the start of the afternoon (the same working minute).
            if left < end - start or (left == end - start and session == last):
                return dt.datetime.combine(day, dt.time()) + dt.timedelta(minutes=start + left)
            left -= end - start
        return dt.datetime.combine(day, dt.time()) + dt.timedelta(minutes=self.hours[-1][1])


def within_day(hours, of_day: float) -> float:
    """Working minutes of a working day up to `of_day` minutes after midnight."""
    return sum(max(0.0, min(of_day, end) - start) for start, end in hours)


def _handover_within(hours, handover, of_day: float) -> float:
    """Working minutes of the day at which the clock starts for a dossier received at `of_day`."""
    done = 0
    for index, ((start, end), cutoff) in enumerate(zip(hours, handover)):
        next_start = hours[index + 1][0] if index + 1 < len(hours) else 24 * 60
        if cutoff < of_day < next_start:
            return done + (end - start)  # handed over at the next session
        done += end - start
    return within_day(hours, of_day)


def _minutes_of(text: str, source: str) -> int:
    try:
        hours, minutes = str(text).split(":")
        return int(hours) * 60 + int(minutes)
    except ValueError:
        raise CalendarError(f"Lịch làm việc {source}: giờ “{text}” không đúng dạng giờ:phút (ví dụ 07:30).") from None


def year_from_dict(data: dict, source: str) -> Year:
    try:
        def dates(key):
            return frozenset(dt.date.fromisoformat(str(d)) for d in data.get(key, []))

        hours = tuple((_minutes_of(a, source), _minutes_of(b, source)) for a, b in data.get("hours", []))
        handover = tuple(_minutes_of(t, source) for t in data.get("handover", []))
        year = Year(int(data["year"]), frozenset(int(d) for d in data.get("weekend", [6, 7])), dates("holidays"), dates("workdays"),
                    hours or DEFAULT_HOURS, handover or DEFAULT_HANDOVER, source)
    except CalendarError:
        raise
    except (KeyError, TypeError, ValueError) as exc:
        raise CalendarError(f"Lịch làm việc {source} thiếu hoặc sai mục ({exc}); hãy sửa theo mẫu trong templates/calendars/.") from None
    if len(year.handover) != len(year.hours):
        raise CalendarError(f"Lịch làm việc {source}: mỗi buổi làm việc (hours) cần một giờ chuyển hồ sơ (handover).")
    wrong = sorted(d for d in year.holidays | year.workdays if d.year != year.year)
    if wrong:
        raise CalendarError(f"Lịch làm việc {source} (năm {year.year}) ghi ngày {wrong[0]:%d/%m/%Y} của năm khác.")
    return year


def load_year(path: Path) -> Year:
    return year_from_dict(read_toml(path, "lịch làm việc", CalendarError), str(path))


def load_calendar(first: dt.date, last: dt.date, folder: Path | None = None) -> Calendar:
    """The calendar over first..last from `templates/calendars/<year>.toml` (or `folder`)."""
    folder = Path(folder) if folder else templates_dir() / "calendars"
    years, missing = {}, []
    for year in range(first.year, last.year + 1):
        path = folder / f"{year}.toml"
        if path.is_file():
            years[year] = load_year(path)
        else:
            missing.append(year)
    return Calendar(first, last, years, missing)
