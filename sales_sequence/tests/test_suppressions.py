from datetime import datetime

from odoo.exceptions import AccessError
from odoo.tests import freeze_time, tagged

from .common import BOUNCE_EMAIL, MONDAY_9AM, SalesSequenceCase


@tagged("post_install", "-at_install")
class TestSuppressions(SalesSequenceCase):
    """The suppression list (Odoo's ``mail.blacklist``): why and since when
    each address is on it, filled by the unsubscribe, bounce and complaint
    paths, edited by hand and imported by managers, read by reps."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sequence = cls._create_sequence([cls._email(), cls._email(delay_days=2)])
        cls.Blacklist = cls.env["mail.blacklist"].with_context(active_test=False)

    def _start(self, partner):
        enrollment = self.sequence.enroll(partner, start_at=MONDAY_9AM, user=self.user_rep)["enrolled"]
        with self.mock_mail_gateway():
            self._run(MONDAY_9AM)
        return enrollment

    def _entry(self, email):
        return self.Blacklist.search([("email", "=", email)])

    def test_unsubscribe_says_from_which_sequence(self):
        enrollment = self._start(self.jane)
        with freeze_time(datetime(2026, 3, 2, 12, 0)):
            enrollment._action_unsubscribe()
        entry = self._entry("jane.doe@acme.example.com")
        self.assertEqual(entry.suppression_reason, "unsubscribed")
        self.assertEqual(entry.suppression_sequence_id, self.sequence)
        self.assertEqual(entry.suppressed_at, datetime(2026, 3, 2, 12, 0))
        self.assertIn("Unsubscribed from the sales sequence Outbound", entry.message_ids[0].body)
        self.assertExited(enrollment, "unsubscribed")

    def test_bounce_of_an_address_that_does_not_exist(self):
        """A DSN saying the mailbox does not exist (5.1.1) suppresses the
        address; a full mailbox (5.2.2) exits the enrollment but may clear up."""
        enrollment = self._start(self.jane)
        self._bounce(enrollment.trace_ids)
        self.assertExited(enrollment, "bounce")
        entry = self._entry("jane.doe@acme.example.com")
        self.assertEqual(entry.suppression_reason, "bounced")
        self.assertEqual(entry.suppression_sequence_id, self.sequence)

        enrollment = self._start(self.john)
        trace = enrollment.trace_ids
        raw = (
            BOUNCE_EMAIL.format(
                to="bounce.test@test.mycompany.com",
                token=trace.id,
                recipient=enrollment.email,
                original_msg_id=trace.message_id,
                original_from=self.user_rep.email,
                original_subject=trace.mail_subject,
            )
            .replace("Status: 5.1.1", "Status: 5.2.2")
            .replace("No such user here", "Mailbox full")
        )
        self.env["mail.thread"].sudo().message_process(None, raw)
        self.assertExited(enrollment, "bounce")
        self.assertFalse(self._entry("john@smith.example.com"))

    def test_added_by_hand_removed_and_added_again(self):
        """A manager adds an address, removes it (the log says who and why),
        then adds it again: the entry is back, with its new reason."""
        Blacklist = self.env["mail.blacklist"].with_user(self.user_manager)
        entry = Blacklist.create({"email": "Ann.Other@Example.com"})
        self.assertEqual((entry.email, entry.suppression_reason), ("ann.other@example.com", "manual"))
        self.assertEqual(entry.create_uid, self.user_manager)
        self.assertTrue(entry.suppressed_at)
        self.flush_tracking()  # a later transaction: what is written now is tracked
        # remove it with Odoo's dialog (a reason), as the manager
        wizard = (
            self.env["mail.blacklist.remove"]
            .with_user(self.user_manager)
            .create({"email": entry.email, "reason": "Asked us on the phone to stay in touch"})
        )
        wizard.action_unblacklist_apply()
        self.flush_tracking()
        self.assertFalse(entry.active)
        entry = entry.sudo()
        entry.invalidate_recordset()
        removal = entry.message_ids.filtered(lambda m: m.tracking_value_ids.field_id.name == "active")
        self.assertEqual(removal.author_id, self.user_manager.partner_id)
        self.assertIn("Asked us on the phone", entry.message_ids.mapped("body")[0])
        # back on the list: the same entry, active again, for the new reason, since now
        with freeze_time(datetime(2026, 3, 9, 10, 0)):
            again = Blacklist.create({"email": "ann.other@example.com", "suppression_reason": "complaint"})
        self.assertEqual(again, entry)
        self.assertTrue(entry.active)
        self.assertEqual((entry.suppression_reason, entry.suppressed_at), ("complaint", datetime(2026, 3, 9, 10, 0)))
        # "Suppress Again" after a removal: since then too
        entry.with_user(self.user_manager).action_archive()
        with freeze_time(datetime(2026, 3, 10, 10, 0)):
            entry.with_user(self.user_manager).action_add()
        self.assertEqual((entry.active, entry.suppressed_at), (True, datetime(2026, 3, 10, 10, 0)))

    def test_the_engine_skips_a_suppressed_address(self):
        self.env["mail.blacklist"].create({"email": self.jane.email})
        enrollment = self._start(self.jane)
        self.assertEqual(enrollment.trace_ids.skip_reason, "suppressed")

    def test_import_a_list(self):
        """A manager imports a CSV list through Odoo's import (the list view's
        Import): reasons by label, dates, an address removed before comes
        back, one already on the list keeps its first reason."""
        self.env["mail.blacklist"].create({"email": "removed@example.com"}).action_archive()
        self.env["mail.blacklist"]._sales_sequence_suppress("gone@example.com", "unsubscribed", self.sequence)
        csv = (
            "Email,Reason,Suppressed Since\n"
            "Bounced.Once@Example.com,Bounced,2026-01-15 10:00:00\n"
            "complainer@example.com,Spam complaint,2026-02-01 08:30:00\n"
            "removed@example.com,Added by hand,2026-02-20 09:00:00\n"
            "gone@example.com,Added by hand,2026-02-21 09:00:00\n"
        )
        importer = (
            self.env["base_import.import"]
            .with_user(self.user_manager)
            .create(
                {
                    "res_model": "mail.blacklist",
                    "file": csv.encode(),
                    "file_type": "text/csv",
                    "file_name": "list.csv",
                }
            )
        )
        options = {
            "quoting": '"',
            "separator": ",",
            "has_headers": True,
            "date_format": "%Y-%m-%d",
            "datetime_format": "%Y-%m-%d %H:%M:%S",
        }
        preview = importer.parse_preview(options)
        self.assertEqual(preview["matches"], {0: ["email"], 1: ["suppression_reason"], 2: ["suppressed_at"]})
        result = importer.execute_import(
            ["email", "suppression_reason", "suppressed_at"],
            ["Email", "Reason", "Suppressed Since"],
            options,
        )
        self.assertFalse(result["messages"])
        bounced = self._entry("bounced.once@example.com")
        # dates are read in the importing user's timezone (Brussels, UTC+1)
        self.assertEqual((bounced.suppression_reason, bounced.suppressed_at), ("bounced", datetime(2026, 1, 15, 9, 0)))
        self.assertEqual(self._entry("complainer@example.com").suppression_reason, "complaint")
        removed = self._entry("removed@example.com")
        self.assertTrue(removed.active)
        self.assertEqual(removed.suppressed_at, datetime(2026, 2, 20, 8, 0))
        self.assertEqual(self._entry("gone@example.com").suppression_reason, "unsubscribed")

    def test_who_may_do_what(self):
        """Reps read the list (why their emails are skipped) and change
        nothing: the list is shared by every company and team, and one
        address on it stops everyone's sequences. Managers add, remove
        (archive, logged) and import; only administrators delete (the log
        would go)."""
        entry = self.env["mail.blacklist"].create({"email": "someone@example.com"})
        rep_list = self.env["mail.blacklist"].with_user(self.user_rep)
        self.assertEqual(rep_list.search([("email", "=", "someone@example.com")]), entry)
        with self.assertRaises(AccessError):
            rep_list.create({"email": "a.colleagues.prospect@example.com"})
        with self.assertRaises(AccessError):
            entry.with_user(self.user_rep).action_archive()
        with self.assertRaises(AccessError):
            entry.with_user(self.user_rep).write({"suppression_reason": "complaint"})
        with self.assertRaises(AccessError):
            entry.with_user(self.user_manager).unlink()
        entry.with_user(self.user_manager).action_archive()
        self.assertFalse(entry.active)
        # the list is under CRM › Configuration for sales managers, not for reps
        menu = self.env.ref("sales_sequence.menu_sales_sequence_suppression")
        Menu = self.env["ir.ui.menu"]
        self.assertIn(menu.id, Menu.with_user(self.user_manager)._visible_menu_ids())
        self.assertNotIn(menu.id, Menu.with_user(self.user_rep)._visible_menu_ids())
