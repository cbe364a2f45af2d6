from odoo import api, fields, models

# lead changes that can end an enrollment (won, lost, stage, a new deal)
EXIT_FIELDS = {"stage_id", "active", "probability", "won_status", "type", "partner_id"}


class CrmLead(models.Model):
    _name = "crm.lead"
    _inherit = ["crm.lead", "sales.sequence.target.mixin"]
    _sequence_enrollment_field = "lead_id"

    sequence_enrollment_ids = fields.One2many(
        "sales.sequence.enrollment",
        "lead_id",
        string="Sequence Enrollments",
        groups="sales_sequence.group_sales_sequence_user",
    )

    @api.model_create_multi
    def create(self, vals_list):
        leads = super().create(vals_list)
        # a new opportunity is a new deal for its contact's company
        opportunities = leads.filtered(lambda lead: lead.type == "opportunity" and lead.partner_id)
        if opportunities:
            # sudo: a new deal exits every sender's enrollments at that company
            self.env["sales.sequence.enrollment"].sudo()._exit_on_lead_change(opportunities)
        return leads

    def write(self, vals):
        result = super().write(vals)
        if EXIT_FIELDS & set(vals):
            # sudo: a won, lost or moved lead exits every sender's enrollments on it
            self.env["sales.sequence.enrollment"].sudo()._exit_on_lead_change(self)
        return result
