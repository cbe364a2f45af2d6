import ast
from datetime import date, datetime, timedelta
from unittest.mock import patch

from odoo.exceptions import UserError, ValidationError
from odoo.tests import freeze_time, tagged

from odoo.addons.base.tests.test_ir_cron import CronMixinCase
from odoo.addons.sales_sequence.tools import ab

from .common import MONDAY_9AM, SalesSequenceCase

TUESDAY_10AM = datetime(2026, 3, 3, 9, 0)
WEDNESDAY_9AM = datetime(2026, 3, 4, 8, 0)


@tagged("post_install", "-at_install")
class TestEngine(SalesSequenceCase, CronMixinCase):
    def _enroll(self, sequence, records, user=None):
        return sequence.enroll(records, start_at=MONDAY_9AM, user=user or self.user_rep)["enrolled"]

    def test_email_step(self):
        sequence = self._create_sequence(
            [
                self._email(
                    subject="{{ first_name }}, quick question about {{ company | default('your team') }}",
                    body="<p>Hi {{ first_name | default('there') }},</p>"
                    "<p>{% if company %}I follow {{ company }} in {{ city }}.{% endif %}</p>"
                    "<p>{{ sender.first_name }}, {{ sender.title }} · {{ sender.phone }}</p>",
                ),
                self._task("call", delay_business_days=2),
            ]
        )
        enrollment = self._enroll(sequence, self.jane)
        with self.mock_mail_gateway():
            self._run(MONDAY_9AM)
        trace = enrollment.trace_ids
        self.assertEqual(trace.state, "sent")
        mail = trace.mail_mail_id
        self.assertEqual(mail.subject, "Jane, quick question about Acme Corp")
        self.assertIn("<p>Hi Jane,</p>", mail.body_html)
        self.assertIn("I follow Acme Corp in Ghent.", mail.body_html)
        self.assertIn("Rachel, Account Executive · +32 2 555 01 02", mail.body_html)
        self.assertIn("/sales_sequence/unsubscribe/%s/" % enrollment.id, mail.body_html)
        self.assertEqual(mail.email_from, self.user_rep.email_formatted)
        self.assertEqual(mail.author_id, self.user_rep.partner_id)
        self.assertIn("jane.doe@acme.example.com", mail.email_to)
        self.assertIn("<catchall.test@test.mycompany.com>", mail.reply_to)
        headers = ast.literal_eval(mail.headers)
        self.assertEqual(headers["List-Unsubscribe"], "<%s>" % enrollment._unsubscribe_url())
        self.assertEqual(headers["List-Unsubscribe-Post"], "List-Unsubscribe=One-Click")
        self.assertEqual(trace.message_id, mail.message_id)
        self.assertEqual((mail.model, mail.res_id), ("res.partner", self.jane.id))
        # the mail queue sends it, and the message stays for reply matching
        with self.mock_mail_gateway():
            mail.send()
        self.assertSentEmail(
            self.user_rep.email_formatted,
            ['"Jane Doe" <jane.doe@acme.example.com>'],
            subject="Jane, quick question about Acme Corp",
        )
        self.assertEqual(self._mails[0]["headers"]["List-Unsubscribe-Post"], "List-Unsubscribe=One-Click")
        message = self.env["mail.message"].search([("message_id", "=", trace.message_id)])
        self.assertEqual((message.model, message.res_id), ("res.partner", self.jane.id))
        # next: the call, two business days later at the same time
        self.assertEqual(enrollment.step_id, sequence.step_ids[1])
        self.assertEqual(enrollment.next_run_at, WEDNESDAY_9AM)

    def test_email_on_lead_uses_lead_values(self):
        sequence = self._create_sequence([self._email(subject="{{ full_name }} at {{ company }}")])
        self.lead.write(
            {"contact_name": "Janet Lead", "partner_name": "Lead Co", "email_from": "janet@lead.example.com"}
        )
        enrollment = self._enroll(sequence, self.lead)
        with self.mock_mail_gateway():
            self._run(MONDAY_9AM)
        mail = enrollment.trace_ids.mail_mail_id
        self.assertEqual(mail.subject, "Janet Lead at Lead Co")
        self.assertIn("janet@lead.example.com", mail.email_to)
        self.assertEqual((mail.model, mail.res_id), ("crm.lead", self.lead.id))
        self.assertEqual(enrollment.state, "completed")
        self.assertEqual(enrollment.exit_reason, "completed")

    def test_activity_steps(self):
        sequence = self._create_sequence(
            [
                self._task(
                    "call",
                    call_script="Ask {{ first_name }} about\nthe budget",
                    activity_summary="Call {{ full_name }}",
                    wait_for_completion=False,
                ),
                self._task("linkedin", linkedin_action="connect", assign_to="owner", wait_for_completion=False),
                self._task(
                    "task",
                    assign_to="user",
                    assign_user_id=self.user_admin.id,
                    activity_note="<p>Check {{ company }}</p>",
                    wait_for_completion=False,
                ),
                self._task("manual_email", activity_summary="Write to {{ first_name }}", wait_for_completion=False),
            ]
        )
        enrollment = self._enroll(sequence, self.jane)
        self._run(MONDAY_9AM)
        activities = enrollment.trace_ids.sorted("id").activity_id
        self.assertEqual(len(activities), 4)
        call, linkedin, task, manual = activities
        self.assertEqual(call.activity_type_id, self.env.ref("mail.mail_activity_data_call"))
        self.assertEqual(call.summary, "Call Jane Doe")
        self.assertIn("Ask Jane about<br>the budget", call.note)
        self.assertEqual(call.user_id, self.user_rep)  # the contact's salesperson
        self.assertEqual(linkedin.activity_type_id, self.env.ref("sales_sequence.mail_activity_type_linkedin"))
        self.assertEqual(linkedin.summary, "LinkedIn: Send connection request")
        self.assertEqual(linkedin.user_id, self.user_manager)  # the sequence owner
        self.assertEqual(task.user_id, self.user_admin)
        self.assertIn("Check Acme Corp", task.note)
        self.assertEqual(manual.activity_type_id, self.env.ref("mail.mail_activity_data_email"))
        self.assertEqual(manual.summary, "Write to Jane")
        self.assertEqual(set(activities.mapped("date_deadline")), {date(2026, 3, 2)})
        self.assertEqual(set(activities.mapped("res_id")), {self.jane.id})
        self.assertEqual(set(enrollment.trace_ids.mapped("state")), {"task"})
        self.assertEqual(enrollment.state, "completed")

    def test_wait_for_completion(self):
        sequence = self._create_sequence([self._task("call"), self._email(delay_days=1)])
        enrollment = self._enroll(sequence, self.jane)
        self._run(MONDAY_9AM)
        activity = enrollment.trace_ids.activity_id
        self.assertEqual(enrollment.waiting_activity_id, activity)
        self.assertFalse(enrollment.next_run_at)
        self.assertEqual(self._run(WEDNESDAY_9AM), 0)  # nothing due while the call is open
        with freeze_time(TUESDAY_10AM):
            activity.action_feedback(feedback="Reached voicemail")
        self.assertEqual(enrollment.trace_ids.state, "done")
        self.assertFalse(enrollment.waiting_activity_id)
        self.assertEqual(enrollment.next_run_at, datetime(2026, 3, 4, 9, 0))  # completion + 1 day
        with self.mock_mail_gateway():
            self._run(datetime(2026, 3, 4, 9, 0))
        self.assertEqual(enrollment.state, "completed")

    def test_cancelled_task_lets_the_sequence_go_on(self):
        sequence = self._create_sequence([self._task("call"), self._task("task", delay_hours=1)])
        enrollment = self._enroll(sequence, self.jane)
        self._run(MONDAY_9AM)
        with freeze_time(MONDAY_9AM):
            enrollment.trace_ids.activity_id.unlink()
        self.assertEqual(enrollment.trace_ids.state, "skipped")
        self.assertEqual(enrollment.next_run_at, datetime(2026, 3, 2, 9, 0))

    def test_runs_each_step_once(self):
        sequence = self._create_sequence([self._email(), self._email(delay_hours=1)])
        enrollment = self._enroll(sequence, self.jane | self.john)
        with self.mock_mail_gateway():
            self.assertEqual(self._run(MONDAY_9AM), 2)
            self.assertEqual(self._run(MONDAY_9AM), 0)
            self.assertEqual(len(self._new_mails), 2)
            self.assertEqual(self._run(datetime(2026, 3, 2, 9, 0)), 2)
            self.assertEqual(self._run(datetime(2026, 3, 2, 9, 0)), 0)
            self.assertEqual(len(self._new_mails), 4)
        self.assertEqual(set(enrollment.mapped("state")), {"completed"})
        self.assertEqual(len(enrollment.trace_ids), 4)

    def test_next_step_deferred_to_the_window(self):
        sequence = self._create_sequence([self._email(), self._email(delay_hours=10)])
        enrollment = self._enroll(sequence, self.jane)
        with self.mock_mail_gateway():
            self._run(MONDAY_9AM)
        # 19:00 is after the window: Tuesday 09:00 Brussels
        self.assertEqual(enrollment.next_run_at, datetime(2026, 3, 3, 8, 0))

    def test_suppressed_and_missing_emails_skip_email_steps_only(self):
        self.env["mail.blacklist"]._add("john@smith.example.com")
        sequence = self._create_sequence([self._email(), self._task("call", wait_for_completion=False)])
        enrollments = self._enroll(sequence, self.john | self.no_email)
        with self.mock_mail_gateway():
            self._run(MONDAY_9AM)
            self.assertFalse(self._new_mails)
        john, nomail = enrollments.sorted(lambda e: e.partner_id != self.john)
        self.assertEqual(john.trace_ids.sorted("id").mapped("state"), ["skipped", "task"])
        self.assertEqual(john.trace_ids.sorted("id")[0].skip_reason, "suppressed")
        self.assertEqual(nomail.trace_ids.sorted("id")[0].skip_reason, "no_email")
        self.assertEqual(nomail.trace_ids.sorted("id")[1].state, "task")

    def test_render_error_fails_only_its_enrollment(self):
        # renders with the sample values at activation, fails for a 3-letter first name
        sequence = self._create_sequence([self._email(subject="{{ 10 // (first_name | length - 3) }}")])
        bob = self.env["res.partner"].create({"name": "Bob Short", "email": "bob@example.com"})
        enrollments = self._enroll(sequence, bob | self.john)
        with self.mock_mail_gateway():
            self._run(MONDAY_9AM)
        failed = enrollments.filtered(lambda e: e.partner_id == bob)
        self.assertEqual(failed.state, "failed")
        self.assertEqual(failed.failure_reason, "render_error")
        self.assertFalse(failed.trace_ids)
        self.assertEqual((enrollments - failed).state, "completed")
        # fixed and retried
        sequence.step_ids.subject = "Hello"
        with freeze_time(MONDAY_9AM.replace(hour=11)):
            failed.action_resume()
        with self.mock_mail_gateway():
            self._run(MONDAY_9AM.replace(hour=12))
        self.assertEqual(failed.state, "completed")

    def test_sender_without_email_fails_then_resumes(self):
        sequence = self._create_sequence([self._email()])
        enrollment = self._enroll(sequence, self.jane)
        self.user_rep.email = False
        self._run(MONDAY_9AM)
        self.assertEqual(enrollment.state, "failed")
        self.assertEqual(enrollment.failure_reason, "sender_no_email")
        self.user_rep.email = "rachel.rep@test.example.com"
        with freeze_time(MONDAY_9AM.replace(hour=11)):
            enrollment.action_resume()
        with self.mock_mail_gateway():
            self._run(MONDAY_9AM.replace(hour=12))
        self.assertEqual(enrollment.state, "completed")

    def test_thread_with_previous(self):
        sequence = self._create_sequence(
            [
                self._email(subject="Idea for {{ company }}"),
                self._email(subject="ignored", thread_with_previous=True, delay_hours=1),
            ]
        )
        enrollment = self._enroll(sequence, self.jane)
        with self.mock_mail_gateway():
            self._run(MONDAY_9AM)
            self._run(datetime(2026, 3, 2, 9, 0))
        first, second = enrollment.trace_ids.sorted("id")
        self.assertEqual(second.mail_mail_id.subject, "Re: Idea for Acme Corp")
        headers = ast.literal_eval(second.mail_mail_id.headers)
        self.assertEqual(headers["In-Reply-To"], first.message_id)
        self.assertIn(first.message_id, second.mail_mail_id.references)

    def test_variants_are_stable_per_enrollment(self):
        sequence = self._create_sequence([self._email()], activate=False)
        sequence.step_ids.variant_ids = [
            (0, 0, {"subject": "Variant A", "body_html": "<p>A</p>", "weight": 1}),
            (0, 0, {"subject": "Variant B", "body_html": "<p>B</p>", "weight": 1}),
        ]
        sequence.action_activate()
        partners = self.env["res.partner"].create(
            [{"name": "P%s" % i, "email": "p%s@example.com" % i} for i in range(20)]
        )
        enrollments = self._enroll(sequence, partners)
        with self.mock_mail_gateway():
            self._run(MONDAY_9AM)
        traces = enrollments.trace_ids
        self.assertEqual(set(traces.variant_id.mapped("subject")), {"Variant A", "Variant B"})
        for trace in traces:
            self.assertEqual(trace.mail_mail_id.subject, trace.variant_id.subject)
            expected = sequence.step_ids.variant_ids[ab.pick_index([1, 1], trace.enrollment_id.id)]
            self.assertEqual(trace.variant_id, expected)

    def test_paused_sequence_and_enrollment_do_not_run(self):
        sequence = self._create_sequence([self._email(), self._email(delay_days=1)])
        enrollment = self._enroll(sequence, self.jane)
        sequence.action_pause()
        self.assertEqual(self._run(MONDAY_9AM), 0)
        sequence.action_resume()
        enrollment.action_pause()
        self.assertEqual(self._run(MONDAY_9AM), 0)
        with freeze_time(TUESDAY_10AM):
            enrollment.action_resume()
        # timing counts again from the resume time (here the first step: no delay)
        self.assertEqual(enrollment.next_run_at, TUESDAY_10AM)

    def test_lead_won_exits_before_next_step(self):
        sequence = self._create_sequence([self._email(), self._email(delay_days=1)])
        enrollment = self._enroll(sequence, self.lead)
        with self.mock_mail_gateway():
            self._run(MONDAY_9AM)
        self.lead.action_set_won()
        self._run(TUESDAY_10AM)
        self.assertExited(enrollment, "won")
        self.assertEqual(len(enrollment.trace_ids), 1)

    def test_exit_condition(self):
        sequence = self._create_sequence(
            [self._email()],
            exit_domain="[('email', 'ilike', 'smith.example.com')]",
        )
        enrollments = self._enroll(sequence, self.jane | self.john)
        with self.mock_mail_gateway():
            self._run(MONDAY_9AM)
        john = enrollments.filtered(lambda e: e.partner_id == self.john)
        self.assertExited(john, "condition")
        self.assertEqual((enrollments - john).state, "completed")

    def test_cron_job_runs_the_engine(self):
        sequence = self._create_sequence([self._task("call")])
        with freeze_time(MONDAY_9AM):
            enrollment = sequence.enroll(self.john, user=self.user_rep)["enrolled"]
            cron = self.env.ref("sales_sequence.ir_cron_process_due")
            with self.enter_registry_test_mode():
                cron.method_direct_trigger()
        self.assertEqual(enrollment.trace_ids.state, "task")

    def test_enroll_triggers_the_cron_at_the_first_step(self):
        sequence = self._create_sequence([self._email(delay_days=1)])
        cron = self.env.ref("sales_sequence.ir_cron_process_due")
        with freeze_time(MONDAY_9AM), self.capture_triggers(cron.id) as capture:
            sequence.enroll(self.john, user=self.user_rep)
        self.assertEqual(capture.records.mapped("call_at"), [datetime(2026, 3, 3, 8, 0)])


@tagged("post_install", "-at_install")
class TestEnginePerformance(SalesSequenceCase):
    """The queries of one batch do not grow with its size: every read is
    grouped for the batch and every write is one ``create`` per model. After a
    warm-up batch (cold caches cost ~10 queries more), a batch of 5 emails and
    a batch of 40 take the same 32 queries (measured; 100 too): 31 before the
    senders' own mail servers were looked up (one query)."""

    def _batch(self, size):
        sequence = self._create_sequence(
            [
                self._email(subject="Hi {{ first_name }}", body="<p>{{ company }} {{ custom.city }}</p>"),
                self._task("call", delay_days=1),
            ],
            name="Perf %s" % size,
        )
        partners = self.env["res.partner"].create(
            [
                {"name": "Contact %s-%s" % (size, i), "email": "c%s.%s@example.com" % (size, i), "city": "Liège"}
                for i in range(size)
            ]
        )
        sequence.enroll(partners, start_at=MONDAY_9AM, user=self.user_rep)
        self.env.flush_all()
        self.env.invalidate_all()
        return sequence

    def test_query_count_does_not_grow_with_the_batch(self):
        self._batch(3)
        with self.mock_mail_gateway():
            self._run(MONDAY_9AM)  # warm-up: registry and ormcache lookups
        for size in (5, 40):
            self._batch(size)
            with self.mock_mail_gateway(), self.assertQueryCount(__system__=35):
                processed = self._run(MONDAY_9AM)
            self.assertEqual(processed, size)
            self.assertEqual(len(self._new_mails), size)

    def test_trace_fields_are_precomputed_once_per_batch(self):
        """A batch's traces get their sequence and step type as the related
        fields would compute them, read once per enrollment and step instead
        of through a new record per trace (the ORM's way, a twentieth of the
        engine's time)."""
        sequence = self._batch(4)
        Trace = type(self.env["sales.sequence.trace"])
        with (
            self.mock_mail_gateway(),
            patch.object(Trace, "new", side_effect=AssertionError("a new record per trace")),
        ):
            self.assertEqual(self._run(MONDAY_9AM), 4)
        traces = self.env["sales.sequence.trace"].search([("step_id", "in", sequence.step_ids.ids)])
        self.assertEqual(len(traces), 4)
        self.env.invalidate_all()
        self.assertEqual(traces.sequence_id, sequence, "stored")
        self.assertEqual(set(traces.mapped("step_type")), {"email"})

    def _every_cap_on(self, throttle_seconds=0):
        """Every sending cap on: global hourly and per-domain caps, the
        sequence's daily limit and throttle, the sender's daily limit and
        warm-up, and the sender's own mail server with its per-minute limit."""
        params = self.env["ir.config_parameter"].sudo()
        params.set_param("sales_sequence.hourly_cap", 100000)
        params.set_param("sales_sequence.domain_daily_cap", 100000)
        params.set_param("mail.server.personal.limit.minutes", 1000)
        self.user_rep.write(
            {
                "sales_sequence_daily_limit": 100000,
                "sales_sequence_warmup": True,
                "sales_sequence_warmup_start": 50000,
                "sales_sequence_warmup_increment": 1000,
            }
        )
        self.env["ir.mail_server"].create(
            {
                "name": "Rachel's mailbox",
                "owner_user_id": self.user_rep.id,
                "smtp_host": "smtp.rachel.example.com",
                "from_filter": self.user_rep.email,
                "smtp_user": self.user_rep.email,
            }
        )
        create_sequence = self._create_sequence
        self._create_sequence = lambda steps, **values: create_sequence(
            steps, daily_limit=100000, throttle_seconds=throttle_seconds, **values
        )

    def test_query_count_with_every_cap_on(self):
        """With every cap on, a batch reads what was sent in at most four
        grouped queries and the senders' own servers in one, and creates the
        mails of a sender with their own server apart (Odoo sends through it
        only what its owner created): 39 queries for 5 emails as for 40 (35
        with no cap; before the sender caps, 37 with the hourly, domain and
        sequence daily caps on; each 3 more since the live audiences, the
        senders' leaves and the deals of the exit checks)."""
        self._every_cap_on()
        self._batch(3)
        with self.mock_mail_gateway():
            self._run(MONDAY_9AM)
        for size in (5, 40):
            self._batch(size)
            with self.mock_mail_gateway(), self.assertQueryCount(__system__=39):
                processed = self._run(MONDAY_9AM)
            self.assertEqual(processed, size)
            self.assertEqual(len(self._new_mails), size)
            self.assertTrue(self._new_mails.mail_server_id)

    def test_query_count_when_caps_defer(self):
        """Emails held back by a cap cost no more per email: with a throttle,
        one email of the sender goes and the others are planned later (28
        queries; 26 before the sender caps)."""
        self._every_cap_on(throttle_seconds=30)
        self._batch(3)
        with self.mock_mail_gateway():
            self._run(MONDAY_9AM)
        for size in (5, 40):
            self._batch(size)
            with self.mock_mail_gateway(), self.assertQueryCount(__system__=28):
                processed = self._run(MONDAY_9AM)
            self.assertEqual(processed, size)
            self.assertEqual(len(self._new_mails), 0)  # the warm-up batch sent the sender's email


@tagged("post_install", "-at_install")
class TestConditions(SalesSequenceCase):
    """Steps that run only for some prospects (issue 10)."""

    def _run_first_email(self, sequence, records):
        enrollments = sequence.enroll(records, start_at=MONDAY_9AM, user=self.user_rep)["enrolled"]
        with self.mock_mail_gateway():
            self._run(MONDAY_9AM)
        return enrollments

    def test_record_condition_skips_on_lead_and_contact(self):
        sequence = self._create_sequence(
            [
                self._task("call", condition_domain="[('city', '=', 'Ghent')]", wait_for_completion=False),
                self._task("task", wait_for_completion=False),
            ]
        )
        self.lead.city = "Ghent"
        enrollments = sequence.enroll(
            self.lead
            | self.env["crm.lead"].create({"name": "Elsewhere", "city": "Namur", "email_from": "n@example.com"}),
            start_at=MONDAY_9AM,
            user=self.user_rep,
        )["enrolled"]
        ghent = self.env["res.partner"].create(
            {"name": "Geert Gent", "email": "geert@gent.example.com", "city": "Ghent"}
        )
        enrollments |= sequence.enroll(ghent | self.john, start_at=MONDAY_9AM, user=self.user_rep)["enrolled"]
        self._run(MONDAY_9AM)
        states = {e._target().display_name: e.trace_ids.sorted("id").mapped("state") for e in enrollments}
        self.assertEqual(states["Acme expansion"], ["task", "task"])
        self.assertEqual(states["Elsewhere"], ["skipped", "task"])
        self.assertEqual(states["Geert Gent"], ["task", "task"])
        self.assertEqual(states["John Smith"], ["skipped", "task"])
        skipped = enrollments.trace_ids.filtered(lambda t: t.state == "skipped")
        self.assertEqual(set(skipped.mapped("skip_reason")), {"condition"})

    def test_engagement_if_else_branch(self):
        """Day 1 email → Day 3 follow-up only if opened and not replied →
        Day 3 LinkedIn only if not opened: exactly one branch per prospect."""
        sequence = self._create_sequence(
            [
                self._email(),
                self._email(subject="Following up", delay_business_days=2, engagement_condition="opened"),
                self._task("linkedin", engagement_condition="not_opened", wait_for_completion=False),
            ],
            activate=False,
        )
        first_email, follow_up, linkedin = sequence.step_ids
        linkedin.engagement_step_id = first_email  # not the follow-up: the Day 1 email
        sequence.action_activate()
        self.assertEqual(follow_up.condition_text, "only if Day 1 email was opened")
        self.assertEqual(linkedin.condition_text, "only if Day 1 email was not opened")
        prospects = self.env["res.partner"].create(
            [
                {"name": name, "email": "%s@example.com" % name.lower()}
                for name in ("Clicker", "Opener", "Silent", "Replier")
            ]
        )
        enrollments = self._run_first_email(sequence, prospects)
        by_name = {e.partner_id.name: e for e in enrollments}
        by_name["Clicker"].trace_ids.write({"opened_at": MONDAY_9AM, "clicked_at": MONDAY_9AM})
        by_name["Opener"].trace_ids.write({"opened_at": MONDAY_9AM})
        self._receive(
            by_name["Replier"].partner_id.email_formatted,
            "Re: Hello",
            references=by_name["Replier"].trace_ids.message_id,
        )
        with self.mock_mail_gateway():
            self._run(datetime(2026, 3, 4, 8, 0))
        outcome = {name: e.trace_ids.sorted("id").mapped(lambda t: (t.step_id, t.state)) for name, e in by_name.items()}
        self.assertEqual(outcome["Clicker"], [(first_email, "sent"), (follow_up, "sent"), (linkedin, "skipped")])
        self.assertEqual(outcome["Opener"], [(first_email, "sent"), (follow_up, "sent"), (linkedin, "skipped")])
        self.assertEqual(outcome["Silent"], [(first_email, "sent"), (follow_up, "skipped"), (linkedin, "task")])
        self.assertEqual(outcome["Replier"], [(first_email, "sent")])
        self.assertExited(by_name["Replier"], "reply")

    def test_not_replied_and_clicked_conditions(self):
        sequence = self._create_sequence(
            [
                self._email(),
                self._task("call", engagement_condition="clicked", wait_for_completion=False, delay_hours=1),
                self._task("task", engagement_condition="not_replied", wait_for_completion=False),
            ],
            exit_on_reply=False,
        )
        enrollments = self._run_first_email(sequence, self.jane | self.john)
        jane = enrollments.filtered(lambda e: e.partner_id == self.jane)
        jane.trace_ids.write({"clicked_at": MONDAY_9AM, "replied_at": MONDAY_9AM})
        self._run(MONDAY_9AM + timedelta(hours=1))
        self.assertEqual(jane.trace_ids.sorted("id").mapped("state"), ["sent", "task", "skipped"])
        self.assertEqual((enrollments - jane).trace_ids.sorted("id").mapped("state"), ["sent", "skipped", "task"])

    def test_engagement_needs_an_earlier_email(self):
        with self.assertRaisesRegex(ValidationError, "no email step comes before it"):
            self._create_sequence([self._task("call", engagement_condition="opened")], activate=False)

    def test_duplicate_and_archive(self):
        sequence = self._create_sequence([self._email(), self._task("call", delay_days=1)], activate=False)
        sequence.step_ids[0].variant_ids = [(0, 0, {"subject": "B", "body_html": "<p>B</p>"})]
        sequence.action_activate()
        sequence.enroll(self.jane, user=self.user_rep)
        copy = sequence.copy()
        self.assertEqual((copy.state, copy.name, copy.enrollment_count), ("draft", "Outbound (copy)", 0))
        self.assertEqual(copy.step_ids.mapped("step_type"), ["email", "call"])
        self.assertEqual(copy.step_ids[0].variant_ids.mapped("subject"), ["B"])
        self.assertEqual(copy.window_start, sequence.window_start)
        sequence.action_archive()
        wizard_domain = self.env["sales.sequence.enroll.wizard"]._fields["sequence_id"].domain
        offered = self.env["sales.sequence"].search([("state", "=", "active")])
        self.assertNotIn(sequence, offered, wizard_domain)
        self.assertEqual(sequence.enrollment_count, 1)  # history kept
        sequence.action_unarchive()
        self.assertIn(sequence, self.env["sales.sequence"].search([("state", "=", "active")]))


@tagged("post_install", "-at_install")
class TestSmsStep(SalesSequenceCase):
    def test_sms_queued_or_skipped(self):
        sequence = self._create_sequence(
            [
                {
                    "step_type": "sms",
                    "sms_body": "Hi {{ first_name }}, {{ sender.first_name }} from Acme here.",
                }
            ]
        )
        self.jane.phone = "+32 470 12 34 56"
        blocked = self.env["res.partner"].create({"name": "Blocked Bob", "phone": "+32 470 99 99 99"})
        self.env["phone.blacklist"].sudo().add(blocked.phone_sanitized)
        enrollments = sequence.enroll(self.jane | self.john | blocked, start_at=MONDAY_9AM, user=self.user_rep)[
            "enrolled"
        ]
        self._run(MONDAY_9AM)
        by_name = {e.partner_id.name: e.trace_ids for e in enrollments}
        self.assertEqual(by_name["Jane Doe"].state, "sent")
        sms = self.env["sms.sms"].sudo().search([("partner_id", "=", self.jane.id)])
        self.assertEqual((sms.number, sms.body), (self.jane.phone_sanitized, "Hi Jane, Rachel from Acme here."))
        self.assertTrue(any("Hi Jane, Rachel from Acme here." in body for body in self.jane.message_ids.mapped("body")))
        self.assertEqual(by_name["John Smith"].state, "skipped")
        self.assertEqual(by_name["John Smith"].skip_reason, "no_phone")
        self.assertEqual(by_name["Blocked Bob"].skip_reason, "phone_suppressed")
        self.assertFalse(self.env["sms.sms"].sudo().search([("partner_id", "=", blocked.id)]))

    def test_sms_step_needs_a_text(self):
        sequence = self._create_sequence([{"step_type": "sms"}], activate=False)
        with self.assertRaisesRegex(UserError, "needs a text"):
            sequence.action_activate()
