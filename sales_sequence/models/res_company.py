from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    sales_sequence_max_concurrent = fields.Integer(
        "Max Sequences per Contact",
        default=0,
        help="How many sequences one contact (or lead) may run in at the same time. 0 means no limit.",
    )

    _sales_sequence_max_concurrent_positive = models.Constraint(
        "CHECK (sales_sequence_max_concurrent >= 0)",
        "The maximum number of sequences per contact cannot be negative.",
    )
