"""When the steps of a sequence may fire for one recipient and one sender.

A ``Clock`` joins the sequence's send window and timezone with, when the
sequence follows working hours, the sender's working calendar: the engine asks
it when a step is due and when the window next opens, and never does that
maths itself (pure Python, naive UTC in and out).

>>> from datetime import datetime
>>> clock = Clock("UTC", 9.0, 17.0)
>>> clock.due(datetime(2026, 1, 9, 16, 0), business_days=2)   # Friday 16:00
datetime.datetime(2026, 1, 13, 16, 0)
>>> clock.next_opening(datetime(2026, 1, 10, 3, 0))           # Saturday 03:00
datetime.datetime(2026, 1, 12, 9, 0)
"""

from dataclasses import dataclass

from . import schedule, workcal

MAX_ABSENCES = 100  # absences back to back that back_at() follows


@dataclass(frozen=True)
class Clock:
    """The send window ``[window_start, window_end)`` (float local hours) in
    ``tz``, weekdays only or not, or on a ``workcal.WorkCalendar``."""

    tz: str
    window_start: float = 9.0
    window_end: float = 17.0
    weekdays_only: bool = True
    calendar: workcal.WorkCalendar | None = None

    def due(self, anchor, business_days=0, days=0, hours=0, minutes=0):
        """When a step with these delays is due, counted from ``anchor``."""
        if self.calendar:
            return workcal.compute_due(
                anchor,
                self.calendar,
                business_days=business_days,
                days=days,
                hours=hours,
                minutes=minutes,
                window_start=self.window_start,
                window_end=self.window_end,
            )
        return schedule.compute_due(
            anchor,
            self.tz,
            business_days=business_days,
            days=days,
            hours=hours,
            minutes=minutes,
            window_start=self.window_start,
            window_end=self.window_end,
            weekdays_only=self.weekdays_only,
        )

    def next_opening(self, when):
        """``when`` if the window is open then, else its next opening."""
        if self.calendar:
            return self.calendar.next_opening(when, self.window_start, self.window_end)
        return schedule.next_opening(when, self.tz, self.window_start, self.window_end, self.weekdays_only)

    def back_at(self, when, away=()):
        """The first opening at or after ``when`` outside the ``away``
        periods ((start, end) naive UTC: the sender's leaves): when someone
        on leave can work (or be written for) again. ``when`` itself when
        they are not away and the window is open.

        >>> from datetime import datetime
        >>> holiday = ((datetime(2026, 1, 12, 0, 0), datetime(2026, 1, 17, 0, 0)),)   # Mon-Fri
        >>> Clock("UTC", 9.0, 17.0).back_at(datetime(2026, 1, 13, 10, 0), holiday)
        datetime.datetime(2026, 1, 19, 9, 0)
        """
        moment = self.next_opening(when)
        for __ in range(MAX_ABSENCES):
            end = workcal.away_until(away, moment)
            if end is None:
                return moment
            moment = self.next_opening(end)
        raise ValueError("More than %d absences in a row." % MAX_ABSENCES)

    def local_date(self, when):
        """The date ``when`` falls on where the recipient (or sender) is."""
        return schedule.local_date(when, self.calendar.tz_name if self.calendar else self.tz)
