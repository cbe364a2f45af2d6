from datetime import datetime

from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, freeze_time, tagged

from odoo.addons.base.tests.test_ir_cron import CronMixinCase

from .common import MONDAY_9AM, SalesSequenceCase


class AutomationCase(SalesSequenceCase, CronMixinCase):
    """Leads in a small pipeline of our own, and real ``base.automation`` rules."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Stage = cls.env["crm.stage"]
        cls.stage_new = Stage.create({"name": "New (seq)", "sequence": 1})
        cls.stage_qualified = Stage.create({"name": "Qualified (seq)", "sequence": 2})
        cls.stage_proposal = Stage.create({"name": "Proposal (seq)", "sequence": 3})
        cls.leads = cls.env["crm.lead"].create(
            [
                {
                    "name": "Lead %s" % index,
                    "type": "opportunity",
                    "stage_id": cls.stage_new.id,
                    "email_from": "lead%s@prospect.example.com" % index,
                    "contact_name": "Lead %s" % index,
                    "user_id": cls.user_rep.id,
                }
                for index in range(3)
            ]
        )
        cls.lead_model_id = cls.env["ir.model"]._get_id("crm.lead")

    def _rule(self, trigger, action_values, **values):
        """An active automation rule on leads with one action (removed after the test,
        which also restores the registry's patched methods)."""
        rule = self.env["base.automation"].create(
            {
                "name": "Rule %s" % trigger,
                "model_id": self.lead_model_id,
                "trigger": trigger,
                **values,
            }
        )
        self.env["ir.actions.server"].create(
            {
                "name": "Action",
                "base_automation_id": rule.id,
                "model_id": self.lead_model_id,
                "usage": "base_automation",
                **action_values,
            }
        )
        self.addCleanup(rule.unlink)
        return rule

    def _enroll_action(self, sequence):
        return {"state": "sales_sequence_enroll", "sales_sequence_id": sequence.id}

    def _running(self, sequence):
        return self.env["sales.sequence.enrollment"].search(
            [
                ("sequence_id", "=", sequence.id),
                ("state", "in", ("active", "paused")),
            ]
        )


@tagged("post_install", "-at_install")
class TestAutomationRules(AutomationCase):
    def test_stage_set_rule_enrolls_exactly_the_moved_lead(self):
        sequence = self._create_sequence([self._email(delay_days=1)], team_id=False)
        self._rule("on_stage_set", self._enroll_action(sequence), trg_field_ref=self.stage_qualified.id)
        moved, other_stage, untouched = self.leads
        cron = self.env.ref("sales_sequence.ir_cron_process_due")
        mails_before = self.env["mail.mail"].search_count([])
        with freeze_time(MONDAY_9AM), self.capture_triggers(cron.id) as capture:
            moved.with_user(self.user_rep).write({"stage_id": self.stage_qualified.id})
            other_stage.with_user(self.user_rep).write({"stage_id": self.stage_proposal.id})
            untouched.with_user(self.user_rep).write({"name": "Renamed"})
        enrollment = self._running(sequence)
        self.assertEqual(enrollment.lead_id, moved)
        self.assertEqual(enrollment.user_id, self.user_rep)
        # only enrolled: nothing sent inside the write, the engine is woken for the first step
        self.assertFalse(enrollment.trace_ids)
        self.assertEqual(self.env["mail.mail"].search_count([]), mails_before)
        self.assertEqual(enrollment.next_run_at, datetime(2026, 3, 3, 8, 0))
        self.assertEqual(capture.records.mapped("call_at"), [datetime(2026, 3, 3, 8, 0)])
        # moving into the stage again does not enroll twice
        moved.write({"stage_id": self.stage_new.id})
        moved.write({"stage_id": self.stage_qualified.id})
        self.assertEqual(self._running(sequence), enrollment)

    def test_archive_rule_enrolls_lost_lead_into_reengagement(self):
        reengagement = self._create_sequence([self._email(delay_days=30)], name="Re-engagement", team_id=False)
        self._rule("on_archive", self._enroll_action(reengagement))
        lost, kept, __ = self.leads
        with freeze_time(MONDAY_9AM):
            lost.with_user(self.user_rep).action_set_lost()
        enrollment = self._running(reengagement)
        self.assertEqual(enrollment.lead_id, lost)
        self.assertEqual(lost.won_status, "lost")
        self.assertEqual(enrollment.start_won_status, "lost")
        self.assertNotIn(kept, self._running(reengagement).lead_id)
        # being lost does not end it (it is the reason it started); the email goes out
        with self.mock_mail_gateway():
            self._run(enrollment.next_run_at)
        self.assertEqual(enrollment.trace_ids.state, "sent")
        self.assertEqual(enrollment.state, "completed")
        # winning it back does end a running re-engagement
        kept.action_set_lost()
        second = self._running(reengagement)
        self.assertEqual(second.lead_id, kept)
        kept.action_set_won()
        self.assertExited(second, "won")

    def test_exit_action_exits_that_sequence_or_all(self):
        prospecting = self._create_sequence([self._email(delay_days=5)], name="Prospecting", team_id=False)
        nurture = self._create_sequence([self._email(delay_days=5)], name="Nurture", team_id=False)
        self._rule(
            "on_stage_set",
            {"state": "sales_sequence_exit", "sales_sequence_id": prospecting.id},
            trg_field_ref=self.stage_qualified.id,
        )
        lead, other, __ = self.leads
        in_prospecting = prospecting.enroll(lead | other)["enrolled"]
        in_nurture = nurture.enroll(lead)["enrolled"]
        lead.write({"stage_id": self.stage_qualified.id})
        mine = in_prospecting.filtered(lambda e: e.lead_id == lead)
        self.assertExited(mine, "stage_changed")
        self.assertEqual((in_prospecting - mine).state, "active")
        self.assertEqual(in_nurture.state, "active")
        # without a sequence, an exit rule leaves every sequence (an admin-defined condition)
        tag = self.env["crm.tag"].create({"name": "Do not contact (seq)"})
        self._rule("on_tag_set", {"state": "sales_sequence_exit"}, trg_field_ref=tag.id)
        lead.write({"tag_ids": [(4, tag.id)]})
        self.assertExited(in_nurture, "condition")
        self.assertEqual((in_prospecting - mine).state, "active")

    def test_rule_on_draft_sequence_does_not_block_the_change(self):
        draft = self._create_sequence([self._email()], activate=False, name="Not yet", team_id=False)
        self._rule("on_stage_set", self._enroll_action(draft), trg_field_ref=self.stage_qualified.id)
        lead = self.leads[0]
        lead.write({"stage_id": self.stage_qualified.id})
        self.assertEqual(lead.stage_id, self.stage_qualified)
        self.assertFalse(self._running(draft))
        self.assertIn("Not enrolled in the sequence Not yet", lead.message_ids[0].body)


@tagged("post_install", "-at_install")
class TestServerActions(AutomationCase):
    def _action(self, model, **values):
        return self.env["ir.actions.server"].create(
            {
                "name": "Sequence action",
                "model_id": self.env["ir.model"]._get_id(model),
                **values,
            }
        )

    def test_enroll_from_the_actions_menu(self):
        sequence = self._create_sequence([self._email()], team_id=False)
        action = self._action("res.partner", **self._enroll_action(sequence))
        self.assertEqual(action._generate_action_name(), "Enroll in Outbound")
        self.assertFalse(action.warning)
        sequence.enroll(self.jane)
        result = (
            action.with_user(self.user_rep)
            .with_context(
                active_model="res.partner",
                active_ids=(self.jane | self.john | self.no_email).ids,
            )
            .run()
        )
        self.assertEqual(result["tag"], "display_notification")
        self.assertIn("2 enrolled, 1 already in it, 0 not enrolled", result["params"]["message"])
        self.assertEqual(self._running(sequence).partner_id, self.jane | self.john | self.no_email)
        # run by hand on a draft sequence: a clear error
        draft = self._create_sequence([self._email()], activate=False, name="Draft", team_id=False)
        action.sales_sequence_id = draft
        with self.assertRaisesRegex(UserError, "Activate the sequence"):
            action.with_context(active_model="res.partner", active_ids=self.john.ids).run()

    def test_exit_by_hand_is_manual(self):
        sequence = self._create_sequence([self._email(delay_days=3)], team_id=False)
        enrollments = sequence.enroll(self.leads)["enrolled"]
        action = self._action("crm.lead", state="sales_sequence_exit")
        self.assertEqual(action._generate_action_name(), "Exit all sales sequences")
        action.with_context(active_model="crm.lead", active_ids=self.leads[:2].ids).run()
        for enrollment in enrollments.filtered(lambda e: e.lead_id in self.leads[:2]):
            self.assertExited(enrollment, "manual")
        self.assertEqual(enrollments.filtered(lambda e: e.lead_id == self.leads[2]).state, "active")

    def test_warnings_on_other_models_and_missing_sequence(self):
        sequence = self._create_sequence([self._email()])
        on_tags = self._action("crm.tag", **self._enroll_action(sequence))
        self.assertIn("Choose the contact field", on_tags.warning)
        # any model that leads to a contact: its partner field by default
        on_users = self._action("res.users", **self._enroll_action(sequence))
        self.assertEqual(on_users.sales_sequence_partner_path, "partner_id")
        self.assertFalse(on_users.warning)
        no_sequence = self._action("crm.lead", state="sales_sequence_enroll")
        self.assertIn("Choose the sales sequence", no_sequence.warning)
        self.assertFalse(no_sequence.sales_sequence_partner_path)
        rule = self.env["base.automation"].create(
            {
                "name": "Bad rule",
                "model_id": self.lead_model_id,
                "trigger": "on_create",
            }
        )
        in_rule = self.env["ir.actions.server"].create(
            {
                "name": "Exit",
                "model_id": self.lead_model_id,
                "base_automation_id": rule.id,
                "usage": "base_automation",
                "state": "sales_sequence_exit",
            }
        )
        self.assertEqual(in_rule.available_model_ids.mapped("model"), ["crm.lead"])
        with self.assertRaisesRegex(ValidationError, "warnings"):
            rule.write(
                {
                    "action_server_ids": [
                        Command.create(
                            {
                                "name": "No sequence",
                                "model_id": self.lead_model_id,
                                "usage": "base_automation",
                                "state": "sales_sequence_enroll",
                            }
                        )
                    ]
                }
            )

    def test_other_action_types_drop_the_sequence(self):
        sequence = self._create_sequence([self._email()])
        action = self._action("crm.lead", **self._enroll_action(sequence))
        action.state = "code"
        self.assertFalse(action.sales_sequence_id)


@tagged("post_install", "-at_install")
class TestShippedRules(AutomationCase):
    """The rules of data/base_automation_data.xml, switched on by an admin."""

    def _switch_on(self, rule_xmlid, sequence_xmlid):
        rule = self.env.ref("sales_sequence.%s" % rule_xmlid)
        sequence = self.env.ref("sales_sequence.%s" % sequence_xmlid)
        self.assertFalse(rule.active, "shipped rules are inactive")
        self.assertEqual(sequence.state, "draft")
        sequence.tz = "Europe/Brussels"  # shipped with the installing user's timezone
        sequence.action_activate()
        rule.active = True
        self.addCleanup(rule.write, {"active": False})
        return sequence

    def test_lost_lead_rule(self):
        sequence = self._switch_on("base_automation_lead_lost_reengage", "sales_sequence_lost_reengagement")
        lost, kept, __ = self.leads
        with freeze_time(MONDAY_9AM):
            lost.action_set_lost()
        enrollment = self._running(sequence)
        self.assertEqual(enrollment.lead_id, lost)
        self.assertEqual(enrollment.next_run_at, datetime(2026, 5, 1, 7, 0))  # 60 days later, 09:00 Brussels
        self.assertNotIn(kept, enrollment.lead_id)

    def test_inbound_tag_rule(self):
        sequence = self._switch_on("base_automation_lead_inbound", "sales_sequence_inbound")
        inbound = self.env["crm.lead"].create(
            {
                "name": "Website request",
                "email_from": "new@inbound.example.com",
                "user_id": self.user_rep.id,
                "tag_ids": [(4, self.env.ref("sales_sequence.crm_tag_inbound").id)],
            }
        )
        other = self.env["crm.lead"].create({"name": "Cold", "email_from": "cold@example.com"})
        self.assertEqual(self._running(sequence).lead_id, inbound)
        self.assertNotIn(other, self._running(sequence).lead_id)

    def test_inbound_lead_from_the_website_is_sent_by_the_sequence_owner(self):
        sequence = self._switch_on("base_automation_lead_inbound", "sales_sequence_inbound")
        public = self.env.ref("base.public_user")
        lead = (
            self.env["crm.lead"]
            .with_user(public)
            .sudo()
            .create(
                {
                    "name": "Contact form",
                    "email_from": "visitor@web.example.com",
                    "tag_ids": [(4, self.env.ref("sales_sequence.crm_tag_inbound").id)],
                }
            )
        )
        enrollment = self._running(sequence)
        self.assertEqual(enrollment.lead_id, lead)
        self.assertEqual(enrollment.user_id, sequence.user_id)

    def test_qualified_exit_rule(self):
        sequence = self._switch_on("base_automation_lead_qualified_exit", "sales_sequence_prospecting")
        enrollments = sequence.enroll(self.leads[:2])["enrolled"]
        self.leads[0].stage_id = self.env.ref("crm.stage_lead2")
        self.assertExited(enrollments.filtered(lambda e: e.lead_id == self.leads[0]), "stage_changed")
        self.assertEqual(enrollments.filtered(lambda e: e.lead_id == self.leads[1]).state, "active")

    def test_rule_switched_on_before_its_sequence(self):
        rule = self.env.ref("sales_sequence.base_automation_lead_lost_reengage")
        rule.active = True
        self.addCleanup(rule.write, {"active": False})
        self.leads[0].action_set_lost()  # no error for the rep
        self.assertFalse(self.leads[0].active)
        self.assertIn("the sequence is not active", self.leads[0].message_ids[0].body)


@tagged("post_install", "-at_install")
class TestAutomationSmartButton(AutomationCase):
    def test_count_lists_and_prefills_rules(self):
        inbound = self.env.ref("sales_sequence.sales_sequence_inbound")
        prospecting = self.env.ref("sales_sequence.sales_sequence_prospecting")
        self.assertEqual(inbound.automation_rule_count, 1)
        self.assertEqual(prospecting.automation_rule_count, 1)
        # an exit rule without a sequence exits from every sequence: it counts everywhere
        self._rule("on_archive", {"state": "sales_sequence_exit"})
        inbound.invalidate_recordset(["automation_rule_count"])
        self.assertEqual(inbound.automation_rule_count, 2)
        action = inbound.action_view_automation_rules()
        rules = self.env["base.automation"].with_context(active_test=False).search(action["domain"])
        self.assertIn(self.env.ref("sales_sequence.base_automation_lead_inbound"), rules)
        self.assertEqual(len(rules), 2)
        # "New" from that list: a lead rule that enrolls into the sequence
        form = Form(self.env["base.automation"].with_context(**action["context"]))
        form.trigger = "on_stage_set"
        form.trg_field_ref = self.stage_qualified.id
        rule = form.save()
        self.addCleanup(rule.unlink)
        self.assertEqual(rule.model_id.model, "crm.lead")
        self.assertEqual(rule.action_server_ids.state, "sales_sequence_enroll")
        self.assertEqual(rule.action_server_ids.sales_sequence_id, inbound)
        inbound.invalidate_recordset(["automation_rule_count"])
        self.assertEqual(inbound.automation_rule_count, 3)
        self.leads[0].stage_id = self.stage_qualified
        inbound.action_activate()
        self.leads[1].stage_id = self.stage_qualified
        self.assertEqual(self._running(inbound).lead_id, self.leads[1])
