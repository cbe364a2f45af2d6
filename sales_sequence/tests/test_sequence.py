from psycopg2 import IntegrityError

from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from .common import MONDAY_9AM, SalesSequenceCase


@tagged("post_install", "-at_install")
class TestSequenceLifecycle(SalesSequenceCase):
    def test_activate_requires_a_step(self):
        sequence = self._create_sequence([], activate=False)
        with self.assertRaisesRegex(UserError, "at least one step"):
            sequence.action_activate()
        self.assertEqual(sequence.state, "draft")

    def test_activate_requires_subject_and_body(self):
        sequence = self._create_sequence([self._email(subject=False)], activate=False)
        with self.assertRaisesRegex(UserError, "needs a subject and a body"):
            sequence.action_activate()
        sequence.step_ids.write({"subject": "Hi", "body_html": "<p><br></p>"})
        with self.assertRaisesRegex(UserError, "needs a subject and a body"):
            sequence.action_activate()
        self.assertEqual(sequence.state, "draft")

    def test_activate_refuses_template_that_fails_to_render(self):
        sequence = self._create_sequence([self._email(body="<p>{{ 1 // 0 }}</p>")], activate=False)
        with self.assertRaisesRegex(UserError, "does not render"):
            sequence.action_activate()
        self.assertEqual(sequence.state, "draft")

    def test_activate_checks_every_sequence_before_changing_any(self):
        good = self._create_sequence([self._email()], activate=False)
        bad = self._create_sequence([], activate=False, name="Empty")
        with self.assertRaises(UserError):
            (good | bad).action_activate()
        self.assertEqual((good | bad).mapped("state"), ["draft", "draft"])

    def test_invalid_template_refused_on_save_with_line(self):
        sequence = self._create_sequence([self._email()], activate=False)
        step = sequence.step_ids
        with self.assertRaisesRegex(ValidationError, "Line 2"), self.cr.savepoint():
            step.body_html = "<p>Hi</p>\n<p>{% if company %}</p>"
        with self.assertRaisesRegex(ValidationError, "frist_name"), self.cr.savepoint():
            step.subject = "Hello {{ frist_name }}"
        with self.assertRaisesRegex(ValidationError, "Line 1"):
            self.env["sales.sequence.step"].create(
                {
                    "sequence_id": sequence.id,
                    "step_type": "call",
                    "activity_summary": "Call {{ }",
                }
            )
        step.invalidate_recordset()
        self.assertEqual(step.subject, "Hello {{ first_name }}")

    def test_pause_resume(self):
        sequence = self._create_sequence([self._email()])
        sequence.action_pause()
        self.assertEqual(sequence.state, "paused")
        sequence.action_resume()
        self.assertEqual(sequence.state, "active")

    def test_invalid_window_refused(self):
        with self.assertRaises(IntegrityError), self.cr.savepoint():
            self._create_sequence([self._email()], window_start=18.0, window_end=9.0)

    def test_invalid_exit_domain_refused(self):
        with self.assertRaisesRegex(ValidationError, "not a valid domain"):
            self._create_sequence([self._email()], exit_domain="[('name', '=',")

    def test_step_labels(self):
        sequence = self._create_sequence(
            [
                self._email(),
                self._task("linkedin", delay_business_days=2),
                self._task("call", delay_days=1, delay_hours=3),
            ]
        )
        first, linkedin, call = sequence.step_ids
        self.assertEqual(first.delay_text, "At enrollment")
        self.assertEqual(linkedin.delay_text, "2 business days later")
        self.assertEqual(call.delay_text, "1 day, 3 hours later")
        self.assertEqual([s.day_number for s in sequence.step_ids], [1, 3, 4])
        self.assertTrue(call.name.startswith("Day 4 · Call"))

    def test_step_type_frozen_once_run_and_deleted_step_kept_in_history(self):
        sequence = self._create_sequence([self._task("call"), self._task("task", delay_days=1)])
        sequence.enroll(self.john, start_at=MONDAY_9AM, user=self.user_rep)
        self._run(MONDAY_9AM)
        call = sequence.step_ids[0]
        with self.assertRaisesRegex(UserError, "already run"):
            call.step_type = "linkedin"
        call.unlink()
        self.assertTrue(call.exists())
        self.assertFalse(call.active)
        self.assertEqual(len(sequence.step_ids), 1)

    def test_copy_is_draft_with_steps(self):
        sequence = self._create_sequence([self._email(), self._task("call", delay_days=2)])
        copy = sequence.copy()
        self.assertEqual(copy.state, "draft")
        self.assertEqual(copy.name, "Outbound (copy)")
        self.assertEqual(copy.step_ids.mapped("step_type"), ["email", "call"])
        self.assertFalse(copy.enrollment_count)
