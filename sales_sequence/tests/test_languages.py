"""What the engine writes around the rep's text (the unsubscribe footer, the
"Re:" of a threaded email, a yes/no field) is in the recipient's language,
not the language of the cron that sends it."""

from datetime import datetime

from odoo.tools.translate import code_translations

from .common import MONDAY_9AM, SalesSequenceCase

FRENCH = {
    "Not interested?": "Pas intéressé ?",
    "Unsubscribe": "Se désinscrire",
    "Re: %s": "RE : %s",
    "Yes": "Oui",
}


class TestRecipientLanguage(SalesSequenceCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("fr_FR")
        cls.marie = cls.env["res.partner"].create(
            {
                "name": "Marie Curie",
                "email": "marie@radium.example.com",
                "lang": "fr_FR",
                "is_company": False,
            }
        )

    def setUp(self):
        super().setUp()
        key = ("sales_sequence", "fr_FR")
        saved = code_translations.python_translations.get(key)
        code_translations.python_translations[key] = dict(FRENCH)
        self.addCleanup(
            lambda: (
                code_translations.python_translations.__setitem__(key, saved)
                if saved is not None
                else code_translations.python_translations.pop(key, None)
            )
        )

    def test_footer_reply_prefix_and_values_in_the_recipients_language(self):
        sequence = self._create_sequence(
            [
                self._email(subject="Idée pour vous", body="<p>Bonjour {{ first_name }} {{ custom.is_company }}!</p>"),
                self._email(
                    subject="ignored",
                    body="<p>Alors ? {{ custom.active }}</p>",
                    thread_with_previous=True,
                    delay_hours=1,
                ),
            ]
        )
        enrollment = sequence.enroll(self.marie, start_at=MONDAY_9AM, user=self.user_rep)["enrolled"]
        with self.mock_mail_gateway():
            self._run(MONDAY_9AM)
            self._run(datetime(2026, 3, 2, 10, 0))
        first, second = enrollment.trace_ids.sorted("id").mail_mail_id
        self.assertIn("Se désinscrire", first.body_html)
        self.assertIn("Pas intéressé ?", first.body_html)
        self.assertNotIn("Unsubscribe<", first.body_html)
        self.assertEqual(second.subject, "RE : Idée pour vous")
        self.assertIn("Alors ? Oui", second.body_html, "a yes/no field in French too")

    def test_english_recipient_keeps_english(self):
        sequence = self._create_sequence([self._email()])
        enrollment = sequence.enroll(self.john, start_at=MONDAY_9AM, user=self.user_rep)["enrolled"]
        with self.mock_mail_gateway():
            self._run(MONDAY_9AM)
        self.assertIn("Unsubscribe", enrollment.trace_ids.mail_mail_id.body_html)
