"""ERP signals: the sequence server actions on documents that lead to a
contact (quotations, invoices, event registrations, meetings), through real
``base.automation`` rules. The addon does not depend on sale, account or
event: these tests run when the test database has them (scripts/test.sh
installs them when they are in the addons path)."""

import unittest
from contextlib import contextmanager
from datetime import datetime, timedelta
from unittest.mock import patch

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.sql_db import BaseCursor
from odoo.tests import freeze_time, tagged

from .common import SalesSequenceCase

T0 = datetime(2026, 3, 2, 8, 0)  # Monday 9:00 in Brussels


class SignalsCase(SalesSequenceCase):
    @classmethod
    def _require(cls, *models):
        missing = [model for model in models if model not in cls.env]
        if missing:
            raise unittest.SkipTest("not installed in the test database: %s" % ", ".join(missing))

    def _rule(self, model, trigger, action_values, **values):
        """An active automation rule with one sequence action (removed after
        the test, which also restores the registry's patched methods)."""
        model_id = self.env["ir.model"]._get_id(model)
        rule = self.env["base.automation"].create(
            {
                "name": "Rule on %s" % model,
                "model_id": model_id,
                "trigger": trigger,
                **values,
                "action_server_ids": [
                    Command.create(
                        {
                            "name": "Sequence action",
                            "model_id": model_id,
                            "usage": "base_automation",
                            **action_values,
                        }
                    )
                ],
            }
        )
        self.addCleanup(rule.unlink)
        return rule

    def _running(self, sequence):
        return self.env["sales.sequence.enrollment"].search(
            [
                ("sequence_id", "=", sequence.id),
                ("state", "in", ("active", "paused")),
            ]
        )

    @contextmanager
    def _at(self, moment):
        """Freeze Python's clock and the database's transaction time
        (``cr.now()``: base_automation's time-based rules read it, and the
        ORM stamps ``write_date`` with it, also when it flushes)."""
        with freeze_time(moment), patch.object(BaseCursor, "now", lambda cr: moment):
            yield
            self.env.flush_all()

    def _run_time_based_rules(self):
        """base_automation's own cron job, run as the scheduler runs it."""
        cron = self.env.ref("base_automation.ir_cron_data_base_automation_check")
        with self.enter_registry_test_mode():
            cron.method_direct_trigger()
        self.env.invalidate_all()


@tagged("post_install", "-at_install")
class TestQuotationFollowUp(SignalsCase):
    """Quotation sent and not confirmed after 3 days → follow-up sequence."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._require("sale.order")
        cls.product = cls.env["product.product"].create({"name": "Widget (seq)", "list_price": 100.0})
        cls.follow_up = cls._create_sequence(
            [cls._email(subject="About your quotation", delay_days=0)],
            name="Quotation follow-up",
            team_id=False,
        )
        cls.bob = cls.env["res.partner"].create({"name": "Bob Buyer", "email": "bob@buyer.example.com"})

    def _quotation(self, partner, salesperson):
        return self.env["sale.order"].create(
            {
                "partner_id": partner.id,
                "user_id": salesperson.id,
                "order_line": [Command.create({"product_id": self.product.id, "product_uom_qty": 2})],
            }
        )

    def test_sent_and_not_confirmed_after_3_days(self):
        with self._at(T0):
            waiting = self._quotation(self.jane, self.user_rep)
            confirmed = self._quotation(self.john, self.user_rep)
            draft = self._quotation(self.bob, self.user_rep)
            (waiting | confirmed).action_quotation_sent()
            self._rule(
                "sale.order",
                "on_time_updated",
                {
                    "state": "sales_sequence_enroll",
                    "sales_sequence_id": self.follow_up.id,
                },
                filter_domain=repr([("state", "=", "sent")]),
                trg_date_range=3,
                trg_date_range_type="day",
            )
            confirmed.action_confirm()
        rule_action = self.env["ir.actions.server"].search([("sales_sequence_id", "=", self.follow_up.id)])
        self.assertEqual(rule_action.sales_sequence_partner_path, "partner_id")
        with self._at(T0 + timedelta(days=1)):
            self._run_time_based_rules()
        self.assertFalse(self._running(self.follow_up), "one day after: too early")
        with self._at(T0 + timedelta(days=3, hours=1)):
            self._run_time_based_rules()
        enrollment = self._running(self.follow_up)
        self.assertEqual(enrollment.partner_id, waiting.partner_id)
        # run by the cron as OdooBot, sent by the quotation's salesperson
        self.assertEqual(enrollment.user_id, self.user_rep)
        self.assertNotIn(draft.partner_id, enrollment.partner_id)
        # the engine sends the follow-up
        with self.mock_mail_gateway():
            self._run(enrollment.next_run_at)
        self.assertEqual(enrollment.trace_ids.state, "sent")
        self.assertEqual(enrollment.trace_ids.mail_subject, "About your quotation")

    def test_a_document_without_salesperson_is_sent_by_the_owner(self):
        quotation = self._quotation(self.bob, self.user_rep)
        quotation.user_id = False
        action = self.env["ir.actions.server"].create(
            {
                "name": "Enroll the customer",
                "model_id": self.env["ir.model"]._get_id("sale.order"),
                "state": "sales_sequence_enroll",
                "sales_sequence_id": self.follow_up.id,
            }
        )
        with self.assertRaises(ValidationError):
            action.sales_sequence_partner_path = "order_line"
        action.sales_sequence_partner_path = "partner_invoice_id"
        action.with_user(self.user_manager).with_context(active_model="sale.order", active_ids=quotation.ids).run()
        self.assertEqual(self._running(self.follow_up).user_id, self.user_manager)


@tagged("post_install", "-at_install")
class TestInvoicePaid(SignalsCase):
    """Invoice paid → exit the sequences of its customer."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._require("account.move")
        journal = cls.env["account.journal"].search(
            [("type", "=", "sale"), ("company_id", "=", cls.env.company.id)], limit=1
        )
        if not journal:
            raise unittest.SkipTest("the test company has no chart of accounts")
        cls.dunning = cls._create_sequence(
            [cls._email(delay_days=2), cls._email(delay_days=5)], name="Payment reminder", team_id=False
        )

    def _invoice(self, partner):
        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": partner.id,
                "invoice_line_ids": [Command.create({"name": "Consulting", "quantity": 1, "price_unit": 500.0})],
            }
        )
        invoice.action_post()
        return invoice

    def _pay(self, invoice):
        self.env["account.payment.register"].with_context(
            active_model="account.move",
            active_ids=invoice.ids,
        ).create({})._create_payments()

    def test_paid_invoice_exits(self):
        self._rule(
            "account.move",
            "on_create_or_write",
            {
                "state": "sales_sequence_exit",
                "sales_sequence_id": self.dunning.id,
            },
            filter_pre_domain=repr([("payment_state", "not in", ("paid", "in_payment"))]),
            filter_domain=repr([("payment_state", "in", ("paid", "in_payment"))]),
        )
        paid, unpaid = self._invoice(self.jane), self._invoice(self.john)
        jane, john = self.dunning.enroll(self.jane | self.john, user=self.user_rep)["enrolled"]
        # Jane's lead enrollment (another sequence) is not concerned
        self._pay(paid)
        self.assertIn(paid.payment_state, ("paid", "in_payment"))
        self.assertExited(jane, "condition")
        self.assertEqual(john.state, "active")
        self.assertEqual(unpaid.payment_state, "not_paid")


@tagged("post_install", "-at_install")
class TestAttendees(SignalsCase):
    """One-to-many and many-to-many paths: event registrations, meetings."""

    def test_event_registration_enrolls_the_attendee(self):
        self._require("event.registration")
        webinar = self._create_sequence([self._email(delay_days=1)], name="Webinar", team_id=False)
        self._rule(
            "event.registration",
            "on_create",
            {
                "state": "sales_sequence_enroll",
                "sales_sequence_id": webinar.id,
            },
        )
        event = self.env["event.event"].create(
            {
                "name": "Product webinar",
                "date_begin": datetime(2026, 3, 10, 14),
                "date_end": datetime(2026, 3, 10, 15),
            }
        )
        self.env["event.registration"].create({"event_id": event.id, "partner_id": self.john.id})
        self.assertEqual(self._running(webinar).partner_id, self.john)
        # the organiser's sequence owner sends, the rule ran as the current user (superuser here)
        self.assertTrue(self._running(webinar).user_id)

    def test_meeting_attendees_but_not_our_users(self):
        met = self._create_sequence(
            [self._email(delay_days=2)], name="After the meeting", exit_on_meeting=False, team_id=False
        )
        meeting = self.env["calendar.event"].create(
            {
                "name": "Demo",
                "start": datetime(2026, 3, 3, 9),
                "stop": datetime(2026, 3, 3, 10),
                "partner_ids": [Command.set((self.jane | self.john | self.user_rep.partner_id).ids)],
            }
        )
        action = self.env["ir.actions.server"].create(
            {
                "name": "Enroll the attendees",
                "model_id": self.env["ir.model"]._get_id("calendar.event"),
                "state": "sales_sequence_enroll",
                "sales_sequence_id": met.id,
            }
        )
        self.assertEqual(action.sales_sequence_partner_path, "partner_ids")
        result = (
            action.with_user(self.user_manager)
            .with_context(active_model="calendar.event", active_ids=meeting.ids)
            .run()
        )
        self.assertIn("2 enrolled", result["params"]["message"])
        self.assertEqual(self._running(met).partner_id, self.jane | self.john)
        # and exit through the same path
        exit_action = self.env["ir.actions.server"].create(
            {
                "name": "Exit the attendees",
                "model_id": self.env["ir.model"]._get_id("calendar.event"),
                "state": "sales_sequence_exit",
                "sales_sequence_id": met.id,
            }
        )
        exit_action.with_context(active_model="calendar.event", active_ids=meeting.ids).run()
        self.assertFalse(self._running(met))
