from datetime import datetime

from odoo.addons.mail.tests.common import MailCommon, mail_new_test_user

# An incoming email, with a slot for extra headers (References, Auto-Submitted...)
INCOMING_EMAIL = """From: {email_from}
To: {to}
Subject: {subject}
Date: Mon, 02 Mar 2026 15:00:00 +0000
Message-ID: {msg_id}
{extra}MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

{body}
"""

# A delivery status notification (RFC 3464) returning one of our emails
BOUNCE_EMAIL = """From: MAILER-DAEMON@mx.example.net (Mail Delivery System)
To: {to}
Subject: Undelivered Mail Returned to Sender
Date: Mon, 02 Mar 2026 15:00:00 +0000
Message-ID: <dsn-{token}@mx.example.net>
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="BOUNDARY"

--BOUNDARY
Content-Type: text/plain; charset=us-ascii

Your message could not be delivered: 550 No such user here.

--BOUNDARY
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.net

Final-Recipient: rfc822; {recipient}
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 No such user here

--BOUNDARY
Content-Type: message/rfc822

Message-Id: {original_msg_id}
From: {original_from}
To: {recipient}
Subject: {original_subject}

Hello

--BOUNDARY--
"""

# Monday 2 March 2026, 09:00 in Brussels (UTC+1): inside a 9-17 weekday window
MONDAY_9AM = datetime(2026, 3, 2, 8, 0)


class SalesSequenceCase(MailCommon):
    """Users, contacts and a lead, plus factories for sequences and asserts
    on what the engine did."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user_rep = mail_new_test_user(
            cls.env,
            login="rep",
            name="Rachel Rep",
            email="rachel.rep@test.example.com",
            groups="sales_team.group_sale_salesman",
            tz="Europe/Brussels",
        )
        cls.user_rep.partner_id.write({"function": "Account Executive", "phone": "+32 2 555 01 02"})
        cls.user_manager = mail_new_test_user(
            cls.env,
            login="seqmanager",
            name="Morgan Manager",
            email="morgan@test.example.com",
            groups="sales_team.group_sale_manager",
            tz="Europe/Brussels",
        )
        Partner = cls.env["res.partner"]
        cls.acme = Partner.create({"name": "Acme Corp", "is_company": True})
        cls.jane = Partner.create(
            {
                "name": "Jane Doe",
                "email": "jane.doe@acme.example.com",
                "parent_id": cls.acme.id,
                "function": "CTO",
                "city": "Ghent",
                "user_id": cls.user_rep.id,
            }
        )
        cls.john = Partner.create({"name": "John Smith", "email": "john@smith.example.com"})
        cls.no_email = Partner.create({"name": "Nomail Person"})
        cls.lead = cls.env["crm.lead"].create(
            {
                "name": "Acme expansion",
                "type": "opportunity",
                "partner_id": cls.jane.id,
                "email_from": "jane.doe@acme.example.com",
                "contact_name": "Jane Doe",
                "partner_name": "Acme Corp",
                "user_id": cls.user_rep.id,
            }
        )

    # ------------------------------------------------------------------
    # Factories
    # ------------------------------------------------------------------

    @classmethod
    def _create_sequence(cls, steps, activate=True, **values):
        sequence = cls.env["sales.sequence"].create(
            {
                "name": values.pop("name", "Outbound"),
                "user_id": cls.user_manager.id,
                "tz": "Europe/Brussels",
                "step_ids": [(0, 0, dict(step, sequence=10 * (index + 1))) for index, step in enumerate(steps)],
                **values,
            }
        )
        if activate:
            sequence.action_activate()
        return sequence

    @staticmethod
    def _email(subject="Hello {{ first_name }}", body="<p>Hi {{ first_name | default('there') }}</p>", **delay):
        return {"step_type": "email", "subject": subject, "body_html": body, **delay}

    @staticmethod
    def _task(step_type="call", **values):
        return {"step_type": step_type, **values}

    def _run(self, now, **kwargs):
        """One engine tick at ``now`` (what the cron does)."""
        self.env.invalidate_all()
        return self.env["sales.sequence.enrollment"]._cron_process_due(now=now, **kwargs)

    def _receive(self, email_from, subject, body="Thanks, let's talk.", references=None, extra=""):
        """Route an incoming email through Odoo's real mail gateway."""
        if references:
            extra += "In-Reply-To: %s\nReferences: %s\n" % (references, references)
        raw = INCOMING_EMAIL.format(
            email_from=email_from,
            to="catchall.test@test.mycompany.com",
            subject=subject,
            msg_id="<reply-%s@client.example.com>" % abs(hash((email_from, subject, body))),
            extra=extra,
            body=body,
        )
        return self.env["mail.thread"].sudo().message_process(None, raw)

    def _bounce(self, trace):
        raw = BOUNCE_EMAIL.format(
            to="bounce.test@test.mycompany.com",
            token=trace.id,
            recipient=trace.enrollment_id.email,
            original_msg_id=trace.message_id,
            original_from=trace.enrollment_id.user_id.email,
            original_subject=trace.mail_subject,
        )
        return self.env["mail.thread"].sudo().message_process(None, raw)

    # ------------------------------------------------------------------
    # Asserts
    # ------------------------------------------------------------------

    def assertTraces(self, enrollment, expected):
        """``expected``: list of (step, state) in execution order."""
        traces = enrollment.trace_ids.sorted("id")
        self.assertEqual([(t.step_id, t.state) for t in traces], expected)

    def assertExited(self, enrollment, reason):
        self.assertEqual(enrollment.state, "exited")
        self.assertEqual(enrollment.exit_reason, reason)
        self.assertTrue(enrollment.ended_at)
        self.assertFalse(enrollment.next_run_at)
