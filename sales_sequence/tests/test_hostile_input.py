"""Bad and hostile input: each gets a clear error (or the documented skip) and
changes nothing; nothing crashes the engine; public routes accept only what
we signed; history survives exits, deletions and the removal of the addon."""

from psycopg2 import IntegrityError

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import HttpCase, tagged, users
from odoo.tools import mute_logger

from odoo.addons.sales_sequence.tools import render

from .common import MONDAY_9AM, SalesSequenceCase

ESCAPES = [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ custom.__class__.__init__.__globals__ }}",
    "{{ sender|attr('__class__') }}",
    "{{ self }}",
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    "{{ lipsum.__globals__['os'].system('id') }}",
    "{% include '/etc/passwd' %}",
    "{% import 'os' as os %}",
    "{% extends 'base.html' %}",
]


@tagged("post_install", "-at_install")
class TestHostileTemplates(SalesSequenceCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sequence = cls._create_sequence([cls._email()], activate=False, user_id=cls.user_rep.id)
        cls.step = cls.sequence.step_ids

    def setUp(self):
        super().setUp()
        self.step = self.step.with_user(self.user_rep)  # the rep edits their own sequence

    def assertRefusedOnSave(self, field_name, source, message):
        before = self.step[field_name]
        with self.assertRaisesRegex(ValidationError, message), self.cr.savepoint():
            self.step.write({field_name: source})
        self.step.invalidate_recordset()
        self.assertEqual(self.step[field_name], before)

    def test_template_that_does_not_parse_is_refused_with_its_line(self):
        self.assertRefusedOnSave("subject", "Hi {{ first_name", "Line 1")
        self.assertRefusedOnSave("body_html", "<p>Hi</p>\n<p>{% for x in custom %}</p>", "Line 2")
        self.assertRefusedOnSave("call_script", "{% endif %}", "Line 1")
        with self.assertRaisesRegex(ValidationError, "Line 1"):
            self.env["sales.sequence.step.variant"].with_user(self.user_rep).create(
                {"step_id": self.step.id, "subject": "{{ }", "body_html": "<p>x</p>"}
            )

    def test_sandbox_escapes_are_refused_on_save(self):
        for source in ESCAPES:
            for field_name in ("subject", "body_html"):
                with self.subTest(source=source, field=field_name):
                    self.assertRefusedOnSave(field_name, source, "not allowed|Unknown variable|not supported")

    def test_huge_template_is_refused(self):
        huge = "x" * (render.MAX_TEMPLATE_SIZE + 1)
        self.assertRefusedOnSave("subject", huge, "too long")
        self.assertRefusedOnSave("body_html", "<p>%s</p>" % huge, "too long")
        self.assertRefusedOnSave("activity_note", "<p>%s</p>" % huge, "too long")
        # just under the limit is fine
        self.step.body_html = "<p>%s</p>" % ("x" * (render.MAX_TEMPLATE_SIZE - 100))

    def test_html_body_is_sanitized_on_save(self):
        self.step.body_html = (
            '<p>Hi {{ first_name }}</p><script>alert("body")</script>'
            '<img src="https://x.example.com/a.png" onerror="alert(1)">'
            '<a href="javascript:alert(2)">click</a>'
            '<a href="{{unsubscribe_link}}">unsubscribe</a>'
            '<iframe src="https://evil.example.com"></iframe>'
        )
        body = self.step.body_html
        for forbidden in ("<script", 'alert("body")', "onerror", "javascript:", "<iframe"):
            self.assertNotIn(forbidden, body)
        self.assertIn("<p>Hi {{ first_name }}</p>", body)
        self.assertIn('href="{{unsubscribe_link}}"', body)
        variant = (
            self.env["sales.sequence.step.variant"]
            .with_user(self.user_rep)
            .create(
                {
                    "step_id": self.step.id,
                    "subject": "B",
                    "body_html": "<p>B</p><script>alert(3)</script>",
                }
            )
        )
        self.assertNotIn("<script", variant.body_html)

    def test_template_variable_in_a_link_survives_sanitizing(self):
        """The sanitizer (libxml2) URL-encodes the spaces of an attribute, so
        ``href="{{ first_name }}"`` is stored as ``{{%20first_name%20}}``: the
        renderer undoes it, and a rep (no sanitize override) can save it."""
        self.step.body_html = '<p><a href="https://x.example.com/?who={{ first_name }}">Hi</a></p>'
        self.assertEqual(
            render.render(self.step.body_html, {"first_name": "Jane"}, html=True),
            '<p><a href="https://x.example.com/?who=Jane">Hi</a></p>',
        )

    def test_hostile_values_are_escaped_in_the_sent_email(self):
        self.sequence.action_activate()
        eve = self.env["res.partner"].create(
            {
                "name": '<img src=x onerror="alert(1)">Eve',
                "email": "eve@example.com",
                "city": "<script>alert(2)</script>",
            }
        )
        enrollment = self.sequence.with_user(self.user_rep).enroll(eve, start_at=MONDAY_9AM)["enrolled"]
        self.step.sudo().body_html = "<p>Hi {{ full_name }} from {{ city }} {{ custom.name }}</p>"
        with self.mock_mail_gateway():
            self._run(MONDAY_9AM)
        body = enrollment.trace_ids.mail_mail_id.body_html
        self.assertNotIn("<script", body)
        self.assertNotIn("<img src=x", body)
        self.assertIn("&lt;script&gt;", body)


@tagged("post_install", "-at_install")
class TestBadRecords(SalesSequenceCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sequence = cls._create_sequence(
            [
                cls._email(),
                cls._task("call", delay_hours=2, wait_for_completion=False),
                cls._task("task", delay_days=1, wait_for_completion=False),
            ]
        )
        cls.email_step, cls.call_step, cls.task_step = cls.sequence.step_ids

    def _enroll(self, records, **kwargs):
        return self.sequence.enroll(records, start_at=MONDAY_9AM, user=self.user_rep, **kwargs)

    def test_contact_without_email_skips_email_steps(self):
        enrollment = self._enroll(self.no_email)["enrolled"]
        self._run(MONDAY_9AM)
        self._run(MONDAY_9AM.replace(hour=10))
        self.assertTraces(enrollment, [(self.email_step, "skipped"), (self.call_step, "task")])
        self.assertEqual(enrollment.trace_ids.sorted("id")[0].skip_reason, "no_email")
        self.assertFalse(enrollment.trace_ids.mail_mail_id)
        self.assertEqual(enrollment.state, "active")

    def test_invalid_email_skips_email_steps(self):
        bad = self.env["res.partner"].create({"name": "Bad Address", "email": "bad at example dot com"})
        lead = self.env["crm.lead"].create({"name": "Bad lead", "email_from": "<nope>@", "user_id": self.user_rep.id})
        enrollments = self._enroll(bad)["enrolled"] | self._enroll(lead)["enrolled"]
        self.assertEqual(len(enrollments), 2)
        self._run(MONDAY_9AM)
        for enrollment in enrollments:
            self.assertTraces(enrollment, [(self.email_step, "skipped")])
            self.assertEqual(enrollment.trace_ids.skip_reason, "no_email")
        self.assertFalse(enrollments.trace_ids.mail_mail_id)

    def test_archived_partner_is_refused_at_enroll(self):
        gone = self.env["res.partner"].create({"name": "Gone", "email": "gone@example.com", "active": False})
        result = self._enroll(gone | self.john)
        self.assertEqual(result["failed"], gone)
        self.assertEqual(result["failure_reasons"][gone.id], "Gone is archived.")
        self.assertEqual(result["enrolled"].partner_id, self.john)

    def test_enroll_empty_recordset(self):
        for model in ("res.partner", "crm.lead"):
            with self.subTest(model=model):
                result = self.sequence.enroll(self.env[model])
                self.assertFalse(result["enrolled"] or result["failed"] or result["skipped_duplicates"])

    def test_enroll_mixed_recordset(self):
        """Good, duplicate, archived, foreign and address-less records at once:
        each is sorted out, the good ones are enrolled, nothing else changes."""
        other_company = self.env["res.company"].create({"name": "Elsewhere"})
        foreign = self.env["res.partner"].create(
            {"name": "Foreign", "email": "f@x.example.com", "company_id": other_company.id}
        )
        archived = self.env["res.partner"].create({"name": "Archived", "email": "a@x.example.com", "active": False})
        self._enroll(self.jane)
        result = self._enroll(self.jane | self.john | self.no_email | foreign | archived)
        self.assertEqual(result["skipped_duplicates"], self.jane)
        self.assertEqual(result["failed"], foreign | archived)
        self.assertEqual(result["enrolled"].partner_id, self.john | self.no_email)
        self.assertEqual(
            self.env["sales.sequence.enrollment"].search_count([("sequence_id", "=", self.sequence.id)]), 3
        )

    def test_enroll_refuses_what_is_not_a_recordset_of_contacts_or_leads(self):
        Enrollment = self.env["sales.sequence.enrollment"]
        count = Enrollment.search_count([])
        for records in (self.user_rep, self.jane.ids, [self.jane, self.lead], None):
            with self.subTest(records=records), self.assertRaisesRegex(UserError, "Only contacts and leads"):
                self.sequence.enroll(records)
        with self.assertRaisesRegex(UserError, "sender"):
            self.sequence.enroll(self.john, user=self.jane)  # a contact is not a sender
        with self.assertRaisesRegex(UserError, "sender"):
            self.sequence.enroll(self.john, user=self.user_rep | self.user_manager)
        self.assertEqual(Enrollment.search_count([]), count)

    def test_lead_deleted_while_enrolled(self):
        """The enrollment of a deleted lead exits and keeps its history;
        nothing crashes, nothing keeps running."""
        lead = self.lead.copy({"name": "To delete", "email_from": "todelete@example.com", "partner_id": False})
        enrollment = self._enroll(lead)["enrolled"]
        self._run(MONDAY_9AM)  # the email is queued
        self.assertTraces(enrollment, [(self.email_step, "sent")])
        lead.unlink()
        self.assertEqual(self._run(MONDAY_9AM.replace(day=5)), 0)
        self.assertExited(enrollment, "manual")
        self.assertFalse(enrollment.lead_id)
        self.assertEqual(len(enrollment.trace_ids), 1)
        self.assertIn("The record was deleted.", enrollment.message_ids.mapped("body")[0])

    def test_step_deleted_mid_flight(self):
        enrollment = self._enroll(self.john)["enrolled"]
        self._run(MONDAY_9AM)
        self.assertEqual(enrollment.step_id, self.call_step)
        self.call_step.with_user(self.user_manager).unlink()  # the next one: the enrollment skips to the task
        self.assertEqual(enrollment.step_id, self.task_step)
        self.assertEqual(enrollment.next_run_at, MONDAY_9AM.replace(day=3))  # 1 day after the email
        self.assertFalse(self.call_step.exists())
        self.email_step.unlink()  # already run: archived, history kept
        self.assertTrue(self.email_step.exists())
        self.assertFalse(self.email_step.active)
        self._run(MONDAY_9AM.replace(day=3))
        self.assertTraces(enrollment, [(self.email_step, "sent"), (self.task_step, "task")])
        self.assertEqual(enrollment.state, "completed")

    def test_step_reordered_mid_flight(self):
        """A step moved ahead of the pointer is not run; a step that already
        ran is never run twice, even when moved after the pointer."""
        enrollment = self._enroll(self.john)["enrolled"]
        self._run(MONDAY_9AM)
        self.assertEqual(enrollment.step_id, self.call_step)
        self.task_step.sequence = 5  # the task moves first: behind the pointer
        self._run(MONDAY_9AM.replace(hour=10))
        self.assertTraces(enrollment, [(self.email_step, "sent"), (self.call_step, "task")])
        self.assertEqual(enrollment.state, "completed")
        self.assertFalse(enrollment.failure_message)

    def test_step_that_ran_moved_after_the_pointer_does_not_run_twice(self):
        """After the call, the engine points at the email again, whose trace
        exists: it passes over it (no second email, no failure) and goes on
        with the task."""
        enrollment = self._enroll(self.john)["enrolled"]
        self._run(MONDAY_9AM)
        self.email_step.sequence = 25  # the email, already sent, now comes after the call
        with mute_logger("odoo.sql_db", "odoo.addons.sales_sequence.models.sales_sequence_enrollment"):
            self._run(MONDAY_9AM.replace(hour=10))  # the call, then the email is passed over
            self._run(MONDAY_9AM.replace(day=3, hour=10))  # the task: a day after the call
        self.assertTraces(
            enrollment,
            [
                (self.email_step, "sent"),
                (self.call_step, "task"),
                (self.task_step, "task"),
            ],
        )
        self.assertEqual(enrollment.state, "completed")
        self.assertFalse(enrollment.failure_message)

    def test_sender_archived_fails_then_resumes(self):
        enrollment = self._enroll(self.john)["enrolled"]
        self.user_rep.action_archive()
        self._run(MONDAY_9AM)
        self.assertEqual(enrollment.state, "failed")
        self.assertEqual(enrollment.failure_reason, "sender_archived")
        self.assertFalse(enrollment.trace_ids)
        self.assertEqual(enrollment.step_id, self.email_step)  # nothing skipped
        enrollment.with_user(self.user_manager).write({"user_id": self.user_manager.id})
        enrollment.with_user(self.user_manager).action_resume()
        self.assertEqual(enrollment.state, "active")
        self.assertFalse(enrollment.failure_message)
        with self.mock_mail_gateway():
            self._run(enrollment.next_run_at)
        self.assertTraces(enrollment, [(self.email_step, "sent")])
        self.assertEqual(enrollment.trace_ids.mail_mail_id.author_id, self.user_manager.partner_id)


@tagged("post_install", "-at_install")
class TestActionsWithoutRights(SalesSequenceCase):
    """Every button and action of the addon, called by someone without the
    right: an internal user outside sales, and a rep on a manager's data."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sequence = cls._create_sequence([cls._email()], team_id=False)  # owned by the manager
        cls.draft = cls._create_sequence([cls._email()], activate=False, team_id=False, name="Draft")
        cls.enrollment = cls.sequence.enroll(cls.john, user=cls.user_manager, start_at=MONDAY_9AM)["enrolled"]

    def _refused(self, records, method, *args):
        self.env.invalidate_all()
        with self.subTest(model=records._name, method=method), self.assertRaises(AccessError):
            getattr(records.with_env(self.env), method)(*args)

    def _opens_nothing(self, action):
        self.env.invalidate_all()
        with self.assertRaises(AccessError):
            self.env[action["res_model"]].search(action.get("domain") or [])

    @users("employee")
    def test_internal_user_outside_sales(self):
        for method in ("action_activate", "action_pause", "action_resume", "action_draft", "copy", "unlink"):
            self._refused(self.sequence, method)
        self._refused(self.sequence, "enroll", self.jane)
        for method in ("action_pause", "action_resume", "action_exit", "action_open_target"):
            self._refused(self.enrollment, method)
        self._refused(self.env["sales.sequence"], "create", {"name": "Mine"})
        self._refused(self.env["sales.sequence.enroll.wizard"], "create", {"sequence_id": self.sequence.id})
        # navigation buttons only return actions that show nothing
        self._opens_nothing(self.sequence.with_env(self.env).action_view_enrollments())
        self._opens_nothing(self.jane.with_env(self.env).action_view_sequence_enrollments())
        for xmlid in (
            "sales_sequence.action_res_partner_enroll_in_sequence",
            "sales_sequence.action_crm_lead_enroll_in_sequence",
        ):
            action = self.env.ref(xmlid).sudo()
            with self.subTest(action=xmlid), self.assertRaises(AccessError):
                action.with_user(self.env.user).with_context(
                    active_model=action.model_id.model, active_ids=self.jane.ids
                ).run()
        self.env.invalidate_all()
        self.assertEqual(self.sequence.state, "active")
        self.assertEqual(self.enrollment.state, "active")

    @users("rep")
    def test_rep_on_a_managers_sequence(self):
        for method in ("action_pause", "action_draft", "unlink"):
            self._refused(self.sequence, method)
        self._refused(self.draft, "action_activate")
        self._refused(self.sequence.step_ids, "write", {"subject": "Hijacked"})
        self._refused(self.sequence.step_ids, "unlink")
        for method in ("action_pause", "action_exit", "action_resume"):
            self._refused(self.enrollment, method)
        self.env.invalidate_all()
        self.assertEqual((self.sequence | self.draft).mapped("state"), ["active", "draft"])
        self.assertEqual(self.enrollment.state, "active")


@tagged("post_install", "-at_install")
class TestPublicRoutes(SalesSequenceCase, HttpCase):
    """The unsubscribe route accepts only the token we signed, for that
    enrollment and that address; anything else is a 404 that reveals nothing."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sequence = cls._create_sequence([cls._email()])
        cls.enrollment, cls.other = cls.sequence.enroll(cls.jane | cls.john, start_at=MONDAY_9AM, user=cls.user_rep)[
            "enrolled"
        ].sorted(lambda e: e.partner_id != cls.jane)
        cls.token = cls.enrollment._unsubscribe_token()

    def _url(self, enrollment_id, token):
        return "/sales_sequence/unsubscribe/%s/%s" % (enrollment_id, token)

    def assertNothingChanged(self):
        self.env.invalidate_all()
        self.assertEqual((self.enrollment | self.other).mapped("state"), ["active", "active"])
        self.assertFalse(
            self.env["mail.blacklist"].search(
                [("email", "in", ["jane.doe@acme.example.com", "john@smith.example.com"])]
            )
        )

    def assertRefused(self, url):
        for data in (None, {"List-Unsubscribe": "One-Click"}, {"confirm": "1"}):
            with self.subTest(url=url, data=data):
                response = self.url_open(url, data=data)
                self.assertEqual(response.status_code, 404)
                self.assertNotIn("jane.doe", response.text)
                self.assertNotIn("john@", response.text)
        self.assertNothingChanged()

    def test_forged_token(self):
        self.assertRefused(self._url(self.enrollment.id, "0" * 64))
        self.assertRefused(self._url(self.enrollment.id, "forged"))

    def test_altered_token(self):
        flipped = "1" if self.token[10] != "1" else "2"
        self.assertRefused(self._url(self.enrollment.id, self.token[:10] + flipped + self.token[11:]))
        self.assertRefused(self._url(self.enrollment.id, self.token[:-1]))
        self.assertRefused(self._url(self.enrollment.id, self.token + "0"))
        self.assertRefused(self._url(self.enrollment.id, self.token.upper()))

    def test_malformed_token_or_id_is_a_404_not_a_crash(self):
        self.assertRefused(self._url(self.enrollment.id, "%C3%A9" * 32))  # non-ASCII
        self.assertRefused(self._url(self.enrollment.id, "%00" + self.token[1:]))
        self.assertRefused(self._url(2**40, self.token))
        self.assertRefused(self._url(0, self.token))
        self.assertRefused(self._url(999999999, self.token))

    def test_cross_record_token(self):
        self.assertRefused(self._url(self.other.id, self.token))

    def test_token_is_bound_to_the_address(self):
        self.jane.email = "jane.new@acme.example.com"
        self.assertRefused(self._url(self.enrollment.id, self.token))

    def test_replayed_token(self):
        url = self._url(self.enrollment.id, self.token)
        for __ in range(2):
            response = self.url_open(url, data={"List-Unsubscribe": "One-Click"})
            self.assertEqual(response.status_code, 200)
        self.env.invalidate_all()
        self.assertExited(self.enrollment, "unsubscribed")
        self.assertEqual(self.other.state, "active")  # another address: untouched
        self.assertEqual(
            self.env["mail.blacklist"]
            .with_context(active_test=False)
            .search_count([("email", "=", "jane.doe@acme.example.com")]),
            1,
        )
        # still valid afterwards (the link stays in the recipient's old emails), and harmless
        self.assertEqual(self.url_open(url).status_code, 200)

    def _tracking_urls(self, enrollment_id, step_id, token):
        return [
            "/sales_sequence/o/%s/%s/%s.gif" % (enrollment_id, step_id, token),
            "/r/anycode/ss/%s/%s/%s" % (enrollment_id, step_id, token),
        ]

    def test_tracking_routes_refuse_forged_tokens(self):
        if not hasattr(self.enrollment, "_tracking_token"):
            self.skipTest("no tracking routes")
        step = self.sequence.step_ids
        token = self.enrollment._tracking_token(step.id)
        forged = [
            (self.enrollment.id, step.id, "0" * 64),  # forged
            (self.enrollment.id, step.id, token[:-1] + ("0" if token[-1] != "0" else "1")),  # altered
            (self.other.id, step.id, token),  # another enrollment
            (self.enrollment.id, step.id + 1, token),  # another step
            (2**40, step.id, token),  # out of range
        ]
        for enrollment_id, step_id, bad_token in forged:
            for url in self._tracking_urls(enrollment_id, step_id, bad_token):
                with self.subTest(url=url):
                    self.assertEqual(self.url_open(url, allow_redirects=False).status_code, 404)

    def test_tracking_routes_malformed_token_is_a_404(self):
        """A non-ASCII token (``consteq`` would raise: a 500) is refused by the
        same guard as the unsubscribe route: a 404."""
        step = self.sequence.step_ids
        for url in self._tracking_urls(self.enrollment.id, step.id, "%C3%A9" * 32):
            self.assertEqual(self.url_open(url, allow_redirects=False).status_code, 404)


@tagged("post_install", "-at_install")
class TestDataSafety(SalesSequenceCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sequence = cls._create_sequence([cls._email(), cls._task("call", delay_days=1)])

    def test_history_is_kept_after_exit(self):
        enrollment = self.sequence.enroll(self.john, start_at=MONDAY_9AM, user=self.user_rep)["enrolled"]
        self._run(MONDAY_9AM)
        trace = enrollment.trace_ids
        enrollment.with_user(self.user_rep).action_exit()
        again = self.sequence.enroll(self.john, user=self.user_rep)["enrolled"]
        self.assertNotEqual(again, enrollment)
        self.assertExited(enrollment, "manual")
        self.assertEqual(enrollment.trace_ids, trace)
        # the sent email and the task going away do not erase what happened
        trace.mail_mail_id.sudo().unlink()
        self.assertTrue(trace.exists())
        self.assertTrue(trace.message_id)
        self.assertEqual(trace.state, "sent")
        # a rep cannot erase the history
        with self.assertRaises(AccessError):
            enrollment.with_user(self.user_rep).unlink()

    def test_core_relations_declare_ondelete(self):
        """What happens to our rows when a core record goes: enrollments of a
        deleted contact or lead exit and keep their history (see
        test_lead_deleted_while_enrolled)."""
        expected = {
            ("sales.sequence.enrollment", "partner_id"): "set null",
            ("sales.sequence.enrollment", "lead_id"): "set null",
            ("sales.sequence.enrollment", "step_id"): "set null",
            ("sales.sequence.enrollment", "waiting_activity_id"): "set null",
            ("sales.sequence.enrollment", "user_id"): "restrict",
            ("sales.sequence.trace", "mail_mail_id"): "set null",
            ("sales.sequence.trace", "activity_id"): "set null",
            ("sales.sequence.trace", "variant_id"): "set null",
        }
        for (model, field_name), ondelete in expected.items():
            with self.subTest(field=f"{model}.{field_name}"):
                declared = self.env[model]._fields[field_name].ondelete
                self.assertIn(declared, ondelete if isinstance(ondelete, tuple) else (ondelete,))

    def test_uninstall_removes_our_server_actions(self):
        """Uninstalling deletes the selection values of our server action
        types, whose ``ondelete`` then deletes the actions using them: no
        server action is left with a state Odoo no longer knows."""
        field = self.env["ir.actions.server"]._fields["state"]
        ours = [value for value, __ in field.selection if value.startswith("sales_sequence_")]
        if not ours:
            self.skipTest("no server action type of ours yet")
        self.assertTrue(all((field.ondelete or {}).get(value) == "cascade" for value in ours), field.ondelete)
        self.assertEqual(self.env["ir.actions.server"]._fields["sales_sequence_id"].ondelete, "restrict")
        actions = self.env["ir.actions.server"].create(
            [
                {
                    "name": value,
                    "state": value,
                    "model_id": self.env["ir.model"]._get_id("crm.lead"),
                    "sales_sequence_id": self.sequence.id,
                }
                for value in ours
            ]
        )
        values = self.env["ir.model.fields.selection"].search(
            [
                ("field_id.model", "=", "ir.actions.server"),
                ("field_id.name", "=", "state"),
                ("value", "in", ours),
            ]
        )
        self.assertEqual(len(values), len(ours))
        self.assertEqual(set(values._get_external_ids()[values[0].id][0].split(".")[:1]), {"sales_sequence"})
        values._process_ondelete()  # what the uninstall does before dropping the field
        self.assertFalse(actions.exists())

    def test_sequence_used_by_a_server_action_cannot_be_deleted(self):
        field = self.env["ir.actions.server"]._fields["state"]
        if "sales_sequence_enroll" not in dict(field.selection):
            self.skipTest("no server action type of ours yet")
        self.env["ir.actions.server"].create(
            {
                "name": "Enroll",
                "state": "sales_sequence_enroll",
                "model_id": self.env["ir.model"]._get_id("crm.lead"),
                "sales_sequence_id": self.sequence.id,
            }
        )
        with self.assertRaises(IntegrityError), self.cr.savepoint():
            self.sequence.unlink()
            self.env.flush_all()
        self.assertTrue(self.sequence.exists())
