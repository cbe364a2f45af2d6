"""The timed stages of the benchmark, and how they are measured.

Each stage runs against committed data and ends with a commit, so every figure
includes the cost of writing for real. ``Measure`` records wall time, the number
of SQL queries and the time spent inside them (Odoo counts both per thread).
"""

import cProfile
import pstats
import threading
import time
import uuid
import warnings
from contextlib import contextmanager
from dataclasses import dataclass

from markupsafe import escape

from odoo import fields


@dataclass
class Measure:
    seconds: float
    queries: int
    sql_seconds: float
    items: int  # rows the stage produced (emails, enrollments) or processed


@contextmanager
def measuring(profile_path=None):
    """Time the block; ``holder["measure"]`` is set on exit (items filled by the caller)."""
    thread = threading.current_thread()
    thread.query_count, thread.query_time = 0, 0.0
    holder = {}
    profiler = cProfile.Profile() if profile_path else None
    start = time.perf_counter()
    if profiler:
        profiler.enable()
    try:
        yield holder
    finally:
        if profiler:
            profiler.disable()
        holder["measure"] = Measure(
            time.perf_counter() - start,
            thread.query_count,
            thread.query_time,
            holder.get("items", 0),
        )
        if profiler:
            profiler.dump_stats(profile_path)
            pstats.Stats(str(profile_path)).sort_stats("cumulative").print_stats(30)


def last_mail_id(env):
    env.cr.execute("SELECT COALESCE(MAX(id), 0) FROM mail_mail")
    return env.cr.fetchone()[0]


def mails_after(env, mail_id):
    env.cr.execute("SELECT COUNT(*) FROM mail_mail WHERE id > %s", [mail_id])
    return env.cr.fetchone()[0]


# ----------------------------------------------------------------------
# The engine
# ----------------------------------------------------------------------


def enroll(env, sequence, partners, profile_path=None):
    env.invalidate_all()
    with measuring(profile_path) as holder:
        result = sequence.enroll(partners)
        env.flush_all()
        env.cr.commit()
        holder["items"] = len(result["enrolled"])
    return holder["measure"]


def cron_model(env):
    """The enrollment model in the context the cron gives it: a progress
    record, so ``_cron_process_due`` commits after every batch. The time
    budget is lifted: the stage measures the engine, not the cron's slices."""
    cron = env.ref("sales_sequence.ir_cron_process_due")
    cron, progress = cron._add_progress()
    env.cr.commit()
    return env["sales.sequence.enrollment"].with_context(
        cron_id=cron.id,
        ir_cron_progress_id=progress.id,
        cron_end_time=time.monotonic() + 24 * 3600,
    )


def process_due(env, now, profile_path=None):
    Enrollment = cron_model(env)
    env.invalidate_all()
    before = last_mail_id(env)
    with measuring(profile_path) as holder:
        holder["processed"] = Enrollment._cron_process_due(now=now)
        env.cr.commit()
    measure = holder["measure"]
    measure.items = mails_after(env, before)
    return measure, holder["processed"]


def idle_ticks(env, now, ticks=5):
    """Run ``ticks`` engine ticks with nothing due; return their measures."""
    measures = []
    for _tick in range(ticks):
        Enrollment = cron_model(env)
        env.invalidate_all()
        with measuring() as holder:
            holder["items"] = Enrollment._cron_process_due(now=now)
            env.cr.commit()
        measures.append(holder["measure"])
    return measures


# ----------------------------------------------------------------------
# What Odoo offers without the addon
# ----------------------------------------------------------------------


def base_automation(env, profile_path=None):
    """base_automation's own cron method, run as the cron would (it commits)."""
    env.invalidate_all()
    before = last_mail_id(env)
    with measuring(profile_path) as holder:
        env["base.automation"]._cron_process_time_based_actions()
        env.cr.commit()
    measure = holder["measure"]
    measure.items = mails_after(env, before)
    return measure


def mass_mailing(env, mailing, profile_path=None):
    """Odoo's own bulk mailer as a user runs it (*Send* puts the mailing in the
    queue; its cron, or this call, renders and queues the emails): it commits
    after every batch of ``mail.batch_size`` emails."""
    env.invalidate_all()
    before = last_mail_id(env)
    with measuring(profile_path) as holder, warnings.catch_warnings():
        # mail's composer still calls the deprecated ir.cron._notify_progress
        warnings.simplefilter("ignore", DeprecationWarning)
        mailing._action_send_mail()
        env.cr.commit()
    measure = holder["measure"]
    measure.items = mails_after(env, before)
    return measure


# ----------------------------------------------------------------------
# The floors: the same rows with plain SQL, and with one ORM create
# ----------------------------------------------------------------------


def prerender(env, partner_ids, sender):
    """Subject, body and recipient of each email, rendered with str.format."""
    sign = "%s, %s · %s" % (sender.name.split()[0], sender.function, sender.phone)
    env.cr.execute(
        """
        SELECT partner.id, partner.name, partner.email, partner.city, company.name
          FROM res_partner partner LEFT JOIN res_partner company ON company.id = partner.parent_id
         WHERE partner.id = ANY(%s) ORDER BY partner.id
    """,
        [list(partner_ids)],
    )
    rows = []
    for partner_id, name, email, city, company in env.cr.fetchall():
        first = escape(name.split()[0])
        body = (
            "<p>Hi %s,</p><p>I follow %s in %s.</p><p>%s</p>"
            '<p><a href="https://example.com/unsubscribe/%s">Unsubscribe</a></p>'
        ) % (first, escape(company), escape(city), escape(sign), uuid.uuid4().hex)
        rows.append(
            (
                partner_id,
                "%s, a question about %s" % (first, company),
                body,
                '"%s" <%s>' % (name, email),
                "<%s@bench.example.com>" % uuid.uuid4().hex,
            )
        )
    return rows


def sql_floor(env, rows, sender, profile_path=None):
    """Insert one mail.message and one mail.mail per pre-rendered row."""
    cr = env.cr
    before = last_mail_id(env)
    with measuring(profile_path) as holder:
        now = fields.Datetime.now()
        message_ids = cr.execute_values(
            """
            INSERT INTO mail_message (model, res_id, message_type, author_id, email_from, reply_to,
                                      subject, body, message_id, date, create_uid, write_uid,
                                      create_date, write_date)
            VALUES %s RETURNING id
        """,
            [
                (
                    "res.partner",
                    partner_id,
                    "email_outgoing",
                    sender.partner_id.id,
                    sender.email_formatted,
                    "catchall@bench.example.com",
                    subject,
                    body,
                    message_id,
                    now,
                    1,
                    1,
                    now,
                    now,
                )
                for partner_id, subject, body, __, message_id in rows
            ],
            page_size=len(rows),
            fetch=True,
        )
        cr.execute_values(
            """
            INSERT INTO mail_mail (mail_message_id, body_html, email_to, "references", state,
                                   auto_delete, is_notification, create_uid, write_uid,
                                   create_date, write_date)
            VALUES %s
        """,
            [
                (message_id, body, email_to, references, "outgoing", False, True, 1, 1, now, now)
                for (message_id,), (__, __, body, email_to, references) in zip(message_ids, rows, strict=True)
            ],
            page_size=len(rows),
        )
        cr.commit()
    measure = holder["measure"]
    measure.items = mails_after(env, before)
    return measure


def orm_floor(env, rows, sender, profile_path=None):
    """The same pre-rendered emails through one ``mail.mail`` ``create`` (for
    information: what the ORM alone costs, below which the engine cannot go)."""
    values = [
        {
            "model": "res.partner",
            "res_id": partner_id,
            "message_type": "email_outgoing",
            "author_id": sender.partner_id.id,
            "email_from": sender.email_formatted,
            "reply_to": "catchall@bench.example.com",
            "subject": subject,
            "body": body,
            "body_html": body,
            "email_to": email_to,
            "message_id": message_id,
            "references": message_id,
            "auto_delete": False,
            "is_notification": True,
            "state": "outgoing",
        }
        for partner_id, subject, body, email_to, message_id in rows
    ]
    before = last_mail_id(env)
    with measuring(profile_path) as holder:
        env["mail.mail"].sudo().create(values)
        env.cr.commit()
    measure = holder["measure"]
    measure.items = mails_after(env, before)
    return measure
