from odoo.tests import HttpCase, new_test_user, tagged

from .test_ui import TOUR_TIMEOUT


@tagged("post_install", "-at_install")
class TestDeliverabilityUi(HttpCase):
    """In headless Chromium: the suppression list (why, add, filter, remove),
    the sending health from the dashboard and the deliverability settings, as an administrator who manages sales
    (CRM's settings are for administrators; tests/test_suppressions.py shows
    the list's menu and rights for a plain sales manager)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = new_test_user(
            cls.env,
            login="ss_deliver_tour",
            name="Dana Deliver",
            email="dana@example.com",
            tz="Europe/Brussels",
            groups="base.group_system,sales_team.group_sale_manager",
        )
        sequence = cls.env["sales.sequence"].create(
            {
                "name": "Tour Outbound",
                "user_id": cls.manager.id,
                "step_ids": [(0, 0, {"step_type": "email", "subject": "Hi", "body_html": "<p>Hello</p>"})],
            }
        )
        sequence.action_activate()
        prospect = cls.env["res.partner"].create({"name": "Pat Prospect", "email": "pat@tour.example.com"})
        sequence.enroll(prospect, user=cls.manager)
        Blacklist = cls.env["mail.blacklist"]
        Blacklist._sales_sequence_suppress("complainer@tour.example.com", "complaint", sequence)
        Blacklist._sales_sequence_suppress("left@tour.example.com", "unsubscribed", sequence)

    def test_suppressions_and_settings(self):
        self.start_tour(
            "/odoo/crm", "sales_sequence_deliverability_tour", login=self.manager.login, timeout=TOUR_TIMEOUT
        )
        Blacklist = self.env["mail.blacklist"].with_context(active_test=False)
        added = Blacklist.search([("email", "=", "asked.by.phone@tour.example.com")])
        self.assertEqual((added.suppression_reason, added.create_uid), ("manual", self.manager))
        removed = Blacklist.search([("email", "=", "complainer@tour.example.com")])
        self.assertFalse(removed.active)
        self.assertIn("Complaint withdrawn by phone", removed.message_ids[0].body)
        self.assertEqual(removed.message_ids[0].author_id, self.manager.partner_id)
        self.assertEqual(self.env["ir.config_parameter"].sudo().get_param("sales_sequence.warmup_start"), "15")
