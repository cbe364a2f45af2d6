from odoo.tests import tagged

from .common import MONDAY_9AM, SalesSequenceCase

QUOTED = """

On Mon, Mar 2, 2026 at 9:00 AM Rachel Rep <rachel.rep@test.example.com> wrote:
> Hi Jane,
> Would you be open to a quick call next week?
> Unsubscribe: https://example.com/sales_sequence/unsubscribe/1/abc
"""


@tagged("post_install", "-at_install")
class TestReplyKinds(SalesSequenceCase):
    """What a reply says, read from real RFC 5322 replies routed by Odoo's
    mail gateway (``message_process``), decides what happens."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.first = cls._email()
        cls.sequence = cls._create_sequence(
            [cls.first, cls._email(delay_days=2)], exit_on_reply=False, name="Keeps going"
        )

    def _start(self, records, sequence=None):
        enrollments = (sequence or self.sequence).enroll(records, user=self.user_rep, start_at=MONDAY_9AM)["enrolled"]
        with self.mock_mail_gateway():
            self._run(MONDAY_9AM)
        return enrollments

    def _reply(self, enrollment, body, email_from=None, subject="Re: Hello Jane"):
        trace = enrollment.trace_ids[:1]
        self._receive(
            email_from or enrollment.partner_id.email_formatted,
            subject,
            body=body + QUOTED,
            references=trace.message_id,
        )
        return trace

    def test_unsubscribe_request_suppresses_and_exits(self):
        enrollment = self._start(self.jane)
        elsewhere = self._create_sequence([self._email(delay_days=3)], name="Nurture").enroll(
            self.jane, user=self.user_rep
        )["enrolled"]
        trace = self._reply(enrollment, "Please remove me from your list.")
        self.assertEqual(trace.reply_kind, "unsubscribe")
        self.assertExited(enrollment, "unsubscribed")
        self.assertExited(elsewhere, "unsubscribed")
        self.assertTrue(self.env["mail.blacklist"].search([("email", "=", "jane.doe@acme.example.com")]))

    def test_a_colleague_asking_to_be_removed_is_removed_not_the_recipient(self):
        enrollment = self._start(self.jane)
        self._reply(enrollment, "Stop emailing me.", email_from="Boss <boss@acme.example.com>")
        self.assertTrue(self.env["mail.blacklist"].search([("email", "=", "boss@acme.example.com")]))
        self.assertFalse(self.env["mail.blacklist"].search([("email", "=", "jane.doe@acme.example.com")]))
        self.assertEqual(enrollment.state, "active")

    def test_referral_exits_and_gives_the_sender_a_task(self):
        enrollment = self._start(self.jane)
        trace = self._reply(
            enrollment, "I'm no longer with Acme. Please contact Mary Major at mary.major@acme.example.com."
        )
        self.assertEqual(trace.reply_kind, "referral")
        self.assertExited(enrollment, "reply")
        activity = self.jane.activity_ids.filtered(lambda a: "mary.major@acme.example.com" in a.summary)
        self.assertEqual(activity.user_id, self.user_rep)
        self.assertIn("mailto:mary.major@acme.example.com", str(activity.note))
        self.assertNotIn("rachel.rep", activity.summary)

    def test_not_interested_and_positive_are_recorded(self):
        jane, john = self._start(self.jane | self.john)
        self.assertEqual(self._reply(jane, "Not interested, thanks.").reply_kind, "not_interested")
        positive = self._reply(john, "Sounds good, let's talk next week.", subject="Re: Hello John")
        self.assertEqual(positive.reply_kind, "positive")
        self.assertEqual((jane | john).mapped("state"), ["active", "active"], "the sequence does not exit on replies")
        # a later "thanks" does not hide what the first reply said
        self._reply(jane, "Thanks.")
        self.assertEqual(jane.trace_ids[:1].reply_kind, "not_interested")

    def test_exit_on_reply_still_exits_on_any_reply(self):
        sequence = self._create_sequence([self._email(), self._email(delay_days=2)], name="Stops")
        enrollment = self._start(self.jane, sequence)
        self._reply(enrollment, "Sounds good, let's talk.")
        self.assertExited(enrollment, "reply")
        self.assertEqual(enrollment.trace_ids[:1].reply_kind, "positive")

    def test_positive_reply_rate_per_sequence_and_step(self):
        jane, john, __ = self._start(self.jane | self.john | self.no_email)
        self._reply(jane, "Yes, let's talk!")
        self._reply(john, "Not interested.", subject="Re: Hello John")
        self.sequence.invalidate_recordset()
        self.assertEqual(self.sequence.positive_reply_count, 1)
        self.assertEqual(self.sequence.replied_count, 2)
        contacted = self.sequence.contacted_count
        self.assertAlmostEqual(self.sequence.positive_reply_rate, 100.0 / contacted)
        step = self.sequence.step_ids[0]
        self.assertEqual(step.positive_reply_count, 1)
        self.assertAlmostEqual(step.positive_reply_rate, 100.0 / step.contacted_count)
        self.assertEqual(self.sequence.step_ids[1].positive_reply_count, 0)
