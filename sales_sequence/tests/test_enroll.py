from datetime import datetime
from unittest.mock import patch

from markupsafe import Markup

from odoo.exceptions import UserError
from odoo.tests import Form, freeze_time, tagged

from .common import MONDAY_9AM, SalesSequenceCase


@tagged("post_install", "-at_install")
class TestEnroll(SalesSequenceCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sequence = cls._create_sequence([cls._email(), cls._task("call", delay_business_days=2)])

    def setUp(self):
        super().setUp()
        self.sequence = self.sequence.with_user(self.user_manager)  # enrolls as a sales manager

    def test_enroll_partners(self):
        result = self.sequence.enroll(self.jane | self.john, start_at=MONDAY_9AM)
        enrollments = result["enrolled"]
        self.assertEqual(enrollments.partner_id, self.jane | self.john)
        self.assertFalse(result["skipped_duplicates"])
        self.assertFalse(result["failed"])
        self.assertEqual(set(enrollments.mapped("state")), {"active"})
        self.assertEqual(enrollments.step_id, self.sequence.step_ids[0])
        self.assertEqual(set(enrollments.mapped("next_run_at")), {MONDAY_9AM})
        # sender: the contact's salesperson, else the sequence's owner (here the current user)
        jane_enrollment = enrollments.filtered(lambda e: e.partner_id == self.jane)
        self.assertEqual(jane_enrollment.user_id, self.user_rep)
        self.assertEqual((enrollments - jane_enrollment).user_id, self.user_manager)

    def test_sender_is_the_salesperson_else_the_owner(self):
        """The contract: the ``user`` given, else the record's salesperson when
        an active internal user, else the sequence's owner — never the admin
        or OdooBot who happens to run the enrollment."""
        sequence = self.sequence.sudo()  # as the system (an automation rule, the audience sync)
        self.assertEqual(sequence.user_id, self.user_manager)
        result = sequence.enroll(self.jane | self.john, start_at=MONDAY_9AM)
        by_partner = {e.partner_id: e.user_id for e in result["enrolled"]}
        self.assertEqual(by_partner, {self.jane: self.user_rep, self.john: self.user_manager})
        portal = self.env["res.users"].create(
            {
                "name": "Portal Pat",
                "login": "portal_pat",
                "group_ids": [(6, 0, [self.env.ref("base.group_portal").id])],
            }
        )
        prospect = self.env["res.partner"].create(
            {"name": "Web Lead", "email": "web@lead.example.com", "user_id": portal.id}
        )
        self.assertEqual(
            sequence.enroll(prospect)["enrolled"].user_id,
            self.user_manager,
            "a portal 'salesperson' sends nothing: the owner does",
        )

    def test_enroll_lead_takes_its_partner(self):
        enrollment = self.sequence.enroll(self.lead, user=self.user_manager)["enrolled"]
        self.assertEqual(enrollment.lead_id, self.lead)
        self.assertEqual(enrollment.partner_id, self.jane)
        self.assertEqual(enrollment.user_id, self.user_manager)
        self.assertEqual(enrollment.email, "jane.doe@acme.example.com")
        self.assertEqual(self.lead.sequence_enrollment_count, 1)

    def test_enroll_skips_duplicates(self):
        first = self.sequence.enroll(self.jane)["enrolled"]
        result = self.sequence.enroll(self.jane | self.john)
        self.assertEqual(result["skipped_duplicates"], self.jane)
        self.assertEqual(result["enrolled"].partner_id, self.john)
        # the lead of Jane writes to the same address: it does not run beside her contact enrollment
        self.assertEqual(self.sequence.enroll(self.lead)["skipped_duplicates"], self.lead)
        # once exited, the contact can start over
        first.action_exit()
        again = self.sequence.enroll(self.jane)["enrolled"]
        self.assertTrue(again)
        self.assertNotEqual(again, first)

    def test_enroll_failures_are_reported_and_create_nothing(self):
        other_company = self.env["res.company"].create({"name": "Other Co"})
        foreign = self.env["res.partner"].create(
            {
                "name": "Foreign",
                "email": "f@other.example.com",
                "company_id": other_company.id,
            }
        )
        archived = self.env["res.partner"].create({"name": "Gone", "email": "gone@example.com", "active": False})
        mute_sender = self.env["res.users"].create({"name": "No Mail", "login": "nomail"})
        result = self.sequence.sudo().enroll(foreign | archived | self.john, user=self.user_rep)
        self.assertEqual(result["failed"], foreign | archived)
        self.assertIn("Other Co", result["failure_reasons"][foreign.id])
        self.assertIn("archived", result["failure_reasons"][archived.id])
        self.assertEqual(result["enrolled"].partner_id, self.john)
        result = self.sequence.enroll(self.no_email, user=mute_sender)
        self.assertEqual(result["failed"], self.no_email)
        self.assertIn("no email address", result["failure_reasons"][self.no_email.id])
        mute_sender.action_archive()
        result = self.sequence.enroll(self.no_email, user=mute_sender)
        self.assertIn("is archived", result["failure_reasons"][self.no_email.id])

    def test_enroll_refuses_draft_sequence_and_other_models(self):
        draft = self._create_sequence([self._email()], activate=False)
        with self.assertRaisesRegex(UserError, "Activate"):
            draft.enroll(self.jane)
        with self.assertRaisesRegex(UserError, "Only contacts and leads"):
            self.sequence.enroll(self.user_rep)
        self.assertFalse(self.env["sales.sequence.enrollment"].search([("partner_id", "=", self.jane.id)]))

    def test_enroll_empty_recordset(self):
        result = self.sequence.enroll(self.env["res.partner"])
        self.assertFalse(result["enrolled"] or result["failed"] or result["skipped_duplicates"])

    @freeze_time("2026-03-07 10:00:00")  # a Saturday
    def test_first_step_waits_for_the_window(self):
        enrollment = self.sequence.enroll(self.john)["enrolled"]
        self.assertEqual(enrollment.next_run_at, datetime(2026, 3, 9, 8, 0))  # Monday 09:00 Brussels

    def test_enroll_logs_on_the_contact_chatter(self):
        self.sequence.enroll(self.john)
        self.assertIn("Outbound: Enrolled", self.john.message_ids[0].body)

    def test_bulk_notes_and_followers_are_odoos_own(self):
        """engine.chatter writes in one insert what _message_log_batch and
        message_subscribe write one ORM record at a time: the same rows."""
        partners = self._contacts(3)
        enrollments = self.sequence.enroll(partners)["enrolled"]
        self.assertEqual(len(enrollments), 3)
        reference = self.env["res.partner"].create({"name": "Reference"})
        expected = reference.with_user(self.user_manager)._message_log_batch({reference.id: "Outbound: Enrolled"})
        for partner in partners:
            note = partner.message_ids[0]
            self.assertEqual(note.body, Markup("<p>Outbound: Enrolled in the sequence Outbound.</p>"))
            for field in ("author_id", "email_from", "reply_to", "message_type", "subtype_id", "is_internal", "model"):
                self.assertEqual(note[field], expected[field], field)
        subscribed = (
            self.env["sales.sequence.enrollment"]
            .sudo()
            .create({"sequence_id": self.sequence.id, "partner_id": self.no_email.id, "user_id": self.user_manager.id})
        )
        subscribed.message_unsubscribe(subscribed.message_partner_ids.ids)
        subscribed.message_subscribe(partner_ids=self.user_manager.partner_id.ids)
        for enrollment in enrollments:
            follower = enrollment.message_follower_ids
            self.assertEqual(follower.partner_id, self.user_manager.partner_id)  # the sender (no salesperson)
            self.assertEqual(follower.subtype_ids, subscribed.message_follower_ids.subtype_ids)

    def test_bulk_company_check_refuses_a_mixed_batch(self):
        """Enrollments created together are checked per field and company at
        once; a single inconsistent one still fails the whole create, with
        Odoo's own message."""
        other_company = self.env["res.company"].create({"name": "Other Co"})
        stranger = self.env["res.partner"].create(
            {"name": "Stranger", "email": "stranger@other.example.com", "company_id": other_company.id}
        )
        values = [
            {"sequence_id": self.sequence.id, "partner_id": partner.id, "user_id": self.user_manager.id}
            for partner in (self.john, stranger)
        ]
        Enrollment = self.env["sales.sequence.enrollment"]
        with self.assertRaisesRegex(UserError, "company inconsistencies"), self.cr.savepoint():
            Enrollment.create(values)
        self.assertFalse(Enrollment.search([("partner_id", "in", (self.john | stranger).ids)]))
        self.assertEqual(len(Enrollment.create([values[0], dict(values[0], partner_id=self.jane.id)])), 2)

    def test_company_is_precomputed_once_per_sequence(self):
        """The company is the sequence's, as the related field would compute
        it, read once per sequence instead of through a new record per
        enrollment (the ORM's way, a fifth of a bulk enrollment's time); a
        company given on create is ignored, as for any readonly precomputed
        field."""
        other_company = self.env["res.company"].create({"name": "Other Co"})
        Enrollment = type(self.env["sales.sequence.enrollment"])
        with patch.object(Enrollment, "new", side_effect=AssertionError("a new record per enrollment")):
            enrolled = self.sequence.enroll(self._contacts(3))["enrolled"]
            created = self.env["sales.sequence.enrollment"].create(
                {
                    "sequence_id": self.sequence.id,
                    "partner_id": self.john.id,
                    "user_id": self.user_manager.id,
                    "company_id": other_company.id,
                }
            )
        self.assertEqual(len(enrolled), 3)
        self.assertEqual((enrolled | created).company_id, self.sequence.company_id)
        self.env.flush_all()
        self.env.invalidate_all()
        self.assertEqual(created.company_id, self.sequence.company_id, "stored")

    def test_enrolling_more_contacts_costs_no_more_queries(self):
        """Enrolling is a fixed number of queries, whatever the count (the
        bulk enrollment of 10,000 contacts is one request)."""
        counts = {}
        for size in (2, 5, 40):  # the first one warms the caches up
            partners = self._contacts(size, prefix="q%d" % size)
            self.env.flush_all()
            self.env.invalidate_all()
            start = self.cr.sql_log_count
            self.sequence.enroll(partners)
            self.env.flush_all()
            counts[size] = self.cr.sql_log_count - start
        self.assertEqual(counts[5], counts[40], counts)
        self.assertLessEqual(counts[40], 25, counts)

    def _contacts(self, count, prefix="bulk"):
        return self.env["res.partner"].create(
            [{"name": "Bulk %d" % index, "email": "%s%d@bulk.example.com" % (prefix, index)} for index in range(count)]
        )

    def test_wizard_from_lead_list(self):
        other = self.lead.copy({"name": "Second lead", "partner_id": False, "email_from": "second@example.com"})
        self.sequence.sudo().team_id = False  # shared with every rep (reps read their teams' sequences)
        self.sequence.enroll(self.lead)
        action = (self.lead | other).with_user(self.user_rep).action_enroll_in_sequence()
        wizard_form = Form(self.env[action["res_model"]].with_user(self.user_rep).with_context(**action["context"]))
        wizard_form.sequence_id = self.sequence
        wizard = wizard_form.save()
        self.assertEqual(wizard.record_count, 2)
        wizard.action_enroll()
        self.assertEqual(wizard.state, "done")
        self.assertEqual((wizard.enrolled_count, wizard.duplicate_count, wizard.failed_count), (1, 1, 0))
        self.assertEqual(other.sequence_enrollment_count, 1)
