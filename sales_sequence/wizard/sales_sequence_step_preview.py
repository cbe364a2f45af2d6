from odoo import api, fields, models
from odoo.exceptions import UserError

from ..tools import render

PREVIEW_MODELS = [("res.partner", "Contact"), ("crm.lead", "Lead")]


class SalesSequenceStepPreview(models.TransientModel):
    """An email step rendered for one contact or lead, exactly as it would be
    sent (footer and signature included), re-rendered when the record changes."""

    _name = "sales.sequence.step.preview"
    _description = "Sales Sequence Email Preview"

    step_id = fields.Many2one(
        "sales.sequence.step", "Email", required=True, readonly=True, ondelete="cascade",
    )
    record_ref = fields.Reference(
        PREVIEW_MODELS, "Preview For", compute="_compute_record_ref", readonly=False, store=True,
    )
    user_id = fields.Many2one(
        "res.users", "Sender", domain="[('share', '=', False)]",
        help="Empty: the salesperson of the contact or lead, else you.",
    )
    email_to = fields.Char("To", compute="_compute_preview")
    subject = fields.Char(compute="_compute_preview")
    body_html = fields.Html("Body", compute="_compute_preview")
    error = fields.Text(compute="_compute_preview")

    @api.depends("step_id")
    def _compute_record_ref(self):
        for preview in self:
            record = preview._default_record(preview.step_id) if preview.step_id else None
            preview.record_ref = "%s,%s" % (record._name, record.id) if record else False

    @api.model
    def _default_record(self, step):
        """The first contact (or lead) enrolled in the step's sequence, else a
        contact with an email address."""
        enrollment = self.env["sales.sequence.enrollment"].search(
            [("sequence_id", "=", step.sequence_id.id)], order="enrolled_at, id", limit=1,
        )
        if enrollment:
            return enrollment.lead_id or enrollment.partner_id
        return self.env["res.partner"].search(
            [("email", "!=", False), ("is_company", "=", False), ("user_ids", "=", False)], limit=1,
        )

    @api.depends("step_id", "record_ref", "user_id")
    def _compute_preview(self):
        for preview in self:
            preview.update(preview._render())

    def _render(self):
        """Field values showing the step rendered for the chosen record (or
        why it cannot be)."""
        record = self.record_ref
        empty = {"email_to": False, "subject": False, "body_html": False, "error": False}
        if not self.step_id or not record:
            return dict(empty, error=self.env._("Pick a contact or a lead to see the email as they would get it."))
        try:
            rendered = self.step_id._render_preview(record, user=self.user_id or None)
        except render.TemplateError as error:
            return dict(empty, error=self.env._("This email does not render: %s", error))
        except UserError as error:
            return dict(empty, error=str(error))
        return dict(empty, email_to=rendered["email_to"] or False, subject=rendered["subject"],
                    body_html=rendered["body"])
