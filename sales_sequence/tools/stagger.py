"""Spread the start of many enrollments evenly over the sending time of N days.

Pure Python (no Odoo imports), built on :mod:`schedule`'s window helpers.
Every datetime crossing the API is **naive UTC**, like Odoo ``Datetime``
fields. "Evenly" means evenly over the time the send window is open: the
nights (and weekends when ``weekdays_only``) hold nobody, so nothing piles up
at the next opening.
"""

from datetime import datetime, timedelta

from .schedule import (
    Window,
    get_timezone,
    localize_wall_clock,
    next_opening,
    to_local,
    to_naive_utc,
)


def sending_intervals(start_utc, days, tz_name, window_start=9.0, window_end=17.0, weekdays_only=True):
    """The open periods of the next ``days`` sending days, from ``start_utc`` on.

    A sending day is a day on which the window is still open after
    ``start_utc`` (so a Monday enrollment at 18:00 starts counting on Tuesday).

    :return: list of ``(begin, end)`` naive UTC pairs, in order

    >>> sending_intervals(datetime(2026, 1, 9, 15, 0), 2, 'UTC')  # Friday 15:00
    [(datetime.datetime(2026, 1, 9, 15, 0), datetime.datetime(2026, 1, 9, 17, 0)), \
(datetime.datetime(2026, 1, 12, 9, 0), datetime.datetime(2026, 1, 12, 17, 0))]
    """
    window = Window(window_start, window_end, weekdays_only)
    tz = get_timezone(tz_name)
    local_start = to_local(start_utc, tz)
    day = local_start.date()
    intervals = []
    # a window opens at least once a week: 7 calendar days per sending day is enough
    for _offset in range(7 * days + 7):
        if len(intervals) >= days:
            break
        if window.allows_day(day):
            begin, end = _open_period(day, window, tz)
            begin = max(begin, local_start)
            if end > begin:
                intervals.append((to_naive_utc(begin), to_naive_utc(end)))
        day += timedelta(days=1)
    return intervals


def _open_period(day, window, tz):
    """Aware ``(opening, closing)`` of the window on the local date ``day``."""
    midnight = datetime(day.year, day.month, day.day)
    opening = localize_wall_clock(midnight + timedelta(seconds=window.start_seconds), tz)
    closing = localize_wall_clock(midnight + timedelta(seconds=window.end_seconds), tz)
    return opening, closing


def spread_starts(start_utc, days, count, tz_name, window_start=9.0, window_end=17.0, weekdays_only=True):
    """``count`` start times spread evenly over the open time of ``days`` sending days.

    The first one is the first open instant at or after ``start_utc``; the
    gaps between two consecutive starts are equal in open time (whole seconds).
    Without days to spread over, everybody starts at the next opening.

    >>> spread_starts(datetime(2026, 1, 5, 9, 0), 1, 4, 'UTC')  # Monday 9-17
    [datetime.datetime(2026, 1, 5, 9, 0), datetime.datetime(2026, 1, 5, 11, 0), \
datetime.datetime(2026, 1, 5, 13, 0), datetime.datetime(2026, 1, 5, 15, 0)]
    >>> spread_starts(datetime(2026, 1, 9, 16, 0), 2, 3, 'UTC')  # Friday 16:00: 1h + 8h
    [datetime.datetime(2026, 1, 9, 16, 0), datetime.datetime(2026, 1, 12, 11, 0), \
datetime.datetime(2026, 1, 12, 14, 0)]
    """
    if count <= 0:
        return []
    intervals = sending_intervals(start_utc, days, tz_name, window_start, window_end, weekdays_only) if days > 0 else []
    if not intervals:
        first = next_opening(start_utc, tz_name, window_start, window_end, weekdays_only)
        return [first] * count
    total = sum((end - begin).total_seconds() for begin, end in intervals)
    return [_at_open_offset(intervals, int(index * total / count)) for index in range(count)]


def _at_open_offset(intervals, seconds):
    """The instant lying ``seconds`` of open time after the first opening."""
    for begin, end in intervals:
        length = (end - begin).total_seconds()
        if seconds < length:
            return begin + timedelta(seconds=seconds)
        seconds -= length
    return intervals[-1][1]
