"""The suite's clock. Every test runs at a fixed instant, so no test depends on the day it runs:
by default an ordinary working Wednesday; `APPWATCH_TEST_NOW=2027-02-05T09:00` runs the whole
suite at another one. Modules whose results depend on the calendar say
`pytestmark = pytest.mark.every_date` and run once at each of DATES.

Time still flows from the fixed start (tick), and each test starts later than the one before
by the real time the run has taken, so "now" never goes backwards within one date.
"""

import datetime
import os
import time
from zoneinfo import ZoneInfo

import time_machine

ZONE = ZoneInfo("Asia/Shanghai")


def _at(text: str) -> datetime.datetime:
    moment = datetime.datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=ZONE)


DEFAULT_NOW = _at(os.environ.get("APPWATCH_TEST_NOW", "2026-11-18T09:00"))

# Dates on which calendar arithmetic goes wrong if it is going to (chinese-calendar 1.11).
DATES = {
    "wednesday": _at("2026-11-18T09:00"),
    "saturday": _at("2026-11-28T11:00"),
    # Saturday 14 February 2026 is a make-up working day and the eve of the nine-day Spring
    # Festival holiday (15–23 February).
    "eve_of_spring_festival": _at("2026-02-14T16:00"),
    # Sunday 20 September 2026: a make-up working day for the National Day holiday.
    "make_up_sunday": _at("2026-09-20T10:00"),
    # The last day of a year: deadlines run into the next one.
    "new_years_eve": _at("2026-12-31T17:00"),
    # Early morning in Shanghai is still the day before in UTC.
    "before_utc_midnight": _at("2026-11-19T07:30"),
}

_RUN_STARTED = time.monotonic()


def start_of_test(base: datetime.datetime) -> datetime.datetime:
    """`base` moved on by the real time this run has taken so far."""
    return base + datetime.timedelta(seconds=time.monotonic() - _RUN_STARTED)


def stopped_at(moment: datetime.datetime, seconds: float = 0):
    """The clock stopped `seconds` after `moment` (stopped, so a slow step does not eat into
    the bound a test checks): for tests of what happens as a period passes."""
    return time_machine.travel(moment + datetime.timedelta(seconds=seconds), tick=False)
