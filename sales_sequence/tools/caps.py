"""Sending caps that defer, never drop: per-sender daily limit and throttle,
a global hourly cap and a per-recipient-domain daily cap.

The engine builds one ``SendQuota`` per batch from what was already sent, then
asks it, email by email, either to take the email now (``None``) or for the
earliest moment it may go (a naive UTC datetime); deferred emails are planned
again at that moment, inside the sending window.

>>> from datetime import datetime
>>> now = datetime(2026, 3, 2, 9, 0)
>>> quota = SendQuota(now, throttle_last_sent={7: datetime(2026, 3, 2, 8, 59, 30)})
>>> quota.reserve(sender=7, throttle_seconds=60)
datetime.datetime(2026, 3, 2, 9, 0, 30)
>>> quota.reserve(sender=7, throttle_seconds=60)
datetime.datetime(2026, 3, 2, 9, 1, 30)
>>> quota.reserve(sender=8, throttle_seconds=60) is None
True
"""
from collections import Counter
from datetime import timedelta

HOUR = timedelta(hours=1)


class SendQuota:
    """What may still be sent now, given what was sent before.

    :param now: naive UTC datetime of the engine tick
    :param sent_today: {sender: emails sent since the start of the sender's day}
    :param next_day: {sender: naive UTC start of the sender's next day}
    :param throttle_last_sent: {sender: naive UTC time of its last email}
    :param hourly_cap: emails allowed per rolling hour for everyone (0: none)
    :param last_hour: sorted naive UTC times of the emails of the last hour
    :param domain_cap: emails allowed per recipient domain per day (0: none)
    :param domain_sent_today: {domain: emails sent since the start of the day}
    :param tomorrow: naive UTC start of the next day (for the domain cap)
    """

    def __init__(self, now, sent_today=None, next_day=None, throttle_last_sent=None,
                 hourly_cap=0, last_hour=(), domain_cap=0, domain_sent_today=None, tomorrow=None):
        self.now = now
        self.sent_today = Counter(sent_today or {})
        self.next_day = next_day or {}
        self.next_free = {sender: sent + timedelta(0) for sender, sent in (throttle_last_sent or {}).items()}
        self.hourly_cap = hourly_cap
        self.last_hour = sorted(last_hour)
        self.domain_cap = domain_cap
        self.domain_sent_today = Counter(domain_sent_today or {})
        self.tomorrow = tomorrow or now + timedelta(days=1)

    def reserve(self, sender, daily_limit=0, throttle_seconds=0, domain=None):
        """Take one email of ``sender`` to ``domain`` now (None) or tell when it
        may go; a deferred email takes no share of today's quotas."""
        later = [moment for moment in (
            self._daily_slot(sender, daily_limit),
            self._domain_slot(domain),
            self._hourly_slot(),
            self._throttle_slot(sender, throttle_seconds),
        ) if moment]
        if later:
            return max(later)
        self._take(sender, throttle_seconds, domain)
        return None

    def _daily_slot(self, sender, daily_limit):
        if daily_limit and self.sent_today[sender] >= daily_limit:
            return self.next_day.get(sender, self.tomorrow)
        return None

    def _domain_slot(self, domain):
        if self.domain_cap and domain and self.domain_sent_today[domain] >= self.domain_cap:
            return self.tomorrow
        return None

    def _hourly_slot(self):
        if not self.hourly_cap:
            return None
        recent = [moment for moment in self.last_hour if moment > self.now - HOUR]
        if len(recent) < self.hourly_cap:
            return None
        return recent[len(recent) - self.hourly_cap] + HOUR  # when enough of them age out

    def _throttle_slot(self, sender, throttle_seconds):
        if not throttle_seconds or sender not in self.next_free:
            return None
        slot = self.next_free[sender] + timedelta(seconds=throttle_seconds)
        if slot <= self.now:
            return None
        self.next_free[sender] = slot  # the next deferred email of this sender queues after it
        return slot

    def _take(self, sender, throttle_seconds, domain):
        self.sent_today[sender] += 1
        if domain:
            self.domain_sent_today[domain] += 1
        if self.hourly_cap:
            self.last_hour.append(self.now)
        if throttle_seconds:
            self.next_free[sender] = self.now
