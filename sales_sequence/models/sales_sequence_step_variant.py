from odoo import api, fields, models
from odoo.fields import Domain

from .sales_sequence_enrollment import RUNNING_STATES
from .sales_sequence_metrics_mixin import merge
from .sales_sequence_step import own_attachments

TEMPLATE_FIELDS = ("subject", "body_html", "email_cc", "email_bcc")


class SalesSequenceStepVariant(models.Model):
    """An A/B variant of an email step: another subject and body, drawn by weight."""

    _name = "sales.sequence.step.variant"
    _description = "Sales Sequence Step Variant"
    _inherit = ["sales.sequence.metrics.mixin"]
    _order = "step_id, id"
    _rec_names_search = ["subject", "step_id"]

    step_id = fields.Many2one("sales.sequence.step", required=True, ondelete="cascade", index=True)
    name = fields.Char(compute="_compute_name")
    subject = fields.Char(required=True, translate=True)
    body_html = fields.Html("Body", translate=True, sanitize_attributes=False, sanitize_overridable=True)
    weight = fields.Integer(default=1, help="Share of the enrollments that get this variant.")
    email_cc = fields.Char("Cc", help="Empty (with Bcc empty too): the step's Cc and Bcc.")
    email_bcc = fields.Char("Bcc", help="Empty (with Cc empty too): the step's Cc and Bcc.")
    attachment_ids = fields.Many2many(
        "ir.attachment",
        "sales_sequence_step_variant_attachment_rel",
        "variant_id",
        "attachment_id",
        string="Attachments",
        help="Empty: the step's attachments.",
    )
    # stored: the engine reads the attachments only of the variants that have some
    has_attachments = fields.Boolean(compute="_compute_has_attachments", store=True)
    trace_ids = fields.One2many("sales.sequence.trace", "variant_id")
    # A/B statistics on the step's metric (sent emails only)
    ab_sent_count = fields.Integer("A/B Sent", compute="_compute_ab_stats")
    ab_success_count = fields.Integer("A/B Successes", compute="_compute_ab_stats")
    ab_rate = fields.Float("A/B Rate", compute="_compute_ab_stats", digits=(16, 4))
    is_ab_winner = fields.Boolean("Winner", compute="_compute_ab_stats")

    _weight_positive = models.Constraint("CHECK (weight >= 0)", "A variant's weight cannot be negative.")

    @api.depends("step_id.variant_ids")
    def _compute_name(self):
        for variant in self:
            siblings = variant.step_id.variant_ids.ids
            position = siblings.index(variant.id) if variant.id in siblings else len(siblings)
            variant.name = "Variant %s" % chr(ord("A") + position % 26)

    @api.depends("attachment_ids")
    def _compute_has_attachments(self):
        for variant in self:
            variant.has_attachments = bool(variant.attachment_ids)

    @api.model_create_multi
    def create(self, vals_list):
        return own_attachments(super().create(vals_list))

    def write(self, vals):
        if vals.get("step_id") and not self.env.su:
            # the record rules check the step the variant leaves, not the one it joins
            self.env["sales.sequence.step"].browse(vals["step_id"]).check_access("write")
        result = super().write(vals)
        if "attachment_ids" in vals:
            own_attachments(self)
        return result

    @api.constrains(*TEMPLATE_FIELDS)
    def _check_templates(self):
        step_model = self.env["sales.sequence.step"]
        for variant in self:
            for field_name in TEMPLATE_FIELDS:
                step_model._validate_source(variant[field_name], variant._fields[field_name], variant.name)

    @api.constrains("weight")
    def _check_winner_weight(self):
        self.step_id.filtered(lambda step: step.ab_winner_id in self)._check_ab_winner()

    @api.depends("step_id.ab_metric", "step_id.ab_winner_id")
    def _compute_ab_stats(self):
        counts = self.step_id._ab_counts()
        for variant in self:
            count = counts.get(variant._origin, {})
            sent = count.get("sent", 0)
            successes = count.get(variant.step_id.ab_metric, 0)
            variant.ab_sent_count = sent
            variant.ab_success_count = successes
            variant.ab_rate = successes / sent if sent else 0.0
            winner = variant.step_id.ab_winner_id._origin
            variant.is_ab_winner = bool(winner) and winner == variant._origin

    def action_make_winner(self):
        """Manual pick: this variant wins its step's A/B test, whatever the statistics say."""
        self.ensure_one()
        step = self.step_id
        step.check_access("write")
        if step.ab_winner_id == self:
            return True
        step._set_ab_winner(self, step._ab_counts())
        return True

    # ------------------------------------------------------------------
    # Analytics (sales.sequence.metrics.mixin)
    # ------------------------------------------------------------------

    def _compute_currency_id(self):
        for variant in self:
            variant.currency_id = variant.step_id.company_id.currency_id or self.env.company.currency_id

    def _metric_totals(self):
        # sudo: a variant's numbers count every sender's traces
        Trace = self.env["sales.sequence.trace"].sudo()
        sequence_ids = self.step_id.sequence_id.ids
        mine = Domain("variant_id", "in", self.ids)
        totals = self._metric_trace_totals(mine, "variant_id")
        running = Trace._read_group(
            mine & Domain("enrollment_id.state", "in", RUNNING_STATES),
            ["variant_id"],
            ["__count"],
        )
        merge(totals, {variant.id: {"active_count": count} for variant, count in running})
        merge(totals, self._metric_ending_totals(sequence_ids, "variant_id"))
        return merge(totals, self._metric_won_totals(sequence_ids, "variant_id"))
