"""Load the sending caps of a batch (``tools.caps.SendQuota``) from what the
traces say was already sent: at most four grouped queries a batch, none when
no cap is set (the senders' own mail servers are read by the runner)."""

from datetime import datetime, time, timedelta

from odoo.fields import Domain
from odoo.tools import SQL

from ..tools import schedule
from ..tools.caps import SendQuota, minute_of
from . import settings

SENT = Domain("message_id", "!=", False)  # every email the engine queued


def load_send_quota(emailing, now, emails, mail_servers=None):
    """The quota for ``emailing`` (enrollments due at a step that sends an
    email, whose recipient addresses are ``emails``: {enrollment id: email})
    at ``now``, or None when no cap applies. ``mail_servers``: {sender id:
    their own outgoing mail server}, whose per-minute limit paces them."""
    if not emailing:
        return None
    env = emailing.env
    hourly_cap = settings.get(env, "hourly_cap")
    domain_cap = settings.get(env, "domain_daily_cap")
    sequences = emailing.sequence_id
    daily = any(sequences.mapped("daily_limit"))
    throttle = any(sequences.mapped("throttle_seconds"))
    senders = emailing.user_id
    tz_names = {sender.id: _sender_tz(sender, emailing) for sender in senders}
    allowances = {
        sender.id: allowance
        for sender in senders
        if (allowance := sender._sales_sequence_allowance(now, tz_names[sender.id])).limit
    }
    per_minute = {
        sender_id: server._get_personal_mail_servers_limit() for sender_id, server in (mail_servers or {}).items()
    }
    if not (hourly_cap or domain_cap or daily or throttle or allowances or per_minute):
        return None
    # sudo: the caps count every sender's emails
    Trace = env["sales.sequence.trace"].sudo()
    sent = SENT & Domain("sent_at", "<=", now)
    tomorrow = datetime.combine(now.date(), time()) + timedelta(days=1)
    day_starts = {sender_id: _day_start(now, tz_name) for sender_id, tz_name in tz_names.items()}
    today, this_minute = _sent_today(env, now, day_starts) if daily or allowances or per_minute else ({}, {})
    quota = SendQuota(
        now,
        sent_today=today,
        next_day={sender: start + timedelta(days=1) for sender, start in day_starts.items()},
        allowances=allowances,
        per_minute=per_minute,
        sent_this_minute=this_minute,
        hourly_cap=hourly_cap,
        domain_cap=domain_cap,
        tomorrow=tomorrow,
    )
    if throttle:
        quota.next_free = {
            user.id: last
            for user, last in Trace._read_group(
                sent & Domain("user_id", "in", senders.ids),
                ["user_id"],
                ["sent_at:max"],
            )
        }
    if hourly_cap:
        quota.last_hour = sorted(
            Trace.search_fetch(
                sent & Domain("sent_at", ">", now - timedelta(hours=1)),
                ["sent_at"],
            ).mapped("sent_at")
        )
    if domain_cap:
        domains = {emails[enrollment.id].rpartition("@")[2] for enrollment in emailing if emails.get(enrollment.id)}
        quota.domain_sent_today.update(
            dict(
                Trace._read_group(
                    sent
                    & Domain("email_domain", "in", list(domains))
                    & Domain("sent_at", ">=", tomorrow - timedelta(days=1)),
                    ["email_domain"],
                    ["__count"],
                )
            )
        )
    return quota


def _sender_tz(sender, enrollments):
    return sender.tz or enrollments.filtered(lambda e: e.user_id == sender)[:1].sequence_id.tz


def _day_start(now, tz_name):
    """Naive UTC start of the local day containing ``now`` in ``tz_name``."""
    tz = schedule.get_timezone(tz_name)
    midnight = datetime.combine(schedule.to_local(now, tz).date(), time())
    return schedule.to_naive_utc(schedule.localize_wall_clock(midnight, tz))


def _sent_today(env, now, day_starts):
    """({sender id: emails sent since the start of its day}, {sender id:
    emails sent since the start of this minute}), in one query."""
    if not day_starts:
        return {}, {}
    minute = minute_of(now)
    env["sales.sequence.trace"].flush_model(["user_id", "sent_at", "message_id"])
    rows = env.execute_query(
        SQL(
            """SELECT trace.user_id,
                  COUNT(*) FILTER (WHERE trace.sent_at >= day.start_at),
                  COUNT(*) FILTER (WHERE trace.sent_at >= %(minute)s)
             FROM sales_sequence_trace trace
             JOIN (VALUES %(days)s) AS day(user_id, start_at) ON day.user_id = trace.user_id
            WHERE trace.message_id IS NOT NULL AND trace.sent_at <= %(now)s AND trace.sent_at >= %(since)s
         GROUP BY trace.user_id""",
            minute=minute,
            now=now,
            since=min(min(day_starts.values()), minute),
            days=SQL(", ").join(SQL("(%s, %s::timestamp)", sender, start) for sender, start in day_starts.items()),
        )
    )
    return (
        {sender: today for sender, today, __ in rows if today},
        {sender: this_minute for sender, __, this_minute in rows if this_minute},
    )
