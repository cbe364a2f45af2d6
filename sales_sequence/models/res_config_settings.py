from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    sales_sequence_max_concurrent = fields.Integer(
        related="company_id.sales_sequence_max_concurrent", readonly=False,
    )
