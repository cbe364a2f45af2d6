"""Timezone-aware scheduling helpers for the sales cadence engine.

Conventions
-----------
* Every datetime that crosses the public API (argument or return value) is a
  **naive UTC** ``datetime``, exactly what Odoo stores in ``Datetime`` fields.
  The only exception is :func:`add_business_days`, which works on an *aware*
  local datetime and is the building block of :func:`apply_delay`.
* Internally the instant is converted to the IANA timezone given by name
  (``pytz``: ``localize`` / ``astimezone``, so DST is handled correctly), the
  computation is done on the local wall clock, and the result is converted
  back to naive UTC.
* An empty (``None``, ``''``, ``False``) or unknown timezone name means UTC;
  it never raises.
* Business and calendar days preserve the local wall-clock time (10:00 stays
  10:00 across a DST change); hours and minutes are absolute elapsed time.
* Sending windows are expressed as float hours of the local day,
  ``9.5`` meaning 09:30, and are half-open: ``[window_start, window_end)``.
  ``window_end == 24.0`` means "until the end of the day".
* A wall-clock time that does not exist (DST spring-forward gap) resolves to
  the first valid instant after it (02:30 in the 02:00-03:00 gap -> 03:00);
  an ambiguous one (DST fall-back) resolves to its first occurrence.

This module is pure Python (no Odoo imports) so it can be unit tested alone.
"""

import functools
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytz

_logger = logging.getLogger(__name__)

SECONDS_PER_HOUR = 3600
SATURDAY = 5
# Any sane window opens within a week; the margin covers days where the
# whole window falls into a DST gap.
MAX_DAYS_TO_SEARCH = 14
# Longest known wall-clock gap is a whole skipped day (Samoa, 2011).
MAX_GAP_MINUTES = 2 * 24 * 60


# ---------------------------------------------------------------------------
# Timezone conversions
# ---------------------------------------------------------------------------


@functools.cache
def get_timezone(tz_name):
    """Return the pytz timezone for ``tz_name``, falling back to UTC.

    >>> get_timezone('Europe/Brussels').zone
    'Europe/Brussels'
    >>> get_timezone('Not/A_Zone').zone
    'UTC'
    >>> get_timezone(None).zone
    'UTC'
    """
    if not tz_name:
        return pytz.utc
    try:
        return pytz.timezone(tz_name)
    except (pytz.UnknownTimeZoneError, ValueError, AttributeError):
        _logger.warning("Unknown timezone %r, falling back to UTC.", tz_name)
        return pytz.utc


def to_local(when_utc, tz):
    """Convert a naive UTC datetime to an aware datetime in ``tz``.

    An aware datetime is accepted too and simply converted.

    >>> to_local(datetime(2026, 1, 5, 8, 0), get_timezone('Europe/Brussels'))
    datetime.datetime(2026, 1, 5, 9, 0, tzinfo=<DstTzInfo 'Europe/Brussels' CET+1:00:00 STD>)
    """
    if when_utc.tzinfo is None:
        when_utc = pytz.utc.localize(when_utc)
    return when_utc.astimezone(tz)


def to_naive_utc(local_dt):
    """Convert an aware datetime to a naive UTC datetime.

    >>> brussels = get_timezone('Europe/Brussels')
    >>> to_naive_utc(brussels.localize(datetime(2026, 7, 1, 9, 0)))
    datetime.datetime(2026, 7, 1, 7, 0)
    """
    return local_dt.astimezone(pytz.utc).replace(tzinfo=None)


def localize_wall_clock(wall, tzinfo):
    """Attach ``tzinfo`` to the naive wall-clock datetime ``wall``.

    Never raises: a non-existent time (DST gap) becomes the first valid
    instant after it, an ambiguous time (DST overlap) its first occurrence.
    Works with pytz zones and with standard ``tzinfo`` objects.

    >>> brussels = get_timezone('Europe/Brussels')
    >>> localize_wall_clock(datetime(2026, 3, 29, 2, 30), brussels).isoformat()
    '2026-03-29T03:00:00+02:00'
    """
    if not hasattr(tzinfo, "localize"):
        return wall.replace(tzinfo=tzinfo)
    try:
        return tzinfo.localize(wall, is_dst=None)
    except pytz.AmbiguousTimeError:
        return _first_occurrence(wall, tzinfo)
    except pytz.NonExistentTimeError:
        return _first_instant_after_gap(wall, tzinfo)


def _first_occurrence(wall, tz):
    """Earliest of the two instants showing the ambiguous wall time ``wall``."""
    as_dst = tz.localize(wall, is_dst=True)
    as_standard = tz.localize(wall, is_dst=False)
    return min(as_dst, as_standard)


def _instants_showing(wall, tz):
    """The instants showing the wall time ``wall``, earliest first: two in a
    DST overlap (an opening at 02:30 on the night clocks go back happens twice,
    and the second one is still ahead once the first has passed), else one.

    >>> brussels = get_timezone('Europe/Brussels')
    >>> [i.isoformat() for i in _instants_showing(datetime(2026, 10, 25, 2, 30), brussels)]
    ['2026-10-25T02:30:00+02:00', '2026-10-25T02:30:00+01:00']
    """
    first = localize_wall_clock(wall, tz)
    if hasattr(tz, "localize"):
        second = tz.normalize(tz.localize(wall, is_dst=False))
        if second > first and second.replace(tzinfo=None) == wall:
            return (first, second)
    return (first,)


def _first_instant_after_gap(wall, tz):
    """First existing wall-clock minute after the non-existent time ``wall``."""
    candidate = wall.replace(second=0, microsecond=0)
    for _minute in range(MAX_GAP_MINUTES):
        candidate += timedelta(minutes=1)
        try:
            return tz.localize(candidate, is_dst=None)
        except pytz.AmbiguousTimeError:
            return _first_occurrence(candidate, tz)
        except pytz.NonExistentTimeError:
            continue
    raise ValueError("No valid local time after %s in %s" % (wall, tz))


def local_date(when_utc, tz_name):
    """Return the calendar ``date`` of the naive UTC instant in ``tz_name``.

    >>> local_date(datetime(2026, 1, 5, 23, 30), 'Europe/Brussels')
    datetime.date(2026, 1, 6)
    """
    return to_local(when_utc, get_timezone(tz_name)).date()


# ---------------------------------------------------------------------------
# Delays
# ---------------------------------------------------------------------------


def is_business_day(day):
    """True for Monday to Friday (holidays are not considered).

    >>> is_business_day(datetime(2026, 1, 10))  # a Saturday
    False
    """
    return day.weekday() < SATURDAY


def shift_business_days(day, days):
    """Move a date (or naive datetime) by ``days`` business days.

    Weekend days are skipped while counting, so from a Saturday or Sunday
    ``+1`` lands on Monday and ``+2`` on Tuesday. Negative values go back.

    >>> shift_business_days(datetime(2026, 1, 9).date(), 2)  # Friday
    datetime.date(2026, 1, 13)
    """
    step = timedelta(days=1 if days > 0 else -1)
    remaining = abs(days)
    while remaining > 0:
        day += step
        if is_business_day(day):
            remaining -= 1
    return day


def add_business_days(local_dt, days):
    """Add ``days`` business days to an aware local datetime.

    The wall-clock time is kept (the UTC offset is recomputed, so a DST
    change in between is handled). ``days == 0`` returns ``local_dt``.

    >>> brussels = get_timezone('Europe/Brussels')
    >>> friday = brussels.localize(datetime(2026, 3, 27, 10, 0))
    >>> add_business_days(friday, 1).isoformat()
    '2026-03-30T10:00:00+02:00'
    """
    if not days:
        return local_dt
    wall = shift_business_days(local_dt.replace(tzinfo=None), days)
    return localize_wall_clock(wall, local_dt.tzinfo)


def apply_delay(anchor_utc, tz_name, business_days=0, days=0, hours=0, minutes=0):
    """Return the naive UTC instant ``anchor_utc`` + the delay.

    Order: business days, then calendar days (both in local time, keeping
    the wall clock), then hours and minutes (absolute elapsed time).

    >>> apply_delay(datetime(2026, 3, 28, 9, 0), 'Europe/Brussels', days=1)
    datetime.datetime(2026, 3, 29, 8, 0)
    >>> apply_delay(datetime(2026, 3, 28, 9, 0), 'Europe/Brussels', hours=24)
    datetime.datetime(2026, 3, 29, 9, 0)
    """
    local = to_local(anchor_utc, get_timezone(tz_name))
    local = _add_wall_clock_days(local, business_days, days)
    elapsed = timedelta(hours=hours, minutes=minutes)
    return to_naive_utc(local) + elapsed


def _add_wall_clock_days(local_dt, business_days, days):
    """Shift by business then calendar days, localizing only once."""
    if not business_days and not days:
        return local_dt
    wall = local_dt.replace(tzinfo=None)
    wall = shift_business_days(wall, business_days) + timedelta(days=days)
    return localize_wall_clock(wall, local_dt.tzinfo)


def delay_parts(business_days=0, days=0, hours=0, minutes=0):
    """The non-zero parts of a delay, in the order they stack, for the UI
    to put in words (in the user's language).

    >>> delay_parts()
    []
    >>> delay_parts(business_days=2, days=1, minutes=30)
    [('business_days', 2), ('days', 1), ('minutes', 30)]
    """
    parts = [("business_days", business_days), ("days", days), ("hours", hours), ("minutes", minutes)]
    return [(unit, amount) for unit, amount in parts if amount]


# ---------------------------------------------------------------------------
# Sending window
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """Daily sending window ``[start, end)`` in float local hours.

    >>> Window(9.5, 17.0, True).contains(datetime(2026, 1, 5, 9, 30))
    True
    >>> Window(17.0, 9.0, True)
    Traceback (most recent call last):
    ...
    ValueError: Invalid sending window: start (17.0) must be before end (9.0).
    """

    start: float
    end: float
    weekdays_only: bool

    def __post_init__(self):
        if not 0 <= self.start < 24 or not 0 < self.end <= 24:
            raise ValueError(
                "Invalid sending window: hours must lie between 0 and 24 "
                "(got start=%s, end=%s)." % (self.start, self.end)
            )
        if self.start >= self.end:
            raise ValueError("Invalid sending window: start (%s) must be before end (%s)." % (self.start, self.end))

    @property
    def start_seconds(self):
        """Opening time as seconds after local midnight."""
        return round(self.start * SECONDS_PER_HOUR)

    @property
    def end_seconds(self):
        """Closing time as seconds after local midnight."""
        return round(self.end * SECONDS_PER_HOUR)

    def allows_day(self, day):
        """True if sending is allowed on that date at all."""
        return not self.weekdays_only or is_business_day(day)

    def contains(self, local_dt):
        """True if the local (wall-clock) datetime is inside the window."""
        if not self.allows_day(local_dt):
            return False
        seconds = _seconds_since_midnight(local_dt)
        return self.start_seconds <= seconds < self.end_seconds

    def opening_on(self, day):
        """Naive wall-clock datetime at which the window opens on ``day``."""
        midnight = datetime(day.year, day.month, day.day)
        return midnight + timedelta(seconds=self.start_seconds)


def _seconds_since_midnight(dt):
    """Wall-clock time of day of ``dt`` in (fractional) seconds."""
    whole = dt.hour * SECONDS_PER_HOUR + dt.minute * 60 + dt.second
    return whole + dt.microsecond / 1e6


def next_opening(when_utc, tz_name, window_start=9.0, window_end=17.0, weekdays_only=True):
    """Return ``when_utc`` if inside the window, else the next opening.

    Both the argument and the result are naive UTC; the window is
    evaluated on the local wall clock of ``tz_name``.

    >>> next_opening(datetime(2026, 1, 10, 3, 0), 'UTC')  # Saturday 03:00
    datetime.datetime(2026, 1, 12, 9, 0)
    """
    window = Window(window_start, window_end, weekdays_only)
    tz = get_timezone(tz_name)
    local = to_local(when_utc, tz)
    if window.contains(local):
        return to_naive_utc(local)
    return to_naive_utc(_next_local_opening(local, window, tz))


def _next_local_opening(local, window, tz):
    """First window opening strictly after the aware datetime ``local``."""
    day = local.date()
    for _day in range(MAX_DAYS_TO_SEARCH):
        for opening in _instants_showing(window.opening_on(day), tz):
            if opening > local and window.contains(opening):
                return opening
        day += timedelta(days=1)
    raise ValueError("Sending window %s never opens in %s." % (window, tz))


def compute_due(
    anchor_utc,
    tz_name,
    business_days=0,
    days=0,
    hours=0,
    minutes=0,
    window_start=9.0,
    window_end=17.0,
    weekdays_only=True,
):
    """Due date of a cadence step: the delay, then deferred into the window.

    >>> friday_4pm = datetime(2026, 1, 9, 16, 0)
    >>> compute_due(friday_4pm, 'UTC', hours=2)
    datetime.datetime(2026, 1, 12, 9, 0)
    """
    delayed = apply_delay(anchor_utc, tz_name, business_days, days, hours, minutes)
    return next_opening(delayed, tz_name, window_start, window_end, weekdays_only)
