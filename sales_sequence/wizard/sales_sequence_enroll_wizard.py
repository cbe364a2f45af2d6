from odoo import api, fields, models
from odoo.exceptions import UserError

from ..engine import settings
from ..models.sales_sequence_guard_mixin import is_manager


class SalesSequenceEnrollWizard(models.TransientModel):
    """Enroll the selected contacts or leads into a sequence: preview who
    will be enrolled or skipped, pick options, then show the outcome (or
    hand a large selection over to a background job)."""

    _name = "sales.sequence.enroll.wizard"
    _description = "Enroll in Sales Sequence"

    res_model = fields.Selection(
        [("res.partner", "Contacts"), ("crm.lead", "Leads")],
        required=True,
        default="res.partner",
    )
    partner_ids = fields.Many2many("res.partner", string="Contacts")
    lead_ids = fields.Many2many("crm.lead", string="Leads")
    sequence_id = fields.Many2one(
        "sales.sequence",
        required=True,
        domain="[('state', '=', 'active'), ('company_id', 'in', allowed_company_ids)]",
    )
    user_id = fields.Many2one(
        "res.users",
        "Sender",
        domain="[('share', '=', False)]",
        default=lambda self: self._default_user(),
        help="Sends the emails. Empty: each record's salesperson, else the sequence's owner. "
        "Only sequence managers send in someone else's name.",
    )
    start_at = fields.Datetime("Start", help="Empty: now (the first step follows its own delay).")
    # options
    use_company_contacts = fields.Boolean(
        "Enroll the Company's Contacts Instead",
        help="Selected companies are replaced by their contacts (companies without contacts stay).",
    )
    skip_running = fields.Boolean(
        "Skip Contacts Active in Any Sequence",
        help="Leave out whoever is running (or paused) in another sequence.",
    )
    skip_recent = fields.Boolean("Skip Contacts Emailed Recently")
    recent_days = fields.Integer(
        "Emailed in the Last (days)",
        default=14,
        help="Any email sent to the address counts, not only sequence emails.",
    )
    stagger_days = fields.Integer(
        "Stagger Start Over (days)",
        default=0,
        help="Spread the starts evenly over the send window of this many sending days. 0: everybody starts now.",
    )
    # selection and preview
    record_count = fields.Integer("Selected", compute="_compute_record_count")
    company_count = fields.Integer("Companies Selected", compute="_compute_record_count")
    preview_enroll_count = fields.Integer("Will Be Enrolled", compute="_compute_preview")
    preview_duplicate_count = fields.Integer("Already in This Sequence", compute="_compute_preview")
    preview_elsewhere_count = fields.Integer("Active in Another Sequence", compute="_compute_preview")
    preview_no_email_count = fields.Integer("Without Email", compute="_compute_preview")
    preview_suppressed_count = fields.Integer("Suppressed", compute="_compute_preview")
    preview_recent_count = fields.Integer("Recently Contacted", compute="_compute_preview")
    preview_skip_count = fields.Integer("Will Be Skipped by Options", compute="_compute_preview")
    preview_fail_count = fields.Integer("Cannot Be Enrolled", compute="_compute_preview")
    preview_superseded_count = fields.Integer("Will Leave a Lower-Priority Sequence", compute="_compute_preview")
    # outcome
    state = fields.Selection([("draft", "Draft"), ("queued", "Queued"), ("done", "Done")], default="draft")
    batch_id = fields.Many2one("sales.sequence.enroll.batch", readonly=True)
    # compute_sudo=False: read with the user's rights (related fields compute
    # as superuser by default), the wizard being created with any ids
    enrolled_count = fields.Integer(related="batch_id.enrolled_count", compute_sudo=False)
    duplicate_count = fields.Integer(related="batch_id.duplicate_count", compute_sudo=False)
    skipped_count = fields.Integer(related="batch_id.skipped_count", compute_sudo=False)
    failed_count = fields.Integer(related="batch_id.failed_count", compute_sudo=False)
    result_message = fields.Text(related="batch_id.failure_details", compute_sudo=False)
    sequence_name = fields.Char(related="sequence_id.name", string="Sequence Name", compute_sudo=False)

    _days_positive = models.Constraint(
        "CHECK (recent_days >= 0 AND stagger_days >= 0)",
        "Day counts cannot be negative.",
    )

    @api.model
    def _default_user(self):
        """Reps send in their own name: the sender is them unless a sequence
        manager chooses (empty: the records' salespeople or the owner)."""
        return self.env.user if not is_manager(self.env) else self.env["res.users"]

    @api.model
    def _action_open(self, records):
        action = self.env["ir.actions.act_window"]._for_xml_id("sales_sequence.action_sales_sequence_enroll_wizard")
        field_name = "lead_ids" if records._name == "crm.lead" else "partner_ids"
        action["context"] = {
            "default_res_model": records._name,
            "default_%s" % field_name: records.ids,
        }
        return action

    def _records(self):
        self.ensure_one()
        records = self.lead_ids if self.res_model == "crm.lead" else self.partner_ids
        return records._origin

    def _targets(self):
        """The records to enroll: the selection, where companies give way to
        their contacts when asked."""
        records = self._records()
        if records._name != "res.partner" or not self.use_company_contacts:
            return records
        companies = records.filtered(lambda partner: partner.is_company and self._contacts_of(partner))
        contacts = self.env["res.partner"].concat(*(self._contacts_of(company) for company in companies))
        return (records - companies) | contacts

    @api.model
    def _contacts_of(self, company):
        return company.child_ids.filtered(lambda child: child.type == "contact" and not child.is_company)

    @api.depends("res_model", "partner_ids", "lead_ids", "use_company_contacts")
    def _compute_record_count(self):
        for wizard in self:
            wizard.record_count = len(wizard._targets())
            selected = wizard._records()
            wizard.company_count = len(selected.filtered("is_company")) if selected._name == "res.partner" else 0

    @api.depends(
        "res_model",
        "partner_ids",
        "lead_ids",
        "use_company_contacts",
        "sequence_id",
        "user_id",
        "skip_running",
        "skip_recent",
        "recent_days",
    )
    def _compute_preview(self):
        for wizard in self:
            wizard.update(wizard._preview())

    def _preview(self):
        """The preview counts, from the same checks the enrollment makes."""
        self.ensure_one()
        Batch = self.env["sales.sequence.enroll.batch"]
        records = self._targets()
        emails = Batch._emails_of(records)
        recent = (
            Batch._recently_emailed_records(records, self.recent_days, emails) if self.recent_days else records.browse()
        )
        values = {
            "preview_no_email_count": len(records) - len(emails),
            "preview_suppressed_count": len(Batch._suppressed_records(records, emails)),
            "preview_recent_count": len(recent),
            "preview_enroll_count": 0,
            "preview_duplicate_count": 0,
            "preview_elsewhere_count": 0,
            "preview_skip_count": 0,
            "preview_fail_count": 0,
            "preview_superseded_count": 0,
        }
        sequence = self.sequence_id._origin
        if not sequence or not records:
            return values
        elsewhere = records.browse(sequence._running_elsewhere(records))
        skipped = (elsewhere if self.skip_running else records.browse()) | (
            recent if self.skip_recent else records.browse()
        )
        plan = sequence._plan_enrollment(records - skipped, self.user_id._origin or None)
        values.update(
            {
                "preview_enroll_count": len(plan.to_enroll),
                "preview_duplicate_count": len(plan.duplicates),
                "preview_elsewhere_count": len(elsewhere),
                "preview_skip_count": len(skipped),
                "preview_fail_count": len(plan.failed),
                "preview_superseded_count": len(plan.superseded),
            }
        )
        return values

    @api.model
    def _async_threshold(self):
        return settings.get(self.env, "enroll_async_threshold")

    def action_enroll(self):
        """Enroll now, or queue a background job for a large selection."""
        self.ensure_one()
        records = self._targets()
        if not records:
            raise UserError(self.env._("Select at least one contact or lead to enroll."))
        self.sequence_id._check_can_enroll(records)
        batch = self.env["sales.sequence.enroll.batch"].create(self._prepare_batch_values(records))
        # sudo: the batch's progress is the engine's; it enrolls with the requester's rights
        batch.sudo()._run_or_queue(self._async_threshold())
        self.write({"batch_id": batch.id, "state": "queued" if batch.in_background else "done"})
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Enroll in Sequence"),
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
        }

    def _prepare_batch_values(self, records):
        return {
            "sequence_id": self.sequence_id.id,
            "sender_id": self.user_id.id,
            "res_model": records._name,
            "record_ids": records.ids,
            "record_count": len(records),
            "start_at": self.start_at,
            "stagger_days": self.stagger_days,
            "skip_running": self.skip_running,
            "skip_recent_days": self.recent_days if self.skip_recent else 0,
        }

    def action_view_enrollments(self):
        """The enrollments this wizard just made (all of the batch's, once a
        background batch is done)."""
        self.ensure_one()
        action = self.sequence_id.action_view_enrollments()
        batch = self.batch_id
        if batch:
            field_name = "lead_id" if batch.res_model == "crm.lead" else "partner_id"
            action["domain"] = [
                ("sequence_id", "=", self.sequence_id.id),
                (field_name, "in", batch.record_ids or []),
                ("create_date", ">=", batch.create_date),
            ]
            action["context"] = dict(action["context"], search_default_filter_running=0)
        return action
