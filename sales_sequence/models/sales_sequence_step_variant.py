from odoo import api, fields, models


class SalesSequenceStepVariant(models.Model):
    """An A/B variant of an email step: another subject and body, drawn by weight."""

    _name = "sales.sequence.step.variant"
    _description = "Sales Sequence Step Variant"
    _order = "step_id, id"

    step_id = fields.Many2one("sales.sequence.step", required=True, ondelete="cascade", index=True)
    name = fields.Char(compute="_compute_name")
    subject = fields.Char(required=True, translate=True)
    body_html = fields.Html("Body", translate=True, sanitize_attributes=False, sanitize_overridable=True)
    weight = fields.Integer(default=1, help="Share of the enrollments that get this variant.")
    trace_ids = fields.One2many("sales.sequence.trace", "variant_id")

    _weight_positive = models.Constraint("CHECK (weight >= 0)", "A variant's weight cannot be negative.")

    @api.depends("step_id.variant_ids")
    def _compute_name(self):
        for variant in self:
            siblings = variant.step_id.variant_ids.ids
            position = siblings.index(variant.id) if variant.id in siblings else len(siblings)
            variant.name = "Variant %s" % chr(ord("A") + position % 26)

    @api.constrains("subject", "body_html")
    def _check_templates(self):
        step_model = self.env["sales.sequence.step"]
        for variant in self:
            for field_name in ("subject", "body_html"):
                step_model._validate_source(variant[field_name], variant._fields[field_name], variant.name)
