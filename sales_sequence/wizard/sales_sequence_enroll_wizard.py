from odoo import _, api, fields, models
from odoo.exceptions import UserError


class SalesSequenceEnrollWizard(models.TransientModel):
    """Enroll the selected contacts or leads into a sequence, then show what happened."""

    _name = "sales.sequence.enroll.wizard"
    _description = "Enroll in Sales Sequence"

    res_model = fields.Selection(
        [("res.partner", "Contacts"), ("crm.lead", "Leads")], required=True, default="res.partner",
    )
    partner_ids = fields.Many2many("res.partner", string="Contacts")
    lead_ids = fields.Many2many("crm.lead", string="Leads")
    sequence_id = fields.Many2one(
        "sales.sequence", required=True,
        domain="[('state', '=', 'active'), ('company_id', 'in', allowed_company_ids)]",
    )
    user_id = fields.Many2one(
        "res.users", "Sender", domain="[('share', '=', False)]",
        help="Sends the emails. Empty: each record's salesperson, else you.",
    )
    start_at = fields.Datetime("Start", help="Empty: now (the first step follows its own delay).")
    record_count = fields.Integer(compute="_compute_record_count")
    state = fields.Selection([("draft", "Draft"), ("done", "Done")], default="draft")
    enrolled_count = fields.Integer(readonly=True)
    duplicate_count = fields.Integer(readonly=True)
    failed_count = fields.Integer(readonly=True)
    result_message = fields.Text(readonly=True)

    @api.depends("res_model", "partner_ids", "lead_ids")
    def _compute_record_count(self):
        for wizard in self:
            wizard.record_count = len(wizard._records())

    @api.model
    def _action_open(self, records):
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "sales_sequence.action_sales_sequence_enroll_wizard"
        )
        field_name = "lead_ids" if records._name == "crm.lead" else "partner_ids"
        action["context"] = {
            "default_res_model": records._name,
            "default_%s" % field_name: records.ids,
        }
        return action

    def _records(self):
        self.ensure_one()
        return self.lead_ids if self.res_model == "crm.lead" else self.partner_ids

    def action_enroll(self):
        self.ensure_one()
        records = self._records()
        if not records:
            raise UserError(_("Select at least one contact or lead to enroll."))
        result = self.sequence_id.enroll(records, user=self.user_id or None, start_at=self.start_at)
        reasons = result["failure_reasons"]
        self.write({
            "state": "done",
            "enrolled_count": len(result["enrolled"]),
            "duplicate_count": len(result["skipped_duplicates"]),
            "failed_count": len(result["failed"]),
            "result_message": "\n".join(
                "%s: %s" % (record.display_name, reasons[record.id]) for record in result["failed"]
            ),
        })
        return {
            "type": "ir.actions.act_window", "res_model": self._name, "res_id": self.id,
            "view_mode": "form", "views": [(False, "form")], "target": "new",
        }

    def action_view_enrollments(self):
        return self.sequence_id.action_view_enrollments()
