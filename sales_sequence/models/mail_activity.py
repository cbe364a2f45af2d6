"""Sequence tasks: the activities that call, LinkedIn, task and manual-email
steps create. The rep works them from *My Sequence Tasks* with what they need
on the card (contact, company, phone, the sequence); a manual email opens the
composer with the step's email rendered; done or cancelled, a task moves its
enrollment on."""

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..engine import step_types
from .sales_sequence_step import TASK_PRIORITIES
from .sales_sequence_trace import CALL_OUTCOMES


class MailActivity(models.Model):
    _inherit = "mail.activity"

    sales_sequence_trace_ids = fields.One2many(
        "sales.sequence.trace",
        "activity_id",
        string="Sequence Steps",
        readonly=True,
    )
    is_sales_sequence_task = fields.Boolean(
        "Sequence Task",
        compute="_compute_sales_sequence_task",
        search="_search_is_sales_sequence_task",
    )
    sales_sequence_id = fields.Many2one("sales.sequence", "Sequence", compute="_compute_sales_sequence_task")
    sales_sequence_step_type = fields.Selection(
        step_types.selection(),
        "Step Type",
        compute="_compute_sales_sequence_task",
    )
    sales_sequence_writes_email = fields.Boolean(
        "Email to Write",
        compute="_compute_sales_sequence_task",
        help="The task is an email the rep writes in the composer.",
    )
    sales_sequence_partner_id = fields.Many2one("res.partner", "Contact", compute="_compute_sales_sequence_task")
    sales_sequence_contact = fields.Char("Contact Name", compute="_compute_sales_sequence_task")
    sales_sequence_lead_id = fields.Many2one("crm.lead", "Lead", compute="_compute_sales_sequence_task")
    sales_sequence_company = fields.Char("Company", compute="_compute_sales_sequence_task")
    sales_sequence_phone = fields.Char("Phone", compute="_compute_sales_sequence_task")
    sales_sequence_logs_call = fields.Boolean(
        "Call to Log",
        compute="_compute_sales_sequence_task",
        help="The task is a sequence call: the rep logs its outcome.",
    )
    sales_sequence_call_outcome = fields.Selection(
        CALL_OUTCOMES,
        "Call Outcome",
        compute="_compute_sales_sequence_task",
    )
    sales_sequence_priority = fields.Selection(
        TASK_PRIORITIES,
        "Task Priority",
        default="0",
        readonly=True,
        help="The priority the sequence step gives its tasks.",
    )

    @api.depends("sales_sequence_trace_ids")
    def _compute_sales_sequence_task(self):
        for activity in self:
            # the saved task's own step, never the traces given to an unsaved form (``onchange`` is
            # public: any trace id would show its prospect); sudo: the assignee works the task even
            # when the enrollment is another rep's
            trace = activity._origin.sudo().sales_sequence_trace_ids[:1]
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
                lead.partner_name
                or partner.commercial_company_name
                or (partner.name if partner.is_company else "")
                or ""
            )
            activity.sales_sequence_phone = step_types.call_number(lead, partner)
            activity.sales_sequence_logs_call = step_type.logs_call
            activity.sales_sequence_call_outcome = trace.call_outcome

    def _search_is_sales_sequence_task(self, operator, value):
        if operator != "in":
            return NotImplemented
        # sudo: a task assigned to a rep is theirs, whoever sends the sequence
        traces = self.env["sales.sequence.trace"].sudo()._search([("activity_id", "!=", False)])
        if True in value:
            return [("id", "in", traces.subselect("activity_id"))]
        return [("id", "not in", traces.subselect("activity_id"))]

    def _to_store_defaults(self, target):
        """The chatter's activities know which ones are sequence calls (their
        "Mark Done" asks for the call's outcome) and emails to write."""
        return super()._to_store_defaults(target) + ["sales_sequence_logs_call", "sales_sequence_writes_email"]

    # ------------------------------------------------------------------
    # Calls: the outcome, logged from the Done dialog or My Sequence Tasks
    # ------------------------------------------------------------------

    def action_sales_sequence_log_call(self, outcome, note=False):
        """Log the outcome of this sequence call (see
        ``sales.sequence.trace.action_log_call``), which marks it done."""
        self.ensure_one()
        # sudo: the assignee may not read the enrollment's trace; action_log_call checks their right on the task
        trace = self.sudo().sales_sequence_trace_ids[:1]
        if not trace:
            raise UserError(self.env._("This task is not a call of a sequence."))
        return trace.with_env(self.env).action_log_call(outcome, note=note)

    def action_sales_sequence_open_log_call(self):
        """The dialog asking how the call went."""
        self.ensure_one()
        if not (self.sales_sequence_logs_call and self.active):
            raise UserError(self.env._("This task is not a call of a sequence waiting for its outcome."))
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Log Call"),
            "res_model": "sales.sequence.log.call",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {"default_activity_id": self.id},
        }

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
        traces = (
            self.env["sales.sequence.trace"].sudo().search([("activity_id", "in", self.ids), ("state", "=", "task")])
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
        email = enrollment._manual_email_draft(trace.step_id)
        target = enrollment._target()
        # copies in Cc and Bcc become recipients the rep sees (each recipient
        # gets their own email: the prospect never sees them)
        copies = (
            target._partner_find_from_emails_single(email.cc + email.bcc, no_create=False)
            if email.cc or email.bcc
            else self.env["res.partner"]
        )
        # the step's attachments, copied for the composer as Odoo's templates do (sudo: the
        # rep may not read the step of another team's sequence; the copies are the rep's)
        attachments = (
            self.env["ir.attachment"]
            .sudo()
            .browse(email.attachment_ids)
            .copy({"res_model": "mail.compose.message", "res_id": 0})
        )
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
                "default_subject": email.subject,
                "default_body": email.body,
                "default_partner_ids": (recipient | copies).ids,
                "default_attachment_ids": attachments.ids,
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
        self.sudo().sales_sequence_trace_ids.filtered(lambda t: step_types.get(t.step_type).has_email).write(
            {
                "message_id": message.message_id,
                "mail_subject": message.subject,
            }
        )
        self.action_done()
