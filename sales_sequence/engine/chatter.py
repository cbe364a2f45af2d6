"""Chatter writes for thousands of records in a few queries.

Enrolling 10,000 contacts notes "Enrolled in the sequence …" on each of them
and makes the sender follow each new enrollment. Odoo's own batch helpers
(``_message_log_batch``, ``message_subscribe``) build one ORM record per
message and per follower: at that size they were three quarters of the time
of a bulk enrollment. These write the same rows with one ``INSERT`` each:

- ``log_notes``: internal notes, as ``_message_log_batch`` writes them (the
  current user as author, the note subtype, no notification);
- ``follow``: one partner follows records, with the default subtypes Odoo
  gives a new follower (``mail.followers._add_default_followers``).

Neither checks access rights: callers decide what may be noted or followed.
"""

from markupsafe import Markup

from odoo import fields
from odoo.tools import SQL
from odoo.tools.mail import generate_tracking_message_id


def log_notes(env, model, bodies):
    """Post the internal note ``bodies[res_id]`` (plain text) on each record
    of ``model``, as the current user.

    :param dict bodies: ``{res_id: text}``
    """
    if not bodies:
        return
    thread = env["mail.thread"]
    author_id, email_from = thread._message_compute_author()
    reply_to = thread._notify_get_reply_to(default=email_from, author_id=author_id)[False]
    now = fields.Datetime.now()
    res_ids = list(bodies)
    env.flush_all()
    env.cr.execute(
        SQL(
            """
            INSERT INTO mail_message (
                model, res_id, body, message_type, subtype_id, is_internal, email_add_signature,
                author_id, email_from, reply_to, message_id, date,
                create_uid, create_date, write_uid, write_date)
            SELECT %(model)s, rows.res_id, rows.body, 'notification', %(subtype)s, TRUE, FALSE,
                   %(author)s, %(email_from)s, %(reply_to)s, %(message_id)s, %(now)s,
                   %(uid)s, %(now)s, %(uid)s, %(now)s
              FROM unnest(%(res_ids)s::int[], %(bodies)s::text[]) AS rows(res_id, body)
            """,
            model=model,
            subtype=env["ir.model.data"]._xmlid_to_res_id("mail.mt_note"),
            author=author_id or None,
            email_from=email_from or None,
            reply_to=reply_to or None,
            # one Message-ID for the whole batch, as _message_log_batch does: notes are never sent
            message_id=generate_tracking_message_id("message-notify"),
            now=now,
            uid=env.uid,
            res_ids=res_ids,
            bodies=[str(Markup("<p>%s</p>") % bodies[res_id]) for res_id in res_ids],
        )
    )
    env[model].browse(res_ids).invalidate_recordset(["message_ids"])


def follow(env, model, res_ids, partner):
    """Make ``partner`` follow the records ``res_ids`` of ``model``, which it
    does not follow yet (new records), with a new follower's default subtypes."""
    if not res_ids or not partner:
        return
    new, __ = env["mail.followers"]._add_default_followers(model, res_ids[:1], partner.ids, check_existing=False)
    (values,) = new[res_ids[0]]
    (__, __, subtype_ids) = values["subtype_ids"][0]  # Command.set
    env.flush_all()
    env.cr.execute(
        SQL(
            """
            WITH followers AS (
                INSERT INTO mail_followers (res_model, res_id, partner_id)
                SELECT %(model)s, res_id, %(partner)s FROM unnest(%(res_ids)s::int[]) AS res_id
                ON CONFLICT DO NOTHING
                RETURNING id
            )
            INSERT INTO mail_followers_mail_message_subtype_rel (mail_followers_id, mail_message_subtype_id)
            SELECT followers.id, subtype_id FROM followers, unnest(%(subtypes)s::int[]) AS subtype_id
            """,
            model=model,
            partner=partner.id,
            res_ids=list(res_ids),
            subtypes=list(subtype_ids),
        )
    )
    env[model].browse(res_ids).invalidate_recordset(["message_follower_ids", "message_partner_ids"])
