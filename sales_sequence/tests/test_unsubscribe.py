from odoo.tests import HttpCase, tagged

from .common import MONDAY_9AM, SalesSequenceCase


@tagged("post_install", "-at_install")
class TestUnsubscribe(SalesSequenceCase, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sequence = cls._create_sequence([cls._email(), cls._email(delay_days=2)])
        cls.other_sequence = cls._create_sequence([cls._email()], name="Nurture")
        cls.enrollment = cls.sequence.enroll(cls.jane, start_at=MONDAY_9AM, user=cls.user_rep)["enrolled"]
        cls.other = cls.other_sequence.enroll(cls.jane, start_at=MONDAY_9AM, user=cls.user_rep)["enrolled"]
        cls.url = cls.enrollment._unsubscribe_url().replace(cls.enrollment.get_base_url(), "")

    def test_get_shows_confirmation_and_changes_nothing(self):
        response = self.url_open(self.url)
        self.assertEqual(response.status_code, 200)
        self.assertIn("jane.doe@acme.example.com", response.text)
        self.assertIn("Unsubscribe", response.text)
        self.assertEqual(self.enrollment.state, "active")
        self.assertFalse(self.env["mail.blacklist"].search([("email", "=", "jane.doe@acme.example.com")]))

    def test_post_unsubscribes_everywhere(self):
        response = self.url_open(self.url, data={"confirm": "1"})
        self.assertEqual(response.status_code, 200)
        self.assertIn("You are unsubscribed", response.text)
        self.assertExited(self.enrollment, "unsubscribed")
        self.assertExited(self.other, "unsubscribed")
        self.assertTrue(self.env["mail.blacklist"].search([("email", "=", "jane.doe@acme.example.com")]))

    def test_one_click_post_from_mail_client(self):
        response = self.url_open(self.url, data={"List-Unsubscribe": "One-Click"})
        self.assertEqual(response.status_code, 200)
        self.assertExited(self.enrollment, "unsubscribed")

    def test_forged_token_changes_nothing(self):
        forged = self.url[:-4] + ("0000" if not self.url.endswith("0000") else "1111")
        for url in (forged, "/sales_sequence/unsubscribe/%s/%s" % (self.other.id, self.url.rsplit("/", 1)[1])):
            response = self.url_open(url, data={"List-Unsubscribe": "One-Click"})
            self.assertEqual(response.status_code, 404)
        self.assertEqual((self.enrollment | self.other).mapped("state"), ["active", "active"])
        self.assertFalse(self.env["mail.blacklist"].search([("email", "=", "jane.doe@acme.example.com")]))
