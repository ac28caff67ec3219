"""Working days on the Chinese calendar (statutory holidays and make-up workdays), via
chinese-calendar. Deadlines and service levels count in these days.

The library knows the years the State Council had published when it was released; later
years fall back to Monday–Friday, and `years_not_covered` lets a notice say so.
"""

import datetime
import functools
from importlib.metadata import version

import chinese_calendar

STATUTORY = "statutory"  # the published holidays and make-up working days
WEEKDAYS = "weekdays"  # Monday to Friday: the holidays of a year not yet published


@functools.lru_cache(maxsize=64)
def year_covered(year: int) -> bool:
    """Whether the holiday calendar knows this year's holidays and make-up working days."""
    try:
        chinese_calendar.is_workday(datetime.date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


def years_not_covered(start: datetime.date, end: datetime.date) -> list[int]:
    """The years from `start` to `end` that working days fall back to Monday–Friday in."""
    first, last = sorted((start.year, end.year))
    return [year for year in range(first, last + 1) if not year_covered(year)]


def calendar_used(start: datetime.date, end: datetime.date) -> str:
    """STATUTORY when every day from `start` to `end` is on the holiday calendar, else WEEKDAYS."""
    return WEEKDAYS if years_not_covered(start, end) else STATUTORY


def calendar_version() -> str:
    return version("chinesecalendar")


# Every filing computes its decision day: cached, as the calendar is fixed for the process.
@functools.lru_cache(maxsize=4096)
def is_working_day(day: datetime.date) -> bool:
    if not year_covered(day.year):
        return day.weekday() < 5
    return chinese_calendar.is_workday(day)


def next_working_day(day: datetime.date) -> datetime.date:
    """`day` itself when it is a working day, else the first working day after it."""
    while not is_working_day(day):
        day += datetime.timedelta(days=1)
    return day


def add_working_days(start: datetime.date, days: int) -> datetime.date:
    """The date `days` working days after `start` (start itself not counted)."""
    day = start
    remaining = days
    while remaining > 0:
        day += datetime.timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return day


def working_days_between(start: datetime.date, end: datetime.date) -> int:
    """Working days after `start` up to and including `end`; negative when end is earlier."""
    if end < start:
        return -working_days_between(end, start)
    count = 0
    day = start
    while day < end:
        day += datetime.timedelta(days=1)
        if is_working_day(day):
            count += 1
    return count
