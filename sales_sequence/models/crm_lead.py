from odoo import fields, models


class CrmLead(models.Model):
    _name = "crm.lead"
    _inherit = ["crm.lead", "sales.sequence.target.mixin"]
    _sequence_enrollment_field = "lead_id"

    sequence_enrollment_ids = fields.One2many(
        "sales.sequence.enrollment", "lead_id", string="Sequence Enrollments",
        groups="sales_sequence.group_sales_sequence_user",
    )

    def write(self, vals):
        result = super().write(vals)
        if {"stage_id", "active", "probability", "won_status"} & set(vals):
            # sudo: a won, lost or moved lead exits every sender's enrollments on it
            self.env["sales.sequence.enrollment"].sudo()._exit_on_lead_change(self)
        return result
