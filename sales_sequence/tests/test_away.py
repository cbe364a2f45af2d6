import unittest
from datetime import date, datetime

from odoo.tests import tagged

from .common import MONDAY_9AM, SalesSequenceCase

# Brussels is UTC+1 in early March 2026
NEXT_MONDAY_9AM = datetime(2026, 3, 9, 8, 0)
WEEK_OFF = (datetime(2026, 3, 1, 23, 0), datetime(2026, 3, 6, 23, 0))  # Monday to Friday, local days


class AwayCase(SalesSequenceCase):
    """Rachel (the sender, Jane's salesperson) and Morgan (the owner) have a
    working calendar resource, on which their time off is recorded."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        calendar = cls.env.company.resource_calendar_id
        cls.resources = (
            {
                user: cls.env["resource.resource"].create(
                    {
                        "name": user.name,
                        "user_id": user.id,
                        "calendar_id": calendar.id,
                        "tz": "Europe/Brussels",
                    }
                )
                for user in (cls.user_rep, cls.user_manager)
            }
            if "hr.employee" not in cls.env
            else {}
        )

    def _away(self, user, start, end):
        resource = self.resources.get(user) or user.employee_ids.resource_id
        return self.env["resource.calendar.leaves"].create(
            {
                "name": "Holidays",
                "resource_id": resource.id,
                "calendar_id": resource.calendar_id.id,
                "date_from": start,
                "date_to": end,
                "time_type": "leave",
            }
        )

    def _enroll(self, sequence, records=None):
        return sequence.enroll(records or self.jane, user=self.user_rep, start_at=MONDAY_9AM)["enrolled"]

    @classmethod
    def _setup_employees(cls):
        for user in (cls.user_rep, cls.user_manager):
            if not user.employee_ids:
                cls.env["hr.employee"].create({"name": user.name, "user_id": user.id, "tz": "Europe/Brussels"})


@tagged("post_install", "-at_install")
class TestSenderAway(AwayCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if "hr.employee" in cls.env:
            cls._setup_employees()

    def test_emails_wait_until_the_sender_is_back(self):
        sequence = self._create_sequence([self._email(), self._email(delay_days=1)])
        enrollment = self._enroll(sequence)
        self._away(self.user_rep, *WEEK_OFF)
        with self.mock_mail_gateway():
            self._run(MONDAY_9AM)
        self.assertFalse(enrollment.trace_ids)
        self.assertEqual(enrollment.next_run_at, NEXT_MONDAY_9AM)
        self.assertEqual(enrollment.waiting_reason, "sender_away")
        self.assertEqual(enrollment.waiting_detail, "Rachel Rep is on leave: back on 03/09/2026.")
        with self.mock_mail_gateway():
            self._run(NEXT_MONDAY_9AM)
        self.assertEqual(enrollment.trace_ids.state, "sent")

    def test_leaves_back_to_back(self):
        sequence = self._create_sequence([self._email()])
        enrollment = self._enroll(sequence)
        self._away(self.user_rep, *WEEK_OFF)
        self._away(self.user_rep, datetime(2026, 3, 8, 23, 0), datetime(2026, 3, 9, 23, 0))  # and Monday
        self._run(MONDAY_9AM)
        self.assertEqual(enrollment.next_run_at, datetime(2026, 3, 10, 8, 0))

    def test_a_leave_over_or_to_come_changes_nothing(self):
        sequence = self._create_sequence([self._email()])
        enrollment = self._enroll(sequence)
        self._away(self.user_rep, datetime(2026, 2, 20), datetime(2026, 2, 27))
        self._away(self.user_rep, datetime(2026, 3, 2, 12, 0), datetime(2026, 3, 3, 12, 0))  # this afternoon
        with self.mock_mail_gateway():
            self._run(MONDAY_9AM)
        self.assertEqual(enrollment.trace_ids.state, "sent")

    def test_tasks_are_due_the_day_they_return(self):
        sequence = self._create_sequence([self._task("call", wait_for_completion=False)])
        enrollment = self._enroll(sequence)
        self._away(self.user_rep, *WEEK_OFF)
        self._run(MONDAY_9AM)
        activity = enrollment.trace_ids.activity_id
        self.assertEqual(activity.user_id, self.user_rep)
        self.assertEqual(activity.date_deadline, date(2026, 3, 9))

    def test_or_go_to_the_sequence_owner(self):
        sequence = self._create_sequence([self._task("call", wait_for_completion=False)], sender_away_tasks="owner")
        enrollments = self._enroll(sequence, self.jane | self.john)
        self._away(self.user_rep, *WEEK_OFF)
        self._run(MONDAY_9AM)
        self.assertEqual(enrollments.trace_ids.activity_id.user_id, self.user_manager)
        self.assertEqual(set(enrollments.trace_ids.activity_id.mapped("date_deadline")), {date(2026, 3, 2)})

    def test_unless_the_owner_is_away_too(self):
        sequence = self._create_sequence([self._task("call", wait_for_completion=False)], sender_away_tasks="owner")
        enrollment = self._enroll(sequence)
        self._away(self.user_rep, *WEEK_OFF)
        self._away(self.user_manager, *WEEK_OFF)
        self._run(MONDAY_9AM)
        activity = enrollment.trace_ids.activity_id
        self.assertEqual((activity.user_id, activity.date_deadline), (self.user_rep, date(2026, 3, 9)))


@tagged("post_install", "-at_install")
class TestTimeOff(AwayCase):
    """Time off approved in hr_holidays (when installed) makes the sender away."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if "hr.leave" not in cls.env:
            raise unittest.SkipTest("hr_holidays is not installed in the test database")
        cls._setup_employees()

    def test_approved_time_off(self):
        sequence = self._create_sequence([self._email()])
        enrollment = self._enroll(sequence)
        leave_type = self.env["hr.leave.type"].create(
            {
                "name": "Paid time off (seq)",
                "requires_allocation": False,
                "leave_validation_type": "no_validation",
            }
        )
        leave = self.env["hr.leave"].create(
            {
                "name": "Skiing",
                "employee_id": self.user_rep.employee_ids.id,
                "holiday_status_id": leave_type.id,
                "request_date_from": date(2026, 3, 2),
                "request_date_to": date(2026, 3, 6),
            }
        )
        if leave.state != "validate":
            leave.action_approve()
        self.assertTrue(self.env["resource.calendar.leaves"].search([("holiday_id", "=", leave.id)]))
        with self.mock_mail_gateway():
            self._run(MONDAY_9AM)
        self.assertFalse(enrollment.trace_ids)
        self.assertEqual(enrollment.next_run_at.date(), date(2026, 3, 9))
