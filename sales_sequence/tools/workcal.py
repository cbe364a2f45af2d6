"""Working calendars: business days and sending hours that follow a sender's
working schedule and public holidays (pure Python, naive UTC in and out).

A day is a working day when some of its working hours are not a holiday; a
step fires only inside the working hours, within the sequence's window.

>>> from datetime import datetime
>>> cal = WorkCalendar("UTC", attendances=((0, 8.0, 12.0), (0, 13.0, 17.0), (1, 8.0, 17.0)),
...                    holidays=((datetime(2026, 3, 3), datetime(2026, 3, 4)),))
>>> cal.next_opening(datetime(2026, 3, 2, 12, 30), 9.0, 17.0)   # Monday lunch break
datetime.datetime(2026, 3, 2, 13, 0)
>>> cal.next_opening(datetime(2026, 3, 2, 17, 0), 9.0, 17.0)    # Tuesday is a holiday
datetime.datetime(2026, 3, 9, 9, 0)
"""

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from . import schedule

MAX_DAYS_TO_SEARCH = 400


@dataclass(frozen=True)
class WorkCalendar:
    """``attendances``: ((weekday 0=Monday, hour_from, hour_to), ...) in local
    float hours; ``holidays``: ((start, end), ...) naive UTC."""

    tz_name: str
    attendances: tuple
    holidays: tuple = ()

    def next_opening(self, when_utc, window_start=0.0, window_end=24.0):
        """The first instant at or after ``when_utc`` inside both the working
        hours and the window, outside holidays."""
        tz = schedule.get_timezone(self.tz_name)
        first_day = schedule.to_local(when_utc, tz).date()
        for offset in range(MAX_DAYS_TO_SEARCH):
            for start, end in self._day_intervals(first_day + timedelta(days=offset), window_start, window_end, tz):
                moment = self._first_free(max(start, when_utc), end)
                if moment:
                    return moment
        raise ValueError("The working calendar has no working hours in the window for a year.")

    def is_working_day(self, day):
        tz = schedule.get_timezone(self.tz_name)
        return any(self._first_free(start, end) for start, end in self._day_intervals(day, 0.0, 24.0, tz))

    def add_business_days(self, anchor_utc, days):
        """``days`` working days after ``anchor_utc``, at the same wall-clock time."""
        if not days:
            return anchor_utc
        tz = schedule.get_timezone(self.tz_name)
        local = schedule.to_local(anchor_utc, tz)
        day, counted = local.date(), 0
        while counted < days:
            day += timedelta(days=1)
            counted += self.is_working_day(day)
        wall = datetime.combine(day, local.time().replace(tzinfo=None))
        return schedule.to_naive_utc(schedule.localize_wall_clock(wall, tz))

    def _day_intervals(self, day, window_start, window_end, tz):
        """The working intervals of local ``day`` cut to the window, in naive UTC."""
        for weekday, hour_from, hour_to in sorted(self.attendances, key=lambda a: a[1]):
            start, end = max(hour_from, window_start), min(hour_to, window_end)
            if weekday == day.weekday() and start < end:
                yield _utc(day, start, tz), _utc(day, end, tz)

    def _first_free(self, start, end):
        """The first instant of [start, end) outside every holiday, or None."""
        moment = start
        for holiday_start, holiday_end in sorted(self.holidays):
            if holiday_start <= moment < holiday_end:
                moment = holiday_end
        return moment if moment < end else None


def away_until(periods, when_utc):
    """The end of the absence ``when_utc`` falls in, or None when it falls in
    none. ``periods``: ((start, end), ...) naive UTC, in any order; absences
    that overlap or touch count as one.

    >>> leave = ((datetime(2026, 3, 2, 8), datetime(2026, 3, 6, 17)),
    ...          (datetime(2026, 3, 6, 17), datetime(2026, 3, 9, 17)))
    >>> away_until(leave, datetime(2026, 3, 3, 12))
    datetime.datetime(2026, 3, 9, 17, 0)
    >>> away_until(leave, datetime(2026, 3, 9, 17)) is None
    True
    """
    end = None
    for start, stop in sorted(periods):
        if start <= (end or when_utc) < stop:
            end = stop
    return end


def compute_due(anchor_utc, calendar, business_days=0, days=0, hours=0, minutes=0, window_start=9.0, window_end=17.0):
    """``schedule.compute_due`` on a working calendar: business days are its
    working days; the result is inside its working hours and the window."""
    moment = calendar.add_business_days(anchor_utc, business_days)
    moment = schedule.apply_delay(moment, calendar.tz_name, days=days, hours=hours, minutes=minutes)
    return calendar.next_opening(moment, window_start, window_end)


def _utc(day, hours, tz):
    wall = datetime.combine(day, time()) + timedelta(hours=hours)
    return schedule.to_naive_utc(schedule.localize_wall_clock(wall, tz))
