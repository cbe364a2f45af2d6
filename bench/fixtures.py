"""The benchmark's data: a sender, N contacts spread over companies, the
3-step sequence, the equivalent base.automation rule and mass mailing, and the
100,000 idle enrollments (the latter with plain SQL).

The engine's step and the base.automation template render the same content
(first name, company, city, the sender's name, title and phone, an unsubscribe
link), each with its own template language; the mailing, as a user would write
it, has one placeholder (the first name) in a text of the same shape.
"""

from markupsafe import escape

from odoo import Command

COMPANIES = 200
REF_PREFIX = "bench-"

STEP_SUBJECT = "{{ first_name }}, a question about {{ company | default('your team') }}"
STEP_BODY = (
    "<p>Hi {{ first_name | default('there') }},</p>"
    "<p>{% if company %}I follow {{ company }} in {{ city }}.{% endif %}</p>"
    "<p>{{ sender.first_name }}, {{ sender.title }} · {{ sender.phone }}</p>"
)  # the engine appends the unsubscribe footer itself

TEMPLATE_SUBJECT = (
    "{{ (object.name or '').split(' ')[0] }}, a question about {{ object.commercial_company_name or 'your team' }}"
)
TEMPLATE_BODY = """<div>
<p>Hi <t t-out="(object.name or '').split(' ')[0] or 'there'"/>,</p>
<p t-if="object.commercial_company_name">I follow <t t-out="object.commercial_company_name"/>
in <t t-out="object.city"/>.</p>
<p><t t-out="(object.user_id.name or '').split(' ')[0]"/>, <t t-out="object.user_id.function"/>
· <t t-out="object.user_id.phone"/></p>
<p style="margin-top:24px;font-size:12px;color:#888888;">Not interested?
<a t-att-href="'%s/unsubscribe/%s' % (object.get_base_url(), object.id)" style="color:#888888;">Unsubscribe</a></p>
</div>"""


def create_sender(env):
    """The salesperson who sends, with the alias domain replies come back to."""
    domain = env["mail.alias.domain"].create({"name": "bench.example.com"})
    env.company.alias_domain_id = domain
    return env["res.users"].create(
        {
            "name": "Sam Sender",
            "login": "bench.sender",
            "email": "sam.sender@bench.example.com",
            "function": "Account Executive",
            "phone": "+32 2 555 01 02",
            "tz": "UTC",
            "group_ids": [Command.set(env.ref("sales_team.group_sale_salesman").ids)],
        }
    )


def create_contacts(env, count, salesperson):
    """``count`` contacts with an email and a salesperson (the sender of both
    the sequence and the automation), each working for one of the companies."""
    Partner = env["res.partner"].with_context(tracking_disable=True, mail_create_nolog=True)
    companies = Partner.create(
        [
            {"name": "Company %d" % index, "is_company": True, "city": "City %d" % index}
            for index in range(min(COMPANIES, count))
        ]
    )
    return Partner.create(
        [
            {
                "name": "First%d Last%d" % (index, index),
                "email": "contact%d@company%d.example.com" % (index, index % len(companies)),
                "parent_id": companies[index % len(companies)].id,
                "city": "City %d" % (index % len(companies)),
                "ref": "%s%d" % (REF_PREFIX, index),
                "user_id": salesperson.id,
            }
            for index in range(count)
        ]
    )


def create_sequence(env, sender, name="Bench outbound"):
    """Email now, a call a day later, an email two days after; always open."""
    sequence = env["sales.sequence"].create(
        {
            "name": name,
            "user_id": sender.id,
            "tz": "UTC",
            "window_start": 0.0,
            "window_end": 24.0,
            "weekdays_only": False,
            "step_ids": [
                Command.create({"sequence": 10, "step_type": "email", "subject": STEP_SUBJECT, "body_html": STEP_BODY}),
                Command.create({"sequence": 20, "step_type": "call", "delay_days": 1, "wait_for_completion": False}),
                Command.create(
                    {
                        "sequence": 30,
                        "step_type": "email",
                        "delay_days": 2,
                        "subject": "Re: " + STEP_SUBJECT,
                        "body_html": STEP_BODY,
                    }
                ),
            ],
        }
    )
    sequence.action_activate()
    return sequence


def create_time_based_rule(env):
    """What a Community user would set up without the addon: a time-based
    automation on contacts whose action sends a mail template from the
    contact's salesperson."""
    template = env["mail.template"].create(
        {
            "name": "Bench outbound",
            "model_id": env["ir.model"]._get_id("res.partner"),
            "subject": TEMPLATE_SUBJECT,
            "body_html": TEMPLATE_BODY,
            "email_from": "{{ object.user_id.email_formatted }}",
            "use_default_to": True,
            "auto_delete": False,  # keep the message for reply matching, as the engine does
        }
    )
    return env["base.automation"].create(
        {
            "name": "Bench outbound",
            "model_id": env["ir.model"]._get_id("res.partner"),
            "trigger": "on_time_created",
            "trg_date_range": 0,
            "trg_date_range_type": "hour",
            "filter_domain": repr([("ref", "=like", REF_PREFIX + "%")]),
            "action_server_ids": [
                Command.create(
                    {
                        "name": "Send the outbound email",
                        "model_id": env["ir.model"]._get_id("res.partner"),
                        "state": "mail_post",
                        "mail_post_method": "email",
                        "template_id": template.id,
                    }
                )
            ],
        }
    )


MAILING_SUBJECT = "A question about your team"
MAILING_BODY = """<div>
<p>Hi <t t-out="(object.name or '').split(' ')[0] or 'there'"/>,</p>
<p>I follow your company and the way it grows.</p>
<p>%(signature)s</p>
<p style="margin-top:24px;font-size:12px;color:#888888;">Not interested?
<a href="/unsubscribe_from_list" style="color:#888888;">Unsubscribe</a></p>
</div>"""  # mass_mailing turns /unsubscribe_from_list into the recipient's signed link


def create_mailing(env, sender):
    """What a Community user reaches for to send N personalised emails: an
    Odoo Email Marketing mailing (mass_mailing, installed in the benchmark's
    database only) to the same contacts, from the same sender, personalised
    with one placeholder (the first name, in QWeb), its archives kept so that
    each email stays logged on the contact's chatter, and replies routed to
    the contact (as ours)."""
    signature = escape("%s, %s · %s" % (sender.name.split()[0], sender.function, sender.phone))
    body = MAILING_BODY % {"signature": signature}
    return env["mailing.mailing"].create(
        {
            "subject": MAILING_SUBJECT,
            "body_arch": body,
            "body_html": body,
            "mailing_type": "mail",
            "mailing_model_id": env["ir.model"]._get_id("res.partner"),
            "mailing_domain": repr([("ref", "=like", REF_PREFIX + "%")]),
            "email_from": sender.email_formatted,
            "user_id": sender.id,
            "keep_archives": True,
            "reply_to_mode": "update",
        }
    )


def insert_idle_enrollments(env, sequence, sender, count, now):
    """``count`` contacts and active enrollments due 1 to 30 days after ``now``,
    with plain SQL (the ORM would take minutes and measure nothing useful)."""
    env.flush_all()
    cr = env.cr
    cr.execute(
        """
        WITH partner AS (
            INSERT INTO res_partner (name, complete_name, email, active, type, lang,
                                     create_uid, write_uid, create_date, write_date)
                 SELECT 'Idle Contact ' || n, 'Idle Contact ' || n, 'idle' || n || '@idle.example.com',
                        TRUE, 'contact', 'en_US', 1, 1, now() at time zone 'UTC', now() at time zone 'UTC'
                   FROM generate_series(1, %(count)s) n
              RETURNING id
        )
        INSERT INTO sales_sequence_enrollment (
               sequence_id, company_id, partner_id, user_id, step_id, state,
               next_run_at, last_run_at, enrolled_at, create_uid, write_uid, create_date, write_date)
        SELECT %(sequence)s, %(company)s, partner.id, %(user)s, %(step)s, 'active',
               %(now)s + (1 + partner.id %% 30) * interval '1 day', %(now)s, %(now)s, 1, 1, %(now)s, %(now)s
          FROM partner
    """,
        {
            "count": count,
            "sequence": sequence.id,
            "company": sequence.company_id.id,
            "user": sender.id,
            "step": sequence.step_ids[0].id,
            "now": now,
        },
    )
    cr.execute("UPDATE res_partner SET commercial_partner_id = id WHERE commercial_partner_id IS NULL")
    cr.commit()
    cr.execute("ANALYZE res_partner")
    cr.execute("ANALYZE sales_sequence_enrollment")
    env.invalidate_all()
