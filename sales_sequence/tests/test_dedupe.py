from odoo.tests import tagged

from .common import SalesSequenceCase


@tagged("post_install", "-at_install")
class TestDedupeByAddress(SalesSequenceCase):
    """One normalised address runs once per sequence, as a contact or as a lead."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sequence = cls._create_sequence([cls._email(delay_days=1)])
        cls.jane_lead = cls.env["crm.lead"].create(
            {
                "name": "Jane, again",
                "type": "lead",
                "email_from": "Jane Doe <JANE.DOE@acme.example.com>",
            }
        )

    def test_contact_then_lead(self):
        self.sequence.enroll(self.jane, user=self.user_rep)
        result = self.sequence.enroll(self.jane_lead | self.lead, user=self.user_rep)
        self.assertEqual(result["skipped_duplicates"], self.jane_lead | self.lead)
        self.assertFalse(result["enrolled"])

    def test_lead_then_contact(self):
        self.sequence.enroll(self.jane_lead, user=self.user_rep)
        result = self.sequence.enroll(self.jane | self.john, user=self.user_rep)
        self.assertEqual(result["skipped_duplicates"], self.jane)
        self.assertEqual(result["enrolled"].partner_id, self.john)

    def test_same_address_twice_in_one_call(self):
        twin = self.env["res.partner"].create({"name": "Jane D.", "email": "jane.doe@ACME.example.com"})
        result = self.sequence.enroll(self.jane | twin | self.no_email, user=self.user_rep)
        self.assertEqual(result["enrolled"].partner_id, self.jane | self.no_email)
        self.assertEqual(result["skipped_duplicates"], twin)

    def test_other_sequences_and_ended_runs_do_not_count(self):
        first = self.sequence.enroll(self.jane, user=self.user_rep)["enrolled"]
        other = self._create_sequence([self._email(delay_days=1)], name="Other")
        self.assertTrue(other.enroll(self.jane_lead, user=self.user_rep)["enrolled"])
        first.action_exit()
        self.assertTrue(self.sequence.enroll(self.jane_lead, user=self.user_rep)["enrolled"])
