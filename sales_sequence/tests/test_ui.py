"""The product in a real browser: Odoo tours in headless Chromium.

The tours live in ``static/tests/tours/``. They ask for screenshots with a
``screenshot(name)`` step; the browser takes them only when the environment
variable ``SALES_SEQUENCE_SCREENSHOTS`` names a folder (``make screenshots``
writes them to ``static/description/``), so that a normal test run leaves the
tree untouched.

Journeys: (a) a manager builds a sequence on the timeline, (b) a rep
enrolls a lead, (c) a rep works their day (a manual email written from its
draft, calls logged with their outcome from the queue and from the chatter);
tests/test_analytics.py runs the analytics tour. ``TestClickEverywhere`` runs
Odoo's own click-everywhere test over the CRM app, as an admin and as a
salesman.
"""

import base64
import json
import logging
import os
import pathlib
import unittest
from unittest.mock import patch

from odoo import fields
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tests.common import ChromeBrowser

from .common import INCOMING_EMAIL

_logger = logging.getLogger(__name__)

SCREENSHOT_SIGNAL = "sales_sequence:screenshot:"
SCREENSHOT_DIR = os.environ.get("SALES_SEQUENCE_SCREENSHOTS")
TOUR_TIMEOUT = 300  # seconds: the machines running the suite can be slow and shared
BROWSER_ATTEMPTS = 3  # Chromium starts: Odoo skips a browser test when one takes more than 10 s


def _release_tour(browser, name):
    """Tell the tour's screenshot step that it may go on."""
    browser._websocket_send(
        "Runtime.evaluate",
        params={
            "expression": "document.body.dataset.salesSequenceScreenshot = %s" % json.dumps(name),
        },
    )


def _take_screenshot(browser, name):
    """Capture the viewport as ``<SCREENSHOT_DIR>/<name>.png``, then release the tour."""

    def save(future):
        try:
            data = future.result(timeout=0)["data"]
            path = pathlib.Path(SCREENSHOT_DIR, "%s.png" % name)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(base64.b64decode(data))
            _logger.info("Screenshot %s saved in %s", name, path)
        except Exception:  # noqa: BLE001 - a screenshot must never break the tour
            _logger.warning("Screenshot %s failed", name, exc_info=True)
        _release_tour(browser, name)

    future = browser._websocket_send("Page.captureScreenshot", params={"format": "png"}, with_future=True)
    if future:
        future.add_done_callback(save)


_original_handle_console = ChromeBrowser._handle_console


def _handle_console(browser, type, args=None, stackTrace=None, **kw):  # noqa: A002 - CDP's name  # pylint: disable=redefined-builtin
    """The browser's console handler, plus the tours' screenshot requests."""
    first = args[0].get("value") if args else None
    if type == "log" and isinstance(first, str) and first.startswith(SCREENSHOT_SIGNAL):
        name = first[len(SCREENSHOT_SIGNAL) :]
        if SCREENSHOT_DIR:
            _take_screenshot(browser, name)
        else:
            _release_tour(browser, name)
        return None
    return _original_handle_console(browser, type, args=args, stackTrace=stackTrace, **kw)


@tagged("post_install", "-at_install")
class TestSalesSequenceUi(HttpCase):
    browser_size = "1600x900"  # wide enough for the chatter beside the form, as on a laptop

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = new_test_user(
            cls.env,
            login="ss_tour_manager",
            name="Morgan Manager",
            email="morgan.manager@example.com",
            tz="Europe/Brussels",
            groups="base.group_user,sales_team.group_sale_manager",
        )
        cls.rep = new_test_user(
            cls.env,
            login="ss_tour_rep",
            name="Rachel Rep",
            email="rachel.rep@example.com",
            tz="Europe/Brussels",
            groups="base.group_user,sales_team.group_sale_salesman",
        )
        # the rep belongs to the team that owns the sequence (reps see their teams' sequences)
        cls.team = cls.env.ref("sales_team.team_sales_department")
        cls.env["crm.team.member"].create({"crm_team_id": cls.team.id, "user_id": cls.rep.id})
        company = cls.env["res.partner"].create({"name": "Northwind Traders", "is_company": True})
        cls.contact = cls.env["res.partner"].create(
            {
                "name": "Nora Northwind",
                "email": "nora@northwind.example.com",
                "parent_id": company.id,
                "function": "Head of Operations",
            }
        )
        cls.lead = cls.env["crm.lead"].create(
            {
                "name": "Northwind: 40 seats",
                "type": "opportunity",
                "partner_id": cls.contact.id,
                "user_id": cls.rep.id,
                "team_id": cls.team.id,
                "expected_revenue": 24000,
            }
        )
        cls.follow_up = cls.env["sales.sequence"].create(
            {
                "name": "Demo Request Follow-up",
                "user_id": cls.manager.id,
                "team_id": cls.team.id,
                "tz": "Europe/Brussels",
                "step_ids": [
                    (
                        0,
                        0,
                        {
                            "sequence": 1,
                            "step_type": "email",
                            "subject": "Following up, {{ first_name }}",
                            "body_html": "<p>Hi {{ first_name | default('there') }},</p>",
                        },
                    ),
                    (
                        0,
                        0,
                        {
                            "sequence": 2,
                            "step_type": "call",
                            "delay_business_days": 2,
                            "activity_summary": "Call {{ full_name }}",
                        },
                    ),
                ],
            }
        )
        cls.follow_up.action_activate()

    def browser_js(self, *args, **kwargs):
        """Odoo skips a browser test when Chromium does not start within 10 s
        (seen on a loaded machine, at the first start): start it again, and
        fail rather than skip, since a skipped tour is not a pass."""
        for attempt in range(1, BROWSER_ATTEMPTS + 1):
            try:
                return super().browser_js(*args, **kwargs)
            except unittest.SkipTest as skip:
                _logger.warning("Chromium did not start (attempt %s of %s): %s", attempt, BROWSER_ATTEMPTS, skip)
                reason = skip
        return self.fail(f"Chromium did not start in {BROWSER_ATTEMPTS} attempts: {reason}")

    def start_tour(self, url_path, tour_name, **kwargs):
        kwargs.setdefault("timeout", TOUR_TIMEOUT)
        with patch.object(ChromeBrowser, "_handle_console", _handle_console):
            return super().start_tour(url_path, tour_name, **kwargs)

    def test_01_manager_builds_sequence(self):
        """(a) A sales manager builds a sequence on the timeline (dialog, in-place
        edits, "add a step here", drag to reorder, preview before saving),
        activates it and adds a last step to the saved sequence."""
        self.start_tour("/odoo/crm", "sales_sequence_builder_tour", login=self.manager.login)

        sequence = self.env["sales.sequence"].search([("name", "=", "Outbound: Operations Leaders")])
        self.assertEqual(len(sequence), 1)
        self.assertEqual(sequence.state, "active")
        self.assertEqual(sequence.user_id, self.manager)
        steps = sequence.step_ids
        self.assertEqual(steps.mapped("step_type"), ["email", "task", "call", "linkedin", "task"])
        self.assertEqual(steps.mapped("delay_business_days"), [0, 0, 3, 1, 0])
        self.assertEqual(steps.mapped("day_number"), [1, 1, 4, 5, 5])
        self.assertEqual(steps[4].activity_summary, "Send a break-up note", "added last to the saved sequence")
        self.assertEqual(steps[0].subject, "Quick question, {{ first_name }}")
        self.assertIn("{{ first_name | default('there') }}", steps[0].body_html)
        self.assertEqual(steps[1].activity_summary, "Research {{ company }} before the next touch")
        self.assertEqual(steps[2].activity_summary, "Call {{ full_name }}")
        self.assertEqual(steps[3].activity_summary, "Connect with {{ first_name }} on LinkedIn")
        # "Send Me a Test" queued a real email to the manager, and nothing else
        test_mail = self.env["mail.mail"].search([("subject", "=like", "[TEST] Quick question, %")])
        self.assertEqual(test_mail.email_to, self.manager.email_formatted)
        self.assertFalse(self.env["sales.sequence.enrollment"].search([("sequence_id", "=", sequence.id)]))

    def test_02_rep_enrolls_lead(self):
        """(b) A rep enrolls one of their leads from its form and sees the enrollment."""
        self.start_tour("/odoo/crm", "sales_sequence_enroll_tour", login=self.rep.login)

        enrollment = self.env["sales.sequence.enrollment"].search([("lead_id", "=", self.lead.id)])
        self.assertEqual(len(enrollment), 1)
        self.assertEqual(enrollment.sequence_id, self.follow_up)
        self.assertEqual(enrollment.state, "active")
        self.assertEqual(enrollment.partner_id, self.contact)
        self.assertEqual(enrollment.user_id, self.rep)
        self.assertEqual(enrollment.step_id, self.follow_up.step_ids[0])

    def test_03_rep_works_the_day(self):
        """(c) A rep writes a manual email from its draft (the reply to it exits
        the enrollment), logs a call from the queue and one from the chatter."""
        self.contact.phone = "+32 2 555 01 23"
        carl = self.env["res.partner"].create(
            {
                "name": "Carl Caller",
                "email": "carl@caller.example.com",
                "phone": "+32 2 555 99 00",
                "user_id": self.rep.id,
            }
        )
        writing = self.env["sales.sequence"].create(
            {
                "name": "Tour Writing",
                "user_id": self.manager.id,
                "team_id": self.team.id,
                "tz": "Europe/Brussels",
                "window_start": 0.0,
                "window_end": 24.0,
                "weekdays_only": False,
                "step_ids": [
                    (
                        0,
                        0,
                        {
                            "sequence": 1,
                            "step_type": "manual_email",
                            "activity_summary": "Write to {{ first_name }}",
                            "subject": "Following up, {{ first_name }}",
                            "body_html": "<p>Hi {{ first_name }}, any news from {{ company }}?</p>",
                        },
                    ),
                    (
                        0,
                        0,
                        {
                            "sequence": 2,
                            "step_type": "email",
                            "delay_days": 3,
                            "subject": "Still there?",
                            "body_html": "<p>Hi {{ first_name }}</p>",
                        },
                    ),
                ],
            }
        )
        calls = self.env["sales.sequence"].create(
            {
                "name": "Tour Calls",
                "user_id": self.manager.id,
                "team_id": self.team.id,
                "tz": "Europe/Brussels",
                "window_start": 0.0,
                "window_end": 24.0,
                "weekdays_only": False,
                "step_ids": [
                    (
                        0,
                        0,
                        {
                            "sequence": 1,
                            "step_type": "call",
                            "activity_summary": "Call {{ full_name }}",
                            "call_script": "Ask about the budget",
                        },
                    ),
                    (
                        0,
                        0,
                        {
                            "sequence": 2,
                            "step_type": "email",
                            "delay_days": 3,
                            "subject": "After our call",
                            "body_html": "<p>Hi {{ first_name }}</p>",
                        },
                    ),
                ],
            }
        )
        (writing | calls).action_activate()
        now = fields.Datetime.now()
        manual = writing.enroll(self.lead, user=self.rep, start_at=now)["enrolled"]
        on_lead = calls.enroll(self.lead, user=self.rep, start_at=now)["enrolled"]
        on_carl = calls.enroll(carl, user=self.rep, start_at=now)["enrolled"]
        self.env["sales.sequence.enrollment"]._cron_process_due(now=now)
        self.assertEqual((manual | on_lead | on_carl).trace_ids.mapped("state"), ["task"] * 3)

        self.start_tour("/odoo/crm", "sales_sequence_rep_day_tour", login=self.rep.login)

        # the manual email: sent as edited, its trace keeps the Message-ID
        trace = manual.trace_ids
        message = self.lead.message_ids.filtered(lambda m: m.subject == "Following up, Nora")
        self.assertEqual(len(message), 1)
        self.assertIn("I attached our deck.", message.body)
        self.assertEqual((trace.state, trace.message_id), ("done", message.message_id))
        self.assertEqual((manual.state, manual.step_id), ("active", writing.step_ids[1]))
        # the calls: one not interested (exits), one connected (goes on)
        self.assertEqual(on_carl.trace_ids.call_outcome, "not_interested")
        self.assertEqual((on_carl.state, on_carl.exit_reason), ("exited", "not_interested"))
        self.assertEqual(on_lead.trace_ids.call_outcome, "connected")
        self.assertEqual((on_lead.state, on_lead.step_id), ("active", calls.step_ids[1]))
        # Nora answers the manual email: the reply comes through the real gateway and exits
        raw = INCOMING_EMAIL.format(
            email_from="Nora Northwind <nora@northwind.example.com>",
            to=self.rep.email,
            subject="Re: Following up, Nora",
            msg_id="<nora-reply@northwind.example.com>",
            extra="In-Reply-To: %s\nReferences: %s\n" % (message.message_id, message.message_id),
            body="Thanks, let's talk on Monday.",
        )
        self.env["mail.thread"].sudo().message_process(None, raw)
        self.assertEqual((manual.state, manual.exit_reason), ("exited", "reply"))
        self.assertTrue(trace.replied_at)

    def test_04_rep_reads_a_team_sequence(self):
        """(d) A sequence the rep may not change opens read-only; its counts
        are the sequence's on the card, the form and the analytics, also for
        enrollments the rep does not send."""
        now = fields.Datetime.now()
        other = self.env["res.partner"].create({"name": "Otto Other", "email": "otto@other.example.com"})
        self.follow_up.enroll(self.lead, user=self.rep, start_at=now)
        self.follow_up.enroll(other, user=self.manager, start_at=now)
        self.assertFalse(self.follow_up.with_user(self.rep).can_edit)
        self.start_tour("/odoo/crm", "sales_sequence_readonly_tour", login=self.rep.login)


@tagged("post_install", "-at_install")
class TestClickEverywhere(HttpCase):
    """Odoo's own click-everywhere test (web's clickbot) over the CRM app with
    the addon installed: every menu, view and filter of the app, the
    Sequences menus included, opens without an error, as an admin and as a
    salesman."""

    CLICKBOT = (
        "odoo.loader.modules.get('@web/webclient/clickbot/clickbot_loader').startClickEverywhere('crm.crm_menu_root');"
    )

    def _click_everywhere(self, login):
        self.browser_js(
            "/odoo",
            self.CLICKBOT,
            "odoo.isReady === true",
            login=login,
            timeout=1200,
            success_signal="clickbot test succeeded",
        )

    def test_click_everywhere_as_admin(self):
        admin = self.env.ref("base.user_admin")
        if "tour_enabled" in admin._fields:
            admin.tour_enabled = False
        self._click_everywhere("admin")

    def test_click_everywhere_as_salesman(self):
        salesman = new_test_user(
            self.env,
            login="ss_click_salesman",
            name="Sam Salesman",
            email="sam.salesman@example.com",
            groups="base.group_user,sales_team.group_sale_salesman",
            tz="Europe/Brussels",
        )
        if "tour_enabled" in salesman._fields:
            salesman.tour_enabled = False
        self.env["crm.team.member"].create(
            {
                "crm_team_id": self.env.ref("sales_team.team_sales_department").id,
                "user_id": salesman.id,
            }
        )
        self._click_everywhere(salesman.login)
