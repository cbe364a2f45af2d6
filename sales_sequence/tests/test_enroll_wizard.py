import logging
import time
import unittest
from datetime import datetime, timedelta
from itertools import pairwise

from odoo import Command
from odoo.tests import Form, freeze_time, tagged

from odoo.addons.base.tests.test_ir_cron import CronMixinCase
from odoo.addons.sales_sequence.tools import stagger

from .common import MONDAY_9AM, SalesSequenceCase

_logger = logging.getLogger(__name__)

BRUSSELS_9_TO_17 = {"tz_name": "Europe/Brussels", "window_start": 9.0, "window_end": 17.0}


def brussels(day, hour, minute=0):
    """Naive UTC of a March 2026 Brussels wall-clock time (UTC+1 before the 29th)."""
    offset = 1 if day < 29 else 2
    return datetime(2026, 3, day, hour, minute) - timedelta(hours=offset)


class TestStagger(unittest.TestCase):
    """tools/stagger.py: even spread over the open send window (pure Python)."""

    def test_even_over_two_days(self):
        starts = stagger.spread_starts(MONDAY_9AM, 2, 8, **BRUSSELS_9_TO_17)
        self.assertEqual(starts, [brussels(d, h) for d in (2, 3) for h in (9, 11, 13, 15)])

    def test_weekend_and_nights_hold_nobody(self):
        friday_4pm = brussels(6, 16)
        starts = stagger.spread_starts(friday_4pm, 2, 9, **BRUSSELS_9_TO_17)
        # 1 hour on Friday + 8 on Monday = 9 hours: one start an hour
        self.assertEqual(starts, [friday_4pm] + [brussels(9, h) for h in range(9, 17)])

    def test_gaps_are_equal_in_open_time(self):
        starts = stagger.spread_starts(brussels(4, 12, 30), 3, 7, **BRUSSELS_9_TO_17)
        intervals = stagger.sending_intervals(brussels(4, 12, 30), 3, **BRUSSELS_9_TO_17)
        self.assertEqual(len(intervals), 3)
        opened = [self._open_seconds_before(intervals, start) for start in starts]
        gaps = {round(b - a) for a, b in pairwise(opened)}
        self.assertLessEqual(max(gaps) - min(gaps), 1)
        for start in starts:
            self.assertTrue(any(begin <= start < end for begin, end in intervals))

    @staticmethod
    def _open_seconds_before(intervals, moment):
        return sum((min(end, moment) - begin).total_seconds() for begin, end in intervals if begin < moment)

    def test_across_dst_keeps_the_local_window(self):
        friday = brussels(27, 9)
        starts = stagger.spread_starts(friday, 2, 4, **BRUSSELS_9_TO_17)
        # Monday 30 March is summer time: 09:00 local is 07:00 UTC
        self.assertEqual(starts, [brussels(27, 9), brussels(27, 13), brussels(30, 9), brussels(30, 13)])

    def test_without_days_everybody_starts_at_the_next_opening(self):
        saturday = brussels(7, 10)
        self.assertEqual(stagger.spread_starts(saturday, 0, 3, **BRUSSELS_9_TO_17), [brussels(9, 9)] * 3)
        self.assertEqual(stagger.spread_starts(saturday, 2, 0, **BRUSSELS_9_TO_17), [])


class WizardCase(SalesSequenceCase, CronMixinCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sequence = cls._create_sequence([cls._email(), cls._task("call", delay_days=2)], team_id=False)

    def _wizard(self, records, **values):
        """The wizard as opened from a list view, filled in through the form."""
        action = records.action_enroll_in_sequence()
        form = Form(self.env[action["res_model"]].with_user(self.user_manager).with_context(**action["context"]))
        form.sequence_id = self.sequence
        for name, value in values.items():
            setattr(form, name, value)
        return form

    def _partners(self, count, prefix="contact"):
        return self.env["res.partner"].create(
            [
                {"name": "%s %s" % (prefix.title(), index), "email": "%s%s@example.com" % (prefix, index)}
                for index in range(count)
            ]
        )


@tagged("post_install", "-at_install")
class TestEnrollWizard(WizardCase):
    @freeze_time(MONDAY_9AM)
    def test_preview_and_options_on_a_mixed_selection(self):
        Partner = self.env["res.partner"]
        names = ("fresh", "duplicate", "elsewhere", "blocked", "suppressed", "mailed", "notified", "mailing", "old")
        p = {name: Partner.create({"name": name.title(), "email": "%s@example.com" % name}) for name in names}
        p["no_email"] = Partner.create({"name": "No Email"})
        selection = Partner.concat(*p.values())
        self.sequence.enroll(p["duplicate"], user=self.user_rep)
        self._create_sequence([self._email()], name="Nurture", team_id=False).enroll(p["elsewhere"], user=self.user_rep)
        self._create_sequence([self._email()], name="Urgent", priority=1, allow_concurrent=False, team_id=False).enroll(
            p["blocked"], user=self.user_rep
        )
        self.env["mail.blacklist"]._add("suppressed@example.com")
        self._email_them(p)

        form = self._wizard(selection)
        self.assertEqual(form.record_count, 10)
        self.assertEqual(
            (
                form.preview_duplicate_count,
                form.preview_elsewhere_count,
                form.preview_no_email_count,
                form.preview_suppressed_count,
                form.preview_recent_count,
                form.preview_fail_count,
            ),
            (1, 2, 1, 1, 3, 1),
        )
        self.assertEqual(form.preview_enroll_count, 8)  # the blocked one fails, the duplicate is skipped
        form.skip_running = True
        form.skip_recent = True
        self.assertEqual((form.preview_skip_count, form.preview_fail_count, form.preview_enroll_count), (5, 0, 4))
        form.recent_days = 60  # the old email counts too now
        self.assertEqual((form.preview_recent_count, form.preview_enroll_count), (4, 3))
        form.recent_days = 14
        wizard = form.save()

        wizard.action_enroll()
        self.assertEqual(wizard.state, "done")
        self.assertEqual(
            (wizard.enrolled_count, wizard.duplicate_count, wizard.skipped_count, wizard.failed_count),
            (4, 1, 5, 0),
        )
        enrolled = (
            self.env["sales.sequence.enrollment"]
            .search(
                [
                    ("sequence_id", "=", self.sequence.id),
                    ("partner_id", "!=", p["duplicate"].id),
                ]
            )
            .partner_id
        )
        self.assertEqual(enrolled, p["fresh"] | p["suppressed"] | p["old"] | p["no_email"])
        self.assertIn("Elsewhere: Active in another sequence", wizard.result_message)
        self.assertIn("Mailing: Emailed in the last 14 days", wizard.result_message)

    def _email_them(self, partners):
        """Emails by other means than sequences: a queued mail, a chatter
        message emailed to the contact, a mailing, and one long ago."""
        with freeze_time(MONDAY_9AM - timedelta(days=3)), self.mock_mail_gateway():
            self.env["mail.mail"].create(
                {
                    "email_to": '"Mailed" <Mailed@Example.com>',
                    "subject": "Quote",
                    "body_html": "<p>Hi</p>",
                }
            )
            partners["notified"].message_post(
                body="Following up",
                partner_ids=partners["notified"].ids,
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
            )
            self.env["mail.message"].create(
                {
                    "message_type": "email_outgoing",
                    "model": "res.partner",
                    "res_id": partners["mailing"].id,
                    "outgoing_email_to": "mailing@example.com",
                    "body": "<p>Newsletter</p>",
                }
            )
        with freeze_time(MONDAY_9AM - timedelta(days=30)):
            self.env["mail.mail"].create({"email_to": "old@example.com", "subject": "Old", "body_html": "<p>x</p>"})

    @freeze_time(MONDAY_9AM)
    def test_stagger_spreads_starts_inside_the_window(self):
        partners = self._partners(8)
        wizard = self._wizard(partners, stagger_days=2).save()
        wizard.action_enroll()
        enrollments = self.env["sales.sequence.enrollment"].search([("sequence_id", "=", self.sequence.id)])
        self.assertEqual(len(enrollments), 8)
        self.assertEqual(
            sorted(enrollments.mapped("next_run_at")),
            [brussels(d, h) for d in (2, 3) for h in (9, 11, 13, 15)],
        )

    def test_company_offers_its_contacts(self):
        colleague = self.env["res.partner"].create(
            {
                "name": "Jim Acme",
                "email": "jim@acme.example.com",
                "parent_id": self.acme.id,
            }
        )
        self.env["res.partner"].create({"name": "Acme invoicing", "type": "invoice", "parent_id": self.acme.id})
        form = self._wizard(self.acme | self.john)
        self.assertEqual((form.company_count, form.record_count), (1, 2))
        form.use_company_contacts = True
        self.assertEqual(form.record_count, 3)
        self.assertEqual(form.preview_enroll_count, 3)
        form.save().action_enroll()
        running = self.env["sales.sequence.enrollment"].search([("sequence_id", "=", self.sequence.id)])
        self.assertEqual(running.partner_id, self.jane | colleague | self.john)

    @freeze_time(MONDAY_9AM)
    def test_lead_without_partner_uses_its_email(self):
        lead = self.env["crm.lead"].create(
            {
                "name": "Trade show scan",
                "email_from": "Scan Person <scan@fair.example.com>",
                "contact_name": "Scan Person",
                "user_id": self.user_rep.id,
            }
        )
        form = self._wizard(lead)
        self.assertEqual((form.preview_no_email_count, form.preview_enroll_count), (0, 1))
        form.save().action_enroll()
        enrollment = lead.sequence_enrollment_ids
        self.assertFalse(enrollment.partner_id)
        self.assertEqual(enrollment.email, "Scan Person <scan@fair.example.com>")
        with self.mock_mail_gateway():
            self._run(MONDAY_9AM)
        self.assertEqual(enrollment.trace_ids.state, "sent")
        self.assertIn("scan@fair.example.com", self._new_mails.email_to)


@tagged("post_install", "-at_install")
class TestEnrollInBackground(WizardCase):
    def test_large_selection_runs_in_chunks_and_notifies(self):
        params = self.env["ir.config_parameter"].sudo()
        params.set_param("sales_sequence.enroll_async_threshold", 5)
        params.set_param("sales_sequence.enroll_chunk_size", 4)
        partners = self._partners(12)
        self.sequence.enroll(partners[0], user=self.user_rep)
        cron = self.env.ref("sales_sequence.ir_cron_enroll_batches")
        with self.capture_triggers(cron.id) as capture:
            wizard = self._wizard(partners).save()
            wizard.action_enroll()
        self.assertEqual(wizard.state, "queued")
        self.assertEqual(len(capture.records), 1)
        self.assertFalse(self.sequence.enrollment_count - 1, "nothing enrolled inside the request")
        batch = wizard.batch_id
        self.assertEqual((batch.state, batch.in_background, batch.record_count), ("queued", True, 12))

        last_message = self.env["mail.message"].search([], order="id desc", limit=1)
        with self.enter_registry_test_mode():
            cron.method_direct_trigger()
        batch.invalidate_recordset()
        self.assertEqual((batch.state, batch.next_index), ("done", 12))
        self.assertEqual((batch.enrolled_count, batch.duplicate_count, batch.failed_count), (11, 1, 0))
        self.sequence.invalidate_recordset()
        self.assertEqual(self.sequence.enrollment_count, 12)
        notification = self.env["mail.message"].search(
            [
                ("model", "=", "sales.sequence"),
                ("res_id", "=", self.sequence.id),
                ("message_type", "=", "user_notification"),
                ("id", ">", last_message.id),
            ]
        )
        self.assertEqual(notification.partner_ids, self.user_manager.partner_id)
        self.assertIn("11 enrolled in Outbound, 1 already in it", notification.body)

    def test_a_sequence_archived_meanwhile_stops_the_batch(self):
        params = self.env["ir.config_parameter"].sudo()
        params.set_param("sales_sequence.enroll_async_threshold", 2)
        params.set_param("sales_sequence.enroll_chunk_size", 2)
        wizard = self._wizard(self._partners(5)).save()
        wizard.action_enroll()
        Batch = self.env["sales.sequence.enroll.batch"]
        Batch._lock_next_queued()._process(limit=2)  # a first chunk goes through
        self.sequence.action_archive()
        Batch._cron_process_queued()
        batch = wizard.batch_id
        self.assertEqual((batch.state, batch.enrolled_count, batch.failed_count), ("failed", 2, 3))
        self.assertIn("Stopped: The sequence “Outbound” is archived.", batch.failure_details)
        self.assertEqual(self.sequence.with_context(active_test=False).enrollment_count, 2)

    def test_a_record_out_of_reach_does_not_block_the_queue(self):
        """A rep's lead is given to a colleague before its chunk runs: the
        chunk fails with its reason, the batch ends, and the batch queued
        after it runs (the cron used to fail again and again on that lead's
        name, ahead of every batch queued later)."""
        params = self.env["ir.config_parameter"].sudo()
        params.set_param("sales_sequence.enroll_async_threshold", 2)
        params.set_param("sales_sequence.enroll_chunk_size", 10)
        leads = self.env["crm.lead"].create(
            [
                {"name": "Lead %s" % index, "email_from": "lead%s@example.com" % index, "user_id": self.user_rep.id}
                for index in range(3)
            ]
        )
        later = self._partners(3, prefix="later")
        Wizard = self.env["sales.sequence.enroll.wizard"].with_user(self.user_rep)
        first = Wizard.create(
            {"sequence_id": self.sequence.id, "res_model": "crm.lead", "lead_ids": [Command.set(leads.ids)]}
        )
        first.action_enroll()
        second = Wizard.create(
            {"sequence_id": self.sequence.id, "res_model": "res.partner", "partner_ids": [Command.set(later.ids)]}
        )
        second.action_enroll()
        self.assertEqual((first.batch_id | second.batch_id).mapped("state"), ["queued", "queued"])
        leads[0].user_id = self.user_manager  # out of the rep's reach (own leads only)
        self.env["sales.sequence.enroll.batch"]._cron_process_queued()
        first_batch, second_batch = first.batch_id.sudo(), second.batch_id.sudo()
        self.assertEqual((first_batch.state, first_batch.failed_count), ("done", 3))
        self.assertIn("Lead 1:", first_batch.failure_details, "the names the rep may read")
        self.assertNotIn("Lead 0:", first_batch.failure_details)
        self.assertEqual((second_batch.state, second_batch.enrolled_count), ("done", 3))

    def test_2000_records_through_the_wizard(self):
        """Bounded queries for 2,000 contacts: the preview reads are grouped,
        the request only queues the batch, the job enrolls in chunks of 500
        (one ``create`` each). Measured about 310 queries in all (preview with
        five form changes ~115, queueing ~20, job ~175, i.e. ~45 per chunk);
        the bound leaves room for other features' hooks, while a single query
        per record would add 2,000. The log line gives the time and queries."""
        partners = self._partners(2000, prefix="bulk")
        self.sequence.enroll(partners[:100], user=self.user_rep)  # some duplicates
        self.env.flush_all()
        self.env.invalidate_all()
        marks = [(time.perf_counter(), self.cr.sql_log_count)]
        with self.assertQueryCount(__system__=400):
            form = self._wizard(partners, skip_running=True, skip_recent=True, stagger_days=3)
            self.assertEqual(form.preview_enroll_count, 1900)
            wizard = form.save()
            marks.append((time.perf_counter(), self.cr.sql_log_count))
            wizard.action_enroll()
            marks.append((time.perf_counter(), self.cr.sql_log_count))
            self.env["sales.sequence.enroll.batch"]._cron_process_queued()
            self.env.flush_all()
            marks.append((time.perf_counter(), self.cr.sql_log_count))
        phases = [
            "%s %.2f s / %s queries" % (label, end[0] - start[0], end[1] - start[1])
            for label, start, end in zip(("preview", "queue", "background job"), marks, marks[1:], strict=False)
        ]
        _logger.info("2,000 records through the enroll wizard: %s", ", ".join(phases))
        batch = wizard.batch_id
        self.assertEqual((batch.state, batch.enrolled_count, batch.duplicate_count), ("done", 1900, 100))
