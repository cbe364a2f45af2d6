"""Sending caps that defer, never drop: per-sequence daily limit and throttle,
per-sender daily limit and warm-up, the per-minute limit of a sender's own
mail server, a global hourly cap and a per-recipient-domain daily cap.

The engine builds one ``SendQuota`` per batch from what was already sent, then
asks it, email by email, either to take the email now (``None``) or when it
may go and why (a :class:`Deferral`); deferred emails are planned again at that
moment, inside the sending window.

>>> from datetime import datetime
>>> now = datetime(2026, 3, 2, 9, 0)
>>> quota = SendQuota(now, throttle_last_sent={7: datetime(2026, 3, 2, 8, 59, 30)})
>>> quota.reserve(sender=7, throttle_seconds=60)
Deferral(until=datetime.datetime(2026, 3, 2, 9, 0, 30), reason='throttle', limit=60)
>>> quota.reserve(sender=7, throttle_seconds=60).until
datetime.datetime(2026, 3, 2, 9, 1, 30)
>>> quota.reserve(sender=8, throttle_seconds=60) is None
True

A sender warming up a mailbox starts at ``start`` emails a day and adds
``increment`` a day (calendar days, the day it starts being day 1) up to their
daily limit:

>>> from datetime import date
>>> warmup = Warmup(start=20, increment=10, started_on=date(2026, 3, 2))
>>> [sender_allowance(50, date(2026, 3, day), warmup).limit for day in range(2, 9)]
[20, 30, 40, 50, 50, 50, 50]
>>> sender_allowance(50, date(2026, 3, 3), warmup)
Allowance(limit=30, reason='warmup', day=2)
"""

from collections import Counter, defaultdict
from datetime import timedelta
from typing import NamedTuple

HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)

# why an email waits (``sales.sequence.enrollment.waiting_reason``)
SEQUENCE_DAILY = "sequence_daily_limit"
SENDER_DAILY = "sender_daily_limit"
WARMUP = "warmup"
MAILBOX_RATE = "mailbox_rate"
THROTTLE = "throttle"
HOURLY = "hourly_cap"
DOMAIN = "domain_cap"


class Deferral(NamedTuple):
    """An email that may not go now: the earliest moment it may (naive UTC),
    the cap that holds it (a reason code above) and that cap's value."""

    until: object
    reason: str
    limit: int


class Warmup(NamedTuple):
    """A sender's warm-up: ``start`` emails on ``started_on`` (a date), then
    ``increment`` more each day."""

    start: int
    increment: int
    started_on: object


class Allowance(NamedTuple):
    """What a sender may send today: ``limit`` emails (0: no limit), set by
    ``reason`` (``warmup`` or ``sender_daily_limit``; None without limit),
    on day ``day`` of the warm-up (0 without warm-up)."""

    limit: int
    reason: object
    day: int


def warmup_day(started_on, today):
    """The day of a warm-up started on ``started_on`` that ``today`` is (1 on
    the first day; a warm-up that starts later is on its day 1).

    >>> from datetime import date
    >>> warmup_day(date(2026, 3, 2), date(2026, 3, 8))
    7
    >>> warmup_day(date(2026, 3, 9), date(2026, 3, 8))
    1
    """
    return max((today - started_on).days, 0) + 1


def sender_allowance(limit, today, warmup=None):
    """The :class:`Allowance` of a sender whose daily limit is ``limit`` (0:
    none) on ``today`` (the sender's local date), ramped by ``warmup`` (a
    :class:`Warmup`, or None). Without a limit, a warm-up climbs without end.

    >>> from datetime import date
    >>> sender_allowance(0, date(2026, 3, 2))
    Allowance(limit=0, reason=None, day=0)
    >>> sender_allowance(400, date(2026, 3, 2))
    Allowance(limit=400, reason='sender_daily_limit', day=0)
    >>> sender_allowance(400, date(2026, 3, 30), Warmup(20, 10, date(2026, 3, 2))).limit
    300
    >>> sender_allowance(0, date(2026, 3, 30), Warmup(20, 10, date(2026, 3, 2))).limit
    300
    """
    if warmup and warmup.started_on:
        day = warmup_day(warmup.started_on, today)
        ramp = max(warmup.start, 0) + max(warmup.increment, 0) * (day - 1)
        if not limit or ramp < limit:
            return Allowance(max(ramp, 1), WARMUP, day)
        return Allowance(limit, SENDER_DAILY, day)
    return Allowance(limit, SENDER_DAILY if limit else None, 0)


def minute_of(moment):
    """The start of the minute of ``moment``."""
    return moment.replace(second=0, microsecond=0)


class SendQuota:
    """What may still be sent now, given what was sent before.

    :param now: naive UTC datetime of the engine tick
    :param sent_today: {sender: emails sent since the start of the sender's day}
    :param next_day: {sender: naive UTC start of the sender's next day}
    :param allowances: {sender: :class:`Allowance` of today}
    :param per_minute: {sender: emails a minute their own mail server takes}
    :param sent_this_minute: {sender: emails sent since the start of this minute}
    :param throttle_last_sent: {sender: naive UTC time of its last email}
    :param hourly_cap: emails allowed per rolling hour for everyone (0: none)
    :param last_hour: sorted naive UTC times of the emails of the last hour
    :param domain_cap: emails allowed per recipient domain per day (0: none)
    :param domain_sent_today: {domain: emails sent since the start of the day}
    :param tomorrow: naive UTC start of the next day (for the domain cap)
    """

    def __init__(
        self,
        now,
        sent_today=None,
        next_day=None,
        throttle_last_sent=None,
        hourly_cap=0,
        last_hour=(),
        domain_cap=0,
        domain_sent_today=None,
        tomorrow=None,
        allowances=None,
        per_minute=None,
        sent_this_minute=None,
    ):
        self.now = now
        self.sent_today = Counter(sent_today or {})
        self.next_day = next_day or {}
        self.allowances = allowances or {}
        self.per_minute = {sender: limit for sender, limit in (per_minute or {}).items() if limit}
        self.minute_load = defaultdict(Counter)  # {sender: {minute: emails planned in it}}
        for sender, count in (sent_this_minute or {}).items():
            self.minute_load[sender][minute_of(now)] = count
        self.next_free = dict(throttle_last_sent or {})
        self.hourly_cap = hourly_cap
        self.last_hour = sorted(last_hour)
        self.domain_cap = domain_cap
        self.domain_sent_today = Counter(domain_sent_today or {})
        self.tomorrow = tomorrow or now + timedelta(days=1)

    def reserve(self, sender, daily_limit=0, throttle_seconds=0, domain=None):
        """Take one email of ``sender`` to ``domain`` now (None) or tell when
        it may go (a :class:`Deferral`, the latest cap that holds it).

        An email held by a quota (a daily limit, the hourly or the domain cap)
        takes no share of anything; an email only paced (throttle, the
        mailbox's per-minute limit) books its later slot, so that the next
        email of the sender queues behind it."""
        held = [
            deferral
            for deferral in (
                self._sequence_daily(sender, daily_limit),
                self._sender_daily(sender),
                self._domain(domain),
                self._hourly(),
            )
            if deferral
        ]
        if held:
            return max(held, key=lambda deferral: deferral.until)
        paced = self._pace(sender, throttle_seconds)
        if paced:
            return paced
        self._take(sender, domain)
        return None

    def _sequence_daily(self, sender, daily_limit):
        if daily_limit and self.sent_today[sender] >= daily_limit:
            return Deferral(self.next_day.get(sender, self.tomorrow), SEQUENCE_DAILY, daily_limit)
        return None

    def _sender_daily(self, sender):
        allowance = self.allowances.get(sender)
        if allowance and allowance.limit and self.sent_today[sender] >= allowance.limit:
            return Deferral(self.next_day.get(sender, self.tomorrow), allowance.reason, allowance.limit)
        return None

    def _domain(self, domain):
        if self.domain_cap and domain and self.domain_sent_today[domain] >= self.domain_cap:
            return Deferral(self.tomorrow, DOMAIN, self.domain_cap)
        return None

    def _hourly(self):
        if not self.hourly_cap:
            return None
        recent = [moment for moment in self.last_hour if moment > self.now - HOUR]
        if len(recent) < self.hourly_cap:
            return None
        # when enough of them age out
        return Deferral(recent[len(recent) - self.hourly_cap] + HOUR, HOURLY, self.hourly_cap)

    def _pace(self, sender, throttle_seconds):
        """Book the earliest moment the sender's spacing and mailbox allow:
        None when it is now, else the :class:`Deferral` to it."""
        moment, deferral = self.now, None
        if throttle_seconds and sender in self.next_free:
            spaced = self.next_free[sender] + timedelta(seconds=throttle_seconds)
            if spaced > moment:
                moment, deferral = spaced, Deferral(spaced, THROTTLE, throttle_seconds)
        limit = self.per_minute.get(sender)
        if limit:
            load, minute = self.minute_load[sender], minute_of(moment)
            while load[minute] >= limit:
                minute += MINUTE
            if minute > moment:
                moment, deferral = minute, Deferral(minute, MAILBOX_RATE, limit)
            load[minute_of(moment)] += 1
        if throttle_seconds:
            self.next_free[sender] = moment
        return deferral

    def _take(self, sender, domain):
        self.sent_today[sender] += 1
        if domain:
            self.domain_sent_today[domain] += 1
        if self.hourly_cap:
            self.last_hour.append(self.now)
