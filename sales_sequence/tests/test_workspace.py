from datetime import date, datetime

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import Form, freeze_time, tagged

from .common import MONDAY_9AM, SalesSequenceCase

MONDAY_10AM = datetime(2026, 3, 2, 9, 0)
TUESDAY_10AM = datetime(2026, 3, 3, 9, 0)


@tagged("post_install", "-at_install")
class TestWorkspace(SalesSequenceCase):
    """My Sequence Tasks: the rep's queue, and manual emails written in the
    composer that complete their step."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.lead.phone = "+32 2 555 77 88"
        cls.calls = cls._create_sequence(
            [
                cls._task(
                    "call", call_script="Ask {{ first_name }} about the budget", activity_summary="Call {{ full_name }}"
                ),
            ],
            name="Calls",
        )
        cls.writing = cls._create_sequence(
            [
                cls._task(
                    "manual_email",
                    subject="Following up, {{ first_name }}",
                    body_html="<p>Hi {{ first_name }}, any news from {{ company }}?</p>",
                    activity_summary="Write to {{ first_name }}",
                ),
                cls._task("call", delay_days=1),
            ],
            name="Writing",
        )

    def _start(self, sequence, records, user=None, start_at=MONDAY_9AM):
        enrollments = sequence.enroll(records, start_at=start_at, user=user or self.user_rep)["enrolled"]
        with self.mock_mail_gateway():
            self._run(start_at)
        return enrollments

    def _my_tasks(self, user):
        """What the "My Sequence Tasks" menu shows ``user`` by default."""
        action = self.env["ir.actions.act_window"]._for_xml_id("sales_sequence.action_sales_sequence_my_tasks")
        self.assertEqual(action["domain"], "[('is_sales_sequence_task', '=', True)]")
        self.assertIn("'search_default_filter_mine': 1", action["context"])
        self.assertIn("'search_default_filter_due': 1", action["context"])
        return (
            self.env["mail.activity"]
            .with_user(user)
            .search(
                [
                    ("is_sales_sequence_task", "=", True),
                    ("user_id", "=", user.id),
                    ("date_deadline", "<=", fields.Date.today()),
                ]
            )
        )

    # ------------------------------------------------------------------
    # The queue
    # ------------------------------------------------------------------

    @freeze_time(MONDAY_10AM)
    def test_todays_and_overdue_sequence_tasks_only(self):
        on_lead = self._start(self.calls, self.lead)
        overdue = self._start(self.writing, self.john, start_at=datetime(2026, 2, 26, 9, 0))
        self._start(self.calls, self.john, start_at=datetime(2026, 3, 4, 9, 0))  # due Wednesday: not yet
        self.lead.activity_schedule(
            "mail.mail_activity_data_todo",
            user_id=self.user_rep.id,
            summary="Not from a sequence",
            date_deadline=date(2026, 3, 2),
        )
        tasks = self._my_tasks(self.user_rep)
        self.assertEqual(tasks, on_lead.trace_ids.activity_id | overdue.trace_ids.activity_id)
        call = on_lead.trace_ids.activity_id.with_user(self.user_rep)
        self.assertEqual(call.activity_type_id, self.env.ref("mail.mail_activity_data_call"))
        self.assertEqual(call.summary, "Call Jane Doe")
        self.assertIn("Ask Jane about the budget", call.note)
        self.assertEqual(call.sales_sequence_partner_id, self.jane)
        self.assertEqual(call.sales_sequence_contact, "Jane Doe")
        self.assertEqual(call.sales_sequence_lead_id, self.lead)
        self.assertEqual(call.sales_sequence_company, "Acme Corp")
        self.assertEqual(call.sales_sequence_phone, "+32 2 555 77 88")
        self.assertEqual((call.sales_sequence_id, call.sales_sequence_step_type), (self.calls, "call"))
        self.assertEqual(call.action_open_document()["res_id"], self.lead.id)
        self.assertEqual(overdue.trace_ids.activity_id.sales_sequence_step_type, "manual_email")

    @freeze_time(MONDAY_10AM)
    def test_task_of_another_reps_enrollment_is_in_my_queue(self):
        sequence = self._create_sequence(
            [self._task("call", assign_to="user", assign_user_id=self.user_rep.id)],
            name="Assigned",
        )
        enrollment = self._start(sequence, self.john, user=self.user_manager)
        self.assertFalse(enrollment.with_user(self.user_rep).has_access("read"), "the rep cannot read it")
        self.assertEqual(self._my_tasks(self.user_rep), enrollment.trace_ids.activity_id)

    @freeze_time(MONDAY_10AM)
    def test_done_advances_the_enrollment(self):
        enrollment = self._start(self.writing, self.jane)
        activity = enrollment.waiting_activity_id
        activity.with_user(self.user_rep).action_done()
        self.assertFalse(activity.active)
        self.assertEqual(enrollment.trace_ids.state, "done")
        self.assertEqual(enrollment.step_id, self.writing.step_ids[1])
        self.assertEqual(enrollment.next_run_at, TUESDAY_10AM)

    @freeze_time(MONDAY_10AM)
    def test_tasks_nobody_waits_for_close_their_trace(self):
        sequence = self._create_sequence(
            [self._task("call", wait_for_completion=False), self._task("task", delay_days=3)],
            name="No wait",
        )
        enrollments = self._start(sequence, self.jane | self.john)
        done, cancelled = enrollments.trace_ids.sorted(lambda t: t.enrollment_id.id)
        done.activity_id.action_done()
        cancelled.activity_id.unlink()
        self.assertEqual((done.state, cancelled.state), ("done", "skipped"))
        self.assertEqual(cancelled.skip_reason, "task_cancelled")
        self.assertEqual((sequence.task_count, sequence.task_done_count), (1, 1))

    # ------------------------------------------------------------------
    # Manual emails
    # ------------------------------------------------------------------

    @freeze_time(MONDAY_10AM)
    def test_manual_email_draft_sent_completes_the_step(self):
        enrollment = self._start(self.writing, self.jane)
        trace, activity = enrollment.trace_ids, enrollment.waiting_activity_id
        action = activity.with_user(self.user_rep).action_sales_sequence_write_email()
        self.assertEqual(action["res_model"], "mail.compose.message")
        composer_form = Form(
            self.env["mail.compose.message"].with_user(self.user_rep).with_context(**action["context"])
        )
        self.assertEqual(composer_form.subject, "Following up, Jane")
        self.assertIn("Hi Jane, any news from Acme Corp?", composer_form.body)
        self.assertIn(enrollment._unsubscribe_url(), composer_form.body, "the enrollment's own unsubscribe link")
        composer = composer_form.save()
        self.assertEqual(composer.partner_ids, self.jane)
        with self.mock_mail_gateway():
            composer.action_send_mail()
        self.assertSentEmail(self.user_rep.partner_id, [self.jane], subject="Following up, Jane")
        message = self.jane.message_ids.filtered(lambda m: m.subject == "Following up, Jane")
        self.assertEqual(len(message), 1)
        self.assertFalse(activity.active, "sending completes the task")
        self.assertEqual((trace.state, trace.message_id), ("done", message.message_id))
        self.assertEqual(enrollment.step_id, self.writing.step_ids[1])
        self.assertEqual(enrollment.next_run_at, TUESDAY_10AM)
        self.assertEqual(self.writing.sent_count, 1)
        # a reply to the manual email is a reply to the sequence
        self._receive(self.jane.email_formatted, "Re: Following up, Jane", references=trace.message_id)
        self.assertExited(enrollment, "reply")
        self.assertTrue(trace.replied_at)

    @freeze_time(MONDAY_10AM)
    def test_write_email_only_for_manual_email_tasks_to_reachable_people(self):
        call = self._start(self.calls, self.john).trace_ids.activity_id
        with self.assertRaises(UserError):
            call.with_user(self.user_rep).action_sales_sequence_write_email()
        enrollment = self._start(self.writing, self.jane)
        self.env["mail.blacklist"]._add(self.jane.email)
        with self.assertRaises(UserError):
            enrollment.waiting_activity_id.with_user(self.user_rep).action_sales_sequence_write_email()
        self.assertTrue(enrollment.waiting_activity_id.active)
        self.assertEqual(enrollment.trace_ids.state, "task")
