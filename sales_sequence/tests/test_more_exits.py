from datetime import timedelta

from odoo.tests import freeze_time, tagged

from .common import MONDAY_9AM, SalesSequenceCase

TUESDAY_9AM = MONDAY_9AM + timedelta(days=1)


class MoreExitsCase(SalesSequenceCase):
    """Jane (Acme, with the opportunity ``lead``), her colleague Bob, and
    John (no company)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bob = cls.env["res.partner"].create(
            {
                "name": "Bob Builder",
                "email": "bob@acme.example.com",
                "parent_id": cls.acme.id,
            }
        )
        Stage = cls.env["crm.stage"]
        cls.stage_new = Stage.create({"name": "New (exits)", "sequence": 1})
        cls.stage_meeting = Stage.create({"name": "Meeting (exits)", "sequence": 2})
        cls.stage_proposal = Stage.create({"name": "Proposal (exits)", "sequence": 3})
        cls.lead.stage_id = cls.stage_new

    def _sequence(self, **values):
        return self._create_sequence([self._email(delay_days=1)], name=values.pop("name", "Prospecting"), **values)

    def _enroll(self, sequence, records):
        return sequence.enroll(records, user=self.user_rep, start_at=MONDAY_9AM)["enrolled"]


@tagged("post_install", "-at_install")
class TestContactsFollowTheirDeals(MoreExitsCase):
    """A contact's enrollment follows the stage, won and lost of the
    contact's opportunities, as a lead's follows its lead."""

    def test_won_and_lost(self):
        sequence = self._sequence()
        jane, john = self._enroll(sequence, self.jane | self.john)
        self.lead.action_set_won()
        self.assertExited(jane, "won")
        self.assertEqual(john.state, "active")
        other = self.env["crm.lead"].create({"name": "John's deal", "type": "opportunity", "partner_id": self.john.id})
        other.action_set_lost()
        self.assertExited(john, "lost")

    def test_a_deal_already_lost_at_enrollment_does_not_end_it(self):
        self.lead.action_set_lost()
        reengagement = self._sequence(name="Re-engagement")
        jane = self._enroll(reengagement, self.jane)
        self.lead.write({"name": "Still lost"})
        self.assertEqual(jane.state, "active")
        self.lead.action_unarchive()
        self.lead.action_set_won()
        self.assertExited(jane, "won")

    def test_stage_changes_into_exit_stages(self):
        sequence = self._sequence(exit_on_stage_change=True, exit_stage_ids=[(6, 0, self.stage_proposal.ids)])
        jane = self._enroll(sequence, self.jane)
        self.lead.stage_id = self.stage_meeting
        self.assertEqual(jane.state, "active")
        self.lead.stage_id = self.stage_proposal
        self.assertExited(jane, "stage_changed")

    def test_the_engine_catches_a_change_made_without_write(self):
        sequence = self._sequence(exit_on_stage_change=True)
        jane = self._enroll(sequence, self.jane)
        self.env.flush_all()
        self.env.cr.execute("UPDATE crm_lead SET stage_id = %s WHERE id = %s", [self.stage_meeting.id, self.lead.id])
        with self.mock_mail_gateway():
            self._run(TUESDAY_9AM)
        self.assertExited(jane, "stage_changed")
        self.assertFalse(jane.trace_ids)

    def test_without_the_rules_nothing_happens(self):
        sequence = self._sequence(exit_on_won_lost=False)
        jane = self._enroll(sequence, self.jane)
        self.lead.stage_id = self.stage_meeting
        self.lead.action_set_won()
        self.assertEqual(jane.state, "active")


@tagged("post_install", "-at_install")
class TestDealCreated(MoreExitsCase):
    def test_a_new_deal_at_the_company_ends_its_people_s_enrollments(self):
        sequence = self._sequence(exit_on_deal_created=True)
        jane, bob, john = self._enroll(sequence, self.jane | self.bob | self.john)
        # the existing deal (there at enrollment) changes: no new deal
        self.lead.write({"expected_revenue": 5000, "stage_id": self.stage_meeting.id})
        self.assertEqual((jane | bob).mapped("state"), ["active", "active"])
        self.env["crm.lead"].create({"name": "Acme, phase 2", "type": "opportunity", "partner_id": self.acme.id})
        self.assertExited(jane, "deal_created")
        self.assertExited(bob, "deal_created")
        self.assertEqual(john.state, "active")
        # a lead is not a deal until it is converted
        john_lead = self.env["crm.lead"].create({"name": "John asks", "type": "lead", "partner_id": self.john.id})
        self.assertEqual(john.state, "active")
        john_lead.write({"type": "opportunity"})
        self.assertExited(john, "deal_created")

    def test_an_enrolled_lead_that_becomes_a_deal(self):
        sequence = self._sequence(exit_on_deal_created=True)
        raw = self.env["crm.lead"].create({"name": "Inbound", "type": "lead", "email_from": "in@bound.example.com"})
        enrollment = self._enroll(sequence, raw)
        raw.write({"name": "Inbound (qualified)"})
        self.assertEqual(enrollment.state, "active")
        raw.write({"type": "opportunity"})
        self.assertExited(enrollment, "deal_created")

    def test_off_by_default(self):
        sequence = self._sequence()
        jane = self._enroll(sequence, self.jane)
        self.env["crm.lead"].create({"name": "Acme, phase 2", "type": "opportunity", "partner_id": self.acme.id})
        self.assertEqual(jane.state, "active")


@tagged("post_install", "-at_install")
class TestCompanyReply(MoreExitsCase):
    """Someone at the company replies: the company's other enrollments in
    the sequence exit (``company_reply``)."""

    def _start(self, sequence):
        people = self.jane | self.bob | self.john
        enrollments = sequence.enroll(people, user=self.user_rep, start_at=MONDAY_9AM)["enrolled"]
        with self.mock_mail_gateway():
            self._run(MONDAY_9AM)
        return enrollments

    def test_a_reply_ends_the_colleagues(self):
        sequence = self._create_sequence([self._email(), self._email(delay_days=2)], exit_on_company_reply=True)
        jane, bob, john = self._start(sequence)
        other = self._create_sequence([self._email(delay_days=2)], name="Other")
        bob_elsewhere = other.enroll(self.bob, user=self.user_rep)["enrolled"]
        with freeze_time(TUESDAY_9AM):
            self._receive(
                self.jane.email_formatted,
                "Re: Hello Jane",
                body="Thanks, got it.",
                references=jane.trace_ids.message_id,
            )
        self.assertExited(jane, "reply")
        self.assertExited(bob, "company_reply")
        self.assertEqual(john.state, "active")
        self.assertEqual(bob_elsewhere.state, "active", "another sequence: not concerned")

    def test_without_exit_on_reply_only_the_colleagues_exit(self):
        sequence = self._create_sequence(
            [self._email(), self._email(delay_days=2)], exit_on_company_reply=True, exit_on_reply=False
        )
        jane, bob, __ = self._start(sequence)
        self._receive(self.bob.email_formatted, "Re: Hello Bob", body="Thanks.", references=bob.trace_ids.message_id)
        self.assertEqual(bob.state, "active")
        self.assertExited(jane, "company_reply")

    def test_off_by_default(self):
        sequence = self._create_sequence([self._email(), self._email(delay_days=2)])
        jane, bob, __ = self._start(sequence)
        self._receive(self.jane.email_formatted, "Re: Hello", body="Thanks.", references=jane.trace_ids.message_id)
        self.assertExited(jane, "reply")
        self.assertEqual(bob.state, "active")
