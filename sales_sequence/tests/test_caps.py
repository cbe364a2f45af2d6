import unittest
from datetime import datetime, timedelta

from odoo.tests import freeze_time, tagged

from odoo.addons.sales_sequence.tools.caps import SendQuota

from .common import MONDAY_9AM, SalesSequenceCase

NOW = datetime(2026, 3, 2, 9, 0)


class TestSendQuota(unittest.TestCase):
    """The pure cap arithmetic."""

    def test_daily_limit_per_sender(self):
        quota = SendQuota(NOW, sent_today={1: 1}, next_day={1: datetime(2026, 3, 2, 23, 0)})
        self.assertIsNone(quota.reserve(1, daily_limit=2))
        self.assertEqual(quota.reserve(1, daily_limit=2), datetime(2026, 3, 2, 23, 0))
        self.assertIsNone(quota.reserve(2, daily_limit=2))  # another sender

    def test_throttle_spaces_the_deferred_emails(self):
        quota = SendQuota(NOW, throttle_last_sent={1: NOW - timedelta(minutes=20)})
        self.assertIsNone(quota.reserve(1, throttle_seconds=600))
        self.assertEqual(quota.reserve(1, throttle_seconds=600), NOW + timedelta(minutes=10))
        self.assertEqual(quota.reserve(1, throttle_seconds=600), NOW + timedelta(minutes=20))

    def test_hourly_cap(self):
        last_hour = [NOW - timedelta(minutes=50), NOW - timedelta(minutes=10)]
        quota = SendQuota(NOW, hourly_cap=3, last_hour=last_hour)
        self.assertIsNone(quota.reserve(1))
        self.assertEqual(quota.reserve(1), NOW + timedelta(minutes=10))  # the oldest ages out

    def test_domain_cap(self):
        tomorrow = datetime(2026, 3, 3)
        quota = SendQuota(NOW, domain_cap=1, domain_sent_today={"acme.com": 0}, tomorrow=tomorrow)
        self.assertIsNone(quota.reserve(1, domain="acme.com"))
        self.assertEqual(quota.reserve(2, domain="acme.com"), tomorrow)
        self.assertIsNone(quota.reserve(2, domain="other.com"))

    def test_latest_cap_wins_and_deferral_takes_no_quota(self):
        quota = SendQuota(NOW, sent_today={1: 5}, next_day={1: datetime(2026, 3, 3, 8, 0)},
                          domain_cap=1, domain_sent_today={"a.com": 1}, tomorrow=datetime(2026, 3, 3))
        self.assertEqual(quota.reserve(1, daily_limit=5, domain="a.com"), datetime(2026, 3, 3, 8, 0))
        self.assertEqual(quota.sent_today[1], 5)


@tagged("post_install", "-at_install")
class TestCaps(SalesSequenceCase):
    """Caps defer emails to the next allowed slot inside the window; nothing is lost."""

    def _prospects(self, count, domain="example.com"):
        return self.env["res.partner"].create([
            {"name": "Prospect %s" % i, "email": "p%s@%s" % (i, domain)} for i in range(count)
        ])

    def _sent(self, enrollments):
        return enrollments.filtered(lambda e: e.trace_ids)

    def test_daily_limit_defers_to_the_next_day(self):
        sequence = self._create_sequence([self._email()], daily_limit=2)
        enrollments = sequence.enroll(self._prospects(3), start_at=MONDAY_9AM, user=self.user_rep)["enrolled"]
        with self.mock_mail_gateway():
            self._run(MONDAY_9AM)
        self.assertEqual(len(self._sent(enrollments)), 2)
        waiting = enrollments - self._sent(enrollments)
        # the next day of the sender (Brussels) opens at 09:00 Brussels
        self.assertEqual(waiting.next_run_at, datetime(2026, 3, 3, 8, 0))
        with self.mock_mail_gateway():
            self._run(datetime(2026, 3, 3, 8, 0))
        self.assertEqual(set(enrollments.mapped("state")), {"completed"})

    def test_throttle_spaces_a_senders_emails(self):
        sequence = self._create_sequence([self._email()], throttle_seconds=600)
        enrollments = sequence.enroll(self._prospects(3), start_at=MONDAY_9AM, user=self.user_rep)["enrolled"]
        with self.mock_mail_gateway():
            self._run(MONDAY_9AM)
        self.assertEqual(len(self._sent(enrollments)), 1)
        later = sorted((enrollments - self._sent(enrollments)).mapped("next_run_at"))
        self.assertEqual(later, [MONDAY_9AM + timedelta(minutes=10), MONDAY_9AM + timedelta(minutes=20)])
        with self.mock_mail_gateway():
            self._run(MONDAY_9AM + timedelta(minutes=10))
            self._run(MONDAY_9AM + timedelta(minutes=20))
        self.assertEqual(len(self._sent(enrollments)), 3)
        times = sorted(enrollments.trace_ids.mapped("sent_at"))
        self.assertEqual(times[1] - times[0], timedelta(minutes=10))

    def test_global_hourly_and_domain_caps(self):
        params = self.env["ir.config_parameter"].sudo()
        params.set_param("sales_sequence.domain_daily_cap", 1)
        sequence = self._create_sequence([self._email()])
        same_domain = self._prospects(2, "bigcorp.example.com")
        enrollments = sequence.enroll(same_domain, start_at=MONDAY_9AM, user=self.user_rep)["enrolled"]
        with self.mock_mail_gateway():
            self._run(MONDAY_9AM)
        self.assertEqual(len(self._sent(enrollments)), 1)
        self.assertEqual((enrollments - self._sent(enrollments)).next_run_at, datetime(2026, 3, 3, 8, 0))
        params.set_param("sales_sequence.domain_daily_cap", 0)
        params.set_param("sales_sequence.hourly_cap", 2)
        others = sequence.enroll(self._prospects(2), start_at=MONDAY_9AM, user=self.user_rep)["enrolled"]
        with self.mock_mail_gateway():
            self._run(MONDAY_9AM)
        self.assertEqual(len(self._sent(others)), 1)  # one slot left in this hour
        self.assertEqual((others - self._sent(others)).next_run_at, MONDAY_9AM + timedelta(hours=1))

    def test_bounce_guard_pauses_the_sequence(self):
        params = self.env["ir.config_parameter"].sudo()
        params.set_param("sales_sequence.bounce_guard_sends", 4)
        params.set_param("sales_sequence.bounce_guard_rate", 30)
        sequence = self._create_sequence([self._email(), self._email(delay_days=1)])
        enrollments = sequence.enroll(self._prospects(4), start_at=MONDAY_9AM, user=self.user_rep)["enrolled"]
        with self.mock_mail_gateway():
            self._run(MONDAY_9AM)
        enrollments[0].trace_ids._set_bounced("550 no such user")
        self.assertEqual(sequence.state, "active")  # 1 of the last 4: 25%, not above 30%
        enrollments[1].trace_ids._set_bounced("550 no such user")
        self.assertEqual(sequence.state, "paused")
        self.assertIn("bounce guard", sequence.message_ids[0].body)
        self.assertEqual(sequence.activity_ids.user_id, self.user_manager)


@tagged("post_install", "-at_install")
class TestWorkingCalendar(SalesSequenceCase):
    """Business days and hours that follow the sender's calendar and holidays."""

    def test_steps_follow_the_senders_calendar_and_holidays(self):
        calendar = self.env["resource.calendar"].create({
            "name": "Mon-Thu 8-12 13-16", "tz": "Europe/Brussels",
            "attendance_ids": [
                (0, 0, {"name": name, "dayofweek": str(day), "hour_from": start, "hour_to": end,
                        "day_period": period})
                for day in range(4)
                for name, start, end, period in (("AM", 8, 12, "morning"), ("PM", 13, 16, "afternoon"))
            ],
        })
        # the sender's working hours come from their resource (else the company's calendar)
        self.env["resource.resource"].create({"name": "Rachel", "user_id": self.user_rep.id, "calendar_id": calendar.id})
        self.assertEqual(self.user_rep.resource_calendar_id, calendar)
        # Wednesday 4 March is a public holiday
        self.env["resource.calendar.leaves"].create({
            "name": "Holiday", "calendar_id": calendar.id,
            "date_from": datetime(2026, 3, 3, 23, 0), "date_to": datetime(2026, 3, 4, 23, 0),
        })
        sequence = self._create_sequence(
            [self._task("call", wait_for_completion=False),
             self._task("task", delay_business_days=1, wait_for_completion=False),
             self._task("task", delay_business_days=1, delay_hours=3, wait_for_completion=False)],
            use_working_calendar=True, window_start=9.0, window_end=17.0,
        )
        with freeze_time(MONDAY_9AM):
            enrollment = sequence.enroll(self.jane, start_at=MONDAY_9AM, user=self.user_rep)["enrolled"]
        self.assertEqual(enrollment.next_run_at, MONDAY_9AM)  # Monday 09:00 Brussels: working
        self._run(MONDAY_9AM)
        # + 1 working day: Tuesday 09:00
        self.assertEqual(enrollment.next_run_at, datetime(2026, 3, 3, 8, 0))
        self._run(datetime(2026, 3, 3, 8, 0))
        # + 1 working day skips the Wednesday holiday (Thursday 09:00), + 3 hours = 12:00,
        # the lunch break: 13:00 Brussels
        self.assertEqual(enrollment.next_run_at, datetime(2026, 3, 5, 12, 0))
        # Friday is no working day for this sender: a deferral lands on Monday
        self.assertEqual(enrollment._next_opening(datetime(2026, 3, 6, 9, 0)), datetime(2026, 3, 9, 8, 0))

    @freeze_time(MONDAY_9AM)
    def test_a_new_holiday_is_seen_at_once(self):
        sequence = self._create_sequence([self._task("call", wait_for_completion=False)],
                                         use_working_calendar=True, window_start=9.0, window_end=17.0)
        calendar = self.env.company.resource_calendar_id
        tuesday = datetime(2026, 3, 3, 8, 0)
        before = sequence._work_calendar_for(self.user_rep).next_opening(tuesday, 9.0, 17.0)
        self.env["resource.calendar.leaves"].create({
            "name": "Holiday", "calendar_id": calendar.id,
            "date_from": datetime(2026, 3, 2, 23, 0), "date_to": datetime(2026, 3, 3, 23, 0),
        })
        after = sequence._work_calendar_for(self.user_rep).next_opening(tuesday, 9.0, 17.0)
        self.assertLess(before, after)
        self.assertEqual(after.date(), datetime(2026, 3, 4).date())
