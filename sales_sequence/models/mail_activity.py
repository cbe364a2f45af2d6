"""Sequence tasks: the activities that call, LinkedIn, task and manual-email
steps create. The rep works them from *My Sequence Tasks* with what they need
on the card (contact, company, phone, the sequence); a manual email opens the
composer with the step's email rendered; done or cancelled, a task moves its
enrollment on."""

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..engine import step_types


class MailActivity(models.Model):
    _inherit = "mail.activity"

    sales_sequence_trace_ids = fields.One2many(
        "sales.sequence.trace", "activity_id", string="Sequence Steps", readonly=True,
    )
    is_sales_sequence_task = fields.Boolean(
        "Sequence Task", compute="_compute_sales_sequence_task", search="_search_is_sales_sequence_task",
    )
    sales_sequence_id = fields.Many2one("sales.sequence", "Sequence", compute="_compute_sales_sequence_task")
    sales_sequence_step_type = fields.Selection(
        step_types.selection(), "Step Type", compute="_compute_sales_sequence_task",
    )
    sales_sequence_writes_email = fields.Boolean(
        "Email to Write", compute="_compute_sales_sequence_task",
        help="The task is an email the rep writes in the composer.",
    )
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
            step_type = step_types.get(trace.step_type)
            activity.is_sales_sequence_task = bool(trace)
            activity.sales_sequence_id = trace.sequence_id
            activity.sales_sequence_step_type = trace.step_type
            activity.sales_sequence_writes_email = step_type.has_email and step_type.creates_activity
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
    # Done or cancelled: the enrollment goes on
    # ------------------------------------------------------------------

    def _action_done(self, feedback=False, attachment_ids=None):
        self._sales_sequence_task_finished(done=True)
        return super()._action_done(feedback=feedback, attachment_ids=attachment_ids)

    def unlink(self):
        self._sales_sequence_task_finished(done=False)
        return super().unlink()

    def _sales_sequence_task_finished(self, done):
        """Sequence tasks done or cancelled: their traces follow them (done, or
        skipped when cancelled), also when nobody waits for the task, and the
        enrollments waiting for them go on."""
        # sudo: a finished task updates its trace and moves its enrollment on, whoever sends it
        traces = self.env["sales.sequence.trace"].sudo().search(
            [("activity_id", "in", self.ids), ("state", "=", "task")]
        )
        traces.write({"state": "done"} if done else {"state": "skipped", "skip_reason": "task_cancelled"})
        # sudo: the enrollment waiting for the task goes on, whoever sends it
        self.env["sales.sequence.enrollment"].sudo().search(
            [("waiting_activity_id", "in", self.ids)]
        )._on_task_finished()

    # ------------------------------------------------------------------
    # Manual emails
    # ------------------------------------------------------------------

    def action_sales_sequence_write_email(self):
        """The composer, pre-filled with the step's email rendered for the
        prospect; sending it marks the task done (see mail.compose.message)."""
        self.ensure_one()
        self.check_access("write")
        # sudo: the task's step (the assignee may not see the enrollment); the task's access is checked above
        trace = self.sudo().sales_sequence_trace_ids[:1]
        if not (self.sales_sequence_writes_email and self.active):
            raise UserError(self.env._("This task is not an email to write for a sequence."))
        enrollment = trace.enrollment_id
        recipient = enrollment._manual_email_recipient()
        subject, body = enrollment._manual_email_draft(trace.step_id)
        target = enrollment._target()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Write Email"),
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
        # sudo: the trace keeps the Message-ID of what the assignee sent (the task's access is checked above)
        self.sudo().sales_sequence_trace_ids.filtered(lambda t: step_types.get(t.step_type).has_email).write({
            "message_id": message.message_id, "mail_subject": message.subject,
        })
        self.action_done()
