"""Tasks and LinkedIn touches: a due date after the day the step fires, a
priority that orders *My Sequence Tasks*, the five LinkedIn actions with the
copy the rep may paste, and the instructions under a label."""

from datetime import date

from psycopg2 import IntegrityError

from odoo.tests import Form, tagged
from odoo.tools import mute_logger

from .common import MONDAY_9AM, SalesSequenceCase


@tagged("post_install", "-at_install")
class TestTasks(SalesSequenceCase):
    def _activities(self, steps, records=None):
        sequence = self._create_sequence(steps)
        enrollments = sequence.enroll(records or self.jane, start_at=MONDAY_9AM, user=self.user_rep)["enrolled"]
        self._run(MONDAY_9AM)
        return enrollments.trace_ids.sorted("id").activity_id

    def test_deadline_is_the_firing_day_plus_due_days(self):
        today, later = self._activities(
            [
                self._task("task", wait_for_completion=False),
                self._task("task", due_days=3, wait_for_completion=False),
            ]
        )
        self.assertEqual(today.date_deadline, date(2026, 3, 2))
        self.assertEqual(later.date_deadline, date(2026, 3, 5), "Monday + 3 days")

    def test_priority_goes_to_the_task_and_orders_the_queue(self):
        normal, urgent = self._activities(
            [
                self._task("task", activity_summary="Normal", wait_for_completion=False),
                self._task("call", activity_summary="Urgent", task_priority="2", wait_for_completion=False),
            ]
        )
        self.assertEqual((normal.sales_sequence_priority, urgent.sales_sequence_priority), ("0", "2"))
        view = self.env.ref("sales_sequence.mail_activity_view_kanban_sales_sequence")
        self.assertIn("sales_sequence_priority desc", view.arch)
        queue = self.env["mail.activity"].search(
            [("id", "in", (normal | urgent).ids)], order="date_deadline, sales_sequence_priority desc, id"
        )
        self.assertEqual(queue, urgent | normal)

    def test_five_linkedin_actions_with_suggested_copy(self):
        actions = dict(self.env["sales.sequence.step"]._fields["linkedin_action"]._description_selection(self.env))
        self.assertEqual(set(actions), {"connect", "inmail", "message", "view", "comment", "engage"})
        sequence = self._create_sequence([self._email()], activate=False)
        with Form(sequence) as form:
            with form.step_ids.new() as step:
                step.step_type = "linkedin"
                step.linkedin_action = "inmail"
                self.assertIn("{{ first_name", step.linkedin_copy)
                inmail_copy = step.linkedin_copy
                step.linkedin_action = "comment"
                self.assertNotEqual(step.linkedin_copy, inmail_copy, "the proposed copy follows the action")
                step.linkedin_copy = "My own words, {{ first_name }}"
                step.linkedin_action = "engage"
                self.assertEqual(step.linkedin_copy, "My own words, {{ first_name }}", "the rep's copy stays")

    def test_linkedin_task_carries_the_rendered_copy(self):
        (linkedin,) = self._activities(
            [
                self._task(
                    "linkedin",
                    linkedin_action="inmail",
                    wait_for_completion=False,
                    linkedin_copy="Hi {{ first_name }}, a question about {{ company }}.",
                    activity_note="<p>Check their last post first.</p>",
                )
            ]
        )
        self.assertEqual(linkedin.summary, "LinkedIn: Send InMail")
        self.assertIn("Suggested copy", linkedin.note)
        self.assertIn("Hi Jane, a question about Acme Corp.", linkedin.note)
        self.assertIn("Instructions", linkedin.note, "the rep's instructions have a label")
        self.assertIn("Check their last post first.", linkedin.note)

    def test_negative_due_days_are_refused(self):
        sequence = self._create_sequence([self._task("task")], activate=False)
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError), self.cr.savepoint():
            sequence.step_ids.due_days = -1
            sequence.step_ids.flush_recordset()
