"""Content quality: spam risk on steps, preview with a contact, email
templates, and the A/B auto-winner on fixed trace counts."""

from unittest.mock import patch

from psycopg2.errors import CheckViolation

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, freeze_time, tagged
from odoo.tools import mute_logger

from odoo.addons.mail.tests.common import mail_new_test_user
from odoo.addons.sales_sequence.tools import render, spam

from .common import MONDAY_9AM, SalesSequenceCase

CLEAN_SUBJECT = "Quick question about {{ company | default('your team') }}"
CLEAN_BODY = (
    "<p>Hi {{ first_name | default('there') }},</p>"
    "<p>{% if company %}I saw {{ company }} is hiring.{% endif %} We help teams onboard new "
    "engineers in half the time. Would a short call next week make sense?</p>"
)
SPAM_SUBJECT = "FREE MONEY!!! ACT NOW"
SPAM_BODY = '<p><a href="https://bit.ly/win">Click here</a> to claim your prize: $1,000 guaranteed!!!</p>'


class ContentCase(SalesSequenceCase):
    @classmethod
    def _spam_sequence(cls, **values):
        return cls._create_sequence(
            [
                cls._email(subject=CLEAN_SUBJECT, body=CLEAN_BODY),
                cls._email(subject=SPAM_SUBJECT, body=SPAM_BODY, delay_days=2),
            ],
            activate=False,
            **values,
        )


@tagged("post_install", "-at_install")
class TestSpamOnSteps(ContentCase):
    def test_clean_step_is_green(self):
        step = self._spam_sequence().step_ids[0]
        self.assertEqual((step.spam_score, step.spam_band, step.spam_reasons), (0, "green", False))

    def test_spammy_step_is_red_with_reasons(self):
        step = self._spam_sequence().step_ids[1]
        self.assertEqual(step.spam_band, "red")
        self.assertEqual(step.spam_score, spam.score(SPAM_SUBJECT, SPAM_BODY).score)
        lines = step.spam_reasons.splitlines()
        self.assertIn("The subject is in capital letters.", lines)
        self.assertIn("Link shorteners hide the destination: bit.ly.", lines)

    def test_non_email_steps_have_no_score(self):
        sequence = self._create_sequence([self._task("call", activity_summary="FREE!!!")], activate=False)
        self.assertEqual((sequence.step_ids.spam_band, sequence.step_ids.spam_score), (False, 0))

    def test_worst_variant_decides(self):
        step = self._spam_sequence().step_ids[0]
        step.variant_ids = [
            (0, 0, {"subject": CLEAN_SUBJECT, "body_html": CLEAN_BODY}),
            (0, 0, {"subject": SPAM_SUBJECT, "body_html": SPAM_BODY}),
        ]
        self.assertEqual(step.spam_band, "red")
        self.assertEqual(step.spam_reasons.splitlines()[0], "Variant B:")

    def test_score_updates_live_in_the_form(self):
        step = self._spam_sequence().step_ids[0]
        with Form(step) as form:
            self.assertEqual(form.spam_band, "green")
            form.subject = "URGENT: FREE TRIAL!!!"
            self.assertEqual(form.spam_band, "amber")
            form.body_html = SPAM_BODY
            self.assertEqual(form.spam_band, "red")
            self.assertIn("Spam-like words", form.spam_reasons)
            form.subject = CLEAN_SUBJECT
            form.body_html = CLEAN_BODY
            self.assertEqual(form.spam_band, "green")

    def test_every_reason_code_has_a_translatable_message(self):
        messages = self.env["sales.sequence.step"]._spam_reason_messages()
        self.assertEqual(set(messages), set(spam.REASON_MESSAGES))
        for code, message in messages.items():
            self.assertEqual(message, spam.REASON_MESSAGES[code])  # English source, same placeholders

    def test_step_list_score_costs_no_query_per_step(self):
        def queries_to_score(step_count):
            sequence = self._create_sequence(
                [self._email(subject=SPAM_SUBJECT, body=SPAM_BODY)] * step_count,
                activate=False,
            )
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            sequence.step_ids.mapped("spam_band")
            return self.env.cr.sql_log_count - before

        self.assertEqual(queries_to_score(2), queries_to_score(8))

    def test_activation_warns_on_red_without_blocking(self):
        sequence = self._spam_sequence()
        red_step = sequence.step_ids[1]
        result = sequence.action_activate()
        self.assertEqual(sequence.state, "active")
        self.assertEqual(result["tag"], "display_notification")
        self.assertEqual(result["params"]["type"], "warning")
        self.assertIn(red_step.name, result["params"]["message"])
        note = sequence.message_ids[0]
        self.assertEqual(note.subtype_id, self.env.ref("mail.mt_note"))
        self.assertIn(red_step.name, note.body)
        self.assertIn("Link shorteners hide the destination: bit.ly.", note.body)
        self.assertNotIn(sequence.step_ids[0].name, note.body)

    def test_activation_without_red_steps_stays_silent(self):
        sequence = self._create_sequence([self._email(subject=CLEAN_SUBJECT, body=CLEAN_BODY)], activate=False)
        messages = sequence.message_ids
        self.assertIs(sequence.action_activate(), True)
        self.assertEqual(sequence.state, "active")
        self.assertEqual(sequence.message_ids, messages)


@tagged("post_install", "-at_install")
class TestPreview(ContentCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sequence = cls._create_sequence(
            [
                cls._email(
                    subject="Hello {{ first_name }}",
                    body="<p>Hi {{ first_name | default('there') }}{% if company %} from {{ company }}{% endif %},"
                    " {{ sender.first_name }} here.</p>",
                )
            ]
        )
        cls.step = cls.sequence.step_ids

    def _preview(self, record=None, **values):
        wizard = self.env["sales.sequence.step.preview"].create({"step_id": self.step.id, **values})
        if record is not None:
            wizard.record_ref = "%s,%s" % (record._name, record.id) if record else False
        return wizard

    def test_renders_as_sent_for_a_contact(self):
        preview = self._preview(self.jane, user_id=self.user_rep.id)
        self.assertEqual(preview.subject, "Hello Jane")
        self.assertIn("Hi Jane from Acme Corp, Rachel here.", preview.body_html)
        self.assertIn("Unsubscribe", preview.body_html)  # the footer, as sent
        self.assertEqual(preview.email_to, self.jane.email_formatted)
        self.assertEqual(preview.subject, self.step._render_preview(self.jane, self.user_rep).subject)
        self.assertFalse(preview.error)

    def test_rerenders_when_the_record_changes(self):
        preview = self._preview(self.jane)
        self.assertEqual(preview.subject, "Hello Jane")
        preview.record_ref = "res.partner,%s" % self.john.id
        self.assertEqual(preview.subject, "Hello John")
        self.assertIn("Hi John,", preview.body_html)
        with Form(preview) as form:
            form.record_ref = "res.partner,%s" % self.jane.id
            self.assertEqual(form.subject, "Hello Jane")

    def test_renders_for_a_lead(self):
        preview = self._preview(self.lead)
        self.assertEqual(preview.subject, "Hello Jane")
        self.assertIn("from Acme Corp", preview.body_html)
        self.assertEqual(preview.email_to, '"Jane Doe" <jane.doe@acme.example.com>', "what the engine writes to")

    def test_default_record_is_the_first_enrolled(self):
        with freeze_time(MONDAY_9AM):
            self.sequence.enroll(self.lead)
            self.sequence.enroll(self.john)
        self.assertEqual(self._preview().record_ref, self.lead)

    def test_default_record_without_enrollment_is_a_contact(self):
        record = self._preview().record_ref
        self.assertEqual(record._name, "res.partner")
        self.assertTrue(record.email)

    def test_no_record_explains(self):
        preview = self._preview(False)
        self.assertFalse(preview.subject)
        self.assertIn("Pick a contact or a lead", preview.error)

    def test_render_error_is_shown_not_raised(self):
        with patch.object(type(self.step), "_render_preview", side_effect=render.TemplateError("boom", 3)):
            preview = self._preview(self.jane)
            self.assertIn("Line 3: boom", preview.error)
            self.assertFalse(preview.body_html)

    def test_preview_button(self):
        action = self.step.action_open_preview()
        self.assertEqual(action["res_model"], "sales.sequence.step.preview")
        self.assertEqual(action["context"], {"default_step_id": self.step.id})


@tagged("post_install", "-at_install")
class TestTemplates(ContentCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user_teammate = mail_new_test_user(
            cls.env,
            login="teammate",
            name="Tina Teammate",
            email="tina@test.example.com",
            groups="sales_team.group_sale_salesman",
        )
        cls.user_outsider = mail_new_test_user(
            cls.env,
            login="outsider",
            name="Otto Outsider",
            email="otto@test.example.com",
            groups="sales_team.group_sale_salesman",
        )
        cls.team = cls.env["crm.team"].create(
            {
                "name": "Inbound",
                "member_ids": [(4, cls.user_rep.id), (4, cls.user_teammate.id)],
            }
        )
        cls.env["crm.team"].create({"name": "Outbound", "member_ids": [(4, cls.user_outsider.id)]})
        cls.Template = cls.env["sales.sequence.template"]

    def _template_as_rep(self, **values):
        return self.Template.with_user(self.user_rep).create(
            {
                "name": "Intro",
                "subject": CLEAN_SUBJECT,
                "body_html": CLEAN_BODY,
                **values,
            }
        )

    def _visible_to(self, user, template):
        return template in self.Template.with_user(user).search([("id", "=", template.id)])

    def test_personal_by_default(self):
        template = self._template_as_rep()
        self.assertEqual(template.user_id, self.user_rep)
        self.assertFalse(template.shared)
        self.assertEqual(template.team_id, self.team)  # the owner's team, for when it is shared
        self.assertTrue(self._visible_to(self.user_rep, template))
        self.assertFalse(self._visible_to(self.user_teammate, template))
        self.assertFalse(self._visible_to(self.user_outsider, template))
        self.assertTrue(self._visible_to(self.user_manager, template))

    def test_shared_with_the_team(self):
        template = self._template_as_rep()
        template.with_user(self.user_rep).shared = True
        self.assertTrue(self._visible_to(self.user_teammate, template))
        self.assertFalse(self._visible_to(self.user_outsider, template))
        with self.assertRaises(AccessError):
            template.with_user(self.user_teammate).write({"subject": "Mine now"})

    def test_shared_without_team_is_for_everyone(self):
        template = self._template_as_rep(shared=True, team_id=False)
        self.assertTrue(self._visible_to(self.user_outsider, template))

    def test_reps_cannot_create_templates_for_others(self):
        with self.assertRaises(AccessError):
            self._template_as_rep(user_id=self.user_teammate.id)

    def test_refuses_a_bad_template(self):
        with self.assertRaises(ValidationError):
            self._template_as_rep(subject="Hi {{ frist_name }}")

    def test_save_step_as_template(self):
        step = self._spam_sequence().step_ids[0]
        action = step.with_user(self.user_manager).action_save_as_template()
        template = self.Template.browse(action["res_id"])
        self.assertEqual(action["res_model"], "sales.sequence.template")
        self.assertEqual(
            (template.name, template.subject, template.body_html, template.user_id, template.shared),
            (CLEAN_SUBJECT, CLEAN_SUBJECT, step.body_html, self.user_manager, False),
        )

    def test_save_as_template_needs_an_email_with_content(self):
        sequence = self._create_sequence(
            [self._task("call"), self._email(subject=False, body=False)],
            activate=False,
        )
        count = self.Template.search_count([])
        for step in sequence.step_ids:
            with self.subTest(step.step_type), self.assertRaises(UserError):
                step.action_save_as_template()
        self.assertEqual(self.Template.search_count([]), count)

    def test_start_from_a_template(self):
        template = self._template_as_rep()
        step = self._create_sequence([self._email(subject="Old", body="<p>Old</p>")], activate=False).step_ids
        with Form(step) as form:
            form.template_id = template
            self.assertEqual(form.subject, CLEAN_SUBJECT)
            self.assertEqual(form.spam_band, "green")
        self.assertEqual(step.subject, CLEAN_SUBJECT)
        self.assertEqual(step.body_html, template.body_html)
        self.assertEqual(step.template_id, template)


@tagged("post_install", "-at_install")
class TestABWinner(ContentCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sequence = cls._create_sequence([cls._email(subject=CLEAN_SUBJECT, body=CLEAN_BODY)])
        cls.step = cls.sequence.step_ids
        cls.step.write(
            {
                "ab_min_sends": 40,
                "variant_ids": [
                    (0, 0, {"subject": "Version A {{ first_name }}", "body_html": CLEAN_BODY, "weight": 1}),
                    (0, 0, {"subject": "Version B {{ first_name }}", "body_html": CLEAN_BODY, "weight": 1}),
                ],
            }
        )
        cls.variant_a, cls.variant_b = cls.step.variant_ids

    def _traces(self, variant, sent, replied=0, opened=0, clicked=0, state="sent"):
        """``sent`` traces of ``variant``: the first ``replied`` (``opened``,
        ``clicked``) of them replied to (opened, clicked)."""
        enrollments = self.env["sales.sequence.enrollment"].create(
            [
                {
                    "sequence_id": self.sequence.id,
                    "partner_id": self.john.id,
                    "user_id": self.user_rep.id,
                    "state": "completed",
                    "exit_reason": "completed",
                }
                for __ in range(sent)
            ]
        )
        return self.env["sales.sequence.trace"].create(
            [
                {
                    "enrollment_id": enrollment.id,
                    "step_id": self.step.id,
                    "variant_id": variant.id,
                    "state": state,
                    "sent_at": MONDAY_9AM,
                    "replied_at": MONDAY_9AM if index < replied else False,
                    "opened_at": MONDAY_9AM if index < opened else False,
                    "clicked_at": MONDAY_9AM if index < clicked else False,
                }
                for index, enrollment in enumerate(enrollments)
            ]
        )

    def test_counts_in_one_grouped_query(self):
        self._traces(self.variant_a, 40, replied=6, opened=20, clicked=3)
        self._traces(self.variant_b, 40, replied=18, opened=21)
        self._traces(self.variant_b, 5, state="failed")  # bounced: not sent
        with self.assertQueryCount(1):
            counts = self.step._ab_counts()
        self.assertEqual(
            counts,
            {
                self.variant_a: {"sent": 40, "reply": 6, "open": 20, "click": 3},
                self.variant_b: {"sent": 40, "reply": 18, "open": 21, "click": 0},
            },
        )
        self.assertEqual((self.variant_b.ab_sent_count, self.variant_b.ab_success_count), (40, 18))
        self.assertAlmostEqual(self.variant_b.ab_rate, 0.45)

    def test_significant_winner_is_promoted_and_logged(self):
        self._traces(self.variant_a, 40, replied=6)  # 15%
        self._traces(self.variant_b, 40, replied=18)  # 45%: z = 2.93, p = 0.0034
        decision = self.step._ab_pick_winners()[self.step]
        self.assertEqual(decision.winner, self.variant_b)
        self.assertAlmostEqual(decision.z, 2.9277, places=3)
        self.assertEqual(self.step.ab_winner_id, self.variant_b)
        self.assertEqual(self.step._variants_for_sending(), self.variant_b)
        self.assertTrue(self.variant_b.is_ab_winner)
        body = self.sequence.message_ids[0].body
        for expected in (
            "Variant B wins on reply rate at 95% confidence",
            "z = 2.93",
            "p = 0.0034",
            "Variant A: 15.0% reply rate (6 of 40 sent)",
            "Variant B: 45.0% reply rate (18 of 40 sent)",
        ):
            self.assertIn(expected, body)

    def test_no_winner_before_the_minimum_sends(self):
        self._traces(self.variant_a, 39, replied=1)
        self._traces(self.variant_b, 40, replied=30)
        messages = self.sequence.message_ids
        result = self.step.action_ab_pick_winner()
        self.assertFalse(self.step.ab_winner_id)
        self.assertEqual(self.step._variants_for_sending(), self.variant_a | self.variant_b)
        self.assertEqual(self.sequence.message_ids, messages)
        self.assertIn("Not enough data yet", result["params"]["message"])
        self.assertIn("Variant A: 39", result["params"]["message"])

    def test_no_winner_without_significance(self):
        self._traces(self.variant_a, 40, replied=10)
        self._traces(self.variant_b, 40, replied=14)
        result = self.step.action_ab_pick_winner()
        self.assertFalse(self.step.ab_winner_id)
        self.assertIn("No significant difference yet at 95% confidence", result["params"]["message"])

    def test_confidence_level_matters(self):
        self._traces(self.variant_a, 40, replied=6)
        self._traces(self.variant_b, 40, replied=14)  # 15% vs 35%: p = 0.039
        self.step.ab_confidence = "0.99"
        self.step._ab_pick_winners()
        self.assertFalse(self.step.ab_winner_id)
        self.step.ab_confidence = "0.95"
        self.step._ab_pick_winners()
        self.assertEqual(self.step.ab_winner_id, self.variant_b)

    def test_metric_open_rate(self):
        self._traces(self.variant_a, 40, replied=2, opened=30)
        self._traces(self.variant_b, 40, replied=12, opened=10)
        self.step.ab_metric = "open"
        self.step.action_ab_pick_winner()
        self.assertEqual(self.step.ab_winner_id, self.variant_a)
        self.assertIn("open rate", self.sequence.message_ids[0].body)

    def test_cron_decides_running_sequences_only(self):
        draft = self._create_sequence([self._email()], activate=False)
        draft.step_ids.variant_ids = [(0, 0, {"subject": "A"}), (0, 0, {"subject": "B"})]
        self._traces(self.variant_a, 40, replied=6)
        self._traces(self.variant_b, 40, replied=18)
        with (
            patch.object(
                type(self.step), "_ab_pick_winners", autospec=True, side_effect=type(self.step)._ab_pick_winners
            ) as pick,
            self.enter_registry_test_mode(),
        ):
            self.env.ref("sales_sequence.ir_cron_ab_pick_winners").method_direct_trigger()
        self.assertEqual(pick.call_args_list[0].args[0], self.step)
        self.assertEqual(self.step.ab_winner_id, self.variant_b)

    def test_manual_pick_and_resume(self):
        self._traces(self.variant_a, 3, replied=1)
        self.variant_a.action_make_winner()
        self.assertEqual(self.step.ab_winner_id, self.variant_a)
        self.assertIn("picked Variant A as the winner", self.sequence.message_ids[0].body)
        self.assertIn("Variant A: 33.3% reply rate (1 of 3 sent)", self.sequence.message_ids[0].body)
        with self.assertRaises(UserError):
            self.step.action_ab_pick_winner()
        self.step.action_ab_reset_winner()
        self.assertFalse(self.step.ab_winner_id)
        self.assertIn("resumed", self.sequence.message_ids[0].body)

    def test_winner_must_be_a_variant_of_the_step_with_a_weight(self):
        other = self._create_sequence([self._email()], activate=False).step_ids
        other.variant_ids = [(0, 0, {"subject": "Other"})]
        with self.assertRaises(ValidationError):
            self.step.ab_winner_id = other.variant_ids
        self.variant_a.weight = 0
        with self.assertRaises(ValidationError):
            self.step.ab_winner_id = self.variant_a
        self.variant_a.weight = 1
        self.step.ab_winner_id = self.variant_a
        with self.assertRaises(ValidationError):
            self.variant_a.weight = 0

    def test_min_sends_must_be_positive(self):
        with self.assertRaises(CheckViolation), mute_logger("odoo.sql_db"), self.cr.savepoint():
            self.step.ab_min_sends = 0
            self.step.flush_recordset()

    def test_reps_cannot_pick_winners_of_others_sequences(self):
        with self.assertRaises(AccessError):
            self.step.with_user(self.user_rep).action_ab_pick_winner()

    def test_copied_step_starts_a_new_test(self):
        self.step.ab_winner_id = self.variant_b
        copy = self.sequence.copy()
        self.assertEqual(len(copy.step_ids.variant_ids), 2)
        self.assertFalse(copy.step_ids.ab_winner_id)

    def test_engine_sends_the_winner_to_every_new_enrollment(self):
        """Needs step_runner's ``_plan_email`` to draw from
        ``step._variants_for_sending()``."""
        self.step.ab_winner_id = self.variant_b
        partners = self.env["res.partner"].create(
            [{"name": "Prospect %s" % n, "email": "prospect%s@example.com" % n} for n in range(12)]
        )
        with freeze_time(MONDAY_9AM):
            enrolled = self.sequence.enroll(partners, user=self.user_manager)["enrolled"]
            self._run(MONDAY_9AM)
        self.assertEqual(len(enrolled.trace_ids), 12)
        self.assertEqual(enrolled.trace_ids.variant_id, self.variant_b)
