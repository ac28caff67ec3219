"""Working days: the holiday calendar's years, the Monday–Friday fallback past them, and the
next working day offered for a deadline on a day off.

The calendar is pinned (constraints.txt: chinesecalendar 1.11.0, which knows 2004–2026);
raising the pin moves the boundary these tests name.
"""

import datetime

from complaints import calendar


def test_the_pinned_calendar_knows_2026_and_not_2027():
    assert calendar.year_covered(2026)
    assert not calendar.year_covered(2027)


def test_years_not_covered_across_the_year_boundary():
    assert calendar.years_not_covered(datetime.date(2026, 12, 1), datetime.date(2026, 12, 31)) == []
    assert calendar.years_not_covered(datetime.date(2026, 12, 24), datetime.date(2027, 1, 14)) == [
        2027
    ]
    assert calendar.calendar_used(datetime.date(2026, 11, 18), datetime.date(2026, 12, 9)) == (
        calendar.STATUTORY
    )
    assert calendar.calendar_used(datetime.date(2026, 12, 24), datetime.date(2027, 1, 14)) == (
        calendar.WEEKDAYS
    )


def test_past_the_calendar_working_days_are_monday_to_friday():
    # New Year's Day 2027 is a holiday, but no published schedule says so yet: a Friday.
    assert calendar.is_working_day(datetime.date(2027, 1, 1))
    assert not calendar.is_working_day(datetime.date(2027, 1, 2))
    # On the calendar, New Year's Day 2026 (a Thursday) is a holiday.
    assert not calendar.is_working_day(datetime.date(2026, 1, 1))


def test_next_working_day():
    assert calendar.next_working_day(datetime.date(2026, 11, 18)) == datetime.date(2026, 11, 18)
    assert calendar.next_working_day(datetime.date(2026, 11, 21)) == datetime.date(2026, 11, 23)
    # National Day 2026: 1–7 October off, back on Thursday 8 October.
    assert calendar.next_working_day(datetime.date(2026, 10, 1)) == datetime.date(2026, 10, 8)
    # Sunday 20 September 2026 is a make-up working day.
    assert calendar.next_working_day(datetime.date(2026, 9, 20)) == datetime.date(2026, 9, 20)
