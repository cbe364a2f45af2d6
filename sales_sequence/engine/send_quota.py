"""Load the sending caps of a batch (``tools.caps.SendQuota``) from what the
traces say was already sent: at most four grouped queries a batch, none when
no cap is set."""
from datetime import datetime, time, timedelta

from odoo.fields import Domain

from ..tools import schedule
from ..tools.caps import SendQuota
from . import settings

SENT = Domain("message_id", "!=", False)  # every email the engine queued


def load_send_quota(emailing, now, emails):
    """The quota for ``emailing`` (enrollments due at a step that sends an
    email, whose recipient addresses are ``emails``: {enrollment id: email})
    at ``now``, or None when no cap applies."""
    if not emailing:
        return None
    env = emailing.env
    hourly_cap = settings.get(env, "hourly_cap")
    domain_cap = settings.get(env, "domain_daily_cap")
    sequences = emailing.sequence_id
    daily = any(sequences.mapped("daily_limit"))
    throttle = any(sequences.mapped("throttle_seconds"))
    if not (hourly_cap or domain_cap or daily or throttle):
        return None
    # sudo: the caps count every sender's emails
    Trace = env["sales.sequence.trace"].sudo()
    sent = SENT & Domain("sent_at", "<=", now)
    senders = emailing.user_id
    day_starts = {sender.id: _day_start(now, _sender_tz(sender, emailing)) for sender in senders}
    tomorrow = datetime.combine(now.date(), time()) + timedelta(days=1)
    quota = SendQuota(now, hourly_cap=hourly_cap, domain_cap=domain_cap, tomorrow=tomorrow)
    if daily:
        quota.sent_today.update(_sent_since(Trace, sent, day_starts))
        quota.next_day = {sender: start + timedelta(days=1) for sender, start in day_starts.items()}
    if throttle:
        quota.next_free = {user.id: last for user, last in Trace._read_group(
            sent & Domain("user_id", "in", senders.ids), ["user_id"], ["sent_at:max"],
        )}
    if hourly_cap:
        quota.last_hour = sorted(Trace.search_fetch(
            sent & Domain("sent_at", ">", now - timedelta(hours=1)), ["sent_at"],
        ).mapped("sent_at"))
    if domain_cap:
        domains = {emails[enrollment.id].rpartition("@")[2] for enrollment in emailing if emails.get(enrollment.id)}
        quota.domain_sent_today.update(dict(Trace._read_group(
            sent & Domain("email_domain", "in", list(domains)) & Domain("sent_at", ">=", tomorrow - timedelta(days=1)),
            ["email_domain"], ["__count"],
        )))
    return quota


def _sender_tz(sender, enrollments):
    return sender.tz or enrollments.filtered(lambda e: e.user_id == sender)[:1].sequence_id.tz


def _day_start(now, tz_name):
    """Naive UTC start of the local day containing ``now`` in ``tz_name``."""
    tz = schedule.get_timezone(tz_name)
    midnight = datetime.combine(schedule.to_local(now, tz).date(), time())
    return schedule.to_naive_utc(schedule.localize_wall_clock(midnight, tz))


def _sent_since(Trace, sent, day_starts):
    """{sender id: emails sent since the start of its day} in one query."""
    if not day_starts:
        return {}
    rows = Trace.search_fetch(
        sent & Domain("user_id", "in", list(day_starts)) & Domain("sent_at", ">=", min(day_starts.values())),
        ["user_id", "sent_at"],
    )
    counts = {}
    for row in rows:
        if row.sent_at >= day_starts[row.user_id.id]:
            counts[row.user_id.id] = counts.get(row.user_id.id, 0) + 1
    return counts
