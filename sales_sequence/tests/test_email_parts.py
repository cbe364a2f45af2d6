"""What an email of a sequence is made of, besides its subject and body: Cc
and Bcc (templated), attachments, the sender's signature, the unsubscribe
line (per sequence), open and click tracking (per step), and "Send Me a
Test", which mails the step rendered for a record to the current user."""

import base64

from odoo.exceptions import AccessError
from odoo.tests import Form, tagged, users

from .common import MONDAY_9AM, SalesSequenceCase

BODY = '<p>Hi {{ first_name }}, see <a href="https://www.example.com/pricing">our pricing</a>.</p>'


@tagged("post_install", "-at_install")
class TestEmailParts(SalesSequenceCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.brochure = cls.env["ir.attachment"].create(
            {
                "name": "brochure.pdf",
                "datas": base64.b64encode(b"%PDF-1.4 brochure"),
                "mimetype": "application/pdf",
            }
        )
        cls.user_rep.signature = "<p>Rachel Rep, Account Executive</p>"

    def _send(self, sequence, record=None):
        """Run the sequence's first step for ``record`` and send what it queued."""
        enrollment = sequence.enroll(record or self.jane, start_at=MONDAY_9AM, user=self.user_rep)["enrolled"]
        with self.mock_mail_gateway():
            self._run(MONDAY_9AM)
            mail = enrollment.trace_ids.mail_mail_id
            mail.send()
        return enrollment.trace_ids, mail

    # ------------------------------------------------------------------
    # Cc, Bcc, attachments
    # ------------------------------------------------------------------

    def test_cc_and_bcc_are_rendered_and_sent(self):
        sequence = self._create_sequence(
            [
                self._email(
                    email_cc="{{ sender.email }}, not an address, {{ custom.email }}",
                    email_bcc="Log <LOG@crm.example.com>, log@crm.example.com",
                )
            ]
        )
        trace, mail = self._send(sequence)
        self.assertEqual(mail.email_cc, "rachel.rep@test.example.com", "valid addresses only, never the recipient")
        self.assertNotIn("crm.example.com", mail.body_html)
        (sent,) = self.emails
        self.assertEqual(
            sorted(sent["smtp_to_list"]),
            ["jane.doe@acme.example.com", "log@crm.example.com", "rachel.rep@test.example.com"],
        )
        self.assertEqual(sent["msg_cc"], "rachel.rep@test.example.com")
        self.assertNotIn("Bcc", sent["message"], "a hidden copy stays hidden")
        self.assertNotIn("X-Sales-Sequence-Bcc", sent["message"])
        self.assertEqual(trace.state, "sent")

    def test_attachments_go_with_the_email(self):
        sequence = self._create_sequence([self._email(attachment_ids=[(6, 0, self.brochure.ids)])])
        __, mail = self._send(sequence)
        self.assertEqual(mail.attachment_ids, self.brochure)
        self.assertEqual(self._mails[0]["attachments"], [("brochure.pdf", b"%PDF-1.4 brochure", "application/pdf")])

    def test_attachments_uploaded_in_the_dialog_belong_to_the_step(self):
        """Uploaded before the step exists (res_id 0), an attachment would be
        its uploader's alone: saved, it is the step's, readable with it."""
        upload = (
            self.env["ir.attachment"]
            .with_user(self.user_manager)
            .create(
                {
                    "name": "deck.pdf",
                    "datas": base64.b64encode(b"%PDF deck"),
                    "res_model": "sales.sequence.step",
                    "res_id": 0,
                }
            )
        )
        sequence = self._create_sequence([self._email(attachment_ids=[(6, 0, upload.ids)])], team_id=False)
        step = sequence.step_ids
        self.assertEqual((upload.res_model, upload.res_id), ("sales.sequence.step", step.id))
        self.assertEqual(step.with_user(self.user_rep).attachment_ids.mapped("name"), ["deck.pdf"])

    def test_a_variant_sends_its_own_copies_and_attachments(self):
        leaflet = self.brochure.copy({"name": "leaflet.pdf"})
        sequence = self._create_sequence(
            [
                self._email(
                    email_cc="team@example.com",
                    attachment_ids=[(6, 0, self.brochure.ids)],
                    variant_ids=[
                        (
                            0,
                            0,
                            {
                                "subject": "B {{ first_name }}",
                                "body_html": "<p>B</p>",
                                "email_bcc": "{{ sender.email }}",
                                "attachment_ids": [(6, 0, leaflet.ids)],
                            },
                        )
                    ],
                )
            ]
        )
        __, mail = self._send(sequence)
        self.assertEqual(mail.subject, "B Jane")
        self.assertFalse(mail.email_cc, "the variant's copies replace the step's")
        self.assertIn("rachel.rep@test.example.com", self.emails[0]["smtp_to_list"])
        self.assertEqual(mail.attachment_ids, leaflet)

    def test_bad_cc_template_is_refused_on_save(self):
        sequence = self._create_sequence([self._email()], activate=False)
        with self.assertRaisesRegex(Exception, "Cc"):
            sequence.step_ids.email_cc = "{{ sender.email "

    # ------------------------------------------------------------------
    # Signature, unsubscribe line, tracking per step
    # ------------------------------------------------------------------

    def test_signature_when_asked(self):
        signed = self._create_sequence([self._email(add_signature=True)], name="Signed")
        plain = self._create_sequence([self._email()], name="Plain")
        __, mail = self._send(signed)
        self.assertIn("Rachel Rep, Account Executive", mail.body_html)
        __, mail = self._send(plain, self.john)
        self.assertNotIn("Rachel Rep, Account Executive", mail.body_html)
        form_arch = self.env["sales.sequence.step"].get_view(view_type="form")["arch"]
        self.assertIn('name="add_signature"', form_arch, "the toggle is in the step form")

    def test_unsubscribe_style_per_sequence(self):
        footer = self._create_sequence([self._email()], name="Footer")
        line = self._create_sequence([self._email()], name="Line", unsubscribe_style="link")
        trace, mail = self._send(footer)
        self.assertIn("Not interested?", mail.body_html)
        self.assertIn("font-size:12px", mail.body_html)
        trace, mail = self._send(line, self.john)
        self.assertIn("If you would rather not hear from me again,", mail.body_html)
        self.assertNotIn("Not interested?", mail.body_html)
        self.assertIn(trace.enrollment_id._unsubscribe_url(), mail.body_html)
        self.assertIn("List-Unsubscribe", mail.headers, "the one-click header either way")

    def test_tracking_per_step(self):
        sequence = self._create_sequence(
            [
                self._email(body=BODY, track_opens=False),
                self._email(body=BODY, track_clicks=False, delay_days=1),
            ]
        )
        enrollment = sequence.enroll(self.jane, start_at=MONDAY_9AM, user=self.user_rep)["enrolled"]
        self._run(MONDAY_9AM)
        self._run(MONDAY_9AM.replace(day=3))
        no_pixel, no_links = enrollment.trace_ids.sorted("id").mail_mail_id
        self.assertNotIn("/sales_sequence/o/", no_pixel.body_html)
        self.assertIn("/ss/%s/" % enrollment.id, no_pixel.body_html, "links still tracked")
        self.assertIn("/sales_sequence/o/", no_links.body_html)
        self.assertIn('href="https://www.example.com/pricing"', no_links.body_html)

    def test_hiveku_names_and_multi_line_values(self):
        """Other tools' variable names work, and a multi-line value keeps its
        lines in the HTML body (the templates are tools/render.py's)."""
        self.jane.street = "Rue Haute 1\nBox 4"
        sequence = self._create_sequence(
            [
                self._email(
                    subject="{{ company_name }} / {{ owner_first_name }}",
                    body="<p>{{ custom.street }}</p><p>{{ owner_email }}</p>",
                )
            ]
        )
        __, mail = self._send(sequence)
        self.assertEqual(mail.subject, "Acme Corp / Rachel")
        self.assertIn("Rue Haute 1<br>Box 4", mail.body_html.replace("<br/>", "<br>"))
        self.assertIn("rachel.rep@test.example.com", mail.body_html)

    # ------------------------------------------------------------------
    # Send Me a Test
    # ------------------------------------------------------------------

    @users("rep")
    def test_send_me_a_test(self):
        sequence = self._create_sequence(
            [
                self._email(
                    subject="Hello {{ first_name }}",
                    email_cc="cc@example.com",
                    attachment_ids=[(6, 0, self.brochure.ids)],
                )
            ],
            user_id=self.user_rep.id,
        ).with_user(self.user_rep)
        step = sequence.step_ids
        with self.mock_mail_gateway(mail_unlink_sent=True):
            result = step._send_test(self.jane)
        self.assertEqual(result["params"]["type"], "success")
        self.assertSentEmail(
            self.user_rep.partner_id,
            [self.user_rep.email_formatted],
            subject="[TEST] Hello Jane",
            email_to=[self.user_rep.email_formatted],
        )
        (sent,) = self.emails
        self.assertEqual(sent["smtp_to_list"], ["rachel.rep@test.example.com"], "to me only, no copies")
        self.assertIn("Nobody else received it.", self._mails[0]["body"])
        self.assertIn("Hi Jane", self._mails[0]["body"])
        self.assertEqual(self._mails[0]["attachments"][0][0], "brochure.pdf")
        self.assertFalse(self.env["sales.sequence.enrollment"].sudo().search([("sequence_id", "=", sequence.id)]))
        self.assertFalse(self.env["sales.sequence.trace"].sudo().search([("sequence_id", "=", sequence.id)]))
        self.assertFalse(self.env["mail.mail"].sudo().search([("subject", "=", "[TEST] Hello Jane")]), "not kept")

    def test_send_me_a_test_only_for_a_record_i_may_read(self):
        sequence = self._create_sequence([self._email()], user_id=self.user_rep.id)
        not_mine = self.env["crm.lead"].create(
            {
                "name": "Manager's deal",
                "email_from": "deal@example.com",
                "user_id": self.user_manager.id,
            }
        )
        step = sequence.step_ids.with_user(self.user_rep)
        with self.mock_mail_gateway(), self.assertRaises(AccessError):
            step._send_test(not_mine.with_user(self.user_rep))
        self.assertFalse(self._mails)

    def test_send_me_a_test_from_the_preview_and_the_step_form(self):
        sequence = self._create_sequence([self._email(subject="Hello {{ first_name }}")])
        step = sequence.step_ids.with_user(self.user_manager)
        preview = self.env["sales.sequence.step.preview"].with_user(self.user_manager).create({"step_id": step.id})
        preview.record_ref = "res.partner,%s" % self.john.id
        with self.mock_mail_gateway():
            preview.action_send_test()
            step.with_context(sales_sequence_preview_ref="res.partner,%s" % self.jane.id).action_send_test()
        self.assertEqual([mail["subject"] for mail in self._mails], ["[TEST] Hello John", "[TEST] Hello Jane"])
        self.assertEqual({mail["email_to"][0] for mail in self._mails}, {self.user_manager.email_formatted})

    # ------------------------------------------------------------------
    # Manual emails: the draft carries the copies and attachments
    # ------------------------------------------------------------------

    def test_manual_email_draft_has_copies_and_attachments(self):
        sequence = self._create_sequence(
            [
                self._task(
                    "manual_email",
                    subject="Following up, {{ first_name }}",
                    body_html="<p>Hi {{ first_name }}</p>",
                    email_cc="{{ sender.email }}",
                    attachment_ids=[(6, 0, self.brochure.ids)],
                )
            ]
        )
        enrollment = sequence.enroll(self.jane, start_at=MONDAY_9AM, user=self.user_rep)["enrolled"]
        self._run(MONDAY_9AM)
        action = enrollment.waiting_activity_id.with_user(self.user_rep).action_sales_sequence_write_email()
        composer = Form(self.env["mail.compose.message"].with_user(self.user_rep).with_context(**action["context"]))
        self.assertEqual(composer.partner_ids[:], self.jane | self.user_rep.partner_id)
        (attachment,) = composer.attachment_ids[:]
        self.assertEqual((attachment.name, attachment.res_model), ("brochure.pdf", "mail.compose.message"))
        with self.mock_mail_gateway():
            composer.save().action_send_mail()
        message = self.jane.message_ids.filtered(lambda m: m.subject == "Following up, Jane")
        self.assertEqual(message.attachment_ids.mapped("name"), ["brochure.pdf"])
        self.assertEqual(enrollment.trace_ids.message_id, message.message_id)
