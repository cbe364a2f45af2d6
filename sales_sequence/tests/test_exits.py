from datetime import datetime

from odoo.tests import freeze_time, tagged

from .common import MONDAY_9AM, SalesSequenceCase

TUESDAY_10AM = datetime(2026, 3, 3, 9, 0)


@tagged("post_install", "-at_install")
class TestExits(SalesSequenceCase):
    """Every exit of issue 3, live (when the event happens) and, where a
    change can bypass ``write``, double-checked by the engine."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sequence = cls._create_sequence([cls._email(), cls._email(delay_days=2)])

    def _start(self, records, sequence=None):
        """Enroll and send the first email (a trace with a Message-ID)."""
        enrollments = (sequence or self.sequence).enroll(records, start_at=MONDAY_9AM, user=self.user_rep)["enrolled"]
        with self.mock_mail_gateway():
            self._run(MONDAY_9AM)
        return enrollments

    # ------------------------------------------------------------------
    # Reply, out-of-office
    # ------------------------------------------------------------------

    def test_reply_exits_and_stamps_the_trace(self):
        enrollment = self._start(self.jane)
        trace = enrollment.trace_ids
        with freeze_time(TUESDAY_10AM):
            self._receive(self.jane.email_formatted, "Re: Hello Jane", references=trace.message_id)
        self.assertExited(enrollment, "reply")
        self.assertEqual(trace.replied_at, TUESDAY_10AM)
        # the reply lands on the contact's chatter through the normal routing
        self.assertIn("let's talk", self.jane.message_ids[0].body)

    def test_reply_without_exit_only_stamps(self):
        sequence = self._create_sequence(
            [self._email(), self._email(delay_days=2)], exit_on_reply=False, name="Keep going"
        )
        enrollment = self._start(self.jane, sequence)
        self._receive(self.jane.email_formatted, "Re: Hello", references=enrollment.trace_ids.message_id)
        self.assertEqual(enrollment.state, "active")
        self.assertTrue(enrollment.trace_ids.replied_at)

    def test_new_email_from_enrolled_address_on_its_lead_is_a_reply(self):
        enrollment = self._start(self.lead)
        # a fresh email (no References) routed to the lead: Odoo routes it by
        # the lead's alias-less catchall only when it references the thread,
        # so post it through the gateway with a reference to an older lead message
        lead_message = self.lead.message_post(body="Internal note", message_type="comment")
        self._receive(self.jane.email_formatted, "A question", references=lead_message.message_id)
        self.assertExited(enrollment, "reply")
        self.assertTrue(enrollment.trace_ids.replied_at)

    def test_email_from_someone_else_is_not_a_reply(self):
        enrollment = self._start(self.jane)
        self._receive("Boss <boss@acme.example.com>", "Re: Hello", references=enrollment.trace_ids.message_id)
        # a reply in the thread from a colleague still means the thread is alive: it is a reply
        self.assertExited(enrollment, "reply")
        other = self._start(self.john)
        self._receive("Stranger <who@else.example.com>", "Unrelated")
        self.assertEqual(other.state, "active")

    def test_out_of_office_pauses_until_the_return_date(self):
        enrollment = self._start(self.jane)
        with freeze_time(MONDAY_9AM):
            self._receive(
                self.jane.email_formatted,
                "Automatic reply: Hello Jane",
                body="I am out of the office until 9 March 2026 with limited access to email.",
                references=enrollment.trace_ids.message_id,
                extra="Auto-Submitted: auto-replied\n",
            )
        self.assertEqual(enrollment.state, "paused")
        self.assertEqual(enrollment.resume_at, datetime(2026, 3, 10))
        self.assertFalse(enrollment.trace_ids.replied_at)
        # the engine resumes it by itself; the pending step counts from the resume
        with self.mock_mail_gateway():
            self._run(datetime(2026, 3, 10, 8, 0))
        self.assertEqual(enrollment.state, "active")
        self.assertEqual(enrollment.next_run_at, datetime(2026, 3, 12, 8, 0))

    def test_out_of_office_without_date_uses_the_sequence_delay(self):
        enrollment = self._start(self.jane)
        with freeze_time(MONDAY_9AM):
            self._receive(
                self.jane.email_formatted,
                "Out of Office",
                body="I am travelling.",
                references=enrollment.trace_ids.message_id,
            )
        self.assertEqual(enrollment.state, "paused")
        self.assertEqual(enrollment.resume_at, datetime(2026, 3, 5, 8, 0))  # 3 days

    # ------------------------------------------------------------------
    # Bounce
    # ------------------------------------------------------------------

    def test_bounce_through_the_gateway(self):
        enrollment = self._start(self.jane)
        trace = enrollment.trace_ids
        self._bounce(trace)
        self.assertExited(enrollment, "bounce")
        self.assertTrue(trace.bounced_at)
        self.assertEqual(trace.state, "failed")

    def test_permanent_send_failure_is_a_bounce(self):
        bad = self.env["res.partner"].create({"name": "Bad Address", "email": "bad@"})
        enrollment = self.sequence.enroll(bad, start_at=MONDAY_9AM, user=self.user_rep)["enrolled"]
        # "bad@" is no valid address: the email step is skipped, nothing is sent
        with self.mock_mail_gateway():
            self._run(MONDAY_9AM)
        self.assertEqual(enrollment.trace_ids.state, "skipped")
        # an address refused at sending time (here: forced invalid after queueing)
        enrollment = self._start(self.john)
        mail = enrollment.trace_ids.mail_mail_id
        mail.email_to = "not-an-email"
        with self.mock_mail_gateway():
            mail.send(raise_exception=False)
        self.assertIn(mail.failure_type, ("mail_email_invalid", "mail_email_missing"))
        self.assertExited(enrollment, "bounce")
        self.assertTrue(enrollment.trace_ids.bounced_at)

    # ------------------------------------------------------------------
    # Meeting, stage, won / lost
    # ------------------------------------------------------------------

    def test_meeting_with_the_contact_exits(self):
        enrollment = self._start(self.jane)
        self.env["calendar.event"].create(
            {
                "name": "Demo",
                "start": datetime(2026, 3, 4, 10, 0),
                "stop": datetime(2026, 3, 4, 11, 0),
                "partner_ids": [(4, self.jane.id), (4, self.user_rep.partner_id.id)],
            }
        )
        self.assertExited(enrollment, "meeting")

    def test_meeting_on_the_lead_exits_and_moving_an_event_counts(self):
        lead_enrollment = self._start(self.lead)
        john_enrollment = self._start(self.john)
        event = self.env["calendar.event"].create(
            {
                "name": "Call",
                "start": datetime(2026, 3, 4, 10, 0),
                "stop": datetime(2026, 3, 4, 11, 0),
                "opportunity_id": self.lead.id,
            }
        )
        self.assertExited(lead_enrollment, "meeting")
        self.assertEqual(john_enrollment.state, "active")
        event.partner_ids = [(4, self.john.id)]
        self.assertExited(john_enrollment, "meeting")

    def test_won_and_lost_exit_live(self):
        won = self._start(self.lead)
        self.lead.action_set_won()
        self.assertExited(won, "won")
        lost_lead = self.env["crm.lead"].create({"name": "Lost one", "email_from": "lost@example.com"})
        lost = self._start(lost_lead)
        lost_lead.action_set_lost()
        self.assertExited(lost, "lost")

    def test_lost_lead_can_run_a_reengagement_sequence(self):
        self.lead.action_set_lost()
        reengage = self._create_sequence([self._email(), self._email(delay_days=3)], name="Re-engage")
        enrollment = self._start(self.lead, reengage)
        self.assertEqual(enrollment.state, "active")
        self.assertEqual(len(enrollment.trace_ids), 1)

    def test_stage_change_exits_into_chosen_stages_only(self):
        qualified, proposition = self.env.ref("crm.stage_lead2"), self.env.ref("crm.stage_lead3")
        sequence = self._create_sequence(
            [self._email(), self._email(delay_days=1)],
            name="Prospecting",
            exit_on_stage_change=True,
            exit_stage_ids=[(6, 0, proposition.ids)],
        )
        enrollment = self._start(self.lead, sequence)
        self.lead.stage_id = qualified
        self.assertEqual(enrollment.state, "active")
        self.lead.stage_id = proposition
        self.assertExited(enrollment, "stage_changed")

    def test_stage_changed_without_write_is_caught_by_the_engine(self):
        sequence = self._create_sequence([self._email(), self._email(delay_days=1)], exit_on_stage_change=True)
        enrollment = self._start(self.lead, sequence)
        # a recompute or an SQL update bypasses write(): the engine checks before the step
        self.env.cr.execute(
            "UPDATE crm_lead SET stage_id = %s WHERE id = %s", (self.env.ref("crm.stage_lead3").id, self.lead.id)
        )
        self.lead.invalidate_recordset()
        self._run(TUESDAY_10AM)
        self.assertExited(enrollment, "stage_changed")
        self.assertEqual(len(enrollment.trace_ids), 1)

    # ------------------------------------------------------------------
    # Manual, audit
    # ------------------------------------------------------------------

    def test_manual_exit_and_start_over(self):
        enrollment = self._start(self.jane)
        enrollment.action_exit()
        self.assertExited(enrollment, "manual")
        again = self.sequence.enroll(self.jane, user=self.user_rep)["enrolled"]
        self.assertTrue(again)
        self.assertEqual(enrollment.trace_ids.enrollment_id, enrollment)  # history kept

    def test_audit_trail_on_the_contact_and_tracking_on_the_enrollment(self):
        enrollment = self._start(self.john).with_context(mail_notrack=False)
        with freeze_time(MONDAY_9AM):
            enrollment.action_pause()
            self.flush_tracking()
            enrollment.action_resume()
            self.flush_tracking()
        enrollment.action_exit()
        self.flush_tracking()
        bodies = self.john.message_ids.mapped("body")
        for event in ("Enrolled", "Paused.", "Resumed.", "Exited (Manual)."):
            self.assertTrue(any("Outbound: %s" % event in body for body in bodies), event)
        # the enrollment tracks its own changes, once each, without a second note
        tracked = enrollment.message_ids.tracking_value_ids.filtered(lambda t: t.field_id.name == "state")
        self.assertEqual(tracked.mapped("new_value_char"), ["Exited", "Active", "Paused"])
        self.assertFalse(enrollment.message_ids.filtered(lambda m: "Exited (Manual)." in (m.body or "")))
