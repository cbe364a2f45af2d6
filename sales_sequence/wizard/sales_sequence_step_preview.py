from odoo import api, fields, models
from odoo.exceptions import UserError

from ..models.sales_sequence_step import PREVIEW_MODELS
from ..tools import render


class SalesSequenceStepPreview(models.TransientModel):
    """An email step rendered for one contact or lead, exactly as it would be
    sent (footer and signature included), re-rendered when the record changes;
    "Send Me a Test" mails it to the current user."""

    _name = "sales.sequence.step.preview"
    _description = "Sales Sequence Email Preview"

    step_id = fields.Many2one(
        "sales.sequence.step",
        "Email",
        required=True,
        readonly=True,
        ondelete="cascade",
    )
    record_ref = fields.Reference(
        PREVIEW_MODELS,
        "Preview For",
        compute="_compute_record_ref",
        readonly=False,
        store=True,
    )
    user_id = fields.Many2one(
        "res.users",
        "Sender",
        domain="[('share', '=', False)]",
        help="Empty: the salesperson of the contact or lead, else you.",
    )
    email_to = fields.Char("To", compute="_compute_preview")
    email_cc = fields.Char("Cc", compute="_compute_preview")
    email_bcc = fields.Char("Bcc", compute="_compute_preview")
    subject = fields.Char(compute="_compute_preview")
    body_html = fields.Html("Body", compute="_compute_preview")
    error = fields.Text(compute="_compute_preview")

    @api.depends("step_id")
    def _compute_record_ref(self):
        for preview in self:
            record = preview.step_id._default_preview_record() if preview.step_id else None
            preview.record_ref = "%s,%s" % (record._name, record.id) if record else False

    @api.depends("step_id", "record_ref", "user_id")
    def _compute_preview(self):
        for preview in self:
            preview.update(preview._render())

    def _render(self):
        """Field values showing the step rendered for the chosen record (or
        why it cannot be)."""
        record = self.record_ref
        empty = dict.fromkeys(("email_to", "email_cc", "email_bcc", "subject", "body_html", "error"), False)
        if not self.step_id or not record:
            return dict(empty, error=self.env._("Pick a contact or a lead to see the email as they would get it."))
        try:
            email = self.step_id._render_preview(record, user=self.user_id or None)
        except render.TemplateError as error:
            return dict(empty, error=self.env._("This email does not render: %s", error))
        except UserError as error:
            return dict(empty, error=str(error))
        return dict(
            empty,
            email_to=email.email_to or False,
            email_cc=", ".join(email.cc) or False,
            email_bcc=", ".join(email.bcc) or False,
            subject=email.subject,
            body_html=email.body,
        )

    def action_send_test(self):
        """Mail the email, rendered for the chosen record, to the current user."""
        self.ensure_one()
        if not self.record_ref:
            raise UserError(self.env._("Pick a contact or a lead to render the test email for."))
        return self.step_id._send_test(self.record_ref, sender=self.user_id or None)
