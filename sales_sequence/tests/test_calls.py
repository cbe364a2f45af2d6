"""Calls that steer: the rep logs how a call went (``action_log_call``), from
the task's Done dialog or *My Sequence Tasks*; the outcome marks the task
done, and a wrong number, a prospect not interested or a connect (when the
step says so) ends the enrollment. Analytics count the connect rate."""

from datetime import datetime

from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, freeze_time, tagged

from odoo.addons.mail.tests.common import mail_new_test_user
from odoo.addons.mail.tools.discuss import Store

from .common import MONDAY_9AM, SalesSequenceCase
from .common_attacks import AttackCase

MONDAY_10AM = datetime(2026, 3, 2, 9, 0)
TUESDAY_10AM = datetime(2026, 3, 3, 9, 0)


@tagged("post_install", "-at_install")
class TestCalls(SalesSequenceCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user_rep2 = mail_new_test_user(
            cls.env,
            login="rep2",
            name="Robin Rep",
            email="robin.rep@test.example.com",
            groups="sales_team.group_sale_salesman",
            tz="Europe/Brussels",
        )
        cls.lead.phone = "+32 2 555 77 88"
        cls.sequence = cls._create_sequence(
            [
                cls._task(
                    "call",
                    activity_summary="Call {{ full_name }}",
                    call_duration=15,
                    call_script="Ask {{ first_name }} about the budget",
                    voicemail_script="Hi {{ first_name }}, {{ sender.first_name }} here, I'll email you.",
                ),
                cls._email(delay_days=1),
            ],
            name="Calls",
        )

    def _start(self, records, sequence=None):
        enrollments = (sequence or self.sequence).enroll(records, start_at=MONDAY_9AM, user=self.user_rep)["enrolled"]
        with self.mock_mail_gateway():
            self._run(MONDAY_9AM)
        return enrollments

    # ------------------------------------------------------------------
    # What the rep gets
    # ------------------------------------------------------------------

    def test_call_task_has_the_number_scripts_and_duration(self):
        call = self._start(self.lead).trace_ids.activity_id
        self.assertIn('<a href="tel:+3225557788">+32 2 555 77 88</a>', call.note, "click to dial")
        self.assertIn("Expected duration:", call.note)
        self.assertIn("15 min", call.note)
        self.assertIn("Call script", call.note)
        self.assertIn("Ask Jane about the budget", call.note)
        self.assertIn("Voicemail script", call.note)
        self.assertIn("Hi Jane, Rachel here, I'll email you.", call.note)
        self.assertTrue(call.sales_sequence_logs_call)

    def test_done_dialog_knows_the_call(self):
        """The chatter's activities carry what the Done dialog needs to ask for the outcome."""
        call = self._start(self.lead).trace_ids.activity_id
        data = Store().add(call.with_user(self.user_rep)).get_result()
        activity = next(values for values in data["mail.activity"] if values["id"] == call.id)
        self.assertIs(activity["sales_sequence_logs_call"], True)
        self.assertIs(activity["sales_sequence_writes_email"], False)

    # ------------------------------------------------------------------
    # Outcomes
    # ------------------------------------------------------------------

    @freeze_time(MONDAY_10AM)
    def test_connected_marks_the_call_done_and_goes_on(self):
        enrollment = self._start(self.lead)
        trace, call = enrollment.trace_ids, enrollment.waiting_activity_id
        trace.with_user(self.user_rep).action_log_call("connected", note="Budget in Q3, call back in June")
        self.assertEqual(trace.call_outcome, "connected")
        self.assertFalse(call.active, "the call is done")
        self.assertEqual(trace.state, "done")
        self.assertEqual((enrollment.state, enrollment.step_id), ("active", self.sequence.step_ids[1]))
        self.assertEqual(enrollment.next_run_at, TUESDAY_10AM)
        done = self.lead.message_ids.filtered(lambda m: "Call outcome: Connected" in (m.body or ""))
        self.assertEqual(len(done), 1, "the outcome and the note go to the lead's chatter")
        self.assertIn("Budget in Q3, call back in June", done.body)

    @freeze_time(MONDAY_10AM)
    def test_voicemail_and_no_answer_go_on(self):
        voicemail, no_answer = self._start(self.jane | self.john).sorted("id")
        voicemail.trace_ids.action_log_call("voicemail")
        no_answer.trace_ids.action_log_call("no_answer")
        for enrollment, outcome in ((voicemail, "voicemail"), (no_answer, "no_answer")):
            self.assertEqual(enrollment.trace_ids.call_outcome, outcome)
            self.assertEqual((enrollment.state, enrollment.step_id), ("active", self.sequence.step_ids[1]))

    @freeze_time(MONDAY_10AM)
    def test_wrong_number_and_not_interested_exit(self):
        wrong, not_interested = self._start(self.jane | self.john).sorted("id")
        wrong.trace_ids.with_user(self.user_rep).action_log_call("wrong_number")
        not_interested.trace_ids.with_user(self.user_rep).action_log_call("not_interested")
        self.assertExited(wrong, "wrong_number")
        self.assertExited(not_interested, "not_interested")
        self.assertEqual((wrong | not_interested).trace_ids.mapped("state"), ["done", "done"])
        self.assertFalse((wrong | not_interested).trace_ids.activity_id.filtered("active"))
        self.assertEqual(self.sequence.dropped_count, 2, "they count as dropped")

    @freeze_time(MONDAY_10AM)
    def test_not_interested_on_the_last_step_exits_rather_than_completes(self):
        sequence = self._create_sequence([self._task("call")], name="One call")
        enrollment = self._start(self.jane, sequence)
        enrollment.trace_ids.action_log_call("not_interested")
        self.assertExited(enrollment, "not_interested")

    @freeze_time(MONDAY_10AM)
    def test_connect_ends_the_sequence_when_the_step_says_so(self):
        sequence = self._create_sequence(
            [self._task("call", exit_when_connected=True), self._email(delay_days=1)],
            name="Until connected",
        )
        connected, voicemail = self._start(self.jane | self.john, sequence).sorted("id")
        connected.trace_ids.action_log_call("connected")
        voicemail.trace_ids.action_log_call("voicemail")
        self.assertEqual((connected.state, connected.exit_reason), ("completed", "completed"))
        self.assertFalse(connected.next_run_at)
        self.assertTrue(
            any(
                "Call connected: the sequence ends here." in body
                for body in connected.partner_id.message_ids.mapped("body")
            ),
            "said on the contact",
        )
        self.assertEqual((voicemail.state, voicemail.step_id), ("active", sequence.step_ids[1]))

    @freeze_time(MONDAY_10AM)
    def test_outcome_after_the_call_was_marked_done(self):
        enrollment = self._start(self.jane)
        enrollment.waiting_activity_id.action_done()
        enrollment.trace_ids.action_log_call("wrong_number", note="Not his number")
        self.assertEqual(enrollment.trace_ids.call_outcome, "wrong_number")
        self.assertExited(enrollment, "wrong_number")

    # ------------------------------------------------------------------
    # Checks at the model level (JSON-RPC is a public API)
    # ------------------------------------------------------------------

    def test_outcome_must_be_known_and_the_step_a_call(self):
        trace = self._start(self.jane).trace_ids
        with self.assertRaises(UserError):
            trace.action_log_call("maybe")
        self.assertFalse(trace.call_outcome)
        email = self._start(self.john, self._create_sequence([self._email()], name="Mail")).trace_ids
        with self.assertRaises(UserError):
            email.action_log_call("connected")
        self.assertFalse(email.call_outcome)

    def test_a_rep_who_may_not_work_the_call_is_refused(self):
        enrollment = self._start(self.lead)
        trace, call = enrollment.trace_ids, enrollment.waiting_activity_id
        self.assertEqual(call.user_id, self.user_rep)
        with self.assertRaises(AccessError):
            trace.with_user(self.user_rep2).action_log_call("not_interested")
        with self.assertRaises(AccessError):
            call.with_user(self.user_rep2).action_sales_sequence_log_call("not_interested")
        self.assertFalse(trace.call_outcome)
        self.assertTrue(call.active)
        self.assertEqual(enrollment.state, "active")

    def test_the_assignee_of_another_reps_enrollment_logs_the_call(self):
        sequence = self._create_sequence(
            [self._task("call", assign_to="user", assign_user_id=self.user_rep2.id)],
            name="Assigned",
        )
        enrollment = self._start(self.john, sequence)
        call = enrollment.trace_ids.activity_id
        self.assertFalse(enrollment.with_user(self.user_rep2).has_access("read"), "rep2 cannot read it")
        call.with_user(self.user_rep2).action_sales_sequence_log_call("wrong_number")
        self.assertExited(enrollment, "wrong_number")

    # ------------------------------------------------------------------
    # My Sequence Tasks: the Log Call dialog
    # ------------------------------------------------------------------

    @freeze_time(MONDAY_10AM)
    def test_log_call_dialog(self):
        enrollment = self._start(self.lead)
        call = enrollment.waiting_activity_id.with_user(self.user_rep)
        action = call.action_sales_sequence_open_log_call()
        self.assertEqual(action["res_model"], "sales.sequence.log.call")
        dialog = Form(self.env["sales.sequence.log.call"].with_user(self.user_rep).with_context(**action["context"]))
        self.assertEqual(dialog.phone, "+32 2 555 77 88")
        dialog.outcome = "connected"
        dialog.note = "Demo booked"
        dialog.save().action_log()
        self.assertEqual(enrollment.trace_ids.call_outcome, "connected")
        self.assertFalse(call.active)
        with self.assertRaises(UserError):
            call.action_sales_sequence_open_log_call()  # done: nothing left to log

    # ------------------------------------------------------------------
    # Analytics
    # ------------------------------------------------------------------

    def test_connect_rate_per_call_step(self):
        third = self.env["res.partner"].create({"name": "Tess Third", "email": "tess@third.example.com"})
        enrollments = self._start(self.jane | self.john | third).sorted("id")
        for enrollment, outcome in zip(enrollments, ("connected", "no_answer", "voicemail"), strict=True):
            enrollment.trace_ids.action_log_call(outcome)
        call_step, email_step = self.sequence.step_ids
        self.env.invalidate_all()
        self.assertEqual((call_step.call_count, call_step.connected_count), (3, 1))
        self.assertAlmostEqual(call_step.connect_rate, 33.3, places=1)
        self.assertEqual((email_step.call_count, email_step.connect_rate), (0, 0.0))
        self.assertEqual((self.sequence.call_count, self.sequence.connected_count), (3, 1))


@tagged("post_install", "-at_install")
class TestCallsThroughTheApi(AttackCase):
    """What the Log Call buttons do, called by a rep through Odoo's external
    API (JSON-2): checked at the model level."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        calls = cls._create_sequence([cls._task("call"), cls._email(delay_days=1)], name="API calls", team_id=False)
        cls.mine = calls.enroll(cls.jane, start_at=MONDAY_9AM, user=cls.user_rep)["enrolled"]
        cls.theirs = calls.enroll(cls.lead_rep2, start_at=MONDAY_9AM, user=cls.user_rep2)["enrolled"]
        cls.env["sales.sequence.enrollment"]._cron_process_due(now=MONDAY_9AM)

    def test_rep_logs_a_call_of_someone_else(self):
        trace, call = self.theirs.trace_ids, self.theirs.waiting_activity_id
        self.assertRefused("sales.sequence.trace", "action_log_call", trace.ids, outcome="not_interested")
        self.assertRefused("mail.activity", "action_sales_sequence_log_call", call.ids, outcome="not_interested")
        self.assertRefused("sales.sequence.trace", "write", trace.ids, vals={"call_outcome": "not_interested"})
        self.assertEqual((trace.call_outcome, self.theirs.state), (False, "active"))
        self.assertTrue(call.active)

    def test_rep_logs_their_own_call_with_a_made_up_outcome(self):
        trace = self.mine.trace_ids
        self.assertRefused(
            "sales.sequence.trace", "action_log_call", trace.ids, outcome="meeting", message="is not a call outcome"
        )
        self.assertFalse(trace.call_outcome)
        self.api("sales.sequence.trace", "action_log_call", trace.ids, outcome="wrong_number", note="Fax machine")
        self.assertEqual(trace.call_outcome, "wrong_number")
        self.assertEqual((self.mine.state, self.mine.exit_reason), ("exited", "wrong_number"))
