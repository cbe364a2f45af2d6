from odoo import fields, models


class ResPartner(models.Model):
    _name = "res.partner"
    _inherit = ["res.partner", "sales.sequence.target.mixin"]
    _sequence_enrollment_field = "partner_id"

    sequence_enrollment_ids = fields.One2many(
        "sales.sequence.enrollment",
        "partner_id",
        string="Sequence Enrollments",
        groups="sales_sequence.group_sales_sequence_user",
    )
