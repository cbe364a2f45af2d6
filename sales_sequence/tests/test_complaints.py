from odoo.tests import tagged

from .common import MONDAY_9AM, SalesSequenceCase
from .test_mail_reports import ARF_YAHOO, original

# a recipient forwards our email, attached, to our abuse mailbox
FORWARDED_ABUSE = """\
From: Jane Doe <{recipient}>
To: abuse@test.mycompany.com
Subject: Spam complaint: {subject}
Date: Mon, 02 Mar 2026 16:00:00 +0000
Message-ID: <fwd-{token}@mail.acme.example.com>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="fwd"

--fwd
Content-Type: text/plain; charset=utf-8

I never asked for this. Please make it stop.

--fwd
Content-Type: message/rfc822
Content-Disposition: attachment; filename="original.eml"

{original}
--fwd--
"""


@tagged("post_install", "-at_install")
class TestComplaints(SalesSequenceCase):
    """A spam complaint received through the real mail gateway suppresses
    the address, exits its enrollments and counts in the bounce guard — and
    never as a bounce."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sequence = cls._create_sequence([cls._email(), cls._email(delay_days=2)])
        cls.other_sequence = cls._create_sequence([cls._email(delay_days=1)], name="Nurture")

    def _start(self):
        enrollment = self.sequence.enroll(self.jane, start_at=MONDAY_9AM, user=self.user_rep)["enrolled"]
        other = self.other_sequence.enroll(self.lead, start_at=MONDAY_9AM, user=self.user_rep)["enrolled"]
        with self.mock_mail_gateway():
            self._run(MONDAY_9AM)
        self.assertEqual(len(enrollment.trace_ids), 1)
        return enrollment, other

    def _arf(self, trace, feedback_type="abuse"):
        raw = ARF_YAHOO.format(
            feedback_type=feedback_type, original=original(to=trace.enrollment_id.email, message_id=trace.message_id)
        )
        return self.env["mail.thread"].sudo().message_process(None, raw)

    def _forward(self, trace):
        raw = FORWARDED_ABUSE.format(
            recipient=trace.enrollment_id.email,
            subject=trace.mail_subject,
            token=trace.id,
            original=original(to=trace.enrollment_id.email, message_id=trace.message_id),
        )
        return self.env["mail.thread"].sudo().message_process(None, raw)

    def assertComplained(self, enrollment, other):
        trace = enrollment.trace_ids
        self.assertTrue(trace.complained_at)
        self.assertFalse(trace.bounced_at, "a complaint is no bounce")
        self.assertEqual(trace.state, "sent")
        self.assertEqual(self.jane.message_bounce, 0, "Odoo's bounce counter is untouched")
        self.assertExited(enrollment, "unsubscribed")
        # the address is out of every sequence, not only the one complained about
        self.assertExited(other, "unsubscribed")
        entry = self.env["mail.blacklist"].sudo().search([("email", "=", "jane.doe@acme.example.com")])
        self.assertEqual(entry.suppression_reason, "complaint")
        self.assertEqual(entry.suppression_sequence_id, self.sequence)
        self.assertIn("Spam complaint", entry.message_ids[0].body)
        self.assertTrue(self.jane.is_blacklisted)

    def test_arf_report(self):
        enrollment, other = self._start()
        self.assertFalse(self._arf(enrollment.trace_ids))
        self.assertComplained(enrollment, other)
        self.assertTrue(any("Spam complaint (abuse)" in body for body in self.jane.message_ids.mapped("body")))

    def test_forwarded_abuse_message(self):
        enrollment, other = self._start()
        leads_before = self.env["crm.lead"].search_count([])
        self.assertFalse(self._forward(enrollment.trace_ids))
        self.assertComplained(enrollment, other)
        self.assertEqual(self.env["crm.lead"].search_count([]), leads_before, "no lead from the complaint")

    def test_complaint_twice_changes_nothing_more(self):
        enrollment, __ = self._start()
        self._arf(enrollment.trace_ids)
        stamped = enrollment.trace_ids.complained_at
        self._arf(enrollment.trace_ids)
        self.assertEqual(enrollment.trace_ids.complained_at, stamped)
        self.assertEqual(self.env["mail.blacklist"].sudo().search_count([("email", "=", self.jane.email)]), 1)

    def test_feedback_that_is_no_complaint(self):
        """``not-spam`` is no complaint: nothing is suppressed (Odoo goes on
        with the report as it did before)."""
        enrollment, __ = self._start()
        self._arf(enrollment.trace_ids, feedback_type="not-spam")
        self.assertFalse(enrollment.trace_ids.complained_at)
        self.assertFalse(self.jane.is_blacklisted)

    def test_complaint_about_someone_elses_email(self):
        """A report about an email that is not ours goes on to Odoo's own handling."""
        raw = ARF_YAHOO.format(
            feedback_type="abuse",
            original=original(to="jane.doe@acme.example.com", message_id="<not-ours@elsewhere.example.com>"),
        )
        self.env["mail.thread"].sudo().message_process(None, raw)
        self.assertFalse(self.jane.is_blacklisted)

    def test_complaint_rate_pauses_the_sequence(self):
        """One complaint in the window of the last 50 emails is 2%: above the
        default 0.3%, the sequence pauses and its owner gets a task."""
        enrollment, __ = self._start()
        self._arf(enrollment.trace_ids)
        self.assertEqual(self.sequence.state, "paused")
        self.assertIn("reported as spam", self.sequence.message_ids[0].body)
        self.assertEqual(self.sequence.activity_ids.summary, "Spam complaints")
        self.assertEqual(self.sequence.activity_ids.user_id, self.user_manager)

    def test_complaint_rate_below_the_threshold(self):
        self.env["ir.config_parameter"].sudo().set_param("sales_sequence.complaint_rate", 5.0)
        enrollment, __ = self._start()
        self._arf(enrollment.trace_ids)
        self.assertEqual(self.sequence.state, "active")
