"""The builder as the rep meets it: the step dialog warns while editing
(templates, unknown variables, negative delays, variables empty for the
preview record), previews unsaved steps, names steps in plain text, and
every screen counts the same way; the screens around it (read-only for
those who cannot save, the cadence of the cards, the exit condition, the
enroll wizard's result, Enroll on the contact form)."""

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import Form, tagged, users

from odoo.addons.mail.tests.common import mail_new_test_user

from .common import MONDAY_9AM, SalesSequenceCase


@tagged("post_install", "-at_install")
class TestStepDialog(SalesSequenceCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sequence = cls._create_sequence([cls._email()], activate=False, name="Draft")

    def _new_step(self, form, **values):
        step = form.step_ids.new()
        for name, value in values.items():
            setattr(step, name, value)
        return step

    def test_warnings_while_editing(self):
        form = Form(self.sequence)
        step = self._new_step(form, subject="Hi {{ frist_name }}", delay_business_days=-2)
        warnings = step.content_warnings
        self.assertIn("Unknown variable 'frist_name' (did you mean 'first_name'?)", warnings)
        self.assertIn("Subject: Line 1", warnings, "the field and the line")
        self.assertIn(
            "“Day 1 · Automatic Email · Hi ‹frist_name›”: a delay cannot be negative (Business Days)",
            warnings,
            "the step is named",
        )
        self.assertEqual(
            step.delay_text, "Invalid: a delay cannot be negative", "never '-2 business days after enrollment'"
        )
        step.subject = "Hi {{ first_name | default('there') }}"
        step.delay_business_days = 2
        self.assertFalse(step.content_warnings)
        step.body_html = "<p>{% if company %}</p>"
        self.assertIn("Body: Line 1", step.content_warnings)

    def test_saving_a_negative_delay_names_the_step(self):
        form = Form(self.sequence)
        self._new_step(form, step_type="task", activity_summary="Research the account", delay_business_days=-3).save()
        with self.assertRaisesRegex(ValidationError, "“Research the account”: a delay cannot be negative"):
            form.save()
        step = self.sequence.step_ids
        with self.assertRaisesRegex(ValidationError, "“Day 1 · Automatic Email · .*”: a delay cannot be negative"):
            step.delay_days = -1
        self.assertEqual(step.delay_days, 0, "nothing changed")

    def test_empty_variables_of_the_preview_record(self):
        company = self.env["res.partner"].create(
            {"name": "Globex", "is_company": True, "email": "hello@globex.example.com"}
        )
        form = Form(self.sequence)
        step = self._new_step(form, subject="Hello", body_html="<p>Hi {{ first_name }}, I noticed {{ company }}</p>")
        step.preview_ref = "res.partner,%s" % company.id
        self.assertIn("Body: {{ first_name }} would be empty for Globex", step.content_warnings)
        self.assertNotIn("{{ company }}", step.content_warnings, "the company has a name")
        self.assertIn("Hi , I noticed Globex", step.preview_body, "the preview shows it as sent")
        step.body_html = "<p>Hi {{ first_name | default('there') }}{% if title %}, {{ title }}{% endif %}</p>"
        self.assertFalse(step.content_warnings, "a fallback or a condition is enough")
        step.preview_ref = "res.partner,%s" % self.jane.id
        self.assertFalse(step.content_warnings)

    def test_preview_of_an_unsaved_step_in_an_unsaved_sequence(self):
        form = Form(self.env["sales.sequence"])
        form.name = "Not saved yet"
        step = self._new_step(
            form,
            subject="Quick question, {{ first_name }}",
            body_html="<p>Hi {{ first_name }}</p>",
            email_cc="{{ sender.email }}",
        )
        step.preview_ref = "res.partner,%s" % self.jane.id
        self.assertEqual(step.preview_subject, "Quick question, Jane")
        self.assertIn("Hi Jane", step.preview_body)
        self.assertIn("Unsubscribe", step.preview_body, "with the footer, as sent")
        self.assertEqual(step.preview_email_to, self.jane.email_formatted)
        self.assertEqual(step.preview_email_cc, "rachel.rep@test.example.com", "Jane's salesperson sends it")
        self.assertFalse(step.preview_error)
        step.subject = "{{ oops"
        self.assertIn("does not render", step.preview_error)

    def test_manual_email_is_an_email_like_the_others(self):
        """Subject, body, template, preview and spam score, as an automatic email."""
        template = self.env["sales.sequence.template"].create(
            {
                "name": "Follow-up",
                "subject": "FREE!!! {{ first_name }}",
                "body_html": "<p>Hi {{ first_name }}</p>",
            }
        )
        form = Form(self.sequence)
        step = self._new_step(form, step_type="manual_email", activity_summary="Write to {{ first_name }}")
        step.template_id = template
        self.assertEqual(step.subject, "FREE!!! {{ first_name }}")
        step.preview_ref = "res.partner,%s" % self.jane.id
        self.assertEqual(step.preview_subject, "FREE!!! Jane")
        self.assertTrue(step.spam_band, "scored like an automatic email")
        self.assertIn("Hi Jane", step.preview_body)
        arch = self.env["sales.sequence.step"].get_view(view_type="form")["arch"]
        self.assertIn('name="email_section" invisible="not show_email"', arch)
        self.assertTrue(self.env["sales.sequence.step"].new({"step_type": "manual_email"}).show_email)

    def test_step_names_are_plain_text(self):
        sequence = self._create_sequence(
            [
                self._email(subject="Quick question about {{ company | default('your team') }}"),
                self._task("call", activity_summary="Call {{ full_name }}", delay_business_days=2),
                self._task("linkedin", delay_days=1),
            ],
            name="Plain",
        )
        email, call, linkedin = sequence.step_ids
        self.assertEqual(email.name, "Day 1 · Automatic Email · Quick question about ‹company›")
        self.assertEqual(call.name, "Day 3 · Call · Call ‹full_name›")
        self.assertEqual(linkedin.name, "Day 4 · LinkedIn · LinkedIn: Send connection request")
        self.assertNotIn("{{", " ".join(sequence.step_ids.mapped("name")))
        self.assertEqual([step["day"] for step in sequence.cadence], [1, 3, 4])
        self.assertEqual([step["type"] for step in sequence.cadence], ["email", "call", "linkedin"])


@tagged("post_install", "-at_install")
class TestScreens(SalesSequenceCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user_rep2 = mail_new_test_user(
            cls.env,
            login="rep2",
            name="Robin Rep",
            email="robin.rep@test.example.com",
            groups="sales_team.group_sale_salesman",
            tz="Europe/Brussels",
        )
        cls.shared = cls._create_sequence([cls._email(), cls._task("call", delay_days=1)], name="Shared", team_id=False)
        cls.shared.enroll(cls.jane | cls.john, start_at=MONDAY_9AM, user=cls.user_rep)
        cls.shared.enroll(cls.no_email, start_at=MONDAY_9AM, user=cls.user_manager)["enrolled"].action_exit()

    @users("rep2")
    def test_one_count_on_every_screen(self):
        """What the dashboard, the card, the form and the analytics say is
        the sequence's, whoever looks (rep2 sends none of them)."""
        sequence = self.shared.with_user(self.user_rep2)
        dashboard = sequence.get_dashboard_data([("id", "=", sequence.id)])
        self.assertEqual(dashboard["enrolled_now"], 2)
        self.assertEqual((sequence.active_enrollment_count, sequence.active_count), (2, 2))
        self.assertEqual((sequence.enrollment_count, sequence.enrolled_count), (3, 3))

    @users("rep2")
    def test_read_only_for_who_cannot_save(self):
        mine = self._create_sequence([self._email()], user_id=self.user_rep2.id, team_id=False, name="Mine")
        shared = self.shared.with_user(self.user_rep2)
        self.assertFalse(shared.can_edit)
        self.assertTrue(mine.with_user(self.user_rep2).can_edit)
        self.assertTrue(self.env["sales.sequence"].with_user(self.user_rep2).new({"name": "New"}).can_edit)
        with self.assertRaises(AccessError):
            shared.name = "Mine now"
        arch = shared.get_view(view_type="form")["arch"]
        self.assertIn('js_class="sales_sequence_form"', arch, "the form switches to read-only")
        self.assertIn("not can_edit", arch, "and hides the buttons that would fail")

    def test_exit_condition_is_a_choice(self):
        self.assertFalse(self.shared.exit_on_condition, "no condition: nobody exits on it")
        with Form(self.shared) as form:
            form.exit_on_condition = True
            form.exit_domain = "[('city', '=', 'Ghent')]"
        self.assertTrue(self.shared.exit_on_condition)
        with Form(self.shared) as form:
            form.exit_on_condition = False
        self.assertEqual(self.shared.exit_domain, "[]")

    def test_enroll_wizard_result_shows_what_was_just_enrolled(self):
        other = self.env["res.partner"].create({"name": "Olivia New", "email": "olivia@example.com"})
        action = other.action_enroll_in_sequence()
        form = Form(self.env[action["res_model"]].with_user(self.user_manager).with_context(**action["context"]))
        form.sequence_id = self.shared
        wizard = form.save()
        wizard.action_enroll()
        self.assertEqual((wizard.enrolled_count, wizard.sequence_name), (1, "Shared"))
        result = wizard.action_view_enrollments()
        listed = self.env["sales.sequence.enrollment"].search(result["domain"])
        self.assertEqual(listed.partner_id, other, "not the whole sequence")

    def test_ended_enrollments_show_no_next_step(self):
        Enrollment = self.env["sales.sequence.enrollment"]
        for view_type in ("list", "kanban", "form"):
            arch = Enrollment.get_view(view_type=view_type)["arch"]
            self.assertIn("state not in ('active', 'paused', 'failed')", arch, view_type)

    def test_enroll_is_a_header_button_of_the_contact_form(self):
        arch = self.env["res.partner"].with_user(self.user_rep).get_view(view_type="form")["arch"]
        header = arch[arch.index("<header") : arch.index("</header>")]
        self.assertIn('name="action_enroll_in_sequence"', header)
        binding = self.env.ref("sales_sequence.action_res_partner_enroll_in_sequence")
        self.assertNotIn("form", binding.binding_view_types, "not in the gear menu of the form any more")
