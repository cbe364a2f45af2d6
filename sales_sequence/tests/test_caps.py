import doctest
import unittest
from datetime import date, datetime, timedelta

from odoo.tests import freeze_time, tagged

from odoo.addons.sales_sequence.tools import caps
from odoo.addons.sales_sequence.tools.caps import Allowance, SendQuota, Warmup, sender_allowance

from .common import MONDAY_9AM, SalesSequenceCase

NOW = datetime(2026, 3, 2, 9, 0)


class TestSendQuota(unittest.TestCase):
    """The pure cap arithmetic."""

    def test_doctests(self):
        result = doctest.testmod(caps)
        self.assertGreater(result.attempted, 10)
        self.assertFalse(result.failed)

    def test_daily_limit_per_sender(self):
        quota = SendQuota(NOW, sent_today={1: 1}, next_day={1: datetime(2026, 3, 2, 23, 0)})
        self.assertIsNone(quota.reserve(1, daily_limit=2))
        self.assertEqual(quota.reserve(1, daily_limit=2), (datetime(2026, 3, 2, 23, 0), caps.SEQUENCE_DAILY, 2))
        self.assertIsNone(quota.reserve(2, daily_limit=2))  # another sender

    def test_throttle_spaces_the_deferred_emails(self):
        quota = SendQuota(NOW, throttle_last_sent={1: NOW - timedelta(minutes=20)})
        self.assertIsNone(quota.reserve(1, throttle_seconds=600))
        self.assertEqual(quota.reserve(1, throttle_seconds=600), (NOW + timedelta(minutes=10), caps.THROTTLE, 600))
        self.assertEqual(quota.reserve(1, throttle_seconds=600).until, NOW + timedelta(minutes=20))

    def test_hourly_cap(self):
        last_hour = [NOW - timedelta(minutes=50), NOW - timedelta(minutes=10)]
        quota = SendQuota(NOW, hourly_cap=3, last_hour=last_hour)
        self.assertIsNone(quota.reserve(1))
        # the oldest ages out
        self.assertEqual(quota.reserve(1), (NOW + timedelta(minutes=10), caps.HOURLY, 3))

    def test_domain_cap(self):
        tomorrow = datetime(2026, 3, 3)
        quota = SendQuota(NOW, domain_cap=1, domain_sent_today={"acme.com": 0}, tomorrow=tomorrow)
        self.assertIsNone(quota.reserve(1, domain="acme.com"))
        self.assertEqual(quota.reserve(2, domain="acme.com"), (tomorrow, caps.DOMAIN, 1))
        self.assertIsNone(quota.reserve(2, domain="other.com"))

    def test_latest_cap_wins_and_deferral_takes_no_quota(self):
        quota = SendQuota(
            NOW,
            sent_today={1: 5},
            next_day={1: datetime(2026, 3, 3, 8, 0)},
            domain_cap=1,
            domain_sent_today={"a.com": 1},
            tomorrow=datetime(2026, 3, 3),
        )
        self.assertEqual(quota.reserve(1, daily_limit=5, domain="a.com").until, datetime(2026, 3, 3, 8, 0))
        self.assertEqual(quota.sent_today[1], 5)

    def test_warmup_week(self):
        """Day 1 at 20, 10 more a day, up to the limit of 60 — then the limit."""
        warmup = Warmup(start=20, increment=10, started_on=date(2026, 3, 2))
        week = [sender_allowance(60, date(2026, 3, day), warmup) for day in range(2, 9)]
        self.assertEqual([allowance.limit for allowance in week], [20, 30, 40, 50, 60, 60, 60])
        self.assertEqual([allowance.reason for allowance in week], [caps.WARMUP] * 4 + [caps.SENDER_DAILY] * 3)
        self.assertEqual(week[0], Allowance(20, caps.WARMUP, 1))
        # a warm-up that starts next week holds the sender at its first day
        self.assertEqual(sender_allowance(60, date(2026, 3, 2), Warmup(20, 10, date(2026, 3, 9))).limit, 20)
        # without a warm-up, the limit alone; without a limit, nothing
        self.assertEqual(sender_allowance(60, date(2026, 3, 2)), Allowance(60, caps.SENDER_DAILY, 0))
        self.assertEqual(sender_allowance(0, date(2026, 3, 2)).limit, 0)

    def test_sender_allowance_is_shared_by_their_sequences(self):
        quota = SendQuota(
            NOW,
            sent_today={1: 1},
            next_day={1: datetime(2026, 3, 2, 23, 0)},
            allowances={1: Allowance(2, caps.WARMUP, 1)},
        )
        self.assertIsNone(quota.reserve(1, daily_limit=10))
        self.assertEqual(quota.reserve(1, daily_limit=10), (datetime(2026, 3, 2, 23, 0), caps.WARMUP, 2))
        self.assertIsNone(quota.reserve(2))

    def test_mailbox_per_minute(self):
        """A sender's own server takes 3 emails a minute, 1 went this minute:
        2 more now, then 3 a minute, each booked in its minute."""
        quota = SendQuota(NOW + timedelta(seconds=20), per_minute={1: 3}, sent_this_minute={1: 1})
        taken = [quota.reserve(1) for __ in range(7)]
        self.assertEqual(taken[:2], [None, None])
        self.assertEqual(
            [deferral.until for deferral in taken[2:]],
            [NOW + timedelta(minutes=1)] * 3 + [NOW + timedelta(minutes=2)] * 2,
        )
        self.assertEqual({deferral.reason for deferral in taken[2:]}, {caps.MAILBOX_RATE})
        self.assertIsNone(quota.reserve(2))  # another sender, no own server

    def test_throttle_and_mailbox_together(self):
        """Spaced by 30 seconds and 2 a minute: the throttle paces, the
        mailbox pushes the third email of a minute to the next one."""
        quota = SendQuota(NOW, per_minute={1: 2}, throttle_last_sent={1: NOW - timedelta(minutes=5)})
        slots = [quota.reserve(1, throttle_seconds=20) for __ in range(4)]
        self.assertIsNone(slots[0])
        self.assertEqual(slots[1], (NOW + timedelta(seconds=20), caps.THROTTLE, 20))
        self.assertEqual(slots[2], (NOW + timedelta(minutes=1), caps.MAILBOX_RATE, 2))
        self.assertEqual(slots[3].until, NOW + timedelta(minutes=1, seconds=20))


@tagged("post_install", "-at_install")
class TestCaps(SalesSequenceCase):
    """Caps defer emails to the next allowed slot inside the window; nothing is lost."""

    def _prospects(self, count, domain="example.com"):
        return self.env["res.partner"].create(
            [{"name": "Prospect %s" % i, "email": "p%s@%s" % (i, domain)} for i in range(count)]
        )

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
        waiting = enrollments - self._sent(enrollments)
        self.assertEqual(waiting.next_run_at, datetime(2026, 3, 3, 8, 0))
        self.assertEqual(waiting.waiting_reason, "domain_cap")
        self.assertIn("bigcorp.example.com", waiting.waiting_detail)
        # the next day, the email goes and the enrollment no longer says it waits
        with self.mock_mail_gateway():
            self._run(datetime(2026, 3, 3, 8, 0))
        self.assertTrue(waiting.trace_ids)
        self.assertFalse(waiting.waiting_reason)
        self.assertFalse(waiting.waiting_detail)
        params.set_param("sales_sequence.domain_daily_cap", 0)
        params.set_param("sales_sequence.hourly_cap", 2)
        others = sequence.enroll(self._prospects(2), start_at=MONDAY_9AM, user=self.user_rep)["enrolled"]
        with self.mock_mail_gateway():
            self._run(MONDAY_9AM)
        self.assertEqual(len(self._sent(others)), 1)  # one slot left in this hour
        self.assertEqual((others - self._sent(others)).next_run_at, MONDAY_9AM + timedelta(hours=1))
        self.assertEqual((others - self._sent(others)).waiting_reason, "hourly_cap")

    def test_warmup_week_across_sequences(self):
        """A sender warming up: 2 emails on Monday, one more each day, up to
        4 a day, all their sequences together; the rest waits, never lost."""
        self.user_rep.write(
            {
                "sales_sequence_daily_limit": 4,
                "sales_sequence_warmup": True,
                "sales_sequence_warmup_start": 2,
                "sales_sequence_warmup_increment": 1,
                "sales_sequence_warmup_date": date(2026, 3, 2),
            }
        )
        enrollments = self.env["sales.sequence.enrollment"]
        for name in ("Outbound A", "Outbound B"):
            sequence = self._create_sequence([self._email()], name=name)
            enrollments |= sequence.enroll(
                self._prospects(10, "%s.example.com" % name[-1].lower()),
                start_at=MONDAY_9AM,
                user=self.user_rep,
            )["enrolled"]
        sent_per_day, reasons = [], []
        for day in range(5):  # Monday to Friday, 09:00 in Brussels
            with freeze_time(MONDAY_9AM + timedelta(days=day)), self.mock_mail_gateway():
                before = len(self._sent(enrollments))
                self._run(MONDAY_9AM + timedelta(days=day))
                sent_per_day.append(len(self._sent(enrollments)) - before)
                waiting = enrollments - self._sent(enrollments)
                reasons.append(set(waiting.mapped("waiting_reason")))
                next_weekday = MONDAY_9AM + timedelta(days=day + 1 if day < 4 else 7)
                self.assertEqual(set(waiting.mapped("next_run_at")), {next_weekday})
                if day == 1:
                    self.assertEqual(self.user_rep.sales_sequence_limit_today, 3)
                    self.assertEqual(self.user_rep.sales_sequence_sending_stage, "Warm-up, day 2: 3 emails today")
        self.assertEqual(sent_per_day, [2, 3, 4, 4, 4])
        self.assertEqual(reasons, [{"warmup"}, {"warmup"}] + [{"sender_daily_limit"}] * 3)
        self.assertEqual(len(enrollments.trace_ids), 17)
        self.assertEqual(set(enrollments.trace_ids.mapped("state")), {"sent"})

    def test_sender_limit_counts_in_the_senders_day(self):
        """A sender in New York with one email a day: at 22:00 their time
        (03:00 UTC the next day) the second email waits for their midnight."""
        self.user_rep.write({"tz": "America/New_York", "sales_sequence_daily_limit": 1})
        sequence = self._create_sequence(
            [self._email()], tz="UTC", window_start=0.0, window_end=24.0, weekdays_only=False
        )
        late = datetime(2026, 3, 3, 3, 0)
        enrollments = sequence.enroll(self._prospects(2), start_at=late, user=self.user_rep)["enrolled"]
        with self.mock_mail_gateway():
            self._run(late)
        waiting = enrollments - self._sent(enrollments)
        self.assertEqual(len(waiting), 1)
        self.assertEqual(waiting.next_run_at, datetime(2026, 3, 3, 5, 0))  # midnight in New York
        self.assertEqual(waiting.waiting_reason, "sender_daily_limit")
        self.assertIn("Rachel Rep sent 1 sequence emails today", waiting.waiting_detail)

    def test_personal_mail_server_per_minute(self):
        """A rep with their own outgoing mail server: the engine sends their
        emails through it, at most its per-minute limit each minute; the
        others wait for the next minutes (never dropped)."""
        server = self.env["ir.mail_server"].create(
            {
                "name": "Rachel's mailbox",
                "owner_user_id": self.user_rep.id,
                "smtp_host": "smtp.rachel.example.com",
                "from_filter": self.user_rep.email,
                "smtp_user": self.user_rep.email,
            }
        )
        self.env["ir.config_parameter"].sudo().set_param("mail.server.personal.limit.minutes", 10)
        self.assertEqual(self.user_rep.outgoing_mail_server_id, server)
        self.assertEqual(self.user_rep.sales_sequence_mailbox_rate, 10)
        sequence = self._create_sequence([self._email()])
        enrollments = sequence.enroll(self._prospects(25), start_at=MONDAY_9AM, user=self.user_rep)["enrolled"]
        with freeze_time(MONDAY_9AM), self.mock_mail_gateway():
            self._run(MONDAY_9AM)
            first = self._new_mails
            self.assertEqual(len(first), 10)
            self.assertEqual(first.mail_server_id, server)
            # Odoo's queue sends them through the rep's server
            self.env["mail.mail"].sudo().process_email_queue(email_ids=first.ids)
        self.assertEqual(set(first.mapped("state")), {"sent"})
        self.assertEqual(len(self.emails), 10)
        self.assertEqual({email["from_filter"] for email in self.emails}, {self.user_rep.email})
        waiting = enrollments - self._sent(enrollments)
        self.assertEqual(
            sorted(waiting.mapped("next_run_at")),
            [MONDAY_9AM + timedelta(minutes=1)] * 10 + [MONDAY_9AM + timedelta(minutes=2)] * 5,
        )
        self.assertEqual(set(waiting.mapped("waiting_reason")), {"mailbox_rate"})
        self.assertIn("10 emails a minute", waiting[0].waiting_detail)
        for minute, expected in ((1, 20), (2, 25)):
            with self.mock_mail_gateway():
                self._run(MONDAY_9AM + timedelta(minutes=minute))
            self.assertEqual(len(self._sent(enrollments)), expected)
        self.assertEqual(enrollments.trace_ids.mail_mail_id.mail_server_id, server)
        # another rep, without a server of their own, is not paced and uses the company's servers
        others = sequence.enroll(self._prospects(12, "other.example.com"), start_at=MONDAY_9AM, user=self.user_manager)[
            "enrolled"
        ]
        with self.mock_mail_gateway():
            self._run(MONDAY_9AM + timedelta(minutes=3))
        self.assertEqual(len(self._sent(others)), 12)
        self.assertFalse(others.trace_ids.mail_mail_id.mail_server_id)

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
        calendar = self.env["resource.calendar"].create(
            {
                "name": "Mon-Thu 8-12 13-16",
                "tz": "Europe/Brussels",
                "attendance_ids": [
                    (
                        0,
                        0,
                        {"name": name, "dayofweek": str(day), "hour_from": start, "hour_to": end, "day_period": period},
                    )
                    for day in range(4)
                    for name, start, end, period in (("AM", 8, 12, "morning"), ("PM", 13, 16, "afternoon"))
                ],
            }
        )
        # the sender's working hours come from their resource (else the company's calendar)
        self.env["resource.resource"].create(
            {"name": "Rachel", "user_id": self.user_rep.id, "calendar_id": calendar.id}
        )
        self.assertEqual(self.user_rep.resource_calendar_id, calendar)
        # Wednesday 4 March is a public holiday
        self.env["resource.calendar.leaves"].create(
            {
                "name": "Holiday",
                "calendar_id": calendar.id,
                "date_from": datetime(2026, 3, 3, 23, 0),
                "date_to": datetime(2026, 3, 4, 23, 0),
            }
        )
        sequence = self._create_sequence(
            [
                self._task("call", wait_for_completion=False),
                self._task("task", delay_business_days=1, wait_for_completion=False),
                self._task("task", delay_business_days=1, delay_hours=3, wait_for_completion=False),
            ],
            use_working_calendar=True,
            window_start=9.0,
            window_end=17.0,
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
        sequence = self._create_sequence(
            [self._task("call", wait_for_completion=False)],
            use_working_calendar=True,
            window_start=9.0,
            window_end=17.0,
        )
        calendar = self.env.company.resource_calendar_id
        tuesday = datetime(2026, 3, 3, 8, 0)
        before = sequence._work_calendar_for(self.user_rep).next_opening(tuesday, 9.0, 17.0)
        self.env["resource.calendar.leaves"].create(
            {
                "name": "Holiday",
                "calendar_id": calendar.id,
                "date_from": datetime(2026, 3, 2, 23, 0),
                "date_to": datetime(2026, 3, 3, 23, 0),
            }
        )
        after = sequence._work_calendar_for(self.user_rep).next_opening(tuesday, 9.0, 17.0)
        self.assertLess(before, after)
        self.assertEqual(after.date(), datetime(2026, 3, 4).date())
