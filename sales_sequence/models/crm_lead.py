from odoo import fields, models


class CrmLead(models.Model):
    _name = "crm.lead"
    _inherit = ["crm.lead", "sales.sequence.target.mixin"]
    _sequence_enrollment_field = "lead_id"

    sequence_enrollment_ids = fields.One2many(
        "sales.sequence.enrollment", "lead_id", string="Sequence Enrollments",
    )
