"""The rep's workspace: the activities sequences create (calls, LinkedIn
touches, emails to write, tasks), with what the rep needs to work them
without leaving the list, and manual emails written in the composer."""
from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..tools import ab, render
from .sales_sequence_step import STEP_TYPES
from .step_runner import StepRunner


class MailActivity(models.Model):
    _inherit = "mail.activity"

    sales_sequence_trace_ids = fields.One2many(
        "sales.sequence.trace", "activity_id", string="Sequence Steps", readonly=True,
    )
    is_sales_sequence_task = fields.Boolean(
        "Sequence Task", compute="_compute_sales_sequence_task", search="_search_is_sales_sequence_task",
    )
    sales_sequence_id = fields.Many2one("sales.sequence", "Sequence", compute="_compute_sales_sequence_task")
    sales_sequence_step_id = fields.Many2one(
        "sales.sequence.step", "Sequence Step", compute="_compute_sales_sequence_task",
    )
    sales_sequence_step_type = fields.Selection(STEP_TYPES, "Step Type", compute="_compute_sales_sequence_task")
    sales_sequence_partner_id = fields.Many2one("res.partner", "Contact", compute="_compute_sales_sequence_task")
    sales_sequence_contact = fields.Char("Contact Name", compute="_compute_sales_sequence_task")
    sales_sequence_lead_id = fields.Many2one("crm.lead", "Lead", compute="_compute_sales_sequence_task")
    sales_sequence_company = fields.Char("Company", compute="_compute_sales_sequence_task")
    sales_sequence_phone = fields.Char("Phone", compute="_compute_sales_sequence_task")

    @api.depends("sales_sequence_trace_ids")
    def _compute_sales_sequence_task(self):
        # sudo: the assignee works the task even when the enrollment is another rep's
        for activity, activity_sudo in zip(self, self.sudo()):
            trace = activity_sudo.sales_sequence_trace_ids[:1]
            enrollment = trace.enrollment_id
            lead, partner = enrollment.lead_id, enrollment.partner_id
            activity.is_sales_sequence_task = bool(trace)
            activity.sales_sequence_id = trace.sequence_id
            activity.sales_sequence_step_id = trace.step_id
            activity.sales_sequence_step_type = trace.step_type
            activity.sales_sequence_partner_id = partner
            activity.sales_sequence_lead_id = lead
            activity.sales_sequence_contact = (lead.contact_name if lead else "") or partner.name or ""
            activity.sales_sequence_company = (
                lead.partner_name or partner.commercial_company_name
                or (partner.name if partner.is_company else "") or ""
            )
            activity.sales_sequence_phone = lead.phone or partner.phone or ""

    def _search_is_sales_sequence_task(self, operator, value):
        if operator != "in":
            return NotImplemented
        # sudo: a task assigned to a rep is theirs, whoever sends the sequence
        traces = self.env["sales.sequence.trace"].sudo()._search([("activity_id", "!=", False)])
        if True in value:
            return [("id", "in", traces.subselect("activity_id"))]
        return [("id", "not in", traces.subselect("activity_id"))]

    # ------------------------------------------------------------------
    # Manual emails
    # ------------------------------------------------------------------

    def action_sales_sequence_write_email(self):
        """The composer, pre-filled with the step's email rendered for the
        prospect; sending it marks the task done (see mail.compose.message)."""
        self.ensure_one()
        self.check_access("write")
        trace = self.sudo().sales_sequence_trace_ids[:1]
        if trace.step_type != "manual_email" or not self.active:
            raise UserError(_("This task is not an email to write for a sequence."))
        enrollment = trace.enrollment_id
        recipient = enrollment._manual_email_recipient()
        subject, body = enrollment._manual_email_draft(trace.step_id)
        target = enrollment._target()
        return {
            "type": "ir.actions.act_window",
            "name": _("Write Email"),
            "res_model": "mail.compose.message",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {
                "default_composition_mode": "comment",
                "default_model": target._name,
                "default_res_ids": target.ids,
                "default_subject": subject,
                "default_body": body,
                "default_partner_ids": recipient.ids,
                "default_sales_sequence_activity_id": self.id,
            },
        }

    def _sales_sequence_email_sent(self, message):
        """The email of this manual-email task left through the composer: its
        trace keeps the Message-ID (a reply to it counts, and exits), and the
        task is done, which moves the enrollment on."""
        self.ensure_one()
        self.check_access("write")
        self.sudo().sales_sequence_trace_ids.filtered(lambda t: t.step_type == "manual_email").write({
            "message_id": message.message_id, "mail_subject": message.subject,
        })
        self.action_done()


class SalesSequenceEnrollment(models.Model):
    _inherit = "sales.sequence.enrollment"

    def _manual_email_draft(self, step):
        """Subject and body of a manual email step for this enrollment, rendered
        as the engine renders its emails (recipient's language, signature,
        footer with the enrollment's own unsubscribe link)."""
        self.ensure_one()
        variant = ab.pick_variant(step.variant_ids, self.id) if step.variant_ids else None
        try:
            subject, body, __ = StepRunner(self, fields.Datetime.now()).render_email(self, step, variant)
        except render.TemplateError as error:
            raise UserError(_("The step “%(step)s” does not render: %(error)s", step=step.name, error=error)) from error
        return subject, body

    def _manual_email_recipient(self):
        """The contact to write to: the one with the enrollment's recipient
        address (created when the lead has an address but no contact)."""
        self.ensure_one()
        email = self._recipient_email()
        if not email:
            raise UserError(_("%s has no email address.", self._target().display_name))
        if self.env["mail.blacklist"].sudo().search_count([("email", "=", email)], limit=1):
            raise UserError(_(
                "%s is on the suppression list (unsubscribed or blacklisted): "
                "mark the task done or cancel it instead.", email,
            ))
        if self.partner_id.email_normalized == email:
            return self.partner_id
        return self._target()._partner_find_from_emails_single([email], no_create=False)
